/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update.c - the link partition's part of a firmware update
 * (meterseal/tee_link.h; docs/ota.md sections 3 and 6): offers from the
 * cloud are checked here, and the meter's status reports are signed here.
 * The download itself goes to the update service (tee_update.h).
 *
 * Invariants:
 *   - An offer is handed to the Non-secure world only if the cloud's
 *     command key signed it, it is an offer (decodes as one, exactly), it
 *     names this meter, and its campaign is not older than the newest one
 *     taken (PS MS_TEE_UID_LINK_UPDATE, written before the offer leaves).
 *   - The identity key signs through this path only a status report of
 *     this meter, in the deterministic encoding: a compromised Non-secure
 *     world cannot have a reading, a result or anything else signed as a
 *     report (every message the cloud accepts is a different strict
 *     decoder's output, and this one is a status's), and only for the
 *     newest campaign taken.
 *   - Every report signed carries a number no report signed before it had
 *     (the next status number, in PS before the report leaves: after a
 *     power cut a number is skipped, never repeated), so the cloud can
 *     refuse an old report sent again.
 *
 * State (PS MS_TEE_UID_LINK_UPDATE, little-endian): 0 newest campaign (8),
 * 8 next status number (8). Eight bytes (before numbering): the next
 * number is 1.
 */
#include <string.h>

#include "link_internal.h"
#include "meterseal/link_update.h"

typedef struct update_state {
    uint64_t newest;     /* the newest campaign an offer was taken for (0: none yet) */
    uint64_t next_seq;   /* the next status report's number */
} update_state_t;

static ms_err_t load(update_state_t *st)
{
    uint8_t b[16];
    size_t n = 0;
    ms_err_t err = ms_link_ps_get(MS_TEE_UID_LINK_UPDATE, b, sizeof b, &n);
    st->newest = 0;
    st->next_seq = 1;
    if (err == MS_ERR_NOT_FOUND) {
        return MS_OK;
    }
    if (!err && n != 8 && n != 16) {
        err = MS_ERR_TEE_CORRUPT;
    }
    if (!err) {
        st->newest = ms_link_get64(b);
        st->next_seq = n == 16 ? ms_link_get64(b + 8) : 1;
    }
    if (!err && (st->next_seq == 0 || st->next_seq > (uint64_t)INT64_MAX)) {
        err = MS_ERR_TEE_CORRUPT;
    }
    return err;
}

static ms_err_t save(const update_state_t *st)
{
    uint8_t b[16];
    ms_link_put64(b, st->newest);
    ms_link_put64(b + 8, st->next_seq);
    return ms_link_ps_set(MS_TEE_UID_LINK_UPDATE, b, sizeof b, 0);
}

ms_err_t ms_tee_link_offer(const uint8_t *msg, size_t len, uint8_t *offer, size_t cap,
                           size_t *offer_len)
{
    char id[MS_LINK_METER_ID_MAX + 1];
    ms_cose_sign1_t m;
    ms_link_offer_t o;
    if (msg == NULL || offer == NULL || offer_len == NULL) {
        return MS_ERR_ARG;
    }
    *offer_len = 0;
    ms_err_t err = ms_link_open_from_cloud(msg, len, &m, id);
    if (!err) {
        err = ms_link_offer_decode(m.payload, m.payload_len, &o);
    }
    if (!err && strcmp(o.meter_id, id) != 0) {
        err = MS_ERR_LINK_WRONG_METER;
    }
    if (!err && m.payload_len > cap) {
        err = MS_ERR_BUFFER_TOO_SMALL;
    }
    update_state_t st;
    if (!err) {
        err = load(&st);
    }
    if (!err && o.campaign_id < st.newest) {
        err = MS_ERR_LINK_STALE;
    }
    if (!err && o.campaign_id > st.newest) {
        st.newest = o.campaign_id;
        err = save(&st);
    }
    if (err) {
        return err;
    }
    memcpy(offer, m.payload, m.payload_len);
    *offer_len = m.payload_len;
    return MS_OK;
}

ms_err_t ms_tee_link_update_status(const uint8_t *payload, size_t len, uint8_t *msg, size_t cap,
                                   size_t *msg_len)
{
    char id[MS_LINK_METER_ID_MAX + 1];
    ms_link_upd_status_t s;
    uint8_t canon[MS_LINK_UPD_STATUS_MAX];
    size_t n = 0;
    if (payload == NULL || msg == NULL || msg_len == NULL) {
        return MS_ERR_ARG;
    }
    *msg_len = 0;
    ms_err_t err = ms_tee_link_meter_id(id);
    if (!err) {
        err = ms_link_upd_status_decode(payload, len, &s);
    }
    if (!err && strcmp(s.meter_id, id) != 0) {
        err = MS_ERR_LINK_WRONG_METER;
    }
    update_state_t st;
    if (!err) {
        err = load(&st);
    }
    if (!err && (st.newest == 0 || s.campaign_id != st.newest)) {
        err = MS_ERR_STATE;   /* a report of no update this TEE took an offer for */
    }
    if (!err && st.next_seq == (uint64_t)INT64_MAX) {
        err = MS_ERR_STATE;   /* numbers spent: nothing is signed twice under one */
    }
    if (!err) {
        /* what is signed is this encoder's output, not the caller's bytes,
         * under the TEE's number, which is spent before the report leaves */
        s.seq = st.next_seq++;
        err = ms_link_upd_status_encode(&s, canon, sizeof canon, &n);
    }
    if (!err) {
        err = save(&st);
    }
    return err ? err : ms_link_seal(canon, n, msg, cap, msg_len);
}
