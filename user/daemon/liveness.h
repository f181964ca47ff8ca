/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Liveness of each WireGuard peer's path, from evidence the datapath
 * already keeps: its per-endpoint last-sent and last-received times. A
 * path is suspect while WireGuard keeps sending on it and nothing has
 * come back for LIVE_SILENCE_MS. Suspicion only starts checks (a lookup,
 * a probe of the relay): it never tears anything down by itself.
 */
#ifndef WGT_LIVENESS_H
#define WGT_LIVENESS_H

#include <stdint.h>
#include "dp/maps.h"
#include "wg/wg.h"

#define LIVE_SILENCE_MS 1500	/* sending, nothing back: suspect */
#define LIVE_SENDING_MS 1000	/* "keeps sending": sent this recently */
#define LIVE_CHECK_MS 500
/* The datapath stamps packets with the coarse clock, up to a tick (10 ms
 * at HZ=100) behind: a packet just after one check may look older than
 * LIVE_CHECK_MS at the next. */
#define LIVE_STAMP_SLACK_MS 20

typedef void (*live_fn)(void *ctx, const struct wg_peer *p,
			uint64_t silent_ms);

/* Call silent for every peer of s whose path is suspect now, alive for
 * every one that received in the last LIVE_CHECK_MS (and the slack). */
void liveness_check(const struct wg_snapshot *s, const struct wgt_maps *m,
		    uint64_t now_ms, live_fn silent, live_fn alive, void *ctx);

#endif
