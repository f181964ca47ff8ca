#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of scripts/world.sh, the network-namespace world of the
# end-to-end tests and the demo (topology and address plan: see its header).
# Nothing of wgturn itself runs here: only the world, coturn's own client
# turnutils_uclient and wireguard-go.
#
#   relay (coturn) --- inet router --- pub (plain peer)
#                      /          \
#              NAT router A     NAT router B (masquerade fully-random)
#                    |                |
#                 site A           site B
#
# Tests (dual-stack world, then a v6-only world, then an interrupted v4 one):
#  1. the world comes up: seven namespaces, tx checksum offload off on every
#     router veth, pings across the internet over IPv4 and IPv6
#  2. NAT: a UDP echo on the relay and on pub reports the translated source:
#     A keeps its port and one mapping for both destinations (endpoint-
#     independent mapping); B gets another random port per destination and
#     the same one again for the same destination; for IPv4 and IPv6 (NAT66);
#     only the destination of a mapping can send through it (filtering)
#  3. coturn: turnutils_uclient from A and B through the NATs allocates,
#     binds a channel and gets its data echoed back through the relay by a
#     peer on pub, over IPv4 and IPv6; a wrong password fails with 401;
#     coturn saw the clients at the NATs' public addresses
#  4. coturn_restart: a new turnserver listens and allocations work again
#  5. wireguard-go: wg_up on A, B and pub, wg_peer; pings through the tunnels
#     (A over IPv4, B over IPv6 outer); pub sees A at its NAT's address with
#     port 51820 kept, B at a random port; wg_down removes process, link and
#     UAPI socket
#  6. UdpInCsumErrors/Udp6InCsumErrors are 0 in every namespace
#  7. world_down leaves no namespace, process, socket or temp dir; a v6-only
#     world has no IPv4 path; an interrupted (SIGTERM) user of the library
#     cleans up through its EXIT trap
#
# Run as root from the repo root; needs scripts/deps.sh's packages.
set -u
. tests/lib/tap.sh
. scripts/world.sh
trap world_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

start=$SECONDS
note() { echo "# $*"; }
bail() {
	fail "$*"
	exit 1
}

if [ "$(id -u)" != 0 ]; then
	skip "world self-test" "needs root"
	exit 0
fi
for t in turnutils_uclient turnutils_peer socat; do
	command -v "$t" >/dev/null || bail "$t missing (run scripts/deps.sh)"
done

# 1. The world ---------------------------------------------------------------
t0=$SECONDS
check "world_up dual" world_up dual || bail "world_up dual failed"
note "world_up took $((SECONDS - t0)) s"
world_info | sed 's/^/# /'

n=0
for s in "${WORLD_SITES[@]}"; do ip netns list | grep -qx "${WORLD_NS[$s]}.*" && n=$((n + 1)); done
expect_eq "seven namespaces named $WORLD_PREFIX-*" 7 "$n"

# offload SITE IF: "on"/"off" as ethtool -k shows tx-checksumming.
offload() { in_ns "$1" ethtool -k "$2" | awk '/^tx-checksumming:/ { print $2 }'; }
off=""
for i in r-relay r-nata r-natb r-pub; do [ "$(offload inet $i)" = off ] || off="$off inet:$i"; done
for s in nata natb; do
	for i in wan lan; do [ "$(offload $s $i)" = off ] || off="$off $s:$i"; done
done
expect_eq "tx checksum offload off on all 8 router veths" "" "$off"
expect_eq "site A's eth0 keeps tx checksum offload (packets leave it PARTIAL)" on "$(offload a eth0)"

# pingq SITE ping-args...: quiet, bounded ping, 0.2 s apart.
pingq() {
	local site=$1
	shift
	timeout 10 ip netns exec "$(world_ns "$site")" ping -q -i0.2 "$@" >/dev/null
}
for f in 4 6; do
	for p in "a RELAY" "b RELAY" "a PUB" "b PUB" "pub RELAY"; do
		read -r site dst <<<"$p"
		v=$dst$f
		check "IPv$f ping $site -> ${dst,,} ${!v}" pingq "$site" -c2 -W2 "${!v}"
	done
done

# 2. NAT mappings, seen by a UDP echo on the relay and on pub --------------------
EPORT=7777
SPORT=40001
for f in 4 6; do
	R=RELAY$f P=PUB$f NA=NATA$f NB=NATB$f
	check "IPv$f UDP echo on relay $(world_ep "${!R}" $EPORT)" world_udp_echo relay "${!R}" $EPORT
	check "IPv$f UDP echo on pub $(world_ep "${!P}" $EPORT)" world_udp_echo pub "${!P}" $EPORT

	a1=$(world_mapped a $SPORT "${!R}" $EPORT)
	a2=$(world_mapped a $SPORT "${!P}" $EPORT)
	note "IPv$f A :$SPORT seen by relay as $a1, by pub as $a2"
	expect_eq "IPv$f NAT A: relay sees A at its NAT, port kept" "$(world_ep "${!NA}" $SPORT)" "$a1"
	expect_eq "IPv$f NAT A: pub sees the same mapping (endpoint-independent)" "$a1" "$a2"

	b1=$(world_mapped b $SPORT "${!R}" $EPORT)
	b2=$(world_mapped b $SPORT "${!P}" $EPORT) ||
		b2=$(world_mapped b $SPORT "${!P}" $EPORT)
	# (a lost probe or answer is not a new mapping: ask again)
	for t in 1 2 3; do
		b3=$(world_mapped b $SPORT "${!R}" $EPORT) && break
	done
	note "IPv$f B :$SPORT seen by relay as $b1, by pub as $b2, by relay again as $b3"
	expect_eq "IPv$f NAT B: relay sees B at its NAT's address" "$(world_ep "${!NB}" x)" \
		"${b1%:*}:x"
	expect_eq "IPv$f NAT B: pub sees B at its NAT's address" "$(world_ep "${!NB}" x)" \
		"${b2%:*}:x"
	if [ -n "$b1" ] && [ -n "$b2" ] && [ "${b1##*:}" != "${b2##*:}" ] && [ "${b1##*:}" != $SPORT ]; then
		ok "IPv$f NAT B: another random port per destination (${b1##*:}, ${b2##*:}; symmetric)"
	else
		fail "IPv$f NAT B: expected two different translated ports, not $SPORT, got '$b1' '$b2'"
	fi
	expect_eq "IPv$f NAT B: same destination again, same mapping" "$b1" "$b3"
done

# Filtering: with something listening on B:$SPORT, the relay can answer on
# B's mapping toward it; pub, another address, cannot use that mapping.
b1=$(world_mapped b $SPORT "$RELAY4" $EPORT)
bport=${b1##*:}
check "UDP echo on B $B4:$SPORT" world_udp_echo b "$B4" $SPORT
# probe SITE SPORT: one datagram to NAT B's mapping, what came back.
probe() {
	echo probe | timeout 3 ip netns exec "${WORLD_NS[$1]}" \
		socat -t 1 - "UDP4:$NATB4:$bport,sourceport=$2,reuseaddr" 2>/dev/null
}
# (a probe lost on a busy machine is not filtering: up to 3 tries)
reached=
for t in 1 2 3; do
	reached=$(probe relay $EPORT)
	[ -n "$reached" ] && break
done
expect_eq "NAT B: the relay reaches B through B's mapping toward it" "$RELAY4 $EPORT" \
	"$reached"
expect_eq "NAT B: pub cannot use that mapping (address-dependent filtering)" "" \
	"$(probe pub $EPORT)"

# 3. coturn through the NATs -----------------------------------------------------
# uclient NAME SITE FAMILY PASSWORD: allocation, channel, 2 messages echoed
# by turnutils_peer on pub, in the background; output in $WORLD_TMP/NAME.
world_bg pub turnpeer turnutils_peer -L "$PUB4" -L "$PUB6" -p 3480
check "turnutils_peer (UDP echo) on pub :3480" \
	_wait_for 3 _listening pub "$PUB4" 3480 && _wait_for 3 _listening pub "[$PUB6]" 3480
uclient() {
	local name=$1 site=$2 f=$3 pass=$4
	local args=(-c -n 2 -m 1 -u "$TURN_USER" -w "$pass")
	if [ "$f" = 6 ]; then args+=(-x -e "$PUB6" "$RELAY6"); else args+=(-e "$PUB4" "$RELAY4"); fi
	timeout 20 ip netns exec "${WORLD_NS[$site]}" turnutils_uclient "${args[@]}" \
		>"$WORLD_TMP/$name" 2>&1 &
	echo "$!" >"$WORLD_TMP/$name.pid"
}
# uclient_wait NAME: its exit status in rc.
uclient_wait() {
	wait "$(cat "$WORLD_TMP/$1.pid")"
	rc=$?
}
uclient_ok() { # what NAME
	uclient_wait "$2"
	if [ "$rc" = 0 ] && grep -q 'tot_recv_msgs=2\b' "$WORLD_TMP/$2" &&
		grep -q 'Total lost packets 0 ' "$WORLD_TMP/$2"; then
		ok "$1"
	else
		fail "$1 (rc $rc)"
		sed 's/^/#   /' "$WORLD_TMP/$2" | tail -n 8
	fi
}

t0=$SECONDS
uclient a4 a 4 "$TURN_PASS"
uclient b4 b 4 "$TURN_PASS"
uclient a6 a 6 "$TURN_PASS"
uclient b6 b 6 "$TURN_PASS"
uclient a4bad a 4 "not-$TURN_PASS"
uclient b6bad b 6 "not-$TURN_PASS"
uclient_ok "coturn: A allocates over IPv4 through NAT A, data relayed via a channel" a4
uclient_ok "coturn: B allocates over IPv4 through NAT B, data relayed via a channel" b4
uclient_ok "coturn: A allocates over IPv6 through NAT66 A, IPv6 relay" a6
uclient_ok "coturn: B allocates over IPv6 through NAT66 B, IPv6 relay" b6
for x in a4bad b6bad; do
	uclient_wait $x
	if [ "$rc" != 0 ] && grep -q 'Cannot complete Allocation' "$WORLD_TMP/$x"; then
		ok "coturn: wrong password refused ($x, uclient rc $rc)"
	else
		fail "coturn: wrong password refused ($x, uclient rc $rc)"
	fi
done
note "uclient runs took $((SECONDS - t0)) s"
check "coturn log: 401 Unauthorized for the wrong password" \
	grep -q 'error 401: Unauthorized' "$COTURN_LOG"
check "coturn log: ChannelBind succeeded" \
	grep -q 'CHANNEL_BIND processed, success' "$COTURN_LOG"
# coturn logs a client's address when its allocation closes (uclient ends
# with Refresh lifetime 0; the close follows within a second or two).
for x in NATA4 NATB4 NATA6 NATB6; do
	pat="closed .* remote ${!x}:"
	case $x in *6) pat="closed .* remote \[?${!x}\]?:" ;; esac
	check "coturn log: an allocation from $x ${!x} (client seen behind its NAT)" \
		_wait_for 5 grep -qE "$pat" "$COTURN_LOG"
done
grep -E 'closed .* remote' "$COTURN_LOG" | sed -E 's/.*(remote [^,]*).*/# coturn: \1/'


# 4. coturn_restart ----------------------------------------------------------------
old=$COTURN_PID
t0=$SECONDS
check "coturn_restart" coturn_restart
note "coturn restart took $((SECONDS - t0)) s"
if kill -0 "$old" 2>/dev/null; then fail "coturn_restart: old turnserver $old gone"; else ok "coturn_restart: old turnserver $old gone"; fi
check "coturn_restart: new turnserver $COTURN_PID listening" _coturn_listening
uclient b4again b 4 "$TURN_PASS"

# 5. wireguard-go helpers (while the uclient after the restart runs) ----------------
WA=wgA$$ WB=wgB$$ WP=wgP$$
check "wg_up a $WA 51820" wg_up a "$WA" 51820
check "wg_up b $WB 51820" wg_up b "$WB" 51820
check "wg_up pub $WP 51820" wg_up pub "$WP" 51820
check "UAPI sockets /var/run/wireguard/{$WA,$WB,$WP}.sock" \
	test -S "/var/run/wireguard/$WA.sock" -a -S "/var/run/wireguard/$WB.sock" -a -S "/var/run/wireguard/$WP.sock"
expect_eq "wg_up: listen port set" 51820 "$(in_ns a wg show "$WA" listen-port)"
expect_eq "wg_up: MTU $WG_MTU" "$WG_MTU" "$(in_ns a cat /sys/class/net/"$WA"/mtu)"
check "wg_peer pub <- A (no endpoint)" wg_peer pub "$WP" "${WG_PUBKEY[$WA]}" - 192.0.2.1/32,2001:db8:ffff::1/128
check "wg_peer pub <- B (no endpoint)" wg_peer pub "$WP" "${WG_PUBKEY[$WB]}" "" 192.0.2.2/32,2001:db8:ffff::2/128
check "wg_peer A -> pub at $(world_ep "$PUB4" 51820)" \
	wg_peer a "$WA" "${WG_PUBKEY[$WP]}" "$(world_ep "$PUB4" 51820)" 192.0.2.3/32,2001:db8:ffff::3/128 1
check "wg_peer B -> pub at $(world_ep "$PUB6" 51820)" \
	wg_peer b "$WB" "${WG_PUBKEY[$WP]}" "$(world_ep "$PUB6" 51820)" 192.0.2.3/32,2001:db8:ffff::3/128 1
check "tunnel: A pings pub 192.0.2.3 (outer IPv4, NAT A)" pingq a -c3 -w8 192.0.2.3
check "tunnel: B pings pub 2001:db8:ffff::3 (outer IPv6, NAT66 B)" pingq b -c3 -w8 2001:db8:ffff::3
check "tunnel: pub pings A 192.0.2.1 back" pingq pub -c3 -w8 192.0.2.1
eps=$(in_ns pub wg show "$WP" endpoints)
note "pub's view: $(echo "$eps" | tr '\t\n' '  ')"
epA=$(awk -v k="${WG_PUBKEY[$WA]}" '$1 == k { print $2 }' <<<"$eps")
epB=$(awk -v k="${WG_PUBKEY[$WB]}" '$1 == k { print $2 }' <<<"$eps")
expect_eq "pub sees A at NAT A with port 51820 kept" "$(world_ep "$NATA4" 51820)" "$epA"
case $epB in
"[$NATB6]:"*) if [ "${epB##*:}" != 51820 ]; then ok "pub sees B at NAT B, random port ${epB##*:}"; else fail "pub sees B at NAT B with port 51820 kept"; fi ;;
*) fail "pub sees B at NAT B (got '$epB')" ;;
esac
wpid=${WG_PID[$WB]}
wg_down "$WB"
if kill -0 "$wpid" 2>/dev/null || [ -e "/var/run/wireguard/$WB.sock" ] ||
	ip -n "$NS_B" link show "$WB" >/dev/null 2>&1; then
	fail "wg_down $WB: process, socket and link gone"
else
	ok "wg_down $WB: process, socket and link gone"
fi

uclient_ok "coturn after restart: B allocates again, data relayed" b4again

# 6. Checksums ----------------------------------------------------------------------
if world_csum_errors >"$WORLD_TMP/csum"; then
	ok "UdpInCsumErrors and Udp6InCsumErrors 0 in all 7 namespaces"
else
	fail "UDP checksum errors: $(tr '\n' ';' <"$WORLD_TMP/csum")"
fi
sed 's/^/# /' "$WORLD_TMP/csum"
for s in relay a b pub; do
	note "$s received: $(in_ns $s nstat -asz UdpInDatagrams Udp6InDatagrams | awk '!/^#/ { printf "%s=%s ", $1, $2 }')"
done

# 7. Teardown -----------------------------------------------------------------------
# gone PREFIX TMP PIDS...: nothing of a world left.
gone() {
	local prefix=$1 tmp=$2 left="" p
	shift 2
	ip netns list | grep -q "^$prefix-" && left="$left namespaces"
	for p in "$@"; do kill -0 "$p" 2>/dev/null && left="$left pid:$p"; done
	[ -e "$tmp" ] && left="$left $tmp"
	echo "${left# }"
}
wpids=("${WG_PID[@]}" "$COTURN_PID" "${WORLD_PIDS[@]}")
tmp=$WORLD_TMP prefix=$WORLD_PREFIX
world_down
expect_eq "world_down: no namespace, process or temp dir left" "" "$(gone "$prefix" "$tmp" "${wpids[@]}")"
check "world_down: UAPI sockets removed" test ! -e "/var/run/wireguard/$WA.sock" -a ! -e "/var/run/wireguard/$WP.sock"

WORLD_NAT_UDP_TIMEOUT=25
check "world_up v6 (WORLD_NAT_UDP_TIMEOUT=25)" world_up v6 || bail "world_up v6 failed"
unset WORLD_NAT_UDP_TIMEOUT
expect_eq "v6 world: NAT B keeps idle UDP mappings 25 s" 25 \
	"$(in_ns natb sysctl -n net.netfilter.nf_conntrack_udp_timeout_stream)"
check "v6 world: A pings the relay over IPv6" pingq a -c1 -W2 "$RELAY6"
check "v6 world: A has no IPv4 route to the relay" \
	bash -c "! ip netns exec $NS_A ip route get $RELAY4 >/dev/null 2>&1"
check "v6 world: coturn listens on [$RELAY6]:$TURN_PORT only" \
	bash -c "[ \"\$(ip netns exec $NS_RELAY ss -Hunl sport = :$TURN_PORT | awk '{print \$4}' | sort -u)\" = '[$RELAY6]:$TURN_PORT' ]"
expect_eq "v6 world: TURN_SERVER" "turn:[$RELAY6]:$TURN_PORT" "$TURN_SERVER"
expect_eq "v6 world: WG_MTU leaves room for ChannelData over IPv6" 1416 "$WG_MTU"
tmp=$WORLD_TMP prefix=$WORLD_PREFIX cp=$COTURN_PID
world_down
expect_eq "v6 world: world_down leaves nothing" "" "$(gone "$prefix" "$tmp" "$cp")"

# A library user killed by SIGTERM in the middle of a wait.
info=$(mktemp /tmp/wgturn-world-child.XXXXXX)
WI=wgI$$
bash -c '
	. scripts/world.sh
	trap world_down EXIT
	trap "exit 143" TERM
	WORLD_PREFIX=wgwi$$
	world_up v4 && wg_up a '"$WI"' 51821 || exit 1
	echo "$WORLD_PREFIX $WORLD_TMP $COTURN_PID ${WG_PID['"$WI"']}" >'"$info"'
	in_ns a sleep 30 & wait $!
' >"$info.log" 2>&1 &
child=$!
_wait_for 10 test -s "$info"
read -r cprefix ctmp cpids <"$info"
if [ -n "${cprefix:-}" ]; then
	kill -TERM "$child"
	wait "$child"
	note "interrupted child (v4 world $cprefix) exited $?"
	# shellcheck disable=SC2086
	expect_eq "SIGTERM'd library user: nothing left" "" "$(gone "$cprefix" "$ctmp" $cpids)"
	check "SIGTERM'd library user: its UAPI socket removed" test ! -e "/var/run/wireguard/$WI.sock"
else
	fail "child world did not come up: $(tail -n 5 "$info.log")"
	kill "$child" 2>/dev/null
	wait "$child"
fi
rm -f "$info" "$info.log"

took=$((SECONDS - start))
note "world self-test took $took s"
limit=$(tscale_int 60) # slower under emulation: tests/lib/tap.sh
check "self-test took under $limit s ($took s)" test "$took" -lt "$limit"
done_testing
