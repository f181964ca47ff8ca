/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cursor parsing of Ethernet / IPv4 or IPv6 / UDP. Every header is bounds
 * checked against data_end and every length field against the packet.
 * Anything that is not a plain UDP datagram is reported with the reason
 * it was left alone.
 */
#ifndef WGT_PARSE_H
#define WGT_PARSE_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include "consts.h"
#include "wgturn.h"

struct wgt_pkt {
	__u32 l3off;		/* offsets from the start of the frame */
	__u32 l4off;
	__u32 l3len;		/* IP header + UDP datagram, from the IP header */
	__u16 udp_len;		/* UDP length field, validated */
	__u8 family;
	__u8 pad;
	struct wgt_ep src;
	struct wgt_ep dst;
};

static __always_inline void ep_from_v4(struct wgt_ep *ep, __be32 addr,
				       __be16 port)
{
	__builtin_memset(ep, 0, sizeof(*ep));
	__builtin_memcpy(ep->addr, &addr, 4);
	ep->port = bpf_ntohs(port);
	ep->family = WGT_AF_INET;
}

static __always_inline void ep_from_v6(struct wgt_ep *ep,
				       const struct in6_addr *addr, __be16 port)
{
	__builtin_memcpy(ep->addr, addr, 16);
	ep->port = bpf_ntohs(port);
	ep->family = WGT_AF_INET6;
	ep->pad = 0;
}

static __always_inline int ep_equal(const struct wgt_ep *a,
				    const struct wgt_ep *b)
{
	__u32 x[5], y[5];

	__builtin_memcpy(x, a, sizeof(x));
	__builtin_memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		(x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

static __always_inline int ipv6_is_ext(__u8 nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case IPPROTO_MH:
	case 139: /* HIP */
	case 140: /* Shim6 */
		return 1;
	}
	return 0;
}

/*
 * Headers must be in [data, data_end); total is the frame length.
 * Returns 0 for a UDP datagram, else the reason to pass it untouched
 * (a WGT_PASS_*, > 0: only drops are negative, throughout bpf/). */
static __always_inline int parse_udp(void *data, void *data_end,
				     __u32 total, struct wgt_pkt *p)
{
	struct ethhdr *eth = data;
	struct udphdr *udp;

	if ((void *)(eth + 1) > data_end)
		return WGT_PASS_NOT_OURS;
	p->l3off = sizeof(*eth);

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return WGT_PASS_MALFORMED;
		if (ip->version != 4)
			return WGT_PASS_MALFORMED;
		if (ip->ihl != 5)
			return ip->ihl < 5 ? WGT_PASS_MALFORMED :
					     WGT_PASS_IP_OPTIONS;
		if (ip->frag_off & bpf_htons(WGT_IP_FRAG_MASK))
			return WGT_PASS_FRAGMENT;
		if (ip->protocol != IPPROTO_UDP)
			return WGT_PASS_NOT_OURS;
		p->l3len = bpf_ntohs(ip->tot_len);
		p->l4off = p->l3off + sizeof(*ip);
		p->family = WGT_AF_INET;
		udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > data_end)
			return WGT_PASS_MALFORMED;
		ep_from_v4(&p->src, ip->saddr, udp->source);
		ep_from_v4(&p->dst, ip->daddr, udp->dest);
		if (p->l3len < sizeof(*ip) + sizeof(*udp))
			return WGT_PASS_MALFORMED;
		p->udp_len = bpf_ntohs(udp->len);
		if (p->udp_len != p->l3len - sizeof(*ip))
			return WGT_PASS_MALFORMED;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return WGT_PASS_MALFORMED;
		if (ip6->version != 6)
			return WGT_PASS_MALFORMED;
		if (ip6->nexthdr == IPPROTO_FRAGMENT)
			return WGT_PASS_FRAGMENT;
		if (ipv6_is_ext(ip6->nexthdr))
			return WGT_PASS_IPV6_EXT;
		if (ip6->nexthdr != IPPROTO_UDP)
			return WGT_PASS_NOT_OURS;
		p->l3len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		p->l4off = p->l3off + sizeof(*ip6);
		p->family = WGT_AF_INET6;
		udp = (void *)(ip6 + 1);
		if ((void *)(udp + 1) > data_end)
			return WGT_PASS_MALFORMED;
		ep_from_v6(&p->src, &ip6->saddr, udp->source);
		ep_from_v6(&p->dst, &ip6->daddr, udp->dest);
		p->udp_len = bpf_ntohs(udp->len);
		if (p->udp_len < sizeof(*udp) ||
		    p->udp_len != p->l3len - sizeof(*ip6))
			return WGT_PASS_MALFORMED;
	} else {
		return WGT_PASS_NOT_OURS;
	}

	/* The datagram must be all there; trailing link padding is fine.
	 * total counts the whole frame, also its non-linear part (skb). */
	if (p->l3off + p->l3len > total)
		return WGT_PASS_MALFORMED;
	return 0;
}

#endif
