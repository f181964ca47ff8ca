/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test packet builder: Ethernet + IPv4/IPv6 + UDP frames described by a
 * struct, with every checksum computed from scratch (RFC 1071 full sums
 * over big-endian words). It shares no code with bpf/csum.h on purpose:
 * the datapath's incremental updates are checked against it.
 */
#ifndef WGT_TEST_PKT_H
#define WGT_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wgturn.h"

/* Largest frame the fixtures build (1420-byte payload over IPv6 + 4). */
#define PKT_MAX 2048

/* Default IP IDs: the IPv4 header's, the IPv6 fragment header's. */
#define PKT_ID4 0x3a7c
#define PKT_ID6 0x5eedf00d

/* What follows the UDP header (after an optional ChannelData header). */
enum pkt_body {
	BODY_WG,	/* WireGuard transport message: 04 00 00 00 + pattern */
	BODY_STUN,	/* STUN message: type, length, cookie, txid, attrs */
	BODY_WG_COOKIE,	/* 04 00 00 00 then the STUN cookie, then pattern */
	BODY_RAW,	/* pattern only */
};

/* An IPv6 extension header between the IPv6 and UDP headers. */
enum pkt_ext {
	EXT_NONE,
	EXT_HOPOPTS,
	EXT_ROUTING,
	EXT_DSTOPTS,
	EXT_FRAGMENT,
};

struct pkt_spec {
	struct wgt_ep src, dst;		/* family is taken from src */

	/* UDP payload: [ChannelData header] body [ChannelData padding] */
	enum pkt_body body;
	uint16_t len;			/* body length */
	uint8_t seed;			/* varies the body bytes */
	uint16_t stun_type;		/* BODY_STUN message type, 0 = 0x0001 */
	int stun_len_adj;		/* STUN length field minus the truth */
	bool chandata;			/* prefix a ChannelData header */
	uint16_t chan;
	int cdlen_adj;			/* ChannelData length minus len */
	uint8_t pad;			/* ChannelData padding bytes (non-zero) */

	/* Not a plain UDP datagram */
	bool arp;			/* an ARP request instead of IP */
	uint8_t proto;			/* IP protocol, 0 = UDP */
	uint8_t ip_opt_words;		/* IPv4 options, 4-byte words of NOP */
	uint16_t frag;			/* IPv4 frag_off (0 = DF), or the IPv6
					 * fragment header's offset/M field */
	uint32_t ip_id;			/* fragment ID, 0 = 0x3a7c (IPv4) or
					 * 0x5eedf00d (IPv6) */
	enum pkt_ext ext;		/* IPv6 extension header */
	bool no_csum;			/* IPv4 UDP checksum field 0 */

	/* Damage */
	int ip_len_adj;			/* IP length field minus the truth */
	int udp_len_adj;		/* UDP length field minus the truth */
	uint8_t ihl;			/* IPv4 IHL override, 0 = computed */
	uint16_t pad_to;		/* Ethernet trailer up to this length */
	uint16_t cut;			/* truncate the frame to this length */
};

/* Build the frame into out; returns its length (0 if cap is too small). */
size_t pkt_build(const struct pkt_spec *s, uint8_t *out, size_t cap);

/* RFC 1071: add len bytes as big-endian 16-bit words (an odd last byte
 * is padded with zero) to a wide accumulator. */
uint64_t rfc1071_add(uint64_t sum, const uint8_t *p, size_t len);
/* Fold to 16 bits with end-around carry, not complemented. */
uint16_t rfc1071_fold(uint64_t sum);
/* The Internet checksum of a buffer: ~fold(sum), host order. */
uint16_t rfc1071_csum(const uint8_t *p, size_t len);

/* UDP checksum of a datagram (host order; 0 maps to 0xffff) with the
 * pseudo-header for src/dst of the given family. */
uint16_t pkt_udp_csum(int family, const uint8_t *saddr, const uint8_t *daddr,
		      const uint8_t *udp, size_t udp_len);

/* Print a hex diff of two frames to stdout, marking differing bytes. */
void pkt_print_diff(const char *what, const uint8_t *want, size_t want_len,
		    const uint8_t *got, size_t got_len);

#endif
