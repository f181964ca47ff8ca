/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The WireGuard watcher, a daemon subsystem: reads the interface every
 * WG_WATCH_MS and reports each peer whose presence or endpoint changed
 * (wg_diff) to a callback. The first read reports every peer.
 */
#ifndef WGT_WG_WATCH_H
#define WGT_WG_WATCH_H

#include "base/evloop.h"
#include "wg/wg.h"

#define WG_WATCH_MS 1000

struct wg_watch {
	struct wg_dev dev;
	struct wg_snapshot snap[2];	/* previous and current */
	int cur;
	bool has_pubkey;		/* the interface's own public key */
	uint8_t pubkey[WG_KEY_LEN];
	uint64_t next_ms;
	wg_diff_fn on_peer;
	void *ctx;
};

/* Open ifname and read it once; *listen_port is WireGuard's port. */
int wg_watch_open(struct wg_watch *w, const char *ifname,
		  uint16_t *listen_port, char *why, size_t len);
void wg_watch_close(struct wg_watch *w);
/* Its event-loop source (timers only). */
void wg_watch_source(struct wg_watch *w, struct ev_source *s);
/* Read the interface at the loop's next turn, not WG_WATCH_MS on: the
 * daemon has just changed it. */
void wg_watch_soon(struct wg_watch *w);
/* The latest read of the interface. */
const struct wg_snapshot *wg_watch_now(const struct wg_watch *w);

#endif
