// SPDX-License-Identifier: GPL-2.0
#include "liveness.h"

/* How long ago t was, never below zero: the datapath stamps packets in
 * ns, and one may be newer than now_ms rounded down. */
static uint64_t ago(uint64_t now, uint64_t t)
{
	return t >= now ? 0 : now - t;
}

void liveness_check(const struct wg_snapshot *s, const struct wgt_maps *m,
		    uint64_t now_ms, live_fn silent, live_fn alive, void *ctx)
{
	uint64_t now = now_ms * 1000000ull;	/* the stats' clock, in ns */

	for (uint32_t i = 0; i < s->n_peers; i++) {
		const struct wg_peer *p = &s->peers[i];
		struct wgt_stats st;

		if (!p->endpoint.family || stats_read(m, &p->endpoint, &st))
			continue;
		if (st.last_rx_ns && ago(now, st.last_rx_ns) <=
		    (LIVE_CHECK_MS + LIVE_STAMP_SLACK_MS) * 1000000ull)
			alive(ctx, p, 0);
		if (!st.last_tx_ns ||
		    ago(now, st.last_tx_ns) > LIVE_SENDING_MS * 1000000ull ||
		    st.last_tx_ns < st.last_rx_ns ||
		    st.last_tx_ns - st.last_rx_ns < LIVE_SILENCE_MS * 1000000ull)
			continue;
		silent(ctx, p, ago(now, st.last_rx_ns) / 1000000);
	}
}
