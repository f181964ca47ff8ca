#!/usr/bin/env bash
# make bench: the datapath's per-packet cost.
#  1. BPF_PROG_TEST_RUN (build/bench/bench_datapath): encap and decap
#     next to an empty program, in one run.
#  2. Live, for CHECKSUM_PARTIAL: BPF_PROG_TEST_RUN cannot build a
#     CHECKSUM_PARTIAL skb, so real UDP sockets send through a veth with
#     tx checksum offload on (PARTIAL) and off (summed in software), and
#     kernel.bpf_stats_enabled gives run_time_ns / run_cnt of the TC
#     egress program; then the same traffic through an empty program.
#
#   ns $NS:  udptool -> up0 (192.0.2.1, wgturn TC egress) --veth--> up1
#            (packets leave and are dropped on the far side; only the
#             egress program's cost is measured)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${BENCH_PACKETS:-20000}
NS=wgt-bench-$$
FS=/run/wgturn-bench-$$
W=$PWD/$BUILD/wgturn
UDPTOOL=$PWD/$BUILD/tests/tools/udptool
old_stats=$(sysctl -n kernel.bpf_stats_enabled)

cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$old_stats"
	ip netns del "$NS" 2>/dev/null || true
	umount "$FS" 2>/dev/null || true
	rmdir "$FS" 2>/dev/null || true
}
trap cleanup EXIT

OUT=${BENCH_OUT:-bench/results}
mkdir -p "$OUT"

main() {
echo "# Datapath per packet (scripts/bench.sh, part of make bench)"
echo
echo "Machine: $(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(nproc) CPUs, Linux $(uname -r)."
echo
"$BUILD"/bench/bench_datapath "${BENCH_CALLS:-20000}"
echo

[ -x "$UDPTOOL" ] || make -s "$BUILD/tests/tools/udptool"
n() { ip netns exec "$NS" "$@"; }
ip netns add "$NS"
n ip link add up0 type veth peer name up1
n ip link set up0 up
n ip link set up1 up
n ip addr add 192.0.2.1/24 dev up0
n ip route add 198.51.100.0/24 via 192.0.2.2
n ip route add 203.0.113.0/24 via 192.0.2.2
n ip neigh replace 192.0.2.2 lladdr 02:00:00:00:00:02 dev up0
mkdir -p "$FS"
mount -t bpf bpf "$FS"
sysctl -qw kernel.bpf_stats_enabled=1

# prog_stats ID: "run_time_ns run_cnt"
prog_stats() {
	bpftool prog show id "$1" | sed -nE \
		's/.*run_time_ns ([0-9]+) run_cnt ([0-9]+).*/\1 \2/p'
}

# measure ID SIZE: ns per packet for N datagrams of SIZE bytes
measure() {
	local t0 c0 t1 c1
	read -r t0 c0 <<<"$(prog_stats "$1")"
	# bpftool leaves run_time_ns out until the program has run
	t0=${t0:-0} c0=${c0:-0}
	n "$UDPTOOL" send --bind 192.0.2.1:51820 --to 198.51.100.7:51820 \
		--count "$N" --size "$2" --gap-us 0 >/dev/null
	read -r t1 c1 <<<"$(prog_stats "$1")"
	[ "$c1" -gt "$c0" ] || { echo 0; return; }
	echo $(((t1 - t0) / (c1 - c0)))
}

declare -A res
sizes="64 512 1420"

n "$W" --bpffs "$FS" attach bench --uplink up0 --port 51820
n "$W" --bpffs "$FS" peer set bench 198.51.100.7:51820 relay 203.0.113.1:3478 channel 0x4001
id=$(bpftool prog show pinned "$FS/wgturn/bench/prog_tc_egress" | sed -nE 's/^([0-9]+):.*/\1/p')
for off in on off; do
	n ethtool -K up0 tx "$off" >/dev/null
	for s in $sizes; do
		before=$(n "$W" --bpffs "$FS" show bench --json | sed -nE 's/.*"tx_relay": ([0-9]+).*/\1/p')
		res[wgt,$off,$s]=$(measure "$id" "$s")
		after=$(n "$W" --bpffs "$FS" show bench --json | sed -nE 's/.*"tx_relay": ([0-9]+).*/\1/p')
		# Sanity: the packets really took the relay path.
		if [ $((after - before)) -ne "$N" ]; then
			echo "bench: tx_relay grew by $((after - before)), not $N" >&2
			exit 1
		fi
	done
done

# GSO: the same datagrams in UDP_SEGMENT batches of 16 and one by one,
# relayed and to an unmapped address (plain UDP, no rewrite): the
# sender's wall time per datagram (send syscalls, the stack, both
# programs, software segmentation and the veth hop all run in its
# context here) and the programs' own run time per datagram.
gid=$(bpftool prog show pinned "$FS/wgturn/bench/prog_tc_gso_return" | sed -nE 's/^([0-9]+):.*/\1/p')
n ethtool -K up0 tx on >/dev/null
counter_of() { n "$W" --bpffs "$FS" show bench --json | jq ".[0].counters.$1"; }
# gso_measure TO GSO: "wall-ns-per-datagram bpf-ns-per-datagram"
gso_measure() {
	local to=$1 batch=$2 t0 c0 g0 h0 t1 c1 g1 h1 us
	read -r t0 c0 <<<"$(prog_stats "$id")"
	read -r g0 h0 <<<"$(prog_stats "$gid")"
	us=$(n "$UDPTOOL" send --bind 192.0.2.1:51820 --to "$to" --count "$N" \
		--size 1420 --gap-us 0 ${batch:+--gso $batch} | sed -nE 's/.* ([0-9]+) us$/\1/p')
	read -r t1 c1 <<<"$(prog_stats "$id")"
	read -r g1 h1 <<<"$(prog_stats "$gid")"
	echo "$((us * 1000 / N)) $(((t1 - t0 + g1 - g0) / N))"
}
declare -A gso
for to in 198.51.100.7:51820 198.51.100.99:51820; do
	for b in "" 16; do
		before=$(counter_of tx_relay)
		gso[$to,$b]=$(gso_measure "$to" "$b")
		after=$(counter_of tx_relay)
		want=$N
		[ "$to" = 198.51.100.99:51820 ] && want=0
		if [ $((after - before)) -ne "$want" ]; then
			echo "bench: GSO ${b:-none} to $to: tx_relay grew by $((after - before)), not $want" >&2
			exit 1
		fi
	done
done
n "$W" --bpffs "$FS" detach bench

n tc qdisc add dev up0 clsact 2>/dev/null || true
n tc filter add dev up0 egress bpf da obj "$BUILD/bench/empty.bpf.o" sec tc
id=$(n tc filter show dev up0 egress | sed -nE 's/.* id ([0-9]+) .*/\1/p' | head -n1)
for off in on off; do
	n ethtool -K up0 tx "$off" >/dev/null
	for s in $sizes; do
		res[empty,$off,$s]=$(measure "$id" "$s")
	done
done

echo "Live TC egress, $N packets per row, run_time_ns / run_cnt (bpf_stats)"
echo
printf '| %-30s | %5s | %8s | %8s | %6s |\n' case bytes ns/pkt empty ratio
echo '|--------------------------------|------:|---------:|---------:|-------:|'
for off in on off; do
	if [ $off = on ]; then what="encap, CHECKSUM_PARTIAL"; else what="encap, summed (offload off)"; fi
	for s in $sizes; do
		v=${res[wgt,$off,$s]} e=${res[empty,$off,$s]}
		printf '| %-30s | %5d | %8d | %8d | %6s |\n' "$what" "$s" "$v" "$e" \
			"$(awk -v a="$v" -v b="$e" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
	done
done

echo
echo "Relay-bound GSO batches, $N datagrams of 1420 bytes per row, CHECKSUM_PARTIAL"
echo "(wall: the sender's time per datagram, everything in its context;"
echo " programs: run_time_ns of TC egress + wgt_tc_gso_return per datagram)"
echo
printf '| %-36s | %10s | %12s |\n' case "wall ns" "programs ns"
echo '|--------------------------------------|-----------:|-------------:|'
for to in 198.51.100.7:51820 198.51.100.99:51820; do
	for b in "" 16; do
		if [ "$to" = 198.51.100.7:51820 ]; then what=relayed; else what="unmapped (plain UDP)"; fi
		[ -n "$b" ] && what="$what, batches of $b" || what="$what, one by one"
		read -r wall progs <<<"${gso[$to,$b]}"
		printf '| %-36s | %10d | %12d |\n' "$what" "$wall" "$progs"
	done
done
}

# Everything it prints is also the results file.
set -o pipefail
main | tee "$OUT/datapath.md"
