/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path manager: which way each WireGuard peer endpoint goes, kept in
 * the datapath's maps. Every endpoint of the relay's family gets a TURN
 * channel, bound and kept warm whatever the path; a peer the direct
 * checks (checks.h) found a working address for goes there instead, one
 * map update either way. The daemon only wires events to it.
 */
#ifndef WGT_PATHS_H
#define WGT_PATHS_H

#include <stdbool.h>
#include <stdint.h>
#include "dp/maps.h"
#include "turn/turn.h"
#include "wg/wg.h"

/* A peer the checks sent direct: WireGuard's endpoint for it follows. */
struct path_direct {
	uint8_t key[WG_KEY_LEN];
	struct wgt_ep endpoint;		/* WireGuard's, family 0: none yet */
	struct wgt_ep via;		/* the direct address */
};

struct paths {
	const struct wgt_maps *maps;
	struct turn_client *turn;
	struct path_direct *direct;
	int n_direct, cap_direct;
};

/* WireGuard's peer changed (wg_diff's what, old, cur). */
void paths_peer_changed(struct paths *p, uint32_t what,
			const struct wg_peer *old, const struct wg_peer *cur,
			uint64_t now_ms);
/* The relay bound (up) or lost a channel for tp->ep. */
void paths_channel(struct paths *p, const struct turn_peer *tp, bool up);
/* Peer key (WireGuard's endpoint ep, family 0 if none yet) goes direct
 * to via, or (via NULL) back to its relay channel. */
void paths_direct(struct paths *p, const uint8_t key[WG_KEY_LEN],
		  const struct wgt_ep *ep, const struct wgt_ep *via);
/* Arrivals from `from` are the peer's at endpoint ep. */
void paths_accept(struct paths *p, const struct wgt_ep *ep,
		  const struct wgt_ep *from);
void paths_free(struct paths *p);

#endif
