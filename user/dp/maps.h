/* SPDX-License-Identifier: GPL-2.0 */
/* An attached instance's pinned maps, opened by path. */
#ifndef WGT_MAPS_USER_H
#define WGT_MAPS_USER_H

#include "pins.h"
#include "wgturn.h"

struct wgt_maps {
	int endpoints, channels, directs, relays, stats, counters, config,
	    uplinks;
};

struct wgt_err;

/* Open every map of the instance; -errno and e's message on error. */
int maps_open(const struct wgt_pins *p, struct wgt_maps *m, struct wgt_err *e);
void maps_close(struct wgt_maps *m);

int config_read(const struct wgt_maps *m, struct wgt_config *c);
int config_write(const struct wgt_maps *m, const struct wgt_config *c);
/* Sum the per-CPU counters. */
int counters_read(const struct wgt_maps *m, __u64 out[WGT_REASON_MAX]);
/* Sum per-CPU stats; last times are the latest over CPUs. */
int stats_read(const struct wgt_maps *m, const struct wgt_ep *ep,
	       struct wgt_stats *out);
int uplinks_read(const struct wgt_maps *m,
		 struct wgt_uplink out[WGT_MAX_UPLINKS]);
extern const char *const reason_names[WGT_REASON_MAX];

#endif
