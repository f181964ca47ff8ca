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

/* frags: dropped fragments by far address and IP ID, so the later
 * fragments of the same datagram are dropped too. */
enum wgt_frag_dir {
	WGT_FRAG_EGRESS = 0,
	WGT_FRAG_INGRESS = 1,
};

struct wgt_frag_key {
	__u8 addr[16];		/* egress: destination; ingress: source */
	__u32 id;		/* IPv4 ID or IPv6 fragment identification */
	__u8 family;
	__u8 dir;		/* enum wgt_frag_dir */
	__u16 pad;
};

/* uplinks: which interfaces carry the programs, for detach and show. */
#define WGT_MAX_UPLINKS 8

enum wgt_xdp_mode {
	WGT_XDP_NONE = 0,	/* XDP could not attach: TC ingress instead */
	WGT_XDP_NATIVE = 1,
	WGT_XDP_SKB = 2,
	WGT_XDP_OFF = 3,	/* TC ingress, as asked (--xdp-mode off) */
	WGT_XDP_TC_VETH = 4,	/* TC ingress, auto's choice on a veth */
};

struct wgt_uplink {
	__u32 ifindex;		/* 0 = unused slot */
	__u32 xdp_mode;		/* enum wgt_xdp_mode */
	__u32 mtu;		/* at attach time, for show */
	__u32 gso_ifindex;	/* veth end that segments GSO batches, 0 = none */
};

/*
 * gso_links: the veth pair per uplink where relay-bound GSO batches are
 * segmented by the kernel (user/dp/gso_link.c). Two entries each: uplink
 * ifindex -> the veth end batches are sent into, and the other end's
 * ifindex -> the uplink its segments go back out of, encapsulated.
 */
#define WGT_MAX_GSO_LINKS (2 * WGT_MAX_UPLINKS)

/*
 * Why the datapath did what it did: one per-CPU counter each. Handled
 * packets first, then packets passed untouched, then drops. The one list:
 * X(ENUM_SUFFIX, counter_field, what) generates enum wgt_reason, the
 * fields of struct wgt_counters and the names show, bpftool and the
 * tests use (user/maps.c).
 */
#define WGT_REASONS(X)							\
	X(TX_RELAY, tx_relay, "encapsulated to a relay")		\
	X(TX_DIRECT, tx_direct, "sent on a direct path")		\
	X(TX_CONTROL, tx_control, "control socket source port rewritten") \
	X(TX_GSO_SPLIT, tx_gso_split,					\
	  "relay-bound GSO batch sent to its veth to be segmented")	\
	X(RX_RELAY, rx_relay, "ChannelData decapsulated")		\
	X(RX_DIRECT, rx_direct, "received on a direct path")		\
	X(RX_STUN, rx_stun, "STUN steered to the control port")		\
	X(PASS_NOT_OURS, pass_not_ours, "no mapping: not wgturn's packet") \
	X(PASS_ENCAPSULATED, pass_encapsulated,				\
	  "ChannelData already, a GSO segment back out of its veth")	\
	X(PASS_IP_OPTIONS, pass_ip_options, "IPv4 header with options")	\
	X(PASS_IPV6_EXT, pass_ipv6_ext, "IPv6 extension headers")	\
	X(PASS_FRAGMENT, pass_fragment, "IP fragment")			\
	X(PASS_MALFORMED, pass_malformed, "truncated or inconsistent lengths") \
	X(PASS_UNKNOWN_CHANNEL, pass_unknown_channel,			\
	  "from a relay, channel not bound")				\
	X(PASS_BAD_CHANNEL_LEN, pass_bad_channel_len,			\
	  "ChannelData length beyond datagram")				\
	X(DROP_GSO, drop_gso, "relay-bound GSO batch, no veth to segment it") \
	X(DROP_TOO_BIG, drop_too_big, "relay-bound, would exceed uplink MTU") \
	X(DROP_MALFORMED, drop_malformed, "relay-bound, cannot be encapsulated") \
	X(DROP_ERROR, drop_error, "a kernel helper failed mid-rewrite")	\
	X(DROP_FRAGMENT, drop_fragment,					\
	  "relay-bound IP fragment: cannot carry ChannelData")		\
	X(DROP_RX_FRAGMENT, drop_rx_fragment,				\
	  "fragmented ChannelData: WireGuard would get it wrapped")	\
	X(DROP_GSO_RETURN, drop_gso_return,				\
	  "segment not relayable on its way back (mapping gone)")

enum wgt_reason {
#define WGT_REASON_ENUM(u, l, what) WGT_##u,
	WGT_REASONS(WGT_REASON_ENUM)
#undef WGT_REASON_ENUM
	WGT_REASON_MAX,
};

/*
 * counters: one per-CPU entry of named fields, in enum wgt_reason order,
 * so `bpftool map dump` reads like a report. Indexed as an array.
 */
struct wgt_counters {
#define WGT_REASON_FIELD(u, l, what) __u64 l;
	WGT_REASONS(WGT_REASON_FIELD)
#undef WGT_REASON_FIELD
};

_Static_assert(sizeof(struct wgt_ep) == 20, "wgt_ep layout");
_Static_assert(sizeof(struct wgt_path) == 24, "wgt_path layout");
_Static_assert(sizeof(struct wgt_chan_key) == 24, "wgt_chan_key layout");
_Static_assert(sizeof(struct wgt_stats) == 48, "wgt_stats layout");
_Static_assert(sizeof(struct wgt_config) == 16, "wgt_config layout");
_Static_assert(sizeof(struct wgt_uplink) == 16, "wgt_uplink layout");
_Static_assert(sizeof(struct wgt_frag_key) == 24, "wgt_frag_key layout");
_Static_assert(sizeof(struct wgt_counters) == WGT_REASON_MAX * 8,
	       "one counter per reason");

/* Map sizes. */
#define WGT_MAX_ENDPOINTS 16384	/* 10,000 peers and room: see make bench */
#define WGT_MAX_RELAYS 64
#define WGT_MAX_FRAGS 1024	/* datagrams being dropped at once */

/* ChannelData (RFC 8656 12.4): channel 0x4000-0x4FFF, 4-byte header. */
#define WGT_CHAN_MIN 0x4000
#define WGT_CHAN_MAX 0x4FFF
#define WGT_CHANDATA_HLEN 4
#define WGT_STUN_COOKIE 0x2112A442

#endif
