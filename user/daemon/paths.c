// SPDX-License-Identifier: GPL-2.0
#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "paths.h"
#include "dp/peers.h"

void paths_peer_changed(struct paths *p, uint32_t what,
			const struct wg_peer *old, const struct wg_peer *cur,
			uint64_t now)
{
	char a[EP_STRLEN];

	if (old && old->endpoint.family &&
	    (what & (WG_CH_REMOVED | WG_CH_ENDPOINT))) {
		turn_peer_drop(p->turn, &old->endpoint);
		if (peer_exists(p->maps, &old->endpoint) &&
		    !peer_del(p->maps, &old->endpoint, NULL))
			pr_info("%s no longer a peer endpoint",
				ep_str(&old->endpoint, a, sizeof(a)));
	}
	/* Policy: always relay. The mapping follows once the channel is
	 * bound (paths_channel). */
	if (cur && cur->endpoint.family == p->turn->server.family &&
	    (what & (WG_CH_ADDED | WG_CH_ENDPOINT)) &&
	    !turn_peer_want(p->turn, &cur->endpoint, 0, now))
		pr_warn("no channel left for %s",
			ep_str(&cur->endpoint, a, sizeof(a)));
}

void paths_channel(struct paths *p, const struct turn_peer *tp, bool up)
{
	struct wgt_path path = { .via = p->turn->server,
				 .channel = tp->channel,
				 .kind = WGT_PATH_RELAY };
	struct wgt_err e = {};
	char a[EP_STRLEN];

	if (!up)
		return; /* keep the mapping until it is bound again */
	if (peer_set(p->maps, &tp->ep, &path, &e))
		pr_warn("cannot map %s to channel 0x%04x: %s",
			ep_str(&tp->ep, a, sizeof(a)), tp->channel, e.msg);
	else
		pr_info("%s via relay channel 0x%04x",
			ep_str(&tp->ep, a, sizeof(a)), tp->channel);
}
