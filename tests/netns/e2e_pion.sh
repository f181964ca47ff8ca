#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end with a TURN server that is not coturn: Pion's library
# (tests/tools/pionturn.go over Debian's golang-github-pion-turn.v2-dev),
# started by the test in the relay namespace (scripts/world.sh pion_start),
# with the rendezvous of e2e_rendezvous.sh (Knot DNS). Dual-stack outer
# addressing, both sites behind symmetric NAT:
#  1. both sites relay through Pion over IPv4 and find each other through
#     the rendezvous; ping both ways
#  2. Pion restarted under a ping every 0.2 s both ways. Unlike coturn it
#     answers a Refresh for an allocation it lost with silence, not 437;
#     it does answer a Binding. The tunnel must come back by itself (both
#     reallocate, republish, re-resolve); the outage is printed; nothing
#     maps a stale address afterwards
#  3. the relay at its IPv6 address: wgturn asks for an IPv6 relayed
#     address, Pion (ignoring REQUESTED-ADDRESS-FAMILY) hands out IPv4:
#     `up` fails with one line naming the family and leaves nothing
#     attached
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh

FS=/run/wgturn-pion-$$
A=wpa$$
B=wpb$$
X=wpx$$

cleanup() { wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b" "$X:a"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ ! -x "$BUILD/tests/tools/pionturn" ]; then
	fail "no $BUILD/tests/tools/pionturn (make test-build; scripts/deps.sh installs Go and Pion)"
	done_testing
	exit
fi

# The relay's IPv4 address, where Pion hands out its relayed addresses.
FAM=v4
PION_V4="turn:$RELAY4:$PION_PORT"
PION_V6="turn:[$RELAY6]:$PION_PORT"

start() {
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || { fail "mount bpffs"; return 1; }
	WORLD_NATA_FLAGS=fully-random WORLD_NATB_FLAGS=fully-random
	world_up dual || { fail "world_up dual"; return 1; }
	check "Knot DNS serves $DNS_ZONE at $DNS_SERVER" knot_start || return 1
	check "Pion TURN server listens on udp $PION_PORT" pion_start || return 1
	wg_up a "$A" 51820 && wg_up b "$B" 51820 || { fail "WireGuard up"; return 1; }
	wg_peer a "$A" "${WG_PUBKEY[$B]}" - "$(allowed b)"
	wg_peer b "$B" "${WG_PUBKEY[$A]}" - "$(allowed a)"
	local s
	for s in a b; do
		local ifn=$A
		[ $s = b ] && ifn=$B
		if ! E2E_RELAY=$PION_V4 rdv_up $s "$ifn"; then
			fail "wgturn up $ifn with Pion at $PION_V4: $(cat "$WORLD_TMP/up-$ifn.log")"
			return 1
		fi
		ok "wgturn up $ifn with Pion at $PION_V4 ($(tail -n1 "$WORLD_TMP/up-$ifn.log"))"
	done
	check "A's WireGuard got B's relayed address from the rendezvous" \
		endpoint_is a "$A" "${WG_PUBKEY[$B]}" "$(wgt_state "$B" .relayed)"
	check "B's WireGuard got A's relayed address from the rendezvous" \
		endpoint_is b "$B" "${WG_PUBKEY[$A]}" "$(wgt_state "$A" .relayed)"
	check "first answer through the tunnel over Pion" wgt_ping_first a "$(tun b)"
	ping_ok a "$(tun b)" 20 "A -> B through Pion"
	ping_ok b "$(tun a)" 10 "B -> A through Pion"
}

ev_pion_restart() { pion_restart || fail "Pion restart"; }

restart() {
	local na nb ra rb
	na=$(wgt_state "$A" .allocations) nb=$(wgt_state "$B" .allocations)
	ra=$(wgt_state "$A" .relayed) rb=$(wgt_state "$B" .relayed)
	recovery "Pion restart (silence, not 437, to a lost allocation)" 0 ev_pion_restart
	check "after the Pion restart: both allocated again ($na -> $(wgt_state "$A" .allocations), $nb -> $(wgt_state "$B" .allocations))" \
		test "$(wgt_state "$A" .allocations)" -gt "$na" -a "$(wgt_state "$B" .allocations)" -gt "$nb"
	check "after the Pion restart: new relayed addresses ($ra -> $(wgt_state "$A" .relayed), $rb -> $(wgt_state "$B" .relayed))" \
		test "$ra" != "$(wgt_state "$A" .relayed)" -a "$rb" != "$(wgt_state "$B" .relayed)"
	local ia
	ia=$(instance "${WG_PUBKEY[$A]}")
	check "after the Pion restart: A's record follows its new allocation" \
		eval '[ "$(dig_ +short "$ia" SRV | cut -d" " -f3)" = "$(wgt_state "$A" .relayed | sed "s/.*://")" ]'
	# The case under test: Pion's log shows it got a request (Refresh,
	# permission, channel) for an allocation it no longer had; its code
	# returns without answering.
	check "the restarted Pion left a request for a lost allocation unanswered ($(grep -m1 -o 'no allocation found.*' "$PION_LOG"))" \
		grep -q "no allocation found" "$PION_LOG"
}

wrong_family() {
	local out rc
	wg_up a "$X" 51821 || { fail "WireGuard $X"; return; }
	out=$(W a up "$X" --relay "$PION_V6" --username "$TURN_USER" \
		--password-file "$TURN_PASS_FILE" 2>&1)
	rc=$?
	check "relay at its IPv6 address, IPv4 relayed address handed out: up fails (rc $rc)" \
		test "$rc" -ne 0
	expect_eq "... with one line" 1 "$(grep -c . <<<"$out")"
	check "... naming the family ($out)" \
		grep -q "not of its own address family (it ignores REQUESTED-ADDRESS-FAMILY)" <<<"$out"
	check "... and nothing left attached" test ! -e "$FS/wgturn/$X"
	check "... no state file" test ! -e "/run/wgturn/$X.state"
	wg_down "$X"
}

if start; then
	restart
	wrong_family
fi
cleanup
trap - EXIT
recovery_summary
done_testing
