#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, part 3: how long the tunnel is down after each event of
# tests/netns/e2e_rendezvous.sh and e2e_pion.sh (both sites behind
# port-randomising NAT, coturn or Pion, Knot DNS, wireguard-go, a ping
# every 0.2 s both ways; outage = the longest silence in either direction,
# less any time the event itself blocks the way on purpose). The tests run
# BENCH_RECOVERY_RUNS times (default 3; e2e_rendezvous's outer families
# E2E_FAMILIES, default v4); per event the median and the range go to
# bench/results/recovery.md, next to the published figures of the
# alternatives.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
RUNS=${BENCH_RECOVERY_RUNS:-3}
OUT=bench/results/recovery.md
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT

for ((r = 1; r <= RUNS; r++)); do
	echo "== recovery run $r of $RUNS"
	BUILD=$BUILD E2E_FAMILIES=${E2E_FAMILIES:-v4} \
		timeout 1200 tests/netns/e2e_rendezvous.sh >"$raw.run" 2>&1
	grep -c '^not ok' "$raw.run" | sed 's/^/   failed checks: /'
	# "# v4 coturn restart: outage 5135 ms (...)"
	sed -nE 's/^# (v[46]) (.*): outage ([0-9]+) ms.*/\1\t\2\t\3/p' "$raw.run" >>"$raw"
	sed -nE 's/^# (v[46]) plain peer.s address change: .*longest silence ([0-9]+) ms.*/\1\ta plain peer'"'"'s DNS name moves\t\2/p' \
		"$raw.run" >>"$raw"
	# the same measure with a Pion TURN server restarted
	BUILD=$BUILD timeout 600 tests/netns/e2e_pion.sh >"$raw.run" 2>&1
	grep -c '^not ok' "$raw.run" | sed 's/^/   failed checks (Pion): /'
	sed -nE 's/^# (v[46]) (.*): outage ([0-9]+) ms.*/\1\t\2\t\3/p' "$raw.run" >>"$raw"
done
rm -f "$raw.run"

{
	echo "# Recovery: outage per event (ms)"
	echo
	echo "$(date -u +%F), $(uname -r), $(nproc) CPUs; $RUNS runs of tests/netns/e2e_rendezvous.sh and e2e_pion.sh."
	echo "Outage: the longest silence of a ping every 0.2 s, either direction."
	echo
	echo "| outer | event | median | min-max | runs | reresolve-dns.sh | WireGuard alone |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	sort -t$'\t' -k1,1 -k2,2 -k3,3n "$raw" | awk -F'\t' '
		function flush() { if (!n) return
			printf "| %s | %s | %d | %d-%d | %d | 120000 (period) | 90000 (gives up) |\n",
				f, e, v[int((n + 1) / 2)], v[1], v[n], n }
		{ if ($1 != f || $2 != e) { flush(); f = $1; e = $2; n = 0 }
		  v[++n] = $3 }
		END { flush() }'
} >"$OUT"
cat "$OUT"
