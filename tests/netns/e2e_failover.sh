#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, several [Relay] sections with failover (issue 13): R1 is the
# world's coturn ($TURN_SERVER), R2 a second coturn on another address of
# the relay host (tests/lib/relays.sh), same user and password. Both
# sites behind symmetric NAT, WireGuard peers known by public key only:
# the rendezvous (Knot DNS, as in e2e_rendezvous.sh) tells each where the
# other's relayed address is, so a peer follows a relay change by itself.
# Each daemon's config lists R1 then R2; Direct = no keeps the path on the
# relays. Per outer family (E2E_FAMILIES, default v4):
#  1. `up` on R1 (the first [Relay]); the state lists both relays, R1
#     active; ping
#  2. under a ping both ways (-i 0.2), R1's turnserver is killed: both
#     daemons move to R2 and the tunnel comes back by itself within 60 s
#     (the outage is printed); the state and show --json list both relays
#     with R2 active; the zone's SRV and A records of A name A's relayed
#     address on R2
#  3. R1 still down at `up` time: `up` allocates on R2, the tunnel pings
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh
. tests/lib/relays.sh

FS=/run/wgturn-fo-$$
A=wfa$$
B=wfb$$
R2_4=203.0.113.2 R2_6=2001:db8:1::2

cleanup() {
	wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# show_json SITE IF: the instance object of show IF --json (an array of
# instances, or one object before issue 13's change)
show_json() { W "$1" show "$2" --json | jq '(if type == "array" then .[0] else . end)'; }

# up_two SITE IF: wgturn up with two [Relay] sections, R1 first
up_two() {
	cat >"$WORLD_TMP/$2.conf" <<-EOF
		[Relay]
		Server = $TURN_SERVER
		Username = $TURN_USER
		PasswordFile = $TURN_PASS_FILE

		[Relay]
		Server = $R2_SERVER
		Username = $TURN_USER
		PasswordFile = $TURN_PASS_FILE

		[Rendezvous]
		Zone = $DNS_ZONE
		Server = $DNS_SERVER
		TsigKeyFile = $DNS_KEY_FILE
		Direct = no
	EOF
	ip netns exec "$(world_ns "$1")" timeout "$(tscale 60)" "$WGTURN" --bpffs "$FS" \
		up "$2" --config "$WORLD_TMP/$2.conf" >"$WORLD_TMP/up-$2.log" 2>&1
}

# active IF: "INDEX HOST:PORT" of the active relay in IF's state file
# (relay_list[]: host, port, credentials, active)
active() {
	jq -r '.relay_list // [] | to_entries[] | select(.value.active) |
		"\(.key) \(if (.value.host | test(":")) then "[\(.value.host)]" else .value.host end):\(.value.port)"' \
		"/run/wgturn/$1.state" 2>/dev/null
}
relay_ip() { local r=${1%:*}; r=${r#[}; echo "${r%]}"; }

basic() { # FAM
	FAM=$1
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || { fail "mount bpffs"; return 1; }
	WORLD_NATA_FLAGS=fully-random WORLD_NATB_FLAGS=fully-random
	world_up "$FAM" || { fail "[$FAM] world_up"; return 1; }
	R2_IP=$R2_4
	[ "$FAM" = v6 ] && R2_IP=$R2_6
	check "[$FAM] the relay host has a second address ($R2_IP)" relay_addr "$R2_4" "$R2_6" || return 1
	check "[$FAM] R2: a second coturn on $R2_IP:$TURN_PORT" \
		relay_start r2 "$R2_IP" "$TURN_PORT" 49200 49249 lt-cred-mech "user=$TURN_USER:$TURN_PASS" || return 1
	R2_SERVER=${RELAY_SERVER[r2]}
	R1_EP=$(world_ep "$RELAY_IP" "$TURN_PORT")
	R2_EP=$(world_ep "$R2_IP" "$TURN_PORT")
	check "[$FAM] Knot DNS serves $DNS_ZONE" knot_start || return 1
	wg_up a "$A" 51820 && wg_up b "$B" 51820 || { fail "[$FAM] WireGuard up"; return 1; }
	wg_peer a "$A" "${WG_PUBKEY[$B]}" - "$(allowed b)"
	wg_peer b "$B" "${WG_PUBKEY[$A]}" - "$(allowed a)"
	local s
	for s in a b; do
		local ifn=$A
		[ $s = b ] && ifn=$B
		if up_two $s "$ifn"; then
			ok "[$FAM] up $ifn with two [Relay] sections ($(tail -n1 "$WORLD_TMP/up-$ifn.log"))"
		else
			fail "[$FAM] up $ifn with two [Relay] sections: $(cat "$WORLD_TMP/up-$ifn.log")"
			return 1
		fi
	done
	IA=$(instance "${WG_PUBKEY[$A]}")
	RA=$(wgt_state "$A" .relayed) RB=$(wgt_state "$B" .relayed)
	expect_eq "[$FAM] both allocated on R1 ($RA, $RB)" "$RELAY_IP $RELAY_IP" "$(relay_ip "$RA") $(relay_ip "$RB")"
	expect_eq "[$FAM] state: relay_list has both relays, R1 active (A; B)" \
		"2 0 $R1_EP; 2 0 $R1_EP" \
		"$(jq -r '.relay_list | length' "/run/wgturn/$A.state") $(active "$A"); $(jq -r '.relay_list | length' "/run/wgturn/$B.state") $(active "$B")"
	check "[$FAM] A's WireGuard got B's relayed address from the rendezvous" \
		endpoint_is a "$A" "${WG_PUBKEY[$B]}" "$RB"
	check "[$FAM] B's WireGuard got A's relayed address from the rendezvous" \
		endpoint_is b "$B" "${WG_PUBKEY[$A]}" "$RA"
	check "[$FAM] first answer through R1" first a "$(tun b)"
	ping_ok a "$(tun b)" 20 "A -> B through R1"
}

# R1 killed under a ping both ways: the daemons move to R2, the peers
# follow through the zone.
failover() {
	local la=$WORLD_TMP/ping-fo-a.log lb=$WORLD_TMP/ping-fo-b.log pa pb i n r1 s1 t0 t1 end ga gb out
	in_ns a ping -D -i 0.2 -W 1 -w "$(tscale_int 120)" "$(tun b)" >"$la" 2>&1 &
	pa=$!
	in_ns b ping -D -i 0.2 -W 1 -w "$(tscale_int 120)" "$(tun a)" >"$lb" 2>&1 &
	pb=$!
	sleep "$(tscale 2)"
	r1=$(grep -c 'bytes from' "$la") s1=$(grep -c 'bytes from' "$lb")
	t0=$(date +%s%N)
	coturn_stop
	ok "[$FAM] R1's turnserver killed under ping -i 0.2 both ways"
	# back when both daemons are on R2 and both pings got 10 new answers
	n=$(tscale_int 900)
	for ((i = 0; i < n; i++)); do
		sleep 0.1
		[ "$(active "$A")" = "1 $R2_EP" ] && [ "$(active "$B")" = "1 $R2_EP" ] &&
			[ $(($(grep -c 'bytes from' "$la") - r1)) -ge 10 ] &&
			[ $(($(grep -c 'bytes from' "$lb") - s1)) -ge 10 ] && break
	done
	t1=$(date +%s%N)
	sleep 1
	end=$(date +%s.%N)
	kill "$pa" "$pb" 2>/dev/null
	wait "$pa" "$pb" 2>/dev/null
	ga=$(gap "$la" "$end") gb=$(gap "$lb" "$end")
	out=$((ga > gb ? ga : gb))
	echo "# $FAM failover R1 -> R2: outage $out ms (longest silence A->B $ga ms, B->A $gb ms; settled after $(((t1 - t0) / 1000000)) ms)"
	check "[$FAM] failover: both daemons on R2 and the tunnel back both ways within 90 s (active A: $(active "$A"); B: $(active "$B"))" \
		test "$i" -lt "$n"
	check "[$FAM] failover: outage $out ms < 60000 ms" test "$out" -lt 60000
	RA=$(wgt_state "$A" .relayed) RB=$(wgt_state "$B" .relayed)
	expect_eq "[$FAM] failover: both allocated on R2 ($RA, $RB)" "allocated $R2_IP allocated $R2_IP" \
		"$(wgt_state "$A" .state) $(relay_ip "$RA") $(wgt_state "$B" .state) $(relay_ip "$RB")"
	expect_eq "[$FAM] failover: state relay_list: R1 then R2, R2 active" \
		"$R1_EP false $R2_EP true" \
		"$(jq -r '[.relay_list[] | (if (.host | test(":")) then "[\(.host)]" else .host end) + ":\(.port) \(.active)"] | join(" ")' "/run/wgturn/$A.state")"
	local j
	j=$(show_json a "$A")
	# proposed: show --json .relays[] one object per configured relay, in
	# order, with .server and .active (the active one also its state)
	expect_eq "[$FAM] failover: show --json .relays lists both relays, R2 active (.server .active)" \
		"$R1_EP false $R2_EP true" \
		"$(jq -r '[.relays[]? | "\(.server) \(.active)"] | join(" ")' <<<"$j")"
	expect_eq "[$FAM] failover: show --json: the active relay's relayed address" "$RA" \
		"$(jq -r '[.relays[]? | select(.active == true) | .relayed] | first // empty' <<<"$j")"
	# the zone names A's relayed address on R2 (kdig, not wgturn)
	check "[$FAM] failover: the SRV of A names the port of its relayed address on R2 (${RA##*:})" \
		eval 'for ((k = 0; k < 50; k++)); do [ "$(dig_ +short "$IA" SRV | cut -d" " -f3)" = "${RA##*:}" ] && break; sleep 0.2; done; [ $k -lt 50 ]'
	expect_eq "[$FAM] failover: the address record of A is R2's address" "$R2_IP" \
		"$(dig_ +short "$IA" "$([ "$FAM" = v6 ] && echo AAAA || echo A)")"
	check "[$FAM] failover: the WireGuard peers follow (A -> $RB, B -> $RA)" \
		eval 'endpoint_is a "$A" "${WG_PUBKEY[$B]}" "$RB" && endpoint_is b "$B" "${WG_PUBKEY[$A]}" "$RA"'
	ping_ok a "$(tun b)" 20 "A -> B through R2"
}

# R1 still down: a new `up` of A goes to R2 at once.
r1_down_at_up() {
	check "[$FAM] down $A" W a down "$A"
	if up_two a "$A"; then
		ok "[$FAM] R1 down at up time: up $A succeeds ($(tail -n1 "$WORLD_TMP/up-$A.log"))"
	else
		fail "[$FAM] R1 down at up time: up $A: $(cat "$WORLD_TMP/up-$A.log")"
		return
	fi
	RA=$(wgt_state "$A" .relayed)
	expect_eq "[$FAM] R1 down at up time: A allocated on R2, R2 active" "allocated $R2_IP 1 $R2_EP" \
		"$(wgt_state "$A" .state) $(relay_ip "$RA") $(active "$A")"
	check "[$FAM] R1 down at up time: B follows A to $RA" endpoint_is b "$B" "${WG_PUBKEY[$A]}" "$RA"
	check "[$FAM] R1 down at up time: first answer" first a "$(tun b)"
	ping_ok a "$(tun b)" 10 "R1 down at up time: A -> B through R2"
}

for FAM in ${E2E_FAMILIES:-v4}; do
	WORLD_PREFIX=wgf${FAM#v}$$
	if basic "$FAM"; then
		failover
		r1_down_at_up
	fi
	cleanup
done
trap - EXIT
done_testing
