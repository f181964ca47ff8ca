#!/usr/bin/env bash
# Install what wgturn needs to build and test, from Debian only.
# Idempotent: installs only packages that are missing.
set -euo pipefail

pkgs=(
	make gcc clang llvm pkg-config	# build; clang -target bpf for bpf/
	libclang-rt-14-dev		# make fuzz: libFuzzer, ASan, UBSan runtimes
	libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev
	libjson-c-dev			# show --json
	libssl-dev			# STUN/TURN: MD5, HMAC-SHA1/SHA256
	libinih-dev			# up --config: INI files
	libcmocka-dev			# unit and fixture tests
	jq util-linux			# tests read show --json; setpriv, nsenter
	iproute2 ethtool nftables	# netns tests: ip, tc, offload switch, NAT
	iputils-ping
	libmnl-dev			# kernel WireGuard over generic netlink
	wireguard-go wireguard-tools	# WireGuard access tests (no kernel module)
	coturn				# e2e tests, demo: the TURN relay (in a netns only)
	libldns-dev			# the rendezvous: DNS UPDATE, TSIG, queries
	knot knot-dnsutils		# e2e tests: the zone's server (knotd), kdig, knsupdate
	conntrack			# e2e tests: flush a NAT's mappings
	golang-go golang-github-pion-turn.v2-dev	# e2e tests: a Pion TURN server (tests/tools/pionturn.go)
	tshark				# e2e tests: decode captures on the relay
	iperf3				# e2e tests, make bench: throughput through the tunnel
	socat				# e2e tests: UDP echo showing NAT mappings
	curl				# tests: GET /metrics
	gnuplot-nox			# make bench: the end-to-end plot (PNG)
	qemu-system-x86 busybox-static	# make test-vm: Debian's kernels under qemu
	kmod				# make test-vm: depmod, modprobe in the guest
	libsystemd-dev			# sd_notify: readiness under systemd (Type=notify)
	libmicrohttpd-dev		# --metrics: the Prometheus listener
	prometheus			# tests: promtool check metrics, one real scrape
	man-db groff-base bash-completion	# tests: man -l, the completion script
	systemd				# tests: systemd-analyze verify of the unit
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture: no, without asking.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' |
		debconf-set-selections
	# Installing coturn must not start a turnserver holding :3478 in the
	# root namespace: no service starts while apt runs (policy-rc.d 101).
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The tests start their own coturn and knotd inside namespaces; the system
# ones stay off.
for svc in coturn knot prometheus; do
	if [ -d /run/systemd/system ] && systemctl -q is-enabled "$svc" 2>/dev/null; then
		systemctl disable -q --now "$svc" || true
	fi
done

# bpffs is where wgturn pins its maps and links.
if ! mount -t bpf 2>/dev/null | grep -q ' /sys/fs/bpf '; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
fi
echo "deps: ok"
