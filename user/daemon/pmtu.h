/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proactive path MTU discovery toward the relay (tinc's idea, RFC 8899's
 * shape): STUN Binding requests padded to a size (RFC 5780 PADDING) leave
 * with DF from the control socket, so from WireGuard's own 5-tuple, and
 * any answer proves that size got through. The search starts at the
 * upper bound (the route's MTU, lowered by any ICMP) and bisects down to
 * a lower bound, in steps of PMTU_STEP; a size counts as too big after
 * PMTU_TRIES unanswered sends. A search that gets no answer at all
 * measured nothing: the last result stays and it tries again after
 * PMTU_RESEARCH_MS. It runs again every PMTU_REPROBE_MS, and
 * when asked (a new allocation, an uplink change, a silent path: the
 * evidence of a black hole). Nothing here needs ICMP. With floor_first
 * a search begins with one probe at the floor, and one at the lower
 * bound before it ends on losses: a far end that answers nothing (not
 * up yet, or gone mid-search) is then silence, never "too big".
 */
#ifndef WGT_PMTU_H
#define WGT_PMTU_H

#include <stdbool.h>
#include <stdint.h>
#include "turn/stun.h"

#define PMTU_STEP 8		/* the search stops closer than this */
#define PMTU_TRIES 2		/* sends of one size before "too big" */
#define PMTU_WAIT_MS 500	/* per send, or 4 round trips if longer */
#define PMTU_REPROBE_MS 600000
#define PMTU_RESEARCH_MS 10000	/* a silent path starts one after this */
#define PMTU_MIN4 576		/* lower bounds: IPv4's, IPv6's minimum */
#define PMTU_MAX 9216		/* jumbo frames: the largest probe */
#define PMTU_MIN6 1280

/* buf holds frame_hlen bytes for the sender to fill, then the message. */
typedef int (*pmtu_send_fn)(void *ctx, uint8_t *buf, size_t len);

struct pmtu {
	uint8_t family;		/* the target's, WGT_AF_* */
	uint32_t lo, hi;	/* largest confirmed (or the floor), upper bound */
	bool lo_seen;		/* lo was confirmed, not assumed */
	uint32_t size;		/* in flight, 0: none */
	uint8_t txid[STUN_TXID_LEN];
	uint8_t sends;
	uint64_t sent_ms, wait_until_ms;
	uint32_t rtt_ms;	/* latest answer's round trip */
	uint64_t started_ms, next_search_ms;
	uint32_t result;	/* the last search's answer, 0: none yet */
	uint32_t took_ms;	/* how long it took */
	uint32_t probes;	/* sent in the last search */
	pmtu_send_fn send;
	void *ctx;
	/* Set by the owner after pmtu_init(), all optional: */
	uint8_t frame_hlen;	/* bytes send fills before each message
				 * (ChannelData's 4 through the relay) */
	uint32_t retry_ms;	/* after a silent search: PMTU_RESEARCH_MS */
	uint32_t retry_max_ms;	/* if set: each silent search in a row
				 * doubles the wait, up to this */
	uint32_t silent_runs;	/* silent searches since the last answer */
	bool floor_first;	/* confirm the far end answers at all before
				 * any loss may count as "too big" */
	bool tried_hi;		/* this search has probed hi */
	bool lost_since_answer;	/* a size counted too big after the last
				 * answer: floor_first confirms lo again
				 * before ending on it */
	char label[72];		/* for the log: "the relay" */
};

void pmtu_init(struct pmtu *p, pmtu_send_fn send, void *ctx);
/* Search now, between the family's floor and hi (the route's MTU). */
void pmtu_search(struct pmtu *p, uint8_t family, uint32_t hi, uint64_t now);
/* An answer to a probe? Then it is consumed (true). */
bool pmtu_input(struct pmtu *p, const uint8_t *buf, size_t len,
		uint64_t now);
/* Timeouts and the next probe; ask_hi gives the route's MTU for a
 * periodic search. */
void pmtu_tick(struct pmtu *p, uint64_t now, uint32_t (*ask_hi)(void *),
	       void *hi_ctx);
int pmtu_next_ms(const struct pmtu *p, uint64_t now);
/* The answer in force: the last result, 0 while there is none. */
uint32_t pmtu_value(const struct pmtu *p);
/* The Binding request of exactly ip_size bytes as an IP datagram. */
int pmtu_build(uint8_t *buf, size_t cap, uint8_t family, uint32_t ip_size,
	       const uint8_t txid[STUN_TXID_LEN]);

#endif
