/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore_client.c - the key store's API (tee_keystore.h) as the Secure
 * kernel's side of the key store partition: each call is one message
 * (part_keystore.h) to the partition, which alone holds the keys in the
 * clear. Attestation, the link, the dispatcher and the TEE's start-up call
 * these names as on the host, where they reach the service directly
 * (src/tee/keystore/keystore_api.c). Also the kernel's side of the
 * partition's own requests (tee_keystore_serve): random bytes for keys,
 * and its ITS records.
 *
 * Invariants:
 *   - Each function checks the pointers it must read or write before it
 *     builds a message, answering as the service would (MS_ERR_ARG).
 *   - An answer is copied only into the caller's own buffers, each bounded
 *     by its size (spm_callv scatters it), and an answer of the wrong
 *     length for a success is MS_ERR_INTERNAL.
 *   - Beyond the service's own answers, a call may get
 *     MS_ERR_TEE_SERVICE_FAILED (the partition faulted or overran its time
 *     and was restarted: it keeps no state between calls, so the next call
 *     is served as usual), MS_ERR_INTERNAL (an answer of the wrong shape)
 *     or MS_ERR_STATE (called from a handler, or while the key store
 *     serves another call), and AEAD or a MAC over more than KS_DATA_MAX
 *     bytes is MS_ERR_ARG (the secure API carries less).
 */
#include <string.h>

#include "an505.h"
#include "meterseal/tee.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_rng.h"
#include "part_keystore.h"
#include "part_storage.h"

#define MAX_PIECES 4u

/* ITS writes (SET, REMOVE) the key store may ask for in one message: a
 * generation or an import writes one record, provisioning two, a destroy
 * removes one. More would be a key store taken over wearing the flash
 * (each write costs flash and counter records). */
#define KS_WRITES_MAX 2u
static uint32_t writes_this_message;

/* One message: the header, then more[] in; err(4), then out[] back.
 * *got: the answer's bytes after err. From the attestation partition the
 * same message goes as a request, which the kernel passes on as
 * attestation's (tee_attest_serve). */
static ms_err_t call(int32_t type, ms_tee_partition_t caller, ms_tee_key_id_t id,
                     const uint32_t w[4], const spm_iov_t *more, size_t n_more,
                     const spm_ovec_t *out, size_t n_out, size_t *got)
{
    ks_hdr_t h = { .caller = (int32_t)caller, .id = id };
    spm_iov_t in[1 + MAX_PIECES];
    if (w != NULL) {
        memcpy(h.w, w, sizeof h.w);
    }
    in[0] = (spm_iov_t){ &h, sizeof h };
    for (size_t i = 0; i < n_more; i++) {
        in[1 + i] = more[i];
    }
    if (!ms_an505_unprivileged()) {
        writes_this_message = 0;
    }
    return spm_call_err(SPM_PART_KEYSTORE, type, in, 1 + n_more, out, n_out, got);
}

/* The answer of a success must be exactly `want` bytes after err. */
static ms_err_t exact(ms_err_t err, size_t got, size_t want)
{
    return err == MS_OK && got != want ? MS_ERR_INTERNAL : err;
}

ms_err_t ms_tee_key_generate(ms_tee_partition_t caller, ms_tee_key_id_t id,
                             ms_tee_key_type_t type, unsigned bits,
                             const ms_tee_key_policy_t *policy)
{
    if (policy == NULL) {
        return MS_ERR_ARG;
    }
    const uint32_t w[4] = { (uint32_t)type, bits, policy->usage, policy->partitions };
    size_t got = 0;
    return exact(call(KS_MSG_GENERATE, caller, id, w, NULL, 0, NULL, 0, &got), got, 0);
}

ms_err_t ms_tee_key_import(ms_tee_partition_t caller, ms_tee_key_id_t id,
                           ms_tee_key_type_t type, const uint8_t *material, size_t len,
                           const ms_tee_key_policy_t *policy)
{
    if (policy == NULL || material == NULL || len > UINT32_MAX) {
        return MS_ERR_ARG;
    }
    /* longer than any key: the length alone, which the service refuses
     * by itself (part_keystore.h) */
    const uint32_t w[4] = { (uint32_t)type, policy->usage, policy->partitions, (uint32_t)len };
    const spm_iov_t m = { material, len <= MS_TEE_KEY_MAX_LEN ? len : 0u };
    size_t got = 0;
    return exact(call(KS_MSG_IMPORT, caller, id, w, &m, 1, NULL, 0, &got), got, 0);
}

ms_err_t ms_tee_key_destroy(ms_tee_partition_t caller, ms_tee_key_id_t id)
{
    size_t got = 0;
    return exact(call(KS_MSG_DESTROY, caller, id, NULL, NULL, 0, NULL, 0, &got), got, 0);
}

ms_err_t ms_tee_key_export_public(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                  ms_p256_pub_t *pub)
{
    if (pub == NULL) {
        return MS_ERR_ARG;
    }
    ms_p256_pub_t got_pub;
    const spm_ovec_t o = { got_pub.q, sizeof got_pub.q };
    size_t got = 0;
    ms_err_t err = exact(call(KS_MSG_EXPORT, caller, id, NULL, NULL, 0, &o, 1, &got), got,
                         sizeof got_pub.q);
    if (!err) {
        *pub = got_pub;
    }
    return err;
}

ms_err_t ms_tee_key_sign_hash(ms_tee_partition_t caller, ms_tee_key_id_t id,
                              const uint8_t hash[MS_SHA256_LEN],
                              uint8_t *sig, size_t cap, size_t *sig_len)
{
    if (hash == NULL || sig == NULL || sig_len == NULL) {
        return MS_ERR_ARG;
    }
    *sig_len = 0;
    const uint32_t w[4] = { cap < MS_P256_SIG_DER_MAX ? (uint32_t)cap : MS_P256_SIG_DER_MAX };
    const spm_iov_t h = { hash, MS_SHA256_LEN };
    const spm_ovec_t o = { sig, cap };
    size_t got = 0;
    ms_err_t err = call(KS_MSG_SIGN, caller, id, w, &h, 1, &o, 1, &got);
    if (err == MS_OK && (got == 0 || got > cap || got > MS_P256_SIG_DER_MAX)) {
        err = MS_ERR_INTERNAL;
    }
    if (!err) {
        *sig_len = got;
    }
    return err;
}

ms_err_t ms_tee_key_ecdh(ms_tee_partition_t caller, ms_tee_key_id_t id,
                         const ms_p256_pub_t *peer, uint8_t shared[MS_P256_SHARED_LEN])
{
    if (peer == NULL || shared == NULL) {
        return MS_ERR_ARG;
    }
    const spm_iov_t p = { peer->q, sizeof peer->q };
    const spm_ovec_t o = { shared, MS_P256_SHARED_LEN };
    size_t got = 0;
    ms_err_t err = exact(call(KS_MSG_ECDH, caller, id, NULL, &p, 1, &o, 1, &got), got,
                         MS_P256_SHARED_LEN);
    if (err) {
        ms_secure_zero(shared, MS_P256_SHARED_LEN);
    }
    return err;
}

static ms_err_t aead(bool encrypt, ms_tee_partition_t caller, ms_tee_key_id_t id,
                     const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                     const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag)
{
    if (nonce == NULL || tag == NULL || (aad == NULL && aad_len != 0) ||
        ((in == NULL || out == NULL) && len != 0) || aad_len > KS_DATA_MAX ||
        len > KS_DATA_MAX - aad_len) {
        return MS_ERR_ARG;
    }
    const uint32_t w[4] = { (uint32_t)aad_len, (uint32_t)len };
    spm_iov_t more[4];
    size_t n_more = 0;
    more[n_more++] = (spm_iov_t){ nonce, KS_NONCE_LEN };
    if (!encrypt) {
        more[n_more++] = (spm_iov_t){ tag, KS_TAG_LEN };
    }
    more[n_more++] = (spm_iov_t){ aad, aad_len };
    more[n_more++] = (spm_iov_t){ in, len };
    const spm_ovec_t o[2] = { { out, len }, { tag, encrypt ? KS_TAG_LEN : 0u } };
    size_t got = 0;
    ms_err_t err = call(encrypt ? KS_MSG_AEAD_ENC : KS_MSG_AEAD_DEC, caller, id, w, more,
                        n_more, o, 2, &got);
    err = exact(err, got, len + (encrypt ? KS_TAG_LEN : 0u));
    if (err && len != 0) {
        ms_secure_zero(out, len);   /* as the service: no output of a failed call */
    }
    return err;
}

ms_err_t ms_tee_key_aead_encrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                 const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                 const uint8_t *in, uint8_t *out, size_t len,
                                 uint8_t tag[MS_AES_GCM_TAG_LEN])
{
    return aead(true, caller, id, nonce, aad, aad_len, in, out, len, tag);
}

ms_err_t ms_tee_key_aead_decrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                 const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                 const uint8_t *in, uint8_t *out, size_t len,
                                 const uint8_t tag[MS_AES_GCM_TAG_LEN])
{
    /* the tag only goes in (its out piece is empty) */
    return aead(false, caller, id, nonce, aad, aad_len, in, out, len, (uint8_t *)(uintptr_t)tag);
}

ms_err_t ms_tee_key_mac(ms_tee_partition_t caller, ms_tee_key_id_t id,
                        const uint8_t *data, size_t len, uint8_t mac[MS_HMAC_SHA256_LEN])
{
    if ((data == NULL && len != 0) || mac == NULL || len > KS_DATA_MAX) {
        return MS_ERR_ARG;
    }
    const uint32_t w[4] = { 0, (uint32_t)len };
    const spm_iov_t d = { data, len };
    const spm_ovec_t o = { mac, MS_HMAC_SHA256_LEN };
    size_t got = 0;
    return exact(call(KS_MSG_MAC, caller, id, w, &d, 1, &o, 1, &got), got, MS_HMAC_SHA256_LEN);
}

ms_err_t ms_tee_key_mac_verify(ms_tee_partition_t caller, ms_tee_key_id_t id,
                               const uint8_t *data, size_t len,
                               const uint8_t mac[MS_HMAC_SHA256_LEN])
{
    if ((data == NULL && len != 0) || mac == NULL || len > KS_DATA_MAX) {
        return MS_ERR_ARG;
    }
    const uint32_t w[4] = { 0, (uint32_t)len };
    const spm_iov_t more[2] = { { mac, MS_HMAC_SHA256_LEN }, { data, len } };
    size_t got = 0;
    return exact(call(KS_MSG_MAC_VERIFY, caller, id, w, more, 2, NULL, 0, &got), got, 0);
}

ms_err_t ms_tee_keystore_provision(ms_p256_pub_t *identity_pub, ms_p256_pub_t *iak_pub)
{
    ms_p256_pub_t pubs[2];
    const spm_ovec_t o = { pubs, sizeof pubs };
    const uint32_t w[4] = { (identity_pub != NULL ? 1u : 0u) | (iak_pub != NULL ? 2u : 0u) };
    size_t got = 0;
    ms_err_t err = exact(call(KS_MSG_PROVISION, MS_TEE_PART_CRYPTO, 0, w, NULL, 0, &o, 1, &got),
                         got, sizeof pubs);
    if (!err && identity_pub != NULL) {
        *identity_pub = pubs[0];
    }
    if (!err && iak_pub != NULL) {
        *iak_pub = pubs[1];
    }
    return err;
}

/* ---- the key store partition's requests (spm.h) -------------------------------- */

psa_status_t tee_keystore_serve(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                                size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (type != KS_REQ_RNG) {
        if ((type == STORAGE_MSG_SET || type == STORAGE_MSG_REMOVE) &&
            ++writes_this_message > KS_WRITES_MAX) {
            return PSA_ERROR_NOT_PERMITTED;
        }
        return tee_storage_serve_keystore(type, in, len, out, cap, out_len);
    }
    uint32_t want;
    if (len != sizeof want) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    memcpy(&want, in, sizeof want);
    if (want > KS_RNG_MAX || want > cap) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (ms_tee_rng_generate(out, want) != MS_OK) {
        return PSA_ERROR_INSUFFICIENT_ENTROPY;
    }
    *out_len = want;
    return PSA_SUCCESS;
}

/* Key material for the key store (tee.h): the kernel's TEE RNG, whose
 * state and health partition the key store cannot reach, by request. */
ms_err_t ms_tee_hal_rng_generate(uint8_t *out, size_t len)
{
    if (!ms_an505_unprivileged()) {
        return ms_tee_rng_generate(out, len);
    }
    for (size_t off = 0; off < len; off += KS_RNG_MAX) {
        uint32_t want = (uint32_t)(len - off < KS_RNG_MAX ? len - off : KS_RNG_MAX);
        size_t n = 0;
        if (spm_request(KS_REQ_RNG, &want, sizeof want, NULL, 0, out + off, want, &n) !=
                PSA_SUCCESS ||
            n != want) {
            return MS_ERR_RNG;
        }
    }
    return MS_OK;
}

/* ---- a partition's use of its own key (spm.h) ------------------------------------ */

psa_status_t tee_keystore_serve_key(ms_tee_partition_t as, ms_tee_key_id_t key, int32_t type,
                                    const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                    size_t *out_len)
{
    ks_hdr_t h;
    int32_t err;
    size_t n = 0;
    *out_len = 0;
    if (len < sizeof h || cap < sizeof err + MS_P256_SIG_DER_MAX) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    memcpy(&h, in, sizeof h);
    if (h.id != key) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    if (type == KS_MSG_SIGN && len == sizeof h + MS_SHA256_LEN) {
        size_t sig_cap = h.w[0] < MS_P256_SIG_DER_MAX ? h.w[0] : MS_P256_SIG_DER_MAX;
        err = (int32_t)ms_tee_key_sign_hash(as, key, in + sizeof h, out + sizeof err, sig_cap, &n);
    } else if (type == KS_MSG_EXPORT && len == sizeof h) {
        ms_p256_pub_t pub;
        err = (int32_t)ms_tee_key_export_public(as, key, &pub);
        if (err == MS_OK) {
            memcpy(out + sizeof err, pub.q, sizeof pub.q);
            n = sizeof pub.q;
        }
    } else {
        return PSA_ERROR_NOT_PERMITTED;
    }
    memcpy(out, &err, sizeof err);
    *out_len = sizeof err + (err == MS_OK ? n : 0u);
    return PSA_SUCCESS;
}
