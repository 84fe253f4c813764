/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_client.c - the Non-secure side of the secure API (tee_client.h).
 *
 * Invariant: at most one task is inside the TEE at a time (the TEE refuses
 * a second with PSA_ERROR_CONNECTION_BUSY); vectors are built on the
 * caller's stack, in Non-secure memory, as the door requires.
 */
#include "tee_client.h"

#include <stdbool.h>
#include <string.h>

#include "meterseal/psa/initial_attestation.h"
#include "meterseal/psa/internal_trusted_storage.h"
#include "meterseal/psa/protected_storage.h"
#include "meterseal/tee_storage.h"
#include "rtos.h"

static rtos_sem_t tee_mutex;
static int use_kernel;

void tee_client_use_kernel(void)
{
    rtos_sem_init(&tee_mutex, 1, 1);
    use_kernel = 1;
}

psa_status_t tee_client_call(uint32_t sid, int32_t type, const ms_tee_invec_t *in, size_t n_in,
                             ms_tee_outvec_t *out, size_t n_out)
{
    ms_tee_ns_req_t req = { sid, type, in, (uint32_t)n_in, out, (uint32_t)n_out };
    if (use_kernel) {
        rtos_sem_take(&tee_mutex, RTOS_WAIT_FOREVER);
    }
    psa_status_t st = ms_tee_ns_call(&req);
    if (use_kernel) {
        rtos_sem_give(&tee_mutex);
    }
    return st;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ---- PSA storage -------------------------------------------------------------- */

/*
 * The PSA storage API's answer to a buffer no caller can own - NULL with a
 * length, a range that wraps, or one longer than MS_TEE_STORAGE_MAX_BUFFER -
 * is PSA_ERROR_INVALID_ARGUMENT, as the TEE's own PSA functions give it
 * (psa_storage.c). Checked here, before the door: the door treats such a
 * vector as a malformed call (PSA_ERROR_PROGRAMMER_ERROR, a violation).
 */
static bool buffer_ok(const void *p, size_t len)
{
    if (len == 0) {
        return true;
    }
    return p != NULL && len <= MS_TEE_STORAGE_MAX_BUFFER &&
           (uintptr_t)p <= UINTPTR_MAX - (len - 1u);
}

static psa_status_t st_set(uint32_t sid, psa_storage_uid_t uid, size_t len, const void *data,
                           psa_storage_create_flags_t flags)
{
    uint8_t hdr[12];
    if (!buffer_ok(data, len)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    wr64(hdr, uid);
    wr32(hdr + 8, flags);
    ms_tee_invec_t in[2] = { { hdr, sizeof hdr }, { data, len } };
    return tee_client_call(sid, MS_TEE_STORAGE_SET, in, 2, NULL, 0);
}

static psa_status_t st_get(uint32_t sid, psa_storage_uid_t uid, size_t off, size_t len,
                           void *data, size_t *got)
{
    uint8_t hdr[12];
    if (!buffer_ok(data, len)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    wr64(hdr, uid);
    wr32(hdr + 8, (uint32_t)off);
    ms_tee_invec_t in[1] = { { hdr, sizeof hdr } };
    ms_tee_outvec_t out[1] = { { data, len } };
    psa_status_t st = tee_client_call(sid, MS_TEE_STORAGE_GET, in, 1, out, 1);
    if (got != NULL) {
        *got = st == PSA_SUCCESS ? out[0].len : 0;
    }
    return st;
}

static psa_status_t st_info(uint32_t sid, psa_storage_uid_t uid, struct psa_storage_info_t *info)
{
    uint8_t hdr[8], o[12];
    wr64(hdr, uid);
    ms_tee_invec_t in[1] = { { hdr, sizeof hdr } };
    ms_tee_outvec_t out[1] = { { o, sizeof o } };
    psa_status_t st = tee_client_call(sid, MS_TEE_STORAGE_GET_INFO, in, 1, out, 1);
    if (st == PSA_SUCCESS) {
        info->capacity = rd32(o);
        info->size = rd32(o + 4);
        info->flags = rd32(o + 8);
    }
    return st;
}

static psa_status_t st_remove(uint32_t sid, psa_storage_uid_t uid)
{
    uint8_t hdr[8];
    wr64(hdr, uid);
    ms_tee_invec_t in[1] = { { hdr, sizeof hdr } };
    return tee_client_call(sid, MS_TEE_STORAGE_REMOVE, in, 1, NULL, 0);
}

psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                         psa_storage_create_flags_t create_flags)
{
    return st_set(MS_TEE_SID_ITS, uid, data_length, p_data, create_flags);
}

psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                         void *p_data, size_t *p_data_length)
{
    return st_get(MS_TEE_SID_ITS, uid, data_offset, data_length, p_data, p_data_length);
}

psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return st_info(MS_TEE_SID_ITS, uid, p_info);
}

psa_status_t psa_its_remove(psa_storage_uid_t uid)
{
    return st_remove(MS_TEE_SID_ITS, uid);
}

psa_status_t psa_ps_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                        psa_storage_create_flags_t create_flags)
{
    return st_set(MS_TEE_SID_PS, uid, data_length, p_data, create_flags);
}

psa_status_t psa_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                        void *p_data, size_t *p_data_length)
{
    return st_get(MS_TEE_SID_PS, uid, data_offset, data_length, p_data, p_data_length);
}

psa_status_t psa_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return st_info(MS_TEE_SID_PS, uid, p_info);
}

psa_status_t psa_ps_remove(psa_storage_uid_t uid)
{
    return st_remove(MS_TEE_SID_PS, uid);
}

psa_status_t psa_ps_create(psa_storage_uid_t uid, size_t capacity,
                           psa_storage_create_flags_t create_flags)
{
    uint8_t hdr[16];
    wr64(hdr, uid);
    wr32(hdr + 8, (uint32_t)capacity);
    wr32(hdr + 12, create_flags);
    ms_tee_invec_t in[1] = { { hdr, sizeof hdr } };
    return tee_client_call(MS_TEE_SID_PS, MS_TEE_STORAGE_CREATE, in, 1, NULL, 0);
}

psa_status_t psa_ps_set_extended(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                                 const void *p_data)
{
    uint8_t hdr[12];
    if (!buffer_ok(p_data, data_length)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    wr64(hdr, uid);
    wr32(hdr + 8, (uint32_t)data_offset);
    ms_tee_invec_t in[2] = { { hdr, sizeof hdr }, { p_data, data_length } };
    return tee_client_call(MS_TEE_SID_PS, MS_TEE_STORAGE_SET_EXTENDED, in, 2, NULL, 0);
}

uint32_t psa_ps_get_support(void)
{
    uint8_t o[4];
    ms_tee_outvec_t out[1] = { { o, sizeof o } };
    if (tee_client_call(MS_TEE_SID_PS, MS_TEE_STORAGE_GET_SUPPORT, NULL, 0, out, 1) != PSA_SUCCESS) {
        return 0;
    }
    return rd32(o);
}

/* ---- metering, RNG, attestation ------------------------------------------------------ */

static void meter_out(const uint8_t o[24], tee_meter_t *m)
{
    m->energy_wh = rd64(o);
    m->balance_milli = (int64_t)rd64(o + 8);
    m->updates = rd64(o + 16);
}

psa_status_t tee_meter_read(tee_meter_t *m)
{
    uint8_t o[24];
    ms_tee_outvec_t out[1] = { { o, sizeof o } };
    psa_status_t st = tee_client_call(MS_TEE_SID_METER, MS_TEE_METER_READ, NULL, 0, out, 1);
    if (st == PSA_SUCCESS) {
        meter_out(o, m);
    }
    return st;
}

psa_status_t tee_meter_add(uint64_t energy_wh, tee_meter_t *m)
{
    uint8_t e[8], o[24];
    wr64(e, energy_wh);
    ms_tee_invec_t in[1] = { { e, sizeof e } };
    ms_tee_outvec_t out[1] = { { o, sizeof o } };
    psa_status_t st = tee_client_call(MS_TEE_SID_METER, MS_TEE_METER_ADD, in, 1, out, 1);
    if (st == PSA_SUCCESS && m != NULL) {
        meter_out(o, m);
    }
    return st;
}

psa_status_t tee_rng(void *buf, size_t len)
{
    ms_tee_outvec_t out[1] = { { buf, len } };
    return tee_client_call(MS_TEE_SID_RNG, MS_TEE_RNG_GENERATE, NULL, 0, out, 1);
}

psa_status_t tee_rng_direct(void *buf, size_t len)
{
    ms_tee_outvec_t out[1] = { { buf, len } };
    ms_tee_ns_req_t req = { MS_TEE_SID_RNG, MS_TEE_RNG_GENERATE, NULL, 0, out, 1 };
    return ms_tee_ns_call(&req);
}

psa_status_t tee_attest_token(const uint8_t *nonce, size_t nonce_len, uint8_t *buf, size_t cap,
                              size_t *len)
{
    ms_tee_invec_t in[1] = { { nonce, nonce_len } };
    ms_tee_outvec_t out[1] = { { buf, cap } };
    psa_status_t st = tee_client_call(MS_TEE_SID_ATTEST, MS_TEE_ATTEST_TOKEN, in, 1, out, 1);
    *len = st == PSA_SUCCESS ? out[0].len : 0;
    return st;
}

/* PSA Attestation API 1.0 over the same service. */
psa_status_t psa_initial_attest_get_token(const uint8_t *auth_challenge, size_t challenge_size,
                                          uint8_t *token_buf, size_t token_buf_size,
                                          size_t *token_size)
{
    /* buffers no caller can own are invalid arguments here, not malformed
     * calls the door would count as violations */
    if (token_size == NULL || !buffer_ok(auth_challenge, challenge_size) ||
        !buffer_ok(token_buf, token_buf_size)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    return tee_attest_token(auth_challenge, challenge_size, token_buf, token_buf_size,
                            token_size);
}

psa_status_t psa_initial_attest_get_token_size(size_t challenge_size, size_t *token_size)
{
    if (token_size == NULL) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    *token_size = 0;
    if (challenge_size > UINT32_MAX) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    uint32_t n = (uint32_t)challenge_size, size = 0;
    ms_tee_invec_t in[1] = { { &n, sizeof n } };
    ms_tee_outvec_t out[1] = { { &size, sizeof size } };
    psa_status_t st = tee_client_call(MS_TEE_SID_ATTEST, MS_TEE_ATTEST_SIZE, in, 1, out, 1);
    if (st == PSA_SUCCESS) {
        *token_size = size;
    }
    return st;
}

/* ---- firmware updates ------------------------------------------------------------------- */

/* One request; the status comes back on success, and is asked for after a
 * refusal (the dispatcher copies nothing out of a refused call). */
static psa_status_t upd_call(int32_t type, const ms_tee_invec_t *in, size_t n_in,
                             ms_tee_update_status_t *st)
{
    uint8_t o[MS_TEE_UPDATE_STATUS_LEN];
    ms_tee_outvec_t out[1] = { { o, sizeof o } };
    psa_status_t r = tee_client_call(MS_TEE_SID_UPDATE, type, in, n_in, out, 1);
    if (r != PSA_SUCCESS && type != MS_TEE_UPDATE_STATUS) {
        out[0].len = sizeof o;
        if (tee_client_call(MS_TEE_SID_UPDATE, MS_TEE_UPDATE_STATUS, NULL, 0, out, 1) !=
            PSA_SUCCESS) {
            out[0].len = 0;
        }
    }
    memset(st, 0, sizeof *st);
    if (out[0].len == sizeof o) {
        st->state = (ms_tee_update_state_t)o[0];
        st->image = o[1];
        st->size = rd32(o + 4);
        st->offset = rd32(o + 8);
        st->last_err = (ms_err_t)rd32(o + 12);
        st->version.major = o[16];
        st->version.minor = o[17];
        st->version.revision = (uint16_t)(o[18] | o[19] << 8);
        st->version.build = rd32(o + 20);
        st->sec_cnt = rd32(o + 24);
    }
    return r;
}

psa_status_t tee_update_begin(uint8_t image, uint32_t size, const uint8_t id[MS_TEE_UPDATE_ID_LEN],
                              ms_tee_update_status_t *st)
{
    uint8_t a[MS_TEE_UPDATE_BEGIN_LEN] = { image };
    wr32(a + 4, size);
    memcpy(a + 8, id, MS_TEE_UPDATE_ID_LEN);
    ms_tee_invec_t in[1] = { { a, sizeof a } };
    return upd_call(MS_TEE_UPDATE_BEGIN, in, 1, st);
}

psa_status_t tee_update_write(uint32_t offset, const void *data, size_t len,
                              ms_tee_update_status_t *st)
{
    uint8_t a[4];
    wr32(a, offset);
    ms_tee_invec_t in[2] = { { a, sizeof a }, { data, len } };
    return upd_call(MS_TEE_UPDATE_WRITE, in, 2, st);
}

psa_status_t tee_update_verify(ms_tee_update_status_t *st)
{
    return upd_call(MS_TEE_UPDATE_VERIFY, NULL, 0, st);
}

psa_status_t tee_update_install(bool permanent, ms_tee_update_status_t *st)
{
    uint8_t a[1] = { permanent ? 1u : 0u };
    ms_tee_invec_t in[1] = { { a, sizeof a } };
    return upd_call(MS_TEE_UPDATE_INSTALL, in, 1, st);
}

psa_status_t tee_update_abort(ms_tee_update_status_t *st)
{
    return upd_call(MS_TEE_UPDATE_ABORT, NULL, 0, st);
}

psa_status_t tee_update_confirm(uint8_t image)
{
    uint8_t a[1] = { image };
    ms_tee_invec_t in[1] = { { a, sizeof a } };
    return tee_client_call(MS_TEE_SID_UPDATE, MS_TEE_UPDATE_CONFIRM, in, 1, NULL, 0);
}
