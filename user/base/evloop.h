/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's one poll(2) loop. Subsystems register sources in the
 * sans-I/O shape of user/turn.h: an optional descriptor whose input they
 * read, next_ms(now) bounding how long the loop may sleep before their
 * timers need it, and tick(now), called every round, doing what is due.
 * Adding a subsystem (paths, rendezvous, PMTU, metrics) is one ev_add().
 */
#ifndef WGT_EVLOOP_H
#define WGT_EVLOOP_H

#include <stdint.h>

#define EV_MAX_SOURCES 16

struct ev_source {
	const char *name;
	int fd;					/* -1: timers only */
	void *ctx;
	void (*input)(void *ctx, uint64_t now_ms);	/* fd readable */
	int (*next_ms)(void *ctx, uint64_t now_ms);	/* NULL or <0: no timer */
	void (*tick)(void *ctx, uint64_t now_ms);	/* NULL: none */
};

struct evloop {
	struct ev_source src[EV_MAX_SOURCES];
	int n;
};

/* Milliseconds on the monotonic clock: every timer's time base. */
uint64_t ev_now_ms(void);
/* Register a copy of s; -ENOSPC when full. */
int ev_add(struct evloop *l, const struct ev_source *s);
/* Sources with this ctx now watch fd (a socket was replaced). */
void ev_set_fd(struct evloop *l, const void *ctx, int fd);
/* One round: sleep until a descriptor is readable or the earliest timer
 * (never longer than max_ms), hand over input, then tick every source.
 * Returns poll's error as -errno (EINTR counts as a round), else 0. */
int ev_step(struct evloop *l, int max_ms);

#endif
