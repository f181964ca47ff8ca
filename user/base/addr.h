/* SPDX-License-Identifier: GPL-2.0 */
/* Parsing and printing of a.b.c.d:port and [v6]:port, and channels. */
#ifndef WGT_ADDR_H
#define WGT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "wgturn.h"

#define EP_STRLEN 64	/* "[" INET6_ADDRSTRLEN "]:65535" fits */

/* 0 on success; -1 with a message in why (one line) otherwise. */
int ep_parse(const char *s, struct wgt_ep *ep, char *why, size_t whylen);
int chan_parse(const char *s, __u16 *chan, char *why, size_t whylen);
int port_parse(const char *s, __u16 *port);
const char *ep_str(const struct wgt_ep *ep, char *buf, size_t len);
bool ep_eq(const struct wgt_ep *a, const struct wgt_ep *b);
/* Between socket addresses and endpoints; ep_to_sa returns the length. */
void ep_from_sa(struct wgt_ep *ep, const struct sockaddr *sa);
socklen_t ep_to_sa(const struct wgt_ep *ep, struct sockaddr_storage *sa);

#endif
