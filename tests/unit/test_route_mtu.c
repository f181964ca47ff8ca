// SPDX-License-Identifier: GPL-2.0
/*
 * route_mtu against the kernel, in a network namespace of its own
 * (unshare; needs root): routes of a prefix on a veth in two
 * tables get `mtu lock`, keep their other attributes, lose it again; a
 * route with someone else's MTU is left alone; a prefix without a route
 * of its own gets one (proto 87) and loses it; the path MTU follows a
 * route's MTU.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>
#include <net/if.h>
#include <cmocka.h>
#include "base/route_mtu.h"

static int sh(const char *cmd)
{
	return system(cmd);
}

/* `ip route show` of what, one line, into out. */
static void routes(const char *what, char *out, size_t len)
{
	char cmd[256];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ip %s 2>&1 | tr '\\n' '|'", what);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	pclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (getuid() != 0 || unshare(CLONE_NEWNET)) {
		print_message("# needs root to unshare a network namespace\n");
		return -1;
	}
	return sh("ip link add d0 type veth peer name d1 && ip link set d1 up && ip link set d0 up && "
		  "ip addr add 10.9.9.1/24 dev d0 && "
		  "ip -6 addr add fd00:9::1/64 dev d0 nodad && "
		  "ip route add 10.9.0.0/24 dev d0 proto static metric 7 && "
		  "ip route add 10.9.0.0/24 dev d0 table 100 && "
		  "ip route add 10.8.0.0/24 dev d0 mtu 1200 && "
		  "ip -6 route add fd00:8::/64 dev d0 metric 5 advmss 1000 && "
		  "ip -6 route add fd00:7::/64 from fd00:9::/64 dev d0");
}

static void test_set_and_clear_v4(void **state)
{
	uint8_t a[4] = { 10, 9, 0, 0 };
	int ifindex = if_nametoindex("d0"), others = -1;
	char out[1024];

	(void)state;
	assert_int_equal(route_set_mtu(ifindex, WGT_AF_INET, a, 24, 1336, 0,
				       &others), 2);
	assert_int_equal(others, 0);
	routes("route show table all 10.9.0.0/24", out, sizeof(out));
	print_message("# %s\n", out);
	assert_non_null(strstr(out, "10.9.0.0/24 dev d0 table 100 scope link mtu lock 1336"));
	assert_non_null(strstr(out, "10.9.0.0/24 dev d0 proto static scope link metric 7 mtu lock 1336"));
	/* the path MTU follows (10.9.0.5 is on the route) */
	struct wgt_ep ep = { .addr = { 10, 9, 0, 5 }, .family = WGT_AF_INET };
	assert_int_equal(route_path_mtu(&ep), 1336);
	/* again: nothing to change; a new value replaces ours */
	assert_int_equal(route_set_mtu(ifindex, WGT_AF_INET, a, 24, 1336,
				       1336, NULL), 0);
	assert_int_equal(route_set_mtu(ifindex, WGT_AF_INET, a, 24, 1300,
				       1336, NULL), 2);
	assert_int_equal(route_set_mtu(ifindex, WGT_AF_INET, a, 24, 0, 1300,
				       NULL), 2);
	routes("route show table all 10.9.0.0/24", out, sizeof(out));
	assert_null(strstr(out, "mtu"));
	assert_non_null(strstr(out, "proto static scope link metric 7"));
	assert_int_equal(route_path_mtu(&ep), 1500);
}

static void test_someone_elses_mtu(void **state)
{
	uint8_t a[4] = { 10, 8, 0, 0 };
	int others = 0;
	char out[1024];

	(void)state;
	assert_int_equal(route_set_mtu(if_nametoindex("d0"), WGT_AF_INET, a,
				       24, 1336, 0, &others), 0);
	assert_int_equal(others, 1);
	routes("route show 10.8.0.0/24", out, sizeof(out));
	assert_non_null(strstr(out, "mtu 1200"));
}

static void test_set_v6_keeps_metrics(void **state)
{
	uint8_t a[16] = { 0xfd, 0, 0, 8 };
	char out[1024];

	(void)state;
	assert_int_equal(route_set_mtu(if_nametoindex("d0"), WGT_AF_INET6, a,
				       64, 1280, 0, NULL), 1);
	routes("-6 route show fd00:8::/64", out, sizeof(out));
	print_message("# %s\n", out);
	assert_non_null(strstr(out, "metric 5"));
	assert_non_null(strstr(out, "mtu lock 1280"));
	assert_non_null(strstr(out, "advmss 1000"));
	/* none for another prefix length: one of our own, then gone */
	assert_int_equal(route_set_mtu(if_nametoindex("d0"), WGT_AF_INET6, a,
				       48, 1280, 0, NULL), 1);
	assert_int_equal(route_set_mtu(if_nametoindex("d0"), WGT_AF_INET6, a,
				       48, 0, 1280, NULL), 1);
	routes("-6 route show fd00::/48", out, sizeof(out));
	assert_string_equal(out, "");
}

/* A peer's /32 inside the connected /24: a route of our own, deleted
 * again; the same for an IPv6 /128. */
static void test_own_route(void **state)
{
	uint8_t a4[4] = { 10, 9, 9, 2 }, a6[16] = { 0xfd, 0, 0, 9 };
	int ifindex = if_nametoindex("d0");
	char out[1024];

	(void)state;
	a6[15] = 2;
	assert_int_equal(route_set_mtu(ifindex, WGT_AF_INET, a4, 32, 1336, 0,
				       NULL), 1);
	assert_int_equal(route_set_mtu(ifindex, WGT_AF_INET6, a6, 128, 1336, 0,
				       NULL), 1);
	routes("route show proto 87 table all", out, sizeof(out));
	print_message("# %s\n", out);
	assert_non_null(strstr(out, "10.9.9.2 dev d0 scope link mtu lock 1336"));
	routes("-6 route show proto 87", out, sizeof(out));
	print_message("# %s\n", out);
	assert_non_null(strstr(out, "fd00:9::2 dev d0 metric 1024 mtu lock 1336"));
	struct wgt_ep ep = { .addr = { 10, 9, 9, 2 }, .family = WGT_AF_INET };
	assert_int_equal(route_path_mtu(&ep), 1336);
	/* changed, then gone */
	assert_int_equal(route_set_mtu(ifindex, WGT_AF_INET, a4, 32, 1300,
				       1336, NULL), 1);
	assert_int_equal(route_path_mtu(&ep), 1300);
	assert_int_equal(route_set_mtu(ifindex, WGT_AF_INET, a4, 32, 0, 1300,
				       NULL), 1);
	/* what a killed daemon left: flushed at the next start */
	assert_int_equal(route_flush_own(ifindex), 1);
	routes("route show proto 87 table all", out, sizeof(out));
	assert_string_equal(out, "");
	routes("-6 route show proto 87", out, sizeof(out));
	assert_string_equal(out, "");
	assert_int_equal(route_path_mtu(&ep), 1500);
}

/* A prefix the main table does not send through the interface: no
 * route of our own, which would change where its packets go. */
static void test_no_new_path(void **state)
{
	uint8_t a[4] = { 172, 16, 0, 0 };
	char out[1024];

	(void)state;
	assert_int_equal(route_set_mtu(if_nametoindex("d0"), WGT_AF_INET, a,
				       16, 1336, 0, NULL), 0);
	routes("route show 172.16.0.0/16", out, sizeof(out));
	assert_string_equal(out, "");
}

/* A route with a source prefix cannot be repeated exactly: left alone. */
static void test_exotic_left_alone(void **state)
{
	uint8_t a[16] = { 0xfd, 0, 0, 7 };
	int others = 0;
	char out[1024];

	(void)state;
	assert_int_equal(route_set_mtu(if_nametoindex("d0"), WGT_AF_INET6, a,
				       64, 1280, 0, &others), 0);
	assert_int_equal(others, 1);
	routes("-6 route show fd00:7::/64", out, sizeof(out));
	assert_null(strstr(out, "mtu"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_and_clear_v4),
		cmocka_unit_test(test_someone_elses_mtu),
		cmocka_unit_test(test_set_v6_keeps_metrics),
		cmocka_unit_test(test_own_route),
		cmocka_unit_test(test_no_new_path),
		cmocka_unit_test(test_exotic_left_alone),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
