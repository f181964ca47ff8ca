// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "base/secret.h"
#include "tsig.h"

/* The HMACs ldns signs with; MD5 and SHA-1 are deprecated (RFC 8945 6). */
static const char *const algorithms[] = {
	"hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224",
};

static int absolute(char *dst, size_t len, const char *s, size_t n)
{
	if (n == 0 || n + 2 > len)
		return -1;
	memcpy(dst, s, n);
	dst[n] = 0;
	if (dst[n - 1] != '.')
		strcat(dst, ".");
	return 0;
}

int tsig_parse(const char *line, struct dns_tsig *k, char *why, size_t len)
{
	const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *alg = "hmac-sha256", *name = line, *secret;
	size_t alg_len = strlen(alg), name_len;
	uint8_t raw[192];
	bool known = false;

	memset(k, 0, sizeof(*k));
	if (!c1) {
		snprintf(why, len, "expected ALGORITHM:NAME:SECRET");
		return -1;
	}
	if (c2) {
		alg = line;
		alg_len = c1 - line;
		name = c1 + 1;
		secret = c2 + 1;
		name_len = c2 - name;
	} else {
		secret = c1 + 1;
		name_len = c1 - line;
	}
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(*algorithms); i++)
		if (strlen(algorithms[i]) == alg_len &&
		    !strncasecmp(alg, algorithms[i], alg_len))
			known = true;
	if (!known) {
		snprintf(why, len,
			 "unsupported TSIG algorithm '%.*s' (hmac-sha256, -sha384, -sha512 or -sha224)",
			 (int)(alg_len < 32 ? alg_len : 32), alg);
		return -1;
	}
	if (absolute(k->algorithm, sizeof(k->algorithm), alg, alg_len) ||
	    absolute(k->name, sizeof(k->name), name, name_len)) {
		snprintf(why, len, "invalid TSIG key name");
		return -1;
	}
	for (char *p = k->algorithm; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	/* base64: a multiple of 4 characters that OpenSSL decodes */
	if (!*secret || strlen(secret) >= sizeof(k->secret) ||
	    strlen(secret) % 4 || strlen(secret) / 4 * 3 > sizeof(raw) ||
	    EVP_DecodeBlock(raw, (const unsigned char *)secret,
			    (int)strlen(secret)) <= 0) {
		snprintf(why, len, "the TSIG secret is not base64");
		return -1;
	}
	explicit_bzero(raw, sizeof(raw));
	strcpy(k->secret, secret);
	return 0;
}

int tsig_read(const char *path, struct dns_tsig *k, char *why, size_t len)
{
	char line[600], msg[200];
	int rc;

	if (secret_read(path, "TSIG key file", line, sizeof(line), why, len))
		return -1;
	rc = tsig_parse(line, k, msg, sizeof(msg));
	explicit_bzero(line, sizeof(line));
	if (rc)
		snprintf(why, len, "TSIG key file %s: %s", path, msg);
	return rc;
}
