/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WGT_SHOW_H
#define WGT_SHOW_H

#include <stdbool.h>
#include "dp/pins.h"

/* Show one instance (p->name set) or every instance under p->base. */
int show(const struct wgt_pins *p, bool json);

#endif
