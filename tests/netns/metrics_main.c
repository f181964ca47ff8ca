// SPDX-License-Identifier: GPL-2.0
/*
 * metrics: drives user/daemon/metrics*.c from tests/netns/metrics.sh.
 * The bpffs is $WGTURN_BPFFS (else /sys/fs/bpf).
 *
 *   metrics render NAME                  the exposition on stdout
 *   metrics serve NAME ADDR:PORT SECONDS  listen, print "listening", serve
 *                                        for SECONDS, stop
 *   metrics file NAME PATH               write the textfile atomically
 *
 * Exit 0, or 1 with the module's message on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "daemon/metrics.h"
#include "daemon/metrics_file.h"
#include "daemon/metrics_http.h"
#include "dp/pins.h"

static int fail(const char *why)
{
	fprintf(stderr, "metrics: %s\n", why);
	return 1;
}

int main(int argc, char **argv)
{
	struct metrics_http *h;
	struct wgt_err e = {};
	struct wgt_pins p;
	char why[512];

	if (argc < 3) {
		fprintf(stderr, "usage: metrics render NAME | serve NAME ADDR:PORT SECONDS | file NAME PATH\n");
		return 2;
	}
	if (pins_resolve(NULL, argv[2], &p, &e))
		return fail(e.msg);
	metrics_set_version("test");
	if (!strcmp(argv[1], "render") && argc == 3)
		return metrics_render(stdout, &p, why, sizeof(why)) ?
			fail(why) : 0;
	if (!strcmp(argv[1], "file") && argc == 4)
		return metrics_file_write(argv[3], &p, why, sizeof(why)) ?
			fail(why) : 0;
	if (!strcmp(argv[1], "serve") && argc == 5) {
		if (metrics_http_start(&h, argv[3], &p, why, sizeof(why)))
			return fail(why);
		printf("listening\n");
		fflush(stdout);
		sleep(atoi(argv[4]));
		metrics_http_stop(h);
		return 0;
	}
	fprintf(stderr, "metrics: unknown command\n");
	return 2;
}
