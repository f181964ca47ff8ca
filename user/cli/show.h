/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WGT_SHOW_H
#define WGT_SHOW_H

#include <stdbool.h>
#include "dp/pins.h"

/* How show prints: a wg-show-like table, JSON (an array of instance
 * objects, see show_json.c), or tab-separated lines (see show_dump.c). */
enum show_form {
	SHOW_TEXT,
	SHOW_JSON,
	SHOW_DUMP,
};

/* Show one instance (p->name set) or every instance under p->base, in
 * name order. -1 when an instance could not be read (its error printed). */
int show(const struct wgt_pins *p, enum show_form form);
/* The instances' names under p->base, one per line, in name order. */
int show_interfaces(const struct wgt_pins *p);

#endif
