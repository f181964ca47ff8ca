// SPDX-License-Identifier: GPL-2.0
/*
 * Test packet builder. Every header is written field by field in network
 * byte order and every checksum is a full RFC 1071 sum over the finished
 * bytes, so an expected frame never depends on the code under test.
 */
#include <stdio.h>
#include <string.h>
#include "pkt.h"

#define ETH_HLEN_ 14
#define UDP_HLEN_ 8
#define IP4_HLEN_ 20
#define IP6_HLEN_ 40
#define EXT_HLEN_ 8

static const uint8_t mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

uint64_t rfc1071_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint64_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	return sum;
}

uint16_t rfc1071_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t rfc1071_csum(const uint8_t *p, size_t len)
{
	return (uint16_t)~rfc1071_fold(rfc1071_add(0, p, len));
}

uint16_t pkt_udp_csum(int family, const uint8_t *saddr, const uint8_t *daddr,
		      const uint8_t *udp, size_t udp_len)
{
	int alen = family == WGT_AF_INET ? 4 : 16;
	uint64_t sum = 0;
	uint16_t c;

	sum = rfc1071_add(sum, saddr, alen);
	sum = rfc1071_add(sum, daddr, alen);
	/* IPv4 {0, 17, len16} and IPv6 {len32, 0, 0, 0, 17} sum alike. */
	sum += 17 + (uint64_t)udp_len;
	sum = rfc1071_add(sum, udp, udp_len);
	c = (uint16_t)~rfc1071_fold(sum);
	return c ? c : 0xffff;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Non-zero bytes that differ from one offset (and seed) to the next. */
static uint8_t pattern(uint8_t seed, size_t i)
{
	uint8_t v = (uint8_t)(0x5a + seed * 37 + i * 29);

	return v ? v : 0xff;
}

static void fill_pattern(uint8_t *p, size_t len, uint8_t seed, size_t from)
{
	for (size_t i = from; i < len; i++)
		p[i] = pattern(seed, i);
}

/* The body: a WireGuard message, a STUN message or a raw pattern. */
static void build_body(const struct pkt_spec *s, uint8_t *p)
{
	static const uint8_t wg_hdr[4] = { 4, 0, 0, 0 };
	static const uint8_t cookie[4] = { 0x21, 0x12, 0xa4, 0x42 };

	fill_pattern(p, s->len, s->seed, 0);
	switch (s->body) {
	case BODY_WG:
		if (s->len >= 4)
			memcpy(p, wg_hdr, 4);
		break;
	case BODY_WG_COOKIE:
		memcpy(p, wg_hdr, 4);
		memcpy(p + 4, cookie, 4);
		break;
	case BODY_STUN:
		put16(p, s->stun_type ? s->stun_type : 0x0001);
		put16(p + 2, (uint16_t)(s->len - 20 + s->stun_len_adj));
		memcpy(p + 4, cookie, 4);
		break;
	case BODY_RAW:
		break;
	}
}

/* The UDP payload; returns its length. */
static size_t build_payload(const struct pkt_spec *s, uint8_t *p)
{
	size_t off = 0;

	if (s->chandata) {
		put16(p, s->chan);
		put16(p + 2, (uint16_t)(s->len + s->cdlen_adj));
		off = WGT_CHANDATA_HLEN;
	}
	build_body(s, p + off);
	off += s->len;
	for (int i = 0; i < s->pad; i++)
		p[off++] = 0xe1 + i;
	return off;
}

/* The IP payload (UDP datagram, or raw bytes); returns its length. */
static size_t build_l4(const struct pkt_spec *s, uint8_t *p)
{
	size_t plen;

	if (s->proto) {
		fill_pattern(p, s->len, s->seed, 0);
		return s->len;
	}
	plen = build_payload(s, p + UDP_HLEN_);
	put16(p, s->src.port);
	put16(p + 2, s->dst.port);
	put16(p + 4, (uint16_t)(UDP_HLEN_ + plen + s->udp_len_adj));
	put16(p + 6, 0);
	if (!s->no_csum)
		put16(p + 6, pkt_udp_csum(s->src.family, s->src.addr,
					  s->dst.addr, p, UDP_HLEN_ + plen));
	return UDP_HLEN_ + plen;
}

static size_t build_ip4(const struct pkt_spec *s, uint8_t *p,
			const uint8_t *l4, size_t l4len)
{
	size_t hlen = IP4_HLEN_ + 4 * s->ip_opt_words;

	memset(p, 0, hlen);
	p[0] = 0x40 | (s->ihl ? s->ihl : hlen / 4);
	p[1] = 0x00;					/* TOS */
	put16(p + 2, (uint16_t)(hlen + l4len + s->ip_len_adj));
	put16(p + 4, s->ip_id ? (uint16_t)s->ip_id : PKT_ID4);	/* ID */
	put16(p + 6, s->frag ? s->frag : 0x4000);	/* DF */
	p[8] = 64;					/* TTL */
	p[9] = s->proto ? s->proto : 17;
	memcpy(p + 12, s->src.addr, 4);
	memcpy(p + 16, s->dst.addr, 4);
	memset(p + IP4_HLEN_, 1, hlen - IP4_HLEN_);	/* NOP options */
	put16(p + 10, rfc1071_csum(p, hlen));
	memcpy(p + hlen, l4, l4len);
	return hlen + l4len;
}

static const uint8_t ext_type[] = {
	[EXT_HOPOPTS] = 0, [EXT_ROUTING] = 43, [EXT_DSTOPTS] = 60,
	[EXT_FRAGMENT] = 44,
};

/* One 8-byte extension header: PadN options, or a fragment header. */
static void build_ext(const struct pkt_spec *s, uint8_t *p, uint8_t next)
{
	memset(p, 0, EXT_HLEN_);
	p[0] = next;
	if (s->ext == EXT_FRAGMENT) {
		put16(p + 2, s->frag ? s->frag : 0x0001);	/* M=1 */
		uint32_t id = s->ip_id ? s->ip_id : PKT_ID6;

		put16(p + 4, (uint16_t)(id >> 16));
		put16(p + 6, (uint16_t)id);
	} else if (s->ext == EXT_ROUTING) {
		p[2] = 0;	/* routing type 0, segments left 0 */
	} else {
		p[2] = 1;	/* PadN, 4 bytes of zeros */
		p[3] = 4;
	}
}

static size_t build_ip6(const struct pkt_spec *s, uint8_t *p,
			const uint8_t *l4, size_t l4len)
{
	uint8_t next = s->proto ? s->proto : 17;
	size_t elen = s->ext ? EXT_HLEN_ : 0;

	p[0] = 0x60;
	p[1] = 0x01;			/* flow label 0x12345 */
	put16(p + 2, 0x2345);
	put16(p + 4, (uint16_t)(elen + l4len + s->ip_len_adj));
	p[6] = s->ext ? ext_type[s->ext] : next;
	p[7] = 64;			/* hop limit */
	memcpy(p + 8, s->src.addr, 16);
	memcpy(p + 24, s->dst.addr, 16);
	if (s->ext)
		build_ext(s, p + IP6_HLEN_, next);
	memcpy(p + IP6_HLEN_ + elen, l4, l4len);
	return IP6_HLEN_ + elen + l4len;
}

static size_t build_arp(const struct pkt_spec *s, uint8_t *p)
{
	put16(p, 1);			/* Ethernet */
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, 1);		/* request */
	memcpy(p + 8, mac_src, 6);
	memcpy(p + 14, s->src.addr, 4);
	memset(p + 18, 0, 6);
	memcpy(p + 24, s->dst.addr, 4);
	return 28;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *out, size_t cap)
{
	uint8_t l4[PKT_MAX];
	uint8_t frame[PKT_MAX + 128];
	uint16_t type;
	size_t len;

	memcpy(frame, mac_dst, 6);
	memcpy(frame + 6, mac_src, 6);
	if (s->arp) {
		type = 0x0806;
		len = build_arp(s, frame + ETH_HLEN_);
	} else if (s->src.family == WGT_AF_INET) {
		type = 0x0800;
		len = build_ip4(s, frame + ETH_HLEN_, l4, build_l4(s, l4));
	} else {
		type = 0x86dd;
		len = build_ip6(s, frame + ETH_HLEN_, l4, build_l4(s, l4));
	}
	put16(frame + 12, type);
	len += ETH_HLEN_;
	/* Link-layer trailer: not part of the IP packet, not summed. */
	while (len < s->pad_to)
		frame[len++] = 0xc3;
	if (s->cut && s->cut < len)
		len = s->cut;
	if (len > cap)
		return 0;
	memcpy(out, frame, len);
	return len;
}

static void print_row(const uint8_t *p, size_t len, size_t row, size_t max)
{
	for (size_t i = row; i < row + 16 && i < max; i++) {
		if (i < len)
			printf(" %02x", p[i]);
		else
			printf("   ");
	}
}

void pkt_print_diff(const char *what, const uint8_t *want, size_t want_len,
		    const uint8_t *got, size_t got_len)
{
	size_t max = want_len > got_len ? want_len : got_len;

	printf("    %s: expected %zu bytes, got %zu\n", what, want_len, got_len);
	for (size_t row = 0; row < max; row += 16) {
		bool differs = false;

		for (size_t i = row; i < row + 16 && i < max; i++)
			if (i >= want_len || i >= got_len || want[i] != got[i])
				differs = true;
		if (!differs)
			continue;
		printf("    %04zx want:", row);
		print_row(want, want_len, row, max);
		printf("\n    %04zx got: ", row);
		print_row(got, got_len, row, max);
		printf("\n               ");
		for (size_t i = row; i < row + 16 && i < max; i++)
			printf(i < want_len && i < got_len && want[i] == got[i] ?
			       "   " : " ^^");
		printf("\n");
	}
}
