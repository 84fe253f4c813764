/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ext_key.c - the TLS client's private key as an Mbed TLS PK context that
 * holds no key: each signature is asked of a callback (the TEE's key store,
 * which signs with the identity key and never hands it out; M8, M12).
 *
 * Mbed TLS 3.6 has no public interface for a client key held outside its
 * own PSA key store (the asynchronous private-key hooks serve only servers,
 * and the PSA secure-element interface needs its persistent key storage).
 * Its PK layer, though, is a table of functions per key kind
 * (mbedtls_pk_info_t, library/pk_wrap.h). This file supplies one such table:
 * an ECDSA key of 256 bits that can sign and do nothing else. It depends on
 * the layout of that internal structure in the pinned release
 * (scripts/fetch-mbedtls pins 3.6.6 by hash); the TLS tests against
 * OpenSSL (full handshakes with client authentication, both versions)
 * fail if it ever stops matching.
 *
 * What the TLS client asks of its own key, and what this key answers:
 *   - mbedtls_pk_can_do(ECDSA / ECKEY): yes (so it offers ecdsa_secp256r1);
 *   - mbedtls_pk_get_bitlen(): 256;
 *   - mbedtls_pk_sign*(SHA-256 digest): the callback's DER signature.
 * Anything else (verify, encrypt, decrypt, pair check) is refused.
 */
#include <string.h>

#include "pk_wrap.h"

#include "tls_internal.h"

static size_t ext_bitlen(mbedtls_pk_context *pk)
{
    (void)pk;
    return 256;
}

static int ext_can_do(mbedtls_pk_type_t type)
{
    return type == MBEDTLS_PK_ECDSA || type == MBEDTLS_PK_ECKEY;
}

static int ext_sign(mbedtls_pk_context *pk, mbedtls_md_type_t md_alg, const unsigned char *hash,
                    size_t hash_len, unsigned char *sig, size_t sig_size, size_t *sig_len,
                    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
    (void)f_rng;
    (void)p_rng;
    ms_tls_ext_key_t *ext = pk->MBEDTLS_PRIVATE(pk_ctx);
    if (ext == NULL || ext->sign == NULL || md_alg != MBEDTLS_MD_SHA256 ||
        hash_len != MS_SHA256_LEN) {
        return MBEDTLS_ERR_PK_BAD_INPUT_DATA;
    }
    ext->calls++;
    ms_err_t err = ext->sign(ext->ctx, hash, sig, sig_size, sig_len);
    if (err == MS_ERR_BUFFER_TOO_SMALL) {
        return MBEDTLS_ERR_PK_BUFFER_TOO_SMALL;
    }
    return err == MS_OK ? 0 : MBEDTLS_ERR_PK_BAD_INPUT_DATA;
}

static const mbedtls_pk_info_t ext_info = {
    .type = MBEDTLS_PK_ECDSA,
    .name = "MS_EXT_ECDSA",
    .get_bitlen = ext_bitlen,
    .can_do = ext_can_do,
    .sign_func = ext_sign,
};

int ms_tls_ext_key_setup(mbedtls_pk_context *pk, ms_tls_ext_key_t *ext)
{
    int ret = mbedtls_pk_setup(pk, &ext_info);
    if (ret == 0) {
        pk->MBEDTLS_PRIVATE(pk_ctx) = ext;
    }
    return ret;
}
