/* SPDX-License-Identifier: Apache-2.0 */
/*
 * p256_der.c - DER encodings around P-256 keys and ECDSA signatures, shared
 * by both backends: the SubjectPublicKeyInfo that MCUboot's PUBKEY TLV
 * carries (and KEYHASH hashes), and the SEQUENCE { r, s } signature of
 * MCUboot's ECDSA_SIG TLV (and its raw r || s form, COSE's).
 *
 * Invariants: parsers take (buf, len) and never read past len; they accept
 * one canonical form only, so a signature or key has exactly one accepted
 * encoding whatever backend is compiled in (no malleability).
 */
#include <string.h>

#include "crypto_internal.h"

/* SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID prime256v1 }, BIT STRING } */
const uint8_t ms_crypto_spki_prefix[MS_CRYPTO_SPKI_PREFIX_LEN] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
    0x42, 0x00,
};

const uint8_t ms_crypto_p256_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
    0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* Constant-time: 1 <= v < n, v 32 bytes big-endian. */
static bool scalar_in_range(const uint8_t v[32])
{
    unsigned borrow = 0;   /* v - n, borrow out means v < n */
    unsigned nonzero = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned d = (unsigned)v[i] - (unsigned)ms_crypto_p256_order[i] - borrow;
        borrow = (d >> 8) & 1u;
        nonzero |= v[i];
    }
    return borrow == 1u && nonzero != 0u;
}

bool ms_crypto_p256_priv_valid(const uint8_t d[32])
{
    return scalar_in_range(d);
}

/* Read one DER INTEGER holding a positive value of at most 32 bytes. */
static bool read_integer(const uint8_t *p, size_t len, size_t *pos, uint8_t out[32])
{
    size_t i = *pos;
    if (len - i < 2 || p[i] != 0x02) {
        return false;
    }
    size_t n = p[i + 1];
    i += 2;
    if (n == 0 || n > 33 || n > len - i) {     /* short form only: <= 33 */
        return false;
    }
    const uint8_t *v = p + i;
    if (v[0] & 0x80) {
        return false;                           /* negative */
    }
    if (n > 1 && v[0] == 0x00 && !(v[1] & 0x80)) {
        return false;                           /* non-minimal */
    }
    if (n == 33) {
        if (v[0] != 0x00) {
            return false;
        }
        v++;
        n--;
    }
    memset(out, 0, 32);
    memcpy(out + (32 - n), v, n);
    *pos = i + (size_t)p[*pos + 1];
    return true;
}

bool ms_crypto_sig_der_parse(const uint8_t *sig, size_t len,
                             uint8_t r[32], uint8_t s[32])
{
    if (sig == NULL || len < 8 || len > MS_P256_SIG_DER_MAX) {
        return false;
    }
    if (sig[0] != 0x30 || sig[1] >= 0x80 || (size_t)sig[1] != len - 2) {
        return false;
    }
    size_t pos = 2;
    if (!read_integer(sig, len, &pos, r) || !read_integer(sig, len, &pos, s)) {
        return false;
    }
    return pos == len && scalar_in_range(r) && scalar_in_range(s);
}

/* Append one minimal positive INTEGER; returns bytes written or 0. */
static size_t put_integer(const uint8_t v[32], uint8_t *out, size_t cap)
{
    size_t skip = 0;
    while (skip < 31 && v[skip] == 0) {
        skip++;
    }
    size_t n = 32 - skip;
    size_t pad = (v[skip] & 0x80) ? 1u : 0u;
    if (cap < 2 + pad + n) {
        return 0;
    }
    out[0] = 0x02;
    out[1] = (uint8_t)(pad + n);
    out[2] = 0x00;
    memcpy(out + 2 + pad, v + skip, n);
    return 2 + pad + n;
}

size_t ms_crypto_sig_der_encode(const uint8_t r[32], const uint8_t s[32],
                                uint8_t *out, size_t cap)
{
    if (out == NULL || cap < 2) {
        return 0;
    }
    size_t a = put_integer(r, out + 2, cap - 2);
    if (a == 0) {
        return 0;
    }
    size_t b = put_integer(s, out + 2 + a, cap - 2 - a);
    if (b == 0) {
        return 0;
    }
    out[0] = 0x30;
    out[1] = (uint8_t)(a + b);
    return 2 + a + b;
}

ms_err_t ms_p256_sig_to_raw(const uint8_t *der, size_t len, uint8_t raw[MS_P256_SIG_RAW_LEN])
{
    if (raw == NULL || (der == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    if (!ms_crypto_sig_der_parse(der, len, raw, raw + 32)) {
        memset(raw, 0, MS_P256_SIG_RAW_LEN);
        return MS_ERR_SIGNATURE;
    }
    return MS_OK;
}

ms_err_t ms_p256_sig_from_raw(const uint8_t raw[MS_P256_SIG_RAW_LEN], uint8_t *der, size_t cap,
                              size_t *len)
{
    if (raw == NULL || der == NULL || len == NULL) {
        return MS_ERR_ARG;
    }
    *len = ms_crypto_sig_der_encode(raw, raw + 32, der, cap);
    return *len != 0 ? MS_OK : MS_ERR_BUFFER_TOO_SMALL;
}

/* SubjectPublicKeyInfo DER of a P-256 key (MCUboot PUBKEY TLV / KEYHASH). */
ms_err_t ms_p256_pub_to_spki(const ms_p256_pub_t *pub, uint8_t out[MS_P256_SPKI_LEN])
{
    if (pub == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_p256_pub_check(pub);
    if (err != MS_OK) {
        return err;
    }
    memcpy(out, ms_crypto_spki_prefix, MS_CRYPTO_SPKI_PREFIX_LEN);
    memcpy(out + MS_CRYPTO_SPKI_PREFIX_LEN, pub->q, MS_P256_PUB_LEN);
    return MS_OK;
}

/* Accepts exactly the 91-byte SPKI of an uncompressed P-256 point that lies
 * on the curve; anything else is MS_ERR_KEY_FORMAT. */
ms_err_t ms_p256_pub_from_spki(const uint8_t *der, size_t len, ms_p256_pub_t *pub)
{
    if (pub == NULL || (der == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    if (len != MS_P256_SPKI_LEN ||
        memcmp(der, ms_crypto_spki_prefix, MS_CRYPTO_SPKI_PREFIX_LEN) != 0) {
        return MS_ERR_KEY_FORMAT;
    }
    ms_p256_pub_t tmp;
    memcpy(tmp.q, der + MS_CRYPTO_SPKI_PREFIX_LEN, MS_P256_PUB_LEN);
    if (ms_p256_pub_check(&tmp) != MS_OK) {
        return MS_ERR_KEY_FORMAT;
    }
    *pub = tmp;
    return MS_OK;
}
