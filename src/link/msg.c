/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msg.c - the signed meter <-> cloud messages (meterseal/link_msg.h,
 * docs/cloud.md section 5): payload encoders and decoders, and the COSE
 * seal/open with the signer's kid.
 *
 * Invariants:
 *   - Encoders write keys in ascending order with shortest-form integers
 *     (the CBOR encoder always writes the shortest head), so each value has
 *     one encoding.
 *   - Decoders read only inside (p, len), want exactly the keys of the kind
 *     in ascending order, bound every string and count, and finally
 *     re-encode what they read and compare it with the input: anything but
 *     the deterministic encoding is MS_ERR_FORMAT. Nothing is returned on
 *     failure (the output is zeroed).
 *   - Text fields are printable ASCII (0x20..0x7e): the cloud logs them.
 */
#include "meterseal/link_msg.h"

#include <string.h>

#include "fields.h"
#include "meterseal/tee_cbor.h"

/* ---- field helpers ------------------------------------------------------------ */

bool ms_link_meter_id_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > MS_LINK_METER_ID_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static ms_err_t finish(ms_cbor_enc_t *e, size_t *len)
{
    return ms_cbor_enc_finish(e, len);
}

/* ---- reading ------------------------------------------------------------------ */

ms_err_t ms_link_reading_encode(const ms_link_reading_t *r, uint8_t *out, size_t cap, size_t *len)
{
    if (r == NULL || out == NULL || len == NULL || !ms_link_f_meter_id_ok(r->meter_id)) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 6);
    ms_link_f_put_meter_id(&e, r->meter_id);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_uint(&e, r->seq);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_uint(&e, r->time);
    ms_cbor_put_uint(&e, 4);
    ms_cbor_put_uint(&e, r->energy_wh);
    ms_cbor_put_uint(&e, 5);
    ms_cbor_put_int(&e, r->balance_milli);
    ms_cbor_put_uint(&e, 6);
    ms_cbor_put_uint(&e, r->tariff_id);
    return finish(&e, len);
}

static ms_err_t reading_enc(const void *v, uint8_t *out, size_t cap, size_t *len)
{
    return ms_link_reading_encode(v, out, cap, len);
}

ms_err_t ms_link_reading_decode(const uint8_t *p, size_t len, ms_link_reading_t *r)
{
    if (p == NULL || r == NULL) {
        return MS_ERR_ARG;
    }
    memset(r, 0, sizeof *r);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = ms_link_f_expect_map(&d, 6);
    if (!err) {
        err = ms_link_f_get_meter_id(&d, r->meter_id);
    }
    if (!err) {
        err = ms_link_f_get_keyed_uint(&d, 2, &r->seq);
    }
    if (!err) {
        err = ms_link_f_get_keyed_uint(&d, 3, &r->time);
    }
    if (!err) {
        err = ms_link_f_get_keyed_uint(&d, 4, &r->energy_wh);
    }
    if (!err) {
        err = ms_link_f_get_keyed_int(&d, 5, &r->balance_milli);
    }
    if (!err) {
        err = ms_link_f_get_keyed_uint(&d, 6, &r->tariff_id);
    }
    if (!err) {
        err = ms_link_f_canonical(&d, reading_enc, r, p, len, MS_LINK_MSG_MAX);
    }
    if (err) {
        memset(r, 0, sizeof *r);
    }
    return err;
}

/* ---- event -------------------------------------------------------------------- */

ms_err_t ms_link_event_encode(const ms_link_event_t *ev, uint8_t *out, size_t cap, size_t *len)
{
    if (ev == NULL || out == NULL || len == NULL || !ms_link_f_meter_id_ok(ev->meter_id)) {
        return MS_ERR_ARG;
    }
    size_t kn = ms_link_f_text_len(ev->kind, MS_LINK_KIND_MAX + 1);
    size_t dn = ms_link_f_text_len(ev->detail, MS_LINK_DETAIL_MAX + 1);
    if (kn == 0 || kn > MS_LINK_KIND_MAX || dn > MS_LINK_DETAIL_MAX ||
        !ms_link_f_printable(ev->kind, kn) || !ms_link_f_printable(ev->detail, dn)) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 5);
    ms_link_f_put_meter_id(&e, ev->meter_id);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_uint(&e, ev->seq);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_uint(&e, ev->time);
    ms_cbor_put_uint(&e, 4);
    ms_cbor_put_tstr(&e, ev->kind, kn);
    ms_cbor_put_uint(&e, 5);
    ms_cbor_put_tstr(&e, ev->detail, dn);
    return finish(&e, len);
}

static ms_err_t event_enc(const void *v, uint8_t *out, size_t cap, size_t *len)
{
    return ms_link_event_encode(v, out, cap, len);
}

ms_err_t ms_link_event_decode(const uint8_t *p, size_t len, ms_link_event_t *ev)
{
    if (p == NULL || ev == NULL) {
        return MS_ERR_ARG;
    }
    memset(ev, 0, sizeof *ev);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = ms_link_f_expect_map(&d, 5);
    if (!err) {
        err = ms_link_f_get_meter_id(&d, ev->meter_id);
    }
    if (!err) {
        err = ms_link_f_get_keyed_uint(&d, 2, &ev->seq);
    }
    if (!err) {
        err = ms_link_f_get_keyed_uint(&d, 3, &ev->time);
    }
    if (!err) {
        err = ms_link_f_expect_key(&d, 4);
    }
    if (!err) {
        err = ms_link_f_get_text(&d, ev->kind, MS_LINK_KIND_MAX);
    }
    if (!err) {
        err = ms_link_f_expect_key(&d, 5);
    }
    if (!err) {
        err = ms_link_f_get_text(&d, ev->detail, MS_LINK_DETAIL_MAX);
    }
    if (!err) {
        err = ms_link_f_canonical(&d, event_enc, ev, p, len, MS_LINK_MSG_MAX);
    }
    if (err) {
        memset(ev, 0, sizeof *ev);
    }
    return err;
}

/* ---- acknowledgement ---------------------------------------------------------------- */

ms_err_t ms_link_ack_encode(const ms_link_ack_t *a, uint8_t *out, size_t cap, size_t *len)
{
    if (a == NULL || out == NULL || len == NULL || !ms_link_f_meter_id_ok(a->meter_id) || a->n == 0 ||
        a->n > MS_LINK_ACK_MAX) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 2);
    ms_link_f_put_meter_id(&e, a->meter_id);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_array(&e, a->n);
    for (size_t i = 0; i < a->n; i++) {
        ms_cbor_put_uint(&e, a->seq[i]);
    }
    return finish(&e, len);
}

static ms_err_t ack_enc(const void *v, uint8_t *out, size_t cap, size_t *len)
{
    return ms_link_ack_encode(v, out, cap, len);
}

ms_err_t ms_link_ack_decode(const uint8_t *p, size_t len, ms_link_ack_t *a)
{
    if (p == NULL || a == NULL) {
        return MS_ERR_ARG;
    }
    memset(a, 0, sizeof *a);
    ms_cbor_dec_t d;
    uint64_t n = 0;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = ms_link_f_expect_map(&d, 2);
    if (!err) {
        err = ms_link_f_get_meter_id(&d, a->meter_id);
    }
    if (!err) {
        err = ms_link_f_expect_key(&d, 2);
    }
    if (!err) {
        err = ms_cbor_expect(&d, MS_CBOR_ARRAY, &n);
    }
    if (!err && (n == 0 || n > MS_LINK_ACK_MAX)) {
        err = MS_ERR_FORMAT;
    }
    for (uint64_t i = 0; i < n && !err; i++) {
        err = ms_cbor_get_uint(&d, &a->seq[i]);
    }
    if (!err) {
        a->n = (size_t)n;
        err = ms_link_f_canonical(&d, ack_enc, a, p, len, MS_LINK_MSG_MAX);
    }
    if (err) {
        memset(a, 0, sizeof *a);
    }
    return err;
}

/* ---- command ------------------------------------------------------------------ */

ms_err_t ms_link_command_encode(const ms_link_command_t *c, uint8_t *out, size_t cap,
                                size_t *len)
{
    if (c == NULL || out == NULL || len == NULL || !ms_link_f_meter_id_ok(c->meter_id)) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 4);
    ms_link_f_put_meter_id(&e, c->meter_id);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_uint(&e, c->cmd_seq);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_uint(&e, c->type);
    ms_cbor_put_uint(&e, 4);
    switch (c->type) {
    case MS_LINK_CMD_TOPUP:
        ms_cbor_put_map(&e, 1);
        ms_cbor_put_uint(&e, 1);
        ms_cbor_put_uint(&e, c->amount_milli);
        break;
    case MS_LINK_CMD_RELAY:
        ms_cbor_put_map(&e, 1);
        ms_cbor_put_uint(&e, 1);
        ms_cbor_put_bool(&e, c->connect);
        break;
    case MS_LINK_CMD_TARIFF:
        ms_cbor_put_map(&e, 2);
        ms_cbor_put_uint(&e, 1);
        ms_cbor_put_uint(&e, c->tariff_id);
        ms_cbor_put_uint(&e, 2);
        ms_cbor_put_uint(&e, c->price_milli_per_kwh);
        break;
    default:
        return MS_ERR_ARG;
    }
    return finish(&e, len);
}

static ms_err_t command_enc(const void *v, uint8_t *out, size_t cap, size_t *len)
{
    return ms_link_command_encode(v, out, cap, len);
}

static ms_err_t get_command_args(ms_cbor_dec_t *d, ms_link_command_t *c)
{
    ms_err_t err;
    switch (c->type) {
    case MS_LINK_CMD_TOPUP:
        err = ms_link_f_expect_map(d, 1);
        return err ? err : ms_link_f_get_keyed_uint(d, 1, &c->amount_milli);
    case MS_LINK_CMD_RELAY:
        err = ms_link_f_expect_map(d, 1);
        if (!err) {
            err = ms_link_f_expect_key(d, 1);
        }
        return err ? err : ms_cbor_get_bool(d, &c->connect);
    case MS_LINK_CMD_TARIFF:
        err = ms_link_f_expect_map(d, 2);
        if (!err) {
            err = ms_link_f_get_keyed_uint(d, 1, &c->tariff_id);
        }
        return err ? err : ms_link_f_get_keyed_uint(d, 2, &c->price_milli_per_kwh);
    default:
        return MS_ERR_FORMAT;
    }
}

ms_err_t ms_link_command_decode(const uint8_t *p, size_t len, ms_link_command_t *c)
{
    if (p == NULL || c == NULL) {
        return MS_ERR_ARG;
    }
    memset(c, 0, sizeof *c);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = ms_link_f_expect_map(&d, 4);
    if (!err) {
        err = ms_link_f_get_meter_id(&d, c->meter_id);
    }
    if (!err) {
        err = ms_link_f_get_keyed_uint(&d, 2, &c->cmd_seq);
    }
    if (!err) {
        err = ms_link_f_get_keyed_u32(&d, 3, &c->type);
    }
    if (!err) {
        err = ms_link_f_expect_key(&d, 4);
    }
    if (!err) {
        err = get_command_args(&d, c);
    }
    if (!err) {
        err = ms_link_f_canonical(&d, command_enc, c, p, len, MS_LINK_MSG_MAX);
    }
    if (err) {
        memset(c, 0, sizeof *c);
    }
    return err;
}

/* ---- result ------------------------------------------------------------------- */

ms_err_t ms_link_result_encode(const ms_link_result_t *res, uint8_t *out, size_t cap,
                               size_t *len)
{
    if (res == NULL || out == NULL || len == NULL || !ms_link_f_meter_id_ok(res->meter_id) ||
        res->status > MS_LINK_ST_STORAGE) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 5);
    ms_link_f_put_meter_id(&e, res->meter_id);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_uint(&e, res->result_seq);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_uint(&e, res->cmd_seq);
    ms_cbor_put_uint(&e, 4);
    ms_cbor_put_uint(&e, res->status);
    ms_cbor_put_uint(&e, 5);
    ms_cbor_put_int(&e, res->balance_milli);
    return finish(&e, len);
}

static ms_err_t result_enc(const void *v, uint8_t *out, size_t cap, size_t *len)
{
    return ms_link_result_encode(v, out, cap, len);
}

ms_err_t ms_link_result_decode(const uint8_t *p, size_t len, ms_link_result_t *res)
{
    if (p == NULL || res == NULL) {
        return MS_ERR_ARG;
    }
    memset(res, 0, sizeof *res);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = ms_link_f_expect_map(&d, 5);
    if (!err) {
        err = ms_link_f_get_meter_id(&d, res->meter_id);
    }
    if (!err) {
        err = ms_link_f_get_keyed_uint(&d, 2, &res->result_seq);
    }
    if (!err) {
        err = ms_link_f_get_keyed_uint(&d, 3, &res->cmd_seq);
    }
    if (!err) {
        err = ms_link_f_get_keyed_u32(&d, 4, &res->status);
    }
    if (!err) {
        err = ms_link_f_get_keyed_int(&d, 5, &res->balance_milli);
    }
    if (!err && res->status > MS_LINK_ST_STORAGE) {
        err = MS_ERR_FORMAT;
    }
    if (!err) {
        err = ms_link_f_canonical(&d, result_enc, res, p, len, MS_LINK_MSG_MAX);
    }
    if (err) {
        memset(res, 0, sizeof *res);
    }
    return err;
}

/* ---- the COSE envelope with the signer's kid ------------------------------------ */

ms_err_t ms_link_msg_open_kid(const uint8_t *msg, size_t len, const ms_p256_pub_t *pub,
                              const uint8_t kid[MS_COSE_KID_LEN], ms_cose_sign1_t *m)
{
    if (msg == NULL || pub == NULL || kid == NULL || m == NULL) {
        return MS_ERR_ARG;
    }
    memset(m, 0, sizeof *m);
    if (len > MS_LINK_MSG_MAX) {
        return MS_ERR_FORMAT;
    }
    ms_err_t err = ms_cose_sign1_parse(msg, len, m);
    if (!err && (m->kid == NULL || m->kid_len != MS_COSE_KID_LEN ||
                 memcmp(m->kid, kid, MS_COSE_KID_LEN) != 0)) {
        err = MS_ERR_FORMAT;   /* not the signer this receiver expects */
    }
    if (!err) {
        err = ms_cose_sign1_verify(m, pub);
    }
    if (err) {
        memset(m, 0, sizeof *m);
    }
    return err;
}

ms_err_t ms_link_msg_open(const uint8_t *msg, size_t len, const ms_p256_pub_t *pub,
                          ms_cose_sign1_t *m)
{
    uint8_t kid[MS_COSE_KID_LEN];
    if (m != NULL) {
        memset(m, 0, sizeof *m);
    }
    ms_err_t err = pub != NULL ? ms_cose_kid(pub, kid) : MS_ERR_ARG;
    return err ? err : ms_link_msg_open_kid(msg, len, pub, kid, m);
}

ms_err_t ms_link_msg_seal_kid(const uint8_t *payload, size_t payload_len,
                              const uint8_t kid[MS_COSE_KID_LEN], ms_cose_sign_fn sign,
                              void *sign_ctx, uint8_t *out, size_t cap, size_t *out_len)
{
    if (out_len == NULL || kid == NULL) {
        return MS_ERR_ARG;
    }
    *out_len = 0;
    return ms_cose_sign1(payload, payload_len, kid, MS_COSE_KID_LEN, sign, sign_ctx, out,
                         cap < MS_LINK_MSG_MAX ? cap : MS_LINK_MSG_MAX, out_len);
}

ms_err_t ms_link_msg_seal(const uint8_t *payload, size_t payload_len, const ms_p256_pub_t *pub,
                          ms_cose_sign_fn sign, void *sign_ctx, uint8_t *out, size_t cap,
                          size_t *out_len)
{
    uint8_t kid[MS_COSE_KID_LEN];
    if (out_len == NULL) {
        return MS_ERR_ARG;
    }
    *out_len = 0;
    ms_err_t err = ms_cose_kid(pub, kid);
    return err ? err : ms_link_msg_seal_kid(payload, payload_len, kid, sign, sign_ctx, out, cap,
                                            out_len);
}
