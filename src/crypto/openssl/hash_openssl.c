/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash_openssl.c - the hash, MAC and KDF functions of crypto.h on OpenSSL 3:
 * SHA-256 (streaming and one-shot), HMAC-SHA256 (streaming), HKDF-SHA256 and
 * AES-CMAC.
 *
 * Invariants (the backend's, see crypto_openssl.c): a streaming context
 * holds a magic word and one OpenSSL object in the caller's opaque storage,
 * so *_free() on a zeroed or freed context is a no-op and *_update() on it
 * MS_ERR_STATE; contexts are wiped when freed; a failed HKDF leaves no
 * partial output.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto_internal.h"
#include "openssl_internal.h"

#define SHA_MAGIC  0x53484131u
#define HMAC_MAGIC 0x484d4131u

/* ---- SHA-256 ------------------------------------------------------------ */

struct sha_state {
    uint32_t magic;
    EVP_MD_CTX *md;
};
_Static_assert(sizeof(struct sha_state) <= sizeof(ms_sha256_ctx), "sha state fits");
_Static_assert(_Alignof(struct sha_state) <= _Alignof(ms_sha256_ctx), "sha state aligned");

static struct sha_state *sha_state(ms_sha256_ctx *ctx)
{
    return (struct sha_state *)(void *)ctx->opaque;
}

ms_err_t ms_sha256_init(ms_sha256_ctx *ctx)
{
    if (ctx == NULL) {
        return MS_ERR_ARG;
    }
    memset(ctx, 0, sizeof(*ctx));
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    struct sha_state *st = sha_state(ctx);
    st->md = EVP_MD_CTX_new();
    if (st->md == NULL || EVP_DigestInit_ex2(st->md, a->sha256, NULL) != 1) {
        ms_sha256_free(ctx);
        return MS_ERR_CRYPTO;
    }
    st->magic = SHA_MAGIC;
    return MS_OK;
}

ms_err_t ms_sha256_update(ms_sha256_ctx *ctx, const void *data, size_t len)
{
    if (ctx == NULL || (data == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    struct sha_state *st = sha_state(ctx);
    if (st->magic != SHA_MAGIC || st->md == NULL) {
        return MS_ERR_STATE;
    }
    if (len != 0 && EVP_DigestUpdate(st->md, data, len) != 1) {
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
}

ms_err_t ms_sha256_finish(ms_sha256_ctx *ctx, uint8_t out[MS_SHA256_LEN])
{
    if (ctx == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    struct sha_state *st = sha_state(ctx);
    if (st->magic != SHA_MAGIC || st->md == NULL) {
        return MS_ERR_STATE;
    }
    unsigned int n = 0;
    int rc = EVP_DigestFinal_ex(st->md, out, &n);
    ms_sha256_free(ctx);
    return (rc == 1 && n == MS_SHA256_LEN) ? MS_OK : MS_ERR_CRYPTO;
}

void ms_sha256_free(ms_sha256_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    struct sha_state *st = sha_state(ctx);
    EVP_MD_CTX_free(st->md);   /* NULL-safe; OpenSSL cleanses the state */
    ms_secure_zero(ctx, sizeof(*ctx));
}

ms_err_t ms_sha256(const void *data, size_t len, uint8_t out[MS_SHA256_LEN])
{
    if ((data == NULL && len != 0) || out == NULL) {
        return MS_ERR_ARG;
    }
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, a->sha256, NULL) != 1 || n != MS_SHA256_LEN) {
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
}

/* ---- HMAC-SHA256, HKDF-SHA256 ------------------------------------------- */

struct hmac_state {
    uint32_t magic;
    EVP_MAC_CTX *mac;
};
_Static_assert(sizeof(struct hmac_state) <= sizeof(ms_hmac_ctx), "hmac state fits");
_Static_assert(_Alignof(struct hmac_state) <= _Alignof(ms_hmac_ctx), "hmac state aligned");

static struct hmac_state *hmac_state(ms_hmac_ctx *ctx)
{
    return (struct hmac_state *)(void *)ctx->opaque;
}

ms_err_t ms_hmac_sha256_init(ms_hmac_ctx *ctx, const uint8_t *key, size_t key_len)
{
    static const uint8_t empty_key[1] = { 0 };
    if (ctx == NULL || (key == NULL && key_len != 0)) {
        return MS_ERR_ARG;
    }
    memset(ctx, 0, sizeof(*ctx));
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    struct hmac_state *st = hmac_state(ctx);
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    st->mac = EVP_MAC_CTX_new(a->hmac);
    /* A NULL key means "keep the previous key" to EVP_MAC_init: pass a real
     * pointer for an empty key. */
    if (st->mac == NULL ||
        EVP_MAC_init(st->mac, key_len ? key : empty_key, key_len, params) != 1) {
        ms_hmac_sha256_free(ctx);
        return MS_ERR_CRYPTO;
    }
    st->magic = HMAC_MAGIC;
    return MS_OK;
}

ms_err_t ms_hmac_sha256_update(ms_hmac_ctx *ctx, const void *data, size_t len)
{
    if (ctx == NULL || (data == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    struct hmac_state *st = hmac_state(ctx);
    if (st->magic != HMAC_MAGIC || st->mac == NULL) {
        return MS_ERR_STATE;
    }
    if (len != 0 && EVP_MAC_update(st->mac, data, len) != 1) {
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
}

ms_err_t ms_hmac_sha256_finish(ms_hmac_ctx *ctx, uint8_t out[MS_HMAC_SHA256_LEN])
{
    if (ctx == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    struct hmac_state *st = hmac_state(ctx);
    if (st->magic != HMAC_MAGIC || st->mac == NULL) {
        return MS_ERR_STATE;
    }
    size_t n = 0;
    int rc = EVP_MAC_final(st->mac, out, &n, MS_HMAC_SHA256_LEN);
    ms_hmac_sha256_free(ctx);
    return (rc == 1 && n == MS_HMAC_SHA256_LEN) ? MS_OK : MS_ERR_CRYPTO;
}

void ms_hmac_sha256_free(ms_hmac_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    EVP_MAC_CTX_free(hmac_state(ctx)->mac);
    ms_secure_zero(ctx, sizeof(*ctx));
}

ms_err_t ms_hkdf_sha256(const uint8_t *salt, size_t salt_len,
                        const uint8_t *ikm, size_t ikm_len,
                        const uint8_t *info, size_t info_len,
                        uint8_t *out, size_t out_len)
{
    if (!ms_crypto_hkdf_args_ok(salt, salt_len, ikm, ikm_len, info, info_len, out, out_len)) {
        return MS_ERR_ARG;
    }
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    OSSL_PARAM params[5];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    if (salt != NULL && salt_len != 0) {
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                        (void *)salt, salt_len);
    }
    if (info_len != 0) {
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                        (void *)info, info_len);
    }
    params[n] = OSSL_PARAM_construct_end();
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(a->hkdf);
    int rc = kctx != NULL && EVP_KDF_derive(kctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(kctx);
    if (!rc) {
        ms_secure_zero(out, out_len);
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
}

/* ---- AES-CMAC ----------------------------------------------------------- */

ms_err_t ms_aes_cmac(const uint8_t *key, size_t key_len,
                     const void *data, size_t len,
                     uint8_t out[MS_AES_BLOCK_LEN])
{
    static const char *const names[3] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" };
    int i = ms_openssl_aes_index(key_len);
    if (key == NULL || i < 0 || (data == NULL && len != 0) || out == NULL) {
        return MS_ERR_ARG;
    }
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)names[i], 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC_CTX *m = EVP_MAC_CTX_new(a->cmac);
    size_t n = 0;
    int ok = m != NULL && EVP_MAC_init(m, key, key_len, params) == 1 &&
             (len == 0 || EVP_MAC_update(m, data, len) == 1) &&
             EVP_MAC_final(m, out, &n, MS_AES_BLOCK_LEN) == 1 && n == MS_AES_BLOCK_LEN;
    EVP_MAC_CTX_free(m);
    return ok ? MS_OK : MS_ERR_CRYPTO;
}
