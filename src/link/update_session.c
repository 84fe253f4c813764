/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update_session.c - the update agent wired to the client and the TEE
 * (meterseal/link_update_session.h).
 *
 * Invariants:
 *   - An offer reaches the agent only after the TEE checked it; a report
 *     leaves only signed by the TEE. Nothing here looks at an image.
 *   - A test image is confirmed only after the TEE's queue of readings is
 *     empty again on a connection of the new image, after it took a reading
 *     of its own: the cloud acknowledged that reading (the TEE checked it).
 *   - The agent is saved after every event that changed it, and only then
 *     (junk on a topic writes nothing).
 */
#include "meterseal/link_update_session.h"

#include <string.h>

static void say(ms_upd_session_t *s, ms_upd_session_event_t ev, const ms_link_offer_t *o,
                const ms_link_upd_status_t *st, ms_err_t err)
{
    if (s->hooks.event != NULL) {
        s->hooks.event(s->hooks.ctx, ev, o, st, err);
    }
}

static void save(ms_upd_session_t *s)
{
    ms_upd_agent_t a = s->agent;
    memset(&a.io, 0, sizeof a.io);   /* pointers mean nothing after a reboot */
    if (memcmp(&a, &s->saved, sizeof a) == 0) {
        return;
    }
    s->saved = a;
    if (s->hooks.save != NULL) {
        s->hooks.save(s->hooks.ctx, &a);
    }
}

static psa_status_t agent_call(void *ctx, uint32_t sid, int32_t type, const ms_tee_invec_t *in,
                               size_t n_in, ms_tee_outvec_t *out, size_t n_out)
{
    ms_link_tee_t *t = ctx;
    return t->call(t->call_ctx, sid, type, in, n_in, out, n_out);
}

/* A chunk request goes out now (the client flushes it in the same step),
 * or waits for the next step when there is no room; a report is signed by
 * the TEE and published now, or the agent sends it again at link up. */
static ms_err_t agent_send(void *ctx, ms_upd_send_kind_t kind, const uint8_t *p, size_t n)
{
    ms_upd_session_t *s = ctx;
    if (kind == MS_UPD_SEND_REQUEST) {
        if (n > sizeof s->req) {
            return MS_ERR_BUFFER_TOO_SMALL;
        }
        if (ms_link_client_publish(s->client, "upd-req", p, n, s->now_ms) == MS_OK) {
            s->req_len = 0;
            s->kick = true;
            return MS_OK;
        }
        memcpy(s->req, p, n);
        s->req_len = n;
        return MS_OK;
    }
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t len = 0;
    ms_err_t err = ms_link_tee_update_status(s->link, p, n, msg, sizeof msg, &len);
    if (err == MS_OK) {
        err = ms_link_client_publish(s->client, "upd-status", msg, len, s->now_ms);
    }
    ms_link_upd_status_t st;
    if (ms_link_upd_status_decode(p, n, &st) == MS_OK) {
        say(s, MS_UPD_EV_STATUS, NULL, &st, err);
    }
    return err;
}

static bool tail_is(const char *tail, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(tail, want, len) == 0;
}

static void on_down(void *ctx, const char *tail, size_t tail_len, const uint8_t *payload,
                    size_t len, uint64_t now_ms)
{
    ms_upd_session_t *s = ctx;
    s->now_ms = now_ms;
    if (tail_is(tail, tail_len, "upd-offer")) {
        ms_link_offer_t o;
        ms_err_t err = ms_link_tee_offer(s->link, payload, len, &o);
        if (err != MS_OK) {
            say(s, MS_UPD_EV_OFFER_REFUSED, NULL, NULL, err);
            return;
        }
        err = ms_upd_agent_offer(&s->agent, &o);
        say(s, MS_UPD_EV_OFFER, &o, NULL, err);
        s->last_chunk_ms = now_ms;
    } else if (tail_is(tail, tail_len, "upd-chunk")) {
        uint32_t before = s->agent.offset;
        (void)ms_upd_agent_chunk(&s->agent, payload, len);
        if (s->agent.offset != before || s->agent.state != MS_UPD_AGENT_DOWNLOADING) {
            s->last_chunk_ms = now_ms;
        }
    } else {
        return;
    }
    save(s);
}

bool ms_upd_session_plausible(const ms_upd_agent_t *a, const char *meter_id)
{
    if (a->state > MS_UPD_AGENT_DONE || memchr(a->meter_id, 0, sizeof a->meter_id) == NULL ||
        strcmp(a->meter_id, meter_id) != 0) {
        return false;
    }
    return a->state == MS_UPD_AGENT_IDLE ||
           (a->offer.size != 0 && a->offset <= a->offer.size && a->offer.chunk_size != 0 &&
            a->offer.chunk_size <= MS_LINK_CHUNK_MAX && a->offer.image <= 1);
}

void ms_upd_session_init(ms_upd_session_t *s, ms_link_client_t *client, ms_link_tee_t *link,
                         uint8_t *shared, const char *meter_id, const ms_upd_agent_t *restored,
                         const ms_upd_session_hooks_t *hooks)
{
    memset(s, 0, sizeof *s);
    s->client = client;
    s->link = link;
    s->hooks = *hooks;
    s->stall_ms = 10000;
    s->acks_seen = client->stats.acked_readings;
    ms_upd_agent_io_t io = { .call = agent_call, .call_ctx = link, .shared = shared,
                             .send = agent_send, .send_ctx = s };
    ms_upd_agent_init(&s->agent, &io, meter_id);
    s->saved = s->agent;
    memset(&s->saved.io, 0, sizeof s->saved.io);
    if (restored != NULL && ms_upd_session_plausible(restored, meter_id)) {
        s->agent = *restored;
        s->agent.io = io;
        s->saved = *restored;
        memset(&s->saved.io, 0, sizeof s->saved.io);
    }
    ms_link_client_set_handler(client, on_down, s);
}

void ms_upd_session_booted(ms_upd_session_t *s, const ms_image_version_t *running)
{
    s->readings_at_boot = s->client->stats.readings;
    (void)ms_upd_agent_booted(&s->agent, running);
    save(s);
}

bool ms_upd_session_step(ms_upd_session_t *s, bool came_online, uint64_t now_ms)
{
    s->now_ms = now_ms;
    ms_link_client_t *c = s->client;
    bool online = c->state == MS_LINK_ONLINE;
    bool stalled = !came_online && online && s->agent.state == MS_UPD_AGENT_DOWNLOADING &&
                   now_ms - s->last_chunk_ms >= s->stall_ms;
    bool testing = s->agent.state == MS_UPD_AGENT_TESTING;
    /* The cloud answered the new image: a reading it took since it booted
     * is off the TEE's queue (only the cloud's TEE-checked acknowledgement
     * removes one, and the queue is emptied in order). An acknowledgement
     * of an older reading, held by the broker across the reboot, is not
     * enough. */
    bool cloud_answered = false;
    if (testing && online && c->stats.acked_readings != s->acks_seen &&
        c->stats.readings > s->readings_at_boot) {
        uint32_t queued = 1;
        cloud_answered = ms_link_secure_tee.queued(s->link, &queued) == MS_OK && queued == 0;
    }
    if (cloud_answered || !testing) {
        s->acks_seen = c->stats.acked_readings;
    }
    if (testing && came_online) {
        /* a reading from the new image now: the cloud's signed
         * acknowledgement of it is what confirms the image */
        ms_link_client_read_now(c);
    }
    if ((came_online && !testing) || stalled || (testing && cloud_answered)) {
        if (stalled) {
            say(s, MS_UPD_EV_STALLED, NULL, NULL, MS_OK);
        }
        /* resume at the TEE's last good offset, confirm, or report again */
        ms_err_t err = ms_upd_agent_link_up(&s->agent);
        if (err != MS_OK) {
            say(s, MS_UPD_EV_AGENT_ERROR, NULL, NULL, err);
        }
        s->last_chunk_ms = now_ms;
        save(s);
    }
    if (s->req_len != 0 && online &&
        ms_link_client_publish(c, "upd-req", s->req, s->req_len, now_ms) == MS_OK) {
        s->req_len = 0;
        s->kick = true;
    }
    if (s->agent.state != MS_UPD_AGENT_REBOOT) {
        return false;
    }
    s->req_len = 0;
    s->kick = false;
    save(s);
    return true;
}
