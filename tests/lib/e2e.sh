# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers the end-to-end tests share, over scripts/world.sh and
# tests/lib/tap.sh (source both first). The caller sets FS (its bpffs),
# FAM (v4|v6, the outer family), A and B (site A's and B's WireGuard
# interfaces) and WGTURN.

W() { # SITE args...: wgturn in SITE's namespace
	local s=$1
	shift
	in_ns "$s" timeout "$(tscale 60)" "$WGTURN" --bpffs "$FS" "$@"
}
# tun SITE: SITE's tunnel address of FAM; allowed SITE: its allowed-ips
tun() { local t=${TUN4[$1]}; [ "$FAM" = v6 ] && t=${TUN6[$1]}; echo "${t%/*}"; }
allowed() { echo "${TUN4[$1]%/*}/32,${TUN6[$1]%/*}/128"; }

ping_ok() { # SITE DST COUNT what
	local out loss
	out=$(in_ns "$1" ping -c "$3" -i 0.1 -W "$(tscale_int 2)" "$2" 2>&1)
	loss=$(sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' <<<"$out")
	expect_eq "[$FAM] $4: ping $2 x$3, loss %" 0 "$loss"
}

# --- the rendezvous ---

# dig_ ARGS...: kdig at the zone's server; names unescaped (kdig writes
# the base32 padding '=' as '\=')
dig_() { in_ns a kdig +timeout=2 +retry=1 "@$DNS_IP" "$@" | sed 's/\\=/=/g'; }
# instance KEY: wgsd's name for a base64 public key
instance() {
	echo "$(base64 -d <<<"$1" | base32 | tr 'A-Z' 'a-z')._wireguard._udp.$DNS_ZONE."
}

# rdv_up SITE IF [config] [keyfile]: wgturn up with the rendezvous, the
# ingress hook E2E_XDP_MODE asks for (auto if unset), the
# relay $E2E_RELAY (default coturn, $TURN_SERVER); output in
# $WORLD_TMP/up-IF.log
rdv_up() {
	local key=${4:-$DNS_KEY_FILE} relay=${E2E_RELAY:-$TURN_SERVER}
	local args=(--relay "$relay" --username "$TURN_USER" --password-file "$TURN_PASS_FILE"
		--zone "$DNS_ZONE" --dns-server "$DNS_SERVER" --tsig-key-file "$key")
	[ -e "$WORLD_TMP/$2-wg-quick.conf" ] && args+=(--wg-config "$WORLD_TMP/$2-wg-quick.conf")
	[ -n "${E2E_XDP_MODE:-}" ] && args+=(--xdp-mode "$E2E_XDP_MODE")
	if [ "${3:-}" = config ]; then
		printf '[Relay]\nServer = %s\nUsername = %s\nPasswordFile = %s\n\n[Rendezvous]\nZone = %s\nServer = %s\nTsigKeyFile = %s\n' \
			"$relay" "$TURN_USER" "$TURN_PASS_FILE" "$DNS_ZONE" "$DNS_SERVER" "$key" \
			>"$WORLD_TMP/$2.conf"
		args=(--config "$WORLD_TMP/$2.conf")
	fi
	ip netns exec "$(world_ns "$1")" timeout "$(tscale 60)" "$WGTURN" --bpffs "$FS" \
		up "$2" "${args[@]}" >"$WORLD_TMP/up-$2.log" 2>&1
}

# wg_endpoint SITE IF KEY: WireGuard's endpoint for peer KEY
wg_endpoint() { in_ns "$1" wg show "$2" endpoints | awk -v k="$3" '$1 == k { print $2 }'; }

# endpoint_is SITE IF KEY EP: waits (10 s, scaled) for WireGuard to have EP
endpoint_is() {
	local i
	for ((i = 0; i < $(tscale_int 100); i++)); do
		[ "$(wg_endpoint "$1" "$2" "$3")" = "$4" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- recovery under a continuous ping ---

# gap LOG END: the longest time between two answers of a `ping -D -i 0.2`
# (receive timestamps; END, the epoch time the ping was stopped, closes
# the last silence), less the 0.2 s interval, in ms.
gap() {
	awk -F'[][]' -v end="$2" '/bytes from/ && $2 ~ /^[0-9]+\.[0-9]+$/ { t = $2 + 0
		if (p && t - p > m) m = t - p; p = t }
		END { if (p && end - p > m) m = end - p
		      v = (m - 0.2) * 1000; printf "%d\n", (v > 0 ? v : 0) }' "$1"
}

declare -gA RECOVERY=()

# recovery NAME HOLD CMD...: CMD under a ping every 0.2 s both ways; the
# tunnel must come back by itself, both ways. The outage is the longest
# silence in either direction, less HOLD seconds (how long CMD itself
# keeps the way blocked on purpose), printed and kept in RECOVERY.
recovery() {
	local name=$1 hold=$2 la=$WORLD_TMP/ping-a.log lb=$WORLD_TMP/ping-b.log pa pb
	shift 2
	in_ns a ping -D -i 0.2 -W 1 -w "$(tscale_int $((hold + 60)))" "$(tun b)" >"$la" 2>&1 &
	pa=$!
	in_ns b ping -D -i 0.2 -W 1 -w "$(tscale_int $((hold + 60)))" "$(tun a)" >"$lb" 2>&1 &
	pb=$!
	sleep "$(tscale 2)"
	"$@"
	local i n r1 s1 ga gb out
	n=$(tscale_int 450)
	# back when both pings got 10 new answers after the event
	r1=$(grep -c 'bytes from' "$la")
	s1=$(grep -c 'bytes from' "$lb")
	for ((i = 0; i < n; i++)); do
		sleep 0.1
		[ $(($(grep -c 'bytes from' "$la") - r1)) -ge 10 ] &&
			[ $(($(grep -c 'bytes from' "$lb") - s1)) -ge 10 ] && break
	done
	sleep "$(tscale 1)"
	local end
	end=$(date +%s.%N)
	kill "$pa" "$pb" 2>/dev/null
	wait "$pa" "$pb" 2>/dev/null
	ga=$(gap "$la" "$end") gb=$(gap "$lb" "$end")
	out=$((ga > gb ? ga : gb))
	out=$((out > hold * 1000 ? out - hold * 1000 : 0))
	echo "# $FAM $name: outage $out ms (longest silence A->B $ga ms, B->A $gb ms, less ${hold} s held)"
	RECOVERY["$FAM $name"]=$out
	check "[$FAM] $name: the tunnel came back by itself, both ways (outage $out ms)" test "$i" -lt "$n"
	no_stale "$name"
}

# no_stale WHAT: after recovery each WireGuard sends to the other's current
# relayed address, and no daemon's datapath still maps any other endpoint
# for it: nothing goes to a stale address.
no_stale() {
	local ra rb ma mb
	sleep 1	# the watcher's next read (every second) drops a replaced endpoint
	ra=$(wgt_state "$A" .relayed) rb=$(wgt_state "$B" .relayed)
	expect_eq "[$FAM] $1: each WireGuard points at the other's current relayed address" \
		"$rb $ra" "$(wg_endpoint a "$A" "${WG_PUBKEY[$B]}") $(wg_endpoint b "$B" "${WG_PUBKEY[$A]}")"
	ma=$(W a show "$A" --json | jq -r '[.[0].peers[] | select(.path != null and .public_key == null)] | length')
	mb=$(W b show "$B" --json | jq -r '[.[0].peers[] | select(.path != null and .public_key == null)] | length')
	expect_eq "[$FAM] $1: no datapath entry left for a stale relayed address (A, B)" "0 0" "$ma $mb"
}

# recovery_summary: the outages measured, on one line
recovery_summary() {
	local k
	echo "# recovery (outage, ms): $(for k in "${!RECOVERY[@]}"; do printf '%s=%s; ' "$k" "${RECOVERY[$k]}"; done)"
}

# first SITE DST: wgt_ping_first, its wait as a TAP comment
first() {
	local ms rc
	ms=$(wgt_ping_first "$@")
	rc=$?
	echo "# first answer from $2 after $ms ms"
	return $rc
}

# allocs IF: how often IF's daemon has allocated
allocs() { wgt_state "$1" .allocations; }
