// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE	/* getaddrinfo_a */
#include <netdb.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/addr.h"
#include "base/log.h"
#include "names.h"

#define POLL_MS 50	/* while a lookup runs */

struct names_req {
	struct gaicb req, *list[1];
	struct addrinfo hints;
	char host[WGQ_HOST_MAX];	/* the resolver thread's own copy */
	char port[8];
};

int names_open(struct names *s, const char *path, int family, char *why,
	       size_t len)
{
	memset(s, 0, sizeof(*s));
	s->busy = -1;
	s->family = family;
	if (wgquick_named_peers(path, &s->peers, &s->n, why, len))
		return -1;
	s->next_ms = calloc(s->n ? s->n : 1, sizeof(*s->next_ms));
	s->err = calloc(s->n ? s->n : 1, sizeof(*s->err));
	s->rq = calloc(1, sizeof(*s->rq));
	if (!s->next_ms || !s->err || !s->rq) {
		snprintf(why, len, "out of memory");
		names_close(s);
		return -1;
	}
	return 0;
}

void names_close(struct names *s)
{
	if (s->busy >= 0) {
		const struct gaicb *l[1] = { &s->rq->req };
		struct timespec t = { .tv_sec = 1 };

		/* the resolver thread writes into req: let it finish */
		if (gai_cancel(&s->rq->req) == EAI_NOTCANCELED)
			gai_suspend(l, 1, &t);
		if (gai_error(&s->rq->req) == EAI_INPROGRESS)
			s->rq = NULL;	/* still theirs: leak it, not corrupt */
		else if (s->rq->req.ar_result)
			freeaddrinfo(s->rq->req.ar_result);
	}
	free(s->rq);
	free(s->peers);
	free(s->next_ms);
	free(s->err);
	memset(s, 0, sizeof(*s));
	s->busy = -1;
}

static void start(struct names *s, int i)
{
	struct names_req *r = s->rq;

	memset(r, 0, sizeof(*r));
	r->hints.ai_family = s->family;
	r->hints.ai_socktype = SOCK_DGRAM;
	snprintf(r->port, sizeof(r->port), "%u", s->peers[i].port);
	snprintf(r->host, sizeof(r->host), "%s", s->peers[i].host);
	r->req.ar_name = r->host;
	r->req.ar_service = r->port;
	r->req.ar_request = &r->hints;
	r->list[0] = &r->req;
	if (getaddrinfo_a(GAI_NOWAIT, r->list, 1, NULL)) {
		s->next_ms[i] += NAMES_PERIOD_MS;
		return;
	}
	s->busy = i;
}

static void finish(struct names *s, int rc)
{
	struct named_peer *p = &s->peers[s->busy];
	struct addrinfo *ai = s->rq->req.ar_result;
	struct wgt_ep ep = {};

	if (rc) {
		if (s->err[s->busy] != rc)
			pr_warn("cannot resolve %s: %s", p->host,
				gai_strerror(rc));
	} else if (ai) {
		if (ai->ai_family == AF_INET) {
			memcpy(ep.addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
			ep.family = WGT_AF_INET;
		} else {
			memcpy(ep.addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
			ep.family = WGT_AF_INET6;
		}
		ep.port = p->port;
		if (s->on_resolved)
			s->on_resolved(s->ctx, p, &ep);
	}
	s->err[s->busy] = rc;
	if (ai)
		freeaddrinfo(ai);
	s->busy = -1;
}

void names_start(struct names *s)
{
	s->started = true;
}

static void names_tick(void *ctx, uint64_t now)
{
	struct names *s = ctx;

	if (!s->started)
		return;
	if (s->busy >= 0) {
		int rc = gai_error(&s->rq->req);

		if (rc == EAI_INPROGRESS)
			return;
		finish(s, rc);
	}
	for (int i = 0; i < s->n && s->busy < 0; i++)
		if (now >= s->next_ms[i]) {
			s->next_ms[i] = now + NAMES_PERIOD_MS;
			start(s, i);
		}
}

static int names_next(void *ctx, uint64_t now)
{
	struct names *s = ctx;
	uint64_t next = now + 1000;

	if (!s->started)
		return -1;
	if (s->busy >= 0)
		return POLL_MS;
	for (int i = 0; i < s->n; i++)
		if (s->next_ms[i] < next)
			next = s->next_ms[i];
	return next > now ? (int)(next - now) : 0;
}

void names_source(struct names *s, struct ev_source *src)
{
	*src = (struct ev_source){ .name = "names", .fd = -1, .ctx = s,
				   .next_ms = names_next, .tick = names_tick };
}

void names_suspect(struct names *s, const uint8_t key[WG_KEY_LEN],
		   uint64_t now)
{
	for (int i = 0; i < s->n; i++) {
		uint64_t soon = now + NAMES_SUSPECT_MS;

		if (memcmp(s->peers[i].key, key, WG_KEY_LEN))
			continue;
		/* the next lookup was due a period after the last one */
		if (s->next_ms[i] > soon &&
		    s->next_ms[i] - NAMES_PERIOD_MS + NAMES_SUSPECT_MS <= now)
			s->next_ms[i] = now;
	}
}
