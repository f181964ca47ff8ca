// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the STUN/TURN codec (user/stun.c), built with
 * ASan and UBSan by tests/fuzz.mk. For any input, classify and parse must
 * stay inside the buffer. A message that parses is then re-encoded from
 * its decoded fields with the builder, sealed, parsed again, and must
 * decode to the same values and verify: a disagreement abort()s, which
 * libFuzzer reports like a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "turn/stun.h"

static const char key[] = "fuzz-key";
static volatile unsigned int sink;	/* keeps touch() from being elided */

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, \
				#cond);					\
			abort();					\
		}							\
	} while (0)

/* Read every byte a string points at, so ASan checks the pointers. */
static unsigned int touch(struct stun_str s)
{
	unsigned int sum = 0;

	for (size_t i = 0; i < s.len; i++)
		sum += s.p[i];
	return sum;
}

static bool str_eq(struct stun_str a, struct stun_str b)
{
	return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
}

static bool ep_same(const struct wgt_ep *a, const struct wgt_ep *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* The body attributes the round trip re-encodes, in this order. */
static const uint16_t addrs[] = {
	STUN_A_MAPPED_ADDRESS, STUN_A_XOR_MAPPED_ADDRESS,
	STUN_A_XOR_RELAYED_ADDRESS, STUN_A_ALTERNATE_SERVER,
};
static const uint16_t strs[] = {
	STUN_A_USERNAME, STUN_A_REALM, STUN_A_NONCE, STUN_A_SOFTWARE,
	STUN_A_DATA,
};

static const struct wgt_ep *addr_of(const struct stun_msg *m, uint16_t attr)
{
	switch (attr) {
	case STUN_A_MAPPED_ADDRESS: return &m->mapped;
	case STUN_A_XOR_MAPPED_ADDRESS: return &m->xor_mapped;
	case STUN_A_XOR_RELAYED_ADDRESS: return &m->relayed;
	default: return &m->alternate;
	}
}

static struct stun_str str_of(const struct stun_msg *m, uint16_t attr)
{
	switch (attr) {
	case STUN_A_USERNAME: return m->username;
	case STUN_A_REALM: return m->realm;
	case STUN_A_NONCE: return m->nonce;
	case STUN_A_SOFTWARE: return m->software;
	default: return m->data;
	}
}

static bool channel_ok(const struct stun_msg *m)
{
	return m->channel >= WGT_CHAN_MIN && m->channel <= WGT_CHAN_MAX;
}

/* The reason phrase as a C string; one with a NUL inside cannot be. */
static bool reason_cstr(const struct stun_msg *m, char *out)
{
	if (memchr(m->reason.p, 0, m->reason.len))
		return false;
	memcpy(out, m->reason.p, m->reason.len);
	out[m->reason.len] = 0;
	return true;
}

static int reencode(const struct stun_msg *m, uint8_t *out, size_t cap,
		    enum stun_mac mac, bool *with_reason)
{
	static char reason[0x10000];
	struct stun_builder b;

	stun_begin(&b, out, cap, m->type, m->txid);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		if (stun_has(m, addrs[i]))
			stun_add_addr(&b, addrs[i], addr_of(m, addrs[i]));
	for (int i = 0; i < m->npeers; i++)
		stun_add_addr(&b, STUN_A_XOR_PEER_ADDRESS, &m->peers[i]);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (stun_has(m, strs[i]))
			stun_add(&b, strs[i], str_of(m, strs[i]).p,
				 str_of(m, strs[i]).len);
	if (stun_has(m, STUN_A_LIFETIME))
		stun_add_lifetime(&b, m->lifetime);
	if (stun_has(m, STUN_A_REQUESTED_TRANSPORT))
		stun_add_transport(&b, m->transport);
	if (m->req_family)
		stun_add_family(&b, m->req_family);
	if (stun_has(m, STUN_A_CHANNEL_NUMBER) && channel_ok(m))
		stun_add_channel(&b, m->channel);
	*with_reason = stun_has(m, STUN_A_ERROR_CODE) && reason_cstr(m, reason);
	if (*with_reason)
		stun_add_error(&b, m->error_code, reason);
	if (stun_has(m, STUN_A_UNKNOWN_ATTRIBUTES))
		stun_add_unknown(&b, m->unknown_attrs, m->n_unknown_attrs);
	if (stun_has(m, STUN_A_DONT_FRAGMENT))
		stun_add(&b, STUN_A_DONT_FRAGMENT, NULL, 0);
	stun_add_integrity(&b, key, sizeof(key) - 1, mac);
	stun_add_fingerprint(&b);
	return stun_finish(&b);
}

static void same_values(const struct stun_msg *a, const struct stun_msg *b,
			bool with_reason)
{
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		CHECK(stun_has(a, addrs[i]) == stun_has(b, addrs[i]));
		CHECK(ep_same(addr_of(a, addrs[i]), addr_of(b, addrs[i])));
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		CHECK(stun_has(a, strs[i]) == stun_has(b, strs[i]));
		CHECK(str_eq(str_of(a, strs[i]), str_of(b, strs[i])));
	}
	CHECK(a->npeers == b->npeers);
	for (int i = 0; i < a->npeers; i++)
		CHECK(ep_same(&a->peers[i], &b->peers[i]));
	CHECK(a->type == b->type && !memcmp(a->txid, b->txid, STUN_TXID_LEN));
	CHECK(a->lifetime == b->lifetime && a->transport == b->transport);
	CHECK(a->req_family == b->req_family);
	CHECK(!channel_ok(a) || a->channel == b->channel);
	if (with_reason) {
		CHECK(a->error_code == b->error_code);
		CHECK(str_eq(a->reason, b->reason));
	}
	CHECK(a->n_unknown_attrs == b->n_unknown_attrs);
	CHECK(!memcmp(a->unknown_attrs, b->unknown_attrs,
		      sizeof(a->unknown_attrs)));
	CHECK(stun_has(a, STUN_A_DONT_FRAGMENT) ==
	      stun_has(b, STUN_A_DONT_FRAGMENT));
	CHECK(b->n_unknown == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[STUN_MAX_MSG + 64];
	struct stun_msg m, m2;
	enum stun_kind kind = stun_classify(data, size);
	bool with_reason;
	int err, n;

	err = stun_parse(&m, data, size);
	CHECK(err <= 0 && err >= STUN_E_CRYPTO);
	if (err) {
		CHECK(err != STUN_E_SHORT || size < STUN_HDR_LEN);
		return 0;
	}
	CHECK(kind == STUN_KIND_STUN);
	sink += touch(m.username) + touch(m.realm) + touch(m.nonce) +
		touch(m.software) + touch(m.data) + touch(m.reason);
	err = stun_verify_integrity(&m, key, sizeof(key) - 1);
	CHECK(err == 0 || err == STUN_E_INTEGRITY || err == STUN_E_NO_INTEGRITY);
	err = stun_verify_fingerprint(&m);
	CHECK(err == 0 || err == STUN_E_FINGERPRINT ||
	      err == STUN_E_NO_FINGERPRINT);

	n = reencode(&m, out, sizeof(out), size % 2 ? STUN_MAC_SHA256 :
			 STUN_MAC_SHA1, &with_reason);
	if (n == STUN_E_NOSPACE)	/* grew past 64 KiB: nothing to check */
		return 0;
	CHECK(n > 0);
	CHECK(stun_classify(out, n) == STUN_KIND_STUN);
	CHECK(stun_parse(&m2, out, n) == 0);
	same_values(&m, &m2, with_reason);
	CHECK(stun_verify_integrity(&m2, key, sizeof(key) - 1) == 0);
	CHECK(stun_verify_fingerprint(&m2) == 0);
	return 0;
}
