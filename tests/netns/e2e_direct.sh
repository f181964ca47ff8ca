#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, direct paths: two wgturn daemons with the
# rendezvous find each other's candidates, punch holes with authenticated
# checks from WireGuard's own port, and move the tunnel off the relay
# when a check works both ways; back to the relay when the direct path
# breaks. Which path carried the traffic is read from nftables counters
# on the relay and on NAT A (tests/lib/direct.sh), not only from wgturn.
#  1. both sites behind endpoint-independent NAT: direct after the hole
#     punch; the relay carries nothing of the pings
#  2. the direct path cut under a continuous ping (drop rule on NAT A):
#     the relay takes over, outage bounded; restored: direct again within
#     the retry period
#  3. forged, unknown-key and replayed checks injected by the internet
#     router with B's public address and port (it sees the wire and knows
#     the published candidates): counted, no path change, relayed or not
#  4. WireGuard idle behind NATs with a 20 s UDP timeout: the direct path
#     survives on the daemons' keepalives
#  5. B behind a port-randomising NAT: the relay stays
#  6. two hosts on one site (A and A2 behind NAT A): host candidates
# All over IPv4 outer addresses; 1 and 2 again over IPv6 (NAT66).
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh
. tests/lib/direct.sh

FS=/run/wgturn-direct-$$
A=wda$$
B=wdb$$
A2=
FAM=v4
WGTURN=$BUILD/wgturn

trap direct_world_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

KA= KB=
both_direct() { # what
	in_ns a ping -c 1 -W 1 "$(tun b)" >/dev/null 2>&1	# a handshake
	check "$1: A goes direct to B" path_is a "$A" "$KB" direct 15
	check "$1: B goes direct to A" path_is b "$B" "$KA" direct 15
	# WireGuard's first handshake may have gone before the relay had
	# the channel: it retries after 5 s
	check "$1: first answer through the tunnel" wgt_ping_first a "$(tun b)"
}

# 1. The hole punch: the pings go between the NATs, none via the relay.
punch() {
	check "A's WireGuard got B's relayed address" \
		endpoint_is a "$A" "$KB" "$(wgt_state "$B" .relayed)"
	both_direct "EIM NATs"
	echo "# direct $((($(date +%s%N) - T0) / 1000000)) ms after the first up began"
	W a show "$A" | sed 's/^/# /'
	local r0 d0 o0 r1 d1 o1
	r0=$(cnt relay relayed) d0=$(cnt nata direct_in) o0=$(cnt nata direct_out)
	ping_ok a "$(tun b)" 50 "A -> B, direct"
	ping_ok b "$(tun a)" 50 "B -> A, direct"
	r1=$(cnt relay relayed) d1=$(cnt nata direct_in) o1=$(cnt nata direct_out)
	check "NAT A forwarded >= 100 datagrams each way between A and NAT B (in +$((d1 - d0)), out +$((o1 - o0)))" \
		test $((d1 - d0)) -ge 100 -a $((o1 - o0)) -ge 100
	check "the relay carried almost none of the 200 pings (+$((r1 - r0)))" test $((r1 - r0)) -lt 10
	local j
	j=$(W a show "$A" --json | jq '.[0]')
	check "show --json: B's srflx candidate ok with an RTT, a reason, one switch" \
		eval 'jq -e --arg k "$KB" ".peers[] | select(.public_key == \$k) |
			(.candidates[] | select(.kind == \"srflx\") | .state == \"ok\" and .rtt_ms >= 0) and
			(.path_reason | test(\"srflx candidate .* answered\")) and .path_switches == 1 and
			.path_switched_ms_ago >= 0" <<<"$j" >/dev/null'
	check "show: the path choice line" \
		eval 'W a show "$A" | grep -qF "  path choice: direct $(world_ep "$NATB_IP" 51820) (srflx candidate"'
	check "the relay keeps B's channel bound while direct" \
		eval '[ "$(peer_field a "$A" "$KB" .channel_state)" = ok ]'
	# The check key comes from A's private key: it appears nowhere.
	local priv hex
	priv=$(cat "${WG_KEYFILE[$A]}") hex=$(base64 -d <<<"$priv" | xxd -p -c 64)
	check "A's private key (base64 or hex) is in none of its state file, show, show --json, up's output" \
		eval '! { cat "/run/wgturn/$A.state" "$WORLD_TMP/up-$A.log"; W a show "$A"; W a show "$A" --json; } |
			grep -qiF -e "$priv" -e "$hex"'
}

# 2. Cut under a continuous ping, then restored.
failover() {
	local r0 r1
	r0=$(cnt relay relayed)
	recovery "direct path cut on NAT A" 0 direct_cut nata
	r1=$(cnt relay relayed)
	check "failover within 3 s (${RECOVERY["$FAM direct path cut on NAT A"]} ms)" \
		test "${RECOVERY["$FAM direct path cut on NAT A"]}" -le 3000
	expect_eq "both on the relay" "relay relay" "$(path_of a "$A" "$KB") $(path_of b "$B" "$KA")"
	check "the relay carried the pings meanwhile (+$((r1 - r0)))" test $((r1 - r0)) -ge 20
	check "the reason says why" eval 'peer_field a "$A" "$KB" .path_reason | grep -q "no answer on the direct path"'
	# the way back, under a ping every 0.1 s: one map update, nothing lost
	local t0=$SECONDS pp out
	# (ip netns exec execs ping: $! is ping's pid)
	ip netns exec "$NS_A" ping -i 0.1 -W 1 -w "$(tscale_int 50)" "$(tun b)" >"$WORLD_TMP/back.log" 2>&1 &
	pp=$!
	direct_uncut nata
	check "restored: A direct again within the retry period" path_is a "$A" "$KB" direct 40
	check "restored: B direct again" path_is b "$B" "$KA" direct 10
	echo "# back to direct $((SECONDS - t0)) s after the path came back"
	sleep 1
	kill "$pp"
	wait "$pp" 2>/dev/null
	# lost: the sequence numbers missing below the last answered one
	out=$(grep -o 'icmp_seq=[0-9]*' "$WORLD_TMP/back.log" | cut -d= -f2 |
		awk '{ n++; m = $1 } END { print m - n, n }')
	expect_eq "[$FAM] relay -> direct under a ping every 0.1 s: none lost (lost, answered: $out)" 0 "${out%% *}"
	ping_ok a "$(tun b)" 20 "A -> B, direct again"
}

# inject HEX FROM: the internet router sends HEX (a UDP payload) to A's
# public address and port from FROM (ADDR:PORT, not its own: IP_TRANSPARENT)
inject() {
	xxd -r -p <<<"$1" | in_ns inet timeout 5 socat -u - \
		"UDP4-SENDTO:$NATA4:51820,bind=$2,transparent"
}
# captured FILTER: the UDP payload (hex) of the first datagram from B's
# NAT to A's that the internet router sees and FILTER (a display filter
# on data.data, the payload) matches, within 15 s
captured() {
	in_ns inet timeout 15 tshark -l -n -i r-natb -d udp.port==51820,data \
		-f "udp and src host $NATB4 and dst host $NATA4 and port 51820" \
		-Y "$1" -T fields -e data.data 2>/dev/null | head -n 1
}

# 3. A third party that sees the wire and can send with B's address:
# forged checks (wrong integrity), a key A does not know, and B's own
# checks replayed. Only fresh answers to A's own checks count.
forgeries() {
	local req ans bad unk sw i0 i1
	# B's check to A (0x0001) and B's answer to A (0x0101), off the wire
	# (WireGuard sending: the daemons check every 0.5 s)
	local p1 p2
	in_ns a ping -c 30 -i 0.2 "$(tun b)" >/dev/null 2>&1 &
	p1=$!
	captured "data.data[0:2] == 00:01" >"$WORLD_TMP/req.hex" &
	p2=$!
	captured "data.data[0:2] == 01:01" >"$WORLD_TMP/ans.hex"
	wait "$p1" "$p2"
	req=$(cat "$WORLD_TMP/req.hex") ans=$(cat "$WORLD_TMP/ans.hex")
	check "captured one of B's checks and one of its answers" test -n "$req" -a -n "$ans"
	[ -n "$req" ] && [ -n "$ans" ] || return
	# one byte of the integrity value flipped; and another key's name
	bad=${req:0:$((${#req} - 24))}$(printf '%02x' $((0x${req:$((${#req} - 24)):2} ^ 1)))${req:$((${#req} - 22))}
	unk=${req:0:48}$(xxd -p -c 64 <<<"$(wg genkey | wg pubkey)" | cut -c1-88)${req:136}
	sw=$(peer_field a "$A" "$KB" .path_switches)
	i0=$(ignored a "$A")
	inject "$bad" "$NATB4:51820" && inject "$unk" "$NATB4:51820" &&
		inject "$req" "$NATB4:51820" && inject "$ans" "$NATB4:51820"
	sleep 1
	i1=$(ignored a "$A")
	echo "# ignored (invalid replayed unknown stray): $i0 -> $i1"
	check "direct: the forged, unknown, replayed check and replayed answer were each counted ($i0 -> $i1)" \
		eval 'set -- $i0 $i1; [ $5 -gt $1 ] && [ $6 -gt $2 ] && [ $7 -gt $3 ] && [ $8 -gt $4 ]'
	expect_eq "direct: no path change" "direct $sw" \
		"$(path_of a "$A" "$KB") $(peer_field a "$A" "$KB" .path_switches)"
	# Relayed (the direct path cut on the internet router, which still
	# sends itself): replayed answers and checks do not bring it back.
	direct_cut inet
	in_ns a ping -c 20 -i 0.2 "$(tun b)" >/dev/null 2>&1 &
	p1=$!
	check "cut on the internet router: A falls back to the relay" path_is a "$A" "$KB" relay 5
	wait "$p1"
	sw=$(peer_field a "$A" "$KB" .path_switches)
	for _ in 1 2 3; do
		inject "$ans" "$NATB4:51820"
		inject "$req" "$NATB4:51820"
		inject "$bad" "$NATB4:51820"
		sleep 0.5
	done
	sleep 2
	expect_eq "relayed: replays and forgeries from B's address change nothing" "relay $sw" \
		"$(path_of a "$A" "$KB") $(peer_field a "$A" "$KB" .path_switches)"
	direct_uncut inet
	check "uncut: direct again" path_is a "$A" "$KB" direct 40
}

# 4. Idle for 90 s behind NATs that forget a mapping after 20 s.
idle() {
	local sw
	both_direct "NATs with 20 s UDP timeouts"
	sw=$(peer_field a "$A" "$KB" .path_switches)
	echo "# idle 90 s"
	sleep 90
	expect_eq "after 90 s idle: still direct, no switch" "direct $sw" \
		"$(path_of a "$A" "$KB") $(peer_field a "$A" "$KB" .path_switches)"
	local d0 d1
	d0=$(cnt nata direct_in)
	ping_ok a "$(tun b)" 10 "A -> B after 90 s idle"
	ping_ok b "$(tun a)" 10 "B -> A after 90 s idle"
	d1=$(cnt nata direct_in)
	check "... on the direct path (NAT A in +$((d1 - d0)))" test $((d1 - d0)) -ge 20
}

# 5. B's NAT gives every destination another port: nothing direct works.
symmetric() {
	local r0 r1
	in_ns a ping -c 1 -W 1 "$(tun b)" >/dev/null 2>&1
	sleep "$(tscale 8)"	# longer than a round of checks
	expect_eq "port-randomising NAT B: both stay on the relay" "relay relay" \
		"$(path_of a "$A" "$KB") $(path_of b "$B" "$KA")"
	expect_eq "... B's srflx candidate was checked and never answered (checked, answers)" "true 0" \
		"$(peer_field a "$A" "$KB" '.candidates[] | select(.kind == "srflx") | "\(.checks_sent > 0) \(.answers)"')"
	r0=$(cnt relay relayed)
	ping_ok a "$(tun b)" 20 "A -> B via the relay"
	r1=$(cnt relay relayed)
	check "... and the relay carried it (+$((r1 - r0)))" test $((r1 - r0)) -ge 40
}

# 6. A2 on another LAN behind NAT A: the host candidates work, and win.
same_site() {
	A2=wdc$$
	world_add_a2 || { fail "world_add_a2"; return; }
	wg_up a2 "$A2" 51820 || { fail "WireGuard up on A2"; return; }
	wg_peer a "$A" "${WG_PUBKEY[$A2]}" - "$(allowed a2)"
	wg_peer a2 "$A2" "$KA" - "$(allowed a)"
	rdv_up a2 "$A2" || { fail "wgturn up $A2: $(cat "$WORLD_TMP/up-$A2.log")"; return; }
	in_ns a2 ping -c 1 -W 1 "$(tun a)" >/dev/null 2>&1
	check "same site: A2 goes direct to A" path_is a2 "$A2" "$KA" direct 15
	check "same site: A goes direct to A2" path_is a "$A" "${WG_PUBKEY[$A2]}" direct 15
	check "same site: first answer through the tunnel" wgt_ping_first a2 "$(tun a)"
	expect_eq "... through the host candidates" "$A4:51820 198.51.100.130:51820" \
		"$(peer_field a2 "$A2" "$KA" .direct) $(peer_field a "$A" "${WG_PUBKEY[$A2]}" .direct)"
	ping_ok a2 "$(tun a)" 20 "A2 -> A, host candidates"
	if [ "$_fails" -gt 0 ]; then	# what each side had, for the log
		{ in_ns a wg show "$A" endpoints; in_ns a2 wg show "$A2" endpoints
		  W a show "$A"; W a2 show "$A2"; } 2>&1 | sed 's/^/# /'
	fi
}

section() { # NAME NATB_FLAGS UDP_TIMEOUT FN...
	local name=$1 flags=$2 to=$3
	shift 3
	if ! direct_world "$flags" "$to"; then
		fail "$name: the world and both daemons up"
		direct_world_down
		return
	fi
	KA=${WG_PUBKEY[$A]} KB=${WG_PUBKEY[$B]}
	for f in "$@"; do "$f"; done
	direct_world_down
}

if [ -n "${E2E_DIRECT_ONLY:-}" ]; then
	# shellcheck disable=SC2086 # a list of sections
	section "endpoint-independent NATs" "" "" punch $E2E_DIRECT_ONLY
else
	section "endpoint-independent NATs" "" "" punch failover forgeries same_site
	section "20 s UDP timeouts" "" 20 idle
	section "port-randomising NAT B" fully-random "" symmetric
	FAM=v6
	section "IPv6 outer, endpoint-independent NAT66" "" "" punch failover
fi
recovery_summary
done_testing
