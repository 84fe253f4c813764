/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_params.c - HTTP API parameters (see json_params.h), on jansson.
 *
 * Invariants:
 *   - jansson reads exactly (body, len) with duplicate members refused and
 *     NUL characters in strings refused (its default); nesting cannot go
 *     deep since every accepted value is a flat object of scalars.
 *   - Every member is checked against the route's list: an unknown member
 *     is an error, a missing required one is an error, each has a type and
 *     a bound. Nothing is used before the whole body was checked.
 *   - Reasons never echo more than 32 bytes of what the client sent.
 */
#include "json_params.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "meterseal/link_limits.h"
#include "x509.h"

/* reason = before + (at most 32 bytes of arg) + after; arg's bytes outside
 * printable ASCII become '?', so a cut never leaves half a UTF-8 character
 * (the reason goes back inside a JSON string). */
static void set_reason(char reason[MS_JP_REASON_MAX], const char *before, const char *arg,
                       const char *after)
{
    char a[33];
    snprintf(reason, MS_JP_REASON_MAX, "%s%s%s", before,
             ms_jp_printable(a, sizeof a, arg != NULL ? arg : ""), after);
}

const char *ms_jp_printable(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    for (; n + 1 < cap && src[n] != '\0'; n++) {
        unsigned char c = (unsigned char)src[n];
        dst[n] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
    }
    if (cap > 0) {
        dst[n] = '\0';
    }
    return dst;
}

/* The body as one JSON object, or NULL with a reason. */
static json_t *load_object(const char *body, size_t len, char reason[MS_JP_REASON_MAX])
{
    if (body == NULL || len == 0) {
        set_reason(reason, "empty body", NULL, "");
        return NULL;
    }
    if (len > MS_JP_BODY_MAX) {
        set_reason(reason, "body too large", NULL, "");
        return NULL;
    }
    json_error_t e;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (root == NULL) {
        set_reason(reason, "malformed JSON: ", e.text, "");
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        set_reason(reason, "body is not a JSON object", NULL, "");
        return NULL;
    }
    return root;
}

/* Members must all be in `allowed` (NULL-terminated). */
static bool only_members(json_t *root, const char *const *allowed, char reason[MS_JP_REASON_MAX])
{
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        (void)val;
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++) {
            ok = strcmp(key, allowed[i]) == 0;
        }
        if (!ok) {
            set_reason(reason, "unknown member '", key, "'");
            return false;
        }
    }
    return true;
}

/* A required string member of 1..max bytes into out (max + 1 bytes). */
static bool get_string(json_t *root, const char *name, char *out, size_t max, size_t *out_len,
                       char reason[MS_JP_REASON_MAX])
{
    json_t *v = json_object_get(root, name);
    if (v == NULL) {
        set_reason(reason, "missing member '", name, "'");
        return false;
    }
    if (!json_is_string(v)) {
        set_reason(reason, "member '", name, "' must be a string");
        return false;
    }
    size_t n = json_string_length(v);
    if (n == 0 || n > max) {
        set_reason(reason, "member '", name, "' has a bad length");
        return false;
    }
    memcpy(out, json_string_value(v), n);
    out[n] = '\0';
    if (out_len != NULL) {
        *out_len = n;
    }
    return true;
}

static bool get_u64(json_t *root, const char *name, uint64_t max, uint64_t *out,
                    char reason[MS_JP_REASON_MAX])
{
    json_t *v = json_object_get(root, name);
    if (v == NULL) {
        set_reason(reason, "missing member '", name, "'");
        return false;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max) {
        set_reason(reason, "member '", name, "' must be an integer in range");
        return false;
    }
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static int unhex1(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                 : -1;
}

bool ms_jp_unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
    if (s == NULL || slen != 2 * n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = unhex1(s[2 * i]), lo = unhex1(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void ms_jp_hex(const uint8_t *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* A hex string member of 2*min .. 2*max digits into out; *n gets bytes. */
static bool get_hex(json_t *root, const char *name, uint8_t *out, size_t min, size_t max,
                    size_t *n, char reason[MS_JP_REASON_MAX])
{
    json_t *v = json_object_get(root, name);
    if (v == NULL) {
        set_reason(reason, "missing member '", name, "'");
        return false;
    }
    size_t len = json_is_string(v) ? json_string_length(v) : 0;
    if (len % 2 != 0 || len / 2 < min || len / 2 > max ||
        !ms_jp_unhex(json_string_value(v), len, out, len / 2)) {
        set_reason(reason, "member '", name, "' must be hex of the right length");
        return false;
    }
    *n = len / 2;
    return true;
}

ms_err_t ms_jp_login(const char *body, size_t len, ms_jp_login_t *out,
                     char reason[MS_JP_REASON_MAX])
{
    static const char *const allowed[] = { "name", "password", NULL };
    memset(out, 0, sizeof *out);
    json_t *root = load_object(body, len, reason);
    bool ok = root != NULL && only_members(root, allowed, reason) &&
              get_string(root, "name", out->name, MS_STORE_NAME_MAX, NULL, reason) &&
              get_string(root, "password", out->password, MS_JP_PASSWORD_MAX, NULL, reason);
    json_decref(root);
    return ok ? MS_OK : MS_ERR_FORMAT;
}

ms_err_t ms_jp_register(const char *body, size_t len, ms_jp_register_t *out,
                        char reason[MS_JP_REASON_MAX])
{
    static const char *const allowed[] = { "meter_id", "cert_pem", "iak_pub_hex", "token_hex",
                                           "nonce_hex", NULL };
    memset(out, 0, sizeof *out);
    json_t *root = load_object(body, len, reason);
    size_t n = 0;
    bool ok = root != NULL && only_members(root, allowed, reason) &&
              get_string(root, "meter_id", out->meter_id, MS_MSG_ID_MAX, NULL, reason);
    if (ok && !ms_meter_id_valid(out->meter_id, strlen(out->meter_id))) {
        set_reason(reason, "meter_id must be 1..32 of [A-Za-z0-9-]", NULL, "");
        ok = false;
    }
    ok = ok && get_string(root, "cert_pem", out->cert_pem, sizeof out->cert_pem - 1,
                          &out->cert_len, reason);
    ok = ok && get_hex(root, "iak_pub_hex", out->iak_pub.q, MS_P256_PUB_LEN, MS_P256_PUB_LEN,
                       &n, reason);
    if (ok && ms_p256_pub_check(&out->iak_pub) != MS_OK) {
        set_reason(reason, "iak_pub_hex is not a P-256 point", NULL, "");
        ok = false;
    }
    ok = ok && get_hex(root, "token_hex", out->token, 1, sizeof out->token, &out->token_len,
                       reason);
    ok = ok && get_hex(root, "nonce_hex", out->nonce, MS_STORE_NONCE_LEN, MS_STORE_NONCE_LEN,
                       &n, reason);
    json_decref(root);
    return ok ? MS_OK : MS_ERR_FORMAT;
}

ms_err_t ms_jp_command(const char *body, size_t len, ms_jp_command_t *out,
                       char reason[MS_JP_REASON_MAX])
{
    static const char *const topup[] = { "type", "amount_milli", NULL };
    static const char *const relay[] = { "type", "connect", NULL };
    static const char *const tariff[] = { "type", "tariff_id", "price_milli_per_kwh", NULL };
    memset(out, 0, sizeof *out);
    json_t *root = load_object(body, len, reason);
    char type[16];
    bool ok = root != NULL && get_string(root, "type", type, sizeof type - 1, NULL, reason);
    if (ok && strcmp(type, "topup") == 0) {
        out->type = MS_CMD_TOPUP;
        ok = only_members(root, topup, reason) &&
             get_u64(root, "amount_milli", (uint64_t)INT64_MAX, &out->amount_milli, reason);
    } else if (ok && strcmp(type, "relay") == 0) {
        out->type = MS_CMD_RELAY;
        json_t *v = json_object_get(root, "connect");
        ok = only_members(root, relay, reason);
        if (ok && !json_is_boolean(v)) {
            set_reason(reason, "member 'connect' must be true or false", NULL, "");
            ok = false;
        }
        out->connect = ok && json_is_true(v);
    } else if (ok && strcmp(type, "tariff") == 0) {
        out->type = MS_CMD_TARIFF;
        ok = only_members(root, tariff, reason) &&
             get_u64(root, "tariff_id", (uint64_t)INT64_MAX, &out->tariff_id, reason) &&
             get_u64(root, "price_milli_per_kwh", MS_LINK_PRICE_MAX,
                     &out->price_milli_per_kwh, reason);
    } else if (ok) {
        set_reason(reason, "type must be topup, relay or tariff", NULL, "");
        ok = false;
    }
    json_decref(root);
    return ok ? MS_OK : MS_ERR_FORMAT;
}

ms_err_t ms_jp_command_args_json(const ms_jp_command_t *c, char *out, size_t cap)
{
    int n;
    switch (c->type) {
    case MS_CMD_TOPUP:
        n = snprintf(out, cap, "{\"amount_milli\":%llu}", (unsigned long long)c->amount_milli);
        break;
    case MS_CMD_RELAY:
        n = snprintf(out, cap, "{\"connect\":%s}", c->connect ? "true" : "false");
        break;
    case MS_CMD_TARIFF:
        n = snprintf(out, cap, "{\"tariff_id\":%llu,\"price_milli_per_kwh\":%llu}",
                     (unsigned long long)c->tariff_id,
                     (unsigned long long)c->price_milli_per_kwh);
        break;
    default:
        return MS_ERR_ARG;
    }
    return n > 0 && (size_t)n < cap ? MS_OK : MS_ERR_BUFFER_TOO_SMALL;
}

ms_err_t ms_jp_query_u64(const char *s, uint64_t max, uint64_t dflt, uint64_t *v)
{
    if (s == NULL) {
        *v = dflt;
        return MS_OK;
    }
    size_t n = strlen(s);
    if (n == 0 || n > 19) {
        return MS_ERR_FORMAT;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return MS_ERR_FORMAT;
        }
        x = x * 10u + (uint64_t)(s[i] - '0');
    }
    if (x > max) {
        return MS_ERR_FORMAT;
    }
    *v = x;
    return MS_OK;
}
