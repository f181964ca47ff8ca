// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "xdp_mode.h"

int xdp_req_parse(const char *s, enum xdp_req *r)
{
	static const char *const names[] = { "auto", "native", "skb", "off" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*r = (enum xdp_req)i;
			return 0;
		}
	return -1;
}

const char *xdp_mode_str(__u32 mode)
{
	switch (mode) {
	case WGT_XDP_NATIVE:
		return "xdp native";
	case WGT_XDP_SKB:
		return "xdp skb";
	default:
		return "tc ingress";
	}
}

const char *xdp_mode_why(__u32 mode)
{
	switch (mode) {
	case WGT_XDP_NATIVE:
		return "native XDP: the driver runs it before the kernel builds an skb";
	case WGT_XDP_SKB:
		return "generic XDP, as asked (--xdp-mode skb)";
	case WGT_XDP_OFF:
		return "as asked (--xdp-mode off)";
	case WGT_XDP_TC_VETH:
		return "a veth: native XDP there copies every packet and turns TSO off on the peer, generic XDP copies too; TC ingress copies nothing";
	default:
		return "XDP refused, or held by another program (see attach -v)";
	}
}
