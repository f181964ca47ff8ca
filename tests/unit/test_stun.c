// SPDX-License-Identifier: GPL-2.0
/*
 * STUN/TURN codec: the RFC 5769 vectors (tests/data/rfc5769, read at run time),
 * byte-exact encodes checked against messages computed independently,
 * round trips of every attribute, and malformed input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "turn/stun.h"

#define RFC5769_DEFAULT "tests/data/rfc5769"

/* RFC 5769 keys: short-term password (2.1-2.3), long-term (2.4). */
static const char st_pass[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const char lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83"
			      "\xe3\x82\xaf\xe3\x82\xb9";	/* マトリックス */
static const char lt_realm[] = "example.org";
static const char lt_pass[] = "TheMatrIX";	/* SASLprep("TheMªtrⅨ") */
static const char lt_nonce[] = "f//499k954d6OL34oL9FSTvy64sA";
static const uint8_t rfc_txid[12] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};
static const uint8_t txid[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

/* Read a whitespace-separated hex dump; missing vectors fail loudly. */
static size_t load_hex(const char *name, uint8_t *buf, size_t cap)
{
	const char *dir = getenv("RFC5769_DIR");
	char path[512];
	unsigned int byte;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : RFC5769_DEFAULT,
		 name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s: run from the repository root, "
			 "or set RFC5769_DIR", path);
	while (n < cap && fscanf(f, "%2x", &byte) == 1)
		buf[n++] = byte;
	fclose(f);
	assert_true(n >= STUN_HDR_LEN);
	return n;
}

static void assert_str(struct stun_str s, const char *want)
{
	assert_non_null(s.p);
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len);
}

static struct wgt_ep ep(const char *ip, uint16_t port)
{
	struct wgt_ep e = { .port = port };

	if (inet_pton(AF_INET, ip, e.addr) == 1) {
		e.family = WGT_AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, e.addr), 1);
		e.family = WGT_AF_INET6;
	}
	return e;
}

static void assert_ep(const struct wgt_ep *got, const char *ip, uint16_t port)
{
	struct wgt_ep want = ep(ip, port);

	assert_memory_equal(got, &want, sizeof(want));
}

static void lt_key(uint8_t key[STUN_MD5_LEN])
{
	assert_int_equal(stun_long_term_key(lt_user, strlen(lt_user), lt_realm,
					    strlen(lt_realm), lt_pass,
					    strlen(lt_pass), key), 0);
}

static void test_type(void **state)
{
	static const uint16_t methods[] = {
		STUN_BINDING, STUN_ALLOCATE, STUN_REFRESH, STUN_SEND,
		STUN_DATA, STUN_CREATE_PERMISSION, STUN_CHANNEL_BIND, 0xFFF,
	};

	assert_int_equal(stun_type(STUN_BINDING, STUN_REQUEST), 0x0001);
	assert_int_equal(stun_type(STUN_BINDING, STUN_SUCCESS), 0x0101);
	assert_int_equal(stun_type(STUN_ALLOCATE, STUN_ERROR), 0x0113);
	assert_int_equal(stun_type(STUN_SEND, STUN_INDICATION), 0x0016);
	assert_int_equal(stun_type(STUN_DATA, STUN_INDICATION), 0x0017);
	assert_int_equal(stun_type(STUN_CHANNEL_BIND, STUN_SUCCESS), 0x0109);
	assert_int_equal(stun_type(0xFFF, STUN_ERROR), 0x3FFF);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		for (int c = STUN_REQUEST; c <= STUN_ERROR; c++) {
			uint16_t t = stun_type(methods[i], c);

			assert_int_equal(stun_method(t), methods[i]);
			assert_int_equal(stun_class(t), c);
		}
}

static void test_rfc5769_request(void **state)
{
	uint8_t buf[256];
	size_t n = load_hex("2.1-sample-request.hex", buf, sizeof(buf));
	struct stun_msg m;

	assert_int_equal(n, 108);
	assert_int_equal(stun_classify(buf, n), STUN_KIND_STUN);
	assert_int_equal(stun_parse(&m, buf, n), 0);
	assert_int_equal(m.type, stun_type(STUN_BINDING, STUN_REQUEST));
	assert_memory_equal(m.txid, rfc_txid, 12);
	assert_str(m.software, "STUN test client");
	assert_str(m.username, "evtj:h6vY");
	/* PRIORITY (ICE) is comprehension-required and not ours; the
	 * optional ICE-CONTROLLED is silently skipped. */
	assert_int_equal(m.n_unknown, 1);
	assert_int_equal(m.unknown[0], 0x0024);
	assert_true(stun_has(&m, STUN_A_MESSAGE_INTEGRITY));
	assert_false(stun_has(&m, STUN_A_MESSAGE_INTEGRITY_SHA256));
	assert_int_equal(stun_verify_integrity(&m, st_pass, strlen(st_pass)), 0);
	assert_int_equal(stun_verify_integrity(&m, "wrong", 5), STUN_E_INTEGRITY);
	assert_int_equal(stun_verify_fingerprint(&m), 0);
}

static void check_binding_response(const char *file, size_t len,
				   const char *ip)
{
	uint8_t buf[256];
	size_t n = load_hex(file, buf, sizeof(buf));
	struct stun_msg m;

	assert_int_equal(n, len);
	assert_int_equal(stun_parse(&m, buf, n), 0);
	assert_int_equal(m.type, stun_type(STUN_BINDING, STUN_SUCCESS));
	assert_memory_equal(m.txid, rfc_txid, 12);
	assert_str(m.software, "test vector");
	assert_true(stun_has(&m, STUN_A_XOR_MAPPED_ADDRESS));
	assert_ep(&m.xor_mapped, ip, 32853);
	assert_int_equal(m.n_unknown, 0);
	assert_int_equal(stun_verify_integrity(&m, st_pass, strlen(st_pass)), 0);
	assert_int_equal(stun_verify_fingerprint(&m), 0);
}

static void test_rfc5769_ipv4(void **state)
{
	check_binding_response("2.2-ipv4-response.hex", 80, "192.0.2.1");
}

static void test_rfc5769_ipv6(void **state)
{
	check_binding_response("2.3-ipv6-response.hex", 92,
			       "2001:db8:1234:5678:11:2233:4455:6677");
}

static void test_rfc5769_long_term(void **state)
{
	/* MD5("マトリックス:example.org:TheMatrIX"), from Python's hashlib. */
	static const uint8_t want_key[16] = {
		0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
		0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9,
	};
	uint8_t buf[256], key[STUN_MD5_LEN];
	size_t n = load_hex("2.4-long-term-request.hex", buf, sizeof(buf));
	struct stun_msg m;

	assert_int_equal(n, 116);
	assert_int_equal(stun_parse(&m, buf, n), 0);
	assert_int_equal(m.type, stun_type(STUN_BINDING, STUN_REQUEST));
	assert_str(m.username, lt_user);
	assert_str(m.nonce, lt_nonce);
	assert_str(m.realm, lt_realm);
	lt_key(key);
	assert_memory_equal(key, want_key, sizeof(key));
	assert_int_equal(stun_verify_integrity(&m, key, sizeof(key)), 0);
	/* The short-term use of the password is not the long-term key. */
	assert_int_equal(stun_verify_integrity(&m, lt_pass, strlen(lt_pass)),
			 STUN_E_INTEGRITY);
	assert_int_equal(stun_verify_fingerprint(&m), STUN_E_NO_FINGERPRINT);
}

/* 2.4 has zero padding: the builder must reproduce it byte for byte. */
static void test_rfc5769_long_term_encode(void **state)
{
	uint8_t want[256], buf[256], key[STUN_MD5_LEN];
	size_t n = load_hex("2.4-long-term-request.hex", want, sizeof(want));
	struct stun_builder b;

	lt_key(key);
	stun_begin(&b, buf, sizeof(buf), stun_type(STUN_BINDING, STUN_REQUEST),
		   want + 8);
	stun_add_str(&b, STUN_A_USERNAME, lt_user);
	stun_add_str(&b, STUN_A_NONCE, lt_nonce);
	stun_add_str(&b, STUN_A_REALM, lt_realm);
	stun_add_integrity(&b, key, sizeof(key), STUN_MAC_SHA1);
	assert_int_equal(stun_finish(&b), n);
	assert_memory_equal(buf, want, n);
}

/*
 * 2.1-2.3 pad with spaces. Reproduce that by hand between builder calls:
 * integrity and fingerprint must then come out as in the RFC, which shows
 * they cover the buffer as it is, padding included.
 */
static void space_pad(struct stun_builder *b, size_t vlen)
{
	for (size_t i = vlen; i % 4; i++)
		b->buf[b->len - 4 + i % 4] = ' ';
}

static void add_spaced(struct stun_builder *b, uint16_t attr, const char *s)
{
	stun_add_str(b, attr, s);
	space_pad(b, strlen(s));
}

static void seal_short_term(struct stun_builder *b, const uint8_t *want,
			    size_t n)
{
	assert_int_equal(stun_add_integrity(b, st_pass, strlen(st_pass),
					    STUN_MAC_SHA1), 0);
	assert_int_equal(stun_add_fingerprint(b), 0);
	assert_int_equal(stun_finish(b), n);
	assert_memory_equal(b->buf, want, n);
}

static void test_rfc5769_short_term_encode(void **state)
{
	static const uint8_t priority[] = { 0x6e, 0x00, 0x01, 0xff };
	static const uint8_t controlled[] = {
		0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	};
	uint8_t want[256], buf[256];
	struct wgt_ep v4 = ep("192.0.2.1", 32853);
	struct wgt_ep v6 = ep("2001:db8:1234:5678:11:2233:4455:6677", 32853);
	struct stun_builder b;
	size_t n;

	n = load_hex("2.1-sample-request.hex", want, sizeof(want));
	stun_begin(&b, buf, sizeof(buf), 0x0001, rfc_txid);
	add_spaced(&b, STUN_A_SOFTWARE, "STUN test client");
	stun_add(&b, 0x0024, priority, sizeof(priority));
	stun_add(&b, 0x8029, controlled, sizeof(controlled));
	add_spaced(&b, STUN_A_USERNAME, "evtj:h6vY");
	seal_short_term(&b, want, n);

	n = load_hex("2.2-ipv4-response.hex", want, sizeof(want));
	stun_begin(&b, buf, sizeof(buf), 0x0101, rfc_txid);
	add_spaced(&b, STUN_A_SOFTWARE, "test vector");
	stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &v4);
	seal_short_term(&b, want, n);

	n = load_hex("2.3-ipv6-response.hex", want, sizeof(want));
	stun_begin(&b, buf, sizeof(buf), 0x0101, rfc_txid);
	add_spaced(&b, STUN_A_SOFTWARE, "test vector");
	stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &v6);
	seal_short_term(&b, want, n);
}

/* Any single bit flipped anywhere in a vector must be caught. */
static void test_rfc5769_bit_flips(void **state)
{
	static const char *const files[] = {
		"2.1-sample-request.hex", "2.2-ipv4-response.hex",
		"2.3-ipv6-response.hex", "2.4-long-term-request.hex",
	};
	uint8_t buf[256], key[STUN_MD5_LEN];
	struct stun_msg m;

	lt_key(key);
	for (size_t f = 0; f < 4; f++) {
		size_t n = load_hex(files[f], buf, sizeof(buf));
		const void *k = f == 3 ? (const void *)key : st_pass;
		size_t klen = f == 3 ? sizeof(key) : strlen(st_pass);

		for (size_t bit = 0; bit < n * 8; bit++) {
			bool caught;

			buf[bit / 8] ^= 1 << bit % 8;
			caught = stun_parse(&m, buf, n) ||
				 stun_verify_integrity(&m, k, klen) ||
				 (f != 3 && stun_verify_fingerprint(&m));
			buf[bit / 8] ^= 1 << bit % 8;
			if (!caught)
				fail_msg("%s: flipping bit %zu went unnoticed",
					 files[f], bit);
		}
	}
}

/*
 * The TURN requests the client sends. Expected bytes were computed with
 * Python's struct/hmac/hashlib/zlib, not with this codec. Credentials:
 * "wgturn", realm "example.org", password "secret", nonce "nonce-1234".
 */
static const uint8_t exp_allocate[] = {
	0x00, 0x03, 0x00, 0x54, 0x21, 0x12, 0xa4, 0x42, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x00, 0x19, 0x00, 0x04,
	0x11, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x06, 0x77, 0x67, 0x74, 0x75,
	0x72, 0x6e, 0x00, 0x00, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x15, 0x00, 0x0a,
	0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x2d, 0x31, 0x32, 0x33, 0x34, 0x00, 0x00,
	0x00, 0x08, 0x00, 0x14, 0xee, 0x1a, 0x71, 0x62, 0x7b, 0xa7, 0x90, 0xeb,
	0xc5, 0x5f, 0xbc, 0xbb, 0x72, 0x3c, 0x82, 0xf2, 0xad, 0x6b, 0xce, 0x9b,
	0x80, 0x28, 0x00, 0x04, 0x12, 0xf1, 0x57, 0x5e,
};
static const uint8_t exp_refresh0[] = {
	0x00, 0x04, 0x00, 0x54, 0x21, 0x12, 0xa4, 0x42, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x00, 0x0d, 0x00, 0x04,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x06, 0x77, 0x67, 0x74, 0x75,
	0x72, 0x6e, 0x00, 0x00, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x15, 0x00, 0x0a,
	0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x2d, 0x31, 0x32, 0x33, 0x34, 0x00, 0x00,
	0x00, 0x08, 0x00, 0x14, 0x6d, 0x1d, 0x1f, 0x51, 0x5d, 0x3e, 0xf0, 0x9f,
	0xc1, 0xa3, 0xde, 0xe4, 0xb3, 0x4c, 0xc4, 0x19, 0x62, 0x17, 0x61, 0x11,
	0x80, 0x28, 0x00, 0x04, 0x91, 0x03, 0xa1, 0x5f,
};
static const uint8_t exp_createperm[] = {
	0x00, 0x08, 0x00, 0x70, 0x21, 0x12, 0xa4, 0x42, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x00, 0x12, 0x00, 0x08,
	0x00, 0x01, 0xeb, 0x7e, 0xe7, 0x21, 0xc0, 0x45, 0x00, 0x12, 0x00, 0x14,
	0x00, 0x02, 0xeb, 0x7e, 0x01, 0x13, 0xa9, 0xfa, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0c, 0x00, 0x06, 0x00, 0x06,
	0x77, 0x67, 0x74, 0x75, 0x72, 0x6e, 0x00, 0x00, 0x00, 0x14, 0x00, 0x0b,
	0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00,
	0x00, 0x15, 0x00, 0x0a, 0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x2d, 0x31, 0x32,
	0x33, 0x34, 0x00, 0x00, 0x00, 0x08, 0x00, 0x14, 0x8a, 0xa9, 0xc8, 0xb3,
	0x17, 0xbc, 0xc2, 0xe6, 0x63, 0x41, 0xe0, 0xd2, 0x2a, 0x7a, 0x36, 0xfe,
	0x95, 0x91, 0xcb, 0xb9, 0x80, 0x28, 0x00, 0x04, 0x78, 0xf4, 0x24, 0x85,
};
static const uint8_t exp_chanbind[] = {
	0x00, 0x09, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x00, 0x0c, 0x00, 0x04,
	0x40, 0x01, 0x00, 0x00, 0x00, 0x12, 0x00, 0x08, 0x00, 0x01, 0xeb, 0x7e,
	0xe7, 0x21, 0xc0, 0x45, 0x00, 0x06, 0x00, 0x06, 0x77, 0x67, 0x74, 0x75,
	0x72, 0x6e, 0x00, 0x00, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x15, 0x00, 0x0a,
	0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x2d, 0x31, 0x32, 0x33, 0x34, 0x00, 0x00,
	0x00, 0x08, 0x00, 0x14, 0x75, 0xb9, 0x76, 0x74, 0x8d, 0xa8, 0x20, 0x82,
	0x8a, 0x32, 0xd0, 0x8d, 0x1b, 0x9e, 0xa5, 0xea, 0xab, 0x0a, 0x7b, 0x3f,
	0x80, 0x28, 0x00, 0x04, 0xfe, 0x3e, 0xa6, 0x7a,
};

struct turn_fixture {
	uint8_t buf[512];
	uint8_t key[STUN_MD5_LEN];
	struct stun_builder b;
	struct stun_msg m;
};

static void turn_begin(struct turn_fixture *t, uint16_t method)
{
	assert_int_equal(stun_long_term_key("wgturn", 6, "example.org", 11,
					    "secret", 6, t->key), 0);
	stun_begin(&t->b, t->buf, sizeof(t->buf),
		   stun_type(method, STUN_REQUEST), txid);
}

/* Credentials, seal, compare with the expected bytes, parse back. */
static void turn_end(struct turn_fixture *t, const uint8_t *want, size_t n)
{
	stun_add_str(&t->b, STUN_A_USERNAME, "wgturn");
	stun_add_str(&t->b, STUN_A_REALM, "example.org");
	stun_add_str(&t->b, STUN_A_NONCE, "nonce-1234");
	stun_add_integrity(&t->b, t->key, sizeof(t->key), STUN_MAC_SHA1);
	stun_add_fingerprint(&t->b);
	assert_int_equal(stun_finish(&t->b), n);
	assert_memory_equal(t->buf, want, n);

	assert_int_equal(stun_parse(&t->m, t->buf, n), 0);
	assert_memory_equal(t->m.txid, txid, 12);
	assert_str(t->m.username, "wgturn");
	assert_str(t->m.realm, "example.org");
	assert_str(t->m.nonce, "nonce-1234");
	assert_int_equal(stun_verify_integrity(&t->m, t->key, 16), 0);
	assert_int_equal(stun_verify_fingerprint(&t->m), 0);
}

static void test_turn_allocate(void **state)
{
	struct turn_fixture t;
	uint8_t first[64];
	struct stun_builder b;

	/* The first Allocate carries no credentials; the 401 brings them. */
	stun_begin(&b, first, sizeof(first),
		   stun_type(STUN_ALLOCATE, STUN_REQUEST), txid);
	stun_add_transport(&b, STUN_PROTO_UDP);
	assert_int_equal(stun_finish(&b), 28);
	assert_memory_equal(first, exp_allocate, 2);
	assert_memory_equal(first + 4, exp_allocate + 4, 24);

	turn_begin(&t, STUN_ALLOCATE);
	stun_add_transport(&t.b, STUN_PROTO_UDP);
	turn_end(&t, exp_allocate, sizeof(exp_allocate));
	assert_int_equal(t.m.type, 0x0003);
	assert_int_equal(t.m.transport, STUN_PROTO_UDP);
}

static void test_turn_refresh_zero(void **state)
{
	struct turn_fixture t;

	turn_begin(&t, STUN_REFRESH);
	stun_add_lifetime(&t.b, 0);
	turn_end(&t, exp_refresh0, sizeof(exp_refresh0));
	assert_int_equal(t.m.type, 0x0004);
	assert_true(stun_has(&t.m, STUN_A_LIFETIME));
	assert_int_equal(t.m.lifetime, 0);
}

static void test_turn_create_permission(void **state)
{
	struct wgt_ep v4 = ep("198.51.100.7", 51820);
	struct wgt_ep v6 = ep("2001:db8::7", 51820);
	struct turn_fixture t;

	turn_begin(&t, STUN_CREATE_PERMISSION);
	stun_add_addr(&t.b, STUN_A_XOR_PEER_ADDRESS, &v4);
	stun_add_addr(&t.b, STUN_A_XOR_PEER_ADDRESS, &v6);
	turn_end(&t, exp_createperm, sizeof(exp_createperm));
	assert_int_equal(t.m.npeers, 2);
	assert_ep(&t.m.peers[0], "198.51.100.7", 51820);
	assert_ep(&t.m.peers[1], "2001:db8::7", 51820);
}

static void test_turn_channel_bind(void **state)
{
	struct wgt_ep v4 = ep("198.51.100.7", 51820);
	struct turn_fixture t;

	turn_begin(&t, STUN_CHANNEL_BIND);
	stun_add_channel(&t.b, 0x4001);
	stun_add_addr(&t.b, STUN_A_XOR_PEER_ADDRESS, &v4);
	turn_end(&t, exp_chanbind, sizeof(exp_chanbind));
	assert_int_equal(t.m.channel, 0x4001);
	assert_int_equal(t.m.npeers, 1);
	assert_ep(&t.m.peers[0], "198.51.100.7", 51820);
}

/* Server answers the client acts on. */
static void error_response(uint16_t code, const char *reason,
			   const char *nonce, struct stun_msg *m,
			   uint8_t *buf, size_t cap)
{
	struct stun_builder b;
	int n;

	stun_begin(&b, buf, cap, stun_type(STUN_ALLOCATE, STUN_ERROR), txid);
	stun_add_error(&b, code, reason);
	if (nonce) {
		stun_add_str(&b, STUN_A_REALM, "example.org");
		stun_add_str(&b, STUN_A_NONCE, nonce);
	}
	stun_add_str(&b, STUN_A_SOFTWARE, "coturn");
	stun_add_fingerprint(&b);
	n = stun_finish(&b);
	assert_true(n > 0);
	assert_int_equal(stun_parse(m, buf, n), 0);
	assert_int_equal(stun_verify_fingerprint(m), 0);
	assert_int_equal(stun_class(m->type), STUN_ERROR);
	assert_int_equal(stun_method(m->type), STUN_ALLOCATE);
	assert_int_equal(m->error_code, code);
	assert_str(m->reason, reason);
}

static void test_turn_errors(void **state)
{
	uint8_t buf[256];
	struct stun_msg m;

	error_response(401, "Unauthorized", "abc", &m, buf, sizeof(buf));
	/* ERROR-CODE on the wire: reserved, class 4, number 1. */
	assert_memory_equal(buf + 20, "\x00\x09\x00\x10\x00\x00\x04\x01", 8);
	assert_str(m.realm, "example.org");
	assert_str(m.nonce, "abc");
	assert_int_equal(stun_verify_integrity(&m, "x", 1), STUN_E_NO_INTEGRITY);

	error_response(438, "Stale Nonce", "fresh-nonce", &m, buf, sizeof(buf));
	assert_memory_equal(buf + 26, "\x04\x26", 2);
	assert_str(m.nonce, "fresh-nonce");

	error_response(437, "Allocation Mismatch", NULL, &m, buf, sizeof(buf));
	assert_false(stun_has(&m, STUN_A_NONCE));
	assert_null(m.nonce.p);

	error_response(508, "Insufficient Capacity", NULL, &m, buf, sizeof(buf));
	error_response(300, "", NULL, &m, buf, sizeof(buf));
	error_response(699, "x", NULL, &m, buf, sizeof(buf));
}

static void test_unknown_attributes_420(void **state)
{
	static const uint16_t types[] = { 0x0024, 0x7FFF, 0x0031 };
	uint8_t buf[128];
	struct stun_builder b;
	struct stun_msg m;
	int n;

	stun_begin(&b, buf, sizeof(buf), stun_type(STUN_BINDING, STUN_ERROR),
		   txid);
	stun_add_error(&b, 420, "Unknown Attribute");
	stun_add_unknown(&b, types, 3);
	n = stun_finish(&b);
	assert_true(n > 0);
	/* Three types are 6 bytes, zero-padded to 8. */
	assert_memory_equal(buf + n - 12,
			    "\x00\x0a\x00\x06\x00\x24\x7f\xff\x00\x31\x00\x00",
			    12);
	assert_int_equal(stun_parse(&m, buf, n), 0);
	assert_int_equal(m.error_code, 420);
	assert_int_equal(m.n_unknown_attrs, 3);
	assert_memory_equal(m.unknown_attrs, types, sizeof(types));
}

/* Every attribute type, encoded then decoded, for v4 and v6 addresses. */
static void round_trip(const char *a, const char *b2, const char *c,
		       enum stun_mac mac)
{
	static const uint16_t unk[] = { 0x0024 };
	static const uint8_t payload[] = { 1, 2, 3, 4, 5 };
	struct wgt_ep e1 = ep(a, 1), e2 = ep(b2, 65535), e3 = ep(c, 3478);
	uint8_t buf[1024];
	struct stun_builder b;
	struct stun_msg m;
	int n;

	stun_begin(&b, buf, sizeof(buf), stun_type(STUN_ALLOCATE, STUN_SUCCESS),
		   txid);
	stun_add_addr(&b, STUN_A_MAPPED_ADDRESS, &e1);
	stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &e2);
	stun_add_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, &e3);
	stun_add_addr(&b, STUN_A_XOR_PEER_ADDRESS, &e1);
	stun_add_addr(&b, STUN_A_ALTERNATE_SERVER, &e3);
	stun_add_lifetime(&b, 600);
	stun_add_transport(&b, STUN_PROTO_UDP);
	stun_add_family(&b, e3.family);
	stun_add_channel(&b, 0x4FFF);
	stun_add_str(&b, STUN_A_USERNAME, "u");
	stun_add_str(&b, STUN_A_REALM, "re");
	stun_add_str(&b, STUN_A_NONCE, "non");
	stun_add_str(&b, STUN_A_SOFTWARE, "wgturn");
	stun_add_error(&b, 486, "Allocation Quota Reached");
	stun_add_unknown(&b, unk, 1);
	stun_add(&b, STUN_A_DATA, payload, sizeof(payload));
	stun_add(&b, STUN_A_DONT_FRAGMENT, NULL, 0);
	stun_add_integrity(&b, "k", 1, mac);
	stun_add_fingerprint(&b);
	n = stun_finish(&b);
	assert_true(n > 0);

	assert_int_equal(stun_parse(&m, buf, n), 0);
	for (size_t i = 0; i < 20; i++) {
		static const uint16_t all[] = {
			STUN_A_MAPPED_ADDRESS, STUN_A_XOR_MAPPED_ADDRESS,
			STUN_A_XOR_RELAYED_ADDRESS, STUN_A_XOR_PEER_ADDRESS,
			STUN_A_ALTERNATE_SERVER, STUN_A_LIFETIME,
			STUN_A_REQUESTED_TRANSPORT,
			STUN_A_REQUESTED_ADDRESS_FAMILY, STUN_A_CHANNEL_NUMBER,
			STUN_A_USERNAME, STUN_A_REALM, STUN_A_NONCE,
			STUN_A_SOFTWARE, STUN_A_ERROR_CODE,
			STUN_A_UNKNOWN_ATTRIBUTES, STUN_A_DATA,
			STUN_A_DONT_FRAGMENT, STUN_A_FINGERPRINT,
			STUN_A_MESSAGE_INTEGRITY, STUN_A_MESSAGE_INTEGRITY_SHA256,
		};
		bool want = all[i] != (mac == STUN_MAC_SHA1 ?
				       STUN_A_MESSAGE_INTEGRITY_SHA256 :
				       STUN_A_MESSAGE_INTEGRITY);

		assert_int_equal(stun_has(&m, all[i]), want);
	}
	assert_ep(&m.mapped, a, 1);
	assert_ep(&m.xor_mapped, b2, 65535);
	assert_ep(&m.relayed, c, 3478);
	assert_int_equal(m.npeers, 1);
	assert_ep(&m.peers[0], a, 1);
	assert_ep(&m.alternate, c, 3478);
	assert_int_equal(m.lifetime, 600);
	assert_int_equal(m.transport, 17);
	assert_int_equal(m.req_family, e3.family);
	assert_int_equal(m.channel, 0x4FFF);
	assert_str(m.username, "u");
	assert_str(m.realm, "re");
	assert_str(m.nonce, "non");
	assert_str(m.software, "wgturn");
	assert_int_equal(m.error_code, 486);
	assert_str(m.reason, "Allocation Quota Reached");
	assert_int_equal(m.n_unknown_attrs, 1);
	assert_int_equal(m.unknown_attrs[0], 0x0024);
	assert_int_equal(m.data.len, sizeof(payload));
	assert_memory_equal(m.data.p, payload, sizeof(payload));
	assert_int_equal(m.n_unknown, 0);
	assert_int_equal(stun_verify_integrity(&m, "k", 1), 0);
	assert_int_equal(stun_verify_integrity(&m, "K", 1), STUN_E_INTEGRITY);
	assert_int_equal(stun_verify_fingerprint(&m), 0);
}

static void test_round_trip_v4(void **state)
{
	round_trip("192.0.2.1", "255.255.255.255", "0.0.0.0", STUN_MAC_SHA1);
}

static void test_round_trip_v6(void **state)
{
	round_trip("2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		   "::", STUN_MAC_SHA256);
}

/* MI then MI-SHA256: the stronger one is checked; FINGERPRINT covers both. */
static void test_both_integrities(void **state)
{
	uint8_t buf[128];
	struct stun_builder b;
	struct stun_msg m;
	int n;

	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	stun_add_integrity(&b, "pw", 2, STUN_MAC_SHA1);
	stun_add_integrity(&b, "pw", 2, STUN_MAC_SHA256);
	stun_add_fingerprint(&b);
	n = stun_finish(&b);
	assert_int_equal(n, 20 + 24 + 36 + 8);
	assert_int_equal(stun_parse(&m, buf, n), 0);
	assert_int_equal(m.mi_off, 20);
	assert_int_equal(m.mi256_off, 44);
	assert_int_equal(stun_verify_integrity(&m, "pw", 2), 0);
	buf[m.mi256_off + 4] ^= 1;
	assert_int_equal(stun_verify_integrity(&m, "pw", 2), STUN_E_INTEGRITY);
}

/* Attributes after MESSAGE-INTEGRITY are unauthenticated: ignored. */
static void test_after_integrity_ignored(void **state)
{
	uint8_t buf[128];
	struct stun_builder b;
	struct stun_msg m;
	int n;

	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	stun_add_lifetime(&b, 1);
	stun_add_integrity(&b, "pw", 2, STUN_MAC_SHA1);
	n = stun_finish(&b);
	/* Smuggle LIFETIME and a required unknown attribute after it. */
	memcpy(buf + n, "\x00\x0d\x00\x04\x00\x00\x0e\x10"
			"\x00\x33\x00\x00", 12);
	buf[3] += 12;
	n += 12;
	assert_int_equal(stun_parse(&m, buf, n), 0);
	assert_int_equal(m.lifetime, 1);
	assert_int_equal(m.n_unknown, 0);
	assert_int_equal(stun_verify_integrity(&m, "pw", 2), 0);
}

/* stun_attr_find: attributes the parser keeps no field for, and only
 * those the integrity covers. */
static void test_attr_find(void **state)
{
	uint8_t buf[128];
	struct stun_builder b;
	struct stun_msg m;
	struct stun_str v;
	int n;

	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	stun_add(&b, 0xC0A1, "12345678", 8);
	stun_add(&b, 0xC0A2, "abc", 3);
	stun_add_integrity(&b, "pw", 2, STUN_MAC_SHA256);
	n = stun_finish(&b);
	/* one more after the integrity: not covered, not found */
	memcpy(buf + n, "\xC0\xA3\x00\x00", 4);
	buf[3] += 4;
	n += 4;
	assert_int_equal(stun_parse(&m, buf, n), 0);
	assert_int_equal(stun_attr_find(&m, 0xC0A1, &v), 0);
	assert_int_equal(v.len, 8);
	assert_memory_equal(v.p, "12345678", 8);
	assert_int_equal(stun_attr_find(&m, 0xC0A2, &v), 0);
	assert_int_equal(v.len, 3);
	assert_int_equal(stun_attr_find(&m, 0xC0A3, &v), -1);
	assert_int_equal(stun_attr_find(&m, 0xC0A4, &v), -1);
}

static void test_repeats_and_unknown(void **state)
{
	struct wgt_ep peer = ep("203.0.113.9", 9);
	uint8_t buf[1024];
	struct stun_builder b;
	struct stun_msg m;
	int n;

	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	stun_add_lifetime(&b, 10);
	stun_add_lifetime(&b, 20);	/* only the first counts */
	for (int i = 0; i < STUN_MAX_PEERS + 2; i++)
		stun_add_addr(&b, STUN_A_XOR_PEER_ADDRESS, &peer);
	/* Optional ones (never listed), the top of the comprehension-
	 * required range, then more than the list holds. */
	stun_add(&b, 0x8000, "opt", 3);
	stun_add(&b, 0xFFFF, NULL, 0);
	for (uint16_t t = 0x8000 - STUN_MAX_UNKNOWN; t < 0x8000; t++)
		stun_add(&b, t, NULL, 0);
	stun_add(&b, 0x0040, NULL, 0);
	n = stun_finish(&b);
	assert_true(n > 0);
	assert_int_equal(stun_parse(&m, buf, n), 0);
	assert_int_equal(m.lifetime, 10);
	assert_int_equal(m.npeers, STUN_MAX_PEERS);
	assert_int_equal(m.n_unknown, STUN_MAX_UNKNOWN);
	for (int i = 0; i < STUN_MAX_UNKNOWN; i++)
		assert_int_equal(m.unknown[i], 0x8000 - STUN_MAX_UNKNOWN + i);
}

/* A header with a body of the given attribute bytes. */
static size_t mk(uint8_t *buf, const void *attrs, size_t alen)
{
	memcpy(buf, "\x00\x01\x00\x00\x21\x12\xa4\x42", 8);
	memcpy(buf + 8, txid, 12);
	buf[2] = alen >> 8;
	buf[3] = alen;
	memcpy(buf + 20, attrs, alen);
	return 20 + alen;
}

struct bad {
	const char *what;
	const char *attrs;
	size_t len;
	int err;
};

#define BAD(what, a, e) { what, a, sizeof(a) - 1, e }

static void test_malformed_attrs(void **state)
{
	static const struct bad cases[] = {
		BAD("value past the end", "\x80\x22\x00\x08" "abcd", STUN_E_TRUNCATED),
		BAD("padding past the end", "\x00\x06\x00\x01", STUN_E_TRUNCATED),
		BAD("second attr past end",
		    "\x00\x0d\x00\x04\0\0\0\0\x00\x06\x00\x05xyz\0",
		    STUN_E_TRUNCATED),
		BAD("v4 family, v6 length", "\x00\x20\x00\x14\x00\x01\x00\x00"
		    "0123456789abcdef", STUN_E_ATTR),
		BAD("v6 family, v4 length", "\x00\x20\x00\x08\x00\x02\x00\x00"
		    "1234", STUN_E_ATTR),
		BAD("family 3", "\x00\x16\x00\x08\x00\x03\x00\x00" "1234",
		    STUN_E_ATTR),
		BAD("family 0", "\x00\x12\x00\x08\x00\x00\x00\x00" "1234",
		    STUN_E_ATTR),
		BAD("address too short", "\x00\x01\x00\x04\x00\x01\x00\x00",
		    STUN_E_ATTR),
		BAD("empty address", "\x00\x20\x00\x00", STUN_E_ATTR),
		BAD("mapped v4 too long", "\x00\x01\x00\x0c\x00\x01\x00\x00"
		    "12345678", STUN_E_ATTR),
		BAD("lifetime 2 bytes", "\x00\x0d\x00\x02\0\0\0\0", STUN_E_ATTR),
		BAD("lifetime 8 bytes", "\x00\x0d\x00\x08\0\0\0\0\0\0\0\0",
		    STUN_E_ATTR),
		BAD("transport 1 byte", "\x00\x19\x00\x01\x11\0\0\0", STUN_E_ATTR),
		BAD("family attr empty", "\x00\x17\x00\x00", STUN_E_ATTR),
		BAD("channel 2 bytes", "\x00\x0c\x00\x02\x40\x01\0\0", STUN_E_ATTR),
		BAD("error code 3 bytes", "\x00\x09\x00\x03\0\0\x04\0",
		    STUN_E_ATTR),
		BAD("error class 2", "\x00\x09\x00\x04\0\0\x02\x00", STUN_E_ATTR),
		BAD("error class 7", "\x00\x09\x00\x04\0\0\x07\x00", STUN_E_ATTR),
		BAD("error number 100", "\x00\x09\x00\x04\0\0\x04\x64",
		    STUN_E_ATTR),
		BAD("odd unknown list", "\x00\x0a\x00\x03\x00\x24\x00\0",
		    STUN_E_ATTR),
		BAD("dont-fragment value", "\x00\x1a\x00\x04\0\0\0\0", STUN_E_ATTR),
		BAD("MI 16 bytes", "\x00\x08\x00\x10" "0123456789abcdef",
		    STUN_E_ATTR),
		BAD("MI-SHA256 12 bytes", "\x00\x1c\x00\x0c" "0123456789ab",
		    STUN_E_ATTR),
		BAD("MI-SHA256 18 bytes", "\x00\x1c\x00\x12" "0123456789abcdef"
		    "gh\0\0", STUN_E_ATTR),
		BAD("MI-SHA256 36 bytes", "\x00\x1c\x00\x24"
		    "0123456789abcdef0123456789abcdef0123", STUN_E_ATTR),
		BAD("fingerprint 8 bytes", "\x80\x28\x00\x08\0\0\0\0\0\0\0\0",
		    STUN_E_ATTR),
		BAD("fingerprint not last", "\x80\x28\x00\x04\0\0\0\0"
		    "\x80\x22\x00\x00", STUN_E_FP_NOT_LAST),
	};
	uint8_t buf[128], *exact;
	struct stun_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = mk(buf, cases[i].attrs, cases[i].len);
		int err;

		/* An exact-size copy, so a stray read leaves the buffer. */
		exact = malloc(n);
		assert_non_null(exact);
		memcpy(exact, buf, n);
		err = stun_parse(&m, exact, n);
		free(exact);
		if (err != cases[i].err)
			fail_msg("%s: got %d (%s), want %d", cases[i].what, err,
				 stun_strerror(err), cases[i].err);
	}
}

static void test_malformed_header(void **state)
{
	uint8_t buf[64] = { 0 };
	struct stun_msg m;
	size_t n = mk(buf, "\x00\x0d\x00\x04\0\0\0\x01", 8);

	assert_int_equal(stun_parse(&m, buf, n), 0);
	assert_int_equal(stun_parse(&m, buf, 0), STUN_E_SHORT);
	assert_int_equal(stun_parse(&m, buf, 19), STUN_E_SHORT);
	/* Datagram longer or shorter than the length field says. */
	assert_int_equal(stun_parse(&m, buf, n + 4), STUN_E_LENGTH);
	assert_int_equal(stun_parse(&m, buf, n - 4), STUN_E_LENGTH);
	assert_int_equal(stun_parse(&m, buf, n - 1), STUN_E_LENGTH);
	buf[3] = 6;	/* not a multiple of 4 */
	assert_int_equal(stun_parse(&m, buf, 26), STUN_E_LENGTH);
	buf[3] = 8;
	buf[0] = 0x40;	/* ChannelData's leading bits */
	assert_int_equal(stun_parse(&m, buf, n), STUN_E_NOT_STUN);
	buf[0] = 0x80;
	assert_int_equal(stun_parse(&m, buf, n), STUN_E_NOT_STUN);
	buf[0] = 0;
	buf[7] ^= 1;	/* cookie */
	assert_int_equal(stun_parse(&m, buf, n), STUN_E_NOT_STUN);
	buf[7] ^= 1;
	assert_int_equal(stun_parse(&m, buf, n), 0);
	/* A header alone is a valid, empty message. */
	buf[3] = 0;
	assert_int_equal(stun_parse(&m, buf, 20), 0);
	assert_int_equal(m.have, 0);
	assert_int_equal(stun_verify_integrity(&m, "k", 1), STUN_E_NO_INTEGRITY);
	assert_int_equal(stun_verify_fingerprint(&m), STUN_E_NO_FINGERPRINT);
}

/* Truncating a valid message anywhere, or lying in its length, is caught. */
static void test_truncations(void **state)
{
	uint8_t buf[256], *exact;
	size_t n = load_hex("2.1-sample-request.hex", buf, sizeof(buf));
	struct stun_msg m;

	for (size_t len = 0; len < n; len++) {
		int parsed, fp = -1;

		exact = malloc(len ? len : 1);
		assert_non_null(exact);
		memcpy(exact, buf, len);
		parsed = stun_parse(&m, exact, len);
		if (len >= 20) {	/* length field agreeing with the cut */
			exact[2] = (len - 20) >> 8;
			exact[3] = len - 20;
			if (stun_parse(&m, exact, len) == 0)
				fp = stun_verify_fingerprint(&m);
		}
		/* Freed before asserting: a failure must not leak it. */
		free(exact);
		assert_int_not_equal(parsed, 0);
		assert_int_not_equal(fp, 0);
	}
}

static void test_builder_errors(void **state)
{
	struct wgt_ep bad = { .family = 5 }, v4 = ep("192.0.2.1", 1);
	uint8_t buf[64];
	struct stun_builder b;

	assert_int_equal(stun_begin(&b, buf, 19, 0x0001, txid), STUN_E_NOSPACE);
	assert_int_equal(stun_finish(&b), STUN_E_NOSPACE);
	assert_int_equal(stun_begin(&b, buf, 64, 0xC001, txid), STUN_E_INVAL);

	/* Too big: the error sticks and later adds do nothing. */
	stun_begin(&b, buf, 32, 0x0001, txid);
	assert_int_equal(stun_add(&b, STUN_A_DATA, "12345678", 8), 0);
	assert_int_equal(stun_add(&b, STUN_A_DATA, "1", 1), STUN_E_NOSPACE);
	assert_int_equal(stun_add_lifetime(&b, 1), STUN_E_NOSPACE);
	assert_int_equal(stun_finish(&b), STUN_E_NOSPACE);
	assert_int_equal(b.len, 32);

	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	assert_int_equal(stun_add_addr(&b, STUN_A_XOR_PEER_ADDRESS, &bad),
			 STUN_E_INVAL);
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	assert_int_equal(stun_add_addr(&b, STUN_A_LIFETIME, &v4), STUN_E_INVAL);
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	assert_int_equal(stun_add_channel(&b, 0x3FFF), STUN_E_INVAL);
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	assert_int_equal(stun_add_channel(&b, 0x5000), STUN_E_INVAL);
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	assert_int_equal(stun_add_error(&b, 299, NULL), STUN_E_INVAL);
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	assert_int_equal(stun_add_error(&b, 700, NULL), STUN_E_INVAL);
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	assert_int_equal(stun_add_family(&b, 0), STUN_E_INVAL);

	/* Order: nothing after FINGERPRINT, no MI after MI-SHA256. */
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	stun_add_integrity(&b, "k", 1, STUN_MAC_SHA1);
	assert_int_equal(stun_add_lifetime(&b, 1), STUN_E_INVAL);
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	stun_add_integrity(&b, "k", 1, STUN_MAC_SHA256);
	assert_int_equal(stun_add_integrity(&b, "k", 1, STUN_MAC_SHA1),
			 STUN_E_INVAL);
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	stun_add_fingerprint(&b);
	assert_int_equal(stun_add_fingerprint(&b), STUN_E_INVAL);
	stun_begin(&b, buf, sizeof(buf), 0x0001, txid);
	stun_add_fingerprint(&b);
	assert_int_equal(stun_add_integrity(&b, "k", 1, STUN_MAC_SHA1),
			 STUN_E_INVAL);
}

static void test_classify(void **state)
{
	uint8_t buf[256];
	size_t n = load_hex("2.2-ipv4-response.hex", buf, sizeof(buf));
	static const uint8_t cd[] = { 0x40, 0x01, 0x00, 0x03, 'a', 'b', 'c', 0 };
	static const uint8_t wg_init[24] = { 1, 0, 0, 0 };
	uint8_t x[8];

	assert_int_equal(stun_classify(buf, n), STUN_KIND_STUN);
	assert_int_equal(stun_classify(buf, 19), STUN_KIND_OTHER);
	buf[4] ^= 0xff;
	assert_int_equal(stun_classify(buf, n), STUN_KIND_OTHER);
	assert_int_equal(stun_classify(cd, sizeof(cd)), STUN_KIND_CHANNELDATA);
	assert_int_equal(stun_classify(cd, 7), STUN_KIND_CHANNELDATA);
	assert_int_equal(stun_classify(cd, 6), STUN_KIND_OTHER);	/* short */
	assert_int_equal(stun_classify(cd, 3), STUN_KIND_OTHER);
	assert_int_equal(stun_classify(cd, 0), STUN_KIND_OTHER);
	memcpy(x, cd, 8);
	x[0] = 0x4F;
	assert_int_equal(stun_classify(x, 8), STUN_KIND_CHANNELDATA);
	x[0] = 0x50;	/* leading bits 01 but beyond 0x4FFF */
	assert_int_equal(stun_classify(x, 8), STUN_KIND_OTHER);
	x[0] = 0x3F;
	assert_int_equal(stun_classify(x, 8), STUN_KIND_OTHER);
	assert_int_equal(stun_classify(wg_init, sizeof(wg_init)),
			 STUN_KIND_OTHER);
}

static void test_misc(void **state)
{
	uint8_t a[12], b[12], key[16];
	/* MD5("user:realm:pass"), from Python's hashlib. */
	static const uint8_t want[16] = {
		0x84, 0x93, 0xfb, 0xc5, 0x3b, 0xa5, 0x82, 0xfb,
		0x4c, 0x04, 0x4c, 0x45, 0x6b, 0xdc, 0x40, 0xeb,
	};

	assert_int_equal(stun_long_term_key("user", 4, "realm", 5, "pass", 4,
					    key), 0);
	assert_memory_equal(key, want, 16);
	assert_int_equal(stun_txid_new(a), 0);
	assert_int_equal(stun_txid_new(b), 0);
	assert_memory_not_equal(a, b, 12);
	for (int e = 0; e >= STUN_E_CRYPTO; e--)
		assert_null(strstr(stun_strerror(e), "unknown"));
	assert_non_null(strstr(stun_strerror(-99), "unknown"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_rfc5769_request),
		cmocka_unit_test(test_rfc5769_ipv4),
		cmocka_unit_test(test_rfc5769_ipv6),
		cmocka_unit_test(test_rfc5769_long_term),
		cmocka_unit_test(test_rfc5769_long_term_encode),
		cmocka_unit_test(test_rfc5769_short_term_encode),
		cmocka_unit_test(test_rfc5769_bit_flips),
		cmocka_unit_test(test_turn_allocate),
		cmocka_unit_test(test_turn_refresh_zero),
		cmocka_unit_test(test_turn_create_permission),
		cmocka_unit_test(test_turn_channel_bind),
		cmocka_unit_test(test_turn_errors),
		cmocka_unit_test(test_unknown_attributes_420),
		cmocka_unit_test(test_round_trip_v4),
		cmocka_unit_test(test_round_trip_v6),
		cmocka_unit_test(test_both_integrities),
		cmocka_unit_test(test_after_integrity_ignored),
		cmocka_unit_test(test_repeats_and_unknown),
		cmocka_unit_test(test_malformed_attrs),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_attr_find),
		cmocka_unit_test(test_misc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
