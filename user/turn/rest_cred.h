/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TURN REST API credentials, as coturn checks them with use-auth-secret
 * and static-auth-secret: the username is "EXPIRY:USER" (EXPIRY in Unix
 * seconds), the password base64(HMAC-SHA1(secret, username)). Anyone
 * holding the secret mints them; the relay needs no user database.
 */
#ifndef WGT_REST_CRED_H
#define WGT_REST_CRED_H

#include <stddef.h>
#include <stdint.h>

/* The password for username under secret. 0, or -1 (buffer too small,
 * crypto failure). */
int rest_cred_password(const char *secret, const char *username,
		       char *password, size_t plen);
/* Username and password for user, valid until expiry. 0 or -1. */
int rest_cred_make(const char *secret, const char *user, uint64_t expiry,
		   char *username, size_t ulen, char *password, size_t plen);
/* The expiry a REST username carries, or 0 when it has none. */
uint64_t rest_cred_expiry(const char *username);

#endif
