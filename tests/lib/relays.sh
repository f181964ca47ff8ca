# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Extra TURN relays for the end-to-end tests, beside the world's own coturn
# (scripts/world.sh coturn_start): more turnservers in the relay
# namespace, each on an address and port of its own, with a config of the
# caller's (REST credentials, another user...), its own log and pid file.
# Source after scripts/world.sh, call after world_up. world_down ends them
# (their pids are in WORLD_PIDS).
#
#	relay_addr 203.0.113.2 2001:db8:1::2	# a second address on the relay host
#	relay_start r2 203.0.113.2 3478 49200 49249 "lt-cred-mech" "user=u:p"
#	relay_stop r2; relay_start r2		# restart (same config)
#
# Exported per NAME: RELAY_PID[NAME] RELAY_CONF[NAME] RELAY_LOG[NAME]
# RELAY_SERVER[NAME] (turn:HOST:PORT) RELAY_LISTEN[NAME] (ADDR PORT).

declare -gA RELAY_PID=() RELAY_CONF=() RELAY_LOG=() RELAY_SERVER=() RELAY_LISTEN=()

# relay_addr V4 V6: add the addresses of WORLD_FAMILY to the relay host's
# eth0 (the internet router reaches them: same link).
relay_addr() {
	if [ "$WORLD_FAMILY" != v6 ]; then
		ip -n "$NS_RELAY" addr add "$1/28" dev eth0 2>/dev/null ||
			ip -n "$NS_RELAY" addr show dev eth0 | grep -qF " $1/" || return 1
	fi
	if [ "$WORLD_FAMILY" != v4 ]; then
		ip -n "$NS_RELAY" addr add "$2/64" dev eth0 nodad 2>/dev/null ||
			ip -n "$NS_RELAY" addr show dev eth0 | grep -qF " $2/" || return 1
	fi
}

# relay_start NAME [ADDR PORT MINPORT MAXPORT [config lines...]]: a
# turnserver NAME listening and relaying on ADDR (one address, of any
# family), udp PORT, relayed ports MINPORT-MAXPORT, no TLS/TCP/CLI, verbose
# log. The lines (auth: lt-cred-mech + user=, or use-auth-secret +
# static-auth-secret=) are appended. NAME alone starts it again with the
# config it had. Waits until it listens.
relay_start() {
	local name=$1 d=$WORLD_TMP/relay-$1 l host
	mkdir -p "$d"
	if [ $# -gt 1 ]; then
		local addr=$2 port=$3 lo=$4 hi=$5
		shift 5
		RELAY_CONF[$name]=$d/turnserver.conf
		RELAY_LOG[$name]=$d/turnserver.log
		RELAY_LISTEN[$name]="$addr $port"
		RELAY_SERVER[$name]=turn:$(world_ep "$addr" "$port")
		{
			cat <<-EOF
				listening-port=$port
				listening-ip=$addr
				relay-ip=$addr
				min-port=$lo
				max-port=$hi
				realm=$TURN_REALM
				fingerprint
				no-tls
				no-dtls
				no-tcp
				no-tcp-relay
				no-rfc5780
				no-cli
				no-multicast-peers
				no-stdout-log
				log-file=${RELAY_LOG[$name]}
				simple-log
				verbose
				pidfile=$d/turnserver.pid
				userdb=$d/turndb
			EOF
			for l in "$@"; do echo "$l"; done
		} >"${RELAY_CONF[$name]}"
		chmod 600 "${RELAY_CONF[$name]}"
	fi
	[ -n "${RELAY_CONF[$name]:-}" ] || { _wnote "relay_start: $name never configured"; return 1; }
	ip netns exec "$NS_RELAY" turnserver -c "${RELAY_CONF[$name]}" >>"$d/stdout.log" 2>&1 &
	RELAY_PID[$name]=$!
	WORLD_PIDS+=("$!")
	if ! _wait_for 5 _relay_listening "$name"; then
		_wnote "relay $name did not start; log tail:"
		tail -n 20 "${RELAY_LOG[$name]}" "$d/stdout.log" 2>/dev/null | sed 's/^/#   /' >&2
		return 1
	fi
}

_relay_listening() {
	local addr port
	read -r addr port <<<"${RELAY_LISTEN[$1]}"
	case $addr in *:*) addr=[$addr] ;; esac
	kill -0 "${RELAY_PID[$1]}" 2>/dev/null &&
		ip netns exec "$NS_RELAY" ss -Hunl "src $addr:$port" 2>/dev/null | grep -q .
}

# relay_stop NAME: SIGTERM (3 s, then SIGKILL); its allocations are gone.
relay_stop() {
	local p=${RELAY_PID[$1]:-}
	[ -n "$p" ] || return 0
	_ours "$p" && _stop_pid "$p"
	RELAY_PID[$1]=
}

# relay_usernames NAME: the USERNAMEs the relay accepted, as its verbose
# log names them ("user <NAME>"), one a line, in order.
relay_usernames() {
	grep -o 'user <[^>]*>' "${RELAY_LOG[$1]}" 2>/dev/null | sed 's/^user <//; s/>$//'  | grep .
}
