/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metrics as a file for node_exporter's textfile collector: written
 * to PATH.tmp-PID, then renamed over PATH, so a reader sees the old
 * file or the new one, whole. Mode 0644.
 */
#ifndef WGT_METRICS_FILE_H
#define WGT_METRICS_FILE_H

#include <stddef.h>
#include "dp/pins.h"

/* 0, or -1 with a message in why (nothing left behind but the old file). */
int metrics_file_write(const char *path, const struct wgt_pins *p,
		       char *why, size_t whylen);

#endif
