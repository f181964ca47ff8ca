// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "base/log.h"
#include "base/route_mtu.h"
#include "tunnel_mtu.h"

#define IPV6_MIN_MTU 1280	/* an IPv6 route takes no less (RFC 8200) */

/* The tunnel MTU for a path MTU of the outer family (WGT_AF_*). */
static uint32_t tmtu_of(uint32_t path_mtu, uint8_t family, bool relayed)
{
	uint32_t over = (family == WGT_AF_INET ? 20 : 40) + 8 + WG_OVERHEAD +
			(relayed ? WGT_CHANDATA_HLEN : 0);

	/* WireGuard pads what it encrypts to a multiple of 16, up to its
	 * interface's MTU (wireguard-go) or the route's (the kernel): the
	 * tunnel MTU must be a multiple of 16 itself. */
	return path_mtu > over ? (path_mtu - over) & ~(WG_PADDING - 1) : 0;
}

void tmtu_init(struct tunnel_mtu *t, const char *wgif)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->ifname, sizeof(t->ifname), "%s", wgif);
}

const struct tmtu_peer *tmtu_find(const struct tunnel_mtu *t,
				  const uint8_t key[WG_KEY_LEN])
{
	for (uint32_t i = 0; i < t->n; i++)
		if (!memcmp(t->peers[i].key, key, WG_KEY_LEN))
			return &t->peers[i];
	return NULL;
}

static struct tmtu_peer *peer_get(struct tunnel_mtu *t, const uint8_t *key)
{
	struct tmtu_peer *p = (struct tmtu_peer *)tmtu_find(t, key);

	if (p)
		return p;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 8;
		struct tmtu_peer *n = realloc(t->peers, cap * sizeof(*n));

		if (!n)
			return NULL;
		t->peers = n;
		t->cap = cap;
	}
	p = &t->peers[t->n++];
	memset(p, 0, sizeof(*p));
	memcpy(p->key, key, WG_KEY_LEN);
	return p;
}

/* The MTU for routes of one prefix: IPv6 routes take no less than 1280. */
static uint32_t route_value(const struct wg_allowed *a, uint32_t mtu)
{
	if (mtu && a->family == WGT_AF_INET6 && mtu < IPV6_MIN_MTU)
		return IPV6_MIN_MTU;
	return mtu;
}

static bool allowed_eq(const struct wg_allowed *a, const struct wg_allowed *b)
{
	return a->family == b->family && a->cidr == b->cidr &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static bool in_list(const struct wg_allowed *a, const struct wg_allowed *l,
		    uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		if (allowed_eq(a, &l[i]))
			return true;
	return false;
}

/*
 * Make the peer's routes carry mtu (0: none). Only routes this daemon
 * changed are recorded (p->prefixes), so only those are changed back: a
 * route with someone else's MTU, even an equal one, is never touched.
 * Run again, it repairs routes recreated meanwhile (wg-quick, ip link).
 */
static void reconcile(struct tunnel_mtu *t, struct tmtu_peer *p,
		      int ifindex, const struct wg_peer *wp, uint32_t mtu)
{
	const struct wg_allowed *al = wp ? wp->allowed : NULL;
	uint16_t n_al = wp ? wp->n_allowed : 0, kept = 0;
	char k[WG_KEY_B64LEN];
	int others = 0, rc;

	wg_key_to_base64(p->key, k);
	p->failed = false;
	/* ours: to the new value where still wanted, else back off */
	for (uint16_t i = 0; i < p->n_applied; i++) {
		const struct wg_allowed *a = &p->prefixes[i];
		uint32_t to = mtu && in_list(a, al, n_al) ? mtu : 0;

		rc = route_set_mtu(ifindex, a->family, a->addr, a->cidr,
				   route_value(a, to), route_value(a, p->applied),
				   NULL);
		if (rc < 0)
			p->failed = true;
		if (to && rc >= 0)
			p->prefixes[kept++] = *a;
	}
	p->n_applied = kept;
	/* new prefixes: only what we change becomes ours */
	for (uint16_t i = 0; mtu && i < n_al && !p->failed; i++) {
		const struct wg_allowed *a = &al[i];
		int o = 0;

		if (in_list(a, p->prefixes, p->n_applied))
			continue;
		rc = route_set_mtu(ifindex, a->family, a->addr, a->cidr,
				   route_value(a, mtu), 0, &o);
		others += o;
		if (rc < 0) {
			if (!p->failed)
				pr_warn("peer %s: cannot set the route MTU on %s: %s",
					k, t->ifname, strerror(-rc));
			p->failed = true;
		} else if (rc > 0 && p->n_applied < WG_MAX_ALLOWED) {
			p->prefixes[p->n_applied++] = *a;
		}
		if (a->family == WGT_AF_INET6 && mtu < IPV6_MIN_MTU)
			pr_warn("peer %s: tunnel MTU %u is below IPv6's 1280: IPv6 inside the tunnel will not fit",
				k, mtu);
	}
	if (others && others != p->others)
		pr_info("peer %s: %d route(s) on %s have an MTU or attributes of their own: left as they are",
			k, others, t->ifname);
	p->others = others;
	p->applied = mtu;
	p->n_seen = n_al;
	if (n_al)
		memcpy(p->seen, al, n_al * sizeof(*al));
	if (wp && wp->allowed_more && !p->warned_more) {
		p->warned_more = true;
		pr_warn("peer %s: more than %d allowed IPs: the tunnel MTU is set on the first %d only",
			k, WG_MAX_ALLOWED, WG_MAX_ALLOWED);
	}
}

static bool allowed_changed(const struct tmtu_peer *p, const struct wg_peer *wp)
{
	return p->n_seen != wp->n_allowed ||
	       memcmp(p->seen, wp->allowed, wp->n_allowed * sizeof(*p->seen));
}

/* The same address, ports aside. */
static bool same_host(const struct wgt_ep *a, const struct wgt_ep *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, 16);
}

static void check_peer(struct tunnel_mtu *t, int ifindex, uint32_t wg_mtu,
		       const struct wg_peer *wp, const struct wgt_maps *m,
		       const struct wgt_ep *probed_to, uint32_t probed,
		       const struct peer_pmtu *through)
{
	struct tmtu_peer *p = peer_get(t, wp->pubkey);
	struct wgt_path path;
	uint32_t want = 0, pmtu = 0, tun = 0, e2e = 0;
	char k[WG_KEY_B64LEN];
	int r;

	if (!p)
		return;
	p->seen_now = true;
	if (wp->endpoint.family && m->endpoints >= 0 &&
	    !bpf_map_lookup_elem(m->endpoints, &wp->endpoint, &path)) {
		r = route_path_mtu(&path.via);
		if (r > 0 && probed && same_host(&path.via, probed_to) &&
		    probed < (uint32_t)r)
			r = (int)probed;
		/* the relay's leg to the peer, as its answers showed */
		if (path.kind == WGT_PATH_RELAY && through && probed_to &&
		    same_host(&path.via, probed_to))
			e2e = peer_pmtu_value(through, &wp->endpoint);
		if (r > 0 && e2e && e2e < (uint32_t)r)
			r = (int)e2e;
		if (r > 0) {
			pmtu = (uint32_t)r;
			tun = tmtu_of(pmtu, path.via.family,
				      path.kind == WGT_PATH_RELAY);
		}
	}
	if (tun && wg_mtu && tun < wg_mtu)
		want = tun;
	wg_key_to_base64(wp->pubkey, k);
	if (pmtu && pmtu != p->path_mtu)
		pr_info("peer %s: path MTU %u: tunnel MTU %u (%s is %u)", k,
			pmtu, tun, t->ifname, wg_mtu);
	p->path_mtu = pmtu;
	p->through_mtu = pmtu ? e2e : 0;
	p->tunnel_mtu = tun;
	if (want != p->applied || p->failed || allowed_changed(p, wp) ||
	    (want && t->checks % TMTU_REPAIR_EVERY == 0))
		reconcile(t, p, ifindex, wp, want);
}

void tmtu_check(struct tunnel_mtu *t, const struct wg_snapshot *wg,
		const struct wgt_maps *m, const struct wgt_ep *probed_to,
		uint32_t probed, const struct peer_pmtu *through)
{
	int ifindex = (int)if_nametoindex(t->ifname);
	uint32_t wg_mtu = link_mtu(t->ifname);

	if (!ifindex || !wg)
		return;
	if (!t->flushed) {
		int n = route_flush_own(ifindex);

		t->flushed = true;
		if (n > 0)
			pr_info("%s: removed %d route MTUs a previous daemon left",
				t->ifname, n);
	}
	t->checks++;
	for (uint32_t i = 0; i < t->n; i++)
		t->peers[i].seen_now = false;
	for (uint32_t i = 0; i < wg->n_peers; i++)
		check_peer(t, ifindex, wg_mtu, &wg->peers[i], m, probed_to,
			   probed, through);
	/* Peers gone from WireGuard: their routes lose our MTU. */
	for (uint32_t i = 0; i < t->n;) {
		if (t->peers[i].seen_now) {
			i++;
			continue;
		}
		reconcile(t, &t->peers[i], ifindex, NULL, 0);
		t->peers[i] = t->peers[--t->n];
	}
}

void tmtu_clear(struct tunnel_mtu *t)
{
	int ifindex = (int)if_nametoindex(t->ifname);

	for (uint32_t i = 0; ifindex && i < t->n; i++)
		reconcile(t, &t->peers[i], ifindex, NULL, 0);
	free(t->peers);
	t->peers = NULL;
	t->n = t->cap = 0;
}
