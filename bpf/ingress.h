/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ingress (XDP, or TC where XDP cannot attach): packets to the WireGuard
 * port from a relay lose their ChannelData header and appear to come from
 * the endpoint; packets from a direct address appear to come from the
 * endpoint; STUN goes to the daemon's control port. classify.h decides,
 * decap.h and rewrite.h move the bytes.
 */
#ifndef WGT_INGRESS_H
#define WGT_INGRESS_H

#include <stdbool.h>
#include "decap.h"
#include "frag.h"

/* Copy the first payload bytes for classification, zero if absent. */
static __always_inline void peek(void *data, void *data_end,
				 const struct wgt_pkt *p, struct wgt_peek *pk)
{
	__u8 *b = data + ((p->l4off + sizeof(struct udphdr)) & WGT_HDR_OFF_MASK);

	__builtin_memset(pk, 0, sizeof(*pk));
	if ((void *)(b + sizeof(pk->b)) <= data_end)
		__builtin_memcpy(pk->b, b, sizeof(pk->b));
	else if ((void *)(b + WGT_CHANDATA_HLEN) <= data_end)
		__builtin_memcpy(pk->b, b, WGT_CHANDATA_HLEN);
}

/*
 * Ingress for both hooks; xdp is a constant after inlining, so each entry
 * point keeps only its own branch. Returns the reason to count; the
 * packet passes unless it is < 0.
 */
static __always_inline int ingress(void *ctx, const bool xdp)
{
	struct xdp_md *x = ctx;
	struct __sk_buff *skb = ctx;
	struct wgt_config *cfg = get_config();
	struct wgt_rewrite rw = {};
	struct wgt_rx rx = {};
	struct wgt_peek pk;
	struct wgt_pkt p;
	void *data, *data_end;
	int r, err;

	if (!cfg || !cfg->wg_port)
		return WGT_PASS_NOT_OURS;
	if (xdp) {
		data = (void *)(long)x->data;
		data_end = (void *)(long)x->data_end;
		err = parse_udp(data, data_end, data_end - data, &p);
	} else {
		err = skb_parse(skb, &p);
		data = (void *)(long)skb->data; /* after skb_parse's pull */
		data_end = (void *)(long)skb->data_end;
	}
	if (err == WGT_PASS_FRAGMENT)
		return ingress_fragment(cfg, data, data_end);
	if (err)
		return err; /* why it is not ours: pass */
	peek(data, data_end, &p, &pk);
	r = ingress_classify(cfg, &p, &pk, &rx);
	switch (r) {
	case WGT_RX_RELAY:
		err = xdp ? decap_xdp(x, &p, &rx) : decap_skb(skb, &p, &rx);
		if (!err)
			account(&rx.ep, rx.cd.cdlen, 1, 0);
		return err ? err : r;
	case WGT_RX_DIRECT:
		readdress_plan(&p, &rx.ep, p.dst.port, &rw);
		break;
	case WGT_RX_STUN:
		readdress_plan(&p, &p.src, cfg->ctl_port, &rw);
		break;
	default:
		return r;
	}
	err = xdp ? rewrite_xdp(x, &p, &rw) : rewrite_skb(skb, &p, &rw);
	if (err)
		return err;
	if (r == WGT_RX_DIRECT)
		account(&rx.ep, p.udp_len - sizeof(struct udphdr), 1, 0);
	return r;
}

#endif
