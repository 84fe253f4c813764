/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_pg.c - the PostgreSQL backend of store.h (libpq), for production.
 * All of this backend's SQL is in this file and its schema's
 * (store_pg_schema.c); the OTA tables' is in cloud/ota_store.c.
 *
 * Invariants:
 *   - A batch of readings is one statement (unnest of parameter arrays,
 *     INSERT ... ON CONFLICT DO NOTHING), so one round trip and one commit
 *     per batch; with synchronous_commit on (the server default) it is
 *     durable when the result arrives.
 *   - Migrations run under a transaction-scoped advisory lock, so instances
 *     started together never apply one twice.
 *   - MS_SQL_BEGIN_SERIAL transactions take another such lock, so a check
 *     and the write it allows (a campaign's release) are one step.
 *   - Results are read in text form; every value is parsed with bounds
 *     (bytea hex of an exact length, integers with strtoll and range checks).
 *   - Statements are prepared once per connection, on first use.
 */
#include "store.h"
#include "store_pg_sql.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATION_LOCK 0x6d73636cL   /* "mscl" */
#define SERIAL_LOCK    0x6d737372L   /* "mssr": MS_SQL_BEGIN_SERIAL */

enum {
    Q_METER_ADD,
    Q_METER_GET,
    Q_METER_MAXSEQ,
    Q_METER_LIST,
    Q_READINGS_STORE,
    Q_READING_PAYLOAD,
    Q_READINGS_LIST,
    Q_READINGS_COUNT,
    Q_READINGS_COUNT_ALL,
    Q_EVENT_ADD,
    Q_EVENTS_LIST,
    Q_NONCE_ADD,
    Q_NONCE_TAKE,
    Q_OPERATOR_PUT,
    Q_OPERATOR_GET,
    Q_SESSION_ADD,
    Q_SESSION_GET,
    Q_SESSION_DELETE,
    Q_SESSIONS_END,
    Q_COMMAND_ADD,
    Q_COMMAND_RESULT,
    Q_COMMAND_EXISTS,
    Q_COMMAND_GET,
    Q_COUNT_
};

static const struct {
    const char *sql;
    int nparams;
} queries[Q_COUNT_] = {
    [Q_METER_ADD] = { "INSERT INTO meters (id, pub, kid, iak_pub, cert_pem, registered_at)"
                      " VALUES ($1, $2::bytea, $3::bytea, $4::bytea, $5, $6::bigint)", 6 },
    [Q_METER_GET] = { "SELECT id, pub, kid, iak_pub, cert_pem, registered_at FROM meters"
                      " WHERE id = $1", 1 },
    [Q_METER_MAXSEQ] = { "SELECT max(seq) FROM readings WHERE meter_id = $1", 1 },
    [Q_METER_LIST] = { "SELECT id, pub, kid, iak_pub, cert_pem, registered_at FROM meters"
                       " WHERE id > $1 ORDER BY id LIMIT $2::bigint", 2 },
    [Q_READINGS_STORE] = {
        "WITH input AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[],"
        "   $4::bigint[], $5::bigint[], $6::bigint[], $7::bytea[], $8::bytea[], $9::bigint[])"
        "   WITH ORDINALITY AS t (meter_id, seq, time, energy_wh, balance_milli, tariff_id,"
        "   payload, msg, received_at, ord)),"
        " ins AS (INSERT INTO readings (meter_id, seq, time, energy_wh, balance_milli,"
        "   tariff_id, payload, msg, received_at) SELECT meter_id, seq, time, energy_wh,"
        "   balance_milli, tariff_id, payload, msg, received_at FROM input ORDER BY ord"
        "   ON CONFLICT (meter_id, seq) DO NOTHING RETURNING meter_id, seq)"
        " SELECT i.ord, CASE WHEN ins.seq IS NOT NULL THEN 0 WHEN r.payload IS NULL THEN 3"
        "   WHEN r.payload = i.payload THEN 1 ELSE 2 END"
        " FROM input i LEFT JOIN ins ON ins.meter_id = i.meter_id AND ins.seq = i.seq"
        " LEFT JOIN readings r ON r.meter_id = i.meter_id AND r.seq = i.seq ORDER BY i.ord", 9 },
    [Q_READING_PAYLOAD] = { "SELECT payload FROM readings WHERE meter_id = $1"
                            " AND seq = $2::bigint", 2 },
    [Q_READINGS_LIST] = { "SELECT meter_id, seq, time, energy_wh, balance_milli, tariff_id,"
                          " received_at FROM readings WHERE meter_id = $1"
                          " AND time >= $2::bigint AND time <= $3::bigint ORDER BY seq"
                          " LIMIT $4::bigint", 4 },
    [Q_READINGS_COUNT] = { "SELECT count(*) FROM readings WHERE meter_id = $1", 1 },
    [Q_READINGS_COUNT_ALL] = { "SELECT count(*) FROM readings", 0 },
    [Q_EVENT_ADD] = { "INSERT INTO events (meter_id, from_meter, seq, time, kind, detail,"
                      " received_at) VALUES ($1, $2::boolean, $3::bigint, $4::bigint, $5, $6,"
                      " $7::bigint) ON CONFLICT DO NOTHING", 7 },
    [Q_EVENTS_LIST] = { "SELECT meter_id, from_meter, seq, time, kind, detail, received_at"
                        " FROM events WHERE meter_id = $1 ORDER BY id DESC LIMIT $2::bigint", 2 },
    [Q_NONCE_ADD] = { "INSERT INTO nonces (nonce, expires_at) VALUES ($1::bytea, $2::bigint)", 2 },
    [Q_NONCE_TAKE] = { "UPDATE nonces SET used = true WHERE nonce = $1::bytea AND NOT used"
                       " AND expires_at > $2::bigint", 2 },
    [Q_OPERATOR_PUT] = { "INSERT INTO operators (name, pwhash, role) VALUES ($1, $2, $3::int)"
                         " ON CONFLICT (name) DO UPDATE SET pwhash = excluded.pwhash,"
                         " role = excluded.role", 3 },
    [Q_OPERATOR_GET] = { "SELECT pwhash, role FROM operators WHERE name = $1", 1 },
    [Q_SESSION_ADD] = { "INSERT INTO sessions (token_hash, operator, role, csrf, expires_at)"
                        " VALUES ($1::bytea, $2, $3::int, $4::bytea, $5::bigint)", 5 },
    [Q_SESSION_GET] = { "SELECT operator, role, csrf, expires_at FROM sessions"
                        " WHERE token_hash = $1::bytea AND expires_at > $2::bigint", 2 },
    [Q_SESSION_DELETE] = { "DELETE FROM sessions WHERE token_hash = $1::bytea", 1 },
    [Q_SESSIONS_END] = { "DELETE FROM sessions WHERE operator = $1", 1 },
    [Q_COMMAND_ADD] = { "INSERT INTO commands (meter_id, cmd_seq, type, args, created_by,"
                        " created_at) SELECT $1, coalesce(max(cmd_seq), 0) + 1, $2::int, $3, $4,"
                        " $5::bigint FROM commands WHERE meter_id = $1 RETURNING cmd_seq", 5 },
    [Q_COMMAND_RESULT] = { "UPDATE commands SET result_status = $3::bigint,"
                           " result_balance = $4::bigint WHERE meter_id = $1"
                           " AND cmd_seq = $2::bigint AND (result_status IS NULL"
                           " OR (result_status IN ($5::bigint, $6::bigint) AND $3::bigint <> $5::bigint))",
                           6 },
    [Q_COMMAND_EXISTS] = { "SELECT 1 FROM commands WHERE meter_id = $1 AND cmd_seq = $2::bigint",
                           2 },
    [Q_COMMAND_GET] = { "SELECT type, args, created_by, created_at, result_status,"
                        " result_balance FROM commands WHERE meter_id = $1"
                        " AND cmd_seq = $2::bigint", 2 },
};

struct ms_store {
    PGconn *conn;
    bool prepared[Q_COUNT_];
};

/* ---- parameters and values -------------------------------------------------------------- */

/* Small text parameters: integers and hex blobs. */
typedef struct params {
    const char *v[9];
    char buf[9][192];
} params_t;

static const char *p_i64(params_t *p, int i, int64_t v)
{
    snprintf(p->buf[i], sizeof p->buf[i], "%" PRId64, v);
    return p->v[i] = p->buf[i];
}

static const char *p_hex(params_t *p, int i, const uint8_t *b, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    char *o = p->buf[i];
    if (2 * n + 3 > sizeof p->buf[i]) {
        return p->v[i] = NULL;
    }
    *o++ = '\\';
    *o++ = 'x';
    for (size_t k = 0; k < n; k++) {
        *o++ = hx[b[k] >> 4];
        *o++ = hx[b[k] & 15];
    }
    *o = '\0';
    return p->v[i] = p->buf[i];
}

static bool u64_ok(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX;
}

/* Run query q; *res gets the result (PQclear it) when it is COMMAND_OK or
 * TUPLES_OK. A unique violation is MS_ERR_STATE. */
static ms_err_t query(ms_store_t *s, int q, const char *const *v, PGresult **res)
{
    *res = NULL;
    char name[16];
    snprintf(name, sizeof name, "q%d", q);
    if (!s->prepared[q]) {
        PGresult *r = PQprepare(s->conn, name, queries[q].sql, queries[q].nparams, NULL);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            return MS_ERR_CLOUD_DB;
        }
        s->prepared[q] = true;
    }
    PGresult *r = PQexecPrepared(s->conn, name, queries[q].nparams, v, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        *res = r;
        return MS_OK;
    }
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    ms_err_t err = state != NULL && (strcmp(state, "23505") == 0 || strcmp(state, "23503") == 0)
                       ? MS_ERR_STATE
                       : MS_ERR_CLOUD_DB;
    PQclear(r);
    return err;
}

static ms_err_t exec_simple(ms_store_t *s, const char *sql)
{
    PGresult *r = PQexec(s->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? MS_OK : MS_ERR_CLOUD_DB;
}

/* ---- open, close, migrate ------------------------------------------------------------------ */

static void pg_close(ms_store_t *s)
{
    if (s != NULL) {
        PQfinish(s->conn);
        free(s);
    }
}

static ms_err_t pg_open(const char *conninfo, ms_store_t **out)
{
    ms_store_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return MS_ERR_INTERNAL;
    }
    s->conn = PQconnectdb(conninfo);
    if (PQstatus(s->conn) != CONNECTION_OK ||
        exec_simple(s, "SET synchronous_commit = on; SET client_min_messages = warning;"
                       "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY,"
                       " applied_at timestamptz NOT NULL DEFAULT now())") != MS_OK) {
        pg_close(s);
        return MS_ERR_CLOUD_DB;
    }
    *out = s;
    return MS_OK;
}

static int pg_latest(void)
{
    return ms_pg_n_migrations;
}

static ms_err_t pg_migrate(ms_store_t *s, int target, int *version)
{
    if (target <= 0 || target > ms_pg_n_migrations) {
        target = ms_pg_n_migrations;
    }
    for (;;) {
        char sql[128];
        ms_err_t err = exec_simple(s, "BEGIN");
        snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%ld)", MIGRATION_LOCK);
        if (err == MS_OK) {
            err = exec_simple(s, sql);
        }
        PGresult *r = err == MS_OK ? PQexec(s->conn, "SELECT coalesce(max(version), 0)"
                                                     " FROM schema_migrations")
                                   : NULL;
        int64_t v = 0;
        if (err == MS_OK && (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
                             !ms_pg_val_i64(r, 0, 0, &v))) {
            err = MS_ERR_CLOUD_DB;
        }
        PQclear(r);
        if (err == MS_OK && v > ms_pg_n_migrations) {
            err = MS_ERR_STATE;   /* a newer program made this database: it must not write */
        }
        if (err == MS_OK && v >= target) {
            exec_simple(s, "COMMIT");
            *version = (int)v;
            return MS_OK;
        }
        if (err == MS_OK) {
            err = exec_simple(s, ms_pg_migrations[v]);
        }
        if (err == MS_OK) {
            snprintf(sql, sizeof sql, "INSERT INTO schema_migrations (version) VALUES (%d)",
                     (int)v + 1);
            err = exec_simple(s, sql);
        }
        if (err == MS_OK) {
            err = exec_simple(s, "COMMIT");
        }
        if (err != MS_OK) {
            exec_simple(s, "ROLLBACK");
            return err;
        }
    }
}

/* ---- meters ------------------------------------------------------------------------------------ */

static ms_err_t pg_meter_add(ms_store_t *s, const ms_meter_rec_t *m)
{
    params_t *p = malloc(sizeof *p);
    if (p == NULL) {
        return MS_ERR_INTERNAL;
    }
    p->v[0] = m->id;
    p_hex(p, 1, m->pub.q, sizeof m->pub.q);
    p_hex(p, 2, m->kid, sizeof m->kid);
    p_hex(p, 3, m->iak_pub.q, sizeof m->iak_pub.q);
    p->v[4] = m->cert_pem;
    p_i64(p, 5, m->registered_at);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_METER_ADD, p->v, &r);
    PQclear(r);
    free(p);
    return err;
}

static bool meter_row(const PGresult *r, int row, ms_meter_rec_t *m)
{
    memset(m, 0, sizeof *m);
    return ms_pg_val_text(r, row, 0, m->id, sizeof m->id) &&
           ms_pg_val_bytes(r, row, 1, m->pub.q, sizeof m->pub.q) &&
           ms_pg_val_bytes(r, row, 2, m->kid, sizeof m->kid) &&
           ms_pg_val_bytes(r, row, 3, m->iak_pub.q, sizeof m->iak_pub.q) &&
           ms_pg_val_text(r, row, 4, m->cert_pem, sizeof m->cert_pem) &&
           ms_pg_val_i64(r, row, 5, &m->registered_at);
}

static ms_err_t pg_meter_get(ms_store_t *s, const char *id, ms_meter_rec_t *m)
{
    const char *v[1] = { id };
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_METER_GET, v, &r);
    if (err == MS_OK) {
        err = PQntuples(r) == 0 ? MS_ERR_NOT_FOUND : meter_row(r, 0, m) ? MS_OK : MS_ERR_CLOUD_DB;
    }
    PQclear(r);
    if (err == MS_OK && (err = query(s, Q_METER_MAXSEQ, v, &r)) == MS_OK) {
        if (PQntuples(r) != 1) {
            err = MS_ERR_CLOUD_DB;
        } else if (!PQgetisnull(r, 0, 0)) {
            m->has_readings = ms_pg_val_u64(r, 0, 0, &m->max_reading_seq);
            err = m->has_readings ? MS_OK : MS_ERR_CLOUD_DB;
        }
        PQclear(r);
    }
    return err;
}

static ms_err_t pg_meter_list(ms_store_t *s, const char *after, uint32_t limit,
                              ms_store_meter_cb cb, void *ctx)
{
    params_t p;
    p.v[0] = after != NULL ? after : "";
    p_i64(&p, 1, limit);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_METER_LIST, p.v, &r);
    ms_meter_rec_t *m = err == MS_OK ? malloc(sizeof *m) : NULL;
    if (err == MS_OK && m == NULL) {
        err = MS_ERR_INTERNAL;
    }
    for (int i = 0; err == MS_OK && i < PQntuples(r); i++) {
        err = meter_row(r, i, m) ? cb(ctx, m) : MS_ERR_CLOUD_DB;
    }
    free(m);
    PQclear(r);
    return err;
}

/* ---- readings ----------------------------------------------------------------------------------- */

/* A growing text buffer for array literals. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf_t;

static void sb_put(sbuf_t *b, const char *s, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *q = realloc(b->p, cap);
        if (q == NULL) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_i64(sbuf_t *b, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%" PRId64, v);
    sb_put(b, t, (size_t)n);
}

static void sb_bytea(sbuf_t *b, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    sb_put(b, "\"\\\\x", 4);
    for (size_t k = 0; k < n; k++) {
        char t[2] = { hx[p[k] >> 4], hx[p[k] & 15] };
        sb_put(b, t, 2);
    }
    sb_put(b, "\"", 1);
}

static ms_err_t payload_outcome(ms_store_t *s, const ms_reading_rec_t *b, ms_store_outcome_t *o)
{
    params_t p;
    p.v[0] = b->r.meter_id;
    p_i64(&p, 1, (int64_t)b->r.seq);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_READING_PAYLOAD, p.v, &r);
    if (err == MS_OK) {
        uint8_t buf[MS_COSE_MSG_MAX];
        if (PQntuples(r) != 1) {
            err = MS_ERR_CLOUD_DB;
        } else {
            *o = b->payload_len <= sizeof buf &&
                         ms_pg_val_bytes(r, 0, 0, buf, b->payload_len) &&
                         memcmp(buf, b->payload, b->payload_len) == 0
                     ? MS_STORE_DUPLICATE
                     : MS_STORE_CONFLICT;
        }
    }
    PQclear(r);
    return err;
}

static ms_err_t pg_readings_store(ms_store_t *s, const ms_reading_rec_t *batch, size_t n,
                                  ms_store_outcome_t *outcome)
{
    if (n == 0) {
        return MS_OK;
    }
    sbuf_t col[9];
    memset(col, 0, sizeof col);
    for (int c = 0; c < 9; c++) {
        sb_put(&col[c], "{", 1);
    }
    for (size_t i = 0; i < n; i++) {
        const ms_msg_reading_t *r = &batch[i].r;
        if (!u64_ok(r->seq) || !u64_ok(r->time) || !u64_ok(r->energy_wh) ||
            !u64_ok(r->tariff_id)) {
            for (int c = 0; c < 9; c++) {
                free(col[c].p);
            }
            return MS_ERR_ARG;
        }
        if (i > 0) {
            for (int c = 0; c < 9; c++) {
                sb_put(&col[c], ",", 1);
            }
        }
        sb_put(&col[0], r->meter_id, strlen(r->meter_id));   /* [A-Za-z0-9-]: no quoting */
        sb_i64(&col[1], (int64_t)r->seq);
        sb_i64(&col[2], (int64_t)r->time);
        sb_i64(&col[3], (int64_t)r->energy_wh);
        sb_i64(&col[4], r->balance_milli);
        sb_i64(&col[5], (int64_t)r->tariff_id);
        sb_bytea(&col[6], batch[i].payload, batch[i].payload_len);
        sb_bytea(&col[7], batch[i].msg, batch[i].msg_len);
        sb_i64(&col[8], batch[i].received_at);
    }
    const char *v[9];
    ms_err_t err = MS_OK;
    for (int c = 0; c < 9; c++) {
        sb_put(&col[c], "}", 1);
        err = col[c].oom ? MS_ERR_INTERNAL : err;
        v[c] = col[c].p;
    }
    PGresult *r = NULL;
    if (err == MS_OK) {
        err = query(s, Q_READINGS_STORE, v, &r);
    }
    if (err == MS_OK && PQntuples(r) != (int)n) {
        err = MS_ERR_CLOUD_DB;
    }
    for (int i = 0; err == MS_OK && i < (int)n; i++) {
        int64_t ord = 0, o = 0;
        if (!ms_pg_val_i64(r, i, 0, &ord) || ord != i + 1 || !ms_pg_val_i64(r, i, 1, &o)) {
            err = MS_ERR_CLOUD_DB;
        } else if (o == 3) {
            /* another writer committed this (meter, seq) while we ran: look again */
            err = payload_outcome(s, &batch[i], &outcome[i]);
        } else {
            outcome[i] = (ms_store_outcome_t)o;
        }
    }
    PQclear(r);
    for (int c = 0; c < 9; c++) {
        free(col[c].p);
    }
    return err;
}

static ms_err_t pg_readings_list(ms_store_t *s, const char *meter_id, uint64_t from,
                                 uint64_t to, uint32_t limit, ms_store_reading_cb cb, void *ctx)
{
    params_t p;
    p.v[0] = meter_id;
    p_i64(&p, 1, u64_ok(from) ? (int64_t)from : INT64_MAX);
    p_i64(&p, 2, u64_ok(to) ? (int64_t)to : INT64_MAX);
    p_i64(&p, 3, limit);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_READINGS_LIST, p.v, &r);
    for (int i = 0; err == MS_OK && i < PQntuples(r); i++) {
        ms_msg_reading_t rd;
        int64_t at = 0;
        memset(&rd, 0, sizeof rd);
        if (!ms_pg_val_text(r, i, 0, rd.meter_id, sizeof rd.meter_id) || !ms_pg_val_u64(r, i, 1, &rd.seq) ||
            !ms_pg_val_u64(r, i, 2, &rd.time) || !ms_pg_val_u64(r, i, 3, &rd.energy_wh) ||
            !ms_pg_val_i64(r, i, 4, &rd.balance_milli) || !ms_pg_val_u64(r, i, 5, &rd.tariff_id) ||
            !ms_pg_val_i64(r, i, 6, &at)) {
            err = MS_ERR_CLOUD_DB;
        } else {
            err = cb(ctx, &rd, at);
        }
    }
    PQclear(r);
    return err;
}

static ms_err_t pg_readings_count(ms_store_t *s, const char *meter_id, uint64_t *n)
{
    const char *v[1] = { meter_id };
    PGresult *r = NULL;
    ms_err_t err = query(s, meter_id != NULL ? Q_READINGS_COUNT : Q_READINGS_COUNT_ALL, v, &r);
    if (err == MS_OK && (PQntuples(r) != 1 || !ms_pg_val_u64(r, 0, 0, n))) {
        err = MS_ERR_CLOUD_DB;
    }
    PQclear(r);
    return err;
}

/* ---- events --------------------------------------------------------------------------------------- */

static ms_err_t pg_event_add(ms_store_t *s, const ms_event_rec_t *e, bool *stored)
{
    if (!u64_ok(e->seq)) {
        return MS_ERR_ARG;
    }
    params_t p;
    p.v[0] = e->meter_id;
    p.v[1] = e->from_meter ? "true" : "false";
    if (e->from_meter) {
        p_i64(&p, 2, (int64_t)e->seq);
    } else {
        p.v[2] = NULL;
    }
    p_i64(&p, 3, e->time);
    p.v[4] = e->kind;
    p.v[5] = e->detail;
    p_i64(&p, 6, e->received_at);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_EVENT_ADD, p.v, &r);
    *stored = err == MS_OK && strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return err;
}

static ms_err_t pg_events_list(ms_store_t *s, const char *meter_id, uint32_t limit,
                               ms_store_event_cb cb, void *ctx)
{
    params_t p;
    p.v[0] = meter_id;
    p_i64(&p, 1, limit);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_EVENTS_LIST, p.v, &r);
    for (int i = 0; err == MS_OK && i < PQntuples(r); i++) {
        ms_event_rec_t e;
        memset(&e, 0, sizeof e);
        e.from_meter = !PQgetisnull(r, i, 1) && PQgetvalue(r, i, 1)[0] == 't';
        if (e.from_meter && !ms_pg_val_u64(r, i, 2, &e.seq)) {
            err = MS_ERR_CLOUD_DB;
        } else if (!ms_pg_val_text(r, i, 0, e.meter_id, sizeof e.meter_id) ||
                   !ms_pg_val_i64(r, i, 3, &e.time) || !ms_pg_val_text(r, i, 4, e.kind, sizeof e.kind) ||
                   !ms_pg_val_text(r, i, 5, e.detail, sizeof e.detail) ||
                   !ms_pg_val_i64(r, i, 6, &e.received_at)) {
            err = MS_ERR_CLOUD_DB;
        } else {
            err = cb(ctx, &e);
        }
    }
    PQclear(r);
    return err;
}

/* ---- nonces, operators, sessions ------------------------------------------------------------------- */

static ms_err_t pg_nonce_add(ms_store_t *s, const uint8_t nonce[MS_STORE_NONCE_LEN],
                             int64_t expires_at)
{
    params_t p;
    p_hex(&p, 0, nonce, MS_STORE_NONCE_LEN);
    p_i64(&p, 1, expires_at);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_NONCE_ADD, p.v, &r);
    PQclear(r);
    return err;
}

static ms_err_t pg_nonce_take(ms_store_t *s, const uint8_t nonce[MS_STORE_NONCE_LEN], int64_t now)
{
    params_t p;
    p_hex(&p, 0, nonce, MS_STORE_NONCE_LEN);
    p_i64(&p, 1, now);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_NONCE_TAKE, p.v, &r);
    if (err == MS_OK && strcmp(PQcmdTuples(r), "1") != 0) {
        err = MS_ERR_CLOUD_NONCE;
    }
    PQclear(r);
    return err;
}

static ms_err_t pg_operator_put(ms_store_t *s, const char *name, const char *pwhash,
                                ms_role_t role)
{
    params_t p;
    p.v[0] = name;
    p.v[1] = pwhash;
    p_i64(&p, 2, (int64_t)role);
    ms_err_t err = exec_simple(s, "BEGIN");
    if (err != MS_OK) {
        return err;
    }
    PGresult *r = NULL;
    err = query(s, Q_OPERATOR_PUT, p.v, &r);
    PQclear(r);
    /* the password and role a session was opened with no longer hold */
    if (err == MS_OK) {
        r = NULL;
        err = query(s, Q_SESSIONS_END, p.v, &r);
        PQclear(r);
    }
    err = exec_simple(s, err == MS_OK ? "COMMIT" : "ROLLBACK") == MS_OK ? err : MS_ERR_CLOUD_DB;
    return err;
}

static ms_err_t pg_operator_get(ms_store_t *s, const char *name,
                                char pwhash[MS_STORE_PWHASH_MAX], ms_role_t *role)
{
    const char *v[1] = { name };
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_OPERATOR_GET, v, &r);
    int64_t ro = 0;
    if (err == MS_OK && PQntuples(r) == 0) {
        err = MS_ERR_NOT_FOUND;
    } else if (err == MS_OK && (!ms_pg_val_text(r, 0, 0, pwhash, MS_STORE_PWHASH_MAX) ||
                                !ms_pg_val_i64(r, 0, 1, &ro))) {
        err = MS_ERR_CLOUD_DB;
    }
    *role = ro == MS_ROLE_OPERATOR ? MS_ROLE_OPERATOR : MS_ROLE_VIEWER;
    PQclear(r);
    return err;
}

static ms_err_t pg_session_add(ms_store_t *s, const uint8_t token_hash[MS_STORE_TOKEN_HASH_LEN],
                               const ms_session_rec_t *rec)
{
    params_t p;
    p_hex(&p, 0, token_hash, MS_STORE_TOKEN_HASH_LEN);
    p.v[1] = rec->operator_name;
    p_i64(&p, 2, (int64_t)rec->role);
    p_hex(&p, 3, rec->csrf, sizeof rec->csrf);
    p_i64(&p, 4, rec->expires_at);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_SESSION_ADD, p.v, &r);
    PQclear(r);
    return err;
}

static ms_err_t pg_session_get(ms_store_t *s, const uint8_t token_hash[MS_STORE_TOKEN_HASH_LEN],
                               int64_t now, ms_session_rec_t *rec)
{
    params_t p;
    p_hex(&p, 0, token_hash, MS_STORE_TOKEN_HASH_LEN);
    p_i64(&p, 1, now);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_SESSION_GET, p.v, &r);
    int64_t ro = 0;
    if (err == MS_OK && PQntuples(r) == 0) {
        err = MS_ERR_NOT_FOUND;
    } else if (err == MS_OK) {
        memset(rec, 0, sizeof *rec);
        if (!ms_pg_val_text(r, 0, 0, rec->operator_name, sizeof rec->operator_name) ||
            !ms_pg_val_i64(r, 0, 1, &ro) || !ms_pg_val_bytes(r, 0, 2, rec->csrf, sizeof rec->csrf) ||
            !ms_pg_val_i64(r, 0, 3, &rec->expires_at)) {
            err = MS_ERR_CLOUD_DB;
        }
        rec->role = ro == MS_ROLE_OPERATOR ? MS_ROLE_OPERATOR : MS_ROLE_VIEWER;
    }
    PQclear(r);
    return err;
}

static ms_err_t pg_session_delete(ms_store_t *s,
                                  const uint8_t token_hash[MS_STORE_TOKEN_HASH_LEN])
{
    params_t p;
    p_hex(&p, 0, token_hash, MS_STORE_TOKEN_HASH_LEN);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_SESSION_DELETE, p.v, &r);
    PQclear(r);
    return err;
}

/* ---- commands ---------------------------------------------------------------------------------------- */

static ms_err_t pg_command_add(ms_store_t *s, ms_command_rec_t *rec)
{
    params_t p;
    p.v[0] = rec->meter_id;
    p_i64(&p, 1, (int64_t)rec->type);
    p.v[2] = rec->args_json;
    p.v[3] = rec->created_by;
    p_i64(&p, 4, rec->created_at);
    PGresult *r = NULL;
    ms_err_t err = MS_ERR_STATE;
    for (int attempt = 0; attempt < 3 && err == MS_ERR_STATE; attempt++) {
        err = query(s, Q_COMMAND_ADD, p.v, &r);   /* a racing instance took the seq: again */
    }
    if (err == MS_OK && (PQntuples(r) != 1 || !ms_pg_val_u64(r, 0, 0, &rec->cmd_seq))) {
        err = MS_ERR_CLOUD_DB;
    }
    PQclear(r);
    return err;
}

static ms_err_t pg_command_result(ms_store_t *s, const char *meter_id, uint64_t cmd_seq,
                                  uint64_t status, int64_t balance, bool *recorded)
{
    *recorded = false;
    if (!u64_ok(cmd_seq) || !u64_ok(status)) {
        return MS_ERR_ARG;
    }
    params_t p;
    p.v[0] = meter_id;
    p_i64(&p, 1, (int64_t)cmd_seq);
    p_i64(&p, 2, (int64_t)status);
    p_i64(&p, 3, balance);
    p_i64(&p, 4, MS_RESULT_REPLAY);
    p_i64(&p, 5, MS_RESULT_STORAGE);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_COMMAND_RESULT, p.v, &r);
    bool changed = err == MS_OK && strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (err != MS_OK || changed) {
        *recorded = changed;
        return err;
    }
    /* nothing changed: an unknown command, or one whose verdict stays */
    r = NULL;
    err = query(s, Q_COMMAND_EXISTS, p.v, &r);
    if (err == MS_OK && PQntuples(r) != 1) {
        err = MS_ERR_NOT_FOUND;
    }
    PQclear(r);
    return err;
}

static ms_err_t pg_command_get(ms_store_t *s, const char *meter_id, uint64_t cmd_seq,
                               ms_command_rec_t *rec)
{
    if (!u64_ok(cmd_seq)) {
        return MS_ERR_NOT_FOUND;
    }
    params_t p;
    p.v[0] = meter_id;
    p_i64(&p, 1, (int64_t)cmd_seq);
    PGresult *r = NULL;
    ms_err_t err = query(s, Q_COMMAND_GET, p.v, &r);
    int64_t type = 0;
    if (err == MS_OK && PQntuples(r) == 0) {
        err = MS_ERR_NOT_FOUND;
    } else if (err == MS_OK) {
        memset(rec, 0, sizeof *rec);
        snprintf(rec->meter_id, sizeof rec->meter_id, "%s", meter_id);
        rec->cmd_seq = cmd_seq;
        rec->has_result = !PQgetisnull(r, 0, 4);
        if (!ms_pg_val_i64(r, 0, 0, &type) || !ms_pg_val_text(r, 0, 1, rec->args_json, sizeof rec->args_json) ||
            !ms_pg_val_text(r, 0, 2, rec->created_by, sizeof rec->created_by) ||
            !ms_pg_val_i64(r, 0, 3, &rec->created_at) ||
            (rec->has_result && (!ms_pg_val_u64(r, 0, 4, &rec->result_status) ||
                                 !ms_pg_val_i64(r, 0, 5, &rec->result_balance)))) {
            err = MS_ERR_CLOUD_DB;
        }
        rec->type = (uint32_t)type;
    }
    PQclear(r);
    return err;
}

/* ---- generic statements (the OTA tables, cloud/ota_store.c; store_pg_sql.c) -------------- */

static ms_err_t pg_sql(ms_store_t *s, const char *text, const ms_sql_val_t *params, size_t n,
                       ms_sql_row_cb cb, void *ctx, uint64_t *changes)
{
    return ms_pg_sql(s->conn, text, params, n, cb, ctx, changes);
}

static ms_err_t pg_tx(ms_store_t *s, ms_sql_tx_t what)
{
    if (what == MS_SQL_BEGIN_SERIAL) {
        /* The lock is held to COMMIT or ROLLBACK. READ COMMITTED whatever the
         * server's default: a statement after the lock must see what the
         * previous holder committed (a snapshot taken at the lock's
         * statement would not). A holder that hangs blocks the next for at
         * most 10 s, as SQLite's busy timeout, then that one fails. */
        char sql[96];
        snprintf(sql, sizeof sql, "SET LOCAL lock_timeout = '10s';"
                                  " SELECT pg_advisory_xact_lock(%ld)", SERIAL_LOCK);
        ms_err_t err = exec_simple(s, "BEGIN ISOLATION LEVEL READ COMMITTED");
        if (err == MS_OK && (err = exec_simple(s, sql)) != MS_OK) {
            exec_simple(s, "ROLLBACK");
        }
        return err;
    }
    return exec_simple(s, what == MS_SQL_BEGIN ? "BEGIN" : what == MS_SQL_COMMIT ? "COMMIT"
                                                                                 : "ROLLBACK");
}

const ms_store_ops_t ms_store_pg = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .migrate = pg_migrate,
    .latest_version = pg_latest,
    .meter_add = pg_meter_add,
    .meter_get = pg_meter_get,
    .meter_list = pg_meter_list,
    .readings_store = pg_readings_store,
    .readings_list = pg_readings_list,
    .readings_count = pg_readings_count,
    .event_add = pg_event_add,
    .events_list = pg_events_list,
    .nonce_add = pg_nonce_add,
    .nonce_take = pg_nonce_take,
    .operator_put = pg_operator_put,
    .operator_get = pg_operator_get,
    .session_add = pg_session_add,
    .session_get = pg_session_get,
    .session_delete = pg_session_delete,
    .command_add = pg_command_add,
    .command_result = pg_command_result,
    .command_get = pg_command_get,
    .sql = pg_sql,
    .tx = pg_tx,
};
