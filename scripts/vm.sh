#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command on one of Debian's own kernels, in a throwaway VM:
#
#	scripts/vm.sh KERNEL -- COMMAND [ARG...]
#	scripts/vm.sh KERNEL --fetch		(only fetch and cache the kernel)
#
# KERNEL: 6.1 (Debian 12's default kernel, linux-image-amd64), 6.12
# (linux-image-6.12-amd64) or any linux-image-* package name. The kernel
# package is fetched with apt-get download and unpacked with dpkg-deb -x
# into $WGT_VM_CACHE (nothing is installed into /boot). The guest runs the
# host's root filesystem read-only over virtio-9p under a tmpfs overlay,
# the package's modules bound at /lib/modules, this checkout writable at its
# own path, as root, with COMMAND run from the checkout. COMMAND's output
# comes out on stdout; the exit status is COMMAND's (125: the VM failed).
#
# Environment: WGT_VM_CACHE (default /var/cache/wgturn/vm), WGT_VM_MEM
# (MiB, 3072), WGT_VM_CPUS (2), WGT_VM_TIMEOUT (s, 3600), WGT_VM_ACCEL
# (tcg: this machine's /dev/kvm cannot run stock kernels), WGT_TIME_SCALE
# passed to the guest (default 10 under TCG, 1 otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd -P)

CACHE=${WGT_VM_CACHE:-/var/cache/wgturn/vm}
MEM=${WGT_VM_MEM:-3072}
CPUS=${WGT_VM_CPUS:-2}
TIMEOUT=${WGT_VM_TIMEOUT:-3600}
ACCEL=${WGT_VM_ACCEL:-tcg}
# Modules the initramfs needs to reach the root filesystem; the rest load
# on demand from /lib/modules once the guest runs.
BOOT_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

die() {
	echo "vm: $*" >&2
	exit 125
}

usage() {
	echo "usage: scripts/vm.sh KERNEL -- COMMAND [ARG...] | KERNEL --fetch" >&2
	echo "       KERNEL: 6.1, 6.12 or a linux-image-* package name" >&2
	exit 125
}

# package KERNEL: the versioned linux-image package that KERNEL means today.
package() {
	local meta
	case $1 in
	6.1) meta=linux-image-amd64 ;;
	6.12) meta=linux-image-6.12-amd64 ;;
	linux-image-*) echo "$1" && return ;;
	*) die "unknown kernel '$1' (6.1, 6.12 or a linux-image-* package)" ;;
	esac
	local dep
	dep=$(apt-cache depends --important "$meta" 2>/dev/null |
		awk '/Depends: linux-image-/ { print $2; exit }')
	if [ -z "$dep" ]; then
		apt-get update -qq >/dev/null 2>&1 || true
		dep=$(apt-cache depends --important "$meta" 2>/dev/null |
			awk '/Depends: linux-image-/ { print $2; exit }')
	fi
	[ -n "$dep" ] || die "no Debian package found for kernel $1 ($meta)"
	echo "$dep"
}

# fetch PKG: unpack PKG into $CACHE/PKG, index its modules and build the
# initramfs; prints the directory. Done once per package.
fetch() {
	local pkg=$1 dir=$CACHE/$1 tmp kver deb
	if [ -e "$dir/.ok" ]; then
		echo "$dir"
		return
	fi
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	# apt's sandbox user cannot write into root's directories.
	(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
		(apt-get update -qq >/dev/null 2>&1; cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
		{ rm -rf "$tmp"; die "apt-get download $pkg failed"; }
	deb=$(ls "$tmp"/*.deb)
	mkdir "$tmp/root"
	dpkg-deb -x "$deb" "$tmp/root"
	rm -f "$deb"
	kver=$(ls "$tmp/root/lib/modules")
	depmod -b "$tmp/root" "$kver"
	initramfs "$tmp/root" "$kver" "$tmp/initramfs.cpio.gz"
	echo "$kver" >"$tmp/kver"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	touch "$dir/.ok"
	echo "$dir"
}

# initramfs ROOT KVER OUT: busybox, the boot modules (decompressed, in load
# order) and scripts/vm/init.
initramfs() {
	local root=$1 kver=$2 out=$3 ir m ko n=0
	ir=$(mktemp -d)
	mkdir -p "$ir/bin" "$ir/modules"
	cp /bin/busybox "$ir/bin/busybox"
	cp scripts/vm/init "$ir/init"
	chmod 755 "$ir/init"
	for m in "${BOOT_MODULES[@]}"; do
		modprobe -d "$root" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r ko; do
		n=$((n + 1))
		case $ko in
		*.xz) xz -dc "$ko" ;;
		*.zst) zstd -dcq "$ko" ;;
		*) cat "$ko" ;;
		esac >"$ir/modules/$(printf %02d $n)-$(basename "${ko%.ko*}").ko"
	done
	(cd "$ir" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$out"
	rm -rf "$ir"
}

# boot DIR RUN: one boot; the guest writes RUN/booted, then RUN/rc.
boot() {
	local dir=$1 run=$2 kver
	kver=$(cat "$dir/kver")
	local append=(console=ttyS0 panic=-1 oops=panic rdinit=/init
		mitigations=off loglevel=4 "wgt.repo=$REPO" "wgt.run=$run"
		"wgt.modules=$dir/root/lib/modules")
	timeout --foreground -k 10 "$TIMEOUT" \
		qemu-system-x86_64 -nodefaults -no-reboot -display none \
		-accel "$ACCEL" -cpu max -smp "$CPUS" -m "$MEM" \
		-kernel "$dir/root/boot/vmlinuz-$kver" -initrd "$dir/initramfs.cpio.gz" \
		-append "${append[*]}" \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev "local,id=repo,path=$REPO,security_model=none,multidevs=remap" \
		-device virtio-9p-pci,fsdev=repo,mount_tag=repo \
		-device virtio-rng-pci \
		-serial "file:$run/console.log" -serial stdio </dev/null
}

[ $# -ge 2 ] || usage
KERNEL=$1
shift
[ "$(id -u)" = 0 ] || die "needs root (the guest shares the host's root filesystem)"
for t in qemu-system-x86_64 busybox depmod dpkg-deb apt-get; do
	command -v "$t" >/dev/null || die "$t missing (make deps)"
done
PKG=$(package "$KERNEL")
DIR=$(fetch "$PKG")
case $1 in
--fetch)
	echo "vm: $PKG in $DIR"
	exit 0
	;;
--) shift ;;
*) usage ;;
esac
[ $# -ge 1 ] || usage

RUN=$REPO/build/vm/$KERNEL.$$
rm -rf "$RUN"
mkdir -p "$RUN"
trap 'rm -rf "$RUN"' EXIT
{
	printf 'export WGT_VM_KERNEL=%q\n' "$(cat "$DIR/kver")"
	printf 'export WGT_TIME_SCALE=%q\n' "${WGT_TIME_SCALE:-$([ "$ACCEL" = tcg ] && echo 10 || echo 1)}"
	for v in BUILD CI V; do
		[ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
} >"$RUN/env"
printf '%q ' "$@" >"$RUN/cmd"
echo >>"$RUN/cmd"

# Multi-threaded TCG occasionally dies early in boot: try again then, but
# never once the command has started.
t0=$SECONDS
for try in 1 2 3; do
	rm -f "$RUN/booted" "$RUN/rc"
	echo "vm: booting $PKG ($(cat "$DIR/kver"), $ACCEL, $CPUS cpus, ${MEM} MiB), try $try" >&2
	boot "$DIR" "$RUN" || true
	[ -e "$RUN/booted" ] && break
	echo "vm: the guest died before it ran the command; console:" >&2
	tail -n 20 "$RUN/console.log" >&2
done
if [ ! -e "$RUN/rc" ]; then
	echo "vm: no exit status from the guest after $((SECONDS - t0)) s; console:" >&2
	tail -n 40 "$RUN/console.log" >&2
	exit 125
fi
rc=$(cat "$RUN/rc")
echo "vm: $PKG: exit $rc after $((SECONDS - t0)) s" >&2
exit "$rc"
