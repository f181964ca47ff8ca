// SPDX-License-Identifier: GPL-2.0
/*
 * TURN client state machine against a fake TURN server inside the test:
 * the server parses what the client sends with the codec, checks the
 * fingerprint and the long-term MESSAGE-INTEGRITY, and answers with
 * messages the codec builds. Time is virtual: the test moves the clock and
 * calls turn_tick() at the times turn_next_ms() asks for. No network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "base/addr.h"
#include "turn/stun.h"
#include "turn/turn.h"

#define MAXSENT 1024
#define SRV_MAX 512	/* permissions and channels the fake server keeps */
#define RESP_MAX 1500
#define SEC 1000ull

static const char USER[] = "alice";
static const char PASS[] = "s3cret";
static const char REALM[] = "relay.example";
static const char REASON_BAD_CRED[] = "Unauthorized (bad credentials)";

/* ------------------------------------------------------------------ */
/* The fake server and the client's surroundings                       */

struct sent_dgram {
	uint8_t buf[TURN_MSG_MAX];
	size_t len;
	uint64_t at;
};

struct srv_perm {
	struct wgt_ep ip;	/* port 0: permissions are per IP address */
	uint64_t expires;
};

struct srv_chan {
	uint16_t ch;
	struct wgt_ep peer;
	uint64_t expires;
};

struct chan_ev {
	uint16_t ch;
	bool up;
	struct wgt_ep ep;
};

struct fake {
	struct turn_client c;
	uint64_t now;

	/* Everything the client sent, in order. */
	struct sent_dgram sent[MAXSENT];
	int nsent;
	int handled;		/* how many the server has seen */

	/* Server. */
	bool manual;		/* pump() leaves the sent datagrams alone */
	int discarded;		/* sent after MAXSENT with discard set */
	bool discard;		/* count what is sent, keep none of it */
	bool drop;		/* the server sees requests but never answers */
	bool silent_refresh;	/* answers all but Refresh (Pion after a restart) */
	struct wgt_ep relayed_other;	/* set: allocate this one instead */
	uint32_t peer_life_s;		/* set: permissions and channels live
					 * this long, not RFC 8656's */
	bool lose[16];		/* by method: it acts, but the answer is lost */
	const char *user, *pass, *realm;
	char nonce[64];
	struct wgt_ep relayed4, relayed6, mapped;
	bool alloc;
	struct wgt_ep relayed;	/* of the allocation */
	uint64_t alloc_expires;
	struct srv_perm perms[SRV_MAX];
	int nperms;
	struct srv_chan chans[SRV_MAX];
	int nchans;
	int expired_allocs, expired_perms, expired_chans;
	uint16_t force_code[16];	/* by method: answer the next one so */
	const char *force_reason[16];
	int reqs[16];		/* requests seen, by method */

	/* Callbacks. */
	enum turn_state states[64];
	int nstates;
	struct chan_ev ev[SRV_MAX];
	int nev;
};

static struct wgt_ep EP(const char *s)
{
	struct wgt_ep e;
	char why[128];

	if (ep_parse(s, &e, why, sizeof(why)))
		fail_msg("bad endpoint %s: %s", s, why);
	return e;
}

static struct wgt_ep ip_only(struct wgt_ep e)
{
	e.port = 0;
	return e;
}

static int cb_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	struct sent_dgram *d;

	if (f->discard) {
		f->discarded++;
		return 0;
	}
	assert_true(f->nsent < MAXSENT);
	assert_true(len <= TURN_MSG_MAX);
	d = &f->sent[f->nsent++];
	memcpy(d->buf, buf, len);
	d->len = len;
	d->at = f->now;
	return 0;
}

static void cb_state(void *ctx, struct turn_client *c)
{
	struct fake *f = ctx;

	assert_ptr_equal(c, &f->c);
	assert_true(f->nstates < 64);
	f->states[f->nstates++] = c->state;
}

static void cb_chan(void *ctx, const struct turn_peer *p, bool up)
{
	struct fake *f = ctx;

	assert_true(f->nev < SRV_MAX);
	f->ev[f->nev].ch = p->channel;
	f->ev[f->nev].up = up;
	f->ev[f->nev].ep = p->ep;
	f->nev++;
}

/* The test's fake, freed by fake_free() after the test even when an
 * assertion ended it early. */
static struct fake *current;

static struct fake *fake_new(const char *server, const char *client_pass)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct wgt_ep srv = EP(server);

	assert_non_null(f);
	current = f;
	f->user = USER;
	f->pass = PASS;
	f->realm = REALM;
	snprintf(f->nonce, sizeof(f->nonce), "nonce-1");
	f->relayed4 = EP("203.0.113.10:49152");
	f->relayed6 = EP("[2001:db8::1]:49200");
	f->mapped = srv.family == WGT_AF_INET6 ? EP("[2001:db8:1::7]:40000") :
						 EP("198.51.100.7:40000");
	turn_init(&f->c, &srv, USER, client_pass, cb_send, f);
	f->c.on_state = cb_state;
	f->c.on_chan = cb_chan;
	return f;
}

static void srv_key(const struct fake *f, const char *pass,
		    uint8_t key[STUN_MD5_LEN])
{
	assert_int_equal(stun_long_term_key(f->user, strlen(f->user), f->realm,
					    strlen(f->realm), pass,
					    strlen(pass), key), 0);
}

static bool str_is(struct stun_str s, const char *want)
{
	return s.p && s.len == strlen(want) && !memcmp(s.p, want, s.len);
}

static void resp_begin(struct stun_builder *b, uint8_t *out,
		       const struct stun_msg *req, enum stun_class cls)
{
	assert_int_equal(stun_begin(b, out, RESP_MAX,
				    stun_type(stun_method(req->type), cls),
				    req->txid), 0);
	stun_add_str(b, STUN_A_SOFTWARE, "fake-turn");
}

static size_t resp_end(struct stun_builder *b, const uint8_t *key)
{
	int n;

	if (key)
		stun_add_integrity(b, key, STUN_MD5_LEN, STUN_MAC_SHA1);
	stun_add_fingerprint(b);
	n = stun_finish(b);
	assert_true(n > 0);
	return n;
}

/* An error; 401 and 438 carry REALM and NONCE and no integrity. */
static size_t srv_error(struct fake *f, const struct stun_msg *req,
			uint8_t *out, uint16_t code, const char *reason,
			const uint8_t *key)
{
	struct stun_builder b;

	resp_begin(&b, out, req, STUN_ERROR);
	stun_add_error(&b, code, reason);
	if (code == STUN_EC_UNAUTHORIZED || code == STUN_EC_STALE_NONCE) {
		stun_add_str(&b, STUN_A_REALM, f->realm);
		stun_add_str(&b, STUN_A_NONCE, f->nonce);
		key = NULL;
	}
	return resp_end(&b, key);
}

static void srv_clear(struct fake *f)
{
	f->alloc = false;
	f->nperms = 0;
	f->nchans = 0;
}

/* Expire what was not refreshed in time. */
static void srv_expire(struct fake *f)
{
	if (f->alloc && f->now >= f->alloc_expires) {
		f->expired_allocs++;
		srv_clear(f);
	}
	for (int i = 0; i < f->nperms; i++)
		if (f->now >= f->perms[i].expires) {
			f->expired_perms++;
			f->perms[i--] = f->perms[--f->nperms];
		}
	for (int i = 0; i < f->nchans; i++)
		if (f->now >= f->chans[i].expires) {
			f->expired_chans++;
			f->chans[i--] = f->chans[--f->nchans];
		}
}

static void srv_perm(struct fake *f, const struct wgt_ep *peer)
{
	struct wgt_ep ip = ip_only(*peer);
	int i;

	for (i = 0; i < f->nperms; i++)
		if (ep_eq(&f->perms[i].ip, &ip))
			break;
	if (i == f->nperms) {
		assert_true(f->nperms < SRV_MAX);
		f->nperms++;
	}
	f->perms[i].ip = ip;
	f->perms[i].expires = f->now + (f->peer_life_s ? f->peer_life_s :
					TURN_PERM_LIFETIME_S) * SEC;
}

/* The server's answer to one request, or 0 for none. */
static size_t srv_handle(struct fake *f, const uint8_t *buf, size_t len,
			 uint8_t *out)
{
	uint8_t key[STUN_MD5_LEN];
	struct stun_builder b;
	struct stun_msg m;
	uint16_t method;
	uint32_t lifetime;

	srv_expire(f);
	assert_int_equal(stun_parse(&m, buf, len), 0);
	assert_int_equal(stun_verify_fingerprint(&m), 0);
	assert_int_equal(stun_class(m.type), STUN_REQUEST);
	method = stun_method(m.type);
	assert_true(method < 16);
	f->reqs[method]++;
	if (f->drop || (f->silent_refresh && method == STUN_REFRESH))
		return 0;
	if (method == STUN_BINDING) {	/* no credentials needed */
		resp_begin(&b, out, &m, STUN_SUCCESS);
		stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &f->mapped);
		return resp_end(&b, NULL);
	}

	srv_key(f, f->pass, key);
	if (!m.mi_off)
		return srv_error(f, &m, out, STUN_EC_UNAUTHORIZED,
				 "Unauthorized", NULL);
	assert_true(stun_has(&m, STUN_A_USERNAME));
	assert_true(stun_has(&m, STUN_A_REALM));
	assert_true(stun_has(&m, STUN_A_NONCE));
	if (!str_is(m.username, f->user) || !str_is(m.realm, f->realm) ||
	    stun_verify_integrity(&m, key, sizeof(key)))
		return srv_error(f, &m, out, STUN_EC_UNAUTHORIZED,
				 REASON_BAD_CRED, NULL);
	if (!str_is(m.nonce, f->nonce))
		return srv_error(f, &m, out, STUN_EC_STALE_NONCE,
				 "Stale Nonce", NULL);
	if (f->force_code[method]) {
		uint16_t code = f->force_code[method];

		f->force_code[method] = 0;
		return srv_error(f, &m, out, code, f->force_reason[method],
				 key);
	}

	switch (method) {
	case STUN_ALLOCATE:
		assert_true(stun_has(&m, STUN_A_REQUESTED_TRANSPORT));
		assert_int_equal(m.transport, STUN_PROTO_UDP);
		if (f->alloc)
			return srv_error(f, &m, out,
					 STUN_EC_ALLOCATION_MISMATCH,
					 "Allocation Mismatch", key);
		f->alloc = true;
		f->relayed = stun_has(&m, STUN_A_REQUESTED_ADDRESS_FAMILY) &&
				     m.req_family == WGT_AF_INET6 ?
			     f->relayed6 : f->relayed4;
		if (f->relayed_other.family)
			f->relayed = f->relayed_other;
		f->alloc_expires = f->now + 600 * SEC;
		resp_begin(&b, out, &m, STUN_SUCCESS);
		stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &f->relayed);
		stun_add_lifetime(&b, 600);
		stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &f->mapped);
		return resp_end(&b, key);
	case STUN_REFRESH:
		if (!f->alloc)
			return srv_error(f, &m, out,
					 STUN_EC_ALLOCATION_MISMATCH,
					 "Allocation Mismatch", key);
		lifetime = stun_has(&m, STUN_A_LIFETIME) ? m.lifetime : 600;
		if (lifetime > 3600)
			lifetime = 3600;
		if (lifetime)
			f->alloc_expires = f->now + lifetime * SEC;
		else
			srv_clear(f);
		resp_begin(&b, out, &m, STUN_SUCCESS);
		stun_add_lifetime(&b, lifetime);
		return resp_end(&b, key);
	case STUN_CREATE_PERMISSION:
		if (!f->alloc)
			return srv_error(f, &m, out,
					 STUN_EC_ALLOCATION_MISMATCH,
					 "Allocation Mismatch", key);
		assert_true(m.npeers >= 1);
		for (int i = 0; i < m.npeers; i++)
			if (m.peers[i].family != f->relayed.family)
				return srv_error(f, &m, out,
						 STUN_EC_PEER_FAMILY_MISMATCH,
						 "Peer Address Family Mismatch",
						 key);
		for (int i = 0; i < m.npeers; i++)
			srv_perm(f, &m.peers[i]);
		resp_begin(&b, out, &m, STUN_SUCCESS);
		return resp_end(&b, key);
	case STUN_CHANNEL_BIND: {
		int i;

		if (!f->alloc)
			return srv_error(f, &m, out,
					 STUN_EC_ALLOCATION_MISMATCH,
					 "Allocation Mismatch", key);
		assert_true(stun_has(&m, STUN_A_CHANNEL_NUMBER));
		assert_int_equal(m.npeers, 1);
		assert_in_range(m.channel, 0x4000, 0x4FFF);
		if (m.peers[0].family != f->relayed.family)
			return srv_error(f, &m, out,
					 STUN_EC_PEER_FAMILY_MISMATCH,
					 "Peer Address Family Mismatch", key);
		/* A channel is bound to one peer and a peer to one channel
		 * for the allocation's life (RFC 8656 12). */
		for (i = 0; i < f->nchans; i++) {
			bool same_ch = f->chans[i].ch == m.channel;
			bool same_peer = ep_eq(&f->chans[i].peer, &m.peers[0]);

			if (same_ch != same_peer)
				return srv_error(f, &m, out,
						 STUN_EC_BAD_REQUEST,
						 "Bad Request", key);
			if (same_ch)
				break;
		}
		if (i == f->nchans) {
			assert_true(f->nchans < SRV_MAX);
			f->nchans++;
		}
		f->chans[i].ch = m.channel;
		f->chans[i].peer = m.peers[0];
		f->chans[i].expires = f->now + (f->peer_life_s ? f->peer_life_s :
						TURN_CHAN_LIFETIME_S) * SEC;
		srv_perm(f, &m.peers[0]);
		resp_begin(&b, out, &m, STUN_SUCCESS);
		return resp_end(&b, key);
	}
	}
	fail_msg("unexpected method %#x", method);
	return 0;
}

static uint16_t sent_method(struct fake *f, int i);

/* The server sees the next datagram and the client gets the answer. */
static void serve_one(struct fake *f)
{
	uint8_t out[RESP_MAX];
	size_t n;
	int i;

	assert_true(f->handled < f->nsent);
	i = f->handled++;
	n = srv_handle(f, f->sent[i].buf, f->sent[i].len, out);
	if (n && !f->lose[sent_method(f, i)])
		turn_input(&f->c, out, n, f->now);
}

/* Answer everything sent so far, and what those answers make it send. */
static void pump(struct fake *f)
{
	if (f->manual)
		return;
	while (f->handled < f->nsent)
		serve_one(f);
}

/* Move the clock to t, ticking whenever the client asks to be ticked.
 * "Now" (0) is allowed only while answers keep freeing transaction
 * slots for waiting peers, never as a spin. */
static void run_until(struct fake *f, uint64_t t)
{
	int spins = 0;

	while (f->now < t) {
		int step = turn_next_ms(&f->c, f->now);

		assert_in_range(step, 0, 1000);
		spins = step ? 0 : spins + 1;
		assert_true(spins < TURN_MAX_PEERS);
		f->now = f->now + step < t ? f->now + step : t;
		srv_expire(f);
		turn_tick(&f->c, f->now);
		pump(f);
	}
}

static void start(struct fake *f)
{
	assert_int_equal(turn_start(&f->c, f->now), 0);
	pump(f);
}

/* The i-th datagram the client sent, parsed, with a valid fingerprint. */
static void sent_msg(struct fake *f, int i, struct stun_msg *m)
{
	assert_in_range(i, 0, f->nsent - 1);
	assert_int_equal(stun_parse(m, f->sent[i].buf, f->sent[i].len), 0);
	assert_int_equal(stun_verify_fingerprint(m), 0);
	assert_int_equal(stun_class(m->type), STUN_REQUEST);
}

static uint16_t sent_method(struct fake *f, int i)
{
	struct stun_msg m;

	sent_msg(f, i, &m);
	return stun_method(m.type);
}

static int count_method(struct fake *f, int from, uint16_t method)
{
	int n = 0;

	for (int i = from; i < f->nsent; i++)
		n += sent_method(f, i) == method;
	return n;
}

/* Request i carries our long-term credentials with this nonce, and its
 * MESSAGE-INTEGRITY checks with MD5(user:realm:password), not with a
 * key from another password. */
static void assert_authed(struct fake *f, int i, const char *nonce)
{
	uint8_t key[STUN_MD5_LEN], bad[STUN_MD5_LEN];
	struct stun_msg m;

	sent_msg(f, i, &m);
	assert_true(str_is(m.username, USER));
	assert_true(str_is(m.realm, f->realm));
	assert_true(str_is(m.nonce, nonce));
	assert_true(m.mi_off != 0);
	assert_int_equal(m.mi256_off, 0);
	srv_key(f, PASS, key);
	srv_key(f, "not-the-password", bad);
	assert_int_equal(stun_verify_integrity(&m, key, sizeof(key)), 0);
	assert_int_equal(stun_verify_integrity(&m, bad, sizeof(bad)),
			 STUN_E_INTEGRITY);
}

static void assert_ep(const struct wgt_ep *got, const char *want)
{
	struct wgt_ep w = EP(want);
	char a[EP_STRLEN], b[EP_STRLEN];

	if (!ep_eq(got, &w))
		fail_msg("endpoint %s, want %s", ep_str(got, a, sizeof(a)),
			 ep_str(&w, b, sizeof(b)));
}

static void txid_of(struct fake *f, int i, uint8_t txid[STUN_TXID_LEN])
{
	memcpy(txid, f->sent[i].buf + 8, STUN_TXID_LEN);
}

static bool same_txid(struct fake *f, int i, int j)
{
	return !memcmp(f->sent[i].buf + 8, f->sent[j].buf + 8, STUN_TXID_LEN);
}

/* Allocate through the 401 exchange at the current time. */
static void allocate(struct fake *f)
{
	start(f);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void test_allocate(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct stun_msg m;

	(void)state;
	f->manual = true;
	assert_int_equal(f->c.state, TURN_IDLE);
	assert_int_equal(turn_start(&f->c, 0), 0);
	assert_int_equal(f->c.state, TURN_ALLOCATING);
	assert_int_equal(f->nstates, 1);
	assert_int_equal(f->states[0], TURN_ALLOCATING);

	/* First Allocate: no credentials at all. */
	assert_int_equal(f->nsent, 1);
	sent_msg(f, 0, &m);
	assert_int_equal(stun_method(m.type), STUN_ALLOCATE);
	assert_true(stun_has(&m, STUN_A_REQUESTED_TRANSPORT));
	assert_int_equal(m.transport, STUN_PROTO_UDP);
	assert_false(stun_has(&m, STUN_A_REQUESTED_ADDRESS_FAMILY));
	assert_false(stun_has(&m, STUN_A_USERNAME));
	assert_false(stun_has(&m, STUN_A_REALM));
	assert_false(stun_has(&m, STUN_A_NONCE));
	assert_int_equal(m.mi_off, 0);
	assert_int_equal(m.mi256_off, 0);
	assert_int_equal(turn_next_ms(&f->c, 0), 500);

	/* 401 with REALM and NONCE: the same request again, with them. */
	serve_one(f);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(f->c.state, TURN_ALLOCATING);
	assert_int_equal(f->nstates, 1);
	sent_msg(f, 1, &m);
	assert_int_equal(stun_method(m.type), STUN_ALLOCATE);
	assert_false(same_txid(f, 0, 1));
	assert_true(stun_has(&m, STUN_A_REQUESTED_TRANSPORT));
	assert_int_equal(m.transport, STUN_PROTO_UDP);
	assert_false(stun_has(&m, STUN_A_REQUESTED_ADDRESS_FAMILY));
	assert_authed(f, 1, "nonce-1");
	assert_int_equal(turn_next_ms(&f->c, 0), 500);

	/* Success: relayed and mapped addresses, lifetime 600. */
	serve_one(f);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->nstates, 2);
	assert_int_equal(f->states[1], TURN_ALLOCATED);
	assert_ep(&f->c.relayed, "203.0.113.10:49152");
	assert_ep(&f->c.mapped, "198.51.100.7:40000");
	assert_int_equal(f->c.lifetime, 600);
	assert_int_equal(f->c.expires_ms, 600 * SEC);
	assert_int_equal(f->c.refresh_ms, 540 * SEC);
	assert_int_equal(f->c.error[0], 0);
	assert_int_equal(f->nev, 0);
	/* Nothing in flight any more. */
	assert_int_equal(turn_next_ms(&f->c, 0), 1000);

	/* Quiet until the refresh. */
	f->manual = false;
	run_until(f, 539 * SEC);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
}

static void test_wrong_password(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", "wrong-password");

	(void)state;
	start(f);
	/* Unauthenticated Allocate -> 401, then the authenticated one -> 401:
	 * the credentials are wrong, and asking again cannot help. That 401
	 * is unauthenticated: taken after TURN_HINT_MS without an authentic
	 * answer (the retransmission at 500 ms got the same). */
	assert_int_equal(f->nsent, 2);
	assert_int_equal(f->c.state, TURN_ALLOCATING);
	run_until(f, TURN_HINT_MS);
	assert_int_equal(f->nsent, 3);
	assert_int_equal(f->reqs[STUN_ALLOCATE], 3);
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_int_equal(f->c.error_code, 401);
	assert_non_null(strstr(f->c.error, REASON_BAD_CRED));
	assert_int_equal(f->nstates, 2);
	assert_int_equal(f->states[1], TURN_FAILED);

	/* No endless retry: an hour later nothing more was sent. */
	run_until(f, 3600 * SEC);
	assert_int_equal(f->nsent, 3);
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_int_equal(f->nstates, 2);
}

/* Rotated credentials: the allocation keeps the ones it was made with
 * (a server ties it to them); the next allocation takes the new ones. */
static void test_credentials_rotated(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	uint8_t key[STUN_MD5_LEN];
	struct stun_msg m;
	int n, i;

	(void)state;
	allocate(f);
	turn_set_credentials(&f->c, USER, "rotated", f->now);
	assert_true(f->c.creds_pending);
	n = f->nsent;
	run_until(f, 540 * SEC);
	assert_int_equal(sent_method(f, n), STUN_REFRESH);
	assert_authed(f, n, "nonce-1");
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.allocations, 1);

	/* The relay restarts, knowing only the new password: it refuses the
	 * old ones (a restarted coturn checks a REST username's expiry
	 * before it finds no allocation). The new ones are taken at once,
	 * the 437 that follows says the allocation is gone, and it is made
	 * anew within 2 s (the unsigned 401 is a hint for TURN_HINT_MS
	 * first), not at its expiry. */
	srv_clear(f);
	f->pass = "rotated";
	n = f->nsent;
	run_until(f, 1082 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.allocations, 2);
	assert_false(f->c.creds_pending);
	assert_string_equal(f->c.password, "rotated");
	for (i = n; i < f->nsent && sent_method(f, i) != STUN_ALLOCATE; i++)
		;
	assert_true(i < f->nsent);
	sent_msg(f, i, &m);
	srv_key(f, "rotated", key);
	assert_int_equal(stun_verify_integrity(&m, key, sizeof(key)), 0);
}

/* A relay that answers nothing: how long it has been asked in vain;
 * then another relay takes over and the same peers are bound there. */
static void test_unanswered_then_move(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");
	struct wgt_ep other = EP("192.0.2.2:3478");
	uint16_t ch;

	(void)state;
	allocate(f);
	assert_non_null(turn_peer_want(&f->c, &a, 0, f->now));
	pump(f);
	assert_int_equal(f->nev, 1);
	ch = f->ev[0].ch;
	run_until(f, 10 * SEC);
	assert_int_equal(turn_unanswered_ms(&f->c, f->now), 0);

	f->drop = true;
	turn_probe(&f->c, f->now);
	run_until(f, 15 * SEC);
	assert_int_equal(turn_unanswered_ms(&f->c, f->now), 5 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);

	/* the other relay (the fake answers for any address) */
	f->drop = false;
	srv_clear(f);
	turn_move(&f->c, &other, USER, PASS, f->now, "failover");
	/* the channel went down under the old server */
	assert_int_equal(f->nev, 2);
	assert_false(f->ev[1].up);
	run_until(f, 16 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_true(ep_eq(&f->c.server, &other));
	assert_int_equal(f->c.allocations, 2);
	assert_int_equal(f->nev, 3);
	assert_true(f->ev[2].up);
	assert_int_equal(f->ev[2].ch, ch);
	assert_int_equal(turn_unanswered_ms(&f->c, f->now), 0);
}

/* The allocation's credentials expired, new ones wait: an Allocate with
 * the new ones asks first. A live allocation refuses it and keeps its
 * own credentials; a restarted relay sees the new ones first (coturn
 * binds a session to the first username it sees) and allocates. */
static void test_stale_credentials_probe(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	uint8_t key[STUN_MD5_LEN];
	struct stun_msg m;
	int n;

	(void)state;
	allocate(f);
	turn_set_credentials(&f->c, USER, "rotated", f->now);
	f->c.creds_stale = true;
	n = f->nsent;
	run_until(f, 540 * SEC + 1500);
	/* probe first (refused: the hint is taken after 1 s), then the
	 * Refresh with the allocation's own credentials */
	assert_int_equal(sent_method(f, n), STUN_ALLOCATE);
	sent_msg(f, n, &m);
	srv_key(f, "rotated", key);
	assert_int_equal(stun_verify_integrity(&m, key, sizeof(key)), 0);
	assert_int_equal(count_method(f, n, STUN_REFRESH), 1);
	for (int i = n; i < f->nsent; i++)
		if (sent_method(f, i) == STUN_REFRESH)
			assert_authed(f, i, "nonce-1");
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.allocations, 1);
	assert_string_equal(f->c.password, PASS);

	/* the relay restarts knowing the new password only: the first
	 * request it sees is the probe, and it allocates */
	srv_clear(f);
	f->pass = "rotated";
	n = f->nsent;
	run_until(f, 1082 * SEC);
	assert_int_equal(sent_method(f, n), STUN_ALLOCATE);
	sent_msg(f, n, &m);
	assert_int_equal(stun_verify_integrity(&m, key, sizeof(key)), 0);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.allocations, 2);
	assert_false(f->c.creds_pending);
	assert_string_equal(f->c.password, "rotated");
}

/* Refused credentials wait for new ones, then allocate at once. */
static void test_refused_then_new_credentials(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", "wrong-password");

	(void)state;
	start(f);
	run_until(f, TURN_HINT_MS);
	assert_int_equal(f->c.state, TURN_FAILED);
	run_until(f, 60 * SEC);
	assert_int_equal(f->c.state, TURN_FAILED);
	/* the same ones again: nothing to try */
	turn_set_credentials(&f->c, USER, "wrong-password", f->now);
	run_until(f, 61 * SEC);
	assert_int_equal(f->c.state, TURN_FAILED);
	turn_set_credentials(&f->c, USER, PASS, f->now);
	run_until(f, 62 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
}

static void test_stale_nonce(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep peer = EP("198.51.100.20:51820");
	uint8_t old_txid[STUN_TXID_LEN];
	struct stun_msg m;
	int n;

	(void)state;
	allocate(f);
	assert_int_equal(f->nsent, 2);

	/* The server rotates its nonce; the Refresh at 540 s carries the old
	 * one, gets 438 and goes again with the new one. */
	snprintf(f->nonce, sizeof(f->nonce), "nonce-2");
	f->manual = true;
	run_until(f, 540 * SEC);
	assert_int_equal(f->nsent, 3);
	assert_int_equal(sent_method(f, 2), STUN_REFRESH);
	assert_authed(f, 2, "nonce-1");
	txid_of(f, 2, old_txid);
	serve_one(f);		/* 438 */
	assert_int_equal(f->nsent, 4);
	sent_msg(f, 3, &m);
	assert_int_equal(stun_method(m.type), STUN_REFRESH);
	assert_true(stun_has(&m, STUN_A_LIFETIME));
	assert_int_equal(m.lifetime, 600);
	assert_authed(f, 3, "nonce-2");
	assert_memory_not_equal(m.txid, old_txid, STUN_TXID_LEN);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	serve_one(f);		/* success */
	assert_int_equal(f->nsent, 4);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.expires_ms, 1140 * SEC);
	assert_int_equal(f->c.refresh_ms, 1080 * SEC);
	assert_int_equal(f->nstates, 2);	/* allocating, allocated */

	/* Later requests use the new nonce directly: no 438 this time. */
	f->manual = false;
	n = f->nsent;
	assert_non_null(turn_peer_want(&f->c, &peer, 0, f->now));
	pump(f);
	assert_authed(f, n, "nonce-2");
	assert_authed(f, n + 1, "nonce-2");
	assert_int_equal(f->nsent, n + 2);
}

static void test_stale_nonce_peer_requests(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep peer = EP("198.51.100.20:51820");
	int n;

	(void)state;
	allocate(f);
	snprintf(f->nonce, sizeof(f->nonce), "nonce-2");
	n = f->nsent;
	assert_non_null(turn_peer_want(&f->c, &peer, 0, f->now));
	pump(f);
	/* CreatePermission and ChannelBind with nonce-1, both 438, both
	 * again with nonce-2 and fresh transaction ids, both succeed. */
	assert_int_equal(f->nsent, n + 4);
	assert_int_equal(sent_method(f, n), STUN_CREATE_PERMISSION);
	assert_int_equal(sent_method(f, n + 1), STUN_CHANNEL_BIND);
	assert_authed(f, n, "nonce-1");
	assert_authed(f, n + 1, "nonce-1");
	assert_authed(f, n + 2, "nonce-2");
	assert_authed(f, n + 3, "nonce-2");
	assert_int_equal(count_method(f, n + 2, STUN_CREATE_PERMISSION), 1);
	assert_int_equal(count_method(f, n + 2, STUN_CHANNEL_BIND), 1);
	for (int i = n; i < n + 2; i++)
		for (int j = n + 2; j < n + 4; j++)
			assert_false(same_txid(f, i, j));
	assert_int_equal(f->nev, 1);
	assert_true(f->ev[0].up);
	assert_int_equal(f->nchans, 1);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
}

static void test_retransmit_timeout(void **state)
{
	static const uint64_t want[TURN_RC] = { 0, 500, 1500, 3500, 7500,
						15500, 31500 };
	struct fake *f = fake_new("192.0.2.1:3478", PASS);

	(void)state;
	f->drop = true;
	start(f);
	run_until(f, 39499);
	assert_int_equal(f->nsent, TURN_RC);
	for (int i = 0; i < TURN_RC; i++) {
		assert_int_equal(f->sent[i].at, want[i]);
		assert_int_equal(sent_method(f, i), STUN_ALLOCATE);
		/* A retransmission is the same message, byte for byte. */
		assert_int_equal(f->sent[i].len, f->sent[0].len);
		assert_memory_equal(f->sent[i].buf, f->sent[0].buf,
				    f->sent[0].len);
	}
	assert_int_equal(f->c.state, TURN_ALLOCATING);
	assert_int_equal(turn_next_ms(&f->c, 39499), 1);

	/* Rm = 16 RTO = 8 s after the last send: the transaction failed. */
	run_until(f, 39500);
	assert_int_equal(f->nsent, TURN_RC);
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_non_null(strstr(f->c.error, "no answer"));
	assert_int_equal(f->nstates, 2);
	assert_int_equal(f->states[1], TURN_FAILED);

	/* And it tries again later (5 s), with a new transaction. */
	run_until(f, 44499);
	assert_int_equal(f->nsent, TURN_RC);
	run_until(f, 44500);
	assert_int_equal(f->nsent, TURN_RC + 1);
	assert_int_equal(f->sent[TURN_RC].at, 44500);
	assert_int_equal(sent_method(f, TURN_RC), STUN_ALLOCATE);
	assert_false(same_txid(f, 0, TURN_RC));
	assert_int_equal(f->c.state, TURN_ALLOCATING);
	assert_int_equal(f->c.error[0], 0);

	/* The server comes back: the retransmission at 45 s is answered. */
	f->drop = false;
	f->handled = f->nsent;
	run_until(f, 45000);
	assert_int_equal(f->sent[TURN_RC + 1].at, 45000);
	assert_true(same_txid(f, TURN_RC, TURN_RC + 1));
	assert_int_equal(f->c.state, TURN_ALLOCATED);
}

static void test_refresh(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct stun_msg m;

	(void)state;
	allocate(f);
	run_until(f, 540 * SEC - 1);
	assert_int_equal(f->nsent, 2);
	run_until(f, 540 * SEC);
	assert_int_equal(f->nsent, 3);
	sent_msg(f, 2, &m);
	assert_int_equal(stun_method(m.type), STUN_REFRESH);
	assert_int_equal(f->sent[2].at, 540 * SEC);
	assert_true(stun_has(&m, STUN_A_LIFETIME));
	assert_int_equal(m.lifetime, 600);
	assert_authed(f, 2, "nonce-1");
	/* Answered: the allocation lives another 600 s. */
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.expires_ms, 1140 * SEC);
	assert_int_equal(f->c.refresh_ms, 1080 * SEC);
	assert_ep(&f->c.relayed, "203.0.113.10:49152");
	assert_int_equal(f->alloc_expires, 1140 * SEC);

	/* Every 540 s from then on; the server never lets it expire. */
	run_until(f, 3 * 3600 * SEC);
	assert_int_equal(f->nsent, 2 + 3 * 3600 / 540);
	for (int i = 3; i < f->nsent; i++) {
		assert_int_equal(sent_method(f, i), STUN_REFRESH);
		assert_int_equal(f->sent[i].at, (i - 1) * 540 * SEC);
	}
	assert_int_equal(f->expired_allocs, 0);
	assert_true(f->alloc);
	assert_int_equal(f->nstates, 2);
}

static void test_refresh_437_reallocates(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");
	struct wgt_ep b = EP("198.51.100.21:51820");
	int n;

	(void)state;
	allocate(f);
	run_until(f, 1 * SEC);
	assert_non_null(turn_peer_want(&f->c, &a, 0, f->now));
	assert_non_null(turn_peer_want(&f->c, &b, 0, f->now));
	pump(f);
	assert_int_equal(f->nev, 2);

	/* The server restarts and forgets us just before the refresh. */
	run_until(f, 539 * SEC);
	srv_clear(f);
	n = f->nsent;
	run_until(f, 540 * SEC);
	assert_int_equal(f->nsent, n + 1);
	assert_int_equal(sent_method(f, n), STUN_REFRESH);
	/* 437: the channels are down and the allocation is gone. */
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_int_equal(f->c.error_code, 437);
	assert_non_null(strstr(f->c.error, "allocation lost"));
	assert_int_equal(f->c.relayed.family, 0);
	assert_int_equal(f->nev, 4);
	for (int i = 2; i < 4; i++)
		assert_false(f->ev[i].up);
	assert_true(ep_eq(&f->ev[2].ep, &a) || ep_eq(&f->ev[3].ep, &a));
	assert_true(ep_eq(&f->ev[2].ep, &b) || ep_eq(&f->ev[3].ep, &b));

	/* Allocate again 200 ms later (credentials still good), then the
	 * same channels are bound again and reported up. */
	run_until(f, 540 * SEC + 199);
	assert_int_equal(f->nsent, n + 1);
	run_until(f, 540 * SEC + 200);
	assert_int_equal(sent_method(f, n + 1), STUN_ALLOCATE);
	assert_int_equal(f->sent[n + 1].at, 540 * SEC + 200);
	assert_authed(f, n + 1, "nonce-1");
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_ep(&f->c.relayed, "203.0.113.10:49152");
	assert_int_equal(count_method(f, n + 2, STUN_CREATE_PERMISSION), 2);
	assert_int_equal(count_method(f, n + 2, STUN_CHANNEL_BIND), 2);
	assert_int_equal(f->nev, 6);
	for (int i = 4; i < 6; i++) {
		assert_true(f->ev[i].up);
		for (int j = 0; j < 2; j++)
			if (ep_eq(&f->ev[i].ep, &f->ev[j].ep))
				assert_int_equal(f->ev[i].ch, f->ev[j].ch);
	}
	assert_int_equal(f->nchans, 2);
	/* allocating, allocated, failed, allocating, allocated */
	assert_int_equal(f->nstates, 5);
	assert_int_equal(f->states[2], TURN_FAILED);
	assert_int_equal(f->states[3], TURN_ALLOCATING);
	assert_int_equal(f->states[4], TURN_ALLOCATED);
}

/* A 437 to a ChannelBind means the allocation is gone too. */
static void test_chanbind_437_reallocates(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");

	(void)state;
	allocate(f);
	assert_non_null(turn_peer_want(&f->c, &a, 0, f->now));
	pump(f);
	assert_int_equal(f->nev, 1);
	run_until(f, 200 * SEC);
	srv_clear(f);
	run_until(f, 240 * SEC);	/* peer refresh: 437 */
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_int_equal(f->c.error_code, 437);
	assert_int_equal(f->nev, 2);
	assert_false(f->ev[1].up);
	run_until(f, 242 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->nev, 3);
	assert_true(f->ev[2].up);
	assert_int_equal(f->ev[2].ch, f->ev[0].ch);
}

/* An unanswered Refresh runs its full retransmission schedule, then the
 * allocation is taken for lost and made again. */
/* Nothing answers (the relay or the way to it is down): the Refresh runs
 * its course, a Binding asks whether anyone is there; the allocation is
 * kept and asked for again until it expires, and taken up again as soon
 * as the relay answers: no reallocation, same relayed address. */
static void test_refresh_unanswered(void **state)
{
	static const uint64_t want[TURN_RC] = { 0, 500, 1500, 3500, 7500,
						15500, 31500 };
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	int n, k = 0;

	(void)state;
	allocate(f);
	run_until(f, 539 * SEC);
	n = f->nsent;
	f->drop = true;
	run_until(f, 540 * SEC + 39499);
	for (int i = n; i < f->nsent; i++) {
		if (sent_method(f, i) != STUN_REFRESH)
			continue;
		assert_int_equal(f->sent[i].at, 540 * SEC + want[k]);
		assert_true(same_txid(f, n, i));
		k++;
	}
	assert_int_equal(k, TURN_RC);
	assert_true(count_method(f, n, STUN_BINDING) >= 1);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_false(f->c.unreachable);
	run_until(f, 540 * SEC + 39500);
	/* Still allocated, marked unreachable, asking again 5 s later. */
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_true(f->c.unreachable);
	assert_non_null(strstr(f->c.error, "keeping the allocation"));
	n = f->nsent;
	run_until(f, 540 * SEC + 44500);
	assert_int_equal(sent_method(f, n), STUN_REFRESH);
	/* The relay is back (45 s outage): the allocation goes on. */
	f->drop = false;
	f->handled = f->nsent - 1;
	run_until(f, 540 * SEC + 46000);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_false(f->c.unreachable);
	assert_int_equal(f->c.allocations, 1);
	assert_int_equal(f->reqs[STUN_ALLOCATE], 2);	/* the first two only */
	assert_ep(&f->c.relayed, "203.0.113.10:49152");
	assert_int_equal(f->expired_allocs, 0);
}

/* After an outage the relay's answer to a Binding can come before the
 * next Refresh goes out: the Refresh lost in the outage proves nothing,
 * the one sent after the Binding's answer is answered, no reallocation. */
static void test_outage_then_binding_first(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	int i;

	(void)state;
	allocate(f);
	run_until(f, 100 * SEC);
	f->drop = true;
	turn_probe(&f->c, f->now);
	run_until(f, 145 * SEC);
	assert_true(f->c.unreachable);
	f->drop = false;
	f->handled = f->nsent;
	/* answer only Bindings first (the Refresh answer is late) */
	f->silent_refresh = true;
	for (i = 0; i < 100 && f->c.binding_ok_ms < 145 * SEC; i++)
		run_until(f, f->now + 100);
	f->silent_refresh = false;
	run_until(f, f->now + 1000);
	run_until(f, 160 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.allocations, 1);
	assert_false(f->c.unreachable);
}

/* Unreachable until the allocation expires: then it is gone, and a new
 * one is made when the relay answers again. */
static void test_unreachable_until_expiry(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);

	(void)state;
	allocate(f);
	f->drop = true;
	run_until(f, 599 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_true(f->c.unreachable);
	assert_int_equal(f->reqs[STUN_ALLOCATE], 2);
	run_until(f, 601 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATING);	/* anew, unanswered */
	assert_int_equal(f->c.relayed.family, 0);
	f->drop = false;
	f->handled = f->nsent;
	run_until(f, 610 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.allocations, 2);
}

/* A restarted server that forgot the allocation and answers its Refresh
 * with silence, not 437 (Pion): it still answers the Binding the probe
 * sends along, which proves it is there; the Refresh sent again right
 * after that answer stays unanswered TURN_SILENT_WAIT_MS: lost, 1 s
 * after the Binding's answer (the fake answers at the client's next
 * step), not after the 39.5 s transaction timeout. */
static void test_silent_restart(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	uint64_t t0;
	int i;

	(void)state;
	allocate(f);
	run_until(f, 100 * SEC);
	srv_clear(f);
	f->silent_refresh = true;
	t0 = f->now;
	turn_probe(&f->c, f->now);
	for (i = 0; i < 100 && f->c.state == TURN_ALLOCATED; i++)
		run_until(f, f->now + 100);
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_non_null(strstr(f->c.error, "Binding but not Refresh"));
	assert_in_range(f->now - t0, TURN_SILENT_WAIT_MS,
			TURN_SILENT_WAIT_MS + 300);
	f->silent_refresh = false;
	run_until(f, f->now + 2100);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.allocations, 2);
}

/* A relay that still holds the allocation loses the probe's Refresh and
 * the copy resent once its Binding was answered: the second copy, sent
 * halfway through the wait, is answered. One or two lost datagrams are
 * not a relay that forgot us: no reallocation. */
static void test_silent_wait_survives_loss(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	int n;

	(void)state;
	allocate(f);
	run_until(f, 100 * SEC);
	f->manual = true;
	f->handled = f->nsent;
	turn_probe(&f->c, f->now);
	n = f->nsent;
	assert_int_equal(sent_method(f, n - 2), STUN_REFRESH);
	assert_int_equal(sent_method(f, n - 1), STUN_BINDING);
	f->handled = n - 1;	/* the Refresh: lost */
	serve_one(f);		/* the Binding: answered */
	run_until(f, f->now + 1);
	assert_int_equal(f->nsent, n + 1);
	assert_int_equal(sent_method(f, n), STUN_REFRESH);
	f->handled = f->nsent;	/* lost too */
	run_until(f, f->now + TURN_SILENT_WAIT_MS / 2);
	assert_int_equal(f->nsent, n + 2);
	assert_int_equal(sent_method(f, n + 1), STUN_REFRESH);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	serve_one(f);		/* this one comes through */
	f->manual = false;
	run_until(f, f->now + 5 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.allocations, 1);
	assert_int_equal(f->c.error[0], 0);
}

/* forge_error: an unauthenticated error answer to the client's i-th
 * request, as an on-path observer who saw its transaction id could send. */
static void forge_error(struct fake *f, int i, uint16_t code)
{
	struct stun_builder b;
	struct stun_msg req;
	uint8_t out[RESP_MAX];
	int n;

	sent_msg(f, i, &req);
	assert_int_equal(stun_begin(&b, out, RESP_MAX,
				    stun_type(stun_method(req.type), STUN_ERROR),
				    req.txid), 0);
	stun_add_error(&b, code, "forged");
	stun_add_fingerprint(&b);
	n = stun_finish(&b);
	assert_true(n > 0);
	turn_input(&f->c, out, n, f->now);
}

/* Forged 437 and 401 to a Refresh, ahead of the server's real answer:
 * hints only. The authentic success that follows overrules them; the
 * allocation and its channels stay. */
static void test_forged_errors_ignored(void **state)
{
	static const uint16_t codes[] = { STUN_EC_ALLOCATION_MISMATCH,
					  STUN_EC_UNAUTHORIZED,
					  STUN_EC_SERVER_ERROR };
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");

	(void)state;
	allocate(f);
	assert_non_null(turn_peer_want(&f->c, &a, 0, f->now));
	pump(f);
	assert_int_equal(f->nev, 1);
	f->manual = true;
	for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		int n = f->nsent;

		f->handled = n;	/* serve_one: the probe's Refresh, first */
		turn_probe(&f->c, f->now);
		assert_int_equal(sent_method(f, n), STUN_REFRESH);
		forge_error(f, n, codes[k]);
		assert_int_equal(f->c.state, TURN_ALLOCATED);
		run_until(f, f->now + 200);	/* the real answer, 200 ms on */
		serve_one(f);
		f->handled = f->nsent;
		run_until(f, f->now + 3 * SEC);
		assert_int_equal(f->c.state, TURN_ALLOCATED);
		assert_int_equal(f->c.hints_ignored, k + 1);
	}
	assert_int_equal(f->nev, 1);	/* the channel never went down */
	assert_int_equal(f->c.allocations, 1);
	assert_int_equal(f->c.error[0], 0);
}

/* A forged 437 with no authentic answer behind it (the server really lost
 * the allocation and said so unsigned) is acted on after TURN_HINT_MS. */
static void test_unsigned_437_taken_after_hint(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	int n;

	(void)state;
	allocate(f);
	f->manual = true;
	n = f->nsent;
	turn_probe(&f->c, f->now);
	forge_error(f, n, STUN_EC_ALLOCATION_MISMATCH);
	f->handled = f->nsent;
	run_until(f, f->now + TURN_HINT_MS - 1);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	f->handled = f->nsent;	/* the retransmission gets no answer */
	run_until(f, f->now + 1);
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_int_equal(f->c.error_code, STUN_EC_ALLOCATION_MISMATCH);
}

/* A signed 401 to credentials that worked (the relay's user database
 * hiccups): retried with backoff, the allocation kept meanwhile. */
static void test_401_after_working_retried(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	int n;

	(void)state;
	allocate(f);
	run_until(f, 100 * SEC);
	f->pass = "changed";	/* every request now gets a 401 */
	n = f->nsent;
	turn_probe(&f->c, f->now);
	run_until(f, f->now + 2 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.error_code, STUN_EC_UNAUTHORIZED);
	assert_non_null(strstr(f->c.error, "worked before"));
	/* Retried at 5, then 10 s: not given up, not hammering. */
	run_until(f, f->now + 20 * SEC);
	assert_in_range(count_method(f, n, STUN_REFRESH), 3, 8);
	f->pass = PASS;
	run_until(f, f->now + 25 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->c.error_code, 0);
	assert_int_equal(f->c.allocations, 1);
}

/* A relay that ignores REQUESTED-ADDRESS-FAMILY: its relayed address of
 * the other family is refused with a clear error (and released). */
static void test_wrong_family_refused(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);

	(void)state;
	f->relayed_other = EP("[2001:db8::9]:50000");
	start(f);
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_int_equal(f->c.error_code, STUN_EC_ADDRESS_FAMILY);
	assert_non_null(strstr(f->c.error, "not of its own address family"));
	assert_int_equal(f->c.relayed.family, 0);
	assert_false(f->alloc);		/* released */
}

/* A server that keeps channels 30 s (coturn --channel-lifetime): the
 * first expiry shows as a silent path (the daemon calls
 * turn_peer_refresh 1.5 s later); from then on they are renewed in time. */
static void test_short_peer_lifetimes(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");

	(void)state;
	f->peer_life_s = 30;
	allocate(f);
	assert_non_null(turn_peer_want(&f->c, &a, 0, f->now));
	pump(f);
	run_until(f, 31500);
	assert_int_equal(f->expired_chans, 1);
	turn_peer_refresh(&f->c, &a, f->now);	/* the path went silent */
	pump(f);
	assert_int_equal(f->nchans, 1);
	assert_int_equal(f->c.peers[0].refresh_every_ms, 0);	/* not yet */
	run_until(f, 32 * SEC);
	turn_peer_alive(&f->c, &a, f->now);	/* and traffic came back */
	assert_in_range(f->c.peers[0].refresh_every_ms, 15000, 16000);
	run_until(f, 300 * SEC);
	assert_int_equal(f->expired_chans, 1);	/* never again */
	assert_int_equal(f->nchans, 1);
}

/* Silence that a renewal does not end (a peer that only sends keepalives,
 * one that is gone) teaches nothing: the renewal period stays 240 s. */
static void test_silence_teaches_nothing(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");

	(void)state;
	allocate(f);
	assert_non_null(turn_peer_want(&f->c, &a, 0, f->now));
	pump(f);
	for (int k = 1; k <= 5; k++) {
		run_until(f, k * 25 * SEC);
		turn_peer_refresh(&f->c, &a, f->now);
		pump(f);
	}
	turn_peer_alive(&f->c, &a, f->now + 6 * SEC);	/* too late */
	assert_int_equal(f->c.peers[0].refresh_every_ms, 0);
}

/* A 10 s keepalive: the 5-tuple is never silent for 10 s, so a NAT that
 * forgets after exactly 10 s keeps the mapping. */
static void test_keepalive(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	uint64_t last = 0;
	int n, k = 0;

	(void)state;
	f->c.keepalive_ms = 10000;
	allocate(f);
	n = f->nsent;
	run_until(f, 60 * SEC);
	for (int i = n; i < f->nsent; i++) {
		if (sent_method(f, i) != STUN_REFRESH)
			continue;
		assert_in_range(f->sent[i].at - last, 8 * SEC, 10 * SEC - 1);
		last = f->sent[i].at;
		k++;
	}
	assert_in_range(k, 6, 7);
	assert_int_equal(f->c.allocations, 1);
}

/* turn_peer_refresh renews a permission and a channel at once, at most
 * once per TURN_PROBE_MS. */
static void test_peer_refresh(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");
	int n;

	(void)state;
	allocate(f);
	assert_non_null(turn_peer_want(&f->c, &a, 0, f->now));
	pump(f);
	run_until(f, 10 * SEC);
	n = f->nsent;
	turn_peer_refresh(&f->c, &a, f->now);
	turn_peer_refresh(&f->c, &a, f->now + 100);
	pump(f);
	assert_int_equal(count_method(f, n, STUN_CREATE_PERMISSION), 1);
	assert_int_equal(count_method(f, n, STUN_CHANNEL_BIND), 1);
	turn_peer_refresh(&f->c, &a, f->now + TURN_PROBE_MS);
	pump(f);
	assert_int_equal(count_method(f, n, STUN_CHANNEL_BIND), 2);
}

static void test_peers_and_channels(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");
	struct wgt_ep b = EP("198.51.100.21:51820");
	const struct turn_peer *pa, *pb;
	struct stun_msg m;
	uint16_t cha;
	int n;

	(void)state;
	allocate(f);
	run_until(f, 1 * SEC);
	f->manual = true;
	n = f->nsent;
	pa = turn_peer_want(&f->c, &a, 0, f->now);
	assert_non_null(pa);
	assert_true(ep_eq(&pa->ep, &a));
	cha = pa->channel;
	assert_in_range(cha, 0x4000, 0x4FFF);
	assert_int_equal(f->nsent, n + 2);

	sent_msg(f, n, &m);
	assert_int_equal(stun_method(m.type), STUN_CREATE_PERMISSION);
	assert_int_equal(m.npeers, 1);
	assert_true(ep_eq(&m.peers[0], &a));
	assert_authed(f, n, "nonce-1");
	sent_msg(f, n + 1, &m);
	assert_int_equal(stun_method(m.type), STUN_CHANNEL_BIND);
	assert_int_equal(m.npeers, 1);
	assert_true(ep_eq(&m.peers[0], &a));
	assert_true(stun_has(&m, STUN_A_CHANNEL_NUMBER));
	assert_int_equal(m.channel, cha);
	assert_authed(f, n + 1, "nonce-1");

	/* Up only once the ChannelBind succeeded. */
	f->handled = n;
	serve_one(f);		/* CreatePermission */
	assert_int_equal(f->nev, 0);
	assert_int_equal(pa->perm, TB_OK);
	assert_int_equal(pa->chan, TB_PENDING);
	serve_one(f);		/* ChannelBind */
	assert_int_equal(f->nev, 1);
	assert_true(f->ev[0].up);
	assert_int_equal(f->ev[0].ch, cha);
	assert_true(ep_eq(&f->ev[0].ep, &a));
	assert_int_equal(pa->chan, TB_OK);

	/* Asking again for the same peer: the same entry, nothing sent. */
	assert_ptr_equal(turn_peer_want(&f->c, &a, 0, f->now), pa);
	assert_int_equal(f->nsent, n + 2);

	/* A second peer gets another channel. */
	f->manual = false;
	pb = turn_peer_want(&f->c, &b, 0, f->now);
	assert_non_null(pb);
	assert_in_range(pb->channel, 0x4000, 0x4FFF);
	assert_int_not_equal(pb->channel, cha);
	pump(f);
	assert_int_equal(f->nsent, n + 4);
	assert_int_equal(f->nev, 2);
	assert_true(f->ev[1].up);
	assert_int_equal(f->ev[1].ch, pb->channel);
	assert_true(ep_eq(&f->ev[1].ep, &b));

	/* Refreshed well before the permission's 300 s, same channel. */
	n = f->nsent;
	run_until(f, 300 * SEC);
	assert_int_equal(count_method(f, n, STUN_CREATE_PERMISSION), 2);
	assert_int_equal(count_method(f, n, STUN_CHANNEL_BIND), 2);
	for (int i = n; i < f->nsent; i++) {
		sent_msg(f, i, &m);
		assert_true(f->sent[i].at < 301 * SEC);
		if (stun_method(m.type) != STUN_CHANNEL_BIND)
			continue;
		if (ep_eq(&m.peers[0], &a))
			assert_int_equal(m.channel, cha);
		else
			assert_int_equal(m.channel, pb->channel);
	}

	/* For hours: nothing the server holds ever expires, channels keep
	 * their numbers, and no further up/down. */
	run_until(f, 4 * 3600 * SEC);
	for (int i = n; i < f->nsent; i++) {
		sent_msg(f, i, &m);
		if (stun_method(m.type) != STUN_CHANNEL_BIND)
			continue;
		assert_int_equal(m.channel, ep_eq(&m.peers[0], &a) ?
					    cha : pb->channel);
	}
	assert_int_equal(f->expired_allocs, 0);
	assert_int_equal(f->expired_perms, 0);
	assert_int_equal(f->expired_chans, 0);
	assert_int_equal(f->nchans, 2);
	assert_int_equal(f->nperms, 2);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->c.state, TURN_ALLOCATED);

	/* Dropped and wanted again: the same channel comes back. */
	turn_peer_drop(&f->c, &a);
	assert_int_equal(f->nev, 3);
	assert_false(f->ev[2].up);
	assert_int_equal(f->ev[2].ch, cha);
	n = f->nsent;
	run_until(f, 5 * 3600 * SEC);
	for (int i = n; i < f->nsent; i++) {
		sent_msg(f, i, &m);
		if (m.npeers)
			assert_false(ep_eq(&m.peers[0], &a));
	}
	pa = turn_peer_want(&f->c, &a, 0, f->now);
	assert_int_equal(pa->channel, cha);
	pump(f);
	assert_int_equal(f->nev, 4);
	assert_true(f->ev[3].up);
	assert_int_equal(f->ev[3].ch, cha);
}

/* A peer dropped while its ChannelBind is in flight is not reported up. */
static void test_peer_drop_in_flight(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");
	const struct turn_peer *p;

	(void)state;
	allocate(f);
	f->manual = true;
	p = turn_peer_want(&f->c, &a, 0, f->now);
	assert_non_null(p);
	turn_peer_drop(&f->c, &a);
	serve_one(f);
	serve_one(f);
	assert_int_equal(f->nev, 0);
	assert_int_not_equal(p->chan, TB_OK);
}

/* ep number i: 198.18.x.y:51820, distinct for i < 64000 */
static struct wgt_ep ep_n(int i)
{
	char s[40];

	snprintf(s, sizeof(s), "198.18.%d.%d:51820", i / 250, i % 250 + 1);
	return EP(s);
}

/* 4096 channels per allocation: every peer its own, the next refused;
 * a peer given up on before its channel was ever bound frees it at once. */
static void test_channel_space(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	static bool seen[0x1000];
	const struct turn_peer *p;
	struct wgt_ep e;
	int n = WGT_CHAN_MAX - WGT_CHAN_MIN + 1;

	(void)state;
	assert_int_equal(TURN_MAX_PEERS, 4096);
	for (int i = 0; i < n; i++) {
		e = ep_n(i);
		p = turn_peer_want(&f->c, &e, 0, f->now);
		assert_non_null(p);
		assert_in_range(p->channel, WGT_CHAN_MIN, WGT_CHAN_MAX);
		assert_false(seen[p->channel - WGT_CHAN_MIN]);
		seen[p->channel - WGT_CHAN_MIN] = true;
	}
	e = ep_n(n);
	assert_null(turn_peer_want(&f->c, &e, 0, f->now));
	/* the same peer again keeps its channel */
	e = ep_n(7);
	p = turn_peer_want(&f->c, &e, 0, f->now);
	assert_non_null(p);
	assert_int_equal(p->channel, WGT_CHAN_MIN + 7);
	/* given up on, never bound: its channel serves the next newcomer */
	turn_peer_drop(&f->c, &e);
	e = ep_n(n);
	p = turn_peer_want(&f->c, &e, 0, f->now);
	assert_non_null(p);
	assert_int_equal(p->channel, WGT_CHAN_MIN + 7);
	assert_true(ep_eq(&p->ep, &e));
}

/* Many peers at once: 15 of the 16 transactions in flight at most, and each
 * answer lets the next waiting peer start at once, not RETRY_MS later. */
static void test_many_peers_bind(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	enum { N = 300 };
	const struct turn_peer *p[N];
	struct wgt_ep e;
	int bound = 0;

	(void)state;
	allocate(f);
	run_until(f, 1 * SEC);
	int n0 = f->nsent;

	for (int i = 0; i < N; i++) {
		e = ep_n(i);
		p[i] = turn_peer_want(&f->c, &e, 0, f->now);
		assert_non_null(p[i]);
	}
	/* the last slot stays for the allocation's own requests */
	assert_int_equal(f->nsent - n0, TURN_MAX_TX - 1);
	/* all slots busy, no answer yet: nothing to do before a timer */
	assert_true(turn_next_ms(&f->c, f->now) > 0);
	/* before, each peer past the first 8 waited RETRY_MS (5 s) for a
	 * slot, and got one only if a tick found one free */
	run_until(f, 2 * SEC);
	for (int i = 0; i < N; i++)
		bound += p[i]->chan == TB_OK;
	assert_int_equal(bound, N);
}

/* A channel that was bound goes to another address only once its
 * binding has expired and 5 more minutes passed (RFC 8656 12). */
static void test_channel_quarantine(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820"), e;
	const struct turn_peer *p;
	uint64_t bound;
	uint16_t cha;

	(void)state;
	allocate(f);
	run_until(f, 1 * SEC);
	p = turn_peer_want(&f->c, &a, 0, f->now);
	assert_non_null(p);
	cha = p->channel;
	run_until(f, 2 * SEC);
	assert_int_equal(p->chan, TB_OK);
	bound = p->bound_ms;
	/* the other 4095 channels, bound or not: nothing sent is kept */
	f->manual = f->discard = true;
	for (int i = 1; i < TURN_MAX_PEERS; i++) {
		e = ep_n(i);
		assert_non_null(turn_peer_want(&f->c, &e, 0, f->now));
	}
	turn_peer_drop(&f->c, &a);
	e = ep_n(TURN_MAX_PEERS);
	f->now = bound + TURN_CHAN_QUARANTINE_S * SEC - 1;
	assert_null(turn_peer_want(&f->c, &e, 0, f->now));
	f->now++;
	p = turn_peer_want(&f->c, &e, 0, f->now);
	assert_non_null(p);
	assert_int_equal(p->channel, cha);
	assert_true(ep_eq(&p->ep, &e));
	assert_true(f->discarded > 0);
}

static void test_ipv6(void **state)
{
	struct fake *f = fake_new("[2001:db8::1]:3478", PASS);
	struct wgt_ep peer = EP("[2001:db8:2::5]:51820");
	const struct turn_peer *p;
	struct stun_msg m;
	int n;

	(void)state;
	allocate(f);
	assert_int_equal(f->nsent, 2);
	for (int i = 0; i < 2; i++) {
		sent_msg(f, i, &m);
		assert_int_equal(stun_method(m.type), STUN_ALLOCATE);
		assert_true(stun_has(&m, STUN_A_REQUESTED_ADDRESS_FAMILY));
		assert_int_equal(m.req_family, WGT_AF_INET6);
	}
	assert_ep(&f->c.relayed, "[2001:db8::1]:49200");
	assert_ep(&f->c.mapped, "[2001:db8:1::7]:40000");

	n = f->nsent;
	p = turn_peer_want(&f->c, &peer, 0, f->now);
	assert_non_null(p);
	pump(f);
	assert_int_equal(f->nsent, n + 2);
	for (int i = n; i < n + 2; i++) {
		sent_msg(f, i, &m);
		assert_int_equal(m.npeers, 1);
		assert_true(ep_eq(&m.peers[0], &peer));
	}
	assert_int_equal(sent_method(f, n + 1), STUN_CHANNEL_BIND);
	assert_int_equal(f->nev, 1);
	assert_true(f->ev[0].up);
	assert_int_equal(f->ev[0].ch, p->channel);
	assert_int_equal(p->perm, TB_OK);
}

static void test_allocate_437_releases(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct stun_msg m;

	(void)state;
	/* A previous daemon's allocation for this 5-tuple. */
	f->alloc = true;
	f->relayed = EP("203.0.113.10:50000");
	f->alloc_expires = 600 * SEC;
	start(f);
	/* Allocate, Allocate (437), Refresh LIFETIME 0 (answered). */
	assert_int_equal(f->nsent, 3);
	assert_int_equal(sent_method(f, 0), STUN_ALLOCATE);
	assert_int_equal(sent_method(f, 1), STUN_ALLOCATE);
	sent_msg(f, 2, &m);
	assert_int_equal(stun_method(m.type), STUN_REFRESH);
	assert_true(stun_has(&m, STUN_A_LIFETIME));
	assert_int_equal(m.lifetime, 0);
	assert_authed(f, 2, "nonce-1");
	assert_false(f->alloc);
	/* Failed for now, not closed: the retry timer allocates again. */
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_int_equal(f->c.error_code, 437);
	assert_non_null(strstr(f->c.error, "older allocation"));
	run_until(f, 2 * SEC - 1);
	assert_int_equal(f->nsent, 3);
	run_until(f, 2 * SEC);
	assert_int_equal(f->nsent, 4);
	assert_int_equal(sent_method(f, 3), STUN_ALLOCATE);
	assert_authed(f, 3, "nonce-1");
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_ep(&f->c.relayed, "203.0.113.10:49152");
	assert_int_equal(f->c.error[0], 0);
	/* and it stays so */
	run_until(f, 600 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_true(f->alloc);
	assert_int_equal(count_method(f, 4, STUN_ALLOCATE), 0);
}

/* The release's answers are lost: once the client allocates again, the
 * release is abandoned, so no retransmission of it deletes the new
 * allocation. */
static void test_allocate_437_release_lost(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);

	(void)state;
	f->alloc = true;
	f->relayed = EP("203.0.113.10:50000");
	f->alloc_expires = 600 * SEC;
	f->lose[STUN_REFRESH] = true;
	start(f);
	assert_int_equal(f->nsent, 3);
	assert_false(f->alloc);
	run_until(f, 2 * SEC);
	/* Refresh 0 at 0, 0.5, 1.5 s, then the Allocate at 2 s. */
	assert_int_equal(f->nsent, 6);
	assert_int_equal(count_method(f, 2, STUN_REFRESH), 3);
	assert_int_equal(sent_method(f, 5), STUN_ALLOCATE);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	f->lose[STUN_REFRESH] = false;
	run_until(f, 539 * SEC);
	assert_int_equal(f->nsent, 6);
	assert_true(f->alloc);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
}

/* The release is answered 437 (already gone): allocate anyway. */
static void test_allocate_437_release_437(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);

	(void)state;
	f->alloc = true;
	f->relayed = EP("203.0.113.10:50000");
	f->alloc_expires = 600 * SEC;
	f->manual = true;
	start(f);
	serve_one(f);		/* 401 */
	serve_one(f);		/* 437 */
	assert_int_equal(f->nsent, 3);
	assert_int_equal(sent_method(f, 2), STUN_REFRESH);
	srv_clear(f);		/* it expires meanwhile */
	f->manual = false;
	pump(f);
	run_until(f, 3 * SEC);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(count_method(f, 3, STUN_ALLOCATE), 1);
	assert_int_equal(count_method(f, 3, STUN_REFRESH), 0);
}

static void test_preset_adopt(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep rel = EP("203.0.113.10:50000");
	struct wgt_ep map = EP("198.51.100.7:40000");
	struct stun_msg m;

	(void)state;
	f->alloc = true;
	f->relayed = rel;
	f->alloc_expires = 300 * SEC;
	turn_preset(&f->c, &rel, &map, REALM, "nonce-1");
	start(f);
	assert_int_equal(f->nsent, 1);
	sent_msg(f, 0, &m);
	assert_int_equal(stun_method(m.type), STUN_REFRESH);
	assert_true(stun_has(&m, STUN_A_LIFETIME));
	assert_int_equal(m.lifetime, 600);
	assert_authed(f, 0, "nonce-1");
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_true(ep_eq(&f->c.relayed, &rel));
	assert_true(ep_eq(&f->c.mapped, &map));
	assert_int_equal(f->c.refresh_ms, 540 * SEC);
	assert_int_equal(f->alloc_expires, 600 * SEC);
	run_until(f, 600 * SEC);
	assert_int_equal(f->reqs[STUN_ALLOCATE], 0);
	assert_int_equal(count_method(f, 0, STUN_ALLOCATE), 0);
	assert_int_equal(f->expired_allocs, 0);
	assert_true(ep_eq(&f->c.relayed, &rel));
}

/* Adoption with a stale nonce (438, again with the new one), of an
 * allocation the server no longer has (437): allocate afresh. */
static void test_preset_stale_and_gone(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep rel = EP("203.0.113.10:50000");
	struct wgt_ep map = EP("198.51.100.7:40000");

	(void)state;
	snprintf(f->nonce, sizeof(f->nonce), "nonce-9");
	turn_preset(&f->c, &rel, &map, REALM, "nonce-1");
	start(f);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(sent_method(f, 0), STUN_REFRESH);
	assert_int_equal(sent_method(f, 1), STUN_REFRESH);
	assert_authed(f, 0, "nonce-1");
	assert_authed(f, 1, "nonce-9");
	assert_int_equal(f->c.state, TURN_FAILED);
	assert_int_equal(f->c.error_code, 437);
	assert_int_equal(f->c.relayed.family, 0);
	run_until(f, 2 * SEC);
	assert_int_equal(f->nsent, 3);
	assert_int_equal(sent_method(f, 2), STUN_ALLOCATE);
	assert_authed(f, 2, "nonce-9");
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_ep(&f->c.relayed, "203.0.113.10:49152");
}

static void test_shutdown(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	struct wgt_ep a = EP("198.51.100.20:51820");
	struct stun_msg m;
	int n;

	(void)state;
	/* Not allocated: nothing to release. */
	turn_shutdown(&f->c, 0);
	assert_int_equal(f->nsent, 0);
	assert_int_equal(f->c.state, TURN_IDLE);

	allocate(f);
	assert_non_null(turn_peer_want(&f->c, &a, 0, f->now));
	pump(f);
	run_until(f, 10 * SEC);
	n = f->nsent;
	f->manual = true;
	turn_shutdown(&f->c, f->now);
	assert_int_equal(f->nsent, n + 1);
	sent_msg(f, n, &m);
	assert_int_equal(stun_method(m.type), STUN_REFRESH);
	assert_true(stun_has(&m, STUN_A_LIFETIME));
	assert_int_equal(m.lifetime, 0);
	assert_authed(f, n, "nonce-1");
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	f->handled = n;
	serve_one(f);
	assert_int_equal(f->c.state, TURN_CLOSED);
	assert_int_equal(f->states[f->nstates - 1], TURN_CLOSED);
	assert_false(f->alloc);
	f->manual = false;
	run_until(f, 3600 * SEC);
	assert_int_equal(f->nsent, n + 1);
	assert_int_equal(f->c.state, TURN_CLOSED);
}

/* Shutdown with the server gone: CLOSED once the Refresh times out. */
static void test_shutdown_unanswered(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	int n;

	(void)state;
	allocate(f);
	f->drop = true;
	n = f->nsent;
	turn_shutdown(&f->c, f->now);
	run_until(f, 39499);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->nsent, n + TURN_RC);
	run_until(f, 39500);
	assert_int_equal(f->c.state, TURN_CLOSED);
	run_until(f, 3600 * SEC);
	assert_int_equal(f->nsent, n + TURN_RC);
}

/* Build an answer to request i with the given class, key and mac. */
static size_t forge(struct fake *f, int i, uint8_t *out, uint16_t method,
		    enum stun_class cls, const uint8_t *txid,
		    const uint8_t *key, enum stun_mac mac)
{
	struct stun_builder b;
	struct stun_msg req;
	int n;

	sent_msg(f, i, &req);
	assert_int_equal(stun_begin(&b, out, RESP_MAX, stun_type(method, cls),
				    txid ? txid : req.txid), 0);
	if (cls == STUN_ERROR) {
		stun_add_error(&b, STUN_EC_UNAUTHORIZED, "Unauthorized");
		stun_add_str(&b, STUN_A_REALM, "evil.example");
		stun_add_str(&b, STUN_A_NONCE, "evil-nonce");
	} else {
		stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS,
			      &(struct wgt_ep){ .family = WGT_AF_INET,
						.addr = { 6, 6, 6, 6 },
						.port = 666 });
		stun_add_lifetime(&b, 600);
		stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &f->mapped);
	}
	if (key)
		stun_add_integrity(&b, key, STUN_MD5_LEN, mac);
	stun_add_fingerprint(&b);
	n = stun_finish(&b);
	assert_true(n > 0);
	return n;
}

/* Nothing a bad answer could have changed did change. */
#define assert_unchanged(f, nstates, nsent) \
	assert_unchanged_at(f, nstates, nsent, __LINE__)
static void assert_unchanged_at(struct fake *f, int nstates, int nsent,
				int line)
{
	if (f->c.state != TURN_ALLOCATING || f->nstates != nstates)
		fail_msg("line %d: state %s after %d changes", line,
			 turn_state_str(f->c.state), f->nstates);
	assert_int_equal(f->c.state, TURN_ALLOCATING);
	assert_int_equal(f->nstates, nstates);
	assert_int_equal(f->nsent, nsent);
	assert_int_equal(f->c.relayed.family, 0);
	assert_int_equal(f->c.error[0], 0);
	assert_int_equal(f->c.error_code, 0);
	assert_true(f->c.have_key);
	assert_string_equal(f->c.nonce, "nonce-1");
	assert_string_equal(f->c.realm, REALM);
}

static void test_ignored_responses(void **state)
{
	struct fake *f = fake_new("192.0.2.1:3478", PASS);
	uint8_t key[STUN_MD5_LEN], bad[STUN_MD5_LEN], txid[STUN_TXID_LEN];
	uint8_t out[RESP_MAX], junk[64];
	int nstates, nsent;
	size_t n;

	(void)state;
	f->manual = true;
	start(f);
	serve_one(f);		/* 401: the client now has a key */
	assert_int_equal(f->nsent, 2);
	srv_key(f, PASS, key);
	srv_key(f, "not-the-password", bad);
	nstates = f->nstates;
	nsent = f->nsent;

	/* A correctly signed success, but for another transaction. */
	txid_of(f, 1, txid);
	txid[0] ^= 1;
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_SUCCESS, txid, key,
		  STUN_MAC_SHA1);
	turn_input(&f->c, out, n, f->now);
	assert_unchanged(f, nstates, nsent);
	/* The first request's transaction is over: its id is stale too. */
	txid_of(f, 0, txid);
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_SUCCESS, txid, key,
		  STUN_MAC_SHA1);
	turn_input(&f->c, out, n, f->now);
	assert_unchanged(f, nstates, nsent);
	/* Right transaction, wrong method. */
	n = forge(f, 1, out, STUN_REFRESH, STUN_SUCCESS, NULL, key,
		  STUN_MAC_SHA1);
	turn_input(&f->c, out, n, f->now);
	assert_unchanged(f, nstates, nsent);
	/* Right transaction, wrong MESSAGE-INTEGRITY. */
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_SUCCESS, NULL, bad,
		  STUN_MAC_SHA1);
	turn_input(&f->c, out, n, f->now);
	assert_unchanged(f, nstates, nsent);
	/* Right transaction, wrong MESSAGE-INTEGRITY-SHA256. */
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_SUCCESS, NULL, bad,
		  STUN_MAC_SHA256);
	turn_input(&f->c, out, n, f->now);
	assert_unchanged(f, nstates, nsent);
	/* Right transaction, no integrity at all. */
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_SUCCESS, NULL, NULL,
		  STUN_MAC_SHA1);
	turn_input(&f->c, out, n, f->now);
	assert_unchanged(f, nstates, nsent);
	/* Right integrity over a message altered afterwards. */
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_SUCCESS, NULL, key,
		  STUN_MAC_SHA1);
	out[STUN_HDR_LEN + 8] ^= 0x40;	/* inside XOR-RELAYED-ADDRESS */
	turn_input(&f->c, out, n, f->now);
	assert_unchanged(f, nstates, nsent);
	/* A 401 for another transaction: no new credentials, no resend. */
	txid[0] ^= 0x80;
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_ERROR, txid, NULL,
		  STUN_MAC_SHA1);
	turn_input(&f->c, out, n, f->now);
	assert_unchanged(f, nstates, nsent);
	/* A request or indication with the transaction's id. */
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_REQUEST, NULL, key,
		  STUN_MAC_SHA1);
	turn_input(&f->c, out, n, f->now);
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_INDICATION, NULL, key,
		  STUN_MAC_SHA1);
	turn_input(&f->c, out, n, f->now);
	assert_unchanged(f, nstates, nsent);
	/* Garbage: empty, short, random, ChannelData, a truncated answer. */
	turn_input(&f->c, junk, 0, f->now);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 1; len <= sizeof(junk); len++)
		turn_input(&f->c, junk, len, f->now);
	junk[0] = 0x40;
	junk[1] = 0x00;
	junk[2] = 0x00;
	junk[3] = 0x10;
	turn_input(&f->c, junk, 20, f->now);
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_SUCCESS, NULL, key,
		  STUN_MAC_SHA1);
	for (size_t len = 0; len < n; len++)
		turn_input(&f->c, out, len, f->now);
	/* A STUN header claiming more than there is. */
	memcpy(junk, out, STUN_HDR_LEN);
	turn_input(&f->c, junk, STUN_HDR_LEN, f->now);
	assert_unchanged(f, nstates, nsent);

	/* Retransmission goes on as if nothing came. */
	assert_int_equal(turn_next_ms(&f->c, f->now), 500);

	/* The real answer still works, and once taken, a duplicate of it
	 * changes nothing. */
	serve_one(f);
	assert_int_equal(f->c.state, TURN_ALLOCATED);
	assert_int_equal(f->nstates, nstates + 1);
	assert_ep(&f->c.relayed, "203.0.113.10:49152");
	n = forge(f, 1, out, STUN_ALLOCATE, STUN_SUCCESS, NULL, key,
		  STUN_MAC_SHA1);
	turn_input(&f->c, out, n, f->now);
	assert_int_equal(f->nstates, nstates + 1);
	assert_ep(&f->c.relayed, "203.0.113.10:49152");
	assert_int_equal(f->c.state, TURN_ALLOCATED);
}

static int fake_free(void **state)
{
	free(current);
	current = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_allocate, fake_free),
		cmocka_unit_test_teardown(test_channel_space, fake_free),
		cmocka_unit_test_teardown(test_channel_quarantine, fake_free),
		cmocka_unit_test_teardown(test_many_peers_bind, fake_free),
		cmocka_unit_test_teardown(test_wrong_password, fake_free),
		cmocka_unit_test_teardown(test_credentials_rotated, fake_free),
		cmocka_unit_test_teardown(test_refused_then_new_credentials, fake_free),
		cmocka_unit_test_teardown(test_unanswered_then_move, fake_free),
		cmocka_unit_test_teardown(test_stale_credentials_probe, fake_free),
		cmocka_unit_test_teardown(test_stale_nonce, fake_free),
		cmocka_unit_test_teardown(test_stale_nonce_peer_requests, fake_free),
		cmocka_unit_test_teardown(test_retransmit_timeout, fake_free),
		cmocka_unit_test_teardown(test_refresh, fake_free),
		cmocka_unit_test_teardown(test_refresh_437_reallocates, fake_free),
		cmocka_unit_test_teardown(test_chanbind_437_reallocates, fake_free),
		cmocka_unit_test_teardown(test_refresh_unanswered, fake_free),
		cmocka_unit_test_teardown(test_unreachable_until_expiry, fake_free),
		cmocka_unit_test_teardown(test_outage_then_binding_first, fake_free),
		cmocka_unit_test_teardown(test_silent_restart, fake_free),
		cmocka_unit_test_teardown(test_silent_wait_survives_loss, fake_free),
		cmocka_unit_test_teardown(test_forged_errors_ignored, fake_free),
		cmocka_unit_test_teardown(test_unsigned_437_taken_after_hint, fake_free),
		cmocka_unit_test_teardown(test_401_after_working_retried, fake_free),
		cmocka_unit_test_teardown(test_wrong_family_refused, fake_free),
		cmocka_unit_test_teardown(test_peer_refresh, fake_free),
		cmocka_unit_test_teardown(test_keepalive, fake_free),
		cmocka_unit_test_teardown(test_short_peer_lifetimes, fake_free),
		cmocka_unit_test_teardown(test_silence_teaches_nothing, fake_free),
		cmocka_unit_test_teardown(test_peers_and_channels, fake_free),
		cmocka_unit_test_teardown(test_peer_drop_in_flight, fake_free),
		cmocka_unit_test_teardown(test_ipv6, fake_free),
		cmocka_unit_test_teardown(test_allocate_437_releases, fake_free),
		cmocka_unit_test_teardown(test_allocate_437_release_437, fake_free),
		cmocka_unit_test_teardown(test_allocate_437_release_lost, fake_free),
		cmocka_unit_test_teardown(test_preset_adopt, fake_free),
		cmocka_unit_test_teardown(test_preset_stale_and_gone, fake_free),
		cmocka_unit_test_teardown(test_shutdown, fake_free),
		cmocka_unit_test_teardown(test_shutdown_unanswered, fake_free),
		cmocka_unit_test_teardown(test_ignored_responses, fake_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
