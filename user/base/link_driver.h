/* SPDX-License-Identifier: GPL-2.0 */
/* The driver behind an interface, as `ethtool -i` names it. */
#ifndef WGT_LINK_DRIVER_H
#define WGT_LINK_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

/* The driver of ifname ("veth", "mlx5_core", ...): 0, or -errno. */
int link_driver(const char *ifname, char *buf, size_t len);
/* Is ifname a veth? False when it cannot be told. */
bool link_is_veth(const char *ifname);

#endif
