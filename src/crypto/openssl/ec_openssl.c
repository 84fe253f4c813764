/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec_openssl.c - P-256 on OpenSSL 3: building EVP keys from raw scalars and
 * points, point checks, public key from private, key generation, ECDSA
 * sign/verify over a SHA-256 digest, ECDH.
 *
 * Invariants (the backend's, see crypto_openssl.c): every point taken from
 * outside is checked to lie on the curve before use; signatures are parsed
 * with the same strict DER rules as the Mbed TLS backend; private scalars
 * pass through OpenSSL's secure heap (BN_secure_new) and our copies are
 * wiped; OpenSSL's error queue is cleared after expected failures.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto_internal.h"
#include "openssl_internal.h"

/* ---- P-256 -------------------------------------------------------------- */

ms_err_t ms_openssl_p256_pkey(const uint8_t *d, const uint8_t *q, EVP_PKEY **out)
{
    *out = NULL;
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    if (d == NULL) {
        /* Public key: template copy plus the point (OpenSSL checks it is on
         * the curve when it is set). */
        *out = EVP_PKEY_dup(a->p256_params);
        if (*out == NULL) {
            return MS_ERR_CRYPTO;
        }
        if (q == NULL ||
            EVP_PKEY_set_octet_string_param(*out, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                            (unsigned char *)q, MS_P256_PUB_LEN) != 1) {
            EVP_PKEY_free(*out);
            *out = NULL;
            ERR_clear_error();
            return MS_ERR_KEY_FORMAT;
        }
        return MS_OK;
    }
    OSSL_PARAM params[4];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                   (char *)"prime256v1", 0);
    if (q != NULL) {
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                        (void *)q, MS_P256_PUB_LEN);
    }
    /* OSSL_PARAM BIGNUMs are native-endian integers: go through a BIGNUM
     * (secure heap) from the big-endian scalar. */
    uint8_t le[32];
    BIGNUM *bn = BN_secure_new();
    if (bn == NULL || BN_bin2bn(d, MS_P256_PRIV_LEN, bn) == NULL ||
        BN_bn2nativepad(bn, le, sizeof(le)) < 0) {
        BN_clear_free(bn);
        ms_secure_zero(le, sizeof(le));
        return MS_ERR_CRYPTO;
    }
    params[n++] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, le, sizeof(le));
    params[n] = OSSL_PARAM_construct_end();
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    int ok = pctx != NULL && EVP_PKEY_fromdata_init(pctx) == 1 &&
             EVP_PKEY_fromdata(pctx, out, EVP_PKEY_KEYPAIR, params) == 1;
    EVP_PKEY_CTX_free(pctx);
    BN_clear_free(bn);
    ms_secure_zero(le, sizeof(le));
    if (!ok) {
        EVP_PKEY_free(*out);
        *out = NULL;
        ERR_clear_error();
        return MS_ERR_KEY_FORMAT;
    }
    return MS_OK;
}

/* Decode an encoded point (any SEC1 form) and re-encode it uncompressed. */
ms_err_t ms_openssl_point_uncompressed(const uint8_t *in, size_t in_len,
                                       uint8_t out[MS_P256_PUB_LEN])
{
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    EC_POINT *pt = EC_POINT_new(a->p256);
    int ok = pt != NULL && EC_POINT_oct2point(a->p256, pt, in, in_len, NULL) == 1 &&
             EC_POINT_is_at_infinity(a->p256, pt) == 0 &&
             EC_POINT_is_on_curve(a->p256, pt, NULL) == 1 &&
             EC_POINT_point2oct(a->p256, pt, POINT_CONVERSION_UNCOMPRESSED, out,
                                MS_P256_PUB_LEN, NULL) == MS_P256_PUB_LEN;
    EC_POINT_free(pt);
    if (!ok) {
        ERR_clear_error();
        return MS_ERR_KEY_FORMAT;
    }
    return MS_OK;
}

ms_err_t ms_p256_pub_check(const ms_p256_pub_t *pub)
{
    if (pub == NULL) {
        return MS_ERR_ARG;
    }
    if (pub->q[0] != 0x04) {
        return MS_ERR_KEY_FORMAT;
    }
    uint8_t tmp[MS_P256_PUB_LEN];
    return ms_openssl_point_uncompressed(pub->q, MS_P256_PUB_LEN, tmp);
}

ms_err_t ms_p256_pub_from_priv(const ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    if (priv == NULL || pub == NULL) {
        return MS_ERR_ARG;
    }
    if (!ms_crypto_p256_priv_valid(priv->d)) {
        return MS_ERR_KEY_FORMAT;
    }
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    BIGNUM *bn = BN_secure_new();
    EC_POINT *pt = EC_POINT_new(a->p256);
    BN_CTX *bctx = BN_CTX_secure_new();
    int ok = bn != NULL && pt != NULL && bctx != NULL &&
             BN_bin2bn(priv->d, MS_P256_PRIV_LEN, bn) != NULL &&
             EC_POINT_mul(a->p256, pt, bn, NULL, NULL, bctx) == 1 &&
             EC_POINT_point2oct(a->p256, pt, POINT_CONVERSION_UNCOMPRESSED, pub->q,
                                MS_P256_PUB_LEN, bctx) == MS_P256_PUB_LEN;
    BN_CTX_free(bctx);
    EC_POINT_free(pt);
    BN_clear_free(bn);
    return ok ? MS_OK : MS_ERR_CRYPTO;
}

ms_err_t ms_p256_keygen(ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    if (priv == NULL || pub == NULL) {
        return MS_ERR_ARG;
    }
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIGNUM *bn = NULL;
    size_t qlen = 0;
    int ok = pkey != NULL &&
             EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1 &&
             BN_bn2binpad(bn, priv->d, MS_P256_PRIV_LEN) == (int)MS_P256_PRIV_LEN &&
             EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub->q,
                                             MS_P256_PUB_LEN, &qlen) == 1 &&
             qlen == MS_P256_PUB_LEN && pub->q[0] == 0x04;
    BN_clear_free(bn);
    EVP_PKEY_free(pkey);
    if (!ok) {
        ms_secure_zero(priv, sizeof(*priv));
        ERR_clear_error();
        return MS_ERR_RNG;
    }
    return MS_OK;
}

ms_err_t ms_p256_sign(const ms_p256_priv_t *priv, const uint8_t hash[MS_SHA256_LEN],
                      uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
    if (priv == NULL || hash == NULL || sig == NULL || sig_len == NULL) {
        return MS_ERR_ARG;
    }
    *sig_len = 0;
    if (!ms_crypto_p256_priv_valid(priv->d)) {
        return MS_ERR_KEY_FORMAT;
    }
    EVP_PKEY *pkey = NULL;
    ms_err_t err = ms_openssl_p256_pkey(priv->d, NULL, &pkey);
    if (err != MS_OK) {
        return err;
    }
    uint8_t der[MS_P256_SIG_DER_MAX + 8];
    size_t der_len = sizeof(der);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = pctx != NULL && EVP_PKEY_sign_init(pctx) == 1 &&
             EVP_PKEY_sign(pctx, der, &der_len, hash, MS_SHA256_LEN) == 1;
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pkey);
    if (!ok) {
        ERR_clear_error();
        return MS_ERR_CRYPTO;
    }
    if (der_len > sig_cap) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(sig, der, der_len);
    *sig_len = der_len;
    return MS_OK;
}

ms_err_t ms_p256_verify(const ms_p256_pub_t *pub, const uint8_t hash[MS_SHA256_LEN],
                        const uint8_t *sig, size_t sig_len)
{
    if (pub == NULL || hash == NULL || (sig == NULL && sig_len != 0)) {
        return MS_ERR_ARG;
    }
    uint8_t r[32], s[32];
    /* The same strict DER rules in both backends (no malleable encodings). */
    if (!ms_crypto_sig_der_parse(sig, sig_len, r, s)) {
        return MS_ERR_SIGNATURE;
    }
    if (pub->q[0] != 0x04) {
        return MS_ERR_KEY_FORMAT;
    }
    EVP_PKEY *pkey = NULL;
    ms_err_t err = ms_openssl_p256_pkey(NULL, pub->q, &pkey);
    if (err != MS_OK) {
        return err;
    }
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int rc = -1;
    if (pctx != NULL && EVP_PKEY_verify_init(pctx) == 1) {
        rc = EVP_PKEY_verify(pctx, sig, sig_len, hash, MS_SHA256_LEN);
    }
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return rc == 1 ? MS_OK : MS_ERR_SIGNATURE;
}

ms_err_t ms_p256_ecdh(const ms_p256_priv_t *priv, const ms_p256_pub_t *peer,
                      uint8_t shared[MS_P256_SHARED_LEN])
{
    if (priv == NULL || peer == NULL || shared == NULL) {
        return MS_ERR_ARG;
    }
    if (peer->q[0] != 0x04) {
        return MS_ERR_KEY_FORMAT;
    }
    if (!ms_crypto_p256_priv_valid(priv->d)) {
        return MS_ERR_KEY_FORMAT;
    }
    /* Setting the peer point checks that it lies on the curve. */
    EVP_PKEY *mine = NULL, *theirs = NULL;
    ms_err_t err = ms_openssl_p256_pkey(NULL, peer->q, &theirs);
    if (err == MS_OK) {
        err = ms_openssl_p256_pkey(priv->d, NULL, &mine);
    }
    if (err != MS_OK) {
        EVP_PKEY_free(theirs);
        return err;
    }
    uint8_t z[MS_P256_SHARED_LEN + 8];
    size_t zlen = sizeof(z);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
    int ok = pctx != NULL && EVP_PKEY_derive_init(pctx) == 1 &&
             EVP_PKEY_derive_set_peer(pctx, theirs) == 1 &&
             EVP_PKEY_derive(pctx, z, &zlen) == 1 && zlen == MS_P256_SHARED_LEN;
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(theirs);
    EVP_PKEY_free(mine);
    if (ok) {
        memcpy(shared, z, MS_P256_SHARED_LEN);
    }
    ms_secure_zero(z, sizeof(z));
    ERR_clear_error();
    return ok ? MS_OK : MS_ERR_CRYPTO;
}
