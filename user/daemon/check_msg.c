// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <string.h>
#include "check_msg.h"

static int build(uint8_t *buf, enum stun_class cls,
		 const uint8_t txid[STUN_TXID_LEN], const uint8_t self[WG_KEY_LEN],
		 const uint64_t *sent_ns, const struct wgt_ep *mapped,
		 const uint8_t key[CHECK_KEY_LEN])
{
	char user[WG_KEY_B64LEN];
	struct stun_builder b;

	wg_key_to_base64(self, user);
	stun_begin(&b, buf, CHECK_MSG_MAX, stun_type(STUN_BINDING, cls), txid);
	stun_add_str(&b, STUN_A_USERNAME, user);
	if (sent_ns) {
		uint64_t be = htobe64(*sent_ns);

		stun_add(&b, CHECK_ATTR_SENT_AT, &be, sizeof(be));
	}
	if (mapped)
		stun_add_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, mapped);
	stun_add_integrity(&b, key, CHECK_KEY_LEN, STUN_MAC_SHA256);
	stun_add_fingerprint(&b);
	return stun_finish(&b);
}

int check_msg_request(uint8_t *buf, const uint8_t txid[STUN_TXID_LEN],
		      const uint8_t self[WG_KEY_LEN], uint64_t sent_ns,
		      const uint8_t key[CHECK_KEY_LEN])
{
	return build(buf, STUN_REQUEST, txid, self, &sent_ns, NULL, key);
}

int check_msg_answer(uint8_t *buf, const uint8_t txid[STUN_TXID_LEN],
		     const uint8_t self[WG_KEY_LEN], const struct wgt_ep *mapped,
		     const uint8_t key[CHECK_KEY_LEN])
{
	return build(buf, STUN_SUCCESS, txid, self, NULL, mapped, key);
}

int check_msg_parse(struct check_msg *out, struct stun_msg *m,
		    const uint8_t *buf, size_t len)
{
	char user[WG_KEY_B64LEN];
	struct stun_str t;
	uint64_t be;

	memset(out, 0, sizeof(*out));
	if (stun_parse(m, buf, len) || stun_method(m->type) != STUN_BINDING ||
	    !m->mi256_off || !m->fp_off ||
	    m->username.len != WG_KEY_B64LEN - 1)
		return -1;
	memcpy(user, m->username.p, WG_KEY_B64LEN - 1);
	user[WG_KEY_B64LEN - 1] = '\0';
	if (wg_key_from_base64(user, out->from))
		return -1;
	memcpy(out->txid, m->txid, STUN_TXID_LEN);
	switch (stun_class(m->type)) {
	case STUN_REQUEST:
		if (stun_attr_find(m, CHECK_ATTR_SENT_AT, &t) || t.len != 8)
			return -1;
		memcpy(&be, t.p, 8);
		out->sent_ns = be64toh(be);
		out->request = true;
		return 0;
	case STUN_SUCCESS:
		if (!stun_has(m, STUN_A_XOR_MAPPED_ADDRESS))
			return -1;
		out->mapped = m->xor_mapped;
		return 0;
	default:
		return -1;
	}
}

int check_msg_verify(const struct stun_msg *m, const uint8_t key[CHECK_KEY_LEN])
{
	/* SHA256 only: a stripped-down SHA1 variant is not accepted */
	if (!m->mi256_off || stun_verify_integrity(m, key, CHECK_KEY_LEN))
		return -1;
	return stun_verify_fingerprint(m) ? -1 : 0;
}
