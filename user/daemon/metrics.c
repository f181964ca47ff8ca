// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text exposition format 0.0.4: per family "# HELP",
 * "# TYPE", then its samples, together. Every sample carries
 * interface="NAME". Counters end in _total, units are base units
 * (seconds, bytes), label values are escaped (\\, \", \n).
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "base/addr.h"
#include "base/err.h"
#include "dp/maps.h"
#include "dp/xdp_mode.h"
#include "metrics.h"
#include "state.h"

static const char *version;

void metrics_set_version(const char *v)
{
	version = v;
}

/* One datapath endpoint, and WireGuard's peer there (state file). */
struct mpeer {
	struct wgt_ep ep;
	struct wgt_path path;
	struct wgt_stats st;
	char a[EP_STRLEN];
	json_object *wp;	/* borrowed from the state, or NULL */
};

struct render {
	FILE *f;
	const char *name;
	json_object *st;	/* the state file, or NULL */
	bool running;		/* the daemon that wrote it runs */
	double wall;		/* CLOCK_REALTIME, s */
	unsigned long long mono_ns;	/* CLOCK_MONOTONIC (the datapath's) */
	struct mpeer *pv;
	int n;
	const char *fam[3];	/* a family's name, type, help: printed
				 * with its first sample, so a family
				 * without any is left out */
};

/* ---- the format ---- */

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(struct render *r, const char *name, const char *type,
		   const char *help)
{
	r->fam[0] = name;
	r->fam[1] = type;
	r->fam[2] = help;
}

/* name{interface="NAME" ... then lab()s, then one of the ends. */
static void sample(struct render *r, const char *name)
{
	if (r->fam[0]) {
		fprintf(r->f, "# HELP %s %s\n# TYPE %s %s\n", r->fam[0],
			r->fam[2], r->fam[0], r->fam[1]);
		r->fam[0] = NULL;
	}
	fprintf(r->f, "%s{interface=\"", name);
	esc(r->f, r->name);
	fputc('"', r->f);
}

static void lab(struct render *r, const char *k, const char *v)
{
	fprintf(r->f, ",%s=\"", k);
	esc(r->f, v ? v : "");
	fputc('"', r->f);
}

static void end_u(struct render *r, unsigned long long v)
{
	fprintf(r->f, "} %llu\n", v);
}

static void end_i(struct render *r, long long v)
{
	fprintf(r->f, "} %lld\n", v);
}

static void end_s(struct render *r, double seconds)
{
	fprintf(r->f, "} %.3f\n", seconds);
}

/* ---- the state file's JSON ---- */

static json_object *member(json_object *o, const char *key, json_type t)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && v &&
		       json_object_is_type(v, t) ? v : NULL;
}

static bool get_int(json_object *o, const char *key, long long *out)
{
	json_object *v = member(o, key, json_type_int);

	if (v)
		*out = json_object_get_int64(v);
	return v;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = member(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

/* As `show` judges it: a state a killed daemon left is not the present. */
static bool writer_runs(json_object *st)
{
	long long pid;

	return get_int(st, "pid", &pid) && pid > 0 && pid <= 0x7fffffff &&
	       (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* ---- the families ---- */

static void info(struct render *r, const struct wgt_config *cfg,
		 const struct wgt_uplink *up)
{
	char port[8], ifn[IF_NAMESIZE], num[16];
	const char *u;

	family(r, "wgturn_info", "gauge",
	       "The instance: WireGuard's listen port, the release; always 1.");
	sample(r, "wgturn_info");
	snprintf(port, sizeof(port), "%u", cfg->wg_port);
	lab(r, "wireguard_port", port);
	if (version)
		lab(r, "version", version);
	end_u(r, 1);

	family(r, "wgturn_uplink_info", "gauge",
	       "An uplink the datapath is attached to, with its ingress hook; always 1.");
	for (int i = 0; i < WGT_MAX_UPLINKS; i++) {
		if (!up[i].ifindex)
			continue;
		snprintf(num, sizeof(num), "%u", up[i].ifindex);
		u = if_indextoname(up[i].ifindex, ifn) ? ifn : num;
		sample(r, "wgturn_uplink_info");
		lab(r, "uplink", u);
		lab(r, "ingress", xdp_mode_str(up[i].xdp_mode));
		end_u(r, 1);
	}
	family(r, "wgturn_uplink_mtu_bytes", "gauge",
	       "An uplink's MTU when the datapath was attached.");
	for (int i = 0; i < WGT_MAX_UPLINKS; i++) {
		if (!up[i].ifindex)
			continue;
		snprintf(num, sizeof(num), "%u", up[i].ifindex);
		u = if_indextoname(up[i].ifindex, ifn) ? ifn : num;
		sample(r, "wgturn_uplink_mtu_bytes");
		lab(r, "uplink", u);
		end_u(r, up[i].mtu);
	}
}

static void counters(struct render *r, const __u64 *cnt)
{
	static const char *const names[] = {
#define WGT_REASON_NAME(u, l, what) #l,
		WGT_REASONS(WGT_REASON_NAME)
#undef WGT_REASON_NAME
	};

	family(r, "wgturn_datapath_packets_total", "counter",
	       "Packets the datapath handled, passed or dropped, by reason (README: Counters).");
	for (int i = 0; i < WGT_REASON_MAX; i++) {
		sample(r, "wgturn_datapath_packets_total");
		lab(r, "reason", names[i]);
		end_u(r, cnt[i]);
	}
}

static void peer_lab(struct render *r, const char *a, json_object *wp)
{
	lab(r, "peer", get_str(wp, "public_key"));
	lab(r, "endpoint", a);
}

/* A datapath time (CLOCK_MONOTONIC ns, 0 never) as epoch seconds. */
static double wall_of(const struct render *r, __u64 t)
{
	if (!t)
		return 0;
	return t >= r->mono_ns ? r->wall :
		r->wall - (double)(r->mono_ns - t) / 1e9;
}

static void peer_stats(struct render *r)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
		{ "wgturn_peer_rx_bytes_total",
		  "WireGuard UDP payload bytes received from the endpoint.",
		  offsetof(struct wgt_stats, rx_bytes) },
		{ "wgturn_peer_tx_bytes_total",
		  "WireGuard UDP payload bytes sent to the endpoint.",
		  offsetof(struct wgt_stats, tx_bytes) },
		{ "wgturn_peer_rx_packets_total",
		  "Datagrams received from the endpoint.",
		  offsetof(struct wgt_stats, rx_packets) },
		{ "wgturn_peer_tx_packets_total",
		  "Datagrams sent to the endpoint.",
		  offsetof(struct wgt_stats, tx_packets) },
	};

	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		family(r, f[k].name, "counter", f[k].help);
		for (int i = 0; i < r->n; i++) {
			const struct mpeer *p = &r->pv[i];

			sample(r, f[k].name);
			peer_lab(r, p->a, p->wp);
			end_u(r, *(const __u64 *)((const char *)&p->st + f[k].off));
		}
	}
	family(r, "wgturn_peer_last_rx_timestamp_seconds", "gauge",
	       "When the datapath last received from the endpoint, epoch seconds; 0 never.");
	for (int i = 0; i < r->n; i++) {
		sample(r, "wgturn_peer_last_rx_timestamp_seconds");
		peer_lab(r, r->pv[i].a, r->pv[i].wp);
		end_s(r, wall_of(r, r->pv[i].st.last_rx_ns));
	}
	family(r, "wgturn_peer_last_tx_timestamp_seconds", "gauge",
	       "When the datapath last sent to the endpoint, epoch seconds; 0 never.");
	for (int i = 0; i < r->n; i++) {
		sample(r, "wgturn_peer_last_tx_timestamp_seconds");
		peer_lab(r, r->pv[i].a, r->pv[i].wp);
		end_s(r, wall_of(r, r->pv[i].st.last_tx_ns));
	}
}

static int by_a(const void *x, const void *y)
{
	return strcmp(((const struct mpeer *)x)->a, ((const struct mpeer *)y)->a);
}

static bool mapped(const struct render *r, const char *a)
{
	struct mpeer k;

	if (!a)
		return false;
	snprintf(k.a, sizeof(k.a), "%s", a);
	return bsearch(&k, r->pv, r->n, sizeof(*r->pv), by_a);
}

/* fn(r, endpoint, WireGuard peer) for every peer: the datapath's
 * endpoints, then WireGuard's peers the datapath has none for. */
static void each_peer(struct render *r,
		      void (*fn)(struct render *, const char *, json_object *,
				 const struct mpeer *))
{
	json_object *arr = member(r->st, "wg_peers", json_type_array);

	for (int i = 0; i < r->n; i++)
		fn(r, r->pv[i].a, r->pv[i].wp, &r->pv[i]);
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *wp = json_object_array_get_idx(arr, i);
		const char *e = get_str(wp, "endpoint");

		if (!mapped(r, e))
			fn(r, e ? e : "", wp, NULL);
	}
}

static void path_one(struct render *r, const char *a, json_object *wp,
		     const struct mpeer *p)
{
	static const char *const paths[] = { "relay", "direct", "none" };
	int cur = !p ? 2 : p->path.kind == WGT_PATH_RELAY ? 0 :
		  p->path.kind == WGT_PATH_DIRECT ? 1 : 2;

	for (int k = 0; k < 3; k++) {
		sample(r, "wgturn_peer_path");
		peer_lab(r, a, wp);
		lab(r, "path", paths[k]);
		end_u(r, k == cur);
	}
}

static void switches_one(struct render *r, const char *a, json_object *wp,
			 const struct mpeer *p)
{
	long long v;

	if (get_int(member(wp, "checks", json_type_object), "switches", &v)) {
		sample(r, "wgturn_peer_path_switches_total");
		peer_lab(r, a, wp);
		end_i(r, v);
	}
}

static void int_one(struct render *r, const char *metric, const char *key,
		    const char *a, json_object *wp)
{
	long long v;

	if (get_int(wp, key, &v)) {
		sample(r, metric);
		peer_lab(r, a, wp);
		end_i(r, v);
	}
}

static void pmtu_one(struct render *r, const char *a, json_object *wp,
		     const struct mpeer *p)
{
	int_one(r, "wgturn_peer_pmtu_bytes", "path_mtu", a, wp);
}

static void tmtu_one(struct render *r, const char *a, json_object *wp,
		     const struct mpeer *p)
{
	int_one(r, "wgturn_peer_tunnel_mtu_bytes", "tunnel_mtu", a, wp);
}

static void handshake_one(struct render *r, const char *a, json_object *wp,
			  const struct mpeer *p)
{
	long long v;

	if (get_int(wp, "handshake_at", &v)) {
		sample(r, "wgturn_peer_last_handshake_timestamp_seconds");
		peer_lab(r, a, wp);
		end_s(r, v / 1000.0);
	}
}

static void peers(struct render *r)
{
	peer_stats(r);
	family(r, "wgturn_peer_path", "gauge",
	       "The peer's current path: 1 for relay, direct or none (no datapath entry).");
	each_peer(r, path_one);
	if (!r->st)
		return;
	family(r, "wgturn_peer_path_switches_total", "counter",
	       "Times the daemon switched the peer between relay and direct.");
	each_peer(r, switches_one);
	family(r, "wgturn_peer_pmtu_bytes", "gauge",
	       "The path MTU to the peer, as the daemon found it.");
	each_peer(r, pmtu_one);
	family(r, "wgturn_peer_tunnel_mtu_bytes", "gauge",
	       "The tunnel MTU the daemon derived for the peer.");
	each_peer(r, tmtu_one);
	family(r, "wgturn_peer_last_handshake_timestamp_seconds", "gauge",
	       "WireGuard's latest handshake with the peer, epoch seconds.");
	each_peer(r, handshake_one);
}

/* The relays the state describes: its "relays" array, or the state
 * itself as the one relay (its "server", "state"... fields). */
static size_t relays(json_object *st, json_object **out, size_t max)
{
	json_object *arr = member(st, "relays", json_type_array);
	size_t n = 0;

	if (!arr) {
		if (get_str(st, "server") && max)
			out[n++] = st;
		return n;
	}
	for (size_t i = 0; i < json_object_array_length(arr) && n < max; i++) {
		json_object *o = json_object_array_get_idx(arr, i);

		if (get_str(o, "server"))
			out[n++] = o;
	}
	return n;
}

static bool relay_pmtu(json_object *o, long long *v)
{
	static const char *const keys[] = { "relay_path_mtu", "path_mtu" };

	for (size_t i = 0; i < 2; i++)
		if (get_int(member(o, keys[i], json_type_object), "value", v) ||
		    get_int(o, keys[i], v))
			return true;
	return false;
}

static void relay_series(struct render *r)
{
	static const char *const states[] = { "idle", "allocating", "allocated",
					      "failed", "closed" };
	json_object *rl[64], *list, *b;
	size_t n = relays(r->st, rl, 64);
	long long v;

	family(r, "wgturn_relay_up", "gauge",
	       "The TURN relay's allocation state: 1 for the current one.");
	for (size_t i = 0; i < n; i++) {
		const char *s = get_str(rl[i], "state");
		bool known = false;

		for (size_t k = 0; k < 5; k++) {
			bool cur = s && !strcmp(s, states[k]);

			known |= cur;
			sample(r, "wgturn_relay_up");
			lab(r, "relay", get_str(rl[i], "server"));
			lab(r, "state", states[k]);
			end_u(r, cur);
		}
		if (s && !known) {
			sample(r, "wgturn_relay_up");
			lab(r, "relay", get_str(rl[i], "server"));
			lab(r, "state", s);
			end_u(r, 1);
		}
	}
	family(r, "wgturn_relay_allocation_expiry_seconds", "gauge",
	       "Seconds until the allocation expires unless refreshed.");
	for (size_t i = 0; i < n; i++) {
		double left;

		if (get_int(rl[i], "expires_at", &v))
			left = (v / 1000.0) - r->wall;
		else if (get_int(rl[i], "expires_in_s", &v))
			left = (double)v;
		else
			continue;
		sample(r, "wgturn_relay_allocation_expiry_seconds");
		lab(r, "relay", get_str(rl[i], "server"));
		end_s(r, left > 0 ? left : 0);
	}
	family(r, "wgturn_relay_allocations_total", "counter",
	       "Allocations the daemon made on the relay.");
	for (size_t i = 0; i < n; i++)
		if (get_int(rl[i], "allocations", &v)) {
			sample(r, "wgturn_relay_allocations_total");
			lab(r, "relay", get_str(rl[i], "server"));
			end_i(r, v);
		}
	family(r, "wgturn_relay_lifetime_seconds", "gauge",
	       "The allocation lifetime the relay granted.");
	for (size_t i = 0; i < n; i++)
		if (get_int(rl[i], "lifetime_s", &v)) {
			sample(r, "wgturn_relay_lifetime_seconds");
			lab(r, "relay", get_str(rl[i], "server"));
			end_i(r, v);
		}
	family(r, "wgturn_relay_pmtu_bytes", "gauge",
	       "The path MTU to the relay, probed.");
	for (size_t i = 0; i < n; i++)
		if (relay_pmtu(rl[i], &v)) {
			sample(r, "wgturn_relay_pmtu_bytes");
			lab(r, "relay", get_str(rl[i], "server"));
			end_i(r, v);
		}
	family(r, "wgturn_relay_unreachable", "gauge",
	       "1 while the relay is asked in vain.");
	for (size_t i = 0; i < n; i++)
		if ((b = member(rl[i], "unreachable", json_type_boolean))) {
			sample(r, "wgturn_relay_unreachable");
			lab(r, "relay", get_str(rl[i], "server"));
			end_u(r, json_object_get_boolean(b));
		}
	family(r, "wgturn_relay_last_answer_timestamp_seconds", "gauge",
	       "When the relay last answered, epoch seconds.");
	for (size_t i = 0; i < n; i++)
		if (get_int(rl[i], "last_answer_at", &v)) {
			sample(r, "wgturn_relay_last_answer_timestamp_seconds");
			lab(r, "relay", get_str(rl[i], "server"));
			end_s(r, v / 1000.0);
		}

	list = member(r->st, "relay_list", json_type_array);
	if (!list)
		return;
	family(r, "wgturn_relay_active", "gauge",
	       "The configured relays ([Relay], in failover order): 1 for the one in use.");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *o = json_object_array_get_idx(list, i);
		const char *host = get_str(o, "host");
		char srv[300], idx[24];

		if (!host || !get_int(o, "port", &v))
			continue;
		snprintf(srv, sizeof(srv), strchr(host, ':') ? "[%s]:%lld" :
			 "%s:%lld", host, v);
		snprintf(idx, sizeof(idx), "%zu", i);
		b = member(o, "active", json_type_boolean);
		sample(r, "wgturn_relay_active");
		lab(r, "server", srv);
		lab(r, "index", idx);
		end_u(r, b && json_object_get_boolean(b));
	}
}

static void daemon_series(struct render *r)
{
	static const char *const why[] = { "invalid", "replayed",
					   "unknown_peer", "stray_answers" };
	json_object *ci = member(r->st, "checks_ignored", json_type_object);
	long long v;

	family(r, "wgturn_daemon_up", "gauge",
	       "1 when the daemon that wrote the instance's state file runs.");
	sample(r, "wgturn_daemon_up");
	end_u(r, r->running);
	if (get_int(r->st, "written_at", &v)) {
		family(r, "wgturn_daemon_state_timestamp_seconds", "gauge",
		       "When the daemon last wrote its state file, epoch seconds.");
		sample(r, "wgturn_daemon_state_timestamp_seconds");
		end_s(r, v / 1000.0);
	}
	if (ci) {
		family(r, "wgturn_direct_checks_ignored_total", "counter",
		       "Direct path checks ignored, by why.");
		for (size_t i = 0; i < 4; i++)
			if (get_int(ci, why[i], &v)) {
				sample(r, "wgturn_direct_checks_ignored_total");
				lab(r, "reason", why[i]);
				end_i(r, v);
			}
	}
}

/* ---- reading ---- */

static int read_peers(const struct wgt_maps *m, struct mpeer **out, int *n,
		      char *why, size_t whylen)
{
	struct wgt_ep key, next, *prev = NULL;
	struct mpeer *pv = NULL, *t;
	int cap = 0;

	*n = 0;
	while (*n < WGT_MAX_ENDPOINTS &&
	       !bpf_map_get_next_key(m->endpoints, prev, &next)) {
		key = next;
		prev = &key;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			t = realloc(pv, cap * sizeof(*pv));
			if (!t) {
				free(pv);
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			pv = t;
		}
		memset(&pv[*n], 0, sizeof(*pv));
		pv[*n].ep = key;
		if (bpf_map_lookup_elem(m->endpoints, &key, &pv[*n].path))
			continue; /* deleted meanwhile */
		stats_read(m, &key, &pv[*n].st);
		ep_str(&key, pv[*n].a, sizeof(pv[*n].a));
		(*n)++;
	}
	*out = pv;
	return 0;
}

/* WireGuard's peers (state file) matched to the endpoints by address. */
static void match_wg(struct render *r)
{
	json_object *arr = member(r->st, "wg_peers", json_type_array), *idx, *wp;

	if (!arr)
		return;
	idx = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		const char *e;

		wp = json_object_array_get_idx(arr, i);
		if ((e = get_str(wp, "endpoint")))
			json_object_object_add(idx, e, json_object_get(wp));
	}
	for (int i = 0; i < r->n; i++)
		if (json_object_object_get_ex(idx, r->pv[i].a, &wp))
			r->pv[i].wp = wp;	/* st still holds it */
	json_object_put(idx);
}

int metrics_render(FILE *out, const struct wgt_pins *p, char *why,
		   size_t whylen)
{
	struct wgt_uplink up[WGT_MAX_UPLINKS];
	__u64 cnt[WGT_REASON_MAX];
	struct wgt_config cfg;
	struct wgt_err e = {};
	struct wgt_maps m;
	struct timespec ts;
	struct render r = { .f = out, .name = p->name };

	if (maps_open(p, &m, &e)) {
		snprintf(why, whylen, "%s", e.msg[0] ? e.msg :
			 "cannot open the instance's maps");
		return -1;
	}
	if (config_read(&m, &cfg) || uplinks_read(&m, up) ||
	    counters_read(&m, cnt)) {
		snprintf(why, whylen, "cannot read the maps of '%s': %s",
			 p->name, strerror(errno));
		maps_close(&m);
		return -1;
	}
	if (read_peers(&m, &r.pv, &r.n, why, whylen)) {
		maps_close(&m);
		return -1;
	}
	maps_close(&m);
	if (r.n)
		qsort(r.pv, r.n, sizeof(*r.pv), by_a);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r.mono_ns = (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.wall = ts.tv_sec + ts.tv_nsec / 1e9;
	r.st = state_read(p->name);
	r.running = r.st && writer_runs(r.st);
	match_wg(&r);

	info(&r, &cfg, up);
	counters(&r, cnt);
	peers(&r);
	/* Relays only while the daemon runs: a dead one's allocation is
	 * not the present. */
	if (r.running)
		relay_series(&r);
	daemon_series(&r);

	if (r.st)
		json_object_put(r.st);
	free(r.pv);
	if (fflush(out) || ferror(out)) {
		snprintf(why, whylen, "cannot write the metrics: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}
