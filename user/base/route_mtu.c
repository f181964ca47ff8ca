// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include "route_mtu.h"
#include "rtnl.h"

uint32_t link_mtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint32_t mtu = 0;

	if (s < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(s, SIOCGIFMTU, &ifr))
		mtu = (uint32_t)ifr.ifr_mtu;
	close(s);
	return mtu;
}

int route_path_mtu(const struct wgt_ep *ep)
{
	struct sockaddr_storage ss = { 0 };
	int af = ep->family == WGT_AF_INET ? AF_INET : AF_INET6;
	int s = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu = 0, ret;
	socklen_t len = sizeof(mtu);

	if (s < 0)
		return -errno;
	if (af == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, ep->addr, 4);
		a->sin_port = htons(ep->port ? ep->port : 9);
	} else {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, ep->addr, 16);
		a->sin6_port = htons(ep->port ? ep->port : 9);
	}
	/* A connected socket's IP_MTU is the route's, PMTU cache included;
	 * connecting sends nothing. */
	ret = connect(s, (void *)&ss, sizeof(ss)) ||
	      getsockopt(s, af == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
			 af == AF_INET ? IP_MTU : IPV6_MTU, &mtu, &len);
	ret = ret ? -errno : mtu > 0 ? mtu : -EINVAL;
	close(s);
	return ret;
}

/* One route as dumped: what a replace must repeat. */
struct rt {
	struct rtmsg rtm;
	uint32_t table, oif, prio;
	uint8_t dst[16], gw[16], prefsrc[16], pref;
	bool has_gw, has_prio, has_prefsrc, has_pref, multipath;
	bool exotic;		/* attributes a replace would not repeat */
	uint32_t metrics[RTAX_MAX + 1];
	uint32_t have_metric;	/* bit per RTAX_ */
};

#define MAX_MATCH 16

struct dump {
	int ifindex;
	bool own_only;		/* every route of ours on ifindex */
	uint8_t family, len;
	const uint8_t *addr;
	int n;
	struct rt found[MAX_MATCH];
};

static int metric_cb(const struct nlattr *a, void *data)
{
	struct rt *r = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t <= RTAX_MAX && t < 32 &&
	    mnl_attr_get_payload_len(a) == sizeof(uint32_t)) {
		r->metrics[t] = mnl_attr_get_u32(a);
		r->have_metric |= 1u << t;
	} else {
		r->exotic = true;	/* RTAX_CC_ALGO (a string), newer ones */
	}
	return MNL_CB_OK;
}

static void copy_addr(uint8_t *dst, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a);

	memcpy(dst, mnl_attr_get_payload(a), n > 16 ? 16 : n);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct rt *r = data;
	size_t alen = r->rtm.rtm_family == AF_INET ? 4 : 16;

	switch (mnl_attr_get_type(a)) {
	case RTA_TABLE:
		r->table = mnl_attr_get_u32(a);
		break;
	case RTA_OIF:
		r->oif = mnl_attr_get_u32(a);
		break;
	case RTA_PRIORITY:
		r->prio = mnl_attr_get_u32(a);
		r->has_prio = true;
		break;
	case RTA_DST:
		if (mnl_attr_get_payload_len(a) == alen)
			copy_addr(r->dst, a);
		break;
	case RTA_GATEWAY:
		if (mnl_attr_get_payload_len(a) == alen) {
			copy_addr(r->gw, a);
			r->has_gw = true;
		}
		break;
	case RTA_PREFSRC:
		if (mnl_attr_get_payload_len(a) == alen) {
			copy_addr(r->prefsrc, a);
			r->has_prefsrc = true;
		}
		break;
	case RTA_PREF:
		r->pref = mnl_attr_get_u8(a);
		r->has_pref = true;
		break;
	case RTA_MULTIPATH:
		r->multipath = true;
		break;
	case RTA_NH_ID:
	case RTA_ENCAP:
	case RTA_ENCAP_TYPE:
	case RTA_FLOW:
	case RTA_EXPIRES:
	case RTA_SRC:
	case RTA_VIA:
	case RTA_NEWDST:
		r->exotic = true;
		break;
	case RTA_METRICS:
		mnl_attr_parse_nested(a, metric_cb, r);
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct rt r = { .rtm = *rtm };

	if (rtm->rtm_family != (d->family == WGT_AF_INET ? AF_INET : AF_INET6) ||
	    (rtm->rtm_flags & RTM_F_CLONED))
		return MNL_CB_OK;
	if (d->own_only ? rtm->rtm_protocol != WGT_RTPROT :
			  rtm->rtm_dst_len != d->len)
		return MNL_CB_OK;
	r.table = rtm->rtm_table;
	mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, &r);
	if (r.multipath || (int)r.oif != d->ifindex || d->n == MAX_MATCH ||
	    (!d->own_only &&
	     memcmp(r.dst, d->addr, d->family == WGT_AF_INET ? 4 : 16)))
		return MNL_CB_OK;
	if (rtm->rtm_src_len || (rtm->rtm_flags & RTNH_F_ONLINK))
		r.exotic = true;
	d->found[d->n++] = r;
	return MNL_CB_OK;
}

/* The route again (how: NLM_F_REPLACE), or anew (NLM_F_CREATE), with
 * MTU metric mtu (0: none) and its lock bit. */
static int replace(struct mnl_socket *nl, const struct rt *r, uint32_t mtu,
		   uint32_t seq, uint16_t how)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	size_t alen = r->rtm.rtm_family == AF_INET ? 4 : 16;
	struct rtmsg *rtm;
	struct nlattr *m;
	uint32_t lock;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | how;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	*rtm = r->rtm;
	rtm->rtm_flags = 0;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->rtm.rtm_dst_len)
		mnl_attr_put(nlh, RTA_DST, alen, r->dst);
	mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->gw);
	if (r->has_prio)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->prio);
	if (r->has_prefsrc)
		mnl_attr_put(nlh, RTA_PREFSRC, alen, r->prefsrc);
	if (r->has_pref)
		mnl_attr_put_u8(nlh, RTA_PREF, r->pref);
	m = mnl_attr_nest_start(nlh, RTA_METRICS);
	lock = (r->have_metric & (1u << RTAX_LOCK)) ? r->metrics[RTAX_LOCK] : 0;
	lock = mtu ? lock | (1u << RTAX_MTU) : lock & ~(1u << RTAX_MTU);
	for (int t = 1; t <= RTAX_MAX && t < 32; t++)
		if ((r->have_metric & (1u << t)) && t != RTAX_MTU &&
		    t != RTAX_LOCK)
			mnl_attr_put_u32(nlh, t, r->metrics[t]);
	if (lock)
		mnl_attr_put_u32(nlh, RTAX_LOCK, lock);
	if (mtu)
		mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
	mnl_attr_nest_end(nlh, m);
	return rtnl_talk(nl, nlh, NULL, NULL);
}

static int oif_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rt r = { .rtm = *(struct rtmsg *)mnl_nlmsg_get_payload(nlh) };

	mnl_attr_parse(nlh, sizeof(struct rtmsg), attr_cb, &r);
	*(int *)data = (int)r.oif;
	return MNL_CB_OK;
}

/* The interface the main table sends addr through (no marks, no
 * policy), 0 if none. */
static int main_oif(struct mnl_socket *nl, uint8_t family,
		    const uint8_t *addr, uint32_t seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	int oif = 0;

	nlh->nlmsg_type = RTM_GETROUTE;
	/* the ACK after the answer ends rtnl_talk()'s reading */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family == WGT_AF_INET ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = family == WGT_AF_INET ? 32 : 128;
	rtm->rtm_flags = RTM_F_LOOKUP_TABLE;
	mnl_attr_put(nlh, RTA_DST, family == WGT_AF_INET ? 4 : 16, addr);
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	if (rtnl_talk(nl, nlh, oif_cb, &oif))
		return 0;
	return oif;
}

/* A route of our own for the prefix (none covered it exactly): the
 * same device, `mtu lock`, protocol WGT_RTPROT so it is known as ours. */
static int add_own(struct mnl_socket *nl, int ifindex, uint8_t family,
		   const uint8_t *addr, uint8_t len, uint32_t mtu, uint32_t seq)
{
	struct rt r = { 0 };

	r.rtm.rtm_family = family == WGT_AF_INET ? AF_INET : AF_INET6;
	r.rtm.rtm_dst_len = len;
	r.rtm.rtm_table = RT_TABLE_MAIN;
	r.rtm.rtm_protocol = WGT_RTPROT;
	r.rtm.rtm_scope = family == WGT_AF_INET ? RT_SCOPE_LINK :
						  RT_SCOPE_UNIVERSE;
	r.rtm.rtm_type = RTN_UNICAST;
	r.table = RT_TABLE_MAIN;
	r.oif = (uint32_t)ifindex;
	memcpy(r.dst, addr, family == WGT_AF_INET ? 4 : 16);
	return replace(nl, &r, mtu, seq, NLM_F_CREATE | NLM_F_EXCL);
}

static int del_own(struct mnl_socket *nl, const struct rt *r, uint32_t seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	size_t alen = r->rtm.rtm_family == AF_INET ? 4 : 16;
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	*rtm = r->rtm;
	rtm->rtm_flags = 0;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->rtm.rtm_dst_len)
		mnl_attr_put(nlh, RTA_DST, alen, r->dst);
	mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (r->has_prio)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->prio);
	return rtnl_talk(nl, nlh, NULL, NULL);
}

/* A bound rtnetlink socket with d's routes dumped into d, or NULL. */
static struct mnl_socket *dump_routes(struct dump *d, uint32_t seq, int *ret)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = rtnl_open();
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!nl) {
		*ret = -errno;
		return NULL;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = d->family == WGT_AF_INET ? AF_INET : AF_INET6;
	*ret = rtnl_talk(nl, nlh, route_cb, d);
	return nl;
}

int route_flush_own(int ifindex)
{
	uint32_t seq = (uint32_t)time(NULL);
	int ret = 0, gone = 0;

	for (uint8_t f = WGT_AF_INET; !ret && f <= WGT_AF_INET6; f += 2) {
		struct dump d = { .ifindex = ifindex, .own_only = true,
				  .family = f };
		struct mnl_socket *nl = dump_routes(&d, seq, &ret);

		if (!nl)
			return ret;
		for (int i = 0; !ret && i < d.n; i++) {
			ret = del_own(nl, &d.found[i], ++seq);
			gone += !ret;
		}
		mnl_socket_close(nl);
		seq += 100;
	}
	return ret ? ret : gone;
}

int route_set_mtu(int ifindex, uint8_t family, const uint8_t *addr,
		  uint8_t len, uint32_t mtu, uint32_t ours, int *others)
{
	struct dump d = { .ifindex = ifindex, .family = family, .len = len,
			  .addr = addr };
	uint32_t seq = (uint32_t)time(NULL);
	struct mnl_socket *nl;
	int ret, changed = 0;

	if (others)
		*others = 0;
	nl = dump_routes(&d, seq, &ret);
	if (!nl)
		return ret;
	/* Our own route changes no path: only where the main table
	 * already sends the prefix's address through this interface. */
	if (!ret && !d.n && mtu && main_oif(nl, family, addr, ++seq) == ifindex) {
		ret = add_own(nl, ifindex, family, addr, len, mtu, ++seq);
		changed = !ret;
	}
	for (int i = 0; !ret && i < d.n; i++) {
		const struct rt *r = &d.found[i];
		bool own = r->rtm.rtm_protocol == WGT_RTPROT;
		uint32_t cur = (r->have_metric & (1u << RTAX_MTU)) ?
				       r->metrics[RTAX_MTU] : 0;

		if (own && !mtu) {
			ret = del_own(nl, r, ++seq);
			changed += !ret;
			continue;
		}
		/* someone else's MTU, or a route we cannot repeat exactly */
		if (!own && ((cur && cur != ours) || r->exotic)) {
			if (others)
				++*others;
			continue;
		}
		if (cur == mtu)
			continue;
		ret = replace(nl, r, mtu, ++seq, NLM_F_REPLACE);
		changed += !ret;
	}
	mnl_socket_close(nl);
	return ret ? ret : changed;
}
