// SPDX-License-Identifier: GPL-2.0
/* `wgturn show`: a table in the spirit of `wg show`, or JSON. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
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

/* The daemon's state file (NULL without a daemon) as relays[]. */
static json_object *relays_json(json_object *st)
{
	static const char *const keys[] = { "server", "state", "relayed",
					    "mapped", "expires_in_s", "error" };
	json_object *arr = json_object_new_array(), *r, *v;

	if (!st)
		return arr;
	r = json_object_new_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_add(r, keys[i],
			json_object_object_get_ex(st, keys[i], &v) ?
				json_object_get(v) : NULL);
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
		printf("  relay: %s, %s", st_str(st, "server") ?: "?",
		       st_str(st, "state") ?: "?");
		if (st_str(st, "relayed"))
			printf(", relayed %s", st_str(st, "relayed"));
		if (st_str(st, "mapped"))
			printf(", mapped %s", st_str(st, "mapped"));
		if (st_str(st, "expires_in_s"))
			printf(", expires in %s s", st_str(st, "expires_in_s"));
		printf("\n");
		if (st_str(st, "error"))
			printf("  relay error: %s\n", st_str(st, "error"));
	}

	for (int i = 0; i < n; i++) {
		json_object *rp = relay_peer(st, &pv[i].ep);

		printf("\npeer endpoint: %s\n", ep_str(&pv[i].ep, a, sizeof(a)));
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
}

static json_object *json_ms(long long ms)
{
	return ms < 0 ? NULL : json_object_new_int64(ms);
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
				       json_ms(ms_ago(v->st.last_rx_ns, now)));
		json_object_object_add(c, "last_tx_ms_ago",
				       json_ms(ms_ago(v->st.last_tx_ns, now)));
		json_object *rp = relay_peer(st, &v->ep);

		json_object_object_add(c, "permission", rp && st_str(rp, "permission") ?
			json_object_new_string(st_str(rp, "permission")) : NULL);
		json_object_object_add(c, "channel_state", rp && st_str(rp, "channel_state") ?
			json_object_new_string(st_str(rp, "channel_state")) : NULL);
		json_object_array_add(arr, c);
	}
	json_object_object_add(o, "peers", arr);
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
