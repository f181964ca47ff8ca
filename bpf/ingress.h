/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ingress (XDP, or TC where XDP cannot attach): packets to the WireGuard
 * port from a relay lose their ChannelData header and appear to come from
 * the endpoint; packets from a direct address appear to come from the
 * endpoint; STUN goes to the daemon's control port.
 */
#ifndef WGT_INGRESS_H
#define WGT_INGRESS_H

#include "maps.h"
#include "rewrite.h"

/* What to do with a received packet, worked out before touching it. */
struct wgt_rx {
	struct wgt_ep ep;	/* source WireGuard must see */
	__u16 chan;		/* ChannelData channel */
	__u16 cdlen;		/* ChannelData length */
	__u8 pad_len;		/* bytes after the ChannelData payload */
	__u8 padding[3];	/* their values, for the checksum */
};

/* UDP payload bytes [0, 8) as far as present, for the first-byte tests. */
struct wgt_peek {
	__u8 b[8];
};

/* STUN, not WireGuard: cookie, length matching the datagram, and not a
 * WireGuard header (type 1-4 then three zero bytes). */
static __always_inline int is_stun(const __u8 *b, __u32 plen)
{
	__u32 cookie;

	if (plen < 20 || (b[0] & 0xc0))
		return 0;
	if (b[1] == 0 && b[2] == 0 && b[3] == 0)
		return 0;
	__builtin_memcpy(&cookie, b + 4, 4);
	if (cookie != bpf_htonl(WGT_STUN_COOKIE))
		return 0;
	return ((__u32)b[2] << 8 | b[3]) + 20 == plen;
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

	if (plen >= WGT_CHANDATA_HLEN && (pk->b[0] & 0xf0) == 0x40 &&
	    bpf_map_lookup_elem(&relays, &p->src)) {
		struct wgt_chan_key key = { .relay = p->src };

		key.channel = (__u16)pk->b[0] << 8 | pk->b[1];
		rx->chan = key.channel;
		rx->cdlen = (__u16)pk->b[2] << 8 | pk->b[3];
		if (WGT_CHANDATA_HLEN + rx->cdlen > plen)
			return WGT_PASS_BAD_CHANNEL_LEN;
		/* UDP needs no padding; allow up to the 4-byte boundary. */
		if (plen - WGT_CHANDATA_HLEN - rx->cdlen > 3)
			return WGT_PASS_BAD_CHANNEL_LEN;
		rx->pad_len = plen - WGT_CHANDATA_HLEN - rx->cdlen;
		ep = bpf_map_lookup_elem(&channels, &key);
		if (!ep)
			return WGT_PASS_UNKNOWN_CHANNEL;
		if (ep->family != p->family)
			return WGT_PASS_MALFORMED;
		rx->ep = *ep;
		return WGT_RX_RELAY;
	}
	if (cfg->ctl_port && is_stun(pk->b, plen))
		return WGT_RX_STUN;
	ep = bpf_map_lookup_elem(&directs, &p->src);
	if (ep && ep->family == p->family) {
		rx->ep = *ep;
		return WGT_RX_DIRECT;
	}
	return WGT_PASS_NOT_OURS;
}

/*
 * The checksum diff of removing the ChannelData header and its padding.
 * A padding byte at an odd UDP offset is the low half of a 16-bit word.
 */
static __always_inline __u32 chandata_removed(const struct wgt_rx *rx)
{
	__u32 diff = 0;

	diff = csum_sub(diff, bpf_htons(rx->chan));
	diff = csum_sub(diff, bpf_htons(rx->cdlen));
	for (int i = 0; i < 3; i++) {
		__u32 off = sizeof(struct udphdr) + WGT_CHANDATA_HLEN +
			    rx->cdlen + i;

		if (i >= rx->pad_len)
			break;
		if (off & 1)
			diff = csum_sub(diff, csum_word(0, rx->padding[i]));
		else
			diff = csum_sub(diff, csum_word(rx->padding[i], 0));
	}
	return diff;
}

/* The new header for a decapsulated packet: from the endpoint, shorter. */
static __always_inline void decap_plan(const struct wgt_pkt *p,
				       const struct wgt_rx *rx,
				       struct wgt_rewrite *rw)
{
	rw->src = rx->ep;
	rw->dst = p->dst;
	rw->udp_len = sizeof(struct udphdr) + rx->cdlen;
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
