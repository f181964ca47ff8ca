// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
#include "route.h"

static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

int route_to(const struct sockaddr *dst, socklen_t dlen,
	     struct sockaddr_storage *local, char ifname[IF_NAMESIZE])
{
	socklen_t llen = sizeof(*local);
	struct ifaddrs *ifa, *i;
	int s = socket(dst->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -1;

	if (s < 0)
		return -1;
	if (connect(s, dst, dlen) || getsockname(s, (void *)local, &llen))
		goto out;
	if (local->ss_family == AF_INET)
		((struct sockaddr_in *)local)->sin_port = 0;
	else
		((struct sockaddr_in6 *)local)->sin6_port = 0;
	if (getifaddrs(&ifa))
		goto out;
	errno = ENODEV;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !same_addr(i->ifa_addr, (void *)local))
			continue;
		strncpy(ifname, i->ifa_name, IF_NAMESIZE - 1);
		ifname[IF_NAMESIZE - 1] = 0;
		ret = 0;
		break;
	}
	freeifaddrs(ifa);
out:
	close(s);
	return ret;
}
