// SPDX-License-Identifier: GPL-2.0
/*
 * Direct path checks (user/daemon/checks.c) and what they stand on: the
 * pair's check key (check_key.c over wg_key.c's X25519) and the check
 * messages (check_msg.c). Two daemons, A and B, run the state machine
 * over a fake network on a virtual clock: each is reached at a server-
 * reflexive address and a host one; the test drops what it likes (a cut,
 * unreachable host candidates) and replays what it kept. Checked: both
 * punch through and prefer host candidates, silence falls back to the
 * relay within CHECK_DEAD_MS and a retry round comes back, an idle path
 * is kept with sparse checks, and nothing but a fresh answer from where
 * the check went moves a peer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/rand.h>
#include "base/addr.h"
#include "daemon/checks.h"

#define QMAX 64
#define STEP_MS 50
#define MAX_PATHS 16
#define MAX_LOST 8

struct dgram {
	struct wgt_ep from, to;
	uint8_t buf[CHECK_MSG_MAX];
	size_t len;
};

struct side {
	struct checks k;
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	struct wgt_ep srflx, host;	/* where the other side reaches it */
	struct side *other;
	bool sending;			/* what ops.sending says */
	struct { int use; char why[96]; uint64_t at; } path[MAX_PATHS];
	int n_path, accepts;
	int requests_to_use;		/* checks sent on the path in use */
	struct dgram last_ans;		/* the latest answer delivered to it */
	struct dgram lost[MAX_LOST];	/* answers to it the network dropped */
	int n_lost;
};

static struct side sa, sb;
static struct dgram q[QMAX];		/* in flight */
static int qn;
static uint64_t now;			/* the virtual clock, ms */
static bool cut;			/* nothing passes */
static bool cut_to_a;			/* nothing reaches A */
static bool host_up;			/* host candidates reachable */
static struct wgt_ep answers_from;	/* family set: A's answers come from here */

static bool is_request(const uint8_t *b) { return b[0] == 0x00 && b[1] == 0x01; }
static bool is_answer(const uint8_t *b) { return b[0] == 0x01 && b[1] == 0x01; }

static uint64_t wall_ns(void)
{
	return 1700000000000000000ull + now * 1000000ull;
}

static struct check_peer *peer(const struct side *s)
{
	return checks_peer_find(&s->k, s->other->pub);
}

static const struct wgt_ep *in_use(const struct side *s)
{
	const struct check_peer *p = peer(s);

	return p->use >= 0 ? &p->c[p->use].ep : NULL;
}

static bool direct(const struct side *s)
{
	return in_use(s) != NULL;
}

static int net_send(void *ctx, const struct wgt_ep *to, const uint8_t *buf,
		    size_t len)
{
	struct side *s = ctx;
	const struct wgt_ep *use = in_use(s);
	struct dgram *d = &q[qn];

	assert_true(qn < QMAX && len <= CHECK_MSG_MAX);
	qn++;
	/* what the other side sees: our host address on the LAN, our
	 * NAT's mapping beyond it */
	d->from = ep_eq(to, &s->other->host) ? s->host : s->srflx;
	d->to = *to;
	memcpy(d->buf, buf, len);
	d->len = len;
	if (is_request(buf) && use && ep_eq(to, use))
		s->requests_to_use++;
	return 0;
}

static void net_path(void *ctx, const struct check_peer *p)
{
	struct side *s = ctx;

	assert_true(s->n_path < MAX_PATHS);
	s->path[s->n_path].use = p->use;
	snprintf(s->path[s->n_path].why, sizeof(s->path[0].why), "%s", p->why);
	s->path[s->n_path++].at = now;
}

static void net_accept(void *ctx, const struct check_peer *p,
		       const struct wgt_ep *from)
{
	((struct side *)ctx)->accepts++;
}

static bool net_sending(void *ctx, const struct check_peer *p, uint64_t ms)
{
	return ((struct side *)ctx)->sending;
}

static uint64_t net_wall_ns(void *ctx)
{
	return wall_ns();
}

static struct side *owner(const struct wgt_ep *ep)
{
	if (ep_eq(ep, &sa.srflx) || ep_eq(ep, &sa.host))
		return &sa;
	if (ep_eq(ep, &sb.srflx) || ep_eq(ep, &sb.host))
		return &sb;
	return NULL;
}

/* Everything in flight, and what that sends, unless dropped; answers
 * are kept, delivered or not, for replays. */
static void deliver(void)
{
	for (int i = 0; i < qn; i++) {
		struct dgram d = q[i];
		struct side *dst = owner(&d.to);
		bool lost = cut || (dst == &sa && cut_to_a) ||
			    (!host_up && (ep_eq(&d.to, &sa.host) ||
					  ep_eq(&d.to, &sb.host)));

		if (!dst)
			continue;	/* an address nobody has */
		if (is_answer(d.buf) && !lost)
			dst->last_ans = d;
		else if (is_answer(d.buf) && dst->n_lost < MAX_LOST)
			dst->lost[dst->n_lost++] = d;
		if (lost)
			continue;
		if (dst == &sa && is_answer(d.buf) && answers_from.family)
			d.from = answers_from;
		assert_int_equal(checks_input(&dst->k, &d.from, d.buf, d.len,
					      now), 1);
	}
	qn = 0;
}

static void step(void)
{
	now += STEP_MS;
	checks_tick(&sa.k, now);
	checks_tick(&sb.k, now);
	deliver();
}

static void run(uint64_t ms)
{
	for (uint64_t end = now + ms; now < end;)
		step();
}

/* Steps until s is direct (or relayed) or ms have passed. */
static bool run_until(const struct side *s, bool want, uint64_t ms)
{
	for (uint64_t end = now + ms; direct(s) != want && now < end;)
		step();
	return direct(s) == want;
}

static void ep4(struct wgt_ep *ep, uint8_t a, uint8_t b, uint8_t c,
		uint8_t d, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = WGT_AF_INET;
	ep->addr[0] = a, ep->addr[1] = b, ep->addr[2] = c, ep->addr[3] = d;
	ep->port = port;
}

static void keypair(uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN])
{
	assert_int_equal(RAND_bytes(priv, WG_KEY_LEN), 1);
	assert_int_equal(wg_key_public(priv, pub), 0);
}

/* A and B, each given the other's record: its srflx, and its host
 * address when with_host, under the derived check key. */
static void pair(bool with_host)
{
	struct side *s[2] = { &sa, &sb };
	uint8_t mac[2][CHECK_KEY_LEN];

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	qn = 0;
	now = 1000;
	cut = cut_to_a = host_up = false;
	memset(&answers_from, 0, sizeof(answers_from));
	sa.other = &sb;
	sb.other = &sa;
	ep4(&sa.srflx, 198, 51, 100, 1, 40001);
	ep4(&sa.host, 10, 0, 0, 1, 51820);
	ep4(&sb.srflx, 203, 0, 113, 2, 40002);
	ep4(&sb.host, 10, 0, 0, 2, 51820);
	for (int i = 0; i < 2; i++)
		keypair(s[i]->priv, s[i]->pub);
	for (int i = 0; i < 2; i++) {
		struct check_ops ops = {
			.send = net_send, .path = net_path,
			.accept = net_accept, .sending = net_sending,
			.wall_ns = net_wall_ns, .ctx = s[i],
		};
		struct wgsd_record rec = { .srflx = s[i]->other->srflx };

		if (with_host) {
			rec.host[0] = s[i]->other->host;
			rec.n_host = 1;
		}
		checks_init(&s[i]->k, s[i]->pub, WGT_AF_INET, &ops);
		assert_int_equal(check_key_derive(s[i]->priv, s[i]->pub,
						  s[i]->other->pub, mac[i]), 0);
		assert_int_equal(checks_peer_set(&s[i]->k, s[i]->other->pub,
						 mac[i], &rec, now), 0);
	}
	assert_memory_equal(mac[0], mac[1], CHECK_KEY_LEN);
}

static int unpair(void **state)
{
	checks_free(&sa.k);
	checks_free(&sb.k);
	return 0;
}

static void from_hex(const char *s, uint8_t key[WG_KEY_LEN])
{
	assert_int_equal(wg_key_from_hex(s, strlen(s), key), 0);
}

/* RFC 7748 section 6.1: what both sides of a pair start from. */
static void test_x25519_rfc7748(void **state)
{
	uint8_t a[WG_KEY_LEN], ap[WG_KEY_LEN], b[WG_KEY_LEN], bp[WG_KEY_LEN];
	uint8_t k[WG_KEY_LEN], pub[WG_KEY_LEN], out[WG_KEY_LEN];

	from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a);
	from_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", ap);
	from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b);
	from_hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bp);
	from_hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", k);
	assert_int_equal(wg_key_public(a, pub), 0);
	assert_memory_equal(pub, ap, WG_KEY_LEN);
	assert_int_equal(wg_key_public(b, pub), 0);
	assert_memory_equal(pub, bp, WG_KEY_LEN);
	assert_int_equal(wg_key_shared(a, bp, out), 0);
	assert_memory_equal(out, k, WG_KEY_LEN);
	assert_int_equal(wg_key_shared(b, ap, out), 0);
	assert_memory_equal(out, k, WG_KEY_LEN);
}

/* Both sides derive the same key, bound to the pair, never the raw
 * shared secret itself. */
static void test_check_key_derive(void **state)
{
	uint8_t a[WG_KEY_LEN], ap[WG_KEY_LEN], b[WG_KEY_LEN], bp[WG_KEY_LEN];
	uint8_t c[WG_KEY_LEN], cp[WG_KEY_LEN], shared[WG_KEY_LEN];
	uint8_t ab[CHECK_KEY_LEN], ba[CHECK_KEY_LEN], ca[CHECK_KEY_LEN];
	uint8_t ac[CHECK_KEY_LEN], odd[CHECK_KEY_LEN];

	keypair(a, ap);
	keypair(b, bp);
	keypair(c, cp);
	assert_int_equal(check_key_derive(a, ap, bp, ab), 0);
	assert_int_equal(check_key_derive(b, bp, ap, ba), 0);
	assert_memory_equal(ab, ba, CHECK_KEY_LEN);
	assert_int_equal(check_key_derive(c, cp, ap, ca), 0);
	assert_int_equal(check_key_derive(a, ap, cp, ac), 0);
	assert_memory_equal(ca, ac, CHECK_KEY_LEN);
	assert_memory_not_equal(ab, ca, CHECK_KEY_LEN);
	assert_int_equal(wg_key_shared(a, bp, shared), 0);
	assert_memory_not_equal(ab, shared, CHECK_KEY_LEN);
	/* the public keys are in it: the same secret, another claimed self */
	assert_int_equal(check_key_derive(a, cp, bp, odd), 0);
	assert_memory_not_equal(ab, odd, CHECK_KEY_LEN);
}

/* A low-order public key makes everyone's shared secret zero: refused,
 * and nothing usable left in out. */
static void test_check_key_low_order(void **state)
{
	uint8_t a[WG_KEY_LEN], ap[WG_KEY_LEN], out[CHECK_KEY_LEN];
	uint8_t bad[2][WG_KEY_LEN] = { { 0 }, { 1 } };	/* u = 0, u = 1 */
	static const uint8_t zero[CHECK_KEY_LEN];

	keypair(a, ap);
	for (int i = 0; i < 2; i++) {
		memset(out, 0xa5, sizeof(out));
		assert_int_equal(check_key_derive(a, ap, bad[i], out), -EINVAL);
		assert_memory_equal(out, zero, CHECK_KEY_LEN);
	}
}

/* Build, parse and verify a request and an answer; the other key fails. */
static void test_msg_round_trip(void **state)
{
	uint8_t key[CHECK_KEY_LEN], wrong[CHECK_KEY_LEN], self[WG_KEY_LEN];
	uint8_t txid[STUN_TXID_LEN], buf[CHECK_MSG_MAX];
	struct check_msg cm;
	struct stun_msg m;
	struct wgt_ep mapped;
	int len;

	assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
	assert_int_equal(RAND_bytes(wrong, sizeof(wrong)), 1);
	assert_int_equal(RAND_bytes(self, sizeof(self)), 1);
	assert_int_equal(stun_txid_new(txid), 0);
	len = check_msg_request(buf, txid, self, 0x1122334455667788ull, key);
	assert_true(len > 0 && len <= CHECK_MSG_MAX);
	assert_int_equal(check_msg_parse(&cm, &m, buf, len), 0);
	assert_true(cm.request);
	assert_memory_equal(cm.txid, txid, STUN_TXID_LEN);
	assert_memory_equal(cm.from, self, WG_KEY_LEN);
	assert_true(cm.sent_ns == 0x1122334455667788ull);
	assert_int_equal(check_msg_verify(&m, key), 0);
	assert_int_equal(check_msg_verify(&m, wrong), -1);

	ep4(&mapped, 203, 0, 113, 7, 40007);
	len = check_msg_answer(buf, txid, self, &mapped, key);
	assert_true(len > 0 && len <= CHECK_MSG_MAX);
	assert_int_equal(check_msg_parse(&cm, &m, buf, len), 0);
	assert_false(cm.request);
	assert_memory_equal(cm.txid, txid, STUN_TXID_LEN);
	assert_memory_equal(cm.from, self, WG_KEY_LEN);
	assert_true(ep_eq(&cm.mapped, &mapped));
	assert_int_equal(check_msg_verify(&m, key), 0);
	assert_int_equal(check_msg_verify(&m, wrong), -1);
}

/* Any bit flipped anywhere: not parsed, or not verified. */
static void test_msg_tampered(void **state)
{
	uint8_t key[CHECK_KEY_LEN], self[WG_KEY_LEN], txid[STUN_TXID_LEN];
	uint8_t msg[2][CHECK_MSG_MAX], buf[CHECK_MSG_MAX];
	struct check_msg cm;
	struct stun_msg m;
	struct wgt_ep mapped;
	int len[2];

	assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
	assert_int_equal(RAND_bytes(self, sizeof(self)), 1);
	assert_int_equal(stun_txid_new(txid), 0);
	ep4(&mapped, 203, 0, 113, 7, 40007);
	len[0] = check_msg_request(msg[0], txid, self, 12345, key);
	len[1] = check_msg_answer(msg[1], txid, self, &mapped, key);
	for (int j = 0; j < 2; j++)
		for (int i = 0; i < len[j] * 8; i++) {
			memcpy(buf, msg[j], len[j]);
			buf[i / 8] ^= 1u << (i % 8);
			assert_true(check_msg_parse(&cm, &m, buf, len[j]) ||
				    check_msg_verify(&m, key));
		}
}

/* Other STUN is none of ours: a bare Binding request (a server's), one
 * without SENT-AT (no replay protection), one with SHA1 integrity. */
static void test_msg_not_a_check(void **state)
{
	uint8_t key[CHECK_KEY_LEN], self[WG_KEY_LEN], txid[STUN_TXID_LEN];
	uint8_t buf[CHECK_MSG_MAX], be[8] = { 0 };
	char user[WG_KEY_B64LEN];
	struct stun_builder b;
	struct check_msg cm;
	struct stun_msg m;
	struct checks k;
	struct check_ops ops = { .send = net_send };
	int len;

	assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
	assert_int_equal(RAND_bytes(self, sizeof(self)), 1);
	assert_int_equal(stun_txid_new(txid), 0);
	wg_key_to_base64(self, user);
	checks_init(&k, self, WGT_AF_INET, &ops);
	for (int v = 0; v < 3; v++) {
		stun_begin(&b, buf, sizeof(buf),
			   stun_type(STUN_BINDING, STUN_REQUEST), txid);
		if (v > 0)
			stun_add_str(&b, STUN_A_USERNAME, user);
		if (v == 2)
			stun_add(&b, CHECK_ATTR_SENT_AT, be, sizeof(be));
		if (v > 0) {
			stun_add_integrity(&b, key, sizeof(key), v == 1 ?
					   STUN_MAC_SHA256 : STUN_MAC_SHA1);
			stun_add_fingerprint(&b);
		}
		len = stun_finish(&b);
		assert_true(len > 0);
		assert_int_equal(check_msg_parse(&cm, &m, buf, len), -1);
		assert_int_equal(checks_input(&k, &sa.srflx, buf, len, 1000), 0);
	}
	assert_true(!k.invalid && !k.unknown && !k.replayed && !k.stray);
	checks_free(&k);
}

/* Both send at once; each NAT lets the other's check in: direct on the
 * srflx candidate within a second, one switch each. */
static void test_punch(void **state)
{
	pair(true);	/* host candidates published, unreachable */
	run(1000);
	for (int i = 0; i < 2; i++) {
		struct side *s = i ? &sb : &sa;

		assert_int_equal(s->n_path, 1);
		assert_true(s->path[0].use >= 0);
		assert_true(ep_eq(in_use(s), &s->other->srflx));
		assert_int_equal(peer(s)->c[peer(s)->use].kind, CHECK_SRFLX);
	}
}

/* Host and srflx both answer: the host one wins, perhaps after the
 * srflx one, and is never left for a worse one (through a retry round). */
static void test_host_preferred(void **state)
{
	pair(true);
	host_up = true;
	run(CHECK_ROUND_MS + CHECK_RETRY_MS + 1000);
	for (int i = 0; i < 2; i++) {
		struct side *s = i ? &sb : &sa;

		assert_true(direct(s));
		assert_true(ep_eq(in_use(s), &s->other->host));
		assert_int_equal(peer(s)->c[peer(s)->use].kind, CHECK_HOST);
		assert_in_range(s->n_path, 1, 2);
		assert_int_equal(s->path[s->n_path - 1].use, peer(s)->use);
		if (s->n_path == 2)
			assert_int_not_equal(s->path[0].use, peer(s)->use);
	}
}

/* Direct and sending, then the network goes: back to the relay within
 * CHECK_DEAD_MS of the first unanswered check; the network back: direct
 * again by the retry round. */
static void test_failover(void **state)
{
	uint64_t cut_at, fell;

	pair(false);
	sa.sending = sb.sending = true;
	assert_true(run_until(&sa, true, 1000));
	run(3000);
	assert_int_equal(sa.n_path, 1);
	cut = true;
	cut_at = now;
	assert_true(run_until(&sa, false, CHECK_DEAD_MS + CHECK_ACTIVE_MS + 100));
	fell = now;
	assert_int_equal(sa.n_path, 2);
	assert_int_equal(sa.path[1].use, -1);
	assert_non_null(strstr(sa.path[1].why, "no answer"));
	run(5000);	/* relayed and cut: nothing to switch to */
	assert_int_equal(sa.n_path, 2);
	cut = false;
	assert_true(run_until(&sa, true, fell + CHECK_RETRY_MS +
			      CHECK_ROUND_MS + 1000 - now));
	print_message("# relayed %llu ms after the cut, direct %llu ms later\n",
		      (unsigned long long)(fell - cut_at),
		      (unsigned long long)(now - fell));
	assert_int_equal(sa.n_path, 3);
	assert_true(ep_eq(in_use(&sa), &sb.srflx));
}

/* Direct and idle: a check every CHECK_KEEPALIVE_MS keeps the path. */
static void test_idle_keepalive(void **state)
{
	pair(false);
	assert_true(run_until(&sa, true, 1000));
	sa.requests_to_use = 0;
	run(60000);
	print_message("# %d checks in 60 s\n", sa.requests_to_use);
	assert_in_range(sa.requests_to_use, 5, 7);
	assert_true(direct(&sa));
	assert_int_equal(sa.n_path, 1);
}

/* Direct and idle, the daemon's loop must sleep: checks_next_ms never
 * says "now" again and again between keepalives. */
static void test_idle_sleeps(void **state)
{
	int zeros = 0;

	pair(false);
	assert_true(run_until(&sa, true, 1000));
	run(2000);
	for (int i = 0; i < 100; i++) {
		int ms = checks_next_ms(&sa.k, now);

		assert_true(ms >= 0);
		zeros += ms == 0;
		now += ms > 0 ? (uint64_t)ms : 1;
		checks_tick(&sa.k, now);
		qn = 0;		/* nothing delivered: only the timing counts */
	}
	assert_int_equal(zeros, 0);
}

/* The same record read again (every TTL, or every 0.5 s while a path is
 * silent) starts no new round, with a peer-reflexive candidate too. */
static void test_same_record_no_round(void **state)
{
	struct wgsd_record rec = { .srflx = sb.srflx };
	struct check_peer *p;
	uint64_t next;

	pair(false);
	run(10000);	/* the first round over, both direct */
	p = peer(&sa);
	/* a peer-reflexive address, from a request of B's from elsewhere */
	assert_int_equal(p->n, 1);
	p->c[p->n].ep = sb.host;
	p->c[p->n].kind = CHECK_PRFLX;
	p->n++;
	next = p->next_round_ms;
	assert_int_equal(checks_peer_set(&sa.k, sb.pub, NULL, &rec, now), 0);
	assert_int_equal(p->next_round_ms, next);
	assert_int_equal(p->n, 2);
	assert_true(direct(&sa));
}

/* Requests that must not be answered: B's name under another key, a
 * sender A has no peer for, B's own request again. */
static void test_forged_requests(void **state)
{
	uint8_t buf[CHECK_MSG_MAX], txid[STUN_TXID_LEN], wrong[CHECK_KEY_LEN];
	uint8_t c[WG_KEY_LEN], cp[WG_KEY_LEN], cmac[CHECK_KEY_LEN];
	struct dgram d;
	int len, accepts;

	pair(false);
	assert_int_equal(RAND_bytes(wrong, sizeof(wrong)), 1);
	assert_int_equal(stun_txid_new(txid), 0);
	len = check_msg_request(buf, txid, sb.pub, wall_ns(), wrong);
	assert_int_equal(checks_input(&sa.k, &sb.srflx, buf, len, now), 1);
	assert_int_equal(sa.k.invalid, 1);
	assert_int_equal(qn, 0);		/* no answer */
	assert_int_equal(sa.accepts, 0);
	/* C's key is right between A and C, but A does not know C */
	keypair(c, cp);
	assert_int_equal(check_key_derive(c, cp, sa.pub, cmac), 0);
	assert_int_equal(stun_txid_new(txid), 0);
	len = check_msg_request(buf, txid, cp, wall_ns(), cmac);
	assert_int_equal(checks_input(&sa.k, &sb.srflx, buf, len, now), 1);
	assert_int_equal(sa.k.unknown, 1);
	assert_int_equal(qn, 0);
	assert_int_equal(sa.n_path, 0);
	/* B's first check: answered once, then a replay */
	checks_tick(&sb.k, now);
	assert_int_equal(qn, 1);
	d = q[0];
	deliver();
	assert_true(direct(&sa) && direct(&sb));
	accepts = sa.accepts;
	assert_int_equal(checks_input(&sa.k, &d.from, d.buf, d.len, now), 1);
	assert_int_equal(sa.k.replayed, 1);
	assert_int_equal(qn, 0);
	assert_int_equal(sa.accepts, accepts);
	assert_int_equal(sa.k.invalid + sa.k.unknown + sa.k.stray, 2);
}

/* An answer A already took, again: stray, direct or relayed. */
static void test_replayed_answer(void **state)
{
	struct dgram d;

	pair(false);
	sa.sending = sb.sending = true;
	assert_true(run_until(&sa, true, 1000));
	run(1000);
	d = sa.last_ans;
	assert_int_equal(checks_input(&sa.k, &d.from, d.buf, d.len, now), 1);
	assert_int_equal(sa.k.stray, 1);
	assert_int_equal(sa.n_path, 1);
	cut = true;
	assert_true(run_until(&sa, false, CHECK_DEAD_MS + CHECK_ACTIVE_MS + 100));
	assert_int_equal(checks_input(&sa.k, &d.from, d.buf, d.len, now), 1);
	assert_int_equal(sa.k.stray, 2);
	run(1000);
	assert_false(direct(&sa));
	assert_int_equal(sa.n_path, 2);
}

/* B's answers reach A from elsewhere (another NAT mapping, a spoofer):
 * both directions of the 5-tuple are not shown, A stays relayed. */
static void test_answer_from_elsewhere(void **state)
{
	pair(false);
	ep4(&answers_from, 192, 0, 2, 99, 40002);
	run(CHECK_ROUND_MS);
	assert_true(sa.k.stray >= 1);
	assert_int_equal(sa.n_path, 0);
	assert_false(direct(&sa));
	assert_true(direct(&sb));	/* A's answers came the right way */
}

/* The answers to A's last checks were lost (kept by someone on the
 * path); 20 s after the fallback one arrives. It answers a check of
 * 22 s ago, from before the path was given up: not a fresh transaction
 * of ours, no evidence of the path now, no switch. */
static void test_stale_answer_after_fallback(void **state)
{
	struct dgram d;

	pair(false);
	sa.sending = sb.sending = true;
	assert_true(run_until(&sa, true, 1000));
	run(1000);
	cut_to_a = true;
	assert_true(run_until(&sa, false, CHECK_DEAD_MS + CHECK_ACTIVE_MS + 100));
	run(CHECK_RETRY_MS - 10000);	/* before the retry round */
	assert_true(sa.n_lost > 0);
	d = sa.lost[0];		/* the oldest: 22 s old by now */
	assert_int_equal(checks_input(&sa.k, &d.from, d.buf, d.len, now), 1);
	assert_false(direct(&sa));
	assert_int_equal(sa.n_path, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_check_key_derive),
		cmocka_unit_test(test_check_key_low_order),
		cmocka_unit_test(test_msg_round_trip),
		cmocka_unit_test(test_msg_tampered),
		cmocka_unit_test(test_msg_not_a_check),
		cmocka_unit_test_teardown(test_punch, unpair),
		cmocka_unit_test_teardown(test_host_preferred, unpair),
		cmocka_unit_test_teardown(test_failover, unpair),
		cmocka_unit_test_teardown(test_idle_keepalive, unpair),
		cmocka_unit_test_teardown(test_idle_sleeps, unpair),
		cmocka_unit_test_teardown(test_same_record_no_round, unpair),
		cmocka_unit_test_teardown(test_forged_requests, unpair),
		cmocka_unit_test_teardown(test_replayed_answer, unpair),
		cmocka_unit_test_teardown(test_answer_from_elsewhere, unpair),
		cmocka_unit_test_teardown(test_stale_answer_after_fallback, unpair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
