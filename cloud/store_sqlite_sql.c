/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite_sql.c - store.h's generic statement call (ops->sql) on
 * SQLite: any statement text with $N placeholders and typed values, rows
 * handed to a callback. The OTA tables use it (cloud/ota_store.c), so their
 * SQL is written once for both backends.
 *
 * Invariants:
 *   - A statement is prepared once per connection and kept by its text; one
 *     still running (the same text inside its own row callback) is prepared
 *     afresh and finalized after use, never reset under its caller.
 *   - Column values handed to the callback point into SQLite's row and are
 *     valid only during the callback.
 *   - A constraint violation is MS_ERR_STATE, any other failure
 *     MS_ERR_CLOUD_DB.
 */
#include "store_sqlite_sql.h"

#include <stdlib.h>
#include <string.h>

/* $N placeholders become ?N (SQLite binds ?NNN to index NNN). Statements
 * are prepared once per connection and kept (by their text), like the
 * backend's own; *cached gets st's cache slot (-1: not cached, finalize it). */
static sqlite3_stmt *generic_stmt(sqlite3 *db, ms_sq_cache_t *c, const char *text,
                                  int *cached)
{
    int slot = -1;
    bool nested = false;
    for (int i = 0; i < MS_SQ_CACHE; i++) {
        if (c->slot[i].text != NULL && strcmp(c->slot[i].text, text) == 0) {
            if (c->slot[i].busy) {
                nested = true;   /* the same statement inside its own row callback */
                break;
            }
            sqlite3_reset(c->slot[i].st);
            sqlite3_clear_bindings(c->slot[i].st);
            c->slot[i].busy = true;
            *cached = i;
            return c->slot[i].st;
        }
        if (c->slot[i].text == NULL && slot < 0) {
            slot = i;
        }
    }
    if (nested) {
        slot = -1;
    }
    size_t len = strlen(text);
    char *q = malloc(len + 1);
    if (q == NULL) {
        return NULL;
    }
    for (size_t i = 0; i <= len; i++) {
        q[i] = text[i] == '$' ? '?' : text[i];
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(db, q, -1, slot >= 0 ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                                NULL);
    free(q);
    if (rc != SQLITE_OK) {
        return NULL;
    }
    *cached = -1;
    if (slot >= 0 && (c->slot[slot].text = malloc(len + 1)) != NULL) {
        memcpy(c->slot[slot].text, text, len + 1);
        c->slot[slot].st = st;
        c->slot[slot].busy = true;
        *cached = slot;
    }
    return st;
}

ms_err_t ms_sq_sql(sqlite3 *db, ms_sq_cache_t *c, const char *text, const ms_sql_val_t *params,
                   size_t n, ms_sql_row_cb cb, void *ctx, uint64_t *changes)
{
    if (text == NULL || n > MS_SQL_PARAMS_MAX) {
        return MS_ERR_ARG;
    }
    int cached = -1;   /* the cache slot of st, or -1: finalized after use */
    sqlite3_stmt *st = generic_stmt(db, c, text, &cached);
    int rc = SQLITE_OK;
    if (st == NULL) {
        return MS_ERR_CLOUD_DB;
    }
    for (size_t i = 0; i < n; i++) {
        int k = (int)i + 1;
        switch (params[i].t) {
        case MS_SQL_INT: sqlite3_bind_int64(st, k, params[i].i); break;
        case MS_SQL_TEXT: sqlite3_bind_text(st, k, params[i].s, -1, SQLITE_STATIC); break;
        case MS_SQL_BLOB: sqlite3_bind_blob(st, k, params[i].p, (int)params[i].n, SQLITE_STATIC); break;
        default: sqlite3_bind_null(st, k); break;
        }
    }
    ms_err_t err = MS_OK;
    while (err == MS_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int nc = sqlite3_column_count(st);
        ms_sql_val_t cols[MS_SQL_COLS_MAX];
        if (nc < 0 || (size_t)nc > MS_SQL_COLS_MAX) {
            err = MS_ERR_CLOUD_DB;
            break;
        }
        memset(cols, 0, sizeof cols);
        for (int k = 0; k < nc; k++) {
            switch (sqlite3_column_type(st, k)) {
            case SQLITE_INTEGER:
                cols[k].t = MS_SQL_INT;
                cols[k].i = sqlite3_column_int64(st, k);
                break;
            case SQLITE_TEXT:
                cols[k].t = MS_SQL_TEXT;
                cols[k].s = (const char *)sqlite3_column_text(st, k);
                cols[k].n = (size_t)sqlite3_column_bytes(st, k);
                break;
            case SQLITE_BLOB:
                cols[k].t = MS_SQL_BLOB;
                cols[k].p = sqlite3_column_blob(st, k);
                cols[k].n = (size_t)sqlite3_column_bytes(st, k);
                break;
            default:
                cols[k].t = MS_SQL_NULL;
                break;
            }
        }
        err = cb != NULL ? cb(ctx, cols, (size_t)nc) : MS_OK;
    }
    if (err == MS_OK && rc != SQLITE_DONE) {
        err = rc == SQLITE_CONSTRAINT ? MS_ERR_STATE : MS_ERR_CLOUD_DB;
    }
    if (err == MS_OK && changes != NULL) {
        *changes = (uint64_t)sqlite3_changes(db);
    }
    if (cached >= 0) {
        sqlite3_reset(st);
        c->slot[cached].busy = false;
    } else {
        sqlite3_finalize(st);
    }
    return err;
}

void ms_sq_cache_clear(ms_sq_cache_t *c)
{
    for (int i = 0; i < MS_SQ_CACHE; i++) {
        sqlite3_finalize(c->slot[i].st);
        free(c->slot[i].text);
        c->slot[i].st = NULL;
        c->slot[i].text = NULL;
    }
}
