/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tunnel MTU per peer. Each WireGuard peer on a wgturn path (relay or
 * direct) gets the largest inner packet that fits its path: the path MTU
 * the kernel knows toward the relay or direct address (its route, and
 * any MTU an ICMP taught it) or, if lower, the one probes measured there
 * (pmtu.h), and relayed, the one measured through the relay to the
 * peer (peer_pmtu.h), less the outer IP and UDP headers,
 * WireGuard's 32 bytes and, relayed, ChannelData's 4, rounded down to
 * WireGuard's padding of 16. Where that is below
 * the WireGuard interface's MTU, the routes of the peer's allowed IPs on
 * that interface get `mtu lock` with it, so the kernel answers senders,
 * local and forwarded, with frag-needed / packet-too-big inside the
 * tunnel, and TCP advertises an MSS that fits both ways.
 */
#ifndef WGT_TUNNEL_MTU_H
#define WGT_TUNNEL_MTU_H

#include <stdint.h>
#include "dp/maps.h"
#include "peer_pmtu.h"
#include "wg/wg.h"

#define TMTU_CHECK_MS 1000
#define TMTU_REPAIR_EVERY 30	/* checks: routes recreated meanwhile */
#define WG_OVERHEAD 32		/* WireGuard's data message header and tag */
#define WG_PADDING 16		/* it pads plaintext to a multiple of this */

struct tmtu_peer {
	uint8_t key[WG_KEY_LEN];
	uint32_t path_mtu;	/* 0: not on a wgturn path */
	uint32_t through_mtu;	/* probed through the relay to it, 0: none */
	uint32_t tunnel_mtu;	/* what fits; 0 when path_mtu is */
	uint32_t applied;	/* set on its routes, 0 = none (fits) */
	uint16_t n_applied;
	struct wg_allowed prefixes[WG_MAX_ALLOWED];	/* routes we changed */
	uint16_t n_seen;
	struct wg_allowed seen[WG_MAX_ALLOWED];	/* allowed IPs then */
	bool failed;		/* a route could not be set: try again */
	bool warned_more;
	int others;		/* routes left alone, as last logged */
	bool seen_now;		/* still in WireGuard (this check) */
};

struct tunnel_mtu {
	char ifname[IF_NAMESIZE];
	bool flushed;		/* routes a killed predecessor left: gone */
	uint32_t checks;
	uint32_t n, cap;
	struct tmtu_peer *peers;
};

void tmtu_init(struct tunnel_mtu *t, const char *wgif);
/* Work out every peer's path and tunnel MTU and apply what changed;
 * probed: the path MTU measured to that address (pmtu.h), 0 unknown;
 * through: measured through the relay to each relayed peer (NULL: none). */
void tmtu_check(struct tunnel_mtu *t, const struct wg_snapshot *wg,
		const struct wgt_maps *m, const struct wgt_ep *probed_to,
		uint32_t probed, const struct peer_pmtu *through);
/* Take every route MTU this daemon set off again. */
void tmtu_clear(struct tunnel_mtu *t);
const struct tmtu_peer *tmtu_find(const struct tunnel_mtu *t,
				  const uint8_t key[WG_KEY_LEN]);

#endif
