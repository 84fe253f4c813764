/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_mbedtls.c - the crypto API (crypto.h) on Mbed TLS 3.6 LTS: the
 * firmware's backend (Cortex-M33), also built on the host from the same
 * pinned source so both backends pass the same known-answer tests. This
 * file holds the pool hooks (Mbed TLS's allocator on the MCU), the DRBG,
 * hashes, MACs and ciphers; P-256 is p256_mbedtls.c, the allocator pool.c.
 *
 * Invariants:
 *   - Streaming contexts hold a magic word plus the Mbed TLS context, in the
 *     caller's opaque storage (sizes checked by _Static_assert); a zeroed or
 *     freed context has no magic, so *_free() on it is harmless and
 *     *_update() on it is MS_ERR_STATE.
 *   - Random bytes come from a CTR_DRBG (AES-256) seeded and reseeded from
 *     ms_hal_rng_entropy() (M10: the platform's TRNG). No other entropy.
 *   - Mutable state lives in the pool ms_crypto_pool_current() names
 *     (crypto.h, pool.h), never in a global of this file on the MCU: Mbed
 *     TLS's allocations (ms_mbedtls_calloc/free) and the DRBG, which is the
 *     pool's root block. So each partition that runs crypto with its own
 *     pool has its own allocator and its own DRBG, inside its own memory.
 *     The one exception is the PSA core (its key slots), which only the
 *     privileged kernel uses (the TLS client); P-256 needs none of it.
 *   - Stack use stays in the low hundreds of bytes per call.
 *   - Key material in temporaries is wiped on every path; Mbed TLS contexts
 *     are freed (which zeroises them), and the pool wipes what is freed.
 *   - Not thread-safe: one DRBG per pool, one pool per partition (firmware
 *     is single threaded; host programs use this backend from one thread).
 */
#include <string.h>

#include "mbedtls/aes.h"
#include "mbedtls/cipher.h"
#include "mbedtls/cmac.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/des.h"
#include "mbedtls/gcm.h"
#include "mbedtls/hkdf.h"
#include "mbedtls/md.h"
#include "mbedtls/sha256.h"

#include "crypto_internal.h"
#include "mbedtls_internal.h"
#include "meterseal/hal.h"
#include "pool.h"

#define SHA_MAGIC  0x53484132u
#define HMAC_MAGIC 0x484d4132u
#define CTR_MAGIC  0x43545232u
#define DRBG_MAGIC 0x44524247u

/* ---- pools and the DRBG ------------------------------------------------- */

/*
 * A pool's DRBG: its root block (ms_pool_root), allocated zeroed by the first
 * ms_random() that runs with the pool current and seeded then; magic is
 * DRBG_MAGIC once seeded (a failed seed leaves it 0, the next call tries
 * again). It stays in the pool for the pool's life: 324 bytes on the MCU (a
 * 336-byte block), the first block of a pool whose first use is random
 * bytes.
 */
struct drbg_state {
    uint32_t magic;
    mbedtls_ctr_drbg_context ctx;
};
_Static_assert(_Alignof(struct drbg_state) <= MS_POOL_ALIGN, "pool payloads align it");

#if defined(MS_MBEDTLS_HOST)
/* The host's default pool: the DRBG alone (Mbed TLS allocates from libc on
 * the host), a static region, the one global of the host build's state. */
static unsigned char host_pool[MS_POOL_LEN_FOR(sizeof(struct drbg_state))]
    __attribute__((aligned(8)));
static const ms_crypto_pool_t host_default_pool = { host_pool, sizeof(host_pool) };

__attribute__((weak)) const ms_crypto_pool_t *ms_crypto_pool_current(void)
{
    return &host_default_pool;
}
#else
/* The image's pool (MS_CRYPTO_HEAP): where the kernel's crypto runs; a TEE
 * with partitions overrides this. */
__attribute__((weak)) const ms_crypto_pool_t *ms_crypto_pool_current(void)
{
    return &ms_crypto_heap_pool;
}

/* MBEDTLS_PLATFORM_CALLOC_MACRO / _FREE_MACRO (ms_mbedtls_config.h): every
 * Mbed TLS allocation, from the pool of the code running now. */
void *ms_mbedtls_calloc(size_t n, size_t size)
{
    const ms_crypto_pool_t *pool = ms_crypto_pool_current();
    return pool != NULL ? ms_pool_calloc(pool->buf, pool->len, n, size) : NULL;
}

void ms_mbedtls_free(void *p)
{
    const ms_crypto_pool_t *pool = ms_crypto_pool_current();
    if (pool != NULL) {
        ms_pool_free(pool->buf, pool->len, p);
    }
}
#endif

void ms_crypto_pool_stats(const ms_crypto_pool_t *pool, size_t *in_use, size_t *high_water)
{
    ms_pool_stats(pool != NULL ? pool->buf : NULL, pool != NULL ? pool->len : 0,
                  in_use, high_water);
}

/* CTR_DRBG's entropy callback: the platform's true random source. */
static int drbg_entropy(void *unused, unsigned char *buf, size_t len)
{
    (void)unused;
    return ms_hal_rng_entropy(buf, len) == MS_OK ? 0
                                                 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

/* The current pool's DRBG, seeded; NULL without a pool able to hold it or
 * without entropy. */
static mbedtls_ctr_drbg_context *drbg_seeded(void)
{
    static const unsigned char pers[] = "MeterSeal ms_random";
    const ms_crypto_pool_t *pool = ms_crypto_pool_current();
    if (pool == NULL) {
        return NULL;
    }
    struct drbg_state *st = ms_pool_root(pool->buf, pool->len, sizeof(struct drbg_state));
    if (st == NULL) {
        return NULL;
    }
    if (st->magic == DRBG_MAGIC) {
        return &st->ctx;
    }
    mbedtls_ctr_drbg_init(&st->ctx);
    if (mbedtls_ctr_drbg_seed(&st->ctx, drbg_entropy, NULL, pers, sizeof(pers) - 1) != 0) {
        mbedtls_ctr_drbg_free(&st->ctx);
        return NULL;
    }
    /* Prediction resistance off: CTR_DRBG reseeds from the TRNG on its own
     * every MBEDTLS_CTR_DRBG_RESEED_INTERVAL requests. */
    st->magic = DRBG_MAGIC;
    return &st->ctx;
}

/* DRBG output (reseeded from ms_hal_rng_entropy() as CTR_DRBG requires). */
ms_err_t ms_random(uint8_t *out, size_t len)
{
    if (out == NULL && len != 0) {
        return MS_ERR_ARG;
    }
    mbedtls_ctr_drbg_context *drbg = drbg_seeded();
    if (drbg == NULL) {
        return MS_ERR_RNG;
    }
    while (len > 0) {
        size_t chunk = len > MBEDTLS_CTR_DRBG_MAX_REQUEST ? MBEDTLS_CTR_DRBG_MAX_REQUEST : len;
        if (mbedtls_ctr_drbg_random(drbg, out, chunk) != 0) {
            return MS_ERR_RNG;
        }
        out += chunk;
        len -= chunk;
    }
    return MS_OK;
}

int ms_mbedtls_rng(void *unused, unsigned char *out, size_t len)
{
    (void)unused;
    return ms_random(out, len) == MS_OK ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

const char *ms_crypto_backend_name(void)
{
    return "mbedtls";
}

/* ---- SHA-256 ------------------------------------------------------------ */

struct sha_state {
    uint32_t magic;
    mbedtls_sha256_context c;
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
    struct sha_state *st = sha_state(ctx);
    mbedtls_sha256_init(&st->c);
    if (mbedtls_sha256_starts(&st->c, 0) != 0) {
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
    if (st->magic != SHA_MAGIC) {
        return MS_ERR_STATE;
    }
    if (len != 0 && mbedtls_sha256_update(&st->c, data, len) != 0) {
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
    if (st->magic != SHA_MAGIC) {
        return MS_ERR_STATE;
    }
    int rc = mbedtls_sha256_finish(&st->c, out);
    ms_sha256_free(ctx);
    return rc == 0 ? MS_OK : MS_ERR_CRYPTO;
}

void ms_sha256_free(ms_sha256_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    ms_secure_zero(ctx, sizeof(*ctx));   /* the SHA state holds no pointers */
}

ms_err_t ms_sha256(const void *data, size_t len, uint8_t out[MS_SHA256_LEN])
{
    if ((data == NULL && len != 0) || out == NULL) {
        return MS_ERR_ARG;
    }
    return mbedtls_sha256(data, len, out, 0) == 0 ? MS_OK : MS_ERR_CRYPTO;
}

/* ---- HMAC-SHA256, HKDF-SHA256 ------------------------------------------- */

struct hmac_state {
    uint32_t magic;
    mbedtls_md_context_t md;
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
    struct hmac_state *st = hmac_state(ctx);
    mbedtls_md_init(&st->md);
    st->magic = HMAC_MAGIC;   /* so that free releases what setup allocated */
    if (mbedtls_md_setup(&st->md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) != 0 ||
        mbedtls_md_hmac_starts(&st->md, key_len ? key : empty_key, key_len) != 0) {
        ms_hmac_sha256_free(ctx);
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
}

ms_err_t ms_hmac_sha256_update(ms_hmac_ctx *ctx, const void *data, size_t len)
{
    if (ctx == NULL || (data == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    struct hmac_state *st = hmac_state(ctx);
    if (st->magic != HMAC_MAGIC) {
        return MS_ERR_STATE;
    }
    if (len != 0 && mbedtls_md_hmac_update(&st->md, data, len) != 0) {
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
    if (st->magic != HMAC_MAGIC) {
        return MS_ERR_STATE;
    }
    int rc = mbedtls_md_hmac_finish(&st->md, out);
    ms_hmac_sha256_free(ctx);
    return rc == 0 ? MS_OK : MS_ERR_CRYPTO;
}

void ms_hmac_sha256_free(ms_hmac_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    struct hmac_state *st = hmac_state(ctx);
    if (st->magic == HMAC_MAGIC) {
        mbedtls_md_free(&st->md);   /* zeroises and frees the HMAC pads */
    }
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
    if (salt_len == 0) {
        salt = NULL;   /* RFC 5869: HashLen zero bytes */
    }
    if (mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, salt_len,
                     ikm, ikm_len, info, info_len, out, out_len) != 0) {
        ms_secure_zero(out, out_len);
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
}

/* ---- AES ECB / CBC ------------------------------------------------------ */

ms_err_t ms_aes_ecb_encrypt_block(const uint8_t *key, size_t key_len,
                                  const uint8_t in[MS_AES_BLOCK_LEN],
                                  uint8_t out[MS_AES_BLOCK_LEN])
{
    unsigned bits = ms_crypto_aes_bits(key_len);
    if (key == NULL || in == NULL || out == NULL || bits == 0) {
        return MS_ERR_ARG;
    }
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    int rc = mbedtls_aes_setkey_enc(&aes, key, bits);
    if (rc == 0) {
        rc = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, in, out);
    }
    mbedtls_aes_free(&aes);
    return rc == 0 ? MS_OK : MS_ERR_CRYPTO;
}

ms_err_t ms_aes_cbc(const uint8_t *key, size_t key_len, bool encrypt,
                    const uint8_t iv[MS_AES_BLOCK_LEN],
                    const uint8_t *in, uint8_t *out, size_t len)
{
    unsigned bits = ms_crypto_aes_bits(key_len);
    if (key == NULL || iv == NULL || bits == 0 || len % MS_AES_BLOCK_LEN != 0 ||
        (len != 0 && (in == NULL || out == NULL))) {
        return MS_ERR_ARG;
    }
    if (len == 0) {
        return MS_OK;
    }
    mbedtls_aes_context aes;
    uint8_t chain[MS_AES_BLOCK_LEN];
    memcpy(chain, iv, sizeof(chain));   /* Mbed TLS updates the IV in place */
    mbedtls_aes_init(&aes);
    int rc = encrypt ? mbedtls_aes_setkey_enc(&aes, key, bits)
                     : mbedtls_aes_setkey_dec(&aes, key, bits);
    if (rc == 0) {
        rc = mbedtls_aes_crypt_cbc(&aes, encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT,
                                   len, chain, in, out);
    }
    mbedtls_aes_free(&aes);
    ms_secure_zero(chain, sizeof(chain));
    return rc == 0 ? MS_OK : MS_ERR_CRYPTO;
}

/* ---- AES-CTR ------------------------------------------------------------ */

struct ctr_state {
    uint32_t magic;
    size_t off;                          /* byte position in stream_block */
    unsigned char counter[MS_AES_BLOCK_LEN];
    unsigned char stream[MS_AES_BLOCK_LEN];
    mbedtls_aes_context aes;
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
    if (ctx == NULL) {
        return MS_ERR_ARG;
    }
    memset(ctx, 0, sizeof(*ctx));
    unsigned bits = ms_crypto_aes_bits(key_len);
    if (key == NULL || counter == NULL || bits == 0) {
        return MS_ERR_ARG;
    }
    struct ctr_state *st = ctr_state(ctx);
    mbedtls_aes_init(&st->aes);
    if (mbedtls_aes_setkey_enc(&st->aes, key, bits) != 0) {
        mbedtls_aes_free(&st->aes);
        ms_secure_zero(ctx, sizeof(*ctx));
        return MS_ERR_CRYPTO;
    }
    memcpy(st->counter, counter, MS_AES_BLOCK_LEN);
    st->off = 0;
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
    if (st->magic != CTR_MAGIC) {
        return MS_ERR_STATE;
    }
    if (len == 0) {
        return MS_OK;
    }
    return mbedtls_aes_crypt_ctr(&st->aes, len, &st->off, st->counter, st->stream,
                                 in, out) == 0 ? MS_OK : MS_ERR_CRYPTO;
}

void ms_aes_ctr_free(ms_aes_ctr_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    struct ctr_state *st = ctr_state(ctx);
    if (st->magic == CTR_MAGIC) {
        mbedtls_aes_free(&st->aes);
    }
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
                               tag, tag_len)) {
        return MS_ERR_ARG;
    }
    return MS_OK;
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
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key,
                                ms_crypto_aes_bits(key_len));
    if (rc == 0) {
        rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, iv, iv_len,
                                       aad, aad_len, in, out, tag_len, tag);
    }
    mbedtls_gcm_free(&gcm);
    if (rc != 0) {
        if (len != 0) {
            ms_secure_zero(out, len);
        }
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
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
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key,
                                ms_crypto_aes_bits(key_len));
    err = MS_ERR_CRYPTO;
    if (rc == 0) {
        /* Compares the tag in constant time and zeroes out on mismatch. */
        rc = mbedtls_gcm_auth_decrypt(&gcm, len, iv, iv_len, aad, aad_len,
                                      tag, tag_len, in, out);
        err = rc == 0 ? MS_OK : (rc == MBEDTLS_ERR_GCM_AUTH_FAILED ? MS_ERR_AUTH
                                                                   : MS_ERR_CRYPTO);
    }
    mbedtls_gcm_free(&gcm);
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
    static const mbedtls_cipher_type_t types[3] = {
        MBEDTLS_CIPHER_AES_128_ECB, MBEDTLS_CIPHER_AES_192_ECB, MBEDTLS_CIPHER_AES_256_ECB,
    };
    unsigned bits = ms_crypto_aes_bits(key_len);
    if (key == NULL || bits == 0 || (data == NULL && len != 0) || out == NULL) {
        return MS_ERR_ARG;
    }
    const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(types[(bits - 128) / 64]);
    if (info == NULL) {
        return MS_ERR_UNSUPPORTED;
    }
    static const uint8_t empty[1] = { 0 };
    return mbedtls_cipher_cmac(info, key, bits, len ? data : empty, len, out) == 0
               ? MS_OK : MS_ERR_CRYPTO;
}

/* ---- Triple DES --------------------------------------------------------- */

static ms_err_t des3_args(const uint8_t *key, size_t key_len, const uint8_t *in,
                          const uint8_t *out, size_t len)
{
    if (key == NULL || (key_len != 16 && key_len != 24) || len % MS_DES_BLOCK_LEN != 0 ||
        (len != 0 && (in == NULL || out == NULL))) {
        return MS_ERR_ARG;
    }
    return MS_OK;
}

static int des3_setkey(mbedtls_des3_context *c, const uint8_t *key, size_t key_len,
                       bool encrypt)
{
    if (key_len == 16) {
        return encrypt ? mbedtls_des3_set2key_enc(c, key) : mbedtls_des3_set2key_dec(c, key);
    }
    return encrypt ? mbedtls_des3_set3key_enc(c, key) : mbedtls_des3_set3key_dec(c, key);
}

ms_err_t ms_des3_ecb(const uint8_t *key, size_t key_len, bool encrypt,
                     const uint8_t *in, uint8_t *out, size_t len)
{
    ms_err_t err = des3_args(key, key_len, in, out, len);
    if (err != MS_OK || len == 0) {
        return err;
    }
    mbedtls_des3_context c;
    mbedtls_des3_init(&c);
    int rc = des3_setkey(&c, key, key_len, encrypt);
    for (size_t i = 0; rc == 0 && i < len; i += MS_DES_BLOCK_LEN) {
        rc = mbedtls_des3_crypt_ecb(&c, in + i, out + i);
    }
    mbedtls_des3_free(&c);
    return rc == 0 ? MS_OK : MS_ERR_CRYPTO;
}

ms_err_t ms_des3_cbc(const uint8_t *key, size_t key_len, bool encrypt,
                     const uint8_t iv[MS_DES_BLOCK_LEN],
                     const uint8_t *in, uint8_t *out, size_t len)
{
    ms_err_t err = des3_args(key, key_len, in, out, len);
    if (err != MS_OK || iv == NULL) {
        return err != MS_OK ? err : MS_ERR_ARG;
    }
    if (len == 0) {
        return MS_OK;
    }
    uint8_t chain[MS_DES_BLOCK_LEN];
    memcpy(chain, iv, sizeof(chain));
    mbedtls_des3_context c;
    mbedtls_des3_init(&c);
    int rc = des3_setkey(&c, key, key_len, encrypt);
    if (rc == 0) {
        rc = mbedtls_des3_crypt_cbc(&c, encrypt ? MBEDTLS_DES_ENCRYPT : MBEDTLS_DES_DECRYPT,
                                    len, chain, in, out);
    }
    mbedtls_des3_free(&c);
    ms_secure_zero(chain, sizeof(chain));
    return rc == 0 ? MS_OK : MS_ERR_CRYPTO;
}
