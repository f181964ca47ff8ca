/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TC egress: WireGuard's packets to a mapped endpoint go out on their
 * path. Relay: insert the ChannelData header and send to the relay.
 * Direct: send to the direct address. The control socket's packets
 * leave from the WireGuard port (one 5-tuple for everything).
 */
#ifndef WGT_EGRESS_H
#define WGT_EGRESS_H

#include "chandata.h"
#include "frag.h"
#include "maps.h"
#include "rewrite.h"

/*
 * Where egress() runs. On the uplink (uplink 0) the MTU is skb->dev's and
 * a relay-bound GSO batch goes to its veth to be segmented (redirect).
 * On the way back from that veth each segment is encapsulated like any
 * datagram, checked against the uplink's MTU and sent out of it.
 */
struct wgt_egress_at {
	__u32 uplink;		/* in: 0 on the uplink, else its ifindex */
	__u32 redirect;		/* out: TX_GSO_SPLIT's veth end */
};

/* Datagrams in an skb: a GSO batch carries gso_segs of them. */
static __always_inline __u32 skb_datagrams(const struct __sk_buff *skb)
{
	return skb->gso_segs > 1 ? skb->gso_segs : 1;
}

/*
 * Make room for the ChannelData header between the UDP header and the
 * payload: grow the tail and slide the payload 4 bytes. Growing at the
 * tail keeps csum_start valid for CHECKSUM_PARTIAL packets, where
 * bpf_skb_adjust_room() would leave it pointing into the new header.
 * The payload goes through the scratch map behind the header, and both
 * are written back in one store.
 */
static __always_inline int chandata_push(struct __sk_buff *skb,
					 const struct wgt_pkt *p, __u16 chan)
{
	__u32 off = p->l4off + sizeof(struct udphdr);
	__u32 len = p->udp_len - sizeof(struct udphdr);
	struct wgt_scratch *s;
	__u32 zero = 0, n;

	if (skb->len != p->l3off + p->l3len)
		return -WGT_DROP_MALFORMED;
	if (len > WGT_SCRATCH)
		return -WGT_DROP_TOO_BIG;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return -WGT_DROP_ERROR;
	chandata_hdr(chan, len, (__u16 *)s->hdr);
	/*
	 * The size passed must have a lower bound the verifier can see, and
	 * 6.1's does not learn len >= 1 from len != 0: copy n + 1 bytes, n
	 * masked to the scratch size (a power of two). The empty asm keeps
	 * clang from dropping the mask, which it can prove changes nothing.
	 */
	n = len - 1;
	asm volatile("" : "+r"(n));
	n &= WGT_SCRATCH - 1;
	if (len && bpf_skb_load_bytes(skb, off, s->buf, n + 1))
		return -WGT_DROP_ERROR;
	if (bpf_skb_change_tail(skb, skb->len + WGT_CHANDATA_HLEN, 0))
		return -WGT_DROP_ERROR;
	n = len ? n + 1 : 0;
	if (bpf_skb_store_bytes(skb, off, s->hdr, WGT_CHANDATA_HLEN + n, 0))
		return -WGT_DROP_ERROR;
	return 0;
}

/*
 * One header per datagram: a GSO batch cannot take one, and no helper
 * grows each segment. The kernel segments it on the way through a veth
 * without UDP segmentation offload; the segments come back through
 * wgt_tc_gso_return. A batch there would loop: never send it again.
 */
static __always_inline int egress_gso(struct __sk_buff *skb,
				      struct wgt_egress_at *at)
{
	__u32 key = skb->ifindex, *veth, mtu = 0;

	if (at->uplink)
		return -WGT_DROP_GSO;
	veth = bpf_map_lookup_elem(&gso_links, &key);
	if (!veth)
		return -WGT_DROP_GSO;
	/* a veth deleted by hand: the redirect would drop it uncounted */
	if (bpf_check_mtu(skb, *veth, &mtu, 0, 0) < 0)
		return -WGT_DROP_GSO;
	at->redirect = *veth;
	return WGT_TX_GSO_SPLIT;
}

static __always_inline int egress_relay(struct __sk_buff *skb,
					const struct wgt_pkt *p,
					const struct wgt_path *path,
					struct wgt_egress_at *at)
{
	struct wgt_rewrite rw = {};
	__u32 mtu = 0;
	__u16 len = p->udp_len - sizeof(struct udphdr);
	int err;

	if (path->via.family != p->family)
		return -WGT_DROP_MALFORMED;
	if (skb->gso_size)
		return egress_gso(skb, at);
	if (bpf_check_mtu(skb, at->uplink, &mtu, WGT_CHANDATA_HLEN, 0))
		return -WGT_DROP_TOO_BIG;

	err = chandata_push(skb, p, path->channel);
	if (err)
		return err;

	rw.src = p->src;
	rw.dst = path->via;
	rw.udp_len = p->udp_len + WGT_CHANDATA_HLEN;
	/* The inserted header words are new data under the UDP checksum. */
	rw.l4_diff = chandata_added(path->channel, len);
	rewrite_plan(p, &rw);
	return rewrite_skb(skb, p, &rw);
}

/* Rewrite one end of the header, keeping the other. */
static __always_inline int egress_readdress(struct __sk_buff *skb,
					    const struct wgt_pkt *p,
					    const struct wgt_ep *src,
					    const struct wgt_ep *dst)
{
	struct wgt_rewrite rw = {};

	rw.src = *src;
	rw.dst = *dst;
	rw.udp_len = p->udp_len;
	rewrite_plan(p, &rw);
	return rewrite_skb(skb, p, &rw);
}

/* Returns the reason to count: >= 0 handled or passed, < 0 a drop (the
 * one sign rule of bpf/). */
static __always_inline int egress(struct __sk_buff *skb,
				  struct wgt_egress_at *at)
{
	struct wgt_config *cfg = get_config();
	struct wgt_path *path;
	struct wgt_pkt p;
	__u32 bytes;
	int err;

	if (!cfg || !cfg->wg_port)
		return WGT_PASS_NOT_OURS;
	err = skb_parse(skb, &p);
	if (err == WGT_PASS_FRAGMENT)
		return egress_fragment(cfg, (void *)(long)skb->data,
				       (void *)(long)skb->data_end);
	if (err)
		return err;

	if (cfg->ctl_port && p.src.port == cfg->ctl_port) {
		struct wgt_ep src = p.src;

		src.port = cfg->wg_port;
		err = egress_readdress(skb, &p, &src, &p.dst);
		return err ? err : WGT_TX_CONTROL;
	}
	if (p.src.port != cfg->wg_port)
		return WGT_PASS_NOT_OURS;
	path = bpf_map_lookup_elem(&endpoints, &p.dst);
	/* From WireGuard's port to a relay: a segment wgt_tc_gso_return
	 * encapsulated, passing this uplink's egress once more. */
	if (!path && bpf_map_lookup_elem(&relays, &p.dst))
		return WGT_PASS_ENCAPSULATED;
	if (!path)
		return WGT_PASS_NOT_OURS;

	bytes = p.udp_len - sizeof(struct udphdr);
	if (path->kind == WGT_PATH_RELAY) {
		err = egress_relay(skb, &p, path, at);
		if (err)
			return err;	/* a drop, or TX_GSO_SPLIT */
		account(&p.dst, bytes, 1, 1);
		return WGT_TX_RELAY;
	}
	if (path->kind != WGT_PATH_DIRECT || path->via.family != p.family)
		return -WGT_DROP_MALFORMED;
	if (!ep_equal(&path->via, &p.dst)) {
		err = egress_readdress(skb, &p, &p.src, &path->via);
		if (err)
			return err;
	}
	account(&p.dst, bytes, skb_datagrams(skb), 1);
	return WGT_TX_DIRECT;
}

#endif
