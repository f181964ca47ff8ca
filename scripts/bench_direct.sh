#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, part 5: direct paths, in the world of tests/netns/e2e_direct.sh
# (scripts/world.sh, IPv4 outer addresses, both sites behind endpoint-
# independent NAT, coturn, Knot DNS for the rendezvous, wireguard-go).
#  1. Time to the first direct packet: both daemons brought up (A, then
#     B) with both NATs' mappings flushed before, then the time from B's
#     `up` returning until the first WireGuard data packet of a ping every
#     10 ms crosses NAT A from B's NAT (nftables counter of type-4
#     datagrams, polled every 10 ms). BENCH_DIRECT_REPS (default 5)
#     times, the daemons taken down between runs.
#  2. Failover: the direct path cut (drop rule on NAT A) under a ping
#     every 0.1 s both ways, BENCH_DIRECT_CUTS (default 5) times; the
#     outage is the longest silence of either ping, less the interval.
#     Between cuts the rule goes and the daemons go direct again.
#     Next to it: the 6.5 s Tailscale trusts a path without a reply and
#     NetBird's 6 s ICE disconnect (published figures, not measured here).
#  3. Throughput (iperf3 TCP, BENCH_DIRECT_TCP_S s, default 10) and RTT
#     (ping x50 every 0.05 s) A -> B, direct after the punch and relayed
#     (the direct path cut, the daemons on the relay), in the same run.
# Writes bench/results/direct.md and prints the same.
# shellcheck disable=SC2015 # A && B || die: die exits
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
REPS=${BENCH_DIRECT_REPS:-5}
CUTS=${BENCH_DIRECT_CUTS:-5}
TCP_S=${BENCH_DIRECT_TCP_S:-10}
OUT=${BENCH_OUT:-bench/results}
WGTURN=$PWD/$BUILD/wgturn
FS=/run/wgturn-bench-direct-$$
A=wja$$
B=wjb$$
FAM=v4

. tests/lib/tap.sh # tscale, which the helpers use
. scripts/world.sh
. tests/lib/e2e.sh
. tests/lib/direct.sh

die() { echo "bench_direct: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

for t in iperf3 jq nft kdig knotd conntrack; do
	command -v $t >/dev/null || die "$t missing (make deps)"
done
[ -x "$WGTURN" ] || die "build first (make test-build)"
[ "$(id -u)" = 0 ] || die "needs root"

trap direct_world_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# stats: "median min max" of the numbers on stdin
stats() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# silence LOG: the longest gap between answers of a `ping -D -i 0.1`,
# less the interval, in ms
silence() {
	awk -F'[][]' '/bytes from/ { t = $2 + 0; if (p && t - p > m) m = t - p; p = t }
		END { printf "%d\n", (m - 0.1) * 1000 }' "$1"
}

direct_world "" || die "the world and both daemons"
KA=${WG_PUBKEY[$A]} KB=${WG_PUBKEY[$B]}
path_is a "$A" "$KB" direct 20 && path_is b "$B" "$KA" direct 20 || die "no direct path"

# 1. Time to the first direct packet, from both daemons up.
first=()
for ((i = 0; i < REPS; i++)); do
	W a down "$A" && W b down "$B" || die "down"
	# no hole left open by the previous run
	in_ns nata conntrack -F >/dev/null 2>&1 && in_ns natb conntrack -F >/dev/null 2>&1 ||
		die "conntrack -F"
	sleep 1
	rdv_up a "$A" || die "up A: $(cat "$WORLD_TMP/up-$A.log")"
	in_ns a ping -i 0.01 -w 30 -q "$(tun b)" >/dev/null 2>&1 &
	pp=$!
	c0=$(cnt nata wg_in)
	rdv_up b "$B" || die "up B: $(cat "$WORLD_TMP/up-$B.log")"
	t0=$(now_ms)
	while [ "$(cnt nata wg_in)" = "$c0" ] && [ $(($(now_ms) - t0)) -lt 30000 ]; do
		sleep 0.01
	done
	first+=($(($(now_ms) - t0)))
	kill "$pp" 2>/dev/null
	wait "$pp" 2>/dev/null
	note "first direct packet ${first[-1]} ms after B's up"
	path_is a "$A" "$KB" direct 20 && path_is b "$B" "$KA" direct 20 || die "run $i: not direct"
done

# 2. Failover under a ping both ways every 0.1 s.
outs=()
for ((i = 0; i < CUTS; i++)); do
	la=$WORLD_TMP/fa.log lb=$WORLD_TMP/fb.log
	in_ns a ping -D -i 0.1 -W 1 -w 12 "$(tun b)" >"$la" 2>&1 &
	pa=$!
	in_ns b ping -D -i 0.1 -W 1 -w 12 "$(tun a)" >"$lb" 2>&1 &
	pb=$!
	sleep 2
	direct_cut nata
	wait "$pa" "$pb"
	end=$(date +%s.%N)
	ga=$(silence "$la") gb=$(silence "$lb")
	outs+=($((ga > gb ? ga : gb)))
	note "cut $i: outage ${outs[-1]} ms (A->B $ga, B->A $gb), end $end"
	[ "$(path_of a "$A" "$KB")" = relay ] || die "cut $i: A not on the relay"
	direct_uncut nata
	path_is a "$A" "$KB" direct 45 && path_is b "$B" "$KA" direct 10 || die "cut $i: not direct again"
done

# 3. Throughput and RTT, direct and relayed.
world_bg b iperf3 iperf3 -s -B "$(tun b)"
_wait_for 5 sh -c "ip netns exec $NS_B ss -Htln | grep -q ':5201'" || die "iperf3 server"
measure() { # label
	local j mbit rtt
	j=$(in_ns a timeout $((TCP_S + 20)) iperf3 -c "$(tun b)" -t "$TCP_S" -J 2>&1)
	mbit=$(jq -r '.end.sum_received.bits_per_second / 1e6' <<<"$j" 2>/dev/null)
	rtt=$(in_ns a ping -c 50 -i 0.05 -q "$(tun b)" | sed -nE 's|.*= [0-9.]+/([0-9.]+)/.*|\1|p')
	note "$1: $mbit Mbit/s, RTT $rtt ms"
	echo "$mbit $rtt"
}
read -r tcp_d rtt_d < <(measure direct)
[ "$(path_of a "$A" "$KB")" = direct ] || die "not direct while measuring"
direct_cut nata
in_ns a ping -c 40 -i 0.1 -q "$(tun b)" >/dev/null 2>&1
[ "$(path_of a "$A" "$KB")" = relay ] || die "not relayed after the cut"
read -r tcp_r rtt_r < <(measure relayed)
[ "$(path_of a "$A" "$KB")" = relay ] || die "not relayed while measuring"

read -r f_med f_min f_max < <(printf '%s\n' "${first[@]}" | stats)
read -r o_med o_min o_max < <(printf '%s\n' "${outs[@]}" | stats)
mkdir -p "$OUT"
{
	echo "# Direct paths"
	echo
	echo "$(date -u +%F), $(uname -r), $(nproc) CPUs; scripts/bench_direct.sh, the world of tests/netns/e2e_direct.sh (IPv4, both sites behind endpoint-independent NAT, wireguard-go $(dpkg-query -W -f='${Version}' wireguard-go 2>/dev/null), coturn $(dpkg-query -W -f='${Version}' coturn 2>/dev/null))."
	echo
	echo "| measure | median | min | max | runs |"
	echo "|---|---|---|---|---|"
	echo "| first direct WireGuard packet after B's \`up\` returned, NATs flushed (ms) | $f_med | $f_min | $f_max | $REPS |"
	echo "| failover: outage when the direct path is cut (ms) | $o_med | $o_min | $o_max | $CUTS |"
	echo
	echo "Failover next to published figures (not measured here): Tailscale trusts a path 6.5 s without a reply; NetBird's ICE declares a disconnect after 6 s. wgturn checks every 0.5 s while WireGuard sends and gives a path up after 2 s without an answer."
	echo
	echo "Individual outages (ms): ${outs[*]}; first direct packet (ms): ${first[*]}."
	echo
	echo "| path A -> B | TCP (iperf3, ${TCP_S} s) Mbit/s | RTT (ping x50) ms |"
	echo "|---|---|---|"
	printf '| direct after the hole punch | %.0f | %s |\n' "$tcp_d" "$rtt_d"
	printf '| relayed (direct path cut) | %.0f | %s |\n' "$tcp_r" "$rtt_r"
} >"$OUT/direct.md"
cat "$OUT/direct.md"
