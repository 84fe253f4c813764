/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_client.c - the PSA storage API (psa_its_*, psa_ps_*) and the
 * metering registers (ms_tee_meter_*) as the Secure kernel's side of the
 * storage partition: each call is one message (part_storage.h) to the
 * partition, which alone holds the stores' keys and reaches their flash.
 * The dispatcher, the link and the fault log call these names as on the
 * host, where they reach the service directly (src/tee/storage/
 * psa_storage_api.c). So does the key store, from its own partition: there
 * the same functions send each message as a request to the kernel
 * (spm_request), which forwards only ITS operations on key records
 * (tee_storage_serve_keystore).
 *
 * Invariants:
 *   - Each function validates its own arguments as the service does (the
 *     partition never sees a caller's pointer, only the copy in its
 *     mailbox), and answers what the service would for the same call.
 *   - The partition is started (START: mount both stores) before its
 *     first message and again after every restart (a fault wipes it).
 *   - An answer is never copied past the caller's buffer (spm_call bounds
 *     it), and one of the wrong length (info, the meter) is
 *     PSA_ERROR_SERVICE_FAILURE, nothing copied.
 *   - Beyond the service's own answers, a call may get
 *     PSA_ERROR_SERVICE_FAILURE (the partition faulted or overran its time
 *     and was restarted) or PSA_ERROR_BAD_STATE (called from a handler).
 */
#include <string.h>

#include "an505.h"
#include "meterseal/tee.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_storage.h"
#include "part_storage.h"
#include "tee.h"

/* The partition's restart count when it was last started; any other value
 * means it must be started first (UINT32_MAX: never). */
static uint32_t started_at = UINT32_MAX;

ms_err_t tee_storage_start(void)
{
    uint32_t restarts = spm_restarts(SPM_PART_STORAGE);
    int32_t err = (int32_t)MS_ERR_STATE;
    size_t n = 0;
    psa_status_t st = spm_call(SPM_PART_STORAGE, STORAGE_MSG_START, NULL, 0, &err, sizeof err, &n);
    if (st == PSA_ERROR_BAD_STATE) {
        return MS_ERR_STATE;   /* not sent (a handler, or a partition runs): still to start */
    }
    started_at = restarts;   /* a fault during START restarts it: started_at differs again */
    if (st != PSA_SUCCESS || n != sizeof err) {
        return MS_ERR_STATE;
    }
    return (ms_err_t)err;
}

static psa_status_t send2(int32_t type, const void *in, size_t in_len, const void *in2,
                          size_t in2_len, void *out, size_t cap, size_t *out_len)
{
    if (ms_an505_unprivileged()) {
        /* in the key store partition: by request, through the kernel
         * (tee_storage_serve_keystore) */
        return spm_request(type, in, in_len, in2, in2_len, out, cap, out_len);
    }
    if (spm_restarts(SPM_PART_STORAGE) != started_at) {
        (void)tee_storage_start();   /* a failed mount is the stores' state: later calls see it */
    }
    return spm_call2(SPM_PART_STORAGE, type, in, in_len, in2, in2_len, out, cap, out_len);
}

static psa_status_t send(int32_t type, const void *in, size_t in_len, void *out, size_t cap,
                         size_t *out_len)
{
    return send2(type, in, in_len, NULL, 0, out, cap, out_len);
}

static int32_t kind(bool ps, int32_t op)
{
    return ps ? op | STORAGE_PS : op;
}

/* uid and two 32-bit words: the header of SET and SET_EXT (flags or
 * offset, then the length), and CREATE's whole request (capacity, flags). */
static void header(uint8_t out[STORAGE_HDR_LEN], psa_storage_uid_t uid, uint32_t word,
                   uint32_t word2)
{
    uint64_t u = uid;
    memcpy(out, &u, 8);
    memcpy(out + 8, &word, 4);
    memcpy(out + 12, &word2, 4);
}

/* SET or SET_EXT: the data whole, or only the length when it is longer
 * than any object (part_storage.h). buffer_ok bounded len already. */
static psa_status_t send_data(int32_t type, psa_storage_uid_t uid, uint32_t word, size_t len,
                              const void *data)
{
    uint8_t hdr[STORAGE_HDR_LEN];
    header(hdr, uid, word, (uint32_t)len);
    size_t carried = len > STORAGE_DATA_MAX ? 0 : len;
    return send2(type, hdr, sizeof hdr, data, carried, NULL, 0, NULL);
}

static psa_status_t info(bool ps, psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    if (uid == 0 || p_info == NULL || !ms_tee_storage_buffer_ok(p_info, sizeof *p_info)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    uint64_t u = uid;
    uint32_t v[3];
    size_t n = 0;
    psa_status_t st = send(kind(ps, STORAGE_MSG_INFO), &u, sizeof u, v, sizeof v, &n);
    if (st != PSA_SUCCESS) {
        return st;
    }
    if (n != sizeof v) {
        return PSA_ERROR_SERVICE_FAILURE;
    }
    p_info->capacity = v[0];
    p_info->size = v[1];
    p_info->flags = v[2];
    return PSA_SUCCESS;
}

static psa_status_t set(bool ps, psa_storage_uid_t uid, size_t len, const void *data,
                        psa_storage_create_flags_t flags)
{
    if (uid == 0 || !ms_tee_storage_buffer_ok(data, len)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if ((flags & ~MS_TEE_STORAGE_SUPPORTED_FLAGS) != 0) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    return send_data(kind(ps, STORAGE_MSG_SET), uid, flags, len, data);
}

static psa_status_t get(bool ps, psa_storage_uid_t uid, size_t off, size_t len, void *data,
                        size_t *out_len)
{
    if (uid == 0 || out_len == NULL || !ms_tee_storage_buffer_ok(out_len, sizeof *out_len)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    *out_len = 0;
    if (!ms_tee_storage_buffer_ok(data, len)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (off > UINT32_MAX) {
        off = UINT32_MAX;   /* past the end of any object: the same answer */
    }
    uint8_t req[16];
    uint64_t u = uid;
    uint32_t w[2] = { (uint32_t)off, len > SPM_MSG_DATA ? SPM_MSG_DATA : (uint32_t)len };
    memcpy(req, &u, 8);
    memcpy(req + 8, w, 8);
    size_t n = 0;
    psa_status_t st = send(kind(ps, STORAGE_MSG_GET), req, sizeof req, data, len, &n);
    if (st == PSA_SUCCESS) {
        *out_len = n;
    }
    return st;
}

static psa_status_t remove_uid(bool ps, psa_storage_uid_t uid)
{
    if (uid == 0) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    uint64_t u = uid;
    return send(kind(ps, STORAGE_MSG_REMOVE), &u, sizeof u, NULL, 0, NULL);
}

/* ---- PSA Internal Trusted Storage and Protected Storage ------------------------- */

psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                         psa_storage_create_flags_t create_flags)
{
    return set(false, uid, data_length, p_data, create_flags);
}

psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                         void *p_data, size_t *p_data_length)
{
    return get(false, uid, data_offset, data_length, p_data, p_data_length);
}

psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return info(false, uid, p_info);
}

psa_status_t psa_its_remove(psa_storage_uid_t uid)
{
    return remove_uid(false, uid);
}

psa_status_t psa_ps_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                        psa_storage_create_flags_t create_flags)
{
    return set(true, uid, data_length, p_data, create_flags);
}

psa_status_t psa_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                        void *p_data, size_t *p_data_length)
{
    return get(true, uid, data_offset, data_length, p_data, p_data_length);
}

psa_status_t psa_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return info(true, uid, p_info);
}

psa_status_t psa_ps_remove(psa_storage_uid_t uid)
{
    return remove_uid(true, uid);
}

psa_status_t psa_ps_create(psa_storage_uid_t uid, size_t capacity,
                           psa_storage_create_flags_t create_flags)
{
    if (uid == 0) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (capacity > UINT32_MAX) {
        capacity = UINT32_MAX;   /* more than any object can hold: the same answer */
    }
    uint8_t req[STORAGE_HDR_LEN];
    header(req, uid, (uint32_t)capacity, create_flags);
    return send(kind(true, STORAGE_MSG_CREATE), req, sizeof req, NULL, 0, NULL);
}

psa_status_t psa_ps_set_extended(psa_storage_uid_t uid, size_t data_offset,
                                 size_t data_length, const void *p_data)
{
    if (uid == 0 || !ms_tee_storage_buffer_ok(p_data, data_length)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (data_offset > UINT32_MAX) {
        data_offset = UINT32_MAX;   /* past the end of any object: the same answer */
    }
    return send_data(kind(true, STORAGE_MSG_SET_EXT), uid, (uint32_t)data_offset, data_length,
                     p_data);
}

/* What the service supports is a constant of its code, no state: asked
 * of the code directly, it never fails. */
uint32_t psa_ps_get_support(void)
{
    return ms_tee_ps_get_support();
}

/* ---- metering registers ------------------------------------------------------------- */

static ms_err_t meter(int32_t type, const void *in, size_t in_len, ms_tee_meter_reg_t *out)
{
    uint8_t a[STORAGE_METER_LEN];
    size_t n = 0;
    psa_status_t st = send(type, in, in_len, a, sizeof a, &n);
    if (st != PSA_SUCCESS || n != sizeof a) {
        return MS_ERR_STATE;
    }
    int32_t err;
    uint64_t balance;
    memcpy(&err, a, 4);
    if (out != NULL) {
        memcpy(&out->energy_wh, a + 4, 8);
        memcpy(&balance, a + 12, 8);
        memcpy(&out->updates, a + 20, 8);
        out->balance_milli = balance <= (uint64_t)INT64_MAX ? (int64_t)balance
                                                             : -(int64_t)(~balance) - 1;
    }
    return (ms_err_t)err;
}

ms_err_t ms_tee_meter_read(ms_tee_meter_reg_t *out)
{
    if (out == NULL) {
        return MS_ERR_ARG;
    }
    memset(out, 0, sizeof *out);   /* as the service: zero unless read */
    return meter(STORAGE_MSG_METER_READ, NULL, 0, out);
}

ms_err_t ms_tee_meter_add(uint64_t energy_wh, int64_t balance_delta_milli,
                          ms_tee_meter_reg_t *out)
{
    uint64_t v[2] = { energy_wh, (uint64_t)balance_delta_milli };
    ms_tee_meter_reg_t r;
    ms_err_t err = meter(STORAGE_MSG_METER_ADD, v, sizeof v, &r);
    if (err == MS_OK && out != NULL) {
        *out = r;
    }
    return err;
}

/* The key store partition's requests (spm.h): ITS operations on its own
 * records, uids MS_TEE_UID_KEY_BASE + a key id, and nothing else: not PS,
 * not the metering registers, not another ITS object. */
psa_status_t tee_storage_serve_keystore(int32_t type, const uint8_t *in, size_t len,
                                        uint8_t *out, size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (type != STORAGE_MSG_SET && type != STORAGE_MSG_GET && type != STORAGE_MSG_INFO &&
        type != STORAGE_MSG_REMOVE) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    uint64_t uid;
    if (len < sizeof uid) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    memcpy(&uid, in, sizeof uid);
    if (uid <= MS_TEE_UID_KEY_BASE || uid > MS_TEE_UID_KEY_BASE + MS_TEE_KEY_ID_MAX) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    return send2(type, in, len, NULL, 0, out, cap, out_len);
}

/* The link partition's requests, as tee_link_serve allowed them (its PS
 * records, the metering registers; link_client.c holds the policy). */
psa_status_t tee_storage_serve_link(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                                    size_t cap, size_t *out_len)
{
    *out_len = 0;
    return send2(type, in, len, NULL, 0, out, cap, out_len);
}
