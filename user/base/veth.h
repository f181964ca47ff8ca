/* SPDX-License-Identifier: GPL-2.0 */
/* A veth pair for the datapath's own plumbing, made over rtnetlink. */
#ifndef WGT_VETH_H
#define WGT_VETH_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Create the pair a <-> b, up, with MTU mtu on both and no addresses
 * (IPv6 link-local generation off where IPv6 exists). gso_max_segs
 * limits a's GSO: 1 makes the kernel segment every batch sent into a.
 * 0 or -errno; nothing is left behind on error.
 */
int veth_pair_add(const char *a, const char *b, uint32_t mtu,
		  uint32_t gso_max_segs);
/* Does the link exist, and is it up? */
bool link_is_up(int ifindex);
/* Delete the link called name (a veth's peer goes with it): 0 or -errno. */
int link_del(const char *name);

#endif
