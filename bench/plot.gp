# gnuplot script for scripts/bench_e2e.sh: one panel per metric, a bar per
# mode (median), whiskers from min to max, the median printed on each bar.
# Variables (gnuplot -e): dat, out, machine, ratios, reps, udprate.
# dat: one block per metric (index 0..7), rows: x "label" median min max "text"
if (!exists("udprate")) udprate = "?"
set terminal pngcairo size 2000,1000 font "DejaVu Sans,12" noenhanced
set output out
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.6
set key off
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0 font ",11"
set ytics nomirror
set yrange [0:*]
set xrange [-0.6:4.6]
set offsets 0, 0, graph 0.12, 0
set bmargin 4
# direct grey, wgturn's three ingress hooks greens, proxy orange
col(x) = x == 0 ? 0x888888 : (x == 1 ? 0x2e8b57 : (x == 2 ? 0x5fb37f : (x == 3 ? 0x1f5f3b : 0xe07b00)))

titles = "'TCP throughput, one stream (Mbit/s, higher is better)' \
'TCP throughput, -P 4 (Mbit/s, higher is better)' \
'whole machine CPU per datagram at fixed load (ns, lower is better)' \
'UDP loss at ".udprate." offered (%, lower is better)' \
'UDP jitter (ms, lower is better)' \
'ping RTT p50 (ms, lower is better)' \
'ping RTT p99 (ms, lower is better)' \
'site A relay CPU per relayed packet (ns, lower is better)'"

set multiplot layout 2,4 rowsfirst \
	title sprintf("wgturn end to end: WireGuard between two NATed sites, median of %s runs, whiskers min-max\n%s\n%s", reps, ratios, machine) \
	font ",14"
do for [i=0:7] {
	set title word(titles, i + 1) font ",12"
	if (i == 7) { set label 1 "direct:\nno relay" at 0, graph 0.08 center font ",11" } else { unset label 1 }
	plot dat index i using 1:3:(col($1)):xtic(2) with boxes lc rgb variable, \
	     '' index i using 1:3:4:5 with yerrorbars lc rgb "#222222" pt -1 lw 1.5, \
	     '' index i using 1:5:6 with labels offset 0,1 font ",11"
}
unset multiplot
