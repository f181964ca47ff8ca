// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <zlib.h>
#include <string.h>
#include "base/addr.h"
#include "base/log.h"
#include "peer_pmtu.h"

#define CD_HLEN 4		/* ChannelData header */

/* pmtu's sender: the ChannelData header in front of the probe. */
static int probe_send(void *ctx, uint8_t *buf, size_t len)
{
	struct peer_probe *p = ctx;
	size_t body = len - CD_HLEN;

	buf[0] = p->channel >> 8;
	buf[1] = p->channel & 0xff;
	buf[2] = body >> 8;
	buf[3] = body & 0xff;
	return p->owner->send(p->owner->ctx, buf, len);
}

void peer_pmtu_init(struct peer_pmtu *pp, peer_pmtu_send_fn send, void *ctx)
{
	memset(pp, 0, sizeof(*pp));
	pp->send = send;
	pp->ctx = ctx;
}

static bool same_ep(const struct wgt_ep *a, const struct wgt_ep *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* A bound channel's probe: what the relay delivers on it is for us. */
static struct peer_probe *by_channel(struct peer_pmtu *pp, uint16_t chan)
{
	for (int i = 0; i < pp->n; i++)
		if (pp->probes[i].bound && pp->probes[i].channel == chan)
			return &pp->probes[i];
	return NULL;
}

/* An index for sync, which looks up every relay peer: a scan each would
 * be quadratic (with 1,000 peers, 78 % of the daemon's CPU at rest). */
static uint32_t ep_slot(const struct wgt_ep *ep)
{
	uLong h = crc32(0, ep->addr, sizeof(ep->addr));	/* what same_ep compares */

	h = crc32(h, (const Bytef *)&ep->port, sizeof(ep->port));
	h = crc32(h, &ep->family, sizeof(ep->family));
	return (uint32_t)h & (PEER_PMTU_IDX - 1);
}

static void idx_build(struct peer_pmtu *pp)
{
	memset(pp->idx, 0xff, sizeof(pp->idx));
	for (int i = 0; i < pp->n; i++) {
		uint32_t s = ep_slot(&pp->probes[i].ep);

		while (pp->idx[s] >= 0)
			s = (s + 1) & (PEER_PMTU_IDX - 1);
		pp->idx[s] = (int16_t)i;
	}
}

static struct peer_probe *idx_find(struct peer_pmtu *pp,
				   const struct wgt_ep *ep)
{
	for (uint32_t s = ep_slot(ep); pp->idx[s] >= 0;
	     s = (s + 1) & (PEER_PMTU_IDX - 1))
		if (same_ep(&pp->probes[pp->idx[s]].ep, ep))
			return &pp->probes[pp->idx[s]];
	return NULL;
}

static void start(struct peer_probe *p, uint32_t hi, uint64_t now)
{
	pmtu_search(&p->pmtu, p->ep.family, hi, now);
}

static struct peer_probe *add(struct peer_pmtu *pp,
			      const struct turn_peer *tp)
{
	struct peer_probe *p;
	char a[EP_STRLEN];

	if (pp->n == TURN_MAX_PEERS)
		return NULL;
	p = &pp->probes[pp->n++];
	memset(p, 0, sizeof(*p));
	p->ep = tp->ep;
	p->owner = pp;
	pmtu_init(&p->pmtu, probe_send, p);
	p->pmtu.frame_hlen = CD_HLEN;
	p->pmtu.retry_ms = PEER_PMTU_RETRY_MS;
	p->pmtu.retry_max_ms = PEER_PMTU_RETRY_MAX_MS;
	/* a peer without wgturn, or not up yet, is silent: that must not
	 * read as "too big" */
	p->pmtu.floor_first = true;
	snprintf(p->pmtu.label, sizeof(p->pmtu.label), "%s through the relay",
		 ep_str(&p->ep, a, sizeof(a)));
	return p;
}

/*
 * Probes live as long as the endpoint is the relay's peer, and keep their
 * result while its channel is rebound (a reallocation, a failed refresh):
 * the tunnel MTU must not grow back meanwhile. Only a bound channel is
 * probed; a new channel number means a new search.
 */
void peer_pmtu_sync(struct peer_pmtu *pp, const struct turn_client *c,
		    uint32_t hi, uint64_t now)
{
	pp->hi = hi;
	/* the relay's peers keep their probes, bound or not; the others
	 * go first, so that their slots can serve new peers */
	for (int i = 0; i < pp->n; i++)
		pp->probes[i].seen = false;
	idx_build(pp);
	for (int i = 0; i < c->n_peers; i++) {
		struct peer_probe *p = idx_find(pp, &c->peers[i].ep);

		if (p)
			p->seen = true;
	}
	for (int i = 0; i < pp->n;) {
		if (pp->probes[i].seen) {
			i++;
			continue;
		}
		pp->probes[i] = pp->probes[--pp->n];
		/* the moved probe's pmtu still points at its old slot */
		if (i < pp->n)
			pp->probes[i].pmtu.ctx = &pp->probes[i];
	}
	idx_build(pp);	/* probes added below are not in it: new eps */
	for (int i = 0; i < c->n_peers; i++) {
		const struct turn_peer *tp = &c->peers[i];
		struct peer_probe *p = idx_find(pp, &tp->ep);
		bool bound = tp->chan == TB_OK && tp->channel;

		if (!p && bound)
			p = add(pp, tp);
		if (!p)
			continue;
		if (bound && (!p->bound || p->channel != tp->channel)) {
			bool again = p->channel != tp->channel;

			p->channel = tp->channel;
			p->bound = true;
			if (again || !p->pmtu.started_ms)
				start(p, hi, now);
		} else if (!bound && p->bound) {
			p->bound = false;
			/* no answer can come: not a loss, a pause */
			if (p->pmtu.size) {
				p->pmtu.size = 0;
				p->pmtu.next_search_ms = now + PMTU_RESEARCH_MS;
			}
		}
	}
}

void peer_pmtu_research(struct peer_pmtu *pp, uint32_t hi, uint64_t now)
{
	pp->hi = hi;
	for (int i = 0; i < pp->n; i++)
		if (pp->probes[i].bound)
			start(&pp->probes[i], hi, now);
}

void peer_pmtu_suspect(struct peer_pmtu *pp, const struct wgt_ep *ep,
		       uint32_t hi, uint64_t now)
{
	for (int i = 0; i < pp->n; i++) {
		struct pmtu *m = &pp->probes[i].pmtu;

		if (same_ep(&pp->probes[i].ep, ep) && pp->probes[i].bound &&
		    !m->size &&
		    now - m->started_ms > PMTU_RESEARCH_MS)
			start(&pp->probes[i], hi, now);
	}
}

/* A peer's probe: answer on the channel it came on, small. */
static void answer(struct peer_pmtu *pp, uint16_t chan,
		   const struct stun_msg *req)
{
	uint8_t buf[CD_HLEN + 64];
	struct stun_builder b;
	int len;

	stun_begin(&b, buf + CD_HLEN, sizeof(buf) - CD_HLEN,
		   stun_type(STUN_BINDING, STUN_SUCCESS), req->txid);
	len = stun_finish(&b);
	if (len <= 0)
		return;
	buf[0] = chan >> 8;
	buf[1] = chan & 0xff;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	if (!pp->send(pp->ctx, buf, CD_HLEN + (size_t)len))
		pp->answered++;
}

bool peer_pmtu_input(struct peer_pmtu *pp, const uint8_t *buf, size_t len,
		     uint64_t now)
{
	struct peer_probe *p;
	struct stun_msg m;
	uint16_t chan, cdlen;

	if (len < CD_HLEN + STUN_HDR_LEN)
		return false;
	chan = (uint16_t)(buf[0] << 8 | buf[1]);
	cdlen = (uint16_t)(buf[2] << 8 | buf[3]);
	if (chan < 0x4000 || chan > 0x4fff || CD_HLEN + (size_t)cdlen > len ||
	    stun_parse(&m, buf + CD_HLEN, cdlen))
		return false;
	p = by_channel(pp, chan);
	if (m.type == stun_type(STUN_BINDING, STUN_REQUEST)) {
		/* The relay delivers only on channels we bound, and the
		 * answer goes back on it to that peer; our own probes may
		 * not know the channel yet. */
		answer(pp, chan, &m);
		/* the peer probes us: it is up and has its channel now,
		 * so a search of ours that met silence may go again */
		if (p && !pmtu_value(&p->pmtu) && !p->pmtu.size &&
		    now - p->pmtu.started_ms >= PMTU_RESEARCH_MS)
			start(p, pp->hi, now);
		return true;
	}
	return p && pmtu_input(&p->pmtu, buf + CD_HLEN, cdlen, now);
}

static uint32_t give_hi(void *ctx)
{
	return *(const uint32_t *)ctx;
}

void peer_pmtu_tick(struct peer_pmtu *pp, uint64_t now, uint32_t hi)
{
	pp->hi = hi;
	for (int i = 0; i < pp->n; i++)
		if (pp->probes[i].bound)
			pmtu_tick(&pp->probes[i].pmtu, now, give_hi, &hi);
}

int peer_pmtu_next_ms(const struct peer_pmtu *pp, uint64_t now)
{
	int best = -1;

	for (int i = 0; i < pp->n; i++) {
		int t = pp->probes[i].bound ?
			pmtu_next_ms(&pp->probes[i].pmtu, now) : -1;

		if (t >= 0 && (best < 0 || t < best))
			best = t;
	}
	return best;
}

uint32_t peer_pmtu_value(const struct peer_pmtu *pp, const struct wgt_ep *ep)
{
	for (int i = 0; i < pp->n; i++)
		if (same_ep(&pp->probes[i].ep, ep))
			return pmtu_value(&pp->probes[i].pmtu);
	return 0;
}
