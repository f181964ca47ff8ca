/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `wgturn up` is told: from the command line or a wg-quick-style
 * INI file ([Interface] Uplink = ...; one or more [Relay] sections with
 * Server = turn:HOST[:PORT], Username, PasswordFile).
 */
#ifndef WGT_UPCONF_H
#define WGT_UPCONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wgturn.h"

#define UP_MAX_RELAYS 4
#define UP_HOST_MAX 256
#define UP_USER_MAX 256
#define UP_PASS_MAX 256

struct relay_conf {
	char host[UP_HOST_MAX];	/* name or address literal, no brackets */
	uint16_t port;		/* default 3478 */
	char username[UP_USER_MAX];
	char password_file[4096];
};

struct up_conf {
	char wgif[IF_NAMESIZE];
	int n_uplinks;
	char uplinks[WGT_MAX_UPLINKS][IF_NAMESIZE];
	int n_relays;
	struct relay_conf relays[UP_MAX_RELAYS];
	bool foreground;
};

/* RFC 7065 turn: URI, UDP only. 0, or -1 with a one-line reason. */
int turn_uri_parse(const char *uri, char *host, size_t hostlen,
		   uint16_t *port, char *why, size_t whylen);
/* Read a password file that only its owner can read; strips one
 * trailing newline. 0, or -1 with a one-line reason. */
int password_read(const char *path, char *buf, size_t len, char *why,
		  size_t whylen);
/* Load an INI file into c (wgif is not touched). */
int up_conf_load(const char *path, struct up_conf *c, char *why,
		 size_t whylen);

#endif
