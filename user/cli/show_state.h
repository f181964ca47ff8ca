/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `show` reads two sources: the datapath's maps (what is, now) and the
 * daemon's state file (what the daemon saw, with absolute times). These
 * read the state file's JSON: fields, ages computed now, whether the
 * daemon that wrote it still runs.
 */
#ifndef WGT_SHOW_STATE_H
#define WGT_SHOW_STATE_H

#include <net/if.h>
#include <stdbool.h>
#include <json-c/json.h>
#include "wgturn.h"

/* One datapath endpoint as show reads it from the maps. */
struct peer_view {
	struct wgt_ep ep;
	struct wgt_path path;
	struct wgt_stats st;
};

/* The wall clock, ms since the epoch (the state file's times). */
long long epoch_now_ms(void);
/* The datapath's clock (CLOCK_MONOTONIC; bpf_ktime_get_coarse_ns), in ns. */
__u64 now_ns(void);
/* ms since t, or -1 for never (t 0). */
long long ms_ago(__u64 t, __u64 now);
const char *ifname_of(__u32 ifindex, char *buf);

/* Everything show prints for one instance. */
struct show_data {
	const char *name;
	const struct wgt_config *cfg;
	const struct wgt_uplink *up;	/* WGT_MAX_UPLINKS */
	const __u64 *cnt;		/* WGT_REASON_MAX */
	const struct peer_view *pv;
	int n;
	json_object *st;		/* the daemon's state, or NULL */
};

/* A string, integer or object field of o (NULL-safe). */
const char *st_str(json_object *o, const char *key);
bool st_int(json_object *o, const char *key, long long *out);
json_object *obj(json_object *o, const char *key);
/* Milliseconds since o's epoch-ms field key, or -1. */
long long st_ago(json_object *o, const char *key);
/* Is the daemon that wrote st still running? */
bool daemon_running(json_object *st);
/* Seconds until the allocation expires (a new object), or NULL. */
json_object *expires_in(json_object *st);
/* ms as a JSON integer, or NULL for -1 (never). */
json_object *ms_json(long long ms);
/* The daemon's TURN view of ep (permission, channel), or NULL. */
json_object *relay_peer(json_object *st, const struct wgt_ep *ep);
/* WireGuard's peer whose endpoint is a, or NULL. */
json_object *wg_peer_by_ep(json_object *st, const char *a);
/* fn(ctx, peer) for WireGuard peers the datapath has no entry for. */
void for_unmapped(json_object *st, const struct peer_view *pv, int n,
		  void (*fn)(void *, json_object *), void *ctx);

void show_text(const struct show_data *d);
json_object *show_json(const struct show_data *d);
/* Tab-separated lines; prefix (`show all dump`): the first column of each. */
void show_dump(const struct show_data *d, const char *prefix);

#endif
