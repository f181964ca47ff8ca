# Shared helpers for shell tests: TAP-like "ok" / "not ok" lines that
# tests/run.sh counts. Source it; call check or ok/fail; end with done_testing.
: "${BUILD:=build}"
WGTURN=${WGTURN:-$PWD/$BUILD/wgturn}
_fails=0

ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; _fails=$((_fails + 1)); }

# check "description" command...: ok if the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# expect_eq "description" expected actual
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}

done_testing() { [ "$_fails" -eq 0 ]; }

# skip "description" "reason": counted as skipped, not passed.
skip() { echo "skip - $1: $2"; }
