// SPDX-License-Identifier: GPL-2.0
/*
 * `wgturn show NAME dump`, `wgturn show [all] dump`: tab-separated lines
 * for scripts, in the manner of `wg show dump`. Numbers are raw (bytes,
 * packets, seconds since the epoch); a missing value is "(none)" (a
 * string) or 0 (a number). The columns, in this order, are an interface:
 * new ones are only ever added at the end of a line.
 *
 * First line of an instance (5 columns):
 *   1 name            the instance (normally the WireGuard interface)
 *   2 uplinks         comma-separated interface names, or "(none)"
 *   3 listen port     WireGuard's port
 *   4 relayed address the daemon's relayed address, or "(none)"
 *   5 relay state     the daemon's allocation state ("allocated", ...);
 *                     "stale" when the daemon that wrote the state file
 *                     is gone; "(none)" without a daemon
 * Then one line per peer (10 columns): every datapath endpoint, then
 * WireGuard's peers the datapath has no entry for:
 *   1 public key      WireGuard's, or "(none)" (no daemon, or an endpoint
 *                     WireGuard does not have: peer set by hand)
 *   2 endpoint        the endpoint WireGuard sends to, or "(none)"
 *   3 path            relay, direct or none (no datapath entry)
 *   4 via             the relay (relay) or the real address (direct),
 *                     or "(none)"
 *   5 channel         the TURN channel, 0x4000-0x4fff, or "(none)"
 *   6 rx bytes        7 rx packets    8 tx bytes    9 tx packets
 *                     (WireGuard's UDP payload, datapath counters)
 *  10 latest rx       seconds since the epoch, 0 for never
 * `show all dump` (and `show dump`) starts every line with one more
 * column, the instance's name, as `wg show all dump` does: instance lines
 * have 6 columns there, peer lines 11.
 */
#include <stdio.h>
#include <string.h>
#include "base/addr.h"
#include "dp/maps.h"
#include "show_state.h"

#define NONE "(none)"

static void line_start(const char *prefix)
{
	if (prefix)
		printf("%s\t", prefix);
}

static void peer_line(const char *prefix, const char *key, const char *ep,
		      const struct peer_view *v, __u64 now)
{
	char via[EP_STRLEN] = NONE, chan[8] = NONE;
	const char *kind = "none";
	long long ago = 0, rx = 0;
	struct wgt_stats s = {};

	if (v) {
		kind = v->path.kind == WGT_PATH_RELAY ? "relay" : "direct";
		ep_str(&v->path.via, via, sizeof(via));
		if (v->path.kind == WGT_PATH_RELAY)
			snprintf(chan, sizeof(chan), "0x%04x", v->path.channel);
		s = v->st;
		ago = ms_ago(s.last_rx_ns, now);
		if (ago >= 0)
			rx = (epoch_now_ms() - ago) / 1000;
	}
	line_start(prefix);
	printf("%s\t%s\t%s\t%s\t%s\t%llu\t%llu\t%llu\t%llu\t%lld\n",
	       key ?: NONE, ep && *ep ? ep : NONE, kind, via, chan,
	       (unsigned long long)s.rx_bytes,
	       (unsigned long long)s.rx_packets,
	       (unsigned long long)s.tx_bytes,
	       (unsigned long long)s.tx_packets, rx);
}

struct unmapped_ctx {
	const char *prefix;
};

static void dump_unmapped(void *ctx, json_object *wp)
{
	const struct unmapped_ctx *c = ctx;

	peer_line(c->prefix, st_str(wp, "public_key"), st_str(wp, "endpoint"),
		  NULL, 0);
}

void show_dump(const struct show_data *d, const char *prefix)
{
	struct unmapped_ctx uc = { .prefix = prefix };
	const char *state = NONE;
	char a[EP_STRLEN], ifn[IF_NAMESIZE];
	__u64 now = now_ns();
	int ups = 0;

	line_start(prefix);
	printf("%s\t", d->name);
	for (int i = 0; i < WGT_MAX_UPLINKS; i++)
		if (d->up[i].ifindex)
			printf("%s%s", ups++ ? "," : "",
			       ifname_of(d->up[i].ifindex, ifn));
	if (d->st)
		state = !daemon_running(d->st) ? "stale" :
			st_str(d->st, "state") ?: NONE;
	printf("%s\t%u\t%s\t%s\n", ups ? "" : NONE, d->cfg->wg_port,
	       st_str(d->st, "relayed") ?: NONE, state);
	for (int i = 0; i < d->n; i++) {
		json_object *wp;

		ep_str(&d->pv[i].ep, a, sizeof(a));
		wp = wg_peer_by_ep(d->st, a);
		peer_line(prefix, st_str(wp, "public_key"), a, &d->pv[i], now);
	}
	for_unmapped(d->st, d->pv, d->n, dump_unmapped, &uc);
}
