/* SPDX-License-Identifier: GPL-2.0 */
/* Which local address and interface the kernel uses to reach a host. */
#ifndef WGT_ROUTE_H
#define WGT_ROUTE_H

#include <net/if.h>
#include <sys/socket.h>

/* Fill local (address, port 0) and ifname for reaching dst; 0 or -1
 * with errno. Asks the kernel with a connected UDP socket, no packet
 * is sent. */
int route_to(const struct sockaddr *dst, socklen_t dlen,
	     struct sockaddr_storage *local, char ifname[IF_NAMESIZE]);

#endif
