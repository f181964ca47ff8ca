// SPDX-License-Identifier: GPL-2.0
/*
 * Per-packet cost of the datapath through BPF_PROG_TEST_RUN, next to an
 * empty program measured the same way in the same run.
 *
 * Each sample is one BPF_PROG_TEST_RUN call with repeat = 1 and its
 * in-kernel duration: the programs rewrite their input, so with
 * repeat > 1 every iteration after the first would see an already
 * encapsulated (or decapsulated) packet and measure the pass-through
 * path instead. The empty program pays the same per-call timer overhead,
 * which the ratio and the "net" column account for.
 *
 * Then the same at 1420 bytes with 1, 100 and 10,000 endpoints in the
 * maps (each with its path, channel and stats entries, on as many relays
 * as 4,096 channels each need): the lookups should not grow with them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>
#include "wgturn.skel.h"
#include "empty.skel.h"
#include "pkt.h"

static int calls = 20000;

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Median in-kernel ns of one run; -1 if the program did not do what the
 * row claims (verdict or output length), so no number is reported. */
static double measure(int prog_fd, const uint8_t *in, size_t len,
		      __u32 want_ret, long want_delta)
{
	static uint8_t out[PKT_MAX + 64];
	__u32 *d = calloc(calls, sizeof(*d));
	double med;

	for (int i = 0; i < calls; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
			    .data_size_in = len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(prog_fd, &o) ||
		    o.retval != want_ret ||
		    (long)o.data_size_out - (long)len != want_delta) {
			fprintf(stderr,
				"bench: run %d: ret %u size %u (want %u, %+ld)\n",
				i, o.retval, o.data_size_out, want_ret,
				want_delta);
			free(d);
			return -1;
		}
		d[i] = o.duration;
	}
	qsort(d, calls, sizeof(*d), cmp_u32);
	med = d[calls / 2];
	free(d);
	return med;
}

static void ep4(struct wgt_ep *ep, const char *a, __u16 port)
{
	memset(ep, 0, sizeof(*ep));
	inet_pton(AF_INET, a, ep->addr);
	ep->port = port;
	ep->family = WGT_AF_INET;
}

static int setup_maps(struct wgturn_bpf *s, struct wgt_ep *local,
		      struct wgt_ep *endpoint, struct wgt_ep *relay)
{
	struct wgt_config cfg = { .wg_port = 51820 };
	struct wgt_path path = { .kind = WGT_PATH_RELAY, .channel = 0x4001 };
	struct wgt_chan_key ck = { .channel = 0x4001 };
	struct wgt_relay r = { .endpoints = 1 };
	int ncpu = libbpf_num_possible_cpus();
	struct wgt_stats *zero = calloc(ncpu, sizeof(*zero));
	__u32 k0 = 0;
	int ret = 0;

	ep4(local, "192.0.2.10", 51820);
	ep4(endpoint, "198.51.100.7", 51820);
	ep4(relay, "203.0.113.1", 3478);
	path.via = *relay;
	ck.relay = *relay;
	ret |= bpf_map__update_elem(s->maps.config, &k0, 4, &cfg, sizeof(cfg), 0);
	ret |= bpf_map__update_elem(s->maps.endpoints, endpoint, sizeof(*endpoint),
				    &path, sizeof(path), 0);
	ret |= bpf_map__update_elem(s->maps.channels, &ck, sizeof(ck), endpoint,
				    sizeof(*endpoint), 0);
	ret |= bpf_map__update_elem(s->maps.relays, relay, sizeof(*relay), &r,
				    sizeof(r), 0);
	ret |= bpf_map__update_elem(s->maps.stats, endpoint, sizeof(*endpoint),
				    zero, sizeof(*zero) * ncpu, 0);
	free(zero);
	return ret;
}

/*
 * Endpoints 198.18.x.y:51820 (RFC 2544's benchmarking range) up to total
 * entries in endpoints, channels and stats besides the measured one; a
 * relay per 4,096 channels. 0 or -1.
 */
static int fill(struct wgturn_bpf *s, int from, int total)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	struct wgt_stats *zero = calloc(ncpu, sizeof(*zero));

	for (int i = from; i < total && !ret; i++) {
		struct wgt_path path = { .kind = WGT_PATH_RELAY };
		struct wgt_relay r = { .endpoints = 1 };
		struct wgt_chan_key ck = {};
		struct wgt_ep ep;
		char a[32];

		snprintf(a, sizeof(a), "198.18.%d.%d", i / 250, i % 250 + 1);
		ep4(&ep, a, 51820);
		snprintf(a, sizeof(a), "203.0.113.%d", 100 + i / 4096);
		ep4(&path.via, a, 3478);
		path.channel = WGT_CHAN_MIN + i % 4096;
		ck.relay = path.via;
		ck.channel = path.channel;
		ret |= bpf_map__update_elem(s->maps.endpoints, &ep, sizeof(ep),
					    &path, sizeof(path), 0);
		ret |= bpf_map__update_elem(s->maps.channels, &ck, sizeof(ck),
					    &ep, sizeof(ep), 0);
		ret |= bpf_map__update_elem(s->maps.stats, &ep, sizeof(ep),
					    zero, sizeof(*zero) * ncpu, 0);
		ret |= bpf_map__update_elem(s->maps.relays, &path.via,
					    sizeof(path.via), &r, sizeof(r), 0);
	}
	free(zero);
	return ret ? -1 : 0;
}

static void row(const char *what, int size, double ns, double empty)
{
	if (ns < 0 || empty < 0) {
		printf("| %-29s | %5d | %8s | %8s | %6s | %7s |\n", what, size,
		       "FAILED", "", "", "");
		return;
	}
	printf("| %-29s | %5d | %8.0f | %8.0f | %6.2f | %7.0f |\n", what,
	       size, ns, empty, ns / empty, ns - empty);
}

/* The 1420-byte rows again with 1, 100 and 10,000 endpoints mapped. */
static int scale(struct wgturn_bpf *s, struct empty_bpf *e,
		 const struct wgt_ep *local, const struct wgt_ep *endpoint,
		 const struct wgt_ep *relay)
{
	static const int counts[] = { 1, 100, 10000 };
	struct pkt_spec wg = { .src = *local, .dst = *endpoint,
			       .body = BODY_WG, .len = 1420 };
	struct pkt_spec cd = { .src = *relay, .dst = *local, .body = BODY_WG,
			       .len = 1420, .chandata = true, .chan = 0x4001 };
	static uint8_t a[PKT_MAX], b[PKT_MAX];
	size_t alen = pkt_build(&wg, a, sizeof(a));
	size_t blen = pkt_build(&cd, b, sizeof(b));
	int have = 1, failed = 0;

	printf("\nThe 1420-byte rows with N endpoints in the maps (ns per packet)\n\n");
	printf("| %9s | %8s | %8s | %8s | %8s | %8s |\n", "endpoints",
	       "encap", "XDP dec", "TC dec", "empty TC", "emptyXDP");
	printf("|----------:|---------:|---------:|---------:|---------:|---------:|\n");
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		double v[5];

		if (fill(s, have, counts[i])) {
			fprintf(stderr, "bench: cannot map %d endpoints\n",
				counts[i]);
			return 1;
		}
		have = counts[i];
		v[0] = measure(bpf_program__fd(s->progs.wgt_tc_egress), a,
			       alen, TC_ACT_OK, 4);
		v[1] = measure(bpf_program__fd(s->progs.wgt_xdp_ingress), b,
			       blen, XDP_PASS, -4);
		v[2] = measure(bpf_program__fd(s->progs.wgt_tc_ingress), b,
			       blen, TC_ACT_OK, -4);
		v[3] = measure(bpf_program__fd(e->progs.bench_empty_tc), a,
			       alen, TC_ACT_OK, 0);
		v[4] = measure(bpf_program__fd(e->progs.bench_empty_xdp), b,
			       blen, XDP_PASS, 0);
		for (int j = 0; j < 5; j++)
			failed |= v[j] < 0;
		printf("| %9d | %8.0f | %8.0f | %8.0f | %8.0f | %8.0f |\n",
		       counts[i], v[0], v[1], v[2], v[3], v[4]);
	}
	return failed;
}

int main(int argc, char **argv)
{
	static const int sizes[] = { 64, 512, 1420 };
	struct wgt_ep local, endpoint, relay;
	struct wgturn_bpf *s;
	struct empty_bpf *e;
	int failed = 0;

	if (argc > 1)
		calls = atoi(argv[1]);
	if (calls < 1)
		calls = 1;
	s = wgturn_bpf__open_and_load();
	e = empty_bpf__open_and_load();
	if (!s || !e || setup_maps(s, &local, &endpoint, &relay)) {
		fprintf(stderr, "bench: cannot load the programs (root?)\n");
		return 1;
	}

	printf("BPF_PROG_TEST_RUN, median of %d runs per row (ns per packet)\n\n",
	       calls);
	printf("| %-29s | %5s | %8s | %8s | %6s | %7s |\n", "case", "bytes",
	       "ns/pkt", "empty", "ratio", "net ns");
	printf("|%s|%s|%s|%s|%s|%s|\n", "-------------------------------",
	       "------:", "---------:", "---------:", "-------:", "--------:");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct pkt_spec wg = { .src = local, .dst = endpoint,
				       .body = BODY_WG, .len = sizes[i] };
		struct pkt_spec cd = { .src = relay, .dst = local,
				       .body = BODY_WG, .len = sizes[i],
				       .chandata = true, .chan = 0x4001 };
		static uint8_t a[PKT_MAX], b[PKT_MAX];
		size_t alen = pkt_build(&wg, a, sizeof(a));
		size_t blen = pkt_build(&cd, b, sizeof(b));
		double etc, exdp, v;

		etc = measure(bpf_program__fd(e->progs.bench_empty_tc), a, alen,
			      TC_ACT_OK, 0);
		exdp = measure(bpf_program__fd(e->progs.bench_empty_xdp), b,
			       blen, XDP_PASS, 0);

		v = measure(bpf_program__fd(s->progs.wgt_tc_egress), a, alen,
			    TC_ACT_OK, 4);
		row("encap, TC egress (no PARTIAL)", sizes[i], v, etc);
		failed |= v < 0;
		v = measure(bpf_program__fd(s->progs.wgt_xdp_ingress), b, blen,
			    XDP_PASS, -4);
		row("decap, XDP ingress", sizes[i], v, exdp);
		failed |= v < 0;
		v = measure(bpf_program__fd(s->progs.wgt_tc_ingress), b, blen,
			    TC_ACT_OK, -4);
		row("decap, TC ingress", sizes[i], v, etc);
		failed |= v < 0;
	}
	failed |= scale(s, e, &local, &endpoint, &relay);
	wgturn_bpf__destroy(s);
	empty_bpf__destroy(e);
	return failed;
}
