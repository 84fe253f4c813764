/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ota_store.c - the update tables (see ota_store.h), in SQL both backends
 * accept ($n placeholders, ON CONFLICT, LIMIT), run through the store's
 * generic statement op. Identifiers are allocated as max + 1 inside a
 * write transaction (no backend-specific sequences).
 *
 * Invariant: every column read back is type- and length-checked before it
 * is copied (rows are outside data); a bad row is MS_ERR_CLOUD_DB.
 */
#include "ota_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define I(v) ((ms_sql_val_t){.t = MS_SQL_INT, .i = (int64_t)(v)})
#define T(v) ((ms_sql_val_t){.t = MS_SQL_TEXT, .s = (v)})
#define B(v, len) ((ms_sql_val_t){.t = MS_SQL_BLOB, .p = (v), .n = (len)})

static ms_err_t q(ms_db_t *db, const char *sql, const ms_sql_val_t *p, size_t n, ms_sql_row_cb cb,
                  void *ctx, uint64_t *changes)
{
    return db->ops->sql(db->s, sql, p, n, cb, ctx, changes);
}

/* ---- column readers --------------------------------------------------------------- */

static bool c_text(const ms_sql_val_t *v, char *out, size_t cap)
{
    if (v->t != MS_SQL_TEXT || v->s == NULL || v->n >= cap || memchr(v->s, '\0', v->n) != NULL) {
        return false;
    }
    memcpy(out, v->s, v->n);
    out[v->n] = '\0';
    return true;
}

static bool c_int(const ms_sql_val_t *v, int64_t *out)
{
    if (v->t != MS_SQL_INT) {
        return false;
    }
    *out = v->i;
    return true;
}

static bool c_u32(const ms_sql_val_t *v, uint32_t *out)
{
    int64_t x = 0;
    if (!c_int(v, &x) || x < 0 || x > (int64_t)UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)x;
    return true;
}

/* Single-value results. */
static ms_err_t one_int(void *ctx, const ms_sql_val_t *c, size_t n)
{
    int64_t *out = ctx;
    if (n != 1) {
        return MS_ERR_CLOUD_DB;
    }
    if (c[0].t == MS_SQL_NULL) {
        *out = 0;
        return MS_OK;
    }
    return c_int(&c[0], out) ? MS_OK : MS_ERR_CLOUD_DB;
}

/* ---- firmware ---------------------------------------------------------------------- */

#define FW_COLS "sha256, version, sec_cnt, size, uploaded_by, uploaded_at"

static bool fw_row(const ms_sql_val_t *c, size_t n, ms_fw_rec_t *f)
{
    memset(f, 0, sizeof *f);
    return n == 6 && c_text(&c[0], f->sha256, sizeof f->sha256) &&
           c_text(&c[1], f->version, sizeof f->version) && c_u32(&c[2], &f->sec_cnt) &&
           c_u32(&c[3], &f->size) && c_text(&c[4], f->uploaded_by, sizeof f->uploaded_by) &&
           c_int(&c[5], &f->uploaded_at);
}

typedef struct fw_ctx {
    ms_fw_cb cb;
    void *ctx;
    ms_fw_rec_t *one;
    bool found;
} fw_ctx_t;

static ms_err_t fw_each(void *ctx, const ms_sql_val_t *c, size_t n)
{
    fw_ctx_t *x = ctx;
    ms_fw_rec_t f;
    if (!fw_row(c, n, &f)) {
        return MS_ERR_CLOUD_DB;
    }
    x->found = true;
    if (x->one != NULL) {
        *x->one = f;
        return MS_OK;
    }
    return x->cb(x->ctx, &f);
}

ms_err_t ms_ota_fw_put(ms_db_t *db, const ms_fw_rec_t *f, const uint8_t *image, bool *stored)
{
    ms_sql_val_t p[] = {T(f->sha256), T(f->version), I(f->sec_cnt), I(f->size),
                        B(image, f->size), T(f->uploaded_by), I(f->uploaded_at)};
    uint64_t changes = 0;
    ms_err_t err = q(db,
                     "INSERT INTO firmware (" FW_COLS ", image) VALUES ($1, $2, $3, $4, $6, $7, $5)"
                     " ON CONFLICT (sha256) DO NOTHING",
                     p, 7, NULL, NULL, &changes);
    *stored = err == MS_OK && changes == 1;
    return err;
}

ms_err_t ms_ota_fw_get(ms_db_t *db, const char *sha256, ms_fw_rec_t *f)
{
    fw_ctx_t x = {.one = f};
    ms_sql_val_t p[] = {T(sha256)};
    ms_err_t err = q(db, "SELECT " FW_COLS " FROM firmware WHERE sha256 = $1", p, 1, fw_each, &x,
                     NULL);
    return err != MS_OK ? err : x.found ? MS_OK : MS_ERR_NOT_FOUND;
}

typedef struct blob_ctx {
    uint8_t *p;
    size_t n;
} blob_ctx_t;

static ms_err_t blob_one(void *ctx, const ms_sql_val_t *c, size_t n)
{
    blob_ctx_t *b = ctx;
    if (n != 1 || c[0].t != MS_SQL_BLOB || b->p != NULL) {
        return MS_ERR_CLOUD_DB;
    }
    b->p = malloc(c[0].n ? c[0].n : 1);
    if (b->p == NULL) {
        return MS_ERR_INTERNAL;
    }
    memcpy(b->p, c[0].p, c[0].n);
    b->n = c[0].n;
    return MS_OK;
}

ms_err_t ms_ota_fw_image(ms_db_t *db, const char *sha256, uint8_t **image, size_t *len)
{
    blob_ctx_t b = {0};
    ms_sql_val_t p[] = {T(sha256)};
    ms_err_t err = q(db, "SELECT image FROM firmware WHERE sha256 = $1", p, 1, blob_one, &b,
                     NULL);
    if (err == MS_OK && b.p == NULL) {
        err = MS_ERR_NOT_FOUND;
    }
    if (err != MS_OK) {
        free(b.p);
        return err;
    }
    *image = b.p;
    *len = b.n;
    return MS_OK;
}

ms_err_t ms_ota_fw_page(ms_db_t *db, const char *after_sha256, uint32_t limit, ms_fw_cb cb,
                        void *ctx)
{
    fw_ctx_t x = {.cb = cb, .ctx = ctx};
    ms_sql_val_t p[] = {T(after_sha256 != NULL ? after_sha256 : ""), I(limit)};
    /* the cursor is a hash; the order is the upload's (time, then hash) */
    return q(db,
             "SELECT " FW_COLS " FROM firmware WHERE CAST($1 AS TEXT) = ''"
             " OR (uploaded_at, sha256) > (SELECT uploaded_at, sha256 FROM firmware"
             " WHERE sha256 = $1) ORDER BY uploaded_at, sha256 LIMIT $2",
             p, 2, fw_each, &x, NULL);
}

ms_err_t ms_ota_fw_max_sec_cnt(ms_db_t *db, uint32_t *max)
{
    int64_t v = 0;
    ms_err_t err = q(db, "SELECT max(sec_cnt) FROM firmware WHERE sha256 IN"
                         " (SELECT firmware_sha256 FROM campaigns WHERE state <> 'created'"
                         " AND wave_state <> 'pending')",
                     NULL, 0, one_int, &v, NULL);
    *max = err == MS_OK && v > 0 && v <= (int64_t)UINT32_MAX ? (uint32_t)v : 0;
    return err;
}

/* ---- campaigns ---------------------------------------------------------------------------- */

#define C_COLS                                                                          \
    "id, name, firmware_sha256, state, target, waves, success_pm, failure_pm, max_retries," \
    " wave, wave_state, created_by, created_at"

static bool waves_parse(const char *s, ms_campaign_rec_t *c)
{
    c->n_waves = 0;
    while (*s != '\0') {
        char *end = NULL;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v > 100 || c->n_waves == MS_OTA_WAVES_MAX) {
            return false;
        }
        c->waves[c->n_waves++] = (uint32_t)v;
        s = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0') {
            return false;
        }
    }
    return c->n_waves > 0;
}

static bool c_row(const ms_sql_val_t *c, size_t n, ms_campaign_rec_t *r)
{
    char waves[64];
    memset(r, 0, sizeof *r);
    return n == 13 && c_int(&c[0], &r->id) && c_text(&c[1], r->name, sizeof r->name) &&
           c_text(&c[2], r->firmware_sha256, sizeof r->firmware_sha256) &&
           c_text(&c[3], r->state, sizeof r->state) && c_text(&c[4], r->target, sizeof r->target) &&
           c_text(&c[5], waves, sizeof waves) && waves_parse(waves, r) &&
           c_u32(&c[6], &r->success_pm) && c_u32(&c[7], &r->failure_pm) &&
           c_u32(&c[8], &r->max_retries) && c_u32(&c[9], &r->wave) &&
           c_text(&c[10], r->wave_state, sizeof r->wave_state) &&
           c_text(&c[11], r->created_by, sizeof r->created_by) && c_int(&c[12], &r->created_at);
}

typedef struct c_ctx {
    ms_campaign_cb cb;
    void *ctx;
    ms_campaign_rec_t *one;
    bool found;
} c_ctx_t;

static ms_err_t c_each(void *ctx, const ms_sql_val_t *c, size_t n)
{
    c_ctx_t *x = ctx;
    ms_campaign_rec_t *r = malloc(sizeof *r);
    if (r == NULL) {
        return MS_ERR_INTERNAL;
    }
    ms_err_t err = c_row(c, n, r) ? MS_OK : MS_ERR_CLOUD_DB;
    if (err == MS_OK) {
        x->found = true;
        if (x->one != NULL) {
            *x->one = *r;
        } else {
            err = x->cb(x->ctx, r);
        }
    }
    free(r);
    return err;
}

ms_err_t ms_ota_campaign_add(ms_db_t *db, ms_campaign_rec_t *rec)
{
    char waves[64] = "";
    size_t at = 0;
    for (uint32_t i = 0; i < rec->n_waves && i < MS_OTA_WAVES_MAX; i++) {
        at += (size_t)snprintf(waves + at, sizeof waves - at, "%s%u", i ? "," : "",
                               rec->waves[i]);
    }
    int64_t id = 0;
    ms_err_t err = q(db, "SELECT max(id) FROM campaigns", NULL, 0, one_int, &id, NULL);
    if (err == MS_OK) {
        rec->id = id + 1;
        ms_sql_val_t p[] = {I(rec->id), T(rec->name), T(rec->firmware_sha256), T(rec->state),
                            T(rec->target), T(waves), I(rec->success_pm), I(rec->failure_pm),
                            I(rec->max_retries), I(rec->wave), T(rec->wave_state),
                            T(rec->created_by), I(rec->created_at)};
        err = q(db,
                "INSERT INTO campaigns (" C_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
                " $10, $11, $12, $13)",
                p, 13, NULL, NULL, NULL);
    }
    return err;
}

ms_err_t ms_ota_campaign_get(ms_db_t *db, int64_t id, ms_campaign_rec_t *rec)
{
    c_ctx_t x = {.one = rec};
    ms_sql_val_t p[] = {I(id)};
    ms_err_t err = q(db, "SELECT " C_COLS " FROM campaigns WHERE id = $1", p, 1, c_each, &x, NULL);
    return err != MS_OK ? err : x.found ? MS_OK : MS_ERR_NOT_FOUND;
}

ms_err_t ms_ota_campaign_page(ms_db_t *db, int64_t after, uint32_t limit, ms_campaign_cb cb,
                              void *ctx)
{
    c_ctx_t x = {.cb = cb, .ctx = ctx};
    ms_sql_val_t p[] = {I(after), I(limit)};
    return q(db, "SELECT " C_COLS " FROM campaigns WHERE id > $1 ORDER BY id LIMIT $2", p, 2,
             c_each, &x, NULL);
}

ms_err_t ms_ota_campaigns_unoffered(ms_db_t *db, ms_campaign_cb cb, void *ctx)
{
    c_ctx_t x = {.cb = cb, .ctx = ctx};
    /* from the kept counts: a few rows per campaign, however large */
    return q(db, "SELECT " C_COLS " FROM campaigns c WHERE state = 'running' AND EXISTS"
                 " (SELECT 1 FROM campaign_counts k WHERE k.campaign_id = c.id"
                 " AND k.wave = c.wave AND k.state = 'queued' AND k.offered = 0 AND k.n > 0)"
                 " ORDER BY id",
             NULL, 0, c_each, &x, NULL);
}

ms_err_t ms_ota_campaign_set_state(ms_db_t *db, const ms_campaign_rec_t *was, const char *state,
                                   uint32_t wave, const char *wave_state)
{
    ms_sql_val_t p[] = {I(was->id), T(state), I(wave), T(wave_state), T(was->state), I(was->wave),
                        T(was->wave_state)};
    uint64_t changes = 0;
    ms_err_t err = q(db, "UPDATE campaigns SET state = $2, wave = $3, wave_state = $4"
                         " WHERE id = $1 AND state = $5 AND wave = $6 AND wave_state = $7",
                     p, 7, NULL, NULL, &changes);
    return err == MS_OK && changes != 1 ? MS_ERR_STATE : err;
}

ms_err_t ms_ota_campaign_release(ms_db_t *db, const ms_campaign_rec_t *was, uint32_t floor,
                                 const char *state, uint32_t wave, const char *wave_state,
                                 uint32_t *sec_cnt, uint32_t *fleet)
{
    ms_fw_rec_t fw;
    uint32_t released = 0;
    *sec_cnt = 0;
    *fleet = floor;
    ms_err_t err = db->ops->tx(db->s, MS_SQL_BEGIN_SERIAL);
    if (err != MS_OK) {
        return err;
    }
    err = ms_ota_fw_get(db, was->firmware_sha256, &fw);
    if (err == MS_OK) {
        err = ms_ota_fw_max_sec_cnt(db, &released);
    }
    if (err == MS_OK) {
        *sec_cnt = fw.sec_cnt;
        *fleet = released > floor ? released : floor;
        err = fw.sec_cnt < *fleet ? MS_ERR_BOOT_ROLLBACK : MS_OK;
    }
    if (err == MS_OK) {
        err = ms_ota_campaign_set_state(db, was, state, wave, wave_state);
    }
    if (err == MS_OK) {
        err = db->ops->tx(db->s, MS_SQL_COMMIT);
    }
    if (err != MS_OK) {
        db->ops->tx(db->s, MS_SQL_ROLLBACK);
    }
    return err;
}

/* ---- campaign meters ----------------------------------------------------------------------- */

#define CM_COLS                                                                             \
    "campaign_id, meter_id, wave, state, offered, progress, result, reason, retries, updated_at," \
    " status_seq, reoffers"

static bool cm_row(const ms_sql_val_t *c, size_t n, ms_cm_rec_t *m)
{
    int64_t offered = 0;
    memset(m, 0, sizeof *m);
    int64_t seq = 0;
    bool ok = n == 12 && c_int(&c[0], &m->campaign_id) &&
              c_text(&c[1], m->meter_id, sizeof m->meter_id) && c_u32(&c[2], &m->wave) &&
              c_text(&c[3], m->state, sizeof m->state) && c_int(&c[4], &offered) &&
              c_u32(&c[5], &m->progress) && c_u32(&c[6], &m->result) &&
              c_text(&c[7], m->reason, sizeof m->reason) && c_u32(&c[8], &m->retries) &&
              c_int(&c[9], &m->updated_at) && c_int(&c[10], &seq) && seq >= 0 &&
              c_u32(&c[11], &m->reoffers);
    m->offered = offered != 0;
    m->status_seq = (uint64_t)seq;
    return ok;
}

typedef struct cm_ctx {
    ms_cm_cb cb;
    void *ctx;
    ms_cm_rec_t *one;
    bool found;
} cm_ctx_t;

static ms_err_t cm_each(void *ctx, const ms_sql_val_t *c, size_t n)
{
    cm_ctx_t *x = ctx;
    ms_cm_rec_t m;
    if (!cm_row(c, n, &m)) {
        return MS_ERR_CLOUD_DB;
    }
    x->found = true;
    if (x->one != NULL) {
        *x->one = m;
        return MS_OK;
    }
    return x->cb(x->ctx, &m);
}

ms_err_t ms_ota_cm_add(ms_db_t *db, const ms_cm_rec_t *m)
{
    ms_sql_val_t p[] = {I(m->campaign_id), T(m->meter_id), I(m->wave), T(m->state),
                        I(m->offered ? 1 : 0), I(m->progress), I(m->result), T(m->reason),
                        I(m->retries), I(m->updated_at), I((int64_t)m->status_seq)};
    return q(db, "INSERT INTO campaign_meters (campaign_id, meter_id, wave, state, offered,"
                 " progress, result, reason, retries, updated_at, status_seq)"
                 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
             p, 11, NULL, NULL, NULL);
}

ms_err_t ms_ota_cm_get(ms_db_t *db, int64_t campaign_id, const char *meter_id, ms_cm_rec_t *m)
{
    cm_ctx_t x = {.one = m};
    ms_sql_val_t p[] = {I(campaign_id), T(meter_id)};
    ms_err_t err = q(db, "SELECT " CM_COLS " FROM campaign_meters WHERE campaign_id = $1 AND"
                         " meter_id = $2",
                     p, 2, cm_each, &x, NULL);
    return err != MS_OK ? err : x.found ? MS_OK : MS_ERR_NOT_FOUND;
}

/* Append the row's new state to the meter's history (in the caller's
 * transaction). */
static ms_err_t history_add(ms_db_t *db, const ms_cm_rec_t *m)
{
    int64_t last = 0;
    ms_sql_val_t h[] = {T(m->meter_id)};
    ms_err_t err = q(db, "SELECT max(n) FROM update_history WHERE meter_id = $1", h, 1, one_int,
                     &last, NULL);
    if (err == MS_OK) {
        ms_sql_val_t r[] = {T(m->meter_id), I(m->campaign_id), T(m->state), I(m->result),
                            T(m->reason), I(m->updated_at), I(last + 1)};
        err = q(db, "INSERT INTO update_history (meter_id, campaign_id, state, result, reason, at,"
                    " n) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                r, 7, NULL, NULL, NULL);
    }
    return err;
}

ms_err_t ms_ota_cm_update(ms_db_t *db, const ms_cm_rec_t *was, ms_cm_match_t match,
                          const ms_cm_rec_t *m, const ms_cm_rec_t *then)
{
    if (was->campaign_id != m->campaign_id || strcmp(was->meter_id, m->meter_id) != 0 ||
        (then != NULL && (then->campaign_id != m->campaign_id ||
                          strcmp(then->meter_id, m->meter_id) != 0)) ||
        (match != MS_CM_SAME_ROW && match != MS_CM_SAME_ATTEMPT)) {
        return MS_ERR_ARG;
    }
    bool same_row = match == MS_CM_SAME_ROW;
    if (!same_row && !was->offered) {
        return MS_ERR_STATE;   /* a report needs an offer */
    }
    /* $11: was's state (a row change) or the report's number (a report) */
    ms_sql_val_t p[] = {I(m->campaign_id), T(m->meter_id), T(m->state), I(m->offered ? 1 : 0),
                        I(m->progress), I(m->result), T(m->reason), I(m->retries),
                        I(m->updated_at), I(was->retries),
                        same_row ? T(was->state) : I((int64_t)m->status_seq),
                        I(was->offered ? 1 : 0)};
    uint64_t changes = 0;
    ms_err_t err = db->ops->tx(db->s, MS_SQL_BEGIN);
    if (err == MS_OK) {
        /* the WHERE is evaluated on the row as committed when the update
         * takes it (PostgreSQL re-checks a row another transaction changed;
         * SQLite has one writer): a stale `was` changes nothing */
        err = q(db, same_row ? "UPDATE campaign_meters SET state = $3, offered = $4,"
                               " progress = $5, result = $6, reason = $7, retries = $8,"
                               " updated_at = $9 WHERE campaign_id = $1 AND meter_id = $2"
                               " AND retries = $10 AND state = $11 AND offered = $12"
                             : "UPDATE campaign_meters SET state = $3, offered = $4,"
                               " progress = $5, result = $6, reason = $7, retries = $8,"
                               " updated_at = $9, status_seq = $11 WHERE campaign_id = $1"
                               " AND meter_id = $2 AND retries = $10 AND offered = 1"
                               " AND state NOT IN ('success', 'failed', 'reverted')"
                               /* numbered: above the last; not numbered: none was */
                               " AND (status_seq < $11 OR ($11 = 0 AND status_seq = 0))",
                p, same_row ? 12 : 11, NULL, NULL, &changes);
    }
    if (err == MS_OK && changes != 1) {
        err = MS_ERR_STATE;
    }
    if (err == MS_OK) {
        err = history_add(db, m);
    }
    if (err == MS_OK && then != NULL) {
        /* the row is this transaction's now: no other writer sees m */
        ms_sql_val_t t[] = {I(then->campaign_id), T(then->meter_id), T(then->state),
                            I(then->offered ? 1 : 0), I(then->progress), I(then->result),
                            T(then->reason), I(then->retries), I(then->updated_at)};
        /* a retry: a new attempt, whose offer is re-sent afresh */
        err = q(db, "UPDATE campaign_meters SET state = $3, offered = $4, progress = $5,"
                    " result = $6, reason = $7, retries = $8, updated_at = $9, reoffers = 0"
                    " WHERE campaign_id = $1 AND meter_id = $2",
                t, 9, NULL, NULL, NULL);
        if (err == MS_OK) {
            err = history_add(db, then);
        }
    }
    if (err == MS_OK) {
        err = db->ops->tx(db->s, MS_SQL_COMMIT);
    }
    if (err != MS_OK) {
        db->ops->tx(db->s, MS_SQL_ROLLBACK);
    }
    return err;
}

ms_err_t ms_ota_cm_page(ms_db_t *db, int64_t campaign_id, const ms_cm_page_t *page,
                        ms_cm_cb cb, void *ctx)
{
    cm_ctx_t x = {.cb = cb, .ctx = ctx};
    ms_sql_val_t p[] = {I(campaign_id), T(page->after != NULL ? page->after : ""),
                        T(page->state != NULL ? page->state : ""), I(page->wave),
                        I(page->limit)};
    /* the primary key (campaign_id, meter_id) walks the page in order; the
     * filters are applied on the way */
    return q(db,
             "SELECT " CM_COLS " FROM campaign_meters WHERE campaign_id = $1 AND meter_id > $2"
             " AND (CAST($3 AS TEXT) = '' OR state = $3)"
             " AND (CAST($4 AS BIGINT) < 0 OR wave = $4) ORDER BY meter_id LIMIT $5",
             p, 5, cm_each, &x, NULL);
}

ms_err_t ms_ota_cm_unanswered(ms_db_t *db, int64_t offered_before, uint32_t limit, ms_cm_cb cb,
                              void *ctx)
{
    cm_ctx_t x = {.cb = cb, .ctx = ctx};
    ms_sql_val_t p[] = {I(offered_before), I(limit)};
    /* The due rows through their partial index (migration 7), which also
     * gives the order, oldest offer first; seen: a
     * status report (meter_info) or the newest reading (by seq, the
     * readings' key: one row) arrived after the offer was sent. */
    return q(db,
             "SELECT " CM_COLS " FROM campaign_meters cm WHERE offered = 1 AND state = 'queued'"
             " AND updated_at <= $1"
             " AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = cm.campaign_id"
             "             AND c.state = 'running' AND c.wave = cm.wave)"
             " AND (EXISTS (SELECT 1 FROM meter_info i WHERE i.meter_id = cm.meter_id"
             "              AND i.last_seen > cm.updated_at)"
             "   OR (SELECT r.received_at FROM readings r WHERE r.meter_id = cm.meter_id"
             "       ORDER BY r.seq DESC LIMIT 1) > cm.updated_at)"
             " ORDER BY updated_at LIMIT $2",
             p, 2, cm_each, &x, NULL);
}

ms_err_t ms_ota_cm_reoffered(ms_db_t *db, const ms_cm_rec_t *was, int64_t at)
{
    ms_sql_val_t p[] = {I(was->campaign_id), T(was->meter_id), I(at), I(was->retries),
                        I(was->updated_at), I(was->reoffers)};
    uint64_t changes = 0;
    ms_err_t err = q(db, "UPDATE campaign_meters SET updated_at = $3, reoffers = reoffers + 1"
                         " WHERE campaign_id = $1 AND meter_id = $2 AND offered = 1"
                         " AND state = 'queued' AND retries = $4 AND updated_at = $5"
                         " AND reoffers = $6",
                     p, 6, NULL, NULL, &changes);
    return err == MS_OK && changes != 1 ? MS_ERR_STATE : err;
}

typedef struct count_ctx {
    uint32_t *counts;
    uint32_t total;
    uint32_t offered;
} count_ctx_t;

static ms_err_t count_each(void *ctx, const ms_sql_val_t *c, size_t n)
{
    count_ctx_t *x = ctx;
    char state[MS_OTA_STATE_MAX + 1];
    int64_t offered = 0, k = 0;
    uint32_t st = 0;
    if (n != 3 || !c_text(&c[0], state, sizeof state) || !c_int(&c[1], &offered) ||
        !c_int(&c[2], &k) || k < 0 || k > UINT32_MAX) {
        return MS_ERR_CLOUD_DB;
    }
    if (ms_link_upd_state_parse(state, &st) == MS_OK) {
        x->counts[st] += (uint32_t)k;
    }
    x->total += (uint32_t)k;
    if (offered) {
        x->offered += (uint32_t)k;
    }
    return MS_OK;
}

ms_err_t ms_ota_cm_counts(ms_db_t *db, int64_t campaign_id, int64_t wave,
                          uint32_t counts[MS_LINK_UPD_STATE_COUNT_], uint32_t *total,
                          uint32_t *offered)
{
    memset(counts, 0, MS_LINK_UPD_STATE_COUNT_ * sizeof counts[0]);
    count_ctx_t x = {.counts = counts};
    ms_sql_val_t p[] = {I(campaign_id), I(wave)};
    ms_err_t err = q(db, "SELECT state, offered, CAST(sum(n) AS BIGINT) FROM campaign_counts"
                         " WHERE campaign_id = $1 AND (CAST($2 AS BIGINT) < 0 OR wave = $2)"
                         " GROUP BY state, offered",
                     p, 2, count_each, &x, NULL);
    *total = x.total;
    if (offered != NULL) {
        *offered = x.offered;
    }
    return err;
}

ms_err_t ms_ota_cm_current(ms_db_t *db, const char *meter_id, ms_cm_rec_t *m)
{
    cm_ctx_t x = {.one = m};
    ms_sql_val_t p[] = {T(meter_id)};
    ms_err_t err = q(db, "SELECT cm.campaign_id, cm.meter_id, cm.wave, cm.state, cm.offered,"
                         " cm.progress, cm.result, cm.reason, cm.retries, cm.updated_at,"
                         " cm.status_seq, cm.reoffers"
                         " FROM campaign_meters cm JOIN campaigns c ON c.id = cm.campaign_id"
                         " WHERE cm.meter_id = $1 ORDER BY cm.campaign_id DESC LIMIT 1",
                     p, 1, cm_each, &x, NULL);
    return err != MS_OK ? err : x.found ? MS_OK : MS_ERR_NOT_FOUND;
}

typedef struct hist_ctx {
    ms_hist_cb cb;
    void *ctx;
} hist_ctx_t;

static ms_err_t hist_each(void *ctx, const ms_sql_val_t *c, size_t n)
{
    hist_ctx_t *x = ctx;
    ms_hist_rec_t h;
    memset(&h, 0, sizeof h);
    if (n != 5 || !c_int(&c[0], &h.campaign_id) || !c_text(&c[1], h.state, sizeof h.state) ||
        !c_u32(&c[2], &h.result) || !c_text(&c[3], h.reason, sizeof h.reason) ||
        !c_int(&c[4], &h.at)) {
        return MS_ERR_CLOUD_DB;
    }
    return x->cb(x->ctx, &h);
}

ms_err_t ms_ota_history(ms_db_t *db, const char *meter_id, uint32_t limit, ms_hist_cb cb,
                        void *ctx)
{
    hist_ctx_t x = {cb, ctx};
    ms_sql_val_t p[] = {T(meter_id), I(limit)};
    return q(db, "SELECT campaign_id, state, result, reason, at FROM update_history"
                 " WHERE meter_id = $1 ORDER BY n LIMIT $2",
             p, 2, hist_each, &x, NULL);
}

/* ---- audit ------------------------------------------------------------------------------------ */

ms_err_t ms_ota_audit_add(ms_db_t *db, int64_t at, const char *who, const char *action,
                          const char *detail)
{
    int64_t last = 0;
    ms_err_t err = q(db, "SELECT max(n) FROM audit", NULL, 0, one_int, &last, NULL);
    if (err == MS_OK) {
        ms_sql_val_t p[] = {I(last + 1), I(at), T(who), T(action), T(detail)};
        err = q(db, "INSERT INTO audit (n, at, who, action, detail) VALUES ($1, $2, $3, $4, $5)",
                p, 5, NULL, NULL, NULL);
    }
    return err;
}

ms_err_t ms_ota_audit(ms_db_t *db, int64_t at, const char *who, const char *action,
                      const char *detail)
{
    ms_err_t err = db->ops->tx(db->s, MS_SQL_BEGIN);
    if (err == MS_OK) {
        err = ms_ota_audit_add(db, at, who, action, detail);
    }
    if (err == MS_OK) {
        err = db->ops->tx(db->s, MS_SQL_COMMIT);
    }
    if (err != MS_OK) {
        db->ops->tx(db->s, MS_SQL_ROLLBACK);
    }
    return err;
}

typedef struct audit_ctx {
    ms_audit_cb cb;
    void *ctx;
} audit_ctx_t;

static ms_err_t audit_each(void *ctx, const ms_sql_val_t *c, size_t n)
{
    audit_ctx_t *x = ctx;
    ms_audit_rec_t a;
    memset(&a, 0, sizeof a);
    if (n != 4 || !c_int(&c[0], &a.at) || !c_text(&c[1], a.who, sizeof a.who) ||
        !c_text(&c[2], a.action, sizeof a.action) || !c_text(&c[3], a.detail, sizeof a.detail)) {
        return MS_ERR_CLOUD_DB;
    }
    return x->cb(x->ctx, &a);
}

ms_err_t ms_ota_audit_list(ms_db_t *db, uint32_t limit, ms_audit_cb cb, void *ctx)
{
    audit_ctx_t x = {cb, ctx};
    ms_sql_val_t p[] = {I(limit)};
    return q(db, "SELECT at, who, action, detail FROM audit ORDER BY n DESC LIMIT $1", p, 1,
             audit_each, &x, NULL);
}

/* ---- meter group, version, last seen ---------------------------------------------------------- */

static ms_err_t info_each(void *ctx, const ms_sql_val_t *c, size_t n)
{
    ms_meter_info_t *i = ctx;
    return n == 3 && c_text(&c[0], i->group, sizeof i->group) &&
                   c_text(&c[1], i->version, sizeof i->version) && c_int(&c[2], &i->last_seen)
               ? MS_OK
               : MS_ERR_CLOUD_DB;
}

ms_err_t ms_ota_meter_info_get(ms_db_t *db, const char *meter_id, ms_meter_info_t *info)
{
    memset(info, 0, sizeof *info);
    ms_sql_val_t p[] = {T(meter_id)};
    int64_t newest = 0;
    ms_err_t err = q(db, "SELECT grp, version, last_seen FROM meter_info WHERE meter_id = $1", p,
                     1, info_each, info, NULL);
    /* the newest reading's arrival counts as seen too. Newest by seq, which
     * the TEE counts: the time is the meter's clock, which the Non-secure
     * world sets, and a reading dated far ahead must not hide later ones. */
    if (err == MS_OK) {
        err = q(db, "SELECT received_at FROM readings WHERE meter_id = $1"
                    " ORDER BY seq DESC LIMIT 1",
                p, 1, one_int, &newest, NULL);
    }
    if (err == MS_OK && newest > info->last_seen) {
        info->last_seen = newest;
    }
    return err;
}

ms_err_t ms_ota_meter_set_group(ms_db_t *db, const char *meter_id, const char *group)
{
    ms_sql_val_t p[] = {T(meter_id), T(group)};
    return q(db, "INSERT INTO meter_info (meter_id, grp, version, last_seen) VALUES ($1, $2, '', 0)"
                 " ON CONFLICT (meter_id) DO UPDATE SET grp = excluded.grp",
             p, 2, NULL, NULL, NULL);
}

ms_err_t ms_ota_meter_set_version(ms_db_t *db, const char *meter_id, const char *version)
{
    ms_sql_val_t p[] = {T(meter_id), T(version)};
    return q(db, "INSERT INTO meter_info (meter_id, grp, version, last_seen) VALUES ($1, '', $2, 0)"
                 " ON CONFLICT (meter_id) DO UPDATE SET version = excluded.version",
             p, 2, NULL, NULL, NULL);
}

ms_err_t ms_ota_meter_seen(ms_db_t *db, const char *meter_id, int64_t at)
{
    ms_sql_val_t p[] = {T(meter_id), I(at)};
    return q(db, "INSERT INTO meter_info (meter_id, grp, version, last_seen) VALUES ($1, '', '', $2)"
                 " ON CONFLICT (meter_id) DO UPDATE SET last_seen = excluded.last_seen",
             p, 2, NULL, NULL, NULL);
}

typedef struct id_ctx {
    ms_id_cb cb;
    void *ctx;
} id_ctx_t;

static ms_err_t id_each(void *ctx, const ms_sql_val_t *c, size_t n)
{
    id_ctx_t *x = ctx;
    char id[MS_LINK_METER_ID_MAX + 1];
    if (n != 1 || !c_text(&c[0], id, sizeof id)) {
        return MS_ERR_CLOUD_DB;
    }
    return x->cb(x->ctx, id);
}

ms_err_t ms_ota_meters_all(ms_db_t *db, ms_id_cb cb, void *ctx)
{
    id_ctx_t x = {cb, ctx};
    return q(db, "SELECT id FROM meters ORDER BY id", NULL, 0, id_each, &x, NULL);
}

ms_err_t ms_ota_meters_in_group(ms_db_t *db, const char *group, ms_id_cb cb, void *ctx)
{
    id_ctx_t x = {cb, ctx};
    ms_sql_val_t p[] = {T(group)};
    return q(db, "SELECT m.id FROM meters m JOIN meter_info i ON i.meter_id = m.id"
                 " WHERE i.grp = $1 ORDER BY m.id",
             p, 1, id_each, &x, NULL);
}

ms_err_t ms_ota_meters_with_version(ms_db_t *db, const char *version, ms_id_cb cb, void *ctx)
{
    id_ctx_t x = {cb, ctx};
    ms_sql_val_t p[] = {T(version)};
    return q(db, "SELECT m.id FROM meters m JOIN meter_info i ON i.meter_id = m.id"
                 " WHERE i.version = $1 ORDER BY m.id",
             p, 1, id_each, &x, NULL);
}
