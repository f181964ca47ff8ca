/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metrics listener: GET /metrics answers metrics_render()'s text
 * (libmicrohttpd, its own polling thread; the render only reads pins
 * and the state file, so it needs no lock with the daemon's loop).
 * Other paths 404, other methods 405.
 */
#ifndef WGT_METRICS_HTTP_H
#define WGT_METRICS_HTTP_H

#include <stddef.h>
#include "dp/pins.h"

struct metrics_http;

/* Listen on listen ("ADDR:PORT" or "[V6]:PORT"; that address only) for
 * the instance p (copied). 0 and *out, or -1 with a message in why. */
int metrics_http_start(struct metrics_http **out, const char *listen,
		       const struct wgt_pins *p, char *why, size_t whylen);
/* Stop listening, wait for the thread; NULL is fine. */
void metrics_http_stop(struct metrics_http *h);

#endif
