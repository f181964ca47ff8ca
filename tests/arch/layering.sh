#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace layering: cli -> daemon -> {turn, wg, dp, dns} -> base, never
# upward and never sideways between turn, wg, dp and dns; no call cycle between
# modules and no include cycle between files; library code never prints. A module uses another when
# its object needs a symbol the other defines (nm); tsort finds loops.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

declare -A rank=([base]=0 [dp]=1 [dns]=1 [turn]=1 [wg]=1 [daemon]=2 [cli]=3)

# allowed FROM TO: folder FROM may use folder TO.
allowed() {
	[ "$1" = "$2" ] && return 0
	[ -n "${rank[$1]:-}" ] && [ -n "${rank[$2]:-}" ] && [ "${rank[$2]}" -lt "${rank[$1]}" ]
}

objs=("$BUILD"/user/*/*.o)
if [ ! -e "${objs[0]}" ]; then
	fail "no objects in $BUILD/user (make first)"
	done_testing
	exit
fi
unranked=$(for d in user/*/; do
	d=${d%/}
	[ -n "${rank[${d#user/}]:-}" ] || echo "$d"
done)
check "every user/ folder has a rank${unranked:+ (not: $unranked)}" test -z "$unranked"

declare -A def
for o in "${objs[@]}"; do
	m=${o#"$BUILD"/user/}
	m=${m%.o}
	for s in $(nm --defined-only -g "$o" | awk '{ print $3 }'); do def[$s]=$m; done
done
edges=$(for o in "${objs[@]}"; do
	m=${o#"$BUILD"/user/}
	m=${m%.o}
	for s in $(nm -u "$o" | awk '{ print $2 }'); do
		d=${def[$s]:-}
		[ -n "$d" ] && [ "$d" != "$m" ] && echo "$m $d"
	done
done | sort -u)
out=$(tsort <<<"$edges" 2>&1 >/dev/null)
check "no call cycle among ${#objs[@]} modules ($(grep -c . <<<"$edges") uses)${out:+: $(tr '\n' ' ' <<<"$out")}" \
	test -z "$out"
up=$(while read -r a b; do
	allowed "${a%%/*}" "${b%%/*}" || echo "$a -> $b"
done <<<"$edges")
check "no call upward or sideways between folders${up:+: $(tr '\n' ' ' <<<"$up")}" test -z "$up"

# Includes: a file's own folder by plain name, others as "folder/x.h".
incl=$(for f in user/*/*.[ch]; do
	dir=$(basename "$(dirname "$f")")
	grep -o '^#include "[^"]*"' "$f" | sed 's/#include "\(.*\)"/\1/' |
		while read -r h; do
			case $h in
			*/*) [ -e "user/$h" ] && echo "${f#user/} $h" ;;
			*) [ -e "user/$dir/$h" ] && echo "${f#user/} $dir/$h" ;;
			esac
		done
done)
out=$(tsort <<<"$incl" 2>&1 >/dev/null)
check "no include cycle among user/ files${out:+: $(tr '\n' ' ' <<<"$out")}" test -z "$out"
up=$(while read -r a b; do
	allowed "${a%%/*}" "${b%%/*}" || echo "$a includes $b"
done <<<"$incl")
check "no include upward or sideways between folders${up:+: $(tr '\n' ' ' <<<"$up")}" test -z "$up"
# wg_backend.h is the WireGuard backends' own: no one outside wg/ uses it
# (tests of the backends aside).
out=$(grep -l '"wg/wg_backend.h"' user/*/*.[ch] 2>/dev/null | grep -v '^user/wg/')
check "wg/wg_backend.h stays inside wg/${out:+: $out}" test -z "$out"

# Library folders return -errno and a message; only cli/ and daemon/ log.
out=$(grep -nE '\<pr_(err|warn|info|debug)\(|\<printf\(|fprintf\((stderr|stdout)|\<puts\(|perror\(' \
	user/dp/*.c user/dns/*.c user/wg/*.c user/turn/*.c user/base/*.c | grep -v '^user/base/log\.c:')
check "library code (dp, dns, wg, turn, base) never prints${out:+: $(head -n3 <<<"$out" | tr '\n' ' ')}" \
	test -z "$out"

done_testing
