// SPDX-License-Identifier: GPL-2.0
/*
 * Peer mappings. The endpoints map says where a peer's packets go now;
 * the reverse entries (channels, directs) say which arrivals are that
 * peer's. A path switch leaves the old reverse entry in place: packets
 * still in flight on the old path keep arriving as from the endpoint, so
 * WireGuard never roams away from it. Reverse entries go with `peer del`,
 * or when another peer takes the channel or address over.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "base/addr.h"
#include "base/err.h"
#include "peers.h"

static struct wgt_chan_key chan_key(const struct wgt_path *path)
{
	struct wgt_chan_key k = { .relay = path->via,
				  .channel = path->channel };
	return k;
}

/* relays[relay] counts the channels bound on it; the entry lives while
 * the count is non-zero, so ingress knows the relay's address. */
static int relay_ref(const struct wgt_maps *m, const struct wgt_ep *relay,
		     int delta)
{
	struct wgt_relay r = {};

	bpf_map_lookup_elem(m->relays, relay, &r);
	if (delta < 0 && r.endpoints <= 1)
		return bpf_map_delete_elem(m->relays, relay);
	r.endpoints += delta;
	return bpf_map_update_elem(m->relays, relay, &r, BPF_ANY);
}

/* Point the path's reverse entry at ep. *created tells the caller what
 * to undo on a later failure. */
static int reverse_add(const struct wgt_maps *m, const struct wgt_ep *ep,
		       const struct wgt_path *path, bool *created)
{
	struct wgt_chan_key k = chan_key(path);
	struct wgt_ep owner;

	if (path->kind == WGT_PATH_DIRECT) {
		*created = bpf_map_lookup_elem(m->directs, &path->via, &owner);
		return bpf_map_update_elem(m->directs, &path->via, ep, BPF_ANY);
	}
	*created = bpf_map_lookup_elem(m->channels, &k, &owner);
	if (bpf_map_update_elem(m->channels, &k, ep, BPF_ANY))
		return -1;
	if (*created && relay_ref(m, &path->via, +1)) {
		bpf_map_delete_elem(m->channels, &k);
		return -1;
	}
	return 0;
}

static void reverse_del(const struct wgt_maps *m, const struct wgt_path *path)
{
	struct wgt_chan_key k = chan_key(path);

	if (path->kind == WGT_PATH_DIRECT) {
		bpf_map_delete_elem(m->directs, &path->via);
	} else if (!bpf_map_delete_elem(m->channels, &k)) {
		relay_ref(m, &path->via, -1);
	}
}

static bool same_path(const struct wgt_path *a, const struct wgt_path *b)
{
	return a->kind == b->kind && a->channel == b->channel &&
	       ep_eq(&a->via, &b->via);
}

/* A reverse entry owned by another endpoint's current path is taken;
 * one left over from an earlier path of that endpoint is free. */
static int reverse_conflict(const struct wgt_maps *m, const struct wgt_ep *ep,
			    const struct wgt_path *path, struct wgt_err *e)
{
	char a[EP_STRLEN], b[EP_STRLEN];
	struct wgt_path cur;
	struct wgt_ep owner;
	int r;

	if (path->kind == WGT_PATH_DIRECT) {
		r = bpf_map_lookup_elem(m->directs, &path->via, &owner);
	} else {
		struct wgt_chan_key k = chan_key(path);

		r = bpf_map_lookup_elem(m->channels, &k, &owner);
	}
	if (r || ep_eq(&owner, ep) ||
	    bpf_map_lookup_elem(m->endpoints, &owner, &cur) ||
	    !same_path(&cur, path))
		return 0;
	if (path->kind == WGT_PATH_DIRECT)
		return wgt_err_set(e, -EEXIST,
				   "direct address %s already belongs to endpoint %s",
				   ep_str(&path->via, a, sizeof(a)),
				   ep_str(&owner, b, sizeof(b)));
	return wgt_err_set(e, -EEXIST,
			   "channel 0x%04x on relay %s already belongs to endpoint %s",
			   path->channel, ep_str(&path->via, a, sizeof(a)),
			   ep_str(&owner, b, sizeof(b)));
}

/* A path ep may take: its family, its reverse entry free. */
static int path_check(const struct wgt_maps *m, const struct wgt_ep *ep,
		      const struct wgt_path *path, struct wgt_err *e)
{
	if (path->via.family != ep->family)
		return wgt_err_set(e, -EINVAL,
				   "endpoint and %s must be the same address family",
				   path->kind == WGT_PATH_RELAY ? "relay" : "direct address");
	return reverse_conflict(m, ep, path, e);
}

/* 1 if created, 0 if it was there, -1 on error. */
static int stats_create(const struct wgt_maps *m, const struct wgt_ep *ep)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wgt_stats *zero;
	int ret;

	if (ncpu <= 0 || !(zero = calloc(ncpu, sizeof(*zero))))
		return -1;
	ret = bpf_map_update_elem(m->stats, ep, zero, BPF_NOEXIST);
	free(zero);
	if (ret)
		return errno == EEXIST ? 0 : -1;
	return 1;
}

int peer_set(const struct wgt_maps *m, const struct wgt_ep *ep,
	     const struct wgt_path *path, struct wgt_err *e)
{
	bool created = false;
	int new_stats, err;

	err = path_check(m, ep, path, e);
	if (err)
		return err;

	new_stats = stats_create(m, ep);
	if (new_stats < 0) {
		err = -errno;
		goto fail;
	}
	if (reverse_add(m, ep, path, &created)) {
		err = -errno;
		goto fail_stats;
	}
	/* The switch itself: one update, what egress sees next. */
	if (bpf_map_update_elem(m->endpoints, ep, path, BPF_ANY)) {
		err = -errno;
		goto fail_reverse;
	}
	return 0;

fail_reverse:
	if (created)
		reverse_del(m, path);
fail_stats:
	if (new_stats == 1)
		bpf_map_delete_elem(m->stats, ep);
fail:
	/* (errno as the failing call left it, not as the undoing did) */
	return wgt_err_set(e, err, "cannot update the maps: %s",
			   strerror(-err));
}

int peer_accept(const struct wgt_maps *m, const struct wgt_ep *ep,
		const struct wgt_path *path, struct wgt_err *e)
{
	char a[EP_STRLEN], b[EP_STRLEN];
	struct wgt_ep owner;
	bool created;
	int err;

	err = path_check(m, ep, path, e);
	if (err)
		return err;
	/* An address another endpoint's packets arrive from stays its own:
	 * only peer_set (a path chosen) takes one over. */
	if (path->kind == WGT_PATH_DIRECT &&
	    !bpf_map_lookup_elem(m->directs, &path->via, &owner) &&
	    !ep_eq(&owner, ep))
		return wgt_err_set(e, -EEXIST,
				   "direct address %s already belongs to endpoint %s",
				   ep_str(&path->via, a, sizeof(a)),
				   ep_str(&owner, b, sizeof(b)));
	if (reverse_add(m, ep, path, &created))
		return wgt_err_set(e, -errno, "cannot update the maps: %s",
				   strerror(errno));
	return 0;
}

/* Remove every channel and direct entry that maps to ep. */
static void reverse_del_all(const struct wgt_maps *m, const struct wgt_ep *ep)
{
	struct wgt_chan_key ck, cnext, *cprev = NULL;
	struct wgt_ep dk, dnext, *dprev = NULL, owner;

	while (!bpf_map_get_next_key(m->channels, cprev, &cnext)) {
		ck = cnext;
		if (!bpf_map_lookup_elem(m->channels, &ck, &owner) &&
		    ep_eq(&owner, ep) && !bpf_map_delete_elem(m->channels, &ck)) {
			relay_ref(m, &ck.relay, -1);
			cprev = NULL; /* deleted: restart the walk */
			continue;
		}
		cprev = &ck;
	}
	while (!bpf_map_get_next_key(m->directs, dprev, &dnext)) {
		dk = dnext;
		if (!bpf_map_lookup_elem(m->directs, &dk, &owner) &&
		    ep_eq(&owner, ep) && !bpf_map_delete_elem(m->directs, &dk)) {
			dprev = NULL;
			continue;
		}
		dprev = &dk;
	}
}

int peer_del(const struct wgt_maps *m, const struct wgt_ep *ep,
	     struct wgt_err *e)
{
	char a[EP_STRLEN];
	struct wgt_path old;

	if (bpf_map_lookup_elem(m->endpoints, ep, &old))
		return wgt_err_set(e, -ENOENT, "no peer with endpoint %s",
				   ep_str(ep, a, sizeof(a)));
	if (bpf_map_delete_elem(m->endpoints, ep))
		return wgt_err_set(e, -errno, "cannot update the maps: %s",
				   strerror(errno));
	reverse_del_all(m, ep);
	bpf_map_delete_elem(m->stats, ep);
	return 0;
}

bool peer_exists(const struct wgt_maps *m, const struct wgt_ep *ep)
{
	struct wgt_path p;

	return !bpf_map_lookup_elem(m->endpoints, ep, &p);
}
