// SPDX-License-Identifier: GPL-2.0
/* X25519 through OpenSSL: keys are Curve25519 (RFC 7748), as in wg(8). */
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
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

int wg_key_shared(const uint8_t priv[WG_KEY_LEN], const uint8_t pub[WG_KEY_LEN],
		  uint8_t out[WG_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
						   priv, WG_KEY_LEN);
	EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL,
						  pub, WG_KEY_LEN);
	EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
	size_t len = WG_KEY_LEN;
	int rc = -EINVAL;

	/* OpenSSL refuses an all-zero result (a low-order public key) */
	if (ctx && p && EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, p) == 1 &&
	    EVP_PKEY_derive(ctx, out, &len) == 1 && len == WG_KEY_LEN)
		rc = 0;
	if (rc)
		memset(out, 0, WG_KEY_LEN);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(p);
	EVP_PKEY_free(k);
	return rc;
}
