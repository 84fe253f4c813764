/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_pg_sql.c - the PostgreSQL backend's result-value readers, and
 * store.h's generic statement call (ops->sql) on
 * PostgreSQL: any statement text with $N placeholders and typed values, rows
 * handed to a callback. The OTA tables use it (cloud/ota_store.c), so their
 * SQL is written once for both backends.
 *
 * Invariants:
 *   - Parameters go as text (integers) or binary (blobs), results come back
 *     in text form and are typed by their column's OID; a bytea value is
 *     hex-decoded with every digit checked.
 *   - Column values handed to the callback are valid only during it.
 *   - An integrity violation (SQLSTATE class 23) is MS_ERR_STATE, any other
 *     failure MS_ERR_CLOUD_DB.
 */
#include "store_pg_sql.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- result values (text form), shared with store_pg.c ------------------------------------ */

int ms_pg_unhex1(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A bytea value (text form \x...) of exactly n bytes. */
bool ms_pg_val_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t n)
{
    if (PQgetisnull(r, row, col)) {
        return false;
    }
    const char *s = PQgetvalue(r, row, col);
    size_t len = (size_t)PQgetlength(r, row, col);
    if (len != 2 + 2 * n || s[0] != '\\' || s[1] != 'x') {
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        int hi = ms_pg_unhex1(s[2 + 2 * k]), lo = ms_pg_unhex1(s[3 + 2 * k]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[k] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool ms_pg_val_text(const PGresult *r, int row, int col, char *out, size_t cap)
{
    if (PQgetisnull(r, row, col)) {
        return false;
    }
    size_t len = (size_t)PQgetlength(r, row, col);
    if (len >= cap) {
        return false;
    }
    memcpy(out, PQgetvalue(r, row, col), len);
    out[len] = '\0';
    return true;
}

bool ms_pg_val_i64(const PGresult *r, int row, int col, int64_t *out)
{
    if (PQgetisnull(r, row, col)) {
        return false;
    }
    const char *s = PQgetvalue(r, row, col);
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

bool ms_pg_val_u64(const PGresult *r, int row, int col, uint64_t *out)
{
    int64_t v = 0;
    if (!ms_pg_val_i64(r, row, col, &v) || v < 0) {
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

/* ---- the generic statement call ----------------------------------------------------------- */

/* One result value, typed by its column's type OID (int2/4/8, bool, bytea). */
static bool pg_col(const PGresult *r, int row, int c, ms_sql_val_t *v, uint8_t **owned)
{
    memset(v, 0, sizeof *v);
    if (PQgetisnull(r, row, c)) {
        v->t = MS_SQL_NULL;
        return true;
    }
    const char *text = PQgetvalue(r, row, c);
    size_t len = (size_t)PQgetlength(r, row, c);
    switch (PQftype(r, c)) {
    case 20: case 21: case 23:
        v->t = MS_SQL_INT;
        return ms_pg_val_i64(r, row, c, &v->i);
    case 16:
        v->t = MS_SQL_INT;
        v->i = text[0] == 't';
        return true;
    case 17: {
        if (len < 2 || (len - 2) % 2 != 0) {
            return false;
        }
        size_t n = (len - 2) / 2;
        uint8_t *b = malloc(n ? n : 1);
        if (b == NULL) {
            return false;
        }
        if (!ms_pg_val_bytes(r, row, c, b, n)) {
            free(b);
            return false;
        }
        *owned = b;
        v->t = MS_SQL_BLOB;
        v->p = b;
        v->n = n;
        return true;
    }
    default:
        v->t = MS_SQL_TEXT;
        v->s = text;
        v->n = len;
        return true;
    }
}

ms_err_t ms_pg_sql(PGconn *conn, const char *text, const ms_sql_val_t *params, size_t n,
                   ms_sql_row_cb cb, void *ctx, uint64_t *changes)
{
    if (text == NULL || n > MS_SQL_PARAMS_MAX) {
        return MS_ERR_ARG;
    }
    const char *vals[MS_SQL_PARAMS_MAX];
    int lens[MS_SQL_PARAMS_MAX], fmts[MS_SQL_PARAMS_MAX];
    char nums[MS_SQL_PARAMS_MAX][24];
    for (size_t i = 0; i < n; i++) {
        lens[i] = 0;
        fmts[i] = 0;
        switch (params[i].t) {
        case MS_SQL_INT:
            snprintf(nums[i], sizeof nums[i], "%" PRId64, params[i].i);
            vals[i] = nums[i];
            break;
        case MS_SQL_TEXT:
            vals[i] = params[i].s;
            break;
        case MS_SQL_BLOB:
            if (params[i].n > INT32_MAX) {
                return MS_ERR_ARG;
            }
            vals[i] = (const char *)params[i].p;
            lens[i] = (int)params[i].n;
            fmts[i] = 1;
            break;
        default:
            vals[i] = NULL;
            break;
        }
    }
    PGresult *r = PQexecParams(conn, text, (int)n, NULL, vals, lens, fmts, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        ms_err_t err = state != NULL && (strncmp(state, "23", 2) == 0) ? MS_ERR_STATE
                                                                      : MS_ERR_CLOUD_DB;
        PQclear(r);
        return err;
    }
    ms_err_t err = MS_OK;
    int rows = PQntuples(r), nc = PQnfields(r);
    if (nc < 0 || (size_t)nc > MS_SQL_COLS_MAX) {
        err = rows > 0 ? MS_ERR_CLOUD_DB : MS_OK;
        rows = 0;
    }
    for (int row = 0; err == MS_OK && row < rows; row++) {
        ms_sql_val_t cols[MS_SQL_COLS_MAX];
        uint8_t *owned[MS_SQL_COLS_MAX] = {0};
        for (int c = 0; err == MS_OK && c < nc; c++) {
            if (!pg_col(r, row, c, &cols[c], &owned[c])) {
                err = MS_ERR_CLOUD_DB;
            }
        }
        if (err == MS_OK && cb != NULL) {
            err = cb(ctx, cols, (size_t)nc);
        }
        for (int c = 0; c < nc; c++) {
            free(owned[c]);
        }
    }
    if (err == MS_OK && changes != NULL) {
        const char *t = PQcmdTuples(r);
        *changes = t != NULL && *t != '\0' ? strtoull(t, NULL, 10) : 0;
    }
    PQclear(r);
    return err;
}

