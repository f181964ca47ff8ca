/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rendezvous record of one node, in wgsd's DNS-SD layout (the CoreDNS
 * plugin's encoder, which wgsd-client reads), under a zone Z:
 *
 *   _wireguard._udp.Z.      PTR  K._wireguard._udp.Z.
 *   K._wireguard._udp.Z.    SRV  0 0 PORT K._wireguard._udp.Z.
 *   K._wireguard._udp.Z.    A or AAAA  ADDRESS
 *   K._wireguard._udp.Z.    TXT  "txtvers=1" "pub=BASE64KEY" "wgturn=1"
 *                                "relay=EP" "srflx=EP" "host=EP"...
 *
 * K is the node's WireGuard public key in lowercase base32 with padding
 * (DNS names are case-insensitive, base64 is not). ADDRESS:PORT is where
 * peers send WireGuard now: the relayed address while relayed. The TXT
 * keys after wgturn=1 (the version of this list) are the candidates.
 */
#ifndef WGT_DNS_WGSD_H
#define WGT_DNS_WGSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wgturn.h"

#define WGSD_KEY_LEN 32
#define WGSD_NAME_MAX 320	/* 56-character label + service + zone */
#define WGSD_MAX_HOST 4
#define WGSD_TXT_VERSION 1	/* wgsd's txtvers */
#define WGSD_CAND_VERSION 1	/* our wgturn= */

struct wgsd_record {
	uint8_t pubkey[WGSD_KEY_LEN];
	struct wgt_ep endpoint;		/* SRV port, A/AAAA */
	struct wgt_ep relayed, srflx;	/* family 0: none */
	struct wgt_ep host[WGSD_MAX_HOST];
	int n_host;
	uint32_t ttl;			/* of the SRV, as served */
	bool has_txt;			/* candidates below came from TXT */
};

/* "_wireguard._udp.ZONE." */
int wgsd_service(const char *zone, char *out, size_t len);
/* "K._wireguard._udp.ZONE.", lowercase. */
int wgsd_instance(const uint8_t key[WGSD_KEY_LEN], const char *zone,
		  char *out, size_t len);
/* TXT character-strings of rec, each NUL-terminated, into out[n][64]. */
int wgsd_txt_strings(const struct wgsd_record *rec, char out[][64], int n);
/* One TXT character-string into rec (unknown keys are ignored). */
void wgsd_txt_take(struct wgsd_record *rec, const char *s, size_t len);

#endif
