// SPDX-License-Identifier: GPL-2.0
/*
 * udptool: send and check UDP datagrams for the netns tests.
 *
 *   udptool send          --bind A:P --to A:P --count N --size S
 *   udptool send-chandata --bind A:P --to A:P --count N --size S
 *                         --channel C [--pad] [--pad-byte B]
 *   udptool recv          --bind A:P --count N --size S [--expect-from A:P]
 *   udptool recv-chandata --bind A:P --count N --size S --channel C
 *                         [--pad] [--expect-from A:P]
 *   udptool recv-mixed    --bind A:P [--bind A:P]... --count N --size S
 *                         [--channel C] [--pad]
 *
 * send --gso N sends N datagrams per sendmsg() as one UDP GSO batch
 * (UDP_SEGMENT = S, in a control message per call, or set once on the
 * socket with --gso-sockopt), as wireguard-go and QUIC stacks do; the
 * receiver sees N separate datagrams. send prints how long it took.
 *
 * Common: --seq FIRST (first sequence number, default 0), --gap-us U
 * (pause between datagrams, default 100), --timeout SEC (recv, default 5),
 * --ready FILE (recv: created once the socket is bound), --rcvbuf BYTES
 * (recv: SO_RCVBUFFORCE, for a benchmark that must not lose datagrams to
 * a full socket queue).
 *
 * Every payload is S bytes: a WireGuard-like first word {4, 0, 0, 0} (so
 * it is neither ChannelData nor STUN), the magic "wgtT", the sequence
 * number and S (both big endian), then byte i = (seq * 7 + i) & 0xff.
 * A receiver checks each datagram's length, source, header (ChannelData
 * channel and length) and every payload byte, that every sequence number
 * in [FIRST, FIRST + N) arrives once, and prints one summary line:
 *   recv: N/N ok, 0 bad, 0 dup, from A:P
 * It exits 0 only if exactly N good datagrams arrived before the timeout.
 * --count 0 waits the whole timeout and succeeds only if nothing came.
 *
 * recv-mixed is for a path that switches under a stream: it listens on
 * every --bind at once and takes each datagram from any source, plain or
 * (with --channel) as ChannelData on channel C, told apart by the first
 * byte (a plain payload starts with 4, ChannelData with 0x4-). It checks
 * each datagram as above and that every sequence number arrives exactly
 * once over all sockets, sources and forms together; it prints one line
 * per (socket, source, form) seen, with the sequence numbers that path
 * delivered as ascending ranges, then the summary line:
 *   path at=A:P from=A:P form=plain|chandata count=K seq=A-B[,C-D]...
 *   recv: N/N ok, 0 bad, 0 dup, 0 extra, 2 paths
 * It exits 0 only if all N arrived and nothing else did, but prints the
 * paths either way.
 *
 * ChannelData (RFC 8656 12.4): {channel u16, length u16} big endian, then
 * length bytes; --pad pads the datagram to a multiple of 4 with
 * --pad-byte (default 0xa5), as TCP relays must and UDP relays may;
 * recv-chandata --pad expects datagrams padded that way.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <netinet/udp.h>
#include <unistd.h>

#define HDR_LEN 16		/* type word, magic, seq, size */
#define CD_LEN 4		/* ChannelData header */
#define MAX_SIZE 65000
#define MAX_COUNT 100000
#define MAX_BINDS 4		/* recv-mixed */
#define MAX_PATHS 16		/* recv-mixed: (socket, source, form) */
#define MAX_GSO 64		/* segments per batch (UDP_MAX_SEGMENTS) */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

struct opts {
	const char *cmd;
	struct sockaddr_storage bind, to, from;
	struct sockaddr_storage binds[MAX_BINDS];	/* recv-mixed */
	int n_binds;
	bool have_bind, have_to, have_from;
	long count, size, seq, gap_us, timeout;
	long channel;		/* -1: plain UDP */
	bool pad, gso_sockopt;
	int pad_byte;
	long gso;		/* datagrams per UDP GSO batch, 0: none */
	const char *ready;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: udptool send|send-chandata|recv|recv-chandata|recv-mixed\n"
		"  --bind ADDR:PORT (recv-mixed: several) [--to ADDR:PORT] [--expect-from ADDR:PORT]\n"
		"  --count N --size S [--channel C] [--pad] [--pad-byte B]\n"
		"  [--seq FIRST] [--gap-us U] [--timeout SEC] [--ready FILE]\n"
		"  [--rcvbuf BYTES]\n"
		"  send: [--gso N [--gso-sockopt]]\n"
		"ADDR:PORT is a.b.c.d:port or [v6]:port\n");
	exit(2);
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "udptool: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

/* a.b.c.d:port or [v6]:port */
static int parse_ep(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *p;
	char *end;
	unsigned long port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		n = rb - s - 1;
		p = s + 1;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		n = colon - s;
		p = s;
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, p, n);
	host[n] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port > 65535)
		return -1;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
	}
}

static const char *ep_str(const struct sockaddr_storage *ss, char *buf,
			  size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		snprintf(buf, len, "(family %u)", ss->ss_family);
	}
	return buf;
}

static bool ep_eq(const struct sockaddr_storage *a,
		  const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port &&
	       !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6);
}

static long num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || end == s || v < min || v > max)
		die("bad %s", what);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void fill(uint8_t *p, uint32_t seq, uint32_t size)
{
	for (uint32_t i = 0; i < size; i++)
		p[i] = (seq * 7 + i) & 0xff;
	p[0] = 4;
	p[1] = p[2] = p[3] = 0;
	memcpy(p + 4, "wgtT", 4);
	put32(p + 8, seq);
	put32(p + 12, size);
}

/* NULL if p[0..size) is the payload for some sequence number, which is
 * returned in *seq; otherwise why not. */
static const char *check(const uint8_t *p, uint32_t size, uint32_t *seq)
{
	if (size < HDR_LEN)
		return "too short for the pattern";
	if (p[0] != 4 || p[1] || p[2] || p[3] || memcmp(p + 4, "wgtT", 4))
		return "pattern header mismatch";
	*seq = get32(p + 8);
	if (get32(p + 12) != size)
		return "pattern size field mismatch";
	for (uint32_t i = HDR_LEN; i < size; i++)
		if (p[i] != ((*seq * 7 + i) & 0xff))
			return "payload byte mismatch";
	return NULL;
}

static int rcvbuf;	/* --rcvbuf: 0 leaves the default */

static int open_bound(const struct sockaddr_storage *ss)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_DGRAM, 0);

	if (fd < 0) {
		perror("udptool: socket");
		exit(2);
	}
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				 sizeof(rcvbuf))) {
		perror("udptool: SO_RCVBUFFORCE");
		exit(2);
	}
	if (bind(fd, (const struct sockaddr *)ss, ss_len(ss))) {
		char b[80];

		fprintf(stderr, "udptool: bind %s: %s\n",
			ep_str(ss, b, sizeof(b)), strerror(errno));
		exit(2);
	}
	return fd;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* One sendmsg() of n datagrams of o->size bytes from seq on. */
static int send_batch(int fd, const struct opts *o, uint8_t *buf,
		      uint32_t seq, long n)
{
	char ctl[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
	struct iovec iov = { buf, (size_t)(n * o->size) };
	struct msghdr mh = {
		.msg_name = (void *)&o->to, .msg_namelen = ss_len(&o->to),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	struct cmsghdr *cm;
	uint16_t seg = (uint16_t)o->size;

	for (long i = 0; i < n; i++)
		fill(buf + i * o->size, seq + i, o->size);
	if (!o->gso_sockopt && n > 1) {
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	}
	return sendmsg(fd, &mh, 0) == (ssize_t)iov.iov_len ? 0 : -1;
}

static int do_send_gso(const struct opts *o)
{
	static uint8_t buf[MAX_GSO * MAX_SIZE];
	int fd = open_bound(&o->bind), seg = (int)o->size;
	long sent = 0, calls = 0;
	long long t0 = now_us();

	if (o->gso * o->size > 65507)
		die("%s: --gso times --size exceeds a UDP datagram", o->cmd);
	if (o->gso_sockopt &&
	    setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg))) {
		perror("udptool: setsockopt UDP_SEGMENT");
		return 1;
	}
	while (sent < o->count) {
		long n = o->count - sent < o->gso ? o->count - sent : o->gso;

		if (send_batch(fd, o, buf, (uint32_t)(o->seq + sent), n)) {
			perror("udptool: sendmsg");
			break;
		}
		sent += n;
		calls++;
		if (o->gap_us)
			usleep(o->gap_us);
	}
	printf("send: %ld/%ld datagrams of %ld bytes in %ld GSO batches, %lld us\n",
	       sent, o->count, o->size, calls, now_us() - t0);
	close(fd);
	return sent == o->count ? 0 : 1;
}

static int do_send(const struct opts *o)
{
	static uint8_t buf[MAX_SIZE + 8];
	size_t len = 0;
	int fd;
	long sent = 0;
	long long t0 = now_us();

	if (o->to.ss_family != o->bind.ss_family)
		die("%s: --to and --bind differ in family", o->cmd);
	if (o->gso)
		return do_send_gso(o);
	fd = open_bound(&o->bind);
	for (long i = 0; i < o->count; i++) {
		uint32_t seq = o->seq + i;

		len = o->size;
		if (o->channel >= 0) {
			fill(buf + CD_LEN, seq, o->size);
			buf[0] = o->channel >> 8;
			buf[1] = o->channel;
			buf[2] = o->size >> 8;
			buf[3] = o->size;
			len += CD_LEN;
			while (o->pad && len % 4)
				buf[len++] = o->pad_byte;
		} else {
			fill(buf, seq, o->size);
		}
		if (sendto(fd, buf, len, 0, (const struct sockaddr *)&o->to,
			   ss_len(&o->to)) != (ssize_t)len) {
			perror("udptool: sendto");
			break;
		}
		sent++;
		if (o->gap_us)
			usleep(o->gap_us);
	}
	printf("send: %ld/%ld datagrams of %zu bytes, %lld us\n", sent, o->count,
	       len, now_us() - t0);
	close(fd);
	return sent == o->count ? 0 : 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int touch_ready(const struct opts *o)
{
	int rfd;

	if (!o->ready)
		return 0;
	rfd = open(o->ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (rfd < 0) {
		perror("udptool: --ready");
		return -1;
	}
	close(rfd);
	return 0;
}

static int do_recv(const struct opts *o)
{
	static uint8_t buf[MAX_SIZE + 64];
	static uint8_t seen[MAX_COUNT];
	long good = 0, bad = 0, dup = 0, other = 0;
	long long deadline = now_ms() + o->timeout * 1000;
	size_t want = o->size + (o->channel >= 0 ? CD_LEN : 0);
	struct sockaddr_storage last = { 0 };
	char b1[80], b2[80];
	int fd = open_bound(&o->bind);

	while (o->pad && want % 4)
		want++;
	if (touch_ready(o))
		return 2;
	while (o->count == 0 || good + bad + dup < o->count) {
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		const char *why = NULL;
		uint32_t seq = 0;
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&src, &slen);
		if (n < 0)
			continue;
		last = src;
		if (o->have_from && !ep_eq(&src, &o->from)) {
			why = "unexpected source";
		} else if ((size_t)n != want) {
			why = "unexpected length";
		} else if (o->channel >= 0) {
			uint16_t ch = buf[0] << 8 | buf[1];
			uint16_t cl = buf[2] << 8 | buf[3];

			if (ch != o->channel)
				why = "ChannelData channel mismatch";
			else if (cl != o->size)
				why = "ChannelData length mismatch";
			else
				why = check(buf + CD_LEN, o->size, &seq);
		} else {
			why = check(buf, o->size, &seq);
		}
		if (!why && (seq < (uint32_t)o->seq ||
			     seq >= (uint32_t)(o->seq + o->count)))
			why = "sequence number out of range";
		if (why) {
			if (bad++ < 5)
				fprintf(stderr,
					"udptool: datagram of %zd bytes from %s: %s (first bytes %02x %02x %02x %02x)\n",
					n, ep_str(&src, b1, sizeof(b1)), why,
					n > 0 ? buf[0] : 0, n > 1 ? buf[1] : 0,
					n > 2 ? buf[2] : 0, n > 3 ? buf[3] : 0);
			continue;
		}
		if (seen[seq - o->seq]++) {
			dup++;
			continue;
		}
		good++;
	}
	/* Anything after the last expected datagram is an extra. */
	if (o->count) {
		char drain[16];

		usleep(20000);
		while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT) >= 0)
			other++;
	}
	printf("recv: %ld/%ld ok, %ld bad, %ld dup, %ld extra, last from %s%s%s\n",
	       good, o->count, bad, dup, other,
	       last.ss_family ? ep_str(&last, b1, sizeof(b1)) : "-",
	       o->have_from ? ", expected " : "",
	       o->have_from ? ep_str(&o->from, b2, sizeof(b2)) : "");
	close(fd);
	return good == o->count && !bad && !dup && !other ? 0 : 1;
}

/* recv-mixed: one (socket, source, form) and the sequence numbers it got. */
struct path {
	int sock;
	struct sockaddr_storage src;
	bool chandata;
	long count;
	uint8_t *seen;		/* o->count entries */
};

static struct path *path_of(struct path *paths, int *n, long count, int sock,
			    const struct sockaddr_storage *src, bool chandata)
{
	for (int i = 0; i < *n; i++)
		if (paths[i].sock == sock && paths[i].chandata == chandata &&
		    ep_eq(&paths[i].src, src))
			return &paths[i];
	if (*n == MAX_PATHS)
		return NULL;
	paths[*n] = (struct path){ .sock = sock, .src = *src,
				   .chandata = chandata,
				   .seen = calloc(count ? count : 1, 1) };
	if (!paths[*n].seen) {
		perror("udptool: calloc");
		exit(2);
	}
	return &paths[(*n)++];
}

/* Why a datagram of n bytes is not a good one; its form and seq if it is. */
static const char *mixed_check(const struct opts *o, const uint8_t *buf,
			       ssize_t n, bool *chandata, uint32_t *seq)
{
	size_t want = o->size + CD_LEN;

	while (o->pad && want % 4)
		want++;
	*chandata = o->channel >= 0 && n >= CD_LEN && (buf[0] & 0xf0) == 0x40;
	if (*chandata) {
		uint16_t ch = buf[0] << 8 | buf[1];
		uint16_t cl = buf[2] << 8 | buf[3];

		if ((size_t)n != want)
			return "unexpected length (ChannelData)";
		if (ch != o->channel)
			return "ChannelData channel mismatch";
		if (cl != o->size)
			return "ChannelData length mismatch";
		return check(buf + CD_LEN, o->size, seq);
	}
	if (n != o->size)
		return "unexpected length (plain)";
	return check(buf, o->size, seq);
}

static int do_recv_mixed(const struct opts *o)
{
	static uint8_t buf[MAX_SIZE + 64];
	static uint8_t seen[MAX_COUNT];
	static struct path paths[MAX_PATHS];
	struct pollfd pfd[MAX_BINDS];
	long good = 0, bad = 0, dup = 0, other = 0;
	long long deadline = now_ms() + o->timeout * 1000;
	int npaths = 0;
	char b1[80], b2[80];

	for (int i = 0; i < o->n_binds; i++)
		pfd[i] = (struct pollfd){ .fd = open_bound(&o->binds[i]),
					  .events = POLLIN };
	if (touch_ready(o))
		return 2;
	while (o->count == 0 || good + bad + dup < o->count) {
		long long left = deadline - now_ms();

		if (left <= 0)
			break;
		if (poll(pfd, o->n_binds, left) <= 0)
			continue;
		for (int i = 0; i < o->n_binds; i++) {
			struct sockaddr_storage src;
			socklen_t slen = sizeof(src);
			const char *why;
			struct path *pa;
			bool chandata;
			uint32_t seq = 0;
			ssize_t n;

			if (!(pfd[i].revents & POLLIN))
				continue;
			n = recvfrom(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&src, &slen);
			if (n < 0)
				continue;
			why = mixed_check(o, buf, n, &chandata, &seq);
			if (!why && (seq < (uint32_t)o->seq ||
				     seq >= (uint32_t)(o->seq + o->count)))
				why = "sequence number out of range";
			if (!why && seen[seq - o->seq]) {
				seen[seq - o->seq]++;
				dup++;
				continue;
			}
			pa = why ? NULL :
				   path_of(paths, &npaths, o->count, i, &src,
					   chandata);
			if (!why && !pa)
				why = "too many paths";
			if (why) {
				if (bad++ < 5)
					fprintf(stderr,
						"udptool: datagram of %zd bytes at %s from %s: %s (first bytes %02x %02x %02x %02x)\n",
						n,
						ep_str(&o->binds[i], b2, sizeof(b2)),
						ep_str(&src, b1, sizeof(b1)), why,
						n > 0 ? buf[0] : 0, n > 1 ? buf[1] : 0,
						n > 2 ? buf[2] : 0, n > 3 ? buf[3] : 0);
				continue;
			}
			seen[seq - o->seq] = 1;
			pa->seen[seq - o->seq] = 1;
			pa->count++;
			good++;
		}
	}
	if (o->count) {
		char drain[16];

		usleep(20000);
		for (int i = 0; i < o->n_binds; i++)
			while (recv(pfd[i].fd, drain, sizeof(drain),
				    MSG_DONTWAIT) >= 0)
				other++;
	}
	for (int i = 0; i < npaths; i++) {
		const struct path *pa = &paths[i];
		const char *sep = "";

		printf("path at=%s from=%s form=%s count=%ld seq=",
		       ep_str(&o->binds[pa->sock], b1, sizeof(b1)),
		       ep_str(&pa->src, b2, sizeof(b2)),
		       pa->chandata ? "chandata" : "plain", pa->count);
		for (long s = 0; s < o->count; s++) {
			long e = s;

			if (!pa->seen[s])
				continue;
			while (e + 1 < o->count && pa->seen[e + 1])
				e++;
			printf("%s%ld-%ld", sep, o->seq + s, o->seq + e);
			sep = ",";
			s = e;
		}
		printf("\n");
	}
	printf("recv: %ld/%ld ok, %ld bad, %ld dup, %ld extra, %d paths\n",
	       good, o->count, bad, dup, other, npaths);
	for (int i = 0; i < o->n_binds; i++)
		close(pfd[i].fd);
	return good == o->count && !bad && !dup && !other ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bind", required_argument, 0, 'b' },
		{ "to", required_argument, 0, 't' },
		{ "expect-from", required_argument, 0, 'f' },
		{ "count", required_argument, 0, 'n' },
		{ "size", required_argument, 0, 's' },
		{ "channel", required_argument, 0, 'c' },
		{ "pad", no_argument, 0, 'p' },
		{ "pad-byte", required_argument, 0, 'P' },
		{ "seq", required_argument, 0, 'q' },
		{ "gap-us", required_argument, 0, 'g' },
		{ "timeout", required_argument, 0, 'T' },
		{ "ready", required_argument, 0, 'r' },
		{ "rcvbuf", required_argument, 0, 'R' },
		{ "gso", required_argument, 0, 'G' },
		{ "gso-sockopt", no_argument, 0, 'S' },
		{ "help", no_argument, 0, 'h' },
		{ 0 }
	};
	struct opts o = {
		.count = 1, .size = 64, .gap_us = 100, .timeout = 5,
		.channel = -1, .pad_byte = 0xa5,
	};
	bool chandata, sending, mixed = false;
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		usage();
	o.cmd = argv[1];
	if (!strcmp(o.cmd, "send"))
		sending = true, chandata = false;
	else if (!strcmp(o.cmd, "send-chandata"))
		sending = true, chandata = true;
	else if (!strcmp(o.cmd, "recv"))
		sending = false, chandata = false;
	else if (!strcmp(o.cmd, "recv-chandata"))
		sending = false, chandata = true;
	else if (!strcmp(o.cmd, "recv-mixed"))
		sending = false, chandata = false, mixed = true;
	else
		die("unknown command %s", o.cmd);

	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (o.n_binds == (mixed ? MAX_BINDS : 1))
				die("%s: too many --bind", o.cmd);
			if (parse_ep(optarg, &o.binds[o.n_binds]))
				die("bad --bind %s", optarg);
			o.bind = o.binds[o.n_binds++];
			o.have_bind = true;
			break;
		case 't':
			if (parse_ep(optarg, &o.to))
				die("bad --to %s", optarg);
			o.have_to = true;
			break;
		case 'f':
			if (parse_ep(optarg, &o.from))
				die("bad --expect-from %s", optarg);
			o.have_from = true;
			break;
		case 'n':
			o.count = num(optarg, 0, MAX_COUNT, "--count");
			break;
		case 's':
			o.size = num(optarg, HDR_LEN, MAX_SIZE, "--size");
			break;
		case 'c':
			o.channel = num(optarg, 0, 0xffff, "--channel");
			break;
		case 'p':
			o.pad = true;
			break;
		case 'P':
			o.pad_byte = num(optarg, 0, 255, "--pad-byte");
			break;
		case 'q':
			o.seq = num(optarg, 0, 1L << 30, "--seq");
			break;
		case 'g':
			o.gap_us = num(optarg, 0, 1000000, "--gap-us");
			break;
		case 'R':
			rcvbuf = (int)num(optarg, 1, 1 << 30, "--rcvbuf");
			break;
		case 'T':
			o.timeout = num(optarg, 1, 600, "--timeout");
			break;
		case 'r':
			o.ready = optarg;
			break;
		case 'G':
			o.gso = num(optarg, 1, MAX_GSO, "--gso");
			break;
		case 'S':
			o.gso_sockopt = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !o.have_bind)
		usage();
	if (chandata && o.channel < 0)
		die("%s needs --channel", o.cmd);
	if (!chandata && !mixed && (o.channel >= 0 || o.pad))
		die("%s takes no --channel/--pad", o.cmd);
	if ((o.gso || o.gso_sockopt) && strcmp(o.cmd, "send"))
		die("%s takes no --gso", o.cmd);
	if (o.gso_sockopt && !o.gso)
		die("%s: --gso-sockopt needs --gso", o.cmd);
	if (mixed && (o.have_from || o.have_to))
		die("%s takes no --expect-from/--to", o.cmd);
	if ((chandata || o.channel >= 0) && o.size > 0xffff - CD_LEN)
		die("%s: --size too big", o.cmd);
	if (sending) {
		if (!o.have_to)
			die("%s needs --to", o.cmd);
		return do_send(&o);
	}
	return mixed ? do_recv_mixed(&o) : do_recv(&o);
}
