/* SPDX-License-Identifier: GPL-2.0 */
/*
 * STUN (RFC 8489) and TURN (RFC 8656) message codec. Bytes in, bytes out:
 * no sockets, no timers, no logging. Functions return 0 (or a length) on
 * success and a negative enum stun_err otherwise; stun_strerror() names it.
 */
#ifndef WGT_STUN_H
#define WGT_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wgturn.h"

#define STUN_COOKIE		WGT_STUN_COOKIE
#define STUN_HDR_LEN		20
#define STUN_TXID_LEN		12
#define STUN_MAX_MSG		(STUN_HDR_LEN + 0xFFFC)	/* length is 16-bit, 4-aligned */
#define STUN_MD5_LEN		16	/* long-term key */
#define STUN_PROTO_UDP		17	/* REQUESTED-TRANSPORT */

enum stun_method {
	STUN_BINDING		= 0x001,
	STUN_ALLOCATE		= 0x003,
	STUN_REFRESH		= 0x004,
	STUN_SEND		= 0x006,
	STUN_DATA		= 0x007,
	STUN_CREATE_PERMISSION	= 0x008,
	STUN_CHANNEL_BIND	= 0x009,
};

enum stun_class {
	STUN_REQUEST		= 0,
	STUN_INDICATION		= 1,
	STUN_SUCCESS		= 2,
	STUN_ERROR		= 3,
};

enum stun_attr {
	STUN_A_MAPPED_ADDRESS		= 0x0001,
	STUN_A_USERNAME			= 0x0006,
	STUN_A_MESSAGE_INTEGRITY	= 0x0008,
	STUN_A_ERROR_CODE		= 0x0009,
	STUN_A_UNKNOWN_ATTRIBUTES	= 0x000A,
	STUN_A_CHANNEL_NUMBER		= 0x000C,
	STUN_A_LIFETIME			= 0x000D,
	STUN_A_XOR_PEER_ADDRESS		= 0x0012,
	STUN_A_DATA			= 0x0013,
	STUN_A_REALM			= 0x0014,
	STUN_A_NONCE			= 0x0015,
	STUN_A_XOR_RELAYED_ADDRESS	= 0x0016,
	STUN_A_REQUESTED_ADDRESS_FAMILY	= 0x0017,
	STUN_A_REQUESTED_TRANSPORT	= 0x0019,
	STUN_A_DONT_FRAGMENT		= 0x001A,
	STUN_A_MESSAGE_INTEGRITY_SHA256	= 0x001C,
	STUN_A_XOR_MAPPED_ADDRESS	= 0x0020,
	STUN_A_SOFTWARE			= 0x8022,
	STUN_A_ALTERNATE_SERVER		= 0x8023,
	STUN_A_FINGERPRINT		= 0x8028,
};

/* ERROR-CODE values the TURN client acts on. */
enum stun_error_code {
	STUN_EC_TRY_ALTERNATE		= 300,
	STUN_EC_BAD_REQUEST		= 400,
	STUN_EC_UNAUTHORIZED		= 401,
	STUN_EC_FORBIDDEN		= 403,
	STUN_EC_UNKNOWN_ATTRIBUTE	= 420,
	STUN_EC_ALLOCATION_MISMATCH	= 437,
	STUN_EC_STALE_NONCE		= 438,
	STUN_EC_ADDRESS_FAMILY		= 440,
	STUN_EC_WRONG_CREDENTIALS	= 441,
	STUN_EC_UNSUPPORTED_TRANSPORT	= 442,
	STUN_EC_PEER_FAMILY_MISMATCH	= 443,
	STUN_EC_ALLOCATION_QUOTA	= 486,
	STUN_EC_SERVER_ERROR		= 500,
	STUN_EC_INSUFFICIENT_CAPACITY	= 508,
};

enum stun_err {
	STUN_E_SHORT		= -1,	/* shorter than a STUN header */
	STUN_E_NOT_STUN		= -2,	/* leading bits or magic cookie wrong */
	STUN_E_LENGTH		= -3,	/* length field vs datagram, alignment */
	STUN_E_TRUNCATED	= -4,	/* attribute runs past the message */
	STUN_E_ATTR		= -5,	/* attribute value malformed */
	STUN_E_FP_NOT_LAST	= -6,	/* FINGERPRINT followed by something */
	STUN_E_NO_INTEGRITY	= -7,
	STUN_E_INTEGRITY	= -8,	/* MESSAGE-INTEGRITY(-SHA256) mismatch */
	STUN_E_NO_FINGERPRINT	= -9,
	STUN_E_FINGERPRINT	= -10,	/* CRC mismatch */
	STUN_E_NOSPACE		= -11,	/* builder: buffer too small */
	STUN_E_INVAL		= -12,	/* builder: bad argument or order */
	STUN_E_CRYPTO		= -13,	/* libcrypto failed */
};

const char *stun_strerror(int err);

/* Type field: 12-bit method and 2-bit class, interleaved (RFC 8489 5). */
uint16_t stun_type(uint16_t method, enum stun_class cls);
uint16_t stun_method(uint16_t type);
enum stun_class stun_class(uint16_t type);

/* What a datagram arriving on the control socket is. */
enum stun_kind {
	STUN_KIND_OTHER,
	STUN_KIND_STUN,		/* STUN header with the magic cookie */
	STUN_KIND_CHANNELDATA,	/* channel 0x4000-0x4FFF, length fits */
};
enum stun_kind stun_classify(const uint8_t *buf, size_t len);

/* A string or opaque value: points into the parsed buffer. */
struct stun_str {
	const uint8_t *p;
	uint16_t len;
};

#define STUN_MAX_PEERS		8	/* XOR-PEER-ADDRESS kept per message */
#define STUN_MAX_UNKNOWN	16	/* attribute types kept per list */

/*
 * A parsed message. Only the first occurrence of an attribute counts
 * (RFC 8489 14), except XOR-PEER-ADDRESS, which may repeat. Attributes
 * after MESSAGE-INTEGRITY(-SHA256) other than the ones RFC 8489 allows
 * there are not authenticated and are ignored.
 */
struct stun_msg {
	const uint8_t *buf;	/* the whole message */
	uint32_t size;		/* header + attributes */
	uint16_t type;
	uint8_t txid[STUN_TXID_LEN];
	uint32_t have;		/* bits for stun_has(); use that */

	struct wgt_ep mapped;		/* MAPPED-ADDRESS */
	struct wgt_ep xor_mapped;	/* XOR-MAPPED-ADDRESS */
	struct wgt_ep relayed;		/* XOR-RELAYED-ADDRESS */
	struct wgt_ep alternate;	/* ALTERNATE-SERVER */
	struct wgt_ep peers[STUN_MAX_PEERS];	/* XOR-PEER-ADDRESS */
	uint8_t npeers;

	uint8_t transport;	/* REQUESTED-TRANSPORT protocol number */
	uint8_t req_family;	/* REQUESTED-ADDRESS-FAMILY: WGT_AF_*, 0 unknown */
	uint16_t channel;	/* CHANNEL-NUMBER */
	uint32_t lifetime;	/* LIFETIME, seconds */
	uint16_t error_code;	/* ERROR-CODE: class * 100 + number */
	struct stun_str reason;	/* ERROR-CODE reason phrase */
	struct stun_str username, realm, nonce, software, data;

	/* UNKNOWN-ATTRIBUTES as received (a 420's list). */
	uint16_t unknown_attrs[STUN_MAX_UNKNOWN];
	uint8_t n_unknown_attrs;
	/* Comprehension-required types this codec does not understand:
	 * a request with any deserves a 420 listing them. */
	uint16_t unknown[STUN_MAX_UNKNOWN];
	uint8_t n_unknown;

	/* Offsets of the attribute headers, 0 = absent. */
	uint32_t mi_off, mi256_off, fp_off;
};

/*
 * Parse a whole datagram. On success every pointer in *m points into buf,
 * which must outlive m. Integrity and fingerprint are not checked here.
 */
int stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len);
bool stun_has(const struct stun_msg *m, uint16_t attr);
/* The value of the first attr before the integrity attribute (or the
 * end): one stun_parse() kept no field for. -1 when absent. */
int stun_attr_find(const struct stun_msg *m, uint16_t attr,
		   struct stun_str *out);

/* Long-term key: MD5(username ":" realm ":" password) (RFC 8489 9.2.2). */
int stun_long_term_key(const void *user, size_t ulen, const void *realm,
		       size_t rlen, const void *pass, size_t plen,
		       uint8_t key[STUN_MD5_LEN]);

/*
 * Check MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY.
 * The key is the password (short-term) or stun_long_term_key() output.
 */
int stun_verify_integrity(const struct stun_msg *m, const void *key,
			  size_t keylen);
int stun_verify_fingerprint(const struct stun_msg *m);

/* A fresh random transaction id. */
int stun_txid_new(uint8_t txid[STUN_TXID_LEN]);

/*
 * Builder: begin, add attributes in order, optionally integrity then
 * fingerprint, finish. The first error sticks: later calls return it and
 * stun_finish() reports it, so callers may check only the end.
 */
struct stun_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
	uint8_t stage;		/* attributes, integrity, fingerprint: in order */
};

enum stun_mac {
	STUN_MAC_SHA1,		/* MESSAGE-INTEGRITY */
	STUN_MAC_SHA256,	/* MESSAGE-INTEGRITY-SHA256 */
};

int stun_begin(struct stun_builder *b, uint8_t *buf, size_t cap,
	       uint16_t type, const uint8_t txid[STUN_TXID_LEN]);
/* Any attribute from raw bytes, zero-padded; USERNAME, REALM, NONCE, ... */
int stun_add(struct stun_builder *b, uint16_t attr, const void *val,
	     size_t len);
int stun_add_str(struct stun_builder *b, uint16_t attr, const char *s);
/* MAPPED-ADDRESS, ALTERNATE-SERVER plain; the XOR-* ones XORed. */
int stun_add_addr(struct stun_builder *b, uint16_t attr,
		  const struct wgt_ep *ep);
int stun_add_lifetime(struct stun_builder *b, uint32_t seconds);
int stun_add_transport(struct stun_builder *b, uint8_t proto);
int stun_add_family(struct stun_builder *b, uint8_t wgt_family);
int stun_add_channel(struct stun_builder *b, uint16_t channel);
int stun_add_error(struct stun_builder *b, uint16_t code, const char *reason);
int stun_add_unknown(struct stun_builder *b, const uint16_t *types, size_t n);
int stun_add_integrity(struct stun_builder *b, const void *key,
		       size_t keylen, enum stun_mac mac);
int stun_add_fingerprint(struct stun_builder *b);
/* The message length, or the first error. */
int stun_finish(struct stun_builder *b);

#endif
