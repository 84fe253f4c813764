/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dispatch.c - the secure API dispatcher (M11); contract in
 * meterseal/tee_dispatch.h.
 *
 * Invariants:
 *   - No service handler runs before every vector passed the count, length
 *     and range checks.
 *   - Handlers see only the secure copies (in_buf/out_buf); caller memory
 *     is read once (copy-in) and written once (copy-out, on success).
 *   - Each handler calls only its own service's public functions, with the
 *     caller's partition identity; no handler reaches another service's
 *     state (M3/M8 partition separation, enforced by the MPU on the MCU):
 *     in particular the key store's ITS records (uids from
 *     MS_TEE_UID_KEY_BASE) are refused to every caller.
 *   - Every length is bounded before use; no arithmetic can wrap.
 *   - The caller's vector arrays are read once, into secure copies, before
 *     any check: a vector cannot be changed between its check and its use
 *     (no double fetch). Only their len fields are written back, at the end.
 */
#include "meterseal/tee_dispatch.h"

#include <string.h>

#include "meterseal/tee_attest.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_link.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "meterseal/tee_update.h"

static ms_tee_range_check_fn g_check;
static ms_tee_update_handler_fn g_update_handler;
static ms_tee_link_handler_fn g_link_handler;
static uint8_t g_in_buf[MS_TEE_IO_BUF_LEN];
static uint8_t g_out_buf[MS_TEE_IO_BUF_LEN];

/* ---- helpers -------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
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

bool ms_tee_msg_shape(const ms_tee_msg_t *m, size_t n_in, const long *in_lens, size_t n_out,
                  const size_t *out_min)
{
    if (m->n_in != n_in || m->n_out != n_out) {
        return false;
    }
    for (size_t i = 0; i < n_in; i++) {
        if (in_lens[i] >= 0 && m->in_len[i] != (size_t)in_lens[i]) {
            return false;
        }
    }
    for (size_t i = 0; i < n_out; i++) {
        if (m->out_cap[i] < out_min[i]) {
            return false;
        }
    }
    return true;
}

static bool default_check(const ms_tee_caller_t *c, uintptr_t addr, size_t len, bool write)
{
    (void)write;
    if (len == 0) {
        return true;
    }
    return addr >= c->mem_base && c->mem_len >= len && addr - c->mem_base <= c->mem_len - len;
}

void ms_tee_dispatch_set_update(ms_tee_update_handler_fn fn)
{
    g_update_handler = fn;
}

/* Where no client is installed: the services in the dispatcher's own
 * context (the host). A platform that confines its partitions (the AN505)
 * runs the update service and the link in theirs and installs their
 * clients; without one the dispatcher refuses the call rather than run the
 * service privileged, and its own update instance is not in the image. */
#if defined(MS_TEE_PARTITION_SECTIONS)
#define UPDATE_DEFAULT NULL
#define LINK_DEFAULT   NULL
#else
static ms_err_t update_direct(int32_t type, size_t n_in, const uint8_t *in, size_t in_len,
                              const uint8_t *data, size_t data_len, uint8_t *out,
                              size_t out_cap, size_t *out_len)
{
    return ms_tee_update_request(ms_tee_update_service(), type, n_in, in, in_len, data,
                                 data_len, out, out_cap, out_len);
}
#define UPDATE_DEFAULT update_direct
#define LINK_DEFAULT   ms_tee_link_handle
#endif

void ms_tee_dispatch_set_link(ms_tee_link_handler_fn fn)
{
    g_link_handler = fn;
}

void ms_tee_dispatch_set_check(ms_tee_range_check_fn fn)
{
    g_check = fn;
}

/* ---- storage (ITS, PS) ------------------------------------------------------ */

static psa_status_t handle_storage(ms_tee_msg_t *m, bool ps)
{
    static const long l_set[2] = { 12, -1 }, l_get[1] = { 12 }, l_uid[1] = { 8 };
    static const long l_create[1] = { 16 };
    static const size_t o_none[1] = { 0 }, o_info[1] = { 12 }, o_support[1] = { 4 };
    if (m->type == MS_TEE_STORAGE_GET_SUPPORT) {
        if (!ps) {
            return PSA_ERROR_NOT_SUPPORTED;
        }
        if (!ms_tee_msg_shape(m, 0, NULL, 1, o_support)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        wr32(m->out[0], psa_ps_get_support());
        m->out_len[0] = 4;
        return PSA_SUCCESS;
    }
    if (m->n_in == 0 || m->in_len[0] < 8) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    uint64_t uid = rd64(m->in[0]);
    if (m->caller == MS_TEE_PART_NSPE && uid >= MS_TEE_UID_RESERVED_MIN) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    /* M8: ITS key records belong to the key store, which reaches them
     * directly; no caller of any partition may read or replace them raw. */
    if (!ps && uid >= MS_TEE_UID_KEY_BASE) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    switch (m->type) {
    case MS_TEE_STORAGE_SET: {
        if (!ms_tee_msg_shape(m, 2, l_set, 0, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        uint32_t flags = rd32(m->in[0] + 8);
        return ps ? psa_ps_set(uid, m->in_len[1], m->in[1], flags)
                  : psa_its_set(uid, m->in_len[1], m->in[1], flags);
    }
    case MS_TEE_STORAGE_GET: {
        if (!ms_tee_msg_shape(m, 1, l_get, 1, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        uint32_t off = rd32(m->in[0] + 8);
        return ps ? psa_ps_get(uid, off, m->out_cap[0], m->out[0], &m->out_len[0])
                  : psa_its_get(uid, off, m->out_cap[0], m->out[0], &m->out_len[0]);
    }
    case MS_TEE_STORAGE_GET_INFO: {
        struct psa_storage_info_t info;
        if (!ms_tee_msg_shape(m, 1, l_uid, 1, o_info)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        psa_status_t s = ps ? psa_ps_get_info(uid, &info) : psa_its_get_info(uid, &info);
        if (s == PSA_SUCCESS) {
            wr32(m->out[0], (uint32_t)info.capacity);
            wr32(m->out[0] + 4, (uint32_t)info.size);
            wr32(m->out[0] + 8, info.flags);
            m->out_len[0] = 12;
        }
        return s;
    }
    case MS_TEE_STORAGE_REMOVE:
        if (!ms_tee_msg_shape(m, 1, l_uid, 0, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return ps ? psa_ps_remove(uid) : psa_its_remove(uid);
    case MS_TEE_STORAGE_CREATE:
        if (!ps) {
            return PSA_ERROR_NOT_SUPPORTED;   /* PS only (PSA Storage API 1.0) */
        }
        if (!ms_tee_msg_shape(m, 1, l_create, 0, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return psa_ps_create(uid, rd32(m->in[0] + 8), rd32(m->in[0] + 12));
    case MS_TEE_STORAGE_SET_EXTENDED:
        if (!ps) {
            return PSA_ERROR_NOT_SUPPORTED;
        }
        if (!ms_tee_msg_shape(m, 2, l_set, 0, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return psa_ps_set_extended(uid, rd32(m->in[0] + 8), m->in_len[1], m->in[1]);
    default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
}

/* ---- crypto service ------------------------------------------------------------ */

static psa_status_t handle_crypto(ms_tee_msg_t *m)
{
    static const long l_sign[2] = { 4, 32 }, l_key[1] = { 4 }, l_ecdh[2] = { 4, 65 };
    static const long l_enc[3] = { 16, -1, -1 }, l_dec[4] = { 16, -1, -1, 16 };
    static const long l_mac[2] = { 4, -1 };
    static const size_t o_sig[1] = { MS_P256_SIG_DER_MAX }, o_pub[1] = { MS_P256_PUB_LEN };
    static const size_t o_32[1] = { 32 }, o_enc[2] = { 0, 16 }, o_dec[1] = { 0 };
    if (m->n_in == 0 || m->in_len[0] < 4) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    ms_tee_key_id_t key = rd32(m->in[0]);
    ms_err_t err;
    switch (m->type) {
    case MS_TEE_CRYPTO_SIGN:
        if (!ms_tee_msg_shape(m, 2, l_sign, 1, o_sig)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_key_sign_hash(m->caller, key, m->in[1], m->out[0], m->out_cap[0],
                                   &m->out_len[0]);
        break;
    case MS_TEE_CRYPTO_EXPORT: {
        ms_p256_pub_t pub;
        if (!ms_tee_msg_shape(m, 1, l_key, 1, o_pub)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_key_export_public(m->caller, key, &pub);
        if (!err) {
            memcpy(m->out[0], pub.q, sizeof pub.q);
            m->out_len[0] = sizeof pub.q;
        }
        break;
    }
    case MS_TEE_CRYPTO_ECDH: {
        ms_p256_pub_t peer;
        if (!ms_tee_msg_shape(m, 2, l_ecdh, 1, o_32)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        memcpy(peer.q, m->in[1], sizeof peer.q);
        err = ms_tee_key_ecdh(m->caller, key, &peer, m->out[0]);
        m->out_len[0] = err ? 0 : MS_P256_SHARED_LEN;
        break;
    }
    case MS_TEE_CRYPTO_AEAD_ENC:
        if (!ms_tee_msg_shape(m, 3, l_enc, 2, o_enc) || m->out_cap[0] < m->in_len[2]) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_key_aead_encrypt(m->caller, key, m->in[0] + 4, m->in[1], m->in_len[1],
                                      m->in[2], m->out[0], m->in_len[2], m->out[1]);
        if (!err) {
            m->out_len[0] = m->in_len[2];
            m->out_len[1] = MS_AES_GCM_TAG_LEN;
        }
        break;
    case MS_TEE_CRYPTO_AEAD_DEC:
        if (!ms_tee_msg_shape(m, 4, l_dec, 1, o_dec) || m->out_cap[0] < m->in_len[2]) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_key_aead_decrypt(m->caller, key, m->in[0] + 4, m->in[1], m->in_len[1],
                                      m->in[2], m->out[0], m->in_len[2], m->in[3]);
        if (!err) {
            m->out_len[0] = m->in_len[2];
        }
        break;
    case MS_TEE_CRYPTO_MAC:
        if (!ms_tee_msg_shape(m, 2, l_mac, 1, o_32)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_key_mac(m->caller, key, m->in[1], m->in_len[1], m->out[0]);
        m->out_len[0] = err ? 0 : MS_HMAC_SHA256_LEN;
        break;
    default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
    return ms_tee_psa_status(err);
}

/* ---- RNG, attestation, meter --------------------------------------------------- */

static psa_status_t handle_rng(ms_tee_msg_t *m)
{
    static const size_t o_any[1] = { 0 };
    if (m->type != MS_TEE_RNG_GENERATE) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (!ms_tee_msg_shape(m, 0, NULL, 1, o_any) || m->out_cap[0] > MS_TEE_RNG_MAX_REQUEST) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    ms_err_t err = ms_tee_rng_generate(m->out[0], m->out_cap[0]);
    m->out_len[0] = err ? 0 : m->out_cap[0];
    return ms_tee_psa_status(err);
}

static psa_status_t handle_attest(ms_tee_msg_t *m)
{
    static const long l_nonce[1] = { -1 };
    static const size_t o_any[1] = { 0 };
    static const long l_word[1] = { 4 };
    static const size_t o_word[1] = { 4 };
    if (m->type == MS_TEE_ATTEST_SIZE) {
        if (!ms_tee_msg_shape(m, 1, l_word, 1, o_word)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        size_t size = 0;
        ms_err_t err = ms_tee_attest_get_token_size(m->caller, rd32(m->in[0]), &size);
        if (!err) {
            wr32(m->out[0], (uint32_t)size);
            m->out_len[0] = 4;
        }
        return ms_tee_psa_status(err);
    }
    if (m->type != MS_TEE_ATTEST_TOKEN) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (!ms_tee_msg_shape(m, 1, l_nonce, 1, o_any)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return ms_tee_psa_status(ms_tee_attest_get_token(m->caller, m->in[0], m->in_len[0],
                                                     m->out[0], m->out_cap[0],
                                                     &m->out_len[0]));
}

/* The meter's READ; its ADD moves the balance by the tariff in force, so it
 * is the link service's (below). */
static psa_status_t handle_meter(ms_tee_msg_t *m)
{
    static const size_t o_reg[1] = { 24 };
    ms_tee_meter_reg_t r;
    if (m->type != MS_TEE_METER_READ) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (!ms_tee_msg_shape(m, 0, NULL, 1, o_reg)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    ms_err_t err = ms_tee_meter_read(&r);
    if (!err) {
        wr64(m->out[0], r.energy_wh);
        wr64(m->out[0] + 8, (uint64_t)r.balance_milli);
        wr64(m->out[0] + 16, r.updates);
        m->out_len[0] = 24;
    }
    return ms_tee_psa_status(err);
}

/* Firmware updates: the service decodes its own vectors (tee_update.h). */
static psa_status_t handle_update(ms_tee_msg_t *m)
{
    if (m->n_in > 2 || m->n_out > 1) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    ms_tee_update_handler_fn fn = g_update_handler != NULL ? g_update_handler : UPDATE_DEFAULT;
    if (fn == NULL) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    ms_err_t err = fn(
        m->type, m->n_in, m->n_in >= 1 ? m->in[0] : NULL,
        m->n_in >= 1 ? m->in_len[0] : 0, m->n_in >= 2 ? m->in[1] : NULL,
        m->n_in >= 2 ? m->in_len[1] : 0, m->n_out >= 1 ? m->out[0] : NULL,
        m->n_out >= 1 ? m->out_cap[0] : 0, &m->out_len[0]);
    if (err == MS_ERR_FORMAT) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return err == MS_ERR_UNSUPPORTED ? PSA_ERROR_NOT_SUPPORTED : ms_tee_psa_status(err);
}

/* ---- the entry point ---------------------------------------------------------- */

psa_status_t ms_tee_call(const ms_tee_caller_t *caller, uint32_t sid, int32_t type,
                         const ms_tee_invec_t *in_vec, size_t in_len,
                         ms_tee_outvec_t *out_vec, size_t out_len)
{
    ms_tee_msg_t m;
    ms_tee_invec_t vin[MS_TEE_MAX_IOVEC];
    ms_tee_outvec_t vout[MS_TEE_MAX_IOVEC];
    ms_tee_range_check_fn check = g_check != NULL ? g_check : default_check;

    if (caller == NULL || (unsigned)caller->id >= MS_TEE_PART_COUNT_ ||
        in_len > MS_TEE_MAX_IOVEC || out_len > MS_TEE_MAX_IOVEC ||
        (in_vec == NULL && in_len != 0) || (out_vec == NULL && out_len != 0)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    /* M11: one fetch of the vectors; everything below uses these copies */
    if (in_len != 0) {
        memcpy(vin, in_vec, in_len * sizeof vin[0]);
    }
    if (out_len != 0) {
        memcpy(vout, out_vec, out_len * sizeof vout[0]);
    }
    /* M11: bound and range-check every vector before anything else */
    size_t in_total = 0, out_total = 0;
    for (size_t i = 0; i < in_len; i++) {
        size_t n = vin[i].len;
        if (n > MS_TEE_MAX_IOVEC_LEN || (vin[i].base == NULL && n != 0) ||
            !check(caller, (uintptr_t)vin[i].base, n, false)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        in_total += n;
    }
    for (size_t i = 0; i < out_len; i++) {
        size_t n = vout[i].len;
        if (n > MS_TEE_MAX_IOVEC_LEN || (vout[i].base == NULL && n != 0) ||
            !check(caller, (uintptr_t)vout[i].base, n, true)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        out_total += n;
    }
    if (in_total > MS_TEE_IO_BUF_LEN || out_total > MS_TEE_IO_BUF_LEN) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    switch (sid) {
    case MS_TEE_SID_ITS:
    case MS_TEE_SID_PS:
    case MS_TEE_SID_CRYPTO:
    case MS_TEE_SID_RNG:
    case MS_TEE_SID_ATTEST:
    case MS_TEE_SID_METER:
    case MS_TEE_SID_LINK:
    case MS_TEE_SID_UPDATE:
        break;
    default:
        return PSA_ERROR_CONNECTION_REFUSED;
    }

    /* copy in: the services work on secure copies only */
    memset(&m, 0, sizeof m);
    m.caller = caller->id;
    m.type = type;
    m.n_in = in_len;
    m.n_out = out_len;
    size_t at = 0;
    for (size_t i = 0; i < in_len; i++) {
        m.in[i] = g_in_buf + at;
        m.in_len[i] = vin[i].len;
        if (vin[i].len != 0) {
            memcpy(g_in_buf + at, vin[i].base, vin[i].len);
        }
        at += vin[i].len;
    }
    at = 0;
    for (size_t i = 0; i < out_len; i++) {
        m.out[i] = g_out_buf + at;
        m.out_cap[i] = vout[i].len;
        at += vout[i].len;
    }

    psa_status_t s;
    switch (sid) {
    case MS_TEE_SID_ITS:    s = handle_storage(&m, false); break;
    case MS_TEE_SID_PS:     s = handle_storage(&m, true); break;
    case MS_TEE_SID_CRYPTO: s = handle_crypto(&m); break;
    case MS_TEE_SID_RNG:    s = handle_rng(&m); break;
    case MS_TEE_SID_ATTEST: s = handle_attest(&m); break;
    case MS_TEE_SID_UPDATE: s = handle_update(&m); break;
    default:
        /* the link's functions, and the meter's ADD (the balance moves by
         * the link's tariff): the link service's */
        if (sid == MS_TEE_SID_METER && type != MS_TEE_METER_ADD) {
            s = handle_meter(&m);
        } else {
            ms_tee_link_handler_fn fn = g_link_handler != NULL ? g_link_handler : LINK_DEFAULT;
            s = fn != NULL ? fn(sid, &m) : PSA_ERROR_NOT_SUPPORTED;
        }
        break;
    }

    /* copy out only what a successful call produced */
    for (size_t i = 0; i < out_len; i++) {
        size_t n = s == PSA_SUCCESS && m.out_len[i] <= m.out_cap[i] ? m.out_len[i] : 0;
        if (n != 0) {
            memcpy(vout[i].base, m.out[i], n);
        }
        out_vec[i].len = n;
    }
    memset(g_in_buf, 0, in_total);
    memset(g_out_buf, 0, out_total);
    return s;
}

psa_status_t ms_tee_dispatch_message(const ms_tee_caller_t *caller, const uint8_t *msg,
                                     size_t len, size_t out_lens[MS_TEE_MAX_IOVEC])
{
    ms_tee_invec_t in[MS_TEE_MAX_IOVEC];
    ms_tee_outvec_t out[MS_TEE_MAX_IOVEC];
    if (out_lens != NULL) {
        memset(out_lens, 0, MS_TEE_MAX_IOVEC * sizeof out_lens[0]);
    }
    if (caller == NULL || msg == NULL || len < 12) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    uint32_t sid = rd32(msg);
    uint32_t type_raw = rd32(msg + 4);
    int32_t type = type_raw <= (uint32_t)INT32_MAX ? (int32_t)type_raw
                                                   : -(int32_t)(~type_raw) - 1;
    size_t n_in = msg[8], n_out = msg[9];
    if (msg[10] != 0 || msg[11] != 0 || n_in > MS_TEE_MAX_IOVEC || n_out > MS_TEE_MAX_IOVEC ||
        len != 12u + 8u * (n_in + n_out)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    for (size_t i = 0; i < n_in + n_out; i++) {
        uint32_t off = rd32(msg + 12 + 8 * i);
        uint32_t n = rd32(msg + 16 + 8 * i);
        if (off > caller->mem_len || n > caller->mem_len - off) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        uintptr_t p = caller->mem_base + off;
        if (i < n_in) {
            in[i].base = n != 0 ? (const void *)p : NULL;
            in[i].len = n;
        } else {
            out[i - n_in].base = n != 0 ? (void *)p : NULL;
            out[i - n_in].len = n;
        }
    }
    psa_status_t s = ms_tee_call(caller, sid, type, in, n_in, out, n_out);
    for (size_t i = 0; out_lens != NULL && i < n_out; i++) {
        out_lens[i] = out[i].len;
    }
    return s;
}
