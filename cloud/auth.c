/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c - operators and sessions (see auth.h).
 *
 * Invariants: passwords and tokens are never logged or stored in clear;
 * buffers that held them are wiped; a login for an unknown name costs the
 * same Argon2id verification as a wrong password, so the answer time does
 * not tell which names exist.
 */
#include "auth.h"

#include <sodium.h>
#include <string.h>

#include "json_params.h"
#include "meterseal/crypto.h"

ms_err_t ms_auth_init(void)
{
    return sodium_init() >= 0 ? MS_OK : MS_ERR_CRYPTO;
}

static bool name_ok(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > MS_STORE_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

ms_err_t ms_auth_operator_set(const ms_db_t *db, const char *name, const char *password,
                              ms_role_t role)
{
    if (!name_ok(name) || password == NULL || strlen(password) < 8 ||
        (role != MS_ROLE_VIEWER && role != MS_ROLE_OPERATOR)) {
        return MS_ERR_ARG;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        return MS_ERR_CRYPTO;
    }
    _Static_assert(crypto_pwhash_STRBYTES <= MS_STORE_PWHASH_MAX, "hash string fits the store");
    return db->ops->operator_put(db->s, name, hash, role);
}

static ms_err_t token_hash(const char *token_hex, uint8_t h[MS_STORE_TOKEN_HASH_LEN])
{
    uint8_t token[MS_AUTH_TOKEN_LEN];
    if (token_hex == NULL ||
        !ms_jp_unhex(token_hex, strlen(token_hex), token, sizeof token)) {
        return MS_ERR_AUTH;
    }
    ms_err_t err = ms_sha256(token, sizeof token, h);
    ms_secure_zero(token, sizeof token);
    return err;
}

ms_err_t ms_auth_login(const ms_db_t *db, const char *name, const char *password, int64_t now,
                       char token_hex[MS_AUTH_TOKEN_HEX], char csrf_hex[MS_AUTH_TOKEN_HEX],
                       ms_session_rec_t *session)
{
    /* A valid hash of a random password: what an unknown name is checked against. */
    static char dummy[crypto_pwhash_STRBYTES];
    char stored[MS_STORE_PWHASH_MAX];
    ms_role_t role = MS_ROLE_VIEWER;
    ms_err_t err = name_ok(name) ? db->ops->operator_get(db->s, name, stored, &role)
                                 : MS_ERR_NOT_FOUND;
    if (err != MS_OK && err != MS_ERR_NOT_FOUND) {
        return err;
    }
    bool known = err == MS_OK;
    if (!known) {
        if (dummy[0] == '\0') {
            uint8_t rnd[16];
            char pw[33];
            ms_random(rnd, sizeof rnd);
            ms_jp_hex(rnd, sizeof rnd, pw);
            if (crypto_pwhash_str(dummy, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
                return MS_ERR_CRYPTO;
            }
        }
        memcpy(stored, dummy, sizeof dummy);
    }
    bool match = crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
    if (!known || !match) {
        return MS_ERR_AUTH;
    }
    uint8_t token[MS_AUTH_TOKEN_LEN], h[MS_STORE_TOKEN_HASH_LEN];
    memset(session, 0, sizeof *session);
    memcpy(session->operator_name, name, strlen(name) + 1);
    session->role = role;
    session->expires_at = now + MS_AUTH_SESSION_TTL;
    err = ms_random(token, sizeof token);
    if (err == MS_OK) {
        err = ms_random(session->csrf, sizeof session->csrf);
    }
    if (err == MS_OK) {
        err = ms_sha256(token, sizeof token, h);
    }
    if (err == MS_OK) {
        err = db->ops->session_add(db->s, h, session);
    }
    if (err == MS_OK) {
        ms_jp_hex(token, sizeof token, token_hex);
        ms_jp_hex(session->csrf, sizeof session->csrf, csrf_hex);
    }
    ms_secure_zero(token, sizeof token);
    return err;
}

ms_err_t ms_auth_session(const ms_db_t *db, const char *token_hex, int64_t now,
                         ms_session_rec_t *session)
{
    uint8_t h[MS_STORE_TOKEN_HASH_LEN];
    ms_err_t err = token_hash(token_hex, h);
    if (err == MS_OK) {
        err = db->ops->session_get(db->s, h, now, session);
    }
    return err == MS_ERR_NOT_FOUND ? MS_ERR_AUTH : err;
}

bool ms_auth_csrf_ok(const ms_session_rec_t *session, const char *csrf_hex)
{
    uint8_t c[MS_STORE_CSRF_LEN];
    if (csrf_hex == NULL || !ms_jp_unhex(csrf_hex, strlen(csrf_hex), c, sizeof c)) {
        return false;
    }
    return ms_ct_equal(c, session->csrf, sizeof c);
}

ms_err_t ms_auth_logout(const ms_db_t *db, const char *token_hex)
{
    uint8_t h[MS_STORE_TOKEN_HASH_LEN];
    ms_err_t err = token_hash(token_hex, h);
    return err == MS_OK ? db->ops->session_delete(db->s, h) : err;
}
