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
# | s0 tx csum on | off      |     |                        |     |   [2001:db8:100::20]:51820 |
# |                          |     |                        |     |                            |
# | s0 192.0.2.2/24          |-----| r0 192.0.2.1/24        |     |                            |
# |    2001:db8:1::2/64      |     |    2001:db8:1::1/64    |     |                            |
# |                          |     |    tx csum off         |     |                            |
# | default via router       |     |                        |     |                            |
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
#
# Run as root from the repo root after `make test-build`.
set -u
: "${BUILD:=build}"
. tests/lib.sh
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
wgt() { timeout 10 ip netns exec "$ns1" "$WGTURN" --bpffs "$BPFFS" "$@"; }
note() { echo "# $*"; }

cleanup() {
	local p ns
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ "$attached" = 1 ] && wgt detach "$NAME" >/dev/null 2>&1
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
# Largest payloads that still fit a 1500 MTU with the 4-byte header.
MAX4=$((1500 - 20 - 8 - 4))
MAX6=$((1500 - 40 - 8 - 4))
N=20			# datagrams per size

# Per-family variables: fam 4 or 6 -> sender, relay, endpoint, ...
setfam() {
	if [ "$1" = 4 ]; then
		S=$S4:$WGPORT RELAY=$RELAY4 E=$E4 D=$D4 CHAN=$CHAN4 MAX=$MAX4
	else
		S=[$S6]:$WGPORT RELAY=$RELAY6 E=$E6 D=$D6 CHAN=$CHAN6 MAX=$MAX6
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
	ip -n "$ns1" link add s0 type veth peer name r0 netns "$ns2" || return 1
	ip -n "$ns2" link add r1 type veth peer name t0 netns "$ns3" || return 1

	ip -n "$ns1" addr add $S4/24 dev s0
	ip -n "$ns1" addr add $S6/64 dev s0 nodad
	ip -n "$ns1" link set s0 up
	ip -n "$ns1" route add default via 192.0.2.1
	ip -n "$ns1" -6 route add default via 2001:db8:1::1

	n2 sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$ns2" addr add 192.0.2.1/24 dev r0
	ip -n "$ns2" addr add 2001:db8:1::1/64 dev r0 nodad
	ip -n "$ns2" addr add 203.0.113.254/24 dev r1
	ip -n "$ns2" addr add 198.51.100.254/24 dev r1
	ip -n "$ns2" addr add 2001:db8:3::fe/64 dev r1 nodad
	ip -n "$ns2" addr add 2001:db8:100::fe/64 dev r1 nodad
	ip -n "$ns2" link set r0 up
	ip -n "$ns2" link set r1 up
	# Checksums crossing the router are computed, as a NIC would.
	n2 ethtool -K r0 tx off >/dev/null || return 1
	n2 ethtool -K r1 tx off >/dev/null || return 1

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
		n1 ping -q -c1 -W2 2001:db8:100::20 >/dev/null
}

# Counters ----------------------------------------------------------------------
# Receive-side error counters, absolute, without touching nstat's history.
CSUMS=(UdpInCsumErrors Udp6InCsumErrors IpInHdrErrors)
csum_snap() {
	ip netns exec "$1" nstat -asz "${CSUMS[@]}" 2>/dev/null |
		awk '!/^#/ { print $1, $2 }' >"$2"
}

# show --json into a file.
snap() {
	wgt show "$NAME" --json >"$1" 2>"$1.err" || {
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
	timeout 20 ip netns exec "$rns" "$UDPTOOL" ${rargs%% *} --timeout 2 ${rargs#* } \
		--ready "$rdy" >"$out" 2>&1 &
	pid=$!
	pids+=("$pid")
	for ((i = 0; i < 300; i++)); do
		[ -e "$rdy" ] && break
		sleep 0.01
	done
	# shellcheck disable=SC2086
	timeout 20 ip netns exec "$sns" "$UDPTOOL" $sargs >"$out.send" 2>&1 ||
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
# xdp_on_link: "xdp", "xdpgeneric" or "" as ip link shows it on s0.
xdp_on_link() {
	ip -n "$ns1" -d link show dev s0 | head -n1 |
		grep -oE ' xdp(generic|offload|multi)? ' | tr -d ' '
}

prog_ids() {
	n1 bpftool -j net show dev s0 2>/dev/null |
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
	note "ip link shows '$got' on s0; show: $(wgt show "$NAME" --json 2>/dev/null | jq -c '.uplinks' 2>/dev/null)"
	case $mode in
	skb) expect_eq "attach skb: generic XDP on s0" xdpgeneric "$got" ;;
	native) expect_eq "attach native: driver XDP on s0" xdp "$got" ;;
	off)
		expect_eq "attach off: no XDP on s0" "" "$got"
		check "attach off: tc ingress filter on s0" \
			test -n "$(tc -n "$ns1" filter show dev s0 ingress)"
		;;
	*) check "attach auto: XDP on s0 ($got)" test -n "$got" ;;
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
	# maps.debug and progs.debug come with every bpffs mount.
	left=$(find "$BPFFS" -mindepth 1 -not -type d -not -path "$BPFFS/maps.debug" \
		-not -path "$BPFFS/progs.debug" 2>/dev/null)
	expect_eq "detach ($mode): no pins left under $BPFFS" "" "$left"
	check "detach ($mode): no $BPFFS/wgturn/$NAME" test ! -e "$BPFFS/wgturn/$NAME"
	expect_eq "detach ($mode): no XDP on s0 (ip -d link show)" "" "$(xdp_on_link)"
	expect_eq "detach ($mode): no tc egress filter on s0" "" \
		"$(tc -n "$ns1" filter show dev s0 egress)"
	expect_eq "detach ($mode): no tc ingress filter on s0" "" \
		"$(tc -n "$ns1" filter show dev s0 ingress)"
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

	check "WGTURN_BPFFS names the bpffs" env WGTURN_BPFFS="$BPFFS" \
		timeout 10 ip netns exec "$ns1" "$WGTURN" show "$NAME" --json >/dev/null

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
	detach $mode
done

for n in "$ns1" "$ns2" "$ns3"; do
	note "$n totals: $(ip netns exec "$n" nstat -asz "${CSUMS[@]}" UdpInDatagrams Udp6InDatagrams 2>/dev/null |
		awk '!/^#/ { printf "%s=%s ", $1, $2 }')"
done
done_testing
