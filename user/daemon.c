// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon: one TURN allocation shared with WireGuard's 5-tuple, a
 * channel per WireGuard peer endpoint, the datapath's maps kept in step.
 * Its control socket sends from another port; the datapath rewrites that
 * to WireGuard's port on the way out and steers STUN back to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "daemon.h"
#include "loader.h"
#include "log.h"
#include "maps.h"
#include "peers.h"
#include "pins.h"
#include "route.h"
#include "state.h"
#include "turn.h"
#include "wg.h"

#define WG_POLL_MS 1000
#define RELAY_KEEPALIVE_MS 15000	/* under common NAT UDP timeouts */
#define UP_TIMEOUT_MS 60000		/* `up` gives up after this */

struct daemon {
	const struct up_conf *conf;
	const struct relay_conf *relay;
	char password[UP_PASS_MAX];
	struct wgt_pins pins;
	struct wgt_maps maps;
	struct wg_dev wg;
	struct wg_snapshot snap[2];
	int cur;
	int ctl_fd, sig_fd;
	struct sockaddr_storage server;
	socklen_t server_len;
	struct turn_client turn;
	uint64_t next_poll_ms;
	bool attached_fresh;
	bool running;		/* past `up`: failures are logged, not fatal */
	bool claimed;		/* no other daemon: the run files are ours */
	bool stop;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ep_from_sa(struct wgt_ep *ep, const struct sockaddr *sa)
{
	memset(ep, 0, sizeof(*ep));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		memcpy(ep->addr, &s->sin_addr, 4);
		ep->port = ntohs(s->sin_port);
		ep->family = WGT_AF_INET;
	} else {
		const struct sockaddr_in6 *s = (const void *)sa;

		memcpy(ep->addr, &s->sin6_addr, 16);
		ep->port = ntohs(s->sin6_port);
		ep->family = WGT_AF_INET6;
	}
}

static int turn_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct daemon *d = ctx;

	return send(d->ctl_fd, buf, len, MSG_DONTWAIT) < 0 ? -1 : 0;
}

/* A channel is bound: WireGuard's packets to ep go through it now. */
static void on_chan(void *ctx, const struct turn_peer *p, bool up)
{
	struct daemon *d = ctx;
	struct wgt_path path = { .via = d->turn.server, .channel = p->channel,
				 .kind = WGT_PATH_RELAY };
	char a[EP_STRLEN];

	if (!up)
		return; /* keep the mapping until it is bound again */
	if (peer_set(&d->maps, &p->ep, &path))
		pr_warn("cannot map %s to channel 0x%04x",
		     ep_str(&p->ep, a, sizeof(a)), p->channel);
	else
		pr_info("%s via relay channel 0x%04x", ep_str(&p->ep, a, sizeof(a)),
		     p->channel);
}

static void on_state(void *ctx, struct turn_client *c)
{
	struct daemon *d = ctx;
	char a[EP_STRLEN], b[EP_STRLEN];

	state_write(d->conf->wgif, c, now_ms());
	if (c->state == TURN_ALLOCATED)
		pr_info("relayed address %s on %s",
		     ep_str(&c->relayed, a, sizeof(a)),
		     ep_str(&c->server, b, sizeof(b)));
	else if (c->state == TURN_FAILED && d->running)
		pr_warn("relay: %s", c->error); /* retried: still worth a look */
}

/* WireGuard's peers changed: every endpoint of the relay's family goes
 * through a channel (the policy is "always relay" for now). */
static void on_peer(void *ctx, uint32_t what, const struct wg_peer *old,
		    const struct wg_peer *cur)
{
	struct daemon *d = ctx;
	uint64_t now = now_ms();
	char a[EP_STRLEN];

	if (old && old->endpoint.family &&
	    (what & (WG_CH_REMOVED | WG_CH_ENDPOINT))) {
		turn_peer_drop(&d->turn, &old->endpoint);
		if (peer_exists(&d->maps, &old->endpoint) &&
		    !peer_del(&d->maps, &old->endpoint))
			pr_info("%s no longer a peer endpoint",
			     ep_str(&old->endpoint, a, sizeof(a)));
	}
	if (cur && cur->endpoint.family == d->turn.server.family &&
	    (what & (WG_CH_ADDED | WG_CH_ENDPOINT)) &&
	    !turn_peer_want(&d->turn, &cur->endpoint, 0, now))
		pr_warn("no channel left for %s",
		     ep_str(&cur->endpoint, a, sizeof(a)));
}

static int poll_wg(struct daemon *d)
{
	struct wg_snapshot *old = &d->snap[d->cur], *cur = &d->snap[!d->cur];
	char why[WG_ERRLEN];

	if (wg_snapshot(&d->wg, cur, why, sizeof(why))) {
		pr_warn("%s", why);
		return -1;
	}
	wg_diff(old, cur, WG_CH_ADDED | WG_CH_REMOVED | WG_CH_ENDPOINT,
		on_peer, d);
	d->cur = !d->cur;
	return 0;
}

static void ctl_input(struct daemon *d)
{
	uint8_t buf[2048];
	ssize_t n;

	while ((n = recv(d->ctl_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if (stun_classify(buf, n) == STUN_KIND_STUN)
			turn_input(&d->turn, buf, n, now_ms());
}

/* One round of the loop: wait for the socket, a signal or a timer. */
static void step(struct daemon *d)
{
	struct pollfd pfd[2] = { { .fd = d->ctl_fd, .events = POLLIN },
				 { .fd = d->sig_fd, .events = POLLIN } };
	uint64_t now = now_ms();
	int wait = turn_next_ms(&d->turn, now);

	if (d->next_poll_ms > now && (int)(d->next_poll_ms - now) < wait)
		wait = d->next_poll_ms - now;
	if (d->next_poll_ms <= now)
		wait = 0;
	if (poll(pfd, 2, wait) > 0) {
		if (pfd[0].revents & POLLIN)
			ctl_input(d);
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(d->sig_fd, &si, sizeof(si)) > 0)
				d->stop = true;
		}
	}
	now = now_ms();
	turn_tick(&d->turn, now);
	if (now >= d->next_poll_ms) {
		d->next_poll_ms = now + WG_POLL_MS;
		poll_wg(d);
		state_write(d->conf->wgif, &d->turn, now);
	}
}

static int resolve(struct daemon *d, char *why, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	char port[8];
	int r;

	snprintf(port, sizeof(port), "%u", d->relay->port);
	r = getaddrinfo(d->relay->host, port, &hints, &ai);
	if (r) {
		snprintf(why, len, "cannot resolve relay %s: %s",
			 d->relay->host, gai_strerror(r));
		return -1;
	}
	memcpy(&d->server, ai->ai_addr, ai->ai_addrlen);
	d->server_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* The control socket: bound on the uplink's address, connected to the
 * relay; its port becomes the datapath's control port. */
static int ctl_open(struct daemon *d, const struct sockaddr_storage *local,
		    __u16 *port)
{
	struct sockaddr_storage sa = *local;
	socklen_t len = sizeof(sa);
	struct wgt_ep ep;

	d->ctl_fd = socket(local->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->ctl_fd < 0 ||
	    bind(d->ctl_fd, (void *)&sa, local->ss_family == AF_INET ?
			sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) ||
	    connect(d->ctl_fd, (void *)&d->server, d->server_len) ||
	    getsockname(d->ctl_fd, (void *)&sa, &len))
		return -1;
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

/* Everything up to a working allocation; prints the one error line. */
static int setup(struct daemon *d, const char *opt_bpffs)
{
	const struct up_conf *c = d->conf;
	struct attach_opts ao = { .xdp = XDP_REQ_AUTO };
	struct sockaddr_storage local;
	char why[512], routed_if[IF_NAMESIZE];
	struct wgt_config cfg;
	struct wgt_ep server;
	json_object *st;
	uint64_t deadline;
	__u16 ctl_port;
	int pid;

	d->relay = &c->relays[0];
	if ((pid = pidfile_check(c->wgif))) {
		pr_err("%s is already up (wgturn daemon pid %d)", c->wgif, pid);
		return -1;
	}
	d->claimed = true;
	if (password_read(d->relay->password_file, d->password,
			  sizeof(d->password), why, sizeof(why))) {
		pr_err("%s", why);
		return -1;
	}
	if (wg_open(&d->wg, c->wgif, why, sizeof(why)) ||
	    wg_snapshot(&d->wg, &d->snap[0], why, sizeof(why))) {
		pr_err("%s", why);
		return -1;
	}
	if (!d->snap[0].listen_port) {
		pr_err("%s has no listen port: set one (wg set %s listen-port PORT)",
		    c->wgif, c->wgif);
		return -1;
	}
	ao.port = d->snap[0].listen_port;
	wg_snapshot_reset(&d->snap[0]); /* the first poll sees every peer */
	if (resolve(d, why, sizeof(why))) {
		pr_err("%s", why);
		return -1;
	}
	ao.n_uplinks = c->n_uplinks;
	memcpy(ao.uplinks, c->uplinks, sizeof(ao.uplinks));
	/* Default uplink: the one the route to the relay leaves by. */
	if (route_to((void *)&d->server, d->server_len, &local, routed_if)) {
		pr_err("no route to relay %s: %s", d->relay->host, strerror(errno));
		return -1;
	}
	if (!ao.n_uplinks) {
		ao.n_uplinks = 1;
		memcpy(ao.uplinks[0], routed_if, IF_NAMESIZE);
	}

	if (pins_resolve(opt_bpffs, c->wgif, &d->pins))
		return -1;
	d->attached_fresh = !pins_exist(&d->pins);
	if (wgt_attach(&d->pins, &ao) || maps_open(&d->pins, &d->maps))
		return -1;
	if (ctl_open(d, &local, &ctl_port) || config_read(&d->maps, &cfg)) {
		pr_err("cannot open the control socket: %s", strerror(errno));
		return -1;
	}
	cfg.ctl_port = ctl_port;
	if (config_write(&d->maps, &cfg)) {
		pr_err("cannot set the control port: %s", strerror(errno));
		return -1;
	}
	if (signals_open(d)) {
		pr_err("cannot set up signals: %s", strerror(errno));
		return -1;
	}

	ep_from_sa(&server, (void *)&d->server);
	turn_init(&d->turn, &server, d->relay->username, d->password,
		  turn_send, d);
	d->turn.on_chan = on_chan;
	d->turn.on_state = on_state;
	d->turn.keepalive_ms = RELAY_KEEPALIVE_MS;
	/* A predecessor's allocation on this 5-tuple: adopt it. */
	st = state_read(c->wgif);
	if (st) {
		state_adopt(st, &d->turn, now_ms());
		json_object_put(st);
	}
	turn_start(&d->turn, now_ms());
	/* A 437 (an older allocation of this 5-tuple) is released and
	 * allocated anew by the client: wait for that, not for the rest. */
	deadline = now_ms() + UP_TIMEOUT_MS;
	while (!d->stop && now_ms() < deadline &&
	       (d->turn.state == TURN_ALLOCATING ||
		(d->turn.state == TURN_FAILED &&
		 d->turn.error_code == STUN_EC_ALLOCATION_MISMATCH)))
		step(d);
	if (d->turn.state != TURN_ALLOCATED) {
		pr_err("%s", d->stop ? "interrupted" : d->turn.error);
		return -1;
	}
	state_write(c->wgif, &d->turn, now_ms());
	return 0;
}

static void teardown(struct daemon *d, bool deallocate)
{
	char path[256];

	if (deallocate && d->turn.state == TURN_ALLOCATED) {
		uint64_t until = now_ms() + 2000;

		turn_shutdown(&d->turn, now_ms());
		while (d->turn.state == TURN_ALLOCATED && now_ms() < until) {
			d->stop = false;
			step(d);
		}
	}
	maps_close(&d->maps);
	if (!d->claimed)
		return;
	/* A failed `up` over a running datapath (kill -9 before) leaves it
	 * and the state a later `up` adopts. */
	if (deallocate || d->attached_fresh) {
		/* Nothing to detach when the attach itself failed. */
		if (pins_exist(&d->pins))
			wgt_detach(&d->pins);
		state_path(d->conf->wgif, "state", path, sizeof(path));
		unlink(path);
	}
	state_path(d->conf->wgif, "pid", path, sizeof(path));
	unlink(path);
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

int daemon_up(const struct up_conf *c, const char *opt_bpffs)
{
	static struct daemon d;

	d.conf = c;
	d.ctl_fd = d.sig_fd = -1;
	for (size_t i = 0; i < sizeof(struct wgt_maps) / sizeof(int); i++)
		((int *)&d.maps)[i] = -1;
	if (setup(&d, opt_bpffs)) {
		teardown(&d, false);
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
		pr_info("running in the background: relayed address %s on %s",
			ep_str(&d.turn.relayed, a, sizeof(a)),
			ep_str(&d.turn.server, b, sizeof(b)));
	}
	pidfile_write(c->wgif);
	d.running = true;
	while (!d.stop)
		step(&d);
	pr_info("shutting down");
	teardown(&d, true);
	return 0;
}

int daemon_down(const char *wgif, const char *opt_bpffs)
{
	struct wgt_pins pins;
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
	if (pins_resolve(opt_bpffs, wgif, &pins))
		return 1;
	if (!pins_exist(&pins)) {
		pr_err("%s is not up", wgif);
		return 1;
	}
	return wgt_detach(&pins) ? 1 : 0;
}
