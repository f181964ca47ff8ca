/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The key of two peers' connectivity checks: nothing new to configure.
 * Both hold the X25519 shared secret of their WireGuard static keys (our
 * private with their public is their private with our public); HKDF-
 * SHA256 with a wgturn label turns it into the MESSAGE-INTEGRITY-SHA256
 * key, bound to the pair of public keys. Neither the private key nor the
 * shared secret outlives the derivation.
 */
#ifndef WGT_CHECK_KEY_H
#define WGT_CHECK_KEY_H

#include <stdint.h>
#include "wg/wg.h"

#define CHECK_KEY_LEN 32
#define CHECK_KEY_LABEL "wgturn direct path check v1"

/* 0, or -EINVAL (a low-order or otherwise unusable public key),
 * -EIO (libcrypto failed). */
int check_key_derive(const uint8_t priv[WG_KEY_LEN],
		     const uint8_t self_pub[WG_KEY_LEN],
		     const uint8_t peer_pub[WG_KEY_LEN],
		     uint8_t out[CHECK_KEY_LEN]);

#endif
