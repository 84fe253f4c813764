/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_params.h - the HTTP API's parameters: JSON request bodies and query
 * strings parsed into fixed structs, with a reason for every refusal (it
 * becomes the 400/422 answer). Bounded: a body is at most
 * MS_JP_BODY_MAX bytes, every string has a maximum length, numbers a range,
 * unknown members are refused, duplicate members are refused.
 */
#ifndef MS_CLOUD_JSON_PARAMS_H
#define MS_CLOUD_JSON_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cose_msg.h"
#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "meterseal/tee_attest.h"
#include "store.h"

#define MS_JP_BODY_MAX     16384u
#define MS_JP_REASON_MAX   128u
#define MS_JP_PASSWORD_MAX 128u

typedef struct ms_jp_login {
    char name[MS_STORE_NAME_MAX + 1];
    char password[MS_JP_PASSWORD_MAX + 1];
} ms_jp_login_t;

typedef struct ms_jp_register {
    char meter_id[MS_MSG_ID_MAX + 1];
    char cert_pem[MS_STORE_CERT_MAX];
    size_t cert_len;
    ms_p256_pub_t iak_pub;
    uint8_t token[MS_TEE_ATTEST_TOKEN_MAX];
    size_t token_len;
    uint8_t nonce[MS_STORE_NONCE_LEN];
} ms_jp_register_t;

/* A command as an operator asks for it (§5.5); meter id and cmd_seq are
 * filled by the service. */
typedef ms_msg_command_t ms_jp_command_t;

/* Each returns MS_OK, or MS_ERR_FORMAT with reason filled. */
ms_err_t ms_jp_login(const char *body, size_t len, ms_jp_login_t *out,
                     char reason[MS_JP_REASON_MAX]);
ms_err_t ms_jp_register(const char *body, size_t len, ms_jp_register_t *out,
                        char reason[MS_JP_REASON_MAX]);
ms_err_t ms_jp_command(const char *body, size_t len, ms_jp_command_t *out,
                       char reason[MS_JP_REASON_MAX]);

/* A query value: decimal, no sign, at most max. NULL s: *v = dflt. */
ms_err_t ms_jp_query_u64(const char *s, uint64_t max, uint64_t dflt, uint64_t *v);

/* Lower-case hex of exactly n bytes (2n digits) into out. */
bool ms_jp_unhex(const char *s, size_t slen, uint8_t *out, size_t n);
void ms_jp_hex(const uint8_t *p, size_t n, char *out);

/* src into dst[cap] (cut to cap - 1 bytes), every byte outside printable
 * ASCII as '?': always a valid JSON string's text. Returns dst. */
const char *ms_jp_printable(char *dst, size_t cap, const char *src);

/* The command's arguments as a JSON object text (for the commands table). */
ms_err_t ms_jp_command_args_json(const ms_jp_command_t *c, char *out, size_t cap);

#endif /* MS_CLOUD_JSON_PARAMS_H */
