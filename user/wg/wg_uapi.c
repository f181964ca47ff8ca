// SPDX-License-Identifier: GPL-2.0
/*
 * The cross-platform UAPI of userspace WireGuard (wireguard-go and
 * others): "get=1\n\n" or "set=1\n...\n\n" on a unix socket, answered by
 * key=value lines and "errno=N" then an empty line. The connection stays
 * open after a reply, so the empty line, not EOF, ends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "base/addr.h"
#include "wg_backend.h"

#define NSEC_PER_SEC 1000000000ull

/* ---- Parser ---- */

void wg_uapi_parser_init(struct wg_uapi_parser *p, struct wg_snapshot *snap)
{
	memset(p, 0, sizeof(*p));
	p->snap = snap;
	p->peer = -1;
	if (snap)
		wg_snapshot_reset(snap);
}

/* Strict decimal: digits only, no sign or spaces, at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EPROTO;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EPROTO;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -EPROTO;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Implementations differ on the sign of errno; keep what was sent. */
static int parse_errno(const char *s, int32_t *out)
{
	uint64_t v;
	bool neg = *s == '-';

	if (parse_u64(s + neg, INT32_MAX, &v))
		return -EPROTO;
	*out = neg ? -(int32_t)v : (int32_t)v;
	return 0;
}

int wg_uapi_parse_endpoint(const char *s, struct wgt_ep *ep)
{
	char buf[INET6_ADDRSTRLEN + 16], why[8];
	const char *pct = strchr(s, '%');
	size_t n = strlen(s);

	if (n >= sizeof(buf))
		return -EPROTO;
	memcpy(buf, s, n + 1);
	/* [fe80::1%eth0]:p -> [fe80::1]:p: the zone is not part of the
	 * address the datapath sees on the wire. */
	if (pct && s[0] == '[') {
		const char *close = strchr(pct, ']');

		if (!close)
			return -EPROTO;
		memmove(buf + (pct - s), buf + (close - s),
			n - (size_t)(close - s) + 1);
	}
	if (ep_parse(buf, ep, why, sizeof(why)))
		return -EPROTO;
	wg_ep_normalize(ep);
	return 0;
}

/* allowed_ip=ADDR/CIDR */
static int parse_allowed(struct wg_peer *peer, const char *v)
{
	char buf[INET6_ADDRSTRLEN + 5], *slash;
	uint8_t addr[16];
	uint64_t cidr;
	int af;

	if (strlen(v) >= sizeof(buf))
		return -EPROTO;
	strcpy(buf, v);
	slash = strchr(buf, '/');
	if (!slash || parse_u64(slash + 1, 128, &cidr))
		return -EPROTO;
	*slash = 0;
	af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, buf, addr) != 1)
		return -EPROTO;
	return wg_peer_add_allowed(peer, af, addr, (unsigned int)cidr);
}

static struct wg_peer *cur_peer(struct wg_uapi_parser *p)
{
	return p->peer < 0 ? NULL : &p->snap->peers[p->peer];
}

static int on_public_key(struct wg_uapi_parser *p, const char *v)
{
	uint8_t key[WG_KEY_LEN];
	int rc = 0;

	if (wg_key_from_hex(v, strlen(v), key))
		return -EPROTO;
	if (!wg_snapshot_peer(p->snap, key, &rc))
		return rc;
	p->peer = (int32_t)p->snap->n_peers - 1;
	return 0;
}

/* The UAPI gives the private key only: derive the public one, keep
 * nothing of the private (but for wg_private_key()). */
static int on_private_key(struct wg_uapi_parser *p, const char *v)
{
	uint8_t key[WG_KEY_LEN];
	int rc = -EPROTO;

	if (!wg_key_from_hex(v, strlen(v), key))
		rc = wg_key_public(key, p->snap->pubkey);
	if (!rc && p->snap->private_out)
		memcpy(p->snap->private_out, key, WG_KEY_LEN);
	explicit_bzero(key, sizeof(key));
	p->snap->has_pubkey = !rc;
	return rc;
}

static int on_peer_key(struct wg_uapi_parser *p, const char *k, const char *v)
{
	struct wg_peer *peer = cur_peer(p);
	uint64_t n;

	if (!peer)
		return -EPROTO;	/* a peer field before any public_key */
	if (!strcmp(k, "endpoint"))
		return wg_uapi_parse_endpoint(v, &peer->endpoint);
	if (!strcmp(k, "allowed_ip"))
		return parse_allowed(peer, v);
	if (!strcmp(k, "persistent_keepalive_interval")) {
		if (parse_u64(v, UINT16_MAX, &n))
			return -EPROTO;
		peer->keepalive = (uint16_t)n;
	} else if (!strcmp(k, "last_handshake_time_sec")) {
		if (parse_u64(v, (UINT64_MAX - NSEC_PER_SEC) / NSEC_PER_SEC, &n))
			return -EPROTO;
		/* sec and nsec may come in either order */
		peer->handshake_ns = n * NSEC_PER_SEC +
				     peer->handshake_ns % NSEC_PER_SEC;
	} else if (!strcmp(k, "last_handshake_time_nsec")) {
		if (parse_u64(v, NSEC_PER_SEC - 1, &n))
			return -EPROTO;
		peer->handshake_ns -= peer->handshake_ns % NSEC_PER_SEC;
		peer->handshake_ns += n;
	} else if (!strcmp(k, "rx_bytes")) {
		return parse_u64(v, UINT64_MAX, &peer->rx_bytes);
	} else if (!strcmp(k, "tx_bytes")) {
		return parse_u64(v, UINT64_MAX, &peer->tx_bytes);
	}
	return 0;
}

static const char *const peer_keys[] = {
	"allowed_ip", "endpoint", "persistent_keepalive_interval", "last_handshake_time_sec",
	"last_handshake_time_nsec", "rx_bytes", "tx_bytes",
};

/* Keys whose value we read: a truncated one cannot be ignored. */
static bool key_known(const char *k)
{
	if (!strcmp(k, "errno") || !strcmp(k, "listen_port") ||
	    !strcmp(k, "fwmark") || !strcmp(k, "public_key") ||
	    !strcmp(k, "private_key"))
		return true;
	for (size_t i = 0; i < sizeof(peer_keys) / sizeof(peer_keys[0]); i++)
		if (!strcmp(k, peer_keys[i]))
			return true;
	return false;
}

static int on_key(struct wg_uapi_parser *p, const char *k, const char *v)
{
	uint64_t n;

	if (!strcmp(k, "errno")) {
		p->have_errno = true;
		return parse_errno(v, &p->remote_errno);
	}
	if (!p->snap || !key_known(k))
		return 0;	/* set replies carry only errno; unknown keys */
	if (!strcmp(k, "listen_port")) {
		if (parse_u64(v, UINT16_MAX, &n))
			return -EPROTO;
		p->snap->listen_port = (uint16_t)n;
		return 0;
	}
	if (!strcmp(k, "fwmark")) {
		if (parse_u64(v, UINT32_MAX, &n))
			return -EPROTO;
		p->snap->fwmark = (uint32_t)n;
		return 0;
	}
	if (!strcmp(k, "public_key"))
		return on_public_key(p, v);
	if (!strcmp(k, "private_key") && p->peer < 0)
		return on_private_key(p, v);
	return on_peer_key(p, k, v);
}

static int end_of_reply(struct wg_uapi_parser *p)
{
	int rc;

	if (!p->have_errno)
		return -EPROTO;
	p->done = true;
	if (p->snap && !p->remote_errno) {
		rc = wg_snapshot_finish(p->snap);
		if (rc)
			return rc;
	}
	return 1;
}

static int end_of_line(struct wg_uapi_parser *p)
{
	char *eq;

	if (!p->len && !p->overlong)
		return end_of_reply(p);
	p->line[p->len] = 0;
	if (memchr(p->line, 0, p->len))
		return -EPROTO;
	eq = strchr(p->line, '=');
	if (!eq)
		/* no '=' in the kept part: only an overlong key, unknown */
		return p->overlong ? 0 : -EPROTO;
	*eq = 0;
	if (p->overlong)
		return key_known(p->line) ? -EPROTO : 0;
	return on_key(p, p->line, eq + 1);
}

int wg_uapi_feed(struct wg_uapi_parser *p, const char *buf, size_t len)
{
	int rc;

	for (size_t i = 0; i < len && !p->done; i++) {
		if (buf[i] != '\n') {
			if (p->len < sizeof(p->line) - 1)
				p->line[p->len++] = buf[i];
			else
				p->overlong = true;
			continue;
		}
		rc = end_of_line(p);
		p->len = 0;
		p->overlong = false;
		if (rc < 0)
			return rc;
	}
	/* The line may have held the private key. */
	if (p->done)
		explicit_bzero(p->line, sizeof(p->line));
	return p->done;
}

int wg_uapi_set_endpoint_req(char *buf, size_t len,
			     const uint8_t key[WG_KEY_LEN],
			     const struct wgt_ep *ep)
{
	char hex[2 * WG_KEY_LEN + 1], eps[EP_STRLEN];
	int n;

	wg_key_to_hex(key, hex);
	ep_str(ep, eps, sizeof(eps));
	/* update_only: never create a peer by setting its endpoint */
	n = snprintf(buf, len,
		     "set=1\npublic_key=%s\nupdate_only=true\nendpoint=%s\n\n",
		     hex, eps);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

/* ---- I/O, bounded by one deadline per request ---- */


static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events until deadline; -ETIMEDOUT past it. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int n;

	do {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int uapi_connect(const char *path, int *fd_out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	ssize_t n;
	int rc;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_reply(int fd, struct wg_uapi_parser *p, int64_t deadline)
{
	char buf[4096];
	ssize_t n;
	int rc = 0;

	while (rc == 0) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			rc = wait_fd(fd, POLLIN, deadline);
			continue;
		}
		if (n < 0)
			rc = -errno;
		else if (n == 0)
			rc = -ECONNRESET;	/* closed mid-reply */
		else
			rc = wg_uapi_feed(p, buf, (size_t)n);
	}
	explicit_bzero(buf, sizeof(buf));	/* private_key went by */
	return rc < 0 ? rc : 0;
}

static const char *connect_why(int rc)
{
	switch (rc) {
	case -EACCES:
	case -EPERM:
		return "permission denied (the UAPI socket is root's)";
	case -ECONNREFUSED:
		return "stale socket, nothing listening (implementation not running?)";
	default:
		return strerror(-rc);
	}
}

static const char *io_why(int rc)
{
	switch (rc) {
	case -EPROTO:
		return "malformed reply";
	case -ETIMEDOUT:
		return "no complete reply within 2 s";
	case -ECONNRESET:
		return "connection closed mid-reply";
	default:
		return strerror(-rc);
	}
}

/* One request and its reply on a fresh connection. */
static int transact(struct wg_dev *dev, const char *req, size_t len,
		    struct wg_uapi_parser *p, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + WG_IO_TIMEOUT_MS;
	int fd, rc;

	rc = uapi_connect(dev->sock_path, &fd);
	if (rc) {
		wg_seterr(err, errlen, "%s: %s", dev->sock_path, connect_why(rc));
		return rc;
	}
	rc = send_all(fd, req, len, deadline);
	if (!rc)
		rc = recv_reply(fd, p, deadline);
	close(fd);
	if (rc) {
		wg_seterr(err, errlen, "%s: %s", dev->sock_path, io_why(rc));
		return rc;
	}
	if (p->remote_errno) {
		int e = abs(p->remote_errno);

		wg_seterr(err, errlen, "%s: request failed: errno=%d (%s)",
		       dev->sock_path, p->remote_errno, strerror(e));
		return -e;
	}
	return 0;
}

int wg_uapi_open(struct wg_dev *dev, const char *path, char *err,
		 size_t errlen)
{
	int fd, rc;

	if (strlen(path) >= sizeof(dev->sock_path)) {
		wg_seterr(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	/* Connect once now so permission and staleness show at open. */
	rc = uapi_connect(path, &fd);
	if (rc) {
		wg_seterr(err, errlen, "%s: %s", path, connect_why(rc));
		return rc;
	}
	close(fd);
	strcpy(dev->sock_path, path);
	dev->backend = WG_BACKEND_UAPI;
	return 0;
}

int wg_uapi_get(struct wg_dev *dev, struct wg_snapshot *snap, char *err,
		size_t errlen)
{
	static const char req[] = "get=1\n\n";
	struct wg_uapi_parser p;
	int rc;

	wg_uapi_parser_init(&p, snap);
	rc = transact(dev, req, sizeof(req) - 1, &p, err, errlen);
	if (rc)
		wg_snapshot_reset(snap);
	return rc;
}

int wg_uapi_set_endpoint(struct wg_dev *dev, const uint8_t key[WG_KEY_LEN],
			 const struct wgt_ep *ep, char *err, size_t errlen)
{
	char req[256];
	struct wg_uapi_parser p;
	int n;

	n = wg_uapi_set_endpoint_req(req, sizeof(req), key, ep);
	if (n < 0) {
		wg_seterr(err, errlen, "set request too long");
		return n;
	}
	wg_uapi_parser_init(&p, NULL);
	return transact(dev, req, (size_t)n, &p, err, errlen);
}

/* Each call opens the socket anew: nothing to close. */
const struct wg_ops wg_uapi_ops = {
	.get = wg_uapi_get,
	.set_endpoint = wg_uapi_set_endpoint,
};
