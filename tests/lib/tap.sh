# Shared helpers for shell tests: TAP lines ("ok", "not ok", the "# SKIP"
# directive) that tests/run.sh counts, as it counts the C tests' (cmocka's
# TAP output). Source it; call check or ok/fail; end with done_testing.
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
skip() { echo "ok - $1 # SKIP $2"; }

# Time scale: a slow machine (scripts/vm.sh's emulated guests set
# WGT_TIME_SCALE=10) stretches waits and deadlines instead of failing.
# tscale SECONDS: SECONDS times the scale (may be fractional).
: "${WGT_TIME_SCALE:=1}"
tscale() { awk -v s="$1" -v k="$WGT_TIME_SCALE" 'BEGIN { print s * k }'; }
# tscale_int N: N times the scale, rounded up (loop counts).
tscale_int() { awk -v s="$1" -v k="$WGT_TIME_SCALE" 'BEGIN { v = s * k; print (v == int(v)) ? v : int(v) + 1 }'; }
