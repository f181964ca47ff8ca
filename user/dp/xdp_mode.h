/* SPDX-License-Identifier: GPL-2.0 */
/* The ingress hook asked for (--xdp-mode, XdpMode) and its names. */
#ifndef WGT_XDP_MODE_H
#define WGT_XDP_MODE_H

#include "wgturn.h"

/* off: no XDP, the TC ingress program strips ChannelData instead. */
enum xdp_req { XDP_REQ_AUTO, XDP_REQ_NATIVE, XDP_REQ_SKB, XDP_REQ_OFF };

/* "auto", "native", "skb" or "off": 0, or -1 for anything else. */
int xdp_req_parse(const char *s, enum xdp_req *r);
/* The hook in use (WGT_XDP_*), as show prints it. */
const char *xdp_mode_str(__u32 mode);
/* Why that hook, in a few words, for show. */
const char *xdp_mode_why(__u32 mode);

#endif
