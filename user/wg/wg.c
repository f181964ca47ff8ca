// SPDX-License-Identifier: GPL-2.0
/* WireGuard access: which backend an interface has, and dispatch to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "wg_backend.h"

static bool snap_has_key(const uint8_t k[WG_KEY_LEN])
{
	uint8_t any = 0;

	for (int i = 0; i < WG_KEY_LEN; i++)
		any |= k[i];
	return any != 0;
}

static bool ifname_valid(const char *ifname)
{
	size_t n = strnlen(ifname, IF_NAMESIZE);

	/* It becomes a path component: no '/', no "." or "..". */
	return n > 0 && n < IF_NAMESIZE && !strchr(ifname, '/') &&
	       strcmp(ifname, ".") && strcmp(ifname, "..");
}

/* No UAPI socket: the kernel module's interface, or an explanation. */
static int open_netlink(struct wg_dev *dev, const char *sock, char *err,
			size_t errlen)
{
	struct wg_snapshot probe = { 0 };
	int rc;

	if (!if_nametoindex(dev->ifname)) {
		wg_seterr(err, errlen, "%s: no such interface (and no UAPI socket %s)",
		       dev->ifname, sock);
		return -ENODEV;
	}
	rc = wg_nl_open(dev, err, errlen);
	if (rc == -ENOENT) {
		wg_seterr(err, errlen,
		       "%s: not a WireGuard interface (no UAPI socket %s, and the kernel has no WireGuard module)",
		       dev->ifname, sock);
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* One read up front, so a wrong interface fails here, not later. */
	rc = wg_nl_get(dev, &probe, err, errlen);
	wg_snapshot_free(&probe);
	if (rc)
		wg_close(dev);
	return rc;
}

int wg_open_at(struct wg_dev *dev, const char *ifname, const char *uapi_dir,
	       char *err, size_t errlen)
{
	char path[sizeof(dev->sock_path)];
	struct stat st;
	int n;

	memset(dev, 0, sizeof(*dev));
	if (!ifname_valid(ifname)) {
		wg_seterr(err, errlen, "invalid interface name '%.*s'",
		       IF_NAMESIZE, ifname);
		return -EINVAL;
	}
	snprintf(dev->ifname, sizeof(dev->ifname), "%s", ifname);
	n = snprintf(path, sizeof(path), "%s/%s.sock", uapi_dir, ifname);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		wg_seterr(err, errlen, "%s/%s.sock: path too long", uapi_dir,
		       ifname);
		return -ENAMETOOLONG;
	}
	if (stat(path, &st) == 0 || errno != ENOENT)
		return wg_uapi_open(dev, path, err, errlen);
	return open_netlink(dev, path, err, errlen);
}

int wg_open(struct wg_dev *dev, const char *ifname, char *err, size_t errlen)
{
	return wg_open_at(dev, ifname, WG_UAPI_DIR, err, errlen);
}

/* The backends, by enum wg_backend. */
static const struct wg_ops *backend_ops(const struct wg_dev *dev)
{
	switch (dev->backend) {
	case WG_BACKEND_UAPI:
		return &wg_uapi_ops;
	case WG_BACKEND_NETLINK:
		return &wg_nl_ops;
	default:
		return NULL;
	}
}

void wg_close(struct wg_dev *dev)
{
	const struct wg_ops *ops = backend_ops(dev);

	if (ops && ops->close)
		ops->close(dev);
	dev->backend = WG_BACKEND_NONE;
}

const char *wg_backend_name(enum wg_backend b)
{
	switch (b) {
	case WG_BACKEND_UAPI:
		return "uapi";
	case WG_BACKEND_NETLINK:
		return "netlink";
	default:
		return "none";
	}
}

int wg_snapshot(struct wg_dev *dev, struct wg_snapshot *snap, char *err,
		size_t errlen)
{
	const struct wg_ops *ops = backend_ops(dev);

	if (!ops) {
		wg_snapshot_reset(snap);
		wg_seterr(err, errlen, "WireGuard device not open");
		return -EBADF;
	}
	return ops->get(dev, snap, err, errlen);
}

int wg_set_endpoint(struct wg_dev *dev, const uint8_t key[WG_KEY_LEN],
		    const struct wgt_ep *ep, char *err, size_t errlen)
{
	const struct wg_ops *ops = backend_ops(dev);

	if (ep->family != WGT_AF_INET && ep->family != WGT_AF_INET6) {
		wg_seterr(err, errlen, "endpoint has no address family");
		return -EINVAL;
	}
	if (!ops) {
		wg_seterr(err, errlen, "WireGuard device not open");
		return -EBADF;
	}
	return ops->set_endpoint(dev, key, ep, err, errlen);
}

int wg_private_key(struct wg_dev *dev, uint8_t out[WG_KEY_LEN], char *err,
		   size_t errlen)
{
	struct wg_snapshot snap = { .private_out = out };
	int rc;

	memset(out, 0, WG_KEY_LEN);
	rc = wg_snapshot(dev, &snap, err, errlen);
	wg_snapshot_free(&snap);
	if (rc)
		return rc;
	if (!snap_has_key(out)) {
		wg_seterr(err, errlen, "%s has no private key", dev->ifname);
		return -ENOKEY;
	}
	return 0;
}
