#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Secrets never echoed (issue 13): the TURN password, the REST auth
# secret and the TSIG key reach wgturn only through files; no message
# repeats a secret given where it does not belong, nor a secret file's
# content.
#  1. usage: a secret where a file name belongs, through an abbreviated
#     option (--password, --auth-secret, --tsig-key; spaced or with =):
#     exit 2, stderr without the value; the secret-file options are never
#     abbreviated (--password-fil FILE is refused too)
#  2. a config file with an unknown key carrying a secret (Password =
#     VALUE): `up --config` fails without echoing VALUE
#  3. in a world (wireguard-go at site A, the world's coturn): a password
#     file, an auth secret file and a TSIG key file holding garbage, or
#     readable by others: `up` fails (exit 1) with one line, never the
#     content; the mode error names the path
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
. tests/lib/tap.sh
. scripts/world.sh
. tests/lib/e2e.sh

FS=/run/wgturn-sec-$$
X=wkx$$
FAM=v4
SECRET=SECRETVALUE$$$RANDOM

cleanup() {
	wgt_world_down "$WGTURN" "$FS" "$X:a"
	rm -rf "${TMPD:-/nonexistent.$$}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

TMPD=$(mktemp -d /tmp/wgturn-secrets.XXXXXX)

# cli NAME args...: wgturn ARGS outside any namespace; RC, OUT (stderr
# and stdout)
cli() {
	OUT=$(timeout 20 "$WGTURN" --bpffs "$TMPD/nofs" "$@" 2>&1)
	RC=$?
}

# no_echo WHAT NEEDLE: OUT holds no NEEDLE
no_echo() {
	check "$1: the message does not contain it ($(head -n2 <<<"$OUT" | tr '\n' '|'))" \
		eval '! grep -qF -- "$2" <<<"$OUT"'
}

usage_errors() {
	local opt form
	for opt in --password --auth-secret --tsig-key --pass --tsig-key-fil; do
		for form in spaced equals; do
			if [ $form = spaced ]; then
				cli up "$X" --relay turn:192.0.2.1:3478 --username u "$opt" "$SECRET"
			else
				cli up "$X" --relay turn:192.0.2.1:3478 --username u "$opt=$SECRET"
			fi
			expect_eq "up $X $opt$([ $form = equals ] && echo = || echo ' ')SECRET: usage error, exit 2" 2 "$RC"
			no_echo "up $X $opt$([ $form = equals ] && echo = || echo ' ')SECRET" "$SECRET"
		done
	done
	# an unambiguous prefix of a secret-file option is still refused
	(umask 077 && echo "$SECRET" >"$TMPD/pass")
	cli up "$X" --relay turn:192.0.2.1:3478 --username u --password-fil "$TMPD/pass"
	expect_eq "up $X --password-fil FILE: secret-file options are never abbreviated, exit 2 ($OUT)" 2 "$RC"
	no_echo "up $X --password-fil FILE" "$SECRET"
	cli up "$X" --relay turn:192.0.2.1:3478 --username u --auth-secret-fil "$TMPD/pass"
	expect_eq "up $X --auth-secret-fil FILE: exit 2 ($OUT)" 2 "$RC"
	# a value glued to an option that takes none, an unknown option
	cli up "$X" --foreground="$SECRET" --relay turn:192.0.2.1:3478
	expect_eq "up $X --foreground=SECRET: exit 2" 2 "$RC"
	no_echo "up $X --foreground=SECRET" "$SECRET"
	cli up "$X" "--secret=$SECRET"
	expect_eq "up $X --secret=SECRET (unknown option): exit 2" 2 "$RC"
	no_echo "up $X --secret=SECRET" "$SECRET"
}

config_errors() {
	(umask 077 && printf '[Relay]\nServer = turn:192.0.2.1:3478\nUsername = u\nPassword = %s\n' "$SECRET" \
		>"$TMPD/bad.conf")
	cli up "$X" --config "$TMPD/bad.conf"
	check "up --config with 'Password = SECRET' (no such key): fails (rc $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
	expect_eq "up --config with 'Password = SECRET': one line" 1 "$(grep -c . <<<"$OUT")"
	no_echo "up --config with 'Password = SECRET'" "$SECRET"
}

# upx WHAT args...: `up X args` at site A; one line, no CONTENT; sets OUT
upx() {
	local what=$1
	shift
	OUT=$(in_ns a timeout "$(tscale 30)" "$WGTURN" --bpffs "$FS" up "$X" "$@" 2>&1)
	RC=$?
	expect_eq "$what: up exits 1 ($(tr '\n' '|' <<<"$OUT"))" 1 "$RC"
	expect_eq "$what: one line" 1 "$(grep -c . <<<"$OUT")"
	no_echo "$what" "$CONTENT"
	check "$what: nothing left attached" test ! -e "$FS/wgturn/$X"
}

file_errors() {
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || { fail "mount bpffs"; return 1; }
	world_up v4 || { fail "world_up"; return 1; }
	wg_up a "$X" 51820 || { fail "wireguard-go $X"; return 1; }
	local f=$WORLD_TMP/garbage rel=(--relay "$TURN_SERVER" --username "$TURN_USER")
	CONTENT=GARBAGE$$$RANDOM
	# garbage: several lines, control characters, the marker in between
	(umask 077 && printf 'x\001\002 %s\nsecond line %s\n\377\n' "$CONTENT" "$CONTENT" >"$f")
	upx "password file holding garbage" "${rel[@]}" --password-file "$f"
	upx "auth secret file holding garbage" "${rel[@]}" --auth-secret-file "$f"
	upx "TSIG key file holding garbage" "${rel[@]}" --password-file "$TURN_PASS_FILE" \
		--zone "$DNS_ZONE" --dns-server "$DNS_SERVER" --tsig-key-file "$f"
	# a key file of the right shape whose name or algorithm is garbage
	(umask 077 && printf 'hmac-md99:%s:%s\n' "$CONTENT" "$(head -c 32 /dev/urandom | base64)" >"$f")
	upx "TSIG key file with an unknown algorithm" "${rel[@]}" --password-file "$TURN_PASS_FILE" \
		--zone "$DNS_ZONE" --dns-server "$DNS_SERVER" --tsig-key-file "$f"
	# readable by others: refused before anything is read, the path named
	CONTENT=$TURN_PASS
	local g=$WORLD_TMP/open.pass
	printf '%s\n' "$CONTENT" >"$g"
	chmod 644 "$g"
	upx "password file readable by others" "${rel[@]}" --password-file "$g"
	check "password file readable by others: the message names the path" grep -qF "$g" <<<"$OUT"
	upx "auth secret file readable by others" "${rel[@]}" --auth-secret-file "$g"
	check "auth secret file readable by others: the message names the path" grep -qF "$g" <<<"$OUT"
	CONTENT=$(cut -d: -f3 "$DNS_KEY_FILE")
	cp "$DNS_KEY_FILE" "$WORLD_TMP/open.key"
	chmod 640 "$WORLD_TMP/open.key"
	upx "TSIG key file readable by its group" "${rel[@]}" --password-file "$TURN_PASS_FILE" \
		--zone "$DNS_ZONE" --dns-server "$DNS_SERVER" --tsig-key-file "$WORLD_TMP/open.key"
	check "TSIG key file readable by its group: the message names the path" \
		grep -qF "$WORLD_TMP/open.key" <<<"$OUT"
	# the same through a config file
	CONTENT=$TURN_PASS
	printf '[Relay]\nServer = %s\nUsername = %s\nPasswordFile = %s\n' "$TURN_SERVER" "$TURN_USER" "$g" \
		>"$WORLD_TMP/open.conf"
	upx "config naming a password file readable by others" --config "$WORLD_TMP/open.conf"
	check "config naming a password file readable by others: the message names the path" \
		grep -qF "$g" <<<"$OUT"
}

usage_errors
config_errors
file_errors
cleanup
trap - EXIT
done_testing
