#!/usr/bin/env bash
# CLI error cases: every error is one line on stderr, a non-zero exit,
# and leaves nothing half-applied (no pins, no programs, maps unchanged).
#
#   ns $NS:  up0 <-> up1 (veth), br0 (bridge: no native XDP)
#   bpffs:   $FS, mounted outside /sys so `ip netns exec` sees it
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

NS=wgt-cli-$$
FS=/run/wgturn-test-cli-$$
cleanup() {
	[ -n "${D:-}" ] && [ -e "/sys/fs/bpf/wgturn/$D" ] &&
		nsenter --net=/run/netns/"$NS" "$WGTURN" --bpffs /sys/fs/bpf detach "$D" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	umount "$FS" 2>/dev/null
	rmdir "$FS" 2>/dev/null
}
trap cleanup EXIT

n() { ip netns exec "$NS" "$@"; }
w() { n "$WGTURN" --bpffs "$FS" "$@"; }

ip netns add "$NS"
n ip link add up0 type veth peer name up1
n ip link add br0 type bridge
n ip link set up0 up
n ip link set up1 up
n ip link set br0 up
mkdir -p "$FS"
mount -t bpf bpf "$FS"

# expect_error "what" "stderr pattern" command...: fails, one stderr line.
expect_error() {
	local what=$1 pat=$2 out rc lines
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$out" | grep -c .)
	if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && printf '%s' "$out" | grep -q -- "$pat"; then
		ok "$what: $out"
	else
		fail "$what: rc=$rc, $lines lines: $out"
	fi
}

no_pins() { [ ! -e "$FS/wgturn/$1" ]; }
no_progs() { # $1: interface; no XDP and no tc filter left
	! n ip link show "$1" | grep -q 'xdp' &&
		[ -z "$(n tc filter show dev "$1" egress 2>/dev/null)" ]
}

# --- help, version, exit status ---------------------------------------
# CMD --help: that command's usage on stdout, exit 0, no error output.
for c in attach detach peer show up down; do
	out=$("$WGTURN" "$c" --help 2>"$FS.err")
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$FS.err" ] && grep -q "^  $c " <<<"$out" &&
		[ "$(grep -cE '^  (attach|detach|peer|show|up|down) ' <<<"$out")" = \
			"$(grep -c "^  $c " <<<"$out")" ]; then
		ok "wgturn $c --help: its own usage only, exit 0"
	else
		fail "wgturn $c --help: rc=$rc, stderr '$(cat "$FS.err")', stdout: $out"
	fi
done
rm -f "$FS.err"
check "wgturn peer set NAME --help: peer's usage" \
	sh -c "'$WGTURN' peer set x --help | grep -q '^  peer del NAME ENDPOINT'"
check "wgturn --help lists every command" \
	test "$("$WGTURN" --help | grep -cE '^  (attach|detach|peer|show|up|down) ')" -ge 6
expect_eq "wgturn --version" "wgturn 0" "$("$WGTURN" --version | cut -c1-8)"
# Usage errors exit 2, runtime errors 1.
"$WGTURN" frobnicate 2>/dev/null
expect_eq "usage error: exit 2" 2 $?
"$WGTURN" 2>/dev/null
expect_eq "no command: exit 2" 2 $?
"$WGTURN" --bpffs "$FS" detach nothing-here 2>/dev/null
expect_eq "runtime error: exit 1" 1 $?

# --- argument errors -------------------------------------------------
expect_error "unknown command" "unknown command" w frobnicate
expect_error "no command" "no command given" w
expect_error "attach without uplink" "needs --uplink" w attach t1 --port 51820
expect_error "attach without port" "needs --port" w attach t1 --uplink up0
expect_error "bad port" "invalid port" w attach t1 --uplink up0 --port 70000
expect_error "bad xdp mode" "invalid --xdp-mode" w attach t1 --uplink up0 --port 1 --xdp-mode fast
expect_error "up: bad xdp mode" "invalid --xdp-mode 'fast'" w up wg0 --xdp-mode fast --relay turn:192.0.2.1 --username u --password-file /nonexistent
expect_error "bad name" "invalid name" w attach ../x --uplink up0 --port 51820
expect_error "missing interface" "does not exist" w attach t1 --uplink nosuch0 --port 51820
check "missing interface leaves no pins" no_pins t1

# --- environment errors ---------------------------------------------
expect_error "bpffs not mounted" "not a mounted bpffs" \
	n "$WGTURN" --bpffs /tmp attach t1 --uplink up0 --port 51820
expect_error "bpffs via WGTURN_BPFFS" "not a mounted bpffs" \
	n env WGTURN_BPFFS=/tmp "$WGTURN" show
expect_error "ip netns exec without --bpffs" "ip netns exec" \
	n env -u WGTURN_BPFFS "$WGTURN" attach t1 --uplink up0 --port 51820
if command -v setpriv >/dev/null; then
	expect_error "bpffs mounted inside ip netns exec" "vanish" \
	n sh -c "mount -t bpf bpf /sys/fs/bpf && exec env -u WGTURN_BPFFS $WGTURN show"
expect_error "no privilege" "permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$WGTURN" --bpffs "$FS" show
else
	fail "no privilege: setpriv missing"
fi
expect_error "unknown NAME" "not attached" \
	w peer set nosuch 198.51.100.7:51820 relay 203.0.113.1:3478 channel 0x4001
expect_error "show unknown NAME" "not attached" w show nosuch

# --- a partial attach is rolled back ---------------------------------
expect_error "native XDP on a bridge fails" "cannot attach XDP" \
	w attach t1 --uplink up0 --uplink br0 --port 51820 --xdp-mode native
check "rollback: no pins" no_pins t1
check "rollback: no programs on up0" no_progs up0
check "rollback: no programs on br0" no_progs br0

# --- someone else's XDP program is never replaced --------------------
EMPTY=$PWD/$BUILD/bench/empty.bpf.o
n ip link set dev up1 xdp obj "$EMPTY" sec xdp
expect_error "native over a foreign XDP program" "will not replace" \
	w attach t2 --uplink up1 --port 51820 --xdp-mode native
check "foreign XDP: refused attach left no pins" no_pins t2
out=$(w attach t2 --uplink up1 --port 51820 2>&1)
if [ $? -eq 0 ] && printf '%s' "$out" | grep -q "TC ingress program instead"; then
	ok "auto over a foreign XDP program falls back to TC ingress: $out"
else
	fail "auto over a foreign XDP program: $out"
fi
check "foreign XDP program still attached" sh -c \
	"ip -n $NS link show up1 | grep -q 'prog/xdp id' && ! ip -n $NS -d link show up1 | grep -q wgt_xdp"
expect_eq "show says tc ingress" 1 "$(w show t2 | grep -c 'up1 (tc ingress')"
check "detach t2" w detach t2
check "foreign XDP program survives detach" sh -c "ip -n $NS link show up1 | grep -q 'prog/xdp id'"
n ip link set dev up1 xdp off

# --- peer errors on an attached instance -----------------------------
check "attach" w attach t1 --uplink up0 --port 51820
check "attach again (idempotent)" w attach t1 --uplink up0 --port 51820
check "peer set relay" w peer set t1 198.51.100.7:51820 relay 203.0.113.1:3478 channel 0x4001
peers() { w show t1 --json | sed -n '/"peers"/,$p'; }
before=$(peers)
expect_error "bad endpoint" "invalid address" w peer set t1 198.51.100:51820 relay 203.0.113.1:3478 channel 0x4001
expect_error "bad v6 endpoint" "invalid address" w peer set t1 '[2001:db8::1]51820' direct '[2001:db8::2]:1'
expect_error "endpoint without port" "invalid address" w peer set t1 198.51.100.7 direct 198.51.100.9:1
expect_error "bad relay" "invalid address" w peer set t1 198.51.100.8:51820 relay 203.0.113.1 channel 0x4001
expect_error "channel below range" "invalid channel" w peer set t1 198.51.100.8:51820 relay 203.0.113.1:3478 channel 0x3fff
expect_error "channel above range" "invalid channel" w peer set t1 198.51.100.8:51820 relay 203.0.113.1:3478 channel 0x5000
expect_error "channel not a number" "invalid channel" w peer set t1 198.51.100.8:51820 relay 203.0.113.1:3478 channel 40x1
expect_error "mixed families" "same address family" w peer set t1 198.51.100.8:51820 relay '[2001:db8::1]:3478' channel 0x4002
expect_error "channel owned by another endpoint" "already belongs" \
	w peer set t1 198.51.100.8:51820 relay 203.0.113.1:3478 channel 0x4001
expect_error "unknown path kind" "unknown path" w peer set t1 198.51.100.8:51820 via 203.0.113.1:3478
expect_error "del unknown endpoint" "no peer" w peer del t1 198.51.100.99:51820
after=$(peers)
expect_eq "failed peer commands changed nothing" "$before" "$after"

# A switch keeps the old ingress entry; another peer may take it over.
nchan() { bpftool map dump pinned "$FS/wgturn/t1/channels" | grep -c '"channel"'; }
check "switch 198.51.100.7 to direct" w peer set t1 198.51.100.7:51820 direct 198.51.100.9:1
expect_eq "old channel still maps ingress after the switch" 1 "$(nchan)"
check "another peer takes the old channel over" \
	w peer set t1 198.51.100.8:51820 relay 203.0.113.1:3478 channel 0x4001
check "peer del 198.51.100.8" w peer del t1 198.51.100.8:51820
expect_eq "peer del removes its channel" 0 "$(nchan)"
expect_eq "peer del removes the relay" 0 \
	"$(bpftool map dump pinned "$FS/wgturn/t1/relays" | grep -c '"endpoints"')"
check "peer del 198.51.100.7" w peer del t1 198.51.100.7:51820
expect_eq "peer del removes the direct entry" 0 \
	"$(bpftool map dump pinned "$FS/wgturn/t1/directs" | grep -c '"port"')"

# --- the default bpffs, entered with nsenter (keeps the host's /sys) ----
grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
D=wgtcli$$
dw() { nsenter --net=/run/netns/"$NS" env -u WGTURN_BPFFS "$WGTURN" "$@"; }
expect_error "a second instance for t1's port" "another instance for WireGuard port 51820" \
	dw attach "$D" --uplink up0 --port 51820
check "... leaves no pins" test ! -e "/sys/fs/bpf/wgturn/$D"
# another WireGuard port: a second instance beside t1
check "attach with the default bpffs" dw attach "$D" --uplink up0 --port 51821
check "peer set with the default bpffs" \
	dw peer set "$D" '[2001:db8::7]:51820' relay '[2001:db8:f::1]:3478' channel 16386
check "pinned under /sys/fs/bpf/wgturn/NAME" test -e "/sys/fs/bpf/wgturn/$D/endpoints"
check "bpftool shows endpoint fields" sh -c \
	"bpftool map dump pinned /sys/fs/bpf/wgturn/$D/endpoints | grep -q '\"channel\": 16386'"
check "bpftool shows counter names" sh -c \
	"bpftool map dump pinned /sys/fs/bpf/wgturn/$D/counters | grep -q '\"tx_relay\"'"
check "bpftool shows stats fields" sh -c \
	"bpftool map dump pinned /sys/fs/bpf/wgturn/$D/stats | grep -q '\"last_rx_ns\"'"
expect_error "same NAME from another network namespace" "another network namespace" \
	env -u WGTURN_BPFFS "$WGTURN" attach "$D" --uplink lo --port 51821
check "detach with the default bpffs" dw detach "$D"
check "default bpffs: no pins left" test ! -e "/sys/fs/bpf/wgturn/$D"

# --- detach removes everything ----------------------------------------
check "detach" w detach t1
check "detach: no pins" no_pins t1
check "detach: no programs" no_progs up0
expect_error "detach twice" "not attached" w detach t1

done_testing
