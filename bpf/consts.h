/* SPDX-License-Identifier: GPL-2.0 */
/* Header sizes and masks the datapath works with, named once. */
#ifndef WGT_CONSTS_H
#define WGT_CONSTS_H

#define WGT_ETH_HLEN	14
#define WGT_IPV4_HLEN	20	/* without options: those pass untouched */
#define WGT_IPV6_HLEN	40	/* without extension headers, likewise */
#define WGT_UDP_HLEN	8
#define WGT_PEEK_LEN	8	/* UDP payload bytes classification looks at */
/* Headers needed linear: Ethernet + IPv6 + UDP + the peeked payload. */
#define WGT_PULL_LEN	(WGT_ETH_HLEN + WGT_IPV6_HLEN + WGT_UDP_HLEN + WGT_PEEK_LEN)
/* Bounds the verifier can see on packet offsets (frames up to 16 KiB). */
#define WGT_OFF_MASK	0x3fff
#define WGT_HDR_OFF_MASK 0xff	/* UDP payload offset: within the headers */
/* IPv4 frag_off bits of a fragment: more-fragments and the offset. */
#define WGT_IP_FRAG_MASK 0x3fff
/* STUN: the two top bits of the first byte are zero (RFC 8489 6). */
#define WGT_STUN_TYPE_MASK 0xc0

#endif
