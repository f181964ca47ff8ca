#!/usr/bin/env bash
# The man pages: they render without warnings; wgturn(8) documents every
# command and long option of `wgturn --help` (and of the spec, while the
# binary catches up), wgturn.conf(5) every section and key, the spec's
# and the parser's (upconf.c); the example config uses documented keys
# only and parses.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

tmp=$(mktemp -d /tmp/wgt-pkg-man.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
P8=man/wgturn.8
P5=man/wgturn.conf.5

# --- rendering --------------------------------------------------------------
for p in $P8 $P5; do
	if command -v man >/dev/null; then
		out=$(MANWIDTH=80 timeout 30 man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null)
		expect_eq "man --warnings -l $p: no warning" "" "$out"
	else
		skip "man --warnings -l $p" "man is not installed"
	fi
	if command -v groff >/dev/null; then
		out=$(timeout 30 groff -ww -z -man "$p" 2>&1)
		expect_eq "groff -ww -man $p: no warning" "" "$out"
	else
		skip "groff -ww -man $p" "groff is not installed"
	fi
done

# The pages' text with roff's \- as -: what a reader searches for.
src8=$(sed 's/\\-/-/g' $P8)
src5=$(sed 's/\\-/-/g' $P5)

# --- wgturn(8): commands and options ----------------------------------------
# A command is documented by a tagged paragraph starting with its name in bold.
documented_cmd() { grep -qE "^\\\\fB$1( |\\\\f)" <<<"$src8"; }
documented_opt() { grep -qF -- "$1" <<<"$src8"; }

if [ -x "$BUILD/wgturn" ]; then
	help=$("$BUILD/wgturn" --help)
	# "  up WGIF ...", "  show [NAME]", "  peer set ...": not the notes.
	cmds=$(sed -nE 's/^  ([a-z]+) ([A-Z[]|set |del ).*/\1/p' <<<"$help" | sort -u)
	check "--help lists commands" test -n "$cmds"
	for c in $cmds; do
		check "wgturn.8 documents command '$c' (from --help)" documented_cmd "$c"
	done
	opts=$(for c in "" $cmds; do "$BUILD/wgturn" $c --help; done 2>/dev/null |
		grep -oE -- '--[a-z][a-z-]*[a-z]' | sort -u)
	for o in $opts; do
		check "wgturn.8 documents $o (from --help)" documented_opt "$o"
	done
else
	skip "commands and options of --help" "no $BUILD/wgturn: run make first"
fi

# The spec's command line (notes/issue13-spec.md), whatever the binary has yet.
for c in attach detach peer show up reload down; do
	check "wgturn.8 documents command '$c' (spec)" documented_cmd "$c"
done
for o in --bpffs --verbose --version --help --uplink --port --xdp-mode --json \
	--relay --username --password-file --auth-secret-file \
	--credential-lifetime --config --zone --dns-server --tsig-key-file \
	--publish --direct --wg-config --metrics --metrics-file --foreground; do
	check "wgturn.8 documents $o (spec)" documented_opt "$o"
done
for w in all interfaces dump; do
	check "wgturn.8 documents show $w" grep -qE "\\\\fB(show )?$w\\\\fP" <<<"$src8"
done
for s in SYNOPSIS DESCRIPTION COMMANDS OPTIONS SIGNALS ENVIRONMENT FILES \
	'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
	check "wgturn.8 has section $s" grep -qx "\\.SH $s" <<<"$src8"
done
for w in WGTURN_BPFFS WGTURN_CONFIG_DIR NOTIFY_SOCKET SIGHUP SIGTERM \
	/etc/wgturn/WGIF.conf /run/wgturn/WGIF.state /run/wgturn/WGIF.pid \
	/sys/fs/bpf/wgturn/NAME; do
	check "wgturn.8 mentions $w" grep -qF "$w" <<<"$src8"
done
exit_sect=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH [^E]/p' $P8)
for s in 0 1 2; do
	check "wgturn.8 documents exit status $s" grep -qx "\\.B $s" <<<"$exit_sect"
done

# --- wgturn.conf(5): sections and keys --------------------------------------
# A key is documented by a tagged paragraph "\fBKey\fP = ..." under its
# section's .SH.
section_of() { sed -n "/^\\.SH \\[$1\\]/,/^\\.SH /p" $P5 | sed 's/\\-/-/g'; }
spec_keys="Interface:Uplink Interface:WireGuardConfig Interface:XdpMode
	Interface:Metrics Interface:MetricsFile Relay:Server Relay:Username
	Relay:PasswordFile Relay:AuthSecretFile Relay:CredentialLifetime
	Rendezvous:Zone Rendezvous:Server Rendezvous:TsigKeyFile
	Rendezvous:Publish Rendezvous:Direct"
for sk in $spec_keys; do
	s=${sk%%:*} k=${sk#*:}
	check "wgturn.conf.5 documents [$s] $k (spec)" \
		grep -qE "^\\\\fB$k\\\\fP = " <<<"$(section_of "$s")"
done
# Keys and sections the parser knows: a new one without docs fails here.
parser_keys=$(grep -oE 'strcasecmp\(key, "[A-Za-z]+"\)' user/daemon/upconf.c |
	sed -E 's/.*"(.*)".*/\1/' | sort -u)
check "upconf.c's keys found" test -n "$parser_keys"
for k in $parser_keys; do
	check "wgturn.conf.5 documents key $k (upconf.c)" \
		grep -qE "^\\\\fB$k\\\\fP = " <<<"$src5"
done
parser_sections=$(grep -oE 'strcasecmp\(section, "[A-Za-z]+"\)' user/daemon/upconf.c |
	sed -E 's/.*"(.*)".*/\1/' | sort -u)
for s in $parser_sections; do
	check "wgturn.conf.5 has section [$s] (upconf.c)" grep -qx "\\.SH \\[$s\\]" $P5
done
check "wgturn.conf.5 has an example with two [Relay]s" \
	test "$(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' $P5 | grep -cx '\[Relay\]')" -ge 2
check "wgturn.conf.5's example uses AuthSecretFile" \
	grep -q '^AuthSecretFile = ' <<<"$(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' $P5)"
check "wgturn.conf.5 shows coturn's use-auth-secret" grep -qx 'use-auth-secret' <<<"$src5"

# --- the example config -----------------------------------------------------
EX=dist/wgturn.conf.example
ex_keys=$(sed -nE 's/^#?([A-Za-z]+) = .*/\1/p' $EX | sort -u)
for k in $ex_keys; do
	check "example key $k is documented" grep -qE "^\\\\fB$k\\\\fP = " <<<"$src5"
done
if [ -x "$BUILD/wgturn" ]; then
	# Every key uncommented; files that cannot exist. The config reads
	# if what fails is not the config (a secret file, or privileges).
	sed -E "s/^#(\\[|[A-Za-z]+ = )/\\1/; s#= /etc/#= $tmp/missing/#" $EX >"$tmp/ex.conf"
	if [ "$(id -u)" = 0 ]; then
		err=$(timeout 20 unshare -n "$BUILD/wgturn" up wgt-ex0 --config "$tmp/ex.conf" 2>&1)
	else
		err=$(timeout 20 "$BUILD/wgturn" up wgt-ex0 --config "$tmp/ex.conf" 2>&1)
	fi
	check "the example config, every key uncommented, reads ($err)" \
		test -n "$err" -a "${err/$tmp\/ex.conf/}" = "$err"
fi

done_testing
