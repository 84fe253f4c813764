/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet_meter.c - one simulated meter taking an update (fleet_meter.h),
 * as the Non-secure application of docs/ota.md section 6 does it:
 *
 *   offer (checked with the cloud's key) -> status downloading
 *   -> TEE BEGIN (resumes a download of the same offer) -> for each chunk:
 *      request at the TEE's last good offset, TEE WRITE
 *      (link loss: reconnect, BEGIN again, STATUS gives the offset)
 *   -> downloaded -> verifying: TEE VERIFY (refused: failed + reason, no reboot)
 *   -> installing: TEE INSTALL (test) -> reboot: the boot core installs
 *   -> reconnected: TEE CONFIRM, success
 *      not reconnected: the next boot reverts; reverted when back online.
 *
 * Invariant: the meter never reboots into an image the TEE did not verify,
 * and confirms only after it reached the cloud again.
 */
#include "fleet_meter.h"

#include <stdio.h>
#include <string.h>

#include "meterseal/link_msg.h"
#include "meterseal/tee_update.h"

void fm_init(fm_meter_t *m, const char *id)
{
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    if (ms_p256_keygen(&m->key, &m->pub) != MS_OK || ms_cose_kid(&m->pub, m->kid) != MS_OK) {
        fprintf(stderr, "fleet: keygen failed\n");
    }
}

static ms_err_t soft_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der, size_t cap,
                          size_t *len)
{
    return ms_p256_sign(ctx, hash, der, cap, len);
}

static ms_err_t report(fm_meter_t *m, const fm_net_t *net, uint64_t campaign, uint32_t state,
                       uint32_t progress, uint32_t result, const char *reason)
{
    ms_link_upd_status_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.meter_id, sizeof s.meter_id, "%s", m->id);
    s.campaign_id = campaign;
    s.state = state;
    s.progress = progress;
    s.result = result;
    snprintf(s.reason, sizeof s.reason, "%s", reason != NULL ? reason : "");
    uint8_t payload[256], msg[MS_LINK_MSG_MAX];
    size_t plen = 0, mlen = 0;
    ms_err_t err = ms_link_upd_status_encode(&s, payload, sizeof payload, &plen);
    if (err == MS_OK) {
        err = ms_link_msg_seal_kid(payload, plen, m->kid, soft_sign, &m->key, msg, sizeof msg,
                                   &mlen);
    }
    m->last_state = state;
    return err == MS_OK ? net->send(net->ctx, m, "up/upd-status", msg, mlen) : err;
}

static ms_err_t request(fm_meter_t *m, const fm_net_t *net, uint64_t campaign, uint32_t off,
                        uint32_t len, uint8_t *buf, size_t cap, ms_link_chunk_t *ch)
{
    ms_link_chunk_req_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.meter_id, sizeof r.meter_id, "%s", m->id);
    r.campaign_id = campaign;
    r.offset = off;
    r.length = len;
    uint8_t msg[128];
    size_t n = 0;
    ms_err_t err = ms_link_chunk_req_encode(&r, msg, sizeof msg, &n);
    if (err == MS_OK) {
        err = net->send(net->ctx, m, "up/upd-req", msg, n);
    }
    if (err == MS_OK) {
        err = net->take(net->ctx, m, "down/upd-chunk", buf, cap, &n);
    }
    if (err == MS_OK) {
        err = ms_link_chunk_decode(buf, n, ch);
    }
    if (err == MS_OK && (ch->campaign_id != campaign || ch->offset != off)) {
        err = MS_ERR_FORMAT;
    }
    return err;
}

ms_err_t fm_run(fm_meter_t *m, const fm_net_t *net, const uint8_t *offer, size_t len)
{
    ms_cose_sign1_t cose;
    ms_link_offer_t o;
    m->offers++;
    m->rebooted = m->runs_new = false;
    m->verify_err = MS_OK;
    ms_err_t err = ms_link_msg_open(offer, len, net->cloud_pub, &cose);
    if (err == MS_OK) {
        err = ms_link_offer_decode(cose.payload, cose.payload_len, &o);
    }
    if (err == MS_OK && strcmp(o.meter_id, m->id) != 0) {
        err = MS_ERR_LINK_WRONG_METER;
    }
    if (err != MS_OK) {
        return err;   /* not an offer of the cloud's for this meter: ignored */
    }
    /* the meter runs its current image */
    fx_t *fx = fx_new_sized(1, &ms_boot_strategy_swap_move, net->slot_size);
    fx_write_slot(fx, 0, 0, net->base->data, net->base->len);
    if ((err = fx_boot(fx)) != MS_OK) {
        fx_free(fx);
        return err;
    }
    static ms_tee_update_t tee;   /* the TEE's instance (one meter at a time) */
    ms_tee_update_init(&tee, &fx->cfg);
    uint64_t cid = o.campaign_id;
    err = report(m, net, cid, MS_LINK_UPD_DOWNLOADING, 0, MS_LINK_UPD_R_INITIAL, "");
    if (err == MS_OK) {
        err = ms_tee_update_begin(&tee, o.image, o.size, o.sha256);
    }
    uint8_t buf[MS_LINK_CHUNK_MSG_MAX];
    uint32_t next_report = o.size / 4;
    bool dropped = false;
    ms_tee_update_status_t st;
    ms_tee_update_status(&tee, &st);
    while (err == MS_OK && st.state == MS_TEE_UPD_DOWNLOADING) {
        uint32_t want = o.size - st.offset < o.chunk_size ? o.size - st.offset : o.chunk_size;
        ms_link_chunk_t ch;
        err = request(m, net, cid, st.offset, want, buf, sizeof buf, &ch);
        if (err != MS_OK) {
            break;
        }
        m->chunks++;
        if (m->fault.drop_at != 0 && !dropped && st.offset >= m->fault.drop_at) {
            /* the link drops: this chunk is lost; on reconnect the download
             * resumes from the TEE's last good offset */
            dropped = true;
            m->reconnects++;
            err = ms_tee_update_begin(&tee, o.image, o.size, o.sha256);
            ms_tee_update_status(&tee, &st);
            m->resumed_at = st.offset;
            continue;
        }
        uint8_t tmp[MS_LINK_CHUNK_MAX];
        memcpy(tmp, ch.data, ch.len);
        if (m->fault.tamper_at != 0 && ch.offset <= m->fault.tamper_at &&
            m->fault.tamper_at < ch.offset + ch.len) {
            tmp[m->fault.tamper_at - ch.offset] ^= 0x5a;   /* changed on the way */
        }
        err = ms_tee_update_write(&tee, ch.offset, tmp, ch.len);
        ms_tee_update_status(&tee, &st);
        if (err == MS_OK && st.offset >= next_report && st.state == MS_TEE_UPD_DOWNLOADING) {
            err = report(m, net, cid, MS_LINK_UPD_DOWNLOADING, st.offset, MS_LINK_UPD_R_INITIAL,
                         "");
            next_report += o.size / 4;
        }
    }
    if (err == MS_OK) {
        err = report(m, net, cid, MS_LINK_UPD_DOWNLOADED, st.offset, MS_LINK_UPD_R_INITIAL, "");
    }
    if (err == MS_OK) {
        err = report(m, net, cid, MS_LINK_UPD_VERIFYING, st.offset, MS_LINK_UPD_R_INITIAL, "");
    }
    if (err == MS_OK) {
        ms_err_t v = ms_tee_update_verify(&tee);
        m->verify_err = v;
        if (v != MS_OK) {
            /* refused before any reboot: the meter keeps running its image */
            err = report(m, net, cid, MS_LINK_UPD_FAILED, st.offset, ms_link_upd_result_for(v),
                         ms_errname(v));
            ms_tee_update_abort(&tee);
            fx_free(fx);
            return err;
        }
    }
    if (err == MS_OK) {
        err = report(m, net, cid, MS_LINK_UPD_INSTALLING, st.offset, MS_LINK_UPD_R_INITIAL, "");
    }
    if (err == MS_OK) {
        err = ms_tee_update_install(&tee, false);
    }
    if (err == MS_OK) {
        err = fx_boot(fx);   /* the reboot: S13 installs the test image */
    }
    if (err == MS_OK) {
        const ms_image_version_t *v = &fx->res.img[0].m.version;
        m->rebooted = v->major == o.major && v->minor == o.minor && v->revision == o.revision;
        if (m->fault.no_reconnect) {
            /* the new image never reaches the cloud, so never confirms:
             * the watchdog reboots and the boot loader reverts */
            err = fx_boot(fx);
            if (err == MS_OK) {
                err = report(m, net, cid, MS_LINK_UPD_REVERTED, st.offset,
                             MS_LINK_UPD_R_REVERTED, "not confirmed: no connection");
            }
        } else {
            err = ms_tee_update_confirm(&tee, o.image);
            if (err == MS_OK) {
                err = report(m, net, cid, MS_LINK_UPD_SUCCESS, st.offset, MS_LINK_UPD_R_SUCCESS,
                             "");
            }
        }
    }
    if (err == MS_OK) {
        err = fx_boot(fx);   /* what runs from now on */
        const ms_image_version_t *v = &fx->res.img[0].m.version;
        m->runs_new = v->major == o.major && v->minor == o.minor && v->revision == o.revision;
    }
    ms_tee_update_abort(&tee);
    fx_free(fx);
    return err;
}
