/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose_msg.c - COSE_Sign1 envelopes and the §5 payloads (see cose_msg.h).
 *
 * Invariants:
 *   - Parsers read only inside (buf, len), through the bounded CBOR decoder
 *     of meterseal/tee_cbor.h; a message over MS_COSE_MSG_MAX is refused
 *     before any parsing.
 *   - A payload is accepted only in its one deterministic encoding: it is
 *     decoded field by field with exact keys and types, then encoded again
 *     and compared byte for byte with what was received.
 *   - Text strings are bounded (MS_MSG_TSTR_MAX, MS_MSG_DETAIL_MAX), contain
 *     no NUL, and the meter id is a valid meter id.
 *   - The signature is checked over Sig_structure ["Signature1", protected,
 *     h'', payload] with SHA-256 + ECDSA P-256, through the crypto module.
 */
#include "cose_msg.h"

#include <string.h>

#include "meterseal/tee_cbor.h"
#include "x509.h"

#define COSE_TAG_SIGN1 18u
#define COSE_HDR_KID   4u

static const uint8_t protected_es256[3] = { 0xa1, 0x01, 0x26 };

/* ---- signatures: raw r || s <-> DER ------------------------------------------ */

static size_t der_int(const uint8_t v[32], uint8_t *out)
{
    size_t i = 0;
    while (i < 31 && v[i] == 0) {
        i++;
    }
    size_t n = 32 - i;
    bool pad = (v[i] & 0x80) != 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(n + pad);
    size_t o = 2;
    if (pad) {
        out[o++] = 0;
    }
    memcpy(out + o, v + i, n);
    return o + n;
}

static size_t raw_to_der(const uint8_t raw[64], uint8_t der[MS_P256_SIG_DER_MAX])
{
    uint8_t body[2 * 35];
    size_t n = der_int(raw, body);
    n += der_int(raw + 32, body + n);
    der[0] = 0x30;
    der[1] = (uint8_t)n;
    memcpy(der + 2, body, n);
    return n + 2;
}

/* One DER INTEGER of at most 32 significant bytes into v (right-aligned). */
static bool der_take_int(const uint8_t *der, size_t len, size_t *pos, uint8_t v[32])
{
    if (*pos + 2 > len || der[*pos] != 0x02) {
        return false;
    }
    size_t n = der[*pos + 1];
    size_t p = *pos + 2;
    if (n == 0 || n > len - p) {
        return false;
    }
    if (n > 1 && der[p] == 0) {
        p++;
        n--;
    }
    if (n > 32) {
        return false;
    }
    memset(v, 0, 32);
    memcpy(v + 32 - n, der + p, n);
    *pos = p + n;
    return true;
}

static ms_err_t der_to_raw(const uint8_t *der, size_t len, uint8_t raw[64])
{
    size_t pos = 2;
    if (len < 8 || der[0] != 0x30 || der[1] != len - 2 || !der_take_int(der, len, &pos, raw) ||
        !der_take_int(der, len, &pos, raw + 32) || pos != len) {
        return MS_ERR_CRYPTO;
    }
    return MS_OK;
}

/* SHA-256 of Sig_structure = ["Signature1", protected, h'', payload]. */
static ms_err_t sig_hash(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                         size_t payload_len, uint8_t hash[MS_SHA256_LEN])
{
    uint8_t head[32];
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, head, sizeof head);
    ms_cbor_put_array(&e, 4);
    ms_cbor_put_tstr(&e, "Signature1", 10);
    ms_cbor_put_bstr(&e, prot, prot_len);
    ms_cbor_put_bstr(&e, NULL, 0);
    ms_cbor_put_bstr_head(&e, payload_len);
    size_t n = 0;
    ms_err_t err = ms_cbor_enc_finish(&e, &n);
    ms_sha256_ctx c;
    if (err == MS_OK) {
        err = ms_sha256_init(&c);
    }
    if (err == MS_OK) {
        err = ms_sha256_update(&c, head, n);
        if (err == MS_OK) {
            err = ms_sha256_update(&c, payload, payload_len);
        }
        if (err == MS_OK) {
            err = ms_sha256_finish(&c, hash);
        } else {
            ms_sha256_free(&c);
        }
    }
    return err;
}

ms_err_t ms_cose_kid_of(const ms_p256_pub_t *pub, uint8_t kid[MS_COSE_KID_LEN])
{
    uint8_t spki[MS_P256_SPKI_LEN], h[MS_SHA256_LEN];
    ms_err_t err = ms_p256_pub_to_spki(pub, spki);
    if (err == MS_OK) {
        err = ms_sha256(spki, sizeof spki, h);
    }
    if (err == MS_OK) {
        memcpy(kid, h, MS_COSE_KID_LEN);
    }
    return err;
}

/* ---- envelope --------------------------------------------------------------------- */

ms_err_t ms_cose_parse(const uint8_t *buf, size_t len, ms_cose_sign1_t *out)
{
    if (buf == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (len > MS_COSE_MSG_MAX) {
        return MS_ERR_FORMAT;
    }
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, buf, len);
    uint64_t v = 0;
    const uint8_t *p = NULL;
    size_t n = 0;
    int64_t label = 0;
    ms_err_t err = ms_cbor_expect(&d, MS_CBOR_TAG, &v);
    if (err == MS_OK && v != COSE_TAG_SIGN1) {
        err = MS_ERR_FORMAT;
    }
    if (err == MS_OK && (err = ms_cbor_expect(&d, MS_CBOR_ARRAY, &v)) == MS_OK && v != 4) {
        err = MS_ERR_FORMAT;
    }
    if (err == MS_OK && (err = ms_cbor_get_bstr(&d, &p, &n)) == MS_OK &&
        (n != sizeof protected_es256 || memcmp(p, protected_es256, n) != 0)) {
        err = MS_ERR_FORMAT;
    }
    out->protected_hdr = p;
    out->protected_len = n;
    if (err == MS_OK && (err = ms_cbor_expect(&d, MS_CBOR_MAP, &v)) == MS_OK && v != 1) {
        err = MS_ERR_FORMAT;
    }
    if (err == MS_OK && (err = ms_cbor_get_int(&d, &label)) == MS_OK && label != COSE_HDR_KID) {
        err = MS_ERR_FORMAT;
    }
    if (err == MS_OK && (err = ms_cbor_get_bstr(&d, &p, &n)) == MS_OK) {
        if (n != MS_COSE_KID_LEN) {
            err = MS_ERR_FORMAT;
        } else {
            memcpy(out->kid, p, n);
        }
    }
    if (err == MS_OK && (err = ms_cbor_get_bstr(&d, &out->payload, &out->payload_len)) == MS_OK &&
        out->payload_len == 0) {
        err = MS_ERR_FORMAT;
    }
    if (err == MS_OK && (err = ms_cbor_get_bstr(&d, &p, &n)) == MS_OK) {
        if (n != MS_COSE_SIG_LEN) {
            err = MS_ERR_FORMAT;
        } else {
            memcpy(out->sig, p, n);
        }
    }
    if (err == MS_OK && d.pos != len) {
        err = MS_ERR_FORMAT;   /* trailing bytes */
    }
    return err;
}

ms_err_t ms_cose_verify(const ms_cose_sign1_t *m, const ms_p256_pub_t *pub)
{
    if (m == NULL || pub == NULL || m->payload == NULL) {
        return MS_ERR_ARG;
    }
    uint8_t h[MS_SHA256_LEN], der[MS_P256_SIG_DER_MAX];
    ms_err_t err = sig_hash(m->protected_hdr, m->protected_len, m->payload, m->payload_len, h);
    if (err != MS_OK) {
        return err;
    }
    size_t n = raw_to_der(m->sig, der);
    return ms_p256_verify(pub, h, der, n) == MS_OK ? MS_OK : MS_ERR_SIGNATURE;
}

ms_err_t ms_cose_sign(const ms_p256_priv_t *key, const ms_p256_pub_t *pub,
                      const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap,
                      size_t *out_len)
{
    if (key == NULL || pub == NULL || payload == NULL || out == NULL || out_len == NULL) {
        return MS_ERR_ARG;
    }
    uint8_t kid[MS_COSE_KID_LEN], h[MS_SHA256_LEN], der[MS_P256_SIG_DER_MAX], raw[64];
    size_t der_len = 0;
    ms_err_t err = ms_cose_kid_of(pub, kid);
    if (err == MS_OK) {
        err = sig_hash(protected_es256, sizeof protected_es256, payload, payload_len, h);
    }
    if (err == MS_OK) {
        err = ms_p256_sign(key, h, der, sizeof der, &der_len);
    }
    if (err == MS_OK) {
        err = der_to_raw(der, der_len, raw);
    }
    if (err != MS_OK) {
        return err;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_tag(&e, COSE_TAG_SIGN1);
    ms_cbor_put_array(&e, 4);
    ms_cbor_put_bstr(&e, protected_es256, sizeof protected_es256);
    ms_cbor_put_map(&e, 1);
    ms_cbor_put_uint(&e, COSE_HDR_KID);
    ms_cbor_put_bstr(&e, kid, sizeof kid);
    ms_cbor_put_bstr(&e, payload, payload_len);
    ms_cbor_put_bstr(&e, raw, sizeof raw);
    return ms_cbor_enc_finish(&e, out_len);
}

/* ---- payloads ----------------------------------------------------------------------- */

/* Map head with exactly n entries. */
static ms_err_t map_head(ms_cbor_dec_t *d, uint64_t n)
{
    uint64_t v = 0;
    ms_err_t err = ms_cbor_expect(d, MS_CBOR_MAP, &v);
    return err != MS_OK ? err : (v == n ? MS_OK : MS_ERR_FORMAT);
}

/* The next key, which must be `key`. */
static ms_err_t key_is(ms_cbor_dec_t *d, uint64_t key)
{
    uint64_t v = 0;
    ms_err_t err = ms_cbor_expect(d, MS_CBOR_UINT, &v);
    return err != MS_OK ? err : (v == key ? MS_OK : MS_ERR_FORMAT);
}

static ms_err_t get_uint(ms_cbor_dec_t *d, uint64_t key, uint64_t *v)
{
    ms_err_t err = key_is(d, key);
    return err != MS_OK ? err : ms_cbor_expect(d, MS_CBOR_UINT, v);
}

static ms_err_t get_sint(ms_cbor_dec_t *d, uint64_t key, int64_t *v)
{
    ms_err_t err = key_is(d, key);
    return err != MS_OK ? err : ms_cbor_get_int(d, v);
}

/* A text string of at most max bytes, no NUL, into out (max + 1 bytes). */
static ms_err_t get_text(ms_cbor_dec_t *d, uint64_t key, char *out, size_t max)
{
    const char *p = NULL;
    size_t n = 0;
    ms_err_t err = key_is(d, key);
    if (err == MS_OK) {
        err = ms_cbor_get_tstr(d, &p, &n);
    }
    if (err == MS_OK && n > max) {
        err = MS_ERR_FORMAT;
    }
    /* printable ASCII only, as the TEE signs them: texts are logged and
     * shown, and a byte JSON cannot carry would break a whole listing */
    for (size_t i = 0; err == MS_OK && i < n; i++) {
        if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e) {
            err = MS_ERR_FORMAT;
        }
    }
    if (err == MS_OK) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
    return err;
}

static ms_err_t get_meter_id(ms_cbor_dec_t *d, char out[MS_MSG_ID_MAX + 1])
{
    ms_err_t err = get_text(d, 1, out, MS_MSG_ID_MAX);
    return err != MS_OK ? err : (ms_meter_id_valid(out, strlen(out)) ? MS_OK : MS_ERR_FORMAT);
}

static void put_text(ms_cbor_enc_t *e, const char *s)
{
    ms_cbor_put_tstr(e, s, strlen(s));
}

/* The decoded value re-encodes to exactly the received bytes. */
static ms_err_t canonical(ms_err_t enc_err, const uint8_t *again, size_t again_len,
                          const uint8_t *p, size_t len)
{
    if (enc_err != MS_OK) {
        return MS_ERR_FORMAT;
    }
    return again_len == len && memcmp(again, p, len) == 0 ? MS_OK : MS_ERR_FORMAT;
}

static ms_err_t end_of(const ms_cbor_dec_t *d)
{
    return d->pos == d->len ? MS_OK : MS_ERR_FORMAT;
}

ms_err_t ms_msg_reading_encode(const ms_msg_reading_t *r, uint8_t *out, size_t cap, size_t *len)
{
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 6);
    ms_cbor_put_uint(&e, 1);
    put_text(&e, r->meter_id);
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
    return ms_cbor_enc_finish(&e, len);
}

ms_err_t ms_msg_reading_decode(const uint8_t *p, size_t len, ms_msg_reading_t *r)
{
    if (p == NULL || r == NULL || len > MS_COSE_MSG_MAX) {
        return MS_ERR_FORMAT;
    }
    memset(r, 0, sizeof *r);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = map_head(&d, 6);
    if (err == MS_OK) err = get_meter_id(&d, r->meter_id);
    if (err == MS_OK) err = get_uint(&d, 2, &r->seq);
    if (err == MS_OK) err = get_uint(&d, 3, &r->time);
    if (err == MS_OK) err = get_uint(&d, 4, &r->energy_wh);
    if (err == MS_OK) err = get_sint(&d, 5, &r->balance_milli);
    if (err == MS_OK) err = get_uint(&d, 6, &r->tariff_id);
    if (err == MS_OK) err = end_of(&d);
    if (err == MS_OK) {
        uint8_t again[MS_COSE_MSG_MAX];
        size_t n = 0;
        ms_err_t enc = ms_msg_reading_encode(r, again, sizeof again, &n);
        err = canonical(enc, again, n, p, len);
    }
    return err;
}

ms_err_t ms_msg_event_encode(const ms_msg_event_t *ev, uint8_t *out, size_t cap, size_t *len)
{
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 5);
    ms_cbor_put_uint(&e, 1);
    put_text(&e, ev->meter_id);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_uint(&e, ev->seq);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_uint(&e, ev->time);
    ms_cbor_put_uint(&e, 4);
    put_text(&e, ev->kind);
    ms_cbor_put_uint(&e, 5);
    put_text(&e, ev->detail);
    return ms_cbor_enc_finish(&e, len);
}

ms_err_t ms_msg_event_decode(const uint8_t *p, size_t len, ms_msg_event_t *ev)
{
    if (p == NULL || ev == NULL || len > MS_COSE_MSG_MAX) {
        return MS_ERR_FORMAT;
    }
    memset(ev, 0, sizeof *ev);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = map_head(&d, 5);
    if (err == MS_OK) err = get_meter_id(&d, ev->meter_id);
    if (err == MS_OK) err = get_uint(&d, 2, &ev->seq);
    if (err == MS_OK) err = get_uint(&d, 3, &ev->time);
    if (err == MS_OK) err = get_text(&d, 4, ev->kind, MS_MSG_TSTR_MAX);
    if (err == MS_OK) err = get_text(&d, 5, ev->detail, MS_MSG_DETAIL_MAX);
    if (err == MS_OK) err = end_of(&d);
    if (err == MS_OK) {
        uint8_t again[MS_COSE_MSG_MAX];
        size_t n = 0;
        ms_err_t enc = ms_msg_event_encode(ev, again, sizeof again, &n);
        err = canonical(enc, again, n, p, len);
    }
    return err;
}

ms_err_t ms_msg_result_encode(const ms_msg_result_t *r, uint8_t *out, size_t cap, size_t *len)
{
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 5);
    ms_cbor_put_uint(&e, 1);
    put_text(&e, r->meter_id);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_uint(&e, r->seq);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_uint(&e, r->cmd_seq);
    ms_cbor_put_uint(&e, 4);
    ms_cbor_put_uint(&e, r->status);
    ms_cbor_put_uint(&e, 5);
    ms_cbor_put_int(&e, r->balance_milli);
    return ms_cbor_enc_finish(&e, len);
}

ms_err_t ms_msg_result_decode(const uint8_t *p, size_t len, ms_msg_result_t *r)
{
    if (p == NULL || r == NULL || len > MS_COSE_MSG_MAX) {
        return MS_ERR_FORMAT;
    }
    memset(r, 0, sizeof *r);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    ms_err_t err = map_head(&d, 5);
    if (err == MS_OK) err = get_meter_id(&d, r->meter_id);
    if (err == MS_OK) err = get_uint(&d, 2, &r->seq);
    if (err == MS_OK) err = get_uint(&d, 3, &r->cmd_seq);
    if (err == MS_OK) err = get_uint(&d, 4, &r->status);
    if (err == MS_OK) err = get_sint(&d, 5, &r->balance_milli);
    if (err == MS_OK) err = end_of(&d);
    if (err == MS_OK && r->status > 5) {
        err = MS_ERR_FORMAT;
    }
    if (err == MS_OK) {
        uint8_t again[MS_COSE_MSG_MAX];
        size_t n = 0;
        ms_err_t enc = ms_msg_result_encode(r, again, sizeof again, &n);
        err = canonical(enc, again, n, p, len);
    }
    return err;
}

ms_err_t ms_msg_ack_encode(const char *meter_id, const uint64_t *seqs, size_t n, uint8_t *out,
                           size_t cap, size_t *len)
{
    if (meter_id == NULL || (seqs == NULL && n) || n > MS_MSG_ACK_MAX) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 2);
    ms_cbor_put_uint(&e, 1);
    put_text(&e, meter_id);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_array(&e, n);
    for (size_t i = 0; i < n; i++) {
        ms_cbor_put_uint(&e, seqs[i]);
    }
    return ms_cbor_enc_finish(&e, len);
}

ms_err_t ms_msg_ack_decode(const uint8_t *p, size_t len, char meter_id[MS_MSG_ID_MAX + 1],
                           uint64_t seqs[MS_MSG_ACK_MAX], size_t *n)
{
    if (p == NULL || meter_id == NULL || seqs == NULL || n == NULL || len > MS_COSE_MSG_MAX) {
        return MS_ERR_FORMAT;
    }
    *n = 0;
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    uint64_t count = 0;
    ms_err_t err = map_head(&d, 2);
    if (err == MS_OK) err = get_meter_id(&d, meter_id);
    if (err == MS_OK) err = key_is(&d, 2);
    if (err == MS_OK) err = ms_cbor_expect(&d, MS_CBOR_ARRAY, &count);
    if (err == MS_OK && count > MS_MSG_ACK_MAX) {
        err = MS_ERR_FORMAT;
    }
    for (uint64_t i = 0; err == MS_OK && i < count; i++) {
        err = ms_cbor_expect(&d, MS_CBOR_UINT, &seqs[i]);
    }
    if (err == MS_OK) err = end_of(&d);
    if (err == MS_OK) {
        uint8_t again[MS_COSE_MSG_MAX];
        size_t k = 0;
        ms_err_t enc =
            ms_msg_ack_encode(meter_id, seqs, (size_t)count, again, sizeof again, &k);
        err = canonical(enc, again, k, p, len);
    }
    if (err == MS_OK) {
        *n = (size_t)count;
    }
    return err;
}

ms_err_t ms_msg_command_encode(const ms_msg_command_t *c, uint8_t *out, size_t cap, size_t *len)
{
    if (c == NULL || c->type < MS_CMD_TOPUP || c->type > MS_CMD_TARIFF) {
        return MS_ERR_ARG;
    }
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 4);
    ms_cbor_put_uint(&e, 1);
    put_text(&e, c->meter_id);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_uint(&e, c->cmd_seq);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_uint(&e, c->type);
    ms_cbor_put_uint(&e, 4);
    switch (c->type) {
    case MS_CMD_TOPUP:
        ms_cbor_put_map(&e, 1);
        ms_cbor_put_uint(&e, 1);
        ms_cbor_put_uint(&e, c->amount_milli);
        break;
    case MS_CMD_RELAY: {
        ms_cbor_put_map(&e, 1);
        ms_cbor_put_uint(&e, 1);
        if (e.len < e.cap) {
            e.buf[e.len++] = c->connect ? 0xf5 : 0xf4;   /* simple true / false */
        } else {
            e.overflow = true;
        }
        break;
    }
    default:
        ms_cbor_put_map(&e, 2);
        ms_cbor_put_uint(&e, 1);
        ms_cbor_put_uint(&e, c->tariff_id);
        ms_cbor_put_uint(&e, 2);
        ms_cbor_put_uint(&e, c->price_milli_per_kwh);
        break;
    }
    return ms_cbor_enc_finish(&e, len);
}

ms_err_t ms_msg_command_decode(const uint8_t *p, size_t len, ms_msg_command_t *c)
{
    if (p == NULL || c == NULL || len > MS_COSE_MSG_MAX) {
        return MS_ERR_FORMAT;
    }
    memset(c, 0, sizeof *c);
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, len);
    uint64_t type = 0;
    ms_err_t err = map_head(&d, 4);
    if (err == MS_OK) err = get_meter_id(&d, c->meter_id);
    if (err == MS_OK) err = get_uint(&d, 2, &c->cmd_seq);
    if (err == MS_OK) err = get_uint(&d, 3, &type);
    if (err == MS_OK) err = key_is(&d, 4);
    if (err == MS_OK && (type < MS_CMD_TOPUP || type > MS_CMD_TARIFF)) {
        err = MS_ERR_FORMAT;
    }
    c->type = (uint32_t)type;
    if (err == MS_OK) err = map_head(&d, type == MS_CMD_TARIFF ? 2 : 1);
    if (err == MS_OK && type == MS_CMD_TOPUP) {
        err = get_uint(&d, 1, &c->amount_milli);
    } else if (err == MS_OK && type == MS_CMD_RELAY) {
        ms_cbor_item_t it;
        err = key_is(&d, 1);
        if (err == MS_OK) err = ms_cbor_next(&d, &it);
        if (err == MS_OK && (it.major != MS_CBOR_SIMPLE || (it.val != 20 && it.val != 21))) {
            err = MS_ERR_FORMAT;
        }
        c->connect = err == MS_OK && it.val == 21;
    } else if (err == MS_OK) {
        err = get_uint(&d, 1, &c->tariff_id);
        if (err == MS_OK) err = get_uint(&d, 2, &c->price_milli_per_kwh);
    }
    if (err == MS_OK) err = end_of(&d);
    if (err == MS_OK) {
        uint8_t again[MS_COSE_MSG_MAX];
        size_t n = 0;
        ms_err_t enc = ms_msg_command_encode(c, again, sizeof again, &n);
        err = canonical(enc, again, n, p, len);
    }
    return err;
}
