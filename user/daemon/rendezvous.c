// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ldns/ldns.h>
#include "base/addr.h"
#include "base/log.h"
#include "rendezvous.h"

#define LOOKUP_AGAIN_MS 5000	/* after a failed lookup */
#define TTL_MIN_S 2		/* re-read a record at least this late */
#define TTL_MAX_S 300		/* and at least this often */

static void key_str(const uint8_t key[WGSD_KEY_LEN], char out[48])
{
	struct wgsd_record t = {};
	char s[3][64];

	memcpy(t.pubkey, key, WGSD_KEY_LEN);
	wgsd_txt_strings(&t, s, 3);
	snprintf(out, 48, "%.44s", s[1] + 4);	/* "pub=" */
}

int rdv_open(struct rendezvous *r, const struct rdv_conf *conf,
	     const uint8_t self[WGSD_KEY_LEN], char *why, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	char port[8];
	int rc;

	r->conf = conf;
	r->fd = -1;
	memcpy(r->self, self, WGSD_KEY_LEN);
	if (conf->publish && tsig_read(conf->tsig_file, &r->key, why, len))
		return -1;
	snprintf(port, sizeof(port), "%u", conf->port);
	rc = getaddrinfo(conf->server, port, &hints, &ai);
	if (rc) {
		snprintf(why, len, "cannot resolve DNS server %s: %s",
			 conf->server, gai_strerror(rc));
		return -1;
	}
	memcpy(&r->server, ai->ai_addr, ai->ai_addrlen);
	r->server_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (rdv_reopen(r)) {
		snprintf(why, len, "cannot open a socket to DNS server %s: %s",
			 conf->server, strerror(errno));
		return -1;
	}
	return 0;
}

int rdv_reopen(struct rendezvous *r)
{
	int fd = socket(r->server.ss_family,
			SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0 || connect(fd, (void *)&r->server, r->server_len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (r->fd >= 0)
		close(r->fd);
	r->fd = fd;
	return 0;
}

static void lookup_end(struct rdv_lookup *l)
{
	dns_req_free(&l->req);
	l->sends = 0;
}

void rdv_close(struct rendezvous *r)
{
	lookup_end(&r->upd);
	for (int i = 0; i < r->n_peers; i++)
		lookup_end(&r->peers[i].q);
	free(r->peers);
	r->peers = NULL;
	r->n_peers = r->cap = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	explicit_bzero(&r->key, sizeof(r->key));
}

static void lookup_send(struct rendezvous *r, struct rdv_lookup *l,
			uint64_t now)
{
	/* A send error is a lost datagram: the retransmission covers it. */
	(void)!send(r->fd, l->req.wire, l->req.len, MSG_DONTWAIT);
	l->next_ms = now + ((uint64_t)RDV_RTO_MS << l->sends);
	l->sends++;
}

/* ---- publishing ---- */

static struct rdv_peer *peer_add(struct rendezvous *r,
				 const uint8_t key[WGSD_KEY_LEN], uint64_t now);

static struct rdv_peer *peer_find_self(const struct rendezvous *r)
{
	for (int i = 0; i < r->n_peers; i++)
		if (r->peers[i].self)
			return &r->peers[i];
	return NULL;
}

/* Read our record back after a TTL: the zone may lose it. */
static void self_add(struct rendezvous *r, uint64_t now)
{
	struct rdv_peer *p = peer_add(r, r->self, now);

	if (p) {
		p->self = true;
		p->next_ms = now + RDV_TTL_S * 1000ull;
	}
}

/* What our own lookup found: anything but what we published (the zone
 * lost it, or an old one is back) publishes again. */
static void self_check(struct rendezvous *r, const struct rdv_peer *p,
		       bool found, uint64_t now)
{
	if (!r->published || r->upd.req.wire)
		return;
	if (found && !memcmp(&p->rec.endpoint, &r->want.endpoint,
			     sizeof(r->want.endpoint)))
		return;
	pr_warn("rendezvous: our record in %s is %s; publishing it again",
		r->conf->zone, found ? "stale" : "missing");
	r->published = false;
	r->upd_retry_ms = now;
}

static void update_start(struct rendezvous *r, uint64_t now)
{
	struct wgt_err e = {};

	if (dns_update_new(&r->upd.req, r->conf->zone, &r->want, RDV_TTL_S,
			   &r->key, &e)) {
		pr_err("rendezvous: %s", e.msg);
		r->upd_retry_ms = now + RDV_RETRY_MAX_MS;
		return;
	}
	r->upd_sent = r->want;
	lookup_send(r, &r->upd, now);
}

static void update_failed(struct rendezvous *r, int err, const char *msg,
			  uint64_t now)
{
	int prev = r->upd_err;

	r->upd_err = err;
	snprintf(r->upd_e.msg, sizeof(r->upd_e.msg), "%s", msg);
	if (r->strict && (err == -EACCES || err == -EBADMSG))
		return;
	/* One line per kind of failure, not one per retry. */
	if (!r->err_logged || prev != err)
		pr_err("rendezvous: %s; retrying", msg);
	r->err_logged = true;
	r->upd_backoff_ms = r->upd_backoff_ms ?
		(r->upd_backoff_ms * 2 > RDV_RETRY_MAX_MS ? RDV_RETRY_MAX_MS :
		 r->upd_backoff_ms * 2) : RDV_RTO_MS;
	r->upd_retry_ms = now + r->upd_backoff_ms;
}

static void update_done(struct rendezvous *r, const struct wgsd_record *sent,
			uint64_t now)
{
	char a[EP_STRLEN];

	if (r->upd_err || !r->last_publish_ms || !r->published)
		pr_info("rendezvous: %s %s in %s", sent->endpoint.family ?
			"published" : "removed",
			ep_str(&sent->endpoint, a, sizeof(a)), r->conf->zone);
	if (sent->endpoint.family && !peer_find_self(r))
		self_add(r, now);
	r->upd_err = 0;
	r->upd_e.msg[0] = 0;
	r->err_logged = false;
	r->upd_backoff_ms = 0;
	r->last_publish_ms = now;
	r->published = !memcmp(sent, &r->want, sizeof(*sent));
	if (!r->published)
		r->upd_retry_ms = now;	/* changed while in flight */
}

static void update_input(struct rendezvous *r, const uint8_t *buf,
			 size_t len, uint64_t now)
{
	struct wgsd_record sent;
	struct wgt_err e = {};
	int rc = dns_update_result(&r->upd.req, buf, len, &r->key, &e);

	if (rc == -ESRCH)
		return;
	/* what went out is what the request encoded; want may be newer */
	sent = r->upd_sent;
	lookup_end(&r->upd);
	if (rc)
		update_failed(r, rc, e.msg, now);
	else
		update_done(r, &sent, now);
}

void rdv_publish(struct rendezvous *r, const struct wgsd_record *rec,
		 uint64_t now)
{
	struct wgsd_record w = *rec;

	if (!r->conf->publish)
		return;
	memcpy(w.pubkey, r->self, WGSD_KEY_LEN);
	if (!memcmp(&w, &r->want, sizeof(w)) && (r->published || r->upd.req.wire))
		return;
	r->want = w;
	r->published = false;
	r->upd_backoff_ms = 0;
	if (!r->upd.req.wire)
		r->upd_retry_ms = now;
}

void rdv_unpublish(struct rendezvous *r, uint64_t now)
{
	if (!r->conf->publish || !r->last_publish_ms)
		return;
	lookup_end(&r->upd);
	memset(&r->want.endpoint, 0, sizeof(r->want.endpoint));
	r->published = false;
	update_start(r, now);
}

bool rdv_busy(const struct rendezvous *r)
{
	return r->upd.req.wire != NULL;
}

/* ---- resolving ---- */

static struct rdv_peer *peer_find(const struct rendezvous *r,
				  const uint8_t key[WGSD_KEY_LEN])
{
	for (int i = 0; i < r->n_peers; i++)
		if (!memcmp(r->peers[i].key, key, WGSD_KEY_LEN))
			return &r->peers[i];
	return NULL;
}

const struct rdv_peer *rdv_peer_find(const struct rendezvous *r,
				     const uint8_t key[WGSD_KEY_LEN])
{
	return peer_find(r, key);
}

void rdv_peer_add(struct rendezvous *r, const uint8_t key[WGSD_KEY_LEN],
		  uint64_t now)
{
	if (!peer_find(r, key))
		peer_add(r, key, now);
}

static struct rdv_peer *peer_add(struct rendezvous *r,
				 const uint8_t key[WGSD_KEY_LEN], uint64_t now)
{
	struct rdv_peer *p;

	if (r->n_peers == r->cap) {
		int cap = r->cap ? 2 * r->cap : 8;
		struct rdv_peer *n = realloc(r->peers, cap * sizeof(*n));

		if (!n) {
			pr_warn("rendezvous: out of memory for a peer");
			return NULL;
		}
		r->peers = n;
		r->cap = cap;
	}
	p = &r->peers[r->n_peers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->key, key, WGSD_KEY_LEN);
	p->next_ms = now;
	return p;
}

void rdv_peer_del(struct rendezvous *r, const uint8_t key[WGSD_KEY_LEN])
{
	struct rdv_peer *p = peer_find(r, key);

	if (!p || p->self)
		return;
	lookup_end(&p->q);
	*p = r->peers[--r->n_peers];
}

void rdv_suspect(struct rendezvous *r, const uint8_t key[WGSD_KEY_LEN],
		 uint64_t now)
{
	struct rdv_peer *p = peer_find(r, key);

	if (!p || p->q.req.wire)
		return;
	/* Not more often than RDV_SUSPECT_MS: a dead path stays dead a while. */
	if (p->next_ms > now + RDV_SUSPECT_MS)
		p->next_ms = p->read_ms + RDV_SUSPECT_MS > now ?
			p->read_ms + RDV_SUSPECT_MS : now;
}

static void query_start(struct rendezvous *r, struct rdv_peer *p,
			const char *name, uint16_t type, uint64_t now)
{
	struct wgt_err e = {};

	if (dns_query_new(&p->q.req, name, type, &e)) {
		pr_warn("rendezvous: %s", e.msg);
		p->next_ms = now + LOOKUP_AGAIN_MS;
		return;
	}
	lookup_send(r, &p->q, now);
}

static void lookup_start(struct rendezvous *r, struct rdv_peer *p,
			 uint64_t now)
{
	char name[WGSD_NAME_MAX];

	memset(&p->part, 0, sizeof(p->part));
	p->target[0] = 0;
	p->read_ms = now;
	p->next_ms = UINT64_MAX;	/* set when this lookup ends */
	if (wgsd_instance(p->key, r->conf->zone, name, sizeof(name))) {
		p->next_ms = now + RDV_RETRY_MAX_MS;
		return;
	}
	query_start(r, p, name, LDNS_RR_TYPE_SRV, now);
}

static void lookup_failed(struct rendezvous *r, struct rdv_peer *p, int err,
			  const char *msg, uint64_t now)
{
	char k[48];

	if (p->self) {
		if (err == -ENOENT)
			self_check(r, p, false, now);
		p->err = err;
		p->next_ms = now + RDV_TTL_S * 1000ull;
		return;
	}
	if (p->err != err) {
		key_str(p->key, k);
		pr_info("rendezvous: peer %s: %s", k, msg);
	}
	/* No record (a peer without wgturn, or not up yet): back off to a
	 * TTL; a silent path still asks at once (rdv_suspect). */
	p->next_ms = now + (err == -ENOENT && p->err == -ENOENT ?
			    RDV_TTL_S * 1000ull : LOOKUP_AGAIN_MS);
	p->err = err;
}

static void lookup_done(struct rendezvous *r, struct rdv_peer *p,
			uint64_t now)
{
	uint32_t ttl = p->part.ttl;

	memcpy(p->part.pubkey, p->key, WGSD_KEY_LEN);
	p->rec = p->part;
	p->have_rec = true;
	p->err = 0;
	if (ttl < TTL_MIN_S)
		ttl = TTL_MIN_S;
	if (ttl > TTL_MAX_S)
		ttl = TTL_MAX_S;
	p->next_ms = now + ttl * 1000ull;
	/* Every read, not only a changed one: WireGuard may have been
	 * pointed elsewhere meanwhile (or a set failed); on_found does
	 * nothing when it already agrees. */
	if (p->self)
		self_check(r, p, true, now);
	else if (r->on_found)
		r->on_found(r->ctx, p);
}

static void answer_input(struct rendezvous *r, struct rdv_peer *p,
			 const uint8_t *buf, size_t len, uint64_t now)
{
	uint16_t qtype = p->q.req.qtype;
	struct wgt_err e = {};
	int rc = dns_answer_take(&p->q.req, buf, len, &p->part, p->target,
				 sizeof(p->target), &e);

	if (rc == -ESRCH)
		return;
	lookup_end(&p->q);
	if (rc == -ENOENT && qtype == LDNS_RR_TYPE_A && p->part.endpoint.port) {
		query_start(r, p, p->target, LDNS_RR_TYPE_AAAA, now);
		return;
	}
	/* The candidates are extra: a record without them still counts. */
	if (qtype == LDNS_RR_TYPE_TXT) {
		lookup_done(r, p, now);
		return;
	}
	if (rc) {
		lookup_failed(r, p, rc, e.msg, now);
		return;
	}
	if (!p->part.endpoint.port) {
		lookup_failed(r, p, -ENOENT, "no SRV record", now);
		return;
	}
	/* The SRV without its address in the additional section: ask. */
	if (!p->part.endpoint.family && qtype == LDNS_RR_TYPE_SRV &&
	    p->target[0]) {
		query_start(r, p, p->target, LDNS_RR_TYPE_A, now);
		return;
	}
	if (!p->part.endpoint.family) {
		lookup_failed(r, p, -ENOENT, "no address for the SRV target",
			      now);
		return;
	}
	/* The TXT with the candidates, unless the answers carried it (or
	 * nothing checks candidates). */
	if (!p->part.has_txt && r->conf->direct) {
		char name[WGSD_NAME_MAX];

		if (!wgsd_instance(p->key, r->conf->zone, name, sizeof(name))) {
			query_start(r, p, name, LDNS_RR_TYPE_TXT, now);
			return;
		}
	}
	lookup_done(r, p, now);
}

/* ---- the event-loop source ---- */

static void rdv_input(void *ctx, uint64_t now)
{
	struct rendezvous *r = ctx;
	uint8_t buf[4096];
	ssize_t n;

	while ((n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		if (r->upd.req.wire)
			update_input(r, buf, n, now);
		for (int i = 0; i < r->n_peers; i++)
			if (r->peers[i].q.req.wire)
				answer_input(r, &r->peers[i], buf, n, now);
	}
}

/* Retransmit l when due; true when it has run out of sends. */
static bool lookup_expired(struct rendezvous *r, struct rdv_lookup *l,
			   uint64_t now)
{
	if (!l->req.wire || now < l->next_ms)
		return false;
	if (l->sends < RDV_SENDS) {
		lookup_send(r, l, now);
		return false;
	}
	lookup_end(l);
	return true;
}

static void rdv_tick(void *ctx, uint64_t now)
{
	struct rendezvous *r = ctx;
	char msg[700];

	if (lookup_expired(r, &r->upd, now)) {
		snprintf(msg, sizeof(msg),
			 "DNS server %s does not answer updates for %s",
			 r->conf->server, r->conf->zone);
		update_failed(r, -ETIMEDOUT, msg, now);
	}
	if (!r->upd.req.wire && !r->published && r->want.endpoint.family &&
	    r->upd_retry_ms && now >= r->upd_retry_ms) {
		r->upd_retry_ms = 0;
		update_start(r, now);
	}
	for (int i = 0; i < r->n_peers; i++) {
		struct rdv_peer *p = &r->peers[i];

		if (lookup_expired(r, &p->q, now)) {
			snprintf(msg, sizeof(msg), "DNS server %s does not answer",
				 r->conf->server);
			/* what the SRV and address said still holds */
			if (p->q.req.qtype == LDNS_RR_TYPE_TXT)
				lookup_done(r, p, now);
			else
				lookup_failed(r, p, -ETIMEDOUT, msg, now);
		}
		if (!p->q.req.wire && now >= p->next_ms)
			lookup_start(r, p, now);
	}
}

static int rdv_next(void *ctx, uint64_t now)
{
	struct rendezvous *r = ctx;
	uint64_t next = now + 1000;

	if (r->upd.req.wire && r->upd.next_ms < next)
		next = r->upd.next_ms;
	if (!r->upd.req.wire && !r->published && r->want.endpoint.family &&
	    r->upd_retry_ms && r->upd_retry_ms < next)
		next = r->upd_retry_ms;
	for (int i = 0; i < r->n_peers; i++) {
		const struct rdv_peer *p = &r->peers[i];
		uint64_t t = p->q.req.wire ? p->q.next_ms : p->next_ms;

		if (t < next)
			next = t;
	}
	return next > now ? (int)(next - now) : 0;
}

void rdv_source(struct rendezvous *r, struct ev_source *s)
{
	*s = (struct ev_source){ .name = "rendezvous", .fd = r->fd, .ctx = r,
				 .input = rdv_input, .next_ms = rdv_next,
				 .tick = rdv_tick };
}
