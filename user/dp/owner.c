// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "owner.h"
#include "wgturn.h"

#define MAX_PROG_MAPS 16

__u32 map_id_of(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The program's config map: the one named "config", with our layout. */
static __u32 config_map(int prog_fd, __u16 *port)
{
	__u32 ids[MAX_PROG_MAPS], len, id = 0;
	struct bpf_prog_info info = {};

	len = sizeof(info);
	info.nr_map_ids = MAX_PROG_MAPS;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	for (__u32 i = 0; i < info.nr_map_ids && i < MAX_PROG_MAPS && !id;
	     i++) {
		struct bpf_map_info mi = {};
		struct wgt_config cfg;
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) &&
		    !strcmp(mi.name, "config") &&
		    mi.value_size == sizeof(cfg)) {
			id = ids[i];
			if (!bpf_map_lookup_elem(fd, &(__u32){ 0 }, &cfg))
				*port = cfg.wg_port;
		}
		close(fd);
	}
	return id;
}

enum prog_owner prog_owner(__u32 prog_id, __u32 config_id,
			   struct owner_info *o)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), id;
	enum prog_owner who;
	int fd;

	memset(o, 0, sizeof(*o));
	if (!prog_id)
		return OWNER_NONE;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return OWNER_NONE; /* gone meanwhile */
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return OWNER_FOREIGN;
	}
	snprintf(o->name, sizeof(o->name), "%s", info.name);
	if (strncmp(info.name, "wgt_", 4)) {
		close(fd);
		return OWNER_FOREIGN;
	}
	id = config_map(fd, &o->wg_port);
	close(fd);
	who = id && id == config_id ? OWNER_US : OWNER_WGTURN;
	return who;
}
