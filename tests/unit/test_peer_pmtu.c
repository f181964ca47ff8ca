// SPDX-License-Identifier: GPL-2.0
/*
 * The path MTU through the relay to a peer (user/daemon/peer_pmtu.c):
 * two daemons, A and B, and a fake relay between them that carries A's
 * ChannelData on A's channel to B on B's channel when it fits the relay's
 * leg to B, and B's answers back. Checked: the probes are ChannelData on
 * the peer's channel of exactly the IP size searched, B answers on its
 * channel with the request's transaction id, A finds the leg within
 * PMTU_STEP, a peer not ready yet is no "too big", and a channel gone
 * takes its value with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "daemon/peer_pmtu.h"

#define CHAN_A 0x4001		/* A's channel to B */
#define CHAN_B 0x4002		/* B's channel to A */
#define V4_HDRS 28		/* IPv4 + UDP */
#define QMAX 64

struct dgram {
	uint8_t buf[PMTU_MAX];
	size_t len;
};

/* What each daemon sent to the relay, in order. */
struct wire {
	struct dgram q[QMAX];
	int n;
};

static struct wire from_a, from_b;
static struct peer_pmtu pa, pb;
static struct turn_client ta, tb;

/* Each daemon's sender: ctx is its side of the wire. */
static int send_to(void *ctx, const uint8_t *buf, size_t len)
{
	struct wire *w = ctx;

	assert_true(w->n < QMAX && len <= PMTU_MAX);
	memcpy(w->q[w->n].buf, buf, len);
	w->q[w->n++].len = len;
	return 0;
}

static void peer(struct turn_client *c, uint8_t last, uint16_t chan)
{
	struct turn_peer *p = &c->peers[0];

	memset(c, 0, sizeof(*c));
	c->n_peers = 1;
	p->ep.family = WGT_AF_INET;
	p->ep.addr[0] = 203, p->ep.addr[1] = 0, p->ep.addr[2] = 113;
	p->ep.addr[3] = last;
	p->ep.port = 50000;
	p->channel = chan;
	p->chan = TB_OK;
}

static void reset(void)
{
	memset(&from_a, 0, sizeof(from_a));
	memset(&from_b, 0, sizeof(from_b));
	peer_pmtu_init(&pa, send_to, &from_a);
	peer_pmtu_init(&pb, send_to, &from_b);
	peer(&ta, 2, CHAN_A);	/* A knows B as 203.0.113.2 */
	peer(&tb, 1, CHAN_B);
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* The relay: one datagram from `from` re-framed on channel `to_chan`,
 * if its IP size fits mtu (0: B has no channel yet, nothing passes). */
static bool relay(const struct dgram *d, uint16_t to_chan, uint32_t mtu,
		  struct dgram *out)
{
	if (!mtu || d->len + V4_HDRS > mtu)
		return false;
	*out = *d;
	out->buf[0] = to_chan >> 8;
	out->buf[1] = to_chan & 0xff;
	return true;
}

/* Run both daemons for up to ms, the relay's leg to B at mtu. */
static uint64_t run(uint64_t now, uint64_t ms, uint32_t mtu)
{
	uint64_t end = now + ms;
	struct dgram d;

	while (now < end) {
		for (int i = 0; i < from_a.n; i++) {
			const uint8_t *b = from_a.q[i].buf;

			/* every probe: ChannelData on A's channel for B */
			assert_int_equal(get16(b), CHAN_A);
			assert_int_equal(get16(b + 2), from_a.q[i].len - 4);
			if (pa.probes[0].pmtu.size && b[4] == 0x00 && b[5] == 0x01)
				assert_int_equal(from_a.q[i].len + V4_HDRS,
						 pa.probes[0].pmtu.size);
			if (relay(&from_a.q[i], CHAN_B, mtu, &d))
				assert_true(peer_pmtu_input(&pb, d.buf, d.len, now));
		}
		from_a.n = 0;
		for (int i = 0; i < from_b.n; i++) {
			assert_int_equal(get16(from_b.q[i].buf), CHAN_B);
			if (relay(&from_b.q[i], CHAN_A, mtu, &d))
				peer_pmtu_input(&pa, d.buf, d.len, now);
		}
		from_b.n = 0;
		now += 10;
		peer_pmtu_tick(&pa, now, 1500);
		peer_pmtu_tick(&pb, now, 1500);
	}
	return now;
}

static void test_finds_the_relays_leg(void **state)
{
	uint32_t v;

	(void)state;
	for (uint32_t mtu = 1280; mtu <= 1500; mtu += 60) {
		reset();
		peer_pmtu_sync(&pa, &ta, 1500, 1000);
		run(1000, 20000, mtu);
		v = peer_pmtu_value(&pa, &ta.peers[0].ep);
		print_message("# relay's leg %u: found %u, %u probes\n", mtu, v,
			      pa.probes[0].pmtu.probes);
		assert_true(v <= mtu && v + PMTU_STEP > mtu);
		/* B answered exactly the probes that fit */
		assert_true(pb.answered > 0 &&
			    pb.answered < pa.probes[0].pmtu.probes);
	}
}

/* B answers on its channel, with the request's transaction id, small. */
static void test_answer(void **state)
{
	struct dgram d;

	(void)state;
	reset();
	peer_pmtu_sync(&pa, &ta, 1400, 1000);
	assert_int_equal(from_a.n, 1);
	assert_true(relay(&from_a.q[0], CHAN_B, 1500, &d));
	assert_true(peer_pmtu_input(&pb, d.buf, d.len, 1010));
	assert_int_equal(from_b.n, 1);
	assert_int_equal(get16(from_b.q[0].buf), CHAN_B);
	assert_true(from_b.q[0].len < 64);
	assert_int_equal(from_b.q[0].buf[4], 0x01);	/* Binding success */
	assert_int_equal(from_b.q[0].buf[5], 0x01);
	assert_memory_equal(from_b.q[0].buf + 4 + 8, d.buf + 4 + 8,
			    STUN_TXID_LEN);
	/* the answer with another transaction id is nobody's */
	from_b.q[0].buf[4 + 19] ^= 1;
	assert_true(relay(&from_b.q[0], CHAN_A, 1500, &d));
	assert_false(peer_pmtu_input(&pa, d.buf, d.len, 1020));
}

/* B not ready (no channel to A yet): silence, no value, not "too big";
 * B's own first probe makes A search again at once. */
static void test_peer_not_ready(void **state)
{
	uint64_t now;

	(void)state;
	reset();
	peer_pmtu_sync(&pa, &ta, 1500, 1000);
	now = run(1000, PMTU_RESEARCH_MS, 0);
	assert_int_equal(peer_pmtu_value(&pa, &ta.peers[0].ep), 0);
	assert_int_equal(pa.probes[0].pmtu.size, 0);
	assert_true(pa.probes[0].pmtu.next_search_ms >= now + 15000);
	/* B comes up and probes A: A answers and searches again (at most
	 * once per PMTU_RESEARCH_MS: a request costs the sender little) */
	peer_pmtu_sync(&pb, &tb, 1500, now);
	now = run(now, 5000, 1400);
	assert_true(peer_pmtu_value(&pa, &ta.peers[0].ep) > 1392);
	assert_true(peer_pmtu_value(&pb, &tb.peers[0].ep) > 1392);
}

/* Found, then the peer goes away mid-search (a re-search after our leg
 * changed): the losses were silence, the old value stays. */
static void test_peer_gone_mid_search(void **state)
{
	uint64_t now;

	(void)state;
	reset();
	peer_pmtu_sync(&pa, &ta, 1500, 1000);
	peer_pmtu_sync(&pb, &tb, 1500, 1000);
	now = run(1000, 5000, 1400);
	assert_true(peer_pmtu_value(&pa, &ta.peers[0].ep) > 1392);
	peer_pmtu_research(&pa, 1500, now);
	now = run(now, 30, 1400);	/* the floor answered */
	now = run(now, 20000, 0);	/* then nothing */
	assert_true(peer_pmtu_value(&pa, &ta.peers[0].ep) > 1392);
	assert_int_equal(pa.probes[0].pmtu.size, 0);
}

/* WireGuard inside ChannelData is not ours; an unbound channel keeps
 * the value (a rebind), a new channel number searches again, a peer
 * gone takes its value with it. */
static void test_not_ours_and_gone(void **state)
{
	uint8_t wg[4 + 148] = { 0x40, 0x01, 0, 148, 4, 0, 0, 0 };

	(void)state;
	reset();
	assert_false(peer_pmtu_input(&pa, wg, sizeof(wg), 1000));
	peer_pmtu_sync(&pa, &ta, 1500, 1000);
	peer_pmtu_sync(&pb, &tb, 1500, 1000);
	run(1000, 5000, 1500);
	assert_int_equal(peer_pmtu_value(&pa, &ta.peers[0].ep), 1500);
	ta.peers[0].chan = TB_NONE;
	peer_pmtu_sync(&pa, &ta, 1500, 7000);
	assert_int_equal(pa.n, 1);
	assert_int_equal(peer_pmtu_value(&pa, &ta.peers[0].ep), 1500);
	from_a.n = 0;
	peer_pmtu_tick(&pa, 30000, 1500);
	assert_int_equal(from_a.n, 0);		/* unbound: not probed */
	ta.peers[0].chan = TB_OK;
	ta.peers[0].channel = 0x4009;
	peer_pmtu_sync(&pa, &ta, 1500, 30000);
	assert_int_equal(from_a.n, 1);		/* a new search ... */
	assert_int_equal(get16(from_a.q[0].buf), 0x4009);
	assert_int_equal(peer_pmtu_value(&pa, &ta.peers[0].ep), 1500);
	ta.n_peers = 0;				/* ... and the peer gone */
	peer_pmtu_sync(&pa, &ta, 1500, 30010);
	assert_int_equal(pa.n, 0);
	assert_int_equal(peer_pmtu_value(&pa, &ta.peers[0].ep), 0);
}

/* A peer that never answers (no wgturn there) is asked again after 30 s,
 * then twice as long after each silent search, up to 15 min; with 1,000
 * such peers a fixed 30 s kept ~110 probes a second going forever. */
static void test_silent_peer_backs_off(void **state)
{
	static const uint32_t want_s[] = { 30, 60, 120, 240, 480, 900, 900 };
	struct pmtu *m = &pa.probes[0].pmtu;
	uint64_t now = 1000;

	(void)state;
	reset();
	peer_pmtu_sync(&pa, &ta, 1500, now);
	for (size_t k = 0; k < sizeof(want_s) / sizeof(want_s[0]); k++) {
		uint64_t end;

		while (m->size)		/* the search runs to its silent end */
			now = run(now, 10, 0);
		end = now;
		assert_int_equal((m->next_search_ms - end + 500) / 1000, want_s[k]);
		now = run(now, m->next_search_ms - now + 10, 0);
		assert_true(m->size);	/* searching again */
	}
}

/* 1,000 relay peers: one probe each, found again by the next sync, and
 * the gone ones removed (sync looks them up through an index). */
static int count_send(void *ctx, const uint8_t *buf, size_t len)
{
	(void)buf, (void)len;
	++*(int *)ctx;
	return 0;
}

static void test_many_peers(void **state)
{
	static struct turn_client many;
	static struct peer_pmtu pa;	/* this test's own: 1,000 probes sent */
	enum { N = 1000 };
	int sent = 0;

	(void)state;
	peer_pmtu_init(&pa, count_send, &sent);
	memset(&many, 0, sizeof(many));
	for (int i = 0; i < N; i++) {
		struct turn_peer *p = &many.peers[i];

		p->ep.family = WGT_AF_INET;
		p->ep.addr[0] = 198, p->ep.addr[1] = 18;
		p->ep.addr[2] = i / 250, p->ep.addr[3] = i % 250 + 1;
		p->ep.port = 51820;
		p->channel = 0x4000 + i;
		p->chan = TB_OK;
	}
	many.n_peers = N;
	peer_pmtu_sync(&pa, &many, 1500, 1000);
	assert_int_equal(pa.n, N);
	assert_int_equal(sent, N);	/* each one's first probe */
	peer_pmtu_sync(&pa, &many, 1500, 1010);
	assert_int_equal(pa.n, N);
	assert_int_equal(sent, N);	/* found again: no new search */
	/* every other one gone: the last moves into each hole */
	for (int i = 0; i < N / 2; i++)
		many.peers[i] = many.peers[2 * i + 1];
	many.n_peers = N / 2;
	peer_pmtu_sync(&pa, &many, 1500, 1020);
	assert_int_equal(pa.n, N / 2);
	for (int i = 0; i < N / 2; i++) {
		bool found = false;

		for (int j = 0; j < pa.n; j++)
			found |= !memcmp(&pa.probes[j].ep, &many.peers[i].ep,
					 sizeof(struct wgt_ep));
		assert_true(found);
		assert_int_equal(pa.probes[i].pmtu.ctx, &pa.probes[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_the_relays_leg),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_peer_not_ready),
		cmocka_unit_test(test_peer_gone_mid_search),
		cmocka_unit_test(test_not_ours_and_gone),
		cmocka_unit_test(test_silent_peer_backs_off),
		cmocka_unit_test(test_many_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
