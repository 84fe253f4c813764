/* SPDX-License-Identifier: Apache-2.0 */
/*
 * p256_mbedtls.c - ECDSA and ECDH on P-256 for the Mbed TLS backend, on
 * p256-m (Mbed TLS 3.6's 3rdparty/p256-m), called directly: the smallest and
 * fastest P-256 Mbed TLS ships for Cortex-M (see ms_mbedtls_config.h).
 *
 * Invariants:
 *   - p256-m works on raw big-endian values: public keys 64 bytes X || Y
 *     (our 65-byte SEC1 form without its 0x04), signatures r || s. The DER
 *     conversion uses the strict helpers both backends share (common/), so a
 *     signature one backend refuses, the other refuses too.
 *   - p256-m validates every point and scalar it is given and runs in
 *     constant time; its randomness (key generation, signing nonces) comes
 *     from p256_generate_random() -> ms_p256m_random() (psa_rng.c) ->
 *     ms_random(), the current pool's DRBG seeded from the platform's TRNG:
 *     no PSA core state, so a partition signs too.
 *   - Secret temporaries are wiped on every path.
 */
#include <string.h>

#include "p256-m.h"

#include "crypto_internal.h"
#include "mbedtls_internal.h"

/* The 64-byte X || Y form p256-m takes, or NULL when q is not uncompressed. */
static const uint8_t *raw_point(const ms_p256_pub_t *pub)
{
    return pub->q[0] == 0x04 ? pub->q + 1 : NULL;
}

static ms_err_t map_p256m(int rc, ms_err_t invalid_input)
{
    switch (rc) {
    case P256_SUCCESS:
        return MS_OK;
    case P256_RANDOM_FAILED:
        return MS_ERR_RNG;
    case P256_INVALID_SIGNATURE:
        return MS_ERR_SIGNATURE;
    default:
        return invalid_input;
    }
}

ms_err_t ms_p256_pub_check(const ms_p256_pub_t *pub)
{
    if (pub == NULL) {
        return MS_ERR_ARG;
    }
    const uint8_t *xy = raw_point(pub);
    if (xy == NULL || p256_validate_pubkey(xy) != P256_SUCCESS) {
        return MS_ERR_KEY_FORMAT;
    }
    return MS_OK;
}

ms_err_t ms_p256_pub_from_priv(const ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    if (priv == NULL || pub == NULL) {
        return MS_ERR_ARG;
    }
    if (!ms_crypto_p256_priv_valid(priv->d)) {
        return MS_ERR_KEY_FORMAT;
    }
    pub->q[0] = 0x04;
    return map_p256m(p256_public_from_private(pub->q + 1, priv->d), MS_ERR_KEY_FORMAT);
}

ms_err_t ms_p256_keygen(ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    if (priv == NULL || pub == NULL) {
        return MS_ERR_ARG;
    }
    pub->q[0] = 0x04;
    ms_err_t err = map_p256m(p256_gen_keypair(priv->d, pub->q + 1), MS_ERR_CRYPTO);
    if (err != MS_OK) {
        ms_secure_zero(priv, sizeof(*priv));
    }
    return err;
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
    uint8_t rs[64];
    ms_err_t err = map_p256m(p256_ecdsa_sign(rs, priv->d, hash, MS_SHA256_LEN),
                             MS_ERR_KEY_FORMAT);
    if (err == MS_OK) {
        size_t n = ms_crypto_sig_der_encode(rs, rs + 32, sig, sig_cap);
        if (n == 0) {
            err = MS_ERR_BUFFER_TOO_SMALL;
        }
        *sig_len = n;
    }
    ms_secure_zero(rs, sizeof(rs));
    return err;
}

/* Never inlined or analysed across calls (GCC's noipa): with link-time
 * optimisation the caller would otherwise see the two constants p256-m
 * returns and fold its fault-injection-hardened verdict into p256-m's own
 * final comparison, and two verifications of the same signature could be
 * merged into one. Clang (host fuzz builds only) has no noipa; noinline is
 * its closest and the firmware is never built with it. */
#if defined(__clang__)
__attribute__((noinline))
#else
__attribute__((noipa))
#endif
ms_err_t ms_p256_verify(const ms_p256_pub_t *pub, const uint8_t hash[MS_SHA256_LEN],
                        const uint8_t *sig, size_t sig_len)
{
    if (pub == NULL || hash == NULL || (sig == NULL && sig_len != 0)) {
        return MS_ERR_ARG;
    }
    uint8_t rs[64];
    /* The same strict DER rules in both backends (no malleable encodings). */
    if (!ms_crypto_sig_der_parse(sig, sig_len, rs, rs + 32)) {
        return MS_ERR_SIGNATURE;
    }
    const uint8_t *xy = raw_point(pub);
    if (xy == NULL) {
        return MS_ERR_KEY_FORMAT;
    }
    return map_p256m(p256_ecdsa_verify(rs, xy, hash, MS_SHA256_LEN), MS_ERR_KEY_FORMAT);
}

ms_err_t ms_p256_ecdh(const ms_p256_priv_t *priv, const ms_p256_pub_t *peer,
                      uint8_t shared[MS_P256_SHARED_LEN])
{
    if (priv == NULL || peer == NULL || shared == NULL) {
        return MS_ERR_ARG;
    }
    if (!ms_crypto_p256_priv_valid(priv->d)) {
        return MS_ERR_KEY_FORMAT;
    }
    const uint8_t *xy = raw_point(peer);
    if (xy == NULL) {
        return MS_ERR_KEY_FORMAT;
    }
    ms_err_t err = map_p256m(p256_ecdh_shared_secret(shared, priv->d, xy), MS_ERR_KEY_FORMAT);
    if (err != MS_OK) {
        ms_secure_zero(shared, MS_P256_SHARED_LEN);
    }
    return err;
}
