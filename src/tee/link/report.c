/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.c - signed readings and events, and the queue of unacknowledged
 * readings (meterseal/tee_link.h; docs/cloud.md 5.2-5.4).
 *
 * State (PS MS_TEE_UID_LINK_REPORT, little-endian):
 *   0 version (1), 1..7 zero, 8 next reading seq, 16 next event seq,
 *   24 last time, 32 dropped (4), 36 queued n (4), 40 n entries of
 *   { seq 8, time 8, energy_wh 8, balance_milli 8, tariff_id 8 } (40 bytes).
 *
 * Invariants:
 *   - A sequence number is in PS before any message carrying it leaves:
 *     after a power cut or a rolled-back RAM nothing is signed twice under
 *     one number (PS is rollback-protected, M9).
 *   - Reading values are the TEE's: the METER registers and the tariff in
 *     force. The NSPE supplies only the time, which may not go back.
 *   - A queued reading signed again has byte for byte the same payload
 *     (deterministic encoding of the same fields): the cloud stores it once.
 *   - Acknowledgements count only if the cloud's command key signed them
 *     for this meter; they only ever remove readings from the queue.
 */
#include <string.h>

#include "link_internal.h"

#define REPORT_VERSION 1u
#define HDR_LEN 40u
#define ENTRY_LEN 40u
#define STATE_MAX (HDR_LEN + MS_TEE_LINK_QUEUE_MAX * ENTRY_LEN)

typedef struct entry {
    uint64_t seq, time, energy_wh;
    int64_t balance_milli;
    uint64_t tariff_id;
} entry_t;

typedef struct report_state {
    uint64_t next_reading_seq;
    uint64_t next_event_seq;
    uint64_t last_time;
    uint32_t dropped;
    uint32_t n;
    entry_t q[MS_TEE_LINK_QUEUE_MAX];
} report_state_t;

static ms_err_t load(report_state_t *st)
{
    uint8_t buf[STATE_MAX];
    size_t len = 0;
    memset(st, 0, sizeof *st);
    ms_err_t err = ms_link_ps_get(MS_TEE_UID_LINK_REPORT, buf, sizeof buf, &len);
    if (err == MS_ERR_NOT_FOUND) {
        st->next_reading_seq = 1;
        st->next_event_seq = 1;
        return MS_OK;
    }
    if (err) {
        return err;
    }
    if (len < HDR_LEN || buf[0] != REPORT_VERSION) {
        return MS_ERR_TEE_CORRUPT;
    }
    st->next_reading_seq = ms_link_get64(buf + 8);
    st->next_event_seq = ms_link_get64(buf + 16);
    st->last_time = ms_link_get64(buf + 24);
    st->dropped = ms_link_get32(buf + 32);
    st->n = ms_link_get32(buf + 36);
    if (st->n > MS_TEE_LINK_QUEUE_MAX || len != HDR_LEN + st->n * ENTRY_LEN) {
        return MS_ERR_TEE_CORRUPT;
    }
    for (uint32_t i = 0; i < st->n; i++) {
        const uint8_t *p = buf + HDR_LEN + i * ENTRY_LEN;
        st->q[i].seq = ms_link_get64(p);
        st->q[i].time = ms_link_get64(p + 8);
        st->q[i].energy_wh = ms_link_get64(p + 16);
        st->q[i].balance_milli = (int64_t)ms_link_get64(p + 24);
        st->q[i].tariff_id = ms_link_get64(p + 32);
    }
    return MS_OK;
}

static ms_err_t save(const report_state_t *st)
{
    uint8_t buf[STATE_MAX];
    memset(buf, 0, HDR_LEN);
    buf[0] = REPORT_VERSION;
    ms_link_put64(buf + 8, st->next_reading_seq);
    ms_link_put64(buf + 16, st->next_event_seq);
    ms_link_put64(buf + 24, st->last_time);
    ms_link_put32(buf + 32, st->dropped);
    ms_link_put32(buf + 36, st->n);
    for (uint32_t i = 0; i < st->n; i++) {
        uint8_t *p = buf + HDR_LEN + i * ENTRY_LEN;
        ms_link_put64(p, st->q[i].seq);
        ms_link_put64(p + 8, st->q[i].time);
        ms_link_put64(p + 16, st->q[i].energy_wh);
        ms_link_put64(p + 24, (uint64_t)st->q[i].balance_milli);
        ms_link_put64(p + 32, st->q[i].tariff_id);
    }
    return ms_link_ps_set(MS_TEE_UID_LINK_REPORT, buf, HDR_LEN + st->n * ENTRY_LEN, 0);
}

/* The signed message of a queued reading. */
static ms_err_t seal_entry(const char *meter_id, const entry_t *e, uint8_t *msg, size_t cap,
                           size_t *len)
{
    ms_link_reading_t r;
    uint8_t payload[MS_LINK_PAYLOAD_MAX];
    size_t n = 0;
    memset(&r, 0, sizeof r);
    memcpy(r.meter_id, meter_id, strlen(meter_id) + 1);
    r.seq = e->seq;
    r.time = e->time;
    r.energy_wh = e->energy_wh;
    r.balance_milli = e->balance_milli;
    r.tariff_id = e->tariff_id;
    ms_err_t err = ms_link_reading_encode(&r, payload, sizeof payload, &n);
    return err ? err : ms_link_seal(payload, n, msg, cap, len);
}

ms_err_t ms_tee_link_reading(uint64_t time, uint8_t *msg, size_t cap, size_t *len,
                             uint64_t *seq)
{
    char id[MS_LINK_METER_ID_MAX + 1];
    report_state_t st;
    ms_tee_meter_reg_t reg;
    entry_t e;
    if (msg == NULL || len == NULL || seq == NULL) {
        return MS_ERR_ARG;
    }
    *len = 0;
    *seq = 0;
    ms_err_t err = ms_tee_link_start();
    if (!err) {
        err = ms_tee_link_meter_id(id);
    }
    if (!err) {
        err = load(&st);
    }
    if (err) {
        return err;
    }
    if (time < st.last_time || st.next_reading_seq == UINT64_MAX) {
        return MS_ERR_ARG;   /* the meter clock may not go back */
    }
    /* M9: the values are the TEE's own registers, not the caller's */
    err = ms_tee_meter_read(&reg);
    if (!err) {
        err = ms_link_control_tariff(&e.tariff_id);
    }
    if (err) {
        return err;
    }
    e.seq = st.next_reading_seq;
    e.time = time;
    e.energy_wh = reg.energy_wh;
    e.balance_milli = reg.balance_milli;
    if (st.n == MS_TEE_LINK_QUEUE_MAX) {   /* full: the oldest goes */
        memmove(&st.q[0], &st.q[1], (st.n - 1) * sizeof st.q[0]);
        st.n--;
        st.dropped++;
    }
    st.q[st.n++] = e;
    st.next_reading_seq++;
    st.last_time = time;
    err = save(&st);   /* the number is taken before the message exists */
    if (err) {
        return err;
    }
    *seq = e.seq;
    return seal_entry(id, &e, msg, cap, len);
}

ms_err_t ms_tee_link_pending(size_t index, uint8_t *msg, size_t cap, size_t *len,
                             uint64_t *seq)
{
    char id[MS_LINK_METER_ID_MAX + 1];
    report_state_t st;
    if (msg == NULL || len == NULL || seq == NULL) {
        return MS_ERR_ARG;
    }
    *len = 0;
    *seq = 0;
    ms_err_t err = ms_tee_link_meter_id(id);
    if (!err) {
        err = load(&st);
    }
    if (err) {
        return err;
    }
    if (index >= st.n) {
        return MS_ERR_NOT_FOUND;
    }
    *seq = st.q[index].seq;
    return seal_entry(id, &st.q[index], msg, cap, len);
}

ms_err_t ms_tee_link_ack(const uint8_t *msg, size_t len, size_t *removed)
{
    char id[MS_LINK_METER_ID_MAX + 1];
    ms_cose_sign1_t m;
    ms_link_ack_t ack;
    report_state_t st;
    if (msg == NULL || removed == NULL) {
        return MS_ERR_ARG;
    }
    *removed = 0;
    /* the cloud's key, or nothing leaves the queue */
    ms_err_t err = ms_link_open_from_cloud(msg, len, &m, id);
    if (!err) {
        err = ms_link_ack_decode(m.payload, m.payload_len, &ack);
    }
    if (!err && strcmp(ack.meter_id, id) != 0) {
        err = MS_ERR_LINK_WRONG_METER;
    }
    if (!err) {
        err = load(&st);
    }
    if (err) {
        return err;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < st.n; i++) {
        bool acked = false;
        for (size_t k = 0; k < ack.n && !acked; k++) {
            acked = ack.seq[k] == st.q[i].seq;
        }
        if (!acked) {
            st.q[kept++] = st.q[i];
        }
    }
    if (kept == st.n) {
        return MS_OK;   /* a repeated acknowledgement: nothing to write */
    }
    *removed = st.n - kept;
    st.n = kept;
    err = save(&st);
    if (err) {
        *removed = 0;
    }
    return err;
}

ms_err_t ms_tee_link_event(uint64_t time, const char *kind, size_t kind_len, const char *detail,
                           size_t detail_len, uint8_t *msg, size_t cap, size_t *len,
                           uint64_t *seq)
{
    ms_link_event_t ev;
    report_state_t st;
    uint8_t payload[MS_LINK_PAYLOAD_MAX];
    size_t n = 0;
    if (kind == NULL || msg == NULL || len == NULL || seq == NULL ||
        (detail == NULL && detail_len != 0) || kind_len == 0 || kind_len > MS_LINK_KIND_MAX ||
        detail_len > MS_LINK_DETAIL_MAX) {
        return MS_ERR_ARG;
    }
    *len = 0;
    *seq = 0;
    if (kind_len >= 4 && memcmp(kind, "tee.", 4) == 0) {
        return MS_ERR_TEE_DENIED;   /* the TEE's own kinds */
    }
    memset(&ev, 0, sizeof ev);
    memcpy(ev.kind, kind, kind_len);
    if (detail_len != 0) {
        memcpy(ev.detail, detail, detail_len);
    }
    if (strlen(ev.kind) != kind_len || strlen(ev.detail) != detail_len) {
        return MS_ERR_ARG;   /* an embedded NUL */
    }
    ms_err_t err = ms_tee_link_meter_id(ev.meter_id);
    if (!err) {
        err = load(&st);
    }
    if (err) {
        return err;
    }
    if (time < st.last_time || st.next_event_seq == UINT64_MAX) {
        return MS_ERR_ARG;
    }
    ev.seq = st.next_event_seq;
    ev.time = time;
    err = ms_link_event_encode(&ev, payload, sizeof payload, &n);   /* checks the text */
    if (err) {
        return err;
    }
    st.next_event_seq++;
    st.last_time = time;
    err = save(&st);
    if (!err) {
        *seq = ev.seq;
        err = ms_link_seal(payload, n, msg, cap, len);
    }
    return err;
}

ms_err_t ms_link_report_status(ms_tee_link_status_t *out)
{
    report_state_t st;
    ms_err_t err = load(&st);
    if (!err) {
        out->queued = st.n;
        out->dropped = st.dropped;
        out->next_reading_seq = st.next_reading_seq;
        out->next_event_seq = st.next_event_seq;
    }
    return err;
}
