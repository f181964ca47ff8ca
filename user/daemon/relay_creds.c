// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include "base/secret.h"
#include "relay_creds.h"
#include "turn/rest_cred.h"

#define SECRET_MAX 1024

static int read_secret(const struct relay_conf *rc, char *secret,
		       char *why, size_t whylen)
{
	return secret_read(rc->secret_file, "auth secret file", secret,
			   SECRET_MAX, why, whylen);
}

int relay_creds_get(const struct relay_conf *rc, uint64_t now_s,
		    struct relay_creds *out, char *why, size_t whylen)
{
	char secret[SECRET_MAX];
	int rc_;

	memset(out, 0, sizeof(*out));
	if (!rc->secret_file[0]) {
		snprintf(out->username, sizeof(out->username), "%s",
			 rc->username);
		return secret_read(rc->password_file, "password file",
				   out->password, sizeof(out->password), why,
				   whylen);
	}
	if (read_secret(rc, secret, why, whylen))
		return -1;
	out->expiry_s = now_s + rc->cred_lifetime;
	rc_ = rest_cred_make(secret, rc->username, out->expiry_s,
			     out->username, sizeof(out->username),
			     out->password, sizeof(out->password));
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc_)
		snprintf(why, whylen, "cannot make REST credentials for user '%s' (too long?)",
			 rc->username);
	return rc_;
}

int relay_creds_of(const struct relay_conf *rc, const char *username,
		   struct relay_creds *out, char *why, size_t whylen)
{
	char secret[SECRET_MAX];
	int rc_;

	memset(out, 0, sizeof(*out));
	if (!rc->secret_file[0] || !rest_cred_expiry(username) ||
	    snprintf(out->username, sizeof(out->username), "%s", username) >=
		    (int)sizeof(out->username)) {
		snprintf(why, whylen, "not a REST username");
		return -1;
	}
	if (read_secret(rc, secret, why, whylen))
		return -1;
	out->expiry_s = rest_cred_expiry(username);
	rc_ = rest_cred_password(secret, username, out->password,
				 sizeof(out->password));
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc_)
		snprintf(why, whylen, "cannot make REST credentials");
	return rc_;
}

uint64_t relay_creds_renew_at(const struct relay_conf *rc,
			      const struct relay_creds *c)
{
	uint64_t early = rc->cred_lifetime / 4;

	if (!c->expiry_s)
		return 0;
	if (early < 5)
		early = 5;
	return c->expiry_s > early ? c->expiry_s - early : 0;
}
