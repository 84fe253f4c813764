/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyfile_openssl.c - P-256 key files (PEM or DER; SPKI, PKCS#8, SEC1) on
 * OpenSSL 3's decoder and encoder. Host builds only.
 *
 * Invariants:
 *   - Input is outside data: it is handed to OSSL_DECODER with its length,
 *     never assumed NUL-terminated; encrypted keys are refused (a passphrase
 *     callback that always fails, so nothing ever prompts).
 *   - Anything that is not an EC key on prime256v1 is MS_ERR_KEY_FORMAT.
 *   - A private key whose stored public point does not match the scalar is
 *     MS_ERR_KEY_MISMATCH.
 *   - Encoded private keys pass through OpenSSL buffers that are cleared
 *     (OPENSSL_clear_free), and our copies are wiped on error paths.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto_internal.h"
#include "openssl_internal.h"

static int no_passphrase(char *pass, size_t pass_size, size_t *pass_len,
                         const OSSL_PARAM params[], void *arg)
{
    (void)pass;
    (void)pass_size;
    (void)params;
    (void)arg;
    *pass_len = 0;
    return 0;
}

/* Fill pub (and priv when present) from a decoded EVP_PKEY. */
static ms_err_t extract_p256(EVP_PKEY *pkey, ms_p256_priv_t *priv, ms_p256_pub_t *pub,
                             bool *has_priv)
{
    char group[64];
    if (!EVP_PKEY_is_a(pkey, "EC") ||
        EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof(group), NULL) != 1 ||
        (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0)) {
        return MS_ERR_KEY_FORMAT;
    }
    uint8_t enc[MS_P256_PUB_LEN + 8];
    size_t enc_len = 0;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, enc, sizeof(enc),
                                        &enc_len) != 1) {
        return MS_ERR_KEY_FORMAT;
    }
    ms_p256_pub_t file_pub;
    ms_err_t err = ms_openssl_point_uncompressed(enc, enc_len, file_pub.q);
    if (err != MS_OK) {
        return err;
    }
    BIGNUM *bn = NULL;
    ms_p256_priv_t d;
    bool priv_here = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1;
    if (priv_here) {
        int n = BN_bn2binpad(bn, d.d, MS_P256_PRIV_LEN);
        BN_clear_free(bn);
        if (n != (int)MS_P256_PRIV_LEN || !ms_crypto_p256_priv_valid(d.d)) {
            ms_secure_zero(&d, sizeof(d));
            return MS_ERR_KEY_FORMAT;
        }
        ms_p256_pub_t derived;
        err = ms_p256_pub_from_priv(&d, &derived);
        if (err == MS_OK && memcmp(derived.q, file_pub.q, MS_P256_PUB_LEN) != 0) {
            err = MS_ERR_KEY_MISMATCH;
        }
        if (err != MS_OK) {
            ms_secure_zero(&d, sizeof(d));
            return err;
        }
        if (priv != NULL) {
            *priv = d;
        }
        ms_secure_zero(&d, sizeof(d));
    }
    *pub = file_pub;
    *has_priv = priv_here;
    return MS_OK;
}

/* Parse a P-256 key file (PEM or DER; SPKI, PKCS#8, SEC1). */
ms_err_t ms_p256_key_parse(const uint8_t *buf, size_t len,
                           ms_p256_priv_t *priv, ms_p256_pub_t *pub,
                           bool *has_priv)
{
    if (buf == NULL || len == 0 || pub == NULL || has_priv == NULL) {
        return MS_ERR_ARG;
    }
    *has_priv = false;
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, NULL, NULL, NULL, 0,
                                                           NULL, NULL);
    if (dctx == NULL) {
        return MS_ERR_CRYPTO;
    }
    ms_err_t err = MS_ERR_KEY_FORMAT;
    const unsigned char *p = buf;
    size_t left = len;
    if (OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, NULL) == 1 &&
        OSSL_DECODER_from_data(dctx, &p, &left) == 1 && pkey != NULL) {
        err = extract_p256(pkey, priv, pub, has_priv);
    }
    OSSL_DECODER_CTX_free(dctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return err;
}

/* Write a P-256 key as SPKI, PKCS#8 or SEC1, PEM or DER. */
ms_err_t ms_p256_key_write(const ms_p256_priv_t *priv, const ms_p256_pub_t *pub,
                           ms_key_encoding_t encoding, bool pem,
                           uint8_t *out, size_t cap, size_t *out_len)
{
    if (out == NULL || out_len == NULL) {
        return MS_ERR_ARG;
    }
    *out_len = 0;
    const char *structure;
    int selection;
    ms_p256_pub_t q;
    ms_err_t err;
    switch (encoding) {
    case MS_KEY_SPKI:
        if (pub == NULL) {
            return MS_ERR_ARG;
        }
        err = ms_p256_pub_check(pub);
        q = *pub;
        structure = "SubjectPublicKeyInfo";
        selection = EVP_PKEY_PUBLIC_KEY;
        break;
    case MS_KEY_PKCS8:
    case MS_KEY_SEC1:
        if (priv == NULL) {
            return MS_ERR_ARG;
        }
        err = ms_p256_pub_from_priv(priv, &q);
        structure = encoding == MS_KEY_PKCS8 ? "PrivateKeyInfo" : "type-specific";
        selection = EVP_PKEY_KEYPAIR;
        break;
    default:
        return MS_ERR_ARG;
    }
    if (err != MS_OK) {
        return err;
    }
    EVP_PKEY *pkey = NULL;
    err = ms_openssl_p256_pkey(encoding == MS_KEY_SPKI ? NULL : priv->d, q.q, &pkey);
    if (err != MS_OK) {
        return err;
    }
    OSSL_ENCODER_CTX *ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, selection,
                                                           pem ? "PEM" : "DER",
                                                           structure, NULL);
    unsigned char *data = NULL;
    size_t data_len = 0;
    err = MS_ERR_CRYPTO;
    if (ectx != NULL && OSSL_ENCODER_CTX_get_num_encoders(ectx) > 0 &&
        OSSL_ENCODER_to_data(ectx, &data, &data_len) == 1) {
        if (data_len + (pem ? 1u : 0u) > cap) {
            err = MS_ERR_BUFFER_TOO_SMALL;
        } else {
            memcpy(out, data, data_len);
            if (pem) {
                out[data_len] = '\0';
            }
            *out_len = data_len;
            err = MS_OK;
        }
    }
    OPENSSL_clear_free(data, data_len);
    OSSL_ENCODER_CTX_free(ectx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return err;
}
