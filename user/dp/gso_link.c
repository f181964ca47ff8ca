// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "base/err.h"
#include "base/veth.h"
#include "gso_link.h"
#include "uplink.h"

/* Segments are at most the uplink's MTU; any uplink's fits. */
#define GSO_LINK_MTU 65535

int gso_link_names(int uplink, __u16 port, char seg[IF_NAMESIZE],
		   char ret[IF_NAMESIZE])
{
	int n = snprintf(seg, IF_NAMESIZE, "wgt%u-s%d", port, uplink);

	snprintf(ret, IF_NAMESIZE, "wgt%u-r%d", port, uplink);
	/* an ifindex of 6 digits and more: two uplinks must not share */
	return n >= IF_NAMESIZE ? -ENAMETOOLONG : 0;
}

static int attach_return(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = WGT_TC_HANDLE, .priority = 1,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int ret = bpf_tc_hook_create(&hook);

	if (ret && ret != -EEXIST)
		return ret;
	return bpf_tc_attach(&hook, &opts);
}

int gso_link_up(int uplink, __u16 port, int prog_fd, struct gso_link *l,
		struct wgt_err *e)
{
	char seg[IF_NAMESIZE], ret[IF_NAMESIZE];
	int err;

	if (gso_link_names(uplink, port, seg, ret))
		return wgt_err_set(e, -ENAMETOOLONG,
				   "the uplink's ifindex %d makes its GSO veth's name too long",
				   uplink);
	l->seg_ifindex = (int)if_nametoindex(seg);
	l->ret_ifindex = (int)if_nametoindex(ret);
	if (!l->seg_ifindex || !l->ret_ifindex || !link_is_up(l->seg_ifindex) ||
	    !link_is_up(l->ret_ifindex)) {
		/* half a pair, or one set down, is no use: start again */
		link_del(seg);
		link_del(ret);
		err = veth_pair_add(seg, ret, GSO_LINK_MTU, 1);
		if (err)
			return wgt_err_set(e, err, "cannot create veth pair %s/%s: %s",
					   seg, ret, strerror(-err));
		l->seg_ifindex = (int)if_nametoindex(seg);
		l->ret_ifindex = (int)if_nametoindex(ret);
	}
	err = attach_return(l->ret_ifindex, prog_fd);
	if (err) {
		gso_link_down(uplink, port);
		return wgt_err_set(e, err, "cannot attach TC ingress to %s: %s",
				   ret, strerror(-err));
	}
	return 0;
}

void gso_link_down(int uplink, __u16 port)
{
	char seg[IF_NAMESIZE], ret[IF_NAMESIZE];

	if (gso_link_names(uplink, port, seg, ret))
		return;
	link_del(seg);
	link_del(ret);
}
