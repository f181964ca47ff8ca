#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# No call cycle between the userspace modules, and no include cycle
# between their headers. An object uses another when it needs a symbol
# the other defines (nm); tsort finds any loop in that graph.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

objs=("$BUILD"/user/*.o)
if [ ! -e "${objs[0]}" ]; then
	fail "no objects in $BUILD/user (make first)"
	done_testing
	exit
fi
declare -A def
for o in "${objs[@]}"; do
	m=$(basename "$o" .o)
	for s in $(nm --defined-only -g "$o" | awk '{ print $3 }'); do def[$s]=$m; done
done
edges=$(for o in "${objs[@]}"; do
	m=$(basename "$o" .o)
	for s in $(nm -u "$o" | awk '{ print $2 }'); do
		d=${def[$s]:-}
		[ -n "$d" ] && [ "$d" != "$m" ] && echo "$m $d"
	done
done | sort -u)
out=$(tsort <<<"$edges" 2>&1 >/dev/null)
check "no call cycle among ${#objs[@]} modules ($(grep -c . <<<"$edges") uses)${out:+: $(tr '\n' ' ' <<<"$out")}" \
	test -z "$out"

incl=$(for h in user/*.h user/*.c; do
	grep -o '^#include "[^"]*"' "$h" | sed 's/#include "\(.*\)"/\1/' |
		while read -r d; do [ -e "user/$d" ] && echo "$(basename "$h") $d"; done
done)
out=$(tsort <<<"$incl" 2>&1 >/dev/null)
check "no include cycle among user/ files${out:+: $(tr '\n' ' ' <<<"$out")}" test -z "$out"

done_testing
