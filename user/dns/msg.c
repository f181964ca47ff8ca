// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "base/addr.h"
#include "msg.h"

#define TSIG_FUDGE_S 300
#define TXT_MAX 3 + 2 + WGSD_MAX_HOST

static uint16_t new_id(void)
{
	uint16_t id = 0;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)random();
	return id;
}

static ldns_rr *rr_str(const char *s)
{
	ldns_rr *rr = NULL;

	return ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) == LDNS_STATUS_OK ?
		rr : NULL;
}

/* "delete an RRset" (RFC 2136 2.5.2): class ANY, TTL 0, no RDATA. Type
 * by type rather than "all RRsets" (type ANY): an update policy can then
 * allow exactly the types the layout uses. */
static ldns_rr *rr_delete_set(const char *name, ldns_rr_type type)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *owner = ldns_dname_new_frm_str(name);

	if (!rr || !owner) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(rr, 0);
	ldns_rr_set_question(rr, true);	/* no RDATA, RDLENGTH 0 */
	return rr;
}

static int push(ldns_rr_list *l, ldns_rr *rr)
{
	return rr && ldns_rr_list_push_rr(l, rr) ? 0 : -1;
}

/* The update section: the instance's RRsets replaced (or removed), the
 * PTR to it added (or removed). */
static int updates(ldns_rr_list *l, const char *zone,
		   const struct wgsd_record *rec, uint32_t ttl)
{
	char svc[WGSD_NAME_MAX], inst[WGSD_NAME_MAX], s[1024], a[64];
	char txt[TXT_MAX][64];
	ldns_rr *ptr;
	int n, off;

	static const ldns_rr_type types[] = { LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_A,
					      LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_TXT };

	if (wgsd_service(zone, svc, sizeof(svc)) ||
	    wgsd_instance(rec->pubkey, zone, inst, sizeof(inst)))
		return -1;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (push(l, rr_delete_set(inst, types[i])))
			return -1;
	snprintf(s, sizeof(s), "%s %u IN PTR %s", svc, ttl, inst);
	ptr = rr_str(s);
	if (!ptr)
		return -1;
	if (!rec->endpoint.family) {
		/* "delete an RR from an RRset" (2.5.4): class NONE, TTL 0 */
		ldns_rr_set_class(ptr, LDNS_RR_CLASS_NONE);
		ldns_rr_set_ttl(ptr, 0);
		return push(l, ptr);
	}
	if (push(l, ptr))
		return -1;
	snprintf(s, sizeof(s), "%s %u IN SRV 0 0 %u %s", inst, ttl,
		 rec->endpoint.port, inst);
	if (push(l, rr_str(s)))
		return -1;
	inet_ntop(rec->endpoint.family == WGT_AF_INET ? AF_INET : AF_INET6,
		  rec->endpoint.addr, a, sizeof(a));
	snprintf(s, sizeof(s), "%s %u IN %s %s", inst, ttl,
		 rec->endpoint.family == WGT_AF_INET ? "A" : "AAAA", a);
	if (push(l, rr_str(s)))
		return -1;
	n = wgsd_txt_strings(rec, txt, TXT_MAX);
	if (n < 0)
		return -1;
	off = snprintf(s, sizeof(s), "%s %u IN TXT", inst, ttl);
	for (int i = 0; i < n; i++)
		off += snprintf(s + off, sizeof(s) - off, " \"%s\"", txt[i]);
	return push(l, rr_str(s));
}

static int to_wire(struct dns_req *r, ldns_pkt *p, struct wgt_err *e)
{
	if (ldns_pkt2wire(&r->wire, p, &r->len) != LDNS_STATUS_OK)
		return wgt_err_set(e, -ENOMEM, "cannot encode a DNS message");
	return 0;
}

int dns_update_new(struct dns_req *r, const char *zone,
		   const struct wgsd_record *rec, uint32_t ttl,
		   const struct dns_tsig *k, struct wgt_err *e)
{
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rdf *z = ldns_dname_new_frm_str(zone);
	ldns_pkt *p = NULL;
	int rc = -EINVAL;

	memset(r, 0, sizeof(*r));
	if (!up || !z || updates(up, zone, rec, ttl)) {
		wgt_err_set(e, rc, "cannot build the records for zone %s", zone);
		goto out;
	}
	/* The packet takes z and a copy of the list; up stays ours. */
	p = ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, NULL, up, NULL);
	z = NULL;
	if (!p)
		goto out;
	r->id = new_id();
	ldns_pkt_set_id(p, r->id);
	if (ldns_pkt_tsig_sign(p, k->name, k->secret, TSIG_FUDGE_S,
			       k->algorithm, NULL) != LDNS_STATUS_OK) {
		wgt_err_set(e, rc, "cannot sign the update with TSIG key %s",
			    k->name);
		goto out;
	}
	r->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	rc = r->mac ? to_wire(r, p, e) : -ENOMEM;
out:
	ldns_pkt_free(p);
	ldns_rr_list_deep_free(up);
	ldns_rdf_deep_free(z);
	if (rc)
		dns_req_free(r);
	return rc;
}

static int read_answer(const struct dns_req *r, const uint8_t *buf,
		       size_t len, ldns_pkt **p)
{
	if (ldns_wire2pkt(p, buf, len) != LDNS_STATUS_OK)
		return -ESRCH;
	if (!ldns_pkt_qr(*p) || ldns_pkt_id(*p) != r->id) {
		ldns_pkt_free(*p);
		*p = NULL;
		return -ESRCH;
	}
	return 0;
}

static const char *rcode_str(ldns_pkt_rcode rc, char *buf, size_t len)
{
	const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, rc);

	if (t)
		return t->name;
	snprintf(buf, len, "RCODE %d", rc);
	return buf;
}

/* The TSIG error a server puts in its (unsigned) refusal, RFC 8945 5.3. */
static const char *tsig_error(const ldns_pkt *p)
{
	ldns_rr *t = ldns_pkt_tsig(p);
	ldns_rdf *f = t ? ldns_rr_rdf(t, 5) : NULL;

	if (!f || ldns_rdf_size(f) != 2)
		return NULL;
	switch (ldns_rdf2native_int16(f)) {
	case 16: return "BADSIG: wrong TSIG secret";
	case 17: return "BADKEY: the server does not know this TSIG key or does not allow it this update";
	case 18: return "BADTIME: clocks differ by more than 300 s";
	case 22: return "BADTRUNC";
	default: return NULL;
	}
}

int dns_update_result(const struct dns_req *r, const uint8_t *buf,
		      size_t len, const struct dns_tsig *k, struct wgt_err *e)
{
	ldns_pkt *p;
	ldns_pkt_rcode rc;
	const char *te;
	char b[32];
	int ret = 0;

	if (read_answer(r, buf, len, &p))
		return -ESRCH;
	rc = ldns_pkt_get_rcode(p);
	te = tsig_error(p);
	if (te || (rc != LDNS_RCODE_NOERROR && !ldns_pkt_tsig(p))) {
		ret = wgt_err_set(e, -EACCES, "the DNS server refused the update: %s%s%s",
				  rcode_str(rc, b, sizeof(b)), te ? ", " : "",
				  te ? te : "");
	} else if (!ldns_pkt_tsig_verify(p, buf, len, k->name, k->secret,
					 r->mac)) {
		ret = wgt_err_set(e, -EBADMSG,
				  "the DNS server's answer to the update fails TSIG verification");
	} else if (rc != LDNS_RCODE_NOERROR) {
		ret = wgt_err_set(e, -EACCES, "the DNS server refused the update: %s",
				  rcode_str(rc, b, sizeof(b)));
	}
	ldns_pkt_free(p);
	return ret;
}

int dns_query_new(struct dns_req *r, const char *name, uint16_t type,
		  struct wgt_err *e)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	ldns_pkt *p;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!n || strlen(name) >= sizeof(r->qname)) {
		ldns_rdf_deep_free(n);
		return wgt_err_set(e, -EINVAL, "invalid DNS name '%s'", name);
	}
	p = ldns_pkt_query_new(n, type, LDNS_RR_CLASS_IN, 0);
	if (!p)
		return wgt_err_set(e, -ENOMEM, "cannot build a DNS query");
	r->id = new_id();
	r->qtype = type;
	snprintf(r->qname, sizeof(r->qname), "%s", name);
	ldns_pkt_set_id(p, r->id);
	rc = to_wire(r, p, e);
	ldns_pkt_free(p);
	return rc;
}

static bool owned(const ldns_rr *rr, const char *name)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	bool eq = n && !ldns_dname_compare(ldns_rr_owner(rr), n);

	ldns_rdf_deep_free(n);
	return eq;
}

static void take_addr(struct wgsd_record *rec, const ldns_rr *rr)
{
	ldns_rdf *f = ldns_rr_rdf(rr, 0);
	bool v4 = ldns_rr_get_type(rr) == LDNS_RR_TYPE_A;

	if (!f || ldns_rdf_size(f) != (v4 ? 4u : 16u))
		return;
	/* The first address: a name with both keeps what came first. */
	if (rec->endpoint.family)
		return;
	rec->endpoint.family = v4 ? WGT_AF_INET : WGT_AF_INET6;
	memcpy(rec->endpoint.addr, ldns_rdf_data(f), ldns_rdf_size(f));
}

static void take_txt(struct wgsd_record *rec, const ldns_rr *rr)
{
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		ldns_rdf *f = ldns_rr_rdf(rr, i);

		/* a character-string: a length octet, then the bytes */
		if (ldns_rdf_size(f) >= 1 &&
		    ldns_rdf_data(f)[0] + 1u == ldns_rdf_size(f))
			wgsd_txt_take(rec, (const char *)ldns_rdf_data(f) + 1,
				      ldns_rdf_data(f)[0]);
	}
}

static void take_list(struct wgsd_record *rec, const ldns_rr_list *l,
		      const char *qname, char *target, size_t tlen)
{
	/* SRV first: its target names the address records. */
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		char *t;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SRV ||
		    !owned(rr, qname) || ldns_rr_rd_count(rr) != 4)
			continue;
		rec->endpoint.port = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
		rec->ttl = ldns_rr_ttl(rr);
		t = ldns_rdf2str(ldns_rr_rdf(rr, 3));
		if (t && target)
			snprintf(target, tlen, "%s", t);
		free(t);
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rr_type ty = ldns_rr_get_type(rr);

		if ((ty == LDNS_RR_TYPE_A || ty == LDNS_RR_TYPE_AAAA) &&
		    (owned(rr, qname) || (target && *target && owned(rr, target))))
			take_addr(rec, rr);
		else if (ty == LDNS_RR_TYPE_TXT && owned(rr, qname))
			take_txt(rec, rr);
	}
}

int dns_answer_take(const struct dns_req *r, const uint8_t *buf, size_t len,
		    struct wgsd_record *rec, char *target, size_t tlen,
		    struct wgt_err *e)
{
	ldns_pkt *p;
	ldns_pkt_rcode rc;
	char b[32];
	int ret = 0;

	if (read_answer(r, buf, len, &p))
		return -ESRCH;
	rc = ldns_pkt_get_rcode(p);
	if (rc == LDNS_RCODE_NXDOMAIN) {
		ret = wgt_err_set(e, -ENOENT, "%s: no such name", r->qname);
	} else if (rc != LDNS_RCODE_NOERROR) {
		ret = wgt_err_set(e, -EPROTO, "%s: %s", r->qname,
				  rcode_str(rc, b, sizeof(b)));
	} else if (!ldns_pkt_ancount(p)) {
		ret = wgt_err_set(e, -ENOENT, "%s: no records", r->qname);
	} else {
		take_list(rec, ldns_pkt_answer(p), r->qname, target, tlen);
		take_list(rec, ldns_pkt_additional(p), r->qname, target, tlen);
	}
	ldns_pkt_free(p);
	return ret;
}

void dns_req_free(struct dns_req *r)
{
	free(r->wire);
	ldns_rdf_deep_free(r->mac);
	r->wire = NULL;
	r->mac = NULL;
}
