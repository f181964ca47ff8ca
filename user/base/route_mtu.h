/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Route MTUs over rtnetlink: what the kernel knows of the path MTU to an
 * address, and the `mtu lock` metric on the routes of a prefix through
 * one interface (in every table), so the kernel itself tells senders,
 * local and forwarded, with ICMP frag-needed / packet-too-big.
 */
#ifndef WGT_ROUTE_MTU_H
#define WGT_ROUTE_MTU_H

#include <stdint.h>
#include "wgturn.h"

/* The path MTU the kernel uses toward ep's address (its route, and any
 * MTU learned from ICMP): > 0, or -errno. */
int route_path_mtu(const struct wgt_ep *ep);

/*
 * Set (mtu > 0) or clear (mtu 0) `mtu lock` on every route for exactly
 * addr/len (family WGT_AF_*) whose device is ifindex, keeping the rest
 * of each route. Returns how many routes it changed, or -errno. A route
 * with an MTU of its own (someone else's setting) is left alone and
 * counted in *others when others is not NULL.
 */
int route_set_mtu(int ifindex, uint8_t family, const uint8_t *addr,
		  uint8_t len, uint32_t mtu, uint32_t ours, int *others);

#endif
