#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, part 2: end to end in the netns world of the e2e tests
# (scripts/world.sh: both sites behind symmetric NAT, one coturn, wireguard-go
# on both sites, IPv4 outer addresses). Five modes, the same WireGuard pair:
#   direct  no relay: both NAT routers get a static port forward for
#           WireGuard's port (DNAT wan:51820 -> host:51820, SNAT host:51820
#           -> wan:51820, the forward filter lets it in); endpoints are the
#           other NAT's public address
#   native, skb, tc
#           via coturn, wgturn up on both sites (TC egress), ChannelData
#           stripped by native XDP, generic (skb) XDP or TC ingress
#           (--xdp-mode native|skb|off) on the sites' veth uplinks
#   proxy   via coturn, bench/proxy on both sites: WireGuard's endpoint is
#           127.0.0.1:PORT, the proxy speaks ChannelData to the relay
# Per mode and repetition (BENCH_REPS, default 3), site A -> site B through
# the tunnel: iperf3 TCP (BENCH_TCP_S s, one stream and -P 4), iperf3 UDP
# at BENCH_UDP_RATE (loss, jitter), BENCH_PINGS pings at 0.01 s (RTT
# p50/p99), and two CPU costs:
#   - like for like: iperf3 UDP at a fixed BENCH_LOAD_RATE (below every
#     mode's saturation) for BENCH_LOAD_S s; the whole machine's busy CPU
#     time (scripts/cpu_time.sh: CPUs x wall - idle - iowait - steal;
#     all namespaces: both WireGuards, coturn, iperf3, the NATs, the relay
#     datapath or proxies) minus the same machine idle with the tunnel up
#     (BENCH_IDLE_S s just before, as a rate), per datagram B received.
#     Every datagram is encapsulated once at A, relayed by coturn and
#     decapsulated once at B.
#   - the relay's own: eBPF = delta run_time_ns of wgturn's programs on A's
#     uplink (kernel.bpf_stats_enabled=1) / delta (tx_relay + rx_relay);
#     proxy = delta run time of A's proxy / delta packets it forwarded.
#     This leaves out what each pays outside: for eBPF, native XDP's copy
#     of every skb on a veth, the generic XDP's headroom expansion; for the
#     proxy, the socket and loopback work in WireGuard's and the kernel's
#     time.
# Before a mode's numbers count, the path is checked: packet counters at NAT
# A (to/from the relay, to/from the other NAT directly), at coturn's host,
# and wgturn's or the proxy's own counters must agree with the mode.
# Writes bench/results/e2e.md (table), e2e.tsv (every run), e2e.png (plot).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
REPS=${BENCH_REPS:-3}
TCP_S=${BENCH_TCP_S:-5}
UDP_S=${BENCH_UDP_S:-5}
UDP_RATE=${BENCH_UDP_RATE:-200M}
UDP_LEN=1200
TAB=$'\t'
LOAD_RATE=${BENCH_LOAD_RATE:-100M}
LOAD_S=${BENCH_LOAD_S:-10}
IDLE_S=${BENCH_IDLE_S:-5}
PINGS=${BENCH_PINGS:-200}
OUT=${BENCH_OUT:-bench/results}
WGTURN=$PWD/$BUILD/wgturn
PROXY=$PWD/$BUILD/bench/proxy
FS=/run/wgturn-bench-e2e-$$
A=wba$$
B=wbb$$
PPORT=40000 # the proxy's port on each site's localhost
old_stats=$(sysctl -n kernel.bpf_stats_enabled)

. scripts/world.sh
. scripts/cpu_time.sh

die() { echo "bench_e2e: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

for t in iperf3 gnuplot jq bpftool nft; do
	command -v $t >/dev/null || die "$t missing (make deps)"
done
[ -x "$PROXY" ] && [ -x "$WGTURN" ] || die "build first (make bench)"

cleanup() {
	wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b"
	sysctl -qw kernel.bpf_stats_enabled="$old_stats"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkdir -p "$FS" && mount -t bpf bpf "$FS" || die "mount bpffs"
WORLD_NATA_FLAGS=fully-random WORLD_NATB_FLAGS=fully-random
world_up v4 || die "world_up"
wg_up a "$A" 51820 && wg_up b "$B" 51820 || die "wireguard-go"
TA=${TUN4[a]%/*} TB=${TUN4[b]%/*}
sysctl -qw kernel.bpf_stats_enabled=1

# Independent witnesses: counters at NAT A's forward hook and on the relay.
in_ns nata nft -f - <<EOF || die "nft counters"
table inet bench {
	counter to_relay {}
	counter from_relay {}
	counter to_peer {}
	counter from_peer {}
	chain count_fwd {
		type filter hook forward priority filter - 10; policy accept;
		ip saddr $A4 ip daddr $RELAY4 udp dport $TURN_PORT counter name to_relay
		ip saddr $RELAY4 udp sport $TURN_PORT ip daddr $A4 counter name from_relay
		ip saddr $A4 ip daddr $NATB4 counter name to_peer
		ip saddr $NATB4 ip daddr $A4 counter name from_peer
	}
}
EOF
in_ns relay nft -f - <<EOF || die "nft counters"
table inet bench {
	counter turn_in {}
	chain count_in { type filter hook input priority filter - 10; policy accept;
		udp dport $TURN_PORT counter name turn_in
	}
}
EOF
cnt() { in_ns "$1" nft list counter inet bench "$2" | sed -nE 's/.*packets ([0-9]+).*/\1/p'; }
witness() { echo "$(cnt nata to_relay) $(cnt nata from_relay) $(cnt nata to_peer) $(cnt nata from_peer) $(cnt relay turn_in)"; }

world_bg b iperf3 iperf3 -s -B "$TB"
IPERF_SRV_PID=$WORLD_BG_PID
_wait_for 5 sh -c "ip netns exec $NS_B ss -Htln | grep -q ':5201'" || die "iperf3 server"

# ---- path switches ---------------------------------------------------------

pair() { # ENDPOINT-FOR-A's-PEER ENDPOINT-FOR-B's-PEER
	wg_peer a "$A" "${WG_PUBKEY[$B]}" "$1" "$TB/32" &&
		wg_peer b "$B" "${WG_PUBKEY[$A]}" "$2" "$TA/32"
}

first_answer() {
	local i
	for ((i = 0; i < 30; i++)); do
		in_ns a ping -c 1 -W 1 "$TB" >/dev/null 2>&1 && return 0
	done
	return 1
}

open_nats() {
	local n pub host
	for n in a b; do
		if [ $n = a ]; then pub=$NATA4 host=$A4; else pub=$NATB4 host=$B4; fi
		in_ns "nat$n" nft -f - <<-EOF || return 1
			table ip benchopen {
				chain pre { type nat hook prerouting priority dstnat - 1;
					iifname "wan" udp dport 51820 dnat to $host:51820
				}
				chain post { type nat hook postrouting priority srcnat - 1;
					oifname "wan" ip saddr $host udp sport 51820 snat to $pub:51820
				}
			}
			insert rule inet world world_fwd iifname "wan" ip daddr $host udp dport 51820 accept
		EOF
	done
}

close_nats() {
	local n h
	for n in a b; do
		in_ns "nat$n" nft delete table ip benchopen
		h=$(in_ns "nat$n" nft -a list chain inet world world_fwd |
			sed -nE 's/.*udp dport 51820 accept # handle ([0-9]+).*/\1/p')
		[ -n "$h" ] && in_ns "nat$n" nft delete rule inet world world_fwd handle "$h"
	done
}


wgt_up() { # SITE IF XDPMODE
	in_ns "$1" timeout 60 "$WGTURN" --bpffs "$FS" up "$2" --xdp-mode "$3" --relay "$TURN_SERVER" \
		--username "$TURN_USER" --password-file "$TURN_PASS_FILE" >"$WORLD_TMP/up-$2.log" 2>&1 ||
		die "wgturn up $2: $(cat "$WORLD_TMP/up-$2.log")"
	jq -r '.relayed // empty' "/run/wgturn/$2.state"
}

declare -A PROXY_PID=()
proxy_up() { # SITE
	world_bg "$1" "proxy-$1" "$PROXY" --listen "127.0.0.1:$PPORT" --wg 127.0.0.1:51820 \
		--relay "$RELAY4:$TURN_PORT" --username "$TURN_USER" --password-file "$TURN_PASS_FILE" \
		--relayed-file "$WORLD_TMP/proxy-$1.relayed" --peer-file "$WORLD_TMP/proxy-$1.peer" \
		--stats-file "$WORLD_TMP/proxy-$1.stats"
	PROXY_PID[$1]=$WORLD_BG_PID
}

proxy_stats() { # SITE: "packets tx rx run-time-ns"
	local f=$WORLD_TMP/proxy-$1.stats st
	rm -f "$f"
	kill -USR1 "${PROXY_PID[$1]}"
	_wait_for 3 test -s "$f" || die "proxy $1 wrote no stats"
	echo "$(sed -nE 's/^packets=([0-9]+) tx_packets=([0-9]+) rx_packets=([0-9]+).*/\1 \2 \3/p' "$f") $(task_cpu_ns "${PROXY_PID[$1]}")"
}

bpf_ns() { # sum of run_time_ns of site A's wgturn programs
	local p t=0 v
	for p in "$FS/wgturn/$A"/prog_*; do
		v=$(bpftool prog show pinned "$p" | sed -nE 's/.*run_time_ns ([0-9]+).*/\1/p')
		t=$((t + ${v:-0}))
	done
	echo $t
}

wgt_counters() { # "tx_relay rx_relay" of site A
	in_ns a "$WGTURN" --bpffs "$FS" show "$A" --json | jq -r '.[0] | "\(.counters.tx_relay) \(.counters.rx_relay)"'
}

# busy: the whole machine's busy CPU in ns (scripts/cpu_time.sh). Steal
# is left out: it is time the hypervisor gave to someone else, and it
# swings with them.
busy() { machine_busy_ns; }
now_ns() { date +%s%N; }

# who used the CPUs during the single-stream TCP test: run time (ns) of
# both wireguard-go, coturn, the iperf3 server, both proxies (proxy mode)
# and the whole machine's busy time; "-" for a process not there
ticks() { task_cpu_ns "${1:-}"; }
who_ticks() {
	echo "$(ticks "${WG_PID[$A]}") $(ticks "${WG_PID[$B]}") $(ticks "$COTURN_PID") $(ticks "$IPERF_SRV_PID")" \
		"$(ticks "${PROXY_PID[a]:-}") $(ticks "${PROXY_PID[b]:-}") $(busy)"
}
# who_pct T0-TICKS T1-TICKS NS: each delta as % of one CPU over NS ns
who_pct() {
	awk -v a="$1" -v b="$2" -v ns="$3" 'BEGIN {
		n = split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++)
			printf "%s%s", (i > 1 ? " " : ""), (x[i] == "-" || y[i] == "-") ? "NA" : sprintf("%.0f", 100 * (y[i] - x[i]) / ns)
		print ""
	}'
}

# fixed_load: "ns-per-datagram datagrams loss%": the machine idle with the
# tunnel up for IDLE_S s (a rate), then LOAD_RATE for LOAD_S s; the busy
# time above idle per datagram B received.
fixed_load() {
	local b0 b1 t0 t1 idle_rate j sent lost got
	b0=$(busy) t0=$(now_ns)
	sleep "$IDLE_S"
	b1=$(busy) t1=$(now_ns)
	idle_rate=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { print b / t }')
	b0=$(busy) t0=$(now_ns)
	j=$(in_ns a timeout $((LOAD_S + 20)) iperf3 -c "$TB" -u -b "$LOAD_RATE" -l $UDP_LEN -t "$LOAD_S" -J 2>&1)
	b1=$(busy) t1=$(now_ns)
	sent=$(jq -r '.end.sum.packets' <<<"$j" 2>/dev/null)
	lost=$(jq -r '.end.sum.lost_packets' <<<"$j" 2>/dev/null)
	[[ $sent =~ ^[0-9]+$ && $lost =~ ^[0-9]+$ ]] || { echo "NA 0 NA"; return; }
	got=$((sent - lost))
	awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v i="$idle_rate" -v n="$got" -v s="$sent" \
		'BEGIN { printf "%.0f %d %.2f\n", (b - i * t) / n, n, 100 * (s - n) / s }'
}

# ---- one repetition ---------------------------------------------------------

# run MODE REP: the measurements; appends a row to $RAW.
run() {
	local mode=$1 rep=$2 j tcp tcp4 loss jitter rtts p50 p99 lost
	local w0 w1 c0 c1 cpu=NA pkts=0 mcpu mn mloss
	local s0 s1 t0 t1 r0 r1 ok=1 why=""
	w0=$(witness)
	case $mode in
	native | skb | tc) c0=$(bpf_ns); read -r t0 r0 <<<"$(wgt_counters)" ;;
	proxy) read -r s0 t0 r0 c0 <<<"$(proxy_stats a)" ;;
	esac

	local k0 k1 n0 n1 who
	k0=$(who_ticks) n0=$(now_ns)
	j=$(in_ns a timeout $((TCP_S + 20)) iperf3 -c "$TB" -t "$TCP_S" -J 2>&1)
	k1=$(who_ticks) n1=$(now_ns)
	who=$(who_pct "$k0" "$k1" $((n1 - n0)))
	tcp=$(jq -r '.end.sum_received.bits_per_second / 1e6' <<<"$j" 2>/dev/null)
	sleep 1 # queues drain between the tests
	j=$(in_ns a timeout $((TCP_S + 20)) iperf3 -c "$TB" -t "$TCP_S" -P 4 -J 2>&1)
	tcp4=$(jq -r '.end.sum_received.bits_per_second / 1e6' <<<"$j" 2>/dev/null)
	sleep 1
	j=$(in_ns a timeout $((UDP_S + 20)) iperf3 -c "$TB" -u -b "$UDP_RATE" -l $UDP_LEN -t "$UDP_S" -J 2>&1)
	loss=$(jq -r '.end.sum.lost_percent' <<<"$j" 2>/dev/null)
	jitter=$(jq -r '.end.sum.jitter_ms' <<<"$j" 2>/dev/null)
	sleep 1
	rtts=$(in_ns a timeout 60 ping -c "$PINGS" -i 0.01 -W 1 "$TB" 2>&1 |
		sed -nE 's/.*time=([0-9.]+) ms.*/\1/p' | sort -n)
	lost=$((PINGS - $(grep -c . <<<"$rtts")))
	p50=$(awk -v n="$(grep -c . <<<"$rtts")" 'NR == int(n * 0.50 + 0.999) { print }' <<<"$rtts")
	p99=$(awk -v n="$(grep -c . <<<"$rtts")" 'NR == int(n * 0.99 + 0.999) { print }' <<<"$rtts")
	sleep 1
	read -r mcpu mn mloss <<<"$(fixed_load)"

	w1=$(witness)
	local d=() a b i
	read -ra a <<<"$w0"
	read -ra b <<<"$w1"
	for i in 0 1 2 3 4; do d[i]=$((b[i] - a[i])); done
	# d: to_relay from_relay to_peer from_peer relay_turn_in
	near() { # X Y: within 1% + 50 packets (STUN refreshes, handshakes)
		local y=$2 diff=$(($1 - $2))
		[ $diff -lt 0 ] && diff=$((-diff))
		[ $diff -le $((y / 100 + 50)) ]
	}
	case $mode in
	direct)
		pkts=$((d[2] + d[3]))
		[ "${d[0]}" -eq 0 ] && [ "${d[1]}" -eq 0 ] && [ "${d[4]}" -eq 0 ] ||
			{ ok=0; why="relay saw traffic: ${d[*]}"; }
		[ "${d[2]}" -gt 1000 ] && [ "${d[3]}" -gt 1000 ] ||
			{ ok=0; why="$why; direct path idle: ${d[*]}"; }
		;;
	native | skb | tc)
		c1=$(bpf_ns)
		read -r t1 r1 <<<"$(wgt_counters)"
		pkts=$((t1 - t0 + r1 - r0))
		cpu=$(awk -v t=$((c1 - c0)) -v p=$pkts 'BEGIN { printf "%.0f", t / p }')
		near $((t1 - t0)) "${d[0]}" && near $((r1 - r0)) "${d[1]}" ||
			{ ok=0; why="tx_relay +$((t1 - t0)) rx_relay +$((r1 - r0)) vs NAT A to/from relay ${d[0]}/${d[1]}"; }
		[ "${d[2]}" -eq 0 ] && [ "${d[3]}" -eq 0 ] || { ok=0; why="$why; direct path used: ${d[*]}"; }
		;;
	proxy)
		read -r s1 t1 r1 c1 <<<"$(proxy_stats a)"
		pkts=$((s1 - s0))
		cpu=$(awk -v t=$((c1 - c0)) -v p=$pkts 'BEGIN { printf "%.0f", t / p }')
		near $((t1 - t0)) "${d[0]}" && near $((r1 - r0)) "${d[1]}" ||
			{ ok=0; why="proxy tx +$((t1 - t0)) rx +$((r1 - r0)) vs NAT A to/from relay ${d[0]}/${d[1]}"; }
		[ "${d[2]}" -eq 0 ] && [ "${d[3]}" -eq 0 ] || { ok=0; why="$why; direct path used: ${d[*]}"; }
		[ -z "$(in_ns a tc filter show dev eth0 egress)" ] &&
			! in_ns a ip link show eth0 | grep -q xdp || { ok=0; why="$why; a program on eth0"; }
		;;
	esac
	for v in tcp tcp4 loss jitter p50 p99 mcpu; do
		[[ ${!v} =~ ^[0-9.]+$ ]] || { ok=0; why="$why; $v not measured (${!v:-empty})"; }
	done
	[ $ok = 1 ] || die "$mode rep $rep: path check failed: $why"
	note "$mode #$rep: tcp $(printf %.0f "$tcp") Mbit/s, -P 4 $(printf %.0f "$tcp4") Mbit/s, machine cpu at $LOAD_RATE $mcpu ns/datagram over $mn ($mloss% lost), udp loss $loss% jitter $jitter ms, rtt p50 $p50 p99 $p99 ms ($lost lost), cpu/pkt ${cpu} ns over $pkts pkts; NAT A to/from relay ${d[0]}/${d[1]}, direct ${d[2]}/${d[3]}, coturn in ${d[4]}"
	printf '%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\n' "$mode" "$rep" "$tcp" "$loss" "$jitter" \
		"$p50" "$p99" "$lost" "$cpu" "$pkts" "${d[0]}" "${d[1]}" "${d[2]}" "${d[3]}" \
		"$tcp4" "$mcpu" "$mn" "$mloss" "${who// /$TAB}" >>"$RAW"
}

mkdir -p "$OUT"
RAW=$WORLD_TMP/e2e.tsv # copied to $OUT only when every mode passed
printf 'mode\trep\ttcp_mbps\tudp_loss_pct\tudp_jitter_ms\trtt_p50_ms\trtt_p99_ms\tping_lost\tcpu_ns_per_pkt\trelay_pkts\tnata_to_relay\tnata_from_relay\tnata_to_peer\tnata_from_peer\ttcp4_mbps\tmachine_ns_per_dgram\tload_dgrams\tload_loss_pct\ttcp_cpu_wg_a\ttcp_cpu_wg_b\ttcp_cpu_coturn\ttcp_cpu_iperf3_server\ttcp_cpu_proxy_a\ttcp_cpu_proxy_b\ttcp_cpu_machine\n' >"$RAW"
T0=$(date +%s)

# ---- mode 1: direct --------------------------------------------------------
note "mode direct: NAT port forwards for udp/51820, endpoints at the NATs' public addresses"
open_nats || die "open NATs"
pair "$NATB4:51820" "$NATA4:51820"
first_answer || die "direct: no answer through the tunnel"
for ((r = 1; r <= REPS; r++)); do run direct $r; done
close_nats

# ---- modes 2-4: wgturn, one ingress hook each -------------------------------
declare -A XDPMODE=([native]=native [skb]=skb [tc]=off)
for m in native skb tc; do
	note "mode $m: wgturn up --xdp-mode ${XDPMODE[$m]} on both sites"
	RA=$(wgt_up a "$A" "${XDPMODE[$m]}") && RB=$(wgt_up b "$B" "${XDPMODE[$m]}") || exit 1
	[ -n "$RA" ] && [ -n "$RB" ] || die "no relayed addresses"
	hook=$(in_ns a "$WGTURN" --bpffs "$FS" show "$A" --json | jq -r ".[0].uplinks[0].ingress")
	note "$m: site A's uplink ingress: $hook"
	pair "$RB" "$RA"
	wgt_channel_ready "$A" "$RB" && wgt_channel_ready "$B" "$RA" || die "$m: channels not bound"
	first_answer || die "$m: no answer through the tunnel"
	for ((r = 1; r <= REPS; r++)); do run "$m" $r; done
	in_ns a "$WGTURN" --bpffs "$FS" down "$A" >/dev/null && in_ns b "$WGTURN" --bpffs "$FS" down "$B" >/dev/null ||
		die "wgturn down"
done

# ---- mode 3: userspace proxy ------------------------------------------------
note "mode proxy: bench/proxy on both sites, WireGuard endpoints 127.0.0.1:$PPORT"
proxy_up a
proxy_up b
_wait_for 10 test -s "$WORLD_TMP/proxy-a.relayed" && _wait_for 10 test -s "$WORLD_TMP/proxy-b.relayed" ||
	die "proxy: no allocation: $(cat "$WORLD_TMP"/proxy-*.log)"
cp "$WORLD_TMP/proxy-b.relayed" "$WORLD_TMP/proxy-a.peer"
cp "$WORLD_TMP/proxy-a.relayed" "$WORLD_TMP/proxy-b.peer"
_wait_for 10 grep -q 'bound' "$WORLD_TMP/proxy-a.log" && _wait_for 10 grep -q 'bound' "$WORLD_TMP/proxy-b.log" ||
	die "proxy: channel not bound: $(cat "$WORLD_TMP"/proxy-*.log)"
pair "127.0.0.1:$PPORT" "127.0.0.1:$PPORT"
first_answer || die "proxy: no answer through the tunnel"
for ((r = 1; r <= REPS; r++)); do run proxy $r; done
for s in a b; do _stop_pid "${PROXY_PID[$s]}"; done
note "proxy a: $(tail -n1 "$WORLD_TMP/proxy-a.log")"

T1=$(date +%s)

# ---- summary ----------------------------------------------------------------
MACHINE="$(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(nproc) CPUs, Linux $(uname -r), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
VERSIONS="wireguard-go $(dpkg-query -W -f='${Version}' wireguard-go 2>/dev/null), coturn $(dpkg-query -W -f='${Version}' coturn 2>/dev/null), iperf3 $(dpkg-query -W -f='${Version}' iperf3 2>/dev/null)"
MODES=(direct native skb tc proxy)
declare -A LABEL=([direct]="direct (no relay)" [native]="wgturn, native XDP" [skb]="wgturn, generic XDP"
	[tc]="wgturn, TC ingress" [proxy]="userspace proxy")
# metric: column in $RAW | name | unit | printf format
METRICS=("3|TCP throughput, one stream|Mbit/s|%.0f" "15|TCP throughput, -P 4|Mbit/s|%.0f"
	"16|whole machine CPU per datagram at $LOAD_RATE, above idle|ns|%.0f"
	"4|UDP loss at $UDP_RATE offered|%|%.2f"
	"5|UDP jitter|ms|%.3f" "6|ping RTT p50|ms|%.3f" "7|ping RTT p99|ms|%.3f"
	"9|site A relay CPU per relayed packet, the relay's own|ns|%.0f")

# stat MODE COLUMN: "median min max" of the repetitions, nothing if none
stat() {
	awk -F'\t' -v m="$1" -v c="$2" 'NR > 1 && $1 == m && $c != "NA" { print $c }' "$RAW" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
}

{
	line="| metric |"
	for m in "${MODES[@]}"; do line+=" ${LABEL[$m]} |"; done
	echo "$line"
	echo "|---|---:|---:|---:|---:|---:|"
	for mt in "${METRICS[@]}"; do
		IFS='|' read -r col name unit fmt <<<"$mt"
		line="| $name ($unit) |"
		for m in "${MODES[@]}"; do
			read -r med lo hi <<<"$(stat "$m" "$col")"
			if [ -z "$med" ]; then
				line+=" n/a |"
			else
				# shellcheck disable=SC2059 # the format is ours
				line+=" $(printf "$fmt ($fmt-$fmt)" "$med" "$lo" "$hi") |"
			fi
		done
		echo "$line"
	done
} >"$OUT/e2e.table"
{
	echo "| mode | wireguard-go A | wireguard-go B | coturn | iperf3 server | proxy A | proxy B | whole machine |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for m in "${MODES[@]}"; do
		line="| ${LABEL[$m]} |"
		for col in 19 20 21 22 23 24 25; do
			read -r med _ <<<"$(stat "$m" $col)"
			line+=" ${med:--} |"
		done
		echo "$line"
	done
} >"$OUT/cpu.table"

# The eBPF mode the ratios use: the cheapest hook by whole-machine CPU.
best=native
for m in skb tc; do
	read -r a _ <<<"$(stat "$m" 16)"
	read -r b _ <<<"$(stat "$best" 16)"
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a < b) }' && best=$m
done
read -r cpu_e _ <<<"$(stat "$best" 9)"
read -r cpu_p _ <<<"$(stat proxy 9)"
read -r tcp_e _ <<<"$(stat "$best" 3)"
read -r tcp_p _ <<<"$(stat proxy 3)"
read -r tcp_d _ <<<"$(stat direct 3)"
read -r m_d _ <<<"$(stat direct 16)"
read -r m_e _ <<<"$(stat "$best" 16)"
read -r m_p _ <<<"$(stat proxy 16)"
ratio_cpu=$(awk -v a="$cpu_p" -v b="$cpu_e" 'BEGIN { printf "%.1f", a / b }')
ratio_tcp=$(awk -v a="$tcp_e" -v b="$tcp_p" 'BEGIN { printf "%.2f", a / b }')
ratio_tcpd=$(awk -v a="$tcp_e" -v b="$tcp_d" 'BEGIN { printf "%.2f", a / b }')
ratio_m=$(awk -v a="$m_p" -v b="$m_e" 'BEGIN { printf "%.2f", a / b }')
ratio_mx=$(awk -v a="$m_p" -v b="$m_e" -v d="$m_d" 'BEGIN { if (b > d) printf "%.1f", (a - d) / (b - d); else print "n/a" }')

cat >"$OUT/e2e.md" <<MD
# End-to-end benchmark (scripts/bench_e2e.sh, part of make bench)

Machine: $MACHINE; $VERSIONS.

Median (min-max) of $REPS repetitions per mode, site A -> site B through
WireGuard (wireguard-go, MTU $WG_MTU), both sites behind NAT, one coturn,
everything on this machine's CPUs: iperf3 TCP $TCP_S s (one stream, then
-P 4), iperf3 UDP $UDP_S s at $UDP_RATE offered with $UDP_LEN-byte
datagrams, $PINGS pings at 0.01 s, then the fixed load.

- **Whole machine CPU per datagram** (like for like): iperf3 UDP at
  $LOAD_RATE ($UDP_LEN-byte datagrams) for $LOAD_S s in every mode; the
  machine's busy time (both CPUs x wall time - idle - iowait - steal, from
  /proc/stat, whose idle time is exact where its user and system ticks
  are samples; every namespace: both WireGuards, coturn, iperf3, the
  NATs, wgturn's programs or the proxies) minus the rate measured idle
  with the tunnel up for $IDLE_S s just before, divided by the datagrams B
  received. Each datagram is encapsulated at A, relayed by coturn and
  decapsulated at B; direct has neither relay nor coturn.
- **The relay's own CPU per relayed packet** on site A: eBPF =
  run_time_ns of wgturn's programs on A's uplink
  (kernel.bpf_stats_enabled) / (tx_relay + rx_relay); proxy = run time
  (/proc/PID/task/*/schedstat) of A's proxy process / packets it forwarded (both directions). It leaves
  out native XDP's copy of each skb on a veth and generic XDP's headroom
  expansion (kernel work outside the program), and the proxy's socket and
  loopback work outside its process.
- wgturn modes: the same daemon with \`--xdp-mode native\`, \`skb\` and
  \`off\` (TC ingress) on the sites' veth uplinks; TC egress in all three.
- Direct: NATs opened by a static port forward of udp/51820 on both NAT
  routers.

$(cat "$OUT/e2e.table")

Who used the CPUs during the single-stream TCP test (median % of one
CPU; the machine has $(nproc), so $((100 * $(nproc))) is everything):

$(cat "$OUT/cpu.table")

Ratios with the cheapest wgturn mode by whole-machine CPU ($best):
- whole machine CPU per datagram, proxy / wgturn: **${ratio_m}x** ($(printf %.0f "$m_p") / $(printf %.0f "$m_e") ns); above direct ($(printf %.0f "$m_d") ns), the relaying's own extra, proxy / wgturn: **${ratio_mx}x**
- the relay's own CPU per relayed packet, proxy / wgturn: **${ratio_cpu}x** ($(printf %.0f "$cpu_p") ns / $(printf %.0f "$cpu_e") ns)
- relayed TCP throughput, wgturn / proxy: **${ratio_tcp}x** ($(printf %.0f "$tcp_e") / $(printf %.0f "$tcp_p") Mbit/s); wgturn / direct: **${ratio_tcpd}x** ($(printf %.0f "$tcp_d") Mbit/s)

Every run, with the path witnesses (packets NAT A forwarded to and from
the relay and directly to and from NAT B): e2e.tsv. Plot: e2e.png.
MD

# gnuplot data: one block per metric, a row per mode: x "label" median min max "value"
{
	for mt in "${METRICS[@]}"; do
		IFS='|' read -r col name unit fmt <<<"$mt"
		echo "# $name ($unit)"
		i=0
		for m in "${MODES[@]}"; do
			read -r med lo hi <<<"$(stat "$m" "$col")"
			# shellcheck disable=SC2059 # the format is ours
			[ -n "$med" ] && printf '%d "%s" %s %s %s "%s"\n' $i "${LABEL[$m]/, /\\n}" \
				"$med" "$lo" "$hi" "$(printf "$fmt" "$med")"
			i=$((i + 1))
		done
		printf '\n\n'
	done
} >"$OUT/e2e.dat"
cp "$RAW" "$OUT/e2e.tsv"
gnuplot -e "dat='$OUT/e2e.dat'; out='$OUT/e2e.png'; machine='$MACHINE'; ratios='machine CPU per datagram, proxy / wgturn ($best): ${ratio_m}x      relayed TCP, wgturn / proxy: ${ratio_tcp}x, wgturn / direct: ${ratio_tcpd}x'; reps='$REPS'; udprate='$UDP_RATE'" \
	bench/plot.gp || die "gnuplot"
echo
echo "End to end through WireGuard, $REPS repetitions per mode ($((T1 - T0)) s), median (min-max)"
echo
cat "$OUT/e2e.table"
echo
cat "$OUT/cpu.table"
rm -f "$OUT/e2e.table" "$OUT/cpu.table"
echo
echo "whole machine CPU per datagram, proxy / wgturn ($best): ${ratio_m}x (above direct: ${ratio_mx}x)"
echo "the relay's own CPU per relayed packet, proxy / wgturn: ${ratio_cpu}x"
echo "relayed TCP throughput, wgturn / proxy: ${ratio_tcp}x, wgturn / direct: ${ratio_tcpd}x"
echo
echo "bench_e2e: wrote $OUT/e2e.md, $OUT/e2e.tsv, $OUT/e2e.png"
