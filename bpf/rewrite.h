/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rewriting the outer IP/UDP header: new addresses, ports and UDP length,
 * with incremental checksum updates. The plan (which words change) is the
 * same for XDP and TC; only how it is applied differs: XDP patches the
 * fields itself, TC patches the IPv4 header checksum itself and goes
 * through bpf_l4_csum_replace() for UDP, so that CHECKSUM_PARTIAL packets
 * get only their pseudo-header part updated.
 */
#ifndef WGT_REWRITE_H
#define WGT_REWRITE_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "csum.h"
#include "parse.h"

/* parse_udp for an skb: the headers made linear first. */
static __always_inline int skb_parse(struct __sk_buff *skb, struct wgt_pkt *p)
{
	__u32 want = skb->len < WGT_PULL_LEN ? skb->len : WGT_PULL_LEN;

	if ((__u32)(skb->data_end - skb->data) < want &&
	    bpf_skb_pull_data(skb, want))
		return WGT_PASS_MALFORMED;
	return parse_udp((void *)(long)skb->data, (void *)(long)skb->data_end,
			 skb->len, p);
}

struct wgt_rewrite {
	struct wgt_ep src;	/* new outer source */
	struct wgt_ep dst;	/* new outer destination */
	__u16 udp_len;		/* new UDP length */
	__u16 pad;
	__u32 pseudo_diff;	/* checksum diff of the pseudo-header */
	__u32 l4_diff;		/* of the UDP header and payload */
	__u32 l3_diff;		/* of the IPv4 header */
};

static __always_inline __u32 diff16(__u32 diff, __u16 old, __u16 new)
{
	return csum_add(csum_sub(diff, old), new);
}

static __always_inline __u32 diff_addr(__u32 diff, const struct wgt_ep *old,
				       const struct wgt_ep *new, int words)
{
	__u32 o[4], n[4];

	__builtin_memcpy(o, old->addr, 16);
	__builtin_memcpy(n, new->addr, 16);
	return csum_diff_addr(diff, o, n, words);
}

/*
 * Fill in the checksum diffs for rewriting p's header to rw->src, rw->dst
 * and rw->udp_len. rw->l4_diff may already hold changes to the payload
 * (an inserted or removed ChannelData header).
 */
static __always_inline void rewrite_plan(const struct wgt_pkt *p,
					 struct wgt_rewrite *rw)
{
	int words = p->family == WGT_AF_INET ? 1 : 4;
	__u16 olen = bpf_htons(p->udp_len), nlen = bpf_htons(rw->udp_len);
	__u32 addr = 0;

	addr = diff_addr(addr, &p->src, &rw->src, words);
	addr = diff_addr(addr, &p->dst, &rw->dst, words);

	rw->pseudo_diff = diff16(addr, olen, nlen);
	rw->l4_diff = diff16(rw->l4_diff, bpf_htons(p->src.port),
			     bpf_htons(rw->src.port));
	rw->l4_diff = diff16(rw->l4_diff, bpf_htons(p->dst.port),
			     bpf_htons(rw->dst.port));
	rw->l4_diff = diff16(rw->l4_diff, olen, nlen);
	/* IPv4 total length moves with the UDP length. */
	rw->l3_diff = diff16(addr, bpf_htons(p->l3len),
			     bpf_htons(p->l3len - p->udp_len + rw->udp_len));
}

/*
 * Write the new header fields at data (the start of the frame). Header
 * offsets are masked so the verifier can bound them. The IPv4 header
 * checksum is patched here for both hooks: the header's sum stays what it
 * was, so a CHECKSUM_COMPLETE skb->csum needs nothing. xdp: also patch the
 * UDP checksum here; TC leaves it, and the IPv6 header, to rewrite_skb().
 */
static __always_inline int rewrite_fields(void *data, void *data_end,
					  const struct wgt_pkt *p,
					  const struct wgt_rewrite *rw,
					  const bool xdp)
{
	struct udphdr *udp = data + (p->l4off & 0xff);

	if ((void *)(udp + 1) > data_end)
		return -WGT_DROP_ERROR;

	if (p->family == WGT_AF_INET) {
		struct iphdr *ip = data + (p->l3off & 0xff);

		if ((void *)(ip + 1) > data_end)
			return -WGT_DROP_ERROR;
		__builtin_memcpy(&ip->saddr, rw->src.addr, 4);
		__builtin_memcpy(&ip->daddr, rw->dst.addr, 4);
		ip->tot_len = bpf_htons(sizeof(*ip) + rw->udp_len);
		ip->check = csum_apply(ip->check, rw->l3_diff, 0);
	} else if (xdp) {
		struct ipv6hdr *ip6 = data + (p->l3off & 0xff);

		if ((void *)(ip6 + 1) > data_end)
			return -WGT_DROP_ERROR;
		__builtin_memcpy(&ip6->saddr, rw->src.addr, 16);
		__builtin_memcpy(&ip6->daddr, rw->dst.addr, 16);
		ip6->payload_len = bpf_htons(rw->udp_len);
	}
	udp->source = bpf_htons(rw->src.port);
	udp->dest = bpf_htons(rw->dst.port);
	udp->len = bpf_htons(rw->udp_len);
	if (xdp)
		udp->check = csum_apply(udp->check,
					csum_add(rw->pseudo_diff, rw->l4_diff),
					p->family == WGT_AF_INET ? CSUM_UDP4 :
								   CSUM_UDP);
	return 0;
}

/* XDP: the headers are in the linear frame; patch fields and checksums. */
static __always_inline int rewrite_xdp(struct xdp_md *ctx,
				       const struct wgt_pkt *p,
				       const struct wgt_rewrite *rw)
{
	return rewrite_fields((void *)(long)ctx->data,
			      (void *)(long)ctx->data_end, p, rw, true);
}

/*
 * IPv6 has no header checksum to absorb a change of its fields, so on a
 * CHECKSUM_COMPLETE skb they must enter skb->csum: bpf_skb_store_bytes()
 * with BPF_F_RECOMPUTE_CSUM does that (and nothing for other skbs). It
 * also balances the pseudo-header bpf_l4_csum_replace(), which takes the
 * diff out of skb->csum as if a header checksum had absorbed it.
 */
static __always_inline int rewrite_ip6_skb(struct __sk_buff *skb,
					   const struct wgt_pkt *p,
					   const struct wgt_rewrite *rw)
{
	__u16 plen = bpf_htons(rw->udp_len);
	__u8 addrs[32];

	__builtin_memcpy(addrs, rw->src.addr, 16);
	__builtin_memcpy(addrs + 16, rw->dst.addr, 16);
	if (bpf_skb_store_bytes(skb, p->l3off + offsetof(struct ipv6hdr,
							 payload_len),
				&plen, sizeof(plen), BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(skb, p->l3off + offsetof(struct ipv6hdr, saddr),
				addrs, sizeof(addrs), BPF_F_RECOMPUTE_CSUM))
		return -WGT_DROP_ERROR;
	return 0;
}

/*
 * TC: write the fields, then let the kernel fold the diffs in, which does
 * the right thing for CHECKSUM_PARTIAL (pseudo-header only) and for fully
 * summed packets alike. A diff goes in as "from 0 to diff", a 4-byte
 * replacement: ~0 is one's complement zero, so this adds exactly diff.
 */
static __always_inline int rewrite_skb(struct __sk_buff *skb,
				       const struct wgt_pkt *p,
				       const struct wgt_rewrite *rw)
{
	__u32 csum_off = p->l4off + offsetof(struct udphdr, check);
	__u32 hlen = p->l4off + sizeof(struct udphdr);
	struct udphdr *udp;
	__u16 check;
	int err;

	/* The headers are linear already, unless a helper before moved
	 * them: a pull is a helper call per packet otherwise. */
	if ((__u32)(skb->data_end - skb->data) < hlen &&
	    bpf_skb_pull_data(skb, hlen))
		return -WGT_DROP_ERROR;
	err = rewrite_fields((void *)(long)skb->data,
			     (void *)(long)skb->data_end, p, rw, false);
	if (err)
		return err;
	udp = (void *)(long)skb->data + (p->l4off & 0xff);
	if ((void *)(udp + 1) > (void *)(long)skb->data_end)
		return -WGT_DROP_ERROR;
	check = udp->check;
	if (p->family == WGT_AF_INET6 && rewrite_ip6_skb(skb, p, rw))
		return -WGT_DROP_ERROR;
	/* IPv4 without UDP checksum: the csum helpers skip it, but the UDP
	 * header bytes did change under a CHECKSUM_COMPLETE skb->csum. */
	if (p->family == WGT_AF_INET && check == 0) {
		bpf_csum_update(skb, rw->l4_diff);
		return 0;
	}
	if (bpf_l4_csum_replace(skb, csum_off, 0, rw->pseudo_diff,
				BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | 4))
		return -WGT_DROP_ERROR;
	if (bpf_l4_csum_replace(skb, csum_off, 0, rw->l4_diff,
				BPF_F_MARK_MANGLED_0 | 4))
		return -WGT_DROP_ERROR;
	return 0;
}

#endif
