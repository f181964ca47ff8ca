#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The wgturn demo (`sudo make demo`): two WireGuard sites, each behind a
# symmetric NAT, reach each other through a coturn relay; wgturn adds and
# strips the TURN ChannelData header in the kernel. Everything runs in
# network namespaces (scripts/world.sh) and is removed at the end.
#
#	scripts/demo.sh			the demo, then clean up
#	scripts/demo.sh --keep		leave the world running, print how to
#					enter it and how to tear it down
#	scripts/demo.sh --down PREFIX	tear down a world left by --keep
#
# Needs root. Installs missing Debian packages (scripts/deps.sh) and builds
# build/wgturn first, so it works on a fresh machine.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
STATE_ROOT=/run/wgturn-demo # a directory per world: env (for --down), bpffs

usage() {
	echo "usage: $0 [--keep | --down PREFIX]" >&2
	exit 2
}
KEEP=0 DOWN=
case $#:${1:-} in
0:) ;;
1:--keep) KEEP=1 ;;
2:--down) DOWN=$2 ;;
*) usage ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (network namespaces, eBPF): sudo make demo" >&2
	exit 1
fi

NSTEPS=11 STEP=0
# step TITLE EXPLANATION: "[n/N] TITLE" and one line on what it shows.
step() {
	STEP=$((STEP + 1))
	printf '\n[%d/%d] %s\n' "$STEP" "$NSTEPS" "$1"
	printf '      %s\n' "$2"
}
indent() { sed 's/^/      /'; }
die() {
	echo "demo: FAILED: $*" >&2
	exit 1
}

# ------------------------------------------------------------------ --down
# Tear down a world a --keep run left: wgturn down on both sites (the
# relay drops the allocations), then world.sh's world_down: every process
# in the namespaces, the namespaces, WireGuard sockets, the temp dir.
if [ -n "$DOWN" ]; then
	case $DOWN in *[!A-Za-z0-9_.-]*) die "bad prefix '$DOWN'" ;; esac
	dir=$STATE_ROOT/$DOWN
	. scripts/world.sh
	IFA='' IFB='' FS='' WORLD_TMP=''
	# shellcheck disable=SC1091 # written by the --keep run
	[ -r "$dir/env" ] && . "$dir/env"
	nslist=$(ip netns list | awk '{ print $1 }')
	found=0
	for s in "${WORLD_SITES[@]}"; do
		WORLD_NS[$s]=$DOWN-$s
		grep -qx "$DOWN-$s" <<<"$nslist" && found=1
	done
	[ "$found" = 1 ] || [ -d "$dir" ] || die "no world '$DOWN' (see ip netns list, ls $STATE_ROOT)"
	trap '' INT TERM HUP
	for i in "$IFA:a" "$IFB:b"; do
		ifn=${i%%:*} site=${i#*:}
		[ -n "$ifn" ] || continue
		if [ -e "/run/wgturn/$ifn.state" ] && grep -qx "${WORLD_NS[$site]}" <<<"$nslist"; then
			echo "wgturn down $ifn (site $site)"
			in_ns "$site" timeout 15 "$ROOT/build/wgturn" --bpffs "$FS" down "$ifn" 2>&1 | indent
		fi
		WG_SITE[$ifn]=$site # world_down removes its UAPI socket
		rm -f "/run/wgturn/$ifn".*
	done
	echo "stopping coturn, wireguard-go and everything else in $DOWN-*, deleting the namespaces"
	WORLD_UP=1
	world_down
	if [ -n "$FS" ] && mountpoint -q "$FS"; then umount "$FS"; fi
	rm -rf "$dir"
	rmdir "$STATE_ROOT" 2>/dev/null
	echo "world $DOWN removed"
	exit 0
fi

# ------------------------------------------------------------------ the demo
T0=$(date +%s%N)
PREFIX=wgdemo$$ # namespaces $PREFIX-a, $PREFIX-relay, ...
IFA=wgda$$      # WireGuard interfaces: unique on the host (UAPI sockets)
IFB=wgdb$$
WGPORT=51820
DIR=$STATE_ROOT/$PREFIX
FS=$DIR/bpf # ip netns exec hides /sys/fs/bpf: the pins live here
CAP='' CAP_PID=''
KEPT=0

# capture_stop: end the relay capture (world.sh's _stop_pid: TERM, at most
# 3 s, then KILL).
capture_stop() {
	[ -n "$CAP_PID" ] || return 0
	_stop_pid "$CAP_PID"
	CAP_PID=
}

cleanup() {
	local i
	trap '' INT TERM HUP
	capture_stop
	[ "$KEPT" = 1 ] && return 0
	if [ "${WORLD_UP:-0}" = 1 ]; then
		printf '\n[cleanup] wgturn down on both sites, stop coturn and wireguard-go, delete the namespaces\n'
		for i in "$IFA:a" "$IFB:b"; do
			[ -e "/run/wgturn/${i%%:*}.state" ] &&
				in_ns "${i#*:}" timeout 15 wgturn down "${i%%:*}" >/dev/null 2>&1
		done
		world_down
	fi
	rm -f /run/wgturn/"$IFA".* /run/wgturn/"$IFB".*
	if mountpoint -q "$FS" 2>/dev/null; then umount "$FS"; fi
	rm -rf "$DIR"
	rmdir "$STATE_ROOT" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# at SITE cmd...: print "SITE# cmd", run it in SITE's namespace (at most
# 30 s), its output indented.
at() {
	local site=$1 rc
	shift
	printf '    %s# %s\n' "$site" "$*"
	in_ns "$site" timeout 30 "$@" >"$WORLD_TMP/at.out" 2>&1
	rc=$?
	sed 's/^/        /' "$WORLD_TMP/at.out"
	return $rc
}



echo "wgturn demo: WireGuard between two sites behind symmetric NATs, relayed by a TURN"
echo "server (coturn); wgturn's eBPF programs add and strip ChannelData in the kernel."

# 1 ------------------------------------------------------------------------
step "Dependencies" "Debian packages for building and for the demo world (scripts/deps.sh installs what is missing)."
timeout 900 scripts/deps.sh 2>&1 | indent
[ "${PIPESTATUS[0]}" = 0 ] || die "scripts/deps.sh"

# 2 ------------------------------------------------------------------------
step "Build" "build/wgturn: the CLI and daemon, the BPF object embedded (make)."
timeout 600 make -s all 2>&1 | indent
if [ "${PIPESTATUS[0]}" != 0 ] || [ ! -x build/wgturn ]; then die "make"; fi
export PATH=$ROOT/build:$PATH
echo "      $(command -v wgturn)"

# 3 ------------------------------------------------------------------------
step "World" "Namespaces: a relay host running coturn, sites A and B each behind a symmetric NAT, routers with tx checksum offload off."
. scripts/world.sh
WORLD_PREFIX=$PREFIX WORLD_NATA_FLAGS=fully-random WORLD_NATB_FLAGS=fully-random
mkdir -p "$FS" || die "mkdir $FS"
mount -t bpf bpf "$FS" || die "mount a bpffs on $FS"
export WGTURN_BPFFS=$FS
world_up v4 || die "world_up"
# What --down needs to find this world again (kept by --keep only).
printf 'IFA=%s IFB=%s FS=%s WORLD_TMP=%s\n' "$IFA" "$IFB" "$FS" "$WORLD_TMP" >"$DIR/env"
cat <<EOF | indent
relay  $RELAY4   coturn, udp $TURN_PORT, realm $TURN_REALM, user $TURN_USER
NAT A  $NATA4  masquerade $WORLD_NATA_FLAGS  <-  site A $A4
NAT B  $NATB4  masquerade $WORLD_NATB_FLAGS  <-  site B $B4
namespaces $PREFIX-{relay,inet,nata,a,natb,b,pub}; wgturn pins in $FS
EOF
# Why no direct path works: each NAT shows a new port to every destination.
world_udp_echo relay "$RELAY4" 7 || die "udp echo on the relay"
world_udp_echo pub "$PUB4" 7 || die "udp echo on another internet host"
echo "Symmetric NAT: one local port, a new public port per destination, so no peer can learn a port that reaches the site:" | indent
for s in a b; do
	m1=$(world_mapped $s 40000 "$RELAY4" 7) m2=$(world_mapped $s 40000 "$PUB4" 7)
	echo "  site ${s^^}, UDP from port 40000: the relay sees $m1, another host $m2" | indent
done

# 4 ------------------------------------------------------------------------
step "WireGuard" "wireguard-go on both sites, listen port $WGPORT, tunnel addresses ${TUN4[a]%/*} (A) and ${TUN4[b]%/*} (B); no peers yet."
wg_up a "$IFA" $WGPORT || die "wireguard-go on site A"
wg_up b "$IFB" $WGPORT || die "wireguard-go on site B"
echo "A: $IFA in $NS_A, public key ${WG_PUBKEY[$IFA]}" | indent
echo "B: $IFB in $NS_B, public key ${WG_PUBKEY[$IFB]}" | indent

# 5 ------------------------------------------------------------------------
step "wgturn up on site A (config file)" "Attaches the datapath to A's uplink and allocates a relayed address on coturn through NAT A."
CONF=$WORLD_TMP/wgturn-$IFA.conf
cat >"$CONF" <<EOF
[Interface]
Uplink = eth0

[Relay]
Server = $TURN_SERVER
Username = $TURN_USER
PasswordFile = $TURN_PASS_FILE
EOF
printf '    a# cat %s\n' "$CONF"
sed 's/^/        /' "$CONF"
at a wgturn up "$IFA" --config "$CONF" || die "wgturn up $IFA"
RA=$(wgt_state "$IFA" .relayed)
[ -n "$RA" ] || die "no relayed address for A"
echo "A's relayed address: $RA (coturn sees A at $(wgt_state "$IFA" .mapped))" | indent

# 6 ------------------------------------------------------------------------
step "wgturn up on site B (command line)" "The same from flags; B's allocation passes NAT B."
at b wgturn up "$IFB" --relay "$TURN_SERVER" --username "$TURN_USER" \
	--password-file "$TURN_PASS_FILE" || die "wgturn up $IFB"
RB=$(wgt_state "$IFB" .relayed)
[ -n "$RB" ] || die "no relayed address for B"
echo "B's relayed address: $RB (coturn sees B at $(wgt_state "$IFB" .mapped))" | indent

# 7 ------------------------------------------------------------------------
step "Capture on the relay host" "tshark on the relay's eth0, udp port $TURN_PORT: what crosses the internet."
CAP=$WORLD_TMP/relay.pcapng
# Started without a shell function in between, so $! is timeout's pid
# (ip netns exec execs it) and a TERM reaches tshark, which then closes the
# file properly. (A background job ignores SIGINT.)
ip netns exec "$NS_RELAY" timeout 120 tshark -q -i eth0 -f "udp port $TURN_PORT" \
	-w "$CAP" >"$WORLD_TMP/tshark.log" 2>&1 &
CAP_PID=$!
# dumpcap writes the file header once it captures; a moment more to be sure.
_wait_for 10 test -s "$CAP" || die "tshark did not start: $(tail -n 2 "$WORLD_TMP/tshark.log")"
sleep 0.5
echo "capturing to $CAP" | indent

# 8 ------------------------------------------------------------------------
step "Pair the peers" "Each WireGuard gets the other's relayed address as endpoint; wgturn sees it and binds a TURN channel for it."
at a wg set "$IFA" peer "${WG_PUBKEY[$IFB]}" allowed-ips "${TUN4[b]%/*}/32" endpoint "$RB" || die "wg set"
at b wg set "$IFB" peer "${WG_PUBKEY[$IFA]}" allowed-ips "${TUN4[a]%/*}/32" endpoint "$RA" || die "wg set"
wgt_channel_ready "$IFA" "$RB" || die "A bound no channel for $RB"
wgt_channel_ready "$IFB" "$RA" || die "B bound no channel for $RA"
chan() { jq -r --arg e "$2" '.peers[] | select(.endpoint == $e) | .channel' "/run/wgturn/$1.state"; }
printf 'A: channel 0x%04x on the relay for %s; B: channel 0x%04x for %s\n' \
	"$(chan "$IFA" "$RB")" "$RB" "$(chan "$IFB" "$RA")" "$RA" | indent

# 9 ------------------------------------------------------------------------
step "Ping across the tunnel" "A pings B's tunnel address; the first ping also triggers WireGuard's handshake."
for ((i = 0; i < 20; i++)); do
	in_ns a timeout 3 ping -c 1 -W 1 "${TUN4[b]%/*}" >/dev/null 2>&1 && break
done
[ $i -lt 20 ] || die "no answer through the tunnel"
at a ping -c 5 -i 0.2 -W 2 "${TUN4[b]%/*}" || die "ping"

# 10 -----------------------------------------------------------------------
step "wgturn show, both sides" "The relay allocation, each peer's channel and traffic, the datapath's counters; WireGuard itself only ever sees the relayed address."
at a wgturn show "$IFA"
at b wgturn show "$IFB"
at a wg show "$IFA" | grep -v -e 'private key' -e '^ *$'

# 11 -----------------------------------------------------------------------
step "One relayed packet, decoded by tshark" "Between NAT A and the relay: TURN ChannelData, its payload a WireGuard message."
# Every packet wgturn relayed crosses the relay's eth0 twice (in from one
# site, out to the other). Let the capture catch up with the counters
# (libpcap hands packets over in blocks), then stop it.
tx_relay() { in_ns "$1" timeout 10 wgturn show "$2" --json | jq -r '.[0].counters.tx_relay // 0'; }
n_sent=$(($(tx_relay a "$IFA") + $(tx_relay b "$IFB")))
for ((i = 0; i < 20; i++)); do
	[ "$(timeout 10 tshark -r "$CAP" -Y stun.channel 2>/dev/null | grep -c .)" -ge $((2 * n_sent)) ] && break
	sleep 0.25
done
capture_stop
# tshark hands ChannelData payloads to its WireGuard dissector with this.
LUA=$ROOT/scripts/wg-in-channeldata.lua
ts() { timeout 30 tshark -X "lua_script:$LUA" -r "$CAP" "$@" 2>/dev/null; }
n_all=$(ts | grep -c .)
n_cd=$(ts -Y stun.channel | grep -c .)
n_wg=$(ts -Y 'stun.channel && wg' | grep -c .)
n_bad=$(ts -Y _ws.malformed | grep -c .)
cat <<EOF | indent
(-X lua_script: a 10-line heuristic that hands ChannelData payloads to tshark's WireGuard dissector)
captured $n_all packets: $((n_all - n_cd)) STUN (permissions, channel binds), $n_cd ChannelData
($n_wg of them WireGuard, $n_bad malformed): the $n_sent packets wgturn relayed, each in and out
EOF
echo "    relay# tshark -r $(basename "$CAP") -Y stun.channel | head -6"
ts -Y stun.channel | head -6 | sed 's/^/      /'
num=$(ts -Y "stun.channel && wg.type == 4 && ip.src == $NATA4" -T fields -e frame.number | head -n 1)
[ -n "$num" ] || die "no WireGuard data packet from NAT A in the capture"
echo "    relay# tshark -r $(basename "$CAP") -O stun,wg -Y 'frame.number == $num'"
ts -O stun,wg -Y "frame.number == $num" | grep -v -e '^$' -e '^Ethernet II' -e '\[Stream index' |
	sed 's/^/        /'
if [ "$n_cd" = 0 ] || [ "$n_cd" != "$n_wg" ] || [ "$n_bad" != 0 ]; then
	die "the capture should hold ChannelData, all of it WireGuard, nothing malformed"
fi

# --------------------------------------------------------------------------
if [ "$KEEP" = 1 ]; then
	KEPT=1
	printf '\n[kept] The world keeps running (the demo took %d s).\n' $((($(date +%s%N) - T0) / 1000000000))
	# world_info's hand-made teardown line misses the daemons and the
	# bpffs (--down below does it all), and it labels NAT A by world.sh's
	# default flags, not the ones set here.
	world_info | grep -v '^Tear down by hand' |
		sed "s/(masquerade, port-preserving)/(masquerade $WORLD_NATA_FLAGS)/" | indent
	cat <<-EOF | indent
		Try:
		  ip netns exec $NS_A ping ${TUN4[b]%/*}
		  ip netns exec $NS_A $ROOT/build/wgturn --bpffs $FS show $IFA
		  ip netns exec $NS_B $ROOT/build/wgturn --bpffs $FS show $IFB
		  ip netns exec $NS_A wg show $IFA
		  ip netns exec $NS_RELAY tshark -i eth0 -f 'udp port $TURN_PORT'
		Tear it all down (wgturn down, coturn, wireguard-go, namespaces, files):
		  sudo $ROOT/scripts/demo.sh --down $PREFIX
	EOF
	exit 0
fi
cleanup
trap - EXIT
left=$(ip netns list | grep -c "^$PREFIX-")
printf '\n[done] %d s, %d namespaces left\n' $((($(date +%s%N) - T0) / 1000000000)) "$left"
