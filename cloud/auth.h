/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h - operators and their sessions (docs/cloud.md §6).
 *
 * Passwords are stored as libsodium crypto_pwhash_str strings (Argon2id,
 * interactive limits). A session token is 32 random bytes shown once, as
 * hex, to the operator who logged in; the database keeps only its SHA-256.
 * Each session also has a CSRF token for cookie-carried sessions (the
 * dashboard): a request authenticated by cookie must repeat it in a header.
 */
#ifndef MS_CLOUD_AUTH_H
#define MS_CLOUD_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "store.h"

#define MS_AUTH_TOKEN_LEN   32u
#define MS_AUTH_TOKEN_HEX   (2u * MS_AUTH_TOKEN_LEN + 1u)
#define MS_AUTH_SESSION_TTL (12 * 3600)

/* Start libsodium. MS_ERR_CRYPTO if it cannot. */
ms_err_t ms_auth_init(void);

/* Create or replace an operator. MS_ERR_ARG for a bad name (1..32 of
 * [A-Za-z0-9._-]) or a password under 8 bytes. */
ms_err_t ms_auth_operator_set(const ms_db_t *db, const char *name, const char *password,
                              ms_role_t role);

/* Check name and password; on success make a session and give its token and
 * CSRF token (hex). MS_ERR_AUTH for a wrong name or password (the same work
 * is done either way). */
ms_err_t ms_auth_login(const ms_db_t *db, const char *name, const char *password, int64_t now,
                       char token_hex[MS_AUTH_TOKEN_HEX], char csrf_hex[MS_AUTH_TOKEN_HEX],
                       ms_session_rec_t *session);

/* The session of a token (hex). MS_ERR_AUTH if malformed, unknown or
 * expired. */
ms_err_t ms_auth_session(const ms_db_t *db, const char *token_hex, int64_t now,
                         ms_session_rec_t *session);

/* True when csrf_hex is the session's CSRF token (constant time). */
bool ms_auth_csrf_ok(const ms_session_rec_t *session, const char *csrf_hex);

ms_err_t ms_auth_logout(const ms_db_t *db, const char *token_hex);

#endif /* MS_CLOUD_AUTH_H */
