// SPDX-License-Identifier: GPL-2.0
/*
 * wgturn datapath entry points. Each turns a reason into a verdict and
 * bumps the per-CPU counter for it, so bpftool explains every packet.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "egress.h"
#include "decap.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int wgt_tc_egress(struct __sk_buff *skb)
{
	int r = egress(skb);

	if (r < 0) {
		count(-r);
		return TC_ACT_SHOT;
	}
	count(r);
	return TC_ACT_OK;
}

/* Copy the first payload bytes for classification, zero if absent. */
static __always_inline void peek(void *data, void *data_end,
				 const struct wgt_pkt *p, struct wgt_peek *pk)
{
	__u8 *b = data + ((p->l4off + sizeof(struct udphdr)) & 0xff);

	__builtin_memset(pk, 0, sizeof(*pk));
	if ((void *)(b + sizeof(pk->b)) <= data_end)
		__builtin_memcpy(pk->b, b, sizeof(pk->b));
	else if ((void *)(b + 4) <= data_end)
		__builtin_memcpy(pk->b, b, 4);
}

/* Returns the reason; the packet passes whatever it is, unless < 0. */
static __always_inline int ingress_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct wgt_config *cfg = get_config();
	struct wgt_rewrite rw = {};
	struct wgt_rx rx = {};
	struct wgt_peek pk;
	struct wgt_pkt p;
	int r, err;

	if (!cfg || !cfg->wg_port)
		return WGT_PASS_NOT_OURS;
	err = parse_udp(data, data_end, data_end - data, &p);
	if (err)
		return -err;
	peek(data, data_end, &p, &pk);
	r = ingress_classify(cfg, &p, &pk, &rx);
	switch (r) {
	case WGT_RX_RELAY:
		err = decap_xdp(ctx, &p, &rx);
		if (!err)
			account(&rx.ep, rx.cdlen, 0);
		break;
	case WGT_RX_DIRECT:
		readdress_plan(&p, &rx.ep, p.dst.port, &rw);
		err = rewrite_xdp(ctx, &p, &rw);
		if (!err)
			account(&rx.ep, p.udp_len - sizeof(struct udphdr), 0);
		break;
	case WGT_RX_STUN:
		readdress_plan(&p, &p.src, cfg->ctl_port, &rw);
		err = rewrite_xdp(ctx, &p, &rw);
		break;
	default:
		return r;
	}
	return err ? err : r;
}

SEC("xdp")
int wgt_xdp_ingress(struct xdp_md *ctx)
{
	int r = ingress_xdp(ctx);

	if (r < 0) {
		count(-r);
		return XDP_DROP;
	}
	count(r);
	return XDP_PASS;
}

static __always_inline int ingress_skb(struct __sk_buff *skb)
{
	struct wgt_config *cfg = get_config();
	struct wgt_rewrite rw = {};
	struct wgt_rx rx = {};
	struct wgt_peek pk;
	struct wgt_pkt p;
	int r, err;

	if (!cfg || !cfg->wg_port)
		return WGT_PASS_NOT_OURS;
	err = skb_parse(skb, &p);
	if (err)
		return -err;
	peek((void *)(long)skb->data, (void *)(long)skb->data_end, &p, &pk);
	r = ingress_classify(cfg, &p, &pk, &rx);
	switch (r) {
	case WGT_RX_RELAY:
		err = decap_skb(skb, &p, &rx);
		if (!err)
			account(&rx.ep, rx.cdlen, 0);
		break;
	case WGT_RX_DIRECT:
		readdress_plan(&p, &rx.ep, p.dst.port, &rw);
		err = rewrite_skb(skb, &p, &rw);
		if (!err)
			account(&rx.ep, p.udp_len - sizeof(struct udphdr), 0);
		break;
	case WGT_RX_STUN:
		readdress_plan(&p, &p.src, cfg->ctl_port, &rw);
		err = rewrite_skb(skb, &p, &rw);
		break;
	default:
		return r;
	}
	return err ? err : r;
}

/* Fallback where XDP cannot attach. */
SEC("tc")
int wgt_tc_ingress(struct __sk_buff *skb)
{
	int r = ingress_skb(skb);

	if (r < 0) {
		count(-r);
		return TC_ACT_SHOT;
	}
	count(r);
	return TC_ACT_OK;
}
