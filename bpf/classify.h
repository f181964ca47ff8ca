/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ingress classification, before anything is touched: packets to the
 * WireGuard port from a relay are ChannelData to strip, packets from a
 * direct address get the endpoint as source, STUN goes to the daemon's
 * control port; and the header plans for each.
 */
#ifndef WGT_CLASSIFY_H
#define WGT_CLASSIFY_H

#include "chandata.h"
#include "maps.h"
#include "rewrite.h"

/* What to do with a received packet, worked out before touching it. */
struct wgt_rx {
	struct wgt_ep ep;	/* source WireGuard must see */
	struct wgt_chandata cd;	/* relay path: the ChannelData header */
};

/* UDP payload bytes [0, WGT_PEEK_LEN) as far as present, for the
 * first-byte tests. */
struct wgt_peek {
	__u8 b[WGT_PEEK_LEN];
};

/* STUN, not WireGuard: cookie, length matching the datagram, and not a
 * WireGuard header (type 1-4 then three zero bytes). */
static __always_inline int is_stun(const __u8 *b, __u32 plen)
{
	__u32 cookie;

	if (plen < 20 || (b[0] & WGT_STUN_TYPE_MASK))
		return 0;
	if (b[1] == 0 && b[2] == 0 && b[3] == 0)
		return 0;
	__builtin_memcpy(&cookie, b + 4, 4);
	if (cookie != bpf_htonl(WGT_STUN_COOKIE))
		return 0;
	return ((__u32)b[2] << 8 | b[3]) + 20 == plen;
}

/* A STUN message inside ChannelData (b: the ChannelData header, then the
 * payload's first 4 bytes): a path MTU probe between two daemons
 * through the relay (user/daemon/peer_pmtu.c), never WireGuard's. Its
 * length must fill the channel's payload exactly. */
static __always_inline int is_chandata_stun(const __u8 *b, __u16 cdlen)
{
	if (b[4] & WGT_STUN_TYPE_MASK)
		return 0;
	if (b[5] == 0 && b[6] == 0 && b[7] == 0)
		return 0;
	return ((__u32)b[6] << 8 | b[7]) + 20 == cdlen;
}

/*
 * Decide what a packet to the WireGuard port is. Returns the reason to
 * count: WGT_RX_* when it is ours to rewrite, WGT_PASS_* otherwise.
 */
static __always_inline int ingress_classify(const struct wgt_config *cfg,
					    const struct wgt_pkt *p,
					    const struct wgt_peek *pk,
					    struct wgt_rx *rx)
{
	__u32 plen = p->udp_len - sizeof(struct udphdr);
	struct wgt_ep *ep;

	if (p->dst.port != cfg->wg_port)
		return WGT_PASS_NOT_OURS;

	/* The channel is looked up first: a mapped one implies its relay,
	 * and relays is asked only on a miss (one hash lookup for a relayed
	 * WireGuard packet). */
	if (plen >= WGT_CHANDATA_HLEN && chandata_first_byte(pk->b[0])) {
		struct wgt_chan_key key = { .relay = p->src };
		int r = chandata_parse(pk->b, plen, &rx->cd);

		key.channel = rx->cd.chan;
		ep = r ? NULL : bpf_map_lookup_elem(&channels, &key);
		if (!ep && !bpf_map_lookup_elem(&relays, &p->src))
			goto not_relayed;
		if (r)
			return r;
		if (!ep)
			return WGT_PASS_UNKNOWN_CHANNEL;
		if (ep->family != p->family)
			return WGT_PASS_MALFORMED;
		/* to the daemon whole: it answers on the same channel */
		if (cfg->ctl_port && is_chandata_stun(pk->b, rx->cd.cdlen))
			return WGT_RX_STUN;
		rx->ep = *ep;
		return WGT_RX_RELAY;
	}
not_relayed:
	if (cfg->ctl_port && is_stun(pk->b, plen))
		return WGT_RX_STUN;
	ep = bpf_map_lookup_elem(&directs, &p->src);
	if (ep && ep->family == p->family) {
		rx->ep = *ep;
		return WGT_RX_DIRECT;
	}
	return WGT_PASS_NOT_OURS;
}

/* The new header for a decapsulated packet: from the endpoint, shorter. */
static __always_inline void decap_plan(const struct wgt_pkt *p,
				       const struct wgt_rx *rx,
				       struct wgt_rewrite *rw)
{
	rw->src = rx->ep;
	rw->dst = p->dst;
	rw->udp_len = sizeof(struct udphdr) + rx->cd.cdlen;
	rewrite_plan(p, rw);
}

/* Receive with a new source (direct path) or destination port (STUN). */
static __always_inline void readdress_plan(const struct wgt_pkt *p,
					   const struct wgt_ep *src,
					   __u16 dport, struct wgt_rewrite *rw)
{
	rw->src = *src;
	rw->dst = p->dst;
	rw->dst.port = dport;
	rw->udp_len = p->udp_len;
	rewrite_plan(p, rw);
}

#endif
