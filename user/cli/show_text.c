// SPDX-License-Identifier: GPL-2.0
/*
 * `wgturn show`: the text form, in the manner of `wg show`: the instance,
 * then a block per peer, "peer: PUBLIC_KEY" with its endpoint (from the
 * daemon's state file), or "peer endpoint: ENDPOINT" for an endpoint
 * WireGuard's peers do not have (set by hand); each with its path
 * (relay RELAY channel 0x4xxx, direct ADDR, or none), latest rx and tx,
 * and the bytes and packets both ways. Datapath endpoints come in address
 * order, then WireGuard's peers the datapath has no entry for.
 */
#include <stdio.h>
#include <string.h>
#include "base/addr.h"
#include "dp/loader.h"
#include "dp/maps.h"
#include "show_state.h"

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

/* Path MTU, and the tunnel MTU that fits it (set on the routes of the
 * peer's allowed IPs when below the interface's). */
static void print_mtu(json_object *wp)
{
	long long path, tun, route, through;

	if (!st_int(wp, "path_mtu", &path) || !st_int(wp, "tunnel_mtu", &tun))
		return;
	printf("  path mtu: %lld, tunnel mtu: %lld", path, tun);
	if (st_int(wp, "route_mtu", &route))
		printf(" (set on its routes: %lld)", route);
	if (st_int(wp, "peer_path_mtu", &through))
		printf("; through the relay to the peer: %lld", through);
	printf("\n");
}

/* The direct path checks: the choice, why, and each candidate. */
static void print_checks(json_object *wp)
{
	json_object *ck = obj(wp, "checks"), *cands;
	long long n = 0, ago;

	if (!ck)
		return;
	st_int(ck, "switches", &n);
	printf("  path choice: %s", st_str(ck, "path") ?: "?");
	if (st_str(ck, "via"))
		printf(" %s", st_str(ck, "via"));
	if (st_str(ck, "reason"))
		printf(" (%s)", st_str(ck, "reason"));
	ago = st_ago(ck, "switched_at");
	if (ago >= 0)
		printf(", switched %lld s ago, %lld switches", ago / 1000, n);
	printf("\n");
	if (!json_object_object_get_ex(ck, "candidates", &cands))
		return;
	for (size_t i = 0; i < json_object_array_length(cands); i++) {
		json_object *k = json_object_array_get_idx(cands, i), *rtt;

		printf("  candidate %s %s: %s", st_str(k, "kind") ?: "?",
		       st_str(k, "address") ?: "?", st_str(k, "state") ?: "?");
		if (json_object_object_get_ex(k, "rtt_ms", &rtt) && rtt)
			printf(", rtt %.1f ms, answered %lld s ago",
			       json_object_get_double(rtt),
			       st_ago(k, "last_success_at") / 1000);
		printf("\n");
	}
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
	print_mtu(wp);
	print_checks(wp);
}

/* A peer's first lines: WireGuard's public key and its endpoint, as
 * `wg show` has them; an endpoint WireGuard does not have (peer set by
 * hand, no daemon) by its endpoint alone, as before. */
static void print_head(json_object *wp, const char *ep)
{
	const char *key = st_str(wp, "public_key");

	if (key)
		printf("\npeer: %s\n  endpoint: %s\n", key, ep ?: "(none)");
	else
		printf("\npeer endpoint: %s\n", ep ?: "(none)");
}

/* A WireGuard peer the datapath has no entry for (no endpoint yet). */
static void print_unmapped(void *ctx, json_object *wp)
{
	print_head(wp, st_str(wp, "endpoint"));
	print_wg_peer(wp);
	printf("  path: none\n");
}

/* The configured relays not in use, in order: failover goes there. */
static void print_standby(json_object *st)
{
	json_object *list, *v;
	bool first = true;

	if (!json_object_object_get_ex(st, "relay_list", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    json_object_array_length(list) < 2)
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *c = json_object_array_get_idx(list, i);
		const char *host = st_str(c, "host");
		long long port = 0;

		if (json_object_object_get_ex(c, "active", &v) &&
		    json_object_get_boolean(v))
			continue;
		st_int(c, "port", &port);
		printf(first ? "  standby relays:" : ",");
		printf(host && strchr(host, ':') ? " [%s]:%lld" : " %s:%lld",
		       host ? host : "?", port);
		first = false;
	}
	if (!first)
		printf("\n");
}

void show_text(const struct show_data *d)
{
	const char *name = d->name;
	const struct wgt_config *cfg = d->cfg;
	const struct wgt_uplink *up = d->up;
	const __u64 *cnt = d->cnt;
	const struct peer_view *pv = d->pv;
	int n = d->n;
	json_object *st = d->st;
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
	for (int i = 0; i < WGT_MAX_UPLINKS; i++)
		if (up[i].ifindex && !up[i].gso_ifindex)
			printf("  GSO batches to relays through %s: dropped, no veth to segment them\n",
			       ifname_of(up[i].ifindex, ifn));
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
		print_standby(st);
	}

	for (int i = 0; i < n; i++) {
		json_object *rp = relay_peer(st, &pv[i].ep);
		json_object *wp;

		wp = wg_peer_by_ep(st, ep_str(&pv[i].ep, a, sizeof(a)));
		print_head(wp, a);
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
