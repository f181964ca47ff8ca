# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # variables are for the caller
#
# The wgturn test world: network namespaces for the end-to-end tests and the
# demo. Source it (bash), then:
#
#	. scripts/world.sh
#	trap world_down EXIT
#	trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
#	world_up v4 || exit 1		# v4 | v6 | dual outer addressing
#	wg_up a wga$$ 51820
#	...
#
# (bash runs the EXIT trap on SIGTERM/SIGHUP only if those are trapped too:
# keep the three signal traps. A trapped signal is handled when the current
# foreground command returns: bound every command with timeout, and wait
# for long things with `cmd & wait $!`, which a signal interrupts.)
#
#   +--------------------------+    +--------------------------+
#   | relay: coturn; knotd;    |    | pub: plain peer, no NAT  |
#   |   (knot_start), udp 53;  |    |                          |
#   |   Pion (pion_start) 3479 |    |                          |
#   | eth0 203.0.113.1/28      |    | eth0 203.0.113.49/28     |
#   |      2001:db8:1::1/64    |    |      2001:db8:4::1/64    |
#   +--------------------------+    +--------------------------+
#                 |                               |
#   +-------------+-------------------------------+------------+
#   | inet: internet router, no NAT, tx csum off on all four   |
#   | r-relay 203.0.113.14/28  2001:db8:1::fe/64               |
#   | r-nata  203.0.113.30/28  2001:db8:2::fe/64               |
#   | r-natb  203.0.113.46/28  2001:db8:3::fe/64               |
#   | r-pub   203.0.113.62/28  2001:db8:4::fe/64               |
#   +-------------+-------------------------------+------------+
#                 |                               |
#   +-------------+------------+    +-------------+------------+
#   | nata: NAT router A       |    | natb: NAT router B       |
#   | wan 203.0.113.17/28      |    | wan 203.0.113.33/28      |
#   |     2001:db8:2::1/64     |    |     2001:db8:3::1/64     |
#   | masquerade: port kept,   |    | masquerade fully-random: |
#   |   endpoint-independent   |    |   new random port per    |
#   |   mapping                |    |   destination: symmetric |
#   | lan 198.51.100.1/26      |    | lan 198.51.100.65/26     |
#   |     2001:db8:a::1/64     |    |     2001:db8:b::1/64     |
#   | tx csum off (both)       |    | tx csum off (both)       |
#   +-------------+------------+    +-------------+------------+
#                 |                               |
#   +-------------+------------+    +-------------+------------+
#   | a: site A host           |    | b: site B host           |
#   | eth0 198.51.100.2/26     |    | eth0 198.51.100.66/26    |
#   |      2001:db8:a::2/64    |    |      2001:db8:b::2/64    |
#   +--------------------------+    +--------------------------+
#
# Address plan (documentation ranges only):
#   outer IPv4: internet 203.0.113.0/24 (one /28 per link: host .1/.17/.33/.49,
#               router .14/.30/.46/.62); site LANs 198.51.100.0/24 (A .0/26,
#               B .64/26). IPv6: internet links 2001:db8:1::/64 (relay),
#               2001:db8:2::/64 (nata), 2001:db8:3::/64 (natb), 2001:db8:4::/64
#               (pub), host ::1, router ::fe; LANs 2001:db8:a::/64,
#               2001:db8:b::/64, gateway ::1, host ::2. NAT66 masquerades too.
#   tunnel (inside WireGuard): 192.0.2.0/24 and 2001:db8:ffff::/64,
#               a .1 / ::1, b .2 / ::2, pub .3 / ::3.
# world_up v4 puts only IPv4 on the outer links, v6 only IPv6 (IPv4 is then
# unroutable), dual both. Tunnel addresses are always both families.
#
# Every router veth (inet's four, both of each NAT router) has tx checksum
# offload off: a CHECKSUM_PARTIAL packet crossing only veths is never summed
# and would hide checksum bugs; crossing a router its checksum is computed.
# Hosts keep their defaults.
#
# NAT behaviour (measured by tests/netns/world_selftest.sh, IPv4 and IPv6 alike):
# Linux masquerade keeps the source port when it is free, so with one host
# behind it NAT A maps A:p to NATA:p for every destination (endpoint-
# independent mapping). NAT B's "masquerade fully-random" picks a random
# port for every new flow: each destination sees B at another port, the same
# destination again reuses the mapping while it lives. Both NATs filter by
# address and port (conntrack: from wan only established/related pass), as
# real ones do: a peer reaches a NATed host only after the host sent to it.
#
# Namespaces are named "$WORLD_PREFIX-<site>" (default prefix wgw<caller's
# $$>), so parallel runs never meet. Interfaces inside the namespaces have
# fixed names (hosts' uplink is eth0); WireGuard interfaces are named by the
# caller and must be unique on the host: wireguard-go's UAPI socket
# /var/run/wireguard/<if>.sock is shared by every namespace.
#
# Exported after world_up (see world_info for a summary):
#   WORLD_PREFIX WORLD_FAMILY WORLD_TMP		prefix, v4|v6|dual, temp dir
#   WORLD_NS[site]  NS_INET NS_RELAY NS_NATA NS_A NS_NATB NS_B NS_PUB
#   RELAY4 NATA4 NATB4 PUB4 A4 B4		outer IPv4 addresses
#   RELAY6 NATA6 NATB6 PUB6 A6 B6		outer IPv6 addresses
#   RELAY_IP NATA_IP NATB_IP PUB_IP A_IP B_IP	of WORLD_FAMILY (dual: IPv4)
#   TUN4[site] TUN6[site]			tunnel address/prefix per site
#   TURN_PORT TURN_REALM TURN_USER TURN_PASS TURN_PASS_FILE (mode 600)
#   TURN_SERVER (turn:HOST:PORT of WORLD_FAMILY) TURN_MIN_PORT TURN_MAX_PORT
#   COTURN_PID COTURN_CONF COTURN_LOG
#   PION_PORT PION_PID PION_LOG (pion_start: a Pion TURN server)
#   DNS_ZONE DNS_SERVER (the zone's primary: knotd on the relay host, of
#   WORLD_FAMILY) DNS_IP (its address alone)
#   DNS_KEY_FILE (hmac-sha256:NAME:SECRET, mode 600) KNOT_PID KNOT_LOG
#   WG_MTU  WG_PUBKEY[if] WG_PORT[if] WG_SITE[if] WG_PID[if] WG_KEYFILE[if]
#   WG_KIND[if] (go or kernel)
# Functions: world_up, world_down, world_info, in_ns, world_bg, world_ep,
#   world_csum_errors, coturn_start, coturn_stop, coturn_restart,
#   pion_start, pion_stop, pion_restart, knot_start, knot_stop,
#   wg_up, wg_peer, wg_down, world_kernel_wg, world_udp_echo, world_mapped.
# Messages go to stderr prefixed "# "; nothing here prints "ok"/"not ok".

WORLD_SITES=(inet relay nata a natb b pub)
declare -gA WORLD_NS=() TUN4=() TUN6=()
declare -gA WG_PUBKEY=() WG_PORT=() WG_SITE=() WG_PID=() WG_KEYFILE=() WG_KIND=()
WORLD_PIDS=()
WORLD_TMP=
WORLD_UP=0
COTURN_PID=

RELAY4=203.0.113.1  NATA4=203.0.113.17 NATB4=203.0.113.33 PUB4=203.0.113.49
A4=198.51.100.2     B4=198.51.100.66
RELAY6=2001:db8:1::1 NATA6=2001:db8:2::1 NATB6=2001:db8:3::1 PUB6=2001:db8:4::1
A6=2001:db8:a::2     B6=2001:db8:b::2
TUN4=([a]=192.0.2.1/24 [b]=192.0.2.2/24 [pub]=192.0.2.3/24)
TUN6=([a]=2001:db8:ffff::1/64 [b]=2001:db8:ffff::2/64 [pub]=2001:db8:ffff::3/64)
TURN_PORT=3478
TURN_REALM=wgturn.test
TURN_USER=wgturn
TURN_MIN_PORT=49152
TURN_MAX_PORT=49199
PION_PORT=3479
PION_PID=
DNS_ZONE=wg.test
DNS_KEY_NAME=wgturn-update
KNOT_PID=
# Knobs, set before world_up:
# WORLD_NATB_FLAGS: NAT B's masquerade flags; fully-random gives every new
# mapping a random port, so each destination sees another port (address-
# and-port-dependent mapping, "symmetric").
# WORLD_NATA_FLAGS: NAT A's, default none: keeps the port (endpoint-
# independent mapping); fully-random makes A symmetric too.
: "${WORLD_NATA_FLAGS:=}"
: "${WORLD_NATB_FLAGS:=fully-random}"
# WORLD_NAT_UDP_TIMEOUT: seconds both NATs keep an idle UDP mapping (Linux
# defaults: 30 s one-way, 120 s once both sides have spoken).
# WORLD_PREFIX: namespace name prefix (default wgw$$); WG_MTU: see wg_up.

_wnote() { echo "# $*" >&2; }

# world_ns SITE-or-NAMESPACE: the namespace name.
world_ns() { echo "${WORLD_NS[$1]:-$1}"; }

# in_ns SITE cmd...: run cmd in SITE's namespace (site key or namespace name).
in_ns() {
	local ns
	ns=$(world_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# world_ep ADDR PORT: "a.b.c.d:port" or "[v6]:port".
world_ep() {
	case $1 in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}

# world_bg SITE NAME cmd...: start cmd in the background in SITE's namespace,
# output to $WORLD_TMP/NAME.log; world_down ends it. Sets WORLD_BG_PID.
world_bg() {
	local ns name=$2
	ns=$(world_ns "$1")
	shift 2
	ip netns exec "$ns" "$@" >"$WORLD_TMP/$name.log" 2>&1 &
	WORLD_BG_PID=$!
	WORLD_PIDS+=("$WORLD_BG_PID")
}

# _wscale N: N times $WGT_TIME_SCALE (whole; an emulated guest is ~10x
# slower: scripts/vm.sh sets it), for the waits below.
_wscale() { echo $(($1 * ${WGT_TIME_SCALE%.*})); }
: "${WGT_TIME_SCALE:=1}"

# _wait_for SECONDS cmd...: poll cmd every 0.05 s until it succeeds
# (SECONDS scaled by $WGT_TIME_SCALE).
_wait_for() {
	local n=$(($(_wscale "$1") * 20))
	shift
	while ((n-- > 0)); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

# _running PID: alive and not a zombie (a zombie child of ours stays
# "alive" for kill -0 until reaped).
_running() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# _ours PID: a child of this shell. A pid recorded long ago may have been
# reaped and reused by someone else's process: only our children are ended.
_ours() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	read -r _ st _ <<<"$st"
	[ "$st" = "$BASHPID" ]
}

# _stop_pid PID: SIGTERM, up to 3 s, then SIGKILL; reaps it if it is ours.
_stop_pid() {
	local p=$1 n=60
	kill "$p" 2>/dev/null
	while ((n-- > 0)) && _running "$p"; do sleep 0.05; done
	_running "$p" && kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

_veth() { # NS1 IF1 NS2 IF2
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" &&
		ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# _addr NS IF V4/len V6/len: add the outer addresses WORLD_FAMILY asks for.
_addr() {
	if [ "$WORLD_FAMILY" != v6 ]; then ip -n "$1" addr add "$3" dev "$2" || return 1; fi
	if [ "$WORLD_FAMILY" != v4 ]; then ip -n "$1" addr add "$4" dev "$2" nodad || return 1; fi
}

# _defroute NS GW4 GW6
_defroute() {
	if [ "$WORLD_FAMILY" != v6 ]; then ip -n "$1" route add default via "$2" || return 1; fi
	if [ "$WORLD_FAMILY" != v4 ]; then ip -n "$1" -6 route add default via "$3" || return 1; fi
}

# _nat NS "masquerade flags": NAT (both families) from lan out of wan, and a
# stateful filter: from wan only replies and related ICMP pass, to the
# router itself too (but ICMP). A datagram for the router that nothing
# listens for would otherwise leave a conntrack entry on the very tuple a
# host behind it is about to use, and masquerade would then move that
# host to another port: hole punching between two such NATs would fail.
_nat() {
	ip netns exec "$1" nft -f - <<-EOF
		table inet world {
			chain world_fwd {
				type filter hook forward priority filter; policy accept;
				iifname "wan" ct state established,related accept
				iifname "wan" drop
			}
			chain world_in {
				type filter hook input priority filter; policy accept;
				iifname "wan" ct state established,related accept
				iifname "wan" meta l4proto { icmp, ipv6-icmp } accept
				iifname "wan" drop
			}
			chain world_post {
				type nat hook postrouting priority srcnat;
				oifname "wan" masquerade $2
			}
		}
	EOF
}

_world_topology() {
	local s ns
	for s in "${WORLD_SITES[@]}"; do
		ns=${WORLD_NS[$s]}
		ip netns add "$ns" || return 1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 >/dev/null
		ip -n "$ns" link set lo up
	done
	for s in inet nata natb; do
		ip netns exec "${WORLD_NS[$s]}" sysctl -qw net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1 >/dev/null || return 1
	done

	_veth "$NS_RELAY" eth0 "$NS_INET" r-relay || return 1
	_veth "$NS_NATA" wan "$NS_INET" r-nata || return 1
	_veth "$NS_NATB" wan "$NS_INET" r-natb || return 1
	_veth "$NS_PUB" eth0 "$NS_INET" r-pub || return 1
	_veth "$NS_A" eth0 "$NS_NATA" lan || return 1
	_veth "$NS_B" eth0 "$NS_NATB" lan || return 1

	_addr "$NS_RELAY" eth0 $RELAY4/28 $RELAY6/64 &&
		_addr "$NS_INET" r-relay 203.0.113.14/28 2001:db8:1::fe/64 &&
		_addr "$NS_NATA" wan $NATA4/28 $NATA6/64 &&
		_addr "$NS_INET" r-nata 203.0.113.30/28 2001:db8:2::fe/64 &&
		_addr "$NS_NATB" wan $NATB4/28 $NATB6/64 &&
		_addr "$NS_INET" r-natb 203.0.113.46/28 2001:db8:3::fe/64 &&
		_addr "$NS_PUB" eth0 $PUB4/28 $PUB6/64 &&
		_addr "$NS_INET" r-pub 203.0.113.62/28 2001:db8:4::fe/64 &&
		_addr "$NS_NATA" lan 198.51.100.1/26 2001:db8:a::1/64 &&
		_addr "$NS_A" eth0 $A4/26 $A6/64 &&
		_addr "$NS_NATB" lan 198.51.100.65/26 2001:db8:b::1/64 &&
		_addr "$NS_B" eth0 $B4/26 $B6/64 || return 1

	_defroute "$NS_RELAY" 203.0.113.14 2001:db8:1::fe &&
		_defroute "$NS_NATA" 203.0.113.30 2001:db8:2::fe &&
		_defroute "$NS_NATB" 203.0.113.46 2001:db8:3::fe &&
		_defroute "$NS_PUB" 203.0.113.62 2001:db8:4::fe &&
		_defroute "$NS_A" 198.51.100.1 2001:db8:a::1 &&
		_defroute "$NS_B" 198.51.100.65 2001:db8:b::1 || return 1

	# Checksums crossing any router are really computed, as on a NIC.
	for s in r-relay r-nata r-natb r-pub; do
		ip netns exec "$NS_INET" ethtool -K "$s" tx off >/dev/null || return 1
	done
	for ns in "$NS_NATA" "$NS_NATB"; do
		ip netns exec "$ns" ethtool -K wan tx off >/dev/null || return 1
		ip netns exec "$ns" ethtool -K lan tx off >/dev/null || return 1
	done

	_nat "$NS_NATA" "$WORLD_NATA_FLAGS" || return 1
	_nat "$NS_NATB" "$WORLD_NATB_FLAGS" || return 1
	if [ -n "${WORLD_NAT_UDP_TIMEOUT:-}" ]; then
		for ns in "$NS_NATA" "$NS_NATB"; do
			ip netns exec "$ns" sysctl -qw \
				net.netfilter.nf_conntrack_udp_timeout="$WORLD_NAT_UDP_TIMEOUT" \
				net.netfilter.nf_conntrack_udp_timeout_stream="$WORLD_NAT_UDP_TIMEOUT" ||
				return 1
		done
	fi
}

# _ping_all: every host reaches the relay and the public host (resolves
# neighbours before anyone counts packets).
_ping_all() {
	local s f v dst fams=() bad=0
	[ "$WORLD_FAMILY" != v6 ] && fams+=(4)
	[ "$WORLD_FAMILY" != v4 ] && fams+=(6)
	for f in "${fams[@]}"; do
		for s in a b pub relay; do
			for dst in RELAY PUB; do
				[ "$s" = "${dst,,}" ] && continue
				v=$dst$f
				timeout "$(_wscale 5)" ip netns exec "${WORLD_NS[$s]}" ping -q -c1 -W2 "${!v}" >/dev/null ||
					{ _wnote "world: $s cannot ping ${!v}"; bad=1; }
			done
		done
	done
	return $bad
}

# coturn_start [extra config lines...]: coturn in the relay namespace, with a
# config generated in $WORLD_TMP/coturn (extra lines appended; later calls
# without arguments reuse the last config). Waits until it listens.
coturn_start() {
	local d=$WORLD_TMP/coturn l
	mkdir -p "$d"
	COTURN_CONF=$d/turnserver.conf
	COTURN_LOG=$d/turnserver.log
	if [ $# -gt 0 ] || [ ! -e "$COTURN_CONF" ]; then
		{
			echo "listening-port=$TURN_PORT"
			if [ "$WORLD_FAMILY" != v6 ]; then
				echo "listening-ip=$RELAY4"
				echo "relay-ip=$RELAY4"
			fi
			if [ "$WORLD_FAMILY" != v4 ]; then
				echo "listening-ip=$RELAY6"
				echo "relay-ip=$RELAY6"
			fi
			cat <<-EOF
				min-port=$TURN_MIN_PORT
				max-port=$TURN_MAX_PORT
				realm=$TURN_REALM
				lt-cred-mech
				user=$TURN_USER:$TURN_PASS
				fingerprint
				no-tls
				no-dtls
				no-tcp-relay
				no-rfc5780
				no-cli
				no-multicast-peers
				no-stdout-log
				log-file=$COTURN_LOG
				simple-log
				verbose
				pidfile=$d/turnserver.pid
				userdb=$d/turndb
			EOF
			for l in "$@"; do echo "$l"; done
		} >"$COTURN_CONF"
		chmod 600 "$COTURN_CONF"
	fi
	ip netns exec "$NS_RELAY" turnserver -c "$COTURN_CONF" >>"$d/stdout.log" 2>&1 &
	COTURN_PID=$!
	WORLD_PIDS+=("$COTURN_PID")
	if ! _wait_for 5 _coturn_listening; then
		_wnote "coturn did not start; log tail:"
		tail -n 20 "$COTURN_LOG" "$d/stdout.log" 2>/dev/null | sed 's/^/#   /' >&2
		return 1
	fi
}

_coturn_listening() {
	kill -0 "$COTURN_PID" 2>/dev/null || return 1
	local ip
	for ip in $([ "$WORLD_FAMILY" != v6 ] && echo "$RELAY4") \
		$([ "$WORLD_FAMILY" != v4 ] && echo "[$RELAY6]"); do
		ip netns exec "$NS_RELAY" ss -Hunl "src $ip:$TURN_PORT" 2>/dev/null | grep -q . ||
			return 1
	done
}

coturn_stop() {
	[ -n "$COTURN_PID" ] || return 0
	_ours "$COTURN_PID" && _stop_pid "$COTURN_PID"
	COTURN_PID=
}

# coturn_restart [extra config lines...]: stop, start again (same config
# unless lines are given), wait until it listens. Allocations are lost.
coturn_restart() {
	coturn_stop
	coturn_start "$@"
}

# pion_start: a second TURN server on the relay host, built on Pion's
# library ($BUILD/tests/tools/pionturn): udp $PION_PORT on the relay's
# addresses of WORLD_FAMILY, the same realm and user as coturn, relayed
# addresses IPv4 only ($RELAY4: Pion ignores REQUESTED-ADDRESS-FAMILY).
# After a restart it answers a Refresh for a lost allocation with silence.
pion_start() {
	local d=$WORLD_TMP/pion listen=
	mkdir -p "$d"
	[ "$WORLD_FAMILY" != v6 ] && listen="$RELAY4:$PION_PORT,"
	[ "$WORLD_FAMILY" != v4 ] && listen+="[$RELAY6]:$PION_PORT,"
	PION_LOG=$d/pionturn.log
	ip netns exec "$NS_RELAY" "${PIONTURN:-${BUILD:-build}/tests/tools/pionturn}" \
		-listen "${listen%,}" -relay "$RELAY4" -realm "$TURN_REALM" \
		-user "$TURN_USER=$TURN_PASS" >>"$PION_LOG" 2>&1 &
	PION_PID=$!
	WORLD_PIDS+=("$PION_PID")
	if ! _wait_for 5 _pion_listening; then
		_wnote "pionturn did not start; log tail:"
		tail -n 20 "$PION_LOG" 2>/dev/null | sed 's/^/#   /' >&2
		return 1
	fi
}

_pion_listening() {
	kill -0 "$PION_PID" 2>/dev/null &&
		[ "$(grep -c '^listening ' "$PION_LOG")" = "$([ "$WORLD_FAMILY" = dual ] && echo 2 || echo 1)" ]
}

pion_stop() {
	[ -n "$PION_PID" ] || return 0
	_ours "$PION_PID" && _stop_pid "$PION_PID"
	PION_PID=
}

pion_restart() {
	pion_stop
	: >"$PION_LOG"
	pion_start
}

# knot_start: Knot DNS on the relay host, authoritative for $DNS_ZONE on
# port 53, accepting UPDATEs signed with the key in $DNS_KEY_FILE for names
# under _wireguard._udp.$DNS_ZONE only (the update policy the README
# gives). The zone also names the plain peer: pub.$DNS_ZONE (knot_set
# changes it).
knot_start() {
	local d=$WORLD_TMP/knot secret ip listen=
	mkdir -p "$d/db"
	secret=$(awk -F: '{print $3}' "$DNS_KEY_FILE")
	[ "$WORLD_FAMILY" != v6 ] && listen+="$RELAY4@53, "
	[ "$WORLD_FAMILY" != v4 ] && listen+="$RELAY6@53, "
	KNOT_LOG=$d/knotd.log
	cat >"$d/zone" <<-EOF
		\$ORIGIN $DNS_ZONE.
		\$TTL 10
		@ SOA ns hostmaster 1 60 60 600 10
		@ NS ns
		ns A $RELAY4
		pub A $PUB4
		pub AAAA $PUB6
	EOF
	cat >"$d/knot.conf" <<-EOF
		server:
		    rundir: "$d"
		    listen: [ ${listen%, } ]
		log:
		  - target: $KNOT_LOG
		    any: info
		database:
		    storage: "$d/db"
		key:
		  - id: $DNS_KEY_NAME
		    algorithm: hmac-sha256
		    secret: $secret
		acl:
		  - id: rendezvous
		    key: $DNS_KEY_NAME
		    action: update
		    update-type: [ PTR, SRV, A, AAAA, TXT ]
		    update-owner: name
		    update-owner-match: sub-or-equal
		    update-owner-name: [ _wireguard._udp.$DNS_ZONE. ]
		zone:
		  - domain: $DNS_ZONE
		    file: "$d/zone"
		    acl: rendezvous
		    zonefile-sync: 0
	EOF
	chmod 600 "$d/knot.conf"
	ip netns exec "$NS_RELAY" knotd -c "$d/knot.conf" >>"$d/stdout.log" 2>&1 &
	KNOT_PID=$!
	WORLD_PIDS+=("$KNOT_PID")
	if ! _wait_for 5 _knot_answers "$DNS_IP"; then
		_wnote "knotd did not start; log tail:"
		tail -n 20 "$KNOT_LOG" "$d/stdout.log" 2>/dev/null | sed 's/^/#   /' >&2
		return 1
	fi
}

_knot_answers() {
	kill -0 "$KNOT_PID" 2>/dev/null &&
		in_ns a kdig +timeout=1 +retry=0 +short "@$1" "$DNS_ZONE." SOA 2>/dev/null | grep -q .
}

# knot_set NAME TYPE VALUE: replace NAME's TYPE records in the zone (knotc,
# as its administrator would), e.g. knot_set pub A 203.0.113.50.
knot_set() {
	local c="ip netns exec $NS_RELAY knotc -c $WORLD_TMP/knot/knot.conf"
	$c zone-begin "$DNS_ZONE" >/dev/null &&
		$c zone-unset "$DNS_ZONE" "$1" "$2" >/dev/null &&
		$c zone-set "$DNS_ZONE" "$1" 10 "$2" "$3" >/dev/null &&
		$c zone-commit "$DNS_ZONE" >/dev/null
}

knot_stop() {
	[ -n "$KNOT_PID" ] || return 0
	_ours "$KNOT_PID" && _stop_pid "$KNOT_PID"
	KNOT_PID=
}

# wg_up SITE IFNAME PORT [ADDR4/len [ADDR6/len]]: a WireGuard interface
# IFNAME in SITE's namespace, a fresh key, listen port PORT, the site's
# tunnel addresses (or the ones given), MTU $WG_MTU, up. WG_IMPL (the
# caller's, e.g. `WG_IMPL=kernel wg_up ...`) picks the implementation:
# go (wireguard-go, the default) or kernel (the kernel module).
wg_up() {
	local site=$1 ifn=$2 port=$3 a4=${4:-${TUN4[$1]:-}} a6=${5:-${TUN6[$1]:-}}
	local ns sock=/var/run/wireguard/$2.sock key=$WORLD_TMP/wg-$2.key
	local impl=${WG_IMPL:-go}
	ns=$(world_ns "$site")
	if [ ${#ifn} -gt 15 ] || [ -e "$sock" ]; then
		_wnote "wg_up: interface name '$ifn' too long or $sock already exists"
		return 1
	fi
	(umask 077 && wg genkey >"$key") || return 1
	WG_KEYFILE[$ifn]=$key
	WG_PUBKEY[$ifn]=$(wg pubkey <"$key")
	WG_PORT[$ifn]=$port
	WG_SITE[$ifn]=$site
	WG_KIND[$ifn]=$impl
	case $impl in
	kernel)
		ip -n "$ns" link add "$ifn" type wireguard || {
			_wnote "wg_up: no kernel WireGuard here (modprobe wireguard)"
			return 1
		}
		;;
	go)
		WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
			ip netns exec "$ns" wireguard-go -f "$ifn" >"$WORLD_TMP/wg-$ifn.log" 2>&1 &
		WG_PID[$ifn]=$!
		WORLD_PIDS+=("$!")
		if ! _wait_for 5 test -S "$sock" || ! ip -n "$ns" link show "$ifn" >/dev/null 2>&1; then
			_wnote "wg_up: wireguard-go $ifn did not come up: $(tail -n 3 "$WORLD_TMP/wg-$ifn.log")"
			return 1
		fi
		;;
	*)
		_wnote "wg_up: WG_IMPL '$impl' is not go or kernel"
		return 1
		;;
	esac
	ip netns exec "$ns" wg set "$ifn" private-key "$key" listen-port "$port" || return 1
	[ -n "$a4" ] && { ip -n "$ns" addr add "$a4" dev "$ifn" || return 1; }
	[ -n "$a6" ] && { ip -n "$ns" addr add "$a6" dev "$ifn" nodad || return 1; }
	ip -n "$ns" link set "$ifn" mtu "$WG_MTU" up
}

# world_kernel_wg: the kernel WireGuard module can be used here.
world_kernel_wg() {
	local ns=wgkmod$$
	ip netns add "$ns" 2>/dev/null || return 1
	ip -n "$ns" link add wgprobe type wireguard 2>/dev/null
	local rc=$?
	ip netns del "$ns"
	return $rc
}

# wg_peer SITE IFNAME PUBKEY ENDPOINT ALLOWED [KEEPALIVE]: add or change a
# peer; ENDPOINT "" or "-" leaves it unset; ALLOWED is wg's allowed-ips list.
wg_peer() {
	local args=(peer "$3" allowed-ips "$5")
	[ -n "$4" ] && [ "$4" != - ] && args+=(endpoint "$4")
	[ -n "${6:-}" ] && args+=(persistent-keepalive "$6")
	in_ns "$1" wg set "$2" "${args[@]}"
}

# wg_down IFNAME: delete a kernel interface, or stop its wireguard-go
# (interface and socket go with it).
wg_down() {
	local ifn=$1
	[ "${WG_KIND[$ifn]:-}" = kernel ] &&
		ip -n "$(world_ns "${WG_SITE[$ifn]}")" link del "$ifn" 2>/dev/null
	[ -n "${WG_PID[$ifn]:-}" ] && _ours "${WG_PID[$ifn]}" && _stop_pid "${WG_PID[$ifn]}"
	rm -f "/var/run/wireguard/$ifn.sock"
	unset "WG_PID[$ifn]"
}

# world_udp_echo SITE ADDR PORT: a UDP server on ADDR:PORT in SITE that
# answers every datagram with its source address as seen there, "ADDR PORT"
# (socat). Shows what a NAT on the way made of the sender.
world_udp_echo() {
	local fam=4 host=$2
	command -v socat >/dev/null || { _wnote "world_udp_echo: socat missing"; return 1; }
	case $2 in *:*) fam=6 host=[$2] ;; esac
	# shellcheck disable=SC2016 # socat's shell expands these
	world_bg "$1" "echo-$1-$3-$fam" socat "UDP$fam-RECVFROM:$3,bind=$host,reuseaddr,fork" \
		SYSTEM:'echo "$SOCAT_PEERADDR $SOCAT_PEERPORT"'
	_wait_for 3 _listening "$1" "$host" "$3"
}

_listening() { # SITE ADDR PORT
	in_ns "$1" ss -Hunl "src $2:$3" 2>/dev/null | grep -q .
}

# world_mapped SITE SPORT ADDR PORT: send one datagram from SITE, source port
# SPORT, to a world_udp_echo at ADDR:PORT; print the source it saw as
# "a.b.c.d:port" or "[v6]:port" (IPv6 compressed as ip(8) prints it).
world_mapped() {
	local fam=4 host=$3 out="" addr port t
	case $3 in *:*) fam=6 host=[$3] ;; esac
	# socat waits t s for the answer after sending; a busy machine may
	# need longer (the same source port keeps the same mapping).
	for t in 0.3 1 2 4; do
		out=$(echo probe | timeout 8 ip netns exec "$(world_ns "$1")" \
			socat -t $t - "UDP$fam:$host:$4,sourceport=$2" 2>/dev/null)
		[ -n "$out" ] && break
	done
	read -r addr port <<<"$out"
	[ -n "$port" ] || return 1
	case $addr in
	\[*) echo "[$(_v6_compress "${addr//[][]/}")]:$port" ;;
	*) echo "$addr:$port" ;;
	esac
}

# _v6_compress FULL: RFC 5952 text of a full (8-group) IPv6 address.
_v6_compress() {
	local IFS=: g i best=-1 bestlen=1 run=-1 len=0 out=""
	local -a gs
	read -ra gs <<<"$1"
	for i in "${!gs[@]}"; do
		g=$((16#${gs[i]}))
		gs[i]=$(printf '%x' "$g")
		if [ "$g" = 0 ]; then
			[ "$run" -lt 0 ] && run=$i len=0
			len=$((len + 1))
			[ $len -gt $bestlen ] && best=$run bestlen=$len
		else
			run=-1
		fi
	done
	if [ "$best" -lt 0 ]; then
		echo "${gs[*]}"
		return
	fi
	out="${gs[*]:0:best}::${gs[*]:best+bestlen}"
	echo "$out"
}

# world_csum_errors: one line per namespace with its receive checksum error
# counters; returns 1 if any is not 0.
world_csum_errors() {
	local s bad=0 line
	for s in "${WORLD_SITES[@]}"; do
		line=$(ip netns exec "${WORLD_NS[$s]}" nstat -asz UdpInCsumErrors \
			Udp6InCsumErrors 2>/dev/null | awk '!/^#/ { printf "%s=%s ", $1, $2 }')
		echo "$s: $line"
		case $line in
		*UdpInCsumErrors=0*Udp6InCsumErrors=0*) ;;
		*) bad=1 ;;
		esac
	done
	return $bad
}

# world_add_a2: a second host at site A, behind NAT A on a LAN of its own
# (nata lan2 198.51.100.129/26 2001:db8:c::1/64, a2 eth0 198.51.100.130/26
# 2001:db8:c::2/64, tunnel 192.0.2.4 2001:db8:ffff::4): A and A2 reach
# each other through NAT A's router without NAT. Sets NS_A2, A2_IP.
world_add_a2() {
	local ns=$WORLD_PREFIX-a2
	WORLD_NS[a2]=$ns NS_A2=$ns
	WORLD_SITES+=(a2)
	TUN4[a2]=192.0.2.4/24 TUN6[a2]=2001:db8:ffff::4/64
	A2_IP=198.51.100.130
	[ "$WORLD_FAMILY" = v6 ] && A2_IP=2001:db8:c::2
	ip netns add "$ns" || return 1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
	ip -n "$ns" link set lo up
	_veth "$ns" eth0 "$NS_NATA" lan2 &&
		_addr "$NS_NATA" lan2 198.51.100.129/26 2001:db8:c::1/64 &&
		_addr "$ns" eth0 198.51.100.130/26 2001:db8:c::2/64 &&
		_defroute "$ns" 198.51.100.129 2001:db8:c::1 &&
		ip netns exec "$NS_NATA" ethtool -K lan2 tx off >/dev/null
}

# world_up [v4|v6|dual]: build the world and start coturn. Returns non-zero
# with a "# " message if anything is missing or fails; call world_down (the
# EXIT trap) either way.
world_up() {
	local f=${1:-v4} s t
	case $f in v4 | v6 | dual) ;; *)
		_wnote "world_up: family '$f' is not v4, v6 or dual"
		return 1
		;;
	esac
	[ "$(id -u)" = 0 ] || { _wnote "world_up: needs root"; return 1; }
	for t in ip nft ethtool nstat ss turnserver wireguard-go wg; do
		command -v "$t" >/dev/null || { _wnote "world_up: $t missing (scripts/deps.sh)"; return 1; }
	done
	[ -c /dev/net/tun ] || { _wnote "world_up: /dev/net/tun missing"; return 1; }
	[ "$WORLD_UP" = 1 ] && { _wnote "world_up: already up"; return 1; }
	WORLD_UP=1
	WORLD_FAMILY=$f
	: "${WORLD_PREFIX:=wgw$$}"
	if [ -z "${WG_MTU:-}" ]; then
		# 1420 over IPv6 fills 1500 exactly: no room for ChannelData.
		WG_MTU=$([ "$f" = v4 ] && echo 1420 || echo 1416)
		_WORLD_MTU_SET=1
	fi
	for s in "${WORLD_SITES[@]}"; do WORLD_NS[$s]=$WORLD_PREFIX-$s; done
	NS_INET=${WORLD_NS[inet]} NS_RELAY=${WORLD_NS[relay]} NS_PUB=${WORLD_NS[pub]}
	NS_NATA=${WORLD_NS[nata]} NS_A=${WORLD_NS[a]}
	NS_NATB=${WORLD_NS[natb]} NS_B=${WORLD_NS[b]}
	if [ "$f" = v6 ]; then
		RELAY_IP=$RELAY6 NATA_IP=$NATA6 NATB_IP=$NATB6 PUB_IP=$PUB6 A_IP=$A6 B_IP=$B6
	else
		RELAY_IP=$RELAY4 NATA_IP=$NATA4 NATB_IP=$NATB4 PUB_IP=$PUB4 A_IP=$A4 B_IP=$B4
	fi
	TURN_SERVER=turn:$(world_ep "$RELAY_IP" "$TURN_PORT")
	WORLD_TMP=$(mktemp -d "/tmp/wgturn-world.XXXXXX") || return 1
	TURN_PASS=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
	TURN_PASS_FILE=$WORLD_TMP/turn.pass
	(umask 077 && printf '%s\n' "$TURN_PASS" >"$TURN_PASS_FILE")
	DNS_IP=$RELAY_IP DNS_SERVER=$RELAY_IP
	[ "$f" = v6 ] && DNS_SERVER=[$RELAY6]:53
	DNS_KEY_FILE=$WORLD_TMP/dns.key
	(umask 077 && printf 'hmac-sha256:%s:%s\n' "$DNS_KEY_NAME" \
		"$(head -c 32 /dev/urandom | base64)" >"$DNS_KEY_FILE")

	_world_topology || { _wnote "world_up: topology failed"; return 1; }
	_ping_all || return 1
	coturn_start || return 1
}

# world_down: end everything world_up and the helpers started, delete the
# namespaces, sockets and the temp dir. Safe to call twice or half-built.
world_down() {
	local p s ns ifn saved
	[ "$WORLD_UP" = 1 ] || return 0
	# A second Ctrl-C or TERM must not cut the cleanup short: every wait
	# below is bounded. The caller's traps come back at the end.
	saved=$(trap -p INT TERM HUP)
	trap '' INT TERM HUP
	local mine=()
	for p in "${WORLD_PIDS[@]}"; do _ours "$p" && mine+=("$p"); done
	for p in "${mine[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${mine[@]}"; do _stop_pid "$p"; done
	# Anything else still running in our namespaces was started by the
	# caller inside them: end it by pid too.
	for s in "${WORLD_SITES[@]}"; do
		ns=${WORLD_NS[$s]}
		for p in $(ip netns pids "$ns" 2>/dev/null); do _stop_pid "$p"; done
	done
	for ifn in "${!WG_SITE[@]}"; do rm -f "/var/run/wireguard/$ifn.sock"; done
	for s in "${WORLD_SITES[@]}"; do ip netns del "${WORLD_NS[$s]}" 2>/dev/null; done
	[ -n "$WORLD_TMP" ] && rm -rf "$WORLD_TMP"
	WORLD_PIDS=()
	WORLD_SITES=(inet relay nata a natb b pub)	# world_add_a2 added one
	WG_PUBKEY=() WG_PORT=() WG_SITE=() WG_PID=() WG_KEYFILE=() WG_KIND=()
	COTURN_PID= KNOT_PID= PION_PID=
	[ "${_WORLD_MTU_SET:-0}" = 1 ] && unset WG_MTU _WORLD_MTU_SET
	WORLD_UP=0
	trap - INT TERM HUP
	eval "$saved"
}

# world_info: how to enter the world (the demo's --keep prints this).
world_info() {
	local s ifn
	cat <<-EOF
		wgturn world $WORLD_PREFIX ($WORLD_FAMILY outer addressing), files in $WORLD_TMP
		  relay  $NS_RELAY  $RELAY4 $RELAY6  coturn pid ${COTURN_PID:-none}, udp $TURN_PORT, relays $TURN_MIN_PORT-$TURN_MAX_PORT
		  nata   $NS_NATA  public $NATA4 $NATA6  (masquerade, port-preserving)
		  a      $NS_A  $A4 $A6  tunnel ${TUN4[a]} ${TUN6[a]}
		  natb   $NS_NATB  public $NATB4 $NATB6  (masquerade $WORLD_NATB_FLAGS)
		  b      $NS_B  $B4 $B6  tunnel ${TUN4[b]} ${TUN6[b]}
		  pub    $NS_PUB  $PUB4 $PUB6  tunnel ${TUN4[pub]} ${TUN6[pub]}
		  inet   $NS_INET  (router)
		  TURN   $TURN_SERVER  realm $TURN_REALM  user $TURN_USER  password file $TURN_PASS_FILE
		  coturn config $COTURN_CONF, log $COTURN_LOG
	EOF
	for ifn in "${!WG_SITE[@]}"; do
		echo "  WireGuard ($([ "${WG_KIND[$ifn]}" = kernel ] && echo kernel || echo wireguard-go)) $ifn in ${WG_SITE[$ifn]}: port ${WG_PORT[$ifn]}, public key ${WG_PUBKEY[$ifn]}, pid ${WG_PID[$ifn]:-none}"
	done
	echo "Enter a namespace:   ip netns exec $NS_A bash      (or $NS_B, $NS_RELAY, ...)"
	echo "WireGuard state:     ip netns exec $NS_A wg show"
	echo "Tear down by hand:   kill the pids above, then: for n in ${WORLD_NS[*]}; do ip netns del \$n; done; rm -rf $WORLD_TMP"
}

# wgturn daemons in the world: what the e2e test, the demo and the
# benchmark ask of a daemon's state file (/run/wgturn/IF.state).

# wgt_state IF JQPATH: a field of IF's daemon state, empty if absent.
wgt_state() { jq -r "$2 // empty" "/run/wgturn/$1.state" 2>/dev/null; }

# wgt_channel_ready IF ENDPOINT: IF's daemon bound a channel for ENDPOINT
# (waits up to 10 s, scaled).
wgt_channel_ready() {
	local i
	for ((i = 0; i < $(_wscale 100); i++)); do
		jq -e --arg e "$2" '.peers[]? | select(.endpoint == $e and .channel_state == "ok")' \
			"/run/wgturn/$1.state" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# wgt_ping_first SITE DST: wait for the first answer (WireGuard retries a
# lost handshake after 5 s; 30 tries, scaled); prints milliseconds waited.
wgt_ping_first() {
	local t0 i n
	n=$(_wscale 30)
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do
		in_ns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && break
	done
	echo $((($(date +%s%N) - t0) / 1000000))
	[ $i -lt "$n" ]
}

# wgt_world_down WGTURN BPFFS IF:SITE...: wgturn down for each daemon (its
# deallocation needs the world still up), then the world, the daemons' run
# files and the bpffs.
wgt_world_down() {
	local wgturn=$1 fs=$2 i
	shift 2
	for i in "$@"; do
		in_ns "${i#*:}" timeout "$(_wscale 15)" "$wgturn" --bpffs "$fs" down "${i%%:*}" >/dev/null 2>&1
	done
	world_down
	for i in "$@"; do rm -f /run/wgturn/"${i%%:*}".*; done
	umount "$fs" 2>/dev/null
	rmdir "$fs" 2>/dev/null
}
