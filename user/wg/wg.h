/* SPDX-License-Identifier: GPL-2.0 */
/*
 * WireGuard access: listen port and peers (public key, endpoint, latest
 * handshake, persistent keepalive) of one interface, from a userspace
 * implementation's UAPI socket or the kernel module's generic netlink
 * family, as one sorted snapshot that two polls can diff cheaply.
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * on failure, with a one-line message in err when err is not NULL. The
 * library never prints.
 *
 * Layers, calls pointing down only: wg.c (open, dispatch through the
 * backends' ops) -> wg_uapi.c, wg_nl.c (the backends, wg_backend.h) ->
 * wg_snapshot.c (snapshots, diff, keys: no I/O).
 */
#ifndef WGT_WG_H
#define WGT_WG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>
#include "wgturn.h"

#define WG_KEY_LEN	32
#define WG_KEY_B64LEN	45	/* 44 characters and the NUL */
#define WG_UAPI_DIR	"/var/run/wireguard"
#define WG_ERRLEN	256	/* enough for any message below */
#define WG_MAX_PEERS	65536	/* a bound on what a reply may make us allocate */
#define WG_IO_TIMEOUT_MS 2000	/* a hung implementation must not hang a poll */

#define WG_MAX_ALLOWED 16	/* allowed IPs kept per peer (tunnel MTU) */

struct wg_allowed {
	uint8_t addr[16];	/* IPv4 in the first 4 bytes */
	uint8_t family;		/* WGT_AF_INET or WGT_AF_INET6 */
	uint8_t cidr;
};

struct wg_peer {
	uint8_t pubkey[WG_KEY_LEN];
	struct wgt_ep endpoint;	/* family 0: no endpoint */
	uint16_t keepalive;	/* persistent keepalive, seconds; 0 = off */
	uint64_t handshake_ns;	/* latest handshake, Unix time; 0 = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint16_t n_allowed;
	bool allowed_more;	/* more than WG_MAX_ALLOWED: the rest dropped */
	struct wg_allowed allowed[WG_MAX_ALLOWED];
};

/* Peers are sorted by public key, each key once: wg_diff is one merge. */
struct wg_snapshot {
	uint16_t listen_port;	/* 0: not listening */
	uint32_t fwmark;
	bool has_pubkey;	/* the interface has a private key */
	uint8_t pubkey[WG_KEY_LEN];	/* its public key (never the private) */
	/* Set by wg_private_key() alone: where a read copies the private
	 * key; NULL (always, elsewhere): it is never kept. */
	uint8_t *private_out;
	uint32_t n_peers;
	uint32_t cap;		/* allocated peers; reused by the next poll */
	struct wg_peer *peers;
};

enum wg_backend {
	WG_BACKEND_NONE,
	WG_BACKEND_UAPI,	/* wireguard-go and other userspace ones */
	WG_BACKEND_NETLINK,	/* the kernel module */
};

struct mnl_socket;

struct wg_dev {
	char ifname[IF_NAMESIZE];
	enum wg_backend backend;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct mnl_socket *nl;
	uint16_t nl_family;
	uint32_t nl_seq;
};

/*
 * Open interface ifname: its UAPI socket <WG_UAPI_DIR>/<ifname>.sock if it
 * exists, else the kernel module over netlink. Errors name the cause:
 * no such interface (-ENODEV), socket permission (-EACCES), stale socket
 * (-ECONNREFUSED), not a WireGuard interface (-EOPNOTSUPP).
 */
int wg_open(struct wg_dev *dev, const char *ifname, char *err, size_t errlen);
/* The same with another socket directory (tests, other implementations). */
int wg_open_at(struct wg_dev *dev, const char *ifname, const char *uapi_dir,
	       char *err, size_t errlen);
void wg_close(struct wg_dev *dev);
const char *wg_backend_name(enum wg_backend b);

/* Read the device into snap, reusing its allocation. On error snap is
 * left empty (n_peers 0) but still valid to free or reuse. */
int wg_snapshot(struct wg_dev *dev, struct wg_snapshot *snap, char *err,
		size_t errlen);
void wg_snapshot_free(struct wg_snapshot *snap);
/* Empty snap (no peers), keeping its allocation for the next read. */
void wg_snapshot_reset(struct wg_snapshot *snap);
const struct wg_peer *wg_snapshot_find(const struct wg_snapshot *snap,
				       const uint8_t key[WG_KEY_LEN]);

/* Point an existing peer at ep. Never creates a peer: for a key that is
 * not configured this does nothing (WireGuard's update-only semantics). */
int wg_set_endpoint(struct wg_dev *dev, const uint8_t key[WG_KEY_LEN],
		    const struct wgt_ep *ep, char *err, size_t errlen);

/* What wg_diff reports, per peer; WG_CH_PORT only in its return value. */
enum wg_change {
	WG_CH_ADDED = 1u << 0,
	WG_CH_REMOVED = 1u << 1,
	WG_CH_ENDPOINT = 1u << 2,
	WG_CH_KEEPALIVE = 1u << 3,
	WG_CH_HANDSHAKE = 1u << 4,
	WG_CH_PORT = 1u << 5,
	WG_CH_ALLOWED = 1u << 6,
	WG_CH_ALL = (1u << 7) - 1,
};

/* old is NULL for an added peer, cur for a removed one. */
typedef void (*wg_diff_fn)(void *ctx, uint32_t what, const struct wg_peer *old,
			   const struct wg_peer *cur);

/* Compare two snapshots in one pass; call fn (may be NULL) for each peer
 * with a change in mask. Returns the union of the changes seen. */
uint32_t wg_diff(const struct wg_snapshot *old, const struct wg_snapshot *cur,
		 uint32_t mask, wg_diff_fn fn, void *ctx);

/* The X25519 public key of a private key (wg pubkey). */
int wg_key_public(const uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN]);
/* The X25519 shared secret of our private and a peer's public key (the
 * same on both sides). -EINVAL for a low-order public key. */
int wg_key_shared(const uint8_t priv[WG_KEY_LEN], const uint8_t pub[WG_KEY_LEN],
		  uint8_t out[WG_KEY_LEN]);
/* Read the interface's private key into out (root only). The caller
 * wipes it (explicit_bzero) as soon as it is used. -ENOKEY: none set. */
int wg_private_key(struct wg_dev *dev, uint8_t out[WG_KEY_LEN], char *err,
		   size_t errlen);

/* Keys as wg(8) shows them: standard base64, 44 characters. */
void wg_key_to_base64(const uint8_t key[WG_KEY_LEN], char out[WG_KEY_B64LEN]);
int wg_key_from_base64(const char *s, uint8_t key[WG_KEY_LEN]);
/* Keys as the UAPI writes them: 64 lowercase hex digits. */
void wg_key_to_hex(const uint8_t key[WG_KEY_LEN], char out[2 * WG_KEY_LEN + 1]);
int wg_key_from_hex(const char *s, size_t len, uint8_t key[WG_KEY_LEN]);

#endif
