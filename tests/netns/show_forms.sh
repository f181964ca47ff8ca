#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The forms of `wgturn show`, as `wg show` users expect them, on instances
# attached and given peers by hand (no daemon):
#  1. show interfaces: the instances' names, one per line, in name order
#  2. show NAME dump: the instance line (5 columns) and one line per
#     endpoint (10 columns) with the endpoint, path, via and channel set;
#     show all dump and show dump: the same lines, the name first
#  3. --json: always an array (show NAME, show all, show)
#  4. show NAME text: every endpoint with its path; show / show all: every
#     instance
#  5. a state file like the daemon's (WireGuard's peers with public keys):
#     show NAME lists "peer: KEY" with its endpoint, the dump carries the
#     key, a WireGuard peer the datapath has no entry for is listed too
#  6. usage errors exit 2 with one line; a missing instance exits 1
#
#   ns $NS: up0 <-> up1 (veth); bpffs $FS outside /sys (ip netns exec)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

NS=wgt-show-$$
FS=/run/wgturn-test-show-$$
N1=sa$$
N2=sb$$
STATE=/run/wgturn/$N1.state

n() { ip netns exec "$NS" "$@"; }
w() { timeout "$(tscale 10)" ip netns exec "$NS" "$WGTURN" --bpffs "$FS" "$@"; }
note() { echo "# $*"; }

cleanup() {
	set +e
	rm -f "$STATE"
	w detach "$N1" >/dev/null 2>&1
	w detach "$N2" >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	umount "$FS" 2>/dev/null
	rmdir "$FS" 2>/dev/null
}
trap cleanup EXIT

bail() {
	fail "$*"
	exit 1
}
[ "$(id -u)" = 0 ] || bail "show forms test needs root"
[ -x "$WGTURN" ] || bail "$WGTURN not built (make)"
command -v jq >/dev/null || bail "jq not installed (needed to read show --json)"

ip netns add "$NS" || bail "ip netns add"
n ip link add up0 type veth peer name up1
n ip link set up0 up
n ip link set up1 up
mkdir -p "$FS" && mount -t bpf bpf "$FS" || bail "mount bpffs on $FS"

# The endpoints and their paths, as set by hand.
E1=198.51.100.7:51820 R1=203.0.113.1:3478 C1=0x4001
E2=198.51.100.8:51820 D2=198.51.100.9:4500
E3='[2001:db8::7]:51820' R3='[2001:db8::1]:3478' C3=0x4ffe

check "attach $N1" w attach "$N1" --uplink up0 --port 51820
check "attach $N2" w attach "$N2" --uplink up1 --port 51821
check "peer set $E1 relay" w peer set "$N1" "$E1" relay "$R1" channel "$C1"
check "peer set $E2 direct" w peer set "$N1" "$E2" direct "$D2"
check "peer set $E3 relay" w peer set "$N1" "$E3" relay "$R3" channel "$C3"

# --- 1. interfaces ---------------------------------------------------
expect_eq "show interfaces: both names, one per line, in order" \
	"$(printf '%s\n' "$N1" "$N2" | sort)" "$(w show interfaces)"

# --- 2. dump ---------------------------------------------------------
dump=$(w show "$N1" dump)
note "show $N1 dump:"
sed 's/^/#   /' <<<"$dump"
expect_eq "show NAME dump: one line for the instance, one per endpoint" 4 "$(grep -c . <<<"$dump")"
expect_eq "show NAME dump: the instance line (name, uplinks, port, relayed, relay state)" \
	"$N1	up0	51820	(none)	(none)" "$(head -n1 <<<"$dump")"
expect_eq "show NAME dump: peer lines have 10 tab-separated columns" "10 10 10" \
	"$(tail -n +2 <<<"$dump" | awk -F'\t' '{ print NF }' | xargs)"
# peer line: key endpoint path via channel rx_bytes rx_packets tx_bytes tx_packets latest_rx
line() { awk -F'\t' -v e="$2" 'NF == 10 && $2 == e' <<<"$1"; }
expect_eq "show NAME dump: $E1 relay $R1 channel $C1, no key, nothing counted" \
	"(none)	$E1	relay	$R1	$C1	0	0	0	0	0" "$(line "$dump" "$E1")"
expect_eq "show NAME dump: $E2 direct $D2, no channel" \
	"(none)	$E2	direct	$D2	(none)	0	0	0	0	0" "$(line "$dump" "$E2")"
expect_eq "show NAME dump: $E3 relay $R3 channel $C3" \
	"(none)	$E3	relay	$R3	$C3	0	0	0	0	0" "$(line "$dump" "$E3")"
all=$(w show all dump)
expect_eq "show all dump: every line of both instances, the name first" \
	"$N1 4 11 $N2 1 6" \
	"$(awk -F'\t' '{ c[$1]++; nf[$1] = NF } END { for (k in c) print k, c[k], nf[k] }' <<<"$all" | sort | xargs)"
expect_eq "show all dump: $N1's lines are show $N1 dump's after the name" \
	"$dump" "$(awk -F'\t' -v n="$N1" '$1 == n' <<<"$all" | cut -f2-)"
expect_eq "show dump is show all dump" "$all" "$(w show dump)"

# --- 3. JSON: always an array ----------------------------------------
expect_eq "show NAME --json: an array" array "$(w show "$N1" --json | jq -r type)"
expect_eq "show NAME --json: one instance, its name, its three endpoints" "1 $N1 3" \
	"$(w show "$N1" --json | jq -r '"\(length) \(.[0].name) \(.[0].peers | length)"')"
expect_eq "show --json: an array" array "$(w show --json | jq -r type)"
expect_eq "show --json: both instances in name order" "$(printf '%s\n' "$N1" "$N2" | sort | xargs)" \
	"$(w show --json | jq -r '[.[].name] | join(" ")')"
expect_eq "show all --json is show --json" "$(w show --json | jq -c '[.[] | {name, peers}]')" \
	"$(w show all --json | jq -c '[.[] | {name, peers}]')"
expect_eq "show NAME --json: $E1's path, relay and channel" "relay $R1 $((C1))" \
	"$(w show "$N1" --json | jq -r --arg e "$E1" '.[0].peers[] | select(.endpoint == $e) | "\(.path) \(.relay) \(.channel)"')"

# --- 4. text ---------------------------------------------------------
txt=$(w show "$N1")
check "show NAME: the interface line" grep -qx "interface: $N1" <<<"$txt"
for e in "$E1" "$E2" "$E3"; do
	check "show NAME lists $e" grep -qxF "peer endpoint: $e" <<<"$txt"
done
check "show NAME: $E1's path relay $R1 channel $C1" \
	grep -qxF "  path: relay $R1 channel $C1" <<<"$txt"
check "show NAME: $E2's path direct $D2" grep -qxF "  path: direct $D2" <<<"$txt"
check "show NAME: counters, uplinks, transfer and latest rx lines are still there" \
	eval 'grep -q "^  counters:" <<<"$txt" && grep -q "^  uplinks: up0 (" <<<"$txt" &&
		[ "$(grep -c "^  transfer: 0 B received (0 packets), 0 B sent (0 packets)$" <<<"$txt")" = 3 ] &&
		[ "$(grep -c "^  latest rx: never$" <<<"$txt")" = 3 ]'
expect_eq "show and show all: both instances" "interface: $N1 interface: $N2" \
	"$(w show | grep '^interface:' | xargs)"
expect_eq "show all is show" "$(w show)" "$(w show all)"

# --- 5. public keys from a state file like the daemon's ---------------
# The daemon writes WireGuard's peers (wg_peers: public key, endpoint);
# pid: this shell, so the "daemon" runs.
K1=k1$(printf '%041d' 0)=
K4=k4$(printf '%041d' 0)=
mkdir -p /run/wgturn
cat >"$STATE" <<EOF
{ "pid": $$, "server": "$R1", "state": "allocated", "relayed": "203.0.113.1:50000",
  "written_at": $(date +%s)000,
  "wg_peers": [ { "public_key": "$K1", "endpoint": "$E1" },
                { "public_key": "$K4", "endpoint": null } ],
  "peers": [ { "endpoint": "$E1", "channel": $((C1)), "permission": "ok", "channel_state": "ok" } ] }
EOF
txt=$(w show "$N1")
note "show $N1 with a state file:"
sed 's/^/#   /' <<<"$txt"
# block KEY: the lines of peer KEY's block in $txt, joined by "|"
block() { awk -v h="peer: $1" '$0 == h { p = 1 } p && /^$/ { exit } p { printf "%s|", $0 }' <<<"$txt"; }
check "state file: show NAME lists 'peer: KEY' with its endpoint and relay path" \
	eval '[[ $(block "$K1") == "peer: $K1|  endpoint: $E1|"*"|  path: relay $R1 channel $C1|"* ]]'
check "state file: an endpoint WireGuard does not have is still listed by endpoint" \
	grep -qxF "peer endpoint: $E2" <<<"$txt"
check "state file: WireGuard's peer with no datapath entry: its key, no endpoint, no path" \
	eval '[[ $(block "$K4") == "peer: $K4|  endpoint: (none)|"*"|  path: none|" ]]'
dump=$(w show "$N1" dump)
expect_eq "state file: the dump's instance line has the relayed address and state" \
	"$N1	up0	51820	203.0.113.1:50000	allocated" "$(head -n1 <<<"$dump")"
expect_eq "state file: the dump carries $E1's key" \
	"$K1	$E1	relay	$R1	$C1" "$(line "$dump" "$E1" | cut -f1-5)"
expect_eq "state file: the dump lists WireGuard's peer with no entry, path none" \
	"$K4	(none)	none	(none)	(none)	0	0	0	0	0" "$(awk -F'\t' -v k="$K4" '$1 == k' <<<"$dump")"
expect_eq "state file: show --json gives $E1's public key" "$K1" \
	"$(w show "$N1" --json | jq -r --arg e "$E1" '.[0].peers[] | select(.endpoint == $e) | .public_key')"
rm -f "$STATE"

# --- 6. errors -------------------------------------------------------
# expect_rc "what" rc args...: exits rc with one line on stderr, no output.
expect_rc() {
	local what=$1 want=$2 out err rc
	shift 2
	out=$(w "$@" 2>"$FS.err")
	rc=$?
	err=$(cat "$FS.err")
	if [ "$rc" = "$want" ] && [ -z "$out" ] && [ "$(grep -c . <<<"$err")" = 1 ]; then
		ok "$what: exit $rc, $err"
	else
		fail "$what: exit $rc (want $want), stdout '$out', stderr '$err'"
	fi
}
expect_rc "show a b" 2 show "$N1" "$N2"
expect_rc "show NAME foo" 2 show "$N1" foo
expect_rc "show NAME dump dump" 2 show "$N1" dump dump
expect_rc "show interfaces dump" 2 show interfaces dump
expect_rc "show NAME dump --json" 2 show "$N1" dump --json
expect_rc "show --bogus" 2 show --bogus
expect_rc "show bad/name" 2 show bad/name
expect_rc "show of a missing instance" 1 show nosuch$$
expect_rc "show missing dump" 1 show nosuch$$ dump
rm -f "$FS.err"

check "detach $N2" w detach "$N2"
expect_eq "show interfaces after detach: $N1 only" "$N1" "$(w show interfaces)"

done_testing
