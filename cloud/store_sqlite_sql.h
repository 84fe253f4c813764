/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite_sql.h - the generic statement call of the SQLite backend
 * (store_sqlite_sql.c), apart from the backend's own typed queries, and its
 * schema (store_sqlite_schema.c).
 */
#ifndef MS_CLOUD_STORE_SQLITE_SQL_H
#define MS_CLOUD_STORE_SQLITE_SQL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define MS_SQ_CACHE 48   /* generic statements kept prepared (the OTA tables use ~30) */

typedef struct ms_sq_cache {
    struct {
        char *text;            /* the statement as given ($n placeholders) */
        sqlite3_stmt *st;
        bool busy;             /* running (a row callback may run another statement) */
    } slot[MS_SQ_CACHE];
} ms_sq_cache_t;

/* ops->sql on db, with c as its statement cache (zeroed before first use). */
ms_err_t ms_sq_sql(sqlite3 *db, ms_sq_cache_t *c, const char *text, const ms_sql_val_t *params,
                   size_t n, ms_sql_row_cb cb, void *ctx, uint64_t *changes);

/* Finalize and forget every cached statement (before closing db). */
void ms_sq_cache_clear(ms_sq_cache_t *c);

/* The schema: migrations[i] brings a database from version i to i + 1
 * (store_sqlite_schema.c). */
extern const char *const ms_sq_migrations[];
extern const int ms_sq_n_migrations;

#endif
