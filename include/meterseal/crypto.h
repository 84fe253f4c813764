/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto.h - the project's one crypto API.
 *
 * Only src/crypto/ includes a crypto library. Everything else calls these
 * functions. Two backends implement them, chosen at build time:
 *   - OpenSSL 3 libcrypto (host tools, cloud service: fast on x86-64),
 *   - Mbed TLS 3.6 LTS (Cortex-M33 firmware; the same build on the host so both
 *     backends are tested against the same known-answer vectors).
 *
 * Promises, whatever the backend:
 *   - No function allocates from the caller's point of view: contexts and
 *     outputs live in caller-provided memory. (The OpenSSL backend allocates
 *     internally; the firmware build never links it.)
 *   - Streaming contexts must be released with their *_free() function on
 *     every path, success or error; *_free() on a zeroed or already freed
 *     context is harmless. Contexts are wiped on free.
 *   - Secret outputs are not written on failure paths that return an error
 *     except where stated; callers wipe their own key buffers with
 *     ms_secure_zero().
 *   - Public keys are the 65-byte uncompressed SEC1 point (04 || X || Y),
 *     private keys the 32-byte big-endian scalar. ECDSA signatures are DER
 *     (SEQUENCE { INTEGER r, INTEGER s }), as in MCUboot's ECDSA_SIG TLV.
 *   - Return MS_OK, or a named ms_err_t. MS_ERR_CRYPTO means the backend
 *     failed for a reason that is not the caller's input.
 */
#ifndef MS_CRYPTO_H
#define MS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"

#define MS_SHA256_LEN        32u
#define MS_HMAC_SHA256_LEN   32u
#define MS_AES_BLOCK_LEN     16u
#define MS_AES_GCM_TAG_LEN   16u
#define MS_DES_BLOCK_LEN     8u
#define MS_P256_PRIV_LEN     32u
#define MS_P256_PUB_LEN      65u  /* 04 || X || Y */
#define MS_P256_SHARED_LEN   32u  /* ECDH x-coordinate */
#define MS_P256_SIG_DER_MAX  72u
#define MS_P256_SPKI_LEN     91u  /* DER SubjectPublicKeyInfo of a P-256 key */

/*
 * Pools (Mbed TLS backend). On the MCU every mutable byte of the backend
 * lives in a pool: Mbed TLS's own allocations (MD, cipher and GCM contexts,
 * the PSA core's key buffers, the TLS client's records) and the DRBG
 * (ms_random()). Which pool serves a call is asked of ms_crypto_pool_current()
 * at that moment, so crypto code running in a partition that the MPU confines
 * to its own memory touches nothing outside it when the hook returns a pool
 * in that memory.
 *
 * A pool is any byte region: all zero (bss, or wiped) it is initialised on
 * first use; its allocator's state is inside it (src/crypto/mbedtls/pool.h).
 * Rules for a TEE that defines the hook:
 *   - a region belongs to one partition and is only used while that
 *     partition's code runs (the allocator is not reentrant for one region);
 *   - what Mbed TLS allocated must be freed while the same pool is current: a
 *     free into another pool is ignored (the block stays, in its own pool);
 *   - wiping a region (all zero) releases everything in it, its DRBG included,
 *     and must only happen when nothing allocated from it is live.
 *
 * Each firmware image provides the default pool, sized for what it does:
 * write MS_CRYPTO_HEAP(bytes) once at file scope in one of its files (also
 * in an image that defines its own hook). On the host, the Mbed TLS backend
 * allocates from libc and keeps only its DRBG in its default pool (a static
 * region of its own); the OpenSSL backend has no pool.
 */
typedef struct ms_crypto_pool {
    unsigned char *buf;
    size_t len;
} ms_crypto_pool_t;

extern unsigned char ms_crypto_heap[];
extern const size_t ms_crypto_heap_len;
extern const ms_crypto_pool_t ms_crypto_heap_pool;
#define MS_CRYPTO_HEAP(bytes)                                                  \
    unsigned char ms_crypto_heap[(bytes)] __attribute__((aligned(8)));         \
    const size_t ms_crypto_heap_len = (bytes);                                 \
    const ms_crypto_pool_t ms_crypto_heap_pool = { ms_crypto_heap, (bytes) }

/* MCU: the pool Mbed TLS allocates from, and the DRBG state lives in, for
 * the code running now. The default (weak) is the image's MS_CRYPTO_HEAP;
 * a TEE that runs crypto in several isolated partitions defines its own.
 * NULL: no pool (every allocation and ms_random() then fail). */
const ms_crypto_pool_t *ms_crypto_pool_current(void);

/* Bytes of a pool in use now and at most so far (allocator block headers
 * included; 0, 0 before its first use): what MS_CRYPTO_HEAP or a
 * partition's pool must be sized for, plus fragmentation. The current pool
 * is ms_crypto_pool_current(). Mbed TLS backend only. Either out pointer
 * may be NULL. */
void ms_crypto_pool_stats(const ms_crypto_pool_t *pool, size_t *in_use, size_t *high_water);

/* Name of the backend compiled in: "openssl" or "mbedtls". */
const char *ms_crypto_backend_name(void);

/* ---- keys --------------------------------------------------------------- */

typedef struct ms_p256_priv {
    uint8_t d[MS_P256_PRIV_LEN];
} ms_p256_priv_t;

typedef struct ms_p256_pub {
    uint8_t q[MS_P256_PUB_LEN];
} ms_p256_pub_t;

/* ---- constant time and hygiene ------------------------------------------ */

/* True when a and b are equal; time depends only on len. For tags and MACs. */
bool ms_ct_equal(const void *a, const void *b, size_t len);

/* Zero memory in a way the compiler may not drop. */
void ms_secure_zero(void *p, size_t len);

/* ---- SHA-256 ------------------------------------------------------------ */

/* Opaque storage big enough for either backend's state. */
typedef struct ms_sha256_ctx {
    uint64_t opaque[16];
} ms_sha256_ctx;

ms_err_t ms_sha256_init(ms_sha256_ctx *ctx);
ms_err_t ms_sha256_update(ms_sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest and releases the context (no _free needed after). */
ms_err_t ms_sha256_finish(ms_sha256_ctx *ctx, uint8_t out[MS_SHA256_LEN]);
void ms_sha256_free(ms_sha256_ctx *ctx);

ms_err_t ms_sha256(const void *data, size_t len, uint8_t out[MS_SHA256_LEN]);

/* ---- HMAC-SHA256 and HKDF-SHA256 (RFC 2104, RFC 5869) -------------------- */

typedef struct ms_hmac_ctx {
    uint64_t opaque[48];
} ms_hmac_ctx;

ms_err_t ms_hmac_sha256_init(ms_hmac_ctx *ctx, const uint8_t *key, size_t key_len);
ms_err_t ms_hmac_sha256_update(ms_hmac_ctx *ctx, const void *data, size_t len);
/* Writes the tag and releases the context. */
ms_err_t ms_hmac_sha256_finish(ms_hmac_ctx *ctx, uint8_t out[MS_HMAC_SHA256_LEN]);
void ms_hmac_sha256_free(ms_hmac_ctx *ctx);

ms_err_t ms_hmac_sha256(const uint8_t *key, size_t key_len,
                        const void *data, size_t len,
                        uint8_t out[MS_HMAC_SHA256_LEN]);

/* salt may be NULL (then HashLen zero bytes, per RFC 5869). out_len <= 255*32. */
ms_err_t ms_hkdf_sha256(const uint8_t *salt, size_t salt_len,
                        const uint8_t *ikm, size_t ikm_len,
                        const uint8_t *info, size_t info_len,
                        uint8_t *out, size_t out_len);

/* ---- AES (key_len 16 or 32; 24 accepted where the backend allows) -------- */

/* One block, for key check values and key derivation. */
ms_err_t ms_aes_ecb_encrypt_block(const uint8_t *key, size_t key_len,
                                  const uint8_t in[MS_AES_BLOCK_LEN],
                                  uint8_t out[MS_AES_BLOCK_LEN]);

/* CBC without padding; len must be a multiple of 16. in and out may alias. */
ms_err_t ms_aes_cbc(const uint8_t *key, size_t key_len, bool encrypt,
                    const uint8_t iv[MS_AES_BLOCK_LEN],
                    const uint8_t *in, uint8_t *out, size_t len);

/*
 * CTR mode with a 128-bit big-endian counter block, streaming: successive
 * calls continue the key stream at the byte where the previous one stopped,
 * so any chunking gives the same output. in and out may alias.
 */
typedef struct ms_aes_ctr_ctx {
    uint64_t opaque[48];
} ms_aes_ctr_ctx;

ms_err_t ms_aes_ctr_init(ms_aes_ctr_ctx *ctx, const uint8_t *key, size_t key_len,
                         const uint8_t counter[MS_AES_BLOCK_LEN]);
ms_err_t ms_aes_ctr_update(ms_aes_ctr_ctx *ctx, const uint8_t *in, uint8_t *out,
                           size_t len);
void ms_aes_ctr_free(ms_aes_ctr_ctx *ctx);

/* One-shot CTR. */
ms_err_t ms_aes_ctr(const uint8_t *key, size_t key_len,
                    const uint8_t counter[MS_AES_BLOCK_LEN],
                    const uint8_t *in, uint8_t *out, size_t len);

/* AES-GCM, 12-byte IV recommended (any 1..64 accepted), tag_len 4..16.
 * decrypt returns MS_ERR_AUTH on tag mismatch and then zeroes out. */
ms_err_t ms_aes_gcm_encrypt(const uint8_t *key, size_t key_len,
                            const uint8_t *iv, size_t iv_len,
                            const uint8_t *aad, size_t aad_len,
                            const uint8_t *in, uint8_t *out, size_t len,
                            uint8_t *tag, size_t tag_len);
ms_err_t ms_aes_gcm_decrypt(const uint8_t *key, size_t key_len,
                            const uint8_t *iv, size_t iv_len,
                            const uint8_t *aad, size_t aad_len,
                            const uint8_t *in, uint8_t *out, size_t len,
                            const uint8_t *tag, size_t tag_len);

/* AES-CMAC (NIST SP 800-38B), full 16-byte tag. */
ms_err_t ms_aes_cmac(const uint8_t *key, size_t key_len,
                     const void *data, size_t len,
                     uint8_t out[MS_AES_BLOCK_LEN]);

/* ---- Triple DES (for the chip: GlobalPlatform SCP02, EMV CPS) ------------ */

/* key_len 16 (2-key, K1 K2 K1) or 24 (3-key). len a multiple of 8, no padding.
 * in and out may alias. */
ms_err_t ms_des3_ecb(const uint8_t *key, size_t key_len, bool encrypt,
                     const uint8_t *in, uint8_t *out, size_t len);
ms_err_t ms_des3_cbc(const uint8_t *key, size_t key_len, bool encrypt,
                     const uint8_t iv[MS_DES_BLOCK_LEN],
                     const uint8_t *in, uint8_t *out, size_t len);

/* ---- random ------------------------------------------------------------- */

/*
 * Bytes from the module's DRBG, which is seeded (and reseeded) from the
 * platform's entropy source (ms_hal_rng_entropy() on the MCU backend; the
 * OS on the host). MS_ERR_RNG if no entropy could be had.
 */
ms_err_t ms_random(uint8_t *out, size_t len);

/* ---- ECDSA / ECDH on P-256 ---------------------------------------------- */

ms_err_t ms_p256_keygen(ms_p256_priv_t *priv, ms_p256_pub_t *pub);
ms_err_t ms_p256_pub_from_priv(const ms_p256_priv_t *priv, ms_p256_pub_t *pub);
/* MS_OK if pub is a valid point on the curve. */
ms_err_t ms_p256_pub_check(const ms_p256_pub_t *pub);

/* Sign a 32-byte digest; sig gets DER, at most MS_P256_SIG_DER_MAX bytes. */
ms_err_t ms_p256_sign(const ms_p256_priv_t *priv, const uint8_t hash[MS_SHA256_LEN],
                      uint8_t *sig, size_t sig_cap, size_t *sig_len);
/* MS_OK if valid, MS_ERR_SIGNATURE if not (including malformed DER). */
ms_err_t ms_p256_verify(const ms_p256_pub_t *pub, const uint8_t hash[MS_SHA256_LEN],
                        const uint8_t *sig, size_t sig_len);

/* Shared secret = x-coordinate of priv * peer. */
ms_err_t ms_p256_ecdh(const ms_p256_priv_t *priv, const ms_p256_pub_t *peer,
                      uint8_t shared[MS_P256_SHARED_LEN]);

/* ECDSA signature forms: DER <-> raw r || s (64 bytes, big-endian; the form
 * COSE (RFC 9052) and TLS 1.3 libraries' drivers use). to_raw accepts only
 * the strict DER ms_p256_verify accepts (MS_ERR_SIGNATURE otherwise);
 * from_raw writes DER (MS_ERR_BUFFER_TOO_SMALL if cap < its length). */
#define MS_P256_SIG_RAW_LEN 64u
ms_err_t ms_p256_sig_to_raw(const uint8_t *der, size_t len, uint8_t raw[MS_P256_SIG_RAW_LEN]);
ms_err_t ms_p256_sig_from_raw(const uint8_t raw[MS_P256_SIG_RAW_LEN], uint8_t *der, size_t cap,
                              size_t *len);

/* SubjectPublicKeyInfo DER of a P-256 key: the bytes MCUboot's PUBKEY TLV
 * carries and KEYHASH hashes. from_spki accepts exactly that form. */
ms_err_t ms_p256_pub_to_spki(const ms_p256_pub_t *pub, uint8_t out[MS_P256_SPKI_LEN]);
ms_err_t ms_p256_pub_from_spki(const uint8_t *der, size_t len, ms_p256_pub_t *pub);

/* ---- key files (host builds only: tools, cloud) ------------------------- */

typedef enum ms_key_encoding {
    MS_KEY_SPKI,   /* public key: SubjectPublicKeyInfo ("PUBLIC KEY") */
    MS_KEY_PKCS8,  /* private key: PKCS#8 ("PRIVATE KEY") */
    MS_KEY_SEC1,   /* private key: RFC 5915 ECPrivateKey ("EC PRIVATE KEY") */
} ms_key_encoding_t;

/*
 * Parse a P-256 key in PEM or DER: SPKI, PKCS#8 (unencrypted) or SEC1.
 * pub is always filled; priv (may be NULL) is filled when the input holds a
 * private key, and *has_priv says so. Other curves/algorithms:
 * MS_ERR_KEY_FORMAT.
 */
ms_err_t ms_p256_key_parse(const uint8_t *buf, size_t len,
                           ms_p256_priv_t *priv, ms_p256_pub_t *pub,
                           bool *has_priv);

/* Write a key. MS_KEY_SPKI writes pub; the other two write priv (and the
 * public point derived from it). pem selects PEM text (NUL not counted in
 * *out_len) or DER. */
ms_err_t ms_p256_key_write(const ms_p256_priv_t *priv, const ms_p256_pub_t *pub,
                           ms_key_encoding_t encoding, bool pem,
                           uint8_t *out, size_t cap, size_t *out_len);

#endif /* MS_CRYPTO_H */
