/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Structures and constants shared by the BPF datapath and userspace.
 * Every map key and value is fixed-width, explicitly padded and
 * size-asserted, so both sides agree and bpftool prints named fields.
 */
#ifndef WGTURN_H
#define WGTURN_H

#include <linux/types.h>

#define WGT_AF_INET	4
#define WGT_AF_INET6	6

/* An outer address and UDP port. IPv4 uses addr[0..3], the rest is zero. */
struct wgt_ep {
	__u8 addr[16];
	__u16 port;		/* host byte order */
	__u8 family;		/* WGT_AF_INET or WGT_AF_INET6 */
	__u8 pad;
};

enum wgt_path_kind {
	WGT_PATH_RELAY = 1,
	WGT_PATH_DIRECT = 2,
};

/* endpoints: WireGuard endpoint -> where its packets really go. */
struct wgt_path {
	struct wgt_ep via;	/* relay address, or direct address */
	__u16 channel;		/* ChannelData number, relay path only */
	__u8 kind;		/* enum wgt_path_kind */
	__u8 pad;
};

/* channels: (relay, channel) -> endpoint, for decapsulation. */
struct wgt_chan_key {
	struct wgt_ep relay;
	__u16 channel;
	__u16 pad;
};

/* relays: relay address -> how many endpoints use it. */
struct wgt_relay {
	__u32 endpoints;
};

/* stats: per endpoint, per CPU. Bytes are WireGuard's UDP payload. */
struct wgt_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 last_rx_ns;	/* CLOCK_MONOTONIC, 0 = never */
	__u64 last_tx_ns;
};

/* config: one entry. */
struct wgt_config {
	__u16 wg_port;		/* WireGuard listen port, host order */
	__u16 ctl_port;		/* daemon's control port, 0 = none */
	__u32 flags;
	__u64 netns_ino;	/* owner's network namespace (userspace) */
};

/* uplinks: which interfaces carry the programs, for detach and show. */
#define WGT_MAX_UPLINKS 8

enum wgt_xdp_mode {
	WGT_XDP_NONE = 0,	/* XDP could not attach: TC ingress instead */
	WGT_XDP_NATIVE = 1,
	WGT_XDP_SKB = 2,
};

struct wgt_uplink {
	__u32 ifindex;		/* 0 = unused slot */
	__u32 xdp_mode;		/* enum wgt_xdp_mode */
	__u32 mtu;		/* at attach time, for show */
	__u32 pad;
};

/*
 * Why the datapath did what it did: one per-CPU counter each. Handled
 * packets first, then packets passed untouched, then drops.
 */
enum wgt_reason {
	WGT_TX_RELAY,		/* encapsulated to a relay */
	WGT_TX_DIRECT,		/* sent on a direct path */
	WGT_TX_CONTROL,		/* control socket source port rewritten */
	WGT_RX_RELAY,		/* ChannelData decapsulated */
	WGT_RX_DIRECT,		/* received on a direct path */
	WGT_RX_STUN,		/* STUN steered to the control port */
	WGT_PASS_NOT_OURS,	/* no mapping: not wgturn's packet */
	WGT_PASS_IP_OPTIONS,	/* IPv4 header with options */
	WGT_PASS_IPV6_EXT,	/* IPv6 extension headers */
	WGT_PASS_FRAGMENT,	/* IP fragment */
	WGT_PASS_MALFORMED,	/* truncated or inconsistent lengths */
	WGT_PASS_UNKNOWN_CHANNEL, /* from a relay, channel not bound */
	WGT_PASS_BAD_CHANNEL_LEN, /* ChannelData length beyond datagram */
	WGT_DROP_GSO,		/* relay-bound GSO batch */
	WGT_DROP_TOO_BIG,	/* relay-bound, would exceed uplink MTU */
	WGT_DROP_MALFORMED,	/* relay-bound, cannot be encapsulated */
	WGT_DROP_ERROR,		/* a kernel helper failed mid-rewrite */
	WGT_REASON_MAX,
};

/*
 * counters: one per-CPU entry of named fields, in enum wgt_reason order,
 * so `bpftool map dump` reads like a report. Indexed as an array.
 */
struct wgt_counters {
	__u64 tx_relay;
	__u64 tx_direct;
	__u64 tx_control;
	__u64 rx_relay;
	__u64 rx_direct;
	__u64 rx_stun;
	__u64 pass_not_ours;
	__u64 pass_ip_options;
	__u64 pass_ipv6_ext;
	__u64 pass_fragment;
	__u64 pass_malformed;
	__u64 pass_unknown_channel;
	__u64 pass_bad_channel_len;
	__u64 drop_gso;
	__u64 drop_too_big;
	__u64 drop_malformed;
	__u64 drop_error;
};

_Static_assert(sizeof(struct wgt_ep) == 20, "wgt_ep layout");
_Static_assert(sizeof(struct wgt_path) == 24, "wgt_path layout");
_Static_assert(sizeof(struct wgt_chan_key) == 24, "wgt_chan_key layout");
_Static_assert(sizeof(struct wgt_stats) == 48, "wgt_stats layout");
_Static_assert(sizeof(struct wgt_config) == 16, "wgt_config layout");
_Static_assert(sizeof(struct wgt_uplink) == 16, "wgt_uplink layout");
_Static_assert(sizeof(struct wgt_counters) == WGT_REASON_MAX * 8,
	       "one counter per reason");

/* Map sizes. */
#define WGT_MAX_ENDPOINTS 4096
#define WGT_MAX_RELAYS 64

/* ChannelData (RFC 8656 12.4): channel 0x4000-0x4FFF, 4-byte header. */
#define WGT_CHAN_MIN 0x4000
#define WGT_CHAN_MAX 0x4FFF
#define WGT_CHANDATA_HLEN 4
#define WGT_STUN_COOKIE 0x2112A442

#endif
