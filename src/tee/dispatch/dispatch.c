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

typedef struct msg {
    ms_tee_partition_t caller;
    int32_t type;
    size_t n_in;
    size_t n_out;
    const uint8_t *in[MS_TEE_MAX_IOVEC];
    size_t in_len[MS_TEE_MAX_IOVEC];
    uint8_t *out[MS_TEE_MAX_IOVEC];
    size_t out_cap[MS_TEE_MAX_IOVEC];
    size_t out_len[MS_TEE_MAX_IOVEC];
} msg_t;

static ms_tee_range_check_fn g_check;
static ms_tee_update_handler_fn g_update_handler;
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

/* The vectors have exactly this shape: in lengths (-1: any), out minimum caps. */
static bool shape(const msg_t *m, size_t n_in, const long *in_lens, size_t n_out,
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

static ms_err_t update_direct(int32_t type, size_t n_in, const uint8_t *in, size_t in_len,
                              const uint8_t *data, size_t data_len, uint8_t *out,
                              size_t out_cap, size_t *out_len)
{
    return ms_tee_update_request(ms_tee_update_service(), type, n_in, in, in_len, data,
                                 data_len, out, out_cap, out_len);
}

void ms_tee_dispatch_set_check(ms_tee_range_check_fn fn)
{
    g_check = fn;
}

/* ---- storage (ITS, PS) ------------------------------------------------------ */

static psa_status_t handle_storage(msg_t *m, bool ps)
{
    static const long l_set[2] = { 12, -1 }, l_get[1] = { 12 }, l_uid[1] = { 8 };
    static const long l_create[1] = { 16 };
    static const size_t o_none[1] = { 0 }, o_info[1] = { 12 }, o_support[1] = { 4 };
    if (m->type == MS_TEE_STORAGE_GET_SUPPORT) {
        if (!ps) {
            return PSA_ERROR_NOT_SUPPORTED;
        }
        if (!shape(m, 0, NULL, 1, o_support)) {
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
        if (!shape(m, 2, l_set, 0, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        uint32_t flags = rd32(m->in[0] + 8);
        return ps ? psa_ps_set(uid, m->in_len[1], m->in[1], flags)
                  : psa_its_set(uid, m->in_len[1], m->in[1], flags);
    }
    case MS_TEE_STORAGE_GET: {
        if (!shape(m, 1, l_get, 1, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        uint32_t off = rd32(m->in[0] + 8);
        return ps ? psa_ps_get(uid, off, m->out_cap[0], m->out[0], &m->out_len[0])
                  : psa_its_get(uid, off, m->out_cap[0], m->out[0], &m->out_len[0]);
    }
    case MS_TEE_STORAGE_GET_INFO: {
        struct psa_storage_info_t info;
        if (!shape(m, 1, l_uid, 1, o_info)) {
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
        if (!shape(m, 1, l_uid, 0, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return ps ? psa_ps_remove(uid) : psa_its_remove(uid);
    case MS_TEE_STORAGE_CREATE:
        if (!ps) {
            return PSA_ERROR_NOT_SUPPORTED;   /* PS only (PSA Storage API 1.0) */
        }
        if (!shape(m, 1, l_create, 0, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return psa_ps_create(uid, rd32(m->in[0] + 8), rd32(m->in[0] + 12));
    case MS_TEE_STORAGE_SET_EXTENDED:
        if (!ps) {
            return PSA_ERROR_NOT_SUPPORTED;
        }
        if (!shape(m, 2, l_set, 0, o_none)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return psa_ps_set_extended(uid, rd32(m->in[0] + 8), m->in_len[1], m->in[1]);
    default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
}

/* ---- crypto service ------------------------------------------------------------ */

static psa_status_t handle_crypto(msg_t *m)
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
        if (!shape(m, 2, l_sign, 1, o_sig)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_key_sign_hash(m->caller, key, m->in[1], m->out[0], m->out_cap[0],
                                   &m->out_len[0]);
        break;
    case MS_TEE_CRYPTO_EXPORT: {
        ms_p256_pub_t pub;
        if (!shape(m, 1, l_key, 1, o_pub)) {
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
        if (!shape(m, 2, l_ecdh, 1, o_32)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        memcpy(peer.q, m->in[1], sizeof peer.q);
        err = ms_tee_key_ecdh(m->caller, key, &peer, m->out[0]);
        m->out_len[0] = err ? 0 : MS_P256_SHARED_LEN;
        break;
    }
    case MS_TEE_CRYPTO_AEAD_ENC:
        if (!shape(m, 3, l_enc, 2, o_enc) || m->out_cap[0] < m->in_len[2]) {
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
        if (!shape(m, 4, l_dec, 1, o_dec) || m->out_cap[0] < m->in_len[2]) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_key_aead_decrypt(m->caller, key, m->in[0] + 4, m->in[1], m->in_len[1],
                                      m->in[2], m->out[0], m->in_len[2], m->in[3]);
        if (!err) {
            m->out_len[0] = m->in_len[2];
        }
        break;
    case MS_TEE_CRYPTO_MAC:
        if (!shape(m, 2, l_mac, 1, o_32)) {
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

static psa_status_t handle_rng(msg_t *m)
{
    static const size_t o_any[1] = { 0 };
    if (m->type != MS_TEE_RNG_GENERATE) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (!shape(m, 0, NULL, 1, o_any) || m->out_cap[0] > MS_TEE_RNG_MAX_REQUEST) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    ms_err_t err = ms_tee_rng_generate(m->out[0], m->out_cap[0]);
    m->out_len[0] = err ? 0 : m->out_cap[0];
    return ms_tee_psa_status(err);
}

static psa_status_t handle_attest(msg_t *m)
{
    static const long l_nonce[1] = { -1 };
    static const size_t o_any[1] = { 0 };
    static const long l_word[1] = { 4 };
    static const size_t o_word[1] = { 4 };
    if (m->type == MS_TEE_ATTEST_SIZE) {
        if (!shape(m, 1, l_word, 1, o_word)) {
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
    if (!shape(m, 1, l_nonce, 1, o_any)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return ms_tee_psa_status(ms_tee_attest_get_token(m->caller, m->in[0], m->in_len[0],
                                                     m->out[0], m->out_cap[0],
                                                     &m->out_len[0]));
}

static psa_status_t handle_meter(msg_t *m)
{
    static const long l_add[1] = { 8 };
    static const size_t o_reg[1] = { 24 };
    ms_tee_meter_reg_t r;
    ms_err_t err;
    if (m->type == MS_TEE_METER_READ) {
        if (!shape(m, 0, NULL, 1, o_reg)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_meter_read(&r);
    } else if (m->type == MS_TEE_METER_ADD) {
        /* energy only: the balance moves by the tariff in force and by
         * signed top-ups, never by a value the NSPE passes (tee_link.h) */
        if (!shape(m, 1, l_add, 1, o_reg)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_link_consume(rd64(m->in[0]), &r);
    } else {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (!err) {
        wr64(m->out[0], r.energy_wh);
        wr64(m->out[0] + 8, (uint64_t)r.balance_milli);
        wr64(m->out[0] + 16, r.updates);
        m->out_len[0] = 24;
    }
    return ms_tee_psa_status(err);
}

/* ---- the cloud link (tee_link.h) --------------------------------------------------- */

static psa_status_t link_channel(msg_t *m)
{
    static const long l_open[1] = { 4 }, l_pump[2] = { -1, -1 };
    static const size_t o_pump[3] = { MS_TEE_LINK_PUMP_STATUS_LEN, 0, 0 };
    static const size_t o_broker[1] = { MS_TEE_LINK_BROKER_MAX };
    switch (m->type) {
    case MS_TEE_LINK_CH_OPEN:
        if (!shape(m, 1, l_open, 0, NULL)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return ms_tee_psa_status(ms_tee_link_channel_open(rd32(m->in[0])));
    case MS_TEE_LINK_CH_PUMP: {
        if (!shape(m, 2, l_pump, 3, o_pump)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        ms_tee_link_pump_t p = {
            .net_in = m->in[0], .net_in_len = m->in_len[0],
            .plain_out = m->in[1], .plain_out_len = m->in_len[1],
            .net_out = m->out[1], .net_out_cap = m->out_cap[1],
            .plain_in = m->out[2], .plain_in_cap = m->out_cap[2],
        };
        ms_err_t err = ms_tee_link_channel_pump(&p);
        /* a TLS failure is reported in the status, with the alert to send */
        if (err && p.info.state != MS_TLS_FAILED && p.info.state != MS_TLS_CLOSED) {
            return ms_tee_psa_status(err);
        }
        uint8_t *st = m->out[0];
        memset(st, 0, MS_TEE_LINK_PUMP_STATUS_LEN);
        st[0] = (uint8_t)p.info.state;
        st[1] = p.info.version;
        st[2] = p.info.resumed ? 1 : 0;
        st[3] = p.info.have_ticket ? 1 : 0;
        wr32(st + 4, (uint32_t)(err ? err : p.info.error));
        wr32(st + 8, (uint32_t)p.net_in_taken);
        wr32(st + 12, (uint32_t)p.plain_out_taken);
        wr32(st + 16, p.info.signatures);
        wr32(st + 20, p.info.peer_verifies);
        m->out_len[0] = MS_TEE_LINK_PUMP_STATUS_LEN;
        m->out_len[1] = p.net_out_len;
        m->out_len[2] = p.plain_in_len;
        return PSA_SUCCESS;
    }
    case MS_TEE_LINK_CH_CLOSE:
        if (!shape(m, 0, NULL, 0, NULL)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return ms_tee_psa_status(ms_tee_link_channel_close());
    default: {   /* MS_TEE_LINK_BROKER, MS_TEE_LINK_METER_ID */
        char b[MS_TEE_LINK_BROKER_MAX + 1];
        if (!shape(m, 0, NULL, 1, o_broker)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        ms_err_t err = m->type == MS_TEE_LINK_BROKER ? ms_tee_link_broker(b)
                                                     : ms_tee_link_meter_id(b);
        if (!err) {
            m->out_len[0] = strlen(b);
            memcpy(m->out[0], b, m->out_len[0]);
        }
        return ms_tee_psa_status(err);
    }
    }
}

static psa_status_t link_report(msg_t *m)
{
    static const long l_time[1] = { 8 }, l_index[1] = { 4 }, l_msg[1] = { -1 };
    static const long l_event[3] = { 8, -1, -1 };
    static const size_t o_seq_msg[2] = { 8, 0 }, o_removed[1] = { 4 };
    ms_err_t err;
    uint64_t seq = 0;
    switch (m->type) {
    case MS_TEE_LINK_READING:
    case MS_TEE_LINK_PENDING:
        if (!shape(m, 1, m->type == MS_TEE_LINK_READING ? l_time : l_index, 2, o_seq_msg)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = m->type == MS_TEE_LINK_READING
                  ? ms_tee_link_reading(rd64(m->in[0]), m->out[1], m->out_cap[1],
                                        &m->out_len[1], &seq)
                  : ms_tee_link_pending(rd32(m->in[0]), m->out[1], m->out_cap[1],
                                        &m->out_len[1], &seq);
        break;
    case MS_TEE_LINK_EVENT:
        if (!shape(m, 3, l_event, 2, o_seq_msg)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_link_event(rd64(m->in[0]), (const char *)m->in[1], m->in_len[1],
                                (const char *)m->in[2], m->in_len[2], m->out[1],
                                m->out_cap[1], &m->out_len[1], &seq);
        break;
    default: {   /* MS_TEE_LINK_ACK */
        size_t removed = 0;
        if (!shape(m, 1, l_msg, 1, o_removed)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_link_ack(m->in[0], m->in_len[0], &removed);
        if (!err) {
            wr32(m->out[0], (uint32_t)removed);
            m->out_len[0] = 4;
        }
        return ms_tee_psa_status(err);
    }
    }
    if (!err) {
        wr64(m->out[0], seq);
        m->out_len[0] = 8;
    }
    return ms_tee_psa_status(err);
}

static psa_status_t handle_link(msg_t *m)
{
    static const long l_msg[1] = { -1 };
    static const size_t o_cmd[2] = { 4, 0 }, o_status[1] = { MS_TEE_LINK_STATUS_LEN };
    switch (m->type) {
    case MS_TEE_LINK_CH_OPEN:
    case MS_TEE_LINK_CH_PUMP:
    case MS_TEE_LINK_CH_CLOSE:
    case MS_TEE_LINK_BROKER:
    case MS_TEE_LINK_METER_ID:
        return link_channel(m);
    case MS_TEE_LINK_READING:
    case MS_TEE_LINK_PENDING:
    case MS_TEE_LINK_ACK:
    case MS_TEE_LINK_EVENT:
        return link_report(m);
    case MS_TEE_LINK_COMMAND: {
        uint32_t status = 0;
        if (!shape(m, 1, l_msg, 2, o_cmd)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        ms_err_t err = ms_tee_link_command(m->in[0], m->in_len[0], m->out[1], m->out_cap[1],
                                           &m->out_len[1], &status);
        if (!err) {
            wr32(m->out[0], status);
            m->out_len[0] = 4;
        }
        return ms_tee_psa_status(err);
    }
    case MS_TEE_LINK_STATUS: {
        ms_tee_link_status_t st;
        if (!shape(m, 0, NULL, 1, o_status)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        ms_err_t err = ms_tee_link_status(&st);
        if (!err) {
            uint8_t *o = m->out[0];
            memset(o, 0, MS_TEE_LINK_STATUS_LEN);
            wr32(o, st.queued);
            wr32(o + 4, st.dropped);
            wr64(o + 8, st.next_reading_seq);
            wr64(o + 16, st.next_event_seq);
            wr64(o + 24, st.last_cmd_seq);
            wr64(o + 32, st.next_result_seq);
            o[40] = st.relay_connected ? 1 : 0;
            wr64(o + 48, st.tariff_id);
            wr64(o + 56, st.price_milli_per_kwh);
            m->out_len[0] = MS_TEE_LINK_STATUS_LEN;
        }
        return ms_tee_psa_status(err);
    }
    case MS_TEE_LINK_OFFER:
    case MS_TEE_LINK_UPD_STATUS: {
        static const size_t o_any[1] = { 0 };
        if (!shape(m, 1, l_msg, 1, o_any)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return ms_tee_psa_status(
            m->type == MS_TEE_LINK_OFFER
                ? ms_tee_link_offer(m->in[0], m->in_len[0], m->out[0], m->out_cap[0],
                                    &m->out_len[0])
                : ms_tee_link_update_status(m->in[0], m->in_len[0], m->out[0], m->out_cap[0],
                                            &m->out_len[0]));
    }
    default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
}

/* Firmware updates: the service decodes its own vectors (tee_update.h). */
static psa_status_t handle_update(msg_t *m)
{
    if (m->n_in > 2 || m->n_out > 1) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    ms_tee_update_handler_fn fn = g_update_handler != NULL ? g_update_handler : update_direct;
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
    msg_t m;
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
    case MS_TEE_SID_LINK:   s = handle_link(&m); break;
    case MS_TEE_SID_UPDATE: s = handle_update(&m); break;
    default:                s = handle_meter(&m); break;
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
