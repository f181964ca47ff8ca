#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prometheus metrics (user/daemon/metrics*.c) through their test driver
# build/tests/metrics (tests/netns/metrics_main.c), on a real instance:
#
#   $A: m0 192.0.2.2/24  --veth--  $B: m1 192.0.2.1/24
#   wgturn attached on m0, port 51820; E relayed via 192.0.2.1:3478
#   channel 0x4001, E2 direct to 192.0.2.1:51821
#
# Datagrams from :51820 to E and E2 and from E2's direct address move
# the counters. No daemon, no state file: peers have an empty peer
# label, relay series are absent, wgturn_daemon_up is 0.
#  1. render: promtool check metrics passes without lint; every sample
#     carries interface=; the counters and per-peer stats equal
#     `show NAME --json`; paths; last rx timestamps (now / 0 for never)
#  1b. a state file (fields as state.c writes them, a sleep's pid as
#     the daemon's): public keys label peers, path none for a WireGuard
#     peer without datapath entry, switches, MTUs, handshake, the relay's
#     state set, expiry, allocations, lifetime, pmtu, the configured
#     relays, daemon up; its "daemon" gone: up 0, relay series gone
#  2. file: promtool passes, mode 0644, no temporary left behind; a reader
#     racing 100 rewrites sees whole files only
#  3. serve: GET /metrics 200 with the 0.0.4 content type and the
#     render's families; HEAD 200; / 404; POST 405; an [::1] listener;
#     an address not ours and a malformed one are refused with a message
#  4. a real Prometheus scrapes it every second: up == 1 and
#     wgturn_datapath_packets_total{reason="tx_relay"} as rendered
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
T_CMD=$(tscale 10)
M=$PWD/$BUILD/tests/metrics

A=wgt-ma-$$
B=wgt-mb-$$
NAME=mt$$
FS=/run/wgturn-test-metrics-$$
tmp=$(mktemp -d /tmp/wgturn-metrics.XXXXXX)
pids=()

a() { ip netns exec "$A" "$@"; }
b() { ip netns exec "$B" "$@"; }
wgt() { timeout "$T_CMD" ip netns exec "$A" "$WGTURN" --bpffs "$FS" "$@"; }
met() { timeout "$T_CMD" ip netns exec "$A" env WGTURN_BPFFS="$FS" "$M" "$@"; }

cleanup() {
	local p
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	wgt detach "$NAME" >/dev/null 2>&1
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	mountpoint -q "$FS" 2>/dev/null && umount "$FS"
	rmdir "$FS" 2>/dev/null
	rm -rf "$tmp"
	rm -f "/run/wgturn/$NAME.state"
}
trap cleanup EXIT
bail() { fail "$*"; done_testing; exit 1; }

[ "$(id -u)" = 0 ] || bail "needs root"
[ -x "$M" ] || bail "$M not built (make test-build)"
for t in jq curl socat; do
	command -v $t >/dev/null || bail "$t not installed"
done
[ -e "/run/wgturn/$NAME.state" ] && bail "/run/wgturn/$NAME.state exists"

E=198.51.100.7:51820
E2=198.51.100.8:51820
ip netns add "$A" && ip netns add "$B" || bail "netns"
for ns in "$A" "$B"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$A" link add m0 type veth peer name m1 netns "$B"
ip -n "$A" addr add 192.0.2.2/24 dev m0
ip -n "$B" addr add 192.0.2.1/24 dev m1
ip -n "$A" link set m0 up
ip -n "$B" link set m1 up
ip -n "$A" route add default via 192.0.2.1
mkdir -p "$FS" && mount -t bpf bpf "$FS" || bail "bpffs"

wgt attach "$NAME" --uplink m0 --port 51820 >/dev/null || bail "attach"
wgt peer set "$NAME" "$E" relay 192.0.2.1:3478 channel 0x4001 || bail "peer set relay"
wgt peer set "$NAME" "$E2" direct 192.0.2.1:51821 || bail "peer set direct"
# Traffic: 3 to E (relayed), 2 to E2 (direct), 4 from E2's direct address.
for i in 1 2 3; do
	echo "to-e-$i" | a socat -u - UDP4-SENDTO:${E%:*}:51820,sourceport=51820,reuseaddr
done
for i in 1 2; do
	echo "to-e2-$i" | a socat -u - UDP4-SENDTO:${E2%:*}:51820,sourceport=51820,reuseaddr
done
for i in 1 2 3 4; do
	echo "from-e2-$i" | b socat -u - UDP4-SENDTO:192.0.2.2:51820,sourceport=51821,reuseaddr
done
sleep 0.2

# show --json (an array since issue 13, an object before) and render,
# retried until show reads the same before and after the render.
js() { wgt show "$NAME" --json | jq -c '(if type=="array" then .[0] else . end)'; }
for try in 1 2 3; do
	s1=$(js)
	met render "$NAME" >"$tmp/render.txt" 2>"$tmp/render.err"
	rc=$?
	s2=$(js)
	[ "$s1" = "$s2" ] && break
done
expect_eq "render exits 0" 0 "$rc"
[ -s "$tmp/render.err" ] && note=$(cat "$tmp/render.err") && fail "render is silent: $note"
echo "$s1" >"$tmp/show.json"

# 1. The render -----------------------------------------------------------
if command -v promtool >/dev/null; then
	out=$(promtool check metrics <"$tmp/render.txt" 2>&1)
	rc=$?
	expect_eq "promtool check metrics: exit 0, no lint${out:+ ($out)}" "0:" "$rc:$out"
else
	skip "promtool check metrics" "promtool not installed"
fi
n=$(grep -v '^#' "$tmp/render.txt" | grep -vc "{interface=\"$NAME\"")
expect_eq "every sample carries interface=\"$NAME\"" 0 "$n"
n=$(grep -c '^# TYPE' "$tmp/render.txt")
h=$(grep -c '^# HELP' "$tmp/render.txt")
expect_eq "every family has HELP and TYPE" "$n" "$h"
n=$(awk '/^# TYPE/ { print $3 }' "$tmp/render.txt" | sort | uniq -d)
expect_eq "no family twice" "" "$n"

# value METRIC LABELS: the sample's value ("" if absent).
value() { awk -v k="$1{interface=\"$NAME\"$2}" '{ v = $NF; sub(/ [^ ]*$/, "") } $0 == k { print v }' "$tmp/render.txt"; }
want=$(jq -r '.counters | to_entries[] | "\(.key) \(.value)"' "$tmp/show.json" | sort)
got=$(sed -n 's/^wgturn_datapath_packets_total{interface="[^"]*",reason="\([a-z0-9_]*\)"} \([0-9]*\)$/\1 \2/p' \
	"$tmp/render.txt" | sort)
expect_eq "wgturn_datapath_packets_total equals show --json's counters ($(wc -l <<<"$want") reasons)" "$want" "$got"
expect_eq "tx_relay counted the 3 relayed datagrams" 3 "$(value wgturn_datapath_packets_total ',reason="tx_relay"')"
expect_eq "rx_direct counted the 4 from the direct address" 4 "$(value wgturn_datapath_packets_total ',reason="rx_direct"')"
for ep in "$E" "$E2"; do
	L=",peer=\"\",endpoint=\"$ep\""
	for f in rx_bytes tx_bytes rx_packets tx_packets; do
		expect_eq "wgturn_peer_${f}_total $ep equals show --json" \
			"$(jq -r --arg e "$ep" ".peers[] | select(.endpoint == \$e) | .$f" "$tmp/show.json")" \
			"$(value wgturn_peer_${f}_total "$L")"
	done
done
expect_eq "E: 3 tx packets, 0 rx" "3 0" \
	"$(value wgturn_peer_tx_packets_total ",peer=\"\",endpoint=\"$E\"") $(value wgturn_peer_rx_packets_total ",peer=\"\",endpoint=\"$E\"")"
expect_eq "E2: 2 tx packets, 4 rx" "2 4" \
	"$(value wgturn_peer_tx_packets_total ",peer=\"\",endpoint=\"$E2\"") $(value wgturn_peer_rx_packets_total ",peer=\"\",endpoint=\"$E2\"")"
expect_eq "wgturn_peer_path: E relay 1, direct 0, none 0" "1 0 0" \
	"$(for p in relay direct none; do value wgturn_peer_path ",peer=\"\",endpoint=\"$E\",path=\"$p\""; done | xargs)"
expect_eq "wgturn_peer_path: E2 direct" "0 1 0" \
	"$(for p in relay direct none; do value wgturn_peer_path ",peer=\"\",endpoint=\"$E2\",path=\"$p\""; done | xargs)"
expect_eq "E never received: last rx timestamp 0" "0.000" \
	"$(value wgturn_peer_last_rx_timestamp_seconds ",peer=\"\",endpoint=\"$E\"")"
t=$(value wgturn_peer_last_rx_timestamp_seconds ",peer=\"\",endpoint=\"$E2\"")
now=$(date +%s)
check "E2's last rx timestamp is wall time, within 30 s of now ($t, now $now)" \
	awk -v t="$t" -v n="$now" 'BEGIN { exit !(t > n - 30 && t < n + 2) }'
t=$(value wgturn_peer_last_tx_timestamp_seconds ",peer=\"\",endpoint=\"$E\"")
check "E's last tx timestamp is wall time ($t)" \
	awk -v t="$t" -v n="$now" 'BEGIN { exit !(t > n - 30 && t < n + 2) }'
expect_eq "no state file: no peer carries a key" "" "$(grep -o 'peer="[^"]\+"' "$tmp/render.txt" | head -n1)"
expect_eq "no state file: no relay series" "" "$(grep -o '^wgturn_relay_[a-z_]*' "$tmp/render.txt" | sort -u | xargs)"
expect_eq "no state file: no switches, MTUs, handshakes, state time" "" \
	"$(grep -oE '^(wgturn_peer_path_switches_total|wgturn_peer_[a-z_]*mtu_bytes|wgturn_peer_last_handshake[a-z_]*|wgturn_daemon_state[a-z_]*|wgturn_direct[a-z_]*)' "$tmp/render.txt" | sort -u | xargs)"
expect_eq "no state file: wgturn_daemon_up 0" 0 "$(value wgturn_daemon_up "")"
expect_eq "wgturn_uplink_info: m0, tc ingress" 1 "$(value wgturn_uplink_info ',uplink="m0",ingress="tc ingress"')"
expect_eq "wgturn_info: port, version" 1 "$(value wgturn_info ',wireguard_port="51820",version="test"')"
out=$(met render nosuch$$ 2>&1 >/dev/null)
check "render of a missing instance fails with a message ($out)" test -n "$out"

# 1b. With a state file, in the fields state.c writes (no daemon here:
# a sleep stands in for its pid). Removed again before the rest.
K=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
K2=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=
ST=/run/wgturn/$NAME.state
sleep 60 &
spid=$!
pids+=($spid)
nowms=$(($(date +%s) * 1000))
mkdir -p /run/wgturn
cat >"$ST" <<JSON
{ "server": "192.0.2.1:3478", "state": "allocated", "relayed": "192.0.2.1:50000",
  "mapped": "192.0.2.2:51820", "expires_in_s": 590, "error": null, "realm": "r",
  "username": "u", "nonce": "n", "pid": $spid, "written_at": $nowms,
  "expires_at": $((nowms + 600000)), "lifetime_s": 600, "last_answer_at": $((nowms - 2000)),
  "unreachable": false, "hints_ignored": 0, "allocations": 2,
  "relay_path_mtu": { "value": 1500, "search_ms": 10, "probes": 3, "searching": false },
  "relay_list": [ { "host": "turn1.example", "port": 3478, "credentials": "rest", "active": true },
                  { "host": "2001:db8::9", "port": 3478, "credentials": "long-term", "active": false } ],
  "checks_ignored": { "invalid": 1, "replayed": 0, "unknown_peer": 2, "stray_answers": 0 },
  "wg_peers": [
    { "public_key": "$K", "endpoint": "$E", "handshake_at": $((nowms - 5000)),
      "path_mtu": 1480, "tunnel_mtu": 1396, "route_mtu": null, "peer_path_mtu": null,
      "checks": { "path": "relay", "via": null, "reason": null, "switched_at": null,
                  "switches": 3, "candidates": [] } },
    { "public_key": "$K2", "endpoint": null, "handshake_at": null, "path_mtu": null,
      "tunnel_mtu": null, "checks": null } ],
  "peers": [] }
JSON
met render "$NAME" >"$tmp/render.txt" 2>&1
expect_eq "render with a state file exits 0" 0 "$?"
if command -v promtool >/dev/null; then
	out=$(promtool check metrics <"$tmp/render.txt" 2>&1)
	expect_eq "promtool passes it${out:+ ($out)}" "0:" "$?:$out"
fi
LK=",peer=\"$K\",endpoint=\"$E\""
R=',relay="192.0.2.1:3478"'
expect_eq "E's series carry its public key" "3" "$(value wgturn_peer_tx_packets_total "$LK")"
expect_eq "E2, no WireGuard peer there: peer label empty" "2" \
	"$(value wgturn_peer_tx_packets_total ",peer=\"\",endpoint=\"$E2\"")"
expect_eq "a WireGuard peer without datapath entry: path none" "0 0 1" \
	"$(for p in relay direct none; do value wgturn_peer_path ",peer=\"$K2\",endpoint=\"\",path=\"$p\""; done | xargs)"
expect_eq "switches, pmtu, tunnel MTU, handshake" "3 1480 1396 $(((nowms - 5000) / 1000)).000" \
	"$(value wgturn_peer_path_switches_total "$LK") $(value wgturn_peer_pmtu_bytes "$LK") $(value wgturn_peer_tunnel_mtu_bytes "$LK") $(value wgturn_peer_last_handshake_timestamp_seconds "$LK")"
expect_eq "wgturn_relay_up: allocated 1, the other states 0" "0 0 1 0 0" \
	"$(for s in idle allocating allocated failed closed; do value wgturn_relay_up "$R,state=\"$s\""; done | xargs)"
t=$(value wgturn_relay_allocation_expiry_seconds "$R")
check "expiry in (590, 600] s ($t)" awk -v t="$t" 'BEGIN { exit !(t > 590 && t <= 600) }'
expect_eq "allocations, lifetime, relay pmtu, unreachable" "2 600 1500 0" \
	"$(value wgturn_relay_allocations_total "$R") $(value wgturn_relay_lifetime_seconds "$R") $(value wgturn_relay_pmtu_bytes "$R") $(value wgturn_relay_unreachable "$R")"
expect_eq "wgturn_relay_active: the configured relays" "1 0" \
	"$(value wgturn_relay_active ',server="turn1.example:3478",index="0"') $(value wgturn_relay_active ',server="[2001:db8::9]:3478",index="1"')"
expect_eq "checks ignored" "1 2" \
	"$(value wgturn_direct_checks_ignored_total ',reason="invalid"') $(value wgturn_direct_checks_ignored_total ',reason="unknown_peer"')"
expect_eq "wgturn_daemon_up 1, state time" "1 $((nowms / 1000)).000" \
	"$(value wgturn_daemon_up "") $(value wgturn_daemon_state_timestamp_seconds "")"
kill "$spid"; wait "$spid" 2>/dev/null
met render "$NAME" >"$tmp/render.txt" 2>&1
expect_eq "its daemon gone: wgturn_daemon_up 0" 0 "$(value wgturn_daemon_up "")"
expect_eq "its daemon gone: no relay series" "" "$(grep -o '^wgturn_relay_[a-z_]*' "$tmp/render.txt" | sort -u | xargs)"
expect_eq "its daemon gone: E still named by its key" 3 "$(value wgturn_peer_tx_packets_total "$LK")"
rm -f "$ST"
met render "$NAME" >"$tmp/render.txt" 2>&1

# 2. The textfile ---------------------------------------------------------
P=$tmp/tf/wgturn.prom
mkdir -p "$tmp/tf"
(umask 077; met file "$NAME" "$P")
expect_eq "file exits 0" 0 "$?"
if command -v promtool >/dev/null; then
	out=$(promtool check metrics <"$P" 2>&1)
	rc=$?
	expect_eq "promtool check metrics on the textfile${out:+ ($out)}" "0:" "$rc:$out"
else
	skip "promtool check metrics on the textfile" "promtool not installed"
fi
expect_eq "textfile mode 0644 under umask 077" 644 "$(stat -c %a "$P")"
expect_eq "textfile: the render's families" "$(grep '^# TYPE' "$tmp/render.txt")" "$(grep '^# TYPE' "$P")"
expect_eq "no temporary left" "wgturn.prom" "$(ls "$tmp/tf")"
( for i in $(seq 100); do met file "$NAME" "$P" || echo FAIL; done ) >"$tmp/w.out" 2>&1 &
wp=$!
torn=0 reads=0
while kill -0 "$wp" 2>/dev/null; do
	c=$(cat "$P")
	reads=$((reads + 1))
	case $c in
	"# HELP wgturn_info"*"wgturn_daemon_up{interface=\"$NAME\"} 0") ;;
	*) torn=$((torn + 1)) ;;
	esac
done
wait "$wp"
expect_eq "100 rewrites succeed" "" "$(cat "$tmp/w.out")"
expect_eq "a reader racing them saw whole files only ($reads reads)" 0 "$torn"
expect_eq "no temporary left after them" "wgturn.prom" "$(ls "$tmp/tf")"
out=$(met file "$NAME" "$tmp/nodir/x.prom" 2>&1)
check "file into a missing directory fails with a message ($out)" \
	test -n "$out" -a ! -e "$tmp/nodir"

# 3. The listener ---------------------------------------------------------
L=192.0.2.2:9464
PROM=127.0.0.1:9465
a env WGTURN_BPFFS="$FS" "$M" serve "$NAME" "$L" 60 >"$tmp/serve.out" 2>&1 &
pids+=($!)
for i in $(seq 50); do grep -q listening "$tmp/serve.out" && break; sleep 0.1; done
check "serve listens on $L" grep -q listening "$tmp/serve.out"
r=$(a curl -s -o "$tmp/get.txt" -w '%{http_code}|%{content_type}' "http://$L/metrics")
expect_eq "GET /metrics: 200, text/plain 0.0.4" "200|text/plain; version=0.0.4; charset=utf-8" "$r"
expect_eq "GET /metrics: the render's families" "$(grep '^# TYPE' "$tmp/render.txt")" "$(grep '^# TYPE' "$tmp/get.txt")"
expect_eq "GET /metrics: the counters" "$(grep '^wgturn_datapath' "$tmp/render.txt")" "$(grep '^wgturn_datapath' "$tmp/get.txt")"
expect_eq "HEAD /metrics: 200" 200 "$(a curl -s -I -o /dev/null -w '%{http_code}' "http://$L/metrics")"
expect_eq "GET /: 404" 404 "$(a curl -s -o /dev/null -w '%{http_code}' "http://$L/")"
expect_eq "GET /metrics/x: 404" 404 "$(a curl -s -o /dev/null -w '%{http_code}' "http://$L/metrics/x")"
expect_eq "POST /metrics: 405, Allow: GET, HEAD" "405|Allow: GET, HEAD" \
	"$(a curl -s -D "$tmp/post.h" -o /dev/null -w '%{http_code}' -d x=1 "http://$L/metrics")|$(grep -i '^allow:' "$tmp/post.h" | tr -d '\r')"
check "only on $L: not on 127.0.0.1" test "$(a curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:9464/metrics")" = 000
a env WGTURN_BPFFS="$FS" "$M" serve "$NAME" "[::1]:9466" 3 >"$tmp/serve6.out" 2>&1 &
pids+=($!)
for i in $(seq 30); do grep -q listening "$tmp/serve6.out" && break; sleep 0.1; done
expect_eq "an [::1]:9466 listener answers 200" 200 \
	"$(a curl -s -g -o /dev/null -w '%{http_code}' "http://[::1]:9466/metrics")"
out=$(met serve "$NAME" 203.0.113.9:9464 1 2>&1)
check "an address not ours is refused ($out)" grep -q 'metrics listener on 203.0.113.9:9464: ' <<<"$out"
out=$(met serve "$NAME" nonsense 1 2>&1)
check "a malformed address is refused ($out)" grep -q "metrics listener 'nonsense'" <<<"$out"
out=$(met serve "$NAME" "$L" 1 2>&1)
check "a port in use is refused ($out)" grep -q 'in use' <<<"$out"

# 4. Prometheus scrapes it -----------------------------------------------
if ! command -v prometheus >/dev/null; then
	skip "Prometheus scrapes the listener" "prometheus not installed"
else
	cat >"$tmp/prom.yml" <<-YML
	global: { scrape_interval: 1s, scrape_timeout: 1s }
	scrape_configs:
	  - job_name: wgturn
	    static_configs: [ { targets: ["$L"] } ]
	YML
	a prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/tsdb" \
		--web.listen-address="$PROM" >"$tmp/prom.log" 2>&1 &
	pids+=($!)
	q() { a curl -s --get "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'; }
	up=
	for i in $(seq 60); do
		up=$(q 'up{job="wgturn"}')
		[ "$up" = 1 ] && break
		sleep 0.5
	done
	expect_eq "Prometheus: up == 1" 1 "$up"
	expect_eq "Prometheus: wgturn_datapath_packets_total{reason=\"tx_relay\"} as rendered" \
		"$(value wgturn_datapath_packets_total ',reason="tx_relay"')" \
		"$(q "wgturn_datapath_packets_total{interface=\"$NAME\",reason=\"tx_relay\"}")"
	expect_eq "Prometheus: E2's rx bytes" \
		"$(value wgturn_peer_rx_bytes_total ",peer=\"\",endpoint=\"$E2\"")" \
		"$(q "wgturn_peer_rx_bytes_total{endpoint=\"$E2\"}")"
	n=$(q 'scrape_samples_scraped{job="wgturn"}')
	expect_eq "Prometheus: every sample scraped" "$(grep -vc '^#' "$tmp/render.txt")" "$n"
fi

done_testing
