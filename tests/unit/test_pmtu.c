// SPDX-License-Identifier: GPL-2.0
/*
 * The path MTU search (user/daemon/pmtu.c) against simulated paths: a
 * probe gets through when its IP size fits the path; an ICMP may tell
 * the bound. The result must be the path MTU within PMTU_STEP, the
 * probes exactly the size asked for, and a lost answer must not halve
 * the result.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "daemon/pmtu.h"

struct path {
	uint32_t mtu;		/* the real one */
	uint32_t icmp;		/* what the kernel was told, 0: nothing */
	uint32_t route;		/* the route's MTU: the upper bound */
	int lose_next;		/* answers to drop, whatever their size */
	uint8_t family;
	uint32_t sent, last_size;
	uint8_t last[PMTU_MAX];
	size_t last_len;
};

static int fake_send(void *ctx, uint8_t *buf, size_t len)
{
	struct path *p = ctx;
	uint32_t ip = (uint32_t)len + 8 + (p->family == WGT_AF_INET ? 20 : 40);

	p->sent++;
	p->last_size = ip;
	memcpy(p->last, buf, len);
	p->last_len = len;
	return 0;
}

static uint32_t ask_hi(void *ctx)
{
	struct path *p = ctx;

	return p->icmp ? p->icmp : p->route;
}

/* The answer a server gives to the last probe: a Binding success with
 * its transaction id. */
static size_t answer(const struct path *p, uint8_t *out)
{
	memcpy(out, p->last, 20);
	out[0] = 0x01;
	out[1] = 0x01;
	out[2] = out[3] = 0;
	return 20;
}

/* Run the search to its end; returns the milliseconds it took. */
static uint64_t run(struct pmtu *m, struct path *p)
{
	uint64_t now = 1000, t0 = now;
	uint8_t a[64];
	uint32_t seen = 0;

	pmtu_search(m, p->family, p->route, now);
	while (m->size && now < t0 + 60000) {
		if (p->sent != seen) {
			seen = p->sent;
			if (p->last_size <= p->mtu && p->lose_next-- <= 0) {
				now += 20;	/* a round trip */
				assert_true(pmtu_input(m, a, answer(p, a), now));
				continue;
			}
		}
		now += 10;
		pmtu_tick(m, now, ask_hi, p);
	}
	return now - t0;
}

static void check_path(uint8_t family, uint32_t route, uint32_t mtu,
		       uint32_t icmp, int lose)
{
	struct path p = { .mtu = mtu, .route = route, .family = family,
			  .lose_next = lose };
	struct pmtu m;
	uint64_t took;

	pmtu_init(&m, fake_send, &p);
	if (icmp)
		p.icmp = icmp;
	took = run(&m, &p);
	print_message("# v%d route %u path %u%s%s: %u in %llu ms, %u probes\n",
		      family, route, mtu, icmp ? " icmp" : "",
		      lose ? " (an answer lost)" : "", pmtu_value(&m),
		      (unsigned long long)took, m.probes);
	assert_true(pmtu_value(&m) <= mtu);
	assert_true(pmtu_value(&m) + PMTU_STEP > mtu);
	assert_int_equal(m.size, 0);
}

static void test_full_path(void **state)
{
	(void)state;
	check_path(WGT_AF_INET, 1500, 1500, 0, 0);
	check_path(WGT_AF_INET6, 1500, 1500, 0, 0);
}

static void test_smaller_hops(void **state)
{
	(void)state;
	check_path(WGT_AF_INET, 1500, 1400, 0, 0);
	check_path(WGT_AF_INET, 1500, 1492, 0, 0);	/* PPPoE */
	check_path(WGT_AF_INET, 1500, 1460, 0, 0);
	check_path(WGT_AF_INET6, 1500, 1420, 0, 0);
	check_path(WGT_AF_INET6, 1500, 1280, 0, 0);
	check_path(WGT_AF_INET, 1500, 1280, 0, 0);
	check_path(WGT_AF_INET, 9000, 1500, 0, 0);
}

static void test_icmp_shortcut(void **state)
{
	(void)state;
	check_path(WGT_AF_INET, 1500, 1400, 1400, 0);
}

/* One answer lost: the size is sent again before it counts as too big. */
static void test_one_loss(void **state)
{
	(void)state;
	check_path(WGT_AF_INET, 1500, 1500, 0, 1);
}

/* Nothing answered (the relay down, or a path below the floor): no
 * result, not the floor; the last result stays; another search later. */
static void test_no_answer(void **state)
{
	struct path p = { .mtu = 500, .route = 1500, .family = WGT_AF_INET };
	struct pmtu m;

	(void)state;
	pmtu_init(&m, fake_send, &p);
	run(&m, &p);
	assert_int_equal(m.size, 0);
	assert_int_equal(pmtu_value(&m), 0);
	assert_true(m.next_search_ms > 0);
	/* a path that worked, then a relay that answers nothing */
	p.mtu = 1500;
	run(&m, &p);
	assert_int_equal(pmtu_value(&m), 1500);
	p.mtu = 0;
	run(&m, &p);
	assert_int_equal(pmtu_value(&m), 1500);
}

/* Jumbo frames: probes as big as the route allows. */
static void test_jumbo(void **state)
{
	(void)state;
	check_path(WGT_AF_INET, 9000, 9000, 0, 0);
	check_path(WGT_AF_INET, 9000, 8000, 0, 0);
}

/* Every probe is exactly the IP size it stands for. */
static void test_probe_sizes(void **state)
{
	uint8_t buf[2048], txid[STUN_TXID_LEN] = { 1 };
	int len;

	(void)state;
	len = pmtu_build(buf, sizeof(buf), WGT_AF_INET, 1400, txid);
	assert_int_equal(len + 8 + 20, 1400);
	len = pmtu_build(buf, sizeof(buf), WGT_AF_INET6, 1280, txid);
	assert_int_equal(len + 8 + 40, 1280);
	/* a Binding request with the transaction id given */
	assert_int_equal(buf[0], 0x00);
	assert_int_equal(buf[1], 0x01);
	assert_memory_equal(buf + 8, txid, STUN_TXID_LEN);
	/* too small for the headers */
	assert_true(pmtu_build(buf, sizeof(buf), WGT_AF_INET, 40, txid) < 0);
}

/* An answer with another transaction id is not the probe's. */
static void test_foreign_answer(void **state)
{
	struct path p = { .mtu = 1500, .route = 1500, .family = WGT_AF_INET };
	struct pmtu m;
	uint8_t a[64];

	(void)state;
	pmtu_init(&m, fake_send, &p);
	pmtu_search(&m, WGT_AF_INET, 1500, 1000);
	answer(&p, a);
	a[19] ^= 1;
	assert_false(pmtu_input(&m, a, 20, 1010));
	assert_int_equal(pmtu_value(&m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_path),
		cmocka_unit_test(test_smaller_hops),
		cmocka_unit_test(test_icmp_shortcut),
		cmocka_unit_test(test_one_loss),
		cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_jumbo),
		cmocka_unit_test(test_probe_sizes),
		cmocka_unit_test(test_foreign_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
