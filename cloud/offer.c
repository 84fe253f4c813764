/* SPDX-License-Identifier: Apache-2.0 */
/*
 * offer.c - what the update service sends meters (see offer.h): a wave's
 * offers, COSE_Sign1 by the cloud command key, again when one was not
 * answered, and image chunks on request.
 *
 * Invariants:
 *   - A row is marked offered (compare and set) before its offer is sent,
 *     so of several instances offering one wave exactly one sends it.
 *   - A meter never offered yet is not offered an image below the fleet's
 *     security counter, nor one revoked: it is failed with the reason, so
 *     its wave can end.
 *   - An offer is sent again only to a meter seen since it was sent that
 *     has not answered it, at most once per quiet period per instance; a
 *     wave's offers an instance left unsent are sent at the next look.
 *   - A chunk goes only to a meter offered in a running or paused
 *     campaign, and only from inside the image.
 */
#include "offer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cose_msg.h"
#include "log.h"
#include "registry.h"

void *ms_ota_room_for_one(void *a, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) {
        return a;
    }
    size_t want = *cap ? 2 * *cap : 64;
    void *p = want <= SIZE_MAX / size ? realloc(a, want * size) : NULL;
    if (p != NULL) {
        *cap = want;
    }
    return p;
}

/* ---- offers --------------------------------------------------------------------------- */

static ms_err_t publish(ms_ota_t *o, const char *meter_id, const char *kind, const uint8_t *p,
                        size_t n)
{
    char topic[80];
    snprintf(topic, sizeof topic, "ms/v1/%s/%s", meter_id, kind);
    o->stats.wire_bytes += n;
    return o->c->publish(o->c->publish_ctx, topic, p, n);
}

static ms_err_t send_offer(ms_ota_t *o, const ms_campaign_rec_t *c, const ms_fw_rec_t *fw,
                           const char *meter_id)
{
    ms_link_offer_t off;
    memset(&off, 0, sizeof off);
    snprintf(off.meter_id, sizeof off.meter_id, "%s", meter_id);
    off.campaign_id = (uint64_t)c->id;
    for (size_t i = 0; i < MS_SHA256_LEN; i++) {
        unsigned v = 0;
        if (sscanf(fw->sha256 + 2 * i, "%2x", &v) != 1) {
            return MS_ERR_CLOUD_DB;
        }
        off.sha256[i] = (uint8_t)v;
    }
    off.size = fw->size;
    unsigned mj = 0, mn = 0, rv = 0, bd = 0;
    int got = sscanf(fw->version, "%u.%u.%u+%u", &mj, &mn, &rv, &bd);
    if (got < 3 || mj > 255 || mn > 255 || rv > 65535) {
        return MS_ERR_CLOUD_DB;
    }
    off.major = (uint8_t)mj;
    off.minor = (uint8_t)mn;
    off.revision = (uint16_t)rv;
    off.build = got == 4 ? (uint32_t)bd : 0;
    off.sec_cnt = fw->sec_cnt;
    off.chunk_size = o->chunk_size;
    off.image = o->image;
    uint8_t payload[MS_COSE_MSG_MAX], msg[MS_COSE_MSG_MAX];
    size_t plen = 0, mlen = 0;
    ms_err_t err = ms_link_offer_encode(&off, payload, sizeof payload, &plen);
    if (err == MS_OK) {
        err = ms_cose_sign(&o->c->cmd_key, &o->c->cmd_pub, payload, plen, msg, sizeof msg, &mlen);
    }
    if (err == MS_OK) {
        o->stats.offers++;
        err = publish(o, meter_id, MS_OTA_TOPIC_OFFER, msg, mlen);
    }
    return err;
}

/* Rows read, to act on after the read (a callback must not write). */
typedef struct rows {
    ms_cm_rec_t *m;
    size_t n, cap;
} rows_t;

static ms_err_t pick_row(void *ctx, const ms_cm_rec_t *m)
{
    rows_t *x = ctx;
    void *p = ms_ota_room_for_one(x->m, &x->cap, x->n, sizeof x->m[0]);
    if (p == NULL) {
        return MS_ERR_INTERNAL;
    }
    x->m = p;
    x->m[x->n++] = *m;
    return MS_OK;
}

static ms_err_t pick_unoffered(void *ctx, const ms_cm_rec_t *m)
{
    /* the page holds only the wave's queued meters */
    return m->offered ? MS_OK : pick_row(ctx, m);
}

ms_err_t ms_ota_meter_revocation(const ms_ota_t *o, const char *meter_id, bool *revoked)
{
    *revoked = false;
    if (o->c->mfr_crl == NULL) {
        return MS_OK;
    }
    ms_meter_rec_t *m = malloc(sizeof *m);
    ms_err_t err = m != NULL ? o->c->db.ops->meter_get(o->c->db.s, meter_id, m) : MS_ERR_INTERNAL;
    *revoked = err == MS_OK && ms_registry_revoked(o->c, m);
    free(m);
    return err;
}

bool ms_ota_meter_revoked(const ms_ota_t *o, const char *meter_id)
{
    bool revoked = false;
    return ms_ota_meter_revocation(o, meter_id, &revoked) != MS_OK || revoked;
}

/* Whether c's image may go to a meter never offered yet: not below the
 * fleet's security counter (a newer image released since), logged if so. */
static ms_err_t releasable(ms_ota_t *o, const ms_campaign_rec_t *c, bool *ok)
{
    char why[MS_OTA_REASON_MAX];
    ms_err_t err = ms_fw_release_check(o, c->firmware_sha256, why);
    *ok = err == MS_OK;
    if (err == MS_ERR_BOOT_ROLLBACK) {
        ms_log(MS_LOG_WARN, "campaign.offer_refused", "campaign=%lld %s", (long long)c->id, why);
        err = MS_OK;
    }
    return err;
}

/* A meter the image is not sent to is failed with the reason, so its wave
 * can end (a lost compare and set: another writer had the row). */
static ms_err_t fail_row(ms_ota_t *o, const ms_cm_rec_t *was, const char *why)
{
    ms_cm_rec_t m = *was;
    m.updated_at = o->c->now();
    snprintf(m.state, sizeof m.state, "failed");
    snprintf(m.reason, sizeof m.reason, "%s", why);
    m.result = MS_LINK_UPD_R_FAILED;
    ms_err_t err = ms_ota_cm_update(&o->c->db, was, MS_CM_SAME_ROW, &m, NULL);
    if (err == MS_OK) {
        ms_log(MS_LOG_WARN, "campaign.meter_failed", "campaign=%lld meter=%s reason=\"%s\"",
               (long long)was->campaign_id, was->meter_id, why);
    }
    return err == MS_ERR_STATE ? MS_OK : err;
}

#define BELOW_FLEET "below the fleet's security counter"
#define REVOKED     "certificate revoked"

ms_err_t ms_ota_offer_wave(ms_ota_t *o, const ms_campaign_rec_t *c)
{
    ms_fw_rec_t fw;
    ms_err_t err = ms_ota_fw_get(&o->c->db, c->firmware_sha256, &fw);
    rows_t x = {0};
    if (err == MS_OK) {
        /* the wave's queued meters only: a retry must not read the campaign */
        ms_cm_page_t page = {.state = "queued", .wave = c->wave, .limit = UINT32_MAX};
        err = ms_ota_cm_page(&o->c->db, c->id, &page, pick_unoffered, &x);
    }
    /* A meter never offered yet (the wave's release was on another
     * instance that stopped before its offers, or this is the release)
     * gets the image only while it is not below the fleet's counter; a
     * retry goes to a meter that had the offer already. */
    bool ok = true;
    for (size_t i = 0; err == MS_OK && i < x.n; i++) {
        if (x.m[i].retries == 0) {
            err = releasable(o, c, &ok);
            break;
        }
    }
    for (size_t i = 0; err == MS_OK && i < x.n; i++) {
        const ms_cm_rec_t was = x.m[i];
        if (!ok && was.retries == 0) {
            err = fail_row(o, &was, BELOW_FLEET);
            continue;
        }
        bool revoked = false;
        if (ms_ota_meter_revocation(o, was.meter_id, &revoked) != MS_OK || revoked) {
            /* not told (a database error): left unoffered for the next look */
            err = revoked ? fail_row(o, &was, REVOKED) : MS_OK;
            continue;
        }
        x.m[i].updated_at = o->c->now();
        x.m[i].offered = true;
        err = ms_ota_cm_update(&o->c->db, &was, MS_CM_SAME_ROW, &x.m[i], NULL);
        if (err == MS_ERR_STATE) {
            /* another instance offered it (or it changed) since the page was
             * read: that instance sends the offer, so it goes out once */
            ms_log(MS_LOG_INFO, "campaign.offer_taken", "campaign=%lld meter=%s",
                   (long long)c->id, x.m[i].meter_id);
            err = MS_OK;
            continue;
        }
        /* The row stays offered whatever the publish says: the MQTT client
         * keeps a QoS 1 message it could not send yet (no connection) and
         * sends it after it reconnects, so the meter may well get it. */
        ms_err_t perr = err == MS_OK ? send_offer(o, c, &fw, x.m[i].meter_id) : MS_OK;
        if (perr != MS_OK) {
            ms_log(MS_LOG_WARN, "campaign.offer_failed", "campaign=%lld meter=%s err=%s",
                   (long long)c->id, x.m[i].meter_id, ms_errname(perr));
        }
    }
    free(x.m);
    return err;
}

typedef struct campaigns {
    ms_campaign_rec_t *c;
    size_t n, cap;
} campaigns_t;

static ms_err_t pick_campaign(void *ctx, const ms_campaign_rec_t *c)
{
    campaigns_t *x = ctx;
    void *p = ms_ota_room_for_one(x->c, &x->cap, x->n, sizeof x->c[0]);
    if (p == NULL) {
        return MS_ERR_INTERNAL;
    }
    x->c = p;
    x->c[x->n++] = *c;
    return MS_OK;
}

/* The offers of a running campaign's current wave never sent (an instance
 * stopped between the wave's release and its offers): sent now, as the
 * release would have. */
static ms_err_t offer_unsent(ms_ota_t *o, size_t *sent)
{
    campaigns_t x = {0};
    ms_err_t err = ms_ota_campaigns_unoffered(&o->c->db, pick_campaign, &x);
    for (size_t i = 0; err == MS_OK && i < x.n; i++) {
        uint64_t before = o->stats.offers;
        err = ms_ota_offer_wave(o, &x.c[i]);
        ms_log(MS_LOG_INFO, "campaign.offers_unsent", "campaign=%lld wave=%u sent=%llu err=%s",
               (long long)x.c[i].id, x.c[i].wave,
               (unsigned long long)(o->stats.offers - before), ms_errname(err));
        *sent += (size_t)(o->stats.offers - before);
        if (err == MS_OK) {
            err = ms_campaign_evaluate(o, x.c[i].id);   /* rows it failed may end the wave */
        }
    }
    free(x.c);
    return err;
}

/* One unanswered offer: sent again (the offer the meter was sent, so the
 * rules of its first sending hold), or the row failed (revoked; no answer
 * to MS_OTA_REOFFERS_MAX offers sent again). *failed is set when a row was
 * failed. */
static ms_err_t reoffer_one(ms_ota_t *o, const ms_campaign_rec_t *c, const ms_fw_rec_t *fw,
                            const ms_cm_rec_t *was, size_t *sent, bool *failed)
{
    bool revoked = false;
    if (ms_ota_meter_revocation(o, was->meter_id, &revoked) != MS_OK) {
        return MS_OK;   /* not told (a database error): the next look */
    }
    const char *why = revoked                                ? REVOKED
                      : was->reoffers >= MS_OTA_REOFFERS_MAX ? "no answer to the offer"
                                                             : NULL;
    if (why != NULL) {
        *failed = true;
        return fail_row(o, was, why);
    }
    /* the offer's time moves on (compare and set: a report that came since,
     * or another instance sending it first, wins) */
    ms_err_t err = ms_ota_cm_reoffered(&o->c->db, was, o->c->now());
    if (err != MS_OK) {
        return err == MS_ERR_STATE ? MS_OK : err;
    }
    ms_err_t perr = send_offer(o, c, fw, was->meter_id);
    ms_log(perr == MS_OK ? MS_LOG_INFO : MS_LOG_WARN, "campaign.offer_again",
           "campaign=%lld meter=%s offered_at=%lld again=%u err=%s", (long long)c->id,
           was->meter_id, (long long)was->updated_at, was->reoffers + 1, ms_errname(perr));
    *sent += perr == MS_OK ? 1u : 0u;
    return MS_OK;
}

static int by_campaign(const void *a, const void *b)
{
    const ms_cm_rec_t *x = a, *y = b;
    return x->campaign_id < y->campaign_id ? -1 : x->campaign_id > y->campaign_id;
}

ms_err_t ms_ota_reoffer(ms_ota_t *o, int64_t quiet, uint32_t limit, size_t *sent)
{
    *sent = 0;
    if (quiet <= 0 || limit == 0) {
        return MS_ERR_ARG;
    }
    ms_err_t err = offer_unsent(o, sent);
    rows_t x = {0};
    ms_campaign_rec_t *c = malloc(sizeof *c);
    if (err == MS_OK) {
        err = c != NULL ? ms_ota_cm_unanswered(&o->c->db, o->c->now() - quiet, limit, pick_row,
                                               &x)
                        : MS_ERR_INTERNAL;
    }
    if (x.n > 1) {
        qsort(x.m, x.n, sizeof x.m[0], by_campaign);   /* the oldest offers, by campaign */
    }
    ms_fw_rec_t fw;
    bool failed = false;
    for (size_t i = 0; err == MS_OK && i < x.n; i++) {
        if (i == 0 || x.m[i].campaign_id != c->id) {
            if (failed) {
                err = ms_campaign_evaluate(o, c->id);
                failed = false;
            }
            if (err == MS_OK) {
                err = ms_ota_campaign_get(&o->c->db, x.m[i].campaign_id, c);
            }
            if (err == MS_OK) {
                err = ms_ota_fw_get(&o->c->db, c->firmware_sha256, &fw);
            }
        }
        /* a campaign paused or ended since the rows were read: left alone */
        if (err == MS_OK && strcmp(c->state, "running") == 0 && c->wave == x.m[i].wave) {
            err = reoffer_one(o, c, &fw, &x.m[i], sent, &failed);
        }
    }
    if (failed) {
        /* its wave may end now (after an error too: the failure is written) */
        ms_err_t eerr = ms_campaign_evaluate(o, c->id);
        err = err != MS_OK ? err : eerr;
    }
    free(x.m);
    free(c);
    return err;
}

/* The image with that hash, from the cache or loaded into its least
 * recently used slot: campaigns of different images running at once must
 * not load a whole image from the database for each chunk. */
static ms_err_t cached_image(ms_ota_t *o, const char *sha, const uint8_t **image, size_t *len)
{
    size_t slot = MS_OTA_CACHE_IMAGES, lru = 0;
    for (size_t i = 0; i < MS_OTA_CACHE_IMAGES && slot == MS_OTA_CACHE_IMAGES; i++) {
        if (o->cache[i].image != NULL && strcmp(o->cache[i].sha, sha) == 0) {
            slot = i;
        } else if (o->cache[i].used < o->cache[lru].used) {
            lru = i;   /* an empty slot has used 0 */
        }
    }
    if (slot == MS_OTA_CACHE_IMAGES) {
        slot = lru;
        free(o->cache[slot].image);
        o->cache[slot].image = NULL;
        o->cache[slot].used = 0;
        ms_err_t err = ms_ota_fw_image(&o->c->db, sha, &o->cache[slot].image,
                                       &o->cache[slot].len);
        if (err != MS_OK) {
            return err;
        }
        o->stats.image_loads++;
        snprintf(o->cache[slot].sha, sizeof o->cache[slot].sha, "%s", sha);
    }
    o->cache[slot].used = ++o->cache_tick;
    *image = o->cache[slot].image;
    *len = o->cache[slot].len;
    return MS_OK;
}

ms_err_t ms_ota_on_chunk_request(ms_ota_t *o, const ms_link_chunk_req_t *r)
{
    ms_cm_rec_t m;
    ms_err_t err = ms_ota_cm_get(&o->c->db, (int64_t)r->campaign_id, r->meter_id, &m);
    if (err != MS_OK) {
        return err;
    }
    ms_campaign_rec_t *c = malloc(sizeof *c);
    if (c == NULL) {
        return MS_ERR_INTERNAL;
    }
    err = ms_ota_campaign_get(&o->c->db, m.campaign_id, c);
    if (err == MS_OK && (!m.offered || !(strcmp(c->state, "running") == 0 || strcmp(c->state, "paused") == 0))) {
        ms_log(MS_LOG_WARN, "update.chunk_refused", "meter=%s campaign=%lld state=%s",
               m.meter_id, (long long)m.campaign_id, c->state);
        err = MS_ERR_STATE;
    }
    const uint8_t *image = NULL;
    size_t image_len = 0;
    if (err == MS_OK) {
        err = cached_image(o, c->firmware_sha256, &image, &image_len);
    }
    if (err == MS_OK && r->offset >= image_len) {
        err = MS_ERR_ARG;
    }
    if (err == MS_OK) {
        size_t n = r->length;
        if (n > o->chunk_size) {
            n = o->chunk_size;
        }
        if (n > image_len - r->offset) {
            n = image_len - r->offset;
        }
        ms_link_chunk_t ch = {.campaign_id = (uint64_t)c->id, .offset = r->offset,
                              .data = image + r->offset, .len = n};
        uint8_t msg[MS_LINK_CHUNK_MSG_MAX];
        size_t len = 0;
        err = ms_link_chunk_encode(&ch, msg, sizeof msg, &len);
        if (err == MS_OK) {
            o->stats.chunks++;
            o->stats.chunk_bytes += n;
            err = publish(o, m.meter_id, MS_OTA_TOPIC_CHUNK, msg, len);
        }
    }
    free(c);
    return err;
}
