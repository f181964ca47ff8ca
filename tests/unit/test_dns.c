// SPDX-License-Identifier: GPL-2.0
/*
 * The rendezvous' DNS messages (user/dns/): wgsd's record names, TSIG key
 * files, the UPDATE as the server sees it (decoded here by ldns, checked
 * field by field, its TSIG verified), and answers built here as a server
 * would send them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <openssl/evp.h>
#include "base/addr.h"
#include "dns/msg.h"
#include "dns/tsig.h"
#include "dns/wgsd.h"

static const char SECRET[] = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM=";

static void key_b64(const char *b64, uint8_t key[WGSD_KEY_LEN])
{
	uint8_t raw[48];

	assert_int_equal(EVP_DecodeBlock(raw, (const unsigned char *)b64, 44), 33);
	memcpy(key, raw, WGSD_KEY_LEN);
}

static struct wgt_ep EP(const char *s)
{
	struct wgt_ep e;
	char why[128];

	assert_int_equal(ep_parse(s, &e, why, sizeof(why)), 0);
	return e;
}

/* The three names of wgsd's README example (its encoder's output). */
static void test_wgsd_names(void **state)
{
	static const char *const v[][2] = {
		{ "xScVkH3fUGUv4RrJFfmcqm8rs3SEHr41km6+yffAHw4=",
		  "yutrled535igkl7bdlerl6m4vjxsxm3uqqpl4nmsn27mt56ad4ha====" },
		{ "syKB97XhGnvC+kynh2KqQJPXoOoOpx/HmpMRTc+r4js=",
		  "wmrid55v4enhxqx2jstyoyvkicj5pihkb2tr7r42smiu3t5l4i5q====" },
		{ "JeZlz14G8tg1Bqh6apteFCwVhNhpexJ19FDPfuxQtUY=",
		  "extglt26a3znqnigvb5gvg26cqwblbgynf5re5pukdhx53cqwvda====" },
	};
	char name[WGSD_NAME_MAX], want[WGSD_NAME_MAX];
	uint8_t key[WGSD_KEY_LEN];

	for (size_t i = 0; i < 3; i++) {
		key_b64(v[i][0], key);
		assert_int_equal(wgsd_instance(key, "example.com", name,
					       sizeof(name)), 0);
		snprintf(want, sizeof(want), "%s._wireguard._udp.example.com.",
			 v[i][1]);
		assert_string_equal(name, want);
		/* an absolute zone gets no second dot */
		assert_int_equal(wgsd_instance(key, "example.com.", name,
					       sizeof(name)), 0);
		assert_string_equal(name, want);
	}
	assert_int_equal(wgsd_service("wg.test", name, sizeof(name)), 0);
	assert_string_equal(name, "_wireguard._udp.wg.test.");
	assert_int_equal(wgsd_instance(key, "wg.test", name, 20), -1);
}

static void test_txt(void **state)
{
	struct wgsd_record r = { .relayed = EP("203.0.113.1:49152"),
				 .srflx = EP("198.51.100.7:40000"),
				 .host = { EP("10.0.0.2:51820"),
					   EP("[2001:db8::2]:51820") },
				 .n_host = 2 }, back = {};
	char s[9][64];
	int n;

	key_b64("xScVkH3fUGUv4RrJFfmcqm8rs3SEHr41km6+yffAHw4=", r.pubkey);
	n = wgsd_txt_strings(&r, s, 9);
	assert_int_equal(n, 7);
	assert_string_equal(s[0], "txtvers=1");
	assert_string_equal(s[1], "pub=xScVkH3fUGUv4RrJFfmcqm8rs3SEHr41km6+yffAHw4=");
	assert_string_equal(s[2], "wgturn=1");
	assert_string_equal(s[3], "relay=203.0.113.1:49152");
	assert_string_equal(s[4], "srflx=198.51.100.7:40000");
	assert_string_equal(s[5], "host=10.0.0.2:51820");
	assert_string_equal(s[6], "host=[2001:db8::2]:51820");
	for (int i = 0; i < n; i++)
		wgsd_txt_take(&back, s[i], strlen(s[i]));
	assert_true(back.has_txt);
	assert_true(ep_eq(&back.relayed, &r.relayed));
	assert_true(ep_eq(&back.srflx, &r.srflx));
	assert_int_equal(back.n_host, 2);
	assert_true(ep_eq(&back.host[1], &r.host[1]));
	/* unknown keys and bad values are ignored */
	memset(&back, 0, sizeof(back));
	wgsd_txt_take(&back, "allowed=10.0.0.1/32", 19);
	wgsd_txt_take(&back, "relay=nonsense", 14);
	assert_false(back.has_txt);
}

static void test_tsig_parse(void **state)
{
	struct dns_tsig k;
	char why[200], line[300];

	snprintf(line, sizeof(line), "hmac-sha256:wgturn-key:%s", SECRET);
	assert_int_equal(tsig_parse(line, &k, why, sizeof(why)), 0);
	assert_string_equal(k.algorithm, "hmac-sha256.");
	assert_string_equal(k.name, "wgturn-key.");
	assert_string_equal(k.secret, SECRET);
	snprintf(line, sizeof(line), "wgturn-key.:%s", SECRET);
	assert_int_equal(tsig_parse(line, &k, why, sizeof(why)), 0);
	assert_string_equal(k.algorithm, "hmac-sha256.");
	assert_string_equal(k.name, "wgturn-key.");
	snprintf(line, sizeof(line), "HMAC-SHA512:k:%s", SECRET);
	assert_int_equal(tsig_parse(line, &k, why, sizeof(why)), 0);
	assert_string_equal(k.algorithm, "hmac-sha512.");

	snprintf(line, sizeof(line), "hmac-md5:k:%s", SECRET);
	assert_int_equal(tsig_parse(line, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "unsupported TSIG algorithm 'hmac-md5'"));
	assert_int_equal(tsig_parse("hmac-sha256:k:not base64!", &k, why,
				    sizeof(why)), -1);
	assert_non_null(strstr(why, "not base64"));
	assert_null(strstr(why, "not base64!"));	/* no secret quoted */
	assert_int_equal(tsig_parse("just-a-secret", &k, why, sizeof(why)), -1);
	assert_null(strstr(why, "just-a-secret"));
	assert_int_equal(tsig_parse("hmac-sha256::x", &k, why, sizeof(why)), -1);
}

static void test_tsig_read(void **state)
{
	char dir[] = "/tmp/wgt-dns-XXXXXX", path[300], why[300];
	struct dns_tsig k;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "hmac-sha256:wgturn-key:%s\n", SECRET);
	fclose(f);
	chmod(path, 0644);
	assert_int_equal(tsig_read(path, &k, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "TSIG key file"));
	assert_non_null(strstr(why, "chmod 600"));
	chmod(path, 0600);
	assert_int_equal(tsig_read(path, &k, why, sizeof(why)), 0);
	assert_string_equal(k.secret, SECRET);
	unlink(path);
	rmdir(dir);
}

static struct dns_tsig KEY(void)
{
	struct dns_tsig k;
	char why[200], line[300];

	snprintf(line, sizeof(line), "hmac-sha256:wgturn-key:%s", SECRET);
	assert_int_equal(tsig_parse(line, &k, why, sizeof(why)), 0);
	return k;
}

static ldns_rr *rr_at(ldns_rr_list *l, size_t i)
{
	assert_true(i < ldns_rr_list_rr_count(l));
	return ldns_rr_list_rr(l, i);
}

static char *owner(ldns_rr *rr)
{
	static char buf[WGSD_NAME_MAX];
	char *s = ldns_rdf2str(ldns_rr_owner(rr));

	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

/* The UPDATE as a server decodes it: zone, then per type "delete the
 * RRset" at the instance, the PTR, SRV, A and TXT; signed with TSIG. */
static void test_update(void **state)
{
	struct dns_tsig k = KEY();
	struct wgsd_record r = { .endpoint = EP("203.0.113.1:49152"),
				 .relayed = EP("203.0.113.1:49152") };
	char inst[WGSD_NAME_MAX], *s;
	struct dns_req q;
	ldns_pkt *p;
	ldns_rr_list *up;
	ldns_rr *rr;

	key_b64("xScVkH3fUGUv4RrJFfmcqm8rs3SEHr41km6+yffAHw4=", r.pubkey);
	wgsd_instance(r.pubkey, "wg.test", inst, sizeof(inst));
	assert_int_equal(dns_update_new(&q, "wg.test", &r, 10, &k, NULL), 0);
	assert_int_equal(ldns_wire2pkt(&p, q.wire, q.len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	assert_int_equal(ldns_pkt_id(p), q.id);
	assert_int_equal(ldns_update_zocount(p), 1);
	assert_string_equal(owner(rr_at(ldns_pkt_question(p), 0)), "wg.test.");
	assert_int_equal(ldns_rr_get_type(rr_at(ldns_pkt_question(p), 0)),
			 LDNS_RR_TYPE_SOA);
	up = ldns_pkt_authority(p);	/* the update section */
	assert_int_equal(ldns_rr_list_rr_count(up), 8);
	for (size_t i = 0; i < 4; i++) {
		rr = rr_at(up, i);
		assert_string_equal(owner(rr), inst);
		assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_ANY);
		assert_int_equal(ldns_rr_rd_count(rr), 0);
	}
	rr = rr_at(up, 4);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_PTR);
	assert_string_equal(owner(rr), "_wireguard._udp.wg.test.");
	s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	assert_string_equal(s, inst);
	free(s);
	rr = rr_at(up, 5);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_SRV);
	assert_int_equal(ldns_rr_ttl(rr), 10);
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rdf(rr, 2)), 49152);
	s = ldns_rdf2str(ldns_rr_rdf(rr, 3));
	assert_string_equal(s, inst);	/* wgsd: the target is the instance */
	free(s);
	rr = rr_at(up, 6);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	{
		static const uint8_t want[] = { 203, 0, 113, 1 };

		assert_memory_equal(ldns_rdf_data(ldns_rr_rdf(rr, 0)), want, 4);
	}
	assert_int_equal(ldns_rr_get_type(rr_at(up, 7)), LDNS_RR_TYPE_TXT);
	/* Signed: the key verifies it, another does not. */
	assert_non_null(ldns_pkt_tsig(p));
	assert_true(ldns_pkt_tsig_verify(p, q.wire, q.len, k.name, k.secret, NULL));
	assert_false(ldns_pkt_tsig_verify(p, q.wire, q.len, k.name,
		     "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC0wMTIzNDU=", NULL));
	ldns_pkt_free(p);
	dns_req_free(&q);

	/* Removal: the four deletes, and the PTR deleted by value. */
	memset(&r.endpoint, 0, sizeof(r.endpoint));
	assert_int_equal(dns_update_new(&q, "wg.test", &r, 10, &k, NULL), 0);
	assert_int_equal(ldns_wire2pkt(&p, q.wire, q.len), LDNS_STATUS_OK);
	up = ldns_pkt_authority(p);
	assert_int_equal(ldns_rr_list_rr_count(up), 5);
	rr = rr_at(up, 4);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_PTR);
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_NONE);
	assert_int_equal(ldns_rr_ttl(rr), 0);
	ldns_pkt_free(p);
	dns_req_free(&q);
}

/* A server's answer to q: rcode, signed with secret (NULL: unsigned), a
 * TSIG error (0: none). */
static size_t update_answer(const struct dns_req *q, uint8_t *out,
			    ldns_pkt_rcode rcode, const char *secret,
			    uint16_t tsig_error, uint16_t id)
{
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire;
	size_t len;

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
	ldns_pkt_set_rcode(p, rcode);
	if (secret || tsig_error)
		assert_int_equal(ldns_pkt_tsig_sign(p, "wgturn-key.",
			secret ? secret : SECRET, 300, "hmac-sha256.",
			(ldns_rdf *)q->mac), LDNS_STATUS_OK);
	if (tsig_error)
		ldns_rr_set_rdf(ldns_pkt_tsig(p),
				ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
						      tsig_error), 5);
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

static void test_update_result(void **state)
{
	struct dns_tsig k = KEY();
	struct wgsd_record r = { .endpoint = EP("203.0.113.1:49152") };
	struct wgt_err e = {};
	struct dns_req q;
	uint8_t out[1024];
	size_t n;

	assert_int_equal(dns_update_new(&q, "wg.test", &r, 10, &k, NULL), 0);
	n = update_answer(&q, out, LDNS_RCODE_NOERROR, SECRET, 0, q.id);
	assert_int_equal(dns_update_result(&q, out, n, &k, &e), 0);
	/* another transaction's */
	n = update_answer(&q, out, LDNS_RCODE_NOERROR, SECRET, 0, q.id ^ 1);
	assert_int_equal(dns_update_result(&q, out, n, &k, &e), -ESRCH);
	/* signed with another key: not believed */
	n = update_answer(&q, out, LDNS_RCODE_NOERROR,
			  "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC0wMTIzNDU=", 0, q.id);
	assert_int_equal(dns_update_result(&q, out, n, &k, &e), -EBADMSG);
	/* the server's refusals, named */
	n = update_answer(&q, out, LDNS_RCODE_NOTAUTH, NULL, 16, q.id);
	assert_int_equal(dns_update_result(&q, out, n, &k, &e), -EACCES);
	assert_non_null(strstr(e.msg, "NOTAUTH, BADSIG"));
	n = update_answer(&q, out, LDNS_RCODE_NOTAUTH, NULL, 17, q.id);
	assert_int_equal(dns_update_result(&q, out, n, &k, &e), -EACCES);
	assert_non_null(strstr(e.msg, "BADKEY"));
	n = update_answer(&q, out, LDNS_RCODE_REFUSED, SECRET, 0, q.id);
	assert_int_equal(dns_update_result(&q, out, n, &k, &e), -EACCES);
	assert_non_null(strstr(e.msg, "REFUSED"));
	assert_null(strstr(e.msg, SECRET));
	/* garbage */
	assert_int_equal(dns_update_result(&q, out, 5, &k, &e), -ESRCH);
	dns_req_free(&q);
}

/* An answer to q with these RRs in answer and additional sections. */
static size_t answer(const struct dns_req *q, uint8_t *out,
		     ldns_pkt_rcode rcode, const char *const *ans,
		     const char *const *add)
{
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire;
	size_t len;
	ldns_rr *rr;

	ldns_pkt_set_id(p, q->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, rcode);
	for (; ans && *ans; ans++) {
		assert_int_equal(ldns_rr_new_frm_str(&rr, *ans, 0, NULL, NULL),
				 LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	for (; add && *add; add++) {
		assert_int_equal(ldns_rr_new_frm_str(&rr, *add, 0, NULL, NULL),
				 LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ADDITIONAL, rr);
	}
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

#define I "k._wireguard._udp.wg.test."

static void test_answers(void **state)
{
	static const char *const srv[] = { I " 10 IN SRV 0 0 49152 " I, NULL };
	static const char *const add[] = {
		I " 10 IN A 203.0.113.1",
		I " 10 IN TXT \"txtvers=1\" \"wgturn=1\" \"relay=203.0.113.1:49152\" \"srflx=198.51.100.7:40000\"",
		"other.wg.test. 10 IN A 192.0.2.99", NULL };
	static const char *const aaaa[] = { I " 10 IN AAAA 2001:db8::1", NULL };
	struct wgsd_record r = {};
	struct wgt_err e = {};
	char target[WGSD_NAME_MAX], a[EP_STRLEN];
	struct dns_req q;
	uint8_t out[2048];
	size_t n;

	assert_int_equal(dns_query_new(&q, I, LDNS_RR_TYPE_SRV, &e), 0);
	n = answer(&q, out, LDNS_RCODE_NOERROR, srv, add);
	assert_int_equal(dns_answer_take(&q, out, n, &r, target, sizeof(target),
					 &e), 0);
	assert_string_equal(ep_str(&r.endpoint, a, sizeof(a)), "203.0.113.1:49152");
	assert_int_equal(r.ttl, 10);
	assert_string_equal(target, I);
	assert_true(r.has_txt);
	assert_string_equal(ep_str(&r.srflx, a, sizeof(a)), "198.51.100.7:40000");
	/* the SRV alone: port and target, no address yet */
	memset(&r, 0, sizeof(r));
	n = answer(&q, out, LDNS_RCODE_NOERROR, srv, NULL);
	assert_int_equal(dns_answer_take(&q, out, n, &r, target, sizeof(target),
					 &e), 0);
	assert_int_equal(r.endpoint.port, 49152);
	assert_int_equal(r.endpoint.family, 0);
	dns_req_free(&q);
	/* then the address, asked for by name */
	assert_int_equal(dns_query_new(&q, target, LDNS_RR_TYPE_AAAA, &e), 0);
	n = answer(&q, out, LDNS_RCODE_NOERROR, aaaa, NULL);
	assert_int_equal(dns_answer_take(&q, out, n, &r, NULL, 0, &e), 0);
	assert_string_equal(ep_str(&r.endpoint, a, sizeof(a)), "[2001:db8::1]:49152");
	/* no such name; no data; a server failure; not ours */
	n = answer(&q, out, LDNS_RCODE_NXDOMAIN, NULL, NULL);
	assert_int_equal(dns_answer_take(&q, out, n, &r, NULL, 0, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "no such name"));
	n = answer(&q, out, LDNS_RCODE_NOERROR, NULL, NULL);
	assert_int_equal(dns_answer_take(&q, out, n, &r, NULL, 0, &e), -ENOENT);
	n = answer(&q, out, LDNS_RCODE_SERVFAIL, NULL, NULL);
	assert_int_equal(dns_answer_take(&q, out, n, &r, NULL, 0, &e), -EPROTO);
	out[0] ^= 1;	/* the id */
	assert_int_equal(dns_answer_take(&q, out, n, &r, NULL, 0, &e), -ESRCH);
	dns_req_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wgsd_names),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_tsig_parse),
		cmocka_unit_test(test_tsig_read),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_update_result),
		cmocka_unit_test(test_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
