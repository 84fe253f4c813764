/* SPDX-License-Identifier: Apache-2.0 */
/*
 * factory.c - the factory line's session protocol (meterseal/tee_factory.h):
 * frame header, the payload codecs both ends use, and the meter's side of
 * each request.
 *
 * Invariants:
 *   - Decoders read nothing before checking that it is there, take every
 *     length from the input only after bounding it by what is left, and
 *     refuse trailing bytes; ids are checked with ms_link_meter_id_valid.
 *   - The meter's side acts as MS_TEE_PART_BOOT through the link
 *     partition's own provisioning steps (tee_link.h): the checks that
 *     matter (certificate key = identity key, write-once id and command
 *     key, broker syntax) are made there, not here.
 *   - Once the meter id is stored, REQUEST and INSTALL are refused
 *     (MS_ERR_STATE): the line provisions a meter once; a stored id that
 *     does not read back counts as provisioned (fail closed).
 */
#include "meterseal/tee_factory.h"

#include <string.h>

/* ---- bytes ----------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t left;
    ms_err_t err;
} rd_t;

static const uint8_t *take(rd_t *r, size_t n)
{
    if (r->err != MS_OK || n > r->left) {
        r->err = r->err != MS_OK ? r->err : MS_ERR_TRUNCATED;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static size_t take_len(rd_t *r, size_t width)
{
    const uint8_t *p = take(r, width);
    if (p == NULL) {
        return 0;
    }
    return width == 1 ? p[0] : (size_t)p[0] | (size_t)p[1] << 8;
}

/* A length-prefixed string of at most max characters (width 1). */
static void take_str(rd_t *r, char *out, size_t max)
{
    size_t n = take_len(r, 1);
    if (r->err == MS_OK && n > max) {
        r->err = MS_ERR_FORMAT;
    }
    const uint8_t *p = take(r, n);
    if (p != NULL) {
        memcpy(out, p, n);
        out[n] = '\0';
        if (memchr(out, '\0', n) != NULL) {
            r->err = MS_ERR_FORMAT;
        }
    }
}

static void take_id(rd_t *r, char out[MS_LINK_METER_ID_MAX + 1])
{
    take_str(r, out, MS_LINK_METER_ID_MAX);
    if (r->err == MS_OK && !ms_link_meter_id_valid(out, strlen(out))) {
        r->err = MS_ERR_FORMAT;
    }
}

static void take_key(rd_t *r, ms_p256_pub_t *k)
{
    const uint8_t *p = take(r, MS_P256_PUB_LEN);
    if (p != NULL) {
        memcpy(k->q, p, MS_P256_PUB_LEN);
        if (k->q[0] != 0x04) {
            r->err = MS_ERR_FORMAT;   /* uncompressed points only */
        }
    }
}

static ms_err_t finish(const rd_t *r)
{
    return r->err != MS_OK ? r->err : r->left != 0 ? MS_ERR_FORMAT : MS_OK;
}

typedef struct wr {
    uint8_t *p;
    size_t len, cap;
    ms_err_t err;
} wr_t;

static void put(wr_t *w, const void *src, size_t n)
{
    if (w->err != MS_OK || n > w->cap - w->len) {
        w->err = w->err != MS_OK ? w->err : MS_ERR_BUFFER_TOO_SMALL;
        return;
    }
    if (n != 0) {
        memcpy(w->p + w->len, src, n);
    }
    w->len += n;
}

static void put_len(wr_t *w, size_t n, size_t width)
{
    uint8_t b[2] = { (uint8_t)n, (uint8_t)(n >> 8) };
    if (n >> (8 * width) != 0) {
        w->err = w->err != MS_OK ? w->err : MS_ERR_ARG;
        return;
    }
    put(w, b, width);
}

static void put_str(wr_t *w, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        w->err = w->err != MS_OK ? w->err : MS_ERR_ARG;
        return;
    }
    put_len(w, n, 1);
    put(w, s, n);
}

static ms_err_t done(const wr_t *w, size_t *len)
{
    *len = w->err == MS_OK ? w->len : 0;
    return w->err;
}

/* ---- header -------------------------------------------------------------------------- */

ms_err_t ms_factory_header_parse(const uint8_t hdr[MS_FACTORY_HDR_LEN], uint8_t *type,
                                 size_t *len)
{
    if (hdr[0] != 'M' || hdr[1] != 'F') {
        return MS_ERR_BAD_MAGIC;
    }
    *type = hdr[2];
    *len = (size_t)hdr[3] | (size_t)hdr[4] << 8;
    return *len > MS_FACTORY_PAYLOAD_MAX ? MS_ERR_FORMAT : MS_OK;
}

void ms_factory_header_write(uint8_t hdr[MS_FACTORY_HDR_LEN], uint8_t type, size_t len)
{
    hdr[0] = 'M';
    hdr[1] = 'F';
    hdr[2] = type;
    hdr[3] = (uint8_t)len;
    hdr[4] = (uint8_t)(len >> 8);
}

/* ---- payloads ---------------------------------------------------------------------------- */

ms_err_t ms_factory_info_encode(const ms_factory_info_t *m, uint8_t *out, size_t cap, size_t *len)
{
    wr_t w = { out, 0, cap, MS_OK };
    uint8_t flags[2] = { m->secured ? 1u : 0u, m->provisioned ? 1u : 0u };
    put(&w, flags, 2);
    put_str(&w, m->meter_id, MS_LINK_METER_ID_MAX);
    return done(&w, len);
}

ms_err_t ms_factory_info_decode(const uint8_t *p, size_t len, ms_factory_info_t *m)
{
    rd_t r = { p, len, MS_OK };
    memset(m, 0, sizeof *m);
    const uint8_t *f = take(&r, 2);
    if (f != NULL && (f[0] > 1 || f[1] > 1)) {
        r.err = MS_ERR_FORMAT;
    }
    take_str(&r, m->meter_id, MS_LINK_METER_ID_MAX);
    if (r.err == MS_OK) {
        m->secured = f[0] == 1;
        m->provisioned = f[1] == 1;
        if (m->provisioned != (m->meter_id[0] != '\0') ||
            (m->provisioned && !ms_link_meter_id_valid(m->meter_id, strlen(m->meter_id)))) {
            r.err = MS_ERR_FORMAT;
        }
    }
    return finish(&r);
}

ms_err_t ms_factory_request_encode(const ms_factory_request_t *m, uint8_t *out, size_t cap,
                                   size_t *len)
{
    wr_t w = { out, 0, cap, MS_OK };
    put_str(&w, m->meter_id, MS_LINK_METER_ID_MAX);
    put(&w, m->nonce, sizeof m->nonce);
    return done(&w, len);
}

ms_err_t ms_factory_request_decode(const uint8_t *p, size_t len, ms_factory_request_t *m)
{
    rd_t r = { p, len, MS_OK };
    memset(m, 0, sizeof *m);
    take_id(&r, m->meter_id);
    const uint8_t *n = take(&r, sizeof m->nonce);
    if (n != NULL) {
        memcpy(m->nonce, n, sizeof m->nonce);
    }
    return finish(&r);
}

ms_err_t ms_factory_csr_encode(const ms_factory_csr_t *m, uint8_t *out, size_t cap, size_t *len)
{
    wr_t w = { out, 0, cap, MS_OK };
    put_len(&w, m->csr_len, 2);
    put(&w, m->csr, m->csr_len);
    put_len(&w, m->token_len, 2);
    put(&w, m->token, m->token_len);
    put(&w, m->iak.q, MS_P256_PUB_LEN);
    return done(&w, len);
}

ms_err_t ms_factory_csr_decode(const uint8_t *p, size_t len, ms_factory_csr_t *m)
{
    rd_t r = { p, len, MS_OK };
    memset(m, 0, sizeof *m);
    m->csr_len = take_len(&r, 2);
    m->csr = take(&r, m->csr_len);
    m->token_len = take_len(&r, 2);
    m->token = take(&r, m->token_len);
    take_key(&r, &m->iak);
    if (r.err == MS_OK && (m->csr_len == 0 || m->token_len == 0)) {
        r.err = MS_ERR_FORMAT;
    }
    return finish(&r);
}

ms_err_t ms_factory_install_encode(const ms_factory_install_t *m, uint8_t *out, size_t cap,
                                   size_t *len)
{
    wr_t w = { out, 0, cap, MS_OK };
    put_str(&w, m->meter_id, MS_LINK_METER_ID_MAX);
    put_len(&w, m->cert_len, 2);
    put(&w, m->cert, m->cert_len);
    put_len(&w, m->ca_len, 2);
    put(&w, m->ca, m->ca_len);
    put_str(&w, m->broker, MS_TEE_LINK_BROKER_MAX);
    put(&w, m->command_key.q, MS_P256_PUB_LEN);
    return done(&w, len);
}

ms_err_t ms_factory_install_decode(const uint8_t *p, size_t len, ms_factory_install_t *m)
{
    rd_t r = { p, len, MS_OK };
    memset(m, 0, sizeof *m);
    take_id(&r, m->meter_id);
    m->cert_len = take_len(&r, 2);
    m->cert = take(&r, m->cert_len);
    m->ca_len = take_len(&r, 2);
    m->ca = take(&r, m->ca_len);
    take_str(&r, m->broker, MS_TEE_LINK_BROKER_MAX);
    take_key(&r, &m->command_key);
    if (r.err == MS_OK && (m->cert_len == 0 || m->ca_len == 0 || m->cert_len > MS_TEE_LINK_CERT_MAX ||
                           m->ca_len > MS_TEE_LINK_CERT_MAX)) {
        r.err = MS_ERR_FORMAT;
    }
    return finish(&r);
}

/* ---- the meter's side -------------------------------------------------------------------------- */

static ms_err_t serve_request(const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
                              size_t *out_len)
{
    ms_factory_request_t rq;
    ms_err_t err = ms_factory_request_decode(payload, len, &rq);
    if (err != MS_OK) {
        return err;
    }
    /* The CSR goes at its place in the reply; the token is made after the
     * room for the largest CSR and moved down next to it. */
    enum { CSR_ROOM = 600 };
    if (cap < 2u + CSR_ROOM + 2u + MS_P256_PUB_LEN + 1u) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    uint8_t *csr = out + 2, *token = out + 2 + CSR_ROOM + 2;
    size_t token_cap = cap - (2u + CSR_ROOM + 2u) - MS_P256_PUB_LEN;
    size_t csr_len = 0, token_len = 0;
    ms_p256_pub_t iak;
    err = ms_tee_link_provision_request(MS_TEE_PART_BOOT, rq.meter_id, rq.nonce, csr, CSR_ROOM,
                                        &csr_len, token, token_cap, &token_len, &iak);
    if (err != MS_OK) {
        return err;
    }
    out[0] = (uint8_t)csr_len;
    out[1] = (uint8_t)(csr_len >> 8);
    uint8_t *t = out + 2 + csr_len;
    t[0] = (uint8_t)token_len;
    t[1] = (uint8_t)(token_len >> 8);
    memmove(t + 2, token, token_len);
    memcpy(t + 2 + token_len, iak.q, MS_P256_PUB_LEN);
    *out_len = 2 + csr_len + 2 + token_len + MS_P256_PUB_LEN;
    return MS_OK;
}

static ms_err_t serve_install(const uint8_t *payload, size_t len)
{
    ms_factory_install_t in;
    ms_err_t err = ms_factory_install_decode(payload, len, &in);
    if (err != MS_OK) {
        return err;
    }
    ms_tee_link_creds_t c = { in.meter_id, in.cert, in.cert_len, in.ca, in.ca_len, in.broker,
                              &in.command_key };
    return ms_tee_link_provision_install(MS_TEE_PART_BOOT, &c);
}

static bool provisioned(void)
{
    char id[MS_LINK_METER_ID_MAX + 1];
    return ms_tee_link_meter_id(id) != MS_ERR_LINK_NOT_PROVISIONED;
}

ms_err_t ms_tee_factory_serve(uint8_t type, const uint8_t *payload, size_t len, bool secured,
                              uint8_t *out, size_t cap, uint8_t *reply_type, size_t *out_len,
                              bool *bye)
{
    ms_err_t err;
    *out_len = 0;
    *bye = false;
    switch (type) {
    case MS_FACTORY_HELLO: {
        ms_factory_info_t info = { .secured = secured };
        err = len != 0 ? MS_ERR_FORMAT : MS_OK;
        if (err == MS_OK) {
            ms_err_t id = ms_tee_link_meter_id(info.meter_id);
            info.provisioned = id == MS_OK;
            if (!info.provisioned) {
                info.meter_id[0] = '\0';
            }
            err = ms_factory_info_encode(&info, out, cap, out_len);
        }
        break;
    }
    case MS_FACTORY_REQUEST:
    case MS_FACTORY_INSTALL:
        /* Once: a provisioned meter takes no credentials from a serial
         * line (renewal is the cloud channel's job), so nobody on the line
         * can re-pin its cloud CA or broker. */
        err = provisioned() ? MS_ERR_STATE
              : type == MS_FACTORY_REQUEST ? serve_request(payload, len, out, cap, out_len)
                                           : serve_install(payload, len);
        break;
    case MS_FACTORY_BYE:
        err = len != 0 ? MS_ERR_FORMAT : MS_OK;
        *bye = err == MS_OK;
        break;
    default:
        err = MS_ERR_UNSUPPORTED;
        break;
    }
    if (err == MS_OK) {
        *reply_type = (uint8_t)(type | MS_FACTORY_REPLY);
        return MS_OK;
    }
    const char *name = ms_errname(err);
    size_t n = strlen(name);
    n = n < cap ? n : cap;
    memcpy(out, name, n);
    *out_len = n;
    *reply_type = MS_FACTORY_ERROR;
    return err;
}
