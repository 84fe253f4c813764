/*
 * openssl_internal.h - helpers the OpenSSL backend's files share.
 */
#ifndef MS_OPENSSL_INTERNAL_H
#define MS_OPENSSL_INTERNAL_H

#include <openssl/evp.h>

#include "meterseal/crypto.h"

/* Build an EC P-256 EVP_PKEY from a raw point q (65 bytes) and, when d is
 * not NULL, the private scalar. MS_ERR_KEY_FORMAT if OpenSSL refuses. */
ms_err_t ms_openssl_p256_pkey(const uint8_t *d, const uint8_t *q, EVP_PKEY **out);

/* Decode a SEC1 point (compressed or not), check it, write it uncompressed. */
ms_err_t ms_openssl_point_uncompressed(const uint8_t *in, size_t in_len,
                                       uint8_t out[MS_P256_PUB_LEN]);

#endif /* MS_OPENSSL_INTERNAL_H */
