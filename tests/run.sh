#!/usr/bin/env bash
# Runs every test tier and ends with the plain line "N passed, N failed".
# C tests are cmocka programs (build/tests/test_*, from tests/unit and
# tests/datapath); shell tests are tests/<tier>/*.sh (netns, fuzz, arch)
# using tests/lib/tap.sh.
#
#	tests/run.sh [TEST...]	only these (build/tests/test_x, tests/netns/x.sh)
#
# WGT_TEST_VM=1 adds the VM tier (scripts/test_vm.sh: Debian's kernels under
# qemu) after the rest, its counts in the same closing line.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
passed=0
failed=0
skipped=0

# One format for every test: TAP. C tests are cmocka programs run with
# CMOCKA_MESSAGE_OUTPUT=TAP; shell tests print TAP through tests/lib/tap.sh.
# "ok" passes, "not ok" fails, the "# SKIP" directive skips; a numbered
# result is counted once (cmocka lists skipped tests again at the end),
# and results missing from a "1..N" plan count as failures.
tally() {
	local p f s
	read -r p f s < <(awk '
		/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0 }
		/^(not )?ok( |$)/ {
			if (match($0, /^(not )?ok [0-9]+/)) {
				id = substr($0, 1, RLENGTH); sub(/^not /, "", id)
				if (seen[id]++) next
			}
			n++
			if ($0 ~ / # SKIP/) s++; else if ($0 ~ /^not ok/) f++; else p++
		}
		END { if (plan > n) f += plan - n; print p + 0, f + 0, s + 0 }' "$1")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	# Named again at the end, where a truncated CI log still shows them.
	while IFS= read -r l; do
		failures+=("# failed: $2: $l")
	done < <(grep -a '^not ok' "$1" | grep -av ' # SKIP')
}
failures=()

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ $# -gt 0 ]; then
	only=" $* "
else
	only=
fi
# wanted T: T is in the list given, or no list was given.
wanted() { [ -z "$only" ] || [[ $only == *" $1 "* ]]; }

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	wanted "$t" || continue
	echo "== $(basename "$t")"
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	tally "$log" "$(basename "$t")"
	# A crash or setup failure that printed no result still counts.
	if [ $rc -ne 0 ] && ! grep '^not ok ' "$log" | grep -qv ' # SKIP'; then
		echo "not ok - $(basename "$t") exited $rc"
		failures+=("# failed: $(basename "$t") exited $rc")
		failed=$((failed + 1))
	fi
done

# The test world's own check first: the end-to-end tests stand on it.
for t in tests/netns/world_selftest.sh $(ls tests/*/*.sh | grep -v '/world_selftest\.sh$'); do
	[ -f "$t" ] || continue
	case "$t" in tests/lib/*) continue ;; esac
	wanted "$t" || continue
	echo "== $(basename "$t")"
	timeout "$(awk -v k="${WGT_TIME_SCALE:-1}" 'BEGIN { print 600 * k }')" bash "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	tally "$log" "$(basename "$t")"
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - $(basename "$t") exited $rc"
		failures+=("# failed: $(basename "$t") exited $rc")
		failed=$((failed + 1))
	fi
done

if [ "${WGT_TEST_VM:-0}" = 1 ] && [ -z "$only" ]; then
	echo "== VM tier (scripts/test_vm.sh)"
	vmlog=$(mktemp)
	bash scripts/test_vm.sh 2>&1 | tee "$vmlog"
	vm=$(sed -nE 's/^vm total: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p' "$vmlog")
	if [ -n "$vm" ]; then
		read -r p f s <<<"$vm"
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
		while IFS= read -r l; do failures+=("$l"); done < <(grep -a '^# failed (kernel' "$vmlog")
	else
		echo "not ok - VM tier printed no total"
		failures+=("# failed: the VM tier printed no total")
		failed=$((failed + 1))
	fi
	rm -f "$vmlog"
fi

for l in "${failures[@]}"; do echo "$l"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
