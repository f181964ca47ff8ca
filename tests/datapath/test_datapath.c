// SPDX-License-Identifier: GPL-2.0
/*
 * Datapath fixtures (tier 2): one table of cases run through
 * BPF_PROG_TEST_RUN. Each case names the hooks it runs on, the map
 * state, an input frame and what must come out: the verdict, the frame
 * byte for byte (built from scratch by tests/lib/pkt.c, never by
 * transforming the input), the counters that move and the per-endpoint
 * statistics. Ingress cases run on XDP, on TC ingress, and on TC ingress
 * with a CHECKSUM_COMPLETE skb whose skb->csum the kernel re-verifies.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "wgturn.h"
#include "wgturn.skel.h"

#include "pkt.h"

/* ---- Addresses (documentation ranges only) ---- */

#define WG_PORT 51820
#define CTL_PORT 51821
#define CHAN 0x4001

#define A4(a, b, c, d, p) \
	{ .addr = { a, b, c, d }, .port = p, .family = WGT_AF_INET }
/* 2001:db8:<g>::<h> */
#define A6(g, h, p)                                                   \
	{ .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, g, [15] = h }, .port = p, \
	  .family = WGT_AF_INET6 }

#define LOCAL4_P(p) A4(192, 0, 2, 10, p)	/* this host */
#define LOCAL6_P(p) A6(1, 0x10, p)
#define LOCAL4 LOCAL4_P(WG_PORT)
#define LOCAL6 LOCAL6_P(WG_PORT)
#define PEER4_P(p) A4(198, 51, 100, 7, p)	/* endpoint on a relay path */
#define PEER4 PEER4_P(WG_PORT)
#define PEER6 A6(2, 0x07, WG_PORT)
#define RELAY4 A4(203, 0, 113, 1, 3478)
#define RELAY6 A6(3, 0x01, 3478)
#define DPEER4 A4(198, 51, 100, 8, WG_PORT)	/* endpoint on a direct path */
#define DPEER6 A6(2, 0x08, WG_PORT)
#define DIRECT4 A4(198, 51, 100, 99, 40000)	/* its current address */
#define DIRECT6 A6(2, 0x99, 40000)
#define SAME4 A4(198, 51, 100, 9, WG_PORT)	/* direct path == endpoint */
#define SAME6 A6(2, 0x09, WG_PORT)
#define MIXR4 A4(198, 51, 100, 10, WG_PORT)	/* path of the other family */
#define MIXR6 A6(2, 0x10, WG_PORT)
#define MIXD4 A4(198, 51, 100, 11, WG_PORT)
#define MIXD6 A6(2, 0x11, WG_PORT)
#define OTHER4_P(p) A4(198, 51, 100, 50, p)	/* in no map */
#define OTHER6_P(p) A6(2, 0x50, p)
#define OTHER4 OTHER4_P(WG_PORT)
#define OTHER6 OTHER6_P(WG_PORT)
#define CHAN_MIX 0x4003				/* RELAY4 channel -> PEER6 */

/* ---- The case table ---- */

enum hook {
	EGRESS = 1 << 0,	/* wgt_tc_egress */
	XDP = 1 << 1,		/* wgt_xdp_ingress */
	TC_IN = 1 << 2,		/* wgt_tc_ingress, CHECKSUM_NONE skb */
	TC_IN_CSUM = 1 << 3,	/* wgt_tc_ingress, CHECKSUM_COMPLETE skb */
	GSO_RET = 1 << 4,	/* wgt_tc_gso_return: segments coming back */
};
#define INGRESS (XDP | TC_IN | TC_IN_CSUM)

enum verdict { PASS, DROP };

struct stats_delta {
	struct wgt_ep ep;	/* family 0: no endpoint's stats move */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};

struct dp_case {
	const char *name;
	unsigned int hooks;
	uint16_t ctl_port;		/* config.ctl_port */
	void (*setup)(void);		/* map changes on top of the world */
	bool small_mtu;			/* skb->dev: a veth with MTU 1280 */
	uint32_t gso_size, gso_segs;
	struct pkt_spec in;
	bool same;			/* expected frame: the input, untouched */
	struct pkt_spec out;
	enum verdict verdict;
	uint64_t counts[WGT_REASON_MAX];
	struct stats_delta stats;
};

#define COUNT(r) .counts = { [r] = 1 }
#define TX(e, n) .stats = { .ep = e, .tx_packets = 1, .tx_bytes = (n) }
#define RX(e, n) .stats = { .ep = e, .rx_packets = 1, .rx_bytes = (n) }
#define WG(n) .body = BODY_WG, .len = (n)
#define CD(ch) .chandata = true, .chan = (ch)
#define STUN(type, n) .body = BODY_STUN, .stun_type = (type), .len = (n)

static void no_config(void);
static void first_frags_dropped(void);
static void first_frags_dropped_long_ago(void);
static void gso_link(void);
static void gso_link_gone(void);
static void gso_link_back(void);
static void gso_link_back_small(void);

static const struct dp_case cases[] = {
	/* -- Egress, relay path: ChannelData header inserted -- */
	{ "relay v4 even payload", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100) },
	  .out = { .src = LOCAL4, .dst = RELAY4, WG(100), CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER4, 100) },
	{ "relay v4 odd payload", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(101), .seed = 1 },
	  .out = { .src = LOCAL4, .dst = RELAY4, WG(101), .seed = 1, CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER4, 101) },
	{ "relay v4 1-byte payload", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(1), .seed = 2 },
	  .out = { .src = LOCAL4, .dst = RELAY4, WG(1), .seed = 2, CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER4, 1) },
	{ "relay v4 1420-byte payload", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(1420), .seed = 3 },
	  .out = { .src = LOCAL4, .dst = RELAY4, WG(1420), .seed = 3,
		   CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER4, 1420) },
	{ "relay v4 UDP checksum 0 stays 0", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .no_csum = true },
	  .out = { .src = LOCAL4, .dst = RELAY4, WG(100), CD(CHAN),
		   .no_csum = true },
	  COUNT(WGT_TX_RELAY), TX(PEER4, 100) },
	{ "relay v6 even payload", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100) },
	  .out = { .src = LOCAL6, .dst = RELAY6, WG(100), CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER6, 100) },
	{ "relay v6 odd payload", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(101), .seed = 1 },
	  .out = { .src = LOCAL6, .dst = RELAY6, WG(101), .seed = 1, CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER6, 101) },
	{ "relay v6 1-byte payload", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(1), .seed = 2 },
	  .out = { .src = LOCAL6, .dst = RELAY6, WG(1), .seed = 2, CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER6, 1) },
	{ "relay v6 1420-byte payload", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(1420), .seed = 3 },
	  .out = { .src = LOCAL6, .dst = RELAY6, WG(1420), .seed = 3,
		   CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER6, 1420) },

	/* -- Egress, direct path -- */
	{ "direct v4 rewrite", EGRESS,
	  .in = { .src = LOCAL4, .dst = DPEER4, WG(148) },
	  .out = { .src = LOCAL4, .dst = DIRECT4, WG(148) },
	  COUNT(WGT_TX_DIRECT), TX(DPEER4, 148) },
	{ "direct v6 rewrite", EGRESS,
	  .in = { .src = LOCAL6, .dst = DPEER6, WG(149) },
	  .out = { .src = LOCAL6, .dst = DIRECT6, WG(149) },
	  COUNT(WGT_TX_DIRECT), TX(DPEER6, 149) },
	{ "direct v4 UDP checksum 0 stays 0", EGRESS,
	  .in = { .src = LOCAL4, .dst = DPEER4, WG(148), .no_csum = true },
	  .out = { .src = LOCAL4, .dst = DIRECT4, WG(148), .no_csum = true },
	  COUNT(WGT_TX_DIRECT), TX(DPEER4, 148) },
	{ "direct v4 == endpoint: unchanged", EGRESS,
	  .in = { .src = LOCAL4, .dst = SAME4, WG(92) }, .same = true,
	  COUNT(WGT_TX_DIRECT), TX(SAME4, 92) },
	{ "direct v6 == endpoint: unchanged", EGRESS,
	  .in = { .src = LOCAL6, .dst = SAME6, WG(92) }, .same = true,
	  COUNT(WGT_TX_DIRECT), TX(SAME6, 92) },
	{ "direct v4 GSO batch rewritten", EGRESS,
	  .gso_size = 148, .gso_segs = 2,
	  .in = { .src = LOCAL4, .dst = DPEER4, WG(296) },
	  .out = { .src = LOCAL4, .dst = DIRECT4, WG(296) },
	  .counts = { [WGT_TX_DIRECT] = 2 },
	  .stats = { .ep = DPEER4, .tx_packets = 2, .tx_bytes = 296 } },

	/* -- Egress, control socket: source port becomes WireGuard's -- */
	{ "control v4 source port", EGRESS, .ctl_port = CTL_PORT,
	  .in = { .src = LOCAL4_P(CTL_PORT), .dst = RELAY4, STUN(0x0003, 36) },
	  .out = { .src = LOCAL4, .dst = RELAY4, STUN(0x0003, 36) },
	  COUNT(WGT_TX_CONTROL) },
	{ "control v6 source port", EGRESS, .ctl_port = CTL_PORT,
	  .in = { .src = LOCAL6_P(CTL_PORT), .dst = RELAY6, STUN(0x0003, 37) },
	  .out = { .src = LOCAL6, .dst = RELAY6, STUN(0x0003, 37) },
	  COUNT(WGT_TX_CONTROL) },
	{ "control port unset: not ours", EGRESS,
	  .in = { .src = LOCAL4_P(CTL_PORT), .dst = RELAY4, STUN(0x0003, 36) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },

	/* -- Egress, not ours -- */
	{ "other source port", EGRESS,
	  .in = { .src = LOCAL4_P(12345), .dst = PEER4, WG(100) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "unmapped destination v4", EGRESS,
	  .in = { .src = LOCAL4, .dst = OTHER4, WG(100) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "unmapped destination v6", EGRESS,
	  .in = { .src = LOCAL6, .dst = OTHER6, WG(100) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "endpoint address, other port", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4_P(51821), WG(100) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "TCP to a mapped endpoint", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, .proto = 6, .len = 40 },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "ARP", EGRESS, .in = { .src = LOCAL4, .dst = PEER4, .arp = true },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "not configured (wg_port 0)", EGRESS, .setup = no_config,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "IPv4 options", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .ip_opt_words = 1 },
	  .same = true, COUNT(WGT_PASS_IP_OPTIONS) },
	{ "IPv6 hop-by-hop header", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100), .ext = EXT_HOPOPTS },
	  .same = true, COUNT(WGT_PASS_IPV6_EXT) },
	{ "IPv6 destination options", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100), .ext = EXT_DSTOPTS },
	  .same = true, COUNT(WGT_PASS_IPV6_EXT) },
	{ "IPv6 routing header", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100), .ext = EXT_ROUTING },
	  .same = true, COUNT(WGT_PASS_IPV6_EXT) },

	/* -- Egress, fragments: never bare to a relayed endpoint -- */
	{ "IPv4 first fragment to a relayed endpoint", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .frag = 0x2000 },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_FRAGMENT) },
	{ "IPv6 first fragment to a relayed endpoint", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100), .ext = EXT_FRAGMENT },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_FRAGMENT) },
	{ "IPv4 later fragment, its first dropped", EGRESS,
	  .setup = first_frags_dropped,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .frag = 0x00b9 },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_FRAGMENT) },
	{ "IPv6 later fragment, its first dropped", EGRESS,
	  .setup = first_frags_dropped,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100), .ext = EXT_FRAGMENT,
		  .frag = 0x05c8 },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_FRAGMENT) },
	{ "IPv4 later fragment, its first dropped 3 s ago", EGRESS,
	  .setup = first_frags_dropped_long_ago,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .frag = 0x00b9 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv4 middle fragment (MF), its first dropped", EGRESS,
	  .setup = first_frags_dropped,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .frag = 0x20b9 },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_FRAGMENT) },
	{ "IPv4 later fragment, first not seen", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .frag = 0x00b9 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv4 later fragment, another datagram's ID", EGRESS,
	  .setup = first_frags_dropped,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .frag = 0x00b9,
		  .ip_id = 0x1234 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv6 later fragment, another datagram's ID", EGRESS,
	  .setup = first_frags_dropped,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100), .ext = EXT_FRAGMENT,
		  .frag = 0x05c8, .ip_id = 0x12345678 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv4 first fragment, direct path to another address", EGRESS,
	  .in = { .src = LOCAL4, .dst = DPEER4, WG(100), .frag = 0x2000 },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_FRAGMENT) },
	{ "IPv4 first fragment, direct path to the endpoint itself", EGRESS,
	  .in = { .src = LOCAL4, .dst = SAME4, WG(100), .frag = 0x2000 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv6 first fragment, direct path to the endpoint itself", EGRESS,
	  .in = { .src = LOCAL6, .dst = SAME6, WG(100), .ext = EXT_FRAGMENT },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv4 first fragment from another port", EGRESS,
	  .in = { .src = LOCAL4_P(4000), .dst = PEER4, WG(100),
		  .frag = 0x2000 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv4 first fragment to an unmapped endpoint", EGRESS,
	  .in = { .src = LOCAL4, .dst = OTHER4, WG(100), .frag = 0x2000 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv4 first fragment of TCP", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, .proto = 6, .len = 40,
		  .frag = 0x2000 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },

	/* -- Egress, malformed: untouched -- */
	{ "cut inside the UDP header", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .cut = 14 + 20 + 4 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "cut inside the UDP payload v4", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .cut = 100 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "cut inside the UDP payload v6", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100), .cut = 100 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "IPv4 IHL 4", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .ihl = 4 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "IPv4 total length beyond frame", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .ip_len_adj = 8,
		  .udp_len_adj = 8 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "UDP length != IPv4 length", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(100), .udp_len_adj = -2 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "UDP length < 8 (IPv6)", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(0), .udp_len_adj = -4,
		  .ip_len_adj = -4, .pad_to = 14 + 40 + 8 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "UDP length != IPv6 payload length", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100), .udp_len_adj = 2 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "IPv6 payload length beyond frame", EGRESS,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(100), .ip_len_adj = 6,
		  .udp_len_adj = 6 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },

	/* -- Egress, relay-bound but cannot be sent: dropped, untouched -- */
	{ "relay v4 with link trailer: dropped", EGRESS,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(2), .pad_to = 60 },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_MALFORMED) },
	{ "relay path of the other family (v4)", EGRESS,
	  .in = { .src = LOCAL4, .dst = MIXR4, WG(100) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_MALFORMED) },
	{ "relay path of the other family (v6)", EGRESS,
	  .in = { .src = LOCAL6, .dst = MIXR6, WG(100) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_MALFORMED) },
	{ "direct path of the other family (v4)", EGRESS,
	  .in = { .src = LOCAL4, .dst = MIXD4, WG(100) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_MALFORMED) },
	{ "direct path of the other family (v6)", EGRESS,
	  .in = { .src = LOCAL6, .dst = MIXD6, WG(100) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_MALFORMED) },

	/* -- GSO batches: segmented through the uplink's veth -- */
	{ "relay v4 GSO batch, no veth", EGRESS, .gso_size = 148, .gso_segs = 2,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(296) },
	  .same = true, .verdict = DROP, .counts = { [WGT_DROP_GSO] = 2 } },
	{ "relay v6 GSO batch, no veth", EGRESS, .gso_size = 148, .gso_segs = 3,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(444) },
	  .same = true, .verdict = DROP, .counts = { [WGT_DROP_GSO] = 3 } },
	{ "relay v4 GSO batch to its veth", EGRESS, .setup = gso_link,
	  .gso_size = 148, .gso_segs = 2,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(296) },
	  .same = true, .counts = { [WGT_TX_GSO_SPLIT] = 2 } },
	{ "relay v6 GSO batch to its veth", EGRESS, .setup = gso_link,
	  .gso_size = 148, .gso_segs = 3,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(444) },
	  .same = true, .counts = { [WGT_TX_GSO_SPLIT] = 3 } },
	{ "relay v4 GSO batch, its veth deleted", EGRESS,
	  .setup = gso_link_gone, .gso_size = 148, .gso_segs = 2,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(296) },
	  .same = true, .verdict = DROP, .counts = { [WGT_DROP_GSO] = 2 } },
	{ "direct v4 GSO batch with a veth: rewritten", EGRESS,
	  .setup = gso_link, .gso_size = 148, .gso_segs = 2,
	  .in = { .src = LOCAL4, .dst = DPEER4, WG(296) },
	  .out = { .src = LOCAL4, .dst = DIRECT4, WG(296) },
	  .counts = { [WGT_TX_DIRECT] = 2 },
	  .stats = { .ep = DPEER4, .tx_packets = 2, .tx_bytes = 296 } },
	{ "ChannelData v4 to a relay from WireGuard's port passes", EGRESS,
	  .in = { .src = LOCAL4, .dst = RELAY4, WG(148), CD(CHAN) },
	  .same = true, COUNT(WGT_PASS_ENCAPSULATED) },
	{ "ChannelData v6 to a relay from WireGuard's port passes", EGRESS,
	  .in = { .src = LOCAL6, .dst = RELAY6, WG(148), CD(CHAN) },
	  .same = true, COUNT(WGT_PASS_ENCAPSULATED) },
	{ "to a relay's address, other port: not ours", EGRESS,
	  .in = { .src = LOCAL4, .dst = A4(203, 0, 113, 1, 3479), WG(148) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "segment back: relay v4 encapsulated", GSO_RET,
	  .setup = gso_link_back,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(148), .seed = 4 },
	  .out = { .src = LOCAL4, .dst = RELAY4, WG(148), .seed = 4, CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER4, 148) },
	{ "segment back: relay v6 odd encapsulated", GSO_RET,
	  .setup = gso_link_back,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(147), .seed = 5 },
	  .out = { .src = LOCAL6, .dst = RELAY6, WG(147), .seed = 5, CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER6, 147) },
	{ "segment back: path switched to direct", GSO_RET,
	  .setup = gso_link_back,
	  .in = { .src = LOCAL4, .dst = DPEER4, WG(148) },
	  .out = { .src = LOCAL4, .dst = DIRECT4, WG(148) },
	  COUNT(WGT_TX_DIRECT), TX(DPEER4, 148) },
	{ "segment back: mapping gone", GSO_RET, .setup = gso_link_back,
	  .in = { .src = LOCAL4, .dst = OTHER4, WG(148) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_GSO_RETURN) },
	{ "segment back: not from WireGuard's port", GSO_RET,
	  .setup = gso_link_back,
	  .in = { .src = LOCAL4_P(4444), .dst = PEER4, WG(148) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_GSO_RETURN) },
	{ "segment back: on a veth of no uplink", GSO_RET,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(148) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_GSO_RETURN) },
	{ "segment back: still a batch, never sent again", GSO_RET,
	  .setup = gso_link_back, .gso_size = 148, .gso_segs = 2,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(296) },
	  .same = true, .verdict = DROP, .counts = { [WGT_DROP_GSO] = 2 } },
	{ "segment back: fits the uplink's MTU 1280 exactly", GSO_RET,
	  .setup = gso_link_back_small, .small_mtu = true,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(1248) },
	  .out = { .src = LOCAL4, .dst = RELAY4, WG(1248), CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER4, 1248) },
	{ "segment back: 1 byte over the uplink's MTU 1280", GSO_RET,
	  .setup = gso_link_back_small, .small_mtu = true,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(1249) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_TOO_BIG) },

	/* -- Egress, MTU 1280 uplink: the 4 bytes must fit -- */
	{ "relay v4 fits MTU 1280 exactly", EGRESS, .small_mtu = true,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(1248) },
	  .out = { .src = LOCAL4, .dst = RELAY4, WG(1248), CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER4, 1248) },
	{ "relay v4 1 byte over MTU 1280", EGRESS, .small_mtu = true,
	  .in = { .src = LOCAL4, .dst = PEER4, WG(1249) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_TOO_BIG) },
	{ "relay v6 fits MTU 1280 exactly", EGRESS, .small_mtu = true,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(1228) },
	  .out = { .src = LOCAL6, .dst = RELAY6, WG(1228), CD(CHAN) },
	  COUNT(WGT_TX_RELAY), TX(PEER6, 1228) },
	{ "relay v6 1 byte over MTU 1280", EGRESS, .small_mtu = true,
	  .in = { .src = LOCAL6, .dst = PEER6, WG(1229) },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_TOO_BIG) },
	{ "direct v4 at MTU 1280 is not relay-bound", EGRESS,
	  .small_mtu = true,
	  .in = { .src = LOCAL4, .dst = DPEER4, WG(1252) },
	  .out = { .src = LOCAL4, .dst = DIRECT4, WG(1252) },
	  COUNT(WGT_TX_DIRECT), TX(DPEER4, 1252) },

	/* -- Ingress, relay: ChannelData stripped, source = endpoint -- */
	{ "decap v4 even", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN) },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(100) },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 100) },
	{ "decap v4 odd, no padding", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(101), .seed = 1, CD(CHAN) },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(101), .seed = 1 },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 101) },
	{ "decap v4 cdlen 101 + 3 padding", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(101), .seed = 2, CD(CHAN),
		  .pad = 3 },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(101), .seed = 2 },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 101) },
	{ "decap v4 cdlen 102 + 2 padding", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(102), .seed = 3, CD(CHAN),
		  .pad = 2 },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(102), .seed = 3 },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 102) },
	{ "decap v4 cdlen 103 + 1 padding", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(103), .seed = 4, CD(CHAN),
		  .pad = 1 },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(103), .seed = 4 },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 103) },
	{ "decap v4 1420", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(1420), .seed = 5, CD(CHAN) },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(1420), .seed = 5 },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 1420) },
	{ "decap v4 UDP checksum 0 stays 0", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(101), CD(CHAN), .pad = 3,
		  .no_csum = true },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(101), .no_csum = true },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 101) },
	{ "decap v4 UDP checksum 0, no padding", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN),
		  .no_csum = true },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(100), .no_csum = true },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 100) },
	{ "decap v4 short frame, link trailer to 60", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(1), .seed = 6, CD(CHAN),
		  .pad = 3, .pad_to = 60 },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(1), .seed = 6 },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 1) },
	{ "decap v4 short frame, trailer, no padding", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(2), .seed = 7, CD(CHAN),
		  .pad_to = 60 },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(2), .seed = 7 },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 2) },
	{ "decap v6 even", INGRESS,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(100), CD(CHAN) },
	  .out = { .src = PEER6, .dst = LOCAL6, WG(100) },
	  COUNT(WGT_RX_RELAY), RX(PEER6, 100) },
	{ "decap v6 cdlen 101 + 3 padding", INGRESS,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(101), .seed = 2, CD(CHAN),
		  .pad = 3 },
	  .out = { .src = PEER6, .dst = LOCAL6, WG(101), .seed = 2 },
	  COUNT(WGT_RX_RELAY), RX(PEER6, 101) },
	{ "decap v6 cdlen 102 + 2 padding", INGRESS,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(102), .seed = 3, CD(CHAN),
		  .pad = 2 },
	  .out = { .src = PEER6, .dst = LOCAL6, WG(102), .seed = 3 },
	  COUNT(WGT_RX_RELAY), RX(PEER6, 102) },
	{ "decap v6 cdlen 1 + 3 padding", INGRESS,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(1), .seed = 6, CD(CHAN),
		  .pad = 3 },
	  .out = { .src = PEER6, .dst = LOCAL6, WG(1), .seed = 6 },
	  COUNT(WGT_RX_RELAY), RX(PEER6, 1) },
	{ "decap v6 1420", INGRESS,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(1420), .seed = 5, CD(CHAN) },
	  .out = { .src = PEER6, .dst = LOCAL6, WG(1420), .seed = 5 },
	  COUNT(WGT_RX_RELAY), RX(PEER6, 1420) },

	/* -- Ingress from a relay, not decapsulated -- */
	{ "unknown channel", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(0x4002) },
	  .same = true, COUNT(WGT_PASS_UNKNOWN_CHANNEL) },
	{ "ChannelData length beyond datagram", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN),
		  .cdlen_adj = 1 },
	  .same = true, COUNT(WGT_PASS_BAD_CHANNEL_LEN) },
	{ "ChannelData with 4 bytes to spare", INGRESS,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(100), CD(CHAN),
		  .cdlen_adj = -4 },
	  .same = true, COUNT(WGT_PASS_BAD_CHANNEL_LEN) },
	{ "channel bound to the other family", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN_MIX) },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "0x40 first byte from a non-relay", INGRESS,
	  .in = { .src = OTHER4_P(3478), .dst = LOCAL4, WG(100), CD(CHAN) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "relay, other destination port", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4_P(4000), WG(100), CD(CHAN) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "relay, 3-byte datagram starting 0x40", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, .body = BODY_RAW, .len = 3,
		  .seed = 0x6e /* first byte 0x40 */, .pad_to = 60 },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },

	/* -- Ingress, direct path: source = endpoint -- */
	{ "direct v4 source rewrite", INGRESS,
	  .in = { .src = DIRECT4, .dst = LOCAL4, WG(148) },
	  .out = { .src = DPEER4, .dst = LOCAL4, WG(148) },
	  COUNT(WGT_RX_DIRECT), RX(DPEER4, 148) },
	{ "direct v6 source rewrite", INGRESS,
	  .in = { .src = DIRECT6, .dst = LOCAL6, WG(149) },
	  .out = { .src = DPEER6, .dst = LOCAL6, WG(149) },
	  COUNT(WGT_RX_DIRECT), RX(DPEER6, 149) },
	{ "direct v4 UDP checksum 0 stays 0", INGRESS,
	  .in = { .src = DIRECT4, .dst = LOCAL4, WG(148), .no_csum = true },
	  .out = { .src = DPEER4, .dst = LOCAL4, WG(148), .no_csum = true },
	  COUNT(WGT_RX_DIRECT), RX(DPEER4, 148) },
	{ "direct v4 short frame keeps its trailer", INGRESS,
	  .in = { .src = DIRECT4, .dst = LOCAL4, WG(4), .pad_to = 60 },
	  .out = { .src = DPEER4, .dst = LOCAL4, WG(4), .pad_to = 60 },
	  COUNT(WGT_RX_DIRECT), RX(DPEER4, 4) },
	{ "direct source, WireGuard with cookie", INGRESS,
	  .ctl_port = CTL_PORT,
	  .in = { .src = DIRECT4, .dst = LOCAL4, .body = BODY_WG_COOKIE,
		  .len = 20 },
	  .out = { .src = DPEER4, .dst = LOCAL4, .body = BODY_WG_COOKIE,
		   .len = 20 },
	  COUNT(WGT_RX_DIRECT), RX(DPEER4, 20) },

	/* -- Ingress, STUN to the WireGuard port -- */
	{ "STUN v4 steered to ctl_port", INGRESS, .ctl_port = CTL_PORT,
	  .in = { .src = RELAY4, .dst = LOCAL4, STUN(0x0101, 32) },
	  .out = { .src = RELAY4, .dst = LOCAL4_P(CTL_PORT),
		   STUN(0x0101, 32) },
	  COUNT(WGT_RX_STUN) },
	{ "STUN v6 steered to ctl_port", INGRESS, .ctl_port = CTL_PORT,
	  .in = { .src = RELAY6, .dst = LOCAL6, STUN(0x0101, 44) },
	  .out = { .src = RELAY6, .dst = LOCAL6_P(CTL_PORT),
		   STUN(0x0101, 44) },
	  COUNT(WGT_RX_STUN) },
	{ "ChannelData v4 carrying STUN: to ctl_port whole", INGRESS,
	  .ctl_port = CTL_PORT,
	  .in = { .src = RELAY4, .dst = LOCAL4, CD(CHAN), STUN(0x0001, 1200) },
	  .out = { .src = RELAY4, .dst = LOCAL4_P(CTL_PORT), CD(CHAN),
		   STUN(0x0001, 1200) },
	  COUNT(WGT_RX_STUN) },
	{ "ChannelData v6 carrying a STUN answer: to ctl_port whole", INGRESS,
	  .ctl_port = CTL_PORT,
	  .in = { .src = RELAY6, .dst = LOCAL6, CD(CHAN), STUN(0x0101, 32) },
	  .out = { .src = RELAY6, .dst = LOCAL6_P(CTL_PORT), CD(CHAN),
		   STUN(0x0101, 32) },
	  COUNT(WGT_RX_STUN) },
	{ "ChannelData carrying STUN, no ctl_port: decapsulated", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, CD(CHAN), STUN(0x0001, 64) },
	  .out = { .src = PEER4, .dst = LOCAL4, STUN(0x0001, 64) },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 64) },
	{ "ChannelData, STUN length not the payload's: decapsulated", INGRESS,
	  .ctl_port = CTL_PORT,
	  .in = { .src = RELAY4, .dst = LOCAL4, CD(CHAN), STUN(0x0001, 64),
		  .stun_len_adj = 4 },
	  .out = { .src = PEER4, .dst = LOCAL4, STUN(0x0001, 64),
		   .stun_len_adj = 4 },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 64) },
	{ "ChannelData carrying WireGuard, ctl_port set: decapsulated", INGRESS,
	  .ctl_port = CTL_PORT,
	  .in = { .src = RELAY4, .dst = LOCAL4, CD(CHAN), WG(148) },
	  .out = { .src = PEER4, .dst = LOCAL4, WG(148) },
	  COUNT(WGT_RX_RELAY), RX(PEER4, 148) },
	{ "STUN from a stranger steered", INGRESS, .ctl_port = CTL_PORT,
	  .in = { .src = OTHER4_P(3478), .dst = LOCAL4, STUN(0x0001, 20) },
	  .out = { .src = OTHER4_P(3478), .dst = LOCAL4_P(CTL_PORT),
		   STUN(0x0001, 20) },
	  COUNT(WGT_RX_STUN) },
	{ "STUN with ctl_port 0: untouched", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, STUN(0x0101, 32) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "STUN length field off by 4: untouched", INGRESS,
	  .ctl_port = CTL_PORT,
	  .in = { .src = RELAY4, .dst = LOCAL4, STUN(0x0101, 32),
		  .stun_len_adj = 4 },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "WireGuard type 4 with cookie: not STUN", INGRESS,
	  .ctl_port = CTL_PORT,
	  .in = { .src = OTHER4, .dst = LOCAL4, .body = BODY_WG_COOKIE,
		  .len = 20 },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },

	/* -- Ingress, not ours -- */
	{ "IPv4 options from relay", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN),
		  .ip_opt_words = 2 },
	  .same = true, COUNT(WGT_PASS_IP_OPTIONS) },
	{ "IPv4 first fragment of ChannelData from relay", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN),
		  .frag = 0x2000 },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_RX_FRAGMENT) },
	{ "IPv6 first fragment of ChannelData from relay", INGRESS,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(100), CD(CHAN),
		  .ext = EXT_FRAGMENT },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_RX_FRAGMENT) },
	{ "IPv4 later fragment from relay, its first dropped", INGRESS,
	  .setup = first_frags_dropped,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN),
		  .frag = 0x00b9 },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_RX_FRAGMENT) },
	{ "IPv6 later fragment from relay, its first dropped", INGRESS,
	  .setup = first_frags_dropped,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(100), CD(CHAN),
		  .ext = EXT_FRAGMENT, .frag = 0x05c8 },
	  .same = true, .verdict = DROP, COUNT(WGT_DROP_RX_FRAGMENT) },
	{ "IPv4 later fragment from relay, first not seen", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN),
		  .frag = 0x00b9 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv4 first fragment of STUN from relay", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, STUN(0x0101, 32),
		  .frag = 0x2000 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv4 first fragment of ChannelData to another port", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4_P(4000), WG(100), CD(CHAN),
		  .frag = 0x2000 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv4 first fragment of ChannelData, not from a relay", INGRESS,
	  .in = { .src = OTHER4, .dst = LOCAL4, WG(100), CD(CHAN),
		  .frag = 0x2000 },
	  .same = true, COUNT(WGT_PASS_FRAGMENT) },
	{ "IPv6 hop-by-hop from relay", INGRESS,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(100), CD(CHAN),
		  .ext = EXT_HOPOPTS },
	  .same = true, COUNT(WGT_PASS_IPV6_EXT) },
	{ "IPv6 destination options from direct", INGRESS,
	  .in = { .src = DIRECT6, .dst = LOCAL6, WG(100), .ext = EXT_DSTOPTS },
	  .same = true, COUNT(WGT_PASS_IPV6_EXT) },
	{ "TCP from relay", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, .proto = 6, .len = 40 },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "ARP", INGRESS, .in = { .src = RELAY4, .dst = LOCAL4, .arp = true },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "not configured (wg_port 0)", INGRESS, .setup = no_config,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN) },
	  .same = true, COUNT(WGT_PASS_NOT_OURS) },
	{ "ChannelData cut short", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN), .cut = 90 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "ChannelData, IPv6 payload length beyond frame", INGRESS,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(100), CD(CHAN),
		  .ip_len_adj = 4, .udp_len_adj = 4 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "ChannelData, UDP length != IPv4 length", INGRESS,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), CD(CHAN),
		  .udp_len_adj = -4 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	/* The skb test run refuses frames cut inside the IP header (EINVAL),
	 * so these two run on XDP only. */
	{ "cut inside the IPv4 header", XDP,
	  .in = { .src = RELAY4, .dst = LOCAL4, WG(100), .cut = 14 + 12 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
	{ "cut inside the IPv6 header", XDP,
	  .in = { .src = RELAY6, .dst = LOCAL6, WG(100), .cut = 14 + 30 },
	  .same = true, COUNT(WGT_PASS_MALFORMED) },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* ---- Fixture: the loaded object and a few kernel capabilities ---- */

#define META_LEN 32		/* XDP metadata poisoned around the frame */
#define POISON 0xa5

static struct {
	struct wgturn_bpf *skel;
	int ncpus;
	int small_ifindex;	/* veth with MTU 1280, 0 if unavailable */
	bool csum_complete;	/* BPF_F_TEST_SKB_CHECKSUM_COMPLETE works */
} fx;

/* user/maps.c, generated from the one list in include/wgturn.h (maps.h
 * itself clashes with this file's map helpers). */
extern const char *const reason_names[WGT_REASON_MAX];

static int map_fd(struct bpf_map *m)
{
	return bpf_map__fd(m);
}

static void map_clear(struct bpf_map *m)
{
	uint8_t key[64];

	while (!bpf_map_get_next_key(map_fd(m), NULL, key))
		bpf_map_delete_elem(map_fd(m), key);
}

static void map_put(struct bpf_map *m, const void *key, const void *val)
{
	assert_int_equal(bpf_map_update_elem(map_fd(m), key, val, BPF_ANY), 0);
}

/* A per-CPU value, the same on every CPU. */
static void map_put_percpu(struct bpf_map *m, const void *key,
			   const void *val, size_t size)
{
	size_t stride = (size + 7) & ~7UL;
	uint8_t *all = calloc(fx.ncpus, stride);

	assert_non_null(all);
	for (int i = 0; i < fx.ncpus; i++)
		memcpy(all + i * stride, val, size);
	map_put(m, key, all);
	free(all);
}

static void put_config(uint16_t wg_port, uint16_t ctl_port)
{
	struct wgt_config cfg = { .wg_port = wg_port, .ctl_port = ctl_port };
	uint32_t zero = 0;

	map_put(fx.skel->maps.config, &zero, &cfg);
}

static void no_config(void)
{
	put_config(0, 0);
}

static void put_stats_entry(struct wgt_ep ep)
{
	struct wgt_stats zero = { 0 };

	map_put_percpu(fx.skel->maps.stats, &ep, &zero, sizeof(zero));
}

static void put_relay_path(struct wgt_ep ep, struct wgt_ep relay,
			   uint16_t chan)
{
	struct wgt_path path = { .via = relay, .channel = chan,
				 .kind = WGT_PATH_RELAY };
	struct wgt_chan_key key = { .relay = relay, .channel = chan };
	struct wgt_relay r = { .endpoints = 1 };

	map_put(fx.skel->maps.endpoints, &ep, &path);
	map_put(fx.skel->maps.channels, &key, &ep);
	map_put(fx.skel->maps.relays, &relay, &r);
	put_stats_entry(ep);
}

static void put_direct_path(struct wgt_ep ep, struct wgt_ep direct)
{
	struct wgt_path path = { .via = direct, .kind = WGT_PATH_DIRECT };

	map_put(fx.skel->maps.endpoints, &ep, &path);
	map_put(fx.skel->maps.directs, &direct, &ep);
	put_stats_entry(ep);
}

/* The first fragments of the default-ID datagrams were dropped, both
 * ways and both families: frag.h keys them by the far end's address. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put_frags(uint64_t when)
{
	const struct wgt_ep far[] = { PEER4, PEER6, RELAY4, RELAY6 };

	for (int i = 0; i < 4; i++) {
		struct wgt_frag_key k = {
			.family = far[i].family,
			.id = far[i].family == WGT_AF_INET ? PKT_ID4 : PKT_ID6,
			.dir = i < 2 ? WGT_FRAG_EGRESS : WGT_FRAG_INGRESS,
		};

		memcpy(k.addr, far[i].addr, sizeof(k.addr));
		map_put(fx.skel->maps.frags, &k, &when);
	}
}

static void first_frags_dropped(void)
{
	put_frags(mono_ns());
}

/* The test run's skb->dev is lo (ifindex 1, this test's own netns), or
 * the MTU-1280 veth for small_mtu cases. */
#define TEST_DEV_IFINDEX 1
#define GONE_IFINDEX 4242	/* no such device in the test's netns */

/* Batches go into lo itself: a device that exists is all the egress
 * program checks; bpf_redirect() only records it. */
static void gso_link(void)
{
	uint32_t up = TEST_DEV_IFINDEX, veth = TEST_DEV_IFINDEX;

	map_put(fx.skel->maps.gso_links, &up, &veth);
}

/* The veth was deleted behind wgturn's back. */
static void gso_link_gone(void)
{
	uint32_t up = TEST_DEV_IFINDEX, veth = GONE_IFINDEX;

	map_put(fx.skel->maps.gso_links, &up, &veth);
}

/* Segments arrive on the test device, and go back out of lo. */
static void gso_link_back(void)
{
	uint32_t veth = TEST_DEV_IFINDEX, up = TEST_DEV_IFINDEX;

	map_put(fx.skel->maps.gso_links, &veth, &up);
}

/* The uplink they go back out of has MTU 1280. */
static void gso_link_back_small(void)
{
	uint32_t dev = (uint32_t)fx.small_ifindex;

	map_put(fx.skel->maps.gso_links, &dev, &dev);
}

/* Dropped 3 s ago: the same IP ID now is another datagram's. */
static void first_frags_dropped_long_ago(void)
{
	put_frags(mono_ns() - 3000000000ull);
}

/* Endpoints whose statistics every case checks. */
static const struct wgt_ep world_eps[] = {
	PEER4, PEER6, DPEER4, DPEER6, SAME4, SAME6, MIXR4, MIXR6, MIXD4, MIXD6,
};
#define NWORLD (sizeof(world_eps) / sizeof(world_eps[0]))

/* The same map state before every case: a relay path, a direct path,
 * a direct path equal to the endpoint, and paths of the wrong family,
 * once per address family. */
static void world_install(uint16_t ctl_port)
{
	struct wgt_ep relay4 = RELAY4, relay6 = RELAY6, peer6 = PEER6;
	struct wgt_chan_key mix = { .relay = relay4, .channel = CHAN_MIX };
	struct wgt_path p;

	map_clear(fx.skel->maps.endpoints);
	map_clear(fx.skel->maps.channels);
	map_clear(fx.skel->maps.directs);
	map_clear(fx.skel->maps.relays);
	map_clear(fx.skel->maps.gso_links);
	map_clear(fx.skel->maps.stats);
	map_clear(fx.skel->maps.frags);
	put_config(WG_PORT, ctl_port);

	put_relay_path((struct wgt_ep)PEER4, relay4, CHAN);
	put_relay_path((struct wgt_ep)PEER6, relay6, CHAN);
	put_direct_path((struct wgt_ep)DPEER4, (struct wgt_ep)DIRECT4);
	put_direct_path((struct wgt_ep)DPEER6, (struct wgt_ep)DIRECT6);
	put_direct_path((struct wgt_ep)SAME4, (struct wgt_ep)SAME4);
	put_direct_path((struct wgt_ep)SAME6, (struct wgt_ep)SAME6);

	/* Corrupt entries a buggy control plane could write. */
	p = (struct wgt_path){ .via = relay6, .channel = CHAN,
			       .kind = WGT_PATH_RELAY };
	map_put(fx.skel->maps.endpoints, &(struct wgt_ep)MIXR4, &p);
	p.via = relay4;
	map_put(fx.skel->maps.endpoints, &(struct wgt_ep)MIXR6, &p);
	p = (struct wgt_path){ .via = DIRECT6, .kind = WGT_PATH_DIRECT };
	map_put(fx.skel->maps.endpoints, &(struct wgt_ep)MIXD4, &p);
	p.via = (struct wgt_ep)DIRECT4;
	map_put(fx.skel->maps.endpoints, &(struct wgt_ep)MIXD6, &p);
	map_put(fx.skel->maps.channels, &mix, &peer6);
	put_stats_entry((struct wgt_ep)MIXR4);
	put_stats_entry((struct wgt_ep)MIXR6);
	put_stats_entry((struct wgt_ep)MIXD4);
	put_stats_entry((struct wgt_ep)MIXD6);
}

/* Encapsulation slides the payload through the scratch map: poison it so
 * a byte the code forgets to write shows up in the comparison. */
static void scratch_poison(void)
{
	static struct wgt_scratch_poison {
		uint8_t b[4 + 16384];	/* ChannelData header, payload */
	} poison;
	uint32_t zero = 0;

	memset(poison.b, POISON, sizeof(poison.b));
	assert_int_equal(bpf_map__value_size(fx.skel->maps.scratch),
			 sizeof(poison));
	map_put_percpu(fx.skel->maps.scratch, &zero, &poison, sizeof(poison));
}

/* ---- Reading counters and statistics, summed over CPUs ---- */

static void counters_read(uint64_t out[WGT_REASON_MAX])
{
	struct wgt_counters *v = calloc(fx.ncpus, sizeof(*v));
	uint32_t zero = 0;

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(
				 map_fd(fx.skel->maps.counters), &zero, v), 0);
	memset(out, 0, WGT_REASON_MAX * sizeof(out[0]));
	for (int c = 0; c < fx.ncpus; c++) {
		uint64_t f[WGT_REASON_MAX];

		memcpy(f, &v[c], sizeof(f));
		for (int r = 0; r < WGT_REASON_MAX; r++)
			out[r] += f[r];
	}
	free(v);
}

struct stats_sum {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t last_rx_ns, last_tx_ns;	/* latest over CPUs */
};

static void stats_read(const struct wgt_ep *ep, struct stats_sum *s)
{
	struct wgt_stats *v = calloc(fx.ncpus, sizeof(*v));

	assert_non_null(v);
	memset(s, 0, sizeof(*s));
	assert_int_equal(bpf_map_lookup_elem(map_fd(fx.skel->maps.stats), ep,
					     v), 0);
	for (int c = 0; c < fx.ncpus; c++) {
		s->rx_packets += v[c].rx_packets;
		s->rx_bytes += v[c].rx_bytes;
		s->tx_packets += v[c].tx_packets;
		s->tx_bytes += v[c].tx_bytes;
		if (v[c].last_rx_ns > s->last_rx_ns)
			s->last_rx_ns = v[c].last_rx_ns;
		if (v[c].last_tx_ns > s->last_tx_ns)
			s->last_tx_ns = v[c].last_tx_ns;
	}
	free(v);
}

struct snapshot {
	uint64_t counts[WGT_REASON_MAX];
	struct stats_sum stats[NWORLD];
};

static void snapshot(struct snapshot *s)
{
	counters_read(s->counts);
	for (size_t i = 0; i < NWORLD; i++)
		stats_read(&world_eps[i], &s->stats[i]);
}

/* ---- Running a program ---- */

struct run {
	int err;
	uint32_t retval;
	uint8_t out[PKT_MAX + META_LEN + 256];
	uint32_t out_len;
	const uint8_t *frame;	/* the frame within out */
	uint32_t frame_len;
	bool meta_ok;		/* XDP: the poisoned metadata survived */
};

static int prog_fd(enum hook h)
{
	switch (h) {
	case EGRESS:
		return bpf_program__fd(fx.skel->progs.wgt_tc_egress);
	case XDP:
		return bpf_program__fd(fx.skel->progs.wgt_xdp_ingress);
	case GSO_RET:
		return bpf_program__fd(fx.skel->progs.wgt_tc_gso_return);
	default:
		return bpf_program__fd(fx.skel->progs.wgt_tc_ingress);
	}
}

/* XDP: the frame follows META_LEN bytes of poisoned metadata, which
 * must come back intact in front of the (possibly moved) frame. */
static void run_xdp(const uint8_t *frame, size_t len, struct run *r)
{
	uint8_t in[META_LEN + PKT_MAX];
	struct xdp_md md = { .data = META_LEN, .data_end = META_LEN + len };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
		    .data_size_in = META_LEN + len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .ctx_out = &md,
		    .ctx_size_out = sizeof(md));

	memset(in, POISON, META_LEN);
	memcpy(in + META_LEN, frame, len);
	r->err = bpf_prog_test_run_opts(prog_fd(XDP), &o) ? -errno : 0;
	r->retval = o.retval;
	r->out_len = o.data_size_out;
	r->meta_ok = md.data == META_LEN && r->out_len >= META_LEN;
	for (int i = 0; r->meta_ok && i < META_LEN; i++)
		r->meta_ok = r->out[i] == POISON;
	r->frame = r->out + META_LEN;
	r->frame_len = r->out_len >= META_LEN ? r->out_len - META_LEN : 0;
}

static void run_tc(enum hook h, const struct dp_case *c, const uint8_t *frame,
		   size_t len, struct run *r)
{
	struct __sk_buff skb = {
		.ifindex = c->small_mtu ? fx.small_ifindex : 0,
		.gso_size = c->gso_size,
		.gso_segs = c->gso_segs,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .ctx_in = &skb,
		    .ctx_size_in = sizeof(skb));

	if (h == TC_IN_CSUM)
		o.flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE;
	r->err = bpf_prog_test_run_opts(prog_fd(h), &o) ? -errno : 0;
	r->retval = o.retval;
	r->out_len = o.data_size_out;
	r->frame = r->out;
	r->frame_len = r->out_len;
	r->meta_ok = true;
}

/* TC hands a packet it leaves alone to the next filter (UNSPEC). A GSO
 * batch goes to its veth, a segment back to its uplink (REDIRECT). */
static uint32_t verdict_code(enum hook h, const struct dp_case *c)
{
	bool handled = false;

	for (int r = 0; r < WGT_PASS_NOT_OURS; r++)
		handled |= c->counts[r] != 0;
	if (h == XDP)
		return c->verdict == PASS ? XDP_PASS : XDP_DROP;
	if (c->verdict == DROP)
		return TC_ACT_SHOT;
	if (h == GSO_RET || c->counts[WGT_TX_GSO_SPLIT])
		return TC_ACT_REDIRECT;
	return handled ? TC_ACT_OK : (uint32_t)TC_ACT_UNSPEC;
}

/* ---- Checks: each prints what is wrong and returns false ---- */

static bool check_run(enum hook h, const struct dp_case *c,
		      const struct run *r)
{
	if (r->err == -EBADMSG && h == TC_IN_CSUM) {
		printf("    skb->csum no longer matches the packet "
		       "(CHECKSUM_COMPLETE broken)\n");
		return false;
	}
	if (r->err) {
		printf("    test run failed: %s\n", strerror(-r->err));
		return false;
	}
	if (r->retval != verdict_code(h, c)) {
		printf("    verdict %d, expected %d\n", (int)r->retval,
		       (int)verdict_code(h, c));
		return false;
	}
	return true;
}

static bool check_frame(const uint8_t *want, size_t want_len,
			const struct run *r)
{
	bool ok = true;

	if (!r->meta_ok) {
		printf("    XDP metadata in front of the frame was changed\n");
		ok = false;
	}
	if (want_len != r->frame_len || memcmp(want, r->frame, want_len)) {
		pkt_print_diff("frame", want, want_len, r->frame,
			       r->frame_len);
		ok = false;
	}
	return ok;
}

static bool check_counters(const struct dp_case *c,
			   const struct snapshot *before,
			   const struct snapshot *after)
{
	bool ok = true;

	for (int i = 0; i < WGT_REASON_MAX; i++) {
		uint64_t d = after->counts[i] - before->counts[i];

		if (d != c->counts[i]) {
			printf("    counter %s moved by %llu, expected %llu\n",
			       reason_names[i], (unsigned long long)d,
			       (unsigned long long)c->counts[i]);
			ok = false;
		}
	}
	return ok;
}

static bool check_one_stats(const struct wgt_ep *ep,
			    const struct stats_delta *want,
			    const struct stats_sum *b,
			    const struct stats_sum *a)
{
	struct stats_delta got = {
		.rx_packets = a->rx_packets - b->rx_packets,
		.rx_bytes = a->rx_bytes - b->rx_bytes,
		.tx_packets = a->tx_packets - b->tx_packets,
		.tx_bytes = a->tx_bytes - b->tx_bytes,
	};
	bool ok = got.rx_packets == want->rx_packets &&
		  got.rx_bytes == want->rx_bytes &&
		  got.tx_packets == want->tx_packets &&
		  got.tx_bytes == want->tx_bytes;

	/* A packet counted must also stamp the last-seen time. */
	if (want->rx_packets && a->last_rx_ns <= b->last_rx_ns)
		ok = false;
	if (want->tx_packets && a->last_tx_ns <= b->last_tx_ns)
		ok = false;
	if (!ok)
		printf("    stats of endpoint %u.%u.%u.%u/%02x%02x:%u: "
		       "rx %llu/%llu tx %llu/%llu (packets/bytes), expected "
		       "rx %llu/%llu tx %llu/%llu, last rx/tx %s/%s\n",
		       ep->addr[0], ep->addr[1], ep->addr[2], ep->addr[3],
		       ep->addr[14], ep->addr[15], ep->port,
		       (unsigned long long)got.rx_packets,
		       (unsigned long long)got.rx_bytes,
		       (unsigned long long)got.tx_packets,
		       (unsigned long long)got.tx_bytes,
		       (unsigned long long)want->rx_packets,
		       (unsigned long long)want->rx_bytes,
		       (unsigned long long)want->tx_packets,
		       (unsigned long long)want->tx_bytes,
		       a->last_rx_ns > b->last_rx_ns ? "moved" : "same",
		       a->last_tx_ns > b->last_tx_ns ? "moved" : "same");
	return ok;
}

static bool check_stats(const struct dp_case *c,
			const struct snapshot *before,
			const struct snapshot *after)
{
	static const struct stats_delta none;
	bool ok = true;

	for (size_t i = 0; i < NWORLD; i++) {
		const struct stats_delta *want = &none;

		if (!memcmp(&world_eps[i], &c->stats.ep, sizeof(c->stats.ep)))
			want = &c->stats;
		ok &= check_one_stats(&world_eps[i], want, &before->stats[i],
				      &after->stats[i]);
	}
	return ok;
}

/* ---- One cmocka test per (case, hook) ---- */

/*
 * bpf_skb_change_tail() turns a CHECKSUM_COMPLETE skb into CHECKSUM_NONE
 * when it trims, as the kernel does for any trim without recomputing.
 * The test run still compares the then unused skb->csum, so there is
 * nothing to check: the plain tc-ingress run checks these bytes.
 */
static bool trims_tail(const struct dp_case *c, size_t in_len,
		       size_t want_len)
{
	size_t removed = c->in.chandata ? WGT_CHANDATA_HLEN : 0;

	return !c->same && want_len + removed < in_len;
}

struct dp_test {
	const struct dp_case *c;
	enum hook hook;
};

static void run_case(void **state)
{
	const struct dp_test *t = *state;
	const struct dp_case *c = t->c;
	uint8_t in[PKT_MAX], want[PKT_MAX];
	size_t in_len, want_len;
	struct snapshot before, after;
	static struct run r;
	bool ok;

	if (c->small_mtu && !fx.small_ifindex)
		skip();
	if (t->hook == TC_IN_CSUM && !fx.csum_complete)
		skip();

	world_install(c->ctl_port);
	if (c->setup)
		c->setup();
	if (t->hook == EGRESS)
		scratch_poison();

	in_len = pkt_build(&c->in, in, sizeof(in));
	assert_true(in_len > 0);
	want_len = c->same ? in_len : pkt_build(&c->out, want, sizeof(want));
	if (c->same)
		memcpy(want, in, in_len);
	assert_true(want_len > 0);

	if (t->hook == TC_IN_CSUM && trims_tail(c, in_len, want_len)) {
		printf("# tail trimmed: the skb leaves CHECKSUM_COMPLETE\n");
		skip();
	}

	snapshot(&before);
	memset(&r, 0, sizeof(r));
	if (t->hook == XDP)
		run_xdp(in, in_len, &r);
	else
		run_tc(t->hook, c, in, in_len, &r);
	snapshot(&after);

	ok = check_run(t->hook, c, &r);
	if (ok)
		ok = check_frame(want, want_len, &r);
	ok &= check_counters(c, &before, &after);
	ok &= check_stats(c, &before, &after);
	if (!ok)
		fail_msg("case \"%s\" failed, see above", c->name);
}

/* ---- Group setup: load, probe the kernel, make a small-MTU device ---- */

/* A veth with MTU 1280 in this test's own network namespace, so that
 * skb->dev (ctx ifindex) gives bpf_check_mtu() a real limit. */
static int make_small_mtu_dev(void)
{
	if (unshare(CLONE_NEWNET)) {
		printf("# no private netns (%s): MTU cases skipped\n",
		       strerror(errno));
		return 0;
	}
	if (system("ip link add wgtfix0 mtu 1280 type veth peer name wgtfix1"
		   " && ip link set wgtfix0 up") != 0) {
		printf("# cannot create a veth: MTU cases skipped\n");
		return 0;
	}
	return (int)if_nametoindex("wgtfix0");
}

/* Does this kernel support BPF_F_TEST_SKB_CHECKSUM_COMPLETE (6.11+)? */
static bool probe_csum_complete(void)
{
	struct pkt_spec arp = { .src = LOCAL4, .dst = PEER4, .arp = true };
	uint8_t frame[128], out[256];
	size_t len = pkt_build(&arp, frame, sizeof(frame));
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out),
		    .flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE);

	return bpf_prog_test_run_opts(prog_fd(TC_IN), &o) == 0;
}

static int group_setup(void **state)
{
	fx.ncpus = libbpf_num_possible_cpus();
	fx.small_ifindex = make_small_mtu_dev();
	fx.skel = wgturn_bpf__open_and_load();
	if (!fx.skel) {
		printf("# cannot load build/wgturn.bpf.o: %s\n",
		       strerror(errno));
		return -1;
	}
	fx.csum_complete = probe_csum_complete();
	if (!fx.csum_complete)
		printf("# no BPF_F_TEST_SKB_CHECKSUM_COMPLETE: "
		       "tc-in-csum cases skipped\n");
	return 0;
}

static int group_teardown(void **state)
{
	wgturn_bpf__destroy(fx.skel);
	return 0;
}

static const char *hook_name(enum hook h)
{
	switch (h) {
	case EGRESS:
		return "tc-egress";
	case XDP:
		return "xdp";
	case TC_IN:
		return "tc-ingress";
	case GSO_RET:
		return "tc-gso-return";
	default:
		return "tc-ingress-csum";
	}
}

int main(void)
{
	static struct CMUnitTest tests[NCASES * 5];
	static struct dp_test runs[NCASES * 5];
	size_t n = 0;

	/* Our diagnostics (stdout) must interleave with cmocka's (stderr). */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < NCASES; i++) {
		for (unsigned int h = EGRESS; h <= GSO_RET; h <<= 1) {
			char *name;

			if (!(cases[i].hooks & h))
				continue;
			if (asprintf(&name, "%s: %s", hook_name(h),
				     cases[i].name) < 0)
				return 1;
			runs[n] = (struct dp_test){ &cases[i], h };
			tests[n] = (struct CMUnitTest){
				.name = name,
				.test_func = run_case,
				.initial_state = &runs[n],
			};
			n++;
		}
	}
	return _cmocka_run_group_tests("datapath", tests, n, group_setup,
				       group_teardown);
}
