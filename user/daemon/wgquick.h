/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Peers named the classic way: a DNS name and a port in a wg-quick
 * config's Endpoint = (wg itself keeps only the address it resolved).
 * Only [Peer] PublicKey and Endpoint are read; nothing else of the file
 * (its PrivateKey) is kept.
 */
#ifndef WGT_WGQUICK_H
#define WGT_WGQUICK_H

#include <stddef.h>
#include <stdint.h>
#include "wg/wg.h"

#define WGQ_HOST_MAX 256

struct named_peer {
	uint8_t key[WG_KEY_LEN];
	char host[WGQ_HOST_MAX];	/* a name, never an address literal */
	uint16_t port;
};

/* The peers of the wg-quick config at path whose Endpoint is NAME:PORT,
 * into a malloc'd array (*out, *n). 0, or -1 with a reason. */
int wgquick_named_peers(const char *path, struct named_peer **out, int *n,
			char *why, size_t len);

#endif
