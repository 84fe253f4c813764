/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_internal.h - helpers shared by both crypto backends (not public).
 *
 * These are pure encoding/comparison helpers with no crypto library behind
 * them, so the two backends accept exactly the same inputs: a DER signature
 * or a private scalar that one backend rejects, the other rejects too.
 * They are compiled into each backend library (see CMakeLists.txt), so a
 * backend never depends on ms_core.
 */
#ifndef MS_CRYPTO_INTERNAL_H
#define MS_CRYPTO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"

/* The 26-byte DER prefix of a P-256 SubjectPublicKeyInfo, before the point. */
#define MS_CRYPTO_SPKI_PREFIX_LEN 26u
extern const uint8_t ms_crypto_spki_prefix[MS_CRYPTO_SPKI_PREFIX_LEN];

/* The order n of the P-256 group, big-endian. */
extern const uint8_t ms_crypto_p256_order[32];

/*
 * Parse a strict DER ECDSA signature SEQUENCE { INTEGER r, INTEGER s } into
 * two 32-byte big-endian values. Strict: definite minimal lengths, no
 * trailing bytes, no negative or non-minimally encoded integers, and
 * 1 <= r, s < n. Returns false for anything else.
 */
bool ms_crypto_sig_der_parse(const uint8_t *sig, size_t len,
                             uint8_t r[32], uint8_t s[32]);

/* Encode r, s (32-byte big-endian) as DER. Returns the length, or 0 when
 * cap is too small. */
size_t ms_crypto_sig_der_encode(const uint8_t r[32], const uint8_t s[32],
                                uint8_t *out, size_t cap);

/* True when 1 <= d < n (a usable P-256 private scalar). */
bool ms_crypto_p256_priv_valid(const uint8_t d[32]);

/* Map an AES key length in bytes to bits; 0 if not 16, 24 or 32. */
unsigned ms_crypto_aes_bits(size_t key_len);

/* Argument rules both backends apply before calling their library
 * (common/oneshot.c): true when the arguments are acceptable. */
bool ms_crypto_hkdf_args_ok(const uint8_t *salt, size_t salt_len,
                            const uint8_t *ikm, size_t ikm_len,
                            const uint8_t *info, size_t info_len,
                            const uint8_t *out, size_t out_len);
bool ms_crypto_gcm_args_ok(const uint8_t *key, size_t key_len,
                           const uint8_t *iv, size_t iv_len,
                           const uint8_t *aad, size_t aad_len,
                           const uint8_t *in, const uint8_t *out, size_t len,
                           const uint8_t *tag, size_t tag_len);

#endif /* MS_CRYPTO_INTERNAL_H */
