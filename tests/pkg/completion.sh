#!/usr/bin/env bash
# The bash completion (dist/bash-completion/wgturn), driven as bash drives
# it (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT), with bash-completion's
# helpers loaded and without them: commands, options per command, show's
# words, option values, instance names from the bpffs.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

tmp=$(mktemp -d /tmp/wgt-pkg-comp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Instances as the completion finds them: directories under BPFFS/wgturn.
mkdir -p "$tmp/fs/wgturn/wgt7" "$tmp/fs/wgturn/wgt8" "$tmp/other/wgturn/wgt9"
touch "$tmp/password.txt"
BC=/usr/share/bash-completion/bash_completion

# comp MODE LINE: the candidates for the last word of LINE (a trailing
# space: a new, empty word), one per line, sorted. MODE: bc (with
# bash-completion) or plain.
comp() {
	local mode=$1 line=$2
	WGTURN_BPFFS=$tmp/fs timeout 20 bash --norc --noprofile -c '
		[ "$1" = bc ] && . "$3" >/dev/null 2>&1
		. dist/bash-completion/wgturn
		COMP_LINE=$2
		COMP_POINT=${#2}
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		cd "'"$tmp"'" && _wgturn wgturn "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$mode" "$line" "$BC" 2>>"$tmp/err"
}
has_all() { # has_all "candidates" word...: every word is a candidate
	local c=$1 w
	shift
	for w; do grep -qx -- "$w" <<<"$c" || return 1; done
}
# words LIST: the list as sorted lines.
words() { tr ' ' '\n' <<<"$*" | grep . | sort; }

modes=plain
if [ -f "$BC" ]; then
	modes="bc plain"
else
	skip "with bash-completion" "$BC is not installed"
fi

for m in $modes; do
	expect_eq "$m: wgturn <TAB>: the commands" \
		"$(words attach detach down peer reload show up)" "$(comp "$m" 'wgturn ')"
	expect_eq "$m: wgturn --bpffs /x s<TAB>: show" show "$(comp "$m" 'wgturn --bpffs /x s')"
	check "$m: wgturn -<TAB>: the global options" \
		has_all "$(comp "$m" 'wgturn -')" --bpffs -v --version --help
	expect_eq "$m: wgturn up wg0 --pa<TAB>: --password-file" --password-file \
		"$(comp "$m" 'wgturn up wg0 --pa')"
	got=$(comp "$m" 'wgturn up wg0 --')
	check "$m: wgturn up wg0 --<TAB>: the spec's options of up" has_all "$got" \
		--relay --username --password-file --auth-secret-file \
		--credential-lifetime --config --zone --dns-server --tsig-key-file \
		--publish --direct --wg-config --uplink --xdp-mode --metrics \
		--metrics-file --foreground
	if [ -x "$BUILD/wgturn" ]; then
		opts=$("$BUILD/wgturn" up --help | grep -v "^Usage:" | grep -oE -- '--[a-z][a-z-]*[a-z]' | grep -vxE -e '--(bpffs|version|verbose)' | sort -u)
		# shellcheck disable=SC2086
		check "$m: wgturn up wg0 --<TAB>: every option of 'wgturn up --help'" \
			has_all "$got" $opts
	fi
	expect_eq "$m: wgturn attach x --<TAB>: attach's options" \
		"$(words --help --port --uplink --xdp-mode)" "$(comp "$m" 'wgturn attach x --')"
	check "$m: wgturn show <TAB>: all, interfaces, instances" \
		has_all "$(comp "$m" 'wgturn show ')" all interfaces --json wgt7 wgt8
	check "$m: wgturn --bpffs DIR show <TAB>: DIR's instances" \
		has_all "$(comp "$m" "wgturn --bpffs $tmp/other show ")" wgt9
	check "$m: wgturn show all <TAB>: dump" has_all "$(comp "$m" 'wgturn show all ')" dump --json
	check "$m: wgturn show wgt7 <TAB>: dump" has_all "$(comp "$m" 'wgturn show wgt7 ')" dump
	expect_eq "$m: wgturn show interfaces <TAB>: nothing" "" "$(comp "$m" 'wgturn show interfaces ')"
	expect_eq "$m: wgturn show all dump <TAB>: nothing" "" "$(comp "$m" 'wgturn show all dump ')"
	expect_eq "$m: wgturn show --json all <TAB>: nothing (dump excludes --json)" "" \
		"$(comp "$m" 'wgturn show --json all ')"
	expect_eq "$m: wgturn detach <TAB>: the instances" "$(words wgt7 wgt8)" \
		"$(comp "$m" 'wgturn detach ')"
	expect_eq "$m: wgturn peer <TAB>: set, del" "$(words del set)" "$(comp "$m" 'wgturn peer ')"
	expect_eq "$m: wgturn peer set <TAB>: the instances" "$(words wgt7 wgt8)" \
		"$(comp "$m" 'wgturn peer set ')"
	expect_eq "$m: wgturn peer set wgt7 1.2.3.4:5 <TAB>: relay, direct" \
		"$(words direct relay)" "$(comp "$m" 'wgturn peer set wgt7 1.2.3.4:5 ')"
	for c in 'wgturn up wg0 --xdp-mode ' 'wgturn attach x --xdp-mode '; do
		expect_eq "$m: ${c}<TAB>: the 4 modes" "$(words auto native off skb)" "$(comp "$m" "$c")"
	done
	expect_eq "$m: --publish <TAB>: yes, no" "$(words no yes)" \
		"$(comp "$m" 'wgturn up wg0 --publish ')"
	expect_eq "$m: --direct <TAB>: yes, no" "$(words no yes)" \
		"$(comp "$m" 'wgturn up wg0 --direct ')"
	for o in --password-file --auth-secret-file --tsig-key-file --config \
		--wg-config --metrics-file; do
		expect_eq "$m: $o pass<TAB>: file names" password.txt \
			"$(comp "$m" "wgturn up wg0 $o pass")"
	done
	check "$m: --uplink l<TAB>: network interfaces" has_all "$(comp "$m" "wgturn up wg0 --uplink l")" lo
	expect_eq "$m: the completion printed no error" "" "$(cat "$tmp/err")"
	: >"$tmp/err"
done

done_testing
