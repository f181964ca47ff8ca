/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where relay-bound GSO batches are segmented: a veth pair per uplink
 * and instance. The egress program sends a batch into the first end,
 * whose GSO limit of one segment makes the kernel segment it; each
 * segment arrives at the other end, where wgt_tc_gso_return
 * encapsulates it and sends it out of the uplink. Named after the
 * WireGuard port and the uplink's ifindex: wgt51820-s2, wgt51820-r2.
 */
#ifndef WGT_GSO_LINK_H
#define WGT_GSO_LINK_H

#include <net/if.h>
#include <linux/types.h>

struct gso_link {
	int seg_ifindex;	/* batches go in here */
	int ret_ifindex;	/* segments come out here */
};

struct wgt_err;

/* 0, or -ENAMETOOLONG when they would not fit IF_NAMESIZE. */
int gso_link_names(int uplink, __u16 port, char seg[IF_NAMESIZE],
		   char ret[IF_NAMESIZE]);
/* Make the pair (or keep it, if there) and put prog_fd on the return
 * end's TC ingress. 0, or -errno and e's message; nothing left behind. */
int gso_link_up(int uplink, __u16 port, int prog_fd, struct gso_link *l,
		struct wgt_err *e);
/* Remove the pair, if there. */
void gso_link_down(int uplink, __u16 port);

#endif
