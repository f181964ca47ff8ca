// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "wgturn.skel.h"
#include "bpf_load_error.h"
#include "gso_link.h"
#include "base/err.h"
#include "base/route_mtu.h"
#include "loader.h"
#include "maps.h"
#include "owner.h"
#include "uplink.h"

static const char *const prog_pins[] = { "prog_xdp_ingress",
					 "prog_tc_egress",
					 "prog_tc_ingress",
					 "prog_tc_gso_return" };

static int pin_maps_at(struct wgturn_bpf *skel, const struct wgt_pins *p)
{
	char path[PATH_MAX];
	struct bpf_map *map;

	bpf_object__for_each_map(map, skel->obj) {
		if (pins_path(p, bpf_map__name(map), path, sizeof(path)) ||
		    bpf_map__set_pin_path(map, path))
			return -1;
	}
	return 0;
}

/* Pin the programs too, so `bpftool prog show pinned` finds them. */
static int pin_progs(struct wgturn_bpf *skel, const struct wgt_pins *p)
{
	struct bpf_program *progs[] = { skel->progs.wgt_xdp_ingress,
					skel->progs.wgt_tc_egress,
					skel->progs.wgt_tc_ingress,
					skel->progs.wgt_tc_gso_return };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		pins_path(p, prog_pins[i], path, sizeof(path));
		unlink(path);
		if (bpf_program__pin(progs[i], path))
			return -1;
	}
	return 0;
}

static bool in_list(const struct attach_opts *o, int ifindex)
{
	for (int i = 0; i < o->n_uplinks; i++)
		if ((int)if_nametoindex(o->uplinks[i]) == ifindex)
			return true;
	return false;
}

/* One line for a failed load. A verifier rejection (EACCES too) is not a
 * permission problem: it names the program and the kernel instead. */
static int load_error(int ret, const char *libbpf_text,
		      const struct wgt_pins *p, bool fresh, struct wgt_err *e)
{
	bool privileged = bpf_load_privileged();
	struct bpf_load_error le;

	bpf_load_classify(ret, privileged, libbpf_text, BPF_LOAD_TAIL_LINES,
			  &le);
	if (le.kind == BPF_LOAD_VERIFIER) {
		bpf_load_verifier_err(&le, e);
		return ret;
	}
	if (le.kind == BPF_LOAD_PERMISSION && !privileged)
		return wgt_err_set(e, ret, "permission denied loading BPF programs: run as root");
	if (le.kind == BPF_LOAD_PERMISSION)
		return wgt_err_set(e, ret, "permission denied loading BPF programs even with CAP_BPF: a security module or kernel lockdown may forbid BPF");
	if (!fresh)
		return wgt_err_set(e, ret, "cannot load the datapath over the pins in %s (%s); they may be from another wgturn version: run 'wgturn detach %s' first",
				   p->dir, strerror(-ret), p->name);
	return wgt_err_set(e, ret, "cannot load the datapath: %s",
			   strerror(-ret));
}

/* Before recording an uplink's pair: entries of an earlier pair of the
 * same uplink go, so the map never fills with dead return ends. */
static void gso_links_prune(struct wgturn_bpf *skel, __u32 uplink,
			    __u32 ret_ifindex)
{
	int fd = bpf_map__fd(skel->maps.gso_links);
	__u32 key, next, val, stale[WGT_MAX_GSO_LINKS];
	int n = 0;
	bool more = bpf_map_get_next_key(fd, NULL, &next) == 0;

	while (more && n < WGT_MAX_GSO_LINKS) {
		key = next;
		more = bpf_map_get_next_key(fd, &key, &next) == 0;
		if (!bpf_map_lookup_elem(fd, &key, &val) && val == uplink &&
		    key != ret_ifindex)
			stale[n++] = key;
	}
	while (n--)
		bpf_map_delete_elem(fd, &stale[n]);
}

/*
 * The uplink's veth pair for GSO batches, and its two gso_links entries.
 * Without it relay-bound batches are dropped (drop_gso): a warning, not
 * an error, since everything else works.
 */
static void gso_link_attach(struct wgturn_bpf *skel, const char *ifname,
			    struct wgt_uplink *up, __u16 port, struct wgt_err *e)
{
	int fd = bpf_program__fd(skel->progs.wgt_tc_gso_return);
	__u32 k, v;
	struct gso_link l;
	struct wgt_err why = {};

	if (gso_link_up((int)up->ifindex, port, fd, &l, &why)) {
		wgt_err_warn(e, "%s; GSO batches to relays through %s will be dropped",
			     why.msg, ifname);
		return;
	}
	gso_links_prune(skel, up->ifindex, (__u32)l.ret_ifindex);
	k = up->ifindex, v = (__u32)l.seg_ifindex;
	if (bpf_map__update_elem(skel->maps.gso_links, &k, 4, &v, 4, BPF_ANY))
		goto fail;
	k = (__u32)l.ret_ifindex, v = up->ifindex;
	if (bpf_map__update_elem(skel->maps.gso_links, &k, 4, &v, 4, BPF_ANY))
		goto fail;
	up->gso_ifindex = (__u32)l.seg_ifindex;
	return;
fail:
	wgt_err_warn(e, "cannot record %s's GSO veth in the gso_links map; GSO batches to relays through it will be dropped",
		     ifname);
	k = up->ifindex;
	bpf_map__delete_elem(skel->maps.gso_links, &k, 4, 0);
}

/* Keep only the exact pairs of the uplinks in use (their return ends
 * found by name): a veth made anew leaves an entry for its old ifindex. */
static void gso_links_keep(struct wgturn_bpf *skel,
			   const struct wgt_uplink now[WGT_MAX_UPLINKS],
			   __u16 port)
{
	int fd = bpf_map__fd(skel->maps.gso_links);
	__u32 key, next, val, stale[WGT_MAX_GSO_LINKS], ret[WGT_MAX_UPLINKS];
	char sn[IF_NAMESIZE], rn[IF_NAMESIZE];
	int n = 0;
	bool more = bpf_map_get_next_key(fd, NULL, &next) == 0;

	for (int i = 0; i < WGT_MAX_UPLINKS; i++) {
		ret[i] = 0;
		if (now[i].gso_ifindex) {
			gso_link_names((int)now[i].ifindex, port, sn, rn);
			ret[i] = if_nametoindex(rn);
		}
	}
	while (more && n < WGT_MAX_GSO_LINKS) {
		bool used = false;

		key = next;
		more = bpf_map_get_next_key(fd, &key, &next) == 0;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		for (int i = 0; i < WGT_MAX_UPLINKS; i++)
			used |= now[i].gso_ifindex &&
				((key == now[i].ifindex &&
				  val == now[i].gso_ifindex) ||
				 (key == ret[i] && val == now[i].ifindex));
		if (!used)
			stale[n++] = key;
	}
	while (n--)
		bpf_map_delete_elem(fd, &stale[n]);
}

int wgt_attach(const struct wgt_pins *p, const struct attach_opts *o,
	       struct wgt_err *e)
{
	struct wgt_uplink old[WGT_MAX_UPLINKS] = {}, now[WGT_MAX_UPLINKS] = {};
	int ifindex[WGT_MAX_UPLINKS], attached = -1, ret = -1;
	struct wgt_config cfg = {};
	struct wgt_maps m = {};
	struct uplink_progs progs = {};
	struct wgturn_bpf *skel;
	const char *libbpf_text;
	__u16 old_port;
	bool fresh;

	for (int i = 0; i < o->n_uplinks; i++) {
		ifindex[i] = if_nametoindex(o->uplinks[i]);
		if (!ifindex[i])
			return wgt_err_set(e, -ENODEV, "uplink '%s' does not exist",
					   o->uplinks[i]);
		for (int j = 0; j < i; j++)
			if (ifindex[j] == ifindex[i])
				return wgt_err_set(e, -EINVAL,
						   "uplink '%s' given twice",
						   o->uplinks[i]);
	}

	fresh = !pins_exist(p);
	if (!fresh) {
		ret = maps_open(p, &m, e);
		if (ret)
			return ret;
		if (config_read(&m, &cfg) || uplinks_read(&m, old)) {
			maps_close(&m);
			return wgt_err_set(e, -EIO,
					   "cannot read the pinned state of '%s'",
					   p->name);
		}
		maps_close(&m);
		if (cfg.netns_ino && cfg.netns_ino != netns_ino())
			return wgt_err_set(e, -EEXIST,
					   "'%s' is attached in another network namespace; pick another NAME (pins in %s)",
					   p->name, p->dir);
	}

	if ((mkdir(p->base, 0700) && errno != EEXIST) ||
	    (mkdir(p->dir, 0700) && errno != EEXIST))
		return wgt_err_set(e, -errno, "cannot create %s: %s", p->dir,
				   strerror(errno));
	ret = -EINVAL;
	skel = wgturn_bpf__open();
	if (!skel || pin_maps_at(skel, p)) {
		wgt_err_set(e, ret, "cannot open the BPF object");
		goto out;
	}
	bpf_load_capture_begin();
	ret = wgturn_bpf__load(skel);
	libbpf_text = bpf_load_capture_end();
	if (ret) {
		load_error(ret, libbpf_text, p, fresh, e);
		goto out;
	}
	ret = pin_progs(skel, p) ? -EIO : 0;
	if (ret) {
		wgt_err_set(e, ret, "cannot pin programs in %s", p->dir);
		goto out;
	}

	old_port = cfg.wg_port;
	cfg.wg_port = o->port;
	cfg.netns_ino = netns_ino();
	ret = bpf_map__update_elem(skel->maps.config, &(__u32){ 0 }, 4, &cfg,
				   sizeof(cfg), BPF_ANY);
	if (ret) {
		wgt_err_set(e, ret, "cannot write the configuration");
		goto out;
	}

	progs.xdp_fd = bpf_program__fd(skel->progs.wgt_xdp_ingress);
	progs.tc_egress_fd = bpf_program__fd(skel->progs.wgt_tc_egress);
	progs.tc_ingress_fd = bpf_program__fd(skel->progs.wgt_tc_ingress);
	progs.config_id = map_id_of(bpf_map__fd(skel->maps.config));
	progs.wg_port = o->port;
	for (attached = 0; attached < o->n_uplinks; attached++) {
		int i = attached;

		ret = uplink_attach(ifindex[i], o->uplinks[i], &progs, o->xdp,
				    &now[i].xdp_mode, e);
		if (ret)
			goto out;
		now[i].ifindex = ifindex[i];
		now[i].mtu = link_mtu(o->uplinks[i]);
		gso_link_attach(skel, o->uplinks[i], &now[i], o->port, e);
		wgt_err_note(e, "attached to %s (%s: %s)", o->uplinks[i],
			     xdp_mode_str(now[i].xdp_mode),
			     xdp_mode_why(now[i].xdp_mode));
	}
	for (__u32 i = 0; i < WGT_MAX_UPLINKS; i++)
		bpf_map__update_elem(skel->maps.uplinks, &i, 4, &now[i],
				     sizeof(now[i]), BPF_ANY);
	gso_links_keep(skel, now, o->port);
	/* Uplinks dropped from the list lose the programs. */
	for (int i = 0; i < WGT_MAX_UPLINKS; i++)
		if (old[i].ifindex && !in_list(o, old[i].ifindex)) {
			uplink_detach(old[i].ifindex, progs.config_id);
			gso_link_down((int)old[i].ifindex, o->port);
		}
	/* veths are named after the port: a new port made new ones */
	for (int i = 0; old_port && old_port != o->port && i < WGT_MAX_UPLINKS; i++)
		if (old[i].ifindex)
			gso_link_down((int)old[i].ifindex, old_port);
	ret = 0;
out:
	if (ret) {
		/* Undo this call: new uplinks lose the programs; a fresh
		 * instance loses its pins. Old uplinks keep working. */
		for (int i = 0; i < attached + 1 && i < o->n_uplinks; i++) {
			bool was = false;

			for (int j = 0; j < WGT_MAX_UPLINKS; j++)
				was |= (int)old[j].ifindex == ifindex[i];
			if (!was || fresh) {
				uplink_detach(ifindex[i], progs.config_id);
				/* made by this call only if the uplink took
				 * our programs: never another instance's */
				if (i < attached)
					gso_link_down(ifindex[i], o->port);
			}
		}
		if (fresh)
			pins_remove(p);
	}
	wgturn_bpf__destroy(skel);
	return ret;
}

int wgt_detach(const struct wgt_pins *p, struct wgt_err *e)
{
	struct wgt_uplink up[WGT_MAX_UPLINKS];
	struct wgt_config cfg = {};
	struct wgt_maps m;
	int ret = maps_open(p, &m, e);
	__u32 config_id;

	if (ret)
		return ret;
	if (config_read(&m, &cfg) || uplinks_read(&m, up)) {
		maps_close(&m);
		return wgt_err_set(e, -EIO, "cannot read the pinned state of '%s'",
				   p->name);
	}
	config_id = map_id_of(m.config);
	maps_close(&m);
	if (cfg.netns_ino && cfg.netns_ino != netns_ino())
		wgt_err_warn(e, "'%s' was attached in another network namespace: removing its pins only",
			     p->name);
	else
		for (int i = 0; i < WGT_MAX_UPLINKS; i++)
			if (up[i].ifindex) {
				uplink_detach(up[i].ifindex, config_id);
				gso_link_down((int)up[i].ifindex, cfg.wg_port);
			}
	if (pins_remove(p))
		return wgt_err_set(e, -errno, "cannot remove all pins in %s: %s",
				   p->dir, strerror(errno));
	return 0;
}
