#!/usr/bin/env bash
# A bounded libFuzzer pass over the STUN/TURN codec under ASan and UBSan,
# seeded with the RFC 5769 vectors and the TURN messages in
# tests/fuzz/corpus. Any finding (crash, sanitizer report, leak, timeout,
# round-trip mismatch) fails; the input is kept as $BUILD/fuzz/crash-*.
# FUZZ_TIME and FUZZ_SEED override the defaults; `make fuzz` runs longer.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
FUZZ_TIME=${FUZZ_TIME:-25}
FUZZ_SEED=${FUZZ_SEED:-1}
fuzz=$BUILD/fuzz/fuzz_stun
seeds=$BUILD/fuzz/seeds

work=$(mktemp -d /tmp/wgt-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT

# A plain sub-make, not a part of the `make test` that may have started us.
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s BUILD="$BUILD" fuzz-build \
	>"$work/build.log" 2>&1; then
	ok "fuzz_stun builds with -fsanitize=fuzzer,address,undefined"
else
	cat "$work/build.log"
	fail "fuzz_stun builds (needs clang and libclang-rt-14-dev: make deps)"
	done_testing
	exit
fi

rfc=$(find "$seeds" -name '2.[1-4]-*.bin' | wc -l)
expect_eq "the four RFC 5769 vectors are seeds (tests/data/rfc5769)" \
	4 "$rfc"

mkdir "$work/corpus"
"$fuzz" -seed="$FUZZ_SEED" -max_total_time="$FUZZ_TIME" -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -dict=tests/fuzz/stun.dict \
	-artifact_prefix="$BUILD/fuzz/" "$work/corpus" "$seeds" \
	>"$work/fuzz.log" 2>&1
rc=$?
runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$work/fuzz.log")
secs=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$work/fuzz.log")
cov=$(grep -oE 'DONE +cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$work/fuzz.log" |
	tail -n1 | sed -E 's/^DONE +//')
if [ $rc -eq 0 ] && [ -n "$runs" ]; then
	ok "fuzz_stun: $runs execs in ${secs}s (seed $FUZZ_SEED, $cov), no finding"
else
	grep -vE '^#[0-9]+ +(NEW|REDUCE|pulse)' "$work/fuzz.log" | tail -n 60
	fail "fuzz_stun: libFuzzer exited $rc after ${runs:-?} execs; see $BUILD/fuzz/crash-* and the log above"
fi
done_testing
