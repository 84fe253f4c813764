/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet_meter.c - one simulated meter taking an update (fleet_meter.h):
 * the Non-secure application's update agent (link_update_agent.h) calling
 * the TEE's update service through the secure API (ms_tee_call), on the
 * boot fixture's flash; the sequence of docs/ota.md section 6:
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
#include "meterseal/link_update_agent.h"
#include "meterseal/tee_dispatch.h"
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

/* What the platform around the agent holds for one meter. */
typedef struct plat {
    fm_meter_t *m;
    const fm_net_t *net;
    bool online;
    uint8_t req[128];        /* the agent's chunk request, not sent yet */
    size_t req_len;
} plat_t;

static uint8_t g_shared[MS_UPD_AGENT_SHARED];   /* the Non-secure memory of the vectors */

static psa_status_t ns_call(void *ctx, uint32_t sid, int32_t type, const ms_tee_invec_t *in,
                            size_t n_in, ms_tee_outvec_t *out, size_t n_out)
{
    (void)ctx;
    ms_tee_caller_t caller = {.id = MS_TEE_PART_NSPE, .mem_base = (uintptr_t)g_shared,
                              .mem_len = sizeof g_shared};
    return ms_tee_call(&caller, sid, type, in, n_in, out, n_out);
}

/* Chunk requests wait for the loop below; status reports are signed (the
 * TEE's identity key, simulated) and sent while the meter is online. */
static ms_err_t plat_send(void *ctx, ms_upd_send_kind_t kind, const uint8_t *p, size_t n)
{
    plat_t *x = ctx;
    if (!x->online) {
        return MS_ERR_IO;
    }
    if (kind == MS_UPD_SEND_REQUEST) {
        if (n > sizeof x->req) {
            return MS_ERR_BUFFER_TOO_SMALL;
        }
        memcpy(x->req, p, n);
        x->req_len = n;
        return MS_OK;
    }
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t mlen = 0;
    ms_link_upd_status_t s;
    ms_err_t err = ms_link_upd_status_decode(p, n, &s);
    if (err == MS_OK) {
        x->m->last_state = s.state;
        s.seq = ++x->m->status_seq;   /* numbered as the TEE numbers them */
        err = fm_status_msg(x->m, &s, msg, sizeof msg, &mlen);
    }
    return err == MS_OK ? x->net->send(x->net->ctx, x->m, "up/upd-status", msg, mlen) : err;
}

ms_err_t fm_status_msg(const fm_meter_t *m, const ms_link_upd_status_t *s, uint8_t *msg,
                       size_t cap, size_t *len)
{
    uint8_t payload[MS_LINK_UPD_STATUS_MAX];
    size_t n = 0;
    ms_err_t err = ms_link_upd_status_encode(s, payload, sizeof payload, &n);
    return err != MS_OK ? err
                        : ms_link_msg_seal_kid(payload, n, m->kid, soft_sign,
                                               (void *)&m->key, msg, cap, len);
}

static bool same_version(const ms_image_version_t *v, const ms_link_offer_t *o)
{
    return v->major == o->major && v->minor == o->minor && v->revision == o->revision;
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
    /* the meter runs its current image; its TEE's update service is bound
     * to its flash */
    fx_t *fx = fx_new_sized(1, &ms_boot_strategy_swap_move, net->slot_size);
    fx_write_slot(fx, 0, 0, net->base->data, net->base->len);
    if ((err = fx_boot(fx)) != MS_OK) {
        fx_free(fx);
        return err;
    }
    ms_tee_update_service_bind(&fx->cfg);
    plat_t x = {.m = m, .net = net, .online = true};
    ms_upd_agent_io_t io = {.call = ns_call, .shared = g_shared, .send = plat_send,
                            .send_ctx = &x};
    static ms_upd_agent_t a;
    ms_upd_agent_init(&a, &io, m->id);
    err = ms_upd_agent_offer(&a, &o);
    bool dropped = false;
    uint8_t buf[MS_LINK_CHUNK_MSG_MAX];
    while (err == MS_OK && a.state == MS_UPD_AGENT_DOWNLOADING && x.req_len != 0) {
        size_t n = 0;
        uint8_t req[128];
        size_t rl = x.req_len;
        memcpy(req, x.req, rl);
        x.req_len = 0;
        err = net->send(net->ctx, m, "up/upd-req", req, rl);
        if (err == MS_OK) {
            err = net->take(net->ctx, m, "down/upd-chunk", buf, sizeof buf, &n);
        }
        ms_link_chunk_t ch;
        if (err == MS_OK) {
            err = ms_link_chunk_decode(buf, n, &ch);
        }
        if (err != MS_OK) {
            break;
        }
        m->chunks++;
        if (m->fault.drop_at != 0 && !dropped && ch.offset >= m->fault.drop_at) {
            /* the link drops and this chunk is lost; back online, the agent
             * resumes from the TEE's last good offset */
            dropped = true;
            m->reconnects++;
            err = ms_upd_agent_link_up(&a);
            m->resumed_at = a.offset;
            continue;
        }
        if (m->fault.tamper_at != 0 && ch.offset <= m->fault.tamper_at &&
            m->fault.tamper_at < ch.offset + ch.len) {
            buf[(size_t)(ch.data - buf) + (m->fault.tamper_at - ch.offset)] ^= 0x5a;
        }
        err = ms_upd_agent_chunk(&a, buf, n);
    }
    m->verify_err = a.refused;
    if (err == MS_OK && a.state == MS_UPD_AGENT_REBOOT) {
        err = fx_boot(fx);   /* the reboot: S13 checks and installs the test image */
        if (err == MS_OK) {
            m->rebooted = same_version(&fx->res.img[0].m.version, &o);
            err = ms_upd_agent_booted(&a, &fx->res.img[0].m.version);
        }
        if (err == MS_OK && m->fault.no_reconnect) {
            /* the new image cannot reach the cloud, so it is never
             * confirmed; the watchdog reboots and the boot loader reverts */
            x.online = false;
            err = fx_boot(fx);
            if (err == MS_OK) {
                err = ms_upd_agent_booted(&a, &fx->res.img[0].m.version);
            }
            x.online = true;   /* back, on the old image: the report goes out now */
        }
        if (err == MS_OK) {
            err = ms_upd_agent_link_up(&a);
        }
    }
    if (err == MS_OK) {
        err = fx_boot(fx);   /* what runs from now on */
        m->runs_new = same_version(&fx->res.img[0].m.version, &o);
    }
    ms_tee_update_service_bind(NULL);
    fx_free(fx);
    return err;
}
