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
 * State (PS, little-endian): MS_TEE_UID_LINK_UPDATE, the newest campaign
 * (8); MS_TEE_UID_LINK_UPD_SEQ, the next status number (8; absent: 1). Two
 * records, so the first stays as a TEE from before numbering wrote and
 * reads it: a Secure image that reverts to one still takes offers.
 */
#include <string.h>

#include "link_internal.h"
#include "meterseal/link_update.h"

/* An 8-byte record: MS_ERR_NOT_FOUND leaves *v as it is. */
static ms_err_t get_u64(uint64_t uid, uint64_t *v)
{
    uint8_t b[8];
    size_t n = 0;
    ms_err_t err = ms_link_ps_get(uid, b, sizeof b, &n);
    if (err == MS_ERR_NOT_FOUND) {
        return MS_OK;
    }
    if (err == MS_ERR_BUFFER_TOO_SMALL || (!err && n != sizeof b)) {
        err = MS_ERR_TEE_CORRUPT;   /* not a record this code wrote */
    }
    if (!err) {
        *v = ms_link_get64(b);
    }
    return err;
}

static ms_err_t set_u64(uint64_t uid, uint64_t v)
{
    uint8_t b[8];
    ms_link_put64(b, v);
    return ms_link_ps_set(uid, b, sizeof b, 0);
}

/* The newest campaign an offer was taken for (0: none yet). */
static ms_err_t newest_campaign(uint64_t *id)
{
    *id = 0;
    return get_u64(MS_TEE_UID_LINK_UPDATE, id);
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
    uint64_t newest = 0;
    if (!err) {
        err = newest_campaign(&newest);
    }
    if (!err && o.campaign_id < newest) {
        err = MS_ERR_LINK_STALE;
    }
    if (!err && o.campaign_id > newest) {
        err = set_u64(MS_TEE_UID_LINK_UPDATE, o.campaign_id);
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
    uint64_t newest = 0, next = 1;
    if (!err) {
        err = newest_campaign(&newest);
    }
    if (!err && (newest == 0 || s.campaign_id != newest)) {
        err = MS_ERR_STATE;   /* a report of no update this TEE took an offer for */
    }
    if (!err) {
        err = get_u64(MS_TEE_UID_LINK_UPD_SEQ, &next);
    }
    if (!err && (next == 0 || next > (uint64_t)INT64_MAX)) {
        err = MS_ERR_TEE_CORRUPT;
    }
    if (!err && next == (uint64_t)INT64_MAX) {
        err = MS_ERR_STATE;   /* numbers spent: nothing is signed twice under one */
    }
    if (!err) {
        /* what is signed is this encoder's output, not the caller's bytes,
         * under the TEE's number, which is spent before the report leaves */
        s.seq = next;
        err = ms_link_upd_status_encode(&s, canon, sizeof canon, &n);
    }
    if (!err) {
        err = set_u64(MS_TEE_UID_LINK_UPD_SEQ, next + 1);
    }
    return err ? err : ms_link_seal(canon, n, msg, cap, msg_len);
}
