#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end datapath test in network namespaces: wgturn's TC egress and
# XDP ingress programs on a real uplink, real routing, real checksums.
# A plain UDP socket on port 51820 stands in for WireGuard; udptool
# (tests/tools/udptool.c) sends and checks every byte.
#
# +--------------------------+     +------------------------+     +----------------------------+
# | $ns1: sender             |     | $ns2: router           |     | $ns3: relay, direct peer   |
# |                          |     |                        |     |                            |
# | udptool :51820 stands    |     | forwarding on          |     | relay 203.0.113.1:3478     |
# |   in for WireGuard       |     |                        |     |   [2001:db8:3::1]:3478     |
# | wgturn XDP + TC on s0    |     |                        |     | direct 198.51.100.20:51820 |
# |   (and s1 in test 8)     |     |                        |     |   [2001:db8:100::20]:51820 |
# | s0 tx csum on | off      |     |                        |     |                            |
# | rp_filter off            |     |                        |     |                            |
# |                          |     |                        |     |                            |
# | s0 192.0.2.2/24          |-----| r0 192.0.2.1/24        |     |                            |
# |    2001:db8:1::2/64      |     |    2001:db8:1::1/64    |     |                            |
# |                          |     |    tx csum off         |     |                            |
# | default via router       |     |                        |     |                            |
# |                          |     |                        |     |                            |
# | s1 198.18.0.2/24         |-----| r2 198.18.0.1/24       |     |                            |
# |    2001:db8:2::2/64      |     |    2001:db8:2::1/64    |     |                            |
# |    second uplink, test 8 |     |    tx csum off         |     |                            |
# |                          |     |                        |     |                            |
# |                          |     | r1 203.0.113.254/24    |-----| t0 203.0.113.1/24          |
# |                          |     |    198.51.100.254/24   |     |    198.51.100.20/24        |
# |                          |     |    2001:db8:3::fe/64   |     |    2001:db8:3::1/64        |
# |                          |     |    2001:db8:100::fe/64 |     |    2001:db8:100::20/64     |
# |                          |     |    tx csum off         |     | default via router         |
# +--------------------------+     +------------------------+     +----------------------------+
#
# WireGuard's endpoints E4 = 198.51.100.7:51820 and E6 = [2001:db8:100::7]:51820
# exist nowhere: wgturn maps them to the relay (channels 0x4001, 0x4006) or
# to the direct peer's address. Both router veths have tx checksum offload
# off, so every packet crossing the router has its checksum really
# computed, as on a NIC: a veth-only path never resolves CHECKSUM_PARTIAL
# and the receiver would trust a wrong checksum. Receivers' nstat
# UdpInCsumErrors, Udp6InCsumErrors and IpInHdrErrors must not move. Both
# UDP counters are checked for either family: this kernel (6.18) counts an
# IPv6 datagram over 76 bytes whose checksum fails at recvmsg() time in
# UdpInCsumErrors, not Udp6InCsumErrors.
#
# Tests, for IPv4 and IPv6, with s0's tx checksum offload on and off:
#  1. egress: datagrams from :51820 to E arrive at the relay as ChannelData
#     (channel, length, payload checked), counters tx_relay/tx_packets match;
#     one datagram 1 byte over the relay MTU is dropped and counted
#  2. ingress: ChannelData from the relay (plain and padded to 4) arrives at
#     :51820 from E with the payload intact; rx counters match; an unbound
#     channel passes untouched
#  3. direct path: egress reaches the direct address, replies from it
#     appear to come from E
#  4. detach removes pins, XDP, tc filters and unloads the programs
#  5. --xdp-mode skb, native and off (TC ingress instead of XDP), once each
# Under traffic: steady streams of STREAM (3000) datagrams, one per ms
# (~3 s), IPv4 and IPv6 side by side, checked for loss, duplicates, bytes:
#  6. re-attach: `wgturn attach` with the same arguments REATTACH (3) times
#     mid-stream, egress (ChannelData at the relay) then ingress (decap to
#     :51820): every datagram arrives, every program on s0 is replaced by a
#     new one and the old ones are unloaded, counters and per-peer stats
#     grow exactly by the streams, peers keep their mapping
#  7. path switch: `peer set E direct D`, then back to `relay`, mid-stream.
#     Egress: every sequence number arrives exactly once, at the relay as
#     ChannelData or at D plain; the relay gets a prefix and a suffix, D
#     exactly the contiguous middle. Ingress: the relay (ChannelData) and D
#     (plain) stream at once. A switch keeps the old path's ingress entry,
#     so packets still arriving on it keep coming from E and WireGuard
#     never roams away: the relay stream is decapsulated from start to end;
#     the D stream passes untouched until E is first mapped to D and comes
#     from E from then on, also after the switch back to the relay.
#     rx/tx counters equal what each path carried
#  8. two uplinks: attach on s0 and s1; show --json lists both with the
#     ingress mode ip link shows; E routed via s1 is relayed both ways;
#     re-attach with s0 only leaves s1 without XDP, tc filters or rewriting
#     while s0 still relays
#  9. two instances on s0, for two WireGuard ports (51820, 51821): the
#     second runs TC ingress behind the first's XDP and its tc filters
#     after the first's; both relay both ways; detaching either leaves the
#     other relaying; a third for a port already served is refused with
#     one line and leaves nothing behind
# 10. fragments: routes with MTU 1400 toward E (on the sender) and toward
#     the sender (on the relay) make the kernels fragment 1420-byte
#     datagrams; egress drops every fragment (none reaches the router
#     toward E, counted by nftables there; the kernel sends no more of a
#     datagram once its first fragment is refused), ingress drops the relay's
#     fragmented ChannelData (nothing reaches :51820); drop_fragment
#     counts each datagram, drop_rx_fragment each fragment
# 11. GSO: UDP_SEGMENT batches (control message and socket option) to E
#     arrive at the relay as one ChannelData per datagram, byte for byte,
#     through the uplink's veth pair; counters count datagrams; with the
#     veth deleted by hand they are dropped and counted, attach mends it
#
# Run as root from the repo root after `make test-build`.
set -u
: "${BUILD:=build}"
. tests/lib/tap.sh
# Deadlines, scaled for slow (emulated) machines: tests/lib/tap.sh.
T_CMD=$(tscale 10) T_XFER=$(tscale 20) T_BG=$(tscale 30)
T_RECV=$(tscale_int 10) T_READY=$(tscale_int 300)
UDPTOOL=$PWD/$BUILD/tests/tools/udptool

ns1=wgt-snd-$$
ns2=wgt-rtr-$$
ns3=wgt-rly-$$
NAME=nd$$
BPFFS=/run/wgturn-test-$$
tmp=$(mktemp -d /tmp/wgturn-netns.XXXXXX)
attached=0
pids=()

n1() { ip netns exec "$ns1" "$@"; }
n2() { ip netns exec "$ns2" "$@"; }
n3() { ip netns exec "$ns3" "$@"; }
# wgturn in the sender's namespace, bounded.
wgt() { timeout "$T_CMD" ip netns exec "$ns1" "$WGTURN" --bpffs "$BPFFS" "$@"; }
note() { echo "# $*"; }

cleanup() {
	local p ns
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ "$attached" = 1 ] && wgt detach "$NAME" >/dev/null 2>&1
	wgt detach "$NAME2" >/dev/null 2>&1
	for ns in "$ns1" "$ns2" "$ns3"; do ip netns del "$ns" 2>/dev/null; done
	if mountpoint -q "$BPFFS" 2>/dev/null; then umount "$BPFFS"; fi
	rmdir "$BPFFS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

bail() {
	fail "$*"
	exit 1
}

[ "$(id -u)" = 0 ] || bail "netns datapath test needs root"
[ -x "$WGTURN" ] || bail "$WGTURN not built (make)"
[ -x "$UDPTOOL" ] || bail "$UDPTOOL not built (make test-build)"
command -v jq >/dev/null || bail "jq not installed (needed to read show --json)"

# Addresses -----------------------------------------------------------------
S4=192.0.2.2
S6=2001:db8:1::2
RELAY4=203.0.113.1:3478
RELAY6="[2001:db8:3::1]:3478"
E4=198.51.100.7:51820
E6="[2001:db8:100::7]:51820"
D4=198.51.100.20:51820
D6="[2001:db8:100::20]:51820"
CHAN4=0x4001
CHAN6=0x4006
WGPORT=51820
# The sender's second uplink, s1 (test 8).
S4B=198.18.0.2
S6B=2001:db8:2::2
# Largest payloads that still fit a 1500 MTU with the 4-byte header.
MAX4=$((1500 - 20 - 8 - 4))
MAX6=$((1500 - 40 - 8 - 4))
N=20			# datagrams per size

# Per-family variables: fam 4 or 6 -> sender, relay, endpoint, ...
setfam() {
	if [ "$1" = 4 ]; then
		S=$S4:$WGPORT RELAY=$RELAY4 E=$E4 D=$D4 CHAN=$CHAN4 MAX=$MAX4
		SB=$S4B:$WGPORT EHOST=198.51.100.7/32 VIA=198.18.0.1
	else
		S=[$S6]:$WGPORT RELAY=$RELAY6 E=$E6 D=$D6 CHAN=$CHAN6 MAX=$MAX6
		SB=[$S6B]:$WGPORT EHOST=2001:db8:100::7/128 VIA=2001:db8:2::1
	fi
}

# Topology --------------------------------------------------------------------
setup() {
	local ns
	for ns in "$ns1" "$ns2" "$ns3"; do
		ip netns add "$ns" || return 1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
		ip -n "$ns" link set lo up
	done
	# Test 8 receives on s1 from addresses routed via s0.
	n1 sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	ip -n "$ns1" link add s0 type veth peer name r0 netns "$ns2" || return 1
	ip -n "$ns1" link add s1 type veth peer name r2 netns "$ns2" || return 1
	ip -n "$ns2" link add r1 type veth peer name t0 netns "$ns3" || return 1

	ip -n "$ns1" addr add $S4/24 dev s0
	ip -n "$ns1" addr add $S6/64 dev s0 nodad
	ip -n "$ns1" link set s0 up
	ip -n "$ns1" addr add $S4B/24 dev s1
	ip -n "$ns1" addr add $S6B/64 dev s1 nodad
	ip -n "$ns1" link set s1 up
	ip -n "$ns1" route add default via 192.0.2.1
	ip -n "$ns1" -6 route add default via 2001:db8:1::1

	n2 sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$ns2" addr add 192.0.2.1/24 dev r0
	ip -n "$ns2" addr add 2001:db8:1::1/64 dev r0 nodad
	ip -n "$ns2" addr add 203.0.113.254/24 dev r1
	ip -n "$ns2" addr add 198.51.100.254/24 dev r1
	ip -n "$ns2" addr add 2001:db8:3::fe/64 dev r1 nodad
	ip -n "$ns2" addr add 2001:db8:100::fe/64 dev r1 nodad
	ip -n "$ns2" addr add 198.18.0.1/24 dev r2
	ip -n "$ns2" addr add 2001:db8:2::1/64 dev r2 nodad
	ip -n "$ns2" link set r0 up
	ip -n "$ns2" link set r1 up
	ip -n "$ns2" link set r2 up
	# Checksums crossing the router are computed, as a NIC would.
	n2 ethtool -K r0 tx off >/dev/null || return 1
	n2 ethtool -K r1 tx off >/dev/null || return 1
	n2 ethtool -K r2 tx off >/dev/null || return 1

	ip -n "$ns3" addr add 203.0.113.1/24 dev t0
	ip -n "$ns3" addr add 198.51.100.20/24 dev t0
	ip -n "$ns3" addr add 2001:db8:3::1/64 dev t0 nodad
	ip -n "$ns3" addr add 2001:db8:100::20/64 dev t0 nodad
	ip -n "$ns3" link set t0 up
	ip -n "$ns3" route add default via 203.0.113.254
	ip -n "$ns3" -6 route add default via 2001:db8:3::fe

	# Resolve neighbours before counting anything.
	n1 ping -q -c1 -W2 203.0.113.1 >/dev/null &&
		n1 ping -q -c1 -W2 2001:db8:3::1 >/dev/null &&
		n1 ping -q -c1 -W2 198.51.100.20 >/dev/null &&
		n1 ping -q -c1 -W2 2001:db8:100::20 >/dev/null &&
		n1 ping -q -c1 -W2 198.18.0.1 >/dev/null &&
		n1 ping -q -c1 -W2 2001:db8:2::1 >/dev/null
}

# Counters ----------------------------------------------------------------------
# Receive-side error counters, absolute, without touching nstat's history.
CSUMS=(UdpInCsumErrors Udp6InCsumErrors IpInHdrErrors)
csum_snap() {
	ip netns exec "$1" nstat -asz "${CSUMS[@]}" 2>/dev/null |
		awk '!/^#/ { print $1, $2 }' >"$2"
}

# show --json's instance object (.[0] of the array it prints) into a file.
snap() {
	{ wgt show "$NAME" --json >"$1.raw" && jq -e '.[0]' "$1.raw" >"$1"; } 2>"$1.err" || {
		note "show --json failed: $(cat "$1.err")"
		echo '{}' >"$1"
	}
}

# jget FILE JQ-EXPR: a number, or NaN.
jget() {
	local v
	v=$(jq -r "$2" "$1" 2>/dev/null | head -n1)
	[[ $v =~ ^[0-9]+$ ]] && echo "$v" || echo NaN
}
counter() { jget "$1" ".counters.$2"; }
peer_field() { jget "$1" ".peers[]? | select(.endpoint == \"$2\") | .$3"; }

# expect_delta "what" expected before after
expect_delta() {
	if [ "$3" = NaN ] || [ "$4" = NaN ]; then
		fail "$1 (expected +$2, counter missing: before '$3' after '$4')"
	else
		expect_eq "$1" "$2" "$(($4 - $3))"
	fi
}

# csum_snap_all: snapshot every namespace's error counters.
csum_snap_all() {
	csum_snap "$ns1" "$tmp/csum.1"
	csum_snap "$ns2" "$tmp/csum.2"
	csum_snap "$ns3" "$tmp/csum.3"
}

# csum_unchanged "what" NS N: NS's error counters did not move since
# csum_snap_all (N: 1, 2 or 3, which snapshot).
csum_unchanged() {
	local what=$1 ns=$2 before=$tmp/csum.$3 after=$tmp/csum.after c b a
	local bad="" all=""
	csum_snap "$ns" "$after"
	for c in "${CSUMS[@]}"; do
		b=$(awk -v n="$c" '$1 == n { print $2 }' "$before")
		a=$(awk -v n="$c" '$1 == n { print $2 }' "$after")
		all="$all $c=${a:-?}"
		[ -n "$a" ] && [ "$a" = "$b" ] || bad="$bad $c ${b:-?} -> ${a:-?}"
	done
	if [ -z "$bad" ]; then
		ok "$what: error counters unchanged (${all# })"
	else
		fail "$what:$bad"
	fi
}

# Transfers ---------------------------------------------------------------------
# xfer "what" RECV_NS "recv args" SEND_NS "send args": start the receiver,
# wait until it is bound, send, and pass if the receiver got everything.
seqno=0
xfer() {
	local what=$1 rns=$2 rargs=$3 sns=$4 sargs=$5 pid rc i
	local rdy=$tmp/ready.$((++seqno)) out=$tmp/recv.$seqno
	local -
	set -f	# the args are split on spaces; [v6]:port is no glob
	# shellcheck disable=SC2086
	timeout "$T_XFER" ip netns exec "$rns" "$UDPTOOL" ${rargs%% *} --timeout "$(tscale_int 2)" ${rargs#* } \
		--ready "$rdy" >"$out" 2>&1 &
	pid=$!
	pids+=("$pid")
	for ((i = 0; i < T_READY; i++)); do
		[ -e "$rdy" ] && break
		sleep 0.01
	done
	# shellcheck disable=SC2086
	timeout "$T_XFER" ip netns exec "$sns" "$UDPTOOL" $sargs >"$out.send" 2>&1 ||
		note "sender: $(cat "$out.send")"
	wait "$pid"
	rc=$?
	sed 's/^/# /' "$out"
	if [ "$rc" = 0 ]; then ok "$what"; else fail "$what (udptool rc $rc)"; fi
}

# Egress through the relay: N datagrams of each size.
egress_relay() {
	local tag=$1 size sum=0 cnt=0 b=$tmp/b.json a=$tmp/a.json
	snap "$b"
	csum_snap_all
	for size in 64 513 1400 "$MAX"; do
		xfer "$tag egress relay: $N x $size bytes arrive as ChannelData $CHAN" \
			"$ns3" "recv-chandata --bind $RELAY --expect-from $S --channel $CHAN --count $N --size $size" \
			"$ns1" "send --bind $S --to $E --count $N --size $size"
		sum=$((sum + N * size))
		cnt=$((cnt + N))
	done
	snap "$a"
	expect_delta "$tag egress relay: counters.tx_relay" $cnt "$(counter "$b" tx_relay)" "$(counter "$a" tx_relay)"
	expect_delta "$tag egress relay: peer $E tx_packets" $cnt "$(peer_field "$b" "$E" tx_packets)" "$(peer_field "$a" "$E" tx_packets)"
	expect_delta "$tag egress relay: peer $E tx_bytes" $sum "$(peer_field "$b" "$E" tx_bytes)" "$(peer_field "$a" "$E" tx_bytes)"
	csum_unchanged "$tag egress relay: relay's" "$ns3" 3
	csum_unchanged "$tag egress relay: router's" "$ns2" 2

	# One byte too many for the relay path: dropped and counted.
	snap "$b"
	n1 "$UDPTOOL" send --bind "$S" --to "$E" --count 1 --size $((MAX + 1)) >/dev/null
	snap "$a"
	expect_delta "$tag egress relay: $((MAX + 1)) bytes counted in drop_too_big" 1 \
		"$(counter "$b" drop_too_big)" "$(counter "$a" drop_too_big)"
	expect_delta "$tag egress relay: $((MAX + 1)) bytes not counted in tx_relay" 0 \
		"$(counter "$b" tx_relay)" "$(counter "$a" tx_relay)"
}

# Ingress from the relay, plain and padded ChannelData.
ingress_relay() {
	local tag=$1 size pad sum=0 cnt=0 b=$tmp/b.json a=$tmp/a.json
	snap "$b"
	csum_snap_all
	for size in 64 513 1400 "$MAX" 61 510 1399; do
		pad=""
		[ $((size % 4)) = 0 ] || pad=--pad
		xfer "$tag ingress relay: $N x $size bytes${pad:+ (padded)} arrive from $E" \
			"$ns1" "recv --bind $S --expect-from $E --count $N --size $size" \
			"$ns3" "send-chandata --bind $RELAY --to $S --channel $CHAN --count $N --size $size $pad"
		sum=$((sum + N * size))
		cnt=$((cnt + N))
	done
	snap "$a"
	expect_delta "$tag ingress relay: counters.rx_relay" $cnt "$(counter "$b" rx_relay)" "$(counter "$a" rx_relay)"
	expect_delta "$tag ingress relay: peer $E rx_packets" $cnt "$(peer_field "$b" "$E" rx_packets)" "$(peer_field "$a" "$E" rx_packets)"
	expect_delta "$tag ingress relay: peer $E rx_bytes" $sum "$(peer_field "$b" "$E" rx_bytes)" "$(peer_field "$a" "$E" rx_bytes)"
	csum_unchanged "$tag ingress relay: sender's" "$ns1" 1
	csum_unchanged "$tag ingress relay: router's" "$ns2" 2

	# A channel nobody bound is not ours: it passes untouched.
	snap "$b"
	xfer "$tag ingress relay: unbound channel 0x4ffe passes untouched" \
		"$ns1" "recv-chandata --bind $S --expect-from $RELAY --channel 0x4ffe --count 3 --size 64" \
		"$ns3" "send-chandata --bind $RELAY --to $S --channel 0x4ffe --count 3 --size 64"
	snap "$a"
	expect_delta "$tag ingress relay: counters.pass_unknown_channel" 3 \
		"$(counter "$b" pass_unknown_channel)" "$(counter "$a" pass_unknown_channel)"
}

# Switch E to the direct address and back.
direct_path() {
	local tag=$1 b=$tmp/b.json a=$tmp/a.json
	check "$tag direct: peer set $E direct $D" wgt peer set "$NAME" "$E" direct "$D"
	snap "$a"
	expect_eq "$tag direct: show --json path" direct \
		"$(jq -r ".peers[]? | select(.endpoint == \"$E\") | .path" "$a")"
	snap "$b"
	csum_snap_all
	xfer "$tag direct: egress $N x 200 bytes reach $D" \
		"$ns3" "recv --bind $D --expect-from $S --count $N --size 200" \
		"$ns1" "send --bind $S --to $E --count $N --size 200"
	xfer "$tag direct: ingress $N x 300 bytes from $D arrive from $E" \
		"$ns1" "recv --bind $S --expect-from $E --count $N --size 300" \
		"$ns3" "send --bind $D --to $S --count $N --size 300"
	snap "$a"
	expect_delta "$tag direct: counters.tx_direct" $N "$(counter "$b" tx_direct)" "$(counter "$a" tx_direct)"
	expect_delta "$tag direct: counters.rx_direct" $N "$(counter "$b" rx_direct)" "$(counter "$a" rx_direct)"
	expect_delta "$tag direct: peer $E tx_bytes" $((N * 200)) "$(peer_field "$b" "$E" tx_bytes)" "$(peer_field "$a" "$E" tx_bytes)"
	expect_delta "$tag direct: peer $E rx_bytes" $((N * 300)) "$(peer_field "$b" "$E" rx_bytes)" "$(peer_field "$a" "$E" rx_bytes)"
	csum_unchanged "$tag direct: direct peer's" "$ns3" 3
	csum_unchanged "$tag direct: sender's" "$ns1" 1
	check "$tag direct: peer set $E back to relay" \
		wgt peer set "$NAME" "$E" relay "$RELAY" channel "$CHAN"
}

# Attach and detach ---------------------------------------------------------------
# xdp_on_link [IF]: "xdp", "xdpgeneric" or "" as ip link shows it on IF (s0).
xdp_on_link() {
	ip -n "$ns1" -d link show dev "${1:-s0}" | head -n1 |
		grep -oE ' xdp(generic|offload|multi)? ' | tr -d ' '
}

# prog_ids [IF]: ids of the XDP and tc programs on IF (s0), one a line.
prog_ids() {
	n1 bpftool -j net show dev "${1:-s0}" 2>/dev/null |
		jq -r '.[0] | ((.xdp // []) + (.tc // []))[] | .id' 2>/dev/null
}

# attach MODE: "" for the default (auto).
attach() {
	local mode=$1 got
	local args=(attach "$NAME" --uplink s0 --port "$WGPORT")
	[ -n "$mode" ] && args+=(--xdp-mode "$mode")
	if wgt "${args[@]}" >"$tmp/attach.out" 2>&1; then
		attached=1
		ok "attach ${mode:-auto}"
	else
		fail "attach ${mode:-auto}: $(cat "$tmp/attach.out")"
		return 1
	fi
	got=$(xdp_on_link)
	note "ip link shows '$got' on s0; show: $(wgt show "$NAME" --json 2>/dev/null | jq -c '.[0].uplinks' 2>/dev/null)"
	case $mode in
	skb) expect_eq "attach skb: generic XDP on s0" xdpgeneric "$got" ;;
	native) expect_eq "attach native: driver XDP on s0" xdp "$got" ;;
	off)
		expect_eq "attach off: no XDP on s0" "" "$got"
		check "attach off: tc ingress filter on s0" \
			test -n "$(tc -n "$ns1" filter show dev s0 ingress)"
		;;
	*)
		# s0 is a veth: auto takes TC ingress there (native XDP
		# would copy every packet and turn TSO off on s0's peer)
		expect_eq "attach auto on a veth: no XDP on s0" "" "$got"
		check "attach auto on a veth: tc ingress filter on s0" \
			test -n "$(tc -n "$ns1" filter show dev s0 ingress)"
		expect_eq "attach auto on a veth: show --json says why" "a veth" \
			"$(wgt show "$NAME" --json | jq -r '.[0].uplinks[0].ingress_reason' | cut -d: -f1)"
		;;
	esac
	check "attach ${mode:-auto}: tc egress filter on s0" \
		test -n "$(tc -n "$ns1" filter show dev s0 egress)"
	check "attach ${mode:-auto}: pins under $BPFFS/wgturn/$NAME" \
		test -n "$(find "$BPFFS/wgturn/$NAME" -mindepth 1 2>/dev/null)"
	check "peer set $E4 relay $RELAY4 channel $CHAN4" \
		wgt peer set "$NAME" "$E4" relay "$RELAY4" channel "$CHAN4"
	check "peer set $E6 relay $RELAY6 channel $CHAN6" \
		wgt peer set "$NAME" "$E6" relay "$RELAY6" channel "$CHAN6"
}

detach() {
	local mode=$1 ids id left i
	ids=$(prog_ids)
	if wgt detach "$NAME" >"$tmp/detach.out" 2>&1; then
		attached=0
		ok "detach ($mode)"
	else
		fail "detach ($mode): $(cat "$tmp/detach.out")"
	fi
	# Only wgturn/ is ours: maps.debug and progs.debug come with every
	# bpffs, and iproute2 may add ip/ and xdp/ to whichever bpffs it finds.
	left=$(find "$BPFFS/wgturn" -mindepth 1 2>/dev/null)
	expect_eq "detach ($mode): no pins left under $BPFFS/wgturn" "" "$left"
	check "detach ($mode): no $BPFFS/wgturn/$NAME" test ! -e "$BPFFS/wgturn/$NAME"
	expect_eq "detach ($mode): no XDP on s0 (ip -d link show)" "" "$(xdp_on_link)"
	expect_eq "detach ($mode): no tc egress filter on s0" "" \
		"$(tc -n "$ns1" filter show dev s0 egress)"
	expect_eq "detach ($mode): no tc ingress filter on s0" "" \
		"$(tc -n "$ns1" filter show dev s0 ingress)"
	expect_eq "detach ($mode): no GSO veth left" "" \
		"$(ip -n "$ns1" -o link show | grep -o "wgt$WGPORT-[sr][0-9]*")"
	# Programs are freed after an RCU grace period.
	for ((i = 0; i < 50; i++)); do
		left=""
		for id in $ids; do
			bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	expect_eq "detach ($mode): programs ${ids//$'\n'/ } unloaded" "" "$left"
}

# Under traffic -----------------------------------------------------------------------
# Steady streams: STREAM datagrams of SSIZE bytes, one per GAP_US (~3 s),
# with the action (re-attach, path switch) every STEP seconds meanwhile.
STREAM=3000
SSIZE=200
GAP_US=$(tscale_int 1000)
STEP=$(tscale 0.7)
REATTACH=3
# An attach itself takes a while (loading and verifying the programs:
# 0.3 s here, 3 s and more under qemu's TCG): re-attach streams run at
# half the rate (~6 s) and the attaches come every RESTEP seconds, so all
# of them land mid-stream on an emulated machine too.
RE_GAP_US=$((2 * GAP_US))
RESTEP=$(tscale 0.5)

# bg_start ID NS ARGS...: udptool ARGS in NS in the background, bounded;
# its output in $tmp/ID.out.
declare -A bg
bg_start() {
	local id=$1 ns=$2
	shift 2
	timeout "$T_BG" ip netns exec "$ns" "$UDPTOOL" "$@" >"$tmp/$id.out" 2>&1 &
	bg[$id]=$!
	pids+=("$!")
}

# bg_recv ID NS ARGS...: a receiver; returns once its sockets are bound.
bg_recv() {
	local id=$1 i
	rm -f "$tmp/$id.ready"
	bg_start "$@" --ready "$tmp/$id.ready"
	for ((i = 0; i < T_READY; i++)); do
		[ -e "$tmp/$id.ready" ] && return 0
		sleep 0.01
	done
	note "$id: receiver not ready after 3 s"
}

# bg_wait ID: its exit status; its output as comments.
bg_wait() {
	local rc
	wait "${bg[$1]}"
	rc=$?
	sed "s/^/# $1: /" "$tmp/$1.out"
	return $rc
}

bg_running() { kill -0 "${bg[$1]}" 2>/dev/null; }

# running "what" ID...: ok if every ID is still running (the action under
# test happened mid-stream, not after it).
running() {
	local what=$1 id late=""
	shift
	for id; do bg_running "$id" || late="$late $id"; done
	if [ -z "$late" ]; then ok "$what"; else fail "$what (already finished:$late)"; fi
}

# unloaded "what" IDS: the programs IDS are freed (after an RCU grace period).
unloaded() {
	local what=$1 ids=$2 id left i
	for ((i = 0; i < 50; i++)); do
		left=""
		for id in $ids; do
			bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	expect_eq "$what" "" "$left"
}

# grown "what" BEFORE AFTER: no counter went down, none disappeared.
grown() {
	local shrunk
	shrunk=$(jq -rn --slurpfile b "$2" --slurpfile a "$3" \
		'$b[0].counters // {} | to_entries[] |
		 select(($a[0].counters[.key] // -1) < .value) |
		 "\(.key) \(.value) -> \($a[0].counters[.key])"' 2>&1)
	if [ -n "$(jq -r '.counters // empty' "$3")" ] && [ -z "$shrunk" ]; then
		ok "$1"
	else
		fail "$1 (${shrunk:-no counters})"
	fi
}

# peers_sum FILE FIELD: FIELD summed over E4 and E6, or NaN.
peers_sum() {
	local x y
	x=$(peer_field "$1" "$E4" "$2")
	y=$(peer_field "$1" "$E6" "$2")
	[ "$x" = NaN ] || [ "$y" = NaN ] && echo NaN || echo $((x + y))
}

# mixed_seqs OUT AT FROM FORM: the sequence ranges recv-mixed reported for
# that path, "" if none.
mixed_seqs() {
	awk -v at="at=$2" -v from="from=$3" -v form="form=$4" \
		'$1 == "path" && $2 == at && $3 == from && $4 == form {
			sub(/^seq=/, "", $6); print $6 }' "$1"
}

# clip RANGES LO HI: the part of RANGES ("a-b,c-d") within [LO, HI].
clip() {
	echo "$1" | awk -v lo="$2" -v hi="$3" '{
		n = split($0, r, ","); out = ""
		for (i = 1; i <= n; i++) {
			split(r[i], x, "-"); a = x[1] + 0; b = x[2] + 0
			if (a < lo) a = lo
			if (b > hi) b = hi
			if (a <= b) out = out (out == "" ? "" : ",") a "-" b
		}
		print out }'
}

# nseq RANGES: how many sequence numbers.
nseq() {
	echo "$1" | awk -F, '{ n = 0; for (i = 1; i <= NF; i++) {
		split($i, x, "-"); n += x[2] - x[1] + 1 } } END { print n + 0 }'
}

# split_check "what" LO HI OUTER INNER: stream [LO, HI] took one way
# (OUTER) before and after a switch, the other (INNER) in between: INNER
# is one range a-b with LO < a <= b < HI and OUTER exactly LO-(a-1),(b+1)-HI.
split_check() {
	local what=$1 lo=$2 hi=$3 outer=$4 inner=$5 a b
	if [[ $inner =~ ^([0-9]+)-([0-9]+)$ ]]; then
		a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]}
		if ((lo < a && b < hi)); then
			expect_eq "$what: $inner switched" "$lo-$((a - 1)),$((b + 1))-$hi" "$outer"
			return
		fi
	fi
	fail "$what (switched part '$inner' is not one range inside $lo-$hi; the rest '$outer')"
}

# suffix_check "what" LO HI BEFORE AFTER: stream [LO, HI] took one way
# (BEFORE) until a switch and the other (AFTER) from then on: AFTER is one
# range a-HI with LO < a, and BEFORE exactly LO-(a-1).
suffix_check() {
	local what=$1 lo=$2 hi=$3 before=$4 after=$5 a
	if [[ $after =~ ^([0-9]+)-([0-9]+)$ ]] && ((BASH_REMATCH[2] == hi)); then
		a=${BASH_REMATCH[1]}
		if ((lo < a)); then
			expect_eq "$what: $after switched" "$lo-$((a - 1))" "$before"
			return
		fi
	fi
	fail "$what (switched part '$after' is not one range ending at $hi; the rest '$before')"
}

# 6. `wgturn attach` again, REATTACH times, under a stream in each family
# at once. DIR egress: :51820 -> E, ChannelData at the relay; ingress:
# ChannelData from the relay, at :51820 from E.
reattach_stream() {
	local dir=$1 b=$tmp/b.json a=$tmp/a.json fam k old new all_old="" common
	local tag="[re-attach, $dir]" tx=tx rc
	[ "$dir" = ingress ] && tx=rx
	snap "$b"
	csum_snap_all
	for fam in 4 6; do
		setfam $fam
		if [ "$dir" = egress ]; then
			bg_recv rcv$fam "$ns3" recv-chandata --bind "$RELAY" --expect-from "$S" \
				--channel "$CHAN" --count $STREAM --size $SSIZE --timeout $T_RECV
		else
			bg_recv rcv$fam "$ns1" recv --bind "$S" --expect-from "$E" \
				--count $STREAM --size $SSIZE --timeout $T_RECV
		fi
	done
	for fam in 4 6; do
		setfam $fam
		if [ "$dir" = egress ]; then
			bg_start snd$fam "$ns1" send --bind "$S" --to "$E" \
				--count $STREAM --size $SSIZE --gap-us $RE_GAP_US
		else
			bg_start snd$fam "$ns3" send-chandata --bind "$RELAY" --to "$S" \
				--channel "$CHAN" --count $STREAM --size $SSIZE --gap-us $RE_GAP_US
		fi
	done
	for ((k = 1; k <= REATTACH; k++)); do
		sleep $RESTEP
		old=$(prog_ids | sort)
		if wgt attach "$NAME" --uplink s0 --port $WGPORT >"$tmp/attach.out" 2>&1; then
			ok "$tag attach $k/$REATTACH with the same arguments"
		else
			fail "$tag attach $k/$REATTACH: $(cat "$tmp/attach.out")"
		fi
		new=$(prog_ids | sort)
		common=$(comm -12 <(echo "$old") <(echo "$new"))
		if [ -n "$old" ] && [ "$(wc -l <<<"$old")" = "$(wc -l <<<"$new")" ] &&
			[ -z "$common" ]; then
			ok "$tag attach $k: every program on s0 replaced (${old//$'\n'/ } -> ${new//$'\n'/ })"
		else
			fail "$tag attach $k: programs on s0 '${old//$'\n'/ }' -> '${new//$'\n'/ }'"
		fi
		all_old="$all_old ${old//$'\n'/ }"
	done
	running "$tag all $REATTACH attaches done mid-stream" snd4 snd6
	for fam in 4 6; do
		setfam $fam
		bg_wait snd$fam
		bg_wait rcv$fam
		rc=$?
		if [ "$rc" = 0 ]; then
			ok "[v$fam re-attach, $dir] $STREAM/$STREAM datagrams arrived $([ "$dir" = egress ] &&
				echo "at the relay as ChannelData $CHAN" || echo "at :51820 from $E"), 0 lost"
		else
			fail "[v$fam re-attach, $dir] stream (udptool rc $rc): $(tail -n1 "$tmp/rcv$fam.out")"
		fi
	done
	snap "$a"
	grown "$tag no counter went down" "$b" "$a"
	expect_delta "$tag counters.${tx}_relay" $((2 * STREAM)) \
		"$(counter "$b" ${tx}_relay)" "$(counter "$a" ${tx}_relay)"
	for fam in 4 6; do
		setfam $fam
		expect_delta "$tag peer $E ${tx}_packets" $STREAM \
			"$(peer_field "$b" "$E" ${tx}_packets)" "$(peer_field "$a" "$E" ${tx}_packets)"
		expect_delta "$tag peer $E ${tx}_bytes" $((STREAM * SSIZE)) \
			"$(peer_field "$b" "$E" ${tx}_bytes)" "$(peer_field "$a" "$E" ${tx}_bytes)"
		expect_eq "$tag peer $E still relayed via $RELAY channel $CHAN" "relay $RELAY $((CHAN))" \
			"$(jq -r --arg e "$E" '.peers[]? | select(.endpoint == $e) |
				"\(.path) \(.relay) \(.channel)"' "$a" 2>/dev/null)"
	done
	unloaded "$tag replaced programs${all_old} unloaded" "$all_old"
	if [ "$dir" = egress ]; then
		csum_unchanged "$tag relay's" "$ns3" 3
	else
		csum_unchanged "$tag sender's" "$ns1" 1
	fi
	csum_unchanged "$tag router's" "$ns2" 2
}

# 7. E switched to its direct address and back to the relay mid-stream,
# in each family at once.
switch_stream() {
	local dir=$1 b=$tmp/b.json a=$tmp/a.json fam out relay direct rx tx n last
	local tag="[path switch, $dir]" sum_relay=0 sum_direct=0 ids id rc
	# Start from E mapped to the relay only: no ingress entry for D left
	# from earlier tests.
	for fam in 4 6; do
		setfam $fam
		wgt peer del "$NAME" "$E" >/dev/null 2>&1
		check "$tag start: peer set $E relay $RELAY channel $CHAN" \
			wgt peer set "$NAME" "$E" relay "$RELAY" channel "$CHAN"
	done
	snap "$b"
	csum_snap_all
	for fam in 4 6; do
		setfam $fam
		if [ "$dir" = egress ]; then
			bg_recv rcv$fam "$ns3" recv-mixed --bind "$RELAY" --bind "$D" \
				--channel "$CHAN" --count $STREAM --size $SSIZE --timeout $T_RECV
		else
			bg_recv rcv$fam "$ns1" recv-mixed --bind "$S" \
				--channel "$CHAN" --count $((2 * STREAM)) --size $SSIZE --timeout $T_RECV
		fi
	done
	ids="snd4 snd6"
	for fam in 4 6; do
		setfam $fam
		if [ "$dir" = egress ]; then
			bg_start snd$fam "$ns1" send --bind "$S" --to "$E" \
				--count $STREAM --size $SSIZE --gap-us $GAP_US
		else
			# Relay: seq [0, STREAM) as ChannelData; D: [STREAM, 2 STREAM) plain.
			bg_start snd$fam "$ns3" send-chandata --bind "$RELAY" --to "$S" \
				--channel "$CHAN" --count $STREAM --size $SSIZE --gap-us $GAP_US
			bg_start dsnd$fam "$ns3" send --bind "$D" --to "$S" --seq $STREAM \
				--count $STREAM --size $SSIZE --gap-us $GAP_US
			ids="$ids dsnd$fam"
		fi
	done
	sleep $STEP
	for fam in 4 6; do
		setfam $fam
		check "$tag peer set $E direct $D" wgt peer set "$NAME" "$E" direct "$D"
	done
	sleep $STEP
	for fam in 4 6; do
		setfam $fam
		check "$tag peer set $E relay $RELAY channel $CHAN" \
			wgt peer set "$NAME" "$E" relay "$RELAY" channel "$CHAN"
	done
	# shellcheck disable=SC2086
	running "$tag both switches done mid-stream" $ids
	for id in $ids; do bg_wait "$id"; done
	for fam in 4 6; do
		setfam $fam
		tag="[v$fam path switch, $dir]"
		out=$tmp/rcv$fam.out
		bg_wait rcv$fam
		rc=$?
		n=$STREAM
		[ "$dir" = ingress ] && n=$((2 * STREAM))
		last=$((STREAM - 1))
		if [ "$dir" = egress ]; then
			relay=$(mixed_seqs "$out" "$RELAY" "$S" chandata)
			direct=$(mixed_seqs "$out" "$D" "$S" plain)
			if [ "$rc" = 0 ]; then
				ok "$tag $n/$n arrived exactly once: $(nseq "$relay") at the relay as ChannelData, $(nseq "$direct") at $D plain, none corrupt"
			else
				fail "$tag stream (udptool rc $rc): $(tail -n1 "$out")"
			fi
			split_check "$tag relay got seq 0-$last but the middle" 0 $last "$relay" "$direct"
			sum_relay=$((sum_relay + $(nseq "$relay")))
			sum_direct=$((sum_direct + $(nseq "$direct")))
		else
			rx=$(mixed_seqs "$out" "$S" "$E" plain)
			relay=$(mixed_seqs "$out" "$S" "$RELAY" chandata)
			direct=$(mixed_seqs "$out" "$S" "$D" plain)
			if [ "$rc" = 0 ]; then
				ok "$tag $n/$n arrived exactly once: $(nseq "$rx") from $E, $(nseq "$relay") untouched from the relay, $(nseq "$direct") untouched from $D, none corrupt"
			else
				fail "$tag streams (udptool rc $rc): $(tail -n1 "$out")"
			fi
			expect_eq "$tag relay stream decapsulated throughout, from $E" \
				"0-$last" "$(clip "$rx" 0 $last)"
			expect_eq "$tag no ChannelData passed untouched" "" "$relay"
			suffix_check "$tag $D stream from $E once mapped direct, and after" \
				$STREAM $((2 * STREAM - 1)) "$direct" "$(clip "$rx" $STREAM $((2 * STREAM - 1)))"
			sum_relay=$((sum_relay + $(nseq "$(clip "$rx" 0 $last)")))
			sum_direct=$((sum_direct + $(nseq "$(clip "$rx" $STREAM $((2 * STREAM - 1)))")))
		fi
	done
	tag="[path switch, $dir]"
	snap "$a"
	tx=tx
	[ "$dir" = ingress ] && tx=rx
	expect_delta "$tag counters.${tx}_relay" $sum_relay \
		"$(counter "$b" ${tx}_relay)" "$(counter "$a" ${tx}_relay)"
	expect_delta "$tag counters.${tx}_direct" $sum_direct \
		"$(counter "$b" ${tx}_direct)" "$(counter "$a" ${tx}_direct)"
	expect_delta "$tag ${tx}_packets of $E4 and $E6" $((sum_relay + sum_direct)) \
		"$(peers_sum "$b" ${tx}_packets)" "$(peers_sum "$a" ${tx}_packets)"
	for fam in 4 6; do
		setfam $fam
		expect_eq "$tag peer $E relayed via $RELAY channel $CHAN again" "relay $RELAY $((CHAN))" \
			"$(jq -r --arg e "$E" '.peers[]? | select(.endpoint == $e) |
				"\(.path) \(.relay) \(.channel)"' "$a" 2>/dev/null)"
	done
	if [ "$dir" = egress ]; then
		csum_unchanged "$tag relay's and direct peer's" "$ns3" 3
	else
		csum_unchanged "$tag sender's" "$ns1" 1
	fi
	csum_unchanged "$tag router's" "$ns2" 2
}

# ingress_of IF: the ingress mode show --json should say for IF, from what
# the kernel has on it.
ingress_of() {
	case $(xdp_on_link "$1") in
	xdp) echo "xdp native" ;;
	xdpgeneric) echo "xdp skb" ;;
	"") [ -n "$(tc -n "$ns1" filter show dev "$1" ingress)" ] && echo "tc ingress" ;;
	*) echo "? $(xdp_on_link "$1")" ;;
	esac
}

# 8. Two uplinks, then back to one.
two_uplinks() {
	local b=$tmp/b.json a=$tmp/a.json fam dev tx1 tag="[two uplinks]"
	if wgt attach "$NAME" --uplink s0 --uplink s1 --port $WGPORT >"$tmp/attach.out" 2>&1; then
		ok "$tag attach --uplink s0 --uplink s1"
	else
		fail "$tag attach --uplink s0 --uplink s1: $(cat "$tmp/attach.out")"
		return 1
	fi
	snap "$a"
	note "uplinks: $(jq -c '[.uplinks[]? | {name, ingress}]' "$a")"
	expect_eq "$tag show --json lists s0 and s1" "s0 s1" \
		"$(jq -r '[.uplinks[]?.name] | join(" ")' "$a")"
	for dev in s0 s1; do
		expect_eq "$tag $dev ingress mode in show --json is what ip link shows" \
			"$(ingress_of $dev)" \
			"$(jq -r --arg d $dev '.uplinks[]? | select(.name == $d) | .ingress' "$a")"
		check "$tag tc egress filter on $dev" \
			test -n "$(tc -n "$ns1" filter show dev $dev egress)"
	done

	# E routed via s1; the relay answers s1's address, so both ways use s1.
	for fam in 4 6; do
		setfam $fam
		check "[v$fam two uplinks] route $EHOST via s1" \
			ip -n "$ns1" route add "$EHOST" via "$VIA" dev s1
		tx1=$(n1 cat /sys/class/net/s1/statistics/tx_packets)
		xfer "[v$fam two uplinks] egress via s1: $N x 300 bytes arrive as ChannelData $CHAN" \
			"$ns3" "recv-chandata --bind $RELAY --expect-from $SB --channel $CHAN --count $N --size 300" \
			"$ns1" "send --bind $SB --to $E --count $N --size 300"
		check "[v$fam two uplinks] they left through s1" \
			test $(($(n1 cat /sys/class/net/s1/statistics/tx_packets) - tx1)) -ge $N
		xfer "[v$fam two uplinks] ingress via s1: $N x 300 bytes arrive from $E" \
			"$ns1" "recv --bind $SB --expect-from $E --count $N --size 300" \
			"$ns3" "send-chandata --bind $RELAY --to $SB --channel $CHAN --count $N --size 300"
	done

	tag="[back to one uplink]"
	if wgt attach "$NAME" --uplink s0 --port $WGPORT >"$tmp/attach.out" 2>&1; then
		ok "$tag attach --uplink s0"
	else
		fail "$tag attach --uplink s0: $(cat "$tmp/attach.out")"
	fi
	snap "$a"
	expect_eq "$tag show --json lists s0 only" "s0" \
		"$(jq -r '[.uplinks[]?.name] | join(" ")' "$a")"
	expect_eq "$tag no XDP on s1 (ip -d link show)" "" "$(xdp_on_link s1)"
	expect_eq "$tag no tc egress filter on s1" "" "$(tc -n "$ns1" filter show dev s1 egress)"
	expect_eq "$tag no tc ingress filter on s1" "" "$(tc -n "$ns1" filter show dev s1 ingress)"
	expect_eq "$tag no program on s1 (bpftool net)" "" "$(prog_ids s1)"
	check "$tag ingress program still on s0" \
		test -n "$(xdp_on_link s0)$(tc -n "$ns1" filter show dev s0 ingress)"
	check "$tag tc egress filter still on s0" \
		test -n "$(tc -n "$ns1" filter show dev s0 egress)"
	for fam in 4 6; do
		setfam $fam
		xfer "[v$fam back to one uplink] ChannelData via s1 passes untouched" \
			"$ns1" "recv-chandata --bind $SB --expect-from $RELAY --channel $CHAN --count 3 --size 64" \
			"$ns3" "send-chandata --bind $RELAY --to $SB --channel $CHAN --count 3 --size 64"
		snap "$b"
		tx1=$(n1 cat /sys/class/net/s1/statistics/tx_packets)
		n1 "$UDPTOOL" send --bind "$SB" --to "$E" --count 3 --size 64 >/dev/null
		snap "$a"
		check "[v$fam back to one uplink] egress to $E left through s1" \
			test $(($(n1 cat /sys/class/net/s1/statistics/tx_packets) - tx1)) -ge 3
		expect_delta "[v$fam back to one uplink] egress via s1 not relayed: counters.tx_relay" 0 \
			"$(counter "$b" tx_relay)" "$(counter "$a" tx_relay)"
		check "[v$fam back to one uplink] route $EHOST via s1 removed" \
			ip -n "$ns1" route del "$EHOST" via "$VIA" dev s1
		xfer "[v$fam back to one uplink] egress via s0: $N x 300 bytes arrive as ChannelData $CHAN" \
			"$ns3" "recv-chandata --bind $RELAY --expect-from $S --channel $CHAN --count $N --size 300" \
			"$ns1" "send --bind $S --to $E --count $N --size 300"
		xfer "[v$fam back to one uplink] ingress via s0: $N x 300 bytes arrive from $E" \
			"$ns1" "recv --bind $S --expect-from $E --count $N --size 300" \
			"$ns3" "send-chandata --bind $RELAY --to $S --channel $CHAN --count $N --size 300"
	done
}

# 10. Fragments ---------------------------------------------------------------------
# leak_count FAM: packets the router forwarded toward E (nft counter).
leak_count() {
	n2 nft list chain inet wgt_leak leaks 2>/dev/null |
		awk -v m="$1" '$0 ~ "leak" m { for (i = 1; i <= NF; i++)
			if ($i == "packets") print $(i + 1) }'
}

fragments() {
	local mode=$1 fam b=$tmp/b.json a=$tmp/a.json l0 f0 host shost
	n2 nft -f - <<-EOF || { fail "nft leak counter on the router"; return 1; }
		table inet wgt_leak {
			chain leaks {
				type filter hook forward priority 0;
				ip daddr ${E4%:*} counter comment "leak4"
				ip6 daddr 2001:db8:100::7 counter comment "leak6"
			}
		}
	EOF
	for fam in 4 6; do
		setfam $fam
		local tag="[v$fam fragments, $mode]"
		if [ $fam = 4 ]; then host=${E4%:*} shost=$S4; else host=2001:db8:100::7 shost=$S6; fi
		ip -n "$ns1" -$fam route add "$host" via "${VIA0[$fam]}" dev s0 mtu lock 1400
		ip -n "$ns3" -$fam route add "$shost" via "${VIA3[$fam]}" dev t0 mtu lock 1400
		snap "$b"
		l0=$(leak_count $fam) f0=$(fragfails $fam)
		xfer "$tag egress: none of $N x 1420 bytes (fragmented by the kernel) reach the relay" \
			"$ns3" "recv-chandata --timeout 1 --bind $RELAY --channel $CHAN --count 0 --size 1420" \
			"$ns1" "send --bind $S --to $E --count $N --size 1420"
		xfer "$tag ingress: none of $N x 1420 bytes of fragmented ChannelData reach :$WGPORT" \
			"$ns1" "recv --timeout 1 --bind $S --count 0 --size 1420" \
			"$ns3" "send-chandata --bind $RELAY --to $S --channel $CHAN --count $N --size 1420"
		snap "$a"
		expect_delta "$tag no fragment left toward $host (router's nft counter)" 0 \
			"$l0" "$(leak_count $fam)"
		# The kernel sends no more fragments once one is refused: it
		# counts the datagram in (Ip|Ip6)FragFails.
		expect_delta "$tag drop_fragment counts each datagram's first fragment" $N \
			"$(counter "$b" drop_fragment)" "$(counter "$a" drop_fragment)"
		expect_delta "$tag the kernel gave up on each datagram (${FRAGFAILS[$fam]})" $N \
			"$f0" "$(fragfails $fam)"
		expect_delta "$tag drop_rx_fragment counts both fragments of each" $((2 * N)) \
			"$(counter "$b" drop_rx_fragment)" "$(counter "$a" drop_rx_fragment)"
		expect_delta "$tag tx_relay unchanged" 0 \
			"$(counter "$b" tx_relay)" "$(counter "$a" tx_relay)"
		ip -n "$ns1" -$fam route del "$host" via "${VIA0[$fam]}" dev s0
		ip -n "$ns3" -$fam route del "$shost" via "${VIA3[$fam]}" dev t0
		n1 ip -$fam route flush cache 2>/dev/null
		n3 ip -$fam route flush cache 2>/dev/null
		xfer "$tag afterwards $N x 1400 bytes are relayed again" \
			"$ns3" "recv-chandata --bind $RELAY --expect-from $S --channel $CHAN --count $N --size 1400" \
			"$ns1" "send --bind $S --to $E --count $N --size 1400"
	done
	n2 nft delete table inet wgt_leak
}
declare -A FRAGFAILS=([4]=IpFragFails [6]=Ip6FragFails)
fragfails() {
	n1 nstat -asz "${FRAGFAILS[$1]}" | awk -v k="${FRAGFAILS[$1]}" '$1 == k { print $2 }'
}
declare -A VIA0=([4]=192.0.2.1 [6]=2001:db8:1::1) VIA3=([4]=203.0.113.254 [6]=2001:db8:3::fe)

# 9. Two instances on one uplink ------------------------------------------------------
NAME2=nd2-$$
PORT2=51821
# relays_both NAME PORT CHAN4 CHAN6 TAG: NAME's mapping of E relays both
# ways for WireGuard port PORT.
relays_both() {
	local name=$1 port=$2 c4=$3 c6=$4 tag=$5 fam src chan
	for fam in 4 6; do
		setfam $fam
		if [ $fam = 4 ]; then src=$S4:$port chan=$c4; else src=[$S6]:$port chan=$c6; fi
		xfer "[v$fam ${tag//[][]/}] $name egress: $N x 300 bytes from :$port arrive as ChannelData $chan" \
			"$ns3" "recv-chandata --bind $RELAY --expect-from $src --channel $chan --count $N --size 300" \
			"$ns1" "send --bind $src --to $E --count $N --size 300"
		xfer "[v$fam ${tag//[][]/}] $name ingress: ChannelData $chan arrives at :$port from $E" \
			"$ns1" "recv --bind $src --expect-from $E --count $N --size 300" \
			"$ns3" "send-chandata --bind $RELAY --to $src --channel $chan --count $N --size 300"
	done
}

# map_peers NAME CHAN4 CHAN6: E4 and E6 relayed on those channels.
map_peers() {
	check "$1: peer set $E4 relay $RELAY4 channel $2" \
		wgt peer set "$1" "$E4" relay "$RELAY4" channel "$2"
	check "$1: peer set $E6 relay $RELAY6 channel $3" \
		wgt peer set "$1" "$E6" relay "$RELAY6" channel "$3"
}

two_instances() {
	local tag="[two instances]" ids out
	# the first with native XDP (auto would take TC on this veth): the
	# second must then run TC ingress behind it
	check "$tag attach $NAME --xdp-mode native" \
		wgt attach "$NAME" --uplink s0 --port $WGPORT --xdp-mode native
	if wgt attach "$NAME2" --uplink s0 --port $PORT2 >"$tmp/attach2.out" 2>&1; then
		ok "$tag attach $NAME2 --uplink s0 --port $PORT2 beside $NAME"
	else
		fail "$tag attach $NAME2: $(cat "$tmp/attach2.out")"
		return 1
	fi
	expect_eq "$tag $NAME2 attaches without a word (a normal setup)" "" "$(cat "$tmp/attach2.out")"
	expect_eq "$tag $NAME2 runs TC ingress behind $NAME's XDP (show --json)" "tc ingress" \
		"$(wgt show "$NAME2" --json | jq -r '.[0].uplinks[0].ingress')"
	check "$tag $NAME's XDP still on s0" test -n "$(xdp_on_link s0)"
	expect_eq "$tag two tc egress filters on s0" 2 \
		"$(tc -n "$ns1" filter show dev s0 egress | grep -c 'direct-action')"
	map_peers "$NAME2" 0x4011 0x4016
	relays_both "$NAME" $WGPORT $CHAN4 $CHAN6 "$tag"
	relays_both "$NAME2" $PORT2 0x4011 0x4016 "$tag"

	ids=$(prog_ids)
	if wgt attach nd3-$$ --uplink s0 --port $WGPORT >"$tmp/attach3.out" 2>&1; then
		fail "$tag a third instance for port $WGPORT was attached"
		wgt detach nd3-$$ >/dev/null 2>&1
	else
		out=$(cat "$tmp/attach3.out")
		expect_eq "$tag a third for port $WGPORT: one line" 1 "$(wc -l <"$tmp/attach3.out")"
		check "$tag a third for port $WGPORT: says why ($out)" \
			grep -q "another instance for WireGuard port $WGPORT" "$tmp/attach3.out"
	fi
	check "$tag the refused one left no pins" test ! -e "$BPFFS/wgturn/nd3-$$"
	expect_eq "$tag the refused one left the programs as they were" \
		"$(echo $ids)" "$(echo $(prog_ids))"
	check "$tag the refused one left $NAME's GSO veth pair" \
		ip -n "$ns1" link show "wgt$WGPORT-s$(ip -n "$ns1" -o link show s0 | cut -d: -f1)"

	tag="[two instances, first detached]"
	check "$tag detach $NAME" wgt detach "$NAME" && attached=0
	expect_eq "$tag one tc egress filter left on s0" 1 \
		"$(tc -n "$ns1" filter show dev s0 egress | grep -c 'direct-action')"
	relays_both "$NAME2" $PORT2 0x4011 0x4016 "$tag"

	tag="[two instances, first back]"
	check "$tag attach $NAME" wgt attach "$NAME" --uplink s0 --port $WGPORT --xdp-mode native && attached=1
	map_peers "$NAME" $CHAN4 $CHAN6
	relays_both "$NAME" $WGPORT $CHAN4 $CHAN6 "$tag"
	relays_both "$NAME2" $PORT2 0x4011 0x4016 "$tag"

	tag="[two instances, second detached]"
	check "$tag detach $NAME2" wgt detach "$NAME2"
	expect_eq "$tag no tc ingress filter left on s0 ($NAME has XDP)" "" \
		"$(tc -n "$ns1" filter show dev s0 ingress)"
	check "$tag $NAME's XDP still on s0" test -n "$(xdp_on_link s0)"
	relays_both "$NAME" $WGPORT $CHAN4 $CHAN6 "$tag"
}

# GSO batches -------------------------------------------------------------------------
# UDP GSO (UDP_SEGMENT) batches to a relayed endpoint, as newer
# wireguard-go sends them: every datagram must reach the relay as its own
# ChannelData, byte for byte, through the uplink's veth pair (the kernel
# segments there; the segments come back encapsulated). Batches of 16 by
# control message, of 8 by socket option at the largest size that fits.
# Paced (a batch per GSO_GAP_US) so no receive queue overflows; the
# throughput against unbatched is make bench's.
GSO_N=640
GSO_GAP_US=$(tscale_int 300)
gso_batches() {
	local fam tag b=$tmp/b.json a=$tmp/a.json seg ret up cnt
	up=$(ip -n "$ns1" -o link show s0 | cut -d: -f1)
	seg=wgt$WGPORT-s$up ret=wgt$WGPORT-r$up
	check "[gso] veth $seg exists, GSO limited to 1 segment" \
		sh -c "ip -n $ns1 -d link show $seg | grep -q 'gso_max_segs 1 '"
	check "[gso] $ret carries wgt_tc_gso_return on TC ingress" \
		sh -c "tc -n $ns1 filter show dev $ret ingress | grep -q wgt_tc_gso_ret"
	expect_eq "[gso] show --json names s0's gso_link" "$seg" \
		"$(wgt show "$NAME" --json | jq -r '.[0].uplinks[] | select(.name == "s0") | .gso_link')"
	for fam in 4 6; do
		setfam $fam
		tag="[v$fam gso]"
		snap "$b"
		csum_snap_all
		xfer "$tag $GSO_N x 1200 bytes in batches of 16 (cmsg) arrive as ChannelData $CHAN" \
			"$ns3" "recv-chandata --bind $RELAY --expect-from $S --channel $CHAN --count $GSO_N --size 1200" \
			"$ns1" "send --bind $S --to $E --count $GSO_N --size 1200 --gso 16 --gap-us $GSO_GAP_US"
		xfer "$tag $GSO_N x $MAX bytes in batches of 8 (sockopt) arrive as ChannelData $CHAN" \
			"$ns3" "recv-chandata --bind $RELAY --expect-from $S --channel $CHAN --count $GSO_N --size $MAX" \
			"$ns1" "send --bind $S --to $E --count $GSO_N --size $MAX --gso 8 --gso-sockopt --gap-us $GSO_GAP_US"
		snap "$a"
		cnt=$((2 * GSO_N))
		expect_delta "$tag tx_gso_split counts datagrams" $cnt "$(counter "$b" tx_gso_split)" "$(counter "$a" tx_gso_split)"
		expect_delta "$tag tx_relay counts each segment" $cnt "$(counter "$b" tx_relay)" "$(counter "$a" tx_relay)"
		expect_delta "$tag pass_encapsulated: each segment back out of s0" $cnt \
			"$(counter "$b" pass_encapsulated)" "$(counter "$a" pass_encapsulated)"
		expect_delta "$tag drop_gso" 0 "$(counter "$b" drop_gso)" "$(counter "$a" drop_gso)"
		expect_delta "$tag drop_gso_return" 0 "$(counter "$b" drop_gso_return)" "$(counter "$a" drop_gso_return)"
		expect_delta "$tag peer $E tx_packets" $cnt "$(peer_field "$b" "$E" tx_packets)" "$(peer_field "$a" "$E" tx_packets)"
		expect_delta "$tag peer $E tx_bytes" $((GSO_N * (1200 + MAX))) \
			"$(peer_field "$b" "$E" tx_bytes)" "$(peer_field "$a" "$E" tx_bytes)"
		csum_unchanged "$tag relay's" "$ns3" 3
		csum_unchanged "$tag router's" "$ns2" 2
	done

	# The veth deleted by hand: batches are dropped and counted, never
	# lost silently; attach makes it anew.
	setfam 4
	tag="[gso, veth deleted]"
	check "$tag ip link del $seg" ip -n "$ns1" link del "$seg"
	snap "$b"
	xfer "$tag nothing reaches the relay" \
		"$ns3" "recv-chandata --timeout 1 --bind $RELAY --channel $CHAN --count 0 --size 1200" \
		"$ns1" "send --bind $S --to $E --count 32 --size 1200 --gso 16"
	snap "$a"
	expect_delta "$tag drop_gso counts the datagrams" 32 "$(counter "$b" drop_gso)" "$(counter "$a" drop_gso)"
	expect_delta "$tag tx_gso_split" 0 "$(counter "$b" tx_gso_split)" "$(counter "$a" tx_gso_split)"
	check "$tag attach again" wgt attach "$NAME" --uplink s0 --port "$WGPORT"
	check "$tag the pair is back" ip -n "$ns1" link show "$seg"
	xfer "$tag then batches arrive again" \
		"$ns3" "recv-chandata --bind $RELAY --expect-from $S --channel $CHAN --count 64 --size 1200" \
		"$ns1" "send --bind $S --to $E --count 64 --size 1200 --gso 16 --gap-us $GSO_GAP_US"
	expect_eq "$tag gso_links holds the live pairs only (2 entries)" 2 \
		"$(bpftool map dump pinned "$BPFFS/wgturn/$NAME/gso_links" -j | jq length)"
}

# Main -------------------------------------------------------------------------------
mkdir -p "$BPFFS" || bail "mkdir $BPFFS"
mount -t bpf bpf "$BPFFS" || bail "mount bpffs at $BPFFS"
setup || bail "topology setup"
ok "topology up, neighbours resolved"

if attach ""; then
	for offload in on off; do
		n1 ethtool -K s0 tx $offload >/dev/null
		state=$(n1 ethtool -k s0 | awk '/^tx-checksumming:/ { print $2 }')
		expect_eq "s0 tx checksumming $offload" $offload "$state"
		for fam in 4 6; do
			setfam $fam
			tag="[v$fam tx-csum $offload]"
			egress_relay "$tag"
			ingress_relay "$tag"
			direct_path "$tag"
		done
	done

	# Under traffic, with checksum offload as it usually is.
	n1 ethtool -K s0 tx on >/dev/null
	reattach_stream egress
	reattach_stream ingress
	switch_stream egress
	switch_stream ingress
	two_uplinks
	two_instances
	fragments "xdp"
	gso_batches

	check "WGTURN_BPFFS names the bpffs" env WGTURN_BPFFS="$BPFFS" \
		timeout "$T_CMD" ip netns exec "$ns1" "$WGTURN" show "$NAME" --json >/dev/null

	# peer del: E4's mapping and channel are gone in both directions.
	setfam 4
	check "peer del $E4" wgt peer del "$NAME" "$E4"
	snap "$tmp/b.json"
	expect_eq "peer del $E4: gone from show --json" "" \
		"$(jq -r ".peers[]? | select(.endpoint == \"$E4\") | .endpoint" "$tmp/b.json")"
	xfer "peer del $E4: egress to it is no longer relayed" \
		"$ns3" "recv-chandata --timeout 1 --bind $RELAY --channel $CHAN --count 0 --size 64" \
		"$ns1" "send --bind $S --to $E --count 3 --size 64"
	xfer "peer del $E4: ChannelData $CHAN passes untouched" \
		"$ns1" "recv-chandata --bind $S --expect-from $RELAY --channel $CHAN --count 3 --size 64" \
		"$ns3" "send-chandata --bind $RELAY --to $S --channel $CHAN --count 3 --size 64"
	snap "$tmp/a.json"
	expect_delta "peer del $E4: tx_relay unchanged" 0 \
		"$(counter "$tmp/b.json" tx_relay)" "$(counter "$tmp/a.json" tx_relay)"
	expect_delta "peer del $E4: rx_relay unchanged" 0 \
		"$(counter "$tmp/b.json" rx_relay)" "$(counter "$tmp/a.json" rx_relay)"
	note "counters: $(jq -c .counters "$tmp/a.json")"

	detach auto
	# E6 was still mapped: after detach its ChannelData arrives as sent.
	setfam 6
	xfer "after detach: ChannelData $CHAN from the relay passes untouched" \
		"$ns1" "recv-chandata --bind $S --expect-from $RELAY --channel $CHAN --count 3 --size 64" \
		"$ns3" "send-chandata --bind $RELAY --to $S --channel $CHAN --count 3 --size 64"
fi

n1 ethtool -K s0 tx on >/dev/null
for mode in skb native off; do
	attach $mode || continue
	for fam in 4 6; do
		setfam $fam
		tag="[v$fam xdp $mode]"
		csum_snap_all
		xfer "$tag egress relay: $N x $MAX bytes arrive as ChannelData $CHAN" \
			"$ns3" "recv-chandata --bind $RELAY --expect-from $S --channel $CHAN --count $N --size $MAX" \
			"$ns1" "send --bind $S --to $E --count $N --size $MAX"
		xfer "$tag ingress relay: $N x $MAX bytes arrive from $E" \
			"$ns1" "recv --bind $S --expect-from $E --count $N --size $MAX" \
			"$ns3" "send-chandata --bind $RELAY --to $S --channel $CHAN --count $N --size $MAX"
		xfer "$tag ingress relay: $N x 61 bytes (padded) arrive from $E" \
			"$ns1" "recv --bind $S --expect-from $E --count $N --size 61" \
			"$ns3" "send-chandata --bind $RELAY --to $S --channel $CHAN --count $N --size 61 --pad"
		csum_unchanged "$tag sender's" "$ns1" 1
		csum_unchanged "$tag relay's" "$ns3" 3
	done
	[ "$mode" = off ] && fragments "tc ingress"
	detach $mode
done

for n in "$ns1" "$ns2" "$ns3"; do
	note "$n totals: $(ip netns exec "$n" nstat -asz "${CSUMS[@]}" UdpInDatagrams Udp6InDatagrams 2>/dev/null |
		awk '!/^#/ { printf "%s=%s ", $1, $2 }')"
done
done_testing
