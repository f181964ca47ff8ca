// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "paths.h"
#include "dp/peers.h"

static struct path_direct *direct_find(struct paths *p, const uint8_t *key,
				       const struct wgt_ep *ep)
{
	for (int i = 0; i < p->n_direct; i++)
		if (key ? !memcmp(p->direct[i].key, key, WG_KEY_LEN) :
			  ep_eq(&p->direct[i].endpoint, ep))
			return &p->direct[i];
	return NULL;
}

static void map_direct(struct paths *p, const struct path_direct *d)
{
	struct wgt_path path = { .via = d->via, .kind = WGT_PATH_DIRECT };
	struct wgt_err e = {};
	char a[EP_STRLEN], b[EP_STRLEN];

	if (!d->endpoint.family)
		return;
	if (peer_set(p->maps, &d->endpoint, &path, &e))
		pr_warn("cannot map %s to direct address %s: %s",
			ep_str(&d->endpoint, a, sizeof(a)),
			ep_str(&d->via, b, sizeof(b)), e.msg);
}

/* Back to the relay: the channel bound for ep, if there is one yet
 * (else paths_channel maps it once bound). */
static void map_relay(struct paths *p, const struct wgt_ep *ep)
{
	struct turn_client *c = p->turn;

	for (int i = 0; i < c->n_peers; i++)
		if (ep_eq(&c->peers[i].ep, ep) && c->peers[i].chan == TB_OK) {
			paths_channel(p, &c->peers[i], true);
			return;
		}
}

void paths_peer_changed(struct paths *p, uint32_t what,
			const struct wg_peer *old, const struct wg_peer *cur,
			uint64_t now)
{
	struct path_direct *d;
	char a[EP_STRLEN];

	if (old && old->endpoint.family &&
	    (what & (WG_CH_REMOVED | WG_CH_ENDPOINT))) {
		turn_peer_drop(p->turn, &old->endpoint);
		if (peer_exists(p->maps, &old->endpoint) &&
		    !peer_del(p->maps, &old->endpoint, NULL))
			pr_info("%s no longer a peer endpoint",
				ep_str(&old->endpoint, a, sizeof(a)));
	}
	d = direct_find(p, (cur ? cur : old)->pubkey, NULL);
	if (d && !cur)
		*d = p->direct[--p->n_direct];
	else if (d) {
		d->endpoint = cur->endpoint;
		map_direct(p, d);
	}
	/* A channel for every endpoint, direct or not: the way back is
	 * warm. The relay mapping follows once bound (paths_channel). */
	if (cur && cur->endpoint.family == p->turn->server.family &&
	    (what & (WG_CH_ADDED | WG_CH_ENDPOINT)) &&
	    !turn_peer_want(p->turn, &cur->endpoint, 0, now))
		pr_warn("no channel left for %s: all %d of the relay's channels (0x4000-0x4FFF) serve other peers or wait out RFC 8656's quarantine; it stays unrelayed",
			ep_str(&cur->endpoint, a, sizeof(a)), TURN_MAX_PEERS);
}

void paths_channel(struct paths *p, const struct turn_peer *tp, bool up)
{
	struct wgt_path path = { .via = p->turn->server,
				 .channel = tp->channel,
				 .kind = WGT_PATH_RELAY };
	bool direct = direct_find(p, NULL, &tp->ep) != NULL;
	struct wgt_err e = {};
	char a[EP_STRLEN];
	int rc;

	if (!up)
		return; /* keep the mapping until it is bound again */
	/* direct: arrivals through the channel still count as the peer's */
	rc = direct ? peer_accept(p->maps, &tp->ep, &path, &e) :
		      peer_set(p->maps, &tp->ep, &path, &e);
	if (rc)
		pr_warn("cannot map %s to channel 0x%04x: %s",
			ep_str(&tp->ep, a, sizeof(a)), tp->channel, e.msg);
	else if (!direct)
		pr_info("%s via relay channel 0x%04x",
			ep_str(&tp->ep, a, sizeof(a)), tp->channel);
}

void paths_direct(struct paths *p, const uint8_t key[WG_KEY_LEN],
		  const struct wgt_ep *ep, const struct wgt_ep *via)
{
	struct path_direct *d = direct_find(p, key, NULL);

	if (!via) {
		if (d)
			*d = p->direct[--p->n_direct];
		if (ep->family)
			map_relay(p, ep);
		return;
	}
	if (!d) {
		if (p->n_direct == p->cap_direct) {
			int cap = p->cap_direct ? 2 * p->cap_direct : 8;
			void *np = realloc(p->direct, cap * sizeof(*d));

			if (!np) {
				pr_warn("out of memory: staying on the relay");
				return;
			}
			p->direct = np;
			p->cap_direct = cap;
		}
		d = &p->direct[p->n_direct++];
		memcpy(d->key, key, WG_KEY_LEN);
	}
	d->endpoint = *ep;
	d->via = *via;
	map_direct(p, d);
}

void paths_accept(struct paths *p, const struct wgt_ep *ep,
		  const struct wgt_ep *from)
{
	struct wgt_path path = { .via = *from, .kind = WGT_PATH_DIRECT };
	struct wgt_err e = {};
	char a[EP_STRLEN], b[EP_STRLEN];

	int rc;

	if (!ep->family || ep->family != from->family)
		return;
	rc = peer_accept(p->maps, ep, &path, &e);
	/* another peer's address: each of its checks would say so again */
	if (rc == -EEXIST)
		pr_debug("not accepting %s for %s: %s", ep_str(from, a, sizeof(a)),
			 ep_str(ep, b, sizeof(b)), e.msg);
	else if (rc)
		pr_warn("cannot accept %s for %s: %s",
			ep_str(from, a, sizeof(a)), ep_str(ep, b, sizeof(b)), e.msg);
}

void paths_free(struct paths *p)
{
	free(p->direct);
	p->direct = NULL;
	p->n_direct = p->cap_direct = 0;
}
