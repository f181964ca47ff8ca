// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include "check_key.h"

/* HKDF-SHA256 (RFC 5869): salt the label, info both public keys in
 * byte order, so either side computes the same key. */
static int hkdf(const uint8_t ikm[WG_KEY_LEN], const uint8_t info[2 * WG_KEY_LEN],
		uint8_t out[CHECK_KEY_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						 "SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						  (void *)ikm, WG_KEY_LEN),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						  CHECK_KEY_LABEL,
						  sizeof(CHECK_KEY_LABEL) - 1),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						  (void *)info, 2 * WG_KEY_LEN),
		OSSL_PARAM_construct_end(),
	};
	int rc = ctx && EVP_KDF_derive(ctx, out, CHECK_KEY_LEN, p) == 1 ?
		 0 : -EIO;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int check_key_derive(const uint8_t priv[WG_KEY_LEN],
		     const uint8_t self_pub[WG_KEY_LEN],
		     const uint8_t peer_pub[WG_KEY_LEN],
		     uint8_t out[CHECK_KEY_LEN])
{
	uint8_t shared[WG_KEY_LEN], info[2 * WG_KEY_LEN];
	bool self_first = memcmp(self_pub, peer_pub, WG_KEY_LEN) < 0;
	int rc;

	memcpy(info, self_first ? self_pub : peer_pub, WG_KEY_LEN);
	memcpy(info + WG_KEY_LEN, self_first ? peer_pub : self_pub, WG_KEY_LEN);
	rc = wg_key_shared(priv, peer_pub, shared);
	if (!rc)
		rc = hkdf(shared, info, out);
	explicit_bzero(shared, sizeof(shared));
	if (rc)
		memset(out, 0, CHECK_KEY_LEN);
	return rc;
}
