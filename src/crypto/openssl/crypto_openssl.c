/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_openssl.c - the crypto API (crypto.h) on OpenSSL 3 libcrypto, for
 * host tools and the cloud service: this file holds what the backend's
 * files share (the fetched-algorithm cache, the backend's name) and the
 * random generator; the primitives are one file per concern:
 *   hash_openssl.c    SHA-256, HMAC-SHA256, HKDF-SHA256, AES-CMAC
 *   cipher_openssl.c  AES-ECB/CBC/CTR/GCM, Triple DES
 *   ec_openssl.c      P-256: keys, ECDSA, ECDH
 *   keyfile_openssl.c P-256 key files
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
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto_internal.h"
#include "openssl_internal.h"

/* ---- fetched algorithm cache -------------------------------------------- */

static ms_openssl_algs_t algs;
static int algs_ok;
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
    algs_ok = ok;
}

/* The cache, or NULL when OpenSSL could not provide every algorithm. */
const ms_openssl_algs_t *ms_openssl_algs(void)
{
    if (!CRYPTO_THREAD_run_once(&algs_once, algs_fetch) || !algs_ok) {
        return NULL;
    }
    return &algs;
}

int ms_openssl_aes_index(size_t key_len)
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
