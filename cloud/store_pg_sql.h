/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_pg_sql.h - the generic statement call of the PostgreSQL backend
 * (store_pg_sql.c), and the result-value readers it shares with store_pg.c:
 * each reads one column of a text-form result with every bound checked and
 * returns false for NULL, junk or a value that does not fit; and the
 * backend's schema (store_pg_schema.c).
 */
#ifndef MS_CLOUD_STORE_PG_SQL_H
#define MS_CLOUD_STORE_PG_SQL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* ops->sql on conn. */
ms_err_t ms_pg_sql(PGconn *conn, const char *text, const ms_sql_val_t *params, size_t n,
                   ms_sql_row_cb cb, void *ctx, uint64_t *changes);

/* The value of one lower-case hex digit (PostgreSQL's bytea output), or -1. */
int ms_pg_unhex1(char c);

bool ms_pg_val_i64(const PGresult *r, int row, int col, int64_t *out);
bool ms_pg_val_u64(const PGresult *r, int row, int col, uint64_t *out);   /* 0..INT64_MAX */
/* A bytea value (\x...) of exactly n bytes. */
bool ms_pg_val_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t n);
/* A text value that fits cap bytes with its NUL. */
bool ms_pg_val_text(const PGresult *r, int row, int col, char *out, size_t cap);

/* The schema: migrations[i] brings a database from version i to i + 1
 * (store_pg_schema.c). */
extern const char *const ms_pg_migrations[];
extern const int ms_pg_n_migrations;

#endif
