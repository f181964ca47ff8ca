#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, part 4: the path MTU, in the world of tests/netns/e2e_mtu.sh
# (scripts/world.sh, IPv4 outer addresses, both sites behind NAT, coturn,
# Knot DNS for the rendezvous, wireguard-go at MTU 1420 on both sites).
#  1. The daemon's path MTU search toward the relay after the path
#     changes: a 1400-byte hop between NAT A and the internet with the
#     routers' ICMP "fragmentation needed" dropped, the same with ICMP
#     allowed, a 1280-byte hop with ICMP dropped. As in e2e_mtu.sh, the
#     search is started by restarting site A's daemon (a new allocation
#     searches at once) after the hop changed and A's kernel forgot what it
#     learnt; between repetitions the hop goes back to 1500. Per case
#     BENCH_MTU_REPS (default 5) repetitions: the probed value and the
#     daemon's own search_ms and probe count (relay_path_mtu in its state
#     file), and the time from `wgturn up` to the result there.
#     Then the 1400 change, ICMP dropped, under a running daemon and a TCP
#     stream A -> B, nothing restarted: the time until the daemon, which
#     notices the silent path itself, has the result, and the stream's
#     stall.
#  2. One TCP stream, site A -> site B, through the 1400 hop with ICMP
#     dropped, BENCH_MTU_TCP_RUNS (default 3) runs of iperf3 -t
#     BENCH_MTU_TCP_S (default 5) s each: relayed by wgturn (tunnel MTU
#     set on the routes) and plain WireGuard direct (no wgturn, the NATs
#     opened by a port forward as in bench_e2e.sh's direct mode). A run
#     that does not finish is reported as such, not hidden.
# Writes bench/results/mtu.md and prints the same.
# shellcheck disable=SC2015 # A && B || die: die exits
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
REPS=${BENCH_MTU_REPS:-5}
TCP_RUNS=${BENCH_MTU_TCP_RUNS:-3}
TCP_S=${BENCH_MTU_TCP_S:-5}
OUT=${BENCH_OUT:-bench/results}
WGTURN=$PWD/$BUILD/wgturn
FS=/run/wgturn-bench-mtu-$$
A=wka$$
B=wkb$$
HOP_DEADLINE=30 # s for one search to end (e2e_mtu.sh allows 20)

. tests/lib/tap.sh # tscale, which tests/lib/e2e.sh's helpers use
. scripts/world.sh
. tests/lib/e2e.sh

die() { echo "bench_mtu: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

for t in iperf3 jq nft kdig knotd; do
	command -v $t >/dev/null || die "$t missing (make deps)"
done
[ -x "$WGTURN" ] || die "build first (make test-build)"
[ "$(id -u)" = 0 ] || die "needs root"

cleanup() { wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- helpers -------------------------------------------------------------

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# stats: "median min max" of the numbers on stdin (nothing if none); the
# median of an even count is the mean of the middle two.
stats() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
}

# cell FORMAT: "median (min-max)" of the numbers on stdin, or "n/a".
cell() {
	local med lo hi
	read -r med lo hi <<<"$(stats)"
	# shellcheck disable=SC2059 # the format is ours
	if [ -z "$med" ]; then echo "n/a"; else printf "$1 ($1-$1)" "$med" "$lo" "$hi"; fi
}

# hop_mtu MTU: the link between NAT A and the internet, both ends
# (copied from e2e_mtu.sh).
hop_mtu() { ip -n "$NS_NATA" link set wan mtu "$1" && ip -n "$NS_INET" link set r-nata mtu "$1"; }

# icmp_frag drop|accept: the routers' own "fragmentation needed" (copied
# from e2e_mtu.sh): dropped, the hop is a black hole.
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

# forget: the hosts drop the path MTUs they learnt from ICMP, so each
# repetition starts from the route's MTU. The relay's host too: with ICMP
# allowed, coturn's sends toward NAT A teach it the hop, for 10 minutes
# (net.ipv4.route.mtu_expires), and B's probes through the relay find it.
forget() {
	local s
	for s in a b relay; do in_ns "$s" ip route flush cache || return 1; done
}

# pmtu_result: the daemon's finished search, "value search_ms probes",
# or nothing while there is none (a new daemon has none before its first).
pmtu_result() {
	wgt_state "$A" '.relay_path_mtu | select(.searching == false) | "\(.value) \(.search_ms) \(.probes)"'
}

# wait_pmtu: poll A's state file until a search ended (HOP_DEADLINE s).
wait_pmtu() {
	local i r
	for ((i = 0; i < HOP_DEADLINE * 10; i++)); do
		r=$(pmtu_result)
		[ -n "$r" ] && { echo "$r"; return 0; }
		sleep 0.1
	done
	return 1
}

# a_up: wgturn up on site A with the rendezvous (tests/lib/e2e.sh).
a_up() { rdv_up a "$A" || die "wgturn up $A: $(cat "$WORLD_TMP/up-$A.log")"; }

# both_anew: both daemons down, then up (B first, as e2e_mtu.sh's
# far_hop): B's measurement of its path through the relay to A is fresh
# too. B's tunnel MTU toward A sets the MSS B advertises, so a stale small
# one from an earlier case would shrink A's segments to fit any hop.
both_anew() {
	W a down "$A" >/dev/null 2>&1 || die "wgturn down $A"
	W b down "$B" >/dev/null 2>&1 || die "wgturn down $B"
	forget
	rdv_up b "$B" || die "wgturn up $B: $(cat "$WORLD_TMP/up-$B.log")"
	a_up
}

# a_tunnel_mtu: the tunnel MTU A's daemon gives B (show --json).
a_tunnel_mtu() { W a show "$A" --json | jq -r '.[0].peers[0].tunnel_mtu // empty'; }

# tunnel_mtu_is MTU: A's daemon gives B tunnel MTU MTU (waits 10 s).
tunnel_mtu_is() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(a_tunnel_mtu)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- the world, as e2e_mtu.sh's start v4 -----------------------------------

T0=$(date +%s)
mkdir -p "$FS" && mount -t bpf bpf "$FS" || die "mount bpffs"
WG_MTU=1420
world_up v4 || die "world_up"
FAM=v4
knot_start || die "knotd"
wg_up a "$A" 51820 && wg_up b "$B" 51820 || die "wireguard-go"
wg_peer a "$A" "${WG_PUBKEY[$B]}" - "$(allowed b)"
wg_peer b "$B" "${WG_PUBKEY[$A]}" - "$(allowed a)"
rdv_up a "$A" || die "wgturn up $A: $(cat "$WORLD_TMP/up-$A.log")"
rdv_up b "$B" || die "wgturn up $B: $(cat "$WORLD_TMP/up-$B.log")"
wgt_ping_first a "$(tun b)" >/dev/null || die "no answer through the tunnel"
note "world up in $(($(date +%s) - T0)) s"

# ---- 1. the search ---------------------------------------------------------

RAW=$WORLD_TMP/pmtu.tsv # case rep value search_ms probes up_to_result_ms

# search_case MTU drop|accept LABEL: REPS searches after the hop changed
# from 1500 to MTU.
search_case() {
	local m=$1 icmp=$2 label=$3 r t0 res
	icmp_frag "$icmp" || die "nft: ICMP $icmp"
	for ((r = 1; r <= REPS; r++)); do
		# the path as it was: 1500, nothing learnt, no daemon
		W a down "$A" >/dev/null 2>&1 || die "wgturn down $A"
		hop_mtu 1500 && forget || die "hop back to 1500"
		# the change, then a new daemon searches
		hop_mtu "$m" && forget || die "hop at $m"
		t0=$(now_ms)
		a_up
		if res=$(wait_pmtu); then
			printf '%s\t%s\t%s\t%s\n' "$label" "$r" "${res// /$'\t'}" $(($(now_ms) - t0)) >>"$RAW"
			note "$label #$r: value search_ms probes = $res, $(($(now_ms) - t0)) ms after up began"
		else
			note "$label #$r: no result within $HOP_DEADLINE s: $(wgt_state "$A" .relay_path_mtu)"
		fi
	done
	hop_mtu 1500
}

CASES=("1400|drop|1400-byte hop, ICMP dropped" "1400|accept|1400-byte hop, ICMP allowed"
	"1280|drop|1280-byte hop, ICMP dropped")
for c in "${CASES[@]}"; do
	IFS='|' read -r m icmp label <<<"$c"
	search_case "$m" "$icmp" "$label"
done

# ---- 1b. the same change under a running daemon and a TCP stream ----------

RUNRAW=$WORLD_TMP/running.tsv # rep value search_ms probes change_to_result_ms stall_ms to_search_ms

# b_rx: bytes B's WireGuard interface received (decrypted, inner).
b_rx() { ip -n "$NS_B" -s -j link show dev "$B" | jq '.[0].stats64.rx.bytes'; }

# iperf3_server TAG: a fresh one-off server on B (a server whose client
# hung would stay busy); sets SRV.
iperf3_server() {
	world_bg b "iperf3-s-$1" iperf3 -s -1 -B "$(tun b)"
	SRV=$WORLD_BG_PID
	_wait_for 5 sh -c "ip netns exec $NS_B ss -Htln | grep -q ':5201'" || die "iperf3 server"
}

# running_rep REP: the hop drops to 1400 (ICMP dropped) under a TCP stream
# A -> B; no restart: the daemon notices a silent path and searches. Time
# from the change to the result in the state file, and the stream's
# stall: the longest stretch of 0.1 s samples in which B's WireGuard
# interface received under 128 KB each.
running_rep() {
	local r=$1 t0 t tp rx rxp res="" tres=NA cur=0 stall=0 fast=0 cli mss
	hop_mtu 1500 || die "hop back to 1500"
	both_anew
	wait_pmtu >/dev/null || die "running: no search result at 1500"
	wgt_ping_first a "$(tun b)" >/dev/null || die "running: no answer through the tunnel"
	# a silent path starts a search only 10 s after the last began (pmtu.h)
	sleep 11
	iperf3_server "running-$r"
	world_bg a "iperf3-c-running-$r" timeout 60 iperf3 -c "$(tun b)" -t 45
	cli=$WORLD_BG_PID
	sleep 2
	# segments that fit the 1400 hop anyway (MSS + 116 bytes of headers
	# and ChannelData: a smaller MSS advertised by B) would test nothing
	mss=$(in_ns a ss -tin dst "$(tun b)" | grep -oE ' mss:[0-9]+' | cut -d: -f2 | sort -n | tail -n1)
	if [ "${mss:-0}" -le 1284 ]; then
		note "running #$r: A's segments fit the hop already (MSS ${mss:-none}): not counted"
		_stop_pid "$cli"
		_stop_pid "$SRV"
		printf '%s\tNA\tNA\tNA\tNA\tNA\tNA\n' "$r" >>"$RUNRAW"
		return
	fi
	t0=$(now_ms)
	hop_mtu 1400 || die "hop at 1400"
	tp=$t0 rxp=$(b_rx)
	# until the result is in and B has received at full pace for 2 s
	while ((tp - t0 < 25000)) && ! { [ -n "$res" ] && ((fast >= 2000)); }; do
		sleep 0.1
		rx=$(b_rx) t=$(now_ms)
		if ((rx - rxp < 131072)); then
			cur=$((cur + t - tp)) fast=0
			((cur > stall)) && stall=$cur
		else
			cur=0 fast=$((fast + t - tp))
		fi
		tp=$t rxp=$rx
		if [ -z "$res" ]; then
			res=$(wgt_state "$A" '.relay_path_mtu | select(.searching == false and .value < 1500) | "\(.value) \(.search_ms) \(.probes)"')
			[ -n "$res" ] && tres=$((t - t0))
		fi
	done
	_stop_pid "$cli"
	_stop_pid "$SRV"
	((fast >= 2000)) || stall=NA
	note "running #$r: value search_ms probes = ${res:-none}, $tres ms after the change; TCP stall $stall ms"
	local took=NA
	[ -n "$res" ] && took=$((tres - $(cut -d' ' -f2 <<<"$res")))
	[ -n "$res" ] || res="NA NA NA"
	printf '%s\t%s\t%s\t%s\t%s\n' "$r" "${res// /$'\t'}" "$tres" "$stall" "$took" >>"$RUNRAW"
	hop_mtu 1500
}

icmp_frag drop || die "nft: ICMP drop"
for ((r = 1; r <= REPS; r++)); do running_rep $r; done

# ---- 2. TCP through the 1400 hop, ICMP dropped -----------------------------

# Witnesses on NAT A, before the hop: what A's host sent toward the relay
# and toward NAT B directly, and how much of it was bigger than the hop.
in_ns nata nft -f - <<EOF || die "nft counters"
table inet benchmtu {
	counter to_relay {}
	counter to_peer {}
	counter too_big {}
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		iifname "lan" ip saddr $A4 ip daddr $RELAY4 udp dport $TURN_PORT counter name to_relay
		iifname "lan" ip saddr $A4 ip daddr $NATB4 counter name to_peer
		iifname "lan" ip saddr $A4 meta length > 1400 counter name too_big
	}
}
EOF
cnt() { in_ns nata nft list counter inet benchmtu "$1" | sed -nE 's/.*packets ([0-9]+).*/\1/p'; }
witness() { echo "$(cnt to_relay) $(cnt to_peer) $(cnt too_big)"; }
TCP=$WORLD_TMP/tcp.tsv # mode run finished mbps b_rx_bytes to_relay to_peer too_big

# tcp_run MODE RUN: one iperf3 stream A -> B.
tcp_run() {
	local mode=$1 run=$2 j rc mbps w0 w1 rx0 rx1 d=()
	iperf3_server "$mode-$run"
	w0=$(witness) rx0=$(b_rx)
	j=$(in_ns a timeout $((TCP_S + 15)) iperf3 -c "$(tun b)" -t "$TCP_S" -J 2>&1)
	rc=$?
	w1=$(witness) rx1=$(b_rx)
	_stop_pid "$SRV"
	mbps=$(jq -r '.end.sum_received.bits_per_second // empty | . / 1e6' <<<"$j" 2>/dev/null)
	local a b i
	read -ra a <<<"$w0"
	read -ra b <<<"$w1"
	for i in 0 1 2; do d[i]=$((b[i] - a[i])); done
	if [ "$rc" = 0 ] && [ -n "$mbps" ]; then
		note "$mode #$run: $(printf %.0f "$mbps") Mbit/s; B received $((rx1 - rx0)) bytes; A sent to relay/peer ${d[0]}/${d[1]} packets, ${d[2]} bigger than the hop"
		printf '%s\t%s\t1\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$run" "$mbps" $((rx1 - rx0)) "${d[@]}" >>"$TCP"
	else
		note "$mode #$run: iperf3 did not finish (rc $rc$([ "$rc" = 124 ] && echo ", killed after $((TCP_S + 15)) s"): $(jq -r '.error // empty' <<<"$j" 2>/dev/null | head -c 200)); B received $((rx1 - rx0)) bytes; A sent to relay/peer ${d[0]}/${d[1]} packets, ${d[2]} bigger than the hop"
		printf '%s\t%s\t0\tNA\t%s\t%s\t%s\t%s\n' "$mode" "$run" $((rx1 - rx0)) "${d[@]}" >>"$TCP"
	fi
	sleep 1 # queues drain between runs
}

# open_nats / close_nats: a static port forward of udp/51820 on both NAT
# routers (copied from bench_e2e.sh's direct mode).
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

icmp_frag drop || die "nft: ICMP drop"
hop_mtu 1400 || die "hop at 1400"
both_anew
wait_pmtu >/dev/null || die "relayed: no path MTU search result"
RELAY_PMTU=$(wgt_state "$A" .relay_path_mtu.value)
RELAY_TMTU=$(((RELAY_PMTU - 64) / 16 * 16))
wgt_ping_first a "$(tun b)" >/dev/null || die "relayed: no answer through the tunnel"
tunnel_mtu_is "$RELAY_TMTU" ||
	die "relayed: tunnel MTU $(a_tunnel_mtu), not $RELAY_TMTU"
note "relayed: probed $RELAY_PMTU, tunnel MTU $RELAY_TMTU; $(in_ns a ip route show proto 87 | head -n1)"
for ((r = 1; r <= TCP_RUNS; r++)); do tcp_run relayed $r; done

# plain WireGuard: no daemon (its routes go with it), endpoints at the
# other NAT's forwarded port
W a down "$A" >/dev/null && W b down "$B" >/dev/null || die "wgturn down"
[ -z "$(ip -n "$NS_A" route show proto 87 table all)" ] || die "direct: wgturn's routes left on A"
forget
open_nats || die "open NATs"
wg_peer a "$A" "${WG_PUBKEY[$B]}" "$NATB4:51820" "$(allowed b)" &&
	wg_peer b "$B" "${WG_PUBKEY[$A]}" "$NATA4:51820" "$(allowed a)" || die "direct endpoints"
wgt_ping_first a "$(tun b)" >/dev/null || die "direct: no answer through the tunnel"
note "direct: kernel's MTU toward B's tunnel address: $(in_ns a ip route get "$(tun b)" | grep -oE 'mtu [0-9]+' || echo "none (the interface's $WG_MTU)")"
for ((r = 1; r <= TCP_RUNS; r++)); do tcp_run direct $r; done
T1=$(date +%s)

# ---- the table ---------------------------------------------------------------

# col CASE FIELD: the values of FIELD (3 value, 4 search_ms, 5 probes,
# 6 up to result) of CASE's repetitions, one a line.
col() { awk -F'\t' -v c="$1" -v f="$2" '$1 == c { print $f }' "$RAW" 2>/dev/null; }

# rcol FIELD: the same for the running-daemon repetitions (2 value,
# 3 search_ms, 4 probes, 5 change to result, 6 stall, 7 change to the
# search's start).
rcol() { awk -F'\t' -v f="$1" '$f != "NA" { print $f }' "$RUNRAW"; }

# tcol MODE FIELD: the same for the TCP runs (4 Mbit/s of finished runs).
tcol() { awk -F'\t' -v m="$1" -v f="$2" '$1 == m && $f != "NA" { print $f }' "$TCP"; }

# tsum MODE FIELD: the sum over MODE's runs.
tsum() { awk -F'\t' -v m="$1" -v f="$2" '$1 == m { s += $f } END { print s + 0 }' "$TCP"; }

mkdir -p "$OUT"
{
	echo "# Path MTU benchmark (scripts/bench_mtu.sh, part of make bench)"
	echo
	echo "$(date -u '+%F %H:%M UTC'); Linux $(uname -r), $(nproc) CPUs;" \
		"wireguard-go $(dpkg-query -W -f='${Version}' wireguard-go 2>/dev/null)" \
		"(MTU $WG_MTU), coturn $(dpkg-query -W -f='${Version}' coturn 2>/dev/null)," \
		"iperf3 $(dpkg-query -W -f='${Version}' iperf3 2>/dev/null); IPv4 outer; run time $((T1 - T0)) s."
	echo
	echo "## Path MTU search toward the relay, $REPS repetitions per case"
	echo
	echo "| path change (between NAT A and the internet) | real path MTU | probed value | search (ms) | probes | wgturn up to result (ms) | results |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for c in "${CASES[@]}"; do
		IFS='|' read -r m icmp label <<<"$c"
		echo "| 1500 -> $label | $m | $(col "$label" 3 | cell %d) | $(col "$label" 4 | cell %d) |" \
			"$(col "$label" 5 | cell %d) | $(col "$label" 6 | cell %d) | $(col "$label" 3 | grep -c .)/$REPS |"
	done
	echo
	echo "Median (min-max) over the repetitions that produced a result."
	echo "- path change: the MTU of the link between NAT A and the internet, both ends, changed from 1500; \"ICMP dropped\" means both routers' own ICMP fragmentation-needed never leaves them (a black hole)."
	echo "- real path MTU: the smallest link MTU between site A and the relay after the change."
	echo "- probed value: relay_path_mtu.value in A's daemon state file, the largest padded STUN Binding (with DF, from WireGuard's 5-tuple) the relay answered; the search stops within 8 bytes."
	echo "- search (ms): relay_path_mtu.search_ms, the daemon's own time from the first probe to the result (it starts when the new allocation is made)."
	echo "- probes: relay_path_mtu.probes, the probes sent in that search (each size is tried up to twice)."
	echo "- wgturn up to result (ms): wall time from starting \`wgturn up\` on site A (after the change) until its state file shows the finished search; includes the TURN allocation, the rendezvous start and up to 1 s of the state file's once-a-second refresh."
	echo "- results: repetitions whose search ended within $HOP_DEADLINE s."
	echo
	echo "The search is started by restarting A's daemon after each change, as tests/netns/e2e_mtu.sh does (a new allocation searches at once); a daemon already running searches again on a silent path, every 10 minutes, or on a new allocation. The next table is that case."
	echo
	echo "## The same change under a running daemon and one TCP stream A -> B, $REPS repetitions"
	echo
	echo "| path change (between NAT A and the internet) | real path MTU | probed value | search (ms) | probes | change to search start (ms) | change to result (ms) | TCP stall (ms) | results |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	echo "| 1500 -> 1400-byte hop, ICMP dropped | 1400 | $(rcol 2 | cell %d) | $(rcol 3 | cell %d) |" \
		"$(rcol 4 | cell %d) | $(rcol 7 | cell %d) | $(rcol 5 | cell %d) | $(rcol 6 | cell %d) | $(rcol 2 | grep -c .)/$REPS |"
	echo
	echo "Each repetition restarts both daemons at 1500, waits 11 s (a silent path starts a search only 10 s after the last one began), starts iperf3 -c B -t 45 and 2 s later drops the hop to 1400; nothing else is done."
	echo "- probed value, search (ms), probes: as above, of the search the daemon started by itself."
	echo "- change to search start (ms): change to result less the search's own time: how long the daemon took to suspect the path and start searching, plus up to 1 s of the state file's refresh."
	echo "- change to result (ms): wall time from the hop change until A's state file shows that search's result; includes the time the daemon takes to suspect the path (its rule: WireGuard keeps sending and nothing came back for 1.5 s), the search, and up to 1 s of the state file's refresh."
	echo "- TCP stall (ms): after the change, the longest stretch of 0.1 s samples in which B's WireGuard interface received under 128 KB each (the stream runs at tens of MB/s otherwise); n/a if the stream was not back at that pace for 2 s within 25 s of the change."
	echo "- results: repetitions whose search ended within 25 s of the change (a repetition whose TCP segments already fitted the hop, MSS 1284 or less, is not counted)."
	echo
	echo "## One TCP stream A -> B through the 1400-byte hop, ICMP dropped, $TCP_RUNS runs per mode"
	echo
	echo "| mode | tunnel MTU toward B | TCP throughput (Mbit/s) | iperf3 runs completed | bytes B received (all runs) | packets A sent bigger than the hop (all runs) |"
	echo "|---|---:|---:|---:|---:|---:|"
	echo "| wgturn relayed via coturn | $RELAY_TMTU (probed $RELAY_PMTU) | $(tcol relayed 4 | cell %.1f) | $(tcol relayed 3 | awk '{ s += $1 } END { print s + 0 }')/$TCP_RUNS | $(tsum relayed 5) | $(tsum relayed 8) |"
	echo "| plain WireGuard direct (NATs port-forwarded) | $WG_MTU (interface) | $(tcol direct 4 | cell %.1f) | $(tcol direct 3 | awk '{ s += $1 } END { print s + 0 }')/$TCP_RUNS | $(tsum direct 5) | $(tsum direct 8) |"
	echo
	echo "- mode: relayed = \`wgturn up\` on both sites, WireGuard's endpoints the other's relayed address (found through the rendezvous); direct = no wgturn, each endpoint the other NAT's public address, where a static port forward of udp/51820 lets it in (as bench_e2e.sh's direct mode)."
	echo "- tunnel MTU toward B: the MTU site A's kernel uses for B's tunnel address: set by wgturn on the routes (mtu lock), or WireGuard's interface MTU when nothing sets one."
	echo "- TCP throughput (Mbit/s): iperf3 -t $TCP_S, receiver side, median (min-max) of the runs that finished; n/a if none did."
	echo "- iperf3 runs completed: runs where iperf3 exited 0 within $((TCP_S + 15)) s (it does so also when almost nothing arrived); the others were killed by timeout or failed."
	echo "- bytes B received: bytes the WireGuard interface on site B received (inner packets, decrypted) during the runs, whatever iperf3 reported."
	echo "- packets A sent bigger than the hop: UDP packets from site A's host over 1400 bytes (IP length) counted on NAT A before the hop, which drops them without a word."
} >"$OUT/mtu.md"
echo
cat "$OUT/mtu.md"
echo
echo "bench_mtu: wrote $OUT/mtu.md ($((T1 - T0)) s)"
