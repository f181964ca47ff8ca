// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include "cleanup.h"

#define T_MAX 16

static struct {
	void *p;
	void (*release)(void *p);
} tracked[T_MAX];
static int n_tracked;

void t_track(void *p, void (*release)(void *p))
{
	if (n_tracked == T_MAX)
		abort(); /* a test tracking this much is a bug in the test */
	tracked[n_tracked].p = p;
	tracked[n_tracked++].release = release;
}

int t_cleanup(void **state)
{
	while (n_tracked > 0) {
		n_tracked--;
		tracked[n_tracked].release(tracked[n_tracked].p);
	}
	return 0;
}
