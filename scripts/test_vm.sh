#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM tier (make test-vm): the tests that depend on the kernel, run
# inside each of Debian's kernels in WGT_VM_KERNELS (default "6.1 6.12")
# through scripts/vm.sh: the BPF fixtures (the verifier and test_run of
# that kernel), the netns datapath test, WireGuard access (the kernel
# module over netlink) and the end-to-end test with kernel WireGuard on
# both sites. Kernel WireGuard must be there: its absence fails, it is not
# skipped. Prints each kernel's counts and time, then the plain line
# "vm total: N passed, N failed, N skipped". Needs a built tree
# (make test-build).
set -u
cd "$(dirname "$0")/.."
: "${BUILD:=build}"
export BUILD
KERNELS=${WGT_VM_KERNELS:-6.1 6.12}
TESTS=("$BUILD/tests/test_datapath" tests/netns/netns_datapath.sh
	tests/netns/wg_access.sh tests/netns/e2e_turn.sh)

passed=0 failed=0 skipped=0 summary=() failures=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for k in $KERNELS; do
	echo "== kernel $k"
	t0=$SECONDS
	bash scripts/vm.sh "$k" -- env WGT_REQUIRE_KERNEL_WG=1 tests/run.sh "${TESTS[@]}" 2>&1 |
		tee "$out"
	rc=${PIPESTATUS[0]}
	took=$((SECONDS - t0))
	kver=$(sed -nE 's/^vm: ([^,]+), [0-9]+ cpus, time scale .*/\1/p' "$out" | head -n1)
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n1)
	if [ -z "$line" ]; then
		echo "not ok - kernel $k: no result (scripts/vm.sh exit $rc)"
		failed=$((failed + 1))
		summary+=("kernel $k: no result, vm exit $rc, $took s")
		failures+=("# failed (kernel $k): no result, vm exit $rc")
		continue
	fi
	read -r p _ f _ s _ <<<"${line//,/}"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	summary+=("kernel $k (${kver:-?}): $p passed, $f failed, $s skipped in $took s")
	while IFS= read -r l; do
		failures+=("# failed (kernel $k):${l#\# failed:}")
	done < <(grep -a '^# failed' "$out")
done
echo "== VM tier"
for l in "${summary[@]}"; do echo "# $l"; done
for l in "${failures[@]}"; do echo "$l"; done
echo "vm total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
