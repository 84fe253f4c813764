/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest_client.c - the attestation API's token calls (tee_attest.h) as the
 * Secure kernel's side of the attestation partition: each call is one
 * message (part_attest.h). The dispatcher, the link's provisioning and the
 * TEE's start-up call these names as on the host, where they reach the
 * service directly (src/tee/attest/attest_api.c). Also the kernel's side
 * of the partition's requests (tee_attest_serve): the IAK's signature and
 * public key, asked of the key store as attestation's.
 *
 * Invariants:
 *   - The boot record is drawn up once per boot, with its boot seed (the
 *     TEE RNG), and kept here: a restarted partition (its memory wiped) is
 *     given it again before its next message, so its claims, the seed
 *     included, do not change within a boot.
 *   - Only the attestation partition's requests are served as the caller
 *     MS_TEE_PART_ATTEST, and only for the IAK's SIGN and EXPORT, as many
 *     as the message in flight needs (a token: one of each; a size query:
 *     one export; a boot record: none): the caller in the request's header
 *     is not trusted, and a partition taken over gets a signature only for
 *     a token it was asked for.
 *   - Beyond the service's answers a call may get MS_ERR_TEE_SERVICE_FAILED
 *     (the partition faulted and was restarted), MS_ERR_STATE (called from
 *     a handler, or the partition busy) or MS_ERR_INTERNAL (an answer of
 *     the wrong shape).
 */
#include <string.h>

#include "meterseal/tee_keystore.h"
#include "meterseal/tee_rng.h"
#include "part_attest.h"
#include "part_keystore.h"

static uint8_t boot_msg[ATT_BOOT_LEN(MS_TEE_ATTEST_MAX_SW)];
static size_t boot_len;                        /* 0: no record yet */
static uint32_t boot_sent_at = UINT32_MAX;     /* the partition's restarts when it got it */

/* What the message in flight may ask of the key store (tee_attest_serve):
 * a token one export (its instance ID) and one signature, a size query one
 * export, a boot record nothing. A partition taken over gets no more
 * signatures than the tokens it is asked for. */
static uint32_t exports_left, signs_left;

static ms_err_t call(int32_t type, const spm_iov_t *in, size_t n_in, const spm_ovec_t *out,
                     size_t n_out, size_t *got)
{
    exports_left = type == ATT_MSG_TOKEN || type == ATT_MSG_SIZE ? 1u : 0u;
    signs_left = type == ATT_MSG_TOKEN ? 1u : 0u;
    ms_err_t err = spm_call_err(SPM_PART_ATTEST, type, in, n_in, out, n_out, got);
    exports_left = signs_left = 0;
    return err;
}

/* One message; the boot record first when the partition has not got it
 * since its last restart. */
static ms_err_t send(int32_t type, const spm_iov_t *in, size_t n_in, const spm_ovec_t *out,
                     size_t n_out, size_t *got)
{
    if (boot_len != 0 && spm_restarts(SPM_PART_ATTEST) != boot_sent_at) {
        uint32_t restarts = spm_restarts(SPM_PART_ATTEST);
        const spm_iov_t rec = { boot_msg, boot_len };
        if (call(ATT_MSG_BOOT, &rec, 1, NULL, 0, NULL) == MS_OK) {
            boot_sent_at = restarts;
        }
    }
    return call(type, in, n_in, out, n_out, got);
}

ms_err_t ms_tee_attest_set_boot_record(ms_tee_partition_t caller,
                                       const ms_image_measurement_t *meas,
                                       const char *const *types, size_t n,
                                       const uint8_t implementation_id[32],
                                       uint32_t lifecycle)
{
    uint8_t m[sizeof boot_msg];
    if (caller != MS_TEE_PART_BOOT) {
        return MS_ERR_TEE_DENIED;
    }
    if (meas == NULL || types == NULL || n == 0 || n > MS_TEE_ATTEST_MAX_SW ||
        implementation_id == NULL) {
        return MS_ERR_ARG;
    }
    memset(m, 0, sizeof m);
    for (size_t i = 0; i < n; i++) {
        if (types[i] == NULL || strlen(types[i]) > MS_TEE_ATTEST_TYPE_MAX) {
            return MS_ERR_ARG;
        }
        memcpy(m + ATT_BOOT_HDR + n * sizeof meas[0] + i * ATT_TYPE_LEN, types[i],
               strlen(types[i]));
    }
    const uint32_t hdr[3] = { (uint32_t)caller, (uint32_t)n, lifecycle };
    memcpy(m, hdr, sizeof hdr);
    memcpy(m + 12, implementation_id, 32);
    ms_err_t err = ms_tee_rng_generate(m + 44, 32);   /* the boot seed */
    if (err) {
        return err;
    }
    for (size_t i = 0; i < n; i++) {
        /* field by field into a zeroed copy: no padding byte of the
         * caller's reaches the partition, and each bool is 0 or 1 */
        ms_image_measurement_t c;
        memset(&c, 0, sizeof c);
        memcpy(c.hash, meas[i].hash, sizeof c.hash);
        c.version = meas[i].version;
        c.has_sec_cnt = meas[i].has_sec_cnt;
        c.sec_cnt = meas[i].sec_cnt;
        c.anchor_index = meas[i].anchor_index;
        c.has_signer_id = meas[i].has_signer_id;
        memcpy(c.signer_id, meas[i].signer_id, sizeof c.signer_id);
        memcpy(m + ATT_BOOT_HDR + i * sizeof c, &c, sizeof c);
    }
    size_t len = ATT_BOOT_LEN(n);
    uint32_t restarts = spm_restarts(SPM_PART_ATTEST);
    const spm_iov_t rec = { m, len };
    err = call(ATT_MSG_BOOT, &rec, 1, NULL, 0, NULL);
    if (!err) {
        memcpy(boot_msg, m, len);
        boot_len = len;
        boot_sent_at = restarts;
    }
    ms_secure_zero(m, sizeof m);
    return err;
}

ms_err_t ms_tee_attest_get_token(ms_tee_partition_t caller, const uint8_t *nonce,
                                 size_t nonce_len, uint8_t *out, size_t cap, size_t *out_len)
{
    if (nonce == NULL || out == NULL || out_len == NULL || nonce_len > MS_TEE_ATTEST_NONCE_MAX) {
        return MS_ERR_ARG;   /* the service's answer for these too */
    }
    *out_len = 0;
    const uint32_t hdr[2] = { (uint32_t)caller, cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap };
    const spm_iov_t in[2] = { { hdr, sizeof hdr }, { nonce, nonce_len } };
    const spm_ovec_t o = { out, cap };
    size_t got = 0;
    ms_err_t err = send(ATT_MSG_TOKEN, in, 2, &o, 1, &got);
    if (err == MS_OK && (got == 0 || got > cap)) {
        err = MS_ERR_INTERNAL;
    }
    if (!err) {
        *out_len = got;
    }
    return err;
}

ms_err_t ms_tee_attest_get_token_size(ms_tee_partition_t caller, size_t nonce_len,
                                      size_t *size)
{
    if (size == NULL) {
        return MS_ERR_ARG;
    }
    *size = 0;
    const uint32_t hdr[2] = { (uint32_t)caller,
                              nonce_len > UINT32_MAX ? UINT32_MAX : (uint32_t)nonce_len };
    const spm_iov_t in = { hdr, sizeof hdr };
    uint32_t v = 0;
    const spm_ovec_t o = { &v, sizeof v };
    size_t got = 0;
    ms_err_t err = send(ATT_MSG_SIZE, &in, 1, &o, 1, &got);
    if (err == MS_OK && got != sizeof v) {
        err = MS_ERR_INTERNAL;
    }
    if (!err) {
        *size = v;
    }
    return err;
}

/* ---- the attestation partition's requests (spm.h) ------------------------------ */

psa_status_t tee_attest_serve(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (type == KS_MSG_SIGN ? signs_left == 0 : type != KS_MSG_EXPORT || exports_left == 0) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    psa_status_t st = tee_keystore_serve_key(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, type, in, len, out,
                                             cap, out_len);
    if (st == PSA_SUCCESS) {
        if (type == KS_MSG_SIGN) {
            signs_left--;
        } else {
            exports_left--;
        }
    }
    return st;
}
