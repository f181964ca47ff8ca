// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "base/log.h"
#include "wg_watch.h"

int wg_watch_open(struct wg_watch *w, const char *ifname,
		  uint16_t *listen_port, char *why, size_t len)
{
	int rc = wg_open(&w->dev, ifname, why, len);

	if (!rc)
		rc = wg_snapshot(&w->dev, &w->snap[0], why, len);
	if (rc)
		return rc;
	*listen_port = w->snap[0].listen_port;
	w->has_pubkey = w->snap[0].has_pubkey;
	memcpy(w->pubkey, w->snap[0].pubkey, WG_KEY_LEN);
	/* Empty: the first poll reports every peer as added. */
	wg_snapshot_reset(&w->snap[0]);
	w->cur = 0;
	return 0;
}

void wg_watch_close(struct wg_watch *w)
{
	wg_close(&w->dev);
	wg_snapshot_free(&w->snap[0]);
	wg_snapshot_free(&w->snap[1]);
}

static void watch_poll(struct wg_watch *w)
{
	struct wg_snapshot *old = &w->snap[w->cur], *cur = &w->snap[!w->cur];
	char why[WG_ERRLEN];

	if (wg_snapshot(&w->dev, cur, why, sizeof(why))) {
		pr_warn("%s", why);
		return;
	}
	wg_diff(old, cur, WG_CH_ADDED | WG_CH_REMOVED | WG_CH_ENDPOINT,
		w->on_peer, w->ctx);
	w->cur = !w->cur;
}

static int watch_next(void *ctx, uint64_t now)
{
	struct wg_watch *w = ctx;

	return w->next_ms > now ? (int)(w->next_ms - now) : 0;
}

static void watch_tick(void *ctx, uint64_t now)
{
	struct wg_watch *w = ctx;

	if (now < w->next_ms)
		return;
	w->next_ms = now + WG_WATCH_MS;
	watch_poll(w);
}

void wg_watch_source(struct wg_watch *w, struct ev_source *s)
{
	*s = (struct ev_source){ .name = "wireguard", .fd = -1, .ctx = w,
				 .next_ms = watch_next, .tick = watch_tick };
}

const struct wg_snapshot *wg_watch_now(const struct wg_watch *w)
{
	return &w->snap[w->cur];
}

void wg_watch_soon(struct wg_watch *w)
{
	w->next_ms = 0;
}
