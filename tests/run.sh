#!/usr/bin/env bash
# Runs every test tier and ends with the plain line "N passed, N failed".
# C tests are cmocka programs (build/tests/test_*); shell tests are
# tests/*.sh using tests/lib.sh, which prints "ok"/"not ok" lines.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
passed=0
failed=0

tally() { # $1: log file of one tier
	local p f
	p=$(grep -cE '^\[       OK \]|^ok ' "$1")
	f=$(grep -cE '^\[  FAILED  \] [a-z_0-9]+$|^\[  ERROR   \]|^not ok ' "$1")
	passed=$((passed + p))
	failed=$((failed + f))
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "== $(basename "$t")"
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	tally "$log"
	# A crash or setup failure that printed no result still counts.
	if [ $rc -ne 0 ] && ! grep -qE '^\[  FAILED  \]|^\[  ERROR   \]' "$log"; then
		echo "not ok - $(basename "$t") exited $rc"
		failed=$((failed + 1))
	fi
done

for t in tests/*.sh; do
	[ -f "$t" ] || continue
	case "$t" in tests/lib.sh) continue ;; esac
	echo "== $(basename "$t")"
	timeout 600 bash "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	tally "$log"
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - $(basename "$t") exited $rc"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
