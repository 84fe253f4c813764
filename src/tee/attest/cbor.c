/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cbor.c - bounded CBOR encoder/decoder (see meterseal/tee_cbor.h).
 *
 * Invariants: the encoder never writes past cap; the decoder never reads
 * past len, checks every length against the bytes left before using it,
 * and bounds nesting so skip() uses a fixed amount of stack.
 */
#include "meterseal/tee_cbor.h"

#include <string.h>

void ms_cbor_enc_init(ms_cbor_enc_t *e, uint8_t *buf, size_t cap)
{
    e->buf = buf;
    e->cap = buf == NULL ? 0 : cap;
    e->len = 0;
    e->overflow = false;
}

static void put_bytes(ms_cbor_enc_t *e, const void *p, size_t n)
{
    if (e->overflow || n > e->cap - e->len) {
        e->overflow = true;
        return;
    }
    if (n != 0) {
        memcpy(e->buf + e->len, p, n);
    }
    e->len += n;
}

static void put_head(ms_cbor_enc_t *e, uint8_t major, uint64_t v)
{
    uint8_t h[9];
    size_t n;
    uint8_t mt = (uint8_t)(major << 5);
    if (v < 24) {
        h[0] = (uint8_t)(mt | v);
        n = 1;
    } else if (v <= 0xff) {
        h[0] = mt | 24u;
        h[1] = (uint8_t)v;
        n = 2;
    } else if (v <= 0xffff) {
        h[0] = mt | 25u;
        n = 3;
    } else if (v <= 0xffffffffu) {
        h[0] = mt | 26u;
        n = 5;
    } else {
        h[0] = mt | 27u;
        n = 9;
    }
    for (size_t i = 1; n > 2 && i < n; i++) {
        h[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
    put_bytes(e, h, n);
}

void ms_cbor_put_uint(ms_cbor_enc_t *e, uint64_t v)
{
    put_head(e, MS_CBOR_UINT, v);
}

void ms_cbor_put_int(ms_cbor_enc_t *e, int64_t v)
{
    if (v >= 0) {
        put_head(e, MS_CBOR_UINT, (uint64_t)v);
    } else {
        put_head(e, MS_CBOR_NINT, (uint64_t)(-(v + 1)));
    }
}

void ms_cbor_put_bstr(ms_cbor_enc_t *e, const uint8_t *p, size_t n)
{
    put_head(e, MS_CBOR_BSTR, n);
    put_bytes(e, p, n);
}

void ms_cbor_put_bstr_head(ms_cbor_enc_t *e, uint64_t n)
{
    put_head(e, MS_CBOR_BSTR, n);
}

void ms_cbor_put_tstr(ms_cbor_enc_t *e, const char *s, size_t n)
{
    put_head(e, MS_CBOR_TSTR, n);
    put_bytes(e, s, n);
}

void ms_cbor_put_array(ms_cbor_enc_t *e, uint64_t n)
{
    put_head(e, MS_CBOR_ARRAY, n);
}

void ms_cbor_put_map(ms_cbor_enc_t *e, uint64_t n)
{
    put_head(e, MS_CBOR_MAP, n);
}

void ms_cbor_put_tag(ms_cbor_enc_t *e, uint64_t tag)
{
    put_head(e, MS_CBOR_TAG, tag);
}

void ms_cbor_put_bool(ms_cbor_enc_t *e, bool v)
{
    uint8_t b = v ? 0xf5 : 0xf4;
    put_bytes(e, &b, 1);
}

ms_err_t ms_cbor_enc_finish(const ms_cbor_enc_t *e, size_t *len)
{
    if (e->overflow) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    if (len != NULL) {
        *len = e->len;
    }
    return MS_OK;
}

void ms_cbor_dec_init(ms_cbor_dec_t *d, const uint8_t *buf, size_t len)
{
    d->buf = buf;
    d->len = buf == NULL ? 0 : len;
    d->pos = 0;
}

ms_err_t ms_cbor_next(ms_cbor_dec_t *d, ms_cbor_item_t *it)
{
    if (d->pos >= d->len) {
        return MS_ERR_TRUNCATED;
    }
    uint8_t ib = d->buf[d->pos++];
    uint8_t ai = ib & 31u;
    it->major = (uint8_t)(ib >> 5);
    it->data = NULL;
    if (ai < 24) {
        it->val = ai;
    } else if (ai <= 27) {
        size_t n = (size_t)1 << (ai - 24);
        if (n > d->len - d->pos) {
            return MS_ERR_TRUNCATED;
        }
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
            v = (v << 8) | d->buf[d->pos + i];
        }
        d->pos += n;
        it->val = v;
    } else {
        return MS_ERR_FORMAT;   /* reserved or indefinite length */
    }
    size_t left = d->len - d->pos;
    switch (it->major) {
    case MS_CBOR_BSTR:
    case MS_CBOR_TSTR:
        if (it->val > left) {
            return MS_ERR_TRUNCATED;
        }
        it->data = d->buf + d->pos;
        d->pos += (size_t)it->val;
        break;
    case MS_CBOR_ARRAY:
        if (it->val > left) {
            return MS_ERR_TRUNCATED;
        }
        break;
    case MS_CBOR_MAP:
        if (it->val > left / 2) {
            return MS_ERR_TRUNCATED;
        }
        break;
    case MS_CBOR_SIMPLE:
        if (ai < 20 || ai > 22) {
            return MS_ERR_FORMAT;   /* only false, true, null */
        }
        break;
    default:
        break;
    }
    return MS_OK;
}

static ms_err_t skip_depth(ms_cbor_dec_t *d, int depth)
{
    ms_cbor_item_t it;
    if (depth > MS_CBOR_MAX_DEPTH) {
        return MS_ERR_FORMAT;
    }
    ms_err_t err = ms_cbor_next(d, &it);
    if (err) {
        return err;
    }
    uint64_t n = 0;
    if (it.major == MS_CBOR_ARRAY) {
        n = it.val;
    } else if (it.major == MS_CBOR_MAP) {
        n = it.val * 2u;
    } else if (it.major == MS_CBOR_TAG) {
        n = 1;
    }
    for (uint64_t i = 0; i < n && !err; i++) {
        err = skip_depth(d, depth + 1);
    }
    return err;
}

ms_err_t ms_cbor_skip(ms_cbor_dec_t *d)
{
    return skip_depth(d, 0);
}

ms_err_t ms_cbor_expect(ms_cbor_dec_t *d, uint8_t major, uint64_t *count)
{
    ms_cbor_item_t it;
    ms_err_t err = ms_cbor_next(d, &it);
    if (err) {
        return err;
    }
    if (it.major != major) {
        return MS_ERR_FORMAT;
    }
    if (count != NULL) {
        *count = it.val;
    }
    return MS_OK;
}

ms_err_t ms_cbor_get_uint(ms_cbor_dec_t *d, uint64_t *v)
{
    ms_cbor_item_t it;
    ms_err_t err = ms_cbor_next(d, &it);
    if (err) {
        return err;
    }
    if (it.major != MS_CBOR_UINT) {
        return MS_ERR_FORMAT;
    }
    *v = it.val;
    return MS_OK;
}

ms_err_t ms_cbor_get_bool(ms_cbor_dec_t *d, bool *v)
{
    ms_cbor_item_t it;
    ms_err_t err = ms_cbor_next(d, &it);
    if (err) {
        return err;
    }
    if (it.major != MS_CBOR_SIMPLE || (it.val != 20 && it.val != 21)) {
        return MS_ERR_FORMAT;
    }
    *v = it.val == 21;
    return MS_OK;
}

ms_err_t ms_cbor_get_int(ms_cbor_dec_t *d, int64_t *v)
{
    ms_cbor_item_t it;
    ms_err_t err = ms_cbor_next(d, &it);
    if (err) {
        return err;
    }
    if ((it.major != MS_CBOR_UINT && it.major != MS_CBOR_NINT) || it.val > (uint64_t)INT64_MAX) {
        return MS_ERR_FORMAT;
    }
    *v = it.major == MS_CBOR_UINT ? (int64_t)it.val : -(int64_t)it.val - 1;
    return MS_OK;
}

static ms_err_t get_str(ms_cbor_dec_t *d, uint8_t major, const uint8_t **p, size_t *n)
{
    ms_cbor_item_t it;
    ms_err_t err = ms_cbor_next(d, &it);
    if (err) {
        return err;
    }
    if (it.major != major) {
        return MS_ERR_FORMAT;
    }
    *p = it.data;
    *n = (size_t)it.val;
    return MS_OK;
}

ms_err_t ms_cbor_get_bstr(ms_cbor_dec_t *d, const uint8_t **p, size_t *n)
{
    return get_str(d, MS_CBOR_BSTR, p, n);
}

ms_err_t ms_cbor_get_tstr(ms_cbor_dec_t *d, const char **p, size_t *n)
{
    const uint8_t *q = NULL;
    ms_err_t err = get_str(d, MS_CBOR_TSTR, &q, n);
    *p = (const char *)q;
    return err;
}

ms_err_t ms_cbor_get_text(ms_cbor_dec_t *d, char *out, size_t max, size_t *len)
{
    const char *p;
    size_t n;
    ms_err_t err = ms_cbor_get_tstr(d, &p, &n);
    if (err) {
        return err;
    }
    if (n > max) {
        return MS_ERR_FORMAT;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return MS_OK;
}
