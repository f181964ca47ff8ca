#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `wgturn up` failures: each is one clear line on stderr, a non-zero exit,
# and leaves nothing attached or running.
#
#   ns $NS: wireguard-go $WG (port 51820); up0 <-> up1 veth, 192.0.2.1/24,
#           203.0.113.0/24 routed into up1 where nothing answers
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

NS=wgt-up-$$
FS=/run/wgturn-test-up-$$
WG=wgu$$
TMP=$(mktemp -d)
WGPID=
cleanup() {
	[ -n "$WGPID" ] && kill "$WGPID" 2>/dev/null && wait "$WGPID" 2>/dev/null
	rm -f "/var/run/wireguard/$WG.sock" /run/wgturn/"$WG".*
	ip netns del "$NS" 2>/dev/null
	umount "$FS" 2>/dev/null
	rmdir "$FS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

n() { ip netns exec "$NS" "$@"; }
w() { n timeout 90 "$WGTURN" --bpffs "$FS" "$@"; }

ip netns add "$NS"
n ip link set lo up
n ip link add up0 type veth peer name up1
n ip addr add 192.0.2.1/24 dev up0
n ip link set up0 up
n ip link set up1 up
n ip route add 203.0.113.0/24 via 192.0.2.2
n ip neigh replace 192.0.2.2 lladdr 02:00:00:00:00:02 dev up0
mkdir -p "$FS" && mount -t bpf bpf "$FS"
WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 n wireguard-go -f "$WG" >"$TMP/wg.log" 2>&1 &
WGPID=$!
for ((i = 0; i < 50; i++)); do [ -S "/var/run/wireguard/$WG.sock" ] && break; sleep 0.1; done
(umask 077 && wg genkey >"$TMP/key")
n wg set "$WG" private-key "$TMP/key" listen-port 51820
(umask 077 && echo secret >"$TMP/pass")
echo secret >"$TMP/pass-open" && chmod 644 "$TMP/pass-open"

expect_error() { # what pattern command...
	local what=$1 pat=$2 out rc lines
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$out" | grep -c .)
	if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -q -- "$pat" <<<"$out"; then
		ok "$what: $out"
	else
		fail "$what: rc=$rc, $lines lines: $out"
	fi
}
nothing_left() {
	[ ! -e "$FS/wgturn/$1" ] && [ ! -e "/run/wgturn/$1.state" ] &&
		! n ip link show up0 | grep -q xdp
}

R=(--relay turn:203.0.113.1 --username u)
expect_error "missing interface" "no such interface" \
	w up nosuch0 "${R[@]}" --password-file "$TMP/pass"
expect_error "password file readable by others" "accessible by others (mode 0644)" \
	w up "$WG" "${R[@]}" --password-file "$TMP/pass-open"
expect_error "password file missing" "cannot open password file" \
	w up "$WG" "${R[@]}" --password-file "$TMP/none"
expect_error "not a turn: URI" "not a turn: URI" \
	w up "$WG" --relay stun:203.0.113.1 --username u --password-file "$TMP/pass"
expect_error "missing --username" "needs --relay, --username and --password-file" \
	w up "$WG" --relay turn:203.0.113.1 --password-file "$TMP/pass"
printf '[Relay]\nServer = turn:203.0.113.1\nColour = blue\n' >"$TMP/bad.conf"
expect_error "bad config file" "line 3: unknown key 'Colour'" \
	w up "$WG" --config "$TMP/bad.conf"
expect_error "unknown uplink" "eth9" \
	w up "$WG" "${R[@]}" --password-file "$TMP/pass" --uplink eth9
check "unknown uplink: nothing left attached" nothing_left "$WG"
expect_error "no privilege" "permission denied" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all "$WGTURN" --bpffs "$FS" up "$WG" "${R[@]}" --password-file "$TMP/pass"

# Nothing answers on 203.0.113.1 (at boot: the network or the relay is not
# up yet). Not a configuration error: after 10 s `up` says so in one
# warning, returns 0, and the daemon keeps asking in the background; show
# says what it sees; down ends it and leaves nothing.
t0=$(date +%s)
out=$(w up "$WG" "${R[@]}" --password-file "$TMP/pass" 2>&1)
rc=$?
t1=$(date +%s)
check "relay silent: up returns 0 after ~10 s ($((t1 - t0)) s): $out" \
	test "$rc" -eq 0 -a $((t1 - t0)) -ge 9 -a $((t1 - t0)) -le 15
expect_eq "relay silent: one warning line" \
	"wgturn: warning: relay 203.0.113.1 does not answer yet; the daemon keeps trying in the background" "$out"
sleep 3	# the state file's pid is the background daemon's from its first write
pid=$(jq -r .pid "/run/wgturn/$WG.state" 2>/dev/null)
check "relay silent: the daemon (pid $pid) keeps running" kill -0 "${pid:-0}"
check "relay silent: it keeps asking (Allocate retransmissions, $(jq -r .state "/run/wgturn/$WG.state"))" \
	test "$(jq -r .state "/run/wgturn/$WG.state")" = allocating -o "$(jq -r .state "/run/wgturn/$WG.state")" = failed
check "relay silent: show reports no relayed address" \
	eval '[ "$(w show "$WG" --json | jq -r ".[0].relays[0].relayed")" = null ]'
check "relay silent: down ends it" w down "$WG"
check "relay silent: nothing left attached" nothing_left "$WG"

done_testing
