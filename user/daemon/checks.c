// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/addr.h"
#include "checks.h"

const char *check_kind_str(uint8_t kind)
{
	static const char *const n[] = { "host", "srflx", "prflx" };

	return kind <= CHECK_PRFLX ? n[kind] : "?";
}

const char *check_state_str(uint8_t state)
{
	static const char *const n[] = { "waiting", "checking", "ok", "failed" };

	return state <= CHECK_FAILED ? n[state] : "?";
}

void checks_init(struct checks *k, const uint8_t self[WG_KEY_LEN],
		 uint8_t family, const struct check_ops *ops)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->self, self, WG_KEY_LEN);
	k->family = family;
	k->ops = *ops;
}

void checks_free(struct checks *k)
{
	for (int i = 0; i < k->n; i++)
		explicit_bzero(k->peers[i].mac, CHECK_KEY_LEN);
	free(k->peers);
	k->peers = NULL;
	k->n = k->cap = 0;
}

struct check_peer *checks_peer_find(const struct checks *k,
				    const uint8_t key[WG_KEY_LEN])
{
	for (int i = 0; i < k->n; i++)
		if (!memcmp(k->peers[i].key, key, WG_KEY_LEN))
			return &k->peers[i];
	return NULL;
}

static struct check_cand *cand_find(struct check_peer *p,
				    const struct wgt_ep *ep)
{
	for (int i = 0; i < p->n; i++)
		if (ep_eq(&p->c[i].ep, ep))
			return &p->c[i];
	return NULL;
}

/* Append ep unless present; candidates stay sorted best first. */
static void cand_add(struct check_cand *c, int *n, const struct wgt_ep *ep,
		     uint8_t kind, uint8_t family)
{
	if (ep->family != family || !ep->port || *n >= CHECK_MAX_CANDS)
		return;
	for (int i = 0; i < *n; i++)
		if (ep_eq(&c[i].ep, ep))
			return;
	memset(&c[*n], 0, sizeof(c[*n]));
	c[*n].ep = *ep;
	c[*n].kind = kind;
	(*n)++;
}

static int cand_cmp(const void *a, const void *b)
{
	return (int)((const struct check_cand *)a)->kind -
	       (int)((const struct check_cand *)b)->kind;
}

/* Carry p's candidate i into c, unless there or no room. */
static void carry(struct check_cand *c, int *n, const struct check_peer *p,
		  int i)
{
	if (i < 0 || *n >= CHECK_MAX_CANDS)
		return;
	for (int j = 0; j < *n; j++)
		if (ep_eq(&c[j].ep, &p->c[i].ep))
			return;
	c[(*n)++] = p->c[i];
}

/* The new candidate set from rec; what is known of each address stays,
 * and so do the one in use and peer-reflexive ones (room permitting, in
 * that order). 1 if the record lists another set than before. */
static int cands_update(struct checks *k, struct check_peer *p,
			const struct wgsd_record *rec)
{
	struct check_cand c[CHECK_MAX_CANDS], *old;
	struct wgt_ep using = {};
	int n = 0, changed = 0, listed = 0;

	if (p->use >= 0)
		using = p->c[p->use].ep;
	for (int i = 0; i < rec->n_host; i++)
		cand_add(c, &n, &rec->host[i], CHECK_HOST, k->family);
	cand_add(c, &n, &rec->srflx, CHECK_SRFLX, k->family);
	for (int i = 0; i < n; i++) {
		old = cand_find(p, &c[i].ep);
		if (old && old->kind == c[i].kind)
			c[i] = *old;
		else
			changed = 1;
	}
	for (int i = 0; i < p->n; i++)
		listed += p->c[i].kind != CHECK_PRFLX;
	changed |= listed != n;
	carry(c, &n, p, p->use);
	for (int i = 0; i < p->n; i++)
		if (p->c[i].kind == CHECK_PRFLX)
			carry(c, &n, p, i);
	qsort(c, n, sizeof(c[0]), cand_cmp);
	memcpy(p->c, c, sizeof(c));
	p->n = n;
	p->use = -1;
	for (int i = 0; using.family && i < n; i++)
		if (ep_eq(&c[i].ep, &using))
			p->use = i;
	return changed;
}

/* Room for a peer-reflexive address: a free slot, else the least useful
 * peer-reflexive one not in use (failed first, then the oldest). */
static struct check_cand *prflx_add(struct checks *k, struct check_peer *p,
				    const struct wgt_ep *ep)
{
	int victim = -1;

	if (p->n < CHECK_MAX_CANDS) {
		cand_add(p->c, &p->n, ep, CHECK_PRFLX, k->family);
		return cand_find(p, ep);
	}
	for (int i = 0; i < p->n; i++) {
		const struct check_cand *c = &p->c[i];

		if (c->kind != CHECK_PRFLX || i == p->use)
			continue;
		if (victim < 0 || (c->state != CHECK_OK &&
				   p->c[victim].state == CHECK_OK) ||
		    (c->state == p->c[victim].state &&
		     c->last_ok_ms < p->c[victim].last_ok_ms))
			victim = i;
	}
	if (victim < 0 || ep->family != k->family)
		return NULL;
	memset(&p->c[victim], 0, sizeof(p->c[victim]));
	p->c[victim].ep = *ep;
	p->c[victim].kind = CHECK_PRFLX;
	return &p->c[victim];
}

static void switch_to(struct checks *k, struct check_peer *p, int use,
		      uint64_t now, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

int checks_peer_set(struct checks *k, const uint8_t key[WG_KEY_LEN],
		    const uint8_t mac[CHECK_KEY_LEN],
		    const struct wgsd_record *rec, uint64_t now)
{
	struct check_peer *p = checks_peer_find(k, key);
	bool was_direct;

	if (!p) {
		if (k->n == k->cap) {
			int cap = k->cap ? 2 * k->cap : 8;
			void *np = realloc(k->peers, cap * sizeof(*p));

			if (!np)
				return -ENOMEM;
			k->peers = np;
			k->cap = cap;
		}
		p = &k->peers[k->n++];
		memset(p, 0, sizeof(*p));
		memcpy(p->key, key, WG_KEY_LEN);
		p->use = -1;
	}
	if (mac) {
		memcpy(p->mac, mac, CHECK_KEY_LEN);
		p->have_mac = true;
	}
	was_direct = p->use >= 0;
	if (cands_update(k, p, rec))
		p->next_round_ms = now;	/* new addresses: try them now */
	if (was_direct && p->use < 0)
		switch_to(k, p, -1, now, "its address is no longer a candidate");
	return 0;
}

void checks_peer_del(struct checks *k, const uint8_t key[WG_KEY_LEN])
{
	struct check_peer *p = checks_peer_find(k, key);

	if (!p)
		return;
	explicit_bzero(p->mac, CHECK_KEY_LEN);
	*p = k->peers[--k->n];
	explicit_bzero(&k->peers[k->n], sizeof(*p));	/* a copy of a mac */
}

static void send_check(struct checks *k, struct check_peer *p,
		       struct check_cand *c, uint64_t now)
{
	uint8_t buf[CHECK_MSG_MAX];
	int slot = 0, len;

	for (int i = 1; i < CHECK_TXS; i++)	/* a free or the oldest */
		if (c->tx[i].ms < c->tx[slot].ms)
			slot = i;
	if (stun_txid_new(c->tx[slot].id))
		return;
	len = check_msg_request(buf, c->tx[slot].id, k->self,
				k->ops.wall_ns(k->ops.ctx), p->mac);
	if (len < 0)
		return;
	c->tx[slot].ms = now;
	c->sent_ms = now;
	if (!c->unanswered_ms)
		c->unanswered_ms = now;
	c->sent++;
	if (c->state == CHECK_WAITING || c->state == CHECK_FAILED)
		c->state = CHECK_CHECKING;
	k->ops.send(k->ops.ctx, &c->ep, buf, (size_t)len);
}

static void switch_to(struct checks *k, struct check_peer *p, int use,
		      uint64_t now, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	p->use = use;
	p->switch_ms = now;
	p->switches++;
	k->ops.path(k->ops.ctx, p);
}

/* The check sent at `sent` is answered: so is every older one; the
 * silence now counts from the oldest newer one still unanswered. */
static void answered(struct check_cand *c, uint64_t sent)
{
	c->unanswered_ms = 0;
	for (int t = 0; t < CHECK_TXS; t++) {
		if (!c->tx[t].ms)
			continue;
		if (c->tx[t].ms <= sent)
			memset(&c->tx[t], 0, sizeof(c->tx[t]));
		else if (!c->unanswered_ms || c->tx[t].ms < c->unanswered_ms)
			c->unanswered_ms = c->tx[t].ms;
	}
}

/* A candidate given up on: answers to what it was sent come too late. */
static void give_up(struct check_cand *c)
{
	c->state = CHECK_FAILED;
	c->unanswered_ms = 0;
	memset(c->tx, 0, sizeof(c->tx));
}

static void on_answer(struct checks *k, struct check_peer *p,
		      const struct check_msg *cm, const struct wgt_ep *from,
		      uint64_t now)
{
	char a[EP_STRLEN];

	for (int i = 0; i < p->n; i++) {
		struct check_cand *c = &p->c[i];

		for (int t = 0; t < CHECK_TXS; t++) {
			if (!c->tx[t].ms ||
			    memcmp(c->tx[t].id, cm->txid, STUN_TXID_LEN))
				continue;
			/* the answer must come from where the check went */
			if (!ep_eq(from, &c->ep)) {
				k->stray++;
				return;
			}
			/* given up on: evidence of a path as it was then */
			if (now - c->tx[t].ms >= CHECK_DEAD_MS) {
				k->stray++;
				return;
			}
			c->rtt_us = (uint32_t)((now - c->tx[t].ms) * 1000);
			answered(c, c->tx[t].ms);
			c->state = CHECK_OK;
			c->last_ok_ms = now;
			c->answered++;
			k->ops.accept(k->ops.ctx, p, from);
			if (p->use < 0 || i < p->use)
				switch_to(k, p, i, now,
					  "%s candidate %s answered in %u ms",
					  check_kind_str(c->kind),
					  ep_str(&c->ep, a, sizeof(a)),
					  c->rtt_us / 1000);
			return;
		}
	}
	k->stray++;
}

/* A request seen before: the same transaction from the same address (a
 * copy sent first from elsewhere must not shadow the real one), or older
 * than the window behind the newest from this peer. */
static bool seen_before(struct check_peer *p, const struct check_msg *cm,
			const struct wgt_ep *from)
{
	for (int i = 0; i < CHECK_SEEN && i < p->n_seen; i++)
		if (!memcmp(p->seen[i].id, cm->txid, STUN_TXID_LEN) &&
		    ep_eq(&p->seen[i].from, from))
			return true;
	if (cm->sent_ns + CHECK_REPLAY_WINDOW_NS < p->last_sent_ns)
		return true;
	memcpy(p->seen[p->n_seen % CHECK_SEEN].id, cm->txid, STUN_TXID_LEN);
	p->seen[p->n_seen++ % CHECK_SEEN].from = *from;
	if (p->n_seen >= 2 * CHECK_SEEN)
		p->n_seen = CHECK_SEEN;
	if (cm->sent_ns > p->last_sent_ns)
		p->last_sent_ns = cm->sent_ns;
	return false;
}

static void on_request(struct checks *k, struct check_peer *p,
		       const struct check_msg *cm, const struct wgt_ep *from,
		       uint64_t now)
{
	uint8_t buf[CHECK_MSG_MAX];
	struct check_cand *c;
	int len;

	if (seen_before(p, cm, from)) {
		k->replayed++;
		return;
	}
	len = check_msg_answer(buf, cm->txid, k->self, from, p->mac);
	if (len > 0)
		k->ops.send(k->ops.ctx, from, buf, (size_t)len);
	k->ops.accept(k->ops.ctx, p, from);
	/* A triggered check back: the peer's NAT has a mapping towards us
	 * now, whatever our own round's timing. An address not published
	 * is peer-reflexive. */
	c = cand_find(p, from);
	if (!c)
		c = prflx_add(k, p, from);
	if (c && (p->use < 0 || c < &p->c[p->use]) &&
	    now - c->sent_ms >= CHECK_PACE_MS / 2)
		send_check(k, p, c, now);
}

int checks_input(struct checks *k, const struct wgt_ep *from,
		 const uint8_t *buf, size_t len, uint64_t now)
{
	struct check_peer *p;
	struct check_msg cm;
	struct stun_msg m;

	if (check_msg_parse(&cm, &m, buf, len))
		return 0;
	p = checks_peer_find(k, cm.from);
	if (!p || !p->have_mac) {
		k->unknown++;
		return 1;
	}
	if (check_msg_verify(&m, p->mac)) {
		k->invalid++;
		return 1;
	}
	if (cm.request)
		on_request(k, p, &cm, from, now);
	else
		on_answer(k, p, &cm, from, now);
	return 1;
}

/* A round: every candidate better than the one in use, paced. Ends with
 * the silent ones marked failed. */
static void round_tick(struct checks *k, struct check_peer *p, uint64_t now)
{
	int upto = p->use < 0 ? p->n : p->use;

	if (!upto)
		return;		/* direct on the best there is */
	if (now >= p->next_round_ms) {
		p->round_end_ms = now + CHECK_ROUND_MS;
		p->next_round_ms = now + CHECK_RETRY_MS;
		for (int i = 0; i < upto; i++)
			p->c[i].next_ms = now;
	}
	if (p->round_end_ms && now >= p->round_end_ms) {
		p->round_end_ms = 0;
		for (int i = 0; i < upto; i++)
			if (p->c[i].unanswered_ms)
				give_up(&p->c[i]);
		return;
	}
	if (!p->round_end_ms)
		return;
	for (int i = 0; i < upto; i++)
		if (now >= p->c[i].next_ms) {
			send_check(k, p, &p->c[i], now);
			p->c[i].next_ms = now + CHECK_PACE_MS;
		}
}

/* The path in use: checked often while WireGuard sends, as a keepalive
 * while idle, given up after CHECK_DEAD_MS without an answer. */
static void use_tick(struct checks *k, struct check_peer *p, uint64_t now)
{
	struct check_cand *c = &p->c[p->use];
	uint64_t every = CHECK_KEEPALIVE_MS;

	if (c->unanswered_ms && now - c->unanswered_ms >= CHECK_DEAD_MS) {
		uint64_t silent = now - c->unanswered_ms;

		give_up(c);
		p->round_end_ms = 0;
		p->next_round_ms = now + CHECK_RETRY_MS;
		switch_to(k, p, -1, now,
			  "no answer on the direct path for %llu ms",
			  (unsigned long long)silent);
		return;
	}
	if (c->unanswered_ms || k->ops.sending(k->ops.ctx, p, now))
		every = CHECK_ACTIVE_MS;
	if (now - c->sent_ms >= every)
		send_check(k, p, c, now);
}

void checks_tick(struct checks *k, uint64_t now)
{
	for (int i = 0; i < k->n; i++) {
		struct check_peer *p = &k->peers[i];

		if (!p->have_mac || !p->n)
			continue;
		if (p->use >= 0)
			use_tick(k, p, now);
		round_tick(k, p, now);
	}
}

static void soonest(int64_t *best, uint64_t at, uint64_t now)
{
	int64_t d = at > now ? (int64_t)(at - now) : 0;

	if (*best < 0 || d < *best)
		*best = d;
}

int checks_next_ms(const struct checks *k, uint64_t now)
{
	int64_t best = -1;

	for (int i = 0; i < k->n; i++) {
		const struct check_peer *p = &k->peers[i];
		int upto = p->use < 0 ? p->n : p->use;

		if (!p->have_mac || !p->n)
			continue;
		if (p->use >= 0) {
			/* "sending" may start at any time: look again soon,
			 * but never spin on a due time already past */
			uint64_t at = p->c[p->use].sent_ms + CHECK_ACTIVE_MS;

			if (at < now + CHECK_POLL_MS)
				at = now + CHECK_POLL_MS;
			soonest(&best, at, now);
			if (p->c[p->use].unanswered_ms)
				soonest(&best, p->c[p->use].unanswered_ms +
					CHECK_DEAD_MS, now);
		}
		if (!upto)
			continue;
		soonest(&best, p->round_end_ms ? p->round_end_ms :
			p->next_round_ms, now);
		for (int j = 0; p->round_end_ms && j < upto; j++)
			soonest(&best, p->c[j].next_ms, now);
	}
	return best < 0 ? -1 : (int)(best > 60000 ? 60000 : best);
}
