// SPDX-License-Identifier: GPL-2.0
/*
 * wgsnap: drives user/wg.c from shell tests (tests/wg_access.sh).
 *
 *   wgsnap show IF                 listen port, the interface's public key
 *                                  (where it has a private key), one line per peer:
 *                                  peer KEY ENDPOINT HANDSHAKE_S KEEPALIVE
 *                                  (wg show IF dump's spelling: (none), off)
 *   wgsnap watch IF MS DURATION_MS poll every MS, print each change as
 *                                  REALTIME_MS EVENT KEY OLD NEW
 *   wgsnap set-endpoint IF KEY EP  wg_set_endpoint
 *   wgsnap nl-probe                exit 0 if the kernel has the wireguard
 *                                  genl family, 3 if not
 *
 * Errors: "wgsnap: <message>" on stderr, exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/addr.h"
#include "wg/wg_backend.h"

static char err[WG_ERRLEN];

static int die(void)
{
	fprintf(stderr, "wgsnap: %s\n", err);
	return 1;
}

static const char *ep_text(const struct wgt_ep *ep, char *buf, size_t len)
{
	return ep->family ? ep_str(ep, buf, len) : "(none)";
}

static void print_peer(const struct wg_peer *p)
{
	char key[WG_KEY_B64LEN], ep[EP_STRLEN], ka[8];

	wg_key_to_base64(p->pubkey, key);
	snprintf(ka, sizeof(ka), "%u", p->keepalive);
	printf("peer %s %s %llu %s\n", key, ep_text(&p->endpoint, ep, sizeof(ep)),
	       (unsigned long long)(p->handshake_ns / 1000000000ull),
	       p->keepalive ? ka : "off");
}

static int cmd_show(const char *ifname)
{
	struct wg_snapshot s = { 0 };
	struct wg_dev dev;

	if (wg_open(&dev, ifname, err, sizeof(err)))
		return die();
	if (wg_snapshot(&dev, &s, err, sizeof(err))) {
		wg_close(&dev);
		return die();
	}
	printf("backend %s\nlisten_port %u\n", wg_backend_name(dev.backend),
	       s.listen_port);
	if (s.has_pubkey) {
		char key[WG_KEY_B64LEN];

		wg_key_to_base64(s.pubkey, key);
		printf("public_key %s\n", key);
	}
	for (uint32_t i = 0; i < s.n_peers; i++)
		print_peer(&s.peers[i]);
	wg_snapshot_free(&s);
	wg_close(&dev);
	return 0;
}

static uint64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_change(void *ctx, uint32_t what, const struct wg_peer *old,
		      const struct wg_peer *cur)
{
	static const char *const names[] = { "added", "removed", "endpoint",
					      "keepalive", "handshake" };
	const struct wg_peer *p = cur ? cur : old;
	char key[WG_KEY_B64LEN], a[EP_STRLEN], b[EP_STRLEN];
	static const struct wgt_ep none;

	(void)ctx;
	wg_key_to_base64(p->pubkey, key);
	for (uint32_t i = 0; i < 5; i++) {
		if (!(what & (1u << i)))
			continue;
		printf("%llu %s %s %s %s\n", (unsigned long long)realtime_ms(),
		       names[i], key,
		       ep_text(old ? &old->endpoint : &none, a, sizeof(a)),
		       ep_text(cur ? &cur->endpoint : &none, b, sizeof(b)));
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int cmd_watch(const char *ifname, long interval, long duration)
{
	struct wg_snapshot snap[2] = { 0 };
	uint64_t end = realtime_ms() + (uint64_t)duration;
	struct wg_dev dev;
	int cur = 0;

	if (wg_open(&dev, ifname, err, sizeof(err)) ||
	    wg_snapshot(&dev, &snap[0], err, sizeof(err)))
		return die();
	printf("%llu ready %u peers\n", (unsigned long long)realtime_ms(),
	       snap[0].n_peers);
	while (realtime_ms() < end) {
		sleep_ms(interval);
		/* Poll into the other buffer, diff, swap: no allocation. */
		if (wg_snapshot(&dev, &snap[!cur], err, sizeof(err))) {
			printf("%llu error %s\n",
			       (unsigned long long)realtime_ms(), err);
			continue;
		}
		wg_diff(&snap[cur], &snap[!cur], WG_CH_ALL, on_change, NULL);
		cur = !cur;
	}
	wg_snapshot_free(&snap[0]);
	wg_snapshot_free(&snap[1]);
	wg_close(&dev);
	return 0;
}

static int cmd_set(const char *ifname, const char *key_b64, const char *eps)
{
	uint8_t key[WG_KEY_LEN];
	struct wgt_ep ep;
	struct wg_dev dev;
	int rc;

	if (wg_key_from_base64(key_b64, key)) {
		snprintf(err, sizeof(err), "invalid key '%s'", key_b64);
		return die();
	}
	if (ep_parse(eps, &ep, err, sizeof(err)))
		return die();
	if (wg_open(&dev, ifname, err, sizeof(err)))
		return die();
	rc = wg_set_endpoint(&dev, key, &ep, err, sizeof(err));
	wg_close(&dev);
	return rc ? die() : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "show"))
		return cmd_show(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "watch"))
		return cmd_watch(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "set-endpoint"))
		return cmd_set(argv[2], argv[3], argv[4]);
	if (argc == 2 && !strcmp(argv[1], "nl-probe")) {
		int rc = wg_nl_available(err, sizeof(err));

		if (rc == -ENOENT) {
			puts(err);
			return 3;
		}
		return rc ? die() : 0;
	}
	fprintf(stderr,
		"usage: wgsnap show IF | watch IF MS DURATION_MS | set-endpoint IF KEY EP | nl-probe\n");
	return 2;
}
