// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include "base/err.h"
#include "base/link_driver.h"
#include "owner.h"
#include "uplink.h"

/* Our filters' place in clsact: one priority per instance sharing the
 * uplink, each handing what is not its own to the next (TC_ACT_UNSPEC). */
#define TC_PRIO_MAX 8

/* Someone else's program at that slot: never clobber it. With fallback,
 * say what is used instead (a warning for another tool's program, a
 * note for another instance's); else it is an error. */
static int occupied(__u32 id, const char *ifname, const char *where,
		    bool fallback, __u32 config_id, struct wgt_err *e)
{
	struct owner_info o;
	enum prog_owner who = prog_owner(id, config_id, &o);
	char what[160];

	switch (who) {
	case OWNER_NONE:
	case OWNER_US:
		return 0;
	case OWNER_WGTURN:
		snprintf(what, sizeof(what),
			 "%s already has wgturn's %s program for another WireGuard interface (port %u, id %u)",
			 ifname, where, o.wg_port, id);
		break;
	default:
		snprintf(what, sizeof(what),
			 "%s already has an %s program '%s' (id %u)", ifname,
			 where, o.name, id);
	}
	if (fallback && who == OWNER_WGTURN)
		/* instances side by side: the normal case, not a warning */
		wgt_err_note(e, "%s: TC ingress behind it", what);
	else if (fallback)
		wgt_err_warn(e, "%s: using wgturn's TC ingress program instead",
			     what);
	else
		wgt_err_set(e, -EEXIST, "%s; wgturn will not replace it", what);
	return 1;
}

static int xdp_flags(__u32 mode)
{
	return mode == WGT_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
}

static int xdp_attach(int ifindex, const char *ifname, int fd,
		      enum xdp_req req, __u32 config_id, __u32 *mode,
		      struct wgt_err *e)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	bool auto_mode = req == XDP_REQ_AUTO;
	__u32 try[2], n = 0;
	int ret = -1;

	/* auto: native XDP where the driver has it, never generic XDP (it
	 * copies most skbs and turns LRO off on the device); TC ingress
	 * otherwise, and always on a veth (make bench: bench_ingress). */
	bool veth = auto_mode && link_is_veth(ifname);

	if (bpf_xdp_query(ifindex, 0, &q) == 0 &&
	    (occupied(q.drv_prog_id, ifname, "XDP", auto_mode, config_id, e) ||
	     occupied(q.skb_prog_id, ifname, "XDP", auto_mode, config_id, e) ||
	     occupied(q.hw_prog_id, ifname, "XDP", auto_mode, config_id, e)))
		return -EEXIST;	/* the reason: the program there (notes) */
	if (veth) {
		*mode = WGT_XDP_TC_VETH;
		return -EOPNOTSUPP;
	}
	if (req != XDP_REQ_SKB)
		try[n++] = WGT_XDP_NATIVE;
	if (req == XDP_REQ_SKB)
		try[n++] = WGT_XDP_SKB;

	for (__u32 i = 0; i < n; i++) {
		__u32 other = try[i] == WGT_XDP_NATIVE ? q.skb_prog_id :
							  q.drv_prog_id;
		/* Same mode replaces atomically; a mode change cannot. */
		if (other)
			bpf_xdp_detach(ifindex,
				       xdp_flags(try[i] == WGT_XDP_NATIVE ?
						 WGT_XDP_SKB : WGT_XDP_NATIVE),
				       NULL);
		ret = bpf_xdp_attach(ifindex, fd, xdp_flags(try[i]), NULL);
		if (!ret) {
			*mode = try[i];
			return 0;
		}
		wgt_err_note(e, "XDP %s on %s: %s",
			     try[i] == WGT_XDP_NATIVE ? "native" : "skb", ifname,
			     strerror(-ret));
	}
	return ret;
}

/* The priority holding this instance's filter, else the first free one
 * (*ours false), else 0. *twin: a program of another instance for the
 * same WireGuard port (a stale one, or the same interface twice). */
static __u32 tc_slot(struct bpf_tc_hook *hook, __u32 config_id, __u16 port,
		     bool *ours, __u32 *twin)
{
	__u32 free = 0;
	struct owner_info o;

	*ours = false;
	*twin = 0;
	for (__u32 prio = 1; prio <= TC_PRIO_MAX; prio++) {
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = WGT_TC_HANDLE,
			    .priority = prio);

		if (bpf_tc_query(hook, &q)) {
			if (!free)
				free = prio;
			continue;
		}
		switch (prog_owner(q.prog_id, config_id, &o)) {
		case OWNER_US:
			*ours = true;
			return prio;
		case OWNER_WGTURN:
			if (port && o.wg_port == port)
				*twin = q.prog_id;
			break;
		default:
			break;
		}
	}
	return free;
}

static int tc_attach(int ifindex, const char *ifname, int fd,
		     enum bpf_tc_attach_point where,
		     const struct uplink_progs *progs, struct wgt_err *e)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = WGT_TC_HANDLE, .prog_fd = fd,
		    .flags = BPF_TC_F_REPLACE);
	int ret = bpf_tc_hook_create(&hook);
	__u32 twin;
	bool ours;

	if (ret && ret != -EEXIST)
		return ret;
	opts.priority = tc_slot(&hook, progs->config_id, progs->wg_port, &ours,
				&twin);
	if (!ours && twin)
		return wgt_err_set(e, -EEXIST,
				   "%s already has wgturn's tc program (id %u) of another instance for WireGuard port %u; detach that instance first (its pins lost: 'tc filter show dev %s egress', then 'tc filter del' it)",
				   ifname, twin, progs->wg_port, ifname);
	if (!opts.priority)
		return wgt_err_set(e, -EBUSY,
				   "%s already has %d tc filters with wgturn's handle %#x at priorities 1-%d; detach an instance first",
				   ifname, TC_PRIO_MAX, WGT_TC_HANDLE, TC_PRIO_MAX);
	return bpf_tc_attach(&hook, &opts);
}

static void tc_detach(int ifindex, enum bpf_tc_attach_point where,
		      __u32 config_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = WGT_TC_HANDLE);
	__u32 twin;
	bool ours;

	q.priority = tc_slot(&hook, config_id, 0, &ours, &twin);
	if (ours)
		bpf_tc_detach(&hook, &q);
}

static void xdp_detach(int ifindex, __u32 config_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct owner_info o;

	if (bpf_xdp_query(ifindex, 0, &q))
		return;
	if (prog_owner(q.drv_prog_id, config_id, &o) == OWNER_US)
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (prog_owner(q.skb_prog_id, config_id, &o) == OWNER_US)
		bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
}

void uplink_detach(int ifindex, __u32 config_id)
{
	xdp_detach(ifindex, config_id);
	tc_detach(ifindex, BPF_TC_EGRESS, config_id);
	tc_detach(ifindex, BPF_TC_INGRESS, config_id);
}

int uplink_attach(int ifindex, const char *ifname,
		  const struct uplink_progs *progs, enum xdp_req req,
		  __u32 *mode, struct wgt_err *e)
{
	int ret;

	ret = tc_attach(ifindex, ifname, progs->tc_egress_fd, BPF_TC_EGRESS,
			progs, e);
	if (ret) {
		if (ret != -EEXIST)
			wgt_err_set(e, ret, "cannot attach TC egress to %s: %s",
				    ifname, strerror(-ret));
		return ret;
	}
	*mode = WGT_XDP_NONE;
	ret = req == XDP_REQ_OFF ? -EOPNOTSUPP :
				   xdp_attach(ifindex, ifname, progs->xdp_fd, req,
					      progs->config_id, mode, e);
	if (ret == -EEXIST && req != XDP_REQ_AUTO)
		return ret;
	if (ret && req != XDP_REQ_AUTO && req != XDP_REQ_OFF)
		return wgt_err_set(e, ret, "cannot attach XDP (%s mode) to %s: %s",
				   req == XDP_REQ_NATIVE ? "native" : "skb",
				   ifname, strerror(-ret));
	if (ret) {
		/* XDP refused or not wanted: TC ingress does the same job. */
		xdp_detach(ifindex, progs->config_id);
		if (req == XDP_REQ_OFF)
			*mode = WGT_XDP_OFF;
		ret = tc_attach(ifindex, ifname, progs->tc_ingress_fd,
				BPF_TC_INGRESS, progs, e);
		if (ret && ret != -EEXIST)
			wgt_err_set(e, ret, "cannot attach TC ingress to %s: %s",
				    ifname, strerror(-ret));
		return ret;
	}
	/* XDP does ingress: drop a TC ingress fallback left from before. */
	tc_detach(ifindex, BPF_TC_INGRESS, progs->config_id);
	return 0;
}
