// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include "base/addr.h"
#include "turn.h"

#define PEER_REFRESH_MS (240 * 1000ull)	/* well inside 300 s */
#define RETRY_MS (5 * 1000ull)		/* after a failed request */
#define REALLOC_MS 200ull		/* after losing the allocation: at once,
					 * but never a tight loop */
#define RELEASE_WAIT_MS (2 * 1000ull)	/* for a release (437 to Allocate) */
#define ALIVE_FRESH_MS 2000	/* an answer this recent: the relay's session
				 * is the one we know, no probe needed */
#define AUTH_BACKOFF_MAX_MS (60 * 1000u)

const char *turn_state_str(enum turn_state s)
{
	static const char *const n[] = { "idle", "allocating", "allocated",
					 "failed", "closed" };

	return s <= TURN_CLOSED ? n[s] : "?";
}

static void set_state(struct turn_client *c, enum turn_state s)
{
	c->state = s;
	if (c->on_state)
		c->on_state(c->ctx, c);
}

/* Something show and the log should know changed, the state did not. */
static void notify(struct turn_client *c)
{
	if (c->on_state)
		c->on_state(c->ctx, c);
}

static void fail(struct turn_client *c, uint16_t code, const char *fmt,
		 const char *a, const char *b)
{
	c->error_code = code;
	snprintf(c->error, sizeof(c->error), fmt, a, b);
	set_state(c, TURN_FAILED);
}

void turn_init(struct turn_client *c, const struct wgt_ep *server,
	       const char *username, const char *password, turn_send_fn send,
	       void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->server = *server;
	snprintf(c->username, sizeof(c->username), "%s", username);
	snprintf(c->password, sizeof(c->password), "%s", password);
	snprintf(c->software, sizeof(c->software), "wgturn");
	c->send = send;
	c->ctx = ctx;
	c->next_channel = WGT_CHAN_MIN;
}

void turn_preset(struct turn_client *c, const struct wgt_ep *relayed,
		 const struct wgt_ep *mapped, const char *realm,
		 const char *nonce)
{
	c->relayed = *relayed;
	c->mapped = *mapped;
	snprintf(c->realm, sizeof(c->realm), "%s", realm);
	snprintf(c->nonce, sizeof(c->nonce), "%s", nonce);
	c->have_key = !stun_long_term_key(c->username, strlen(c->username),
					  c->realm, strlen(c->realm),
					  c->password, strlen(c->password),
					  c->key);
}

/* Build tx's request: attributes for its method, then credentials. */
static int build(struct turn_client *c, struct turn_tx *tx)
{
	struct stun_builder b;
	int ret;

	stun_txid_new(tx->txid);
	stun_begin(&b, tx->buf, sizeof(tx->buf),
		   stun_type(tx->method, STUN_REQUEST), tx->txid);
	stun_add_str(&b, STUN_A_SOFTWARE, c->software);
	switch (tx->method) {
	case STUN_ALLOCATE:
		stun_add_transport(&b, STUN_PROTO_UDP);
		/* Relay in the family of our peers: the server's. */
		if (c->server.family == WGT_AF_INET6)
			stun_add_family(&b, WGT_AF_INET6);
		break;
	case STUN_REFRESH:
		stun_add_lifetime(&b, tx->lifetime);
		break;
	case STUN_BINDING:
		/* no attributes and no credentials: anyone may ask */
		stun_add_fingerprint(&b);
		ret = stun_finish(&b);
		if (ret < 0)
			return ret;
		tx->len = ret;
		return 0;
	case STUN_CHANNEL_BIND:
		stun_add_channel(&b, c->peers[tx->peer].channel);
		/* fall through */
	case STUN_CREATE_PERMISSION:
		stun_add_addr(&b, STUN_A_XOR_PEER_ADDRESS, &c->peers[tx->peer].ep);
		break;
	}
	if (tx->probe) {
		stun_add_str(&b, STUN_A_USERNAME, c->next_username);
		stun_add_str(&b, STUN_A_REALM, c->realm);
		stun_add_str(&b, STUN_A_NONCE, c->nonce);
		stun_add_integrity(&b, c->next_key, sizeof(c->next_key),
				   STUN_MAC_SHA1);
	} else if (c->have_key) {
		stun_add_str(&b, STUN_A_USERNAME, c->username);
		stun_add_str(&b, STUN_A_REALM, c->realm);
		stun_add_str(&b, STUN_A_NONCE, c->nonce);
		stun_add_integrity(&b, c->key, sizeof(c->key), STUN_MAC_SHA1);
	}
	stun_add_fingerprint(&b);
	ret = stun_finish(&b);
	if (ret < 0)
		return ret;
	tx->len = ret;
	return 0;
}

/* A peer's channel state, and the generation that says it changed. */
static void chan_set(struct turn_client *c, struct turn_peer *p,
		     enum turn_bind b)
{
	if (p->chan != b) {
		p->chan = b;
		c->peers_gen++;
	}
}

static void tx_send(struct turn_client *c, struct turn_tx *tx, uint64_t now)
{
	if (tx->method == STUN_CHANNEL_BIND && tx->peer >= 0)
		c->peers[tx->peer].bind_sent_ms = now;
	c->send(c->ctx, tx->buf, tx->len);
	tx->sends++;
	tx->last_send_ms = now;
	if (tx->verdict_wait && !tx->verdict_ms) {
		/* the resend after a Binding's answer: the clock starts now,
		 * and one more copy halfway, so one lost datagram is not
		 * taken for a relay that forgot us */
		tx->verdict_ms = now + tx->verdict_wait;
		tx->rto_ms = tx->verdict_wait / 2;
	}
	/* After the last send, wait Rm RTOs for an answer. */
	tx->next_ms = now + (tx->sends < TURN_RC ? tx->rto_ms :
						   (uint64_t)TURN_RM * TURN_RTO_MS);
	tx->rto_ms *= 2;
	/* A relay known to be out of reach: ask at least every RETRY_MS, so
	 * that its return is noticed soon, not after a doubled RTO. */
	if (c->unreachable && tx->rto_ms > RETRY_MS)
		tx->rto_ms = RETRY_MS;
}

static struct turn_tx *tx_find_peer(struct turn_client *c, uint16_t method,
				    int peer)
{
	for (int i = 0; i < TURN_MAX_TX; i++)
		if (c->tx[i].active && c->tx[i].method == method &&
		    c->tx[i].peer == peer)
			return &c->tx[i];
	return NULL;
}

/* Start a request; one per (method, peer) at a time. One already in
 * flight runs its course: restarting it would drop its retransmission
 * schedule (and so its timeout) and the answer to its transaction id.
 * -EBUSY: every transaction slot is taken (a peer's request leaves the
 * last one to the allocation's own); try again when one frees. */
static int tx_start(struct turn_client *c, uint16_t method, int peer,
		    uint32_t lifetime, bool probe, uint64_t now);

/* Must an Allocate with the next credentials go first? See creds_stale. */
static bool probe_first(const struct turn_client *c, uint64_t now)
{
	uint64_t seen = c->alive_ms > c->last_ok_ms ? c->alive_ms :
						      c->last_ok_ms;

	return c->state == TURN_ALLOCATED && c->creds_pending &&
	       c->creds_stale && c->realm[0] && now >= seen + ALIVE_FRESH_MS;
}

/* The probe: 437 (or another refusal) says the allocation lives, and
 * the requests waiting go out with its own credentials; success says the
 * relay had lost it, and this is the new one. */
static void alive_probe(struct turn_client *c, uint64_t now)
{
	for (int i = 0; i < TURN_MAX_TX; i++)
		if (c->tx[i].active && c->tx[i].probe)
			return;
	if (stun_long_term_key(c->next_username, strlen(c->next_username),
			       c->realm, strlen(c->realm), c->next_password,
			       strlen(c->next_password), c->next_key))
		return;
	tx_start(c, STUN_ALLOCATE, -1, 0, true, now);
}

/* The allocation lives: the Refresh that waited goes out now with its
 * own credentials (the peers' requests are due at the next tick). */
static void probe_alive(struct turn_client *c, uint64_t now)
{
	c->alive_ms = now;
	if (c->state == TURN_ALLOCATED)
		tx_start(c, STUN_REFRESH, -1, TURN_CHAN_LIFETIME_S, false, now);
}

static int request(struct turn_client *c, uint16_t method, int peer,
		   uint32_t lifetime, uint64_t now)
{
	/* Anything authenticated but a release waits for the probe. */
	if (method != STUN_BINDING && !(method == STUN_REFRESH && !lifetime) &&
	    probe_first(c, now)) {
		alive_probe(c, now);
		return peer >= 0 ? -EBUSY : 0;
	}
	return tx_start(c, method, peer, lifetime, false, now);
}

static int tx_start(struct turn_client *c, uint16_t method, int peer,
		    uint32_t lifetime, bool probe, uint64_t now)
{
	struct turn_tx *tx = NULL;
	int free = 0;

	if (!probe && tx_find_peer(c, method, peer))
		return 0;
	for (int i = 0; i < TURN_MAX_TX; i++)
		if (!c->tx[i].active && free++ == 0)
			tx = &c->tx[i];
	if (!tx || (peer >= 0 && free < 2))
		return -EBUSY;
	memset(tx, 0, offsetof(struct turn_tx, buf));
	tx->active = true;
	tx->method = method;
	tx->peer = peer;
	tx->lifetime = lifetime;
	tx->probe = probe;
	tx->authed = (c->have_key || probe) && method != STUN_BINDING;
	tx->start_ms = now;
	tx->rto_ms = TURN_RTO_MS;
	if (build(c, tx)) {
		tx->active = false;
		return -1;
	}
	tx_send(c, tx, now);
	return 0;
}

static void bind_peer(struct turn_client *c, int i, uint64_t now)
{
	struct turn_peer *p = &c->peers[i];

	if (p->perm != TB_OK)
		p->perm = TB_PENDING;
	if (p->chan != TB_OK)
		chan_set(c, p, TB_PENDING);
	/* no free slot: due now, started by a tick once one frees */
	p->perm_refresh_ms = request(c, STUN_CREATE_PERMISSION, i, 0, now) ==
			     -EBUSY ? now : now + RETRY_MS;
	p->chan_refresh_ms = request(c, STUN_CHANNEL_BIND, i, 0, now) ==
			     -EBUSY ? now : now + RETRY_MS;
}

/* Is there a slot a peer's request may take (not the last one)? */
static bool tx_slot_free(const struct turn_client *c)
{
	int free = 0;

	for (int i = 0; i < TURN_MAX_TX; i++)
		free += !c->tx[i].active;
	return free >= 2;
}

static void reset_peers(struct turn_client *c)
{
	for (int i = 0; i < c->n_peers; i++) {
		struct turn_peer *p = &c->peers[i];

		if (p->chan == TB_OK && c->on_chan)
			c->on_chan(c->ctx, p, false);
		p->perm = TB_NONE;
		chan_set(c, p, TB_NONE);
	}
	for (int i = 0; i < TURN_MAX_TX; i++)
		c->tx[i].active = false;
}

/* Pending credentials replace the current ones; the key follows. */
static void take_credentials(struct turn_client *c)
{
	memcpy(c->username, c->next_username, sizeof(c->username));
	memcpy(c->password, c->next_password, sizeof(c->password));
	c->creds_pending = false;
	if (c->realm[0])
		c->have_key = !stun_long_term_key(c->username,
				strlen(c->username), c->realm, strlen(c->realm),
				c->password, strlen(c->password), c->key);
}

void turn_set_credentials(struct turn_client *c, const char *username,
			  const char *password, uint64_t now)
{
	snprintf(c->next_username, sizeof(c->next_username), "%s", username);
	snprintf(c->next_password, sizeof(c->next_password), "%s", password);
	c->creds_pending = strcmp(username, c->username) ||
			   strcmp(password, c->password);
	/* Refused before (no retry planned): these may be the fix. */
	if (c->creds_pending && c->state == TURN_FAILED && !c->retry_ms)
		c->retry_ms = now;
}

int turn_start(struct turn_client *c, uint64_t now)
{
	/* New credentials take effect with a new allocation only. */
	if (c->creds_pending && !(c->relayed.family && c->have_key))
		take_credentials(c);
	c->error[0] = 0;
	c->error_code = 0;
	/* A fresh start: nothing older stays in flight (such as the release
	 * after a 437, whose retransmissions would delete the new one). */
	for (int i = 0; i < TURN_MAX_TX; i++)
		c->tx[i].active = false;
	set_state(c, TURN_ALLOCATING);
	/* A known relayed address: a Refresh adopts that allocation. */
	if (c->relayed.family && c->have_key)
		return request(c, STUN_REFRESH, -1, TURN_CHAN_LIFETIME_S, now);
	return request(c, STUN_ALLOCATE, -1, 0, now);
}

static void reallocate(struct turn_client *c, uint64_t now, const char *why)
{
	reset_peers(c);
	memset(&c->relayed, 0, sizeof(c->relayed));
	fail(c, STUN_EC_ALLOCATION_MISMATCH, "allocation lost (%s)%s", why, "");
	c->retry_ms = now + REALLOC_MS;
}

static void allocated(struct turn_client *c, const struct stun_msg *m,
		      uint64_t now)
{
	char a[EP_STRLEN], srv[EP_STRLEN];

	if (stun_has(m, STUN_A_XOR_RELAYED_ADDRESS) &&
	    m->relayed.family != c->server.family) {
		/* WireGuard's peers are of the server's family: a relayed
		 * address of the other one would carry nothing. */
		ep_str(&m->relayed, a, sizeof(a));
		ep_str(&c->server, srv, sizeof(srv));
		reset_peers(c);
		memset(&c->relayed, 0, sizeof(c->relayed));
		fail(c, STUN_EC_ADDRESS_FAMILY,
		     "relay %s allocated %s, not of its own address family (it ignores REQUESTED-ADDRESS-FAMILY)",
		     srv, a);
		request(c, STUN_REFRESH, -1, 0, now);	/* release it */
		c->retry_ms = now + AUTH_BACKOFF_MAX_MS;
		return;
	}
	if (c->unreachable) {
		c->unreachable = false;
		c->error[0] = 0;
		notify(c);
	}
	if (stun_has(m, STUN_A_XOR_RELAYED_ADDRESS))
		c->relayed = m->relayed;
	if (stun_has(m, STUN_A_XOR_MAPPED_ADDRESS))
		c->mapped = m->xor_mapped;
	c->lifetime = stun_has(m, STUN_A_LIFETIME) ? m->lifetime : 600;
	c->expires_ms = now + c->lifetime * 1000ull;
	/* Refresh a minute early, or halfway for short lifetimes. */
	c->refresh_ms = now + (c->lifetime > 120 ? c->lifetime - 60 :
						   c->lifetime / 2) * 1000ull;
	if (c->keepalive_ms > TURN_KEEPALIVE_SLACK_MS &&
	    now + c->keepalive_ms - TURN_KEEPALIVE_SLACK_MS < c->refresh_ms)
		c->refresh_ms = now + c->keepalive_ms - TURN_KEEPALIVE_SLACK_MS;
	if (c->state != TURN_ALLOCATED) {
		c->allocations++;
		c->error[0] = 0;	/* what led here is over */
		c->error_code = 0;
		set_state(c, TURN_ALLOCATED);
		for (int i = 0; i < c->n_peers; i++)
			if (c->peers[i].wanted)
				bind_peer(c, i, now);
	}
}

static uint64_t peer_refresh_ms(const struct turn_peer *p)
{
	return p->refresh_every_ms ? p->refresh_every_ms : PEER_REFRESH_MS;
}

/* The probe was allocated: the relay had lost the allocation (it
 * restarted). The new one is it, made with the next credentials. */
static void probe_allocated(struct turn_client *c, const struct stun_msg *m,
			    uint64_t now)
{
	take_credentials(c);
	reset_peers(c);
	set_state(c, TURN_ALLOCATING);
	allocated(c, m, now);
}

static void on_success(struct turn_client *c, struct turn_tx *tx,
		       const struct stun_msg *m, uint64_t now)
{
	struct turn_peer *p = tx->peer >= 0 ? &c->peers[tx->peer] : NULL;

	if (tx->probe) {
		probe_allocated(c, m, now);
		return;
	}
	switch (tx->method) {
	case STUN_BINDING: {
		struct turn_tx *r = tx_find_peer(c, STUN_REFRESH, -1);

		c->binding_ok_ms = now;
		/* The relay answers: ask for the allocation again now, and
		 * expect that answer within TURN_SILENT_WAIT_MS, or four of
		 * the Binding's round trips on a slow path. */
		if (r && r->lifetime && r->sends < TURN_RC - 1 &&
		    !r->verdict_wait) {
			uint64_t rtt = now - tx->start_ms;

			r->next_ms = now + 1;
			r->verdict_wait = 4 * rtt > TURN_SILENT_WAIT_MS ?
				(uint32_t)(4 * rtt) : TURN_SILENT_WAIT_MS;
		}
		break;
	}
	case STUN_ALLOCATE:
		allocated(c, m, now);
		break;
	case STUN_REFRESH:
		if (tx->lifetime == 0) {
			/* turn_shutdown()'s; not the release after a 437 to
			 * Allocate, which leaves the retry to allocate. */
			if (c->state == TURN_ALLOCATED)
				set_state(c, TURN_CLOSED);
			break;
		}
		allocated(c, m, now);
		break;
	case STUN_CREATE_PERMISSION:
		p->perm = TB_OK;
		p->perm_refresh_ms = now + peer_refresh_ms(p);
		break;
	case STUN_CHANNEL_BIND:
		p->chan_refresh_ms = now + peer_refresh_ms(p);
		p->bound_ms = now;
		if (p->chan != TB_OK) {
			chan_set(c, p, TB_OK);
			if (c->on_chan)
				c->on_chan(c->ctx, p, true);
		}
		break;
	}
}

/* Take REALM and NONCE from a 401/438 and derive the long-term key. */
static void take_nonce(struct turn_client *c, const struct stun_msg *m)
{
	if (m->realm.len)
		snprintf(c->realm, sizeof(c->realm), "%.*s", (int)m->realm.len,
			 (const char *)m->realm.p);
	snprintf(c->nonce, sizeof(c->nonce), "%.*s", (int)m->nonce.len,
		 (const char *)m->nonce.p);
	c->have_key = !stun_long_term_key(c->username, strlen(c->username),
					  c->realm, strlen(c->realm),
					  c->password, strlen(c->password),
					  c->key);
}

static uint32_t auth_backoff(struct turn_client *c)
{
	c->auth_backoff_ms = !c->auth_backoff_ms ? (uint32_t)RETRY_MS :
		c->auth_backoff_ms * 2 > AUTH_BACKOFF_MAX_MS ?
		AUTH_BACKOFF_MAX_MS : c->auth_backoff_ms * 2;
	return c->auth_backoff_ms;
}

/* 401 (or 441) to credentials: final the first time, when they never
 * worked; after they have, a relay's hiccup (or a forgery that outlived
 * its hint window) is retried with backoff and nothing is torn down. */
static void refused(struct turn_client *c, const struct turn_tx *old,
		    uint16_t code, const char *text, uint64_t now)
{
	uint64_t again;

	if (!c->creds_worked) {
		c->have_key = false;
		reset_peers(c);
		fail(c, code, "relay refused the credentials: %s%s", text, "");
		c->retry_ms = 0; /* retrying cannot help */
		return;
	}
	/* Refused the credentials the allocation was made with while newer
	 * ones wait: a restarted coturn checks a REST username's expiry
	 * before it finds no allocation. Take the new ones and Refresh now:
	 * a 437 then says the allocation is gone, and it is made anew. */
	if (c->creds_pending && c->state == TURN_ALLOCATED) {
		take_credentials(c);
		if (!tx_find_peer(c, STUN_REFRESH, -1))
			request(c, STUN_REFRESH, -1, TURN_CHAN_LIFETIME_S, now);
	}
	again = now + auth_backoff(c);
	snprintf(c->error, sizeof(c->error),
		 "relay refused credentials that worked before (%s); retrying",
		 text);
	c->error_code = code;
	switch (old->method) {
	case STUN_REFRESH:
		if (c->state == TURN_ALLOCATED) {
			c->refresh_ms = again;
			notify(c);
			return;
		}
		break;
	case STUN_CREATE_PERMISSION:
		c->peers[old->peer].perm_refresh_ms = again;
		return;
	case STUN_CHANNEL_BIND:
		c->peers[old->peer].chan_refresh_ms = again;
		return;
	}
	char why[sizeof(c->error)];

	snprintf(why, sizeof(why), "%s", c->error);
	reset_peers(c);
	fail(c, code, "%s%s", why, "");
	c->retry_ms = again;
}

/* An error answer to tx; m is NULL for a hint acted on later (its NONCE
 * and REALM are not used then). */
static void on_error(struct turn_client *c, struct turn_tx *tx, uint16_t code,
		     const char *text, const struct stun_msg *m, uint64_t now)
{
	struct turn_tx old = *tx;

	tx->active = false;
	if (old.probe) {
		/* a new session's nonce: ask again */
		if (m && (code == STUN_EC_UNAUTHORIZED ||
			  code == STUN_EC_STALE_NONCE) &&
		    stun_has(m, STUN_A_NONCE) && old.auth_retries < 3) {
			take_nonce(c, m);
			alive_probe(c, now);
			for (int i = 0; i < TURN_MAX_TX; i++)
				if (c->tx[i].active && c->tx[i].probe)
					c->tx[i].auth_retries = old.auth_retries + 1;
			return;
		}
		probe_alive(c, now);	/* refused: the allocation lives */
		return;
	}

	/* 401 without our credentials, or 438: new nonce, same request.
	 * 401 to credentials we sent: they are wrong (RFC 8489 9.2.5). */
	if (m && ((code == STUN_EC_UNAUTHORIZED && !old.authed) ||
		  code == STUN_EC_STALE_NONCE) &&
	    stun_has(m, STUN_A_NONCE) && old.auth_retries < 3) {
		take_nonce(c, m);
		if (!request(c, old.method, old.peer, old.lifetime, now)) {
			struct turn_tx *n = tx_find_peer(c, old.method, old.peer);

			if (n)
				n->auth_retries = old.auth_retries + 1;
		}
		return;
	}
	if (code == STUN_EC_UNAUTHORIZED || code == STUN_EC_WRONG_CREDENTIALS) {
		if (m && stun_has(m, STUN_A_NONCE))
			take_nonce(c, m);
		refused(c, &old, code, text, now);
		return;
	}
	if (code == STUN_EC_ALLOCATION_MISMATCH) {
		if (old.method == STUN_ALLOCATE) {
			/* An allocation of this 5-tuple we know nothing
			 * about: release it, then allocate anew. */
			request(c, STUN_REFRESH, -1, 0, now);
			fail(c, code, "relay holds an older allocation (%s); releasing it%s",
			     text, "");
			c->retry_ms = now + RELEASE_WAIT_MS;
			return;
		}
		if (!(old.method == STUN_REFRESH && old.lifetime == 0)) {
			reallocate(c, now, text);
			return;
		}
	}
	switch (old.method) {
	case STUN_BINDING:
		return;		/* only evidence; an error proves nothing */
	case STUN_REFRESH:
		if (old.lifetime == 0) {
			if (c->state == TURN_CLOSED || c->state == TURN_ALLOCATED)
				set_state(c, TURN_CLOSED);
			return;
		}
		/* fall through */
	case STUN_ALLOCATE:
		reset_peers(c);
		fail(c, code, "%s: %s", old.method == STUN_ALLOCATE ?
					"Allocate refused" : "Refresh refused",
		     text);
		c->retry_ms = now + RETRY_MS;
		return;
	case STUN_CREATE_PERMISSION:
		c->peers[old.peer].perm = TB_FAILED;
		c->peers[old.peer].perm_refresh_ms = now + RETRY_MS;
		return;
	case STUN_CHANNEL_BIND:
		chan_set(c, &c->peers[old.peer], TB_FAILED);
		c->peers[old.peer].chan_refresh_ms = now + RETRY_MS;
		return;
	}
}

static struct turn_tx *tx_match(struct turn_client *c,
				const struct stun_msg *m)
{
	for (int i = 0; i < TURN_MAX_TX; i++)
		if (c->tx[i].active &&
		    !memcmp(c->tx[i].txid, m->txid, STUN_TXID_LEN) &&
		    stun_method(m->type) == c->tx[i].method)
			return &c->tx[i];
	return NULL;
}

void turn_input(struct turn_client *c, const uint8_t *buf, size_t len,
		uint64_t now)
{
	enum stun_class cls;
	struct turn_tx *tx;
	struct stun_msg m;
	bool authentic;
	uint16_t code;
	char text[200];

	if (stun_parse(&m, buf, len))
		return;
	cls = stun_class(m.type);
	if (cls != STUN_SUCCESS && cls != STUN_ERROR)
		return;
	tx = tx_match(c, &m);
	if (!tx)
		return;
	c->answers++;
	c->answered_ms = now;
	/* Answers to authenticated requests must be authentic (RFC 8489
	 * 9.2.5): integrity, SHA-1 or SHA-256, that is there must check, and
	 * a success must have it. Errors may lack it: the 401/438 that ask
	 * for new credentials do. */
	if ((c->have_key || tx->probe) && (m.mi_off || m.mi256_off) &&
	    stun_verify_integrity(&m, tx->probe ? c->next_key : c->key,
				  STUN_MD5_LEN))
		return;
	authentic = m.mi_off || m.mi256_off;
	if (tx->authed && cls == STUN_SUCCESS && !authentic)
		return;
	if (cls == STUN_SUCCESS) {
		tx->active = false;
		if (tx->hint_code)
			c->hints_ignored++;	/* the authentic answer won */
		if (tx->authed) {
			c->creds_worked = true;
			c->auth_backoff_ms = 0;
			c->last_ok_ms = now;
			if (c->error_code == STUN_EC_UNAUTHORIZED ||
			    c->error_code == STUN_EC_WRONG_CREDENTIALS) {
				c->error_code = 0;	/* they work again */
				c->error[0] = 0;
			}
		}
		on_success(c, tx, &m, now);
		return;
	}
	code = stun_has(&m, STUN_A_ERROR_CODE) ? m.error_code : 0;
	snprintf(text, sizeof(text), "%u %.*s", code, (int)m.reason.len,
		 (const char *)m.reason.p);
	/* Unauthenticated, to a request with credentials: anyone who saw the
	 * transaction id could have sent it. Wait for an authentic answer
	 * (the retransmissions go on); act on it only if none comes. 438
	 * only makes us ask again with a new nonce: no harm to act. */
	if (tx->authed && !authentic && code != STUN_EC_STALE_NONCE) {
		if (!tx->hint_code) {
			tx->hint_code = code;
			tx->hint_ms = now + TURN_HINT_MS;
			snprintf(tx->hint_text, sizeof(tx->hint_text), "%s", text);
		}
		return;
	}
	if (tx->authed)
		c->last_ok_ms = now;
	on_error(c, tx, code, text, &m, now);
}

static void timeout(struct turn_client *c, struct turn_tx *tx, uint64_t now)
{
	char srv[EP_STRLEN];

	tx->active = false;
	if (tx->probe) {	/* no verdict: the requests go out as they are */
		probe_alive(c, now);
		return;
	}
	switch (tx->method) {
	case STUN_ALLOCATE:
		reset_peers(c);
		fail(c, 0, "no answer from relay %s after %s",
		     ep_str(&c->server, srv, sizeof(srv)),
		     "7 requests in 39.5 s");
		c->retry_ms = now + RETRY_MS;
		return;
	case STUN_BINDING:
		return;
	case STUN_REFRESH:
		if (tx->lifetime == 0) {
			if (c->state == TURN_ALLOCATED)
				set_state(c, TURN_CLOSED);
			return;
		}
		if (c->state != TURN_ALLOCATED || now >= c->expires_ms) {
			reallocate(c, now, "Refresh not answered");
			return;
		}
		/* Nothing answers at all: the relay (or the way to it) is
		 * down, and may come back while the allocation lives. Keep
		 * it, keep asking. */
		c->refresh_ms = now + RETRY_MS;
		if (!c->unreachable) {
			c->unreachable = true;
			snprintf(c->error, sizeof(c->error),
				 "no answer from relay %s; keeping the allocation (expires in %llu s)",
				 ep_str(&c->server, srv, sizeof(srv)),
				 (unsigned long long)(c->expires_ms - now) / 1000);
			notify(c);
		}
		return;
	case STUN_CREATE_PERMISSION:
		c->peers[tx->peer].perm = TB_FAILED;
		c->peers[tx->peer].perm_refresh_ms = now;
		return;
	case STUN_CHANNEL_BIND:
		chan_set(c, &c->peers[tx->peer], TB_FAILED);
		c->peers[tx->peer].chan_refresh_ms = now;
		return;
	}
}

/* A Refresh unanswered for a while: is the relay there at all? A Binding
 * needs no allocation (turn_probe sends one with its Refresh; a Refresh
 * sent a second time gets one too). Once one is answered, the Refresh
 * goes again at once, twice within the wait (turn_input, tx_send); if
 * those, sent to a relay known to answer, get nothing by verdict_ms
 * (TURN_SILENT_WAIT_MS, longer on a slow path), the relay has forgotten
 * us. A Refresh lost in an outage proves nothing: only one sent after
 * the Binding's answer counts. */
static uint64_t silence_deadline(const struct turn_client *c,
				 const struct turn_tx *tx)
{
	if (tx->method != STUN_REFRESH || !tx->lifetime ||
	    c->state != TURN_ALLOCATED)
		return 0;
	return tx->verdict_ms;
}

static void refresh_silence(struct turn_client *c, struct turn_tx *tx,
			    uint64_t now)
{
	uint64_t deadline;

	if (tx->method != STUN_REFRESH || !tx->lifetime ||
	    c->state != TURN_ALLOCATED)
		return;
	if (tx->sends >= 2 && !tx_find_peer(c, STUN_BINDING, -1) &&
	    c->binding_ok_ms < tx->start_ms)
		request(c, STUN_BINDING, -1, 0, now);
	deadline = silence_deadline(c, tx);
	if (deadline && now >= deadline)
		reallocate(c, now, "the relay answers Binding but not Refresh");
}

void turn_tick(struct turn_client *c, uint64_t now)
{
	for (int i = 0; i < TURN_MAX_TX; i++) {
		struct turn_tx *tx = &c->tx[i];

		if (tx->active && tx->hint_code && now >= tx->hint_ms) {
			/* no authentic answer came: take the hint */
			char text[sizeof(tx->hint_text)];

			snprintf(text, sizeof(text), "%s", tx->hint_text);
			on_error(c, tx, tx->hint_code, text, NULL, now);
			continue;
		}
		if (tx->active)
			refresh_silence(c, tx, now);
		if (!tx->active || now < tx->next_ms)
			continue;
		if (tx->sends < TURN_RC)
			tx_send(c, tx, now);
		else
			timeout(c, tx, now);
	}
	if (c->state == TURN_FAILED && c->retry_ms && now >= c->retry_ms) {
		c->retry_ms = 0;
		turn_start(c, now);
		return;
	}
	if (c->state != TURN_ALLOCATED)
		return;
	if (now >= c->expires_ms) {
		reallocate(c, now, "it expired unrefreshed");
		return;
	}
	if (now >= c->refresh_ms) {
		c->refresh_ms = now + RETRY_MS; /* until the answer */
		request(c, STUN_REFRESH, -1, TURN_CHAN_LIFETIME_S, now);
	}
	for (int i = 0; i < c->n_peers; i++) {
		struct turn_peer *p = &c->peers[i];

		if (!p->wanted)
			continue;
		/* a request that finds no free slot stays due */
		if (now >= p->perm_refresh_ms &&
		    request(c, STUN_CREATE_PERMISSION, i, 0, now) != -EBUSY)
			p->perm_refresh_ms = now + RETRY_MS;
		if (now >= p->chan_refresh_ms &&
		    request(c, STUN_CHANNEL_BIND, i, 0, now) != -EBUSY)
			p->chan_refresh_ms = now + RETRY_MS;
	}
}

static void earliest(uint64_t *next, uint64_t t)
{
	if (t && t < *next)
		*next = t;
}

/* When turn_tick has something to do: every timer it checks, so that a
 * reallocation or a verdict on a silent relay is not late by a tick. */
int turn_next_ms(const struct turn_client *c, uint64_t now)
{
	uint64_t next = now + 1000;

	for (int i = 0; i < TURN_MAX_TX; i++) {
		const struct turn_tx *tx = &c->tx[i];

		if (!tx->active)
			continue;
		earliest(&next, tx->next_ms);
		if (tx->hint_code)
			earliest(&next, tx->hint_ms);
		earliest(&next, silence_deadline(c, tx));
	}
	if (c->state == TURN_FAILED)
		earliest(&next, c->retry_ms);
	if (c->state == TURN_ALLOCATED) {
		earliest(&next, c->expires_ms);
		earliest(&next, c->refresh_ms);
		/* peers due while every slot is busy wait for an answer (or
		 * a timeout) to free one: no waking up for them meanwhile */
		for (int i = 0; tx_slot_free(c) && i < c->n_peers; i++) {
			if (!c->peers[i].wanted)
				continue;
			earliest(&next, c->peers[i].perm_refresh_ms);
			earliest(&next, c->peers[i].chan_refresh_ms);
		}
	}
	return next > now ? (int)(next - now) : 0;
}

static int peer_find(const struct turn_client *c, const struct wgt_ep *ep)
{
	for (int i = 0; i < c->n_peers; i++)
		if (ep_eq(&c->peers[i].ep, ep))
			return i;
	return -1;
}

static bool channel_used(const struct turn_client *c, uint16_t ch)
{
	for (int i = 0; i < c->n_peers; i++)
		if (c->peers[i].channel == ch)
			return true;
	return false;
}

/* A slot given up on whose channel may serve another address: never
 * asked for, or last bound (or asked to be: the server may have
 * renewed it) long enough ago. -1 if none. */
static int peer_recycle(const struct turn_client *c, uint64_t now)
{
	for (int i = 0; i < c->n_peers; i++) {
		const struct turn_peer *p = &c->peers[i];
		uint64_t last = p->bound_ms > p->bind_sent_ms ? p->bound_ms :
								  p->bind_sent_ms;

		if (!p->wanted && (!last ||
		    now - last >= TURN_CHAN_QUARANTINE_S * 1000ull))
			return i;
	}
	return -1;
}

const struct turn_peer *turn_peer_want(struct turn_client *c,
				       const struct wgt_ep *ep,
				       uint16_t channel, uint64_t now)
{
	int i = peer_find(c, ep);
	uint16_t want_channel = channel;
	struct turn_peer *p;

	if (i < 0) {
		if (!channel || channel_used(c, channel)) {
			/* A channel stays with its peer (RFC 8656 12): a
			 * fresh one if any is left. */
			for (channel = 0; !channel && c->next_channel <= WGT_CHAN_MAX;
			     c->next_channel++)
				if (!channel_used(c, c->next_channel))
					channel = c->next_channel;
		}
		if (channel && c->n_peers < TURN_MAX_PEERS) {
			i = c->n_peers++;
		} else {
			i = peer_recycle(c, now);
			if (i < 0)
				return NULL;
			channel = c->peers[i].channel;
			/* answers about its old address must not land on ep */
			for (int t = 0; t < TURN_MAX_TX; t++)
				if (c->tx[t].active && c->tx[t].peer == i)
					c->tx[t].active = false;
		}
		p = &c->peers[i];
		memset(p, 0, sizeof(*p));
		p->ep = *ep;
		/* a predecessor's channel (state adoption) may be live */
		if (channel == want_channel)
			p->bound_ms = now;
		p->channel = channel;
		c->peers_gen++;
	}
	p = &c->peers[i];
	if (!p->wanted) {
		p->wanted = true;
		if (c->state == TURN_ALLOCATED)
			bind_peer(c, i, now);
	}
	return p;
}

void turn_peer_drop(struct turn_client *c, const struct wgt_ep *ep)
{
	int i = peer_find(c, ep);

	if (i < 0 || !c->peers[i].wanted)
		return;
	c->peers[i].wanted = false;
	/* Answers still to come would report a channel nobody wants. */
	for (int t = 0; t < TURN_MAX_TX; t++)
		if (c->tx[t].active && c->tx[t].peer == i)
			c->tx[t].active = false;
	if (c->peers[i].chan == TB_OK && c->on_chan)
		c->on_chan(c->ctx, &c->peers[i], false);
	c->peers[i].perm = TB_NONE;
	chan_set(c, &c->peers[i], TB_NONE);
}

void turn_restart(struct turn_client *c, uint64_t now, const char *why)
{
	reset_peers(c);
	memset(&c->relayed, 0, sizeof(c->relayed));
	turn_start(c, now);
	snprintf(c->error, sizeof(c->error), "allocating anew: %s", why);
}

uint64_t turn_unanswered_ms(const struct turn_client *c, uint64_t now)
{
	uint64_t oldest = 0;

	for (int i = 0; i < TURN_MAX_TX; i++) {
		const struct turn_tx *t = &c->tx[i];

		if (t->active && t->start_ms >= c->answered_ms &&
		    (!oldest || t->start_ms < oldest))
			oldest = t->start_ms;
	}
	return oldest && now > oldest ? now - oldest : 0;
}

void turn_move(struct turn_client *c, const struct wgt_ep *server,
	       const char *username, const char *password, uint64_t now,
	       const char *why)
{
	/* channels reported down while c->server is still the old one */
	reset_peers(c);
	memset(&c->relayed, 0, sizeof(c->relayed));
	memset(&c->mapped, 0, sizeof(c->mapped));
	c->server = *server;
	snprintf(c->username, sizeof(c->username), "%s", username);
	snprintf(c->password, sizeof(c->password), "%s", password);
	c->creds_pending = false;
	c->realm[0] = c->nonce[0] = 0;
	c->have_key = false;
	c->creds_worked = false;
	c->auth_backoff_ms = 0;
	c->unreachable = false;
	c->answered_ms = now;
	c->binding_ok_ms = c->last_ok_ms = 0;
	for (int i = 0; i < c->n_peers; i++)
		c->peers[i].refresh_every_ms = 0;	/* learnt from the old */
	turn_start(c, now);
	snprintf(c->error, sizeof(c->error), "moved to this relay: %s", why);
}

void turn_probe(struct turn_client *c, uint64_t now)
{
	if (c->state != TURN_ALLOCATED || now < c->probe_ms ||
	    tx_find_peer(c, STUN_REFRESH, -1))
		return;
	c->probe_ms = now + TURN_PROBE_MS;
	c->refresh_ms = now + RETRY_MS; /* until the answer */
	request(c, STUN_REFRESH, -1, TURN_CHAN_LIFETIME_S, now);
	/* and whether the relay answers at all (refresh_silence) */
	if (!tx_find_peer(c, STUN_BINDING, -1))
		request(c, STUN_BINDING, -1, 0, now);
}

void turn_peer_refresh(struct turn_client *c, const struct wgt_ep *ep,
		       uint64_t now)
{
	int i = peer_find(c, ep);
	struct turn_peer *p = i >= 0 ? &c->peers[i] : NULL;

	if (!p || !p->wanted || c->state != TURN_ALLOCATED || now < p->probe_ms)
		return;
	p->probe_ms = now + TURN_PROBE_MS;
	if (p->chan == TB_OK && now - p->bound_ms < peer_refresh_ms(p)) {
		p->forced_ms = now;
		p->forced_age_ms = now - p->bound_ms;
	}
	request(c, STUN_CREATE_PERMISSION, i, 0, now);
	request(c, STUN_CHANNEL_BIND, i, 0, now);
}

void turn_peer_alive(struct turn_client *c, const struct wgt_ep *ep,
		     uint64_t now)
{
	int i = peer_find(c, ep);
	struct turn_peer *p = i >= 0 ? &c->peers[i] : NULL;
	uint64_t half;

	if (!p || !p->forced_ms)
		return;
	if (now - p->forced_ms <= TURN_LEARN_MS) {
		half = p->forced_age_ms / 2;
		if (half < TURN_PEER_REFRESH_MIN_MS)
			half = TURN_PEER_REFRESH_MIN_MS;
		if (half < peer_refresh_ms(p)) {
			p->refresh_every_ms = (uint32_t)half;
			/* the bind just made lasts as short: renew in time */
			if (p->chan_refresh_ms > now + half)
				p->chan_refresh_ms = p->perm_refresh_ms = now + half;
		}
	}
	p->forced_ms = 0;
}

void turn_shutdown(struct turn_client *c, uint64_t now)
{
	if (c->state != TURN_ALLOCATED)
		return;
	for (int i = 0; i < TURN_MAX_TX; i++)
		c->tx[i].active = false;
	request(c, STUN_REFRESH, -1, 0, now);
}
