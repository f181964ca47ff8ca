/* SPDX-License-Identifier: GPL-2.0 */
/* Where an instance's pins live: <BPFFS>/wgturn/<NAME>/. */
#ifndef WGT_PINS_H
#define WGT_PINS_H

#include <stddef.h>
#include <limits.h>
#include <stdbool.h>

struct wgt_pins {
	char bpffs[PATH_MAX];	/* the bpffs mount */
	char base[PATH_MAX];	/* <bpffs>/wgturn */
	char dir[PATH_MAX];	/* <bpffs>/wgturn/<name>, "" without name */
	char name[64];
};

struct wgt_err;

/* Resolve and check the bpffs (option, then $WGTURN_BPFFS, then
 * /sys/fs/bpf); name may be NULL. -errno and e's message on error. */
int pins_resolve(const char *opt_bpffs, const char *name,
		 struct wgt_pins *p, struct wgt_err *e);
/* Point p at instance name (already valid) under p->base. */
int pins_set_name(struct wgt_pins *p, const char *name);
int pins_path(const struct wgt_pins *p, const char *obj, char *buf,
	      size_t len);
bool pins_exist(const struct wgt_pins *p);
/* Remove every pin of the instance and its directory. */
int pins_remove(const struct wgt_pins *p);
int name_valid(const char *name);
unsigned long long netns_ino(void);

#endif
