#!/usr/bin/env bash
# The installed systemd unit: systemd-analyze verify accepts it, the
# directives that matter are there, and systemd-analyze security's exposure
# level (offline, on the file) stays at or below 5.0; the level is printed.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

if ! command -v systemd-analyze >/dev/null; then
	skip "systemd unit" "systemd-analyze is not installed"
	exit 0
fi
if [ ! -x "$BUILD/wgturn" ]; then
	skip "systemd unit" "no $BUILD/wgturn: run make first"
	exit 0
fi

tmp=$(mktemp -d /tmp/wgt-pkg-unit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Installed for real under a prefix in $tmp (no DESTDIR): verify checks that
# ExecStart's binary exists, and this path is the one ExecStart names.
timeout 60 make -s --no-print-directory BUILD="$BUILD" -o "$BUILD/wgturn" \
	install PREFIX="$tmp/p" >/dev/null 2>&1
unit=$tmp/p/lib/systemd/system/wgturn@.service
check "installed under PREFIX=$tmp/p" test -f "$unit"

# BindsTo= and After= name wg-quick@.service, which may not be installed:
# a stub in front of the unit path (the trailing ':' keeps the defaults).
mkdir -p "$tmp/stub"
printf '[Unit]\nDescription=stub\n[Service]\nType=oneshot\nExecStart=/bin/true\n' \
	>"$tmp/stub/wg-quick@.service"
export SYSTEMD_UNIT_PATH=$tmp/stub:
sa() { timeout 60 systemd-analyze "$@"; }

out=$(sa verify --man=no "$unit" 2>&1)
rc=$?
check "systemd-analyze verify: exit 0" test $rc -eq 0
expect_eq "systemd-analyze verify: no warning" "" "$out"

# The verification bites: it fails on a copy whose ExecStart names no
# binary (so the pass above says the installed path exists), and warns on
# a copy with a bad value.
sed 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/wgturn|' "$unit" \
	>"$tmp/stub/wgturn-nobin@.service"
sa verify --man=no "$tmp/stub/wgturn-nobin@.service" >/dev/null 2>&1
check "systemd-analyze verify fails when ExecStart's binary is missing" test $? -ne 0
sed 's/^Type=notify/Type=bogus/' "$unit" >"$tmp/stub/wgturn-bad@.service"
out=$(sa verify --man=no "$tmp/stub/wgturn-bad@.service" 2>&1)
check "systemd-analyze verify warns on a bad value" grep -qi "service type" <<<"$out"

# d KEY: the values of KEY= lines, space-joined.
d() { sed -n "s/^$1=//p" "$unit" | tr '\n' ' ' | sed 's/ $//'; }
has() { [[ " $(d "$1") " == *" $2 "* ]]; }

expect_eq "Type=notify" notify "$(d Type)"
expect_eq "NotifyAccess=main" main "$(d NotifyAccess)"
expect_eq "ExecStart: up %i --foreground" \
	"$tmp/p/sbin/wgturn up %i --foreground" "$(d ExecStart)"
expect_eq "ExecReload: SIGHUP to the main process" '/bin/kill -HUP $MAINPID' \
	"$(d ExecReload)"
expect_eq "BindsTo=wg-quick@%i.service" wg-quick@%i.service "$(d BindsTo)"
check "After=wg-quick@%i.service" has After wg-quick@%i.service
check "After=network-online.target" has After network-online.target
check "Wants=network-online.target" has Wants network-online.target
expect_eq "Restart=on-failure" on-failure "$(d Restart)"
caps="CAP_BPF CAP_NET_ADMIN CAP_PERFMON CAP_SYS_ADMIN"
expect_eq "CapabilityBoundingSet: exactly the four" "$caps" \
	"$(d CapabilityBoundingSet | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "AmbientCapabilities: the same four" "$caps" \
	"$(d AmbientCapabilities | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "NoNewPrivileges=yes" yes "$(d NoNewPrivileges)"
expect_eq "ProtectSystem=strict" strict "$(d ProtectSystem)"
check "ReadWritePaths: /sys/fs/bpf (pins)" has ReadWritePaths /sys/fs/bpf
check "ReadWritePaths: /run/wgturn (state)" has ReadWritePaths /run/wgturn
expect_eq "RuntimeDirectory=wgturn" wgturn "$(d RuntimeDirectory)"
expect_eq "RuntimeDirectoryPreserve=yes (shared by instances)" yes \
	"$(d RuntimeDirectoryPreserve)"
expect_eq "RestrictAddressFamilies" "AF_UNIX AF_INET AF_INET6 AF_NETLINK" \
	"$(d RestrictAddressFamilies)"
expect_eq "WantedBy=multi-user.target" multi-user.target "$(d WantedBy)"
for k in ProtectHome PrivateTmp ProtectKernelModules ProtectControlGroups \
	LockPersonality MemoryDenyWriteExecute RestrictRealtime; do
	expect_eq "$k=yes" yes "$(d "$k")"
done
expect_eq "SystemCallArchitectures=native" native "$(d SystemCallArchitectures)"

# The exposure level: offline analysis of the file (systemd 250 and later).
out=$(sa security --offline=yes --no-pager "$unit" 2>&1)
level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' <<<"$out")
if [ -z "$level" ]; then
	skip "systemd-analyze security --offline" "no exposure level: $(tail -1 <<<"$out")"
else
	echo "# exposure level: $level"
	sa security --offline=yes --threshold=50 "$unit" >/dev/null 2>&1
	check "exposure level $level is at most 5.0" test $? -eq 0
fi

done_testing
