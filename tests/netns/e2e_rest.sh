#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, TURN REST API credentials (issue 13): a coturn of its own
# (tests/lib/relays.sh) with use-auth-secret and static-auth-secret, both
# sites behind symmetric NAT. A's daemon gets --auth-secret-file and
# --credential-lifetime 20 on the command line, B's the same in a
# [Relay] section (AuthSecretFile, CredentialLifetime). Per outer family
# (E2E_FAMILIES, default v4):
#  1. ping through the tunnel; the relay's own log shows the USERNAME it
#     accepted: EXPIRY:USER, EXPIRY a unix time 0-25 s after `up`
#  2. 30 s under ping -i 0.2, past the credentials' expiry: at most 2
#     lost, the same relayed addresses and allocation counts
#  3. the relay restarted: both daemons allocate again with fresh
#     credentials (an EXPIRY later than the restart), the tunnel is back
#  4. a wrong secret: `up` exits 1 with one line that holds neither the
#     wrong secret nor the right one; nothing left attached
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh
. tests/lib/relays.sh

FS=/run/wgturn-rest-$$
A=wsa$$
B=wsb$$
LIFE=20

cleanup() {
	wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b" "wsx$$:a"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP


# up_rest SITE IF [config]: wgturn up with REST credentials; output in
# $WORLD_TMP/up-IF.log
up_rest() {
	local args=(--relay "$REST_SERVER" --username "$TURN_USER" --auth-secret-file "$SECRET_FILE"
		--credential-lifetime "$LIFE")
	if [ "${3:-}" = config ]; then
		printf '[Relay]\nServer = %s\nUsername = %s\nAuthSecretFile = %s\nCredentialLifetime = %s\n' \
			"$REST_SERVER" "$TURN_USER" "$SECRET_FILE" "$LIFE" >"$WORLD_TMP/$2.conf"
		args=(--config "$WORLD_TMP/$2.conf")
	fi
	ip netns exec "$(world_ns "$1")" timeout "$(tscale 60)" "$WGTURN" --bpffs "$FS" \
		up "$2" "${args[@]}" >"$WORLD_TMP/up-$2.log" 2>&1
}

pair() {
	wg_peer a "$A" "${WG_PUBKEY[$B]}" "$RB" "$(allowed b)"
	wg_peer b "$B" "${WG_PUBKEY[$A]}" "$RA" "$(allowed a)"
}

# expiries_after T: the EXPIRY of every USERNAME the relay logged, minus T
# (seconds), one a line; "bad:NAME" for a USERNAME not EXPIRY:USER.
expiries_after() {
	local u
	while read -r u; do
		[ -n "$u" ] || continue
		if [[ $u =~ ^([0-9]+):${TURN_USER}$ ]]; then
			echo $((BASH_REMATCH[1] - $1))
		else
			echo "bad:$u"
		fi
	done < <(relay_usernames rest | sort -u)
}

basic() { # FAM
	FAM=$1
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || { fail "mount bpffs"; return 1; }
	WORLD_NATA_FLAGS=fully-random WORLD_NATB_FLAGS=fully-random
	world_up "$FAM" || { fail "[$FAM] world_up"; return 1; }
	SECRET=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	SECRET_FILE=$WORLD_TMP/rest.secret
	(umask 077 && printf '%s\n' "$SECRET" >"$SECRET_FILE")
	# the world's coturn keeps 3478 and 49152-49199; this one is REST only
	if ! check "[$FAM] a coturn with use-auth-secret/static-auth-secret listens on udp 3480" \
		relay_start rest "$RELAY_IP" 3480 49200 49249 use-auth-secret "static-auth-secret=$SECRET"; then
		return 1
	fi
	REST_SERVER=${RELAY_SERVER[rest]}
	wg_up a "$A" 51820 && wg_up b "$B" 51820 || { fail "[$FAM] WireGuard up"; return 1; }
	T_UP=$(date +%s)
	if up_rest a "$A"; then
		ok "[$FAM] up $A --auth-secret-file F --credential-lifetime $LIFE ($(tail -n1 "$WORLD_TMP/up-$A.log"))"
	else
		fail "[$FAM] up $A --auth-secret-file F --credential-lifetime $LIFE: $(cat "$WORLD_TMP/up-$A.log")"
		return 1
	fi
	if up_rest b "$B" config; then
		ok "[$FAM] up $B --config with AuthSecretFile and CredentialLifetime = $LIFE"
	else
		fail "[$FAM] up $B --config with AuthSecretFile, CredentialLifetime = $LIFE: $(cat "$WORLD_TMP/up-$B.log")"
		return 1
	fi
	RA=$(wgt_state "$A" .relayed) RB=$(wgt_state "$B" .relayed)
	check "[$FAM] relayed addresses $RA and $RB on the REST relay" test -n "$RA" -a -n "$RB"
	pair
	check "[$FAM] A bound a channel for B's relayed address" wgt_channel_ready "$A" "$RB"
	check "[$FAM] B bound a channel for A's relayed address" wgt_channel_ready "$B" "$RA"
	check "[$FAM] first answer through the tunnel" first a "$(tun b)"
	ping_ok a "$(tun b)" 20 "REST credentials: A -> B"

	# What the relay itself accepted (its log, not the daemon's word).
	local ex bad late
	ex=$(expiries_after "$T_UP")
	bad=$(grep -c '^bad:' <<<"$ex")
	late=$(awk -v max=$((LIFE + 5)) '!/^bad:/ && ($1 < 0 || $1 > max)' <<<"$ex" | grep -c .)
	check "[$FAM] the relay logged USERNAMEs EXPIRY:$TURN_USER ($(relay_usernames rest | sort -u | tr '\n' ' '))" \
		test -n "$ex" -a "$bad" -eq 0
	check "[$FAM] ... EXPIRY 0-$((LIFE + 5)) s after up (seconds after: $(tr '\n' ' ' <<<"$ex"))" \
		test -n "$ex" -a "$late" -eq 0
	check "[$FAM] state file: A's username is EXPIRY:$TURN_USER ($(wgt_state "$A" .username))" \
		eval '[[ "$(wgt_state "$A" .username)" =~ ^[0-9]+:$TURN_USER$ ]]'
	check "[$FAM] state file: relay_list says rest credentials" \
		eval '[ "$(wgt_state "$A" ".relay_list[0].credentials")" = rest ]'
	return 0
}

# Past the credentials' expiry under a continuous ping: the allocation
# stays (the relay keeps it; refreshes with the credentials it was made
# with, or new ones, succeed), nothing is lost.
past_expiry() {
	local na nb log=$WORLD_TMP/ping-expiry.log sent recv wait_s
	na=$(allocs "$A") nb=$(allocs "$B")
	wait_s=$((LIFE + 10))
	in_ns a ping -D -i 0.2 -W 1 -w "$(tscale_int "$wait_s")" "$(tun b)" >"$log" 2>&1 &
	wait $!
	read -r sent recv < <(sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) received.*/\1 \2/p' "$log")
	echo "# $FAM $wait_s s past a $LIFE s credential lifetime: $recv of $sent answered, longest silence $(gap "$log" "$(date +%s.%N)") ms"
	check "[$FAM] ping for $wait_s s, past the $LIFE s credential lifetime: at most 2 lost ($recv of $sent)" \
		test -n "$sent" -a "${sent:-0}" -gt 0 -a $((${sent:-0} - ${recv:-0})) -le 2
	expect_eq "[$FAM] past expiry: the same allocations (relayed A, B; allocation counts A, B)" \
		"$RA $RB $na $nb" \
		"$(wgt_state "$A" .relayed) $(wgt_state "$B" .relayed) $(allocs "$A") $(allocs "$B")"
	expect_eq "[$FAM] past expiry: both allocated" "allocated allocated" \
		"$(wgt_state "$A" .state) $(wgt_state "$B" .state)"
}

# The relay restarted: the allocations are gone; both daemons allocate
# again, with credentials minted now.
relay_restart() {
	local na nb i n t0 ex fresh
	na=$(allocs "$A") nb=$(allocs "$B")
	relay_stop rest
	: >"${RELAY_LOG[rest]}"
	t0=$(date +%s)
	check "[$FAM] the REST relay restarted" relay_start rest || return
	n=$(tscale_int 600)
	for ((i = 0; i < n; i++)); do
		[ "$(allocs "$A")" -gt "$na" ] 2>/dev/null && [ "$(allocs "$B")" -gt "$nb" ] 2>/dev/null &&
			[ "$(wgt_state "$A" .state)" = allocated ] && [ "$(wgt_state "$B" .state)" = allocated ] && break
		sleep 0.1
	done
	check "[$FAM] both daemons allocated again after the restart ($((i / 10)) s; allocations A $na -> $(allocs "$A"), B $nb -> $(allocs "$B"))" \
		test "$i" -lt "$n"
	ex=$(expiries_after "$t0")
	fresh=$(awk '!/^bad:/ && $1 > 0' <<<"$ex" | grep -c .)
	check "[$FAM] after the restart the relay accepted fresh USERNAMEs only, EXPIRY after the restart (seconds after: $(tr '\n' ' ' <<<"$ex"))" \
		test -n "$ex" -a "$fresh" -eq "$(grep -c . <<<"$ex")"
	RA=$(wgt_state "$A" .relayed) RB=$(wgt_state "$B" .relayed)
	pair
	check "[$FAM] after the restart: channels bound both ways" \
		eval 'wgt_channel_ready "$A" "$RB" && wgt_channel_ready "$B" "$RA"'
	check "[$FAM] after the restart: first answer" first a "$(tun b)"
	ping_ok a "$(tun b)" 10 "after the REST relay's restart"
}

wrong_secret() {
	local f=$WORLD_TMP/wrong.secret x=wsx$$ out rc wrong
	wrong=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	(umask 077 && printf '%s\n' "$wrong" >"$f")
	wg_up a "$x" 51821 || { fail "[$FAM] wireguard-go $x"; return; }
	out=$(in_ns a timeout "$(tscale 60)" "$WGTURN" --bpffs "$FS" up "$x" --relay "$REST_SERVER" \
		--username "$TURN_USER" --auth-secret-file "$f" --credential-lifetime "$LIFE" 2>&1)
	rc=$?
	expect_eq "[$FAM] wrong secret: up exits 1 ($out)" 1 "$rc"
	expect_eq "[$FAM] wrong secret: one line" 1 "$(grep -c . <<<"$out")"
	check "[$FAM] wrong secret: the line names the relay's refusal (401)" grep -q 401 <<<"$out"
	check "[$FAM] wrong secret: neither the wrong secret nor the right one in the message" \
		eval '! grep -qF -e "$wrong" -e "$SECRET" <<<"$out"'
	check "[$FAM] wrong secret: nothing left attached" test ! -e "$FS/wgturn/$x"
	wg_down "$x"
}

for FAM in ${E2E_FAMILIES:-v4}; do
	WORLD_PREFIX=wgs${FAM#v}$$
	if basic "$FAM"; then
		past_expiry
		relay_restart
		wrong_secret
	fi
	cleanup
done
trap - EXIT
done_testing
