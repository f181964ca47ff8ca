/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stripping the ChannelData header, once for XDP and once for TC: the
 * plan is shared (classify.h), moving bytes is hook specific.
 */
#ifndef WGT_DECAP_H
#define WGT_DECAP_H

#include "classify.h"

/* XDP: slide the Ethernet/IP/UDP headers 4 bytes forward over the
 * ChannelData header, drop the front, trim the padding. */
static __always_inline int decap_xdp(struct xdp_md *ctx,
				     const struct wgt_pkt *p,
				     struct wgt_rx *rx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 tail = p->l4off + sizeof(struct udphdr) + WGT_CHANDATA_HLEN +
		     rx->cd.cdlen;
	struct wgt_rewrite rw = {};
	__u8 hdrs[WGT_ETH_HLEN + WGT_IPV6_HLEN + WGT_UDP_HLEN];
	int err;

	for (int i = 0; i < WGT_CHANDATA_PAD_MAX; i++) {
		__u8 *b = data + ((tail + i) & WGT_OFF_MASK);

		if (i >= rx->cd.pad_len)
			break;
		if ((void *)(b + 1) > data_end)
			return -WGT_DROP_ERROR;
		rx->cd.padding[i] = *b;
	}
	rw.l4_diff = chandata_removed(&rx->cd);
	decap_plan(p, rx, &rw);
	err = rewrite_fields(data, data_end, p, &rw, 1);
	if (err)
		return err;

	if (p->family == WGT_AF_INET) {
		if (data + WGT_ETH_HLEN + WGT_IPV4_HLEN + WGT_UDP_HLEN + WGT_CHANDATA_HLEN > data_end)
			return -WGT_DROP_ERROR;
		__builtin_memcpy(hdrs, data, WGT_ETH_HLEN + WGT_IPV4_HLEN + WGT_UDP_HLEN);
		__builtin_memcpy(data + WGT_CHANDATA_HLEN, hdrs, WGT_ETH_HLEN + WGT_IPV4_HLEN + WGT_UDP_HLEN);
	} else {
		if (data + WGT_ETH_HLEN + WGT_IPV6_HLEN + WGT_UDP_HLEN + WGT_CHANDATA_HLEN > data_end)
			return -WGT_DROP_ERROR;
		__builtin_memcpy(hdrs, data, WGT_ETH_HLEN + WGT_IPV6_HLEN + WGT_UDP_HLEN);
		__builtin_memcpy(data + WGT_CHANDATA_HLEN, hdrs, WGT_ETH_HLEN + WGT_IPV6_HLEN + WGT_UDP_HLEN);
	}
	if (bpf_xdp_adjust_head(ctx, WGT_CHANDATA_HLEN))
		return -WGT_DROP_ERROR;
	/* New frame end: the datagram, without padding or link trailer. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	err = (int)(tail - WGT_CHANDATA_HLEN) - (int)(data_end - data);
	if (err && bpf_xdp_adjust_tail(ctx, err))
		return -WGT_DROP_ERROR;
	return 0;
}

/*
 * TC: copy the UDP header over the ChannelData header, remove the 4 bytes
 * after the IP header, trim the padding, then rewrite. The removal diff
 * goes in with the pseudo-header diff: the bytes are already gone, and
 * that is the path that keeps skb->csum right for CHECKSUM_COMPLETE.
 */
static __always_inline int decap_skb(struct __sk_buff *skb,
				     const struct wgt_pkt *p,
				     struct wgt_rx *rx)
{
	__u32 tail = p->l4off + sizeof(struct udphdr) + WGT_CHANDATA_HLEN +
		     rx->cd.cdlen;
	struct wgt_rewrite rw = {};
	struct udphdr udp;

	for (int i = 0; i < WGT_CHANDATA_PAD_MAX; i++) {
		if (i >= rx->cd.pad_len)
			break;
		if (bpf_skb_load_bytes(skb, tail + i, &rx->cd.padding[i], 1))
			return -WGT_DROP_ERROR;
	}
	decap_plan(p, rx, &rw);
	rw.pseudo_diff = csum_add(rw.pseudo_diff, chandata_removed(&rx->cd));

	if (bpf_skb_load_bytes(skb, p->l4off, &udp, sizeof(udp)) ||
	    bpf_skb_store_bytes(skb, p->l4off + WGT_CHANDATA_HLEN, &udp,
				sizeof(udp), BPF_F_RECOMPUTE_CSUM))
		return -WGT_DROP_ERROR;
	if (bpf_skb_adjust_room(skb, -WGT_CHANDATA_HLEN, BPF_ADJ_ROOM_NET, 0))
		return -WGT_DROP_ERROR;
	if (skb->len != tail - WGT_CHANDATA_HLEN &&
	    bpf_skb_change_tail(skb, tail - WGT_CHANDATA_HLEN, 0))
		return -WGT_DROP_ERROR;
	return rewrite_skb(skb, p, &rw);
}

#endif
