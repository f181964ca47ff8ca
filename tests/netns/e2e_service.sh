#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, wgturn as a service (issue 13): the default config, systemd
# readiness, the unit's capabilities, SIGHUP reloads. Two sites behind
# symmetric NAT on the world's coturn; WireGuard endpoints set by the test
# from the daemons' relayed addresses, as in e2e_turn.sh. Both configs
# read one password file. Per outer family (E2E_FAMILIES, default v4):
#  a. default config: $WGTURN_CONFIG_DIR/A.conf, `up A` with no options;
#     the tunnel pings
#  b. readiness: `up B --config F --foreground` with NOTIFY_SOCKET on a
#     datagram socket of the test's: READY=1 arrives, the datapath's pins
#     exist when it does, MAINPID is the daemon's, STATUS is sent;
#     kill -HUP: RELOADING=1 then READY=1; (at the end) SIGTERM:
#     STOPPING=1, the daemon exits and its pins go
#  d. SIGHUP with nothing changed, under a ping both ways (-i 0.2), by
#     `wgturn reload B` and kill -HUP of A's daemon: no loss, the same
#     relayed addresses, allocation counts and pids; B logs the reload
#  f. SIGHUP with a config that does not parse: B keeps running as it
#     was (same relayed address, allocations, pid), logs one line about
#     it on stderr, the tunnel pings
#  e. SIGHUP with a rotated password (the password file rewritten): the
#     allocations stay and the tunnel pings; coturn restarted knowing only
#     the new password: both daemons allocate again (so with the new
#     credentials) and the tunnel pings
#  c. the unit's capabilities only (CapabilityBoundingSet of
#     dist/systemd/wgturn@.service, through setpriv, with no_new_privs as
#     NoNewPrivileges=yes): `up A` succeeds,
#     the daemon holds no other capability, the tunnel pings (skipped
#     while the unit file is missing)
#  g. metrics: B's daemon runs with --metrics and --metrics-file; GET
#     /metrics answers 200, the answer and the textfile (mode 644) pass
#     promtool, they say the relay is allocated, the daemon up, A's peer
#     relayed by its public key, tx_relay as show says; SIGTERM removes
#     the textfile
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh

FS=/run/wgturn-svc-$$
A=wva$$
B=wvb$$
UNIT=${E2E_UNIT:-dist/systemd/wgturn@.service}	# E2E_UNIT: another unit file
BPID=

cleanup() {
	wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b" "wvx$$:a"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

dpid() { wgt_state "$1" .pid; }
# snap IF: what must not change across a harmless reload
snap() { echo "$(wgt_state "$1" .state) $(wgt_state "$1" .relayed) allocations=$(allocs "$1") pid=$(dpid "$1")"; }

pair() {
	RA=$(wgt_state "$A" .relayed) RB=$(wgt_state "$B" .relayed)
	wg_peer a "$A" "${WG_PUBKEY[$B]}" "$RB" "$(allowed b)"
	wg_peer b "$B" "${WG_PUBKEY[$A]}" "$RA" "$(allowed a)"
	wgt_channel_ready "$A" "$RB" && wgt_channel_ready "$B" "$RA"
}

relay_conf() { # FILE
	printf '[Relay]\nServer = %s\nUsername = %s\nPasswordFile = %s\n' \
		"$TURN_SERVER" "$TURN_USER" "$PASSF" >"$1"
}

# --- the notify socket: a stand-in for systemd ---

# notify_listen SOCK LOG PINDIR: every datagram to SOCK goes to LOG as
# "-- N", its lines, and on READY=1 "PINS=yes|no" (PINDIR exists at that
# moment: the datapath is attached).
notify_listen() {
	python3 -u -c '
import os, socket, sys
sock, log, pins = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock)
n = 0
with open(log, "a") as f:
    while True:
        m = s.recv(65536).decode(errors="replace")
        n += 1
        f.write("-- %d\n%s\n" % (n, m.rstrip("\n")))
        if "READY=1" in m.split("\n"):
            f.write("PINS=%s\n" % ("yes" if os.path.exists(pins) else "no"))
        f.flush()
' "$1" "$2" "$3" >/dev/null 2>&1 &
	WORLD_PIDS+=("$!")
	_wait_for 5 test -S "$1"
}

# nmsgs FIELD: how many notify messages carried FIELD (e.g. READY=1)
nmsgs() { grep -cx "$1" "$NLOG" 2>/dev/null; }
# nfields: the notify messages' lines in order, FIELD names only for
# MAINPID/STATUS, on one line
nseq() { grep -xE 'READY=1|RELOADING=1|STOPPING=1' "$NLOG" | tr '\n' ' '; }
wait_msgs() { # FIELD COUNT SECONDS
	local i n
	n=$(tscale_int $(($3 * 10)))
	for ((i = 0; i < n; i++)); do
		[ "$(nmsgs "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- the checks ---

default_config() {
	mkdir -p "$WORLD_TMP/confdir"
	relay_conf "$WORLD_TMP/confdir/$A.conf"
	if ip netns exec "$NS_A" env WGTURN_CONFIG_DIR="$WORLD_TMP/confdir" timeout "$(tscale 60)" \
		"$WGTURN" --bpffs "$FS" up "$A" >"$WORLD_TMP/up-$A.log" 2>&1; then
		ok "[$FAM] a. WGTURN_CONFIG_DIR=DIR wgturn up $A, no options: reads DIR/$A.conf ($(tail -n1 "$WORLD_TMP/up-$A.log"))"
	else
		fail "[$FAM] a. WGTURN_CONFIG_DIR=DIR wgturn up $A, no options: $(cat "$WORLD_TMP/up-$A.log")"
		return 1
	fi
	check "[$FAM] a. $A allocated ($(wgt_state "$A" .relayed))" test "$(wgt_state "$A" .state)" = allocated
}

readiness() {
	SOCK=$WORLD_TMP/notify.sock NLOG=$WORLD_TMP/notify.log BERR=$WORLD_TMP/b.stderr
	BCONF=$WORLD_TMP/$B.conf
	relay_conf "$BCONF"
	check "[$FAM] b. a datagram socket stands in for systemd's NOTIFY_SOCKET" \
		notify_listen "$SOCK" "$NLOG" "$FS/wgturn/$B" || return 1
	MFILE=$WORLD_TMP/metrics/$B.prom
	mkdir -p "$WORLD_TMP/metrics"
	NOTIFY_SOCKET=$SOCK ip netns exec "$NS_B" "$WGTURN" --bpffs "$FS" up "$B" --config "$BCONF" \
		--metrics "$MLISTEN" --metrics-file "$MFILE" \
		--foreground >"$WORLD_TMP/b.stdout" 2>"$BERR" &
	BPID=$!
	WORLD_PIDS+=("$BPID")
	if ! check "[$FAM] b. up $B --foreground: READY=1 within 30 s" wait_msgs READY=1 1 30; then
		echo "# stderr: $(tr '\n' '|' <"$BERR")"
		return 1
	fi
	expect_eq "[$FAM] b. at READY=1 the datapath's pins for $B exist" PINS=yes "$(grep -m1 '^PINS=' "$NLOG")"
	check "[$FAM] b. the foreground daemon still runs" _running "$BPID"
	_wait_for 5 test -n "$(dpid "$B")"
	expect_eq "[$FAM] b. MAINPID is the daemon's pid (ours $BPID, state file $(dpid "$B"))" \
		"MAINPID=$BPID" "$(grep -m1 '^MAINPID=' "$NLOG")"
	check "[$FAM] b. STATUS= sent ($(grep -m1 '^STATUS=' "$NLOG"))" grep -q '^STATUS=.' "$NLOG"
}

readiness_hup() {
	local r0
	r0=$(nmsgs READY=1)
	kill -HUP "$BPID"
	check "[$FAM] b. kill -HUP: READY=1 again within 10 s" wait_msgs READY=1 $((r0 + 1)) 10
	check "[$FAM] b. kill -HUP: RELOADING=1 then READY=1 ($(nseq))" \
		eval '[[ "$(nseq)" == *"RELOADING=1 READY=1 " ]]'
}

# a continuous ping both ways around CMD; PING_LOSS "a b" lost packets
hup_under_ping() {
	local la=$WORLD_TMP/ping-hup-a.log lb=$WORLD_TMP/ping-hup-b.log pa pb s r s2 r2
	in_ns a ping -D -i 0.2 -W 2 -c 40 "$(tun b)" >"$la" 2>&1 &
	pa=$!
	in_ns b ping -D -i 0.2 -W 2 -c 40 "$(tun a)" >"$lb" 2>&1 &
	pb=$!
	sleep "$(tscale 2)"
	"$@"
	wait "$pa" "$pb"
	read -r s r < <(sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) received.*/\1 \2/p' "$la")
	read -r s2 r2 < <(sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) received.*/\1 \2/p' "$lb")
	PING_LOSS="$((${s:-1} - ${r:-0})) $((${s2:-1} - ${r2:-0}))"
}

ev_reload_both() {
	W b reload "$B" >"$WORLD_TMP/reload-b.out" 2>&1
	RELOAD_RC=$?
	kill -HUP "$(cat "/run/wgturn/$A.pid")"
	sleep "$(tscale 3)"
}

reload_unchanged() {
	local sa sb e0
	sa=$(snap "$A") sb=$(snap "$B")
	e0=$(grep -c . "$BERR")
	hup_under_ping ev_reload_both
	expect_eq "[$FAM] d. wgturn reload $B: exit 0 ($(cat "$WORLD_TMP/reload-b.out"))" 0 "$RELOAD_RC"
	expect_eq "[$FAM] d. SIGHUP, nothing changed, under ping -i 0.2 both ways: lost (A->B B->A)" "0 0" "$PING_LOSS"
	expect_eq "[$FAM] d. ... A unchanged (state, relayed, allocations, pid)" "$sa" "$(snap "$A")"
	expect_eq "[$FAM] d. ... B unchanged (state, relayed, allocations, pid)" "$sb" "$(snap "$B")"
	check "[$FAM] d. ... B logged the reload, its allocation kept ($(tail -n +"$((e0 + 1))" "$BERR" | grep -m1 reload))" \
		eval 'tail -n +"$((e0 + 1))" "$BERR" | grep -q "reloaded: .*allocation kept"'
}

reload_bad() {
	local sb e0 r0 new line
	sb=$(snap "$B")
	cp "$BCONF" "$BCONF.good"
	printf '\nthis line is not key = value [\n' >>"$BCONF"
	e0=$(grep -c . "$BERR") r0=$(nmsgs READY=1)
	kill -HUP "$BPID"
	wait_msgs READY=1 $((r0 + 1)) 10
	sleep "$(tscale 1)"
	new=$(tail -n +"$((e0 + 1))" "$BERR")
	line=$(grep reload <<<"$new")
	check "[$FAM] f. bad config on SIGHUP: the daemon keeps running" _running "$BPID"
	expect_eq "[$FAM] f. ... one line logged about it on stderr ($line)" 1 "$(grep -c . <<<"$line")"
	check "[$FAM] f. ... the line says the running configuration stays" grep -q "configuration stays" <<<"$line"
	expect_eq "[$FAM] f. ... B unchanged (state, relayed, allocations, pid)" "$sb" "$(snap "$B")"
	ping_ok a "$(tun b)" 10 "f. after a bad reload"
	mv "$BCONF.good" "$BCONF"
}

reload_rotated() {
	local sa sb new na nb i n
	new=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
	sa=$(snap "$A") sb=$(snap "$B")
	(umask 077 && printf '%s\n' "$new" >"$PASSF.new") && mv "$PASSF.new" "$PASSF"
	kill -HUP "$(cat "/run/wgturn/$A.pid")" "$BPID"
	sleep "$(tscale 2)"
	expect_eq "[$FAM] e. password file rotated, SIGHUP: A's allocation stays" "$sa" "$(snap "$A")"
	expect_eq "[$FAM] e. ... B's allocation stays" "$sb" "$(snap "$B")"
	ping_ok a "$(tun b)" 10 "e. after the password rotation"
	# coturn restarted with only the new password: a new allocation can
	# only be made with the new credentials
	na=$(allocs "$A") nb=$(allocs "$B")
	TURN_PASS=$new
	check "[$FAM] e. coturn restarted knowing only the new password" coturn_restart "# rotated"
	old_refused
	n=$(tscale_int 600)
	for ((i = 0; i < n; i++)); do
		[ "$(allocs "$A")" -gt "$na" ] 2>/dev/null && [ "$(allocs "$B")" -gt "$nb" ] 2>/dev/null &&
			[ "$(wgt_state "$A" .state)" = allocated ] && [ "$(wgt_state "$B" .state)" = allocated ] && break
		sleep 0.1
	done
	check "[$FAM] e. ... both daemons allocated again with the new credentials ($((i / 10)) s; A: $(wgt_state "$A" .state) $(wgt_state "$A" .error), B: $(wgt_state "$B" .state) $(wgt_state "$B" .error))" \
		test "$i" -lt "$n"
	check "[$FAM] e. ... channels bound to the new relayed addresses" pair
	check "[$FAM] e. ... first answer" first a "$(tun b)"
	ping_ok a "$(tun b)" 10 "e. after coturn's restart with the new password"
}

# old_refused: the control: coturn now refuses the old password (an `up`
# of a third interface with the world's password file, still the old one)
old_refused() {
	local x=wvx$$ out rc
	wg_up a "$x" 51821 || { fail "[$FAM] e. wireguard-go $x"; return; }
	out=$(in_ns a timeout "$(tscale 60)" "$WGTURN" --bpffs "$FS" up "$x" --relay "$TURN_SERVER" \
		--username "$TURN_USER" --password-file "$TURN_PASS_FILE" 2>&1)
	rc=$?
	check "[$FAM] e. ... (control: the old password is refused now: rc $rc, $out)" \
		eval '[ "$rc" -ne 0 ] && grep -q 401 <<<"$out"'
	wg_down "$x"
}

# The unit's CapabilityBoundingSet= (one or more lines, CAP_ names), as
# setpriv's list: net_admin,bpf,...
unit_caps() {
	sed -nE 's/^[[:space:]]*CapabilityBoundingSet=[[:space:]]*//p' "$UNIT" | tr ' ' '\n' |
		grep -i '^cap_' | tr 'A-Z' 'a-z' | sed 's/^cap_//' | sort -u | paste -sd, -
}

unit_capabilities() {
	local caps set eff bad c pid
	if [ ! -f "$UNIT" ]; then
		skip "[$FAM] c. up with only the unit's capabilities" "$UNIT not written yet"
		return
	fi
	caps=$(unit_caps)
	if [ -z "$caps" ]; then
		fail "[$FAM] c. $UNIT has no CapabilityBoundingSet= with CAP_ names"
		return
	fi
	set=-all,+${caps//,/,+}
	check "[$FAM] c. down $A" W a down "$A"
	if ip netns exec "$NS_A" setpriv --no-new-privs --inh-caps=-all --bounding-set="$set" -- \
		env WGTURN_CONFIG_DIR="$WORLD_TMP/confdir" timeout "$(tscale 60)" \
		"$WGTURN" --bpffs "$FS" up "$A" >"$WORLD_TMP/up-caps.log" 2>&1; then
		ok "[$FAM] c. up $A with only the unit's capabilities ($caps)"
	else
		fail "[$FAM] c. up $A with only the unit's capabilities ($caps): $(cat "$WORLD_TMP/up-caps.log")"
		return
	fi
	# the pid file (written by the daemon after it forked), not the state
	# file's pid: `up` may have written that before the fork
	pid=$(cat "/run/wgturn/$A.pid" 2>/dev/null)
	eff=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	bad=
	for c in $(capsh --decode="$eff" 2>/dev/null | sed 's/.*=//' | tr ',' ' '); do
		[[ ",$caps," == *",${c#cap_},"* ]] || bad+="$c "
	done
	check "[$FAM] c. the daemon (pid $pid) holds no capability beyond the unit's (CapEff $eff; extra: ${bad:-none})" \
		test -n "$eff" -a -z "$bad"
	check "[$FAM] c. channels bound to A's new relayed address" pair
	check "[$FAM] c. first answer" first a "$(tun b)"
	ping_ok a "$(tun b)" 10 "c. A's daemon with the unit's capabilities only"
}

# g. B's daemon serves its metrics (--metrics) and writes them for
# node_exporter (--metrics-file): both pass promtool, and say what show
# says: the relay allocated, the daemon up, A's peer by its key.
daemon_metrics() {
	local got=$WORLD_TMP/b.metrics code i
	if ! command -v promtool >/dev/null; then
		skip "[$FAM] g. metrics" "promtool not installed (Debian's prometheus package)"
		return
	fi
	code=$(in_ns b curl -s -m 5 -o "$got" -w '%{http_code}' "http://$MLISTEN/metrics")
	expect_eq "[$FAM] g. GET http://$MLISTEN/metrics from B's daemon" 200 "$code"
	check "[$FAM] g. promtool check metrics: the listener's answer" promtool check metrics <"$got"
	check "[$FAM] g. the relay allocated, in the metrics" \
		grep -q "^wgturn_relay_up{.*state=\"allocated\".*} 1\$" "$got"
	check "[$FAM] g. the daemon up, in the metrics" grep -q '^wgturn_daemon_up{.*} 1$' "$got"
	check "[$FAM] g. A's peer by its public key, relayed" \
		grep -q "^wgturn_peer_path{.*peer=\"${WG_PUBKEY[$A]}\".*path=\"relay\".*} 1\$" "$got"
	expect_eq "[$FAM] g. tx_relay in the metrics is show's (within the ping's traffic)" ok \
		"$(m=$(awk '/^wgturn_datapath_packets_total\{.*reason="tx_relay"/ { print $2 }' "$got")
		   j=$(W b show "$B" --json | jq '(if type == "array" then .[0] else . end) | .counters.tx_relay')
		   [ -n "$m" ] && [ "$j" -ge "$m" ] && [ $((j - m)) -lt 50 ] && echo ok || echo "metrics $m, show $j")"
	for ((i = 0; i < $(tscale_int 100); i++)); do [ -s "$MFILE" ] && break; sleep 0.1; done
	check "[$FAM] g. the textfile exists, mode 644 ($(stat -c %a "$MFILE" 2>/dev/null))" \
		test "$(stat -c %a "$MFILE" 2>/dev/null)" = 644
	check "[$FAM] g. promtool check metrics: the textfile" promtool check metrics <"$MFILE"
}

stopping() {
	local i
	kill -TERM "$BPID"
	for ((i = 0; i < $(tscale_int 150); i++)); do _running "$BPID" || break; sleep 0.1; done
	check "[$FAM] b. SIGTERM: the daemon exits within 15 s" eval '! _running "$BPID"'
	wait "$BPID" 2>/dev/null
	check "[$FAM] b. SIGTERM: STOPPING=1 sent ($(nseq))" wait_msgs STOPPING=1 1 2
	check "[$FAM] b. SIGTERM: B's pins removed" test ! -e "$FS/wgturn/$B"
	check "[$FAM] g. SIGTERM: the metrics textfile removed (it would report a tunnel that is gone)" \
		test ! -e "$MFILE"
}

run() { # FAM
	FAM=$1
	MLISTEN=127.0.0.1:9586
	[ "$FAM" = v6 ] && MLISTEN='[::1]:9586'
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || { fail "mount bpffs"; return 1; }
	WORLD_NATA_FLAGS=fully-random WORLD_NATB_FLAGS=fully-random
	world_up "$FAM" || { fail "[$FAM] world_up"; return 1; }
	PASSF=$WORLD_TMP/svc.pass
	(umask 077 && printf '%s\n' "$TURN_PASS" >"$PASSF")
	wg_up a "$A" 51820 && wg_up b "$B" 51820 || { fail "[$FAM] WireGuard up"; return 1; }
	default_config || return 1
	readiness || return 1
	check "[$FAM] channels bound both ways" pair
	check "[$FAM] a. first answer through the tunnel" first a "$(tun b)"
	ping_ok a "$(tun b)" 10 "a./b. A (default config) -> B (--foreground, NOTIFY_SOCKET)"
	daemon_metrics
	readiness_hup
	reload_unchanged
	reload_bad
	reload_rotated
	unit_capabilities
	stopping
}

for FAM in ${E2E_FAMILIES:-v4}; do
	WORLD_PREFIX=wgv${FAM#v}$$
	run "$FAM"
	cleanup
done
trap - EXIT
done_testing
