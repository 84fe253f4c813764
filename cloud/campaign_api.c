/* SPDX-License-Identifier: Apache-2.0 */
/*
 * campaign_api.c - the update API's handlers (see campaign_api.h and
 * docs/ota.md section 5).
 *
 * Invariants:
 *   - Only the operator role changes anything (POST) or reads the audit.
 *   - Every body and query parameter is bounded and checked before use;
 *     a bad one is 400 with a reason, never a crash.
 *   - Errors are {"error": "<code>", "reason": "<text>"}, as on every route;
 *     an illegal campaign transition is 409.
 */
#include "campaign_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_params.h"
#include "log.h"
#include "x509.h"

#define ONLINE_WINDOW 300   /* seconds since last seen for "online" */
#define PAGE_DEFAULT  100u  /* records of a listing when ?limit= is absent */
#define PAGE_MAX      1000u

static void answer(unsigned *status, json_t **json, unsigned st, json_t *j)
{
    *status = j != NULL ? st : 500;
    *json = j != NULL ? j : json_pack("{s:s, s:s}", "error", "internal", "reason", "out of memory");
}

/* {"error": "<code>", "reason": "<text>"}, as every route of the API. */
static void error(unsigned *status, json_t **json, unsigned st, const char *reason)
{
    const char *code = st == 400   ? "bad_request"
                       : st == 403 ? "forbidden"
                       : st == 404 ? "not_found"
                       : st == 405 ? "method_not_allowed"
                       : st == 409 ? "conflict"
                       : st == 503 ? "unavailable"
                                   : "internal";
    answer(status, json, st, json_pack("{s:s, s:s}", "error", code, "reason", reason));
}

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

bool ms_campaign_api_big_body(const char *url)
{
    return url != NULL && strcmp(url, "/api/v1/firmware") == 0;
}

/* ---- JSON objects --------------------------------------------------------------------- */

static json_t *fw_json(const ms_fw_rec_t *f)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:I}", "sha256", f->sha256, "version", f->version,
                     "security_counter", (json_int_t)f->sec_cnt, "size", (json_int_t)f->size,
                     "uploaded_by", f->uploaded_by, "uploaded_at", (json_int_t)f->uploaded_at);
}

static ms_err_t fw_add(void *ctx, const ms_fw_rec_t *f)
{
    json_t *o = fw_json(f);
    return o != NULL && json_array_append_new(ctx, o) == 0 ? MS_OK : MS_ERR_INTERNAL;
}

typedef struct c_json_ctx {
    ms_cloud_t *c;
    json_t *list;
} c_json_ctx_t;

static json_t *campaign_json(ms_cloud_t *c, const ms_campaign_rec_t *r)
{
    uint32_t n[MS_LINK_UPD_STATE_COUNT_], total = 0;
    if (ms_ota_cm_counts(&c->db, r->id, -1, n, &total, NULL) != MS_OK) {
        return NULL;
    }
    ms_fw_rec_t fw;
    if (ms_ota_fw_get(&c->db, r->firmware_sha256, &fw) != MS_OK) {
        snprintf(fw.version, sizeof fw.version, "?");
    }
    uint32_t progress = n[MS_LINK_UPD_DOWNLOADING] + n[MS_LINK_UPD_DOWNLOADED] +
                        n[MS_LINK_UPD_VERIFYING] + n[MS_LINK_UPD_INSTALLING];
    json_t *target = json_loads(r->target, JSON_REJECT_DUPLICATES, NULL);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "id",
                     (json_int_t)r->id, "name", r->name, "state", r->state, "firmware_sha256",
                     r->firmware_sha256, "version", fw.version, "created_by", r->created_by,
                     "created_at", (json_int_t)r->created_at, "total", (json_int_t)total,
                     "success", (json_int_t)n[MS_LINK_UPD_SUCCESS], "failed",
                     (json_int_t)n[MS_LINK_UPD_FAILED], "reverted",
                     (json_int_t)n[MS_LINK_UPD_REVERTED], "in_progress", (json_int_t)progress,
                     "target", target != NULL ? target : json_null());
}

static ms_err_t c_add(void *ctx, const ms_campaign_rec_t *r)
{
    c_json_ctx_t *x = ctx;
    json_t *o = campaign_json(x->c, r);
    return o != NULL && json_array_append_new(x->list, o) == 0 ? MS_OK : MS_ERR_INTERNAL;
}

static json_t *waves_json(ms_cloud_t *c, const ms_campaign_rec_t *r)
{
    json_t *list = json_array();
    for (uint32_t w = 0; list != NULL && w < r->n_waves; w++) {
        uint32_t n[MS_LINK_UPD_STATE_COUNT_], total = 0;
        if (ms_ota_cm_counts(&c->db, r->id, w, n, &total, NULL) != MS_OK) {
            json_decref(list);
            return NULL;
        }
        const char *state = w < r->wave ? "done" : w > r->wave ? "pending" : r->wave_state;
        json_t *o = json_pack(
            "{s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "index",
            (json_int_t)w, "percent", (json_int_t)r->waves[w], "state", state, "total",
            (json_int_t)total, "queued", (json_int_t)n[MS_LINK_UPD_QUEUED], "downloading",
            (json_int_t)n[MS_LINK_UPD_DOWNLOADING], "downloaded",
            (json_int_t)n[MS_LINK_UPD_DOWNLOADED], "verifying",
            (json_int_t)n[MS_LINK_UPD_VERIFYING], "installing",
            (json_int_t)n[MS_LINK_UPD_INSTALLING], "success", (json_int_t)n[MS_LINK_UPD_SUCCESS],
            "failed", (json_int_t)n[MS_LINK_UPD_FAILED], "reverted",
            (json_int_t)n[MS_LINK_UPD_REVERTED]);
        if (o == NULL || json_array_append_new(list, o) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static ms_err_t cm_add(void *ctx, const ms_cm_rec_t *m)
{
    json_t *o = json_pack("{s:s, s:I, s:s, s:I, s:I, s:s, s:I, s:I}", "meter_id", m->meter_id,
                          "wave", (json_int_t)m->wave, "state", m->state, "progress",
                          (json_int_t)m->progress, "result", (json_int_t)m->result, "reason",
                          m->reason, "retries", (json_int_t)m->retries, "updated_at",
                          (json_int_t)m->updated_at);
    return o != NULL && json_array_append_new(ctx, o) == 0 ? MS_OK : MS_ERR_INTERNAL;
}

static ms_err_t hist_add(void *ctx, const ms_hist_rec_t *h)
{
    json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:I}", "campaign_id", (json_int_t)h->campaign_id,
                          "state", h->state, "result", (json_int_t)h->result, "reason", h->reason,
                          "at", (json_int_t)h->at);
    return o != NULL && json_array_append_new(ctx, o) == 0 ? MS_OK : MS_ERR_INTERNAL;
}

static ms_err_t audit_add(void *ctx, const ms_audit_rec_t *a)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "at", (json_int_t)a->at, "who", a->who,
                          "action", a->action, "detail", a->detail);
    return o != NULL && json_array_append_new(ctx, o) == 0 ? MS_OK : MS_ERR_INTERNAL;
}

void ms_campaign_api_meter_fields(ms_cloud_t *c, const char *meter_id, json_t *o)
{
    ms_meter_info_t info;
    ms_cm_rec_t cm;
    if (o == NULL || ms_ota_meter_info_get(&c->db, meter_id, &info) != MS_OK) {
        return;
    }
    bool in_campaign = ms_ota_cm_current(&c->db, meter_id, &cm) == MS_OK;
    json_object_set_new(o, "version", json_string(info.version));
    json_object_set_new(o, "group", json_string(info.group));
    json_object_set_new(o, "last_seen", json_integer((json_int_t)info.last_seen));
    json_object_set_new(o, "online",
                        json_boolean(info.last_seen != 0 &&
                                     c->now() - info.last_seen <= ONLINE_WINDOW));
    json_object_set_new(o, "campaign_state", in_campaign ? json_string(cm.state) : json_null());
}

/* ---- parsing a campaign ------------------------------------------------------------------ */

static ms_err_t fmt(char reason[MS_OTA_REASON_MAX], const char *why)
{
    snprintf(reason, MS_OTA_REASON_MAX, "%s", why);
    return MS_ERR_FORMAT;
}

static bool hex64(const char *s)
{
    if (strlen(s) != MS_OTA_HEX_LEN) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    return true;
}

static bool printable(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
            return false;
        }
    }
    return true;
}

static ms_err_t threshold(json_t *v, uint32_t *pm, char reason[MS_OTA_REASON_MAX], const char *n)
{
    double d = json_is_number(v) ? json_number_value(v) : -1;
    if (!(d >= 0.0 && d <= 1.0)) {
        char why[64];
        snprintf(why, sizeof why, "'%s' must be a number from 0 to 1", n);
        return fmt(reason, why);
    }
    *pm = (uint32_t)(d * 1000.0 + 0.5);
    return MS_OK;
}

static ms_err_t parse_target(json_t *t, ms_campaign_spec_t *s,
                             char (**ids_out)[MS_LINK_METER_ID_MAX + 1],
                             char reason[MS_OTA_REASON_MAX])
{
    if (!json_is_object(t) || json_object_size(t) != 1) {
        return fmt(reason, "'target' must be one of {all}, {meters}, {group}, {version}");
    }
    json_t *v;
    if ((v = json_object_get(t, "all")) != NULL) {
        if (!json_is_true(v)) {
            return fmt(reason, "'target.all' must be true");
        }
        s->kind = MS_TARGET_ALL;
    } else if ((v = json_object_get(t, "group")) != NULL ||
               (v = json_object_get(t, "version")) != NULL) {
        s->kind = json_object_get(t, "group") != NULL ? MS_TARGET_GROUP : MS_TARGET_VERSION;
        size_t max = s->kind == MS_TARGET_GROUP ? MS_OTA_GROUP_MAX : MS_OTA_VERSION_MAX;
        const char *str = json_string_value(v);
        if (str == NULL || json_string_length(v) == 0 || json_string_length(v) > max ||
            strlen(str) != json_string_length(v) || !printable(str)) {
            return fmt(reason, "'target' group or version must be a short printable string");
        }
        snprintf(s->value, sizeof s->value, "%s", str);
    } else if ((v = json_object_get(t, "meters")) != NULL) {
        size_t n = json_array_size(v);
        if (!json_is_array(v) || n == 0 || n > MS_OTA_TARGET_IDS_MAX) {
            return fmt(reason, "'target.meters' must be a list of 1..1000 meter ids");
        }
        char (*ids)[MS_LINK_METER_ID_MAX + 1] = calloc(n, sizeof ids[0]);
        if (ids == NULL) {
            return MS_ERR_INTERNAL;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(v, i);
            const char *id = json_string_value(e);
            if (id == NULL || strlen(id) != json_string_length(e) ||
                !ms_meter_id_valid(id, strlen(id))) {
                free(ids);
                return fmt(reason, "'target.meters' holds something that is not a meter id");
            }
            snprintf(ids[i], sizeof ids[i], "%s", id);
        }
        s->kind = MS_TARGET_LIST;
        s->ids = (const char (*)[MS_LINK_METER_ID_MAX + 1])ids;
        s->n_ids = n;
        *ids_out = ids;
    } else {
        return fmt(reason, "'target' must be one of {all}, {meters}, {group}, {version}");
    }
    char *dump = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
    if (dump == NULL || strlen(dump) >= sizeof s->target_json) {
        free(dump);
        return fmt(reason, "'target' is too long");
    }
    snprintf(s->target_json, sizeof s->target_json, "%s", dump);
    free(dump);
    return MS_OK;
}

ms_err_t ms_campaign_api_parse(const char *body, size_t len, ms_campaign_spec_t *s,
                               char (**ids_out)[MS_LINK_METER_ID_MAX + 1],
                               char reason[MS_OTA_REASON_MAX])
{
    memset(s, 0, sizeof *s);
    *ids_out = NULL;
    if (body == NULL || len == 0 || len > MS_JP_BODY_MAX) {
        return fmt(reason, "the body must be a JSON object of at most 16 KiB");
    }
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return fmt(reason, "the body must be a JSON object");
    }
    static const char *const known[] = {"name", "firmware_sha256", "target", "waves",
                                        "success_threshold", "failure_threshold", "max_retries"};
    const char *key;
    json_t *v;
    ms_err_t err = MS_OK;
    json_object_foreach(j, key, v) {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
            ok = ok || is(key, known[i]);
        }
        if (!ok && err == MS_OK) {
            err = fmt(reason, "unknown member in the body");
        }
    }
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *sha = json_string_value(json_object_get(j, "firmware_sha256"));
    if (err == MS_OK && (name == NULL || strlen(name) == 0 || strlen(name) > MS_OTA_NAME_MAX ||
                         strlen(name) != json_string_length(json_object_get(j, "name")) ||
                         !printable(name))) {
        err = fmt(reason, "'name' must be 1..64 printable characters");
    }
    if (err == MS_OK && (sha == NULL || !hex64(sha))) {
        err = fmt(reason, "'firmware_sha256' must be 64 lower-case hex digits");
    }
    if (err == MS_OK) {
        snprintf(s->name, sizeof s->name, "%s", name);
        snprintf(s->firmware_sha256, sizeof s->firmware_sha256, "%s", sha);
        err = parse_target(json_object_get(j, "target"), s, ids_out, reason);
    }
    json_t *w = json_object_get(j, "waves");
    if (err == MS_OK) {
        if (w == NULL) {
            s->n_waves = 1;
            s->waves[0] = 100;
        } else if (!json_is_array(w) || json_array_size(w) == 0 ||
                   json_array_size(w) > MS_OTA_WAVES_MAX) {
            err = fmt(reason, "'waves' must be a list of 1..8 percentages");
        } else {
            s->n_waves = (uint32_t)json_array_size(w);
            for (size_t i = 0; err == MS_OK && i < s->n_waves; i++) {
                json_t *e = json_array_get(w, i);
                json_int_t p = json_is_integer(e) ? json_integer_value(e) : -1;
                if (p < 1 || p > 100) {
                    err = fmt(reason, "'waves' entries must be integers 1..100");
                }
                s->waves[i] = (uint32_t)p;
            }
        }
    }
    s->success_pm = 1000;
    s->failure_pm = 1000;
    if (err == MS_OK && json_object_get(j, "success_threshold") != NULL) {
        err = threshold(json_object_get(j, "success_threshold"), &s->success_pm, reason,
                        "success_threshold");
    }
    if (err == MS_OK && json_object_get(j, "failure_threshold") != NULL) {
        err = threshold(json_object_get(j, "failure_threshold"), &s->failure_pm, reason,
                        "failure_threshold");
    }
    json_t *r = json_object_get(j, "max_retries");
    if (err == MS_OK && r != NULL) {
        json_int_t n = json_is_integer(r) ? json_integer_value(r) : -1;
        if (n < 0 || n > 100) {
            err = fmt(reason, "'max_retries' must be an integer 0..100");
        }
        s->max_retries = (uint32_t)n;
    }
    json_decref(j);
    if (err != MS_OK) {
        free(*ids_out);
        *ids_out = NULL;
        s->ids = NULL;
    }
    return err;
}

/* ---- handlers ------------------------------------------------------------------------------ */

static bool need_operator(const ms_api_req_t *r, unsigned *status, json_t **json)
{
    if (!r->is_operator) {
        error(status, json, 403, "this needs the operator role");
        return false;
    }
    return true;
}

static void h_fw_upload(const ms_api_req_t *r, ms_ota_t *o, unsigned *status, json_t **json)
{
    ms_fw_rec_t f;
    bool stored = false;
    char reason[MS_OTA_REASON_MAX];
    ms_err_t err = ms_fw_upload(o, (const uint8_t *)r->body, r->len, r->who, &f, &stored, reason);
    if (err == MS_ERR_CLOUD_DB || err == MS_ERR_INTERNAL) {
        error(status, json, 500, reason);
    } else if (err != MS_OK) {
        error(status, json, 400, reason);
    } else {
        answer(status, json, 201, fw_json(&f));   /* stored once: a repeat gets the first record */
    }
}

static const char *arg(const ms_api_req_t *r, const char *name)
{
    return r->query != NULL ? r->query(r->query_ctx, name) : NULL;
}

/* A listing's ?limit=: 0..PAGE_MAX, PAGE_DEFAULT when absent. */
static bool page_limit(const ms_api_req_t *r, uint32_t *limit, unsigned *status, json_t **json)
{
    uint64_t v = 0;
    if (ms_jp_query_u64(arg(r, "limit"), PAGE_MAX, PAGE_DEFAULT, &v) != MS_OK) {
        error(status, json, 400, "query parameter 'limit' must be an integer 0..1000");
        return false;
    }
    *limit = (uint32_t)v;
    return true;
}

static void h_fw_list(const ms_api_req_t *r, unsigned *status, json_t **json)
{
    uint32_t limit = 0;
    const char *after = arg(r, "after");
    if (!page_limit(r, &limit, status, json)) {
        return;
    }
    if (after != NULL && !hex64(after)) {
        error(status, json, 400,
              "query parameter 'after' must be an image's sha256 (64 lowercase hex digits)");
        return;
    }
    json_t *list = json_array();
    ms_err_t err = list != NULL ? ms_ota_fw_page(&r->c->db, after, limit, fw_add, list)
                                : MS_ERR_INTERNAL;
    if (err != MS_OK) {
        json_decref(list);
        error(status, json, 500, ms_strerror(err));
        return;
    }
    answer(status, json, 200, json_pack("{s:o}", "firmware", list));
}

static void h_campaign_create(const ms_api_req_t *r, ms_ota_t *o, unsigned *status,
                              json_t **json)
{
    ms_campaign_spec_t *s = malloc(sizeof *s);
    char (*ids)[MS_LINK_METER_ID_MAX + 1] = NULL;
    char reason[MS_OTA_REASON_MAX];
    if (s == NULL) {
        error(status, json, 500, "out of memory");
        return;
    }
    ms_err_t err = ms_campaign_api_parse(r->body, r->len, s, &ids, reason);
    int64_t id = 0;
    if (err == MS_OK) {
        err = ms_campaign_create(o, s, r->who, &id, reason);
    }
    if (err == MS_OK) {
        answer(status, json, 201, json_pack("{s:I}", "id", (json_int_t)id));
    } else if (err == MS_ERR_FORMAT || err == MS_ERR_ARG || err == MS_ERR_NOT_FOUND ||
               err == MS_ERR_BOOT_ROLLBACK) {
        error(status, json, 400, reason);
    } else {
        error(status, json, 500, ms_strerror(err));
    }
    free(ids);
    free(s);
}

static void h_campaign_list(const ms_api_req_t *r, unsigned *status, json_t **json)
{
    uint32_t limit = 0;
    uint64_t after = 0;
    if (!page_limit(r, &limit, status, json)) {
        return;
    }
    if (ms_jp_query_u64(arg(r, "after"), (uint64_t)INT64_MAX, 0, &after) != MS_OK) {
        error(status, json, 400, "query parameter 'after' must be a campaign id");
        return;
    }
    c_json_ctx_t x = {.c = r->c, .list = json_array()};
    ms_err_t err = x.list != NULL
                       ? ms_ota_campaign_page(&r->c->db, (int64_t)after, limit, c_add, &x)
                       : MS_ERR_INTERNAL;
    if (err != MS_OK) {
        json_decref(x.list);
        error(status, json, 500, ms_strerror(err));
        return;
    }
    answer(status, json, 200, json_pack("{s:o}", "campaigns", x.list));
}

static bool campaign_id(const char *s, int64_t *id)
{
    uint64_t v = 0;
    if (ms_jp_query_u64(s, (uint64_t)INT64_MAX, 0, &v) != MS_OK || v == 0) {
        return false;
    }
    *id = (int64_t)v;
    return true;
}

static void h_campaign_get(const ms_api_req_t *r, int64_t id, unsigned *status, json_t **json)
{
    ms_campaign_rec_t *c = malloc(sizeof *c);
    ms_err_t err = c != NULL ? ms_ota_campaign_get(&r->c->db, id, c) : MS_ERR_INTERNAL;
    if (err == MS_ERR_NOT_FOUND) {
        error(status, json, 404, "no such campaign");
    } else if (err != MS_OK) {
        error(status, json, 500, ms_strerror(err));
    } else {
        json_t *o = campaign_json(r->c, c);
        json_t *w = waves_json(r->c, c);
        if (o == NULL || w == NULL) {
            json_decref(o);
            json_decref(w);
            error(status, json, 500, "internal");
        } else {
            json_object_set_new(o, "waves", w);
            answer(status, json, 200, o);
        }
    }
    free(c);
}

/* ?after= (a meter id), ?state= (an update state), ?wave= (0-based) and
 * ?limit= of a campaign's meter list; false after answering 400. */
static bool cm_page(const ms_api_req_t *r, ms_cm_page_t *p, unsigned *status, json_t **json)
{
    uint32_t st = 0;
    uint64_t wave = 0;
    const char *w = arg(r, "wave");
    p->after = arg(r, "after");
    p->state = arg(r, "state");
    p->wave = -1;
    if (!page_limit(r, &p->limit, status, json)) {
        return false;
    }
    if (p->after != NULL && !ms_meter_id_valid(p->after, strlen(p->after))) {
        error(status, json, 400, "query parameter 'after' must be a meter id");
        return false;
    }
    if (p->state != NULL && ms_link_upd_state_parse(p->state, &st) != MS_OK) {
        error(status, json, 400, "query parameter 'state' must be an update state (docs/ota.md)");
        return false;
    }
    if (w != NULL) {
        if (ms_jp_query_u64(w, MS_OTA_WAVES_MAX - 1u, 0, &wave) != MS_OK) {
            error(status, json, 400, "query parameter 'wave' must be an integer 0..7");
            return false;
        }
        p->wave = (int64_t)wave;
    }
    return true;
}

static void h_campaign_meters(const ms_api_req_t *r, int64_t id, unsigned *status, json_t **json)
{
    ms_cm_page_t page;
    if (!cm_page(r, &page, status, json)) {
        return;
    }
    ms_campaign_rec_t *c = malloc(sizeof *c);
    ms_err_t err = c != NULL ? ms_ota_campaign_get(&r->c->db, id, c) : MS_ERR_INTERNAL;
    free(c);
    json_t *list = json_array();
    if (err == MS_OK) {
        err = list != NULL ? ms_ota_cm_page(&r->c->db, id, &page, cm_add, list) : MS_ERR_INTERNAL;
    }
    if (err != MS_OK) {
        json_decref(list);
        error(status, json, err == MS_ERR_NOT_FOUND ? 404 : 500,
              err == MS_ERR_NOT_FOUND ? "no such campaign" : ms_strerror(err));
        return;
    }
    answer(status, json, 200, json_pack("{s:o}", "meters", list));
}

/* Why a start or resume was a downgrade, worded as upload and creation
 * word it (the counters as they are now). */
static void downgrade_why(ms_ota_t *o, int64_t id, char why[MS_OTA_REASON_MAX])
{
    ms_campaign_rec_t *c = malloc(sizeof *c);
    if (c == NULL || ms_ota_campaign_get(&o->c->db, id, c) != MS_OK ||
        ms_fw_release_check(o, c->firmware_sha256, why) != MS_ERR_BOOT_ROLLBACK) {
        snprintf(why, MS_OTA_REASON_MAX, "downgrade: security counter below the fleet's"
                                         " (MS_ERR_BOOT_ROLLBACK)");
    }
    free(c);
}

static void h_campaign_action(const ms_api_req_t *r, ms_ota_t *o, int64_t id, const char *act,
                              unsigned *status, json_t **json)
{
    char state[MS_OTA_STATE_MAX + 1] = "";
    ms_err_t err = ms_campaign_action(o, id, act, r->who, state);
    if (err == MS_OK) {
        answer(status, json, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", state));
    } else if (err == MS_ERR_STATE) {
        char why[96];
        snprintf(why, sizeof why, "cannot %s a campaign that is %s", act, state);
        error(status, json, 409, why);
    } else if (err == MS_ERR_NOT_FOUND) {
        error(status, json, 404, "no such campaign");
    } else if (err == MS_ERR_BOOT_ROLLBACK) {
        char why[MS_OTA_REASON_MAX];
        downgrade_why(o, id, why);
        error(status, json, 409, why);
    } else {
        error(status, json, 500, ms_strerror(err));
    }
}

static void h_meter_updates(const ms_api_req_t *r, const char *meter_id, unsigned *status,
                            json_t **json)
{
    json_t *list = json_array();
    ms_err_t err = list != NULL ? ms_ota_history(&r->c->db, meter_id, 1000, hist_add, list)
                                : MS_ERR_INTERNAL;
    if (err != MS_OK) {
        json_decref(list);
        error(status, json, 500, ms_strerror(err));
        return;
    }
    answer(status, json, 200, json_pack("{s:o}", "updates", list));
}

static void h_audit(const ms_api_req_t *r, unsigned *status, json_t **json)
{
    uint32_t limit = 0;
    if (!page_limit(r, &limit, status, json)) {
        return;
    }
    json_t *list = json_array();
    ms_err_t err = list != NULL ? ms_ota_audit_list(&r->c->db, limit, audit_add, list)
                                : MS_ERR_INTERNAL;
    if (err != MS_OK) {
        json_decref(list);
        error(status, json, 500, ms_strerror(err));
        return;
    }
    answer(status, json, 200, json_pack("{s:o}", "audit", list));
}

bool ms_campaign_api_route(const ms_api_req_t *r, unsigned *status, json_t **json)
{
    bool get = is(r->method, "GET"), post = is(r->method, "POST");
    char (*seg)[48] = r->seg;
    size_t n = r->n;
    bool fw = n == 1 && is(seg[0], "firmware");
    bool camp = n >= 1 && is(seg[0], "campaigns");
    bool updates = n == 3 && is(seg[0], "meters") && is(seg[2], "updates");
    bool audit = n == 1 && is(seg[0], "audit");
    if (!fw && !camp && !updates && !audit) {
        return false;
    }
    ms_ota_t *o = r->c->ota;
    if (o == NULL) {
        error(status, json, 503, "firmware updates are not offered by this service");
        return true;
    }
    if (!get && !post) {
        error(status, json, 405, "GET or POST");
        return true;
    }
    if (post && !need_operator(r, status, json)) {
        return true;
    }
    int64_t id = 0;
    if (fw) {
        post ? h_fw_upload(r, o, status, json) : h_fw_list(r, status, json);
    } else if (audit) {
        if (!get) {
            error(status, json, 405, "use GET");
        } else if (need_operator(r, status, json)) {
            h_audit(r, status, json);
        }
    } else if (updates) {
        if (!ms_meter_id_valid(seg[1], strlen(seg[1]))) {
            error(status, json, 400, "meter id must be 1..32 of [A-Za-z0-9-]");
        } else if (!get) {
            error(status, json, 405, "use GET");
        } else {
            h_meter_updates(r, seg[1], status, json);
        }
    } else if (n == 1) {
        post ? h_campaign_create(r, o, status, json) : h_campaign_list(r, status, json);
    } else if (!campaign_id(seg[1], &id)) {
        error(status, json, 400, "campaign id must be a positive integer");
    } else if (n == 2 && get) {
        h_campaign_get(r, id, status, json);
    } else if (n == 3 && get && is(seg[2], "meters")) {
        h_campaign_meters(r, id, status, json);
    } else if (n == 3 && post &&
               (is(seg[2], "start") || is(seg[2], "pause") || is(seg[2], "resume") ||
                is(seg[2], "cancel"))) {
        h_campaign_action(r, o, id, seg[2], status, json);
    } else {
        error(status, json, 404, "no such route");
    }
    return true;
}
