#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, direct paths: two wgturn daemons with the rendezvous find
# each other's candidates, punch holes with authenticated checks from
# WireGuard's own port, and move the tunnel off the relay when a check
# works both ways; back to the relay when the direct path breaks. Which
# path carried the traffic is read from nftables counters on the relay
# and on NAT A, not only from wgturn's own counters.
#  1. both sites behind endpoint-independent NAT: direct after the hole
#     punch; the relay carries nothing of the ping
#  2. the direct path cut under a continuous ping (drop rule on NAT A):
#     the relay takes over, outage bounded; restored: direct again within
#     the retry period
#  3. forged, unknown-key and replayed checks injected from the internet
#     router with the peer's address (it knows the published candidates):
#     counted, no path change
#  4. WireGuard idle behind NATs with a 20 s UDP timeout: the direct path
#     survives on the daemons' keepalives
#  5. B behind a port-randomising NAT: the relay stays
#  6. both on one site (A and A2 behind NAT A): host candidates, direct
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh

FS=/run/wgturn-direct-$$
A=wda$$
B=wdb$$
FAM=v4
WGTURN=$BUILD/wgturn

cleanup() { wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# path_of SITE IF KEY: the path wgturn's datapath has for peer KEY
path_of() {
	W "$1" show "$2" --json | jq -r --arg k "$3" \
		'.peers[] | select(.public_key == $k) | .path // "none"'
}
# path_is SITE IF KEY PATH SECONDS: waits for it
path_is() {
	local i
	for ((i = 0; i < $(tscale_int "$5") * 5; i++)); do
		[ "$(path_of "$1" "$2" "$3")" = "$4" ] && return 0
		sleep 0.2
	done
	return 1
}
switches() {
	W "$1" show "$2" --json | jq -r --arg k "$3" \
		'.peers[] | select(.public_key == $k) | .path_switches // 0'
}

# Counters: the relay's relayed ports (anything relayed between the
# peers), and NAT A's forwarding of B's public address to A's WireGuard
# port (the direct path).
counters_up() {
	in_ns relay nft -f - <<-EOF
		table inet cnt {
			counter relayed {}
			chain c_in {
				type filter hook input priority 0; policy accept;
				udp dport $TURN_MIN_PORT-$TURN_MAX_PORT counter name relayed
			}
		}
	EOF
	in_ns nata nft -f - <<-EOF
		table inet cnt {
			counter direct_in {}
			counter direct_out {}
			chain c_fwd {
				type filter hook forward priority -10; policy accept;
				ip saddr $NATB4 ip daddr $A4 counter name direct_in
				ip saddr $A4 ip daddr $NATB4 counter name direct_out
			}
		}
	EOF
}
cnt() { in_ns "$1" nft -j list counter inet cnt "$2" | jq '.nftables[1].counter.packets'; }

both_up() { # NATB_FLAGS
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || { fail "mount bpffs"; return 1; }
	WORLD_NATA_FLAGS="" WORLD_NATB_FLAGS=$1
	world_up v4 || { fail "world_up"; return 1; }
	knot_start || { fail "Knot DNS"; return 1; }
	wg_up a "$A" 51820 && wg_up b "$B" 51820 || { fail "WireGuard up"; return 1; }
	wg_peer a "$A" "${WG_PUBKEY[$B]}" - "$(allowed b)"
	wg_peer b "$B" "${WG_PUBKEY[$A]}" - "$(allowed a)"
	counters_up || { fail "nftables counters"; return 1; }
	T0=$(date +%s%N)
	rdv_up a "$A" || { fail "wgturn up $A: $(cat "$WORLD_TMP/up-$A.log")"; return 1; }
	rdv_up b "$B" || { fail "wgturn up $B: $(cat "$WORLD_TMP/up-$B.log")"; return 1; }
}

eim() {
	both_up "" || return 1
	check "A's WireGuard got B's relayed address" \
		endpoint_is a "$A" "${WG_PUBKEY[$B]}" "$(wgt_state "$B" .relayed)"
	in_ns a ping -c 1 -W 1 "$(tun b)" >/dev/null 2>&1	# a handshake
	check "A goes direct to B" path_is a "$A" "${WG_PUBKEY[$B]}" direct 15
	check "B goes direct to A" path_is b "$B" "${WG_PUBKEY[$A]}" direct 15
	echo "# direct after $((($(date +%s%N) - T0) / 1000000)) ms from the first up"
	W a show "$A" | sed 's/^/# /'
	local r0 d0 o0
	r0=$(cnt relay relayed) d0=$(cnt nata direct_in) o0=$(cnt nata direct_out)
	ping_ok a "$(tun b)" 50 "A -> B, direct"
	ping_ok b "$(tun a)" 50 "B -> A, direct"
	local r1 d1 o1
	r1=$(cnt relay relayed) d1=$(cnt nata direct_in) o1=$(cnt nata direct_out)
	echo "# relay +$((r1 - r0)), direct in +$((d1 - d0)), out +$((o1 - o0))"
	check "NAT A forwarded >= 100 packets each way between B's NAT and A (in +$((d1 - d0)), out +$((o1 - o0)))" \
		test $((d1 - d0)) -ge 100 -a $((o1 - o0)) -ge 100
	check "the relay carried almost nothing of the 200 pings (+$((r1 - r0)))" test $((r1 - r0)) -lt 10
}

eim
done_testing
