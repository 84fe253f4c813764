/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest.c - the initial attestation partition (M8): builds and verifies
 * the COSE_Sign1 token described in meterseal/tee_attest.h.
 *
 * Invariants:
 *   - The boot record is copied in once from the boot handover (only the
 *     BOOT partition may set it); callers cannot alter measurements. Its
 *     boot seed comes with it (drawn once per boot by the caller's side,
 *     so a restarted partition given the record again keeps the seed).
 *   - The state (g_att) is the partition's own (MS_TEE_PART_DATA): where
 *     partitions are MPU-isolated, nothing else can read or change it.
 *   - Tokens are signed only through the key store with the Initial
 *     Attestation Key (MS_TEE_KEY_IAK), whose policy lets no partition but
 *     this one sign with it, so the NSPE cannot have a token of its own
 *     making signed (M8, M11); this file never holds a private key. The
 *     identity key (the link partition's signatures) is not used.
 *   - The verifier reads only inside (token, len), through the bounded CBOR
 *     decoder, and checks the signature before trusting any claim.
 *   - The COSE_Sign1 envelope is the shared one (tee_cose.h), the same code
 *     that signs and checks the meter's cloud messages.
 */
#include "meterseal/tee_attest.h"

#include <string.h>

#include "meterseal/tee_cbor.h"
#include "meterseal/tee_cose.h"
#include "meterseal/tee_keystore.h"

#define PROFILE "http://arm.com/psa/2.0.0"

static struct {
    bool ready;
    size_t n_sw;
    ms_tee_attest_sw_t sw[MS_TEE_ATTEST_MAX_SW];
    uint8_t implementation_id[32];
    uint8_t boot_seed[32];
    uint32_t lifecycle;
    uint8_t payload[MS_TEE_ATTEST_TOKEN_MAX];
} g_att MS_TEE_PART_DATA(attest);

/* ---- small encoders ------------------------------------------------------ */

static size_t put_dec(char *out, size_t cap, uint32_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    if (n > cap) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

/* "major.minor.revision+build" (MCUboot's version notation). */
static void version_string(const ms_image_version_t *v, char out[MS_TEE_ATTEST_VERSION_MAX + 1])
{
    size_t n = 0;
    const uint32_t parts[4] = { v->major, v->minor, v->revision, v->build };
    const char seps[4] = { '.', '.', '+', '\0' };
    for (int i = 0; i < 4; i++) {
        n += put_dec(out + n, MS_TEE_ATTEST_VERSION_MAX - n, parts[i]);
        if (seps[i] != '\0' && n < MS_TEE_ATTEST_VERSION_MAX) {
            out[n++] = seps[i];
        }
    }
    out[n] = '\0';
}

/* ---- token creation ----------------------------------------------------------- */

ms_err_t ms_tee_att_set_boot_record(ms_tee_partition_t caller, const ms_image_measurement_t *meas,
                                    const char *const *types, size_t n,
                                    const uint8_t implementation_id[32], uint32_t lifecycle,
                                    const uint8_t boot_seed[32])
{
    if (caller != MS_TEE_PART_BOOT) {
        return MS_ERR_TEE_DENIED;
    }
    if (meas == NULL || types == NULL || n == 0 || n > MS_TEE_ATTEST_MAX_SW ||
        implementation_id == NULL || boot_seed == NULL) {
        return MS_ERR_ARG;
    }
    for (size_t i = 0; i < n; i++) {
        if (types[i] == NULL || strlen(types[i]) > MS_TEE_ATTEST_TYPE_MAX) {
            return MS_ERR_ARG;
        }
    }
    memset(&g_att, 0, sizeof g_att);
    for (size_t i = 0; i < n; i++) {
        ms_tee_attest_sw_t *sw = &g_att.sw[i];
        memcpy(sw->type, types[i], strlen(types[i]) + 1); /* length checked above */
        memcpy(sw->measurement, meas[i].hash, MS_SHA256_LEN);
        version_string(&meas[i].version, sw->version);
        sw->has_sec_cnt = meas[i].has_sec_cnt;
        sw->sec_cnt = meas[i].sec_cnt;
        sw->has_signer_id = meas[i].has_signer_id;
        memcpy(sw->signer_id, meas[i].signer_id, MS_SHA256_LEN);
    }
    g_att.n_sw = n;
    memcpy(g_att.implementation_id, implementation_id, 32);
    memcpy(g_att.boot_seed, boot_seed, 32);
    g_att.lifecycle = lifecycle;
    g_att.ready = true;
    return MS_OK;
}

static ms_err_t encode_claims(ms_tee_partition_t caller, const uint8_t *nonce, size_t nonce_len,
                              const uint8_t instance_id[33], size_t *len)
{
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, g_att.payload, sizeof g_att.payload);
    ms_cbor_put_map(&e, 8);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_PROFILE);
    ms_cbor_put_tstr(&e, PROFILE, sizeof PROFILE - 1u);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_NONCE);
    ms_cbor_put_bstr(&e, nonce, nonce_len);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_INSTANCE_ID);
    ms_cbor_put_bstr(&e, instance_id, 33);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_CLIENT_ID);
    ms_cbor_put_int(&e, (int64_t)caller);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_LIFECYCLE);
    ms_cbor_put_uint(&e, g_att.lifecycle);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_IMPL_ID);
    ms_cbor_put_bstr(&e, g_att.implementation_id, 32);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_BOOT_SEED);
    ms_cbor_put_bstr(&e, g_att.boot_seed, 32);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_COMPONENTS);
    ms_cbor_put_array(&e, g_att.n_sw);
    for (size_t i = 0; i < g_att.n_sw; i++) {
        const ms_tee_attest_sw_t *sw = &g_att.sw[i];
        ms_cbor_put_map(&e, 3u + (sw->has_sec_cnt ? 1u : 0u) + (sw->has_signer_id ? 1u : 0u));
        ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_TYPE);
        ms_cbor_put_tstr(&e, sw->type, strlen(sw->type));
        ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_VALUE);
        ms_cbor_put_bstr(&e, sw->measurement, MS_SHA256_LEN);
        ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_VERSION);
        ms_cbor_put_tstr(&e, sw->version, strlen(sw->version));
        if (sw->has_signer_id) {
            ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_SIGNER_ID);
            ms_cbor_put_bstr(&e, sw->signer_id, MS_SHA256_LEN);
        }
        if (sw->has_sec_cnt) {
            ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_SEC_CNT);
            ms_cbor_put_uint(&e, sw->sec_cnt);
        }
    }
    return ms_cbor_enc_finish(&e, len);
}

static ms_err_t instance_id_of(const ms_p256_pub_t *pub, uint8_t id[33])
{
    id[0] = 0x01;   /* UEID type RAND */
    return ms_sha256(pub->q, sizeof pub->q, id + 1);
}

/* M8: the IAK, usable for SIGN by this partition alone */
static ms_err_t iak_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der, size_t cap,
                         size_t *der_len)
{
    (void)ctx;
    return ms_tee_key_sign_hash(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, hash, der, cap, der_len);
}

/* Stands in for the IAK when only the size counts: a well-formed DER
 * signature (r = s = 1). COSE carries r || s, 64 bytes whatever they are. */
static ms_err_t size_only_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der,
                               size_t cap, size_t *der_len)
{
    static const uint8_t one_one[] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 };
    (void)ctx;
    (void)hash;
    if (cap < sizeof one_one) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(der, one_one, sizeof one_one);
    *der_len = sizeof one_one;
    return MS_OK;
}

/* The PSA attestation API's challenge sizes. */
static bool nonce_size_ok(size_t n)
{
    return n == 32u || n == 48u || n == 64u;
}

/* The claims for caller and nonce into g_att.payload (*plen bytes). */
static ms_err_t claims_for(ms_tee_partition_t caller, const uint8_t *nonce, size_t nonce_len,
                           size_t *plen)
{
    ms_p256_pub_t pub;
    uint8_t iid[33];
    if (!g_att.ready) {
        return MS_ERR_STATE;
    }
    ms_err_t err = ms_tee_key_export_public(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, &pub);
    if (!err) {
        err = instance_id_of(&pub, iid);
    }
    if (!err) {
        err = encode_claims(caller, nonce, nonce_len, iid, plen);
    }
    return err;
}

ms_err_t ms_tee_att_get_token(ms_tee_partition_t caller, const uint8_t *nonce, size_t nonce_len,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    size_t plen = 0;
    if (nonce == NULL || out == NULL || out_len == NULL || cap == 0 ||
        !nonce_size_ok(nonce_len) || (unsigned)caller >= MS_TEE_PART_COUNT_) {
        return MS_ERR_ARG;
    }
    ms_err_t err = claims_for(caller, nonce, nonce_len, &plen);
    if (err) {
        return err;
    }
    /* empty unprotected header: the verifier knows the IAK from provisioning */
    return ms_cose_sign1(g_att.payload, plen, NULL, 0, iak_sign, NULL, out, cap, out_len);
}

ms_err_t ms_tee_att_get_token_size(ms_tee_partition_t caller, size_t nonce_len, size_t *size)
{
    static const uint8_t zero_nonce[MS_TEE_ATTEST_NONCE_MAX] = { 0 };
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX + MS_COSE_OVERHEAD];
    size_t plen = 0;
    if (size == NULL || !nonce_size_ok(nonce_len) || (unsigned)caller >= MS_TEE_PART_COUNT_) {
        return MS_ERR_ARG;
    }
    *size = 0;
    ms_err_t err = claims_for(caller, zero_nonce, nonce_len, &plen);
    if (!err) {
        err = ms_cose_sign1(g_att.payload, plen, NULL, 0, size_only_sign, NULL, tok, sizeof tok,
                            size);
    }
    return err;
}

/* ---- verification ----------------------------------------------------------- */

static ms_err_t copy_bstr(ms_cbor_dec_t *d, uint8_t *out, size_t min, size_t max, size_t *n)
{
    const uint8_t *p;
    size_t len;
    ms_err_t err = ms_cbor_get_bstr(d, &p, &len);
    if (err) {
        return err;
    }
    if (len < min || len > max) {
        return MS_ERR_FORMAT;
    }
    memcpy(out, p, len);
    if (n != NULL) {
        *n = len;
    }
    return MS_OK;
}

static ms_err_t parse_sw(ms_cbor_dec_t *d, ms_tee_attest_sw_t *sw)
{
    uint64_t n;
    ms_err_t err = ms_cbor_expect(d, MS_CBOR_MAP, &n);
    unsigned seen = 0;
    for (uint64_t i = 0; i < n && !err; i++) {
        int64_t key, v;
        err = ms_cbor_get_int(d, &key);
        if (err) {
            break;
        }
        switch (key) {
        case MS_TEE_CLAIM_SW_TYPE:
            err = ms_cbor_get_text(d, sw->type, MS_TEE_ATTEST_TYPE_MAX, NULL);
            seen |= 1u;
            break;
        case MS_TEE_CLAIM_SW_VALUE:
            err = copy_bstr(d, sw->measurement, MS_SHA256_LEN, MS_SHA256_LEN, NULL);
            seen |= 2u;
            break;
        case MS_TEE_CLAIM_SW_VERSION:
            err = ms_cbor_get_text(d, sw->version, MS_TEE_ATTEST_VERSION_MAX, NULL);
            break;
        case MS_TEE_CLAIM_SW_SIGNER_ID:
            err = copy_bstr(d, sw->signer_id, MS_SHA256_LEN, MS_SHA256_LEN, NULL);
            sw->has_signer_id = err == MS_OK;
            break;
        case MS_TEE_CLAIM_SW_SEC_CNT:
            err = ms_cbor_get_int(d, &v);
            if (!err && (v < 0 || v > (int64_t)UINT32_MAX)) {
                err = MS_ERR_FORMAT;
            }
            if (!err) {
                sw->has_sec_cnt = true;
                sw->sec_cnt = (uint32_t)v;
            }
            break;
        default:
            err = ms_cbor_skip(d);
            break;
        }
    }
    if (!err && seen != 3u) {
        err = MS_ERR_FORMAT;
    }
    return err;
}

#define SEEN_NONCE 1u
#define SEEN_IID 2u
#define SEEN_CLIENT 4u
#define SEEN_LIFECYCLE 8u
#define SEEN_IMPL 16u
#define SEEN_SW 32u
#define SEEN_ALL 63u

ms_err_t ms_tee_attest_parse_claims(const uint8_t *p, size_t len, ms_tee_attest_claims_t *c)
{
    if (p == NULL || c == NULL) {
        return MS_ERR_ARG;
    }
    memset(c, 0, sizeof *c);
    ms_cbor_dec_t d;
    uint64_t n;
    unsigned seen = 0;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = ms_cbor_expect(&d, MS_CBOR_MAP, &n);
    for (uint64_t i = 0; i < n && !err; i++) {
        int64_t key, v;
        uint64_t count;
        err = ms_cbor_get_int(&d, &key);
        if (err) {
            break;
        }
        switch (key) {
        case MS_TEE_CLAIM_NONCE:
            err = copy_bstr(&d, c->nonce, MS_TEE_ATTEST_NONCE_MIN, MS_TEE_ATTEST_NONCE_MAX,
                            &c->nonce_len);
            seen |= SEEN_NONCE;
            break;
        case MS_TEE_CLAIM_INSTANCE_ID:
            err = copy_bstr(&d, c->instance_id, 33, 33, NULL);
            seen |= SEEN_IID;
            break;
        case MS_TEE_CLAIM_CLIENT_ID:
            err = ms_cbor_get_int(&d, &c->client_id);
            seen |= SEEN_CLIENT;
            break;
        case MS_TEE_CLAIM_LIFECYCLE:
            err = ms_cbor_get_int(&d, &v);
            if (!err && (v < 0 || v > 0xffff)) {
                err = MS_ERR_FORMAT;
            }
            c->lifecycle = (uint32_t)v;
            seen |= SEEN_LIFECYCLE;
            break;
        case MS_TEE_CLAIM_IMPL_ID:
            err = copy_bstr(&d, c->implementation_id, 32, 32, NULL);
            seen |= SEEN_IMPL;
            break;
        case MS_TEE_CLAIM_BOOT_SEED:
            err = copy_bstr(&d, c->boot_seed, 32, 32, NULL);
            break;
        case MS_TEE_CLAIM_SW_COMPONENTS:
            err = ms_cbor_expect(&d, MS_CBOR_ARRAY, &count);
            if (!err && (count == 0 || count > MS_TEE_ATTEST_MAX_SW)) {
                err = MS_ERR_FORMAT;
            }
            for (uint64_t k = 0; k < count && !err; k++) {
                err = parse_sw(&d, &c->sw[k]);
            }
            c->n_sw = (size_t)count;
            seen |= SEEN_SW;
            break;
        default:
            err = ms_cbor_skip(&d);
            break;
        }
    }
    if (!err && (seen != SEEN_ALL || d.pos != d.len)) {
        err = MS_ERR_FORMAT;
    }
    return err;
}

ms_err_t ms_tee_attest_verify(const uint8_t *token, size_t len, const ms_p256_pub_t *pub,
                              const uint8_t *nonce, size_t nonce_len,
                              ms_tee_attest_claims_t *out)
{
    ms_cose_sign1_t m;
    if (token == NULL || pub == NULL || out == NULL || (nonce == NULL && nonce_len != 0)) {
        return MS_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    ms_err_t err = ms_cose_sign1_parse(token, len, &m);
    if (err) {
        return err;
    }
    if (ms_cose_sign1_verify(&m, pub) != MS_OK) {
        return MS_ERR_SIGNATURE;
    }
    err = ms_tee_attest_parse_claims(m.payload, m.payload_len, out);
    if (err) {
        return err;
    }
    uint8_t iid[33];
    err = instance_id_of(pub, iid);
    if (err) {
        return err;
    }
    if (!ms_ct_equal(iid, out->instance_id, sizeof iid)) {
        return MS_ERR_KEY_MISMATCH;
    }
    if (nonce != NULL &&
        (nonce_len != out->nonce_len || !ms_ct_equal(nonce, out->nonce, nonce_len))) {
        return MS_ERR_AUTH;
    }
    return MS_OK;
}
