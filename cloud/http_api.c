/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_api.c - the HTTP API (see http_api.h and docs/cloud.md §6).
 *
 * Invariants:
 *   - No anonymous access: every route but POST /api/v1/login needs a
 *     session, by "Authorization: Bearer <token>" or by the ms_session
 *     cookie; a cookie-authenticated request that changes anything must
 *     carry the session's CSRF token in X-CSRF-Token (for the dashboard).
 *   - Roles: viewer reads; operator also registers meters, issues nonces and
 *     sends commands.
 *   - Handlers parse (json_params.c), validate, then act; the dispatcher
 *     writes one log line per request; nothing here prints.
 *   - Request bodies are bounded (MS_JP_BODY_MAX; an operator's firmware
 *     upload MS_API_BODY_MAX); a larger body is refused with 413 without
 *     being kept. The session is checked on the headers: a request without
 *     one keeps no body byte and is answered 401 (403 for CSRF).
 *   - Errors are {"error": "<code>", "reason": "<text>"} with a 4xx/5xx
 *     status; a bad body is 400 with the parser's reason.
 */
#include "http_api.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "campaign_api.h"
#include "commands.h"
#include "dashboard.h"
#include "json_params.h"
#include "log.h"
#include "registry.h"
#include "x509.h"

#define API_PREFIX "/api/v1/"
#define LIST_LIMIT_MAX 1000u

struct ms_http {
    ms_cloud_t *c;
    struct MHD_Daemon *d;
    uint16_t port;
    ms_dashboard_t *dash;   /* static files outside /api/, or NULL */
};

/* What a handler answers. */
typedef struct reply {
    unsigned status;
    json_t *json;          /* owned; NULL for an empty body */
    char cookie[160];      /* Set-Cookie value, or "" */
} reply_t;

typedef struct request {
    char *body;
    size_t len;
    bool too_large;
    /* checked on the headers, before any body byte is kept */
    bool authed;
    ms_session_rec_t session;
    reply_t refusal;       /* status 0, or the answer to a request not authenticated */
} request_t;

typedef struct ctx {
    ms_http_t *h;
    struct MHD_Connection *conn;
    const char *method;
    const request_t *req;
    ms_session_rec_t session;
    bool authed;
} ctx_t;

/* ---- replies ------------------------------------------------------------------------- */

static void reply_error(reply_t *r, unsigned status, const char *code, const char *reason)
{
    r->status = status;
    json_decref(r->json);
    r->json = json_pack("{s:s, s:s}", "error", code, "reason", reason != NULL ? reason : code);
}

static void reply_json(reply_t *r, unsigned status, json_t *j)
{
    r->status = status;
    json_decref(r->json);
    r->json = j;
    if (j == NULL) {
        reply_error(r, 500, "internal", "out of memory");
    }
}

static void reply_store_error(reply_t *r, ms_err_t err)
{
    if (err == MS_ERR_NOT_FOUND) {
        reply_error(r, 404, "not_found", "no such meter");
    } else {
        reply_error(r, 500, "internal", ms_strerror(err));
    }
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, reply_t *r)
{
    char *text = r->json != NULL ? json_dumps(r->json, JSON_COMPACT) : NULL;
    size_t len = text != NULL ? strlen(text) : 0;
    struct MHD_Response *resp =
        text != NULL ? MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE)
                     : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    if (text != NULL) {
        MHD_add_response_header(resp, "Content-Type", "application/json");
    }
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->cookie[0] != '\0') {
        MHD_add_response_header(resp, "Set-Cookie", r->cookie);
    }
    enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- authentication -------------------------------------------------------------------- */

/* Fills x->session, or answers 401/403 in r. */
static bool authenticate(ctx_t *x, reply_t *r)
{
    ms_cloud_t *c = x->h->c;
    const char *auth = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Authorization");
    const char *token = NULL;
    bool by_cookie = false;
    if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0) {
        token = auth + 7;
    } else {
        token = MHD_lookup_connection_value(x->conn, MHD_COOKIE_KIND, "ms_session");
        by_cookie = token != NULL;
    }
    if (token == NULL) {
        reply_error(r, 401, "unauthorized", "log in first (POST /api/v1/login)");
        return false;
    }
    ms_err_t err = ms_auth_session(&c->db, token, c->now(), &x->session);
    if (err != MS_OK) {
        reply_error(r, err == MS_ERR_AUTH ? 401 : 500, "unauthorized",
                    err == MS_ERR_AUTH ? "unknown or expired session" : ms_strerror(err));
        return false;
    }
    if (by_cookie && strcmp(x->method, "GET") != 0 &&
        !ms_auth_csrf_ok(&x->session, MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND,
                                                                  "X-CSRF-Token"))) {
        reply_error(r, 403, "forbidden", "missing or wrong X-CSRF-Token");
        return false;
    }
    x->authed = true;
    return true;
}

static bool need_operator(const ctx_t *x, reply_t *r)
{
    if (x->session.role != MS_ROLE_OPERATOR) {
        reply_error(r, 403, "forbidden", "this needs the operator role");
        return false;
    }
    return true;
}

static const char *role_name(ms_role_t role)
{
    return role == MS_ROLE_OPERATOR ? "operator" : "viewer";
}

/* ---- handlers ---------------------------------------------------------------------------- */

/* Content-Type application/json (parameters such as "; charset=utf-8"
 * allowed): what a cross-site form cannot send without the browser asking. */
static bool json_body(const ctx_t *x)
{
    const char *t = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Content-Type");
    static const char want[] = "application/json";
    return t != NULL && strncasecmp(t, want, sizeof want - 1) == 0 &&
           (t[sizeof want - 1] == '\0' || t[sizeof want - 1] == ';' ||
            t[sizeof want - 1] == ' ');
}

static void h_login(ctx_t *x, reply_t *r)
{
    ms_jp_login_t in;
    char reason[MS_JP_REASON_MAX];
    if (x->req->too_large) {
        reply_error(r, 413, "too_large", "request body too large");
        return;
    }
    /* no login from another site's form: it would sign the browser in as
     * whoever that site chose (login CSRF) */
    if (!json_body(x)) {
        reply_error(r, 415, "unsupported_media_type", "Content-Type must be application/json");
        return;
    }
    if (ms_jp_login(x->req->body, x->req->len, &in, reason) != MS_OK) {
        reply_error(r, 400, "bad_request", reason);
        return;
    }
    ms_cloud_t *c = x->h->c;
    char token[MS_AUTH_TOKEN_HEX], csrf[MS_AUTH_TOKEN_HEX];
    ms_session_rec_t s;
    ms_err_t err = ms_auth_login(&c->db, in.name, in.password, c->now(), token, csrf, &s);
    ms_secure_zero(in.password, sizeof in.password);
    if (err == MS_ERR_AUTH) {
        reply_error(r, 401, "unauthorized", "wrong name or password");
        return;
    }
    if (err != MS_OK) {
        reply_error(r, 500, "internal", ms_strerror(err));
        return;
    }
    x->session = s;
    x->authed = true;
    snprintf(r->cookie, sizeof r->cookie,
             "ms_session=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%d", token,
             MS_AUTH_SESSION_TTL);
    reply_json(r, 200, json_pack("{s:s, s:s, s:s, s:I}", "token", token, "csrf", csrf, "role",
                                 role_name(s.role), "expires_at", (json_int_t)s.expires_at));
    ms_secure_zero(token, sizeof token);
}

static void h_logout(ctx_t *x, reply_t *r)
{
    const char *auth = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Authorization");
    const char *token = auth != NULL && strncmp(auth, "Bearer ", 7) == 0
                            ? auth + 7
                            : MHD_lookup_connection_value(x->conn, MHD_COOKIE_KIND, "ms_session");
    ms_err_t err = ms_auth_logout(&x->h->c->db, token);
    if (err != MS_OK) {
        reply_error(r, 500, "internal", ms_strerror(err));
        return;
    }
    snprintf(r->cookie, sizeof r->cookie, "ms_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
    r->status = 204;
}

static json_t *hex_string(const uint8_t *p, size_t n)
{
    char hex[2 * MS_P256_PUB_LEN + 1];
    ms_jp_hex(p, n, hex);
    return json_string(hex);
}

static ms_err_t add_meter(void *arg, const ms_meter_rec_t *m)
{
    json_t *o = json_pack("{s:s, s:I, s:o}", "id", m->id, "registered_at",
                          (json_int_t)m->registered_at, "kid", hex_string(m->kid, sizeof m->kid));
    return o != NULL && json_array_append_new(arg, o) == 0 ? MS_OK : MS_ERR_INTERNAL;
}

static bool query_u64(ctx_t *x, reply_t *r, const char *name, uint64_t max, uint64_t dflt,
                      uint64_t *v)
{
    const char *s = MHD_lookup_connection_value(x->conn, MHD_GET_ARGUMENT_KIND, name);
    if (ms_jp_query_u64(s, max, dflt, v) != MS_OK) {
        char reason[MS_JP_REASON_MAX];
        snprintf(reason, sizeof reason, "query parameter '%s' must be an integer 0..%llu", name,
                 (unsigned long long)max);
        reply_error(r, 400, "bad_request", reason);
        return false;
    }
    return true;
}

static void h_meters(ctx_t *x, reply_t *r)
{
    uint64_t limit = 0;
    const char *after = MHD_lookup_connection_value(x->conn, MHD_GET_ARGUMENT_KIND, "after");
    if (!query_u64(x, r, "limit", LIST_LIMIT_MAX, 100, &limit)) {
        return;
    }
    if (after != NULL && !ms_meter_id_valid(after, strlen(after))) {
        reply_error(r, 400, "bad_request", "query parameter 'after' must be a meter id");
        return;
    }
    json_t *list = json_array();
    ms_cloud_t *c = x->h->c;
    ms_err_t err = list != NULL ? c->db.ops->meter_list(c->db.s, after, (uint32_t)limit,
                                                        add_meter, list)
                                : MS_ERR_INTERNAL;
    if (err != MS_OK) {
        json_decref(list);
        reply_store_error(r, err);
        return;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {   /* update fields (docs/ota.md) */
        json_t *o = json_array_get(list, i);
        ms_campaign_api_meter_fields(c, json_string_value(json_object_get(o, "id")), o);
    }
    reply_json(r, 200, json_pack("{s:o}", "meters", list));
}

static void h_meter(ctx_t *x, reply_t *r, const char *id)
{
    ms_cloud_t *c = x->h->c;
    ms_meter_rec_t *m = malloc(sizeof *m);
    uint64_t count = 0;
    ms_err_t err = m != NULL ? c->db.ops->meter_get(c->db.s, id, m) : MS_ERR_INTERNAL;
    if (err == MS_OK) {
        err = c->db.ops->readings_count(c->db.s, id, &count);
    }
    if (err != MS_OK) {
        free(m);
        reply_store_error(r, err);
        return;
    }
    json_t *o = json_pack("{s:s, s:I, s:o, s:o, s:s, s:I}", "id", m->id, "registered_at",
                          (json_int_t)m->registered_at, "kid", hex_string(m->kid, sizeof m->kid),
                          "iak_pub_hex", hex_string(m->iak_pub.q, sizeof m->iak_pub.q),
                          "cert_pem", m->cert_pem, "readings", (json_int_t)count);
    if (o != NULL && m->has_readings) {
        json_object_set_new(o, "newest_seq", json_integer((json_int_t)m->max_reading_seq));
    }
    ms_campaign_api_meter_fields(c, id, o);
    free(m);
    reply_json(r, 200, o);
}

static ms_err_t add_reading(void *arg, const ms_msg_reading_t *rd, int64_t received_at)
{
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "seq", (json_int_t)rd->seq, "time",
                          (json_int_t)rd->time, "energy_wh", (json_int_t)rd->energy_wh,
                          "balance_milli", (json_int_t)rd->balance_milli, "tariff_id",
                          (json_int_t)rd->tariff_id, "received_at", (json_int_t)received_at);
    return o != NULL && json_array_append_new(arg, o) == 0 ? MS_OK : MS_ERR_INTERNAL;
}

static void h_readings(ctx_t *x, reply_t *r, const char *id)
{
    uint64_t from = 0, to = 0, limit = 0;
    if (!query_u64(x, r, "from", (uint64_t)INT64_MAX, 0, &from) ||
        !query_u64(x, r, "to", (uint64_t)INT64_MAX, (uint64_t)INT64_MAX, &to) ||
        !query_u64(x, r, "limit", LIST_LIMIT_MAX, 100, &limit)) {
        return;
    }
    ms_cloud_t *c = x->h->c;
    ms_meter_rec_t *m = malloc(sizeof *m);
    ms_err_t err = m != NULL ? c->db.ops->meter_get(c->db.s, id, m) : MS_ERR_INTERNAL;
    free(m);
    json_t *list = json_array();
    if (err == MS_OK) {
        err = list != NULL ? c->db.ops->readings_list(c->db.s, id, from, to, (uint32_t)limit,
                                                      add_reading, list)
                           : MS_ERR_INTERNAL;
    }
    if (err != MS_OK) {
        json_decref(list);
        reply_store_error(r, err);
        return;
    }
    reply_json(r, 200, json_pack("{s:s, s:o}", "meter_id", id, "readings", list));
}

static ms_err_t add_event(void *arg, const ms_event_rec_t *e)
{
    /* rows stored before the decoder refused other bytes must not break
     * the whole listing */
    char kind[sizeof e->kind], detail[sizeof e->detail];
    json_t *o = json_pack("{s:s, s:b, s:I, s:s, s:s, s:I}", "source",
                          e->from_meter ? "meter" : "cloud", "signed", e->from_meter, "time",
                          (json_int_t)e->time, "kind", ms_jp_printable(kind, sizeof kind, e->kind),
                          "detail", ms_jp_printable(detail, sizeof detail, e->detail),
                          "received_at", (json_int_t)e->received_at);
    if (o != NULL && e->from_meter) {
        json_object_set_new(o, "seq", json_integer((json_int_t)e->seq));
    }
    return o != NULL && json_array_append_new(arg, o) == 0 ? MS_OK : MS_ERR_INTERNAL;
}

static void h_events(ctx_t *x, reply_t *r, const char *id)
{
    uint64_t limit = 0;
    if (!query_u64(x, r, "limit", LIST_LIMIT_MAX, 100, &limit)) {
        return;
    }
    ms_cloud_t *c = x->h->c;
    json_t *list = json_array();
    ms_err_t err = list != NULL ? c->db.ops->events_list(c->db.s, id, (uint32_t)limit, add_event,
                                                         list)
                                : MS_ERR_INTERNAL;
    if (err != MS_OK) {
        json_decref(list);
        reply_store_error(r, err);
        return;
    }
    reply_json(r, 200, json_pack("{s:s, s:o}", "meter_id", id, "events", list));
}

static void h_register(ctx_t *x, reply_t *r)
{
    if (!need_operator(x, r)) {
        return;
    }
    ms_jp_register_t *in = malloc(sizeof *in);
    char reason[MS_JP_REASON_MAX];
    if (in == NULL) {
        reply_error(r, 500, "internal", "out of memory");
        return;
    }
    if (ms_jp_register(x->req->body, x->req->len, in, reason) != MS_OK) {
        free(in);
        reply_error(r, 400, "bad_request", reason);
        return;
    }
    ms_err_t err = ms_registry_register(x->h->c, in, reason);
    if (err == MS_OK) {
        ms_log(MS_LOG_INFO, "meter.registered", "meter=%s by=%s", in->meter_id,
               x->session.operator_name);
        reply_json(r, 201, json_pack("{s:s}", "meter_id", in->meter_id));
    } else if (err == MS_ERR_STATE) {
        reply_error(r, 409, "conflict", reason);
    } else if (err == MS_ERR_CLOUD_DB || err == MS_ERR_INTERNAL) {
        reply_error(r, 500, "internal", ms_strerror(err));
    } else {
        ms_log(MS_LOG_WARN, "meter.refused", "meter=%s err=%s", in->meter_id, ms_errname(err));
        reply_error(r, 422, "refused", reason);
    }
    free(in);
}

static void h_nonce(ctx_t *x, reply_t *r)
{
    if (!need_operator(x, r)) {
        return;
    }
    char hex[2 * MS_STORE_NONCE_LEN + 1];
    ms_err_t err = ms_registry_nonce(x->h->c, hex);
    if (err != MS_OK) {
        reply_error(r, 500, "internal", ms_strerror(err));
        return;
    }
    reply_json(r, 201, json_pack("{s:s, s:i}", "nonce", hex, "expires_in", MS_REGISTRY_NONCE_TTL));
}

static void h_command(ctx_t *x, reply_t *r, const char *id)
{
    if (!need_operator(x, r)) {
        return;
    }
    ms_jp_command_t cmd;
    char reason[MS_JP_REASON_MAX];
    if (ms_jp_command(x->req->body, x->req->len, &cmd, reason) != MS_OK) {
        reply_error(r, 400, "bad_request", reason);
        return;
    }
    memcpy(cmd.meter_id, id, strlen(id) + 1);
    uint64_t seq = 0;
    ms_err_t err = ms_commands_send(x->h->c, &cmd, x->session.operator_name, &seq);
    if (err == MS_OK) {
        ms_log(MS_LOG_INFO, "command.sent", "meter=%s cmd_seq=%llu type=%u by=%s", id,
               (unsigned long long)seq, cmd.type, x->session.operator_name);
        reply_json(r, 202, json_pack("{s:s, s:I}", "meter_id", id, "cmd_seq", (json_int_t)seq));
    } else if (err == MS_ERR_IO && seq != 0) {
        reply_error(r, 503, "unavailable", "recorded, but the broker is not reachable");
    } else if (err == MS_ERR_X509_REVOKED) {
        reply_error(r, 409, "conflict", "the meter's certificate is revoked");
    } else {
        reply_store_error(r, err);
    }
}

static void h_command_get(ctx_t *x, reply_t *r, const char *id, const char *seq_text)
{
    uint64_t seq = 0;
    if (ms_jp_query_u64(seq_text, (uint64_t)INT64_MAX, 0, &seq) != MS_OK) {
        reply_error(r, 400, "bad_request", "command number must be an integer");
        return;
    }
    ms_command_rec_t rec;
    ms_cloud_t *c = x->h->c;
    ms_err_t err = c->db.ops->command_get(c->db.s, id, seq, &rec);
    if (err == MS_ERR_NOT_FOUND) {
        reply_error(r, 404, "not_found", "no such command");
        return;
    }
    if (err != MS_OK) {
        reply_store_error(r, err);
        return;
    }
    /* args were written by ms_jp_command_args_json; read back, they are data again */
    json_t *args = json_loads(rec.args_json, JSON_REJECT_DUPLICATES, NULL);
    json_t *o = json_pack("{s:s, s:I, s:i, s:o, s:s, s:I}", "meter_id", rec.meter_id, "cmd_seq",
                          (json_int_t)rec.cmd_seq, "type", (int)rec.type, "args",
                          args != NULL ? args : json_null(), "created_by", rec.created_by,
                          "created_at", (json_int_t)rec.created_at);
    if (o != NULL && rec.has_result) {
        json_object_set_new(o, "result_status", json_integer((json_int_t)rec.result_status));
        json_object_set_new(o, "balance_milli", json_integer((json_int_t)rec.result_balance));
    }
    reply_json(r, 200, o);
}

/* ---- routing -------------------------------------------------------------------------------- */

static const char *query_arg(void *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* A query key or value holding a NUL (%00) would be read cut short at it:
 * such a request is refused whole, never half-read. */
static enum MHD_Result arg_has_nul(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    bool *nul = cls;
    (void)kind;
    if ((key != NULL && strlen(key) != key_size) ||
        (value != NULL && strlen(value) != value_size)) {
        *nul = true;
        return MHD_NO;
    }
    return MHD_YES;
}

/* Split "a/b/c" (after the API prefix) into at most 4 segments. */
static size_t split(const char *path, char seg[4][48])
{
    size_t n = 0;
    while (*path != '\0') {
        const char *slash = strchr(path, '/');
        size_t len = slash != NULL ? (size_t)(slash - path) : strlen(path);
        if (n == 4 || len == 0 || len >= sizeof seg[0]) {
            return 0;
        }
        memcpy(seg[n], path, len);
        seg[n][len] = '\0';
        n++;
        path += len;
        if (*path == '/') {
            path++;
        }
    }
    return n;
}

static void route(ctx_t *x, const char *url, reply_t *r)
{
    bool get = strcmp(x->method, "GET") == 0, post = strcmp(x->method, "POST") == 0;
    char seg[4][48];
    size_t n = strncmp(url, API_PREFIX, sizeof API_PREFIX - 1) == 0
                   ? split(url + sizeof API_PREFIX - 1, seg)
                   : 0;
    if (n == 1 && strcmp(seg[0], "login") == 0) {
        if (post) {
            h_login(x, r);
        } else {
            reply_error(r, 405, "method_not_allowed", "use POST");
        }
        return;
    }
    if (!x->req->authed) {
        *r = x->req->refusal;   /* checked on the headers (on_request) */
        r->json = json_incref(r->json);
        return;
    }
    /* and again now that the body is in: the session may have ended, or its
     * operator lost the role, while the body was arriving */
    if (!authenticate(x, r)) {
        return;
    }
    if (x->req->too_large) {
        /* a viewer's upload was cut at the small bound: the reason is the role */
        if (!ms_campaign_api_big_body(url) || need_operator(x, r)) {
            reply_error(r, 413, "too_large", "request body too large");
        }
        return;
    }
    bool nul = false;
    MHD_get_connection_values_n(x->conn, MHD_GET_ARGUMENT_KIND, arg_has_nul, &nul);
    if (nul) {
        reply_error(r, 400, "bad_request", "a query parameter holds a NUL byte");
        return;
    }
    /* firmware updates: campaign_api.c */
    ms_api_req_t ar = {.c = x->h->c, .method = x->method, .seg = seg, .n = n,
                       .body = x->req->body, .len = x->req->len,
                       .who = x->session.operator_name,
                       .is_operator = x->session.role == MS_ROLE_OPERATOR,
                       .query = query_arg, .query_ctx = x->conn};
    if (ms_campaign_api_route(&ar, &r->status, &r->json)) {
        return;
    }
    bool meters = n >= 1 && strcmp(seg[0], "meters") == 0;
    bool id_ok = n >= 2 && meters && ms_meter_id_valid(seg[1], strlen(seg[1]));
    if (n == 1 && strcmp(seg[0], "logout") == 0 && post) {
        h_logout(x, r);
    } else if (n == 2 && strcmp(seg[0], "provision") == 0 && strcmp(seg[1], "nonce") == 0 &&
               post) {
        h_nonce(x, r);
    } else if (n == 1 && meters && get) {
        h_meters(x, r);
    } else if (n == 1 && meters && post) {
        h_register(x, r);
    } else if (n >= 2 && meters && !id_ok) {
        reply_error(r, 400, "bad_request", "meter id must be 1..32 of [A-Za-z0-9-]");
    } else if (n == 2 && meters && get) {
        h_meter(x, r, seg[1]);
    } else if (n == 3 && meters && strcmp(seg[2], "readings") == 0 && get) {
        h_readings(x, r, seg[1]);
    } else if (n == 3 && meters && strcmp(seg[2], "events") == 0 && get) {
        h_events(x, r, seg[1]);
    } else if (n == 3 && meters && strcmp(seg[2], "commands") == 0 && post) {
        h_command(x, r, seg[1]);
    } else if (n == 4 && meters && strcmp(seg[2], "commands") == 0 && get) {
        h_command_get(x, r, seg[1], seg[3]);
    } else if (get || post) {
        reply_error(r, 404, "not_found", "no such route");
    } else {
        reply_error(r, 405, "method_not_allowed", "GET or POST");
    }
}

/* The dashboard's files (dashboard.c): no session needed, nothing changes. */
static enum MHD_Result dashboard_request(ms_http_t *h, struct MHD_Connection *conn,
                                         const char *url, const char *method)
{
    unsigned status = 500;
    enum MHD_Result ret = ms_dashboard_serve(h->dash, conn, url, method, &status) == MHD_YES
                              ? MHD_YES
                              : MHD_NO;
    char u[256];
    ms_log(status >= 400 ? MS_LOG_WARN : MS_LOG_DEBUG, "http.static", "path=%s status=%u",
           ms_log_str(url, strlen(url), u), status);
    return ret;
}

/* Every request but the login and the dashboard's files needs a session
 * (only the login keeps a body without one). */
static bool needs_session(const ms_http_t *h, const char *url)
{
    return strcmp(url, API_PREFIX "login") != 0 &&
           (h->dash == NULL || strncmp(url, "/api/", 5) == 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    ms_http_t *h = cls;
    request_t *req = *con_cls;
    if (req == NULL) {
        req = calloc(1, sizeof *req);
        if (req == NULL) {
            return MHD_NO;
        }
        *con_cls = req;
        if (needs_session(h, url)) {
            /* before any body: a request without a session keeps none */
            ctx_t x = { .h = h, .conn = conn, .method = method, .req = req };
            req->authed = authenticate(&x, &req->refusal);
            req->session = x.session;
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        bool operator = req->authed && req->session.role == MS_ROLE_OPERATOR;
        size_t limit = operator && ms_campaign_api_big_body(url) ? MS_API_BODY_MAX
                       : req->authed || strcmp(url, API_PREFIX "login") == 0 ? MS_JP_BODY_MAX
                                                                             : 0;
        if (!req->too_large && req->len + *upload_size <= limit) {
            char *b = realloc(req->body, req->len + *upload_size + 1);
            if (b == NULL) {
                return MHD_NO;
            }
            memcpy(b + req->len, upload_data, *upload_size);
            req->body = b;
            req->len += *upload_size;
            req->body[req->len] = '\0';
        } else {
            req->too_large = true;
            if (req->body != NULL) {
                ms_secure_zero(req->body, req->len);   /* may hold a password */
            }
            free(req->body);
            req->body = NULL;
            req->len = 0;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (h->dash != NULL && strncmp(url, "/api/", 5) != 0) {
        return dashboard_request(h, conn, url, method);
    }
    ctx_t x = { .h = h, .conn = conn, .method = method, .req = req };
    reply_t r = { .status = 500 };
    route(&x, url, &r);
    char u[256];
    ms_log(r.status >= 500 ? MS_LOG_ERROR : MS_LOG_INFO, "http.request",
           "method=%s path=%s status=%u operator=%s", strcmp(method, "GET") == 0 ? "GET"
                                                      : strcmp(method, "POST") == 0 ? "POST"
                                                                                    : "other",
           ms_log_str(url, strlen(url), u), r.status,
           x.authed ? x.session.operator_name : "-");
    enum MHD_Result ret = send_reply(conn, &r);
    json_decref(r.json);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    request_t *req = *con_cls;
    if (req != NULL) {
        if (req->body != NULL) {
            ms_secure_zero(req->body, req->len);   /* may hold a password */
            free(req->body);
        }
        json_decref(req->refusal.json);
        ms_secure_zero(&req->session, sizeof req->session);   /* the CSRF token */
        free(req);
        *con_cls = NULL;
    }
}

/* ---- life cycle -------------------------------------------------------------------------------- */

/* What libmicrohttpd refuses itself never reaches on_request: headers over
 * the connection's memory (431), a bad Content-Length, a request cut short.
 * Its messages (one or two per such request) are logged at info level, as
 * requests are, quoted like any outside text, without the error page. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 0)))
#endif
static void on_library_message(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[160], v[256];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    const char *html = memchr(msg, '<', len);   /* the error page it sent, not news */
    if (html != NULL) {
        len = (size_t)(html - msg);
    }
    while (len > 0 && strchr("\n ('", msg[len - 1]) != NULL) {
        len--;
    }
    ms_log(MS_LOG_INFO, "http.library", "message=%s", ms_log_str(msg, len, v));
}

ms_err_t ms_http_start(ms_cloud_t *c, const char *addr, uint16_t port, ms_http_t **out)
{
    ms_http_t *h = calloc(1, sizeof *h);
    if (h == NULL) {
        return MS_ERR_INTERNAL;
    }
    h->c = c;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        free(h);
        return MS_ERR_ARG;
    }
    h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, port, NULL, NULL, on_request, h,
                            MHD_OPTION_EXTERNAL_LOGGER, on_library_message, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_END);
    if (h->d == NULL) {
        free(h);
        return MS_ERR_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info != NULL ? info->port : port;
    *out = h;
    return MS_OK;
}

ms_err_t ms_http_set_dashboard(ms_http_t *h, const char *dir)
{
    ms_dashboard_close(h->dash);
    h->dash = NULL;
    return dir != NULL ? ms_dashboard_open(dir, &h->dash) : MS_OK;
}

void ms_http_stop(ms_http_t *h)
{
    if (h != NULL) {
        MHD_stop_daemon(h->d);
        ms_dashboard_close(h->dash);
        free(h);
    }
}

uint16_t ms_http_port(const ms_http_t *h)
{
    return h->port;
}

int ms_http_fd(const ms_http_t *h)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    return info != NULL ? info->epoll_fd : -1;
}

int ms_http_timeout_ms(ms_http_t *h)
{
    MHD_UNSIGNED_LONG_LONG t = 0;
    if (MHD_get_timeout(h->d, &t) != MHD_YES) {
        return -1;
    }
    return t > 1000 ? 1000 : (int)t;
}

void ms_http_run(ms_http_t *h)
{
    MHD_run(h->d);
}
