/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fields.c - the channel codecs' shared field helpers (see fields.h).
 */
#include "fields.h"

#include <string.h>

#include "meterseal/link_msg.h"

bool ms_link_f_printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

/* Bounded strlen for the fixed char arrays of the message structs. */
size_t ms_link_f_text_len(const char *s, size_t max_plus_one)
{
    size_t n = 0;
    while (n < max_plus_one && s[n] != '\0') {
        n++;
    }
    return n;
}

bool ms_link_f_meter_id_ok(const char *id)
{
    return ms_link_meter_id_valid(id, ms_link_f_text_len(id, MS_LINK_METER_ID_MAX + 1));
}

void ms_link_f_put_meter_id(ms_cbor_enc_t *e, const char *id)
{
    ms_cbor_put_uint(e, 1);
    ms_cbor_put_tstr(e, id, strlen(id));
}

ms_err_t ms_link_f_expect_key(ms_cbor_dec_t *d, uint64_t want)
{
    uint64_t key;
    ms_err_t err = ms_cbor_get_uint(d, &key);
    return err ? err : (key == want ? MS_OK : MS_ERR_FORMAT);
}

ms_err_t ms_link_f_expect_len(ms_cbor_dec_t *d, uint8_t major, uint64_t n)
{
    uint64_t got;
    ms_err_t err = ms_cbor_expect(d, major, &got);
    return err ? err : (got == n ? MS_OK : MS_ERR_FORMAT);
}

ms_err_t ms_link_f_expect_map(ms_cbor_dec_t *d, uint64_t n)
{
    return ms_link_f_expect_len(d, MS_CBOR_MAP, n);
}

/* A text string of at most max printable bytes into out[max + 1]. */
ms_err_t ms_link_f_get_text(ms_cbor_dec_t *d, char *out, size_t max)
{
    size_t n = 0;
    ms_err_t err = ms_cbor_get_text(d, out, max, &n);
    return err ? err : (ms_link_f_printable(out, n) ? MS_OK : MS_ERR_FORMAT);
}

ms_err_t ms_link_f_get_meter_id(ms_cbor_dec_t *d, char out[MS_LINK_METER_ID_MAX + 1])
{
    ms_err_t err = ms_link_f_expect_key(d, 1);
    if (!err) {
        err = ms_link_f_get_text(d, out, MS_LINK_METER_ID_MAX);
    }
    if (!err && !ms_link_f_meter_id_ok(out)) {
        err = MS_ERR_FORMAT;
    }
    return err;
}

ms_err_t ms_link_f_get_keyed_uint(ms_cbor_dec_t *d, uint64_t key, uint64_t *v)
{
    ms_err_t err = ms_link_f_expect_key(d, key);
    return err ? err : ms_cbor_get_uint(d, v);
}

ms_err_t ms_link_f_get_keyed_u32(ms_cbor_dec_t *d, uint64_t key, uint32_t *v)
{
    uint64_t w = 0;
    ms_err_t err = ms_link_f_get_keyed_uint(d, key, &w);
    if (!err && w > UINT32_MAX) {
        err = MS_ERR_FORMAT;
    }
    *v = (uint32_t)w;
    return err;
}

ms_err_t ms_link_f_get_keyed_int(ms_cbor_dec_t *d, uint64_t key, int64_t *v)
{
    ms_err_t err = ms_link_f_expect_key(d, key);
    return err ? err : ms_cbor_get_int(d, v);
}

/*
 * The last step of every decoder: all input consumed, and the input is
 * byte for byte what the encoder makes of the decoded value.
 */

ms_err_t ms_link_f_canonical(const ms_cbor_dec_t *d, ms_link_f_encode_fn enc, const void *v,
                             const uint8_t *p, size_t len, size_t max)
{
    uint8_t again[MS_LINK_F_ENCODED_MAX];
    size_t n = 0;
    if (d->pos != d->len || len > max || len > sizeof again) {
        return MS_ERR_FORMAT;
    }
    if (enc(v, again, sizeof again, &n) != MS_OK || n != len || memcmp(again, p, len) != 0) {
        return MS_ERR_FORMAT;
    }
    return MS_OK;
}

