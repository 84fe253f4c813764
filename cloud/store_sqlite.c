/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite.c - the SQLite backend of store.h: the embedded default, zero
 * set-up. All of this backend's SQL is in this file.
 *
 * Invariants:
 *   - WAL journal, synchronous=FULL: a transaction that returned from COMMIT
 *     survives a kill -9 of the process and a power cut of the machine.
 *   - Several processes may share one database file (busy timeout 10 s;
 *     writers take the lock at BEGIN IMMEDIATE, so a batch never fails half
 *     way on a lock upgrade).
 *   - Statements are prepared once per connection and reset after use; every
 *     blob and text read back is length-checked before it is copied.
 */
#include "store.h"
#include "store_sqlite_sql.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- statements ------------------------------------------------------------------------ */

enum {
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_METER_ADD,
    Q_METER_GET,
    Q_METER_MAXSEQ,
    Q_METER_LIST,
    Q_READING_INSERT,
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
    Q_COMMAND_NEXT,
    Q_COMMAND_ADD,
    Q_COMMAND_RESULT,
    Q_COMMAND_EXISTS,
    Q_COMMAND_GET,
    Q_COUNT_
};

static const char *const sql[Q_COUNT_] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_METER_ADD] = "INSERT INTO meters (id, pub, kid, iak_pub, cert_pem, registered_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_METER_GET] = "SELECT id, pub, kid, iak_pub, cert_pem, registered_at FROM meters"
                    " WHERE id = ?1",
    [Q_METER_MAXSEQ] = "SELECT max(seq) FROM readings WHERE meter_id = ?1",
    [Q_METER_LIST] = "SELECT id, pub, kid, iak_pub, cert_pem, registered_at FROM meters"
                     " WHERE id > ?1 ORDER BY id LIMIT ?2",
    [Q_READING_INSERT] = "INSERT INTO readings (meter_id, seq, time, energy_wh, balance_milli,"
                         " tariff_id, payload, msg, received_at)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                         " ON CONFLICT (meter_id, seq) DO NOTHING",
    [Q_READING_PAYLOAD] = "SELECT payload FROM readings WHERE meter_id = ?1 AND seq = ?2",
    [Q_READINGS_LIST] = "SELECT meter_id, seq, time, energy_wh, balance_milli, tariff_id,"
                        " received_at FROM readings WHERE meter_id = ?1 AND time >= ?2"
                        " AND time <= ?3 ORDER BY seq LIMIT ?4",
    [Q_READINGS_COUNT] = "SELECT count(*) FROM readings WHERE meter_id = ?1",
    [Q_READINGS_COUNT_ALL] = "SELECT count(*) FROM readings",
    [Q_EVENT_ADD] = "INSERT INTO events (meter_id, from_meter, seq, time, kind, detail,"
                    " received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                    " ON CONFLICT DO NOTHING",
    [Q_EVENTS_LIST] = "SELECT meter_id, from_meter, seq, time, kind, detail, received_at"
                      " FROM events WHERE meter_id = ?1 ORDER BY id DESC LIMIT ?2",
    [Q_NONCE_ADD] = "INSERT INTO nonces (nonce, expires_at) VALUES (?1, ?2)",
    [Q_NONCE_TAKE] = "UPDATE nonces SET used = 1 WHERE nonce = ?1 AND used = 0"
                     " AND expires_at > ?2",
    [Q_OPERATOR_PUT] = "INSERT INTO operators (name, pwhash, role) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (name) DO UPDATE SET pwhash = excluded.pwhash,"
                       " role = excluded.role",
    [Q_OPERATOR_GET] = "SELECT pwhash, role FROM operators WHERE name = ?1",
    [Q_SESSION_ADD] = "INSERT INTO sessions (token_hash, operator, role, csrf, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_SESSION_GET] = "SELECT operator, role, csrf, expires_at FROM sessions"
                      " WHERE token_hash = ?1 AND expires_at > ?2",
    [Q_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
    [Q_SESSIONS_END] = "DELETE FROM sessions WHERE operator = ?1",
    [Q_COMMAND_NEXT] = "SELECT coalesce(max(cmd_seq), 0) + 1 FROM commands WHERE meter_id = ?1",
    [Q_COMMAND_ADD] = "INSERT INTO commands (meter_id, cmd_seq, type, args, created_by,"
                      " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_COMMAND_RESULT] = "UPDATE commands SET result_status = ?3, result_balance = ?4"
                         " WHERE meter_id = ?1 AND cmd_seq = ?2 AND (result_status IS NULL"
                         " OR (result_status IN (?5, ?6) AND ?3 <> ?5))",
    [Q_COMMAND_EXISTS] = "SELECT 1 FROM commands WHERE meter_id = ?1 AND cmd_seq = ?2",
    [Q_COMMAND_GET] = "SELECT type, args, created_by, created_at, result_status,"
                      " result_balance FROM commands WHERE meter_id = ?1 AND cmd_seq = ?2",
};


struct ms_store {
    sqlite3 *db;
    sqlite3_stmt *st[Q_COUNT_];
    ms_sq_cache_t sql;         /* the generic statements, prepared once */
};

/* ---- helpers -------------------------------------------------------------------------- */

static sqlite3_stmt *stmt(ms_store_t *s, int q)
{
    if (s->st[q] == NULL &&
        sqlite3_prepare_v3(s->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s->st[q], NULL) !=
            SQLITE_OK) {
        return NULL;
    }
    sqlite3_reset(s->st[q]);
    sqlite3_clear_bindings(s->st[q]);
    return s->st[q];
}

/* Run a statement without results; MS_OK on SQLITE_DONE. */
static ms_err_t run(sqlite3_stmt *st)
{
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? MS_OK
           : rc == SQLITE_CONSTRAINT ? MS_ERR_STATE
                                     : MS_ERR_CLOUD_DB;
}

static ms_err_t exec(ms_store_t *s, int q)
{
    return run(stmt(s, q));
}

static bool u64_ok(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX;
}

static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
    sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
}

static void bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
    sqlite3_bind_blob(st, i, p, (int)n, SQLITE_STATIC);
}

static bool col_blob(sqlite3_stmt *st, int i, void *out, size_t n)
{
    const void *p = sqlite3_column_blob(st, i);
    if (p == NULL || (size_t)sqlite3_column_bytes(st, i) != n) {
        return false;
    }
    memcpy(out, p, n);
    return true;
}

/* Text column into out (cap bytes incl. NUL). */
static bool col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (p == NULL || n < 0 || (size_t)n >= cap) {
        return false;
    }
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    return true;
}

/* ---- open, close, migrate ----------------------------------------------------------- */

static void sq_close(ms_store_t *s)
{
    if (s == NULL) {
        return;
    }
    for (int i = 0; i < Q_COUNT_; i++) {
        sqlite3_finalize(s->st[i]);
    }
    ms_sq_cache_clear(&s->sql);
    sqlite3_close(s->db);
    free(s);
}

static ms_err_t sq_open(const char *path, ms_store_t **out)
{
    ms_store_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return MS_ERR_INTERNAL;
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(s->db, 10000) != SQLITE_OK ||
        sqlite3_exec(s->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                     "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                     " applied_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));",
                     NULL, NULL, NULL) != SQLITE_OK) {
        sq_close(s);
        return MS_ERR_CLOUD_DB;
    }
    *out = s;
    return MS_OK;
}

static int sq_latest(void)
{
    return ms_sq_n_migrations;
}

static ms_err_t current_version(ms_store_t *s, int *v)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
                           &st, NULL) != SQLITE_OK) {
        return MS_ERR_CLOUD_DB;
    }
    ms_err_t err = sqlite3_step(st) == SQLITE_ROW ? MS_OK : MS_ERR_CLOUD_DB;
    *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return err;
}

static ms_err_t sq_migrate(ms_store_t *s, int target, int *version)
{
    if (target <= 0 || target > ms_sq_n_migrations) {
        target = ms_sq_n_migrations;
    }
    int v = 0;
    ms_err_t err = MS_OK;
    while (err == MS_OK) {
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
            return MS_ERR_CLOUD_DB;
        }
        err = current_version(s, &v);   /* read under the write lock: one migrator at a time */
        if (err == MS_OK && v > ms_sq_n_migrations) {
            err = MS_ERR_STATE;   /* a newer program made this database: it must not write */
        }
        if (err == MS_OK && v >= target) {
            break;
        }
        if (err == MS_OK &&
            sqlite3_exec(s->db, ms_sq_migrations[v], NULL, NULL, NULL) != SQLITE_OK) {
            err = MS_ERR_CLOUD_DB;
        }
        if (err == MS_OK) {
            char ins[96];
            snprintf(ins, sizeof ins, "INSERT INTO schema_migrations (version) VALUES (%d)", v + 1);
            err = sqlite3_exec(s->db, ins, NULL, NULL, NULL) == SQLITE_OK ? MS_OK
                                                                           : MS_ERR_CLOUD_DB;
        }
        if (err == MS_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            err = MS_ERR_CLOUD_DB;
        }
        if (err != MS_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return err;
        }
    }
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    *version = v;
    return err;
}

/* ---- meters ------------------------------------------------------------------------------ */

static ms_err_t sq_meter_add(ms_store_t *s, const ms_meter_rec_t *m)
{
    sqlite3_stmt *st = stmt(s, Q_METER_ADD);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, m->id);
    bind_blob(st, 2, m->pub.q, sizeof m->pub.q);
    bind_blob(st, 3, m->kid, sizeof m->kid);
    bind_blob(st, 4, m->iak_pub.q, sizeof m->iak_pub.q);
    bind_text(st, 5, m->cert_pem);
    sqlite3_bind_int64(st, 6, m->registered_at);
    return run(st);
}

static bool meter_row(sqlite3_stmt *st, ms_meter_rec_t *m)
{
    memset(m, 0, sizeof *m);
    m->registered_at = sqlite3_column_int64(st, 5);
    return col_text(st, 0, m->id, sizeof m->id) && col_blob(st, 1, m->pub.q, sizeof m->pub.q) &&
           col_blob(st, 2, m->kid, sizeof m->kid) &&
           col_blob(st, 3, m->iak_pub.q, sizeof m->iak_pub.q) &&
           col_text(st, 4, m->cert_pem, sizeof m->cert_pem);
}

static ms_err_t sq_meter_get(ms_store_t *s, const char *id, ms_meter_rec_t *m)
{
    sqlite3_stmt *st = stmt(s, Q_METER_GET);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    ms_err_t err = rc == SQLITE_ROW ? (meter_row(st, m) ? MS_OK : MS_ERR_CLOUD_DB)
                   : rc == SQLITE_DONE ? MS_ERR_NOT_FOUND
                                       : MS_ERR_CLOUD_DB;
    sqlite3_reset(st);
    if (err != MS_OK) {
        return err;
    }
    st = stmt(s, Q_METER_MAXSEQ);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        err = MS_ERR_CLOUD_DB;
    } else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
        m->has_readings = true;
        m->max_reading_seq = (uint64_t)sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    return err;
}

static ms_err_t sq_meter_list(ms_store_t *s, const char *after, uint32_t limit,
                              ms_store_meter_cb cb, void *ctx)
{
    sqlite3_stmt *st = stmt(s, Q_METER_LIST);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, after != NULL ? after : "");
    sqlite3_bind_int64(st, 2, limit);
    ms_err_t err = MS_OK;
    int rc;
    ms_meter_rec_t *m = malloc(sizeof *m);
    if (m == NULL) {
        return MS_ERR_INTERNAL;
    }
    while (err == MS_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = meter_row(st, m) ? cb(ctx, m) : MS_ERR_CLOUD_DB;
    }
    if (err == MS_OK && rc != SQLITE_DONE) {
        err = MS_ERR_CLOUD_DB;
    }
    sqlite3_reset(st);
    free(m);
    return err;
}

/* ---- readings ------------------------------------------------------------------------------ */

static ms_err_t store_one(ms_store_t *s, const ms_reading_rec_t *b, ms_store_outcome_t *out)
{
    const ms_msg_reading_t *r = &b->r;
    if (!u64_ok(r->seq) || !u64_ok(r->time) || !u64_ok(r->energy_wh) || !u64_ok(r->tariff_id)) {
        return MS_ERR_ARG;
    }
    sqlite3_stmt *st = stmt(s, Q_READING_INSERT);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, r->meter_id);
    sqlite3_bind_int64(st, 2, (int64_t)r->seq);
    sqlite3_bind_int64(st, 3, (int64_t)r->time);
    sqlite3_bind_int64(st, 4, (int64_t)r->energy_wh);
    sqlite3_bind_int64(st, 5, r->balance_milli);
    sqlite3_bind_int64(st, 6, (int64_t)r->tariff_id);
    bind_blob(st, 7, b->payload, b->payload_len);
    bind_blob(st, 8, b->msg, b->msg_len);
    sqlite3_bind_int64(st, 9, b->received_at);
    ms_err_t err = run(st);
    if (err != MS_OK) {
        return err;
    }
    if (sqlite3_changes(s->db) == 1) {
        *out = MS_STORE_STORED;
        return MS_OK;
    }
    st = stmt(s, Q_READING_PAYLOAD);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, r->meter_id);
    sqlite3_bind_int64(st, 2, (int64_t)r->seq);
    if (sqlite3_step(st) != SQLITE_ROW) {
        err = MS_ERR_CLOUD_DB;
    } else {
        const void *p = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        *out = p != NULL && n == b->payload_len && memcmp(p, b->payload, n) == 0
                   ? MS_STORE_DUPLICATE
                   : MS_STORE_CONFLICT;
    }
    sqlite3_reset(st);
    return err;
}

static ms_err_t sq_readings_store(ms_store_t *s, const ms_reading_rec_t *batch, size_t n,
                                  ms_store_outcome_t *outcome)
{
    if (n == 0) {
        return MS_OK;
    }
    ms_err_t err = exec(s, Q_BEGIN);
    for (size_t i = 0; err == MS_OK && i < n; i++) {
        err = store_one(s, &batch[i], &outcome[i]);
    }
    if (err == MS_OK) {
        err = exec(s, Q_COMMIT);
    }
    if (err != MS_OK) {
        exec(s, Q_ROLLBACK);
    }
    return err;
}

static ms_err_t sq_readings_list(ms_store_t *s, const char *meter_id, uint64_t from,
                                 uint64_t to, uint32_t limit, ms_store_reading_cb cb, void *ctx)
{
    sqlite3_stmt *st = stmt(s, Q_READINGS_LIST);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, meter_id);
    sqlite3_bind_int64(st, 2, u64_ok(from) ? (int64_t)from : INT64_MAX);
    sqlite3_bind_int64(st, 3, u64_ok(to) ? (int64_t)to : INT64_MAX);
    sqlite3_bind_int64(st, 4, limit);
    ms_err_t err = MS_OK;
    int rc;
    while (err == MS_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ms_msg_reading_t r;
        memset(&r, 0, sizeof r);
        if (!col_text(st, 0, r.meter_id, sizeof r.meter_id)) {
            err = MS_ERR_CLOUD_DB;
            break;
        }
        r.seq = (uint64_t)sqlite3_column_int64(st, 1);
        r.time = (uint64_t)sqlite3_column_int64(st, 2);
        r.energy_wh = (uint64_t)sqlite3_column_int64(st, 3);
        r.balance_milli = sqlite3_column_int64(st, 4);
        r.tariff_id = (uint64_t)sqlite3_column_int64(st, 5);
        err = cb(ctx, &r, sqlite3_column_int64(st, 6));
    }
    if (err == MS_OK && rc != SQLITE_DONE) {
        err = MS_ERR_CLOUD_DB;
    }
    sqlite3_reset(st);
    return err;
}

static ms_err_t sq_readings_count(ms_store_t *s, const char *meter_id, uint64_t *n)
{
    sqlite3_stmt *st = stmt(s, meter_id != NULL ? Q_READINGS_COUNT : Q_READINGS_COUNT_ALL);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    if (meter_id != NULL) {
        bind_text(st, 1, meter_id);
    }
    ms_err_t err = sqlite3_step(st) == SQLITE_ROW ? MS_OK : MS_ERR_CLOUD_DB;
    *n = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return err;
}

/* ---- events ---------------------------------------------------------------------------------- */

static ms_err_t sq_event_add(ms_store_t *s, const ms_event_rec_t *e, bool *stored)
{
    if (!u64_ok(e->seq)) {
        return MS_ERR_ARG;
    }
    sqlite3_stmt *st = stmt(s, Q_EVENT_ADD);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, e->meter_id);
    sqlite3_bind_int(st, 2, e->from_meter ? 1 : 0);
    if (e->from_meter) {
        sqlite3_bind_int64(st, 3, (int64_t)e->seq);
    }
    sqlite3_bind_int64(st, 4, e->time);
    bind_text(st, 5, e->kind);
    bind_text(st, 6, e->detail);
    sqlite3_bind_int64(st, 7, e->received_at);
    ms_err_t err = run(st);
    *stored = err == MS_OK && sqlite3_changes(s->db) == 1;
    return err;
}

static ms_err_t sq_events_list(ms_store_t *s, const char *meter_id, uint32_t limit,
                               ms_store_event_cb cb, void *ctx)
{
    sqlite3_stmt *st = stmt(s, Q_EVENTS_LIST);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, meter_id);
    sqlite3_bind_int64(st, 2, limit);
    ms_err_t err = MS_OK;
    int rc;
    while (err == MS_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ms_event_rec_t e;
        memset(&e, 0, sizeof e);
        e.from_meter = sqlite3_column_int(st, 1) != 0;
        e.seq = (uint64_t)sqlite3_column_int64(st, 2);
        e.time = sqlite3_column_int64(st, 3);
        e.received_at = sqlite3_column_int64(st, 6);
        if (!col_text(st, 0, e.meter_id, sizeof e.meter_id) ||
            !col_text(st, 4, e.kind, sizeof e.kind) || !col_text(st, 5, e.detail, sizeof e.detail)) {
            err = MS_ERR_CLOUD_DB;
            break;
        }
        err = cb(ctx, &e);
    }
    if (err == MS_OK && rc != SQLITE_DONE) {
        err = MS_ERR_CLOUD_DB;
    }
    sqlite3_reset(st);
    return err;
}

/* ---- nonces, operators, sessions ------------------------------------------------------------- */

static ms_err_t sq_nonce_add(ms_store_t *s, const uint8_t nonce[MS_STORE_NONCE_LEN],
                             int64_t expires_at)
{
    sqlite3_stmt *st = stmt(s, Q_NONCE_ADD);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_blob(st, 1, nonce, MS_STORE_NONCE_LEN);
    sqlite3_bind_int64(st, 2, expires_at);
    return run(st);
}

static ms_err_t sq_nonce_take(ms_store_t *s, const uint8_t nonce[MS_STORE_NONCE_LEN],
                              int64_t now)
{
    sqlite3_stmt *st = stmt(s, Q_NONCE_TAKE);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_blob(st, 1, nonce, MS_STORE_NONCE_LEN);
    sqlite3_bind_int64(st, 2, now);
    ms_err_t err = run(st);
    if (err == MS_OK && sqlite3_changes(s->db) != 1) {
        err = MS_ERR_CLOUD_NONCE;
    }
    return err;
}

static ms_err_t sq_operator_put(ms_store_t *s, const char *name, const char *pwhash,
                                ms_role_t role)
{
    sqlite3_stmt *st = stmt(s, Q_OPERATOR_PUT);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, name);
    bind_text(st, 2, pwhash);
    sqlite3_bind_int(st, 3, (int)role);
    ms_err_t err = exec(s, Q_BEGIN);
    if (err != MS_OK) {
        return err;
    }
    err = run(st);
    /* the password and role a session was opened with no longer hold */
    st = err == MS_OK ? stmt(s, Q_SESSIONS_END) : NULL;
    if (st != NULL) {
        bind_text(st, 1, name);
        err = run(st);
    } else if (err == MS_OK) {
        err = MS_ERR_CLOUD_DB;
    }
    if (err == MS_OK) {
        err = exec(s, Q_COMMIT);
    }
    if (err != MS_OK) {
        exec(s, Q_ROLLBACK);
    }
    return err;
}

static ms_err_t sq_operator_get(ms_store_t *s, const char *name,
                                char pwhash[MS_STORE_PWHASH_MAX], ms_role_t *role)
{
    sqlite3_stmt *st = stmt(s, Q_OPERATOR_GET);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    ms_err_t err = rc == SQLITE_ROW    ? MS_OK
                   : rc == SQLITE_DONE ? MS_ERR_NOT_FOUND
                                       : MS_ERR_CLOUD_DB;
    if (err == MS_OK) {
        int r = sqlite3_column_int(st, 1);
        *role = r == MS_ROLE_OPERATOR ? MS_ROLE_OPERATOR : MS_ROLE_VIEWER;
        if (!col_text(st, 0, pwhash, MS_STORE_PWHASH_MAX)) {
            err = MS_ERR_CLOUD_DB;
        }
    }
    sqlite3_reset(st);
    return err;
}

static ms_err_t sq_session_add(ms_store_t *s, const uint8_t token_hash[MS_STORE_TOKEN_HASH_LEN],
                               const ms_session_rec_t *rec)
{
    sqlite3_stmt *st = stmt(s, Q_SESSION_ADD);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_blob(st, 1, token_hash, MS_STORE_TOKEN_HASH_LEN);
    bind_text(st, 2, rec->operator_name);
    sqlite3_bind_int(st, 3, (int)rec->role);
    bind_blob(st, 4, rec->csrf, sizeof rec->csrf);
    sqlite3_bind_int64(st, 5, rec->expires_at);
    return run(st);
}

static ms_err_t sq_session_get(ms_store_t *s, const uint8_t token_hash[MS_STORE_TOKEN_HASH_LEN],
                               int64_t now, ms_session_rec_t *rec)
{
    sqlite3_stmt *st = stmt(s, Q_SESSION_GET);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_blob(st, 1, token_hash, MS_STORE_TOKEN_HASH_LEN);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    ms_err_t err = rc == SQLITE_ROW    ? MS_OK
                   : rc == SQLITE_DONE ? MS_ERR_NOT_FOUND
                                       : MS_ERR_CLOUD_DB;
    if (err == MS_OK) {
        memset(rec, 0, sizeof *rec);
        rec->role = sqlite3_column_int(st, 1) == MS_ROLE_OPERATOR ? MS_ROLE_OPERATOR
                                                                  : MS_ROLE_VIEWER;
        rec->expires_at = sqlite3_column_int64(st, 3);
        if (!col_text(st, 0, rec->operator_name, sizeof rec->operator_name) ||
            !col_blob(st, 2, rec->csrf, sizeof rec->csrf)) {
            err = MS_ERR_CLOUD_DB;
        }
    }
    sqlite3_reset(st);
    return err;
}

static ms_err_t sq_session_delete(ms_store_t *s,
                                  const uint8_t token_hash[MS_STORE_TOKEN_HASH_LEN])
{
    sqlite3_stmt *st = stmt(s, Q_SESSION_DELETE);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_blob(st, 1, token_hash, MS_STORE_TOKEN_HASH_LEN);
    return run(st);
}

/* ---- commands ---------------------------------------------------------------------------------- */

static ms_err_t sq_command_add(ms_store_t *s, ms_command_rec_t *rec)
{
    ms_err_t err = exec(s, Q_BEGIN);
    sqlite3_stmt *st = err == MS_OK ? stmt(s, Q_COMMAND_NEXT) : NULL;
    if (st == NULL) {
        err = MS_ERR_CLOUD_DB;
    } else {
        bind_text(st, 1, rec->meter_id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            rec->cmd_seq = (uint64_t)sqlite3_column_int64(st, 0);
        } else {
            err = MS_ERR_CLOUD_DB;
        }
        sqlite3_reset(st);
    }
    if (err == MS_OK) {
        st = stmt(s, Q_COMMAND_ADD);
        if (st == NULL) {
            err = MS_ERR_CLOUD_DB;
        } else {
            bind_text(st, 1, rec->meter_id);
            sqlite3_bind_int64(st, 2, (int64_t)rec->cmd_seq);
            sqlite3_bind_int(st, 3, (int)rec->type);
            bind_text(st, 4, rec->args_json);
            bind_text(st, 5, rec->created_by);
            sqlite3_bind_int64(st, 6, rec->created_at);
            err = run(st);
        }
    }
    if (err == MS_OK) {
        err = exec(s, Q_COMMIT);
    }
    if (err != MS_OK) {
        exec(s, Q_ROLLBACK);
    }
    return err;
}

static ms_err_t sq_command_result(ms_store_t *s, const char *meter_id, uint64_t cmd_seq,
                                  uint64_t status, int64_t balance, bool *recorded)
{
    *recorded = false;
    if (!u64_ok(cmd_seq) || !u64_ok(status)) {
        return MS_ERR_ARG;
    }
    sqlite3_stmt *st = stmt(s, Q_COMMAND_RESULT);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, meter_id);
    sqlite3_bind_int64(st, 2, (int64_t)cmd_seq);
    sqlite3_bind_int64(st, 3, (int64_t)status);
    sqlite3_bind_int64(st, 4, balance);
    sqlite3_bind_int64(st, 5, MS_RESULT_REPLAY);
    sqlite3_bind_int64(st, 6, MS_RESULT_STORAGE);
    ms_err_t err = run(st);
    if (err != MS_OK || sqlite3_changes(s->db) == 1) {
        *recorded = err == MS_OK;
        return err;
    }
    /* nothing changed: an unknown command, or one whose verdict stays */
    st = stmt(s, Q_COMMAND_EXISTS);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, meter_id);
    sqlite3_bind_int64(st, 2, (int64_t)cmd_seq);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? MS_OK : rc == SQLITE_DONE ? MS_ERR_NOT_FOUND : MS_ERR_CLOUD_DB;
}

static ms_err_t sq_command_get(ms_store_t *s, const char *meter_id, uint64_t cmd_seq,
                               ms_command_rec_t *rec)
{
    if (!u64_ok(cmd_seq)) {
        return MS_ERR_NOT_FOUND;
    }
    sqlite3_stmt *st = stmt(s, Q_COMMAND_GET);
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    bind_text(st, 1, meter_id);
    sqlite3_bind_int64(st, 2, (int64_t)cmd_seq);
    int rc = sqlite3_step(st);
    ms_err_t err = rc == SQLITE_ROW    ? MS_OK
                   : rc == SQLITE_DONE ? MS_ERR_NOT_FOUND
                                       : MS_ERR_CLOUD_DB;
    if (err == MS_OK) {
        memset(rec, 0, sizeof *rec);
        snprintf(rec->meter_id, sizeof rec->meter_id, "%s", meter_id);
        rec->cmd_seq = cmd_seq;
        rec->type = (uint32_t)sqlite3_column_int(st, 0);
        rec->created_at = sqlite3_column_int64(st, 3);
        rec->has_result = sqlite3_column_type(st, 4) != SQLITE_NULL;
        rec->result_status = (uint64_t)sqlite3_column_int64(st, 4);
        rec->result_balance = sqlite3_column_int64(st, 5);
        if (!col_text(st, 1, rec->args_json, sizeof rec->args_json) ||
            !col_text(st, 2, rec->created_by, sizeof rec->created_by)) {
            err = MS_ERR_CLOUD_DB;
        }
    }
    sqlite3_reset(st);
    return err;
}

/* ---- generic statements (the OTA tables, cloud/ota_store.c; store_sqlite_sql.c) ---------- */

static ms_err_t sq_sql(ms_store_t *s, const char *text, const ms_sql_val_t *params, size_t n,
                       ms_sql_row_cb cb, void *ctx, uint64_t *changes)
{
    return ms_sq_sql(s->db, &s->sql, text, params, n, cb, ctx, changes);
}

static ms_err_t sq_tx(ms_store_t *s, ms_sql_tx_t what)
{
    /* BEGIN IMMEDIATE takes the one write lock: serial already */
    return exec(s, what == MS_SQL_BEGIN || what == MS_SQL_BEGIN_SERIAL ? Q_BEGIN
                   : what == MS_SQL_COMMIT                             ? Q_COMMIT
                                                                       : Q_ROLLBACK);
}

const ms_store_ops_t ms_store_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .migrate = sq_migrate,
    .latest_version = sq_latest,
    .meter_add = sq_meter_add,
    .meter_get = sq_meter_get,
    .meter_list = sq_meter_list,
    .readings_store = sq_readings_store,
    .readings_list = sq_readings_list,
    .readings_count = sq_readings_count,
    .event_add = sq_event_add,
    .events_list = sq_events_list,
    .nonce_add = sq_nonce_add,
    .nonce_take = sq_nonce_take,
    .operator_put = sq_operator_put,
    .operator_get = sq_operator_get,
    .session_add = sq_session_add,
    .session_get = sq_session_get,
    .session_delete = sq_session_delete,
    .command_add = sq_command_add,
    .command_result = sq_command_result,
    .command_get = sq_command_get,
    .sql = sq_sql,
    .tx = sq_tx,
};
