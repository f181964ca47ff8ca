# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Direct paths in the world, for tests/netns/e2e_direct.sh and
# scripts/bench_direct.sh (source scripts/world.sh, tests/lib/tap.sh and
# tests/lib/e2e.sh first; the caller sets FS, FAM, WGTURN).

# path_of SITE IF KEY: the path wgturn's datapath has for peer KEY
path_of() {
	W "$1" show "$2" --json | jq -r --arg k "$3" \
		'.[0].peers[] | select(.public_key == $k) | .path // "none"'
}
# path_is SITE IF KEY PATH SECONDS: waits for it (scaled)
path_is() {
	local i
	for ((i = 0; i < $(tscale_int "$5") * 10; i++)); do
		[ "$(path_of "$1" "$2" "$3")" = "$4" ] && return 0
		sleep 0.1
	done
	return 1
}
# peer_field SITE IF KEY JQ: a field of peer KEY in show --json
peer_field() {
	W "$1" show "$2" --json | jq -r --arg k "$3" \
		".[0].peers[] | select(.public_key == \$k) | $4"
}
# ignored SITE IF: the checks the daemon ignored, "invalid replayed
# unknown_peer stray_answers"
ignored() {
	W "$1" show "$2" --json |
		jq -r '.[0].checks_ignored | "\(.invalid) \(.replayed) \(.unknown_peer) \(.stray_answers)"'
}

# direct_counters: nftables counters that say which path carried what:
# on the relay, datagrams to its relayed ports (everything relayed
# between peers); on NAT A, datagrams forwarded between A and NAT B's
# public address (the direct path between the sites), and of those the
# WireGuard data packets from B (type 4, three zero bytes: not a check).
direct_counters() {
	local ip=ip
	[ "$FAM" = v6 ] && ip=ip6
	in_ns relay nft -f - <<-EOF
		table inet cnt {
			counter relayed {}
			chain c_in {
				type filter hook input priority 0; policy accept;
				udp dport $TURN_MIN_PORT-$TURN_MAX_PORT counter name relayed
			}
		}
	EOF
	in_ns nata nft -f - <<-EOF
		table inet cnt {
			counter direct_in {}
			counter direct_out {}
			counter wg_in {}
			chain c_fwd {
				type filter hook forward priority -10; policy accept;
				$ip saddr $NATB_IP $ip daddr $A_IP @th,64,32 0x04000000 counter name wg_in
				$ip saddr $NATB_IP $ip daddr $A_IP counter name direct_in
				$ip saddr $A_IP $ip daddr $NATB_IP counter name direct_out
			}
		}
	EOF
}
# cnt SITE NAME: packets of counter NAME in SITE's table cnt
cnt() { in_ns "$1" nft -j list counter inet cnt "$2" | jq '.nftables[1].counter.packets'; }

# direct_cut SITE / direct_uncut SITE: drop everything between NAT A's and
# NAT B's public addresses where SITE forwards it (nata or inet); the
# relay's path is untouched.
direct_cut() {
	local ip=ip
	[ "$FAM" = v6 ] && ip=ip6
	in_ns "$1" nft -f - <<-EOF
		table inet cut {
			chain c {
				type filter hook forward priority -20; policy accept;
				$ip saddr { $NATA_IP, $A_IP } $ip daddr $NATB_IP drop
				$ip saddr $NATB_IP $ip daddr { $NATA_IP, $A_IP } drop
			}
		}
	EOF
}
direct_uncut() { in_ns "$1" nft delete table inet cut; }

# direct_world NATB_FLAGS [UDP_TIMEOUT]: the world ($FAM), Knot, WireGuard
# A and B (peers by key only), the counters; T0 is when `up` began.
direct_world() {
	mkdir -p "$FS" && mount -t bpf bpf "$FS" || return 1
	WORLD_NATA_FLAGS="" WORLD_NATB_FLAGS=$1 WORLD_NAT_UDP_TIMEOUT=${2:-}
	world_up "$FAM" && knot_start && wg_up a "$A" 51820 && wg_up b "$B" 51820 ||
		return 1
	wg_peer a "$A" "${WG_PUBKEY[$B]}" - "$(allowed b)" &&
		wg_peer b "$B" "${WG_PUBKEY[$A]}" - "$(allowed a)" &&
		direct_counters || return 1
	T0=$(date +%s%N)
	rdv_up a "$A" || { echo "# wgturn up $A: $(cat "$WORLD_TMP/up-$A.log")"; return 1; }
	rdv_up b "$B" || { echo "# wgturn up $B: $(cat "$WORLD_TMP/up-$B.log")"; return 1; }
}
# direct_world_down: the daemons, the world and the bpffs
direct_world_down() { wgt_world_down "$WGTURN" "$FS" "$A:a" "$B:b" "${A2:-x}:a2"; }
