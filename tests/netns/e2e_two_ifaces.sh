#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Two WireGuard interfaces on one uplink, both relayed: each site runs two
# wireguard-go interfaces (ports 51820 and 51821, their own keys and
# tunnel addresses) behind its NAT, and one `wgturn up` for each through
# the same coturn, peers found through the rendezvous (Knot DNS):
#  1. the second `up` on a site runs beside the first (its TC programs
#     after the first's, TC ingress behind the first's XDP); both tunnels
#     answer pings both ways, through the relay
#  2. `down` of the first interface's daemon on site A: the second
#     tunnel keeps answering without loss, A's uplink keeps the second's
#     programs only
#  3. the second's GSO veth deleted by hand: its daemon makes it anew
#     within seconds and the tunnel keeps answering
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh

FS=/run/wgturn-two-$$
A=wta$$
B=wtb$$
A2=wta2$$
B2=wtb2$$
FAM=v4
# The second interfaces' tunnel addresses.
declare -A TUN2=([a]=198.18.100.1 [b]=198.18.100.2) TUN2_6=([a]=2001:db8:fffe::1 [b]=2001:db8:fffe::2)

cleanup() { wgt_world_down "$WGTURN" "$FS" "$A2:a" "$B2:b" "$A:a" "$B:b"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# tc_filters SITE DIR: how many tc filters on the site's uplink.
tc_filters() {
	in_ns "$1" tc filter show dev eth0 "$2" | grep -c direct-action
}

start() {
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || { fail "mount bpffs"; return 1; }
	world_up v4 || { fail "world_up v4"; return 1; }
	check "Knot DNS serves $DNS_ZONE at $DNS_SERVER" knot_start || return 1
	wg_up a "$A" 51820 && wg_up b "$B" 51820 || { fail "WireGuard up"; return 1; }
	wg_up a "$A2" 51821 "${TUN2[a]}/24" "${TUN2_6[a]}/64" &&
		wg_up b "$B2" 51821 "${TUN2[b]}/24" "${TUN2_6[b]}/64" ||
		{ fail "second WireGuard interfaces up"; return 1; }
	wg_peer a "$A" "${WG_PUBKEY[$B]}" - "$(allowed b)"
	wg_peer b "$B" "${WG_PUBKEY[$A]}" - "$(allowed a)"
	wg_peer a "$A2" "${WG_PUBKEY[$B2]}" - "${TUN2[b]}/32"
	wg_peer b "$B2" "${WG_PUBKEY[$A2]}" - "${TUN2[a]}/32"
	# The first with native XDP (auto takes TC ingress on these veths):
	# the second then runs TC ingress behind it.
	local s ifn mode
	for s in a b; do
		for ifn in $([ $s = a ] && echo "$A $A2" || echo "$B $B2"); do
			mode=
			[ "$ifn" = "$A" ] || [ "$ifn" = "$B" ] && mode=native
			if ! E2E_XDP_MODE=$mode rdv_up $s "$ifn"; then
				fail "wgturn up $ifn: $(cat "$WORLD_TMP/up-$ifn.log")"
				return 1
			fi
			ok "wgturn up $ifn on site $s ($(tail -n1 "$WORLD_TMP/up-$ifn.log"))"
		done
		expect_eq "site $s: two tc egress filters on its uplink" 2 "$(tc_filters $s egress)"
	done
	expect_eq "the first up runs native XDP, as asked (show --json)" "xdp native" \
		"$(W a show "$A" --json | jq -r '.[0].uplinks[0].ingress')"
	expect_eq "the second up runs TC ingress behind the first's XDP (show --json)" "tc ingress" \
		"$(W a show "$A2" --json | jq -r '.[0].uplinks[0].ingress')"
	check "... and warns of nothing" sh -c "! grep -q warning '$WORLD_TMP/up-$A2.log'"
}

both() {
	check "A's $A got B's relayed address" \
		endpoint_is a "$A" "${WG_PUBKEY[$B]}" "$(wgt_state "$B" .relayed)"
	check "A's $A2 got B2's relayed address" \
		endpoint_is a "$A2" "${WG_PUBKEY[$B2]}" "$(wgt_state "$B2" .relayed)"
	check "first answer through $A" wgt_ping_first a "$(tun b)"
	check "first answer through $A2" wgt_ping_first a "${TUN2[b]}"
	ping_ok a "$(tun b)" 20 "A -> B on the first interfaces"
	ping_ok b "$(tun a)" 20 "B -> A on the first interfaces"
	ping_ok a "${TUN2[b]}" 20 "A -> B on the second interfaces"
	ping_ok b "${TUN2[a]}" 20 "B -> A on the second interfaces"
	local ifn
	for ifn in "$A" "$A2" "$B" "$B2"; do
		check "$ifn's peer is relayed with a bound channel" \
			wgt_channel_ready "$ifn" "$(wg_endpoint "${WG_SITE[$ifn]}" "$ifn" \
				"$(in_ns "${WG_SITE[$ifn]}" wg show "$ifn" peers)")"
	done
}

first_down() {
	local log=$WORLD_TMP/ping2.log
	in_ns a ping -D -i 0.1 -W 1 -c 60 "${TUN2[b]}" >"$log" 2>&1 &
	local pid=$!
	sleep 1
	check "wgturn down $A (the first, holding XDP) under a ping on the second" \
		W a down "$A"
	wait $pid
	local loss
	loss=$(sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' "$log")
	expect_eq "the second tunnel lost nothing meanwhile (loss %)" 0 "$loss"
	expect_eq "A's uplink keeps one tc egress filter" 1 "$(tc_filters a egress)"
	expect_eq "... and its tc ingress filter (no XDP left)" 1 "$(tc_filters a ingress)"
	expect_eq "... and no XDP" "" \
		"$(in_ns a ip -d link show dev eth0 | grep -oE ' xdp(generic)? ')"
	ping_ok a "${TUN2[b]}" 20 "A -> B on the second interfaces after the first's down"
	ping_ok b "${TUN2[a]}" 20 "B -> A on the second interfaces after the first's down"
}

# The second's GSO veth deleted behind its daemon's back: the daemon
# attaches again within seconds (a new pair, named in show --json), and
# the tunnel keeps answering.
gso_mended() {
	local up seg i got old now t0=$SECONDS
	up=$(in_ns a cat /sys/class/net/eth0/ifindex)
	seg=wgt51821-s$up
	check "A's second instance has its GSO veth $seg" in_ns a ip link show "$seg"
	old=$(in_ns a cat "/sys/class/net/$seg/ifindex")
	check "ip link del $seg" in_ns a ip link del "$seg"
	for ((i = 0; i < $(tscale_int 100); i++)); do
		now=$(in_ns a cat "/sys/class/net/$seg/ifindex" 2>/dev/null)
		got=$(W a show "$A2" --json 2>/dev/null | jq -r '.[0].uplinks[0].gso_link // empty')
		[ -n "$now" ] && [ "$got" = "$seg" ] && break
		sleep 0.1
	done
	check "the daemon made $seg anew (ifindex $old -> ${now:-none}, within $((SECONDS - t0 + 1)) s)" \
		test -n "$now" -a "$now" != "$old"
	expect_eq "show --json names it again" "$seg" "$got"
	ping_ok a "${TUN2[b]}" 20 "A -> B on the second interfaces after the veth was mended"
}

if start; then
	both
	first_down
	gso_mended
fi
cleanup
trap - EXIT
done_testing
