/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose.c - COSE_Sign1 with ES256 (meterseal/tee_cose.h), shared by the
 * attestation token and the signed meter <-> cloud messages.
 *
 * Invariants:
 *   - The protected header is always exactly {1: -7} (h'a10126'); the parser
 *     compares bytes, so no other encoding of it (or another algorithm) is
 *     ever accepted.
 *   - The Sig_structure is hashed as it is built (its head, then the payload
 *     in place): no copy of the payload is made to sign or verify it.
 *   - The parser reads only inside (msg, len) through the bounded CBOR
 *     decoder and accepts nothing after the four elements.
 */
#include "meterseal/tee_cose.h"

#include <string.h>

#include "meterseal/tee_cbor.h"

static const uint8_t protected_hdr[3] = { 0xa1, 0x01, 0x26 };   /* {1: -7} */

#define UNPROTECTED_MAX_LABELS 8u

/* SHA-256 of Sig_structure = ["Signature1", protected, h'', payload]. */
static ms_err_t sig_structure_hash(const uint8_t *payload, size_t payload_len,
                                   uint8_t hash[MS_SHA256_LEN])
{
    uint8_t head[32];
    ms_cbor_enc_t e;
    size_t n = 0;
    ms_cbor_enc_init(&e, head, sizeof head);
    ms_cbor_put_array(&e, 4);
    ms_cbor_put_tstr(&e, "Signature1", 10);
    ms_cbor_put_bstr(&e, protected_hdr, sizeof protected_hdr);
    ms_cbor_put_bstr(&e, NULL, 0);
    ms_cbor_put_bstr_head(&e, payload_len);   /* contents hashed below */
    ms_err_t err = ms_cbor_enc_finish(&e, &n);
    if (err) {
        return err;
    }
    ms_sha256_ctx ctx;
    err = ms_sha256_init(&ctx);
    if (!err) {
        err = ms_sha256_update(&ctx, head, n);
    }
    if (!err && payload_len != 0) {
        err = ms_sha256_update(&ctx, payload, payload_len);
    }
    if (err) {
        ms_sha256_free(&ctx);
        return err;
    }
    return ms_sha256_finish(&ctx, hash);
}

ms_err_t ms_cose_sign1(const uint8_t *payload, size_t payload_len, const uint8_t *kid,
                       size_t kid_len, ms_cose_sign_fn sign, void *sign_ctx, uint8_t *out,
                       size_t cap, size_t *out_len)
{
    if ((payload == NULL && payload_len != 0) || sign == NULL || out == NULL ||
        out_len == NULL || (kid == NULL && kid_len != 0) || kid_len > MS_COSE_KID_MAX) {
        return MS_ERR_ARG;
    }
    *out_len = 0;
    uint8_t hash[MS_SHA256_LEN], der[MS_P256_SIG_DER_MAX], raw[MS_P256_SIG_RAW_LEN];
    size_t der_len = 0, len = 0;
    /* The envelope first, its signature zero: a buffer too small is found
     * before anything is signed (a signature costs the key store a key
     * read and an ECDSA). The signature is the last item, its 64 bytes the
     * envelope's last. */
    memset(raw, 0, sizeof raw);
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_tag(&e, MS_COSE_TAG_SIGN1);
    ms_cbor_put_array(&e, 4);
    ms_cbor_put_bstr(&e, protected_hdr, sizeof protected_hdr);
    if (kid != NULL) {
        ms_cbor_put_map(&e, 1);
        ms_cbor_put_uint(&e, MS_COSE_HDR_KID);
        ms_cbor_put_bstr(&e, kid, kid_len);
    } else {
        ms_cbor_put_map(&e, 0);
    }
    ms_cbor_put_bstr(&e, payload, payload_len);
    ms_cbor_put_bstr(&e, raw, sizeof raw);
    ms_err_t err = ms_cbor_enc_finish(&e, &len);
    if (!err) {
        err = sig_structure_hash(payload, payload_len, hash);
    }
    if (!err) {
        err = sign(sign_ctx, hash, der, sizeof der, &der_len);
    }
    if (!err) {
        err = ms_p256_sig_to_raw(der, der_len, raw);
    }
    if (err) {
        return err;
    }
    memcpy(out + len - sizeof raw, raw, sizeof raw);
    *out_len = len;
    return MS_OK;
}

static ms_err_t parse_unprotected(ms_cbor_dec_t *d, ms_cose_sign1_t *out)
{
    uint64_t n;
    ms_err_t err = ms_cbor_expect(d, MS_CBOR_MAP, &n);
    if (!err && n > UNPROTECTED_MAX_LABELS) {
        err = MS_ERR_FORMAT;
    }
    for (uint64_t i = 0; i < n && !err; i++) {
        int64_t label;
        err = ms_cbor_get_int(d, &label);
        if (err) {
            break;
        }
        if (label == MS_COSE_HDR_KID) {
            if (out->kid != NULL) {
                return MS_ERR_FORMAT;   /* a label twice */
            }
            err = ms_cbor_get_bstr(d, &out->kid, &out->kid_len);
            if (!err && out->kid_len > MS_COSE_KID_MAX) {
                err = MS_ERR_FORMAT;
            }
        } else {
            err = ms_cbor_skip(d);
        }
    }
    return err;
}

ms_err_t ms_cose_sign1_parse(const uint8_t *msg, size_t len, ms_cose_sign1_t *out)
{
    if (msg == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    ms_cbor_dec_t d;
    ms_cbor_item_t it;
    const uint8_t *prot;
    size_t prot_len, sig_len;
    uint64_t n;
    ms_cbor_dec_init(&d, msg, len);
    ms_err_t err = ms_cbor_next(&d, &it);
    if (!err && (it.major != MS_CBOR_TAG || it.val != MS_COSE_TAG_SIGN1)) {
        err = MS_ERR_FORMAT;
    }
    if (!err) {
        err = ms_cbor_expect(&d, MS_CBOR_ARRAY, &n);
    }
    if (!err && n != 4) {
        err = MS_ERR_FORMAT;
    }
    if (!err) {
        err = ms_cbor_get_bstr(&d, &prot, &prot_len);
    }
    if (!err && (prot_len != sizeof protected_hdr ||
                 memcmp(prot, protected_hdr, sizeof protected_hdr) != 0)) {
        err = MS_ERR_UNSUPPORTED;   /* only {1: -7}, encoded exactly so */
    }
    if (!err) {
        err = parse_unprotected(&d, out);
    }
    if (!err) {
        err = ms_cbor_get_bstr(&d, &out->payload, &out->payload_len);
    }
    if (!err) {
        err = ms_cbor_get_bstr(&d, &out->sig, &sig_len);
    }
    if (!err && (sig_len != MS_P256_SIG_RAW_LEN || d.pos != d.len)) {
        err = MS_ERR_FORMAT;
    }
    if (err) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

ms_err_t ms_cose_sign1_verify(const ms_cose_sign1_t *m, const ms_p256_pub_t *pub)
{
    if (m == NULL || pub == NULL || m->sig == NULL || (m->payload == NULL && m->payload_len)) {
        return MS_ERR_ARG;
    }
    uint8_t hash[MS_SHA256_LEN], der[MS_P256_SIG_DER_MAX];
    size_t der_len = 0;
    ms_err_t err = sig_structure_hash(m->payload, m->payload_len, hash);
    if (!err) {
        err = ms_p256_sig_from_raw(m->sig, der, sizeof der, &der_len);
    }
    if (err) {
        return err;
    }
    return ms_p256_verify(pub, hash, der, der_len) == MS_OK ? MS_OK : MS_ERR_SIGNATURE;
}

ms_err_t ms_cose_kid(const ms_p256_pub_t *pub, uint8_t kid[MS_COSE_KID_LEN])
{
    uint8_t spki[MS_P256_SPKI_LEN], hash[MS_SHA256_LEN];
    if (pub == NULL || kid == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_p256_pub_to_spki(pub, spki);
    if (!err) {
        err = ms_sha256(spki, sizeof spki, hash);
    }
    if (!err) {
        memcpy(kid, hash, MS_COSE_KID_LEN);
    }
    return err;
}
