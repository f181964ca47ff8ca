/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The credentials a [Relay] gives: its password file's (long-term
 * credentials), or TURN REST API credentials minted from its secret file
 * (coturn's static-auth-secret), valid for CredentialLifetime. Files are
 * read each time, so a reload picks up a rotated secret. Messages name
 * the file, never its content.
 */
#ifndef WGT_RELAY_CREDS_H
#define WGT_RELAY_CREDS_H

#include <stddef.h>
#include <stdint.h>
#include "upconf.h"

#define CREDS_USER_MAX 256	/* the TURN client's limits */
#define CREDS_PASS_MAX 256

struct relay_creds {
	char username[CREDS_USER_MAX];
	char password[CREDS_PASS_MAX];
	uint64_t expiry_s;	/* Unix time; 0: they do not expire */
};

/* Credentials from rc now (now_s: Unix time). 0, or -1 with a reason. */
int relay_creds_get(const struct relay_conf *rc, uint64_t now_s,
		    struct relay_creds *out, char *why, size_t whylen);
/* REST credentials only: the password of a username minted before (the
 * allocation a previous daemon made with it). 0, or -1 with a reason. */
int relay_creds_of(const struct relay_conf *rc, const char *username,
		   struct relay_creds *out, char *why, size_t whylen);
/* When to mint new ones: a quarter of their lifetime before expiry (at
 * least 5 s before), Unix s; 0 for credentials that do not expire. */
uint64_t relay_creds_renew_at(const struct relay_conf *rc,
			      const struct relay_creds *c);

#endif
