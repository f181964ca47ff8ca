// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include "base/err.h"
#include "uplink.h"

/* Our filters' place in clsact, so we find and replace only ours. */
#define TC_HANDLE 0x5754	/* "WT" */
#define TC_PRIO 1

static int prog_name(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen)) {
		close(fd);
		return -1;
	}
	close(fd);
	snprintf(name, len, "%s", info.name);
	return 0;
}

/* Prog id owned by someone else at that slot: never clobber it. With
 * fallback, say what is used instead; else it is an error. */
static int foreign(__u32 id, const char *ours, const char *ifname,
		   const char *where, bool fallback, struct wgt_err *e)
{
	char name[BPF_OBJ_NAME_LEN];

	if (!id || prog_name(id, name, sizeof(name)))
		return 0;
	if (!strcmp(name, ours))
		return 0;
	if (fallback)
		wgt_err_warn(e, "%s already has %s program '%s' (id %u): using wgturn's TC ingress program instead",
			     ifname, where, name, id);
	else
		wgt_err_set(e, -EEXIST,
			    "%s already has %s program '%s' (id %u); wgturn will not replace it",
			    ifname, where, name, id);
	return 1;
}

static int xdp_flags(__u32 mode)
{
	return mode == WGT_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
}

static int xdp_attach(int ifindex, const char *ifname, int fd,
		      enum xdp_req req, __u32 *mode, struct wgt_err *e)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	bool auto_mode = req == XDP_REQ_AUTO;
	__u32 try[2], n = 0;
	int ret = -1;

	if (bpf_xdp_query(ifindex, 0, &q) == 0 &&
	    (foreign(q.drv_prog_id, "wgt_xdp_ingress", ifname, "an XDP",
		     auto_mode, e) ||
	     foreign(q.skb_prog_id, "wgt_xdp_ingress", ifname, "an XDP",
		     auto_mode, e) ||
	     foreign(q.hw_prog_id, "wgt_xdp_ingress", ifname, "an XDP",
		     auto_mode, e)))
		return -EEXIST;
	if (req != XDP_REQ_SKB)
		try[n++] = WGT_XDP_NATIVE;
	if (req != XDP_REQ_NATIVE)
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

static int tc_attach(int ifindex, const char *ifname, int fd,
		     enum bpf_tc_attach_point where, struct wgt_err *e)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = TC_HANDLE, .priority = TC_PRIO);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
		    .priority = TC_PRIO, .prog_fd = fd,
		    .flags = BPF_TC_F_REPLACE);
	int ret = bpf_tc_hook_create(&hook);

	if (ret && ret != -EEXIST)
		return ret;
	if (bpf_tc_query(&hook, &q) == 0 &&
	    foreign(q.prog_id,
		    where == BPF_TC_EGRESS ? "wgt_tc_egress" : "wgt_tc_ingress",
		    ifname, "a tc", false, e))
		return -EEXIST;
	return bpf_tc_attach(&hook, &opts);
}

static void tc_detach(int ifindex, enum bpf_tc_attach_point where)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = TC_HANDLE, .priority = TC_PRIO);
	char name[BPF_OBJ_NAME_LEN];

	if (bpf_tc_query(&hook, &q) || prog_name(q.prog_id, name, sizeof(name)))
		return;
	if (strncmp(name, "wgt_", 4))
		return;
	q.prog_id = 0;
	q.prog_fd = 0;
	q.flags = 0;
	bpf_tc_detach(&hook, &q);
}

static void xdp_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[BPF_OBJ_NAME_LEN];

	if (bpf_xdp_query(ifindex, 0, &q))
		return;
	if (q.drv_prog_id && !prog_name(q.drv_prog_id, name, sizeof(name)) &&
	    !strcmp(name, "wgt_xdp_ingress"))
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (q.skb_prog_id && !prog_name(q.skb_prog_id, name, sizeof(name)) &&
	    !strcmp(name, "wgt_xdp_ingress"))
		bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
}

void uplink_detach(int ifindex)
{
	xdp_detach(ifindex);
	tc_detach(ifindex, BPF_TC_EGRESS);
	tc_detach(ifindex, BPF_TC_INGRESS);
}

int uplink_attach(int ifindex, const char *ifname,
		  const struct uplink_progs *progs, enum xdp_req req,
		  __u32 *mode, struct wgt_err *e)
{
	int ret;

	ret = tc_attach(ifindex, ifname, progs->tc_egress_fd, BPF_TC_EGRESS, e);
	if (ret) {
		if (ret != -EEXIST)
			wgt_err_set(e, ret, "cannot attach TC egress to %s: %s",
				    ifname, strerror(-ret));
		return ret;
	}
	ret = req == XDP_REQ_OFF ? -EOPNOTSUPP :
				   xdp_attach(ifindex, ifname, progs->xdp_fd, req,
					      mode, e);
	if (ret == -EEXIST && req != XDP_REQ_AUTO)
		return ret;
	if (ret && req != XDP_REQ_AUTO && req != XDP_REQ_OFF)
		return wgt_err_set(e, ret, "cannot attach XDP (%s mode) to %s: %s",
				   req == XDP_REQ_NATIVE ? "native" : "skb",
				   ifname, strerror(-ret));
	if (ret) {
		/* XDP refused or not wanted: TC ingress does the same job. */
		xdp_detach(ifindex);
		*mode = WGT_XDP_NONE;
		ret = tc_attach(ifindex, ifname, progs->tc_ingress_fd,
				BPF_TC_INGRESS, e);
		if (ret && ret != -EEXIST)
			wgt_err_set(e, ret, "cannot attach TC ingress to %s: %s",
				    ifname, strerror(-ret));
		return ret;
	}
	/* XDP does ingress: drop a TC ingress fallback left from before. */
	tc_detach(ifindex, BPF_TC_INGRESS);
	return 0;
}
