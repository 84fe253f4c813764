/* SPDX-License-Identifier: Apache-2.0 */
/*
 * service.c - the link service's messages (ms_tee_link_handle in
 * meterseal/tee_dispatch.h): every MS_TEE_SID_LINK function and the meter's
 * ADD, decoded from the dispatcher's checked secure copies into the calls
 * of tee_link.h. The vectors' layouts are tee_dispatch.h's.
 *
 * Where it runs: on the host the dispatcher calls it directly; on the
 * AN505 the link partition does (firmware/secure/part_link.c), with m
 * rebuilt over its mailbox, so everything the link does with outside data
 * (TLS records, the cloud's messages) happens unprivileged there.
 *
 * Invariants:
 *   - Every vector's count and length is checked (ms_tee_msg_shape) before
 *     a field is read; an answer is written only within its out_cap.
 *   - The meter's ADD moves energy only: the balance moves by the tariff in
 *     force and by signed top-ups, never by a value the caller passes.
 */
#include <string.h>

#include "link_internal.h"
#include "meterseal/tee_dispatch.h"

/* The meter's ADD: energy in, the registers after it out. */
static psa_status_t meter_add(ms_tee_msg_t *m)
{
    static const long l_add[1] = { 8 };
    static const size_t o_reg[1] = { 24 };
    ms_tee_meter_reg_t r;
    if (m->type != MS_TEE_METER_ADD) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (!ms_tee_msg_shape(m, 1, l_add, 1, o_reg)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    ms_err_t err = ms_tee_link_consume(ms_link_get64(m->in[0]), &r);
    if (!err) {
        ms_link_put64(m->out[0], r.energy_wh);
        ms_link_put64(m->out[0] + 8, (uint64_t)r.balance_milli);
        ms_link_put64(m->out[0] + 16, r.updates);
        m->out_len[0] = 24;
    }
    return ms_tee_psa_status(err);
}

static psa_status_t link_channel(ms_tee_msg_t *m)
{
    static const long l_open[1] = { 4 }, l_pump[2] = { -1, -1 };
    static const size_t o_pump[3] = { MS_TEE_LINK_PUMP_STATUS_LEN, 0, 0 };
    static const size_t o_broker[1] = { MS_TEE_LINK_BROKER_MAX };
    switch (m->type) {
    case MS_TEE_LINK_CH_OPEN:
        if (!ms_tee_msg_shape(m, 1, l_open, 0, NULL)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return ms_tee_psa_status(ms_tee_link_channel_open(ms_link_get32(m->in[0])));
    case MS_TEE_LINK_CH_PUMP: {
        if (!ms_tee_msg_shape(m, 2, l_pump, 3, o_pump)) {
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
        ms_link_put32(st + 4, (uint32_t)(err ? err : p.info.error));
        ms_link_put32(st + 8, (uint32_t)p.net_in_taken);
        ms_link_put32(st + 12, (uint32_t)p.plain_out_taken);
        ms_link_put32(st + 16, p.info.signatures);
        ms_link_put32(st + 20, p.info.peer_verifies);
        m->out_len[0] = MS_TEE_LINK_PUMP_STATUS_LEN;
        m->out_len[1] = p.net_out_len;
        m->out_len[2] = p.plain_in_len;
        return PSA_SUCCESS;
    }
    case MS_TEE_LINK_CH_CLOSE:
        if (!ms_tee_msg_shape(m, 0, NULL, 0, NULL)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return ms_tee_psa_status(ms_tee_link_channel_close());
    default: {   /* MS_TEE_LINK_BROKER, MS_TEE_LINK_METER_ID */
        char b[MS_TEE_LINK_BROKER_MAX + 1];
        if (!ms_tee_msg_shape(m, 0, NULL, 1, o_broker)) {
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

static psa_status_t link_report(ms_tee_msg_t *m)
{
    static const long l_time[1] = { 8 }, l_index[1] = { 4 }, l_msg[1] = { -1 };
    static const long l_event[3] = { 8, -1, -1 };
    static const size_t o_seq_msg[2] = { 8, 0 }, o_removed[1] = { 4 };
    ms_err_t err;
    uint64_t seq = 0;
    switch (m->type) {
    case MS_TEE_LINK_READING:
    case MS_TEE_LINK_PENDING:
        if (!ms_tee_msg_shape(m, 1, m->type == MS_TEE_LINK_READING ? l_time : l_index, 2, o_seq_msg)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = m->type == MS_TEE_LINK_READING
                  ? ms_tee_link_reading(ms_link_get64(m->in[0]), m->out[1], m->out_cap[1],
                                        &m->out_len[1], &seq)
                  : ms_tee_link_pending(ms_link_get32(m->in[0]), m->out[1], m->out_cap[1],
                                        &m->out_len[1], &seq);
        break;
    case MS_TEE_LINK_EVENT:
        if (!ms_tee_msg_shape(m, 3, l_event, 2, o_seq_msg)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_link_event(ms_link_get64(m->in[0]), (const char *)m->in[1], m->in_len[1],
                                (const char *)m->in[2], m->in_len[2], m->out[1],
                                m->out_cap[1], &m->out_len[1], &seq);
        break;
    default: {   /* MS_TEE_LINK_ACK */
        size_t removed = 0;
        if (!ms_tee_msg_shape(m, 1, l_msg, 1, o_removed)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        err = ms_tee_link_ack(m->in[0], m->in_len[0], &removed);
        if (!err) {
            ms_link_put32(m->out[0], (uint32_t)removed);
            m->out_len[0] = 4;
        }
        return ms_tee_psa_status(err);
    }
    }
    if (!err) {
        ms_link_put64(m->out[0], seq);
        m->out_len[0] = 8;
    }
    return ms_tee_psa_status(err);
}

static psa_status_t link_other(ms_tee_msg_t *m)
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
        if (!ms_tee_msg_shape(m, 1, l_msg, 2, o_cmd)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        ms_err_t err = ms_tee_link_command(m->in[0], m->in_len[0], m->out[1], m->out_cap[1],
                                           &m->out_len[1], &status);
        if (!err) {
            ms_link_put32(m->out[0], status);
            m->out_len[0] = 4;
        }
        return ms_tee_psa_status(err);
    }
    case MS_TEE_LINK_STATUS: {
        ms_tee_link_status_t st;
        if (!ms_tee_msg_shape(m, 0, NULL, 1, o_status)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        ms_err_t err = ms_tee_link_status(&st);
        if (!err) {
            uint8_t *o = m->out[0];
            memset(o, 0, MS_TEE_LINK_STATUS_LEN);
            ms_link_put32(o, st.queued);
            ms_link_put32(o + 4, st.dropped);
            ms_link_put64(o + 8, st.next_reading_seq);
            ms_link_put64(o + 16, st.next_event_seq);
            ms_link_put64(o + 24, st.last_cmd_seq);
            ms_link_put64(o + 32, st.next_result_seq);
            o[40] = st.relay_connected ? 1 : 0;
            ms_link_put64(o + 48, st.tariff_id);
            ms_link_put64(o + 56, st.price_milli_per_kwh);
            m->out_len[0] = MS_TEE_LINK_STATUS_LEN;
        }
        return ms_tee_psa_status(err);
    }
    case MS_TEE_LINK_OFFER:
    case MS_TEE_LINK_UPD_STATUS: {
        static const size_t o_any[1] = { 0 };
        if (!ms_tee_msg_shape(m, 1, l_msg, 1, o_any)) {
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

psa_status_t ms_tee_link_handle(uint32_t sid, ms_tee_msg_t *m)
{
    if (m == NULL) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    if (sid == MS_TEE_SID_METER) {
        return meter_add(m);
    }
    return sid == MS_TEE_SID_LINK ? link_other(m) : PSA_ERROR_NOT_SUPPORTED;
}
