/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cipher_openssl.c - the block cipher functions of crypto.h on OpenSSL 3:
 * AES-ECB (one block), AES-CBC, AES-CTR (streaming), AES-GCM, and
 * Triple DES (ECB, CBC; two- or three-key bundles).
 *
 * Invariants (the backend's, see crypto_openssl.c): ciphers run without
 * padding over whole blocks, in chunks EVP's int lengths can take; the
 * AES-CTR context holds a magic word and one EVP object, and is wiped when
 * freed; GCM checks the tag inside OpenSSL (constant time) and wipes the
 * output when it does not authenticate; expanded 3DES keys are wiped.
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto_internal.h"
#include "openssl_internal.h"

#define CTR_MAGIC  0x43545231u

/* ---- block ciphers ------------------------------------------------------ */

/* One pass of a no-padding cipher over whole blocks; in and out may alias. */
static ms_err_t cipher_once(const EVP_CIPHER *cipher, const uint8_t *key,
                            const uint8_t *iv, bool encrypt,
                            const uint8_t *in, uint8_t *out, size_t len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return MS_ERR_CRYPTO;
    }
    ms_err_t err = MS_ERR_CRYPTO;
    if (EVP_CipherInit_ex2(c, cipher, key, iv, encrypt ? 1 : 0, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(c, 0) == 1) {
        err = MS_OK;
        while (len > 0) {
            int chunk = len > (size_t)(INT_MAX / 2) ? INT_MAX / 2 : (int)len;
            chunk -= chunk % 16;   /* whole blocks for every cipher we use */
            if (chunk == 0) {
                chunk = (int)len;
            }
            int outl = 0;
            if (EVP_CipherUpdate(c, out, &outl, in, chunk) != 1 || outl != chunk) {
                err = MS_ERR_CRYPTO;
                break;
            }
            in += chunk;
            out += chunk;
            len -= (size_t)chunk;
        }
    }
    EVP_CIPHER_CTX_free(c);
    return err;
}

ms_err_t ms_aes_ecb_encrypt_block(const uint8_t *key, size_t key_len,
                                  const uint8_t in[MS_AES_BLOCK_LEN],
                                  uint8_t out[MS_AES_BLOCK_LEN])
{
    int i = ms_openssl_aes_index(key_len);
    if (key == NULL || in == NULL || out == NULL || i < 0) {
        return MS_ERR_ARG;
    }
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    return cipher_once(a->ecb[i], key, NULL, true, in, out, MS_AES_BLOCK_LEN);
}

ms_err_t ms_aes_cbc(const uint8_t *key, size_t key_len, bool encrypt,
                    const uint8_t iv[MS_AES_BLOCK_LEN],
                    const uint8_t *in, uint8_t *out, size_t len)
{
    int i = ms_openssl_aes_index(key_len);
    if (key == NULL || iv == NULL || i < 0 || len % MS_AES_BLOCK_LEN != 0 ||
        (len != 0 && (in == NULL || out == NULL))) {
        return MS_ERR_ARG;
    }
    if (len == 0) {
        return MS_OK;
    }
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    return cipher_once(a->cbc[i], key, iv, encrypt, in, out, len);
}

/* ---- AES-CTR ------------------------------------------------------------ */

struct ctr_state {
    uint32_t magic;
    EVP_CIPHER_CTX *c;
};
_Static_assert(sizeof(struct ctr_state) <= sizeof(ms_aes_ctr_ctx), "ctr state fits");
_Static_assert(_Alignof(struct ctr_state) <= _Alignof(ms_aes_ctr_ctx), "ctr state aligned");

static struct ctr_state *ctr_state(ms_aes_ctr_ctx *ctx)
{
    return (struct ctr_state *)(void *)ctx->opaque;
}

ms_err_t ms_aes_ctr_init(ms_aes_ctr_ctx *ctx, const uint8_t *key, size_t key_len,
                         const uint8_t counter[MS_AES_BLOCK_LEN])
{
    int i = ms_openssl_aes_index(key_len);
    if (ctx == NULL) {
        return MS_ERR_ARG;
    }
    memset(ctx, 0, sizeof(*ctx));
    if (key == NULL || counter == NULL || i < 0) {
        return MS_ERR_ARG;
    }
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    struct ctr_state *st = ctr_state(ctx);
    st->c = EVP_CIPHER_CTX_new();
    if (st->c == NULL || EVP_EncryptInit_ex2(st->c, a->ctr[i], key, counter, NULL) != 1) {
        ms_aes_ctr_free(ctx);
        return MS_ERR_CRYPTO;
    }
    st->magic = CTR_MAGIC;
    return MS_OK;
}

ms_err_t ms_aes_ctr_update(ms_aes_ctr_ctx *ctx, const uint8_t *in, uint8_t *out,
                           size_t len)
{
    if (ctx == NULL || (len != 0 && (in == NULL || out == NULL))) {
        return MS_ERR_ARG;
    }
    struct ctr_state *st = ctr_state(ctx);
    if (st->magic != CTR_MAGIC || st->c == NULL) {
        return MS_ERR_STATE;
    }
    while (len > 0) {
        int chunk = len > (size_t)(INT_MAX / 2) ? INT_MAX / 2 : (int)len;
        int outl = 0;
        if (EVP_EncryptUpdate(st->c, out, &outl, in, chunk) != 1 || outl != chunk) {
            return MS_ERR_CRYPTO;
        }
        in += chunk;
        out += chunk;
        len -= (size_t)chunk;
    }
    return MS_OK;
}

void ms_aes_ctr_free(ms_aes_ctr_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    EVP_CIPHER_CTX_free(ctr_state(ctx)->c);
    ms_secure_zero(ctx, sizeof(*ctx));
}

/* ---- AES-GCM ------------------------------------------------------------ */

static ms_err_t gcm_check_args(size_t key_len, const uint8_t *key,
                               const uint8_t *iv, size_t iv_len,
                               const uint8_t *aad, size_t aad_len,
                               const uint8_t *in, const uint8_t *out, size_t len,
                               const uint8_t *tag, size_t tag_len)
{
    if (!ms_crypto_gcm_args_ok(key, key_len, iv, iv_len, aad, aad_len, in, out, len,
                               tag, tag_len) ||
        len > (size_t)INT_MAX || aad_len > (size_t)INT_MAX /* EVP takes int */) {
        return MS_ERR_ARG;
    }
    return MS_OK;
}

/* Set up a GCM context with key, IV and AAD. */
static EVP_CIPHER_CTX *gcm_start(const ms_openssl_algs_t *a,
                                 const uint8_t *key, size_t key_len, bool encrypt,
                                 const uint8_t *iv, size_t iv_len,
                                 const uint8_t *aad, size_t aad_len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return NULL;
    }
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &iv_len),
        OSSL_PARAM_construct_end(),
    };
    int outl = 0;
    if (EVP_CipherInit_ex2(c, a->gcm[ms_openssl_aes_index(key_len)], NULL, NULL,
                           encrypt ? 1 : 0, params) != 1 ||
        EVP_CipherInit_ex2(c, NULL, key, iv, encrypt ? 1 : 0, NULL) != 1 ||
        (aad_len != 0 && EVP_CipherUpdate(c, NULL, &outl, aad, (int)aad_len) != 1)) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

ms_err_t ms_aes_gcm_encrypt(const uint8_t *key, size_t key_len,
                            const uint8_t *iv, size_t iv_len,
                            const uint8_t *aad, size_t aad_len,
                            const uint8_t *in, uint8_t *out, size_t len,
                            uint8_t *tag, size_t tag_len)
{
    ms_err_t err = gcm_check_args(key_len, key, iv, iv_len, aad, aad_len,
                                  in, out, len, tag, tag_len);
    if (err != MS_OK) {
        return err;
    }
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    EVP_CIPHER_CTX *c = gcm_start(a, key, key_len, true, iv, iv_len, aad, aad_len);
    if (c == NULL) {
        return MS_ERR_CRYPTO;
    }
    uint8_t full[MS_AES_GCM_TAG_LEN];
    uint8_t rest[MS_AES_BLOCK_LEN];   /* GCM's final call writes nothing */
    int outl = 0, fin = 0;
    err = MS_ERR_CRYPTO;
    if ((len == 0 || EVP_EncryptUpdate(c, out, &outl, in, (int)len) == 1) &&
        EVP_EncryptFinal_ex(c, rest, &fin) == 1 && fin == 0 && (size_t)outl == len) {
        OSSL_PARAM params[2] = {
            OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, full, sizeof(full)),
            OSSL_PARAM_construct_end(),
        };
        if (EVP_CIPHER_CTX_get_params(c, params) == 1) {
            memcpy(tag, full, tag_len);
            err = MS_OK;
        }
    }
    EVP_CIPHER_CTX_free(c);
    if (err != MS_OK && len != 0) {
        ms_secure_zero(out, len);
    }
    return err;
}

ms_err_t ms_aes_gcm_decrypt(const uint8_t *key, size_t key_len,
                            const uint8_t *iv, size_t iv_len,
                            const uint8_t *aad, size_t aad_len,
                            const uint8_t *in, uint8_t *out, size_t len,
                            const uint8_t *tag, size_t tag_len)
{
    ms_err_t err = gcm_check_args(key_len, key, iv, iv_len, aad, aad_len,
                                  in, out, len, tag, tag_len);
    if (err != MS_OK) {
        return err;
    }
    const ms_openssl_algs_t *a = ms_openssl_algs();
    if (a == NULL) {
        return MS_ERR_CRYPTO;
    }
    EVP_CIPHER_CTX *c = gcm_start(a, key, key_len, false, iv, iv_len, aad, aad_len);
    if (c == NULL) {
        return MS_ERR_CRYPTO;
    }
    int outl = 0, fin = 0;
    uint8_t rest[MS_AES_BLOCK_LEN];   /* GCM's final call writes nothing */
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, (void *)tag, tag_len),
        OSSL_PARAM_construct_end(),
    };
    err = MS_ERR_CRYPTO;
    if ((len == 0 || EVP_DecryptUpdate(c, out, &outl, in, (int)len) == 1) &&
        (size_t)outl == len && EVP_CIPHER_CTX_set_params(c, params) == 1) {
        /* The final call compares the tag (in constant time inside OpenSSL). */
        err = EVP_DecryptFinal_ex(c, rest, &fin) == 1 && fin == 0 ? MS_OK : MS_ERR_AUTH;
    }
    EVP_CIPHER_CTX_free(c);
    if (err != MS_OK && len != 0) {
        ms_secure_zero(out, len);
    }
    return err;
}

/* ---- Triple DES --------------------------------------------------------- */

/* Expand a 2-key (K1 K2) or 3-key bundle to the 24 bytes EDE3 takes. */
static bool des3_key24(const uint8_t *key, size_t key_len, uint8_t k24[24])
{
    if (key == NULL || (key_len != 16 && key_len != 24)) {
        return false;
    }
    memcpy(k24, key, 16);
    memcpy(k24 + 16, key_len == 16 ? key : key + 16, 8);
    return true;
}

ms_err_t ms_des3_ecb(const uint8_t *key, size_t key_len, bool encrypt,
                     const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t k24[24];
    if (!des3_key24(key, key_len, k24) || len % MS_DES_BLOCK_LEN != 0 ||
        (len != 0 && (in == NULL || out == NULL))) {
        return MS_ERR_ARG;
    }
    ms_err_t err = MS_OK;
    if (len != 0) {
        const ms_openssl_algs_t *a = ms_openssl_algs();
        err = a != NULL ? cipher_once(a->des3_ecb, k24, NULL, encrypt, in, out, len)
                        : MS_ERR_CRYPTO;
    }
    ms_secure_zero(k24, sizeof(k24));
    return err;
}

ms_err_t ms_des3_cbc(const uint8_t *key, size_t key_len, bool encrypt,
                     const uint8_t iv[MS_DES_BLOCK_LEN],
                     const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t k24[24];
    if (!des3_key24(key, key_len, k24) || iv == NULL || len % MS_DES_BLOCK_LEN != 0 ||
        (len != 0 && (in == NULL || out == NULL))) {
        return MS_ERR_ARG;
    }
    ms_err_t err = MS_OK;
    if (len != 0) {
        const ms_openssl_algs_t *a = ms_openssl_algs();
        err = a != NULL ? cipher_once(a->des3_cbc, k24, iv, encrypt, in, out, len)
                        : MS_ERR_CRYPTO;
    }
    ms_secure_zero(k24, sizeof(k24));
    return err;
}
