/* SPDX-License-Identifier: GPL-2.0 */
/* Attaching programs to one interface: XDP and TC (clsact). */
#ifndef WGT_UPLINK_H
#define WGT_UPLINK_H

#include "loader.h"

/* Our tc filters' handle, on uplinks and on our own veths. */
#define WGT_TC_HANDLE 0x5754	/* "WT" */

struct uplink_progs {
	int xdp_fd, tc_egress_fd, tc_ingress_fd;
	__u32 config_id;	/* names the instance: owner.h */
	__u16 wg_port;
};

struct wgt_err;

/* Attach (or atomically replace ours) on ifindex; *mode gets the XDP
 * mode used, or which TC ingress stands in for XDP and why (NONE: XDP
 * refused, OFF: asked, TC_VETH: auto on a veth). -errno and
 * e's message on error; e's warning when another tool's XDP program, or
 * another instance's (another WireGuard interface on this uplink), made
 * it fall back to TC ingress. Instances chain in TC by priority. */
int uplink_attach(int ifindex, const char *ifname,
		  const struct uplink_progs *progs, enum xdp_req req,
		  __u32 *mode, struct wgt_err *e);
/* Remove this instance's programs from ifindex, leave anything else
 * alone, other instances' included. */
void uplink_detach(int ifindex, __u32 config_id);

#endif
