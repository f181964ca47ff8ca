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

/* An interface's MTU, 0 if it has none (gone). */
uint32_t link_mtu(const char *ifname);
/* The path MTU the kernel uses toward ep's address (its route, and any
 * MTU learned from ICMP): > 0, or -errno. */
int route_path_mtu(const struct wgt_ep *ep);

/* The routing protocol number of the routes wgturn adds itself
 * (`ip route show proto 87`). */
#define WGT_RTPROT 87

/*
 * Set (mtu > 0) or clear (mtu 0) `mtu lock` on every route for exactly
 * addr/len (family WGT_AF_*) whose device is ifindex, keeping the rest
 * of each route. Where no such route exists (a peer's /32 inside the
 * interface's connected /24) and the main table already sends the
 * prefix's address through ifindex, it adds one of its own there (so no
 * path changes), and clearing deletes it again. A route it could not
 * repeat exactly (nexthop objects, encapsulation, source prefixes...) is
 * left alone like one with someone else's MTU. ours: the MTU this caller set before
 * (0: none); a route with another MTU (someone else's setting) is left
 * alone and counted in *others when others is not NULL. Returns how many
 * routes it changed, or -errno.
 */
int route_set_mtu(int ifindex, uint8_t family, const uint8_t *addr,
		  uint8_t len, uint32_t mtu, uint32_t ours, int *others);

/* Delete every route of ours (WGT_RTPROT) through ifindex, left by a
 * daemon that was killed: how many, or -errno. */
int route_flush_own(int ifindex);

#endif
