#!/usr/bin/env bash
# make install / uninstall into a DESTDIR: exactly the expected files, with
# sane modes; the unit's ExecStart names the installed binary; uninstall
# leaves no file behind. PREFIX=/usr and the default, /usr/local.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

tmp=$(mktemp -d /tmp/wgt-pkg-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# -o: never rebuild the binary here (the build dir is the caller's).
mk() { timeout 60 make -s --no-print-directory BUILD="$BUILD" -o "$BUILD/wgturn" "$@"; }

if [ ! -x "$BUILD/wgturn" ]; then
	skip "make install" "no $BUILD/wgturn: run make first"
	exit 0
fi

# unit_dir PREFIX: where the Makefile puts the unit for PREFIX.
unit_dir() {
	local d
	if [ "$1" = /usr ]; then
		d=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
		[ -n "$d" ] && { echo "$d"; return; }
	fi
	echo "$1/lib/systemd/system"
}

for prefix in /usr /usr/local; do
	d=$tmp/root${prefix//\//_}
	ud=$(unit_dir "$prefix")
	expected=$(sort <<-EOL
	755 $prefix/sbin/wgturn
	644 $prefix/share/man/man8/wgturn.8
	644 $prefix/share/man/man5/wgturn.conf.5
	644 $ud/wgturn@.service
	644 $prefix/share/bash-completion/completions/wgturn
	644 $prefix/share/doc/wgturn/examples/wgturn.conf.example
	EOL
	)
	if [ "$prefix" = /usr/local ]; then
		out=$(mk install DESTDIR="$d" 2>&1) # PREFIX's default
	else
		out=$(mk install DESTDIR="$d" PREFIX="$prefix" 2>&1)
	fi
	check "PREFIX=$prefix: make install succeeds" test $? -eq 0
	[ -n "$out" ] && echo "# $out"
	got=$(cd "$d" && find . -type f -printf '%m /%P\n' | sort)
	expect_eq "PREFIX=$prefix: exactly the expected files and modes" "$expected" "$got"
	check "PREFIX=$prefix: nothing under /etc (the config is the admin's)" \
		test ! -e "$d/etc"
	check "PREFIX=$prefix: the installed binary is the built one" \
		cmp -s "$BUILD/wgturn" "$d$prefix/sbin/wgturn"
	exec_start=$(sed -n 's/^ExecStart=//p' "$d$ud/wgturn@.service")
	expect_eq "PREFIX=$prefix: ExecStart names the installed binary" \
		"$prefix/sbin/wgturn up %i --foreground" "$exec_start"
	check "PREFIX=$prefix: no other path to the binary in the unit" \
		test "$(grep -c 'sbin/wgturn' "$d$ud/wgturn@.service")" -eq 1
	check "PREFIX=$prefix: the man page is the source's" \
		cmp -s man/wgturn.8 "$d$prefix/share/man/man8/wgturn.8"

	if [ "$prefix" = /usr/local ]; then
		mk uninstall DESTDIR="$d" >/dev/null 2>&1
	else
		mk uninstall DESTDIR="$d" PREFIX="$prefix" >/dev/null 2>&1
	fi
	check "PREFIX=$prefix: make uninstall succeeds" test $? -eq 0
	left=$(find "$d" ! -type d)
	expect_eq "PREFIX=$prefix: uninstall leaves no file behind" "" "$left"
	check "PREFIX=$prefix: uninstall removes wgturn's doc dir" \
		test ! -e "$d$prefix/share/doc/wgturn"
done

# A second uninstall (nothing there) is not an error.
mk uninstall DESTDIR="$tmp/empty" PREFIX=/usr >/dev/null 2>&1
check "uninstall of nothing succeeds" test $? -eq 0

done_testing
