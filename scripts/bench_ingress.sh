#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, ingress hooks on a veth: what stripping ChannelData costs the
# whole machine with native XDP, generic (skb) XDP and TC ingress, next to
# the same datagrams without wgturn. A program's run_time_ns leaves out
# what the kernel does around it (native XDP on a veth copies each skb
# into a new page unless it has XDP_PACKET_HEADROOM; generic XDP expands
# the skb's head for the same headroom), so the cost here is the whole
# machine's busy time (scripts/cpu_time.sh, all CPUs) per datagram
# delivered.
#
#   ns R (203.0.113.1, r0) --veth--> ns H (192.0.2.1, h0: wgturn, --xdp-mode)
#   udptool send-chandata 203.0.113.1:3478 -> 192.0.2.1:51820, channel 0x4001
#   udptool recv on 192.0.2.1:51820, every datagram from the endpoint
#   198.51.100.7:51820 after decap; baseline: plain UDP, no wgturn.
#
# BENCH_INGRESS_BURSTS bursts (default 5) of 100000 datagrams of 1420
# bytes per run,
# BENCH_INGRESS_REPS runs per hook (default 5): median (min-max).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
N=100000	# a burst: fits the receiver's socket buffer, so none is lost
BURSTS=${BENCH_INGRESS_BURSTS:-5}
REPS=${BENCH_INGRESS_REPS:-5}
SIZE=1420
OUT=${BENCH_OUT:-bench/results}
W=$PWD/$BUILD/wgturn
UDPTOOL=$PWD/$BUILD/tests/tools/udptool
R=wgt-bir-$$ H=wgt-bih-$$
FS=/run/wgturn-bench-ingress-$$
TMP=$(mktemp -d)
old_stats=$(sysctl -n kernel.bpf_stats_enabled)

die() { echo "bench_ingress: $*" >&2; exit 1; }
cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$old_stats"
	ip netns del "$R" 2>/dev/null
	ip netns del "$H" 2>/dev/null
	umount "$FS" 2>/dev/null
	rmdir "$FS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$W" ] && [ -x "$UDPTOOL" ] || die "build first (make bench)"
ip netns add "$R" && ip netns add "$H" || die "netns"
ip link add r0 netns "$R" type veth peer name h0 netns "$H" || die "veth"
ip -n "$R" addr add 203.0.113.1/24 dev r0
ip -n "$H" addr add 192.0.2.1/24 dev h0
ip -n "$R" link set r0 up && ip -n "$H" link set h0 up || die "link up"
ip -n "$R" route add 192.0.2.0/24 dev r0 && ip -n "$H" route add 203.0.113.0/24 dev h0 || die "routes"
mkdir -p "$FS" && mount -t bpf bpf "$FS" || die "bpffs"
sysctl -qw kernel.bpf_stats_enabled=1

. scripts/cpu_time.sh
busy() { machine_busy_ns; }
prog_ns() { # run_time_ns of the instance's ingress programs
	local p t=0 v
	for p in "$FS"/wgturn/bi/prog_xdp_ingress "$FS"/wgturn/bi/prog_tc_ingress; do
		[ -e "$p" ] || continue
		v=$(bpftool prog show pinned "$p" | sed -nE 's/.*run_time_ns ([0-9]+).*/\1/p')
		t=$((t + ${v:-0}))
	done
	echo $t
}

# one HOOK: "machine-ns-per-datagram program-ns-per-datagram delivered"
one() {
	local hook=$1 from=203.0.113.1:3478 send=send b0 b1 p0 p1 got
	local extra=()
	if [ "$hook" != none ]; then
		ip netns exec "$H" "$W" --bpffs "$FS" attach bi --uplink h0 --port 51820 \
			--xdp-mode "$hook" >/dev/null || die "attach --xdp-mode $hook"
		ip netns exec "$H" "$W" --bpffs "$FS" peer set bi 198.51.100.7:51820 \
			relay 203.0.113.1:3478 channel 0x4001 || die "peer set"
		from=198.51.100.7:51820 send=send-chandata extra=(--channel 0x4001)
	fi
	local i rpid n total=0 b=0 p=0
	for ((i = 0; i < BURSTS; i++)); do
		rm -f "$TMP/ready"
		ip netns exec "$H" "$UDPTOOL" recv --bind 192.0.2.1:51820 --count "$N" --size $SIZE \
			--expect-from "$from" --timeout 5 --ready "$TMP/ready" --rcvbuf $((512 << 20)) >"$TMP/recv" 2>&1 &
		rpid=$!
		for _ in $(seq 50); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
		p0=$(prog_ns) b0=$(busy)
		ip netns exec "$R" "$UDPTOOL" "$send" --bind 203.0.113.1:3478 --to 192.0.2.1:51820 \
			--count "$N" --size $SIZE --gap-us 0 "${extra[@]}" >/dev/null || die "send ($hook)"
		wait "$rpid"
		b1=$(busy) p1=$(prog_ns)
		n=$(sed -nE 's/^recv: ([0-9]+)\/.*/\1/p' "$TMP/recv")
		# every datagram, checked byte for byte, or no number: a loss
		# would leave the receiver idle to its timeout and cost less
		[ "${n:-0}" -eq "$N" ] || die "$hook: $(cat "$TMP/recv")"
		total=$((total + n)) b=$((b + b1 - b0)) p=$((p + p1 - p0))
	done
	got=$total
	[ "$hook" != none ] && { ip netns exec "$H" "$W" --bpffs "$FS" detach bi >/dev/null || die "detach"; }
	awk -v b="$b" -v p="$p" -v n="$got" \
		'BEGIN { printf "%.0f %.0f %d\n", b / n, p / n, n }'
}

# med: "median min max" of the numbers on stdin
med() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'; }

declare -A M P D
HOOKS=(none native skb off)
for ((r = 1; r <= REPS; r++)); do
	for h in "${HOOKS[@]}"; do
		res=$(one "$h") || exit 1
		read -r m p d <<<"$res"
		echo "# $h #$r: $m ns/datagram machine, $p ns program, $d datagrams" >&2
		M[$h]+="$m " P[$h]+="$p " D[$h]+="$d "
	done
done

declare -A LABEL=([none]="no wgturn, plain UDP" [native]="native XDP (--xdp-mode native)"
	[skb]="generic XDP (--xdp-mode skb)" [off]="TC ingress (--xdp-mode off)")
read -r base _ <<<"$(tr ' ' '\n' <<<"${M[none]}" | grep . | med)"
MACHINE="$(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(nproc) CPUs, Linux $(uname -r)"
mkdir -p "$OUT"
{
	echo "# Ingress hooks on a veth (scripts/bench_ingress.sh, part of make bench)"
	echo
	echo "Machine: $MACHINE."
	echo
	echo "$BURSTS bursts of $N ChannelData datagrams of $SIZE bytes per run, each"
	echo "sent as fast as one udptool can from a relay namespace through a veth"
	echo "pair to a UDP socket (a buffer that holds the whole burst)"
	echo "behind wgturn's ingress program (decap, source rewritten to the"
	echo "endpoint); $REPS runs per hook, median (min-max). Machine: busy CPU"
	echo "time of the whole machine (CPUs x wall - idle - steal, all CPUs: sender, veth,"
	echo "program, kernel around it, receiver) per datagram delivered. Program:"
	echo "run_time_ns of the ingress program alone. Baseline: the same datagrams"
	echo "as plain UDP with nothing attached."
	echo
	echo "| ingress | machine ns/datagram | above baseline | program ns/datagram |"
	echo "|---|---:|---:|---:|"
	for h in "${HOOKS[@]}"; do
		read -r m lo hi <<<"$(tr ' ' '\n' <<<"${M[$h]}" | grep . | med)"
		read -r p plo phi <<<"$(tr ' ' '\n' <<<"${P[$h]}" | grep . | med)"
		above=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%+.0f", a - b }')
		if [ "$h" = none ]; then above="-" prog="-"; else prog="$p ($plo-$phi)"; fi
		echo "| ${LABEL[$h]} | $m ($lo-$hi) | $above | $prog |"
	done
} >"$OUT/ingress.md"
cat "$OUT/ingress.md"
