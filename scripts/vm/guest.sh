#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the VM as busybox init's sysinit (scripts/vm/init): the rest of
# a minimal system (no udev, no systemd), then the command scripts/vm.sh
# left in RUN/cmd, its output on the second serial port, its exit status
# in RUN/rc; then power off.
REPO=$1
RUN=$2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts 2>/dev/null ||
	{ mkdir -p /dev/pts && mount -t devpts devpts /dev/pts; }
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
# What udev would have made.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/net
[ -e /dev/net/tun ] || mknod /dev/net/tun c 10 200
# Fresh tmpfs for /tmp, /run and /var/tmp; a checkout under one of them
# (a clone in /tmp) is moved back on top afterwards.
mkdir -p /mnt/wgturn-repo
mount --bind "$REPO" /mnt/wgturn-repo
for d in /tmp /run /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs "$d"; done
mkdir -p "$REPO"
mount --move /mnt/wgturn-repo "$REPO"
chmod 755 /run
mkdir -p /run/lock
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ip link set lo up
hostname wgturn-vm
# Command output goes out byte for byte (no CR added before each LF).
stty -F /dev/ttyS1 raw -echo 2>/dev/null
touch "$RUN/booted"

# shellcheck disable=SC1091 # written by scripts/vm.sh
. "$RUN/env"
echo "vm: $(uname -r), $(nproc) cpus, time scale ${WGT_TIME_SCALE:-1}" >/dev/ttyS1
cd "$REPO" && bash "$RUN/cmd" </dev/null >/dev/ttyS1 2>&1
echo $? >"$RUN/rc"
sync
echo o >/proc/sysrq-trigger
