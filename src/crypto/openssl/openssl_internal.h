/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openssl_internal.h - what the OpenSSL backend's files share: the cache of
 * algorithms fetched once (crypto_openssl.c) and the P-256 key builders
 * (ec_openssl.c).
 */
#ifndef MS_OPENSSL_INTERNAL_H
#define MS_OPENSSL_INTERNAL_H

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "meterseal/crypto.h"

typedef struct ms_openssl_algs {
    EVP_MD *sha256;
    EVP_CIPHER *ecb[3], *cbc[3], *ctr[3], *gcm[3];   /* 128, 192, 256 */
    EVP_CIPHER *des3_ecb, *des3_cbc;
    EVP_MAC *hmac, *cmac;
    EVP_KDF *hkdf;
    EC_GROUP *p256;
    EVP_PKEY *p256_params;   /* parameters-only key: template for public keys */
} ms_openssl_algs_t;

/* The algorithms, fetched on the first call (thread-safe); NULL when
 * OpenSSL cannot provide them all (callers return MS_ERR_CRYPTO). */
const ms_openssl_algs_t *ms_openssl_algs(void);

/* Index into the AES tables for a key length: 0, 1, 2, or -1 if not AES. */
int ms_openssl_aes_index(size_t key_len);

/* Build an EC P-256 EVP_PKEY from a raw point q (65 bytes) and, when d is
 * not NULL, the private scalar. MS_ERR_KEY_FORMAT if OpenSSL refuses. */
ms_err_t ms_openssl_p256_pkey(const uint8_t *d, const uint8_t *q, EVP_PKEY **out);

/* Decode a SEC1 point (compressed or not), check it, write it uncompressed. */
ms_err_t ms_openssl_point_uncompressed(const uint8_t *in, size_t in_len,
                                       uint8_t out[MS_P256_PUB_LEN]);

#endif /* MS_OPENSSL_INTERNAL_H */
