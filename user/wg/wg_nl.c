// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel module's generic netlink family "wireguard": a
 * WG_CMD_GET_DEVICE dump (one device, its peers spread over as many
 * messages as they need, a peer possibly continued in the next message)
 * and WG_CMD_SET_DEVICE for one peer's endpoint.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include "wg_backend.h"

#define NSEC_PER_SEC 1000000000ull
#define RECV_BUF 32768	/* a dump message can exceed one page */

/* ---- Attribute walking ---- */

typedef int (*attr_fn)(const struct nlattr *a, void *data);

/* Like mnl_attr_parse, but a truncated attribute is an error instead of
 * a quiet end of the list. */
static int walk(const void *start, size_t len, attr_fn fn, void *data)
{
	size_t off = 0;
	int rc;

	while (off < len) {
		const struct nlattr *a = (const void *)((const char *)start + off);

		if (len - off > INT32_MAX || !mnl_attr_ok(a, (int)(len - off)))
			return -EPROTO;
		rc = fn(a, data);
		if (rc)
			return rc;
		off += MNL_ALIGN(a->nla_len);
	}
	return 0;
}

static int walk_nested(const struct nlattr *nest, attr_fn fn, void *data)
{
	return walk(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest),
		    fn, data);
}

static int walk_msg(const struct nlmsghdr *nlh, attr_fn fn, void *data)
{
	size_t hdr = MNL_ALIGN(sizeof(struct genlmsghdr));

	if (mnl_nlmsg_get_payload_len(nlh) < hdr)
		return -EPROTO;
	return walk(mnl_nlmsg_get_payload_offset(nlh, hdr),
		    mnl_nlmsg_get_payload_len(nlh) - hdr, fn, data);
}

static int want_len(const struct nlattr *a, size_t len)
{
	return mnl_attr_get_payload_len(a) == len ? 0 : -EPROTO;
}

/* ---- Parsing a GET_DEVICE reply ---- */

enum { HAVE_KEY = 1, HAVE_EP = 2, HAVE_KA = 4, HAVE_HS = 8, HAVE_RX = 16,
       HAVE_TX = 32 };

struct nl_peer {
	struct wg_peer p;
	uint32_t have;
};

int wg_nl_parse_sockaddr(const void *p, size_t len, struct wgt_ep *ep)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	sa_family_t fam;

	memset(ep, 0, sizeof(*ep));
	if (len < sizeof(fam))
		return -EPROTO;
	memcpy(&fam, p, sizeof(fam));
	if (fam == AF_INET && len >= sizeof(s4)) {
		memcpy(&s4, p, sizeof(s4));
		memcpy(ep->addr, &s4.sin_addr, 4);
		ep->port = ntohs(s4.sin_port);
		ep->family = WGT_AF_INET;
	} else if (fam == AF_INET6 && len >= sizeof(s6)) {
		memcpy(&s6, p, sizeof(s6));
		memcpy(ep->addr, &s6.sin6_addr, 16);
		ep->port = ntohs(s6.sin6_port);
		ep->family = WGT_AF_INET6;
		wg_ep_normalize(ep);
	} else {
		return -EPROTO;
	}
	return 0;
}

static int parse_handshake(const struct nlattr *a, uint64_t *ns)
{
	struct __kernel_timespec ts;

	if (want_len(a, sizeof(ts)))
		return -EPROTO;
	memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 ||
	    (uint64_t)ts.tv_nsec >= NSEC_PER_SEC ||
	    (uint64_t)ts.tv_sec > (UINT64_MAX - NSEC_PER_SEC) / NSEC_PER_SEC)
		return -EPROTO;
	*ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	return 0;
}

struct nl_allowed {
	uint16_t family;
	uint8_t cidr;
	bool have_cidr;
	const void *addr;
	size_t addr_len;
};

static int allowed_attr(const struct nlattr *a, void *data)
{
	struct nl_allowed *al = data;

	switch (mnl_attr_get_type(a)) {
	case WGALLOWEDIP_A_FAMILY:
		if (want_len(a, sizeof(uint16_t)))
			return -EPROTO;
		al->family = mnl_attr_get_u16(a);
		return 0;
	case WGALLOWEDIP_A_IPADDR:
		al->addr = mnl_attr_get_payload(a);
		al->addr_len = mnl_attr_get_payload_len(a);
		return 0;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (want_len(a, sizeof(uint8_t)))
			return -EPROTO;
		al->cidr = mnl_attr_get_u8(a);
		al->have_cidr = true;
		return 0;
	default:
		return 0;
	}
}

/* One allowed IP: family, address of its size, prefix length. */
static int allowed_nest(const struct nlattr *a, void *data)
{
	struct nl_allowed al = { 0 };
	int rc;

	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return -EPROTO;
	rc = walk_nested(a, allowed_attr, &al);
	if (rc)
		return rc;
	if (!al.addr || !al.have_cidr ||
	    al.addr_len != (al.family == AF_INET ? 4u : 16u))
		return -EPROTO;
	return wg_peer_add_allowed(data, al.family, al.addr, al.cidr);
}

static int peer_attr(const struct nlattr *a, void *data)
{
	struct nl_peer *np = data;
	const void *v = mnl_attr_get_payload(a);

	switch (mnl_attr_get_type(a)) {
	case WGPEER_A_PUBLIC_KEY:
		if (want_len(a, WG_KEY_LEN))
			return -EPROTO;
		memcpy(np->p.pubkey, v, WG_KEY_LEN);
		np->have |= HAVE_KEY;
		return 0;
	case WGPEER_A_ENDPOINT:
		np->have |= HAVE_EP;
		return wg_nl_parse_sockaddr(v, mnl_attr_get_payload_len(a),
					    &np->p.endpoint);
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (want_len(a, sizeof(uint16_t)))
			return -EPROTO;
		np->p.keepalive = mnl_attr_get_u16(a);
		np->have |= HAVE_KA;
		return 0;
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		np->have |= HAVE_HS;
		return parse_handshake(a, &np->p.handshake_ns);
	case WGPEER_A_RX_BYTES:
	case WGPEER_A_TX_BYTES:
		if (want_len(a, sizeof(uint64_t)))
			return -EPROTO;
		if (mnl_attr_get_type(a) == WGPEER_A_RX_BYTES) {
			np->p.rx_bytes = mnl_attr_get_u64(a);
			np->have |= HAVE_RX;
		} else {
			np->p.tx_bytes = mnl_attr_get_u64(a);
			np->have |= HAVE_TX;
		}
		return 0;
	case WGPEER_A_ALLOWEDIPS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return -EPROTO;
		return walk_nested(a, allowed_nest, &np->p);
	default:
		return 0;	/* preshared key, newer attributes */
	}
}

/* Only what this message carries: a continued peer has just its key. */
static void peer_merge(struct wg_peer *dst, const struct nl_peer *np)
{
	if (np->have & HAVE_EP)
		dst->endpoint = np->p.endpoint;
	if (np->have & HAVE_KA)
		dst->keepalive = np->p.keepalive;
	if (np->have & HAVE_HS)
		dst->handshake_ns = np->p.handshake_ns;
	if (np->have & HAVE_RX)
		dst->rx_bytes = np->p.rx_bytes;
	if (np->have & HAVE_TX)
		dst->tx_bytes = np->p.tx_bytes;
	/* A peer's allowed IPs may continue in the next message. */
	for (uint16_t i = 0; i < np->p.n_allowed; i++)
		wg_peer_add_allowed(dst,
				    np->p.allowed[i].family == WGT_AF_INET ?
					    AF_INET : AF_INET6,
				    np->p.allowed[i].addr,
				    np->p.allowed[i].cidr);
	dst->allowed_more |= np->p.allowed_more;
}

static int peer_nest(const struct nlattr *a, void *data)
{
	struct wg_snapshot *snap = data;
	struct nl_peer np = { 0 };
	struct wg_peer *dst;
	int rc = 0;

	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return -EPROTO;
	rc = walk_nested(a, peer_attr, &np);
	if (rc)
		return rc;
	if (!(np.have & HAVE_KEY))
		return -EPROTO;
	dst = wg_snapshot_peer(snap, np.p.pubkey, &rc);
	if (!dst)
		return rc;
	peer_merge(dst, &np);
	return 0;
}

static int device_attr(const struct nlattr *a, void *data)
{
	struct wg_snapshot *snap = data;

	switch (mnl_attr_get_type(a)) {
	case WGDEVICE_A_LISTEN_PORT:
		if (want_len(a, sizeof(uint16_t)))
			return -EPROTO;
		snap->listen_port = mnl_attr_get_u16(a);
		return 0;
	case WGDEVICE_A_FWMARK:
		if (want_len(a, sizeof(uint32_t)))
			return -EPROTO;
		snap->fwmark = mnl_attr_get_u32(a);
		return 0;
	case WGDEVICE_A_PUBLIC_KEY:
		if (want_len(a, WG_KEY_LEN))
			return -EPROTO;
		memcpy(snap->pubkey, mnl_attr_get_payload(a), WG_KEY_LEN);
		/* all zeros: no private key set */
		for (int i = 0; i < WG_KEY_LEN; i++)
			snap->has_pubkey |= snap->pubkey[i] != 0;
		return 0;
	case WGDEVICE_A_PRIVATE_KEY:
		if (want_len(a, WG_KEY_LEN))
			return -EPROTO;
		if (snap->private_out)
			memcpy(snap->private_out, mnl_attr_get_payload(a),
			       WG_KEY_LEN);
		return 0;
	case WGDEVICE_A_PEERS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return -EPROTO;
		return walk_nested(a, peer_nest, snap);
	default:
		return 0;	/* keys, ifindex, ifname, newer attributes */
	}
}

int wg_nl_parse_device(const struct nlmsghdr *nlh, struct wg_snapshot *snap)
{
	return walk_msg(nlh, device_attr, snap);
}

struct dump_ctx {
	struct wg_snapshot *snap;
	int rc;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;

	ctx->rc = wg_nl_parse_device(nlh, ctx->snap);
	return ctx->rc ? MNL_CB_ERROR : MNL_CB_OK;
}

int wg_nl_dump_run(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		   struct wg_snapshot *snap)
{
	struct dump_ctx ctx = { .snap = snap };
	int rc;

	errno = 0;
	rc = mnl_cb_run(buf, len, seq, portid, dump_cb, &ctx);
	if (ctx.rc)
		return ctx.rc;
	if (rc < 0)	/* NLMSG_ERROR (errno set) or a bad header */
		return errno ? -errno : -EPROTO;
	if (rc == MNL_CB_STOP)
		return wg_snapshot_finish(snap);
	return 1;
}

/* ---- Family resolution ---- */

static int family_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) != CTRL_ATTR_FAMILY_ID)
		return 0;
	if (want_len(a, sizeof(uint16_t)))
		return -EPROTO;
	*(uint16_t *)data = mnl_attr_get_u16(a);
	return 0;
}

int wg_nl_parse_family(const struct nlmsghdr *nlh, uint16_t *id)
{
	int rc;

	*id = 0;
	rc = walk_msg(nlh, family_attr, id);
	if (rc)
		return rc;
	return *id ? 0 : -EPROTO;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return wg_nl_parse_family(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}

/* ---- Requests ---- */

static struct nlmsghdr *genl_req(void *buf, size_t len, uint16_t type,
				 uint16_t flags, uint32_t seq, uint8_t cmd,
				 uint8_t version)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	if (len < WG_NL_REQ_MIN)
		return NULL;
	memset(buf, 0, WG_NL_REQ_MIN);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *wg_nl_get_req(void *buf, size_t len, uint16_t family,
			       uint32_t seq, const char *ifname)
{
	struct nlmsghdr *nlh;

	nlh = genl_req(buf, len, family, NLM_F_ACK | NLM_F_DUMP, seq,
		       WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	if (nlh)
		mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	return nlh;
}

static size_t ep_sockaddr(const struct wgt_ep *ep, void *out)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	if (ep->family == WGT_AF_INET) {
		memcpy(&s4.sin_addr, ep->addr, 4);
		s4.sin_port = htons(ep->port);
		memcpy(out, &s4, sizeof(s4));
		return sizeof(s4);
	}
	memcpy(&s6.sin6_addr, ep->addr, 16);
	s6.sin6_port = htons(ep->port);
	memcpy(out, &s6, sizeof(s6));
	return sizeof(s6);
}

struct nlmsghdr *wg_nl_set_endpoint_req(void *buf, size_t len,
					uint16_t family, uint32_t seq,
					const char *ifname,
					const uint8_t key[WG_KEY_LEN],
					const struct wgt_ep *ep)
{
	struct sockaddr_in6 sa;
	struct nlattr *peers, *peer;
	struct nlmsghdr *nlh;
	size_t salen = ep_sockaddr(ep, &sa);

	nlh = genl_req(buf, len, family, NLM_F_ACK, seq, WG_CMD_SET_DEVICE,
		       WG_GENL_VERSION);
	if (!nlh)
		return NULL;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	/* update only: never create a peer by setting its endpoint */
	mnl_attr_put_u32(nlh, WGPEER_A_FLAGS, WGPEER_F_UPDATE_ONLY);
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, salen, &sa);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	return nlh;
}

/* ---- Socket ---- */

void wg_nl_strerror(int rc, const char *ifname, char *err, size_t errlen)
{
	switch (rc) {
	case -ENODEV:
		wg_seterr(err, errlen, "%s: no such interface", ifname);
		break;
	case -EOPNOTSUPP:
		wg_seterr(err, errlen, "%s: not a WireGuard interface", ifname);
		break;
	case -EPERM:
	case -EACCES:
		wg_seterr(err, errlen,
			  "%s: permission denied (WireGuard netlink needs CAP_NET_ADMIN)",
			  ifname);
		break;
	case -ENOENT:
		wg_seterr(err, errlen,
			  "generic netlink family \"wireguard\" not found: kernel WireGuard module not available");
		break;
	case -EPROTO:
		wg_seterr(err, errlen, "%s: malformed netlink reply", ifname);
		break;
	case -EAGAIN:
	case -ETIMEDOUT:
		wg_seterr(err, errlen, "%s: no netlink reply within 2 s",
			  ifname);
		break;
	default:
		wg_seterr(err, errlen, "%s: netlink: %s", ifname,
			  strerror(-rc));
	}
}

static int recv_replies(struct wg_dev *dev, uint32_t seq, char *buf,
			mnl_cb_t cb, void *data, struct wg_snapshot *snap)
{
	uint32_t portid = mnl_socket_get_portid(dev->nl);
	ssize_t n;
	int rc;

	do {
		n = mnl_socket_recvfrom(dev->nl, buf, RECV_BUF);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (snap) {
			rc = wg_nl_dump_run(buf, (size_t)n, seq, portid, snap);
		} else {
			errno = 0;
			rc = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
			if (rc < 0)
				rc = errno ? -errno : -EPROTO;
		}
	} while (rc > 0);
	return rc;
}

/* Send one request, run every reply through cb (or into snap, for a
 * dump) until DONE or the ACK. */
static int talk(struct wg_dev *dev, struct nlmsghdr *req, mnl_cb_t cb,
		void *data, struct wg_snapshot *snap)
{
	char *buf;
	int rc;

	if (mnl_socket_sendto(dev->nl, req, req->nlmsg_len) < 0)
		return -errno;
	buf = malloc(RECV_BUF);
	if (!buf)
		return -ENOMEM;
	rc = recv_replies(dev, req->nlmsg_seq, buf, cb, data, snap);
	explicit_bzero(buf, RECV_BUF);	/* the private key went by */
	free(buf);
	return rc;
}

static int resolve_family(struct wg_dev *dev)
{
	char buf[WG_NL_REQ_MIN];
	struct nlmsghdr *nlh;

	nlh = genl_req(buf, sizeof(buf), GENL_ID_CTRL, NLM_F_ACK,
		       ++dev->nl_seq, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	return talk(dev, nlh, family_cb, &dev->nl_family, NULL);
}

void wg_nl_close(struct wg_dev *dev)
{
	if (dev->nl)
		mnl_socket_close(dev->nl);
	dev->nl = NULL;
}

int wg_nl_open(struct wg_dev *dev, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = WG_IO_TIMEOUT_MS / 1000 };
	int rc;

	dev->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!dev->nl || mnl_socket_bind(dev->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		wg_nl_close(dev);
		wg_seterr(err, errlen, "generic netlink socket: %s",
			  strerror(-rc));
		return rc;
	}
	/* A kernel that never answers must not hang the daemon. */
	setsockopt(mnl_socket_get_fd(dev->nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	rc = resolve_family(dev);
	if (rc) {
		wg_nl_strerror(rc, dev->ifname, err, errlen);
		wg_nl_close(dev);
		return rc;
	}
	dev->backend = WG_BACKEND_NETLINK;
	return 0;
}

int wg_nl_available(char *err, size_t errlen)
{
	struct wg_dev dev = { 0 };
	int rc = wg_nl_open(&dev, err, errlen);

	wg_nl_close(&dev);
	return rc;
}

int wg_nl_get(struct wg_dev *dev, struct wg_snapshot *snap, char *err,
	      size_t errlen)
{
	char buf[WG_NL_REQ_MIN];
	struct nlmsghdr *nlh;
	int rc;

	wg_snapshot_reset(snap);
	nlh = wg_nl_get_req(buf, sizeof(buf), dev->nl_family, ++dev->nl_seq,
			    dev->ifname);
	rc = talk(dev, nlh, NULL, NULL, snap);
	if (rc) {
		wg_snapshot_reset(snap);
		wg_nl_strerror(rc, dev->ifname, err, errlen);
	}
	return rc;
}

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;	/* SET_DEVICE answers with the ACK only */
}

int wg_nl_set_endpoint(struct wg_dev *dev, const uint8_t key[WG_KEY_LEN],
		       const struct wgt_ep *ep, char *err, size_t errlen)
{
	char buf[WG_NL_REQ_MIN];
	struct nlmsghdr *nlh;
	int rc;

	nlh = wg_nl_set_endpoint_req(buf, sizeof(buf), dev->nl_family,
				     ++dev->nl_seq, dev->ifname, key, ep);
	rc = talk(dev, nlh, ack_cb, NULL, NULL);
	if (rc)
		wg_nl_strerror(rc, dev->ifname, err, errlen);
	return rc;
}

const struct wg_ops wg_nl_ops = {
	.get = wg_nl_get,
	.set_endpoint = wg_nl_set_endpoint,
	.close = wg_nl_close,
};
