#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, scale: the daemon with BENCH_SCALE_PEERS (default 1000)
# WireGuard peers, endpoints set by hand (198.18.0.0/15, RFC 2544's
# benchmarking range: nothing is ever sent there), one coturn in the netns
# world (scripts/world.sh). Measured:
#   - the time from `wgturn up` until every peer's channel is bound and
#     mapped in the datapath (show --json, polled every 0.2 s), the
#     datagrams coturn received meanwhile (nftables counter), and the CPU
#     coturn and the daemon used meanwhile (/proc);
#   - at rest for BENCH_SCALE_REST_S s (default 60) after that: the
#     daemon's CPU (run time, scripts/cpu_time.sh), its resident memory (VmRSS,
#     VmHWM), the datagrams it sent to the relay per second (refreshes
#     of permissions, channels and the allocation), the state file's size;
#   - the datapath maps' memory (bpftool map show: memlock).
# Writes bench/results/scale.md.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
N=${BENCH_SCALE_PEERS:-1000}
REST_S=${BENCH_SCALE_REST_S:-60}
OUT=${BENCH_OUT:-bench/results}
WGTURN=$PWD/$BUILD/wgturn
FS=/run/wgturn-bench-scale-$$
A=wsa$$

. scripts/world.sh
. scripts/cpu_time.sh

die() { echo "bench_scale: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

cleanup() {
	wgt_world_down "$WGTURN" "$FS" "$A:a"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$WGTURN" ] || die "build first (make bench)"
mkdir -p "$FS" && mount -t bpf bpf "$FS" || die "mount bpffs"
world_up v4 || die "world_up"
wg_up a "$A" 51820 || die "wireguard-go"

# N peers in one wg addconf: random public keys (WireGuard takes any 32
# bytes), endpoints 198.18.x.y:51820, one tunnel address each.
conf=$WORLD_TMP/peers.conf
for ((i = 0; i < N; i++)); do
	printf '[Peer]\nPublicKey = %s\nEndpoint = 198.18.%d.%d:51820\nAllowedIPs = 10.%d.%d.%d/32\n\n' \
		"$(head -c 32 /dev/urandom | base64)" $((i / 250)) $((i % 250 + 1)) \
		$((100 + i / 62500)) $((i / 250 % 250)) $((i % 250 + 1))
done >"$conf"
in_ns a wg addconf "$A" "$conf" || die "wg addconf"
[ "$(in_ns a wg show "$A" peers | wc -l)" -eq "$N" ] || die "WireGuard has not $N peers"

in_ns relay nft -f - <<EOF || die "nft counter"
table inet bench {
	counter turn_in {}
	chain count_in { type filter hook input priority filter - 10; policy accept;
		udp dport $TURN_PORT counter name turn_in
	}
}
EOF
turn_in() { in_ns relay nft list counter inet bench turn_in | sed -nE 's/.*packets ([0-9]+).*/\1/p'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
mapped() { in_ns a "$WGTURN" --bpffs "$FS" show "$A" --json 2>/dev/null | jq '[.[0].peers[]? | select(.path == "relay")] | length'; }

# run time in ns (scripts/cpu_time.sh), and as % of one CPU over ms
ticks() { task_cpu_ns "$1"; }
pct() { awk -v t="$1" -v ms="$2" 'BEGIN { printf "%.0f", 100 * t / (ms * 1e6) }'; }
c0=$(turn_in)
k0=$(ticks "$COTURN_PID")
t0=$(now_ms)
in_ns a timeout 60 "$WGTURN" --bpffs "$FS" up "$A" --relay "$TURN_SERVER" --username "$TURN_USER" \
	--password-file "$TURN_PASS_FILE" >"$WORLD_TMP/up.log" 2>&1 || die "wgturn up: $(cat "$WORLD_TMP/up.log")"
t_up=$(now_ms)
got=0
deadline=$((t0 + 600000))
while [ "$(now_ms)" -lt $deadline ]; do
	got=$(mapped)
	[ "${got:-0}" -ge "$N" ] && break
	sleep 0.2
done
t1=$(now_ms)
c1=$(turn_in)
k1=$(ticks "$COTURN_PID")
[ "${got:-0}" -ge "$N" ] || die "only ${got:-0} of $N channels bound after $(((t1 - t0) / 1000)) s"
bind_ms=$((t1 - t0)) bind_dgrams=$((c1 - c0))
note "$N channels bound and mapped $bind_ms ms after up began (up returned after $((t_up - t0)) ms); coturn received $((c1 - c0)) datagrams"

pid=$(jq -r '.pid' "/run/wgturn/$A.state")
[ -d "/proc/$pid" ] || die "no daemon pid"
coturn_bind=$(pct $((k1 - k0)) "$bind_ms")
daemon_bind=$(pct "$(ticks "$pid")" "$bind_ms")	# all it used so far
note "CPU while binding: coturn $coturn_bind %, the daemon $daemon_bind % of one CPU"
r0=$(ticks "$pid") c0=$(turn_in)
sleep "$REST_S"
r1=$(ticks "$pid") c1=$(turn_in)
rss=$(sed -nE 's/^VmRSS:\s+([0-9]+) kB/\1/p' "/proc/$pid/status")
hwm=$(sed -nE 's/^VmHWM:\s+([0-9]+) kB/\1/p' "/proc/$pid/status")
state_kb=$(($(stat -c %s "/run/wgturn/$A.state") / 1024))
cpu_pct=$(awk -v t=$((r1 - r0)) -v s="$REST_S" 'BEGIN { printf "%.2f", 100 * t / (s * 1e9) }')
rate=$(awk -v c=$((c1 - c0)) -v s="$REST_S" 'BEGIN { printf "%.1f", c / s }')
maps_kb=0
for m in "$FS/wgturn/$A"/*; do
	v=$(bpftool map show pinned "$m" 2>/dev/null | sed -nE 's/.*memlock ([0-9]+)B.*/\1/p')
	maps_kb=$((maps_kb + ${v:-0} / 1024))
done
note "at rest $REST_S s: cpu $cpu_pct %, rss $rss kB (peak $hwm kB), $rate datagrams/s to coturn, state file $state_kb kB, maps $maps_kb kB"

MACHINE="$(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(nproc) CPUs, Linux $(uname -r)"
mkdir -p "$OUT"
cat >"$OUT/scale.md" <<MD
# The daemon with $N WireGuard peers (scripts/bench_scale.sh, part of make bench)

Machine: $MACHINE; wireguard-go $(dpkg-query -W -f='\${Version}' wireguard-go 2>/dev/null), coturn $(dpkg-query -W -f='\${Version}' coturn 2>/dev/null).

One wireguard-go interface with $N peers whose endpoints were set by
hand, one coturn, \`wgturn up\` with one relay: every peer gets a
permission and a channel on one allocation (at most 4,096 channels, the
whole 0x4000-0x4FFF range; past that a peer stays unrelayed with a
warning, and a channel given up on is reused after RFC 8656's quarantine).

| | |
|---|---:|
| time from \`wgturn up\` to all $N channels bound and mapped (ms) | $bind_ms |
| datagrams coturn received meanwhile | $bind_dgrams |
| coturn's CPU meanwhile (% of one CPU) | $coturn_bind |
| the daemon's CPU meanwhile (% of one CPU) | $daemon_bind |
| daemon CPU at rest over $REST_S s (% of one CPU) | $cpu_pct |
| daemon resident memory at rest (kB) | $rss |
| daemon peak resident memory (kB) | $hwm |
| datagrams to coturn at rest (per s: refreshes) | $rate |
| state file (kB) | $state_kb |
| datapath maps, locked memory (kB) | $maps_kb |
MD
cat "$OUT/scale.md"
