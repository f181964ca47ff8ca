/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IP fragments of WireGuard's datagrams. The kernel fragments a datagram
 * larger than the path MTU it knows before TC egress sees it, and
 * reassembles after XDP: a fragment cannot take a ChannelData header,
 * and a reassembled relayed datagram would reach WireGuard still wrapped.
 * So on a relayed path fragments are dropped and counted, never sent bare
 * to the endpoint's address nor handed to WireGuard; the tunnel MTU
 * (userspace) keeps them from happening. The first fragment carries the
 * UDP header that says whose it is; the later ones are known by the
 * (address, IP ID) remembered from it, for WGT_FRAG_TTL_NS, or until the
 * last one. Only UDP fragments are looked at (the protocol is part of
 * what frag_parse accepts).
 */
#ifndef WGT_FRAG_H
#define WGT_FRAG_H

#include "chandata.h"
#include "maps.h"
#include "parse.h"

struct wgt_frag {
	struct wgt_ep src, dst;	/* ports: first fragment only */
	__u32 id;		/* IPv4 ID or IPv6 identification */
	__u8 first;		/* offset 0: the UDP header is here */
	__u8 more;		/* more fragments follow this one */
	__u8 b0;		/* first fragment: first UDP payload byte */
};

/* A datagram's fragments travel together: an entry older than this is an
 * IP ID used again (kernel WireGuard sends without DF; IPv4 IDs wrap). */
#define WGT_FRAG_TTL_NS 2000000000ull

struct ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;	/* offset << 3 | M */
	__be32 id;
};

/* The first fragment's UDP header and first payload byte, if there. */
static __always_inline void frag_udp(void *l4, void *data_end,
				     struct wgt_frag *f)
{
	struct udphdr *udp = l4;
	__u8 *b = (__u8 *)(udp + 1);

	if ((void *)(b + 1) > data_end) {
		f->first = 0; /* not enough to say whose: leave it */
		return;
	}
	f->src.port = bpf_ntohs(udp->source);
	f->dst.port = bpf_ntohs(udp->dest);
	f->b0 = b[0];
}

/* Parse a UDP fragment (parse_udp said WGT_PASS_FRAGMENT): 0 if it is
 * one, else the reason to pass it. */
static __always_inline int frag_parse(void *data, void *data_end,
				      struct wgt_frag *f)
{
	struct ethhdr *eth = data;

	__builtin_memset(f, 0, sizeof(*f));
	if ((void *)(eth + 1) > data_end)
		return WGT_PASS_MALFORMED;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP)
			return WGT_PASS_FRAGMENT;
		ep_from_v4(&f->src, ip->saddr, 0);
		ep_from_v4(&f->dst, ip->daddr, 0);
		f->id = bpf_ntohs(ip->id);
		f->first = !(ip->frag_off & bpf_htons(0x1fff));
		f->more = !!(ip->frag_off & bpf_htons(0x2000));
		if (f->first)
			frag_udp(ip + 1, data_end, f);
		return 0;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct ipv6_frag_hdr *fh = (void *)(ip6 + 1);

		if ((void *)(fh + 1) > data_end ||
		    ip6->nexthdr != IPPROTO_FRAGMENT ||
		    fh->nexthdr != IPPROTO_UDP)
			return WGT_PASS_FRAGMENT;
		ep_from_v6(&f->src, &ip6->saddr, 0);
		ep_from_v6(&f->dst, &ip6->daddr, 0);
		f->id = bpf_ntohl(fh->id);
		f->first = !(fh->frag_off & bpf_htons(0xfff8));
		f->more = !!(fh->frag_off & bpf_htons(0x0001));
		if (f->first)
			frag_udp(fh + 1, data_end, f);
		return 0;
	}
	return WGT_PASS_FRAGMENT;
}

static __always_inline void frag_key(struct wgt_frag_key *k,
				     const struct wgt_ep *far, __u32 id,
				     __u8 dir)
{
	__builtin_memset(k, 0, sizeof(*k));
	__builtin_memcpy(k->addr, far->addr, sizeof(k->addr));
	k->id = id;
	k->family = far->family;
	k->dir = dir;
}

/* A later fragment of a datagram whose first one was dropped lately;
 * the last one (no more to come) takes the entry with it. */
static __always_inline int frag_later(const struct wgt_frag *f,
				      const struct wgt_ep *far, __u8 dir,
				      int drop)
{
	struct wgt_frag_key k;
	__u64 *seen;

	frag_key(&k, far, f->id, dir);
	seen = bpf_map_lookup_elem(&frags, &k);
	if (!seen)
		return WGT_PASS_FRAGMENT;
	if (bpf_ktime_get_ns() - *seen > WGT_FRAG_TTL_NS) {
		bpf_map_delete_elem(&frags, &k);
		return WGT_PASS_FRAGMENT;
	}
	if (!f->more)
		bpf_map_delete_elem(&frags, &k);
	return -drop;
}

static __always_inline int frag_drop_first(const struct wgt_ep *far,
					   __u32 id, __u8 dir, int drop)
{
	struct wgt_frag_key k;
	__u64 now = bpf_ktime_get_ns();

	frag_key(&k, far, id, dir);
	bpf_map_update_elem(&frags, &k, &now, BPF_ANY);
	return -drop;
}

/* Egress: WireGuard's fragment to an endpoint on a relay path, or on a
 * direct path to another address, cannot go as it is. */
static __always_inline int egress_fragment(const struct wgt_config *cfg,
					   void *data, void *data_end)
{
	struct wgt_path *path;
	struct wgt_frag f;

	if (frag_parse(data, data_end, &f))
		return WGT_PASS_FRAGMENT;
	if (!f.first)
		return frag_later(&f, &f.dst, WGT_FRAG_EGRESS,
				  WGT_DROP_FRAGMENT);
	if (f.src.port != cfg->wg_port)
		return WGT_PASS_FRAGMENT;
	path = bpf_map_lookup_elem(&endpoints, &f.dst);
	if (!path)
		return WGT_PASS_FRAGMENT;
	if (path->kind == WGT_PATH_DIRECT && ep_equal(&path->via, &f.dst))
		return WGT_PASS_FRAGMENT; /* goes where it is sent */
	return frag_drop_first(&f.dst, f.id, WGT_FRAG_EGRESS,
			       WGT_DROP_FRAGMENT);
}

/* Ingress: a relay's fragmented ChannelData to the WireGuard port. */
static __always_inline int ingress_fragment(const struct wgt_config *cfg,
					    void *data, void *data_end)
{
	struct wgt_frag f;

	if (frag_parse(data, data_end, &f))
		return WGT_PASS_FRAGMENT;
	if (!f.first)
		return frag_later(&f, &f.src, WGT_FRAG_INGRESS,
				  WGT_DROP_RX_FRAGMENT);
	if (f.dst.port != cfg->wg_port || !chandata_first_byte(f.b0) ||
	    !bpf_map_lookup_elem(&relays, &f.src))
		return WGT_PASS_FRAGMENT;
	return frag_drop_first(&f.src, f.id, WGT_FRAG_INGRESS,
			       WGT_DROP_RX_FRAGMENT);
}

#endif
