// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include "base/addr.h"
#include "show_state.h"

long long epoch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool st_int(json_object *o, const char *key, long long *out)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* Milliseconds since the epoch-ms field key of o, or -1. */
long long st_ago(json_object *o, const char *key)
{
	long long t, now = epoch_now_ms();

	if (!st_int(o, key, &t))
		return -1;
	return now > t ? now - t : 0;
}

/* Is the daemon that wrote st still running? A state file a killed
 * daemon left must not pass for the present. */
bool daemon_running(json_object *st)
{
	long long pid;

	return st_int(st, "pid", &pid) && pid > 0 &&
	       (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Seconds until the allocation expires, from its absolute time. */
json_object *expires_in(json_object *st)
{
	long long t;

	if (!st_int(st, "expires_at", &t))
		return NULL;
	t -= epoch_now_ms();
	return json_object_new_int64(t > 0 ? t / 1000 : 0);
}

json_object *ms_json(long long ms)
{
	return ms < 0 ? NULL : json_object_new_int64(ms);
}

const char *st_str(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && v ?
		       json_object_get_string(v) : NULL;
}

/* The member of the state's array key whose "endpoint" is a. */
static json_object *by_endpoint(json_object *st, const char *key,
				const char *a)
{
	json_object *arr;

	if (!st || !json_object_object_get_ex(st, key, &arr))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *p = json_object_array_get_idx(arr, i);
		const char *e = st_str(p, "endpoint");

		if (e && !strcmp(e, a))
			return p;
	}
	return NULL;
}

/* The daemon's view of a peer endpoint: permission and channel state. */
json_object *relay_peer(json_object *st, const struct wgt_ep *ep)
{
	char a[EP_STRLEN];

	return by_endpoint(st, "peers", ep_str(ep, a, sizeof(a)));
}

/* WireGuard's peer (from the state's wg_peers) whose endpoint is a. */
json_object *wg_peer_by_ep(json_object *st, const char *a)
{
	return by_endpoint(st, "wg_peers", a);
}

json_object *obj(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) &&
		       json_object_is_type(v, json_type_object) ? v : NULL;
}

/* WireGuard peers the datapath has no entry for (no endpoint yet, or
 * one of another family): fn(ctx, peer). */
void for_unmapped(json_object *st, const struct peer_view *pv, int n,
			 void (*fn)(void *, json_object *), void *ctx)
{
	json_object *peers;
	char a[EP_STRLEN];

	if (!st || !json_object_object_get_ex(st, "wg_peers", &peers))
		return;
	for (size_t i = 0; i < json_object_array_length(peers); i++) {
		json_object *p = json_object_array_get_idx(peers, i);
		const char *e = st_str(p, "endpoint");
		bool mapped = false;

		for (int j = 0; e && j < n && !mapped; j++)
			mapped = !strcmp(ep_str(&pv[j].ep, a, sizeof(a)), e);
		if (!mapped)
			fn(ctx, p);
	}
}

__u64 now_ns(void)
{
	struct timespec ts;

	/* bpf_ktime_get_coarse_ns() is CLOCK_MONOTONIC, a tick behind. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ms since t, or -1 for never. */
long long ms_ago(__u64 t, __u64 now)
{
	return t ? (long long)((now > t ? now - t : 0) / 1000000) : -1;
}

const char *ifname_of(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}
