/*
 * crypto_openssl.c - the crypto API (crypto.h) on OpenSSL 3 libcrypto, for
 * host tools and the cloud service.
 *
 * Only EVP and provider APIs of OpenSSL 3 are used (built with
 * OPENSSL_NO_DEPRECATED). Algorithms are fetched once and cached (fetch on
 * every call would cost more than hashing a small buffer), so hot paths run
 * at OpenSSL's native speed.
 *
 * Invariants:
 *   - Streaming contexts hold a magic word and one OpenSSL object pointer in
 *     the caller's opaque storage; a zeroed or freed context has neither, so
 *     *_free() on it is a no-op and *_update() on it is MS_ERR_STATE.
 *   - Every temporary holding key material is wiped before return, and
 *     OpenSSL objects holding keys are freed (OpenSSL clears them) on all
 *     paths.
 *   - Random bytes come from OpenSSL's private DRBG (RAND_priv_bytes), which
 *     OpenSSL seeds and reseeds from the operating system.
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto_internal.h"
#include "openssl_internal.h"

#define SHA_MAGIC  0x53484131u
#define HMAC_MAGIC 0x484d4131u
#define CTR_MAGIC  0x43545231u

/* ---- fetched algorithm cache -------------------------------------------- */

static struct {
    EVP_MD *sha256;
    EVP_CIPHER *ecb[3], *cbc[3], *ctr[3], *gcm[3];   /* 128, 192, 256 */
    EVP_CIPHER *des3_ecb, *des3_cbc;
    EVP_MAC *hmac, *cmac;
    EVP_KDF *hkdf;
    EC_GROUP *p256;
    EVP_PKEY *p256_params;   /* parameters-only key: template for public keys */
    int ok;
} algs;

static CRYPTO_ONCE algs_once = CRYPTO_ONCE_STATIC_INIT;

static void algs_fetch(void)
{
    static const char *const ecb[3] = { "AES-128-ECB", "AES-192-ECB", "AES-256-ECB" };
    static const char *const cbc[3] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" };
    static const char *const ctr[3] = { "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" };
    static const char *const gcm[3] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" };
    int ok = 1;
    algs.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    ok &= algs.sha256 != NULL;
    for (int i = 0; i < 3; i++) {
        algs.ecb[i] = EVP_CIPHER_fetch(NULL, ecb[i], NULL);
        algs.cbc[i] = EVP_CIPHER_fetch(NULL, cbc[i], NULL);
        algs.ctr[i] = EVP_CIPHER_fetch(NULL, ctr[i], NULL);
        algs.gcm[i] = EVP_CIPHER_fetch(NULL, gcm[i], NULL);
        ok &= algs.ecb[i] != NULL && algs.cbc[i] != NULL &&
              algs.ctr[i] != NULL && algs.gcm[i] != NULL;
    }
    algs.des3_ecb = EVP_CIPHER_fetch(NULL, "DES-EDE3-ECB", NULL);
    algs.des3_cbc = EVP_CIPHER_fetch(NULL, "DES-EDE3-CBC", NULL);
    algs.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    algs.cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    algs.hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    algs.p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    /* Building a key from the curve name costs ~30 us (the group is set up
     * each time); duplicating a parameters-only template is much cheaper. */
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
        EVP_PKEY_fromdata(pctx, &algs.p256_params, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
        ok = 0;
    }
    EVP_PKEY_CTX_free(pctx);
    ok &= algs.des3_ecb != NULL && algs.des3_cbc != NULL && algs.hmac != NULL &&
          algs.cmac != NULL && algs.hkdf != NULL && algs.p256 != NULL;
    algs.ok = ok;
}

/* MS_OK when every algorithm the API needs could be fetched. */
static ms_err_t algs_ready(void)
{
    if (!CRYPTO_THREAD_run_once(&algs_once, algs_fetch) || !algs.ok) {
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
}

static int aes_index(size_t key_len)
{
    switch (ms_crypto_aes_bits(key_len)) {
    case 128: return 0;
    case 192: return 1;
    case 256: return 2;
    default: return -1;
    }
}

const char *ms_crypto_backend_name(void)
{
    return "openssl";
}

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
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    struct sha_state *st = sha_state(ctx);
    st->md = EVP_MD_CTX_new();
    if (st->md == NULL || EVP_DigestInit_ex2(st->md, algs.sha256, NULL) != 1) {
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
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, algs.sha256, NULL) != 1 || n != MS_SHA256_LEN) {
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
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    struct hmac_state *st = hmac_state(ctx);
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    st->mac = EVP_MAC_CTX_new(algs.hmac);
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
    if (algs_ready() != MS_OK) {
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
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(algs.hkdf);
    int rc = kctx != NULL && EVP_KDF_derive(kctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(kctx);
    if (!rc) {
        ms_secure_zero(out, out_len);
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
}

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
    int i = aes_index(key_len);
    if (key == NULL || in == NULL || out == NULL || i < 0) {
        return MS_ERR_ARG;
    }
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    return cipher_once(algs.ecb[i], key, NULL, true, in, out, MS_AES_BLOCK_LEN);
}

ms_err_t ms_aes_cbc(const uint8_t *key, size_t key_len, bool encrypt,
                    const uint8_t iv[MS_AES_BLOCK_LEN],
                    const uint8_t *in, uint8_t *out, size_t len)
{
    int i = aes_index(key_len);
    if (key == NULL || iv == NULL || i < 0 || len % MS_AES_BLOCK_LEN != 0 ||
        (len != 0 && (in == NULL || out == NULL))) {
        return MS_ERR_ARG;
    }
    if (len == 0) {
        return MS_OK;
    }
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    return cipher_once(algs.cbc[i], key, iv, encrypt, in, out, len);
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
    int i = aes_index(key_len);
    if (ctx == NULL) {
        return MS_ERR_ARG;
    }
    memset(ctx, 0, sizeof(*ctx));
    if (key == NULL || counter == NULL || i < 0) {
        return MS_ERR_ARG;
    }
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    struct ctr_state *st = ctr_state(ctx);
    st->c = EVP_CIPHER_CTX_new();
    if (st->c == NULL || EVP_EncryptInit_ex2(st->c, algs.ctr[i], key, counter, NULL) != 1) {
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
static EVP_CIPHER_CTX *gcm_start(const uint8_t *key, size_t key_len, bool encrypt,
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
    if (EVP_CipherInit_ex2(c, algs.gcm[aes_index(key_len)], NULL, NULL,
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
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    EVP_CIPHER_CTX *c = gcm_start(key, key_len, true, iv, iv_len, aad, aad_len);
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
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    EVP_CIPHER_CTX *c = gcm_start(key, key_len, false, iv, iv_len, aad, aad_len);
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

/* ---- AES-CMAC ----------------------------------------------------------- */

ms_err_t ms_aes_cmac(const uint8_t *key, size_t key_len,
                     const void *data, size_t len,
                     uint8_t out[MS_AES_BLOCK_LEN])
{
    static const char *const names[3] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" };
    int i = aes_index(key_len);
    if (key == NULL || i < 0 || (data == NULL && len != 0) || out == NULL) {
        return MS_ERR_ARG;
    }
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)names[i], 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC_CTX *m = EVP_MAC_CTX_new(algs.cmac);
    size_t n = 0;
    int ok = m != NULL && EVP_MAC_init(m, key, key_len, params) == 1 &&
             (len == 0 || EVP_MAC_update(m, data, len) == 1) &&
             EVP_MAC_final(m, out, &n, MS_AES_BLOCK_LEN) == 1 && n == MS_AES_BLOCK_LEN;
    EVP_MAC_CTX_free(m);
    return ok ? MS_OK : MS_ERR_CRYPTO;
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
        err = algs_ready();
        if (err == MS_OK) {
            err = cipher_once(algs.des3_ecb, k24, NULL, encrypt, in, out, len);
        }
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
        err = algs_ready();
        if (err == MS_OK) {
            err = cipher_once(algs.des3_cbc, k24, iv, encrypt, in, out, len);
        }
    }
    ms_secure_zero(k24, sizeof(k24));
    return err;
}

/* ---- random ------------------------------------------------------------- */

/* OpenSSL's private DRBG, seeded and reseeded by OpenSSL from the OS. */
ms_err_t ms_random(uint8_t *out, size_t len)
{
    if (out == NULL && len != 0) {
        return MS_ERR_ARG;
    }
    while (len > 0) {
        size_t chunk = len > 65536u ? 65536u : len;
        if (RAND_priv_bytes(out, (int)chunk) != 1) {
            return MS_ERR_RNG;
        }
        out += chunk;
        len -= chunk;
    }
    return MS_OK;
}

/* ---- P-256 -------------------------------------------------------------- */

ms_err_t ms_openssl_p256_pkey(const uint8_t *d, const uint8_t *q, EVP_PKEY **out)
{
    *out = NULL;
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    if (d == NULL) {
        /* Public key: template copy plus the point (OpenSSL checks it is on
         * the curve when it is set). */
        *out = EVP_PKEY_dup(algs.p256_params);
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
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    EC_POINT *pt = EC_POINT_new(algs.p256);
    int ok = pt != NULL && EC_POINT_oct2point(algs.p256, pt, in, in_len, NULL) == 1 &&
             EC_POINT_is_at_infinity(algs.p256, pt) == 0 &&
             EC_POINT_is_on_curve(algs.p256, pt, NULL) == 1 &&
             EC_POINT_point2oct(algs.p256, pt, POINT_CONVERSION_UNCOMPRESSED, out,
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
    if (algs_ready() != MS_OK) {
        return MS_ERR_CRYPTO;
    }
    BIGNUM *bn = BN_secure_new();
    EC_POINT *pt = EC_POINT_new(algs.p256);
    BN_CTX *bctx = BN_CTX_secure_new();
    int ok = bn != NULL && pt != NULL && bctx != NULL &&
             BN_bin2bn(priv->d, MS_P256_PRIV_LEN, bn) != NULL &&
             EC_POINT_mul(algs.p256, pt, bn, NULL, NULL, bctx) == 1 &&
             EC_POINT_point2oct(algs.p256, pt, POINT_CONVERSION_UNCOMPRESSED, pub->q,
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
