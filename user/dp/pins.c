// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "base/err.h"
#include "pins.h"

#define DEFAULT_BPFFS "/sys/fs/bpf"

unsigned long long netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : st.st_ino;
}

/*
 * True inside `ip netns exec NS`: it unshares the mount namespace and
 * mounts a sysfs named NS on /sys, so /sys/fs/bpf there is not the
 * host's bpffs and anything mounted on it is gone when the command ends.
 * (`nsenter --net` keeps the host's /sys and is fine.)
 */
static bool in_ip_netns_exec(void)
{
	char line[1024], mnt[256], fstype[64], src[256], path[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 || !sep ||
		    strcmp(mnt, "/sys") ||
		    sscanf(sep, " - %63s %255s", fstype, src) != 2 ||
		    strcmp(fstype, "sysfs"))
			continue;
		/* The last mount on /sys is the visible one. */
		found = strcmp(src, "sysfs") &&
			snprintf(path, sizeof(path), "/run/netns/%s", src) <
				(int)sizeof(path) &&
			!access(path, F_OK);
	}
	fclose(f);
	return found;
}

int name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= 64 || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-") == n;
}

int pins_resolve(const char *opt_bpffs, const char *name, struct wgt_pins *p,
		 struct wgt_err *e)
{
	const char *fs = opt_bpffs ? opt_bpffs : getenv("WGTURN_BPFFS");
	bool dflt = !fs || !*fs;
	struct statfs sfs;

	if (dflt)
		fs = DEFAULT_BPFFS;
	memset(p, 0, sizeof(*p));
	if (name && !name_valid(name)) {
		return wgt_err_set(e, -EINVAL,
				   "invalid name '%s': use up to 63 of A-Z a-z 0-9 _ . -",
				   name);
	}
	if (statfs(fs, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		if (dflt && in_ip_netns_exec())
			return wgt_err_set(e, -ENOTSUP, "%s is not a bpffs here: 'ip netns exec' remounts /sys and pins made there vanish when it exits; mount one outside /sys (mount -t bpf bpf /run/wgturn-bpf) and pass --bpffs /run/wgturn-bpf or set WGTURN_BPFFS",
					   fs);
		return wgt_err_set(e, -ENOTSUP,
				   "%s is not a mounted bpffs (mount -t bpf bpf %s)",
				   fs, fs);
	}
	if (dflt && in_ip_netns_exec()) {
		return wgt_err_set(e, -ENOTSUP, "%s is private to this mount namespace ('ip netns exec'?) and its pins vanish when the command exits; mount a bpffs outside /sys (mount -t bpf bpf /run/wgturn-bpf) and pass --bpffs /run/wgturn-bpf or set WGTURN_BPFFS",
				   fs);
	}
	if (strlen(fs) > PATH_MAX / 2)
		return wgt_err_set(e, -ENAMETOOLONG,
				   "bpffs path too long: %.40s...", fs);
	snprintf(p->bpffs, sizeof(p->bpffs), "%s", fs);
	snprintf(p->base, sizeof(p->base), "%s/wgturn", fs);
	if (name && pins_set_name(p, name))
		return wgt_err_set(e, -ENAMETOOLONG, "pin path too long for '%s'",
				   name);
	return 0;
}

int pins_set_name(struct wgt_pins *p, const char *name)
{
	int n;

	snprintf(p->name, sizeof(p->name), "%.63s", name);
	n = snprintf(p->dir, sizeof(p->dir), "%s/%s", p->base, p->name);
	return n < 0 || (size_t)n >= sizeof(p->dir) ? -1 : 0;
}

int pins_path(const struct wgt_pins *p, const char *obj, char *buf,
	      size_t len)
{
	int n = snprintf(buf, len, "%s/%s", p->dir, obj);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

bool pins_exist(const struct wgt_pins *p)
{
	char path[PATH_MAX];

	return !pins_path(p, "config", path, sizeof(path)) && !access(path, F_OK);
}

int pins_remove(const struct wgt_pins *p)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(p->dir);
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (pins_path(p, de->d_name, path, sizeof(path)) ||
		    unlink(path))
			ret = -1;
	}
	closedir(d);
	if (rmdir(p->dir) && errno != ENOENT)
		ret = -1;
	rmdir(p->base); /* only if no other instance is left */
	return ret;
}
