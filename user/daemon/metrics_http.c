// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "base/addr.h"
#include "metrics.h"
#include "metrics_http.h"

#define METRICS_CONN_LIMIT 16	/* scrapers are few */
#define METRICS_TIMEOUT_S 10	/* an idle connection is closed */
#define METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct MHD_Daemon *d;
	struct wgt_pins pins;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *text, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve(struct MHD_Connection *c,
			     const struct wgt_pins *p)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char why[512], msg[600];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "out of memory\n", NULL);
	err = metrics_render(f, p, why, sizeof(why));
	if (fclose(f) && !err) {
		err = -1;
		snprintf(why, sizeof(why), "%s", strerror(errno));
	}
	if (err) {
		free(buf);
		snprintf(msg, sizeof(msg), "%s\n", why);
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg, NULL);
	}
	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CTYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	const struct metrics_http *h = cls;
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
		   !strcmp(method, MHD_HTTP_METHOD_HEAD);

	/* First call: headers only. Answer on the second, a body (of a
	 * method refused anyway) is dropped unread. */
	if (!*con_cls) {
		*con_cls = (void *)1;
		return MHD_YES;
	}
	if (*upload_len) {
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND,
			     "not found: metrics are at /metrics\n", NULL);
	if (!get)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "method not allowed\n", "GET, HEAD");
	return serve(c, &h->pins);
}

int metrics_http_start(struct metrics_http **out, const char *listen,
		       const struct wgt_pins *p, char *why, size_t whylen)
{
	struct sockaddr_storage sa;
	struct metrics_http *h;
	struct wgt_ep ep;
	char e[256];
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;

	*out = NULL;
	if (ep_parse(listen, &ep, e, sizeof(e))) {
		snprintf(why, whylen, "metrics listener '%s': %s", listen, e);
		return -1;
	}
	if (!ep.port) {
		snprintf(why, whylen, "metrics listener '%s': port 0", listen);
		return -1;
	}
	ep_to_sa(&ep, &sa);
	if (ep.family == WGT_AF_INET6)
		flags |= MHD_USE_IPv6;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	h->pins = *p;
	errno = 0;
	h->d = MHD_start_daemon(flags, ep.port, NULL, NULL, handle, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)METRICS_CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)METRICS_TIMEOUT_S,
				MHD_OPTION_END);
	if (!h->d) {
		snprintf(why, whylen, "metrics listener on %s: %s", listen,
			 errno ? strerror(errno) : "cannot start");
		free(h);
		return -1;
	}
	*out = h;
	return 0;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
