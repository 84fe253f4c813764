/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update_agent.c - the Non-secure application's update agent (M7: verify
 * before reboot; meterseal/link_update_agent.h, docs/ota.md section 6).
 *
 * Invariants:
 *   - Every TEE call goes through io.call with vectors into io.shared only
 *     (arguments copied in first, results copied out after), as any
 *     Non-secure caller of the secure API must.
 *   - The agent never asks for a reboot into an image the TEE did not
 *     verify: INSTALL follows a successful VERIFY only, and a refusal is
 *     reported with the TEE's reason and ends the update.
 *   - CONFIRM only after the link to the cloud is up again on the new
 *     image; a boot that finds the old version while testing means the boot
 *     loader reverted: reported as reverted.
 *   - Chunk messages are outside data: decoded by the bounded decoder and
 *     accepted only for the campaign and offset asked for.
 */
#include "meterseal/link_update_agent.h"

#include <string.h>

#include "meterseal/tee_update.h"

#define SH_ARGS   0u
#define SH_DATA   64u
#define SH_STATUS 2112u

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* One UPDATE call: in0 = args (n_args bytes), in1 = data; out0 = status. */
static psa_status_t tee(ms_upd_agent_t *a, int32_t type, size_t n_args, const uint8_t *data,
                        size_t data_len, bool want_status)
{
    uint8_t *sh = a->io.shared;
    ms_tee_invec_t in[2] = {{sh + SH_ARGS, n_args}, {sh + SH_DATA, data_len}};
    ms_tee_outvec_t out[1] = {{sh + SH_STATUS, MS_TEE_UPDATE_STATUS_LEN}};
    size_t n_in = data != NULL ? 2 : n_args != 0 ? 1 : 0;
    if (data != NULL) {
        memcpy(sh + SH_DATA, data, data_len);
    }
    return a->io.call(a->io.call_ctx, MS_TEE_SID_UPDATE, type, in, n_in, out,
                      want_status ? 1 : 0);
}

/* The TEE's status (state, offset, last refusal). */
static ms_err_t tee_status(ms_upd_agent_t *a, uint8_t *state, uint32_t *offset, ms_err_t *last)
{
    if (tee(a, MS_TEE_UPDATE_STATUS, 0, NULL, 0, true) != PSA_SUCCESS) {
        return MS_ERR_IO;
    }
    const uint8_t *st = a->io.shared + SH_STATUS;
    *state = st[0];
    *offset = rd32(st + 8);
    *last = (ms_err_t)rd32(st + 12);
    return MS_OK;
}

static ms_err_t report(ms_upd_agent_t *a, uint32_t state, uint32_t result, const char *reason)
{
    ms_link_upd_status_t *s = &a->last;
    memset(s, 0, sizeof *s);
    memcpy(s->meter_id, a->meter_id, sizeof s->meter_id);
    s->campaign_id = a->offer.campaign_id;
    s->state = state;
    s->progress = a->offset;
    s->result = result;
    if (reason != NULL) {
        size_t n = strlen(reason);
        n = n > MS_LINK_UPD_REASON_MAX ? MS_LINK_UPD_REASON_MAX : n;
        memcpy(s->reason, reason, n);
    }
    uint8_t buf[MS_LINK_UPD_STATUS_MAX];
    size_t n = 0;
    ms_err_t err = ms_link_upd_status_encode(s, buf, sizeof buf, &n);
    if (err == MS_OK) {
        err = a->io.send(a->io.send_ctx, MS_UPD_SEND_STATUS, buf, n);
    }
    a->status_unsent = err != MS_OK;
    return MS_OK;   /* a report that did not go out goes at the next link up */
}

static ms_err_t request(ms_upd_agent_t *a)
{
    ms_link_chunk_req_t r;
    memset(&r, 0, sizeof r);
    memcpy(r.meter_id, a->meter_id, sizeof r.meter_id);
    r.campaign_id = a->offer.campaign_id;
    r.offset = a->offset;
    uint32_t left = a->offer.size - a->offset;
    r.length = left < a->offer.chunk_size ? left : a->offer.chunk_size;
    uint8_t buf[96];
    size_t n = 0;
    ms_err_t err = ms_link_chunk_req_encode(&r, buf, sizeof buf, &n);
    return err == MS_OK ? a->io.send(a->io.send_ctx, MS_UPD_SEND_REQUEST, buf, n) : err;
}

/* The TEE refused the image (or the download): failed with the reason. */
static ms_err_t refuse(ms_upd_agent_t *a, ms_err_t why)
{
    a->refused = why;
    a->state = MS_UPD_AGENT_DONE;
    (void)tee(a, MS_TEE_UPDATE_ABORT, 0, NULL, 0, true);
    return report(a, MS_LINK_UPD_FAILED, ms_link_upd_result_for(why), ms_errname(why));
}

void ms_upd_agent_init(ms_upd_agent_t *a, const ms_upd_agent_io_t *io, const char *meter_id)
{
    memset(a, 0, sizeof *a);
    a->io = *io;
    size_t n = strlen(meter_id);
    memcpy(a->meter_id, meter_id, n > MS_LINK_METER_ID_MAX ? MS_LINK_METER_ID_MAX : n);
    a->state = MS_UPD_AGENT_IDLE;
}

/* BEGIN (a resume when the TEE has this download already), then ask for
 * the chunk at the TEE's last good offset. */
static ms_err_t begin(ms_upd_agent_t *a)
{
    uint8_t *args = a->io.shared + SH_ARGS;
    memset(args, 0, MS_TEE_UPDATE_BEGIN_LEN);
    args[0] = a->offer.image;
    wr32(args + 4, a->offer.size);
    memcpy(args + 8, a->offer.sha256, MS_TEE_UPDATE_ID_LEN);
    uint8_t st = 0;
    ms_err_t last = MS_OK;
    psa_status_t s = tee(a, MS_TEE_UPDATE_BEGIN, MS_TEE_UPDATE_BEGIN_LEN, NULL, 0, true);
    ms_err_t err = tee_status(a, &st, &a->offset, &last);
    if (err != MS_OK) {
        return err;
    }
    if (s != PSA_SUCCESS) {
        return refuse(a, last != MS_OK ? last : MS_ERR_STATE);
    }
    return request(a);
}

ms_err_t ms_upd_agent_offer(ms_upd_agent_t *a, const ms_link_offer_t *o)
{
    if (a->state == MS_UPD_AGENT_REBOOT || a->state == MS_UPD_AGENT_TESTING) {
        return MS_ERR_STATE;
    }
    if (a->state == MS_UPD_AGENT_DONE && o->campaign_id == a->offer.campaign_id &&
        a->last.state == MS_LINK_UPD_SUCCESS) {
        return MS_ERR_STATE;   /* installed already: a replay, not a retry */
    }
    if (a->state == MS_UPD_AGENT_DOWNLOADING && o->campaign_id == a->offer.campaign_id &&
        memcmp(o->sha256, a->offer.sha256, sizeof o->sha256) == 0) {
        return begin(a);   /* the same offer again: resume */
    }
    if (o->chunk_size == 0 || o->chunk_size > MS_LINK_CHUNK_MAX || o->size == 0 ||
        strcmp(o->meter_id, a->meter_id) != 0) {
        return MS_ERR_ARG;
    }
    a->offer = *o;
    a->offset = 0;
    a->next_report = o->size / 4;
    a->refused = MS_OK;
    a->state = MS_UPD_AGENT_DOWNLOADING;
    report(a, MS_LINK_UPD_DOWNLOADING, MS_LINK_UPD_R_INITIAL, "");
    return begin(a);
}

/* The whole image is there: verify, install, ask for the reboot. */
static ms_err_t finish(ms_upd_agent_t *a)
{
    uint8_t st = 0;
    ms_err_t last = MS_OK;
    report(a, MS_LINK_UPD_DOWNLOADED, MS_LINK_UPD_R_INITIAL, "");
    report(a, MS_LINK_UPD_VERIFYING, MS_LINK_UPD_R_INITIAL, "");
    if (tee(a, MS_TEE_UPDATE_VERIFY, 0, NULL, 0, true) != PSA_SUCCESS) {
        ms_err_t err = tee_status(a, &st, &a->offset, &last);
        return refuse(a, err != MS_OK ? err : last != MS_OK ? last : MS_ERR_STATE);
    }
    report(a, MS_LINK_UPD_INSTALLING, MS_LINK_UPD_R_INITIAL, "");
    a->io.shared[SH_ARGS] = 0;   /* a test install: reverts unless confirmed */
    if (tee(a, MS_TEE_UPDATE_INSTALL, 1, NULL, 0, true) != PSA_SUCCESS) {
        ms_err_t err = tee_status(a, &st, &a->offset, &last);
        return refuse(a, err != MS_OK ? err : last != MS_OK ? last : MS_ERR_STATE);
    }
    a->state = MS_UPD_AGENT_REBOOT;
    return MS_OK;
}

ms_err_t ms_upd_agent_chunk(ms_upd_agent_t *a, const uint8_t *msg, size_t len)
{
    ms_link_chunk_t ch;
    if (a->state != MS_UPD_AGENT_DOWNLOADING) {
        return MS_ERR_STATE;
    }
    ms_err_t err = ms_link_chunk_decode(msg, len, &ch);
    if (err != MS_OK) {
        return err;
    }
    if (ch.campaign_id != a->offer.campaign_id || ch.offset != a->offset ||
        ch.len > a->offer.size - a->offset) {
        return MS_ERR_STATE;   /* not the chunk asked for: ignored */
    }
    wr32(a->io.shared + SH_ARGS, ch.offset);
    psa_status_t s = tee(a, MS_TEE_UPDATE_WRITE, 4, ch.data, ch.len, true);
    uint8_t st = 0;
    ms_err_t last = MS_OK;
    if ((err = tee_status(a, &st, &a->offset, &last)) != MS_OK) {
        return err;
    }
    if (s != PSA_SUCCESS) {
        return request(a);   /* the TEE did not take it: ask again at its offset */
    }
    if (st == MS_TEE_UPD_DOWNLOADED) {
        return finish(a);
    }
    if (a->offset >= a->next_report) {
        report(a, MS_LINK_UPD_DOWNLOADING, MS_LINK_UPD_R_INITIAL, "");
        a->next_report += a->offer.size / 4 ? a->offer.size / 4 : 1;
    }
    return request(a);
}

ms_err_t ms_upd_agent_link_up(ms_upd_agent_t *a)
{
    ms_err_t err = MS_OK;
    if (a->status_unsent) {
        ms_link_upd_status_t again = a->last;
        uint8_t buf[MS_LINK_UPD_STATUS_MAX];
        size_t n = 0;
        err = ms_link_upd_status_encode(&again, buf, sizeof buf, &n);
        if (err == MS_OK) {
            err = a->io.send(a->io.send_ctx, MS_UPD_SEND_STATUS, buf, n);
        }
        a->status_unsent = err != MS_OK;
        if (err != MS_OK) {
            return err;
        }
    }
    if (a->state == MS_UPD_AGENT_DOWNLOADING) {
        return begin(a);
    }
    if (a->state == MS_UPD_AGENT_TESTING) {
        /* the new image reached the cloud: keep it */
        a->io.shared[SH_ARGS] = a->offer.image;
        if (tee(a, MS_TEE_UPDATE_CONFIRM, 1, NULL, 0, false) != PSA_SUCCESS) {
            return MS_ERR_STATE;
        }
        a->state = MS_UPD_AGENT_DONE;
        return report(a, MS_LINK_UPD_SUCCESS, MS_LINK_UPD_R_SUCCESS, "");
    }
    return err;
}

ms_err_t ms_upd_agent_booted(ms_upd_agent_t *a, const ms_image_version_t *v)
{
    bool is_new = v->major == a->offer.major && v->minor == a->offer.minor &&
                  v->revision == a->offer.revision && v->build == a->offer.build;
    if (a->state == MS_UPD_AGENT_DOWNLOADING && is_new) {
        /* installed, and the power went before the agent's own state said
         * so: the boot loader runs it as a test image now */
        a->state = MS_UPD_AGENT_TESTING;
        return MS_OK;
    }
    if (a->state == MS_UPD_AGENT_REBOOT) {
        if (is_new) {
            a->state = MS_UPD_AGENT_TESTING;
            return MS_OK;
        }
        /* the boot loader refused to install it (its own checks, S13) */
        a->state = MS_UPD_AGENT_DONE;
        return report(a, MS_LINK_UPD_FAILED, MS_LINK_UPD_R_FAILED, "refused by the boot loader");
    }
    if (a->state == MS_UPD_AGENT_TESTING && !is_new) {
        /* rebooted before the confirm: the boot loader put the old image back */
        a->state = MS_UPD_AGENT_DONE;
        return report(a, MS_LINK_UPD_REVERTED, MS_LINK_UPD_R_REVERTED,
                      "not confirmed: no connection");
    }
    return MS_OK;
}
