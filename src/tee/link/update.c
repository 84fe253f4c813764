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
 */
#include <string.h>

#include "link_internal.h"
#include "meterseal/link_update.h"

/* The newest campaign an offer was taken for (0: none yet). */
static ms_err_t newest_campaign(uint64_t *id)
{
    uint8_t b[8];
    size_t n = 0;
    ms_err_t err = ms_link_ps_get(MS_TEE_UID_LINK_UPDATE, b, sizeof b, &n);
    *id = 0;
    if (err == MS_ERR_NOT_FOUND) {
        return MS_OK;
    }
    if (!err && n != sizeof b) {
        err = MS_ERR_TEE_CORRUPT;
    }
    if (!err) {
        *id = ms_link_get64(b);
    }
    return err;
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
        uint8_t b[8];
        ms_link_put64(b, o.campaign_id);
        err = ms_link_ps_set(MS_TEE_UID_LINK_UPDATE, b, sizeof b, 0);
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
    uint64_t newest = 0;
    if (!err) {
        err = newest_campaign(&newest);
    }
    if (!err && (newest == 0 || s.campaign_id != newest)) {
        err = MS_ERR_STATE;   /* a report of no update this TEE took an offer for */
    }
    if (!err) {
        /* what is signed is this encoder's output, not the caller's bytes */
        err = ms_link_upd_status_encode(&s, canon, sizeof canon, &n);
    }
    return err ? err : ms_link_seal(canon, n, msg, cap, msg_len);
}
