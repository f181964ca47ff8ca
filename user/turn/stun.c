// SPDX-License-Identifier: GPL-2.0
/*
 * STUN/TURN codec (RFC 8489, RFC 8656). The parser trusts nothing: every
 * length is checked against the datagram before a byte is read, and a
 * value is stored only once it is known to be well formed.
 */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>
#include "stun.h"

#define FP_XOR		0x5354554eu	/* "STUN": FINGERPRINT differs from a plain CRC */
#define SHA1_LEN	20
#define SHA256_LEN	32

enum stage { STAGE_BODY, STAGE_MI, STAGE_MI256, STAGE_FP };

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

const char *stun_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case STUN_E_SHORT: return "shorter than a STUN header";
	case STUN_E_NOT_STUN: return "not a STUN message";
	case STUN_E_LENGTH: return "STUN length does not match the datagram";
	case STUN_E_TRUNCATED: return "attribute runs past the message";
	case STUN_E_ATTR: return "malformed attribute";
	case STUN_E_FP_NOT_LAST: return "FINGERPRINT is not the last attribute";
	case STUN_E_NO_INTEGRITY: return "no MESSAGE-INTEGRITY";
	case STUN_E_INTEGRITY: return "MESSAGE-INTEGRITY mismatch";
	case STUN_E_NO_FINGERPRINT: return "no FINGERPRINT";
	case STUN_E_FINGERPRINT: return "FINGERPRINT mismatch";
	case STUN_E_NOSPACE: return "STUN message too big for its buffer";
	case STUN_E_INVAL: return "invalid STUN attribute or order";
	case STUN_E_CRYPTO: return "libcrypto failure";
	}
	return "unknown STUN error";
}

uint16_t stun_type(uint16_t method, enum stun_class cls)
{
	return (method & 0x000F) | (method & 0x0070) << 1 |
	       (method & 0x0F80) << 2 | (cls & 1) << 4 | (cls & 2) << 7;
}

uint16_t stun_method(uint16_t type)
{
	return (type & 0x000F) | (type >> 1 & 0x0070) | (type >> 2 & 0x0F80);
}

enum stun_class stun_class(uint16_t type)
{
	return (enum stun_class)((type >> 4 & 1) | (type >> 7 & 2));
}

enum stun_kind stun_classify(const uint8_t *buf, size_t len)
{
	/* STUN starts with bits 00, ChannelData with 01 (RFC 7983). */
	if (len >= STUN_HDR_LEN && !(buf[0] & 0xC0) &&
	    get32(buf + 4) == STUN_COOKIE)
		return STUN_KIND_STUN;
	if (len >= WGT_CHANDATA_HLEN && buf[0] >= WGT_CHAN_MIN >> 8 &&
	    buf[0] <= WGT_CHAN_MAX >> 8 && get16(buf + 2) <= len - 4)
		return STUN_KIND_CHANNELDATA;
	return STUN_KIND_OTHER;
}

/* The attributes this codec understands; the index is the bit in ->have. */
static const uint16_t known[] = {
	STUN_A_MAPPED_ADDRESS, STUN_A_USERNAME, STUN_A_MESSAGE_INTEGRITY,
	STUN_A_ERROR_CODE, STUN_A_UNKNOWN_ATTRIBUTES, STUN_A_CHANNEL_NUMBER,
	STUN_A_LIFETIME, STUN_A_XOR_PEER_ADDRESS, STUN_A_DATA, STUN_A_REALM,
	STUN_A_NONCE, STUN_A_XOR_RELAYED_ADDRESS,
	STUN_A_REQUESTED_ADDRESS_FAMILY, STUN_A_REQUESTED_TRANSPORT,
	STUN_A_DONT_FRAGMENT, STUN_A_MESSAGE_INTEGRITY_SHA256,
	STUN_A_XOR_MAPPED_ADDRESS, STUN_A_SOFTWARE, STUN_A_ALTERNATE_SERVER,
	STUN_A_FINGERPRINT,
};
_Static_assert(sizeof(known) / sizeof(known[0]) <= 32, "->have is 32 bits");

static int attr_bit(uint16_t attr)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == attr)
			return i;
	return -1;
}

bool stun_has(const struct stun_msg *m, uint16_t attr)
{
	int bit = attr_bit(attr);

	return bit >= 0 && (m->have & 1u << bit);
}

/* XOR-*-ADDRESS mask: the cookie, then the transaction id (RFC 8489 14.2). */
static void xor_mask(uint8_t mask[16], const uint8_t *txid)
{
	put32(mask, STUN_COOKIE);
	memcpy(mask + 4, txid, STUN_TXID_LEN);
}

static bool is_xor_addr(uint16_t attr)
{
	return attr == STUN_A_XOR_MAPPED_ADDRESS ||
	       attr == STUN_A_XOR_PEER_ADDRESS ||
	       attr == STUN_A_XOR_RELAYED_ADDRESS;
}

static int get_addr(struct wgt_ep *ep, const uint8_t *v, uint16_t len,
		    bool xor, const uint8_t *txid)
{
	uint8_t mask[16];
	size_t alen;

	/* The family decides the length; anything else is malformed. */
	if (len == 8 && v[1] == 0x01)
		alen = 4;
	else if (len == 20 && v[1] == 0x02)
		alen = 16;
	else
		return STUN_E_ATTR;
	memset(ep, 0, sizeof(*ep));
	ep->family = alen == 4 ? WGT_AF_INET : WGT_AF_INET6;
	ep->port = get16(v + 2);
	memcpy(ep->addr, v + 4, alen);
	if (xor) {
		xor_mask(mask, txid);
		ep->port ^= STUN_COOKIE >> 16;
		for (size_t i = 0; i < alen; i++)
			ep->addr[i] ^= mask[i];
	}
	return 0;
}

static void get_str(struct stun_str *s, const uint8_t *v, uint16_t len)
{
	s->p = v;
	s->len = len;
}

static uint8_t stun_to_wgt_family(uint8_t f)
{
	return f == 0x01 ? WGT_AF_INET : f == 0x02 ? WGT_AF_INET6 : 0;
}

/* The attributes that are one 32-bit word. */
static int get_word(struct stun_msg *m, uint16_t attr, const uint8_t *v,
		    uint16_t len)
{
	if (len != 4)
		return STUN_E_ATTR;
	if (attr == STUN_A_LIFETIME)
		m->lifetime = get32(v);
	else if (attr == STUN_A_REQUESTED_TRANSPORT)
		m->transport = v[0];
	else if (attr == STUN_A_REQUESTED_ADDRESS_FAMILY)
		m->req_family = stun_to_wgt_family(v[0]);
	else
		m->channel = get16(v);
	return 0;
}

static int get_error(struct stun_msg *m, const uint8_t *v, uint16_t len)
{
	uint8_t cls, num;

	if (len < 4)
		return STUN_E_ATTR;
	cls = v[2] & 0x07;	/* the 21 bits above are reserved */
	num = v[3];
	if (cls < 3 || cls > 6 || num > 99)
		return STUN_E_ATTR;
	m->error_code = cls * 100 + num;
	get_str(&m->reason, v + 4, len - 4);
	return 0;
}

static int get_unknown_attrs(struct stun_msg *m, const uint8_t *v,
			     uint16_t len)
{
	if (len % 2)
		return STUN_E_ATTR;
	for (size_t i = 0; i + 2 <= len && i / 2 < STUN_MAX_UNKNOWN; i += 2)
		m->unknown_attrs[m->n_unknown_attrs++] = get16(v + i);
	return 0;
}

static int get_mi(uint32_t *off_out, uint32_t off, uint16_t len,
		  uint16_t attr)
{
	/* MESSAGE-INTEGRITY-SHA256 may be truncated to 16 bytes, in words. */
	if (attr == STUN_A_MESSAGE_INTEGRITY ? len != SHA1_LEN :
	    len < 16 || len > SHA256_LEN || len % 4)
		return STUN_E_ATTR;
	*off_out = off;
	return 0;
}

static int get_peer(struct stun_msg *m, const uint8_t *v, uint16_t len)
{
	struct wgt_ep ep;
	int err = get_addr(&ep, v, len, true, m->txid);

	/* Repeats are legal in CreatePermission; keep what fits. */
	if (!err && m->npeers < STUN_MAX_PEERS)
		m->peers[m->npeers++] = ep;
	return err;
}

/* Decode one understood attribute whose value lies inside the message. */
static int get_attr(struct stun_msg *m, uint32_t off, uint16_t attr,
		    const uint8_t *v, uint16_t len)
{
	switch (attr) {
	case STUN_A_MAPPED_ADDRESS:
		return get_addr(&m->mapped, v, len, false, NULL);
	case STUN_A_ALTERNATE_SERVER:
		return get_addr(&m->alternate, v, len, false, NULL);
	case STUN_A_XOR_MAPPED_ADDRESS:
		return get_addr(&m->xor_mapped, v, len, true, m->txid);
	case STUN_A_XOR_RELAYED_ADDRESS:
		return get_addr(&m->relayed, v, len, true, m->txid);
	case STUN_A_XOR_PEER_ADDRESS:
		return get_peer(m, v, len);
	case STUN_A_LIFETIME:
	case STUN_A_REQUESTED_TRANSPORT:
	case STUN_A_REQUESTED_ADDRESS_FAMILY:
	case STUN_A_CHANNEL_NUMBER:
		return get_word(m, attr, v, len);
	case STUN_A_ERROR_CODE:
		return get_error(m, v, len);
	case STUN_A_UNKNOWN_ATTRIBUTES:
		return get_unknown_attrs(m, v, len);
	case STUN_A_DONT_FRAGMENT:
		return len ? STUN_E_ATTR : 0;
	case STUN_A_USERNAME:
		get_str(&m->username, v, len);
		return 0;
	case STUN_A_REALM:
		get_str(&m->realm, v, len);
		return 0;
	case STUN_A_NONCE:
		get_str(&m->nonce, v, len);
		return 0;
	case STUN_A_SOFTWARE:
		get_str(&m->software, v, len);
		return 0;
	case STUN_A_DATA:
		get_str(&m->data, v, len);
		return 0;
	case STUN_A_MESSAGE_INTEGRITY:
		return get_mi(&m->mi_off, off, len, attr);
	case STUN_A_MESSAGE_INTEGRITY_SHA256:
		return get_mi(&m->mi256_off, off, len, attr);
	case STUN_A_FINGERPRINT:
		if (len != 4)
			return STUN_E_ATTR;
		/* Last by definition: its CRC covers everything before it. */
		if (off + 8u != m->size)
			return STUN_E_FP_NOT_LAST;
		m->fp_off = off;
		return 0;
	}
	return 0;
}

/* Whether an attribute at this point is covered by what came before. */
static bool after_integrity_ok(const struct stun_msg *m, uint16_t attr)
{
	if (attr == STUN_A_FINGERPRINT)
		return true;
	/* RFC 8489 14.5/14.6: only MI-SHA256 may follow MI, nothing else. */
	return attr == STUN_A_MESSAGE_INTEGRITY_SHA256 && !m->mi256_off;
}

static int take_attr(struct stun_msg *m, uint32_t off, uint16_t attr,
		     const uint8_t *v, uint16_t len)
{
	int bit, err;

	if ((m->mi_off || m->mi256_off) && !after_integrity_ok(m, attr))
		return 0;
	bit = attr_bit(attr);
	if (bit < 0) {
		/* 0x0000-0x7FFF must be understood; the caller answers 420. */
		if (attr < 0x8000 && m->n_unknown < STUN_MAX_UNKNOWN)
			m->unknown[m->n_unknown++] = attr;
		return 0;
	}
	/* Only the first occurrence counts, except repeated peers. */
	if ((m->have & 1u << bit) && attr != STUN_A_XOR_PEER_ADDRESS)
		return 0;
	err = get_attr(m, off, attr, v, len);
	if (!err)
		m->have |= 1u << bit;
	return err;
}

int stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	size_t off, alen, body;
	uint16_t attr;
	int err;

	memset(m, 0, sizeof(*m));
	if (len < STUN_HDR_LEN)
		return STUN_E_SHORT;
	if ((buf[0] & 0xC0) || get32(buf + 4) != STUN_COOKIE)
		return STUN_E_NOT_STUN;
	/* Over UDP the message is the whole datagram, in 4-byte words. */
	body = get16(buf + 2);
	if (body % 4 || STUN_HDR_LEN + body != len)
		return STUN_E_LENGTH;
	m->buf = buf;
	m->size = len;
	m->type = get16(buf);
	memcpy(m->txid, buf + 8, STUN_TXID_LEN);

	for (off = STUN_HDR_LEN; off < len; off += 4 + pad4(alen)) {
		if (len - off < 4)
			return STUN_E_TRUNCATED;
		attr = get16(buf + off);
		alen = get16(buf + off + 2);
		/* The padding is part of the message; its content is not. */
		if (pad4(alen) > len - off - 4)
			return STUN_E_TRUNCATED;
		err = take_attr(m, off, attr, buf + off + 4, alen);
		if (err)
			return err;
	}
	return 0;
}

int stun_attr_find(const struct stun_msg *m, uint16_t attr,
		   struct stun_str *out)
{
	uint32_t end = m->mi256_off ? m->mi256_off :
		       m->mi_off ? m->mi_off : m->size;
	size_t off, alen;

	if (m->mi_off && m->mi_off < end)
		end = m->mi_off;
	/* stun_parse() checked every length on the way */
	for (off = STUN_HDR_LEN; off < end; off += 4 + pad4(alen)) {
		alen = get16(m->buf + off + 2);
		if (get16(m->buf + off) == attr) {
			out->p = m->buf + off + 4;
			out->len = (uint16_t)alen;
			return 0;
		}
	}
	return -1;
}

int stun_long_term_key(const void *user, size_t ulen, const void *realm,
		       size_t rlen, const void *pass, size_t plen,
		       uint8_t key[STUN_MD5_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
	     EVP_DigestUpdate(ctx, user, ulen) &&
	     EVP_DigestUpdate(ctx, ":", 1) &&
	     EVP_DigestUpdate(ctx, realm, rlen) &&
	     EVP_DigestUpdate(ctx, ":", 1) &&
	     EVP_DigestUpdate(ctx, pass, plen) &&
	     EVP_DigestFinal_ex(ctx, key, &n) && n == STUN_MD5_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : STUN_E_CRYPTO;
}

/*
 * HMAC over a header (whose length field the caller has set as the RFC
 * wants: up to the end of the integrity attribute) and the attributes
 * before the integrity attribute. out holds SHA256_LEN bytes.
 */
static int hmac_msg(enum stun_mac mac, const void *key, size_t keylen,
		    const uint8_t hdr[STUN_HDR_LEN], const uint8_t *attrs,
		    size_t alen, uint8_t *out)
{
	static const uint8_t nokey;
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
			(char *)(mac == STUN_MAC_SHA256 ? "SHA256" : "SHA1"), 0),
		OSSL_PARAM_construct_end(),
	};
	size_t n;
	int ok;

	/* A NULL key means "keep the previous one" to EVP_MAC_init. */
	ok = ctx && EVP_MAC_init(ctx, keylen ? key : &nokey, keylen, params) &&
	     EVP_MAC_update(ctx, hdr, STUN_HDR_LEN) &&
	     EVP_MAC_update(ctx, attrs, alen) &&
	     EVP_MAC_final(ctx, out, &n, SHA256_LEN);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	return ok ? 0 : STUN_E_CRYPTO;
}

int stun_verify_integrity(const struct stun_msg *m, const void *key,
			  size_t keylen)
{
	enum stun_mac mac = m->mi256_off ? STUN_MAC_SHA256 : STUN_MAC_SHA1;
	uint32_t off = m->mi256_off ? m->mi256_off : m->mi_off;
	uint8_t hdr[STUN_HDR_LEN], out[SHA256_LEN];
	uint16_t vlen;
	int err;

	if (!off)
		return STUN_E_NO_INTEGRITY;
	vlen = get16(m->buf + off + 2);
	/* The length as if the message ended with this attribute. */
	memcpy(hdr, m->buf, STUN_HDR_LEN);
	put16(hdr + 2, off + 4 + vlen - STUN_HDR_LEN);
	err = hmac_msg(mac, key, keylen, hdr, m->buf + STUN_HDR_LEN,
		       off - STUN_HDR_LEN, out);
	if (err)
		return err;
	return CRYPTO_memcmp(out, m->buf + off + 4, vlen) ? STUN_E_INTEGRITY : 0;
}

static uint32_t fingerprint(const uint8_t *msg, size_t len)
{
	return crc32(crc32(0L, Z_NULL, 0), msg, len) ^ FP_XOR;
}

int stun_verify_fingerprint(const struct stun_msg *m)
{
	if (!m->fp_off)
		return STUN_E_NO_FINGERPRINT;
	if (fingerprint(m->buf, m->fp_off) != get32(m->buf + m->fp_off + 4))
		return STUN_E_FINGERPRINT;
	return 0;
}

int stun_txid_new(uint8_t txid[STUN_TXID_LEN])
{
	return RAND_bytes(txid, STUN_TXID_LEN) == 1 ? 0 : STUN_E_CRYPTO;
}

int stun_begin(struct stun_builder *b, uint8_t *buf, size_t cap,
	       uint16_t type, const uint8_t txid[STUN_TXID_LEN])
{
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = cap;
	if (cap < STUN_HDR_LEN)
		return b->err = STUN_E_NOSPACE;
	if (type & 0xC000)
		return b->err = STUN_E_INVAL;
	put16(buf, type);
	put16(buf + 2, 0);
	put32(buf + 4, STUN_COOKIE);
	memcpy(buf + 8, txid, STUN_TXID_LEN);
	b->len = STUN_HDR_LEN;
	return 0;
}

/*
 * Append an attribute header and zeroed, padded room for its value, and
 * keep the header's length current (integrity and fingerprint rely on it).
 * NULL once an error has stuck.
 */
static uint8_t *put_attr(struct stun_builder *b, uint16_t attr, size_t len)
{
	size_t need = 4 + pad4(len);
	uint8_t *p;

	if (b->err)
		return NULL;
	if (len > 0xFFFF || need > b->cap - b->len ||
	    b->len + need > STUN_MAX_MSG) {
		b->err = STUN_E_NOSPACE;
		return NULL;
	}
	p = b->buf + b->len;
	put16(p, attr);
	put16(p + 2, len);
	memset(p + 4, 0, need - 4);
	b->len += need;
	put16(b->buf + 2, b->len - STUN_HDR_LEN);
	return p + 4;
}

/* Ordinary attributes go before integrity and fingerprint. */
static uint8_t *body_attr(struct stun_builder *b, uint16_t attr, size_t len)
{
	if (!b->err && b->stage != STAGE_BODY)
		b->err = STUN_E_INVAL;
	return put_attr(b, attr, len);
}

int stun_add(struct stun_builder *b, uint16_t attr, const void *val,
	     size_t len)
{
	uint8_t *v = body_attr(b, attr, len);

	if (v && len)
		memcpy(v, val, len);
	return b->err;
}

int stun_add_str(struct stun_builder *b, uint16_t attr, const char *s)
{
	return stun_add(b, attr, s, strlen(s));
}

int stun_add_addr(struct stun_builder *b, uint16_t attr,
		  const struct wgt_ep *ep)
{
	bool xor = is_xor_addr(attr);
	size_t alen = ep->family == WGT_AF_INET ? 4 : 16;
	uint8_t mask[16], *v;

	if (!b->err && ((!xor && attr != STUN_A_MAPPED_ADDRESS &&
			 attr != STUN_A_ALTERNATE_SERVER) ||
			(ep->family != WGT_AF_INET &&
			 ep->family != WGT_AF_INET6)))
		b->err = STUN_E_INVAL;
	v = body_attr(b, attr, 4 + alen);
	if (!v)
		return b->err;
	v[1] = alen == 4 ? 0x01 : 0x02;
	put16(v + 2, ep->port);
	memcpy(v + 4, ep->addr, alen);
	if (xor) {
		xor_mask(mask, b->buf + 8);
		put16(v + 2, ep->port ^ STUN_COOKIE >> 16);
		for (size_t i = 0; i < alen; i++)
			v[4 + i] ^= mask[i];
	}
	return 0;
}

static int add_u32(struct stun_builder *b, uint16_t attr, uint32_t val)
{
	uint8_t *v = body_attr(b, attr, 4);

	if (v)
		put32(v, val);
	return b->err;
}

int stun_add_lifetime(struct stun_builder *b, uint32_t seconds)
{
	return add_u32(b, STUN_A_LIFETIME, seconds);
}

int stun_add_transport(struct stun_builder *b, uint8_t proto)
{
	return add_u32(b, STUN_A_REQUESTED_TRANSPORT, (uint32_t)proto << 24);
}

int stun_add_family(struct stun_builder *b, uint8_t wgt_family)
{
	uint32_t f = wgt_family == WGT_AF_INET ? 0x01 :
		     wgt_family == WGT_AF_INET6 ? 0x02 : 0;

	if (!f && !b->err)
		b->err = STUN_E_INVAL;
	return add_u32(b, STUN_A_REQUESTED_ADDRESS_FAMILY, f << 24);
}

int stun_add_channel(struct stun_builder *b, uint16_t channel)
{
	if ((channel < WGT_CHAN_MIN || channel > WGT_CHAN_MAX) && !b->err)
		b->err = STUN_E_INVAL;
	return add_u32(b, STUN_A_CHANNEL_NUMBER, (uint32_t)channel << 16);
}

int stun_add_error(struct stun_builder *b, uint16_t code, const char *reason)
{
	size_t rlen = reason ? strlen(reason) : 0;
	uint8_t *v;

	if ((code < 300 || code > 699) && !b->err)
		b->err = STUN_E_INVAL;
	v = body_attr(b, STUN_A_ERROR_CODE, 4 + rlen);
	if (!v)
		return b->err;
	v[2] = code / 100;
	v[3] = code % 100;
	if (rlen)
		memcpy(v + 4, reason, rlen);
	return 0;
}

int stun_add_unknown(struct stun_builder *b, const uint16_t *types, size_t n)
{
	uint8_t *v = body_attr(b, STUN_A_UNKNOWN_ATTRIBUTES, 2 * n);

	for (size_t i = 0; v && i < n; i++)
		put16(v + 2 * i, types[i]);
	return b->err;
}

int stun_add_integrity(struct stun_builder *b, const void *key,
		       size_t keylen, enum stun_mac mac)
{
	bool sha256 = mac == STUN_MAC_SHA256;
	uint8_t out[SHA256_LEN], *v;
	size_t vlen = sha256 ? SHA256_LEN : SHA1_LEN;
	int err;

	/* MI, then optionally MI-SHA256, then FINGERPRINT (RFC 8489 14.6). */
	if (!b->err && b->stage > (sha256 ? STAGE_MI : STAGE_BODY))
		b->err = STUN_E_INVAL;
	v = put_attr(b, sha256 ? STUN_A_MESSAGE_INTEGRITY_SHA256 :
				 STUN_A_MESSAGE_INTEGRITY, vlen);
	if (!v)
		return b->err;
	b->stage = sha256 ? STAGE_MI256 : STAGE_MI;
	/* put_attr already set the length to end with this attribute. */
	err = hmac_msg(mac, key, keylen, b->buf, b->buf + STUN_HDR_LEN,
		       v - 4 - b->buf - STUN_HDR_LEN, out);
	if (err)
		return b->err = err;
	memcpy(v, out, vlen);
	return 0;
}

int stun_add_fingerprint(struct stun_builder *b)
{
	uint8_t *v;

	if (!b->err && b->stage == STAGE_FP)
		b->err = STUN_E_INVAL;
	v = put_attr(b, STUN_A_FINGERPRINT, 4);
	if (!v)
		return b->err;
	b->stage = STAGE_FP;
	put32(v, fingerprint(b->buf, v - 4 - b->buf));
	return 0;
}

int stun_finish(struct stun_builder *b)
{
	return b->err ? b->err : (int)b->len;
}
