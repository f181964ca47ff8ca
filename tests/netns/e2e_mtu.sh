#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The tunnel MTU follows the path, relayed, with wireguard-go at the
# wg-quick default MTU 1420 and peers found through the rendezvous:
#  1. IPv6 outer path, uplinks at 1500: 1420 + 32 + 8 + 40 + 4 = 1504
#     does not fit. The daemons set the peer's tunnel MTU 1408 (1416
#     rounded down to WireGuard's padding of 16) on routes of its allowed
#     IPs (proto 87, mtu lock); a 20 MB TCP transfer through the tunnel
#     completes both ways
#  2. IPv4, site A's link to its NAT at MTU 1400, then 1280, changed
#     under the running daemons: A's path MTU and tunnel MTU follow
#     (1400 -> 1328, 1280 -> 1216), 20 MB both ways; back at 1500 the
#     tunnel MTU (1424) fits the interface's 1420 and the routes go
#  3. IPv4, a 1400-byte hop between NAT A and the internet (NAT A's wan
#     and the router's side of it), with the ICMP "fragmentation needed"
#     both routers send dropped, then allowed, then a 1280-byte hop with
#     ICMP dropped: A's probes (padded STUN
#     Bindings with DF from WireGuard's 5-tuple) find the path MTU to the
#     relay within the probe step (8); A's tunnel MTU follows
#     ((1396 - 64) rounded to 16 = 1328); 20 MB both ways; the search
#     time is printed
#  4. IPv4, a 1400-byte hop between NAT B and the internet, ICMP
#     dropped: A's leg to the relay stays 1500; A's probes through the
#     relay to B's daemon find the relay's leg to B (1400 within 8), and
#     A's tunnel MTU toward B follows (1328); 20 MB both ways
# Every time: nothing leaves a site toward the relay unencapsulated
# (nftables counters on both NATs: UDP to the relay's address on another
# port than the TURN port), no UDP checksum errors anywhere, show prints
# the path and tunnel MTU.
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh

FS=/run/wgturn-mtu-$$
A=wma$$
B=wmb$$
XFER=20M
T_XFER=$(tscale_int 25)

cleanup() { wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# leak_rules: count what leaves toward the relay other than to the TURN
# port or its DNS server (after the NAT's defragmentation: a fragment
# counts whole).
leak_rules() {
	local ns
	for ns in "$NS_NATA" "$NS_NATB"; do
		ip netns exec "$ns" nft -f - <<-EOF || return 1
			table inet wgt_leak {
				chain leaks {
					type filter hook forward priority 0;
					ip daddr $RELAY4 udp dport != { $TURN_PORT, 53 } counter comment "leak"
					ip6 daddr $RELAY6 udp dport != { $TURN_PORT, 53 } counter comment "leak"
				}
			}
		EOF
	done
}

# leaks: packets both NATs counted so far.
leaks() {
	local ns n=0 c
	for ns in "$NS_NATA" "$NS_NATB"; do
		for c in $(ip netns exec "$ns" nft list chain inet wgt_leak leaks |
			awk '/leak/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'); do
			n=$((n + c))
		done
	done
	echo $n
}

start() {
	local fam=$1 s
	mkdir -p "$FS" && { mountpoint -q "$FS" || mount -t bpf bpf "$FS"; } ||
		{ fail "mount bpffs"; return 1; }
	WG_MTU=1420
	world_up "$fam" || { fail "world_up $fam"; return 1; }
	FAM=$fam
	check "[$FAM] Knot DNS serves $DNS_ZONE" knot_start || return 1
	wg_up a "$A" 51820 && wg_up b "$B" 51820 || { fail "WireGuard up"; return 1; }
	wg_peer a "$A" "${WG_PUBKEY[$B]}" - "$(allowed b)"
	wg_peer b "$B" "${WG_PUBKEY[$A]}" - "$(allowed a)"
	for s in a b; do
		local ifn=$A
		[ $s = b ] && ifn=$B
		rdv_up $s "$ifn" || { fail "[$FAM] wgturn up $ifn: $(cat "$WORLD_TMP/up-$ifn.log")"; return 1; }
	done
	check "[$FAM] leak counters on both NATs" leak_rules || return 1
	check "[$FAM] first answer through the tunnel" wgt_ping_first a "$(tun b)"
	world_bg b iperf3 iperf3 -s -B "$(tun b)"
	_wait_for 5 sh -c "ip netns exec $NS_B ss -Htln | grep -q ':5201'" ||
		{ fail "[$FAM] iperf3 server"; return 1; }
}

# show_mtu SITE IF FIELD: the peer's FIELD from show --json.
show_mtu() { W "$1" show "$2" --json | jq -r ".[0].peers[0].$3 // empty"; }

# mtu_is SITE IF PATH TUNNEL: show reports them (waits 5 s, scaled).
mtu_is() {
	local i
	for ((i = 0; i < $(tscale_int 50); i++)); do
		[ "$(show_mtu "$1" "$2" path_mtu)" = "$3" ] &&
			[ "$(show_mtu "$1" "$2" tunnel_mtu)" = "$4" ] && return 0
		sleep 0.1
	done
	note "show: path_mtu $(show_mtu "$1" "$2" path_mtu), tunnel_mtu $(show_mtu "$1" "$2" tunnel_mtu)"
	return 1
}
note() { echo "# $*"; }

# route_mtu SITE DST: the MTU the site's kernel uses toward DST.
route_mtu() { in_ns "$1" ip route get "$2" | grep -oE 'mtu (lock )?[0-9]+' | grep -oE '[0-9]+$'; }

# xfer WHAT [-R]: 20 MB of TCP through the tunnel, A -> B (or B -> A):
# iperf3 ends when the sender has sent them all and exits 0.
xfer() {
	local what=$1 j bytes rc
	shift
	j=$(in_ns a timeout "$T_XFER" iperf3 -c "$(tun b)" -n "$XFER" -J "$@" 2>&1)
	rc=$?
	bytes=$(jq -r '.end.sum_sent.bytes // 0' <<<"$j" 2>/dev/null)
	note "$what: $(jq -r '"\(.end.sum_sent.bytes // 0) bytes sent in \(.end.sum_sent.seconds // 0) s, \(.end.sum_received.bytes // 0) received"' <<<"$j" 2>/dev/null) $(jq -r '.error // empty' <<<"$j" 2>/dev/null)"
	check "[$FAM] $what: 20 MB of TCP through the tunnel (iperf3 rc $rc)" \
		test "$rc" = 0 -a "${bytes:-0}" -ge $((20 * 1024 * 1024))
}

both_ways() {
	local tag=$1 l0
	l0=$(leaks)
	xfer "$tag, A -> B"
	xfer "$tag, B -> A" -R
	expect_eq "[$FAM] $tag: nothing left a site toward the relay unencapsulated" "$l0" "$(leaks)"
	check "[$FAM] $tag: no UDP checksum errors" world_csum_errors
}

v6_1420() {
	mtu_is a "$A" 1500 1408 && ok "[$FAM] A: path MTU 1500, tunnel MTU 1408" ||
		fail "[$FAM] A: path MTU 1500, tunnel MTU 1408"
	mtu_is b "$B" 1500 1408 && ok "[$FAM] B: path MTU 1500, tunnel MTU 1408" ||
		fail "[$FAM] B: path MTU 1500, tunnel MTU 1408"
	expect_eq "[$FAM] A's kernel: MTU toward B's tunnel address" 1408 "$(route_mtu a "$(tun b)")"
	check "[$FAM] A: a route of wgturn's own (proto 87) for B's /128" \
		sh -c "ip -n $NS_A -6 route show proto 87 | grep -q '$(tun b) dev $A .*mtu lock 1408'"
	check "[$FAM] show prints the path and tunnel MTU" \
		sh -c "ip netns exec $NS_A $WGTURN --bpffs $FS show $A | grep -q 'path mtu: 1500, tunnel mtu: 1408 (set on its routes: 1408)'"
	both_ways "IPv6 outer, MTU 1420"
}

link_mtu() { # MTU: site A's link to NAT A
	ip -n "$NS_A" link set eth0 mtu "$1" && ip -n "$NS_NATA" link set lan mtu "$1"
}

v4_small() {
	local m=$1 tun=$((($1 - 20 - 8 - 32 - 4) / 16 * 16))
	check "[$FAM] site A's link at MTU $m" link_mtu "$m"
	mtu_is a "$A" "$m" "$tun" && ok "[$FAM] A follows: path MTU $m, tunnel MTU $tun" ||
		fail "[$FAM] A follows: path MTU $m, tunnel MTU $tun"
	expect_eq "[$FAM] A's kernel: MTU toward B's tunnel address" "$tun" "$(route_mtu a "$(tun b)")"
	both_ways "A's link at $m"
}

hop_mtu() { # MTU [b]: the link between NAT A (or B) and the internet
	local s=${2:-a}
	ip -n "$(world_ns "nat$s")" link set wan mtu "$1" && ip -n "$NS_INET" link set "r-nat$s" mtu "$1"
}

# icmp_frag DROP|ACCEPT: the routers' own "fragmentation needed".
icmp_frag() {
	local ns
	for ns in "$NS_NATA" "$NS_NATB" "$NS_INET"; do
		ip netns exec "$ns" nft -f - <<-EOF || return 1
			table inet wgt_icmp
			delete table inet wgt_icmp
			table inet wgt_icmp {
				chain out {
					type filter hook output priority 0;
					icmp type destination-unreachable icmp code frag-needed counter $1
				}
			}
		EOF
	done
}

# relay_pmtu_is LO HI: the daemon's probed path MTU to the relay is in
# [LO, HI] (waits 20 s, scaled, for a search to end).
relay_pmtu_is() {
	local i v
	for ((i = 0; i < $(tscale_int 200); i++)); do
		v=$(wgt_state "$A" '.relay_path_mtu | select(.searching == false) | .value')
		[ -n "$v" ] && [ "$v" -ge "$1" ] && [ "$v" -le "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

hop() { # MTU drop|accept dropped|allowed
	local m=$1 icmp=$2 tag="$1 hop, ICMP $3" r
	check "[$FAM] $tag: set up" icmp_frag "$icmp"
	check "[$FAM] $tag: the hop at MTU $m" hop_mtu "$m"
	# flush what an earlier run taught A's kernel, then search anew
	in_ns a ip route flush cache
	check "[$FAM] $tag: wgturn down/up A (a new search)" W a down "$A"
	rdv_up a "$A" || fail "[$FAM] $tag: wgturn up $A: $(cat "$WORLD_TMP/up-$A.log")"
	if relay_pmtu_is $((m - 7)) "$m"; then
		ok "[$FAM] $tag: probed path MTU to the relay $(wgt_state "$A" .relay_path_mtu.value) ($m within 8)"
	else
		fail "[$FAM] $tag: probed path MTU to the relay: $(wgt_state "$A" .relay_path_mtu)"
	fi
	note "$tag: search took $(wgt_state "$A" .relay_path_mtu.search_ms) ms, $(wgt_state "$A" .relay_path_mtu.probes) probes"
	r=$(wgt_state "$A" .relay_path_mtu.value)
	mtu_is a "$A" "$r" $(((r - 64) / 16 * 16)) && ok "[$FAM] $tag: A's tunnel MTU $(((r - 64) / 16 * 16))" ||
		fail "[$FAM] $tag: A's tunnel MTU"
	check "[$FAM] $tag: first answer through the tunnel" wgt_ping_first a "$(tun b)"
	both_ways "$tag"
	hop_mtu 1500
}

# A 1400-byte hop between NAT B and the internet, ICMP dropped: A's own
# leg to the relay stays 1500, the relay's leg to B is the small one.
# A's probes through the relay (ChannelData to B's daemon, answered on
# B's channel back) find it; A's tunnel MTU toward B follows it.
far_hop() {
	local tag="1400 hop on B's side, ICMP dropped" v r i
	check "[$FAM] $tag: set up" icmp_frag drop
	check "[$FAM] $tag: the hop at MTU 1400" hop_mtu 1400 b
	in_ns a ip route flush cache
	in_ns b ip route flush cache
	check "[$FAM] $tag: wgturn down A" W a down "$A"
	check "[$FAM] $tag: wgturn down B" W b down "$B"
	rdv_up b "$B" || fail "[$FAM] $tag: wgturn up $B: $(cat "$WORLD_TMP/up-$B.log")"
	rdv_up a "$A" || fail "[$FAM] $tag: wgturn up $A: $(cat "$WORLD_TMP/up-$A.log")"
	check "[$FAM] $tag: first answer through the tunnel" wgt_ping_first a "$(tun b)"
	for ((i = 0; i < $(tscale_int 300); i++)); do
		v=$(show_mtu a "$A" peer_path_mtu)
		[ -n "$v" ] && [ "$v" -ge 1393 ] && [ "$v" -le 1400 ] && break
		sleep 0.1
	done
	if [ -n "$v" ] && [ "$v" -ge 1393 ] && [ "$v" -le 1400 ]; then
		ok "[$FAM] $tag: A's path MTU through the relay to B $v (1400 within 8), after $((i / 10)) s"
	else
		fail "[$FAM] $tag: A's path MTU through the relay to B: '${v}'"
	fi
	relay_pmtu_is 1493 1500 && ok "[$FAM] $tag: A's own leg to the relay still $(wgt_state "$A" .relay_path_mtu.value)" ||
		fail "[$FAM] $tag: A's own leg to the relay: $(wgt_state "$A" .relay_path_mtu)"
	r=${v:-1400}
	mtu_is a "$A" "$r" $(((r - 64) / 16 * 16)) && ok "[$FAM] $tag: A's tunnel MTU toward B $(((r - 64) / 16 * 16))" ||
		fail "[$FAM] $tag: A's tunnel MTU toward B"
	check "[$FAM] $tag: show prints the leg through the relay" \
		sh -c "ip netns exec $NS_A $WGTURN --bpffs $FS show $A | grep -q 'through the relay to the peer: $r'"
	both_ways "$tag"
	hop_mtu 1500 b
}

if start v6; then
	v6_1420
fi
cleanup
if start v4; then
	v4_small 1400
	v4_small 1280
	check "[$FAM] A's link back at 1500" link_mtu 1500
	mtu_is a "$A" 1500 1424 && ok "[$FAM] A follows: path MTU 1500, tunnel MTU 1424" ||
		fail "[$FAM] A follows back: path MTU 1500, tunnel MTU 1424"
	expect_eq "[$FAM] 1424 fits $A's 1420: no route of wgturn's left" "" \
		"$(ip -n "$NS_A" route show proto 87 table all)"
	hop 1400 drop dropped
	hop 1400 accept allowed
	hop 1280 drop dropped
	far_hop
fi
cleanup
trap - EXIT
done_testing
