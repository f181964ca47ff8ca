/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS messages of the rendezvous, built and read with ldns: the RFC 2136
 * UPDATE that publishes (or removes) a node's wgsd records, signed with
 * TSIG, and the queries that read a peer's. No I/O: the caller sends
 * req->wire and hands back what came from the server.
 *
 * Functions return 0 or a negative errno with one line in e.
 */
#ifndef WGT_DNS_MSG_H
#define WGT_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "tsig.h"
#include "wgsd.h"

struct dns_req {
	uint16_t id;
	uint16_t qtype;			/* 0: an UPDATE */
	char qname[WGSD_NAME_MAX];	/* queries: the name asked */
	uint8_t *wire;
	size_t len;
	void *mac;			/* UPDATE: our TSIG MAC (ldns_rdf) */
};

/* Replace rec's records in zone (the PTR, and SRV, A/AAAA, TXT at its
 * instance), or with rec->endpoint.family 0 remove them. */
int dns_update_new(struct dns_req *r, const char *zone,
		   const struct wgsd_record *rec, uint32_t ttl,
		   const struct dns_tsig *k, struct wgt_err *e);
/* The server's answer to an UPDATE: 0 applied; -ESRCH not an answer to
 * r; -EACCES refused (rcode, TSIG error named in e); -EBADMSG an answer
 * whose TSIG does not verify. */
int dns_update_result(const struct dns_req *r, const uint8_t *buf,
		      size_t len, const struct dns_tsig *k, struct wgt_err *e);

/* A query for name's records of type (LDNS_RR_TYPE_SRV, _A, _AAAA). */
int dns_query_new(struct dns_req *r, const char *name, uint16_t type,
		  struct wgt_err *e);
/* Take an answer to r into rec: the SRV's port and target (into target,
 * when given), A/AAAA at the target (or at the name asked), TXT
 * candidates. 0 when it held records; -ENOENT for NXDOMAIN or no data;
 * -ESRCH not an answer to r; -EPROTO a server failure. */
int dns_answer_take(const struct dns_req *r, const uint8_t *buf, size_t len,
		    struct wgsd_record *rec, char *target, size_t tlen,
		    struct wgt_err *e);

void dns_req_free(struct dns_req *r);

#endif
