# shellcheck shell=bash
# CPU time for the benchmarks, in ns, sourced by bench_e2e.sh,
# bench_ingress.sh and bench_scale.sh.
#
# Not /proc/stat's user and system ticks, nor a process's utime/stime:
# those are samples taken at the timer tick, and a load paced by timers
# (iperf3 -u) can beat with the tick. On this machine the same 5 s of
# iperf3 UDP at 100 Mbit/s over loopback read 508 busy ticks once and 6
# the next. Idle time is accounted exactly (the tick stops in idle and
# the time is added up on wakeup), and so is a task's run time
# (/proc/PID/task/*/schedstat, in ns).

CPU_HZ=$(getconf CLK_TCK)
CPU_N=$(grep -c '^cpu[0-9]' /proc/stat)
CPU_T0=$(date +%s%N)

# machine_busy_ns: ns the CPUs were neither idle, waiting for I/O nor
# stolen by the hypervisor, all CPUs, counted from an arbitrary origin
# (use differences): CPUs x wall time - idle - iowait - steal.
machine_busy_ns() {
	local t idle
	t=$(($(date +%s%N) - CPU_T0))
	idle=$(awk '$1 == "cpu" { print $5 + $6 + $9; exit }' /proc/stat)
	echo $((CPU_N * t - idle * (1000000000 / CPU_HZ)))
}

# task_cpu_ns PID: ns all of PID's living threads have run, "-" without
# such a process
task_cpu_ns() {
	[ -n "${1:-}" ] && [ -d "/proc/$1/task" ] || { echo -; return; }
	cat "/proc/$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%.0f\n", t }'
}
