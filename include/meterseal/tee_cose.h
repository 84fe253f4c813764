/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_cose.h - COSE_Sign1 (RFC 9052) with ES256, the one envelope of every
 * signed object MeterSeal makes: attestation tokens (tee_attest.h) and the
 * meter <-> cloud messages (link_msg.h, docs/cloud.md section 5).
 *
 *   COSE_Sign1 = 18([ protected: h'a10126'   ; {1: -7}, alg ES256
 *                     unprotected: {} or {4: kid},
 *                     payload: bstr,
 *                     signature: bstr(64) ])  ; r || s, not DER
 *   Sig_structure = ["Signature1", protected, h'', payload]
 *
 * Signing goes through a callback (the key store, in the TEE: the signer
 * never holds the key); verification takes the signer's public key.
 * The parser is bounded (reads only inside (buf, len)), accepts exactly
 * this shape and nothing after it, and is fuzzed (fuzz_link_msg,
 * fuzz_tee_attest).
 */
#ifndef MS_TEE_COSE_H
#define MS_TEE_COSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"

#define MS_COSE_TAG_SIGN1 18u
#define MS_COSE_ALG_ES256 (-7)
#define MS_COSE_HDR_ALG   1
#define MS_COSE_HDR_KID   4
#define MS_COSE_KID_LEN   8u     /* docs/cloud.md: first 8 bytes of SHA-256(SPKI DER) */
#define MS_COSE_KID_MAX   32u
/* Bytes the envelope adds to a payload of up to 65535 bytes, at most: tag,
 * array, protected (4), unprotected map with a kid (3 + 32), payload head
 * (3), signature (2 + 64). */
#define MS_COSE_OVERHEAD  110u

/* Sign a SHA-256 digest; DER signature (ms_tee_key_sign_hash's form). */
typedef ms_err_t (*ms_cose_sign_fn)(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der,
                                    size_t cap, size_t *der_len);

/*
 * Write COSE_Sign1 over payload into out. kid (kid_len <= MS_COSE_KID_MAX)
 * goes into the unprotected header; NULL leaves it empty (attestation
 * tokens). MS_ERR_BUFFER_TOO_SMALL, or the signer's error.
 */
ms_err_t ms_cose_sign1(const uint8_t *payload, size_t payload_len, const uint8_t *kid,
                       size_t kid_len, ms_cose_sign_fn sign, void *sign_ctx, uint8_t *out,
                       size_t cap, size_t *out_len);

/* A parsed COSE_Sign1: pointers into the message. */
typedef struct ms_cose_sign1 {
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *kid;       /* NULL when the unprotected header has none */
    size_t kid_len;
    const uint8_t *sig;       /* 64 bytes r || s */
} ms_cose_sign1_t;

/*
 * Parse (no signature check): tag 18, four elements, the protected header
 * exactly h'a10126' (else MS_ERR_UNSUPPORTED), an unprotected map of at
 * most 8 integer labels (a kid, label 4, must be a bstr of at most
 * MS_COSE_KID_MAX bytes; other labels are skipped: they are not
 * authenticated and never used), a payload bstr, a 64-byte signature,
 * nothing after.
 * MS_ERR_TRUNCATED, MS_ERR_FORMAT, MS_ERR_UNSUPPORTED.
 */
ms_err_t ms_cose_sign1_parse(const uint8_t *msg, size_t len, ms_cose_sign1_t *out);

/* Check a parsed message's signature with pub. MS_ERR_SIGNATURE. */
ms_err_t ms_cose_sign1_verify(const ms_cose_sign1_t *m, const ms_p256_pub_t *pub);

/* The kid of a signer: the first 8 bytes of SHA-256(SPKI DER of pub). */
ms_err_t ms_cose_kid(const ms_p256_pub_t *pub, uint8_t kid[MS_COSE_KID_LEN]);

#endif /* MS_TEE_COSE_H */
