// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"

int port_parse(const char *s, __u16 *port)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

int ep_parse(const char *s, struct wgt_ep *ep, char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			goto bad;
		hlen = close - s - 1;
		colon = close + 1;
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hlen);
		host[hlen] = 0;
		if (inet_pton(AF_INET6, host, ep->addr) != 1)
			goto bad;
		ep->family = WGT_AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			goto bad;
		hlen = colon - s;
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, s, hlen);
		host[hlen] = 0;
		if (inet_pton(AF_INET, host, ep->addr) != 1)
			goto bad;
		ep->family = WGT_AF_INET;
	}
	if (port_parse(colon + 1, &ep->port))
		goto bad;
	return 0;
bad:
	snprintf(why, whylen,
		 "invalid address '%s': expected a.b.c.d:port or [v6addr]:port",
		 s);
	return -1;
}

int chan_parse(const char *s, __u16 *chan, char *why, size_t whylen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (!*s || *s == '-' || errno || *end || v < WGT_CHAN_MIN ||
	    v > WGT_CHAN_MAX) {
		snprintf(why, whylen,
			 "invalid channel '%s': expected 0x4000-0x4FFF", s);
		return -1;
	}
	*chan = v;
	return 0;
}

const char *ep_str(const struct wgt_ep *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == WGT_AF_INET) {
		inet_ntop(AF_INET, ep->addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ep->port);
	} else if (ep->family == WGT_AF_INET6) {
		inet_ntop(AF_INET6, ep->addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ep->port);
	} else {
		snprintf(buf, len, "(none)");
	}
	return buf;
}

bool ep_eq(const struct wgt_ep *a, const struct wgt_ep *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

void ep_from_sa(struct wgt_ep *ep, const struct sockaddr *sa)
{
	memset(ep, 0, sizeof(*ep));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		memcpy(ep->addr, &s->sin_addr, 4);
		ep->port = ntohs(s->sin_port);
		ep->family = WGT_AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		memcpy(ep->addr, &s->sin6_addr, 16);
		ep->port = ntohs(s->sin6_port);
		ep->family = WGT_AF_INET6;
	}
}

socklen_t ep_to_sa(const struct wgt_ep *ep, struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (ep->family == WGT_AF_INET) {
		struct sockaddr_in *s = (void *)sa;

		s->sin_family = AF_INET;
		s->sin_port = htons(ep->port);
		memcpy(&s->sin_addr, ep->addr, 4);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (void *)sa;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(ep->port);
	memcpy(&s6->sin6_addr, ep->addr, 16);
	return sizeof(*s6);
}
