// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "rest_cred.h"

int rest_cred_password(const char *secret, const char *username,
		       char *password, size_t plen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!HMAC(EVP_sha1(), secret, (int)strlen(secret),
		  (const unsigned char *)username, strlen(username), mac, &n))
		return -1;
	/* base64 of 20 bytes: 28 characters and the NUL */
	if (plen < 4 * ((n + 2) / 3) + 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)password, mac, (int)n);
	return 0;
}

int rest_cred_make(const char *secret, const char *user, uint64_t expiry,
		   char *username, size_t ulen, char *password, size_t plen)
{
	int n = snprintf(username, ulen, "%" PRIu64 ":%s", expiry, user);

	if (n < 0 || (size_t)n >= ulen)
		return -1;
	return rest_cred_password(secret, username, password, plen);
}

uint64_t rest_cred_expiry(const char *username)
{
	char *end;
	unsigned long long v = strtoull(username, &end, 10);

	return end != username && *end == ':' ? v : 0;
}
