#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end: real WireGuard peers, a real coturn, NATs (scripts/world.sh
# draws the world), wgturn up on both sites. Where the kernel WireGuard
# module loads (Debian's kernels, scripts/vm.sh), both sites run it for
# IPv4 outer addresses, and site A kernel WireGuard against wireguard-go on
# B for IPv6; elsewhere (no CONFIG_WIREGUARD) every site runs wireguard-go
# and the kernel runs are skipped. The plain peer is always wireguard-go.
# Waits are scaled by WGT_TIME_SCALE (tests/lib/tap.sh). Per outer family:
#  1. ping across the tunnel, both sites behind symmetric (port-randomising)
#     NAT; site A's daemon configured on the command line, B's by --config:
#     no loss
#  2. a capture on the relay host, decoded by tshark: every packet between
#     the sites and the relay is STUN or ChannelData (channel 0x4000-0x4FFF,
#     length matching) carrying WireGuard (type 1-4, three zero bytes) or
#     a daemon's path MTU probe (STUN); nothing malformed; UdpInCsumErrors stays 0 on every host
# IPv4 only (the checks do not depend on the family):
#  3. a plain wireguard-go peer on the internet reaches site A through A's
#     relayed address; under ping, A's path to it is switched to direct and
#     back to the relay (wgturn peer set): no loss, both paths counted
#  4. kill -9 of A's daemon under ping -i 0.1 loses nothing; `up` again
#     adopts the allocation (same relayed address) without loss
#  5. coturn restarted under ping: both daemons reallocate and re-bind; the
#     test gives each WireGuard the other's new relayed address, as after
#     the first `up`, and prints the outage; the ping gets answers again
#  6. a wrong password: `up` exits non-zero with the relay's 401
#  7. `down` deallocates, detaches, removes pins and state
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh

FS=/run/wgturn-e2e-$$
A=wga$$
B=wgb$$
P=wgp$$
CAP=

cleanup() {
	wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP


relayed() { wgt_state "$1" .relayed; }

# up SITE IF [config]: wgturn up, relayed address in $REL
up() {
	local args=(--relay "$TURN_SERVER" --username "$TURN_USER" --password-file "$TURN_PASS_FILE")
	if [ "${3:-}" = config ]; then
		printf '[Interface]\nUplink = eth0\n\n[Relay]\nServer = %s\nUsername = %s\nPasswordFile = %s\n' \
			"$TURN_SERVER" "$TURN_USER" "$TURN_PASS_FILE" >"$WORLD_TMP/$2.conf"
		args=(--config "$WORLD_TMP/$2.conf")
	fi
	if ${UP_WRAP:-} ip netns exec "$(world_ns "$1")" timeout "$(tscale 60)" "$WGTURN" --bpffs "$FS" \
		up "$2" "${args[@]}" >"$WORLD_TMP/up-$2.log" 2>&1; then
		ok "[$FAM] wgturn up $2 ($(tail -n1 "$WORLD_TMP/up-$2.log"))"
	else
		fail "[$FAM] wgturn up $2: $(cat "$WORLD_TMP/up-$2.log")"
		return 1
	fi
	REL=$(relayed "$2")
}

# syslog_listen FILE: a datagram socket standing in for /dev/log (see
# with_devlog); the datagrams it receives go to FILE back to back (syslog
# messages carry no newline).
syslog_listen() {
	SYSLOG_SOCK=$WORLD_TMP/devlog.sock
	socat -u UNIX-RECV:"$SYSLOG_SOCK" - >"$1" 2>/dev/null &
	WORLD_PIDS+=("$!")
	_wait_for 5 test -S "$SYSLOG_SOCK"
}

# with_devlog cmd...: cmd in a private mount namespace whose /dev holds
# null, zero, random, urandom and, as log, $SYSLOG_SOCK: what cmd (and a
# daemon it leaves behind) sends to the system log reaches the test.
with_devlog() {
	mkdir -p "$WORLD_TMP/dev"
	unshare -m --propagation private bash -c '
		d=$1 sock=$2
		shift 2
		for n in null zero random urandom log; do touch "$d/$n"; done
		for n in null zero random urandom; do mount --bind "/dev/$n" "$d/$n"; done
		mount --bind "$sock" "$d/log" && mount --rbind "$d" /dev && exec "$@"' \
		with_devlog "$WORLD_TMP/dev" "$SYSLOG_SOCK" "$@"
}

# pair: A and B point at each other's relayed address.
pair() {
	wg_peer a "$A" "${WG_PUBKEY[$B]}" "$RB" "$(allowed b)"
	wg_peer b "$B" "${WG_PUBKEY[$A]}" "$RA" "$(allowed a)"
}



capture_start() {
	CAP=$WORLD_TMP/relay-$FAM.pcap
	ip netns exec "$NS_RELAY" timeout "$(tscale 60)" tshark -q -i eth0 \
		-f "udp port $TURN_PORT" -w "$CAP" >/dev/null 2>&1 &
	CAP_PID=$!
	sleep "$(tscale 1.5)" # tshark needs a moment before it captures
}

# Stop once the capture holds what both sides relayed, in and out (libpcap
# hands packets over in blocks).
capture_stop() {
	local want i
	want=$((2 * ($(W a show "$A" --json | jq '.[0].counters.tx_relay') +
		$(W b show "$B" --json | jq '.[0].counters.tx_relay'))))
	for ((i = 0; i < 40; i++)); do
		[ "$(tshark -r "$CAP" -Y stun.channel 2>/dev/null | grep -c .)" -ge "$want" ] && break
		sleep 0.25
	done
	kill -TERM "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
}

# Every UDP payload to or from the relay port: STUN, or ChannelData whose
# length fits and whose payload is a WireGuard message or a STUN probe.
capture_check() {
	local fields total stun cd pm bad malformed
	fields=$(tshark -r "$CAP" -T fields -e udp.payload 2>/dev/null)
	total=$(grep -c . <<<"$fields")
	read -r stun cd pm bad < <(awk '
		function hex(h,   i, v) { v = 0; h = tolower(h)
			for (i = 1; i <= length(h); i++)
				v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
			return v }
		{ p = $1; b0 = substr(p, 1, 2)
		  if (substr(p, 9, 8) == "2112a442" && b0 ~ /^[0-3]/) { s++; next }
		  ch = hex(substr(p, 1, 4)); len = hex(substr(p, 5, 4))
		  t = substr(p, 9, 8)
		  ok = ch >= 16384 && ch <= 20479 && len * 2 <= length(p) - 8 &&
		      length(p) - 8 - len * 2 < 8
		  if (ok && t ~ /^0[1-4]000000$/) c++
		  else if (ok && substr(p, 17, 8) == "2112a442" && substr(t, 1, 1) ~ /^[0-3]/) m++
		  else { x++; print "bad: " substr(p, 1, 32) > "/dev/stderr" } }
		END { print s + 0, c + 0, m + 0, x + 0 }' <<<"$fields")
	malformed=$(tshark -r "$CAP" -Y _ws.malformed 2>/dev/null | grep -c .)
	# tshark's own decode: every packet is a STUN message, or ChannelData
	# that tshark's WireGuard dissector takes.
	local lua=scripts/wg-in-channeldata.lua all msgs wgcd
	all=$(tshark -X "lua_script:$lua" -r "$CAP" 2>/dev/null | grep -c .)
	msgs=$(tshark -X "lua_script:$lua" -r "$CAP" -Y 'stun && !stun.channel' 2>/dev/null | grep -c .)
	wgcd=$(tshark -X "lua_script:$lua" -r "$CAP" -Y 'stun.channel && wg' 2>/dev/null | grep -c .)
	# ChannelData carrying STUN: path MTU probes between the daemons
	# (user/daemon/peer_pmtu.c), counted from the payload above.
	expect_eq "[$FAM] tshark: all $all packets are STUN ($msgs), ChannelData decoded as WireGuard ($wgcd) or carrying STUN probes ($pm)" \
		"$all" "$((msgs + wgcd + pm))"
	note_line="$total packets: $stun STUN, $cd ChannelData carrying WireGuard, $pm carrying STUN probes, $bad other"
	check "[$FAM] relay capture has ChannelData ($note_line)" test "$cd" -gt 0
	# One 5-tuple: the daemon's requests and WireGuard's ChannelData leave
	# each site from the same public address and port.
	local site ip ports
	for site in A B; do
		ip=$NATA_IP
		[ $site = B ] && ip=$NATB_IP
		ports=$(tshark -r "$CAP" -Y "$([ "$FAM" = v6 ] && echo ipv6 || echo ip).src == $ip" -T fields \
			-e udp.srcport 2>/dev/null | sort -u | tr '\n' ' ')
		expect_eq "[$FAM] site $site: STUN and ChannelData share one source port at the relay ($ports)" \
			1 "$(wc -w <<<"$ports")"
	done
	expect_eq "[$FAM] relay capture: packets neither STUN nor ChannelData carrying WireGuard or a probe" 0 "$bad"
	expect_eq "[$FAM] relay capture: tshark malformed" 0 "$malformed"
}

csum_ok() {
	local out
	out=$(world_csum_errors)
	check "[$FAM] UdpInCsumErrors/Udp6InCsumErrors 0 on every host ($(tr '\n' ' ' <<<"$out"))" \
		test $? -eq 0 -a -n "$out"
}

impl_name() { [ "$1" = kernel ] && echo "kernel WireGuard" || echo wireguard-go; }

basic() { # FAM IMPL_A IMPL_B (go | kernel)
	FAM=$1
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || { fail "mount bpffs"; return 1; }
	WORLD_NATA_FLAGS=fully-random WORLD_NATB_FLAGS=fully-random
	world_up "$FAM" || { fail "[$FAM] world_up"; return 1; }
	if WG_IMPL=$2 wg_up a "$A" 51820 && WG_IMPL=$3 wg_up b "$B" 51820; then
		ok "[$FAM] site A runs $(impl_name "$2"), site B $(impl_name "$3")"
	else
		fail "[$FAM] WireGuard up: A $(impl_name "$2"), B $(impl_name "$3")"
		return 1
	fi
	up a "$A" || return 1
	RA=$REL
	up b "$B" config || return 1
	RB=$REL
	check "[$FAM] relayed addresses $RA and $RB on the relay" \
		test -n "$RA" -a -n "$RB"
	capture_start
	pair
	check "[$FAM] A bound a channel for B's relayed address" wgt_channel_ready "$A" "$RB"
	check "[$FAM] B bound a channel for A's relayed address" wgt_channel_ready "$B" "$RA"
	check "[$FAM] first answer through the tunnel" wgt_ping_first a "$(tun b)"
	ping_ok a "$(tun b)" 30 "A -> B through both relays"
	ping_ok b "$(tun a)" 10 "B -> A"
	capture_stop
	capture_check
	csum_ok
	expect_eq "[$FAM] show --json: relay state" allocated \
		"$(W a show "$A" --json | jq -r '.[0].relays[0].state')"
	expect_eq "[$FAM] show --json: relayed" "$RA" \
		"$(W a show "$A" --json | jq -r '.[0].relays[0].relayed')"
	expect_eq "[$FAM] show --json: B's endpoint relayed on a channel" "relay ok ok" \
		"$(W a show "$A" --json | jq -r --arg e "$RB" '.[0].peers[] | select(.endpoint == $e) |
			"\(.path) \(.permission) \(.channel_state)"')"
	local block kb=${WG_PUBKEY[$B]}
	# B's block in show A, as wg show has it: "peer: KEY", its endpoint
	block=$(W a show "$A" | awk -v h="peer: $kb" '$0 == h { p = 1 } p && /^$/ { exit } p')
	check "[$FAM] show: 'peer: <B's public key>' with B's relayed address as endpoint" \
		grep -qxF "  endpoint: $RB" <<<"$block"
	check "[$FAM] show: B's endpoint on a relay channel, permission and channel ok, traffic counted" \
		eval 'grep -qE "^  path: relay .* channel 0x4[0-9a-f]{3}$" <<<"$block" &&
			grep -q "^  permission: ok, channel: ok$" <<<"$block" &&
			grep -qE "^  transfer: [1-9]" <<<"$block"'
	local dump
	dump=$(W a show "$A" dump)
	check "[$FAM] show dump: B's line carries its key, endpoint, relay path and channel, traffic counted" \
		awk -F'\t' -v k="$kb" -v e="$RB" 'NF == 10 && $1 == k && $2 == e && $3 == "relay" &&
			$5 ~ /^0x4[0-9a-f][0-9a-f][0-9a-f]$/ && $6 > 0 && $10 > 0 { f = 1 } END { exit !f }' <<<"$dump"
	expect_eq "[$FAM] show dump: the instance line (name, uplink, port, relayed, state)" \
		"$A eth0 51820 $RA allocated" "$(head -n1 <<<"$dump" | tr '\t' ' ')"
}

plain_peer() {
	wg_up pub "$P" 51820 || { fail "wireguard-go on pub"; return; }
	# pub knows A only by A's relayed address; A knows pub's real one.
	wg_peer pub "$P" "${WG_PUBKEY[$A]}" "$RA" "$(allowed a)"
	wg_peer a "$A" "${WG_PUBKEY[$P]}" "$(world_ep "$PUB_IP" 51820)" "$(allowed pub)"
	check "[$FAM] A bound a channel for the plain peer" \
		wgt_channel_ready "$A" "$(world_ep "$PUB_IP" 51820)"
	check "[$FAM] plain peer: first answer" wgt_ping_first pub "$(tun a)"
	ping_ok pub "$(tun a)" 10 "plain wireguard-go peer -> A via A's relayed address"
}

# counter JSON NAME: a datapath counter from an instance object of show --json.
counter() { jq -r ".counters.$2 // 0" <<<"$1"; }

# Under ping, A's path to the plain peer goes direct, then back to the
# relay (wgturn peer set by hand): WireGuard keeps one endpoint, the
# datapath switches under it. pub, not behind NAT, answers wherever A's
# packets come from (WireGuard roaming).
path_switch() {
	local ep relay chan b a loss log=$WORLD_TMP/ping-switch.log ping_pid
	ep=$(world_ep "$PUB_IP" 51820)
	read -r relay chan < <(W a show "$A" --json | jq -r --arg e "$ep" \
		'.[0].peers[] | select(.endpoint == $e) | "\(.relay) \(.channel)"')
	b=$(W a show "$A" --json | jq '.[0]')
	in_ns a ping -c "$(tscale_int 60)" -i 0.1 -W "$(tscale_int 2)" "$(tun pub)" >"$log" 2>&1 &
	ping_pid=$!
	sleep "$(tscale 1)"
	check "[$FAM] under ping: A's path to $ep set direct" W a peer set "$A" "$ep" direct "$ep"
	sleep "$(tscale 2)"
	expect_eq "[$FAM] show --json: path to $ep" direct \
		"$(W a show "$A" --json | jq -r --arg e "$ep" '.[0].peers[] | select(.endpoint == $e) | .path')"
	check "[$FAM] under ping: A's path to $ep back to relay $relay channel $chan" \
		W a peer set "$A" "$ep" relay "$relay" channel "$(printf '0x%04x' "$chan")"
	wait "$ping_pid"
	loss=$(sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' "$log")
	expect_eq "[$FAM] ping through relay -> direct -> relay: loss % ($(grep -o '[0-9]* received' "$log"))" 0 "$loss"
	a=$(W a show "$A" --json | jq '.[0]')
	local c
	for c in tx_direct rx_direct tx_relay; do
		check "[$FAM] path switch: counters.$c grew ($(counter "$b" $c) -> $(counter "$a" $c))" \
			test "$(counter "$a" $c)" -gt "$(counter "$b" $c)"
	done
	expect_eq "[$FAM] show --json: path to $ep after the switch back" relay \
		"$(W a show "$A" --json | jq -r --arg e "$ep" '.[0].peers[] | select(.endpoint == $e) | .path')"
}

kill9() {
	local pid loss
	pid=$(jq -r .pid "/run/wgturn/$A.state")
	in_ns a ping -c 80 -i 0.1 -W "$(tscale_int 2)" "$(tun b)" >"$WORLD_TMP/ping-kill.log" 2>&1 &
	local ping_pid=$!
	sleep "$(tscale 2)"
	kill -9 "$pid"
	ok "[$FAM] kill -9 A's daemon (pid $pid) under ping -i 0.1"
	sleep "$(tscale 2)"
	# The new daemon runs in the background: its messages go to the
	# system log, here a socket of the test's (relay_restart reads it).
	SYSLOG=$WORLD_TMP/syslog.txt
	check "[$FAM] a socket stands in for /dev/log" syslog_listen "$SYSLOG"
	UP_WRAP=with_devlog up a "$A"
	expect_eq "[$FAM] the new daemon adopted the allocation (same relayed address)" "$RA" "$REL"
	wait "$ping_pid"
	loss=$(sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' "$WORLD_TMP/ping-kill.log")
	expect_eq "[$FAM] ping through kill -9 and restart: loss %" 0 "$loss"
}

allocs() { jq -r '.allocations // 0' "/run/wgturn/$1.state" 2>/dev/null; }

# answered LOG: how many echo replies a running ping has printed.
answered() { grep -c 'bytes from' "$1"; }

relay_restart() {
	local t0 t1 i ga gb n log=$WORLD_TMP/ping-restart.log ping_pid r1 r2
	ga=$(allocs "$A") gb=$(allocs "$B")
	# Traffic all along: a ping every 0.2 s from before the restart until
	# after the tunnel is back.
	in_ns a ping -i 0.2 -W 1 -w "$(tscale_int 120)" "$(tun b)" >"$log" 2>&1 &
	ping_pid=$!
	sleep "$(tscale 1)"
	t0=$(date +%s%N)
	coturn_restart || { fail "coturn restart"; kill "$ping_pid"; return; }
	# Both daemons notice (their next Refresh, within 15 s, gets a 437)
	# and allocate again.
	n=$(tscale_int 400)
	for ((i = 0; i < n; i++)); do
		if [ "$(allocs "$A")" -gt "$ga" ] && [ "$(allocs "$B")" -gt "$gb" ] &&
			[ "$(jq -r .state "/run/wgturn/$A.state")" = allocated ] &&
			[ "$(jq -r .state "/run/wgturn/$B.state")" = allocated ]; then
			NA=$(relayed "$A") NB=$(relayed "$B")
			break
		fi
		sleep 0.1
	done
	check "[$FAM] both daemons reallocated after the restart ($RA -> $NA, $RB -> $NB, $((i / 10)) s)" \
		test "$i" -lt "$n"
	RA=$NA RB=$NB
	pair
	check "[$FAM] after the restart: channel for B's new address" wgt_channel_ready "$A" "$RB"
	check "[$FAM] after the restart: channel for A's new address" wgt_channel_ready "$B" "$RA"
	check "[$FAM] traffic resumed after the coturn restart" wgt_ping_first a "$(tun b)"
	t1=$(date +%s%N)
	if [ -n "${E2E_DEBUG:-}" ]; then
		W a show "$A"; W b show "$B"; in_ns a wg show; in_ns b wg show
		tail -n 30 "$COTURN_LOG"
	fi
	echo "# coturn restart: outage $(((t1 - t0) / 1000000)) ms until the first ping answer"
	r1=$(answered "$log")
	sleep "$(tscale 2)"
	r2=$(answered "$log")
	# (a background job ignores SIGINT: TERM, and count its lines)
	kill "$ping_pid"
	wait "$ping_pid"
	echo "# ping -i 0.2 through the restart: $r2 answers, the last $((r2 - r1)) in the $(tscale 2) s after the first"
	check "[$FAM] the ping running through the restart gets answers again ($r1 -> $r2 in $(tscale 2) s)" \
		test $((r2 - r1)) -ge 5
	ping_ok a "$(tun b)" 10 "after the coturn restart"
	# A's daemon (started in kill9) logged its allocation, then the lost
	# allocation as a warning, to the system log, tagged wgturn[PID] and
	# with its interface.
	local dpid
	dpid=$(jq -r .pid "/run/wgturn/$A.state")
	check "[$FAM] syslog: wgturn[$dpid]: $A: running in the background: relayed address ($(grep -o 'wgturn\[' "$SYSLOG" | wc -l) messages)" \
		grep -qF "wgturn[$dpid]: $A: running in the background: relayed address" "$SYSLOG"
	check "[$FAM] syslog: wgturn[$dpid]: $A: a warning after the restart ($(grep -o 'warning: relay: [^<]*' "$SYSLOG" | head -n1))" \
		grep -qF "wgturn[$dpid]: $A: warning: relay: " "$SYSLOG"
	check "[$FAM] syslog: facility daemon, priorities info (<30>) and warning (<28>)" \
		eval 'grep -qF "<30>" "$SYSLOG" && grep -qF "<28>" "$SYSLOG"'
}

wrong_password() {
	local pf=$WORLD_TMP/wrong.pass out rc
	(umask 077 && echo "not-the-password" >"$pf")
	wg_up a wgx$$ 51821 || { fail "wireguard-go wgx"; return; }
	out=$(W a up wgx$$ --relay "$TURN_SERVER" --username "$TURN_USER" \
		--password-file "$pf" 2>&1)
	rc=$?
	check "[$FAM] wrong password: up exits non-zero (rc $rc): $out" test $rc -ne 0
	check "[$FAM] wrong password: the relay's 401 is reported" grep -q 401 <<<"$out"
	check "[$FAM] wrong password: nothing left attached" test ! -e "$FS/wgturn/wgx$$"
	wg_down wgx$$
}

down() {
	check "[$FAM] wgturn down $A" W a down "$A"
	check "[$FAM] down: no pins" test ! -e "$FS/wgturn/$A"
	check "[$FAM] down: no state file" test ! -e "/run/wgturn/$A.state"
	check "[$FAM] down: no XDP on A's uplink" sh -c "! ip -n $NS_A link show eth0 | grep -q xdp"
}

if world_kernel_wg; then
	V4=(kernel kernel) V6=(kernel go)
elif [ "${WGT_REQUIRE_KERNEL_WG:-0}" = 1 ]; then
	fail "kernel WireGuard: the module does not load here (WGT_REQUIRE_KERNEL_WG=1)"
	V4=(go go) V6=(go go)
else
	V4=(go go) V6=(go go)
	skip "kernel WireGuard end to end" "module not available here (CONFIG_WIREGUARD off): every site runs wireguard-go; make test-vm runs it on Debian's kernels"
fi
if basic v4 "${V4[@]}"; then
	plain_peer
	path_switch
	kill9
	relay_restart
	wrong_password
	down
fi
cleanup
trap - EXIT
WORLD_PREFIX=wgw6$$
basic v6 "${V6[@]}"
cleanup
trap - EXIT
done_testing
