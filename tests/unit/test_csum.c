// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for bpf/csum.h. Every incremental result is compared with a
 * full recomputation by the independent RFC 1071 code in tests/lib/pkt.c
 * (big-endian words, 64-bit accumulator), never with csum.h itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "csum.h"
#include "pkt.h"

#define ROUNDS 20000

/* Reproducible pseudo-random numbers (xorshift32). */
static uint32_t rng_state = 0x2112a442;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void rnd_fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd();
}

/* Raw 16-bit word as the datapath loads it from packet memory. */
static uint16_t raw16(const uint8_t *p)
{
	uint16_t w;

	memcpy(&w, p, 2);
	return w;
}

/* The checksum field as bytes on the wire, from a host-order value. */
static uint16_t wire16(uint16_t host)
{
	return htons(host);
}

/* Two 32-bit one's complement sums are equal modulo 0xffff. */
static int ones_eq(uint64_t a, uint64_t b)
{
	return a % 0xffff == b % 0xffff;
}

/* ---- The reference itself, on published vectors ---- */

static void test_reference_vectors(void **state)
{
	/* RFC 1071 section 3: the words sum to 0x2ddf0, folded 0xddf2 */
	static const uint8_t rfc1071[] = { 0x00, 0x01, 0xf2, 0x03,
					   0xf4, 0xf5, 0xf6, 0xf7 };
	/* an IPv4 header whose checksum field holds 0xb861 */
	static const uint8_t ip[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00,
				      0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
				      0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
				      0x00, 0xc7 };

	assert_int_equal(rfc1071_fold(rfc1071_add(0, rfc1071, 8)), 0xddf2);
	assert_int_equal(rfc1071_csum(rfc1071, 8), 0x220d);
	assert_int_equal(rfc1071_csum(ip, sizeof(ip)), 0xb861);
	/* an odd last byte is the high half of a zero-padded word */
	assert_int_equal(rfc1071_fold(rfc1071_add(0, rfc1071, 7)),
			 rfc1071_fold(0x2ddf0 - 0xf7));
}

/* ---- csum_add / csum_sub ---- */

static void test_add_carry(void **state)
{
	assert_int_equal(csum_add(0xffffffff, 1), 1);
	assert_int_equal(csum_add(0xffffffff, 0xffffffff), 0xffffffff);
	assert_int_equal(csum_add(0x80000000, 0x80000000), 1);
	assert_int_equal(csum_add(0, 0), 0);
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t a = rnd(), b = rnd();
		uint64_t r = (uint64_t)a + b;

		/* end-around carry: a carry out of bit 31 comes back in */
		if (r >> 32)
			r = (r & 0xffffffff) + 1;
		assert_int_equal(csum_add(a, b), (uint32_t)r);
	}
}

static void test_sub(void **state)
{
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t s = rnd(), v = rnd();

		assert_int_equal(csum_sub(s, v), csum_add(s, ~v));
		/* subtracting then adding back is the identity mod 0xffff */
		assert_true(ones_eq(csum_add(csum_sub(s, v), v), s));
		assert_true(ones_eq((uint64_t)csum_sub(s, v) + v, s));
	}
}

/* ---- csum_fold ---- */

static uint16_t ref_fold(uint32_t x)
{
	/* Folding keeps the value mod 0xffff and only 0 folds to 0. */
	return x == 0 ? 0 : (uint16_t)((x - 1) % 0xffff + 1);
}

static void test_fold(void **state)
{
	static const uint32_t edge[] = {
		0, 1, 0xffff, 0x10000, 0x1fffe, 0xfffeffff, 0xffff0000,
		0xffffffff, 0x0001ffff, 0x8000ffff,
	};

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		assert_int_equal(csum_fold(edge[i]), ref_fold(edge[i]));
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t x = rnd();

		assert_int_equal(csum_fold(x), ref_fold(x));
		assert_int_equal(csum_fold(x), rfc1071_fold(x));
	}
}

/* ---- csum_word / csum_partial_words: byte order independence ---- */

static void test_word(void **state)
{
	uint16_t w = csum_word(0x12, 0x34);

	assert_memory_equal(&w, "\x12\x34", 2);
	for (int i = 0; i < ROUNDS; i++) {
		uint8_t b[2] = { (uint8_t)rnd(), (uint8_t)rnd() };

		w = csum_word(b[0], b[1]);
		assert_int_equal(w, raw16(b));
		/* a lone byte at an even offset is the high half */
		w = csum_word(b[0], 0);
		assert_int_equal(ntohs(w), b[0] << 8);
	}
}

static void test_partial_words(void **state)
{
	uint16_t buf[64];

	for (int i = 0; i < 2000; i++) {
		int words = 1 + rnd() % 64;
		uint16_t raw;

		rnd_fill((uint8_t *)buf, sizeof(buf));
		raw = (uint16_t)~csum_fold(csum_partial_words(buf, words, 0));
		/* RFC 1071 1.2(B): a native-order sum is the byte-swapped
		 * big-endian sum, so the raw result lands in wire order. */
		assert_int_equal(ntohs(raw),
				 rfc1071_csum((uint8_t *)buf, words * 2));
	}
}

/* ---- csum_apply: incremental update == full recompute ---- */

/* A random "header" of len bytes with its checksum at check_off. */
struct block {
	uint8_t b[256];
	size_t len;
	size_t check_off;
};

static void block_new(struct block *k)
{
	k->len = 4 + rnd() % 200;
	k->check_off = 2 * (rnd() % (k->len / 2));
	rnd_fill(k->b, k->len);
}

/* Full checksum of the block as if its checksum field were zero. */
static uint16_t block_full(const struct block *k)
{
	uint8_t tmp[256];

	memcpy(tmp, k->b, k->len);
	memset(tmp + k->check_off, 0, 2);
	return rfc1071_csum(tmp, k->len);
}

static void block_seal(struct block *k)
{
	uint16_t c = wire16(block_full(k));

	memcpy(k->b + k->check_off, &c, 2);
}

/* Replace the word at even offset off (a lone last byte, if off is the
 * last byte of an odd-length block), returning the updated diff. */
static uint32_t block_change(struct block *k, size_t off, uint32_t diff)
{
	uint8_t hi = (uint8_t)rnd(), lo = (uint8_t)rnd();

	if (off + 1 == k->len) {
		diff = csum_sub(diff, csum_word(k->b[off], 0));
		k->b[off] = hi;
		return csum_add(diff, csum_word(hi, 0));
	}
	diff = csum_sub(diff, raw16(k->b + off));
	k->b[off] = hi;
	k->b[off + 1] = lo;
	return csum_add(diff, raw16(k->b + off));
}

static uint16_t block_check(const struct block *k)
{
	return raw16(k->b + k->check_off);
}

static void test_apply_random(void **state)
{
	struct block k;

	for (int i = 0; i < ROUNDS; i++) {
		int changes = 1 + rnd() % 6;
		uint32_t diff = 0;
		uint16_t res;

		block_new(&k);
		block_seal(&k);
		for (int c = 0; c < changes; c++) {
			size_t off = 2 * (rnd() % ((k.len + 1) / 2));

			if (off == k.check_off)
				continue;
			diff = block_change(&k, off, diff);
		}
		res = csum_apply(block_check(&k), diff, 0);
		assert_int_equal(ntohs(res), block_full(&k));
	}
}

/* csum_diff_addr: a 4-byte or 16-byte address moves, as in the pseudo
 * header; the result must match a full recompute. */
static void test_diff_addr(void **state)
{
	struct block k;

	for (int i = 0; i < ROUNDS; i++) {
		int words = rnd() & 1 ? 1 : 4;
		uint32_t old[4], new[4], diff;
		size_t off;

		block_new(&k);
		k.len = 64 + rnd() % 100;
		k.check_off = 0;
		rnd_fill(k.b, k.len);
		block_seal(&k);
		off = 2 + 2 * (rnd() % ((k.len - 2 - 4 * words) / 2));
		memcpy(old, k.b + off, 4 * words);
		rnd_fill((uint8_t *)new, sizeof(new));
		memcpy(k.b + off, new, 4 * words);

		diff = csum_diff_addr(0, old, new, words);
		assert_int_equal(ntohs(csum_apply(block_check(&k), diff, 0)),
				 block_full(&k));
	}
}

/* Make the block's sum (check field excluded) fold to 0xffff, so its
 * checksum is 0, by rewriting the last full word. */
static uint32_t block_force_zero(struct block *k, uint32_t diff)
{
	size_t off = (k->len & ~(size_t)1) - 2;
	uint16_t old, w;
	uint8_t tmp[256];

	if (off == k->check_off)
		off -= 2;
	memcpy(tmp, k->b, k->len);
	memset(tmp + k->check_off, 0, 2);
	memset(tmp + off, 0, 2);
	w = 0xffff - rfc1071_fold(rfc1071_add(0, tmp, k->len));
	old = raw16(k->b + off);
	k->b[off] = w >> 8;
	k->b[off + 1] = w & 0xff;
	return csum_add(csum_sub(diff, old), raw16(k->b + off));
}

static void test_apply_udp_zero(void **state)
{
	struct block k;

	for (int i = 0; i < 2000; i++) {
		uint32_t diff;

		do {
			block_new(&k);
		} while (k.len < 8 || k.check_off + 2 >= (k.len & ~1UL) - 2);
		block_seal(&k);
		diff = block_force_zero(&k, 0);
		assert_int_equal(block_full(&k), 0);
		/* IP header rule: 0 is a checksum like any other */
		assert_int_equal(csum_apply(block_check(&k), diff, 0), 0);
		/* UDP: a computed 0 is sent as 0xffff (RFC 768) */
		assert_int_equal(csum_apply(block_check(&k), diff, CSUM_UDP),
				 0xffff);
		assert_int_equal(csum_apply(block_check(&k), diff, CSUM_UDP4),
				 0xffff);
	}
}

static void test_apply_udp4_no_csum(void **state)
{
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t diff = rnd();

		/* IPv4 "no checksum" stays so, whatever changed */
		assert_int_equal(csum_apply(0, diff, CSUM_UDP4), 0);
		/* IPv6 has no such thing: 0 is recomputed, never kept */
		assert_int_not_equal(csum_apply(0, diff, CSUM_UDP), 0);
	}
}

/* An old checksum stored as 0xffff (a computed 0) updates correctly. */
static void test_apply_from_ffff(void **state)
{
	struct block k;

	for (int i = 0; i < 2000; i++) {
		uint32_t diff;
		uint16_t full, res;
		size_t off;

		do {
			block_new(&k);
		} while (k.len < 8 || k.check_off + 2 >= (k.len & ~1UL) - 2);
		block_seal(&k);
		block_force_zero(&k, 0);
		memcpy(k.b + k.check_off, "\xff\xff", 2);
		off = k.check_off ? 0 : 2;
		diff = block_change(&k, off, 0);
		full = block_full(&k);
		res = csum_apply(block_check(&k), diff, CSUM_UDP);
		assert_int_equal(ntohs(res), full ? full : 0xffff);
		res = csum_apply(block_check(&k), diff, CSUM_UDP4);
		assert_int_equal(ntohs(res), full ? full : 0xffff);
	}
}

/* A UDP datagram end to end: ports, length and a pseudo-header address
 * change, applied with CSUM_UDP as the datapath does, against pkt.c. */
static void test_apply_udp_datagram(void **state)
{
	for (int i = 0; i < 5000; i++) {
		uint8_t saddr[16], daddr[16], ndaddr[16], udp[128];
		uint32_t old[4], new[4];
		int family = rnd() & 1 ? WGT_AF_INET : WGT_AF_INET6;
		int words = family == WGT_AF_INET ? 1 : 4;
		size_t len = 8 + rnd() % 100;
		uint32_t diff;
		uint16_t c, res;

		rnd_fill(saddr, 16);
		rnd_fill(daddr, 16);
		rnd_fill(ndaddr, 16);
		rnd_fill(udp, len);
		udp[4] = len >> 8;
		udp[5] = len & 0xff;
		memset(udp + 6, 0, 2);
		c = wire16(pkt_udp_csum(family, saddr, daddr, udp, len));
		memcpy(udp + 6, &c, 2);

		/* new destination address and port */
		memcpy(old, daddr, 16);
		memcpy(new, ndaddr, 16);
		diff = csum_diff_addr(0, old, new, words);
		diff = csum_sub(diff, raw16(udp + 2));
		udp[2] = (uint8_t)rnd();
		udp[3] = (uint8_t)rnd();
		diff = csum_add(diff, raw16(udp + 2));

		res = csum_apply(raw16(udp + 6), diff, CSUM_UDP);
		memset(udp + 6, 0, 2);
		assert_int_equal(ntohs(res),
				 pkt_udp_csum(family, saddr, ndaddr, udp, len));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_add_carry),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_partial_words),
		cmocka_unit_test(test_apply_random),
		cmocka_unit_test(test_diff_addr),
		cmocka_unit_test(test_apply_udp_zero),
		cmocka_unit_test(test_apply_udp4_no_csum),
		cmocka_unit_test(test_apply_from_ffff),
		cmocka_unit_test(test_apply_udp_datagram),
	};

	return cmocka_run_group_tests_name("csum", tests, NULL, NULL);
}
