/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stripping the ChannelData header, once for XDP and once for TC: the
 * plan is shared (ingress.h), moving bytes is hook specific.
 */
#ifndef WGT_DECAP_H
#define WGT_DECAP_H

#include "ingress.h"

/* XDP: slide the Ethernet/IP/UDP headers 4 bytes forward over the
 * ChannelData header, drop the front, trim the padding. */
static __always_inline int decap_xdp(struct xdp_md *ctx,
				     const struct wgt_pkt *p,
				     struct wgt_rx *rx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 tail = p->l4off + sizeof(struct udphdr) + WGT_CHANDATA_HLEN +
		     rx->cdlen;
	struct wgt_rewrite rw = {};
	__u8 hdrs[14 + 40 + 8];
	int err;

	for (int i = 0; i < 3; i++) {
		__u8 *b = data + ((tail + i) & 0x3fff);

		if (i >= rx->pad_len)
			break;
		if ((void *)(b + 1) > data_end)
			return -WGT_DROP_ERROR;
		rx->padding[i] = *b;
	}
	rw.l4_diff = chandata_removed(rx);
	decap_plan(p, rx, &rw);
	err = rewrite_fields(data, data_end, p, &rw, 1);
	if (err)
		return err;

	if (p->family == WGT_AF_INET) {
		if (data + 14 + 20 + 8 + WGT_CHANDATA_HLEN > data_end)
			return -WGT_DROP_ERROR;
		__builtin_memcpy(hdrs, data, 14 + 20 + 8);
		__builtin_memcpy(data + WGT_CHANDATA_HLEN, hdrs, 14 + 20 + 8);
	} else {
		if (data + 14 + 40 + 8 + WGT_CHANDATA_HLEN > data_end)
			return -WGT_DROP_ERROR;
		__builtin_memcpy(hdrs, data, 14 + 40 + 8);
		__builtin_memcpy(data + WGT_CHANDATA_HLEN, hdrs, 14 + 40 + 8);
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
		     rx->cdlen;
	struct wgt_rewrite rw = {};
	struct udphdr udp;

	for (int i = 0; i < 3; i++) {
		if (i >= rx->pad_len)
			break;
		if (bpf_skb_load_bytes(skb, tail + i, &rx->padding[i], 1))
			return -WGT_DROP_ERROR;
	}
	decap_plan(p, rx, &rw);
	rw.pseudo_diff = csum_add(rw.pseudo_diff, chandata_removed(rx));

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
