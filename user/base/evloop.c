// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <time.h>
#include "evloop.h"

uint64_t ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ev_add(struct evloop *l, const struct ev_source *s)
{
	if (l->n == EV_MAX_SOURCES)
		return -ENOSPC;
	l->src[l->n++] = *s;
	return 0;
}

void ev_set_fd(struct evloop *l, const void *ctx, int fd)
{
	for (int i = 0; i < l->n; i++)
		if (l->src[i].ctx == ctx)
			l->src[i].fd = fd;
}

/* The shortest sleep any source allows, at most max_ms. */
static int wait_ms(struct evloop *l, int max_ms, uint64_t now)
{
	int wait = max_ms;

	for (int i = 0; i < l->n; i++) {
		struct ev_source *s = &l->src[i];
		int t = s->next_ms ? s->next_ms(s->ctx, now) : -1;

		if (t >= 0 && (wait < 0 || t < wait))
			wait = t;
	}
	return wait;
}

int ev_step(struct evloop *l, int max_ms)
{
	struct pollfd pfd[EV_MAX_SOURCES];
	uint64_t now = ev_now_ms();
	int rc;

	for (int i = 0; i < l->n; i++)
		pfd[i] = (struct pollfd){ .fd = l->src[i].fd, .events = POLLIN };
	/* poll ignores negative descriptors: timer-only sources keep a slot. */
	rc = poll(pfd, l->n, wait_ms(l, max_ms, now));
	if (rc < 0 && errno != EINTR)
		return -errno;
	now = ev_now_ms();
	for (int i = 0; i < l->n && rc > 0; i++)
		if ((pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) &&
		    l->src[i].input)
			l->src[i].input(l->src[i].ctx, now);
	for (int i = 0; i < l->n; i++)
		if (l->src[i].tick)
			l->src[i].tick(l->src[i].ctx, now);
	return 0;
}
