// SPDX-License-Identifier: GPL-2.0
/* WireGuard snapshots (no I/O): building one from a backend's reply,
 * finding and diffing peers, key encodings, the error-message helper. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "base/addr.h"
#include "wg_backend.h"

void wg_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- Snapshots ---- */

void wg_snapshot_reset(struct wg_snapshot *snap)
{
	snap->listen_port = 0;
	snap->fwmark = 0;
	snap->has_pubkey = false;
	snap->n_peers = 0;
}

void wg_snapshot_free(struct wg_snapshot *snap)
{
	free(snap->peers);
	memset(snap, 0, sizeof(*snap));
}

static int snapshot_grow(struct wg_snapshot *snap)
{
	uint32_t cap = snap->cap ? snap->cap * 2 : 16;
	struct wg_peer *p;

	if (snap->cap >= WG_MAX_PEERS)
		return -E2BIG;
	if (cap > WG_MAX_PEERS)
		cap = WG_MAX_PEERS;
	p = realloc(snap->peers, (size_t)cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	snap->peers = p;
	snap->cap = cap;
	return 0;
}

struct wg_peer *wg_snapshot_peer(struct wg_snapshot *snap,
				 const uint8_t key[WG_KEY_LEN], int *rc)
{
	struct wg_peer *p;

	if (snap->n_peers) {
		p = &snap->peers[snap->n_peers - 1];
		if (!memcmp(p->pubkey, key, WG_KEY_LEN))
			return p;
	}
	if (snap->n_peers == snap->cap) {
		*rc = snapshot_grow(snap);
		if (*rc)
			return NULL;
	}
	p = &snap->peers[snap->n_peers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->pubkey, key, WG_KEY_LEN);
	return p;
}

static int peer_cmp(const void *a, const void *b)
{
	return memcmp(((const struct wg_peer *)a)->pubkey,
		      ((const struct wg_peer *)b)->pubkey, WG_KEY_LEN);
}

int wg_snapshot_finish(struct wg_snapshot *snap)
{
	if (snap->n_peers > 1)
		qsort(snap->peers, snap->n_peers, sizeof(*snap->peers),
		      peer_cmp);
	for (uint32_t i = 1; i < snap->n_peers; i++)
		if (!peer_cmp(&snap->peers[i - 1], &snap->peers[i]))
			return -EPROTO;
	return 0;
}

const struct wg_peer *wg_snapshot_find(const struct wg_snapshot *snap,
				       const uint8_t key[WG_KEY_LEN])
{
	struct wg_peer k;

	if (!snap->n_peers)
		return NULL;
	memcpy(k.pubkey, key, WG_KEY_LEN);
	return bsearch(&k, snap->peers, snap->n_peers, sizeof(k), peer_cmp);
}

void wg_ep_normalize(struct wgt_ep *ep)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (ep->family != WGT_AF_INET6 || memcmp(ep->addr, mapped, 12))
		return;
	memmove(ep->addr, ep->addr + 12, 4);
	memset(ep->addr + 4, 0, 12);
	ep->family = WGT_AF_INET;
}

int wg_peer_add_allowed(struct wg_peer *p, int af, const void *addr,
			unsigned int cidr)
{
	struct wg_allowed *a;

	if ((af != AF_INET || cidr > 32) && (af != AF_INET6 || cidr > 128))
		return -EPROTO;
	if (p->n_allowed == WG_MAX_ALLOWED) {
		p->allowed_more = true;
		return 0;
	}
	a = &p->allowed[p->n_allowed++];
	memset(a, 0, sizeof(*a));
	memcpy(a->addr, addr, af == AF_INET ? 4 : 16);
	a->family = af == AF_INET ? WGT_AF_INET : WGT_AF_INET6;
	a->cidr = (uint8_t)cidr;
	return 0;
}

/* ---- Diff ---- */

static uint32_t peer_changes(const struct wg_peer *a, const struct wg_peer *b)
{
	uint32_t what = 0;

	if (!ep_eq(&a->endpoint, &b->endpoint))
		what |= WG_CH_ENDPOINT;
	if (a->keepalive != b->keepalive)
		what |= WG_CH_KEEPALIVE;
	if (a->handshake_ns != b->handshake_ns)
		what |= WG_CH_HANDSHAKE;
	if (a->n_allowed != b->n_allowed || a->allowed_more != b->allowed_more ||
	    memcmp(a->allowed, b->allowed, a->n_allowed * sizeof(a->allowed[0])))
		what |= WG_CH_ALLOWED;
	return what;
}

static uint32_t report(uint32_t what, uint32_t mask, wg_diff_fn fn, void *ctx,
		       const struct wg_peer *old, const struct wg_peer *cur)
{
	what &= mask;
	if (what && fn)
		fn(ctx, what, old, cur);
	return what;
}

uint32_t wg_diff(const struct wg_snapshot *old, const struct wg_snapshot *cur,
		 uint32_t mask, wg_diff_fn fn, void *ctx)
{
	uint32_t i = 0, j = 0, all = 0;

	if (old->listen_port != cur->listen_port)
		all |= WG_CH_PORT & mask;
	/* Both sorted by key: a merge walk. */
	while (i < old->n_peers || j < cur->n_peers) {
		const struct wg_peer *a = i < old->n_peers ? &old->peers[i] : NULL;
		const struct wg_peer *b = j < cur->n_peers ? &cur->peers[j] : NULL;
		int c = !a ? 1 : !b ? -1 : peer_cmp(a, b);

		if (c < 0) {
			all |= report(WG_CH_REMOVED, mask, fn, ctx, a, NULL);
			i++;
		} else if (c > 0) {
			all |= report(WG_CH_ADDED, mask, fn, ctx, NULL, b);
			j++;
		} else {
			all |= report(peer_changes(a, b), mask, fn, ctx, a, b);
			i++;
			j++;
		}
	}
	return all;
}

/* ---- Keys ---- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void wg_key_to_base64(const uint8_t key[WG_KEY_LEN], char out[WG_KEY_B64LEN])
{
	uint32_t i, o = 0;

	for (i = 0; i + 3 <= WG_KEY_LEN; i += 3) {
		uint32_t v = key[i] << 16 | key[i + 1] << 8 | key[i + 2];

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	/* 32 = 30 + 2: the last group has two bytes and one '='. */
	uint32_t v = key[30] << 16 | key[31] << 8;

	out[o++] = b64[v >> 18];
	out[o++] = b64[(v >> 12) & 63];
	out[o++] = b64[(v >> 6) & 63];
	out[o++] = '=';
	out[o] = 0;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int wg_key_from_base64(const char *s, uint8_t key[WG_KEY_LEN])
{
	uint32_t acc = 0, o = 0;

	if (strlen(s) != WG_KEY_B64LEN - 1 || s[43] != '=')
		return -EINVAL;
	for (int i = 0; i < 43; i++) {
		int v = b64_val(s[i]);

		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			key[o++] = acc >> 16;
			key[o++] = acc >> 8;
			key[o++] = acc;
			acc = 0;
		}
	}
	/* 43 = 40 + 3 characters: 18 bits, the low 2 must be zero. */
	if (acc & 3)
		return -EINVAL;
	key[o++] = acc >> 10;
	key[o++] = acc >> 2;
	return 0;
}

void wg_key_to_hex(const uint8_t key[WG_KEY_LEN], char out[2 * WG_KEY_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < WG_KEY_LEN; i++) {
		out[2 * i] = hex[key[i] >> 4];
		out[2 * i + 1] = hex[key[i] & 15];
	}
	out[2 * WG_KEY_LEN] = 0;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int wg_key_from_hex(const char *s, size_t len, uint8_t key[WG_KEY_LEN])
{
	if (len != 2 * WG_KEY_LEN)
		return -EINVAL;
	for (int i = 0; i < WG_KEY_LEN; i++) {
		int hi = hex_val(s[2 * i]), lo = hex_val(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		key[i] = hi << 4 | lo;
	}
	return 0;
}
