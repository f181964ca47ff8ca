/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Direct paths, found and watched (RFC 8445's idea, kept small). For
 * each WireGuard peer with a rendezvous record, STUN Binding checks go
 * from WireGuard's own port to the peer's candidates (host, server-
 * reflexive), both sides at once, so each NAT opens a mapping for the
 * other. A candidate works when an authenticated answer comes back from
 * the address the check went to: both directions of the 5-tuple pass.
 *
 * Choice: the best working candidate (host before server-reflexive
 * before peer-reflexive), else the relay. While direct, a check every
 * CHECK_ACTIVE_MS when WireGuard sends, CHECK_KEEPALIVE_MS when idle
 * (both NATs keep the mapping); unanswered for CHECK_DEAD_MS: back to
 * the relay. While relayed, a new round of checks every CHECK_RETRY_MS.
 *
 * Only evidence moves a peer: an answer to one of our own fresh
 * transactions, or silence. A request, however valid, only gets an
 * answer and a check of our own back to where it came from.
 *
 * Bytes, clocks and maps stay with the caller (struct check_ops): this
 * file decides, and is tested without sockets.
 */
#ifndef WGT_CHECKS_H
#define WGT_CHECKS_H

#include <stdbool.h>
#include <stdint.h>
#include "check_msg.h"
#include "dns/wgsd.h"

#define CHECK_ROUND_MS 5000	/* one round of checks lasts this */
#define CHECK_PACE_MS 500	/* per candidate, within a round */
#define CHECK_RETRY_MS 30000	/* relayed: the next round */
#define CHECK_ACTIVE_MS 500	/* direct, WireGuard sending */
#define CHECK_KEEPALIVE_MS 10000 /* direct and idle (seed 002) */
#define CHECK_DEAD_MS 2000	/* the oldest unanswered check: give up */
#define CHECK_POLL_MS 250	/* direct: is WireGuard sending? */
#define CHECK_MAX_CANDS 6
#define CHECK_REPLAY_WINDOW_NS 2000000000ull	/* requests out of order */
#define CHECK_SEEN 32		/* request ids remembered per peer */
#define CHECK_TXS 4		/* our checks in flight per candidate */

enum check_kind { CHECK_HOST, CHECK_SRFLX, CHECK_PRFLX };	/* best first */
enum check_state { CHECK_WAITING, CHECK_CHECKING, CHECK_OK, CHECK_FAILED };

struct check_cand {
	struct wgt_ep ep;
	uint8_t kind;			/* enum check_kind */
	uint8_t state;			/* enum check_state */
	struct {			/* our latest checks to it */
		uint8_t id[STUN_TXID_LEN];
		uint64_t ms;		/* 0: free */
	} tx[CHECK_TXS];
	uint64_t sent_ms;		/* the latest */
	uint64_t unanswered_ms;		/* first check unanswered since */
	uint64_t next_ms;		/* the next check */
	uint64_t last_ok_ms;		/* the last answer */
	uint32_t rtt_us;		/* ... its round trip */
	uint32_t sent, answered;
};

struct check_peer {
	uint8_t key[WG_KEY_LEN];
	uint8_t mac[CHECK_KEY_LEN];
	bool have_mac;
	struct check_cand c[CHECK_MAX_CANDS];
	int n;
	int use;			/* the candidate in use, -1: relay */
	char why[96];			/* of the last switch */
	uint64_t switch_ms;		/* the last switch, 0: never */
	uint32_t switches;
	uint64_t round_end_ms;		/* checks go out until then */
	uint64_t next_round_ms;
	uint64_t last_sent_ns;		/* the newest request accepted */
	struct {			/* requests accepted lately */
		uint8_t id[STUN_TXID_LEN];
		struct wgt_ep from;
	} seen[CHECK_SEEN];
	uint8_t n_seen;
};

struct check_peer;

struct check_ops {
	int (*send)(void *ctx, const struct wgt_ep *to, const uint8_t *buf,
		    size_t len);
	/* p's path changed (p->use, p->why); logged and mapped by the caller */
	void (*path)(void *ctx, const struct check_peer *p);
	/* an authenticated message from `from`: WireGuard's packets from
	 * there are p's (the peer may have switched before us) */
	void (*accept)(void *ctx, const struct check_peer *p,
		       const struct wgt_ep *from);
	/* WireGuard sent towards p recently */
	bool (*sending)(void *ctx, const struct check_peer *p, uint64_t now_ms);
	uint64_t (*wall_ns)(void *ctx);	/* the clock requests carry */
	void *ctx;
};

struct checks {
	struct check_ops ops;
	uint8_t self[WG_KEY_LEN];
	uint8_t family;			/* of the control socket: WGT_AF_* */
	struct check_peer *peers;
	int n, cap;
	/* ignored, counted: failed integrity, replays, unknown senders,
	 * answers to no transaction of ours */
	uint64_t invalid, replayed, unknown, stray;
};

void checks_init(struct checks *k, const uint8_t self[WG_KEY_LEN],
		 uint8_t family, const struct check_ops *ops);
void checks_free(struct checks *k);
/* A peer's key and candidates (its rendezvous record): a changed set
 * starts a round now. mac NULL: keep the one it has. */
int checks_peer_set(struct checks *k, const uint8_t key[WG_KEY_LEN],
		    const uint8_t mac[CHECK_KEY_LEN],
		    const struct wgsd_record *rec, uint64_t now_ms);
void checks_peer_del(struct checks *k, const uint8_t key[WG_KEY_LEN]);
struct check_peer *checks_peer_find(const struct checks *k,
				    const uint8_t key[WG_KEY_LEN]);
/* A STUN message from `from` that did not come from the relay: 1 when
 * it was a check (valid or counted), 0 when it is none of ours. */
int checks_input(struct checks *k, const struct wgt_ep *from,
		 const uint8_t *buf, size_t len, uint64_t now_ms);
void checks_tick(struct checks *k, uint64_t now_ms);
int checks_next_ms(const struct checks *k, uint64_t now_ms);

const char *check_kind_str(uint8_t kind);
const char *check_state_str(uint8_t state);

#endif
