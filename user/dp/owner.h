/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which wgturn instance an attached program belongs to. Instances for
 * different WireGuard interfaces share an uplink; each is named by the
 * id of the config map its programs use.
 */
#ifndef WGT_OWNER_H
#define WGT_OWNER_H

#include <stddef.h>
#include <linux/types.h>

enum prog_owner {
	OWNER_NONE,		/* no program there */
	OWNER_US,		/* this instance's */
	OWNER_WGTURN,		/* another wgturn instance's */
	OWNER_FOREIGN,		/* another tool's */
};

struct owner_info {
	char name[16];		/* the program's name */
	__u16 wg_port;		/* OWNER_WGTURN: that instance's port */
};

/* The id of the map behind fd, 0 on error. */
__u32 map_id_of(int fd);
/* Whose is program prog_id (0: none); config_id names this instance. */
enum prog_owner prog_owner(__u32 prog_id, __u32 config_id,
			   struct owner_info *info);

#endif
