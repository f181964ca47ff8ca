// SPDX-License-Identifier: GPL-2.0
/*
 * bench/proxy: the userspace ChannelData proxy that wgturn replaces, the
 * baseline of scripts/bench_e2e.sh. Not part of the product.
 *
 * WireGuard's endpoint for the peer is this proxy on localhost:
 *
 *   WireGuard :WG --UDP--> 127.0.0.1:LISTEN [proxy] --ChannelData--> relay
 *   WireGuard <--UDP------ 127.0.0.1:LISTEN [proxy] <--ChannelData-- relay
 *
 * It holds one TURN allocation (user/turn.c: Allocate, CreatePermission,
 * ChannelBind, refreshes) on a UDP socket connected to the relay, and one
 * channel to the peer's relayed address (read from --peer-file once it
 * exists). As good as such a proxy reasonably gets: epoll, both sockets
 * connected, recvmmsg/sendmmsg in batches of BATCH, static buffers (no
 * per-packet allocation), the 4-byte header written in front of the payload
 * in the receive buffer (no copy), the payload handed back from an offset
 * (no copy). ChannelData is sent unpadded (RFC 8656 12.5: over UDP padding
 * is optional).
 *
 * Signals: SIGUSR1 writes the counters to --stats-file; SIGTERM/SIGINT
 * deallocate, print the counters and exit 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/addr.h"
#include "turn/stun.h"
#include "turn/turn.h"

#define BATCH 64
#define BUFSZ 2048
#define SOCKBUF (4 << 20)

struct dir {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint8_t buf[BATCH][BUFSZ];
	struct mmsghdr out[BATCH];
	struct iovec oiov[BATCH];
};

static struct dir up, down;	/* WireGuard -> relay, relay -> WireGuard */
static struct turn_client tc;
static int local_fd = -1, relay_fd = -1;
static uint8_t chan_hdr[2];	/* channel, network order */
static bool chan_ok;
static struct wgt_ep peer;
static bool have_peer;
static const char *relayed_file, *peer_file, *stats_file;
static bool stun_seen;	/* the TURN client's timers may have changed */
static unsigned long long tx_pkts, rx_pkts, tx_bytes, rx_bytes, drops;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "proxy: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A UDP socket bound to bind_ep (if given) and connected to to_ep. */
static int udp_connected(const struct wgt_ep *bind_ep, const struct wgt_ep *to_ep)
{
	struct sockaddr_storage ss;
	socklen_t l;
	int sz = SOCKBUF;
	int fd = socket(to_ep->family == WGT_AF_INET ? AF_INET : AF_INET6,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	if (bind_ep) {
		l = ep_to_sa(bind_ep, &ss);
		if (bind(fd, (void *)&ss, l))
			die("bind");
	}
	l = ep_to_sa(to_ep, &ss);
	if (connect(fd, (void *)&ss, l))
		die("connect");
	return fd;
}

static int turn_send(void *ctx, const uint8_t *buf, size_t len)
{
	return send(relay_fd, buf, len, MSG_DONTWAIT) < 0 ? -1 : 0;
}

static void write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		die(tmp);
	fputs(text, f);
	if (fclose(f) || rename(tmp, path))
		die(path);
}

static void on_state(void *ctx, struct turn_client *c)
{
	char a[EP_STRLEN], line[EP_STRLEN + 2];

	if (c->state == TURN_ALLOCATED) {
		ep_str(&c->relayed, a, sizeof(a));
		fprintf(stderr, "proxy: relayed address %s\n", a);
		snprintf(line, sizeof(line), "%s\n", a);
		if (relayed_file)
			write_file(relayed_file, line);
	} else if (c->state == TURN_FAILED) {
		fprintf(stderr, "proxy: relay: %s\n", c->error);
	}
}

static void on_chan(void *ctx, const struct turn_peer *p, bool up_)
{
	if (!ep_eq(&p->ep, &peer))
		return;
	chan_hdr[0] = p->channel >> 8;
	chan_hdr[1] = p->channel & 0xff;
	chan_ok = up_;
	fprintf(stderr, "proxy: channel 0x%04x %s\n", p->channel,
		up_ ? "bound" : "lost");
}

/* The peer's relayed address, once the bench has written it. */
static void peer_poll(void)
{
	char line[256], why[128];
	FILE *f;

	if (have_peer || !peer_file || tc.state != TURN_ALLOCATED)
		return;
	f = fopen(peer_file, "r");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \r\n")] = 0;
		if (ep_parse(line, &peer, why, sizeof(why))) {
			fprintf(stderr, "proxy: peer file: %s\n", why);
			exit(1);
		}
		have_peer = true;
		turn_peer_want(&tc, &peer, 0, now_ms());
	}
	fclose(f);
}

static void stats_line(char *s, size_t n)
{
	snprintf(s, n,
		 "packets=%llu tx_packets=%llu rx_packets=%llu tx_bytes=%llu rx_bytes=%llu drops=%llu\n",
		 tx_pkts + rx_pkts, tx_pkts, rx_pkts, tx_bytes, rx_bytes, drops);
}

/* sendmmsg all n messages; what the socket cannot take now is dropped,
 * as a full socket buffer drops a datagram. Returns the number sent. */
static int send_all(int fd, struct mmsghdr *m, int n)
{
	int done = 0, r;

	while (done < n) {
		r = sendmmsg(fd, m + done, n - done, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN/ENOBUFS, or ECONNREFUSED from an earlier ICMP:
			 * drop this datagram and go on. */
			done++;
			drops++;
			continue;
		}
		done += r;
	}
	return n;
}

/* WireGuard -> relay: receive each datagram 4 bytes into its buffer, put
 * the ChannelData header in front, send the batch. */
static void from_wg(void)
{
	int n, i;

	for (i = 0; i < BATCH; i++) {
		up.iov[i].iov_base = up.buf[i] + WGT_CHANDATA_HLEN;
		up.iov[i].iov_len = BUFSZ - WGT_CHANDATA_HLEN;
		up.msg[i].msg_hdr.msg_iov = &up.iov[i];
		up.msg[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(local_fd, up.msg, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	if (!chan_ok) {
		drops += n;
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned len = up.msg[i].msg_len;
		uint8_t *b = up.buf[i];

		b[0] = chan_hdr[0];
		b[1] = chan_hdr[1];
		b[2] = len >> 8;
		b[3] = len & 0xff;
		up.oiov[i].iov_base = b;
		up.oiov[i].iov_len = len + WGT_CHANDATA_HLEN;
		up.out[i].msg_hdr.msg_iov = &up.oiov[i];
		up.out[i].msg_hdr.msg_iovlen = 1;
		tx_bytes += len;
	}
	send_all(relay_fd, up.out, n);
	tx_pkts += n;
}

/* relay -> WireGuard: ChannelData on our channel is passed on from
 * offset 4; STUN goes to the TURN client. */
static void from_relay(void)
{
	int n, i, m = 0;

	for (i = 0; i < BATCH; i++) {
		down.iov[i].iov_base = down.buf[i];
		down.iov[i].iov_len = BUFSZ;
		down.msg[i].msg_hdr.msg_iov = &down.iov[i];
		down.msg[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(relay_fd, down.msg, BATCH, MSG_DONTWAIT, NULL);
	for (i = 0; i < n; i++) {
		unsigned len = down.msg[i].msg_len;
		uint8_t *b = down.buf[i];

		if (len >= WGT_CHANDATA_HLEN && chan_ok &&
		    b[0] == chan_hdr[0] && b[1] == chan_hdr[1]) {
			unsigned dl = (unsigned)b[2] << 8 | b[3];

			if (dl > len - WGT_CHANDATA_HLEN) {
				drops++;
				continue;
			}
			down.oiov[m].iov_base = b + WGT_CHANDATA_HLEN;
			down.oiov[m].iov_len = dl;
			down.out[m].msg_hdr.msg_iov = &down.oiov[m];
			down.out[m].msg_hdr.msg_iovlen = 1;
			rx_bytes += dl;
			m++;
		} else if (stun_classify(b, len) == STUN_KIND_STUN) {
			turn_input(&tc, b, len, now_ms());
			stun_seen = true;
		} else {
			drops++;
		}
	}
	if (m) {
		send_all(local_fd, down.out, m);
		rx_pkts += m;
	}
}

static char *read_password(const char *path)
{
	static char pw[256];
	FILE *f = fopen(path, "r");

	if (!f || !fgets(pw, sizeof(pw), f))
		die(path);
	fclose(f);
	pw[strcspn(pw, "\r\n")] = 0;
	return pw;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: proxy --listen ADDR:PORT --wg ADDR:PORT --relay ADDR:PORT\n"
		"             --username USER --password-file FILE\n"
		"             --relayed-file OUT --peer-file IN [--stats-file OUT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", 1, 0, 'l' }, { "wg", 1, 0, 'w' },
		{ "relay", 1, 0, 'r' }, { "username", 1, 0, 'u' },
		{ "password-file", 1, 0, 'p' }, { "relayed-file", 1, 0, 'R' },
		{ "peer-file", 1, 0, 'P' }, { "stats-file", 1, 0, 's' },
		{ 0 }
	};
	const char *listen_s = NULL, *wg_s = NULL, *relay_s = NULL,
		   *user = NULL, *pwfile = NULL;
	struct wgt_ep listen_ep, wg_ep, relay_ep;
	struct epoll_event ev, evs[4];
	char why[128], line[256];
	sigset_t mask;
	int o, ep, sfd;
	bool stop = false;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l': listen_s = optarg; break;
		case 'w': wg_s = optarg; break;
		case 'r': relay_s = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pwfile = optarg; break;
		case 'R': relayed_file = optarg; break;
		case 'P': peer_file = optarg; break;
		case 's': stats_file = optarg; break;
		default: usage();
		}
	}
	if (!listen_s || !wg_s || !relay_s || !user || !pwfile || !peer_file)
		usage();
	if (ep_parse(listen_s, &listen_ep, why, sizeof(why)) ||
	    ep_parse(wg_s, &wg_ep, why, sizeof(why)) ||
	    ep_parse(relay_s, &relay_ep, why, sizeof(why))) {
		fprintf(stderr, "proxy: %s\n", why);
		return 2;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd");

	local_fd = udp_connected(&listen_ep, &wg_ep);
	relay_fd = udp_connected(NULL, &relay_ep);

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll");
	ev.events = EPOLLIN;
	ev.data.fd = local_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, local_fd, &ev);
	ev.data.fd = relay_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, relay_fd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);

	turn_init(&tc, &relay_ep, user, read_password(pwfile), turn_send, NULL);
	snprintf(tc.software, sizeof(tc.software), "wgturn-bench-proxy");
	tc.on_state = on_state;
	tc.on_chan = on_chan;
	tc.keepalive_ms = 15000;
	turn_start(&tc, now_ms());

	/* The TURN client's timers are looked at when due, not per batch. */
	uint64_t next_tick = now_ms();

	while (!stop) {
		uint64_t now = now_ms();
		int wait = next_tick > now ? (int)(next_tick - now) : 0, n, i;

		if (!have_peer && wait > 100)
			wait = 100;
		n = epoll_wait(ep, evs, 4, wait);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == local_fd) {
				from_wg();
			} else if (fd == relay_fd) {
				from_relay();
			} else if (fd == sfd) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo != SIGUSR1) {
						stop = true;
					} else if (stats_file) {
						stats_line(line, sizeof(line));
						write_file(stats_file, line);
					}
				}
			}
		}
		now = now_ms();
		if (now >= next_tick || stun_seen || !have_peer) {
			stun_seen = false;
			turn_tick(&tc, now);
			peer_poll();
			next_tick = now + turn_next_ms(&tc, now);
		}
	}
	turn_shutdown(&tc, now_ms());
	stats_line(line, sizeof(line));
	printf("proxy: %s", line);
	if (stats_file)
		write_file(stats_file, line);
	return 0;
}
