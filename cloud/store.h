/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h - the cloud's storage interface: one table of function pointers,
 * two implementations (store_sqlite.c: SQLite in WAL mode, the zero-set-up
 * default; store_pg.c: PostgreSQL through libpq, for production). The
 * service, the tests and the benchmark call only this interface; no code
 * outside the two backends knows which one runs (no #ifdef on the backend).
 *
 * Invariants every backend keeps:
 *   - SQL lives in the backend's one file; the schema is a numbered list of
 *     migrations applied in order, each in its own transaction, recorded in
 *     schema_migrations; opening a database never re-applies one.
 *   - readings_store() returns only after its transaction has committed
 *     durably (SQLite synchronous=FULL; PostgreSQL synchronous_commit on):
 *     the caller acknowledges to meters only after that (docs/cloud.md §5.4).
 *   - (meter, seq) is unique in readings: a reading is stored once.
 *   - Nonces are single use: nonce_take() succeeds for one caller only.
 *   - Session tokens are stored only as SHA-256 hashes.
 *   - Rows read back are outside data: lengths are checked before copying.
 *   - uint64 values above INT64_MAX are refused (MS_ERR_ARG), since both
 *     backends store signed 64-bit integers.
 */
#ifndef MS_CLOUD_STORE_H
#define MS_CLOUD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cose_msg.h"
#include "meterseal/crypto.h"
#include "meterseal/error.h"

#define MS_STORE_NAME_MAX   32u
#define MS_STORE_CERT_MAX   4096u
#define MS_STORE_PWHASH_MAX 128u
#define MS_STORE_ARGS_MAX   256u
#define MS_STORE_NONCE_LEN  32u
#define MS_STORE_TOKEN_HASH_LEN 32u
#define MS_STORE_CSRF_LEN   32u

typedef struct ms_store ms_store_t;   /* a backend's connection */

typedef struct ms_meter_rec {
    char id[MS_MSG_ID_MAX + 1];
    ms_p256_pub_t pub;                /* identity key (from the certificate) */
    uint8_t kid[MS_COSE_KID_LEN];
    ms_p256_pub_t iak_pub;
    char cert_pem[MS_STORE_CERT_MAX];
    int64_t registered_at;
    bool has_readings;
    uint64_t max_reading_seq;         /* meter_get: newest stored reading seq */
} ms_meter_rec_t;

/* One reading to store (payload = the signed CBOR map, msg = whole COSE). */
typedef struct ms_reading_rec {
    ms_msg_reading_t r;
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *msg;
    size_t msg_len;
    int64_t received_at;
} ms_reading_rec_t;

typedef enum ms_store_outcome {
    MS_STORE_STORED = 0,     /* new (meter, seq): inserted */
    MS_STORE_DUPLICATE = 1,  /* already stored with the same payload bytes */
    MS_STORE_CONFLICT = 2,   /* already stored with a different payload */
} ms_store_outcome_t;

typedef struct ms_event_rec {
    char meter_id[MS_MSG_ID_MAX + 1];
    bool from_meter;          /* signed by the meter (seq meaningful), else the cloud's */
    uint64_t seq;
    int64_t time;
    char kind[MS_MSG_TSTR_MAX + 1];
    char detail[MS_MSG_DETAIL_MAX + 1];
    int64_t received_at;
} ms_event_rec_t;

typedef enum ms_role {
    MS_ROLE_VIEWER = 1,
    MS_ROLE_OPERATOR = 2,
} ms_role_t;

typedef struct ms_session_rec {
    char operator_name[MS_STORE_NAME_MAX + 1];
    ms_role_t role;
    uint8_t csrf[MS_STORE_CSRF_LEN];  /* for cookie-authenticated requests (dashboard) */
    int64_t expires_at;
} ms_session_rec_t;

typedef struct ms_command_rec {
    char meter_id[MS_MSG_ID_MAX + 1];
    uint64_t cmd_seq;
    uint32_t type;
    char args_json[MS_STORE_ARGS_MAX];
    char created_by[MS_STORE_NAME_MAX + 1];
    int64_t created_at;
    bool has_result;
    uint64_t result_status;
    int64_t result_balance;
} ms_command_rec_t;

/* Generic statements (for the OTA tables, cloud/ota_store.c): SQL written
 * once in the subset both backends accept, with $1..$n placeholders; values
 * in and out as these tagged values. Text and blob values of a row point
 * into the backend's memory and live until the callback returns. */
typedef enum ms_sql_type {
    MS_SQL_NULL = 0,
    MS_SQL_INT = 1,
    MS_SQL_TEXT = 2,
    MS_SQL_BLOB = 3,
} ms_sql_type_t;

typedef struct ms_sql_val {
    ms_sql_type_t t;
    int64_t i;
    const char *s;            /* NUL-terminated */
    const uint8_t *p;
    size_t n;
} ms_sql_val_t;

#define MS_SQL_PARAMS_MAX 16u
#define MS_SQL_COLS_MAX   16u

typedef ms_err_t (*ms_sql_row_cb)(void *ctx, const ms_sql_val_t *cols, size_t n);

typedef enum ms_sql_tx {
    MS_SQL_BEGIN = 0,         /* a write transaction (SQLite: BEGIN IMMEDIATE) */
    MS_SQL_COMMIT = 1,
    MS_SQL_ROLLBACK = 2,
    /* a write transaction serialised with every other of this kind, across
     * instances: a check and the write it allows are one step (SQLite:
     * BEGIN IMMEDIATE, which serialises every writer; PostgreSQL: BEGIN and
     * a transaction-scoped advisory lock) */
    MS_SQL_BEGIN_SERIAL = 3,
} ms_sql_tx_t;

typedef ms_err_t (*ms_store_meter_cb)(void *ctx, const ms_meter_rec_t *m);
typedef ms_err_t (*ms_store_reading_cb)(void *ctx, const ms_msg_reading_t *r, int64_t received_at);
typedef ms_err_t (*ms_store_event_cb)(void *ctx, const ms_event_rec_t *e);

typedef struct ms_store_ops {
    const char *name;   /* "sqlite" or "postgres" */

    /* conninfo: a file path (SQLite) or a libpq connection string. Opening
     * does not migrate. */
    ms_err_t (*open)(const char *conninfo, ms_store_t **out);
    void (*close)(ms_store_t *s);

    /* Apply migrations up to `target` (0 = all); *version gets the schema
     * version afterwards. */
    ms_err_t (*migrate)(ms_store_t *s, int target, int *version);
    int (*latest_version)(void);

    /* Meters. meter_add: MS_ERR_STATE if the id exists. */
    ms_err_t (*meter_add)(ms_store_t *s, const ms_meter_rec_t *m);
    ms_err_t (*meter_get)(ms_store_t *s, const char *id, ms_meter_rec_t *m);
    ms_err_t (*meter_list)(ms_store_t *s, const char *after, uint32_t limit,
                           ms_store_meter_cb cb, void *ctx);

    /* Readings: one durable transaction for the batch; (meter, seq) are
     * distinct within a batch. outcome[i] says what became of item i. */
    ms_err_t (*readings_store)(ms_store_t *s, const ms_reading_rec_t *batch, size_t n,
                               ms_store_outcome_t *outcome);
    /* Readings of a meter with from <= time <= to, oldest seq first. */
    ms_err_t (*readings_list)(ms_store_t *s, const char *meter_id, uint64_t from, uint64_t to,
                              uint32_t limit, ms_store_reading_cb cb, void *ctx);
    /* Count of stored readings (meter_id NULL: all meters). */
    ms_err_t (*readings_count)(ms_store_t *s, const char *meter_id, uint64_t *n);

    /* Events. A meter event with a (meter, seq) already stored, or a cloud
     * event with a (meter, kind, detail) already stored, is ignored (*stored
     * false): the same fact twice adds no row. */
    ms_err_t (*event_add)(ms_store_t *s, const ms_event_rec_t *e, bool *stored);
    ms_err_t (*events_list)(ms_store_t *s, const char *meter_id, uint32_t limit,
                            ms_store_event_cb cb, void *ctx);

    /* Provisioning nonces: single use, valid until expires_at. nonce_take:
     * MS_ERR_CLOUD_NONCE if unknown, expired or used; marks it used. */
    ms_err_t (*nonce_add)(ms_store_t *s, const uint8_t nonce[MS_STORE_NONCE_LEN],
                          int64_t expires_at);
    ms_err_t (*nonce_take)(ms_store_t *s, const uint8_t nonce[MS_STORE_NONCE_LEN], int64_t now);

    /* Operators (password hash is libsodium's crypto_pwhash_str string).
     * operator_put also ends every session of that operator: a session
     * never outlives the password and role it was opened with. */
    ms_err_t (*operator_put)(ms_store_t *s, const char *name, const char *pwhash, ms_role_t role);
    ms_err_t (*operator_get)(ms_store_t *s, const char *name,
                             char pwhash[MS_STORE_PWHASH_MAX], ms_role_t *role);

    /* Sessions by token hash. session_get: MS_ERR_NOT_FOUND if absent or
     * expired at now. */
    ms_err_t (*session_add)(ms_store_t *s, const uint8_t token_hash[MS_STORE_TOKEN_HASH_LEN],
                            const ms_session_rec_t *rec);
    ms_err_t (*session_get)(ms_store_t *s, const uint8_t token_hash[MS_STORE_TOKEN_HASH_LEN],
                            int64_t now, ms_session_rec_t *rec);
    ms_err_t (*session_delete)(ms_store_t *s,
                               const uint8_t token_hash[MS_STORE_TOKEN_HASH_LEN]);

    /* Commands: command_add allocates cmd_seq (last of the meter + 1) in
     * rec->cmd_seq; command_result records what the meter answered
     * (MS_ERR_NOT_FOUND for an unknown command). The first verdict stays:
     * a later answer replaces it only if it was MS_RESULT_REPLAY or
     * MS_RESULT_STORAGE and the later one is not MS_RESULT_REPLAY, so a
     * redelivered command's "replay", or an old result sent again, never
     * overwrites what the meter did (*recorded false, MS_OK). */
    ms_err_t (*command_add)(ms_store_t *s, ms_command_rec_t *rec);
    ms_err_t (*command_result)(ms_store_t *s, const char *meter_id, uint64_t cmd_seq,
                               uint64_t status, int64_t balance, bool *recorded);
    ms_err_t (*command_get)(ms_store_t *s, const char *meter_id, uint64_t cmd_seq,
                            ms_command_rec_t *rec);

    /* Generic statements (see ms_sql_val_t): run `sql` with n params (at
     * most MS_SQL_PARAMS_MAX), calling cb (may be NULL) per result row of at
     * most MS_SQL_COLS_MAX columns; *changes (may be NULL) gets the rows
     * changed. A constraint violation is MS_ERR_STATE. Integer columns come
     * back as MS_SQL_INT, binary ones as MS_SQL_BLOB, SQL NULL as
     * MS_SQL_NULL. */
    ms_err_t (*sql)(ms_store_t *s, const char *sql, const ms_sql_val_t *params, size_t n,
                    ms_sql_row_cb cb, void *ctx, uint64_t *changes);
    ms_err_t (*tx)(ms_store_t *s, ms_sql_tx_t what);
} ms_store_ops_t;

extern const ms_store_ops_t ms_store_sqlite;
extern const ms_store_ops_t ms_store_pg;

/* A backend and its connection, as the service holds them. */
typedef struct ms_db {
    const ms_store_ops_t *ops;
    ms_store_t *s;
} ms_db_t;

/* "sqlite:PATH" or "postgres:CONNINFO" (a bare path means SQLite): connect
 * without migrating. */
ms_err_t ms_db_connect(const char *spec, ms_db_t *db);
/* Connect and migrate to the latest schema version. */
ms_err_t ms_db_open(const char *spec, ms_db_t *db);
void ms_db_close(ms_db_t *db);

#endif /* MS_CLOUD_STORE_H */
