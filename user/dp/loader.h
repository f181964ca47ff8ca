/* SPDX-License-Identifier: GPL-2.0 */
/* Loading the datapath, pinning its maps, attaching it to uplinks. */
#ifndef WGT_LOADER_H
#define WGT_LOADER_H

#include <net/if.h>
#include "pins.h"
#include "xdp_mode.h"
#include "wgturn.h"


struct attach_opts {
	int n_uplinks;
	char uplinks[WGT_MAX_UPLINKS][IF_NAMESIZE];
	__u16 port;
	enum xdp_req xdp;
};

struct wgt_err;

/* Idempotent; re-adopts pinned state. Rolls back what it did on error:
 * -errno and e's message; e's notes say what went where. */
int wgt_attach(const struct wgt_pins *p, const struct attach_opts *o,
	       struct wgt_err *e);
/* Remove the programs from every uplink and all pins. */
int wgt_detach(const struct wgt_pins *p, struct wgt_err *e);

#endif
