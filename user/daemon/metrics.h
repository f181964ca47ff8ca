/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus metrics of one instance, in the text exposition format
 * 0.0.4: the datapath's counters and per-endpoint stats from the pinned
 * maps, and what the daemon's state file (/run/wgturn/WGIF.state) says
 * about relays and WireGuard peers. Only what the maps and the state
 * hold: a series whose data is absent is left out, never made up.
 *
 * It only reads (pins, the state file), so it runs in any thread
 * (metrics_http.c's) without locking against the daemon.
 */
#ifndef WGT_METRICS_H
#define WGT_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include "dp/pins.h"

/* Write the instance p->name's metrics to out. 0, or -1 with a one-line
 * message in why (the maps cannot be opened or read). */
int metrics_render(FILE *out, const struct wgt_pins *p, char *why,
		   size_t whylen);

/* The release for wgturn_info{version=...}; a static string, set once
 * before any render (NULL: the label is left out). */
void metrics_set_version(const char *version);

#endif
