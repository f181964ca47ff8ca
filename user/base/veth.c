// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include "rtnl.h"
#include "veth.h"

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags,
				 int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

static int create(struct mnl_socket *nl, const char *a, const char *b,
		  uint32_t mtu, uint32_t gso_max_segs)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK,
					NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *info, *data, *peer;
	struct ifinfomsg *pifi;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, a);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_put_u32(nlh, IFLA_GSO_MAX_SEGS, gso_max_segs);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow an ifinfomsg of its own. */
	pifi = (void *)((char *)nlh + nlh->nlmsg_len);
	memset(pifi, 0, sizeof(*pifi));
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*pifi));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, b);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return rtnl_talk(nl, nlh, NULL, NULL);
}

/* No link-local address: nothing of the kernel's own (DAD, router
 * solicitations) crosses the pair. Kernels without IPv6 refuse it. */
static void no_ipv6_addr(struct mnl_socket *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, ifindex);
	struct nlattr *spec, *af;

	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	af = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, af);
	mnl_attr_nest_end(nlh, spec);
	rtnl_talk(nl, nlh, NULL, NULL);
}

static int set_up(struct mnl_socket *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return rtnl_talk(nl, nlh, NULL, NULL);
}

int link_del(const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = rtnl_open();
	struct nlmsghdr *nlh;
	int ret;

	if (!nl)
		return -errno;
	nlh = link_msg(buf, RTM_DELLINK, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	ret = rtnl_talk(nl, nlh, NULL, NULL);
	mnl_socket_close(nl);
	return ret;
}

int veth_pair_add(const char *a, const char *b, uint32_t mtu,
		  uint32_t gso_max_segs)
{
	struct mnl_socket *nl = rtnl_open();
	int ret, ia, ib;

	if (!nl)
		return -errno;
	ret = create(nl, a, b, mtu, gso_max_segs);
	if (!ret) {
		ia = (int)if_nametoindex(a);
		ib = (int)if_nametoindex(b);
		ret = ia && ib ? 0 : -ENODEV;
	}
	if (!ret) {
		no_ipv6_addr(nl, ia);
		no_ipv6_addr(nl, ib);
		ret = set_up(nl, ia);
	}
	if (!ret)
		ret = set_up(nl, ib);
	mnl_socket_close(nl);
	if (ret && ret != -EEXIST)
		link_del(a);
	return ret;
}

bool link_is_up(int ifindex)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up = false;

	if (s < 0)
		return false;
	if (if_indextoname((unsigned int)ifindex, ifr.ifr_name) &&
	    !ioctl(s, SIOCGIFFLAGS, &ifr))
		up = ifr.ifr_flags & IFF_UP;
	close(s);
	return up;
}
