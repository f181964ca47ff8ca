/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rendezvous, a daemon subsystem: publishes this node's wgsd record
 * (where to send WireGuard now, and its candidates) by TSIG-signed
 * RFC 2136 UPDATE to the zone's primary, and reads each WireGuard peer's
 * record by public key from the same server (an authoritative answer,
 * no cache between). One UDP socket, on the event loop; dns/ builds and
 * reads the messages.
 *
 * Lookups run when a peer appears, when its record's TTL runs out, and
 * at once when the daemon suspects the peer's path (rdv_suspect). Our own
 * record is read back the same way: a zone that lost it (a server
 * restored from an old file) gets it again.
 */
#ifndef WGT_RENDEZVOUS_H
#define WGT_RENDEZVOUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "base/evloop.h"
#include "dns/msg.h"
#include "upconf.h"

#define RDV_TTL_S 10		/* of what we publish */
#define RDV_RTO_MS 1000		/* DNS retransmission */
#define RDV_SENDS 3		/* per lookup or update */
#define RDV_SUSPECT_MS 500	/* lookups of a suspected peer, at most */
#define RDV_RETRY_MAX_MS 30000	/* updates back off to this */

struct rdv_lookup {
	struct dns_req req;		/* in flight while req.wire */
	uint8_t sends;
	uint64_t next_ms;		/* retransmission */
};

struct rdv_peer {
	uint8_t key[WGSD_KEY_LEN];
	bool self;			/* our own record: checked, not used */
	struct wgsd_record rec;		/* last answer with records */
	bool have_rec;
	uint64_t read_ms;		/* when rec was read */
	uint64_t next_ms;		/* next lookup */
	struct rdv_lookup q;
	struct wgsd_record part;	/* the answer being read */
	char target[WGSD_NAME_MAX];	/* the SRV's, for A/AAAA */
	int err;			/* last lookup: 0 or -errno */
};

struct rendezvous;
/* A peer's record was read (p->rec). */
typedef void (*rdv_found_fn)(void *ctx, const struct rdv_peer *p);

struct rendezvous {
	const struct rdv_conf *conf;
	struct dns_tsig key;
	int fd;
	struct sockaddr_storage server;	/* where fd is connected */
	socklen_t server_len;
	/* publishing */
	uint8_t self[WGSD_KEY_LEN];
	struct wgsd_record want;	/* endpoint.family 0: not yet */
	bool published;			/* want is what the zone has */
	struct rdv_lookup upd;
	struct wgsd_record upd_sent;	/* what the UPDATE in flight says */
	uint64_t upd_retry_ms, upd_backoff_ms;
	uint64_t last_publish_ms;
	int upd_err;			/* last result: 0 or -errno */
	struct wgt_err upd_e;
	bool err_logged;		/* one log line per kind of failure */
	bool strict;			/* during `up`: a refusal is final,
					 * left to the caller to report */
	/* resolving */
	struct rdv_peer *peers;
	int n_peers, cap;
	rdv_found_fn on_found;
	void *ctx;
};

/* Read the key, open the socket towards the server. */
int rdv_open(struct rendezvous *r, const struct rdv_conf *conf,
	     const uint8_t self[WGSD_KEY_LEN], char *why, size_t len);
void rdv_close(struct rendezvous *r);
/* A new socket to the server (the uplink's address changed: the old one
 * is bound to it). Requests in flight go on through the new one. */
int rdv_reopen(struct rendezvous *r);
void rdv_source(struct rendezvous *r, struct ev_source *s);
/* What this node publishes now; an UPDATE goes out when it changed. */
void rdv_publish(struct rendezvous *r, const struct wgsd_record *rec,
		 uint64_t now_ms);
/* Start removing our records (down); done when !rdv_busy(). */
void rdv_unpublish(struct rendezvous *r, uint64_t now_ms);
bool rdv_busy(const struct rendezvous *r);
/* WireGuard peers come and go. */
void rdv_peer_add(struct rendezvous *r, const uint8_t key[WGSD_KEY_LEN],
		  uint64_t now_ms);
void rdv_peer_del(struct rendezvous *r, const uint8_t key[WGSD_KEY_LEN]);
/* The path to key looks dead: read its record again soon. */
void rdv_suspect(struct rendezvous *r, const uint8_t key[WGSD_KEY_LEN],
		 uint64_t now_ms);
const struct rdv_peer *rdv_peer_find(const struct rendezvous *r,
				     const uint8_t key[WGSD_KEY_LEN]);

#endif
