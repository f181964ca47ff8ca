#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, the rendezvous: both sites behind symmetric NAT, WireGuard
# peers configured by public key and allowed-ips only, no endpoint given
# by hand. A real Knot DNS (scripts/world.sh knot_start) serves the zone
# and takes TSIG-signed updates; kdig checks what wgturn published,
# independently of wgturn's own DNS code. Per outer family (E2E_FAMILIES,
# default "v4 v6"):
#  1. `up` publishes each node's wgsd records (PTR, SRV, A/AAAA, TXT with
#     the candidates); each daemon reads the other's and gives WireGuard
#     the endpoint; ping both ways; (v4) show tells the truth, also after
#     kill -9; an idle tunnel behind NATs with 10 s UDP timeouts; a plain
#     peer named by DNS name in A's wg-quick config moves
#  2. events under a continuous ping both ways (-i 0.2): the tunnel comes
#     back with no human action; the outage is printed, and afterwards
#     nothing maps a stale address: coturn restart (both reallocate,
#     republish, re-resolve); NAT A's conntrack flushed (A comes out on a
#     new port, its allocation is gone); A's uplink address changes; NAT
#     A's public address changes; a 45 s relay outage; forged 437 and
#     401 from an on-path observer; a relay keeping permissions and
#     channels 20 s
#  3. the DNS server down: the tunnel is unaffected; the zone losing A's
#     records: A publishes them again
#  4. `up` with a wrong TSIG key: one error line naming the refusal, exit 1
#  5. `down` removes the node's records
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh

FS=/run/wgturn-rdv-$$
A=wra$$
B=wrb$$
P=wrp$$

cleanup() {
	[ -n "${NS_A:-}" ] && rm -rf "/etc/netns/$NS_A"
	wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

basic() { # FAM
	FAM=$1
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || { fail "mount bpffs"; return 1; }
	WORLD_NATA_FLAGS=fully-random WORLD_NATB_FLAGS=fully-random
	# NATs that forget an idle UDP mapping after 10 s (seed 002)
	WORLD_NAT_UDP_TIMEOUT=10
	world_up "$FAM" || { fail "[$FAM] world_up"; return 1; }
	check "[$FAM] Knot DNS serves $DNS_ZONE at $DNS_SERVER" knot_start || return 1
	wg_up a "$A" 51820 && wg_up b "$B" 51820 && wg_up pub "$P" 51820 ||
		{ fail "[$FAM] WireGuard up"; return 1; }
	# A's wg-quick config names the plain peer by DNS name; A's resolver
	# is the zone's server.
	printf '[Interface]\nPrivateKey = (not read)\n\n[Peer]\nPublicKey = %s\nEndpoint = pub.%s:51820\nAllowedIPs = %s\n' \
		"${WG_PUBKEY[$P]}" "$DNS_ZONE" "$(allowed pub)" >"$WORLD_TMP/$A-wg-quick.conf"
	mkdir -p "/etc/netns/$NS_A"
	echo "nameserver $DNS_IP" >"/etc/netns/$NS_A/resolv.conf"
	# Public key and allowed-ips only: no endpoint anywhere.
	wg_peer a "$A" "${WG_PUBKEY[$B]}" - "$(allowed b)"
	wg_peer b "$B" "${WG_PUBKEY[$A]}" - "$(allowed a)"
	if ! rdv_up a "$A"; then
		fail "[$FAM] wgturn up $A with --zone/--dns-server/--tsig-key-file: $(cat "$WORLD_TMP/up-$A.log")"
		return 1
	fi
	ok "[$FAM] wgturn up $A with --zone/--dns-server/--tsig-key-file"
	if ! rdv_up b "$B" config; then
		fail "[$FAM] wgturn up $B with a [Rendezvous] section: $(cat "$WORLD_TMP/up-$B.log")"
		return 1
	fi
	ok "[$FAM] wgturn up $B with a [Rendezvous] section"
	RA=$(wgt_state "$A" .relayed) RB=$(wgt_state "$B" .relayed)
	MA=$(wgt_state "$A" .mapped)
	IA=$(instance "${WG_PUBKEY[$A]}") IB=$(instance "${WG_PUBKEY[$B]}")
	local srv addr ptr txt
	ptr=$(dig_ +short "_wireguard._udp.$DNS_ZONE." PTR | sort | tr '\n' ' ')
	expect_eq "[$FAM] kdig: PTR _wireguard._udp.$DNS_ZONE lists both nodes" \
		"$(printf '%s\n' "$IA" "$IB" | sort | tr '\n' ' ')" "$ptr"
	srv=$(dig_ +short "$IA" SRV)
	expect_eq "[$FAM] kdig: SRV of A points at its own name and relayed port" \
		"0 0 ${RA##*:} $IA" "$srv"
	addr=$(dig_ +short "$IA" "$([ "$FAM" = v6 ] && echo AAAA || echo A)")
	local ra_ip=${RA%:*}
	ra_ip=${ra_ip#[}
	expect_eq "[$FAM] kdig: A's address record is its relayed address" "${ra_ip%]}" "$addr"
	txt=$(dig_ +short "$IA" TXT)
	check "[$FAM] kdig: TXT has txtvers=1, pub=A's key, wgturn=1, relay=$RA, srflx=$MA, host ($txt)" \
		eval 'grep -qF "\"txtvers=1\" \"pub=${WG_PUBKEY[$A]}\" \"wgturn=1\" \"relay=$RA\" \"srflx=$MA\" \"host=" <<<"$txt"'
	check "[$FAM] kdig: the SRV answer carries the address in the additional section (wgsd-client reads it there)" \
		eval 'dig_ "$IA" SRV | grep -A3 "ADDITIONAL SECTION" | grep -qF "$IA"'
	check "[$FAM] A's WireGuard got B's relayed address $RB from the rendezvous" \
		endpoint_is a "$A" "${WG_PUBKEY[$B]}" "$RB"
	check "[$FAM] B's WireGuard got A's relayed address $RA from the rendezvous" \
		endpoint_is b "$B" "${WG_PUBKEY[$A]}" "$RA"
	check "[$FAM] first answer through the tunnel" wgt_ping_first a "$(tun b)"
	ping_ok a "$(tun b)" 20 "A -> B, endpoints from the rendezvous"
	ping_ok b "$(tun a)" 10 "B -> A"
}

# show tells where each peer is reached, how, since when, and from which
# record; a state left by a killed daemon is reported as such.
show_truth() {
	local j
	j=$(W a show "$A" --json | jq '.[0]')
	expect_eq "[$FAM] show --json: B's endpoint carries B's public key" "${WG_PUBKEY[$B]}" \
		"$(jq -r --arg e "$RB" '.peers[] | select(.endpoint == $e) | .public_key' <<<"$j")"
	expect_eq "[$FAM] show --json: ... and the record it came from" "$RB" \
		"$(jq -r --arg e "$RB" '.peers[] | select(.endpoint == $e) | .record.endpoint' <<<"$j")"
	check "[$FAM] show --json: ... a handshake age and a record age" \
		eval 'jq -e --arg e "$RB" ".peers[] | select(.endpoint == \$e) | (.handshake_ms_ago >= 0 and .record.read_ms_ago >= 0)" <<<"$j" >/dev/null'
	expect_eq "[$FAM] show --json: rendezvous published A's relayed address" "$RA" \
		"$(jq -r '.rendezvous.published' <<<"$j")"
	expect_eq "[$FAM] show --json: the daemon runs" "true false" \
		"$(jq -r '"\(.daemon.running) \(.relays[0].stale)"' <<<"$j")"
	check "[$FAM] show: public key, handshake, record lines" \
		eval 'W a show "$A" | grep -q "^  public key: ${WG_PUBKEY[$B]}$" &&
			W a show "$A" | grep -qE "^  latest handshake: [0-9]+ seconds ago$" &&
			W a show "$A" | grep -qE "^  record: $RB, read [0-9]+ s ago$" &&
			W a show "$A" | grep -qE "^  rendezvous: zone $DNS_ZONE at .*, published $RA [0-9]+ s ago$"'
	local pid
	pid=$(wgt_state "$B" .pid)
	kill -9 "$pid"
	sleep "$(tscale 2)"
	j=$(W b show "$B" --json | jq '.[0]')
	expect_eq "[$FAM] after kill -9: show --json says the daemon is gone and its relay state stale" \
		"false true" "$(jq -r '"\(.daemon.running) \(.relays[0].stale)"' <<<"$j")"
	check "[$FAM] after kill -9: show says so ($(W b show "$B" | grep daemon:))" \
		eval 'W b show "$B" | grep -qE "^  daemon: not running \(pid $pid gone\); what follows was last seen [0-9]+ s ago$"'
	check "[$FAM] after kill -9: the expiry counts down from the absolute time" \
		eval '[ "$(jq -r .relays[0].expires_in_s <<<"$j")" -lt "$(wgt_state "$B" .lifetime_s)" ]'
	if rdv_up b "$B" config; then
		ok "[$FAM] wgturn up $B again adopts"
	else
		fail "[$FAM] wgturn up $B again: $(cat "$WORLD_TMP/up-$B.log")"
	fi
	ping_ok a "$(tun b)" 10 "after B's daemon came back"
}

# A plain WireGuard peer with no wgturn of its own, named in A's wg-quick
# config as pub.$DNS_ZONE:51820, changes its address (and its DNS record):
# A's daemon resolves the name again when the path goes silent.
named_peer() {
	local ep ra t0 t1 i n log=$WORLD_TMP/ping-pub.log pp
	ra=$(wgt_state "$A" .relayed)
	wg_peer pub "$P" "${WG_PUBKEY[$A]}" "$ra" "$(allowed a)"
	wg_peer a "$A" "${WG_PUBKEY[$P]}" "$(world_ep "$PUB4" 51820)" "$(allowed pub)"
	check "[$FAM] plain peer named by DNS: first answer" wgt_ping_first a "$(tun pub)"
	in_ns a ping -D -i 0.2 -W 1 -w "$(tscale_int 60)" "$(tun pub)" >"$log" 2>&1 &
	pp=$!
	sleep "$(tscale 1)"
	t0=$(date +%s%N)
	knot_set pub A 203.0.113.50 || fail "knotc: pub A 203.0.113.50"
	in_ns pub sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
	in_ns pub ip addr add 203.0.113.50/28 dev eth0
	in_ns pub ip addr del "$PUB4/28" dev eth0
	in_ns pub ip route replace default via 203.0.113.62
	ep=$(world_ep 203.0.113.50 51820)
	check "[$FAM] A's WireGuard follows pub.$DNS_ZONE to $ep" endpoint_is a "$A" "${WG_PUBKEY[$P]}" "$ep"
	n=$(tscale_int 150)
	for ((i = 0; i < n; i++)); do
		in_ns a ping -c 1 -W 1 "$(tun pub)" >/dev/null 2>&1 && break
	done
	t1=$(date +%s%N)
	sleep "$(tscale 1)"
	local end g
	end=$(date +%s.%N)
	kill "$pp" 2>/dev/null
	wait "$pp" 2>/dev/null
	g=$(gap "$log" "$end")
	echo "# $FAM plain peer's address change: answers again $(((t1 - t0) / 1000000)) ms after (longest silence $g ms)"
	RECOVERY["$FAM named peer's address change"]=$g
	check "[$FAM] the plain peer answers at its new address" test "$i" -lt "$n"
}

# Both NATs forget idle UDP mappings after 10 s; the tunnel idles 35 s.
# The daemons' 10 s keepalive on the relay 5-tuple keeps the mappings:
# no reallocation, and the first packet after the silence goes through.
idle_short_nat_timeout() {
	local na nb ra t
	na=$(wgt_state "$A" .allocations) nb=$(wgt_state "$B" .allocations)
	ra=$(wgt_state "$A" .relayed)
	sleep "$(tscale 35)"
	t=$(wgt_ping_first a "$(tun b)")
	check "[$FAM] NAT UDP timeout 10 s, tunnel idle 35 s: the first ping is answered (after $t ms)" \
		test "$t" -lt 2000
	expect_eq "[$FAM] ... with no reallocation on either side (allocations, A's relayed address)" \
		"$na $nb $ra" "$(wgt_state "$A" .allocations) $(wgt_state "$B" .allocations) $(wgt_state "$A" .relayed)"
}

ev_coturn_restart() { coturn_restart || fail "coturn restart"; }
ev_nat_flush() { in_ns nata conntrack -F >/dev/null 2>&1; }

# A's uplink gets a new address (a DHCP renumbering): the old one goes.
ev_uplink_change() {
	if [ "$FAM" = v6 ]; then
		in_ns a ip -6 addr add 2001:db8:a::3/64 dev eth0 nodad
		in_ns a ip -6 addr del "$A6/64" dev eth0
		in_ns a ip -6 route replace default via 2001:db8:a::1
	else
		in_ns a sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
		in_ns a ip addr add 198.51.100.3/26 dev eth0
		in_ns a ip addr del "$A4/26" dev eth0
		in_ns a ip route replace default via 198.51.100.1
	fi
}

# NAT A's public address changes (the ISP renumbers it): masquerade
# forgets its mappings, A comes out from the new address.
ev_nat_address_change() {
	if [ "$FAM" = v6 ]; then
		in_ns nata ip -6 addr add 2001:db8:2::2/64 dev wan nodad
		in_ns nata ip -6 addr del "$NATA6/64" dev wan
		in_ns nata ip -6 route replace default via 2001:db8:2::fe
	else
		in_ns nata sysctl -qw net.ipv4.conf.wan.promote_secondaries=1
		in_ns nata ip addr add 203.0.113.18/28 dev wan
		in_ns nata ip addr del "$NATA4/28" dev wan
		in_ns nata ip route replace default via 203.0.113.30
	fi
}

# The relay unreachable for 45 s (longer than a Refresh transaction's
# 39.5 s): its traffic dropped on the internet router, then let through.
ev_relay_outage() {
	in_ns inet nft -f - <<-EOF
		table inet outage {
			chain drop_relay {
				type filter hook forward priority 0;
				ip saddr $RELAY4 drop
				ip daddr $RELAY4 drop
				ip6 saddr $RELAY6 drop
				ip6 daddr $RELAY6 drop
			}
		}
	EOF
	sleep "$(tscale 45)"
	in_ns inet nft delete table inet outage
}

# coturn keeping permissions and channels 20 s (--permission-lifetime,
# --channel-lifetime; RFC 8656 says 300 and 600): the first expiry shows
# as a silent path, the daemons renew at once and learn to renew in time.
ev_coturn_short_lifetimes() {
	coturn_restart "permission-lifetime=20" "channel-lifetime=20" ||
		fail "coturn restart with 20 s lifetimes"
}

short_lifetimes() {
	local la=$WORLD_TMP/ping-life-a.log lb=$WORLD_TMP/ping-life-b.log pa pb t0 ga gb end
	recovery "coturn restart, 20 s permission and channel lifetimes" 0 ev_coturn_short_lifetimes
	t0=$(date +%s.%N)
	in_ns a ping -D -i 0.2 -W 1 -w "$(tscale_int 60)" "$(tun b)" >"$la" 2>&1 &
	pa=$!
	in_ns b ping -D -i 0.2 -W 1 -w "$(tscale_int 60)" "$(tun a)" >"$lb" 2>&1 &
	pb=$!
	wait "$pa" "$pb"
	end=$(date +%s.%N)
	ga=$(gap "$la" "$end") gb=$(gap "$lb" "$end")
	echo "# $FAM 20 s lifetimes, 60 s of ping: longest silence A->B $ga ms, B->A $gb ms"
	check "[$FAM] 20 s lifetimes: at most one short silence in 60 s (A->B $ga ms, B->A $gb ms)" \
		test "$ga" -lt 5000 -a "$gb" -lt 5000
	# the second half: renewed in time, no silence at all
	local late
	late=$(awk -F'[][]' -v s="$t0" '/bytes from/ && $2 + 0 > s + 30' "$la" | grep -c .)
	check "[$FAM] 20 s lifetimes: after the first expiry, renewed in time ($late of ~150 answers in the last 30 s)" \
		test "$late" -ge 140
}

# An on-path observer (on the internet router, between NAT A and the
# relay) answers each of A's Refresh requests at once with a forged 437,
# then a forged 401: right transaction id, spoofed relay address, no
# integrity. The relay's real answers come 200 ms later (coturn is stopped
# for that long as each request passes: netem is not in every kernel), so
# the forgeries arrive first. The tunnel must not notice.
forged_errors() {
	local na ra code out loss fp
	local relay=$RELAY4:$TURN_PORT
	[ "$FAM" = v6 ] && relay=[$RELAY6]:$TURN_PORT
	na=$(wgt_state "$A" .allocations) ra=$(wgt_state "$A" .relayed)
	for code in 437 401; do
		in_ns inet "$BUILD/tests/tools/stunforge" --ifname r-nata \
			--relay "$relay" --code "$code" \
			--stall-pid "$COTURN_PID" --stall-ms 200 \
			--seconds "$(tscale_int 25)" >"$WORLD_TMP/forge-$code.out" 2>&1 &
		fp=$!
		out=$(in_ns a ping -c 120 -i 0.2 -W 2 "$(tun b)" 2>&1)
		wait "$fp"
		loss=$(sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' <<<"$out")
		expect_eq "[$FAM] forged $code to every Refresh of A for 25 s ($(cat "$WORLD_TMP/forge-$code.out")): ping loss %" 0 "$loss"
		check "[$FAM] ... the forger did send" grep -qE 'forged: [1-9]' "$WORLD_TMP/forge-$code.out"
	done
	expect_eq "[$FAM] forged errors: A's allocation untouched (allocations, relayed address, state)" \
		"$na $ra allocated" "$(wgt_state "$A" .allocations) $(wgt_state "$A" .relayed) $(wgt_state "$A" .state)"
	# (each forgery races the relay's answer: some come second and are
	# ignored as answers to nothing; those that come first are hints)
	check "[$FAM] forged errors: forgeries that came first were overruled by the authentic answer (hints_ignored $(wgt_state "$A" .hints_ignored))" \
		test "$(wgt_state "$A" .hints_ignored)" -ge 1
}

events() {
	recovery "coturn restart" 0 ev_coturn_restart
	check "[$FAM] after the coturn restart: A's record follows its new allocation" \
		eval '[ "$(dig_ +short "$IA" SRV | cut -d" " -f3)" = "$(wgt_state "$A" .relayed | sed "s/.*://")" ]'
	local ra=$(wgt_state "$A" .relayed) n
	recovery "NAT A conntrack flush" 0 ev_nat_flush
	check "[$FAM] after the NAT flush: A has a new allocation ($ra -> $(wgt_state "$A" .relayed))" \
		test "$ra" != "$(wgt_state "$A" .relayed)"
	ra=$(wgt_state "$A" .relayed)
	recovery "A's uplink address change" 0 ev_uplink_change
	check "[$FAM] after the uplink change: A allocated from its new address ($ra -> $(wgt_state "$A" .relayed))" \
		test "$ra" != "$(wgt_state "$A" .relayed)"
	recovery "NAT A's public address change" 0 ev_nat_address_change
	check "[$FAM] after the NAT address change: A's mapped address is the new one ($(wgt_state "$A" .mapped))" \
		eval '[[ "$(wgt_state "$A" .mapped)" == *"$([ "$FAM" = v6 ] && echo 2001:db8:2::2 || echo 203.0.113.18)"* ]]'
	ra=$(wgt_state "$A" .relayed) n=$(wgt_state "$A" .allocations)
	recovery "relay unreachable 45 s" 45 ev_relay_outage
	expect_eq "[$FAM] after the outage: the same allocation, kept (relayed address, allocations)" \
		"$ra $n" "$(wgt_state "$A" .relayed) $(wgt_state "$A" .allocations)"
	forged_errors
	short_lifetimes
}

dns_down() {
	knot_stop
	ping_ok a "$(tun b)" 20 "DNS server down: the tunnel is unaffected"
	check "[$FAM] knot back" knot_start
}

# The zone loses A's records behind wgturn's back (deleted with knsupdate,
# as a server restored from an old file would): A reads its own record
# back every TTL and publishes it again.
lost_records() {
	local i n
	in_ns a knsupdate -y "$(cat "$DNS_KEY_FILE")" <<-EOF
		server $DNS_IP
		zone $DNS_ZONE.
		update delete $IA SRV
		update delete $IA A
		update delete $IA AAAA
		update delete $IA TXT
		send
	EOF
	check "[$FAM] A's records deleted behind its back" test -z "$(dig_ +short "$IA" SRV)"
	n=$(tscale_int 250)
	for ((i = 0; i < n; i++)); do
		[ -n "$(dig_ +short "$IA" SRV)" ] && break
		sleep 0.1
	done
	check "[$FAM] A published its record again ($((i / 10)) s after it was lost)" test "$i" -lt "$n"
}

wrong_key() {
	local kf=$WORLD_TMP/wrong.key out rc
	(umask 077 && printf 'hmac-sha256:%s:%s\n' "$DNS_KEY_NAME" "$(head -c 32 /dev/urandom | base64)" >"$kf")
	wg_up a wrx$$ 51821 || { fail "wireguard-go wrx"; return; }
	rdv_up a wrx$$ "" "$kf"
	rc=$?
	out=$(cat "$WORLD_TMP/up-wrx$$.log")
	check "[$FAM] wrong TSIG key: up exits 1 (rc $rc)" test "$rc" -eq 1
	expect_eq "[$FAM] wrong TSIG key: one line about the rendezvous" 1 "$(grep -c rendezvous <<<"$out")"
	check "[$FAM] wrong TSIG key: the last line names the refusal ($(tail -n1 <<<"$out"))" \
		eval 'tail -n1 <<<"$out" | grep -q "refused the update: NOTAUTH, BAD"' 
	check "[$FAM] wrong TSIG key: nothing left attached" test ! -e "$FS/wgturn/wrx$$"
	check "[$FAM] wrong TSIG key: the secret is not in the message" \
		eval '! grep -qF "$(cut -d: -f3 "$kf")" <<<"$out"'
	wg_down wrx$$
}

down() {
	check "[$FAM] wgturn down $A" W a down "$A"
	expect_eq "[$FAM] down: A's SRV record is gone" "" "$(dig_ +short "$IA" SRV)"
	expect_eq "[$FAM] down: the PTR lists only B" "$IB" "$(dig_ +short "_wireguard._udp.$DNS_ZONE." PTR)"
}

FAMILIES=${E2E_FAMILIES:-v4 v6}
if [[ " $FAMILIES " == *" v4 "* ]] && basic v4; then
	show_truth
	idle_short_nat_timeout
	named_peer
	events
	dns_down
	lost_records
	wrong_key
	down
fi
cleanup
trap - EXIT
WORLD_PREFIX=wgr6$$
if [[ " $FAMILIES " == *" v6 "* ]] && basic v6; then
	events
fi
cleanup
trap - EXIT
recovery_summary
done_testing
