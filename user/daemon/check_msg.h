/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Connectivity check messages between two wgturn daemons: STUN Binding
 * requests and answers (RFC 8489) sent from WireGuard's own port. Each
 * names its sender by WireGuard public key (USERNAME, base64 as wg(8)
 * shows it) and carries MESSAGE-INTEGRITY-SHA256 under the pair's check
 * key (check_key.h) and FINGERPRINT. Requests carry the sender's clock
 * (SENT-AT, authenticated) so an old one replayed is refused.
 */
#ifndef WGT_CHECK_MSG_H
#define WGT_CHECK_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "check_key.h"
#include "turn/stun.h"

#define CHECK_ATTR_SENT_AT 0xC0A1	/* comprehension-optional: ours */
#define CHECK_MSG_MAX 160

struct check_msg {
	bool request;			/* else a success answer */
	uint8_t txid[STUN_TXID_LEN];
	uint8_t from[WG_KEY_LEN];	/* the sender's public key, as claimed */
	uint64_t sent_ns;		/* request: the sender's clock */
	struct wgt_ep mapped;		/* answer: the request's source */
};

/* Read what a message claims, integrity not yet checked: 0, or -1 when
 * it is not a check (another STUN message, malformed, no integrity). */
int check_msg_parse(struct check_msg *out, struct stun_msg *m,
		    const uint8_t *buf, size_t len);
/* 0 when m's integrity and fingerprint hold under key. */
int check_msg_verify(const struct stun_msg *m, const uint8_t key[CHECK_KEY_LEN]);

/* Build into buf (CHECK_MSG_MAX bytes): the length, or < 0. */
int check_msg_request(uint8_t *buf, const uint8_t txid[STUN_TXID_LEN],
		      const uint8_t self[WG_KEY_LEN], uint64_t sent_ns,
		      const uint8_t key[CHECK_KEY_LEN]);
int check_msg_answer(uint8_t *buf, const uint8_t txid[STUN_TXID_LEN],
		     const uint8_t self[WG_KEY_LEN], const struct wgt_ep *mapped,
		     const uint8_t key[CHECK_KEY_LEN]);

#endif
