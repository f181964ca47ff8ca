// SPDX-License-Identifier: GPL-2.0
/*
 * wgturn datapath entry points. Each turns a reason into a verdict and
 * bumps the per-CPU counter for it, so bpftool explains every packet; the
 * bodies are egress.h and ingress.h. A TC program hands packets that are
 * not its own to the next filter (TC_ACT_UNSPEC): another wgturn instance
 * on the same uplink, for another WireGuard interface, sits there.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "egress.h"
#include "ingress.h"

char LICENSE[] SEC("license") = "GPL";

/* Count the reason n times (the datagrams of a GSO batch); a negative
 * one is a drop. */
static __always_inline int verdict(int r, __u32 n, int handled, int pass,
				   int drop)
{
	if (r < 0) {
		count(-r, n);
		return drop;
	}
	count(r, n);
	return r < WGT_PASS_NOT_OURS ? handled : pass;
}

SEC("tc")
int wgt_tc_egress(struct __sk_buff *skb)
{
	struct wgt_egress_at at = {};
	int r = egress(skb, &at);

	if (r == WGT_TX_GSO_SPLIT) {
		count(r, skb_datagrams(skb));
		return bpf_redirect(at.redirect, 0);
	}
	return verdict(r, skb_datagrams(skb), TC_ACT_OK, TC_ACT_UNSPEC,
		       TC_ACT_SHOT);
}

/*
 * TC ingress of the veth end where a relay-bound GSO batch arrives as
 * segments (egress_gso()): encapsulate each and send it out of its
 * uplink. Nothing else belongs here: what is not sent is dropped.
 */
SEC("tc")
int wgt_tc_gso_return(struct __sk_buff *skb)
{
	struct wgt_egress_at at = {};
	__u32 key = skb->ifindex, *uplink;
	int r;

	uplink = bpf_map_lookup_elem(&gso_links, &key);
	if (!uplink)
		return verdict(-WGT_DROP_GSO_RETURN, 1, 0, 0, TC_ACT_SHOT);
	at.uplink = *uplink;
	r = egress(skb, &at);
	if (r == WGT_TX_RELAY || r == WGT_TX_DIRECT) {
		count(r, 1);
		return bpf_redirect(at.uplink, 0);
	}
	if (r >= 0)
		r = -WGT_DROP_GSO_RETURN;
	return verdict(r, skb_datagrams(skb), 0, 0, TC_ACT_SHOT);
}

SEC("xdp")
int wgt_xdp_ingress(struct xdp_md *ctx)
{
	return verdict(ingress(ctx, true), 1, XDP_PASS, XDP_PASS, XDP_DROP);
}

/* Fallback where XDP cannot attach. */
SEC("tc")
int wgt_tc_ingress(struct __sk_buff *skb)
{
	return verdict(ingress(skb, false), skb_datagrams(skb), TC_ACT_OK,
		       TC_ACT_UNSPEC, TC_ACT_SHOT);
}
