/* SPDX-License-Identifier: GPL-2.0 */
/* One rtnetlink request and its answers, through libmnl. */
#ifndef WGT_RTNL_H
#define WGT_RTNL_H

#include <libmnl/libmnl.h>

/* Send nlh on nl and read until its ACK or the end of a dump, handing
 * each answer to cb (may be NULL). 0 or -errno (the kernel's error). */
int rtnl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	      void *data);
/* A NETLINK_ROUTE socket bound to an automatic port id, or NULL with
 * errno set. */
struct mnl_socket *rtnl_open(void);

#endif
