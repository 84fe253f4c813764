/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update_msg.c - the firmware update messages (meterseal/link_update.h,
 * docs/ota.md section 3): offer, chunk request, chunk, status.
 *
 * Invariants (as msg.c):
 *   - Encoders write keys in ascending order with shortest-form heads, so
 *     each value has one encoding.
 *   - Decoders read only inside (p, len), want exactly the keys of their
 *     kind in ascending order, bound every string, count and integer, and
 *     finally re-encode what they read and compare it with the input:
 *     anything but the deterministic encoding is MS_ERR_FORMAT. On failure
 *     the output is zeroed.
 *   - Text is printable ASCII (the cloud logs and shows it).
 */
#include "meterseal/link_update.h"

#include <string.h>

#include "fields.h"
#include "meterseal/link_msg.h"
#include "meterseal/tee_cbor.h"

static const char *const k_state_names[MS_LINK_UPD_STATE_COUNT_] = {
    "queued", "downloading", "downloaded", "verifying", "installing", "success", "failed",
    "reverted",
};

const char *ms_link_upd_state_name(uint32_t state)
{
    return state < MS_LINK_UPD_STATE_COUNT_ ? k_state_names[state] : NULL;
}

ms_err_t ms_link_upd_state_parse(const char *name, uint32_t *state)
{
    for (uint32_t i = 0; name != NULL && i < MS_LINK_UPD_STATE_COUNT_; i++) {
        if (strcmp(name, k_state_names[i]) == 0) {
            *state = i;
            return MS_OK;
        }
    }
    return MS_ERR_NOT_FOUND;
}

uint32_t ms_link_upd_result_for(ms_err_t err)
{
    switch (err) {
    case MS_OK:
        return MS_LINK_UPD_R_SUCCESS;
    case MS_ERR_IMG_TOO_LARGE:
        return MS_LINK_UPD_R_NO_SPACE;
    case MS_ERR_BOOT_DEPENDENCY:
    case MS_ERR_BOOT_NON_BOOTABLE:
        return MS_LINK_UPD_R_UNSUPPORTED;
    case MS_ERR_TRUNCATED:
    case MS_ERR_FORMAT:
    case MS_ERR_BAD_MAGIC:
    case MS_ERR_SIGNATURE:
    case MS_ERR_AUTH:
    case MS_ERR_IMG_HEADER:
    case MS_ERR_IMG_TLV_INFO:
    case MS_ERR_IMG_TLV_BOUNDS:
    case MS_ERR_IMG_TLV_DUP:
    case MS_ERR_IMG_NO_HASH:
    case MS_ERR_IMG_NO_SIG:
    case MS_ERR_IMG_HASH:
    case MS_ERR_IMG_KEY_UNKNOWN:
    case MS_ERR_IMG_ENC_KEY:
    case MS_ERR_IMG_NOT_ENCRYPTED:
    case MS_ERR_BOOT_ROLLBACK:
    case MS_ERR_BOOT_DOWNGRADE:
    case MS_ERR_BOOT_NO_ENC_KEY:
    case MS_ERR_BOOT_FAULT:
        return MS_LINK_UPD_R_INTEGRITY;
    default:
        return MS_LINK_UPD_R_FAILED;
    }
}

/* ---- helpers ---------------------------------------------------------------- */

static void put_kv(ms_cbor_enc_t *e, uint64_t key, uint64_t v)
{
    ms_cbor_put_uint(e, key);
    ms_cbor_put_uint(e, v);
}

static ms_err_t get_u(ms_cbor_dec_t *d, uint64_t key, uint64_t max, uint64_t *v)
{
    ms_err_t err = ms_link_f_expect_key(d, key);
    if (!err) {
        err = ms_cbor_get_uint(d, v);
    }
    if (!err && *v > max) {
        err = MS_ERR_FORMAT;
    }
    return err;
}

static ms_err_t get_u32(ms_cbor_dec_t *d, uint64_t key, uint32_t max, uint32_t *v)
{
    uint64_t w = 0;
    ms_err_t err = get_u(d, key, max, &w);
    *v = (uint32_t)w;
    return err;
}

static ms_err_t get_keyed_text(ms_cbor_dec_t *d, uint64_t key, char *out, size_t max)
{
    ms_err_t err = ms_link_f_expect_key(d, key);
    return err ? err : ms_link_f_get_text(d, out, max);
}

static ms_err_t canonical(const ms_cbor_dec_t *d, ms_link_f_encode_fn enc, const void *v,
                          const uint8_t *p, size_t len)
{
    return ms_link_f_canonical(d, enc, v, p, len, MS_LINK_CHUNK_MSG_MAX);
}

/* ---- offer ------------------------------------------------------------------ */

ms_err_t ms_link_offer_encode(const ms_link_offer_t *o, uint8_t *out, size_t cap, size_t *len)
{
    if (o == NULL || out == NULL || len == NULL || !ms_link_f_meter_id_ok(o->meter_id) || o->size == 0 ||
        o->chunk_size == 0 || o->chunk_size > MS_LINK_CHUNK_MAX || o->image > 1 ||
        o->campaign_id > (uint64_t)INT64_MAX) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 8);
    ms_link_f_put_meter_id(&e, o->meter_id);
    put_kv(&e, 2, o->campaign_id);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_bstr(&e, o->sha256, sizeof o->sha256);
    put_kv(&e, 4, o->size);
    ms_cbor_put_uint(&e, 5);
    ms_cbor_put_array(&e, 4);
    ms_cbor_put_uint(&e, o->major);
    ms_cbor_put_uint(&e, o->minor);
    ms_cbor_put_uint(&e, o->revision);
    ms_cbor_put_uint(&e, o->build);
    put_kv(&e, 6, o->sec_cnt);
    put_kv(&e, 7, o->chunk_size);
    put_kv(&e, 8, o->image);
    return ms_cbor_enc_finish(&e, len);
}

static ms_err_t offer_enc(const void *v, uint8_t *out, size_t cap, size_t *len)
{
    return ms_link_offer_encode(v, out, cap, len);
}

ms_err_t ms_link_offer_decode(const uint8_t *p, size_t len, ms_link_offer_t *o)
{
    if (p == NULL || o == NULL) {
        return MS_ERR_ARG;
    }
    memset(o, 0, sizeof *o);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    uint64_t v = 0;
    const uint8_t *h = NULL;
    size_t hn = 0;
    ms_err_t err = ms_link_f_expect_map(&d, 8);
    if (!err) {
        err = ms_link_f_get_meter_id(&d, o->meter_id);
    }
    if (!err) {
        err = get_u(&d, 2, (uint64_t)INT64_MAX, &o->campaign_id);
    }
    if (!err) {
        err = ms_link_f_expect_key(&d, 3);
    }
    if (!err) {
        err = ms_cbor_get_bstr(&d, &h, &hn);
    }
    if (!err && hn != sizeof o->sha256) {
        err = MS_ERR_FORMAT;
    }
    if (!err) {
        memcpy(o->sha256, h, hn);
        err = get_u32(&d, 4, UINT32_MAX, &o->size);
    }
    if (!err) {
        err = ms_link_f_expect_key(&d, 5);
    }
    if (!err) {
        err = ms_link_f_expect_len(&d, MS_CBOR_ARRAY, 4);
    }
    if (!err && !(err = ms_cbor_get_uint(&d, &v))) {
        err = v > UINT8_MAX ? MS_ERR_FORMAT : MS_OK;
        o->major = (uint8_t)v;
    }
    if (!err && !(err = ms_cbor_get_uint(&d, &v))) {
        err = v > UINT8_MAX ? MS_ERR_FORMAT : MS_OK;
        o->minor = (uint8_t)v;
    }
    if (!err && !(err = ms_cbor_get_uint(&d, &v))) {
        err = v > UINT16_MAX ? MS_ERR_FORMAT : MS_OK;
        o->revision = (uint16_t)v;
    }
    if (!err && !(err = ms_cbor_get_uint(&d, &v))) {
        err = v > UINT32_MAX ? MS_ERR_FORMAT : MS_OK;
        o->build = (uint32_t)v;
    }
    if (!err) {
        err = get_u32(&d, 6, UINT32_MAX, &o->sec_cnt);
    }
    if (!err) {
        err = get_u32(&d, 7, MS_LINK_CHUNK_MAX, &o->chunk_size);
    }
    if (!err) {
        uint32_t image = 0;
        err = get_u32(&d, 8, 1, &image);
        o->image = (uint8_t)image;
    }
    if (!err) {
        err = canonical(&d, offer_enc, o, p, len);
    }
    if (err) {
        memset(o, 0, sizeof *o);
        return err == MS_ERR_TRUNCATED ? err : MS_ERR_FORMAT;
    }
    return MS_OK;
}

/* ---- chunk request ------------------------------------------------------------- */

ms_err_t ms_link_chunk_req_encode(const ms_link_chunk_req_t *r, uint8_t *out, size_t cap,
                                  size_t *len)
{
    if (r == NULL || out == NULL || len == NULL || !ms_link_f_meter_id_ok(r->meter_id) || r->length == 0 ||
        r->length > MS_LINK_CHUNK_MAX || r->campaign_id > (uint64_t)INT64_MAX) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 4);
    ms_link_f_put_meter_id(&e, r->meter_id);
    put_kv(&e, 2, r->campaign_id);
    put_kv(&e, 3, r->offset);
    put_kv(&e, 4, r->length);
    return ms_cbor_enc_finish(&e, len);
}

static ms_err_t req_enc(const void *v, uint8_t *out, size_t cap, size_t *len)
{
    return ms_link_chunk_req_encode(v, out, cap, len);
}

ms_err_t ms_link_chunk_req_decode(const uint8_t *p, size_t len, ms_link_chunk_req_t *r)
{
    if (p == NULL || r == NULL) {
        return MS_ERR_ARG;
    }
    memset(r, 0, sizeof *r);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = ms_link_f_expect_map(&d, 4);
    if (!err) {
        err = ms_link_f_get_meter_id(&d, r->meter_id);
    }
    if (!err) {
        err = get_u(&d, 2, (uint64_t)INT64_MAX, &r->campaign_id);
    }
    if (!err) {
        err = get_u32(&d, 3, UINT32_MAX, &r->offset);
    }
    if (!err) {
        err = get_u32(&d, 4, MS_LINK_CHUNK_MAX, &r->length);
    }
    if (!err) {
        err = canonical(&d, req_enc, r, p, len);
    }
    if (err) {
        memset(r, 0, sizeof *r);
        return err == MS_ERR_TRUNCATED ? err : MS_ERR_FORMAT;
    }
    return MS_OK;
}

/* ---- chunk ------------------------------------------------------------------------ */

ms_err_t ms_link_chunk_encode(const ms_link_chunk_t *c, uint8_t *out, size_t cap, size_t *len)
{
    if (c == NULL || out == NULL || len == NULL || c->data == NULL || c->len == 0 ||
        c->len > MS_LINK_CHUNK_MAX || c->campaign_id > (uint64_t)INT64_MAX) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 3);
    put_kv(&e, 1, c->campaign_id);
    put_kv(&e, 2, c->offset);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_bstr(&e, c->data, c->len);
    return ms_cbor_enc_finish(&e, len);
}

static ms_err_t chunk_enc(const void *v, uint8_t *out, size_t cap, size_t *len)
{
    return ms_link_chunk_encode(v, out, cap, len);
}

ms_err_t ms_link_chunk_decode(const uint8_t *p, size_t len, ms_link_chunk_t *c)
{
    if (p == NULL || c == NULL) {
        return MS_ERR_ARG;
    }
    memset(c, 0, sizeof *c);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = ms_link_f_expect_map(&d, 3);
    if (!err) {
        err = get_u(&d, 1, (uint64_t)INT64_MAX, &c->campaign_id);
    }
    if (!err) {
        err = get_u32(&d, 2, UINT32_MAX, &c->offset);
    }
    if (!err) {
        err = ms_link_f_expect_key(&d, 3);
    }
    if (!err) {
        err = ms_cbor_get_bstr(&d, &c->data, &c->len);
    }
    if (!err && (c->len == 0 || c->len > MS_LINK_CHUNK_MAX)) {
        err = MS_ERR_FORMAT;
    }
    if (!err) {
        err = canonical(&d, chunk_enc, c, p, len);
    }
    if (err) {
        memset(c, 0, sizeof *c);
        return err == MS_ERR_TRUNCATED ? err : MS_ERR_FORMAT;
    }
    return MS_OK;
}

/* ---- status -------------------------------------------------------------------------- */

ms_err_t ms_link_upd_status_encode(const ms_link_upd_status_t *s, uint8_t *out, size_t cap,
                                   size_t *len)
{
    if (s == NULL || out == NULL || len == NULL || !ms_link_f_meter_id_ok(s->meter_id) ||
        s->state >= MS_LINK_UPD_STATE_COUNT_ || s->result > MS_LINK_UPD_R_MAX ||
        s->campaign_id > (uint64_t)INT64_MAX) {
        return MS_ERR_ARG;
    }
    size_t rn = ms_link_f_text_len(s->reason, MS_LINK_UPD_REASON_MAX + 1);
    if (rn > MS_LINK_UPD_REASON_MAX || !ms_link_f_printable(s->reason, rn)) {
        return MS_ERR_ARG;
    }
    if (s->seq > (uint64_t)INT64_MAX) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, s->seq != 0 ? 7 : 6);
    ms_link_f_put_meter_id(&e, s->meter_id);
    put_kv(&e, 2, s->campaign_id);
    put_kv(&e, 3, s->state);
    put_kv(&e, 4, s->progress);
    put_kv(&e, 5, s->result);
    ms_cbor_put_uint(&e, 6);
    ms_cbor_put_tstr(&e, s->reason, rn);
    if (s->seq != 0) {
        put_kv(&e, 7, s->seq);
    }
    return ms_cbor_enc_finish(&e, len);
}

static ms_err_t status_enc(const void *v, uint8_t *out, size_t cap, size_t *len)
{
    return ms_link_upd_status_encode(v, out, cap, len);
}

ms_err_t ms_link_upd_status_decode(const uint8_t *p, size_t len, ms_link_upd_status_t *s)
{
    if (p == NULL || s == NULL) {
        return MS_ERR_ARG;
    }
    memset(s, 0, sizeof *s);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    uint64_t n_keys = 0;
    ms_err_t err = ms_cbor_expect(&d, MS_CBOR_MAP, &n_keys);
    if (!err && n_keys != 6 && n_keys != 7) {
        err = MS_ERR_FORMAT;   /* key 7, the number, is the only optional one */
    }
    if (!err) {
        err = ms_link_f_get_meter_id(&d, s->meter_id);
    }
    if (!err) {
        err = get_u(&d, 2, (uint64_t)INT64_MAX, &s->campaign_id);
    }
    if (!err) {
        err = get_u32(&d, 3, MS_LINK_UPD_STATE_COUNT_ - 1u, &s->state);
    }
    if (!err) {
        err = get_u32(&d, 4, UINT32_MAX, &s->progress);
    }
    if (!err) {
        err = get_u32(&d, 5, MS_LINK_UPD_R_MAX, &s->result);
    }
    if (!err) {
        err = get_keyed_text(&d, 6, s->reason, MS_LINK_UPD_REASON_MAX);
    }
    if (!err && n_keys == 7) {
        /* 7: 0 re-encodes without the key, so the comparison refuses it */
        err = get_u(&d, 7, (uint64_t)INT64_MAX, &s->seq);
    }
    if (!err) {
        err = canonical(&d, status_enc, s, p, len);
    }
    if (err) {
        memset(s, 0, sizeof *s);
        return err == MS_ERR_TRUNCATED ? err : MS_ERR_FORMAT;
    }
    return MS_OK;
}
