// SPDX-License-Identifier: GPL-2.0
/* X25519 through OpenSSL: keys are Curve25519 (RFC 7748), as in wg(8). */
#include <errno.h>
#include <openssl/evp.h>
#include "wg.h"

int wg_key_public(const uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
						   priv, WG_KEY_LEN);
	size_t len = WG_KEY_LEN;
	int rc = -EINVAL;

	if (k && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 &&
	    len == WG_KEY_LEN)
		rc = 0;
	EVP_PKEY_free(k);	/* frees (and clears) OpenSSL's copy */
	return rc;
}
