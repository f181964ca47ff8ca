/* SPDX-License-Identifier: GPL-2.0 */
/*
 * WireGuard access, the backends' side: what wg.c dispatches to (an ops
 * table per backend) and what the backends share (wg_snapshot.c). Only
 * user/wg*.c and the unit tests include this; everyone else uses wg.h.
 */
#ifndef WGT_WG_BACKEND_H
#define WGT_WG_BACKEND_H

#include "wg.h"

/* One backend: how wg_snapshot(), wg_set_endpoint() and wg_close() reach
 * it once wg_open() picked it. close may be NULL. */
struct wg_ops {
	int (*get)(struct wg_dev *dev, struct wg_snapshot *snap, char *err,
		   size_t errlen);
	int (*set_endpoint)(struct wg_dev *dev, const uint8_t key[WG_KEY_LEN],
			    const struct wgt_ep *ep, char *err, size_t errlen);
	void (*close)(struct wg_dev *dev);
};

extern const struct wg_ops wg_uapi_ops;
extern const struct wg_ops wg_nl_ops;

/* snprintf into err if err is not NULL. */
void wg_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A peer for key: the last one if it has the same key (a netlink dump
 * continues a peer across messages), else a new zeroed one; NULL with
 * -ENOMEM or -E2BIG in *rc. */
struct wg_peer *wg_snapshot_peer(struct wg_snapshot *snap,
				 const uint8_t key[WG_KEY_LEN], int *rc);
/* Sort by key; -EPROTO if a key appears twice. */
int wg_snapshot_finish(struct wg_snapshot *snap);
/* An IPv4-mapped IPv6 endpoint goes on the wire as IPv4: store it so. */
void wg_ep_normalize(struct wgt_ep *ep);
/* Append an allowed IP (AF_INET or AF_INET6 bytes); -EPROTO if invalid,
 * 0 with allowed_more set when the peer's list is full. */
int wg_peer_add_allowed(struct wg_peer *p, int af, const void *addr,
			unsigned int cidr);

/* UAPI: an incremental parser of a "get=1" or "set=1" reply, so any
 * split of the byte stream parses the same and no line can overflow. */
#define WG_UAPI_LINE_MAX 256

struct wg_uapi_parser {
	struct wg_snapshot *snap;	/* NULL: a set reply, errno only */
	int32_t peer;			/* index of the current peer, -1 none */
	uint32_t len;			/* bytes in line */
	bool overlong;			/* line exceeded the buffer */
	bool have_errno;
	bool done;
	int32_t remote_errno;		/* as the implementation sent it */
	char line[WG_UAPI_LINE_MAX];
};

void wg_uapi_parser_init(struct wg_uapi_parser *p, struct wg_snapshot *snap);
/* 1: reply complete (check remote_errno); 0: more input; <0: malformed
 * (-EPROTO) or out of memory. Bytes after the end are ignored. */
int wg_uapi_feed(struct wg_uapi_parser *p, const char *buf, size_t len);
/* Endpoint as the UAPI writes it: a.b.c.d:port, [v6]:port, [v6%zone]:port. */
int wg_uapi_parse_endpoint(const char *s, struct wgt_ep *ep);
/* The "set=1" request for one endpoint; -ENOSPC if buf is too small. */
int wg_uapi_set_endpoint_req(char *buf, size_t len,
			     const uint8_t key[WG_KEY_LEN],
			     const struct wgt_ep *ep);
int wg_uapi_open(struct wg_dev *dev, const char *path, char *err,
		 size_t errlen);
int wg_uapi_get(struct wg_dev *dev, struct wg_snapshot *snap, char *err,
		size_t errlen);
int wg_uapi_set_endpoint(struct wg_dev *dev, const uint8_t key[WG_KEY_LEN],
			 const struct wgt_ep *ep, char *err, size_t errlen);

/* Netlink: message builders and parsers work on plain buffers. */
struct nlmsghdr;

/* Resolve the "wireguard" generic netlink family; -ENOENT without the
 * kernel module. The socket is left open in dev on success. */
int wg_nl_open(struct wg_dev *dev, char *err, size_t errlen);
void wg_nl_close(struct wg_dev *dev);
/* 0 if the kernel has the family, -ENOENT if not, else an error. */
int wg_nl_available(char *err, size_t errlen);
int wg_nl_get(struct wg_dev *dev, struct wg_snapshot *snap, char *err,
	      size_t errlen);
int wg_nl_set_endpoint(struct wg_dev *dev, const uint8_t key[WG_KEY_LEN],
		       const struct wgt_ep *ep, char *err, size_t errlen);
struct nlmsghdr *wg_nl_get_req(void *buf, size_t len, uint16_t family,
			       uint32_t seq, const char *ifname);
#define WG_NL_REQ_MIN 512	/* buffer size the request builders need */
struct nlmsghdr *wg_nl_set_endpoint_req(void *buf, size_t len,
					uint16_t family, uint32_t seq,
					const char *ifname,
					const uint8_t key[WG_KEY_LEN],
					const struct wgt_ep *ep);
/* One WG_CMD_GET_DEVICE reply message into snap (call finish after the
 * last); -EPROTO on malformed attributes. */
int wg_nl_parse_device(const struct nlmsghdr *nlh, struct wg_snapshot *snap);
/* One received buffer of a dump: 1 more to come, 0 done (snap sorted),
 * <0 an error, the kernel's (e.g. -ENODEV, -EOPNOTSUPP) or -EPROTO. */
int wg_nl_dump_run(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		   struct wg_snapshot *snap);
/* CTRL_CMD_GETFAMILY reply: the family id. */
int wg_nl_parse_family(const struct nlmsghdr *nlh, uint16_t *id);
/* The one-line reason for a netlink error on ifname. */
void wg_nl_strerror(int rc, const char *ifname, char *err, size_t errlen);
/* Endpoint attribute payload: struct sockaddr_in or sockaddr_in6. */
int wg_nl_parse_sockaddr(const void *p, size_t len, struct wgt_ep *ep);

#endif
