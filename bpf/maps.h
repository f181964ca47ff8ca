/* SPDX-License-Identifier: GPL-2.0 */
/* Maps shared with userspace (pinned by the loader) and their helpers. */
#ifndef WGT_MAPS_H
#define WGT_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "wgturn.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WGT_MAX_ENDPOINTS);
	__type(key, struct wgt_ep);
	__type(value, struct wgt_path);
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WGT_MAX_ENDPOINTS);
	__type(key, struct wgt_chan_key);
	__type(value, struct wgt_ep);
} channels SEC(".maps");

/* direct address -> endpoint, for the ingress source rewrite */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WGT_MAX_ENDPOINTS);
	__type(key, struct wgt_ep);
	__type(value, struct wgt_ep);
} directs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WGT_MAX_RELAYS);
	__type(key, struct wgt_ep);
	__type(value, struct wgt_relay);
} relays SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, WGT_MAX_ENDPOINTS);
	__type(key, struct wgt_ep);
	__type(value, struct wgt_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wgt_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wgt_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WGT_MAX_UPLINKS);
	__type(key, __u32);
	__type(value, struct wgt_uplink);
} uplinks SEC(".maps");

/* Where GSO batches are segmented: include/wgturn.h. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WGT_MAX_GSO_LINKS);
	__type(key, __u32);	/* ifindex */
	__type(value, __u32);	/* ifindex */
} gso_links SEC(".maps");

/* Fragments dropped (frag.h): their later fragments follow them. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WGT_MAX_FRAGS);
	__type(key, struct wgt_frag_key);
	__type(value, __u64);	/* when the first was seen, ns */
} frags SEC(".maps");

/* Scratch space to slide a payload during encapsulation: the
 * ChannelData header, then the payload, written back in one store. */
#define WGT_SCRATCH 16384 /* a power of two: egress.h masks sizes with it */
struct wgt_scratch {
	__u8 hdr[4];	/* WGT_CHANDATA_HLEN */
	__u8 buf[WGT_SCRATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wgt_scratch);
} scratch SEC(".maps");

static __always_inline void count(__u32 r, __u32 n)
{
	__u64 i = r;	/* widened once: the register checked is the one used */
	__u32 zero = 0;
	__u64 *c;

	/* Bound the index itself: clang may otherwise test a copy, or the
	 * value it was negated from, which 6.1's and 6.12's verifiers
	 * cannot follow to the index (6.18's can). */
	asm volatile("" : "+r"(i));
	if (i >= WGT_REASON_MAX)
		return;
	c = bpf_map_lookup_elem(&counters, &zero);
	if (c)
		c[i] += n;
}

static __always_inline struct wgt_config *get_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&config, &zero);
}

/* Per-endpoint statistics; the entry is created by userspace. Egress
 * counts the datagrams of a GSO batch (n), ingress one at a time. */
static __always_inline void account(const struct wgt_ep *ep, __u32 bytes,
				    __u32 n, int tx)
{
	struct wgt_stats *s = bpf_map_lookup_elem(&stats, ep);

	if (!s)
		return;
	/* The coarse clock (CLOCK_MONOTONIC, a tick behind at most) is
	 * plenty for liveness in seconds, and a read of memory where
	 * bpf_ktime_get_ns() reads the clock: 22 ns a packet here. */
	if (tx) {
		s->tx_packets += n;
		s->tx_bytes += bytes;
		s->last_tx_ns = bpf_ktime_get_coarse_ns();
	} else {
		s->rx_packets++;
		s->rx_bytes += bytes;
		s->last_rx_ns = bpf_ktime_get_coarse_ns();
	}
}

#endif
