/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path MTU through the relay to each relayed peer: both legs, ours
 * to the relay and the relay's to the peer, as WireGuard's packets take
 * them. The probes are pmtu.h's padded STUN Binding requests sent as
 * ChannelData on the peer's channel, so the relay forwards them like
 * WireGuard's; the peer's datapath hands ChannelData carrying STUN to
 * its daemon whole, and that daemon answers on its channel back. A peer
 * without wgturn never answers: it keeps no value (only the relay leg
 * counts for it) and is asked again after PEER_PMTU_RETRY_MS, twice that
 * after the next silent search, up to PEER_PMTU_RETRY_MAX_MS. A peer
 * not ready yet (its channel to us unbound) is asked again as soon as
 * its own probes show it is. Each search first confirms the peer
 * answers at all, so silence never reads as "too big".
 * Probes are safe unauthenticated: only peers the relay permits reach
 * us, an answer is smaller than the request, and an answer counts only
 * with the request's random transaction id.
 */
#ifndef WGT_PEER_PMTU_H
#define WGT_PEER_PMTU_H

#include "pmtu.h"
#include "turn/turn.h"

#define PEER_PMTU_RETRY_MS 30000
#define PEER_PMTU_RETRY_MAX_MS (15 * 60 * 1000)
/* ep -> probe index, open addressing, at most half full */
#define PEER_PMTU_IDX (2 * TURN_MAX_PEERS)

struct peer_probe {
	struct wgt_ep ep;	/* the peer as WireGuard and the relay know it */
	uint16_t channel;	/* the last one bound */
	bool bound;		/* channel bound now: probed */
	bool seen;		/* still the relay's peer (this sync) */
	struct pmtu pmtu;
	struct peer_pmtu *owner;
};

/* Sends a whole datagram (ChannelData) to the relay. */
typedef int (*peer_pmtu_send_fn)(void *ctx, const uint8_t *buf, size_t len);

struct peer_pmtu {
	struct peer_probe probes[TURN_MAX_PEERS];
	int n;
	int16_t idx[PEER_PMTU_IDX];	/* rebuilt by each sync: -1 empty */
	uint64_t answered;	/* requests from peers we answered */
	uint32_t hi;		/* the latest upper bound: our leg's MTU */
	peer_pmtu_send_fn send;
	void *ctx;
};

void peer_pmtu_init(struct peer_pmtu *pp, peer_pmtu_send_fn send, void *ctx);
/* Follow the relay's peers and channels: a newly bound one is searched
 * at once, between the floor and hi (the path MTU to the relay); a peer
 * keeps its value while its channel is rebound; gone peers go. */
void peer_pmtu_sync(struct peer_pmtu *pp, const struct turn_client *c,
		    uint32_t hi, uint64_t now);
/* Search every peer again (the relay leg changed). */
void peer_pmtu_research(struct peer_pmtu *pp, uint32_t hi, uint64_t now);
/* The path to ep went silent (large packets lost where small ones
 * pass?): search it again, unless it just did. */
void peer_pmtu_suspect(struct peer_pmtu *pp, const struct wgt_ep *ep,
		       uint32_t hi, uint64_t now);
/* A datagram from the relay: ChannelData carrying a probe or an answer?
 * Then it is consumed (true). */
bool peer_pmtu_input(struct peer_pmtu *pp, const uint8_t *buf, size_t len,
		     uint64_t now);
void peer_pmtu_tick(struct peer_pmtu *pp, uint64_t now, uint32_t hi);
int peer_pmtu_next_ms(const struct peer_pmtu *pp, uint64_t now);
/* The path MTU through the relay to ep, 0: not measured. */
uint32_t peer_pmtu_value(const struct peer_pmtu *pp, const struct wgt_ep *ep);

#endif
