/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path manager: which way each WireGuard peer endpoint goes, kept in
 * the datapath's maps. Today's policy: every endpoint of the relay's
 * family goes through a TURN channel. Direct paths (hole punching) and
 * failover will be decided here; the daemon only wires events to it.
 */
#ifndef WGT_PATHS_H
#define WGT_PATHS_H

#include <stdbool.h>
#include <stdint.h>
#include "dp/maps.h"
#include "turn/turn.h"
#include "wg/wg.h"

struct paths {
	const struct wgt_maps *maps;
	struct turn_client *turn;
};

/* WireGuard's peer changed (wg_diff's what, old, cur). */
void paths_peer_changed(struct paths *p, uint32_t what,
			const struct wg_peer *old, const struct wg_peer *cur,
			uint64_t now_ms);
/* The relay bound (up) or lost a channel for tp->ep. */
void paths_channel(struct paths *p, const struct turn_peer *tp, bool up);

#endif
