// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "addr.h"
#include "log.h"
#include "peers.h"

static struct wgt_chan_key chan_key(const struct wgt_path *path)
{
	struct wgt_chan_key k = { .relay = path->via,
				  .channel = path->channel };
	return k;
}

/* relays[relay] counts the endpoints using it; the entry lives while
 * the count is non-zero. */
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

/* The reverse (ingress) entries of a path: add or remove them. */
static int reverse_add(const struct wgt_maps *m, const struct wgt_ep *ep,
		       const struct wgt_path *path)
{
	if (path->kind == WGT_PATH_DIRECT)
		return bpf_map_update_elem(m->directs, &path->via, ep, BPF_ANY);
	struct wgt_chan_key k = chan_key(path);

	if (bpf_map_update_elem(m->channels, &k, ep, BPF_ANY))
		return -1;
	if (relay_ref(m, &path->via, +1)) {
		bpf_map_delete_elem(m->channels, &k);
		return -1;
	}
	return 0;
}

static void reverse_del(const struct wgt_maps *m, const struct wgt_path *path)
{
	if (path->kind == WGT_PATH_DIRECT) {
		bpf_map_delete_elem(m->directs, &path->via);
		return;
	}
	struct wgt_chan_key k = chan_key(path);

	bpf_map_delete_elem(m->channels, &k);
	relay_ref(m, &path->via, -1);
}

/* Refuse a reverse entry already owned by another endpoint. */
static int reverse_conflict(const struct wgt_maps *m, const struct wgt_ep *ep,
			    const struct wgt_path *path)
{
	char a[EP_STRLEN], b[EP_STRLEN];
	struct wgt_ep owner;
	int r;

	if (path->kind == WGT_PATH_DIRECT) {
		r = bpf_map_lookup_elem(m->directs, &path->via, &owner);
	} else {
		struct wgt_chan_key k = chan_key(path);

		r = bpf_map_lookup_elem(m->channels, &k, &owner);
	}
	if (r || ep_eq(&owner, ep))
		return 0;
	if (path->kind == WGT_PATH_DIRECT)
		err("direct address %s already belongs to endpoint %s",
		    ep_str(&path->via, a, sizeof(a)),
		    ep_str(&owner, b, sizeof(b)));
	else
		err("channel 0x%04x on relay %s already belongs to endpoint %s",
		    path->channel, ep_str(&path->via, a, sizeof(a)),
		    ep_str(&owner, b, sizeof(b)));
	return -1;
}

static bool same_reverse(const struct wgt_path *a, const struct wgt_path *b)
{
	return a->kind == b->kind && a->channel == b->channel &&
	       ep_eq(&a->via, &b->via);
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
	     const struct wgt_path *path)
{
	struct wgt_path old;
	bool had = !bpf_map_lookup_elem(m->endpoints, ep, &old);
	bool keep_reverse = had && same_reverse(&old, path);
	int new_stats;

	if (path->via.family != ep->family) {
		err("endpoint and %s must be the same address family",
		    path->kind == WGT_PATH_RELAY ? "relay" : "direct address");
		return -1;
	}
	if (reverse_conflict(m, ep, path))
		return -1;

	new_stats = stats_create(m, ep);
	if (new_stats < 0)
		goto fail;
	if (!keep_reverse && reverse_add(m, ep, path))
		goto fail_stats;
	if (bpf_map_update_elem(m->endpoints, ep, path, BPF_ANY))
		goto fail_reverse;
	if (had && !keep_reverse)
		reverse_del(m, &old);
	return 0;

fail_reverse:
	if (!keep_reverse)
		reverse_del(m, path);
fail_stats:
	if (new_stats == 1)
		bpf_map_delete_elem(m->stats, ep);
fail:
	err("cannot update the maps: %s", strerror(errno));
	return -1;
}

int peer_del(const struct wgt_maps *m, const struct wgt_ep *ep)
{
	char a[EP_STRLEN];
	struct wgt_path old;

	if (bpf_map_lookup_elem(m->endpoints, ep, &old)) {
		err("no peer with endpoint %s", ep_str(ep, a, sizeof(a)));
		return -1;
	}
	if (bpf_map_delete_elem(m->endpoints, ep)) {
		err("cannot update the maps: %s", strerror(errno));
		return -1;
	}
	reverse_del(m, &old);
	bpf_map_delete_elem(m->stats, ep);
	return 0;
}
