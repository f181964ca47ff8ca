// SPDX-License-Identifier: GPL-2.0
/* `wgturn show`: a table in the spirit of `wg show`, or JSON. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "base/addr.h"
#include "base/err.h"
#include "dp/loader.h"
#include "base/log.h"
#include "dp/maps.h"
#include "show.h"
#include "daemon/state.h"

struct peer_view {
	struct wgt_ep ep;
	struct wgt_path path;
	struct wgt_stats st;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ms since t, or -1 for never. */
static long long ms_ago(__u64 t, __u64 now)
{
	return t ? (long long)((now > t ? now - t : 0) / 1000000) : -1;
}

static const char *ifname_of(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

static void human_bytes(__u64 b, char *buf, size_t len)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, len, "%.2f %s", v, unit[u]);
}

static void human_ago(const char *what, long long ms)
{
	if (ms < 0)
		printf("  %s: never\n", what);
	else if (ms < 1000)
		printf("  %s: %lld ms ago\n", what, ms);
	else
		printf("  %s: %lld seconds ago\n", what, ms / 1000);
}

static long long epoch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool st_int(json_object *o, const char *key, long long *out)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* Milliseconds since the epoch-ms field key of o, or -1. */
static long long st_ago(json_object *o, const char *key)
{
	long long t, now = epoch_now_ms();

	if (!st_int(o, key, &t))
		return -1;
	return now > t ? now - t : 0;
}

/* Is the daemon that wrote st still running? A state file a killed
 * daemon left must not pass for the present. */
static bool daemon_running(json_object *st)
{
	long long pid;

	return st_int(st, "pid", &pid) && pid > 0 &&
	       (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Seconds until the allocation expires, from its absolute time. */
static json_object *expires_in(json_object *st)
{
	long long t;

	if (!st_int(st, "expires_at", &t))
		return NULL;
	t -= epoch_now_ms();
	return json_object_new_int64(t > 0 ? t / 1000 : 0);
}

static json_object *ms_json(long long ms)
{
	return ms < 0 ? NULL : json_object_new_int64(ms);
}

/* The daemon's state file (NULL without a daemon) as relays[]. */
static json_object *relays_json(json_object *st)
{
	static const char *const keys[] = { "server", "state", "relayed",
					    "mapped", "error", "lifetime_s",
					    "unreachable", "hints_ignored" };
	json_object *arr = json_object_new_array(), *r, *v;

	if (!st)
		return arr;
	r = json_object_new_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_add(r, keys[i],
			json_object_object_get_ex(st, keys[i], &v) ?
				json_object_get(v) : NULL);
	json_object_object_add(r, "expires_in_s", expires_in(st));
	json_object_object_add(r, "last_answer_ms_ago",
			       ms_json(st_ago(st, "last_answer_at")));
	/* written by a daemon that has gone: the last thing it saw */
	json_object_object_add(r, "stale",
			       json_object_new_boolean(!daemon_running(st)));
	json_object_array_add(arr, r);
	return arr;
}

static const char *st_str(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && v ?
		       json_object_get_string(v) : NULL;
}

/* The daemon's view of a peer endpoint: permission and channel state. */
static json_object *relay_peer(json_object *st, const struct wgt_ep *ep)
{
	char a[EP_STRLEN];
	json_object *peers;

	if (!st || !json_object_object_get_ex(st, "peers", &peers))
		return NULL;
	ep_str(ep, a, sizeof(a));
	for (size_t i = 0; i < json_object_array_length(peers); i++) {
		json_object *p = json_object_array_get_idx(peers, i);
		const char *e = st_str(p, "endpoint");

		if (e && !strcmp(e, a))
			return p;
	}
	return NULL;
}

/* WireGuard's peer (from the state's wg_peers) whose endpoint is a. */
static json_object *wg_peer_by_ep(json_object *st, const char *a)
{
	json_object *peers;

	if (!st || !json_object_object_get_ex(st, "wg_peers", &peers))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(peers); i++) {
		json_object *p = json_object_array_get_idx(peers, i);
		const char *e = st_str(p, "endpoint");

		if (e && !strcmp(e, a))
			return p;
	}
	return NULL;
}

static json_object *obj(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) &&
		       json_object_is_type(v, json_type_object) ? v : NULL;
}

static void print_daemon(json_object *st)
{
	long long pid = 0;
	json_object *r = obj(st, "rendezvous");

	st_int(st, "pid", &pid);
	if (daemon_running(st))
		printf("  daemon: pid %lld\n", pid);
	else
		printf("  daemon: not running (pid %lld gone); what follows was last seen %lld s ago\n",
		       pid, st_ago(st, "written_at") / 1000);
	if (!r)
		return;
	printf("  rendezvous: zone %s at %s", st_str(r, "zone") ?: "?",
	       st_str(r, "server") ?: "?");
	if (st_str(r, "published"))
		printf(", published %s %lld s ago", st_str(r, "published"),
		       st_ago(r, "published_at") / 1000);
	else
		printf(", nothing published");
	printf("\n");
	if (st_str(r, "error"))
		printf("  rendezvous error: %s\n", st_str(r, "error"));
}

/* The peer's WireGuard side: key, handshake, the record it came from. */
static void print_wg_peer(json_object *wp)
{
	json_object *rec = obj(wp, "record");
	long long hs = st_ago(wp, "handshake_at");

	printf("  public key: %s\n", st_str(wp, "public_key") ?: "?");
	if (hs < 0)
		printf("  latest handshake: never\n");
	else
		printf("  latest handshake: %lld seconds ago\n", hs / 1000);
	if (rec)
		printf("  record: %s, read %lld s ago\n",
		       st_str(rec, "endpoint") ?: "?",
		       st_ago(rec, "read_at") / 1000);
	if (st_str(wp, "lookup_error"))
		printf("  lookup error: %s\n", st_str(wp, "lookup_error"));
}

/* WireGuard peers the datapath has no entry for (no endpoint yet, or
 * one of another family): fn(ctx, peer). */
static void for_unmapped(json_object *st, const struct peer_view *pv, int n,
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

static void print_unmapped(void *ctx, json_object *wp)
{
	printf("\npeer endpoint: %s\n", st_str(wp, "endpoint") ?: "(none)");
	print_wg_peer(wp);
	printf("  path: none\n");
}

static void print_human(const char *name, const struct wgt_config *cfg,
			const struct wgt_uplink *up, const __u64 *cnt,
			const struct peer_view *pv, int n, json_object *st)
{
	char a[EP_STRLEN], ifn[IF_NAMESIZE], rx[32], tx[32];
	__u64 now = now_ns();
	bool first = true;

	printf("interface: %s\n", name);
	printf("  listening port: %u\n", cfg->wg_port);
	if (cfg->ctl_port)
		printf("  control port: %u\n", cfg->ctl_port);
	printf("  uplinks:");
	for (int i = 0; i < WGT_MAX_UPLINKS; i++)
		if (up[i].ifindex)
			printf(" %s (%s, mtu %u)", ifname_of(up[i].ifindex, ifn),
			       xdp_mode_str(up[i].xdp_mode), up[i].mtu);
	printf("\n");
	if (cnt[WGT_DROP_TOO_BIG])
		printf("  too big: %llu packets dropped, relaying would exceed the uplink MTU (lower the WireGuard MTU by 4)\n",
		       (unsigned long long)cnt[WGT_DROP_TOO_BIG]);
	printf("  counters:");
	for (int r = 0; r < WGT_REASON_MAX; r++) {
		if (!cnt[r])
			continue;
		printf("%s %s %llu", first ? "" : ",", reason_names[r],
		       (unsigned long long)cnt[r]);
		first = false;
	}
	printf("%s\n", first ? " none" : "");
	if (st) {
		json_object *ex = expires_in(st);

		print_daemon(st);
		printf("  relay: %s, %s%s", st_str(st, "server") ?: "?",
		       daemon_running(st) ? "" : "last seen ",
		       st_str(st, "state") ?: "?");
		if (st_str(st, "relayed"))
			printf(", relayed %s", st_str(st, "relayed"));
		if (st_str(st, "mapped"))
			printf(", mapped %s", st_str(st, "mapped"));
		if (ex)
			printf(", expires in %s s", json_object_get_string(ex));
		json_object_put(ex);
		printf("\n");
		if (st_str(st, "error"))
			printf("  relay error: %s\n", st_str(st, "error"));
	}

	for (int i = 0; i < n; i++) {
		json_object *rp = relay_peer(st, &pv[i].ep);

		json_object *wp;

		printf("\npeer endpoint: %s\n", ep_str(&pv[i].ep, a, sizeof(a)));
		wp = wg_peer_by_ep(st, a);
		if (wp)
			print_wg_peer(wp);
		if (rp)
			printf("  permission: %s, channel: %s\n",
			       st_str(rp, "permission"),
			       st_str(rp, "channel_state"));
		if (pv[i].path.kind == WGT_PATH_RELAY)
			printf("  path: relay %s channel 0x%04x\n",
			       ep_str(&pv[i].path.via, a, sizeof(a)),
			       pv[i].path.channel);
		else
			printf("  path: direct %s\n",
			       ep_str(&pv[i].path.via, a, sizeof(a)));
		human_ago("latest rx", ms_ago(pv[i].st.last_rx_ns, now));
		human_ago("latest tx", ms_ago(pv[i].st.last_tx_ns, now));
		human_bytes(pv[i].st.rx_bytes, rx, sizeof(rx));
		human_bytes(pv[i].st.tx_bytes, tx, sizeof(tx));
		printf("  transfer: %s received (%llu packets), %s sent (%llu packets)\n",
		       rx, (unsigned long long)pv[i].st.rx_packets, tx,
		       (unsigned long long)pv[i].st.tx_packets);
	}
	for_unmapped(st, pv, n, print_unmapped, NULL);
}

/* A record as show --json gives it: ages, not absolute times. */
static json_object *record_json(json_object *rec)
{
	static const char *const keys[] = { "endpoint", "ttl", "relayed",
					    "srflx", "host" };
	json_object *o, *v;

	if (!rec)
		return NULL;
	o = json_object_new_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_add(o, keys[i],
			json_object_object_get_ex(rec, keys[i], &v) ?
				json_object_get(v) : NULL);
	json_object_object_add(o, "read_ms_ago", ms_json(st_ago(rec, "read_at")));
	return o;
}

static void add_wg_fields(json_object *c, json_object *wp)
{
	json_object_object_add(c, "public_key", st_str(wp, "public_key") ?
		json_object_new_string(st_str(wp, "public_key")) : NULL);
	json_object_object_add(c, "handshake_ms_ago",
			       wp ? ms_json(st_ago(wp, "handshake_at")) : NULL);
	json_object_object_add(c, "record", record_json(obj(wp, "record")));
	json_object_object_add(c, "lookup_error", st_str(wp, "lookup_error") ?
		json_object_new_string(st_str(wp, "lookup_error")) : NULL);
}

static void add_unmapped(void *ctx, json_object *wp)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "endpoint", st_str(wp, "endpoint") ?
		json_object_new_string(st_str(wp, "endpoint")) : NULL);
	json_object_object_add(c, "path", NULL);
	add_wg_fields(c, wp);
	json_object_array_add(ctx, c);
}

static json_object *daemon_json(json_object *st)
{
	json_object *o;
	long long pid;

	if (!st || !st_int(st, "pid", &pid))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int64(pid));
	json_object_object_add(o, "running",
			       json_object_new_boolean(daemon_running(st)));
	json_object_object_add(o, "state_ms_ago",
			       ms_json(st_ago(st, "written_at")));
	return o;
}

static json_object *rendezvous_json(json_object *st)
{
	static const char *const keys[] = { "zone", "server", "publish",
					    "published", "error" };
	json_object *r = obj(st, "rendezvous"), *o, *v;

	if (!r)
		return NULL;
	o = json_object_new_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_add(o, keys[i],
			json_object_object_get_ex(r, keys[i], &v) ?
				json_object_get(v) : NULL);
	json_object_object_add(o, "published_ms_ago",
			       ms_json(st_ago(r, "published_at")));
	return o;
}

static json_object *to_json(const char *name, const struct wgt_config *cfg,
			    const struct wgt_uplink *up, const __u64 *cnt,
			    const struct peer_view *pv, int n, json_object *st)
{
	json_object *o = json_object_new_object(), *arr, *c;
	char a[EP_STRLEN], ifn[IF_NAMESIZE];
	__u64 now = now_ns();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "port", json_object_new_int(cfg->wg_port));
	json_object_object_add(o, "control_port",
			       json_object_new_int(cfg->ctl_port));
	arr = json_object_new_array();
	for (int i = 0; i < WGT_MAX_UPLINKS; i++) {
		if (!up[i].ifindex)
			continue;
		c = json_object_new_object();
		json_object_object_add(c, "name", json_object_new_string(
			ifname_of(up[i].ifindex, ifn)));
		json_object_object_add(c, "ifindex",
				       json_object_new_int(up[i].ifindex));
		json_object_object_add(c, "ingress", json_object_new_string(
			xdp_mode_str(up[i].xdp_mode)));
		json_object_object_add(c, "mtu", json_object_new_int(up[i].mtu));
		json_object_array_add(arr, c);
	}
	json_object_object_add(o, "uplinks", arr);
	c = json_object_new_object();
	for (int r = 0; r < WGT_REASON_MAX; r++)
		json_object_object_add(c, reason_names[r],
				       json_object_new_uint64(cnt[r]));
	json_object_object_add(o, "counters", c);
	json_object_object_add(o, "relays", relays_json(st));

	arr = json_object_new_array();
	for (int i = 0; i < n; i++) {
		const struct peer_view *v = &pv[i];
		bool relay = v->path.kind == WGT_PATH_RELAY;

		c = json_object_new_object();
		json_object_object_add(c, "endpoint", json_object_new_string(
			ep_str(&v->ep, a, sizeof(a))));
		json_object_object_add(c, "path", json_object_new_string(
			relay ? "relay" : "direct"));
		json_object_object_add(c, "relay", relay ?
			json_object_new_string(ep_str(&v->path.via, a, sizeof(a))) :
			NULL);
		json_object_object_add(c, "channel", relay ?
			json_object_new_int(v->path.channel) : NULL);
		json_object_object_add(c, "direct", relay ? NULL :
			json_object_new_string(ep_str(&v->path.via, a, sizeof(a))));
		json_object_object_add(c, "rx_packets",
				       json_object_new_uint64(v->st.rx_packets));
		json_object_object_add(c, "rx_bytes",
				       json_object_new_uint64(v->st.rx_bytes));
		json_object_object_add(c, "tx_packets",
				       json_object_new_uint64(v->st.tx_packets));
		json_object_object_add(c, "tx_bytes",
				       json_object_new_uint64(v->st.tx_bytes));
		json_object_object_add(c, "last_rx_ms_ago",
				       ms_json(ms_ago(v->st.last_rx_ns, now)));
		json_object_object_add(c, "last_tx_ms_ago",
				       ms_json(ms_ago(v->st.last_tx_ns, now)));
		json_object *rp = relay_peer(st, &v->ep);

		json_object_object_add(c, "permission", rp && st_str(rp, "permission") ?
			json_object_new_string(st_str(rp, "permission")) : NULL);
		json_object_object_add(c, "channel_state", rp && st_str(rp, "channel_state") ?
			json_object_new_string(st_str(rp, "channel_state")) : NULL);
		add_wg_fields(c, wg_peer_by_ep(st, ep_str(&v->ep, a, sizeof(a))));
		json_object_array_add(arr, c);
	}
	for_unmapped(st, pv, n, add_unmapped, arr);
	json_object_object_add(o, "peers", arr);
	json_object_object_add(o, "daemon", daemon_json(st));
	json_object_object_add(o, "rendezvous", rendezvous_json(st));
	return o;
}

/* Read one instance; returns its JSON, or prints it when json is NULL. */
static int show_one(const struct wgt_pins *p, json_object **json)
{
	struct wgt_uplink up[WGT_MAX_UPLINKS];
	__u64 cnt[WGT_REASON_MAX];
	static struct peer_view pv[WGT_MAX_ENDPOINTS];
	struct wgt_ep key, next, *prev = NULL;
	struct wgt_config cfg;
	json_object *st;
	struct wgt_err e = {};
	struct wgt_maps m;
	int n = 0;

	if (maps_open(p, &m, &e)) {
		log_report(&e, 1);
		return -1;
	}
	if (config_read(&m, &cfg) || uplinks_read(&m, up) ||
	    counters_read(&m, cnt)) {
		pr_err("cannot read the maps of '%s': %s", p->name,
		    strerror(errno));
		maps_close(&m);
		return -1;
	}
	while (n < WGT_MAX_ENDPOINTS &&
	       !bpf_map_get_next_key(m.endpoints, prev, &next)) {
		key = next;
		prev = &key;
		pv[n].ep = key;
		if (bpf_map_lookup_elem(m.endpoints, &key, &pv[n].path))
			continue; /* deleted meanwhile */
		stats_read(&m, &key, &pv[n].st);
		n++;
	}
	maps_close(&m);
	st = state_read(p->name);
	if (json)
		*json = to_json(p->name, &cfg, up, cnt, pv, n, st);
	else
		print_human(p->name, &cfg, up, cnt, pv, n, st);
	if (st)
		json_object_put(st);
	return 0;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_SPACED));
	json_object_put(o);
}

int show(const struct wgt_pins *p, bool json)
{
	json_object *o = NULL, *all;
	struct wgt_pins one;
	struct dirent *de;
	int ret = 0, shown = 0;
	DIR *d;

	if (p->name[0]) {
		if (show_one(p, json ? &o : NULL))
			return -1;
		if (json)
			print_json(o);
		return 0;
	}
	all = json ? json_object_new_array() : NULL;
	d = opendir(p->base);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !name_valid(de->d_name))
			continue;
		one = *p;
		if (pins_set_name(&one, de->d_name))
			continue;
		if (!json && shown)
			printf("\n");
		if (show_one(&one, json ? &o : NULL)) {
			ret = -1;
			continue;
		}
		if (json)
			json_object_array_add(all, o);
		shown++;
	}
	if (d)
		closedir(d);
	if (json)
		print_json(all);
	return ret;
}
