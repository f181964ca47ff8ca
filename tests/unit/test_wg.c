// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for WireGuard access (user/wg*.c): key encodings, the UAPI
 * reply parser (any split of the stream, long lines, unknown keys,
 * malformed input), the netlink attribute parser on messages built here
 * with libmnl, the snapshot diff, and the UAPI client against a fake
 * implementation on a unix socket in a temporary directory. No root, no
 * network, no WireGuard needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <cmocka.h>
#include "base/addr.h"
#include "wg/wg_backend.h"
#include "cleanup.h"

static void snap_release(void *p)
{
	wg_snapshot_free(p);
}

/* Keys 0x00..0x1f, 0x11 x 32, 0xff x 32 in the UAPI's hex. */
#define HEX_SEQ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HEX_11 "1111111111111111111111111111111111111111111111111111111111111111"
#define HEX_FF "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static void key_fill(uint8_t key[WG_KEY_LEN], uint8_t v)
{
	memset(key, v, WG_KEY_LEN);
}

static void key_seq(uint8_t key[WG_KEY_LEN])
{
	for (int i = 0; i < WG_KEY_LEN; i++)
		key[i] = (uint8_t)i;
}

static struct wgt_ep ep_of(const char *s)
{
	struct wgt_ep ep;
	char why[128];

	assert_int_equal(ep_parse(s, &ep, why, sizeof(why)), 0);
	return ep;
}

static void assert_ep(const struct wgt_ep *ep, const char *want)
{
	char buf[EP_STRLEN];

	if (!want) {
		assert_int_equal(ep->family, 0);
		return;
	}
	assert_string_equal(ep_str(ep, buf, sizeof(buf)), want);
}

/* ---- Keys ---- */

static void test_key_base64(void **state)
{
	uint8_t key[WG_KEY_LEN], back[WG_KEY_LEN];
	char s[WG_KEY_B64LEN];

	key_seq(key);
	wg_key_to_base64(key, s);
	assert_string_equal(s, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	assert_int_equal(wg_key_from_base64(s, back), 0);
	assert_memory_equal(key, back, WG_KEY_LEN);
	key_fill(key, 0xff);
	wg_key_to_base64(key, s);
	assert_string_equal(s, "//////////////////////////////////////////8=");
	assert_int_equal(wg_key_from_base64(s, back), 0);
	assert_memory_equal(key, back, WG_KEY_LEN);
}

static void test_key_base64_invalid(void **state)
{
	uint8_t key[WG_KEY_LEN];

	/* too short, too long, no '=', bad character, low bits set */
	assert_int_equal(wg_key_from_base64("AAEC", key), -EINVAL);
	assert_int_equal(wg_key_from_base64(
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==", key), -EINVAL);
	assert_int_equal(wg_key_from_base64(
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A", key), -EINVAL);
	assert_int_equal(wg_key_from_base64(
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw*Hh8=", key), -EINVAL);
	assert_int_equal(wg_key_from_base64(
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", key), -EINVAL);
	assert_int_equal(wg_key_from_base64("", key), -EINVAL);
}

static void test_key_hex(void **state)
{
	uint8_t key[WG_KEY_LEN], back[WG_KEY_LEN];
	char s[2 * WG_KEY_LEN + 1];

	key_seq(key);
	wg_key_to_hex(key, s);
	assert_string_equal(s, HEX_SEQ);
	assert_int_equal(wg_key_from_hex(s, strlen(s), back), 0);
	assert_memory_equal(key, back, WG_KEY_LEN);
	s[1] = 'g';
	assert_int_equal(wg_key_from_hex(s, 64, back), -EINVAL);
	assert_int_equal(wg_key_from_hex(HEX_SEQ, 63, back), -EINVAL);
	assert_int_equal(wg_key_from_hex(HEX_SEQ "00", 66, back), -EINVAL);
}

/* RFC 7748 6.1: Alice's and Bob's X25519 key pairs. */
static void test_key_public(void **state)
{
	static const char *const v[][2] = {
		{ "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" },
		{ "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
		  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f" },
	};
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN], want[WG_KEY_LEN];

	for (int i = 0; i < 2; i++) {
		assert_int_equal(wg_key_from_hex(v[i][0], 64, priv), 0);
		assert_int_equal(wg_key_from_hex(v[i][1], 64, want), 0);
		assert_int_equal(wg_key_public(priv, pub), 0);
		assert_memory_equal(pub, want, WG_KEY_LEN);
	}
}

/* ---- UAPI parser ---- */

/* What wireguard-go answers to get=1, with a peer missing an endpoint,
 * keys we ignore and one no implementation sends yet. */
static const char uapi_reply[] =
	"private_key=" HEX_11 "\n"
	"listen_port=51820\n"
	"fwmark=7\n"
	"future_device_key=whatever\n"
	"public_key=" HEX_FF "\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"protocol_version=1\n"
	"endpoint=[2001:db8::2]:51821\n"
	"last_handshake_time_sec=1700000000\n"
	"last_handshake_time_nsec=123456789\n"
	"tx_bytes=100\n"
	"rx_bytes=200\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=10.0.0.2/32\n"
	"allowed_ip=fd00::2/128\n"
	"public_key=" HEX_SEQ "\n"
	"protocol_version=1\n"
	"endpoint=192.0.2.1:51820\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=0\n"
	"public_key=" HEX_11 "\n"
	"last_handshake_time_nsec=5\n"
	"last_handshake_time_sec=3\n"
	"errno=0\n"
	"\n";

static int feed_chunks(struct wg_snapshot *s, const char *buf, size_t len,
		       size_t chunk)
{
	struct wg_uapi_parser p;
	int rc = 0;

	wg_uapi_parser_init(&p, s);
	for (size_t off = 0; off < len && rc == 0; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		rc = wg_uapi_feed(&p, buf + off, n);
	}
	if (rc == 1 && p.remote_errno)
		return -1000 + p.remote_errno;	/* visible in asserts */
	return rc;
}

static int feed_str(struct wg_snapshot *s, const char *str)
{
	return feed_chunks(s, str, strlen(str), strlen(str) + 1);
}

static void check_uapi_snapshot(const struct wg_snapshot *s)
{
	uint8_t k[WG_KEY_LEN], pub[WG_KEY_LEN];

	/* the UAPI gives the private key: the public one is derived */
	key_fill(k, 0x11);
	assert_int_equal(wg_key_public(k, pub), 0);
	assert_true(s->has_pubkey);
	assert_memory_equal(s->pubkey, pub, WG_KEY_LEN);
	assert_int_equal(s->listen_port, 51820);
	assert_int_equal(s->fwmark, 7);
	assert_int_equal(s->n_peers, 3);
	/* sorted by key: 00 01 .., 11 .., ff .. */
	key_seq(k);
	assert_memory_equal(s->peers[0].pubkey, k, WG_KEY_LEN);
	assert_ep(&s->peers[0].endpoint, "192.0.2.1:51820");
	assert_int_equal(s->peers[0].keepalive, 0);
	assert_int_equal(s->peers[0].handshake_ns, 0);
	key_fill(k, 0x11);
	assert_memory_equal(s->peers[1].pubkey, k, WG_KEY_LEN);
	assert_ep(&s->peers[1].endpoint, NULL);
	assert_int_equal(s->peers[1].handshake_ns, 3000000005ull);
	key_fill(k, 0xff);
	assert_memory_equal(s->peers[2].pubkey, k, WG_KEY_LEN);
	assert_ep(&s->peers[2].endpoint, "[2001:db8::2]:51821");
	assert_int_equal(s->peers[2].keepalive, 25);
	assert_int_equal(s->peers[2].handshake_ns, 1700000000123456789ull);
	assert_int_equal(s->peers[2].tx_bytes, 100);
	assert_int_equal(s->peers[2].rx_bytes, 200);
	assert_int_equal(s->peers[2].n_allowed, 2);
	assert_int_equal(s->peers[2].allowed[0].family, WGT_AF_INET);
	assert_memory_equal(s->peers[2].allowed[0].addr, "\x0a\0\0\x02", 4);
	assert_int_equal(s->peers[2].allowed[0].cidr, 32);
	assert_int_equal(s->peers[2].allowed[1].family, WGT_AF_INET6);
	assert_int_equal(s->peers[2].allowed[1].addr[0], 0xfd);
	assert_int_equal(s->peers[2].allowed[1].addr[15], 0x02);
	assert_int_equal(s->peers[2].allowed[1].cidr, 128);
	assert_int_equal(s->peers[0].n_allowed, 0);
}

/* More allowed IPs than a peer keeps: the first ones, and a flag. */
static void test_uapi_allowed_overflow(void **state)
{
	static struct wg_snapshot s;
	char buf[4096];
	int n;

	t_track(&s, snap_release);
	n = snprintf(buf, sizeof(buf), "public_key=" HEX_SEQ "\n");
	for (int i = 0; i <= WG_MAX_ALLOWED; i++)
		n += snprintf(buf + n, sizeof(buf) - n,
			      "allowed_ip=10.0.%d.0/24\n", i);
	snprintf(buf + n, sizeof(buf) - n, "errno=0\n\n");
	assert_int_equal(feed_str(&s, buf), 1);
	assert_int_equal(s.n_peers, 1);
	assert_int_equal(s.peers[0].n_allowed, WG_MAX_ALLOWED);
	assert_true(s.peers[0].allowed_more);
	assert_int_equal(s.peers[0].allowed[WG_MAX_ALLOWED - 1].addr[2],
			 WG_MAX_ALLOWED - 1);
	wg_snapshot_free(&s);
}

static void test_uapi_reply(void **state)
{
	static struct wg_snapshot s;

	t_track(&s, snap_release);
	assert_int_equal(feed_str(&s, uapi_reply), 1);
	check_uapi_snapshot(&s);
	wg_snapshot_free(&s);
}

/* The private key is kept only where wg_private_key() asks for it. */
static void test_uapi_private_out(void **state)
{
	static struct wg_snapshot s;
	uint8_t priv[WG_KEY_LEN], want[WG_KEY_LEN];

	t_track(&s, snap_release);
	memset(priv, 0, sizeof(priv));
	s.private_out = priv;
	assert_int_equal(feed_str(&s, uapi_reply), 1);
	key_fill(want, 0x11);
	assert_memory_equal(priv, want, WG_KEY_LEN);
	/* a reset snapshot (the next read) keeps asking; a fresh one does not */
	wg_snapshot_free(&s);
	memset(priv, 0, sizeof(priv));
	assert_int_equal(feed_str(&s, uapi_reply), 1);
	assert_null(s.private_out);
	for (int i = 0; i < WG_KEY_LEN; i++)
		assert_int_equal(priv[i], 0);
	wg_snapshot_free(&s);
}

/* Every chunk size, and every split in two, parses the same. */
static void test_uapi_any_split(void **state)
{
	size_t len = strlen(uapi_reply);
	static struct wg_snapshot s;

	t_track(&s, snap_release);
	for (size_t chunk = 1; chunk <= 64; chunk++) {
		assert_int_equal(feed_chunks(&s, uapi_reply, len, chunk), 1);
		check_uapi_snapshot(&s);
	}
	for (size_t cut = 0; cut <= len; cut++) {
		struct wg_uapi_parser p;

		wg_uapi_parser_init(&p, &s);
		assert_int_equal(wg_uapi_feed(&p, uapi_reply, cut),
				 cut == len ? 1 : 0);
		assert_int_equal(wg_uapi_feed(&p, uapi_reply + cut, len - cut),
				 1);
		check_uapi_snapshot(&s);
	}
	wg_snapshot_free(&s);
}

static void test_uapi_trailing_ignored(void **state)
{
	static struct wg_snapshot s;

	t_track(&s, snap_release);
	assert_int_equal(feed_str(&s, "listen_port=1\nerrno=0\n\nlisten_port=2\n"
				      "garbage without equals\n"), 1);
	assert_int_equal(s.listen_port, 1);
	wg_snapshot_free(&s);
}

static void test_uapi_long_lines(void **state)
{
	size_t big = 100000;
	char *buf = malloc(big + 512);
	static struct wg_snapshot s;
	int n;

	t_track(&s, snap_release);
	assert_non_null(buf);
	t_track(buf, free);
	/* an unknown key with a huge value: ignored */
	n = sprintf(buf, "listen_port=9\nunknown_key=");
	memset(buf + n, 'x', big);
	strcpy(buf + n + big, "\npublic_key=" HEX_SEQ "\nerrno=0\n\n");
	assert_int_equal(feed_chunks(&s, buf, strlen(buf), 4096), 1);
	assert_int_equal(s.listen_port, 9);
	assert_int_equal(s.n_peers, 1);
	/* a huge key without '=' in the kept part: unknown, ignored */
	memset(buf, 'k', big);
	strcpy(buf + big, "=1\nerrno=0\n\n");
	assert_int_equal(feed_chunks(&s, buf, strlen(buf), 777), 1);
	/* a known key whose value does not fit: malformed, not truncated */
	n = sprintf(buf, "public_key=" HEX_SEQ);
	memset(buf + n, '0', big);
	strcpy(buf + n + big, "\nerrno=0\n\n");
	assert_int_equal(feed_chunks(&s, buf, strlen(buf), 4096), -EPROTO);
	n = sprintf(buf, "public_key=" HEX_SEQ "\nendpoint=192.0.2.1:");
	memset(buf + n, '1', 300);
	strcpy(buf + n + 300, "\nerrno=0\n\n");
	assert_int_equal(feed_str(&s, buf), -EPROTO);
	wg_snapshot_free(&s);
}

static void test_uapi_malformed(void **state)
{
	static const char *const bad[] = {
		"\n",					/* no errno */
		"errno=0\nfoo\n\n",			/* no '=' (after errno) */
		"nonsense\nerrno=0\n\n",
		"endpoint=192.0.2.1:1\nerrno=0\n\n",	/* before public_key */
		"listen_port=65536\nerrno=0\n\n",
		"listen_port=-1\nerrno=0\n\n",
		"listen_port=\nerrno=0\n\n",
		"listen_port=1a\nerrno=0\n\n",
		"listen_port= 1\nerrno=0\n\n",
		"fwmark=4294967296\nerrno=0\n\n",
		"errno=x\n\n",
		"errno=\n\n",
		"public_key=" HEX_SEQ "0\nerrno=0\n\n",
		"public_key=" HEX_FF "\npublic_key=" HEX_SEQ "\npublic_key="
			HEX_FF "\nerrno=0\n\n",		/* a key twice */
		"public_key=zz" HEX_SEQ "\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\npersistent_keepalive_interval=65536\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nlast_handshake_time_nsec=1000000000\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nlast_handshake_time_sec=18446744073709551615\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nrx_bytes=18446744073709551616\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nendpoint=192.0.2.1\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nendpoint=192.0.2.1:0\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nendpoint=192.0.2.1:65536\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nendpoint=[2001:db8::1]\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nendpoint=2001:db8::1:5\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nendpoint=[fe80::1%eth0:5\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nendpoint=host.example:5\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nallowed_ip=10.0.0.1/33\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nallowed_ip=fd00::1/129\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nallowed_ip=10.0.0.1\nerrno=0\n\n",
		"public_key=" HEX_SEQ "\nallowed_ip=10.0.0.x/8\nerrno=0\n\n",
		"allowed_ip=10.0.0.1/32\nerrno=0\n\n",	/* before public_key */
	};
	static struct wg_snapshot s;

	t_track(&s, snap_release);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = feed_str(&s, bad[i]);

		if (rc != -EPROTO)
			fail_msg("case %zu: rc %d for '%s'", i, rc, bad[i]);
	}
	wg_snapshot_free(&s);
}

static void test_uapi_nul_in_line(void **state)
{
	static const char buf[] = "listen_port=5\0\nerrno=0\n\n";
	static struct wg_snapshot s;

	t_track(&s, snap_release);
	assert_int_equal(feed_chunks(&s, buf, sizeof(buf) - 1, 100), -EPROTO);
	wg_snapshot_free(&s);
}

static void test_uapi_errno(void **state)
{
	static struct wg_snapshot s;

	t_track(&s, snap_release);
	/* wireguard-go sends negative codes, others positive: keep both */
	assert_int_equal(feed_str(&s, "errno=-22\n\n"), -1000 - 22);
	assert_int_equal(feed_str(&s, "errno=2\n\n"), -1000 + 2);
	wg_snapshot_free(&s);
}

static void test_uapi_endpoints(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "192.0.2.1:51820", "192.0.2.1:51820" },
		{ "[2001:db8::1]:1", "[2001:db8::1]:1" },
		{ "[fe80::1%eth0]:51820", "[fe80::1]:51820" },
		{ "[::ffff:198.51.100.7]:65535", "198.51.100.7:65535" },
		{ "[2001:db8:0:0:0:0:0:2]:9", "[2001:db8::2]:9" },
	};
	struct wgt_ep ep;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(wg_uapi_parse_endpoint(ok[i].in, &ep), 0);
		assert_ep(&ep, ok[i].out);
	}
	assert_int_equal(wg_uapi_parse_endpoint("", &ep), -EPROTO);
	assert_int_equal(wg_uapi_parse_endpoint("[1.2.3.4]:5", &ep), -EPROTO);
	assert_int_equal(wg_uapi_parse_endpoint("1.2.3.4%x:5", &ep), -EPROTO);
}

static void test_uapi_set_request(void **state)
{
	uint8_t key[WG_KEY_LEN];
	struct wgt_ep ep = ep_of("[2001:db8::7]:4000");
	char buf[256];
	int n;

	key_seq(key);
	n = wg_uapi_set_endpoint_req(buf, sizeof(buf), key, &ep);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "set=1\npublic_key=" HEX_SEQ
			    "\nupdate_only=true\nendpoint=[2001:db8::7]:4000\n\n");
	assert_int_equal(wg_uapi_set_endpoint_req(buf, 40, key, &ep), -ENOSPC);
}

/* ---- Snapshots and diff ---- */

static struct wg_peer *add_peer(struct wg_snapshot *s, uint8_t k,
				const char *ep)
{
	uint8_t key[WG_KEY_LEN];
	struct wg_peer *p;
	int rc = 0;

	key_fill(key, k);
	p = wg_snapshot_peer(s, key, &rc);
	assert_non_null(p);
	if (ep)
		p->endpoint = ep_of(ep);
	return p;
}

struct seen {
	int n;
	uint32_t what[8];
	uint8_t key[8];
};

static void record(void *ctx, uint32_t what, const struct wg_peer *old,
		   const struct wg_peer *cur)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->what[s->n] = what;
	s->key[s->n] = (cur ? cur : old)->pubkey[0];
	s->n++;
}

static void test_diff(void **state)
{
	static struct wg_snapshot a, b;
	struct seen seen = { 0 };

	t_track(&a, snap_release);
	t_track(&b, snap_release);
	a.listen_port = b.listen_port = 51820;
	add_peer(&a, 1, "192.0.2.1:1");
	add_peer(&a, 2, "192.0.2.2:2");		/* removed */
	add_peer(&a, 3, "192.0.2.3:3")->keepalive = 25;
	add_peer(&a, 5, NULL);
	add_peer(&b, 5, "[2001:db8::5]:5");	/* endpoint appears */
	add_peer(&b, 4, "198.51.100.4:4");	/* added */
	add_peer(&b, 3, "192.0.2.3:3")->handshake_ns = 1;
	add_peer(&b, 1, "192.0.2.1:1");		/* unchanged */
	assert_int_equal(wg_snapshot_finish(&a), 0);
	assert_int_equal(wg_snapshot_finish(&b), 0);

	assert_int_equal(wg_diff(&a, &a, WG_CH_ALL, record, &seen), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(wg_diff(&a, &b, WG_CH_ALL, record, &seen),
			 WG_CH_ADDED | WG_CH_REMOVED | WG_CH_ENDPOINT |
				 WG_CH_KEEPALIVE | WG_CH_HANDSHAKE);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.key[0], 2);
	assert_int_equal(seen.what[0], WG_CH_REMOVED);
	assert_int_equal(seen.key[1], 3);
	assert_int_equal(seen.what[1], WG_CH_KEEPALIVE | WG_CH_HANDSHAKE);
	assert_int_equal(seen.key[2], 4);
	assert_int_equal(seen.what[2], WG_CH_ADDED);
	assert_int_equal(seen.key[3], 5);
	assert_int_equal(seen.what[3], WG_CH_ENDPOINT);

	/* the daemon's mask: membership and endpoints, not handshakes */
	seen.n = 0;
	assert_int_equal(wg_diff(&a, &b, WG_CH_ADDED | WG_CH_REMOVED |
				 WG_CH_ENDPOINT, record, &seen),
			 WG_CH_ADDED | WG_CH_REMOVED | WG_CH_ENDPOINT);
	assert_int_equal(seen.n, 3);

	/* allowed IPs: a change in the list, not in its order of reading */
	assert_int_equal(wg_peer_add_allowed(&b.peers[0], AF_INET,
					     "\x0a\0\0\x01", 32), 0);
	assert_int_equal(wg_diff(&a, &b, WG_CH_ALLOWED, NULL, NULL),
			 WG_CH_ALLOWED);

	b.listen_port = 1;
	assert_int_equal(wg_diff(&a, &b, WG_CH_PORT, NULL, NULL), WG_CH_PORT);
	wg_snapshot_reset(&b);
	assert_int_equal(wg_diff(&a, &b, WG_CH_REMOVED, NULL, NULL),
			 WG_CH_REMOVED);
	assert_int_equal(wg_diff(&b, &a, WG_CH_ALL, NULL, NULL), WG_CH_ADDED |
			 WG_CH_PORT);
	wg_snapshot_free(&a);
	wg_snapshot_free(&b);
}

static void test_snapshot_find_and_reuse(void **state)
{
	static struct wg_snapshot s;
	uint8_t key[WG_KEY_LEN];
	struct wg_peer *saved;

	t_track(&s, snap_release);
	for (int i = 200; i > 0; i--)
		add_peer(&s, (uint8_t)i, NULL);
	assert_int_equal(wg_snapshot_finish(&s), 0);
	key_fill(key, 77);
	assert_non_null(wg_snapshot_find(&s, key));
	assert_int_equal(wg_snapshot_find(&s, key)->pubkey[0], 77);
	key_fill(key, 0);
	assert_null(wg_snapshot_find(&s, key));
	/* a reset keeps the allocation for the next poll */
	saved = s.peers;
	wg_snapshot_reset(&s);
	assert_int_equal(s.n_peers, 0);
	assert_null(wg_snapshot_find(&s, key));
	add_peer(&s, 1, NULL);
	assert_ptr_equal(s.peers, saved);
	wg_snapshot_free(&s);
}

static void test_ep_normalize(void **state)
{
	struct wgt_ep ep = ep_of("[::ffff:192.0.2.9]:7");

	wg_ep_normalize(&ep);
	assert_true(ep_eq(&ep, &(struct wgt_ep){ .addr = { 192, 0, 2, 9 },
						 .port = 7,
						 .family = WGT_AF_INET }));
	ep = ep_of("[::192.0.2.9]:7");	/* compatible, not mapped */
	wg_ep_normalize(&ep);
	assert_int_equal(ep.family, WGT_AF_INET6);
}

/* ---- Netlink ---- */

#define NLBUF 8192
#define FAMILY 0x1d
#define SEQ 42
#define PORTID 4242

static struct nlmsghdr *msg_start(char *buf, uint16_t type, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = WG_GENL_VERSION;
	return nlh;
}

static void put_sockaddr(struct nlmsghdr *nlh, const char *ep_s)
{
	struct wgt_ep ep = ep_of(ep_s);

	if (ep.family == WGT_AF_INET) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(ep.port) };

		memcpy(&sa.sin_addr, ep.addr, 4);
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sa), &sa);
	} else {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
					   .sin6_port = htons(ep.port) };

		memcpy(&sa.sin6_addr, ep.addr, 16);
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sa), &sa);
	}
}

static void put_allowedip(struct nlmsghdr *nlh, uint32_t v4, uint8_t cidr)
{
	struct nlattr *ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	struct nlattr *ip = mnl_attr_nest_start(nlh, 0);

	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 4, &v4);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, cidr);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, ips);
}

/* A peer the way the kernel writes it (NLA_F_NESTED as it sets it). */
static void put_peer(struct nlmsghdr *nlh, uint8_t k, const char *ep,
		     int64_t hs_sec, int64_t hs_nsec, uint16_t ka)
{
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0 | NLA_F_NESTED);
	struct __kernel_timespec ts = { hs_sec, hs_nsec };
	uint8_t key[WG_KEY_LEN], psk[WG_KEY_LEN] = { 0 };

	key_fill(key, k);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, psk);
	if (ep)
		put_sockaddr(nlh, ep);
	mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, ka);
	mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 1000 + k);
	mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 2000 + k);
	mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
	put_allowedip(nlh, htonl(0x0a000000 + k), 32);
	mnl_attr_put_u32(nlh, 200, 0);	/* an attribute from the future */
	mnl_attr_nest_end(nlh, peer);
}

static void put_device(struct nlmsghdr *nlh)
{
	uint8_t priv[WG_KEY_LEN];

	key_fill(priv, 0x11);
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, priv);
	key_fill(priv, 0x22);	/* stands for the public key: taken as is */
	mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, priv);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0x51);
}

static void test_nl_device(void **state)
{
	char buf[NLBUF] = { 0 };
	struct nlmsghdr *nlh = msg_start(buf, FAMILY, WG_CMD_GET_DEVICE);
	static struct wg_snapshot s;
	struct nlattr *peers;

	t_track(&s, snap_release);
	put_device(nlh);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS | NLA_F_NESTED);
	put_peer(nlh, 0xcc, "[2001:db8::3]:51822", 1700000000, 5, 0);
	put_peer(nlh, 0xaa, "192.0.2.1:51820", 0, 0, 25);
	put_peer(nlh, 0xbb, "[::ffff:198.51.100.2]:51821", 1, 999999999, 0);
	put_peer(nlh, 0xdd, NULL, 0, 0, 0);
	mnl_attr_nest_end(nlh, peers);

	assert_int_equal(wg_nl_parse_device(nlh, &s), 0);
	assert_int_equal(wg_snapshot_finish(&s), 0);
	assert_int_equal(s.listen_port, 51820);
	assert_int_equal(s.fwmark, 0x51);
	assert_true(s.has_pubkey);
	assert_int_equal(s.pubkey[0], 0x22);
	assert_int_equal(s.pubkey[31], 0x22);
	assert_int_equal(s.n_peers, 4);
	assert_int_equal(s.peers[0].pubkey[0], 0xaa);
	assert_ep(&s.peers[0].endpoint, "192.0.2.1:51820");
	assert_int_equal(s.peers[0].keepalive, 25);
	assert_int_equal(s.peers[0].handshake_ns, 0);
	assert_int_equal(s.peers[0].rx_bytes, 1000 + 0xaa);
	assert_int_equal(s.peers[0].tx_bytes, 2000 + 0xaa);
	assert_int_equal(s.peers[0].n_allowed, 1);
	assert_memory_equal(s.peers[0].allowed[0].addr, "\x0a\0\0\xaa", 4);
	assert_int_equal(s.peers[0].allowed[0].cidr, 32);
	assert_ep(&s.peers[1].endpoint, "198.51.100.2:51821");
	assert_int_equal(s.peers[1].handshake_ns, 1999999999ull);
	assert_ep(&s.peers[2].endpoint, "[2001:db8::3]:51822");
	assert_int_equal(s.peers[2].handshake_ns, 1700000000000000005ull);
	assert_ep(&s.peers[3].endpoint, NULL);
	wg_snapshot_free(&s);
}

/* Append a finished message to a multi-message buffer. */
static size_t append(char *buf, size_t off, const struct nlmsghdr *nlh)
{
	memmove(buf + off, nlh, nlh->nlmsg_len);
	return off + MNL_ALIGN(nlh->nlmsg_len);
}

static size_t append_done(char *buf, size_t off)
{
	char tmp[64] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(tmp);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	return append(buf, off, nlh);
}

static size_t append_error(char *buf, size_t off, int error)
{
	char tmp[128] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(tmp);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	return append(buf, off, nlh);
}

/* A dump in two messages, the second continuing the first's last peer
 * (the kernel does so when a peer's allowed IPs overflow a message). */
static void test_nl_dump_continued_peer(void **state)
{
	static char all[2 * NLBUF];
	char m[NLBUF] = { 0 };
	static struct wg_snapshot s;
	struct nlmsghdr *nlh;
	struct nlattr *peers, *peer;
	uint8_t key[WG_KEY_LEN];
	size_t off = 0;

	t_track(&s, snap_release);
	nlh = msg_start(m, FAMILY, WG_CMD_GET_DEVICE);
	put_device(nlh);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	put_peer(nlh, 0xbb, "192.0.2.2:2", 0, 0, 0);
	put_peer(nlh, 0xaa, "192.0.2.1:1", 5, 0, 10);
	mnl_attr_nest_end(nlh, peers);
	off = append(all, off, nlh);

	memset(m, 0, sizeof(m));
	nlh = msg_start(m, FAMILY, WG_CMD_GET_DEVICE);
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	key_fill(key, 0xaa);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	put_allowedip(nlh, htonl(0x0a0000ff), 32);
	mnl_attr_nest_end(nlh, peer);
	put_peer(nlh, 0x01, "[2001:db8::1]:3", 0, 0, 0);
	mnl_attr_nest_end(nlh, peers);
	off = append(all, off, nlh);

	/* without DONE: more to come */
	assert_int_equal(wg_nl_dump_run(all, off, SEQ, PORTID, &s), 1);
	wg_snapshot_reset(&s);
	off = append_done(all, off);
	assert_int_equal(wg_nl_dump_run(all, off, SEQ, PORTID, &s), 0);
	assert_int_equal(s.listen_port, 51820);
	assert_int_equal(s.n_peers, 3);
	assert_int_equal(s.peers[0].pubkey[0], 0x01);
	assert_int_equal(s.peers[1].pubkey[0], 0xaa);
	/* the continuation kept the first message's fields */
	assert_ep(&s.peers[1].endpoint, "192.0.2.1:1");
	assert_int_equal(s.peers[1].keepalive, 10);
	assert_int_equal(s.peers[1].handshake_ns, 5000000000ull);
	/* ... and its allowed IPs go on from where they stopped */
	assert_int_equal(s.peers[1].n_allowed, 2);
	assert_memory_equal(s.peers[1].allowed[0].addr, "\x0a\0\0\xaa", 4);
	assert_memory_equal(s.peers[1].allowed[1].addr, "\x0a\0\0\xff", 4);
	assert_int_equal(s.peers[2].pubkey[0], 0xbb);
	wg_snapshot_free(&s);
}

static void test_nl_dump_errors(void **state)
{
	char buf[256] = { 0 };
	static struct wg_snapshot s;
	size_t len;

	t_track(&s, snap_release);
	len = append_error(buf, 0, -ENODEV);
	assert_int_equal(wg_nl_dump_run(buf, len, SEQ, PORTID, &s), -ENODEV);
	len = append_error(buf, 0, -EOPNOTSUPP);
	assert_int_equal(wg_nl_dump_run(buf, len, SEQ, PORTID, &s),
			 -EOPNOTSUPP);
	len = append_error(buf, 0, -EPERM);
	assert_int_equal(wg_nl_dump_run(buf, len, SEQ, PORTID, &s), -EPERM);
	/* another request's reply is not ours */
	len = append_done(buf, 0);
	assert_int_equal(wg_nl_dump_run(buf, len, SEQ + 1, PORTID, &s),
			 -EPROTO);
	wg_snapshot_free(&s);
}

static void test_nl_strerror(void **state)
{
	char err[WG_ERRLEN];

	wg_nl_strerror(-ENODEV, "wg7", err, sizeof(err));
	assert_string_equal(err, "wg7: no such interface");
	wg_nl_strerror(-EOPNOTSUPP, "eth0", err, sizeof(err));
	assert_string_equal(err, "eth0: not a WireGuard interface");
	wg_nl_strerror(-EPERM, "wg7", err, sizeof(err));
	assert_non_null(strstr(err, "permission denied"));
	wg_nl_strerror(-ENOENT, "wg7", err, sizeof(err));
	assert_non_null(strstr(err, "module not available"));
}

enum bad_kind {
	BAD_KEY_LEN, BAD_EP_LEN, BAD_EP_FAMILY, BAD_NO_KEY, BAD_PORT_LEN,
	BAD_HS_NSEC, BAD_HS_NEG, BAD_KA_LEN, BAD_PEERS_NOT_NESTED, BAD_MAX
};

static struct nlmsghdr *bad_msg(char *buf, enum bad_kind kind)
{
	struct nlmsghdr *nlh = msg_start(buf, FAMILY, WG_CMD_GET_DEVICE);
	struct __kernel_timespec ts = { 1, 0 };
	uint8_t key[WG_KEY_LEN] = { 1 };
	struct nlattr *peers, *peer;
	uint32_t u32 = 0;

	if (kind == BAD_PORT_LEN) {
		mnl_attr_put_u32(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
		return nlh;
	}
	if (kind == BAD_PEERS_NOT_NESTED) {
		mnl_attr_put(nlh, WGDEVICE_A_PEERS, 2, "x");
		return nlh;
	}
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	if (kind != BAD_NO_KEY)
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY,
			     kind == BAD_KEY_LEN ? 31 : WG_KEY_LEN, key);
	if (kind == BAD_EP_LEN)
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, 10, "\x02\x00........");
	if (kind == BAD_EP_FAMILY) {
		struct sockaddr_in6 sa = { .sin6_family = AF_UNIX };

		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sa), &sa);
	}
	if (kind == BAD_HS_NSEC || kind == BAD_HS_NEG) {
		if (kind == BAD_HS_NSEC)
			ts.tv_nsec = 1000000000;
		else
			ts.tv_sec = -1;
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts),
			     &ts);
	}
	if (kind == BAD_KA_LEN)
		mnl_attr_put(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 4,
			     &u32);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	return nlh;
}

static void test_nl_malformed(void **state)
{
	static struct wg_snapshot s;

	t_track(&s, snap_release);
	for (int k = 0; k < BAD_MAX; k++) {
		char buf[NLBUF] = { 0 };
		int rc = wg_nl_parse_device(bad_msg(buf, k), &s);

		if (rc != -EPROTO)
			fail_msg("bad kind %d: rc %d", k, rc);
		wg_snapshot_reset(&s);
	}
	wg_snapshot_free(&s);
}

/* Cut a good message anywhere: never a crash, never a wrong read. */
static void test_nl_truncated(void **state)
{
	char buf[NLBUF] = { 0 };
	struct nlmsghdr *nlh = msg_start(buf, FAMILY, WG_CMD_GET_DEVICE);
	static struct wg_snapshot s;
	struct nlattr *peers;
	uint32_t full;

	t_track(&s, snap_release);
	put_device(nlh);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	put_peer(nlh, 0xaa, "192.0.2.1:51820", 1, 2, 3);
	mnl_attr_nest_end(nlh, peers);
	full = nlh->nlmsg_len;
	/* shrink the outer length: the last attribute no longer fits */
	for (uint32_t len = full - 1; len > MNL_NLMSG_HDRLEN; len--) {
		nlh->nlmsg_len = len;
		int rc = wg_nl_parse_device(nlh, &s);

		assert_true(rc == -EPROTO || rc == 0);
		wg_snapshot_reset(&s);
	}
	/* a nest whose length runs past the message */
	nlh->nlmsg_len = full;
	peers->nla_len += 8;
	assert_int_equal(wg_nl_parse_device(nlh, &s), -EPROTO);
	wg_snapshot_free(&s);
}

/* Walk a request's attributes as the kernel would. */
static void test_nl_requests(void **state)
{
	char buf[WG_NL_REQ_MIN];
	uint8_t key[WG_KEY_LEN];
	struct wgt_ep ep = ep_of("[2001:db8::9]:4000"), got;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct nlattr *a, *p, *pa;
	int seen = 0;

	key_seq(key);
	assert_null(wg_nl_get_req(buf, 100, FAMILY, 1, "wg0"));
	nlh = wg_nl_get_req(buf, sizeof(buf), FAMILY, 9, "wgt-1");
	assert_int_equal(nlh->nlmsg_type, FAMILY);
	assert_int_equal(nlh->nlmsg_seq, 9);
	assert_int_equal(nlh->nlmsg_flags,
			 NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
	g = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(g->cmd, WG_CMD_GET_DEVICE);
	a = mnl_nlmsg_get_payload_offset(nlh, sizeof(*g));
	assert_int_equal(mnl_attr_get_type(a), WGDEVICE_A_IFNAME);
	assert_string_equal(mnl_attr_get_str(a), "wgt-1");

	nlh = wg_nl_set_endpoint_req(buf, sizeof(buf), FAMILY, 10, "wgt-1",
				     key, &ep);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	g = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(g->cmd, WG_CMD_SET_DEVICE);
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(a) == WGDEVICE_A_IFNAME) {
			assert_string_equal(mnl_attr_get_str(a), "wgt-1");
			seen |= 1;
			continue;
		}
		assert_int_equal(mnl_attr_get_type(a), WGDEVICE_A_PEERS);
		mnl_attr_for_each_nested(p, a) mnl_attr_for_each_nested(pa, p) {
			switch (mnl_attr_get_type(pa)) {
			case WGPEER_A_PUBLIC_KEY:
				assert_memory_equal(mnl_attr_get_payload(pa),
						    key, WG_KEY_LEN);
				seen |= 2;
				break;
			case WGPEER_A_FLAGS:
				assert_int_equal(mnl_attr_get_u32(pa),
						 WGPEER_F_UPDATE_ONLY);
				seen |= 4;
				break;
			case WGPEER_A_ENDPOINT:
				assert_int_equal(mnl_attr_get_payload_len(pa),
						 sizeof(struct sockaddr_in6));
				assert_int_equal(wg_nl_parse_sockaddr(
					mnl_attr_get_payload(pa),
					mnl_attr_get_payload_len(pa), &got), 0);
				assert_true(ep_eq(&got, &ep));
				seen |= 8;
				break;
			default:
				fail_msg("unexpected peer attribute %u",
					 mnl_attr_get_type(pa));
			}
		}
	}
	assert_int_equal(seen, 15);
}

static void test_nl_family(void **state)
{
	char buf[NLBUF] = { 0 };
	struct nlmsghdr *nlh = msg_start(buf, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	struct nlattr *ops;
	uint16_t id;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x22);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	ops = mnl_attr_nest_start(nlh, CTRL_ATTR_OPS);
	mnl_attr_put_u32(nlh, 1, 0);
	mnl_attr_nest_end(nlh, ops);
	assert_int_equal(wg_nl_parse_family(nlh, &id), 0);
	assert_int_equal(id, 0x22);

	nlh = msg_start(buf, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	assert_int_equal(wg_nl_parse_family(nlh, &id), -EPROTO);
}

/* ---- Mutations: malformed input never crashes (run under ASan) ---- */

static uint32_t rng = 0x2112a442;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Flip, overwrite, insert or delete a few bytes of buf (len <= cap). */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
	static const uint8_t special[] = { '\n', '=', ':', '[', ']', '%', 0,
					   0xff, '0', '9' };
	uint32_t n = 1 + rnd() % 4;

	for (uint32_t i = 0; i < n && len; i++) {
		size_t at = rnd() % len;

		switch (rnd() % 4) {
		case 0:
			buf[at] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:
			buf[at] = special[rnd() % sizeof(special)];
			break;
		case 2:
			if (len < cap) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = special[rnd() % sizeof(special)];
				len++;
			}
			break;
		default:
			memmove(buf + at, buf + at + 1, len - at - 1);
			len--;
		}
	}
	return len;
}

static void test_uapi_mutations(void **state)
{
	size_t len = strlen(uapi_reply);
	uint8_t buf[2048];
	static struct wg_snapshot s;

	t_track(&s, snap_release);
	for (int i = 0; i < 20000; i++) {
		size_t n;
		int rc;

		memcpy(buf, uapi_reply, len);
		n = mutate(buf, len, sizeof(buf));
		rc = feed_chunks(&s, (const char *)buf, n, 1 + rnd() % 64);
		/* whatever it says, a finished snapshot is sorted, unique */
		if (rc == 1)
			for (uint32_t j = 1; j < s.n_peers; j++)
				assert_true(memcmp(s.peers[j - 1].pubkey,
						   s.peers[j].pubkey,
						   WG_KEY_LEN) < 0);
		assert_true(s.n_peers <= 3 || rc != 1);
	}
	wg_snapshot_free(&s);
}

static void test_nl_mutations(void **state)
{
	static char buf[NLBUF];
	struct nlmsghdr *nlh;
	static struct wg_snapshot s;
	struct nlattr *peers;
	uint8_t work[NLBUF];
	size_t len;

	t_track(&s, snap_release);
	nlh = msg_start(buf, FAMILY, WG_CMD_GET_DEVICE);
	put_device(nlh);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	put_peer(nlh, 0xaa, "192.0.2.1:51820", 1, 2, 3);
	put_peer(nlh, 0xbb, "[2001:db8::1]:5", 1, 2, 3);
	mnl_attr_nest_end(nlh, peers);
	len = nlh->nlmsg_len;
	for (int i = 0; i < 20000; i++) {
		struct nlmsghdr *m = (struct nlmsghdr *)work;
		size_t body;

		memcpy(work, buf, len);
		/* keep the netlink header's length true to the bytes */
		body = mutate(work + MNL_NLMSG_HDRLEN, len - MNL_NLMSG_HDRLEN,
			      sizeof(work) - MNL_NLMSG_HDRLEN);
		m->nlmsg_len = (uint32_t)(MNL_NLMSG_HDRLEN + body);
		wg_snapshot_reset(&s);
		if (wg_nl_parse_device(m, &s) == 0)
			assert_true(s.n_peers <= 2);
	}
	wg_snapshot_free(&s);
}

/* ---- UAPI client against a fake implementation ---- */

enum fake_mode { FAKE_REPLY, FAKE_TRICKLE, FAKE_CLOSE, FAKE_SILENT };

struct fake {
	char dir[64];
	char path[128];
	int lfd;
	enum fake_mode mode;
	const char *reply;
	char req[512];
	size_t req_len;
	pthread_t thread;
};

/* Read one request: "get=1\n\n", or "set=1\n" up to an empty line. */
static void fake_read_request(struct fake *f, int fd)
{
	char c;

	f->req_len = 0;
	while (f->req_len < sizeof(f->req) - 1 && read(fd, &c, 1) == 1) {
		f->req[f->req_len++] = c;
		f->req[f->req_len] = 0;
		if (f->req_len >= 2 && !strcmp(f->req + f->req_len - 2, "\n\n"))
			break;
	}
}

/* No cmocka asserts in this thread: a failure cannot longjmp across. */
static void write_all(int fd, const char *buf, size_t len, size_t chunk)
{
	while (len) {
		ssize_t n = write(fd, buf, len < chunk ? len : chunk);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void *fake_serve(void *arg)
{
	struct fake *f = arg;
	size_t len = strlen(f->reply);
	char c;
	int fd;

	fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	fake_read_request(f, fd);
	if (f->mode == FAKE_REPLY)
		write_all(fd, f->reply, len, len);
	else if (f->mode == FAKE_TRICKLE)
		write_all(fd, f->reply, len, 1);
	else if (f->mode == FAKE_CLOSE)
		write_all(fd, f->reply, len / 2, len);
	/* like wireguard-go, keep the connection until the client closes */
	if (f->mode != FAKE_CLOSE)
		while (read(fd, &c, 1) > 0)
			;
	close(fd);
	return NULL;
}

static void fake_listen(struct fake *f, const char *ifname)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(f->dir, "/tmp/wgtest.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/%s.sock", f->dir, ifname);
	strcpy(sa.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
}

static void fake_serve_once(struct fake *f, enum fake_mode mode,
			    const char *reply)
{
	f->mode = mode;
	f->reply = reply;
	assert_int_equal(pthread_create(&f->thread, NULL, fake_serve, f), 0);
}

static void fake_stop(struct fake *f)
{
	if (f->lfd >= 0)
		close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

/* wg_open_at probes the socket once: serve that connection first. */
static void fake_open(struct fake *f, struct wg_dev *dev, const char *ifname)
{
	char err[WG_ERRLEN];

	fake_listen(f, ifname);
	fake_serve_once(f, FAKE_SILENT, "");
	assert_int_equal(wg_open_at(dev, ifname, f->dir, err, sizeof(err)), 0);
	pthread_join(f->thread, NULL);
	assert_int_equal(dev->backend, WG_BACKEND_UAPI);
	assert_string_equal(dev->sock_path, f->path);
}

static void test_client_get(void **state)
{
	static struct wg_snapshot s;
	struct fake f;
	struct wg_dev dev;
	char err[WG_ERRLEN];

	t_track(&s, snap_release);
	fake_open(&f, &dev, "wgt-get");
	fake_serve_once(&f, FAKE_TRICKLE, uapi_reply);
	assert_int_equal(wg_snapshot(&dev, &s, err, sizeof(err)), 0);
	pthread_join(f.thread, NULL);
	assert_string_equal(f.req, "get=1\n\n");
	check_uapi_snapshot(&s);

	/* a reply cut short by the implementation: an error, an empty
	 * snapshot, and the allocation kept */
	fake_serve_once(&f, FAKE_CLOSE, uapi_reply);
	assert_int_equal(wg_snapshot(&dev, &s, err, sizeof(err)), -ECONNRESET);
	pthread_join(f.thread, NULL);
	assert_non_null(strstr(err, "closed mid-reply"));
	assert_int_equal(s.n_peers, 0);

	fake_serve_once(&f, FAKE_REPLY, "errno=-5\n\n");
	assert_int_equal(wg_snapshot(&dev, &s, err, sizeof(err)), -EIO);
	pthread_join(f.thread, NULL);
	assert_non_null(strstr(err, "errno=-5"));
	wg_close(&dev);
	wg_snapshot_free(&s);
	fake_stop(&f);
}

static void test_client_timeout(void **state)
{
	static struct wg_snapshot s;
	struct fake f;
	struct wg_dev dev;
	char err[WG_ERRLEN];

	t_track(&s, snap_release);
	fake_open(&f, &dev, "wgt-slow");
	fake_serve_once(&f, FAKE_SILENT, "");
	assert_int_equal(wg_snapshot(&dev, &s, err, sizeof(err)), -ETIMEDOUT);
	pthread_join(f.thread, NULL);
	assert_non_null(strstr(err, "within 2 s"));
	wg_close(&dev);
	wg_snapshot_free(&s);
	fake_stop(&f);
}

static void test_client_set_endpoint(void **state)
{
	struct wgt_ep ep = ep_of("198.51.100.7:51820");
	uint8_t key[WG_KEY_LEN];
	struct fake f;
	struct wg_dev dev;
	char err[WG_ERRLEN];

	key_seq(key);
	fake_open(&f, &dev, "wgt-set");
	fake_serve_once(&f, FAKE_REPLY, "errno=0\n\n");
	assert_int_equal(wg_set_endpoint(&dev, key, &ep, err, sizeof(err)), 0);
	pthread_join(f.thread, NULL);
	assert_string_equal(f.req, "set=1\npublic_key=" HEX_SEQ
			    "\nupdate_only=true\nendpoint=198.51.100.7:51820\n\n");

	fake_serve_once(&f, FAKE_REPLY, "errno=-22\n\n");
	assert_int_equal(wg_set_endpoint(&dev, key, &ep, err, sizeof(err)),
			 -EINVAL);
	pthread_join(f.thread, NULL);
	assert_non_null(strstr(err, "request failed"));

	memset(&ep, 0, sizeof(ep));
	assert_int_equal(wg_set_endpoint(&dev, key, &ep, err, sizeof(err)),
			 -EINVAL);
	wg_close(&dev);
	fake_stop(&f);
}

static void test_open_errors(void **state)
{
	char dir[] = "/tmp/wgtest.XXXXXX", err[WG_ERRLEN];
	struct wg_dev dev;
	struct fake f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(wg_open_at(&dev, "wgt-none0", dir, err, sizeof(err)),
			 -ENODEV);
	assert_non_null(strstr(err, "wgt-none0: no such interface"));
	assert_int_equal(wg_open_at(&dev, "../etc", dir, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(wg_open_at(&dev, "", dir, err, sizeof(err)), -EINVAL);
	assert_int_equal(wg_open_at(&dev, "0123456789abcdefg", dir, err,
				    sizeof(err)), -EINVAL);
	/* lo exists in every namespace and is no WireGuard interface;
	 * without privileges a kernel module would answer EPERM first */
	int rc = wg_open_at(&dev, "lo", dir, err, sizeof(err));

	if (geteuid() == 0 || rc != -EPERM) {
		assert_int_equal(rc, -EOPNOTSUPP);
		assert_non_null(strstr(err, "lo: not a WireGuard interface"));
	}
	rmdir(dir);

	/* a socket left behind by a killed implementation */
	fake_listen(&f, "wgt-stale");
	close(f.lfd);
	f.lfd = -1;
	assert_int_equal(wg_open_at(&dev, "wgt-stale", f.dir, err,
				    sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, "stale socket"));
	fake_stop(&f);
}

static void test_snapshot_not_open(void **state)
{
	struct wg_dev dev = { 0 };
	static struct wg_snapshot s;
	char err[WG_ERRLEN];

	t_track(&s, snap_release);
	assert_int_equal(wg_snapshot(&dev, &s, err, sizeof(err)), -EBADF);
	assert_string_equal(wg_backend_name(WG_BACKEND_NETLINK), "netlink");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_public),
		cmocka_unit_test_teardown(test_key_base64, t_cleanup),
		cmocka_unit_test_teardown(test_key_base64_invalid, t_cleanup),
		cmocka_unit_test_teardown(test_key_hex, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_reply, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_private_out, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_any_split, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_allowed_overflow, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_trailing_ignored, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_long_lines, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_malformed, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_nul_in_line, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_errno, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_endpoints, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_set_request, t_cleanup),
		cmocka_unit_test_teardown(test_diff, t_cleanup),
		cmocka_unit_test_teardown(test_snapshot_find_and_reuse, t_cleanup),
		cmocka_unit_test_teardown(test_ep_normalize, t_cleanup),
		cmocka_unit_test_teardown(test_nl_device, t_cleanup),
		cmocka_unit_test_teardown(test_nl_dump_continued_peer, t_cleanup),
		cmocka_unit_test_teardown(test_nl_dump_errors, t_cleanup),
		cmocka_unit_test_teardown(test_nl_strerror, t_cleanup),
		cmocka_unit_test_teardown(test_nl_malformed, t_cleanup),
		cmocka_unit_test_teardown(test_nl_truncated, t_cleanup),
		cmocka_unit_test_teardown(test_nl_requests, t_cleanup),
		cmocka_unit_test_teardown(test_nl_family, t_cleanup),
		cmocka_unit_test_teardown(test_uapi_mutations, t_cleanup),
		cmocka_unit_test_teardown(test_nl_mutations, t_cleanup),
		cmocka_unit_test_teardown(test_client_get, t_cleanup),
		cmocka_unit_test_teardown(test_client_timeout, t_cleanup),
		cmocka_unit_test_teardown(test_client_set_endpoint, t_cleanup),
		cmocka_unit_test_teardown(test_open_errors, t_cleanup),
		cmocka_unit_test_teardown(test_snapshot_not_open, t_cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
