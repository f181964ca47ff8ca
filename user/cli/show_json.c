// SPDX-License-Identifier: GPL-2.0
/*
 * `wgturn show --json`: always an ARRAY of instance objects, in name
 * order, as iproute2's `ip -j` gives an array whatever it shows:
 * `show NAME --json` is an array of one, `show --json` and
 * `show all --json` have every instance ([] when there is none). Read one
 * instance with `jq '.[0]'`, or by name with
 * `jq '.[] | select(.name == "wg0")'`.
 *
 * An instance object:
 *   name, port, control_port
 *   uplinks[]    name, ifindex, ingress, ingress_reason, mtu, gso_link
 *   counters     {reason: count} for every datapath counter
 *   relays[]     every configured [Relay] in order (empty without a
 *                daemon): configured (HOST:PORT), credentials ("rest" or
 *                "long-term"), active; the active one also: server (its
 *                address), state, relayed, mapped, error, lifetime_s,
 *                unreachable, hints_ignored, expires_in_s,
 *                last_answer_ms_ago, stale; the others server (as
 *                configured) and state "standby"
 *   peers[]      every datapath endpoint (address order), then WireGuard's
 *                peers the datapath has no entry for (path null):
 *                endpoint, path ("relay", "direct" or null), relay,
 *                channel, direct, rx_packets, rx_bytes, tx_packets,
 *                tx_bytes, last_rx_ms_ago, last_tx_ms_ago, permission,
 *                channel_state, public_key (null without a daemon or for
 *                an endpoint WireGuard does not have), handshake_ms_ago,
 *                record, lookup_error, path_mtu, tunnel_mtu, route_mtu,
 *                peer_path_mtu, path_reason, path_switches,
 *                path_switched_ms_ago, candidates
 *   daemon       pid, running, state_ms_ago (null without a daemon)
 *   rendezvous   zone, server, publish, published, error, published_ms_ago
 *   checks_ignored
 * Absent values are null; ages are milliseconds, null for never.
 */
#include <stdio.h>
#include <string.h>
#include "base/addr.h"
#include "dp/loader.h"
#include "dp/maps.h"
#include "show_state.h"

/* The allocation the daemon holds, from its state file. */
static json_object *active_relay_json(json_object *st)
{
	static const char *const keys[] = { "server", "state", "relayed",
					    "mapped", "error", "lifetime_s",
					    "unreachable", "hints_ignored" };
	json_object *r, *v;

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
	return r;
}

/* Every configured [Relay] in order (the state's relay_list): the one in
 * use has the allocation's fields and active true, the others their
 * configured HOST:PORT as server, state "standby". A state without the
 * list (one relay) gives the allocation alone. */
static json_object *relays_json(json_object *st)
{
	json_object *arr = json_object_new_array(), *list, *r;

	if (!st)
		return arr;
	if (!json_object_object_get_ex(st, "relay_list", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		r = active_relay_json(st);
		json_object_object_add(r, "active", json_object_new_boolean(1));
		json_object_array_add(arr, r);
		return arr;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *c = json_object_array_get_idx(list, i), *v;
		const char *host = st_str(c, "host");
		long long port = 0;
		bool active = json_object_object_get_ex(c, "active", &v) &&
			      json_object_get_boolean(v);
		char name[300];

		st_int(c, "port", &port);
		snprintf(name, sizeof(name), host && strchr(host, ':') ?
			 "[%s]:%lld" : "%s:%lld", host ? host : "", port);
		if (active) {
			r = active_relay_json(st);
		} else {
			r = json_object_new_object();
			json_object_object_add(r, "server",
					       json_object_new_string(name));
			json_object_object_add(r, "state",
					       json_object_new_string("standby"));
		}
		json_object_object_add(r, "configured",
				       json_object_new_string(name));
		json_object_object_add(r, "credentials",
			json_object_object_get_ex(c, "credentials", &v) ?
				json_object_get(v) : NULL);
		json_object_object_add(r, "active",
				       json_object_new_boolean(active));
		json_object_array_add(arr, r);
	}
	return arr;
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

/* The direct path checks: why the path is what it is, the candidates
 * with ages instead of times. */
static void add_checks(json_object *c, json_object *wp)
{
	json_object *ck = obj(wp, "checks"), *cands, *arr = NULL, *v;
	long long n;

	json_object_object_add(c, "path_reason", st_str(ck, "reason") ?
		json_object_new_string(st_str(ck, "reason")) : NULL);
	json_object_object_add(c, "path_switches", st_int(ck, "switches", &n) ?
		json_object_new_int64(n) : NULL);
	json_object_object_add(c, "path_switched_ms_ago",
			       ck ? ms_json(st_ago(ck, "switched_at")) : NULL);
	if (ck && json_object_object_get_ex(ck, "candidates", &cands)) {
		arr = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(cands); i++) {
			json_object *k = json_object_array_get_idx(cands, i);
			json_object *o = json_object_new_object();
			static const char *const keys[] = {
				"kind", "address", "state", "rtt_ms",
				"checks_sent", "answers" };

			for (size_t j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
				json_object_object_add(o, keys[j],
					json_object_object_get_ex(k, keys[j], &v) ?
						json_object_get(v) : NULL);
			json_object_object_add(o, "last_success_ms_ago",
				ms_json(st_ago(k, "last_success_at")));
			json_object_array_add(arr, o);
		}
	}
	json_object_object_add(c, "candidates", arr);
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
	for (size_t i = 0; i < 4; i++) {
		static const char *const k[] = { "path_mtu", "tunnel_mtu",
						  "route_mtu", "peer_path_mtu" };
		long long v;

		json_object_object_add(c, k[i], st_int(wp, k[i], &v) ?
			json_object_new_int64(v) : NULL);
	}
	add_checks(c, wp);
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

json_object *show_json(const struct show_data *d)
{
	const char *name = d->name;
	const struct wgt_config *cfg = d->cfg;
	const struct wgt_uplink *up = d->up;
	const __u64 *cnt = d->cnt;
	const struct peer_view *pv = d->pv;
	int n = d->n;
	json_object *st = d->st;
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
		json_object_object_add(c, "ingress_reason",
			json_object_new_string(xdp_mode_why(up[i].xdp_mode)));
		json_object_object_add(c, "mtu", json_object_new_int(up[i].mtu));
		json_object_object_add(c, "gso_link", up[i].gso_ifindex ?
			json_object_new_string(ifname_of(up[i].gso_ifindex, ifn)) :
			NULL);
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
	json_object_object_add(o, "checks_ignored",
			       obj(st, "checks_ignored") ?
			       json_object_get(obj(st, "checks_ignored")) : NULL);
	return o;
}
