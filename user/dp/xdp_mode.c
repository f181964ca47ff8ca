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
