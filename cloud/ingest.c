/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.c - messages from meters (see ingest.h).
 *
 * Invariants:
 *   - Order of checks (§5): topic shape and meter id; size <= 512; the meter
 *     is registered; COSE structure; kid is the meter's; the signature
 *     verifies with the meter's certificate key; the payload decodes
 *     canonically; the payload's meter id is the topic's. Nothing is stored
 *     or answered before all of these passed.
 *   - A reading is acknowledged only after the transaction that holds it
 *     committed (readings_store returned MS_OK); a duplicate (same meter,
 *     seq and payload bytes) is acknowledged again and stored once; a
 *     different payload under a stored seq, or a seq more than
 *     MS_INGEST_REPLAY_WINDOW below the newest stored, is refused and
 *     recorded as a cloud event "replay".
 *   - (meter, seq) are distinct within a batch: a second one flushes the
 *     batch first.
 *   - The meter cache holds public data only (keys, newest seq); entries
 *     expire so a meter registered through another instance is found.
 */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cose_msg.h"
#include "log.h"
#include "registry.h"
#include "x509.h"

#define CACHE_TTL_KNOWN   300
#define CACHE_TTL_UNKNOWN 10
#define TOPIC_PREFIX      "ms/v1/"

typedef struct meter_entry {
    bool used;
    bool known;
    char id[MS_MSG_ID_MAX + 1];
    ms_p256_pub_t pub;
    uint8_t kid[MS_COSE_KID_LEN];
    char serial[MS_X509_SERIAL_HEX];   /* of its certificate, for the CRL */
    bool has_max;
    uint64_t max_seq;
    int64_t loaded_at;
} meter_entry_t;

typedef struct pending {
    uint8_t msg[MS_COSE_MSG_MAX];
    ms_reading_rec_t rec;
    meter_entry_t *meter;
} pending_t;

struct ms_ingest {
    ms_cloud_t *c;
    meter_entry_t *cache;
    size_t cache_cap, cache_used;
    pending_t *batch;
    ms_store_outcome_t *outcome;
    size_t n, max;
    ms_ingest_stats_t stats;
};

enum kind { K_READING, K_EVENT, K_RESULT };

/* ---- meter cache ---------------------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    }
    return h;
}

static meter_entry_t *slot_for(meter_entry_t *tab, size_t cap, const char *id)
{
    size_t i = (size_t)fnv1a(id) & (cap - 1);
    while (tab[i].used && strcmp(tab[i].id, id) != 0) {
        i = (i + 1) & (cap - 1);
    }
    return &tab[i];
}

static ms_err_t cache_grow(ms_ingest_t *in)
{
    size_t cap = in->cache_cap * 2;
    meter_entry_t *tab = calloc(cap, sizeof *tab);
    if (tab == NULL) {
        return MS_ERR_INTERNAL;
    }
    for (size_t i = 0; i < in->cache_cap; i++) {
        if (in->cache[i].used) {
            *slot_for(tab, cap, in->cache[i].id) = in->cache[i];
        }
    }
    /* pending readings point at entries: re-point them */
    for (size_t k = 0; k < in->n; k++) {
        in->batch[k].meter = slot_for(tab, cap, in->batch[k].meter->id);
    }
    free(in->cache);
    in->cache = tab;
    in->cache_cap = cap;
    return MS_OK;
}

/* The cache entry of a meter, loaded from the store when absent or stale. */
static ms_err_t meter_lookup(ms_ingest_t *in, const char *id, meter_entry_t **out)
{
    int64_t now = in->c->now();
    meter_entry_t *e = slot_for(in->cache, in->cache_cap, id);
    if (e->used && now - e->loaded_at < (e->known ? CACHE_TTL_KNOWN : CACHE_TTL_UNKNOWN)) {
        *out = e;
        return MS_OK;
    }
    if (!e->used && 2 * (in->cache_used + 1) > in->cache_cap) {
        ms_err_t err = cache_grow(in);
        if (err != MS_OK) {
            return err;
        }
        e = slot_for(in->cache, in->cache_cap, id);
    }
    ms_meter_rec_t *m = malloc(sizeof *m);
    if (m == NULL) {
        return MS_ERR_INTERNAL;
    }
    ms_err_t err = in->c->db.ops->meter_get(in->c->db.s, id, m);
    if (err != MS_OK && err != MS_ERR_NOT_FOUND) {
        free(m);
        return err;
    }
    if (!e->used) {
        in->cache_used++;
    }
    bool had_max = e->used && e->known && e->has_max;
    uint64_t old_max = e->max_seq;
    memset(e, 0, sizeof *e);
    e->used = true;
    memcpy(e->id, id, strlen(id) + 1);
    e->loaded_at = now;
    e->known = err == MS_OK;
    if (e->known) {
        e->pub = m->pub;
        memcpy(e->kid, m->kid, sizeof e->kid);
        ms_registry_serial(m, e->serial);
        e->has_max = m->has_readings || had_max;
        e->max_seq = m->has_readings && (!had_max || m->max_reading_seq > old_max)
                         ? m->max_reading_seq
                         : old_max;
    }
    free(m);
    *out = e;
    return MS_OK;
}

/* ---- helpers ---------------------------------------------------------------------- */

/* "ms/v1/<id>/up/<kind>" -> id, kind. */
static bool parse_topic(const char *t, size_t n, char id[MS_MSG_ID_MAX + 1], enum kind *k)
{
    size_t pre = sizeof TOPIC_PREFIX - 1;
    if (n <= pre || memcmp(t, TOPIC_PREFIX, pre) != 0) {
        return false;
    }
    const char *p = t + pre;
    const char *slash = memchr(p, '/', n - pre);
    if (slash == NULL || !ms_meter_id_valid(p, (size_t)(slash - p))) {
        return false;
    }
    memcpy(id, p, (size_t)(slash - p));
    id[slash - p] = '\0';
    size_t rest = n - (size_t)(slash + 1 - t);
    const char *r = slash + 1;
    static const struct {
        const char *s;
        enum kind k;
    } kinds[] = { { "up/reading", K_READING }, { "up/event", K_EVENT }, { "up/result", K_RESULT } };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (rest == strlen(kinds[i].s) && memcmp(r, kinds[i].s, rest) == 0) {
            *k = kinds[i].k;
            return true;
        }
    }
    return false;
}

static void reject(ms_ingest_t *in, const char *topic, size_t topic_len, const char *why,
                   ms_err_t err)
{
    char t[256];
    in->stats.rejected++;
    ms_log(MS_LOG_WARN, "message.rejected", "topic=%s reason=%s err=%s",
           ms_log_str(topic, topic_len, t), why, ms_errname(err));
}

/* Records a fact the cloud saw; false if it was recorded before (or not at all). */
static bool cloud_event(ms_ingest_t *in, const char *meter_id, const char *kind,
                        const char *detail)
{
    ms_event_rec_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.meter_id, sizeof e.meter_id, "%s", meter_id);
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    snprintf(e.detail, sizeof e.detail, "%s", detail);
    e.time = e.received_at = in->c->now();
    bool stored = false;
    ms_err_t err = in->c->db.ops->event_add(in->c->db.s, &e, &stored);
    if (err != MS_OK) {
        ms_log(MS_LOG_ERROR, "event.store_failed", "meter=%s kind=%s err=%s", meter_id, kind,
               ms_errname(err));
    }
    return stored;
}

static void replay(ms_ingest_t *in, const char *meter_id, uint64_t seq, const char *why)
{
    char detail[MS_MSG_DETAIL_MAX + 1];
    snprintf(detail, sizeof detail, "reading seq %llu: %s", (unsigned long long)seq, why);
    in->stats.rejected++;
    /* one event and one warning per replayed message: the same one sent
     * again is counted, not stored again */
    bool first = cloud_event(in, meter_id, "replay", detail);
    ms_log(first ? MS_LOG_WARN : MS_LOG_DEBUG, "reading.replay", "meter=%s seq=%llu reason=%s",
           meter_id, (unsigned long long)seq, why);
}

/* ---- acknowledgements ---------------------------------------------------------------- */

static void publish_ack(ms_ingest_t *in, const char *meter_id, const uint64_t *seqs, size_t n)
{
    uint8_t payload[MS_COSE_MSG_MAX], msg[MS_COSE_MSG_MAX];
    size_t plen = 0, mlen = 0;
    char topic[64];
    ms_err_t err = ms_msg_ack_encode(meter_id, seqs, n, payload, sizeof payload, &plen);
    if (err == MS_OK) {
        err = ms_cose_sign(&in->c->cmd_key, &in->c->cmd_pub, payload, plen, msg, sizeof msg,
                           &mlen);
    }
    if (err == MS_OK) {
        snprintf(topic, sizeof topic, "ms/v1/%s/down/ack", meter_id);
        err = in->c->publish(in->c->publish_ctx, topic, msg, mlen);
    }
    if (err == MS_OK) {
        in->stats.acks++;
    } else {
        ms_log(MS_LOG_ERROR, "ack.failed", "meter=%s err=%s", meter_id, ms_errname(err));
    }
}

/* Ack every stored or duplicate reading of the batch, grouped per meter. */
static void ack_batch(ms_ingest_t *in)
{
    bool *done = calloc(in->n, sizeof *done);
    if (done == NULL) {
        return;   /* not acknowledged: the meters send again */
    }
    for (size_t i = 0; i < in->n; i++) {
        if (done[i]) {
            continue;
        }
        uint64_t seqs[MS_MSG_ACK_MAX];
        size_t k = 0;
        const char *id = in->batch[i].rec.r.meter_id;
        for (size_t j = i; j < in->n; j++) {
            if (done[j] || strcmp(in->batch[j].rec.r.meter_id, id) != 0) {
                continue;
            }
            done[j] = true;
            if (in->outcome[j] == MS_STORE_CONFLICT) {
                continue;
            }
            seqs[k++] = in->batch[j].rec.r.seq;
            if (k == MS_MSG_ACK_MAX) {
                publish_ack(in, id, seqs, k);
                k = 0;
            }
        }
        if (k > 0) {
            publish_ack(in, id, seqs, k);
        }
    }
    free(done);
}

ms_err_t ms_ingest_flush(ms_ingest_t *in)
{
    if (in->n == 0) {
        return MS_OK;
    }
    ms_reading_rec_t *recs = malloc(in->n * sizeof *recs);
    if (recs == NULL) {
        in->n = 0;
        return MS_ERR_INTERNAL;
    }
    for (size_t i = 0; i < in->n; i++) {
        recs[i] = in->batch[i].rec;
    }
    ms_err_t err = in->c->db.ops->readings_store(in->c->db.s, recs, in->n, in->outcome);
    free(recs);
    if (err != MS_OK) {
        ms_log(MS_LOG_ERROR, "batch.store_failed", "n=%zu err=%s", in->n, ms_errname(err));
        in->n = 0;   /* nothing acknowledged: every meter sends these again */
        return MS_ERR_CLOUD_DB;
    }
    size_t stored = 0, dup = 0;
    for (size_t i = 0; i < in->n; i++) {
        pending_t *p = &in->batch[i];
        if (in->outcome[i] == MS_STORE_CONFLICT) {
            replay(in, p->rec.r.meter_id, p->rec.r.seq, "different payload under a stored seq");
            continue;
        }
        if (in->outcome[i] == MS_STORE_STORED) {
            stored++;
        } else {
            dup++;
        }
        meter_entry_t *m = p->meter;
        if (!m->has_max || p->rec.r.seq > m->max_seq) {
            m->has_max = true;
            m->max_seq = p->rec.r.seq;
        }
    }
    in->stats.stored += stored;
    in->stats.duplicates += dup;
    in->stats.batches++;
    ack_batch(in);
    ms_log(MS_LOG_DEBUG, "batch.stored", "n=%zu stored=%zu duplicates=%zu", in->n, stored, dup);
    in->n = 0;
    return MS_OK;
}

/* ---- messages --------------------------------------------------------------------------- */

static ms_err_t queue_reading(ms_ingest_t *in, meter_entry_t *m, const uint8_t *msg, size_t len,
                              const ms_cose_sign1_t *cose, const ms_msg_reading_t *r)
{
    if (r->seq > (uint64_t)INT64_MAX || r->time > (uint64_t)INT64_MAX ||
        r->energy_wh > (uint64_t)INT64_MAX || r->tariff_id > (uint64_t)INT64_MAX) {
        in->stats.rejected++;
        ms_log(MS_LOG_WARN, "reading.rejected", "meter=%s reason=out_of_range", m->id);
        return MS_OK;
    }
    if (m->has_max && r->seq + MS_INGEST_REPLAY_WINDOW < m->max_seq) {
        replay(in, m->id, r->seq, "older than the newest by more than 10000");
        return MS_OK;
    }
    ms_err_t err = MS_OK;
    for (size_t i = 0; i < in->n && err == MS_OK; i++) {
        if (in->batch[i].meter == m && in->batch[i].rec.r.seq == r->seq) {
            err = ms_ingest_flush(in);   /* keep (meter, seq) distinct within a batch */
        }
    }
    if (err == MS_OK && in->n == in->max) {
        err = ms_ingest_flush(in);
    }
    if (err != MS_OK) {
        return err;
    }
    pending_t *p = &in->batch[in->n++];
    memcpy(p->msg, msg, len);
    p->meter = m;
    p->rec.r = *r;
    p->rec.msg = p->msg;
    p->rec.msg_len = len;
    p->rec.payload = p->msg + (cose->payload - msg);
    p->rec.payload_len = cose->payload_len;
    p->rec.received_at = in->c->now();
    return MS_OK;
}

static void handle_event(ms_ingest_t *in, const ms_msg_event_t *ev)
{
    ms_event_rec_t e;
    memset(&e, 0, sizeof e);
    memcpy(e.meter_id, ev->meter_id, sizeof e.meter_id);
    e.from_meter = true;
    e.seq = ev->seq;
    e.time = ev->time > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)ev->time;
    memcpy(e.kind, ev->kind, sizeof e.kind);
    memcpy(e.detail, ev->detail, sizeof e.detail);
    e.received_at = in->c->now();
    bool stored = false;
    ms_err_t err = in->c->db.ops->event_add(in->c->db.s, &e, &stored);
    if (err != MS_OK) {
        ms_log(MS_LOG_ERROR, "event.store_failed", "meter=%s err=%s", ev->meter_id,
               ms_errname(err));
    } else if (stored) {
        char k[256];
        in->stats.events++;
        ms_log(MS_LOG_INFO, "event.stored", "meter=%s seq=%llu kind=%s", ev->meter_id,
               (unsigned long long)ev->seq, ms_log_str(ev->kind, strlen(ev->kind), k));
    }
}

static void handle_result(ms_ingest_t *in, const ms_msg_result_t *r)
{
    bool recorded = false;
    ms_err_t err = in->c->db.ops->command_result(in->c->db.s, r->meter_id, r->cmd_seq, r->status,
                                                 r->balance_milli, &recorded);
    if (err != MS_OK) {
        ms_log(MS_LOG_WARN, "result.rejected", "meter=%s cmd_seq=%llu err=%s", r->meter_id,
               (unsigned long long)r->cmd_seq, ms_errname(err));
        in->stats.rejected++;
        return;
    }
    if (!recorded) {
        /* the command's verdict stays (a replay verdict, or this result again) */
        ms_log(MS_LOG_DEBUG, "result.kept", "meter=%s cmd_seq=%llu status=%llu", r->meter_id,
               (unsigned long long)r->cmd_seq, (unsigned long long)r->status);
        return;
    }
    char detail[MS_MSG_DETAIL_MAX + 1];
    snprintf(detail, sizeof detail, "cmd_seq %llu status %llu balance %lld",
             (unsigned long long)r->cmd_seq, (unsigned long long)r->status,
             (long long)r->balance_milli);
    cloud_event(in, r->meter_id, "command-result", detail);
    in->stats.results++;
    ms_log(MS_LOG_INFO, "result.stored", "meter=%s cmd_seq=%llu status=%llu", r->meter_id,
           (unsigned long long)r->cmd_seq, (unsigned long long)r->status);
}

ms_err_t ms_ingest_message(ms_ingest_t *in, const char *topic, size_t topic_len,
                           const uint8_t *payload, size_t len)
{
    in->stats.received++;
    char id[MS_MSG_ID_MAX + 1];
    enum kind kind;
    if (topic == NULL || !parse_topic(topic, topic_len, id, &kind)) {
        reject(in, topic != NULL ? topic : "", topic != NULL ? topic_len : 0, "topic",
               MS_ERR_FORMAT);
        return MS_OK;
    }
    if (payload == NULL || len == 0 || len > MS_COSE_MSG_MAX) {
        reject(in, topic, topic_len, "size", MS_ERR_FORMAT);
        return MS_OK;
    }
    meter_entry_t *m = NULL;
    ms_err_t err = meter_lookup(in, id, &m);
    if (err != MS_OK) {
        ms_log(MS_LOG_ERROR, "meter.lookup_failed", "meter=%s err=%s", id, ms_errname(err));
        in->stats.rejected++;
        return MS_OK;   /* not acknowledged: sent again later */
    }
    if (!m->known) {
        reject(in, topic, topic_len, "unregistered_meter", MS_ERR_NOT_FOUND);
        return MS_OK;
    }
    /* checked per message: the CRL can change while the entry is cached,
     * and the broker checks it only when a session starts */
    if (ms_registry_serial_revoked(in->c, m->serial)) {
        reject(in, topic, topic_len, "revoked", MS_ERR_X509_REVOKED);
        return MS_OK;
    }
    ms_cose_sign1_t cose;
    if ((err = ms_cose_parse(payload, len, &cose)) != MS_OK) {
        reject(in, topic, topic_len, "cose", err);
        return MS_OK;
    }
    if (!ms_ct_equal(cose.kid, m->kid, MS_COSE_KID_LEN)) {
        reject(in, topic, topic_len, "kid", MS_ERR_KEY_MISMATCH);
        return MS_OK;
    }
    if ((err = ms_cose_verify(&cose, &m->pub)) != MS_OK) {
        reject(in, topic, topic_len, "signature", err);
        return MS_OK;
    }
    const char *payload_id = NULL;
    union {
        ms_msg_reading_t r;
        ms_msg_event_t e;
        ms_msg_result_t res;
    } u;
    switch (kind) {
    case K_READING:
        err = ms_msg_reading_decode(cose.payload, cose.payload_len, &u.r);
        payload_id = u.r.meter_id;
        break;
    case K_EVENT:
        err = ms_msg_event_decode(cose.payload, cose.payload_len, &u.e);
        payload_id = u.e.meter_id;
        break;
    default:
        err = ms_msg_result_decode(cose.payload, cose.payload_len, &u.res);
        payload_id = u.res.meter_id;
        break;
    }
    if (err != MS_OK) {
        reject(in, topic, topic_len, "payload", err);
        return MS_OK;
    }
    if (strcmp(payload_id, id) != 0) {
        reject(in, topic, topic_len, "meter_id_mismatch", MS_ERR_KEY_MISMATCH);
        return MS_OK;
    }
    switch (kind) {
    case K_READING:
        return queue_reading(in, m, payload, len, &cose, &u.r);
    case K_EVENT:
        handle_event(in, &u.e);
        return MS_OK;
    default:
        handle_result(in, &u.res);
        return MS_OK;
    }
}

/* ---- life cycle ------------------------------------------------------------------------- */

ms_err_t ms_ingest_new(ms_cloud_t *c, size_t batch_max, ms_ingest_t **out)
{
    if (c == NULL || out == NULL || batch_max == 0 || batch_max > MS_INGEST_BATCH_MAX) {
        return MS_ERR_ARG;
    }
    ms_ingest_t *in = calloc(1, sizeof *in);
    if (in == NULL) {
        return MS_ERR_INTERNAL;
    }
    in->c = c;
    in->max = batch_max;
    in->cache_cap = 1024;
    in->cache = calloc(in->cache_cap, sizeof *in->cache);
    in->batch = calloc(batch_max, sizeof *in->batch);
    in->outcome = calloc(batch_max, sizeof *in->outcome);
    if (in->cache == NULL || in->batch == NULL || in->outcome == NULL) {
        ms_ingest_free(in);
        return MS_ERR_INTERNAL;
    }
    *out = in;
    return MS_OK;
}

void ms_ingest_free(ms_ingest_t *in)
{
    if (in != NULL) {
        free(in->cache);
        free(in->batch);
        free(in->outcome);
        free(in);
    }
}

size_t ms_ingest_pending(const ms_ingest_t *in)
{
    return in->n;
}

const ms_ingest_stats_t *ms_ingest_stats(const ms_ingest_t *in)
{
    return &in->stats;
}
