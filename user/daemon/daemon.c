// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon: one TURN allocation shared with WireGuard's 5-tuple, a
 * channel per WireGuard peer endpoint, the datapath's maps kept in step.
 * Its control socket sends from another port; the datapath rewrites that
 * to WireGuard's port on the way out and steers STUN back to it.
 *
 * It is a list of subsystems on one event loop (evloop.h): the relay
 * (control socket + TURN client), the WireGuard watcher (wg_watch.h) and
 * the daemon's own signals and state file; the path manager (paths.h)
 * decides which way each endpoint goes. `up` is a sequence of small
 * setup steps, each printing its one error line.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "base/addr.h"
#include "base/err.h"
#include "daemon.h"
#include "base/evloop.h"
#include "dp/loader.h"
#include "base/log.h"
#include "dp/maps.h"
#include "metrics_file.h"
#include "metrics_http.h"
#include "paths.h"
#include "peer_pmtu.h"
#include "pmtu.h"
#include "dp/pins.h"
#include "base/route.h"
#include "base/route_mtu.h"
#include "base/veth.h"
#include "checks.h"
#include "liveness.h"
#include "names.h"
#include "relay_creds.h"
#include "rendezvous.h"
#include "state.h"
#include "tunnel_mtu.h"
#include "turn/rest_cred.h"
#include "turn/turn.h"
#include "wg_watch.h"

#define STATE_WRITE_MS 1000
#define RELAY_KEEPALIVE_MS 10000	/* NATs with 10-30 s UDP timeouts exist */
#define UP_TIMEOUT_MS 60000		/* `up` gives up after this */
#define UP_SILENT_MS 10000		/* a relay silent this long: keep
					 * trying in the background (boot) */
#define UP_PUBLISH_WAIT_MS 3000		/* `up` waits this for the first publish */
#define UPLINK_CHECK_MS 1000		/* the uplink's address, followed */
#define FAILOVER_MS 10000		/* a relay asked this long in vain (its
					 * retransmissions unanswered): the
					 * next [Relay] takes over */
#define METRICS_FILE_MS 5000		/* the textfile, rewritten */

/* The relay subsystem: where the server is, the control socket, the
 * TURN client that speaks through it. */
struct relay {
	const struct relay_conf *conf;
	int idx;		/* conf is relays[idx] of the daemon's config */
	struct relay_creds creds;	/* the latest minted or read */
	uint64_t renew_s;	/* REST credentials: mint new ones then */
	struct sockaddr_storage server;
	socklen_t server_len;
	struct sockaddr_storage local;	/* the uplink address towards it */
	int ctl_fd;
	struct turn_client turn;
	struct pmtu pmtu;	/* path MTU to the server, probed */
	uint32_t pmtu_was;	/* its value when the peers' were searched */
	struct peer_pmtu peers;	/* ... and through it to each peer */
	uint32_t peers_gen;	/* turn.peers_gen at the last peer_pmtu_sync
				 * (which looks at every peer) */
	bool peers_synced;
	struct checks *checks;	/* direct paths; NULL: none */
};

/* The datapath as the daemon holds it. */
struct datapath {
	struct wgt_pins pins;
	struct wgt_maps maps;
	bool attached_fresh;	/* attached by this `up`, not adopted */
};

struct daemon {
	const struct up_conf *conf;	/* = &own */
	struct up_conf own;		/* replaced by a reload */
	struct relay relay;
	struct datapath dp;
	struct wg_watch wg;
	struct paths paths;
	struct rendezvous rdv;
	bool rdv_on;
	struct checks checks;	/* on with the rendezvous */
	struct names names;
	bool names_on;
	bool relay_unreachable;	/* as last logged */
	uint64_t next_live_ms;
	uint64_t next_uplink_ms;
	struct tunnel_mtu mtu;
	uint64_t next_mtu_ms;
	bool no_route;		/* as last logged */
	struct evloop loop;
	int sig_fd;
	uint64_t next_state_ms;
	uint16_t wg_port;
	bool running;		/* past `up`: failures are logged, not fatal */
	bool reload;		/* SIGHUP: re-read the config */
	struct metrics_http *metrics;	/* --metrics: its own thread */
	uint64_t next_metrics_ms;	/* --metrics-file: rewritten then */
	bool metrics_file_failed;	/* as last logged */
	bool claimed;		/* no other daemon: the run files are ours */
	bool stop;
};

static int ctl_open(struct relay *r, __u16 *port);
static int set_ctl_port(struct daemon *d, __u16 port);

/* The TURN client's context is the daemon: its callbacks reach the path
 * manager and the state file. */
/* The control socket is not connected: checks go to peers from it too. */
static int relay_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct relay *r = ctx;

	return sendto(r->ctl_fd, buf, len, MSG_DONTWAIT, (void *)&r->server,
		      r->server_len) < 0 ? -1 : 0;
}

static int turn_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct daemon *d = ctx;

	return relay_send(&d->relay, buf, len);
}

static int probe_send(void *ctx, uint8_t *buf, size_t len)
{
	return relay_send(ctx, buf, len);
}

static uint32_t server_mtu(void *ctx);

/* The upper bound through the relay to a peer: our leg's path MTU. */
static uint32_t relay_leg(struct relay *r)
{
	uint32_t v = pmtu_value(&r->pmtu);

	return v ? v : server_mtu(r);
}

/* Follow the bound channels; a new result for our leg bounds the peers'
 * searches anew. */
static void peers_follow(struct relay *r, uint64_t now)
{
	uint32_t v = pmtu_value(&r->pmtu), hi = relay_leg(r);

	/* after every answer and tick: only when something changed, or
	 * 1,000 peers cost the daemon a scan of them all each time */
	if (!r->peers_synced || r->turn.peers_gen != r->peers_gen ||
	    hi != r->peers.hi) {
		r->peers_synced = true;
		r->peers_gen = r->turn.peers_gen;
		peer_pmtu_sync(&r->peers, &r->turn, hi, now);
	}
	if (v && v != r->pmtu_was) {
		r->pmtu_was = v;
		peer_pmtu_research(&r->peers, v, now);
	}
}

static void relay_input(void *ctx, uint64_t now)
{
	static uint8_t buf[PMTU_MAX + 64];
	struct relay *r = ctx;
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct wgt_ep src, server;
	ssize_t n;

	ep_from_sa(&server, (void *)&r->server);
	while ((n = recvfrom(r->ctl_fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (void *)&from, &flen)) > 0) {
		enum stun_kind k = stun_classify(buf, n);

		ep_from_sa(&src, (void *)&from);
		flen = sizeof(from);
		/* not the relay: a peer's connectivity check, or nothing */
		if (!ep_eq(&src, &server)) {
			if (r->checks && k == STUN_KIND_STUN)
				checks_input(r->checks, &src, buf, n, now);
			continue;
		}
		if (k == STUN_KIND_CHANNELDATA)
			peer_pmtu_input(&r->peers, buf, n, now);
		else if (k == STUN_KIND_STUN && !pmtu_input(&r->pmtu, buf, n, now))
			turn_input(&r->turn, buf, n, now);
	}
	peers_follow(r, now);
}

static int relay_next(void *ctx, uint64_t now)
{
	struct relay *r = ctx;
	int t[4] = { turn_next_ms(&r->turn, now), pmtu_next_ms(&r->pmtu, now),
		     peer_pmtu_next_ms(&r->peers, now),
		     r->checks ? checks_next_ms(r->checks, now) : -1 }, best = -1;

	for (int i = 0; i < 4; i++)
		if (t[i] >= 0 && (best < 0 || t[i] < best))
			best = t[i];
	return best;
}

/* The upper bound of a search: the route's MTU toward the server. */
static uint32_t server_mtu(void *ctx)
{
	struct relay *r = ctx;
	struct wgt_ep ep;
	int mtu;

	ep_from_sa(&ep, (void *)&r->server);
	mtu = route_path_mtu(&ep);
	return mtu > 0 ? (uint32_t)mtu : 1280;
}

/* Probe the path MTU to the server from scratch. */
static void relay_pmtu_search(struct relay *r, uint64_t now)
{
	pmtu_search(&r->pmtu, r->server.ss_family == AF_INET ? WGT_AF_INET :
								 WGT_AF_INET6,
		    server_mtu(r), now);
}

static void relay_tick(void *ctx, uint64_t now)
{
	struct relay *r = ctx;

	turn_tick(&r->turn, now);
	/* an adopted allocation announces nothing: search anyway */
	if (!r->pmtu.started_ms && r->turn.state == TURN_ALLOCATED)
		relay_pmtu_search(r, now);
	pmtu_tick(&r->pmtu, now, server_mtu, r);
	peers_follow(r, now);
	peer_pmtu_tick(&r->peers, now, relay_leg(r));
	if (r->checks)
		checks_tick(r->checks, now);
}

/* The events the relay reports, to the path manager and the state file. */
static void on_chan(void *ctx, const struct turn_peer *p, bool up)
{
	struct daemon *d = ctx;

	paths_channel(&d->paths, p, up);
}

static void write_state(struct daemon *d, uint64_t now)
{
	struct state_view v = { .turn = &d->relay.turn,
				.conf = d->conf, .relay_idx = d->relay.idx,
				.rdv = d->rdv_on ? &d->rdv : NULL,
				.mtu = &d->mtu,
				.pmtu = &d->relay.pmtu,
				.checks = d->relay.checks,
				.wg = d->wg.dev.backend ? wg_watch_now(&d->wg) :
							  NULL };

	state_write(d->conf->wgif, &v, now);
}

/* What peers should know of us: the relayed address to send to, and the
 * candidates (the allocation's mapped address is WireGuard's own NAT
 * mapping, the uplink address with WireGuard's port the host one). */
static void publish(struct daemon *d)
{
	const struct turn_client *c = &d->relay.turn;
	struct wgsd_record rec = { .endpoint = c->relayed,
				   .relayed = c->relayed, .srflx = c->mapped };
	struct wgt_ep host;

	if (!d->rdv_on || c->state != TURN_ALLOCATED)
		return;
	ep_from_sa(&host, (void *)&d->relay.local);
	host.port = d->wg_port;
	rec.host[rec.n_host++] = host;
	rdv_publish(&d->rdv, &rec, ev_now_ms());
}

static void on_state(void *ctx, struct turn_client *c)
{
	struct daemon *d = ctx;
	char a[EP_STRLEN], b[EP_STRLEN];

	write_state(d, ev_now_ms());
	if (c->unreachable != d->relay_unreachable) {
		d->relay_unreachable = c->unreachable;
		if (c->unreachable)
			pr_warn("relay: %s", c->error);
		else
			pr_info("relay %s answers again",
				ep_str(&c->server, b, sizeof(b)));
		return;
	}
	if (c->state == TURN_ALLOCATED && c->error_code == STUN_EC_UNAUTHORIZED &&
	    c->error[0]) {
		pr_warn("relay: %s", c->error);
		return;
	}
	if (c->state == TURN_ALLOCATED) {
		pr_info("relayed address %s on %s",
			ep_str(&c->relayed, a, sizeof(a)),
			ep_str(&c->server, b, sizeof(b)));
		publish(d);
		relay_pmtu_search(&d->relay, ev_now_ms());
	}
	else if (c->state == TURN_FAILED && d->running)
		pr_warn("relay: %s", c->error); /* retried: still worth a look */
}

static void on_peer(void *ctx, uint32_t what, const struct wg_peer *old,
		    const struct wg_peer *cur)
{
	struct daemon *d = ctx;

	paths_peer_changed(&d->paths, what, old, cur, ev_now_ms());
	if (!d->rdv_on)
		return;
	if (what & WG_CH_ADDED)
		rdv_peer_add(&d->rdv, cur->pubkey, ev_now_ms());
	if (what & WG_CH_REMOVED) {
		rdv_peer_del(&d->rdv, old->pubkey);
		if (d->relay.checks)
			checks_peer_del(d->relay.checks, old->pubkey);
	}
}

/* Point WireGuard's peer key at ep (from: where we learnt it). The
 * watcher sees the new endpoint and the path manager binds its channel. */
static void point_wireguard(struct daemon *d, const uint8_t *key,
			    const struct wgt_ep *ep, const char *from)
{
	const struct wg_peer *wp = wg_snapshot_find(wg_watch_now(&d->wg), key);
	char a[EP_STRLEN], k[WG_KEY_B64LEN], why[WG_ERRLEN];

	wg_key_to_base64(key, k);
	if (ep->family != d->relay.turn.server.family) {
		pr_warn("peer %s: %s %s is not of the relay's family",
			k, from, ep_str(ep, a, sizeof(a)));
		return;
	}
	if (!wp || ep_eq(&wp->endpoint, ep))
		return;	/* not (yet) a WireGuard peer, or nothing new */
	if (wg_set_endpoint(&d->wg.dev, key, ep, why, sizeof(why))) {
		pr_warn("peer %s: %s", k, why);
		return;
	}
	pr_info("peer %s: endpoint %s from %s", k, ep_str(ep, a, sizeof(a)),
		from);
	/* the new endpoint gets its permission and channel now */
	wg_watch_soon(&d->wg);
}

/* The checks' view of a peer: WireGuard's endpoint for it (the key of
 * the datapath's maps), family 0 when none. */
static struct wgt_ep wg_endpoint_of(struct daemon *d, const uint8_t *key)
{
	const struct wg_peer *wp = wg_snapshot_find(wg_watch_now(&d->wg), key);

	return wp ? wp->endpoint : (struct wgt_ep){ 0 };
}

static int check_send(void *ctx, const struct wgt_ep *to, const uint8_t *buf,
		      size_t len)
{
	struct daemon *d = ctx;
	struct sockaddr_storage sa;

	return sendto(d->relay.ctl_fd, buf, len, MSG_DONTWAIT,
		      (void *)&sa, ep_to_sa(to, &sa)) < 0 ? -1 : 0;
}

static void check_path(void *ctx, const struct check_peer *p)
{
	struct daemon *d = ctx;
	struct wgt_ep ep = wg_endpoint_of(d, p->key);
	char k[WG_KEY_B64LEN], a[EP_STRLEN];

	wg_key_to_base64(p->key, k);
	if (p->use >= 0)
		pr_info("peer %s: direct to %s (%s)", k,
			ep_str(&p->c[p->use].ep, a, sizeof(a)), p->why);
	else
		pr_info("peer %s: via the relay (%s)", k, p->why);
	paths_direct(&d->paths, p->key, &ep,
		     p->use >= 0 ? &p->c[p->use].ep : NULL);
	write_state(d, ev_now_ms());
}

static void check_accept(void *ctx, const struct check_peer *p,
			 const struct wgt_ep *from)
{
	struct daemon *d = ctx;
	struct wgt_ep ep = wg_endpoint_of(d, p->key);

	paths_accept(&d->paths, &ep, from);
}

/* WireGuard sent towards the peer lately (its own packets, not ours).
 * The stats' clock is CLOCK_MONOTONIC in ns, and a packet may be newer
 * than this moment read in ms: compare in ns, never below zero. */
static bool check_sending(void *ctx, const struct check_peer *p,
			  uint64_t unused)
{
	struct daemon *d = ctx;
	struct wgt_ep ep = wg_endpoint_of(d, p->key);
	struct wgt_stats st;
	struct timespec ts;
	uint64_t now;

	if (!ep.family || stats_read(&d->dp.maps, &ep, &st) || !st.last_tx_ns)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return st.last_tx_ns + LIVE_SENDING_MS * 1000000ull >= now;
}

static uint64_t check_wall_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The pair's check key, derived once per peer: the private key is read
 * from WireGuard for this and wiped at once. */
static int check_key_for(struct daemon *d, const uint8_t *key,
			 uint8_t out[CHECK_KEY_LEN])
{
	uint8_t priv[WG_KEY_LEN];
	char why[WG_ERRLEN] = "", k[WG_KEY_B64LEN];
	int rc = wg_private_key(&d->wg.dev, priv, why, sizeof(why));

	if (!rc)
		rc = check_key_derive(priv, d->wg.pubkey, key, out);
	explicit_bzero(priv, sizeof(priv));
	if (rc) {
		wg_key_to_base64(key, k);
		pr_warn("peer %s: no direct path checks: %s", k,
			rc == -EINVAL ? "unusable public key" :
			why[0] ? why : "cannot derive the check key");
	}
	return rc;
}

/* The peer's candidates, from its record. */
static void checks_follow(struct daemon *d, const struct rdv_peer *p)
{
	struct checks *k = d->relay.checks;
	struct check_peer *cp;
	uint8_t mac[CHECK_KEY_LEN];
	bool fresh;

	if (!k)
		return;
	cp = checks_peer_find(k, p->key);
	fresh = !cp || !cp->have_mac;
	if (fresh && check_key_for(d, p->key, mac))
		return;
	checks_peer_set(k, p->key, fresh ? mac : NULL, &p->rec, ev_now_ms());
	explicit_bzero(mac, sizeof(mac));
}

/* A peer's record changed: point WireGuard at where it says, check the
 * candidates it lists. */
static void on_found(void *ctx, const struct rdv_peer *p)
{
	point_wireguard(ctx, p->key, &p->rec.endpoint, "the rendezvous");
	checks_follow(ctx, p);
}

/* A peer's DNS name resolved. */
static void on_resolved(void *ctx, const struct named_peer *p,
			const struct wgt_ep *ep)
{
	struct daemon *d = ctx;
	char from[WGQ_HOST_MAX + 16];
	const struct rdv_peer *rp = d->rdv_on ? rdv_peer_find(&d->rdv, p->key) :
					       NULL;

	if (rp && rp->have_rec)
		return;	/* its record says where it is now, not its name */
	snprintf(from, sizeof(from), "DNS name %s", p->host);
	point_wireguard(ctx, p->key, ep, from);
}

/* Traffic arrives from a peer: evidence for the relay client. */
static void on_alive(void *ctx, const struct wg_peer *p, uint64_t unused)
{
	struct daemon *d = ctx;

	turn_peer_alive(&d->relay.turn, &p->endpoint, ev_now_ms());
}

static bool peer_is_direct(struct daemon *d, const uint8_t *key)
{
	const struct check_peer *cp = d->relay.checks ?
		checks_peer_find(d->relay.checks, key) : NULL;

	return cp && cp->use >= 0;
}

/* A path went silent: read the peer's record again, and ask the relay
 * whether it still holds our allocation. */
static void on_silent(void *ctx, const struct wg_peer *p, uint64_t silent_ms)
{
	struct daemon *d = ctx;
	uint64_t now = ev_now_ms();

	if (d->rdv_on)
		rdv_suspect(&d->rdv, p->pubkey, now);
	if (d->names_on)
		names_suspect(&d->names, p->pubkey, now);
	turn_probe(&d->relay.turn, now);
	/* A direct path's silence is the checks' to judge: the relay's
	 * permission, channel and path MTU have nothing to do with it. */
	if (peer_is_direct(d, p->pubkey))
		return;
	/* Large packets lost where small ones pass: a black hole. */
	if (!d->relay.pmtu.size &&
	    now - d->relay.pmtu.started_ms > PMTU_RESEARCH_MS)
		relay_pmtu_search(&d->relay, now);
	peer_pmtu_suspect(&d->relay.peers, &p->endpoint, relay_leg(&d->relay),
			  now);
	/* Servers may keep permissions and channels shorter than RFC 8656's
	 * 300 and 600 s: renewing them is cheap and harmless. */
	turn_peer_refresh(&d->relay.turn, &p->endpoint, now);
}

/* The daemon's own source: signals end it; the state file every second. */
static void signal_input(void *ctx, uint64_t now)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) > 0) {
		if (si.ssi_signo == SIGHUP)
			d->reload = true;
		else
			d->stop = true;
	}
}

static int state_next(void *ctx, uint64_t now)
{
	struct daemon *d = ctx;

	uint64_t next = d->next_state_ms < d->next_live_ms ?
		d->next_state_ms : d->next_live_ms;

	return next > now ? (int)(next - now) : 0;
}

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	struct wgt_ep x, y;

	ep_from_sa(&x, (const void *)a);
	ep_from_sa(&y, (const void *)b);
	x.port = y.port = 0;
	return ep_eq(&x, &y);
}

/* The uplink's address changed (DHCP, a new prefix, a roaming laptop):
 * the control socket moves to the new one, and the allocation, out of
 * reach from the old 5-tuple, is made anew (then published). */
/* A relay as messages name it: HOST:PORT ([V6]:PORT), the config's. */
#define RELAY_STRLEN (UP_HOST_MAX + 10)
static const char *relay_str(const struct relay_conf *rc, char *buf)
{
	snprintf(buf, RELAY_STRLEN, strchr(rc->host, ':') ? "[%s]:%u" : "%s:%u",
		 rc->host, rc->port);
	return buf;
}

static uint64_t wall_s(void)
{
	return (uint64_t)time(NULL);
}

static int resolve_conf(const struct relay_conf *conf,
			struct sockaddr_storage *sa, socklen_t *salen,
			char *why, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", conf->port);
	rc = getaddrinfo(conf->host, port, &hints, &ai);
	if (rc) {
		snprintf(why, len, "cannot resolve relay %s: %s", conf->host,
			 gai_strerror(rc));
		return -1;
	}
	memcpy(sa, ai->ai_addr, ai->ai_addrlen);
	*salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int resolve(struct relay *r, char *why, size_t len)
{
	return resolve_conf(r->conf, &r->server, &r->server_len, why, len);
}

static int ctl_follow(struct daemon *d, const struct sockaddr_storage *local);

static void uplink_check(struct daemon *d, uint64_t now)
{
	struct relay *r = &d->relay;
	struct sockaddr_storage local;
	char ifn[IF_NAMESIZE], a[EP_STRLEN], b[EP_STRLEN];
	struct wgt_ep ea, eb;

	if (route_to((void *)&r->server, r->server_len, &local, ifn)) {
		if (!d->no_route)
			pr_warn("no route to relay %s: %s", r->conf->host,
				strerror(errno));
		d->no_route = true;
		return;
	}
	d->no_route = false;
	if (same_addr(&local, &r->local))
		return;
	ep_from_sa(&ea, (void *)&r->local);
	ep_from_sa(&eb, (void *)&local);
	ea.port = eb.port = 0;
	if (ctl_follow(d, &local)) {	/* tried again at the next check */
		pr_warn("uplink address %s: cannot rebind the control socket: %s",
			ep_str(&eb, b, sizeof(b)), strerror(errno));
		return;
	}
	pr_info("uplink address %s -> %s (%s): allocating anew",
		ep_str(&ea, a, sizeof(a)), ep_str(&eb, b, sizeof(b)), ifn);
	turn_restart(&r->turn, now, "the uplink address changed");
}

/* The control socket follows the address the route to the server
 * leaves from. 0 when it did (or had nothing to do), -1 otherwise. */
static int ctl_follow(struct daemon *d, const struct sockaddr_storage *local)
{
	struct relay *r = &d->relay;
	struct sockaddr_storage prev = r->local;
	int old = r->ctl_fd;
	__u16 port;

	if (same_addr(local, &r->local))
		return 0;
	r->local = *local;
	if (ctl_open(r, &port) || set_ctl_port(d, port)) {
		if (r->ctl_fd >= 0 && r->ctl_fd != old)
			close(r->ctl_fd);
		r->ctl_fd = old;
		r->local = prev;
		return -1;
	}
	close(old);
	ev_set_fd(&d->loop, r, r->ctl_fd);
	/* the rendezvous' socket is bound to the old address too */
	if (d->rdv_on) {
		if (rdv_reopen(&d->rdv))
			pr_warn("rendezvous: cannot reopen its socket: %s",
				strerror(errno));
		else
			ev_set_fd(&d->loop, &d->rdv, d->rdv.fd);
	}
	return 0;
}

/* Is the datapath on ifn? Relayed packets leave there. */
static bool uplink_attached(struct daemon *d, const char *ifn)
{
	struct wgt_uplink up[WGT_MAX_UPLINKS];
	unsigned idx = if_nametoindex(ifn);

	if (!idx || uplinks_read(&d->dp.maps, up))
		return false;
	for (int i = 0; i < WGT_MAX_UPLINKS; i++)
		if (up[i].ifindex == idx)
			return true;
	return false;
}

/*
 * [Relay] idx takes over: its address, its credentials, the control
 * socket on the address towards it; the TURN client moves there with
 * the same peers (their channels are bound anew, the datapath follows,
 * and the rendezvous publishes the new relayed address once allocated).
 * Relays of another address family than the current one are skipped:
 * the peers' endpoints are of this one. 0, or -1 (logged; the current
 * relay stays, and idx is remembered as tried).
 */
static int relay_switch(struct daemon *d, int idx, uint64_t now,
			const char *why)
{
	struct relay *r = &d->relay;
	const struct relay_conf *rc = &d->conf->relays[idx];
	struct sockaddr_storage sa, local;
	struct relay_creds creds;
	char ifn[IF_NAMESIZE], msg[512], a[EP_STRLEN], rn[RELAY_STRLEN];
	struct wgt_ep server;
	socklen_t salen;

	if (resolve_conf(rc, &sa, &salen, msg, sizeof(msg)) ||
	    relay_creds_get(rc, wall_s(), &creds, msg, sizeof(msg))) {
		pr_warn("relay %s: %s", relay_str(rc, rn), msg);
		goto skip;
	}
	if (sa.ss_family != r->server.ss_family) {
		pr_warn("relay %s is of another address family than the peers' endpoints: skipped",
			relay_str(rc, rn));
		goto skip;
	}
	if (route_to((void *)&sa, salen, &local, ifn)) {
		pr_warn("no route to relay %s: %s", relay_str(rc, rn), strerror(errno));
		goto skip;
	}
	if (!uplink_attached(d, ifn)) {
		pr_warn("relay %s is reached through %s, where the datapath is not attached (add Uplink = %s): skipped",
			relay_str(rc, rn), ifn, ifn);
		goto skip;
	}
	if (ctl_follow(d, &local)) {
		pr_warn("relay %s: cannot rebind the control socket: %s",
			relay_str(rc, rn), strerror(errno));
		goto skip;
	}
	pr_warn("%s; relay %s takes over", why, relay_str(rc, rn));
	r->idx = idx;
	r->conf = rc;
	r->server = sa;
	r->server_len = salen;
	r->creds = creds;
	r->renew_s = relay_creds_renew_at(rc, &creds);
	pmtu_init(&r->pmtu, probe_send, r);
	r->pmtu_was = 0;
	peer_pmtu_init(&r->peers, relay_send, r);
	r->peers_synced = false;
	d->relay_unreachable = false;
	ep_from_sa(&server, (void *)&sa);
	turn_move(&r->turn, &server, creds.username, creds.password, now,
		  ep_str(&server, a, sizeof(a)));
	write_state(d, now);
	return 0;
skip:
	r->idx = idx;	/* the one after it is next */
	return -1;
}

/* Evidence that the relay is gone: it answered nothing for FAILOVER_MS
 * while asked again and again, or it refused for good. */
static void failover_check(struct daemon *d, uint64_t now)
{
	struct relay *r = &d->relay;
	const struct turn_client *c = &r->turn;
	int n = d->conf->n_relays, cur = r->idx;
	char why[RELAY_STRLEN + 64], rn[RELAY_STRLEN];

	if (n < 2)
		return;
	if (turn_unanswered_ms(c, now) >= FAILOVER_MS)
		snprintf(why, sizeof(why), "relay %s: no answer for %d s",
			 relay_str(r->conf, rn), FAILOVER_MS / 1000);
	else if (c->state == TURN_FAILED && !c->retry_ms)
		snprintf(why, sizeof(why), "relay %s refused for good",
			 relay_str(r->conf, rn));
	else
		return;
	/* one try per relay per check; the current one stays if none can
	 * take over */
	for (int i = 1; i < n; i++) {
		int idx = (cur + i) % n;

		if (!relay_switch(d, idx, now, why))
			return;
	}
	r->idx = cur;
	r->conf = &d->conf->relays[cur];
}

/* REST credentials expire: new ones a quarter of their lifetime before,
 * for the next allocation (the current one keeps its own). */
static void creds_check(struct daemon *d)
{
	struct relay *r = &d->relay;
	uint64_t used = rest_cred_expiry(r->turn.username);
	struct relay_creds c;
	char why[512], rn[RELAY_STRLEN];

	/* the allocation's own, past their expiry: turn.h, creds_stale */
	r->turn.creds_stale = r->conf->secret_file[0] && used &&
			      used <= wall_s();
	if (!r->renew_s || wall_s() < r->renew_s)
		return;
	if (relay_creds_get(r->conf, wall_s(), &c, why, sizeof(why))) {
		pr_warn("relay %s: cannot renew the credentials: %s",
			relay_str(r->conf, rn), why);
		r->renew_s = wall_s() + 60;
		return;
	}
	r->creds = c;
	r->renew_s = relay_creds_renew_at(r->conf, &c);
	turn_set_credentials(&r->turn, c.username, c.password, ev_now_ms());
	pr_info("relay %s: credentials renewed (valid until %llu)",
		relay_str(r->conf, rn), (unsigned long long)c.expiry_s);
}

/* The veth pairs where GSO batches are segmented: deleted or set down
 * behind our back, batches to relays would be dropped (counted in
 * drop_gso). Attach again: it makes them anew and replaces the programs
 * in place, as `wgturn attach` does under traffic. */
static void gso_check(struct daemon *d)
{
	struct wgt_uplink up[WGT_MAX_UPLINKS];
	struct attach_opts ao = { .xdp = d->conf->xdp, .port = d->wg_port };
	struct wgt_err e = {};
	bool broken = false;
	int rc;

	if (d->dp.maps.uplinks < 0 || uplinks_read(&d->dp.maps, up))
		return;
	for (int i = 0; i < WGT_MAX_UPLINKS; i++) {
		if (!up[i].ifindex)
			continue;
		if (!if_indextoname(up[i].ifindex, ao.uplinks[ao.n_uplinks++]))
			return;	/* the uplink itself is gone: not ours to mend */
		if (ao.xdp == XDP_REQ_AUTO && up[i].xdp_mode == WGT_XDP_SKB)
			ao.xdp = XDP_REQ_SKB;	/* what auto settled on */
		broken |= up[i].gso_ifindex && !link_is_up((int)up[i].gso_ifindex);
	}
	if (!broken)
		return;
	pr_warn("a GSO veth of %s is gone or down: attaching again",
		d->conf->wgif);
	rc = wgt_attach(&d->dp.pins, &ao, &e);
	log_report(&e, rc);
}

/* The textfile for node_exporter; a failure is logged when it starts
 * and when it ends, not every time. */
static void metrics_file_tick(struct daemon *d)
{
	char why[512];
	bool failed = metrics_file_write(d->conf->metrics_file, &d->dp.pins,
					 why, sizeof(why)) != 0;

	if (failed && !d->metrics_file_failed)
		pr_warn("metrics file: %s", why);
	else if (!failed && d->metrics_file_failed)
		pr_info("metrics file %s written again", d->conf->metrics_file);
	d->metrics_file_failed = failed;
}

static void state_tick(void *ctx, uint64_t now)
{
	struct daemon *d = ctx;

	if (d->running && now >= d->next_uplink_ms) {
		d->next_uplink_ms = now + UPLINK_CHECK_MS;
		uplink_check(d, now);
		gso_check(d);
		failover_check(d, now);
		creds_check(d);
	}
	if (d->running && now >= d->next_mtu_ms) {
		d->next_mtu_ms = now + TMTU_CHECK_MS;
		tmtu_check(&d->mtu, wg_watch_now(&d->wg), &d->dp.maps,
			   &d->relay.turn.server, pmtu_value(&d->relay.pmtu),
			   &d->relay.peers);
	}
	if (now >= d->next_live_ms && d->dp.maps.stats >= 0) {
		d->next_live_ms = now + LIVE_CHECK_MS;
		liveness_check(wg_watch_now(&d->wg), &d->dp.maps, now,
			       on_silent, on_alive, d);
	}
	if (d->running && d->conf->metrics_file[0] &&
	    now >= d->next_metrics_ms) {
		d->next_metrics_ms = now + METRICS_FILE_MS;
		metrics_file_tick(d);
	}
	if (now < d->next_state_ms)
		return;
	d->next_state_ms = now + STATE_WRITE_MS;
	write_state(d, now);
}

static void step(struct daemon *d)
{
	int rc = ev_step(&d->loop, 1000);

	if (rc)
		pr_warn("poll: %s", strerror(-rc));
}

/* The control socket: bound on the uplink's address, its port the
 * datapath's control port. Not connected: it talks to the relay and, for
 * connectivity checks, to peers' addresses. */
static int ctl_open(struct relay *r, __u16 *port)
{
	struct sockaddr_storage sa = r->local;
	socklen_t len = sizeof(sa);
	struct wgt_ep ep;

	r->ctl_fd = socket(r->local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->ctl_fd < 0 ||
	    bind(r->ctl_fd, (void *)&sa, r->local.ss_family == AF_INET ?
			sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) ||
	    getsockname(r->ctl_fd, (void *)&sa, &len))
		return -1;
	/* DF on everything, the kernel's PMTU guess ignored: path MTU
	 * probes measure the path itself (pmtu.h). */
	if (r->local.ss_family == AF_INET)
		setsockopt(r->ctl_fd, IPPROTO_IP, IP_MTU_DISCOVER,
			   &(int){ IP_PMTUDISC_PROBE }, sizeof(int));
	else
		setsockopt(r->ctl_fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER,
			   &(int){ IPV6_PMTUDISC_PROBE }, sizeof(int));
	ep_from_sa(&ep, (void *)&sa);
	*port = ep.port;
	return 0;
}

static int signals_open(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	d->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sig_fd < 0 ? -1 : 0;
}

static int pidfile_check(const char *wgif)
{
	char path[256];
	FILE *f;
	int pid = 0;

	state_path(wgif, "pid", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 && !kill(pid, 0) ? pid : 0;
}

static void pidfile_write(const char *wgif)
{
	char path[256];
	FILE *f;

	mkdir(WGT_RUN_DIR, 0700);
	state_path(wgif, "pid", path, sizeof(path));
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%d\n", getpid());
		fclose(f);
	}
}

/* Setup steps, in order; each prints its one error line. */
static int setup_wireguard_open(struct daemon *d, uint16_t *listen_port);

static int setup_claim(struct daemon *d)
{
	int pid = pidfile_check(d->conf->wgif);

	if (pid) {
		pr_err("%s is already up (wgturn daemon pid %d)", d->conf->wgif,
		       pid);
		return -1;
	}
	d->claimed = true;
	return 0;
}

static int setup_secret(struct daemon *d)
{
	struct relay *r = &d->relay;
	char why[512];

	r->idx = 0;
	r->conf = &d->conf->relays[0];
	if (relay_creds_get(r->conf, wall_s(), &r->creds, why, sizeof(why))) {
		pr_err("%s", why);
		return -1;
	}
	r->renew_s = relay_creds_renew_at(r->conf, &r->creds);
	return 0;
}

/* The relay's address and the route towards it. */
static int setup_route(struct daemon *d, char uplink[IF_NAMESIZE])
{
	struct relay *r = &d->relay;
	char why[512];

	if (resolve(r, why, sizeof(why))) {
		pr_err("%s", why);
		return -1;
	}
	/* Default uplink: the one the route to the relay leaves by. */
	if (route_to((void *)&r->server, r->server_len, &r->local, uplink)) {
		pr_err("no route to relay %s: %s", r->conf->host,
		       strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_wireguard(struct daemon *d, uint16_t *listen_port)
{
	int rc = setup_wireguard_open(d, listen_port);

	d->wg_port = *listen_port;
	return rc;
}

/* The rendezvous, when configured: our key from WireGuard, the DNS
 * server's key and address. */
static int setup_rendezvous(struct daemon *d)
{
	char why[512];

	if (!d->conf->rdv.zone[0])
		return 0;
	if (!d->wg.has_pubkey) {
		pr_err("%s has no private key: the rendezvous names nodes by public key",
		       d->conf->wgif);
		return -1;
	}
	if (rdv_open(&d->rdv, &d->conf->rdv, d->wg.pubkey, why, sizeof(why))) {
		pr_err("%s", why);
		return -1;
	}
	d->rdv.on_found = on_found;
	d->rdv.ctx = d;
	d->rdv_on = true;
	return 0;
}

/* Direct paths, with the rendezvous (it lists the candidates). */
static int setup_checks(struct daemon *d)
{
	struct check_ops ops = { .send = check_send, .path = check_path,
				 .accept = check_accept,
				 .sending = check_sending,
				 .wall_ns = check_wall_ns, .ctx = d };
	struct wgt_ep server;

	if (!d->rdv_on || !d->conf->rdv.direct)
		return 0;
	ep_from_sa(&server, (void *)&d->relay.server);
	checks_init(&d->checks, d->wg.pubkey, server.family, &ops);
	d->relay.checks = &d->checks;
	return 0;
}

/* Peers named by DNS name in the wg-quick config (given, or WireGuard's
 * own /etc/wireguard/WGIF.conf when it exists). */
static int setup_names(struct daemon *d)
{
	char path[4096 + 32], why[512];
	const char *p = d->conf->wg_config;

	if (!*p) {
		snprintf(path, sizeof(path), "/etc/wireguard/%s.conf",
			 d->conf->wgif);
		if (access(path, R_OK))
			return 0;
		p = path;
	}
	if (names_open(&d->names, p, d->relay.server.ss_family, why,
		       sizeof(why))) {
		/* WireGuard's own file, not named by the user: not fatal */
		if (p == path) {
			pr_warn("%s; peers named by DNS name are not followed", why);
			return 0;
		}
		pr_err("%s", why);
		return -1;
	}
	d->names.on_resolved = on_resolved;
	d->names.ctx = d;
	d->names_on = d->names.n > 0;
	if (!d->names_on)
		names_close(&d->names);
	return 0;
}

static int setup_wireguard_open(struct daemon *d, uint16_t *listen_port)
{
	char why[WG_ERRLEN];

	d->wg.on_peer = on_peer;
	d->wg.ctx = d;
	if (wg_watch_open(&d->wg, d->conf->wgif, listen_port, why,
			  sizeof(why))) {
		pr_err("%s", why);
		return -1;
	}
	if (!*listen_port) {
		pr_err("%s has no listen port: set one (wg set %s listen-port PORT)",
		       d->conf->wgif, d->conf->wgif);
		return -1;
	}
	return 0;
}

static int setup_datapath(struct daemon *d, const char *opt_bpffs,
			  uint16_t port, const char *routed_if)
{
	const struct up_conf *c = d->conf;
	struct attach_opts ao = { .xdp = c->xdp, .port = port };

	ao.n_uplinks = c->n_uplinks;
	memcpy(ao.uplinks, c->uplinks, sizeof(ao.uplinks));
	if (!ao.n_uplinks) {
		ao.n_uplinks = 1;
		memcpy(ao.uplinks[0], routed_if, IF_NAMESIZE);
	}
	struct wgt_err e = {};
	int rc;

	rc = pins_resolve(opt_bpffs, c->wgif, &d->dp.pins, &e);
	if (!rc) {
		d->dp.attached_fresh = !pins_exist(&d->dp.pins);
		rc = wgt_attach(&d->dp.pins, &ao, &e);
	}
	rc = rc ?: maps_open(&d->dp.pins, &d->dp.maps, &e);
	log_report(&e, rc);
	if (rc)
		return -1;
	d->paths.maps = &d->dp.maps;
	d->paths.turn = &d->relay.turn;
	return 0;
}

/* The datapath rewrites the control socket's port to WireGuard's. */
static int set_ctl_port(struct daemon *d, __u16 port)
{
	struct wgt_config cfg;

	if (config_read(&d->dp.maps, &cfg))
		return -1;
	cfg.ctl_port = port;
	return config_write(&d->dp.maps, &cfg);
}

/* The control socket, its port in the datapath's configuration. */
static int setup_control(struct daemon *d)
{
	__u16 port;

	if (ctl_open(&d->relay, &port)) {
		pr_err("cannot open the control socket: %s", strerror(errno));
		return -1;
	}
	if (set_ctl_port(d, port)) {
		pr_err("cannot set the control port: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The subsystems on the loop: relay, WireGuard, signals and state. */
static int setup_loop(struct daemon *d)
{
	struct ev_source wg;
	int rc;

	if (signals_open(d)) {
		pr_err("cannot set up signals: %s", strerror(errno));
		return -1;
	}
	wg_watch_source(&d->wg, &wg);
	rc = ev_add(&d->loop, &(struct ev_source){
			.name = "relay", .fd = d->relay.ctl_fd, .ctx = &d->relay,
			.input = relay_input, .next_ms = relay_next,
			.tick = relay_tick });
	rc = rc ?: ev_add(&d->loop, &wg);
	if (d->rdv_on) {
		struct ev_source rs;

		rdv_source(&d->rdv, &rs);
		rc = rc ?: ev_add(&d->loop, &rs);
	}
	if (d->names_on) {
		struct ev_source ns;

		names_source(&d->names, &ns);
		rc = rc ?: ev_add(&d->loop, &ns);
	}
	rc = rc ?: ev_add(&d->loop, &(struct ev_source){
			.name = "daemon", .fd = d->sig_fd, .ctx = d,
			.input = signal_input, .next_ms = state_next,
			.tick = state_tick });
	if (rc)
		pr_err("cannot set up the event loop: %s", strerror(-rc));
	return rc ? -1 : 0;
}

/* A predecessor's allocation on this relay was made with its REST
 * username: refreshes must carry that one (a server ties an allocation
 * to it), and the fresh credentials wait for the next allocation. */
static void adopt_username(struct relay *r, json_object *st)
{
	json_object *u, *srv;
	struct relay_creds old;
	char why[256], a[EP_STRLEN];

	if (!r->conf->secret_file[0] ||
	    !json_object_object_get_ex(st, "username", &u) ||
	    !json_object_object_get_ex(st, "server", &srv) ||
	    strcmp(json_object_get_string(srv) ?: "",
		   ep_str(&r->turn.server, a, sizeof(a))) ||
	    relay_creds_of(r->conf, json_object_get_string(u) ?: "", &old,
			   why, sizeof(why)))
		return;
	snprintf(r->turn.username, sizeof(r->turn.username), "%s",
		 old.username);
	snprintf(r->turn.password, sizeof(r->turn.password), "%s",
		 old.password);
	turn_set_credentials(&r->turn, r->creds.username, r->creds.password,
			     ev_now_ms());
}

/* Allocate on the relay (or adopt a predecessor's allocation). */
static int setup_allocation(struct daemon *d)
{
	struct relay *r = &d->relay;
	struct wgt_ep server;
	json_object *st;
	uint64_t deadline, silent;

	ep_from_sa(&server, (void *)&r->server);
	turn_init(&r->turn, &server, r->creds.username, r->creds.password,
		  turn_send, d);
	pmtu_init(&r->pmtu, probe_send, r);
	peer_pmtu_init(&r->peers, relay_send, r);
	r->turn.on_chan = on_chan;
	r->peers_synced = false;
	r->turn.on_state = on_state;
	r->turn.keepalive_ms = RELAY_KEEPALIVE_MS;
	/* A predecessor's allocation on this 5-tuple: adopt it. */
	st = state_read(d->conf->wgif);
	if (st) {
		adopt_username(r, st);
		state_adopt(st, &r->turn, ev_now_ms());
		json_object_put(st);
	}
	turn_start(&r->turn, ev_now_ms());
	/* A 437 (an older allocation of this 5-tuple) is released and
	 * allocated anew by the client: wait for that, not for the rest. */
	deadline = ev_now_ms() + UP_TIMEOUT_MS;
	silent = ev_now_ms() + UP_SILENT_MS;
	for (int tried = 1;; tried++) {
		while (!d->stop && ev_now_ms() < deadline &&
		       (r->turn.answers || ev_now_ms() < silent) &&
		       (r->turn.state == TURN_ALLOCATING ||
			(r->turn.state == TURN_FAILED &&
			 r->turn.error_code == STUN_EC_ALLOCATION_MISMATCH)))
			step(d);
		/* Silent or refusing for good: the next [Relay], once each. */
		if (d->stop || tried >= d->conf->n_relays ||
		    ev_now_ms() >= deadline ||
		    r->turn.state == TURN_ALLOCATED ||
		    (r->turn.answers && r->turn.state != TURN_FAILED))
			break;
		char why[RELAY_STRLEN + 32], rn[RELAY_STRLEN];

		snprintf(why, sizeof(why), "relay %s %s", relay_str(r->conf, rn),
			 r->turn.answers ? "refused" : "does not answer");
		if (relay_switch(d, (r->idx + 1) % d->conf->n_relays,
				 ev_now_ms(), why))
			break;
		silent = ev_now_ms() + UP_SILENT_MS;
	}
	/* Nothing answers (at boot the network or the relay may not be up
	 * yet): not a configuration error. Keep trying in the background. */
	if (r->turn.state != TURN_ALLOCATED && !d->stop && !r->turn.answers) {
		pr_warn("relay %s does not answer yet; the daemon keeps trying in the background",
			r->conf->host);
		write_state(d, ev_now_ms());
		return 0;
	}
	if (r->turn.state != TURN_ALLOCATED) {
		pr_err("%s", d->stop ? "interrupted" : r->turn.error);
		return -1;
	}
	write_state(d, ev_now_ms());
	return 0;
}

/* The first publish: a refusal (wrong key, no update policy) is a
 * configuration error; a server that does not answer is retried. */
static int setup_publish(struct daemon *d)
{
	uint64_t deadline = ev_now_ms() + UP_PUBLISH_WAIT_MS;

	if (!d->rdv_on || !d->conf->rdv.publish ||
	    d->relay.turn.state != TURN_ALLOCATED)
		return 0;	/* published once allocated */
	d->rdv.strict = true;
	while (!d->stop && ev_now_ms() < deadline && !d->rdv.last_publish_ms &&
	       d->rdv.upd_err != -EACCES && d->rdv.upd_err != -EBADMSG)
		step(d);
	d->rdv.strict = false;
	if (d->rdv.upd_err == -EACCES || d->rdv.upd_err == -EBADMSG) {
		pr_err("rendezvous: %s", d->rdv.upd_e.msg);
		return -1;
	}
	if (!d->rdv.last_publish_ms) {
		pr_warn("rendezvous: %s; publishing in the background",
			d->rdv.upd_e.msg[0] ? d->rdv.upd_e.msg :
			"no answer from the DNS server yet");
		/* that was the one line for this: retries stay quiet */
		d->rdv.upd_err = -ETIMEDOUT;
		d->rdv.err_logged = true;
	}
	return 0;
}

/* The metrics listener: tried before the fork, where an error still
 * reaches `up`'s caller, and started for good after it (a fork keeps
 * no thread). */
static int setup_metrics(struct daemon *d, bool trial)
{
	char why[512];

	if (!d->conf->metrics[0])
		return 0;
	if (metrics_http_start(&d->metrics, d->conf->metrics, &d->dp.pins, why,
			       sizeof(why))) {
		pr_err("%s", why);
		return -1;
	}
	if (trial) {
		metrics_http_stop(d->metrics);
		d->metrics = NULL;
	}
	return 0;
}

/* Everything up to a working allocation. */
static int setup(struct daemon *d, const char *opt_bpffs)
{
	char routed_if[IF_NAMESIZE];
	uint16_t port;

	if (setup_claim(d) || setup_secret(d) || setup_wireguard(d, &port) ||
	    setup_rendezvous(d) || setup_route(d, routed_if) ||
	    setup_checks(d) || setup_names(d) ||
	    setup_datapath(d, opt_bpffs, port, routed_if) ||
	    setup_control(d) || setup_loop(d))
		return -1;
	return setup_allocation(d) || setup_publish(d);
}

static void teardown(struct daemon *d, bool deallocate)
{
	char path[256];

	metrics_http_stop(d->metrics);
	d->metrics = NULL;
	/* a textfile left behind would go on reporting a tunnel that is gone */
	if (d->claimed && d->conf->metrics_file[0])
		unlink(d->conf->metrics_file);

	if (deallocate && d->rdv_on) {
		uint64_t until = ev_now_ms() + 2000;

		rdv_unpublish(&d->rdv, ev_now_ms());
		while (rdv_busy(&d->rdv) && ev_now_ms() < until) {
			d->stop = false;
			step(d);
		}
	}
	if (d->rdv_on) {
		rdv_close(&d->rdv);
		ev_set_fd(&d->loop, &d->rdv, -1);
	}
	if (d->names_on)
		names_close(&d->names);
	if (d->relay.checks)
		checks_free(d->relay.checks);
	paths_free(&d->paths);
	tmtu_clear(&d->mtu);
	if (deallocate && d->relay.turn.state == TURN_ALLOCATED) {
		uint64_t until = ev_now_ms() + 2000;

		turn_shutdown(&d->relay.turn, ev_now_ms());
		while (d->relay.turn.state == TURN_ALLOCATED &&
		       ev_now_ms() < until) {
			d->stop = false;
			step(d);
		}
	}
	maps_close(&d->dp.maps);
	wg_watch_close(&d->wg);
	if (!d->claimed)
		return;
	/* A failed `up` over a running datapath (kill -9 before) leaves it
	 * and the state a later `up` adopts. */
	if (deallocate || d->dp.attached_fresh) {
		/* Nothing to detach when the attach itself failed. */
		if (pins_exist(&d->dp.pins)) {
			struct wgt_err e = {};

			log_report(&e, wgt_detach(&d->dp.pins, &e));
		}
		state_path(d->conf->wgif, "state", path, sizeof(path));
		unlink(path);
	}
	state_path(d->conf->wgif, "pid", path, sizeof(path));
	unlink(path);
}

/* What systemd's status line and the readiness note say. */
static void notify_ready(struct daemon *d, const char *what)
{
	const struct turn_client *c = &d->relay.turn;
	char a[EP_STRLEN], b[EP_STRLEN];

	if (c->state == TURN_ALLOCATED)
		sd_notifyf(0, "%s\nMAINPID=%d\nSTATUS=relayed address %s on %s",
			   what, (int)getpid(), ep_str(&c->relayed, a, sizeof(a)),
			   ep_str(&c->server, b, sizeof(b)));
	else
		sd_notifyf(0, "%s\nMAINPID=%d\nSTATUS=relay %s: %s", what,
			   (int)getpid(), ep_str(&c->server, b, sizeof(b)),
			   c->error[0] ? c->error : "allocating");
}

/* Do two configurations differ in what only a new `up` applies? */
static bool needs_restart(const struct up_conf *a, const struct up_conf *b)
{
	return a->n_uplinks != b->n_uplinks ||
	       memcmp(a->uplinks, b->uplinks, sizeof(a->uplinks)) ||
	       a->xdp != b->xdp || memcmp(&a->rdv, &b->rdv, sizeof(a->rdv)) ||
	       strcmp(a->wg_config, b->wg_config) ||
	       strcmp(a->metrics, b->metrics) ||
	       strcmp(a->metrics_file, b->metrics_file);
}

/*
 * SIGHUP: the config file again (or, started with options only, the
 * credentials' files again). Relays are added and removed; credentials
 * rotate for the next allocation; the allocation, its channels and the
 * tunnel stay when the active relay is still configured. Nothing is
 * applied unless all of it reads: a bad file leaves everything running
 * as it was, with one error line.
 */
static void daemon_reload(struct daemon *d)
{
	struct relay *r = &d->relay;
	struct up_conf n = d->own;
	struct relay_creds fresh[UP_MAX_RELAYS];
	char why[1200], host[UP_HOST_MAX], rn[RELAY_STRLEN];
	uint16_t port = r->conf->port;
	int j;

	sd_notify(0, "RELOADING=1");
	if (d->own.config_path[0]) {
		struct up_conf f = {};

		if (up_conf_load(d->own.config_path, &f, why, sizeof(why))) {
			pr_err("reload: %s; the running configuration stays",
			       why);
			goto out;
		}
		if (needs_restart(&d->own, &f))
			pr_warn("reload: only [Relay] changes apply now; Uplink, XdpMode, WireGuardConfig, Metrics and [Rendezvous] take effect at the next `wgturn up`");
		n.n_relays = f.n_relays;
		memcpy(n.relays, f.relays, sizeof(n.relays));
	}
	for (int i = 0; i < n.n_relays; i++)
		if (relay_creds_get(&n.relays[i], wall_s(), &fresh[i], why,
				    sizeof(why))) {
			pr_err("reload: [Relay] %d: %s; the running configuration stays",
			       i + 1, why);
			goto out;
		}
	snprintf(host, sizeof(host), "%s", r->conf->host);
	relay_str(r->conf, rn);
	for (j = 0; j < n.n_relays; j++)
		if (!strcmp(n.relays[j].host, host) && n.relays[j].port == port)
			break;
	d->own = n;
	if (j < n.n_relays) {
		r->idx = j;
		r->conf = &d->own.relays[j];
		r->creds = fresh[j];
		r->renew_s = relay_creds_renew_at(r->conf, &fresh[j]);
		turn_set_credentials(&r->turn, fresh[j].username,
				     fresh[j].password, ev_now_ms());
		pr_info("reloaded: %d relay%s; relay %s stays, its allocation kept",
			n.n_relays, n.n_relays > 1 ? "s" : "", rn);
		goto out;
	}
	/* the active relay is gone from the file: the first one takes over */
	r->conf = &d->own.relays[0];
	r->idx = 0;
	pr_info("reloaded: %d relay%s; relay %s is no longer configured",
		n.n_relays, n.n_relays > 1 ? "s" : "", rn);
	snprintf(why, sizeof(why), "relay %s is no longer configured", rn);
	for (int i = 0; i < n.n_relays; i++)
		if (!relay_switch(d, i, ev_now_ms(), why))
			break;
out:
	write_state(d, ev_now_ms());
	notify_ready(d, "READY=1");
}

/* Detach from the terminal; the parent exits 0 once we are running. */
static int background(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

int daemon_up(const struct up_conf *conf, const char *opt_bpffs)
{
	static struct daemon d;
	const struct up_conf *c = &d.own;

	d.own = *conf;
	d.conf = c;
	d.relay.ctl_fd = d.sig_fd = -1;
	/* It reads WireGuard's private key: no core dump may hold it. */
	prctl(PR_SET_DUMPABLE, 0);
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	tmtu_init(&d.mtu, c->wgif);
	for (size_t i = 0; i < sizeof(struct wgt_maps) / sizeof(int); i++)
		((int *)&d.dp.maps)[i] = -1;
	if (setup(&d, opt_bpffs) || setup_metrics(&d, true)) {
		/* An allocation made before a later step failed goes too. */
		teardown(&d, d.relay.turn.state == TURN_ALLOCATED);
		return 1;
	}
	if (!c->foreground && background()) {
		pr_err("cannot fork: %s", strerror(errno));
		teardown(&d, true);
		return 1;
	}
	/* In the background stderr is /dev/null: the system log instead. */
	if (!c->foreground) {
		char a[EP_STRLEN], b[EP_STRLEN];

		log_to_syslog(c->wgif);
		if (d.relay.turn.state == TURN_ALLOCATED)
			pr_info("running in the background: relayed address %s on %s",
				ep_str(&d.relay.turn.relayed, a, sizeof(a)),
				ep_str(&d.relay.turn.server, b, sizeof(b)));
		else
			pr_info("running in the background: relay %s does not answer yet",
				ep_str(&d.relay.turn.server, b, sizeof(b)));
	}
	pidfile_write(c->wgif);
	write_state(&d, ev_now_ms());	/* its pid now the daemon's */
	if (setup_metrics(&d, false)) {
		teardown(&d, true);
		return 1;
	}
	d.running = true;
	/* systemd (Type=notify): the datapath is attached, the relay asked */
	notify_ready(&d, "READY=1");
	if (d.names_on)
		names_start(&d.names);
	while (!d.stop) {
		step(&d);
		if (d.reload) {
			d.reload = false;
			daemon_reload(&d);
		}
	}
	sd_notify(0, "STOPPING=1");
	pr_info("shutting down");
	teardown(&d, true);
	return 0;
}

int daemon_reload_signal(const char *wgif)
{
	int pid = pidfile_check(wgif);

	if (!pid || kill(pid, SIGHUP)) {
		pr_err("%s is not up (no wgturn daemon runs for it)", wgif);
		return 1;
	}
	return 0;
}

int daemon_down(const char *wgif, const char *opt_bpffs)
{
	struct wgt_err e = {};
	struct wgt_pins pins;
	int rc;
	int pid = pidfile_check(wgif);

	if (pid) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 100 && !kill(pid, 0); i++)
			usleep(50 * 1000);
		if (!kill(pid, 0)) {
			pr_err("daemon pid %d did not stop", pid);
			return 1;
		}
		return 0;
	}
	/* No daemon (killed?): still take the datapath down. */
	if (pins_resolve(opt_bpffs, wgif, &pins, &e)) {
		log_report(&e, 1);
		return 1;
	}
	if (!pins_exist(&pins)) {
		pr_err("%s is not up", wgif);
		return 1;
	}
	rc = wgt_detach(&pins, &e);
	log_report(&e, rc);
	return rc ? 1 : 0;
}
