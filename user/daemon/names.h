/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS names of peers (wgquick.h), a daemon subsystem: each is resolved
 * again through the system's resolver when its path goes silent and
 * every NAMES_PERIOD_MS, asynchronously (getaddrinfo_a), one at a time.
 * A plain WireGuard server behind dynamic DNS, with no wgturn of its own,
 * is followed within seconds of its address changing, not at the next
 * run of reresolve-dns.sh.
 */
#ifndef WGT_NAMES_H
#define WGT_NAMES_H

#include <stdbool.h>
#include <stdint.h>
#include "base/evloop.h"
#include "wgquick.h"

#define NAMES_PERIOD_MS 60000
#define NAMES_SUSPECT_MS 1000	/* a silent peer's name, at most this often */

struct names {
	struct named_peer *peers;
	uint64_t *next_ms;		/* per peer */
	int *err;			/* per peer: last EAI_* (0 ok) */
	int n;
	int family;			/* AF_INET or AF_INET6: the relay's */
	int busy;			/* peer being resolved, -1 none */
	bool started;			/* getaddrinfo_a runs threads: not
					 * before the daemon forks */
	struct names_req *rq;		/* getaddrinfo_a's, in names.c */
	void (*on_resolved)(void *ctx, const struct named_peer *p,
			    const struct wgt_ep *ep);
	void *ctx;
};

/* Peers named in the wg-quick config at path; n 0 is fine. */
int names_open(struct names *s, const char *path, int family, char *why,
	       size_t len);
void names_close(struct names *s);
void names_source(struct names *s, struct ev_source *src);
/* Start resolving (after the daemon is in the background: a fork loses
 * the resolver's threads, and their requests never finish). */
void names_start(struct names *s);
/* key's path went silent: resolve its name again soon. */
void names_suspect(struct names *s, const uint8_t key[WG_KEY_LEN],
		   uint64_t now_ms);

#endif
