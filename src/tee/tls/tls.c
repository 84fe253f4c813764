/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.c - the meter's TLS client as a byte pump (meterseal/tee_tls.h) on
 * Mbed TLS 3.6: TLS 1.3 or 1.2, one cipher suite each, mutual certificate
 * authentication, session tickets (M12, M13).
 *
 * Invariants:
 *   - Mbed TLS reads and writes only this session's two pipes (in/out); no
 *     socket, no other memory. Plaintext goes in and out only through
 *     ms_tls_send()/ms_tls_recv(); what ms_tls_drain() returns is records.
 *   - The server is accepted only with a certificate that chains to the one
 *     pinned CA and names server_name (MBEDTLS_SSL_VERIFY_REQUIRED, hostname
 *     set on every connect); any failure ends the connection (FAILED) and
 *     nothing is sent or received on it afterwards.
 *   - The private key is never here: signatures come from cfg->sign
 *     (ext_key.c). A resumed handshake makes none and checks no chain,
 *     which is how `resumed` is told apart.
 *   - The session's Mbed TLS contexts point at each other inside ms_tls_t:
 *     a set-up session must not be copied or moved.
 */
#include <string.h>

#include "mbedtls/error.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "psa/crypto.h"

#include "tls_internal.h"

#define TLS_MAGIC 0x544c5331u   /* "TLS1" */
/* Bytes a record adds to its plaintext, at most: header 5, TLS 1.2 GCM
 * explicit nonce 8 and tag 16 (TLS 1.3: content type 1 and tag 16). */
#define RECORD_OVERHEAD 29u

typedef struct tls_state {
    uint32_t magic;
    ms_tls_state_t state;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt own;
    mbedtls_pk_context key;
    ms_tls_ext_key_t ext;
    mbedtls_ssl_session ticket;
    bool have_ticket;
    unsigned versions;
    char server_name[MS_TLS_SERVER_NAME_MAX + 1];
    ms_tls_info_t info;
    size_t in_len, in_pos;
    size_t out_len;
    uint8_t in[MS_TLS_NET_BUF];
    uint8_t out[MS_TLS_NET_BUF];
} tls_state_t;

_Static_assert(sizeof(tls_state_t) <= sizeof(ms_tls_t), "ms_tls_t too small for Mbed TLS");
_Static_assert(_Alignof(tls_state_t) <= _Alignof(ms_tls_t), "ms_tls_t under-aligned");

static const uint16_t tls_groups[] = { MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
                                       MBEDTLS_SSL_IANA_TLS_GROUP_NONE };
static const uint16_t tls_sig_algs[] = { MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
                                         MBEDTLS_TLS1_3_SIG_NONE };

static tls_state_t *state_of(ms_tls_t *t)
{
    tls_state_t *st = (tls_state_t *)(void *)t;
    return t != NULL && st->magic == TLS_MAGIC ? st : NULL;
}

/* ---- the two pipes Mbed TLS sees as its network ------------------------------- */

static int pipe_send(void *ctx, const unsigned char *buf, size_t len)
{
    tls_state_t *st = ctx;
    size_t room = sizeof st->out - st->out_len;
    if (room == 0) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    size_t n = len < room ? len : room;
    memcpy(st->out + st->out_len, buf, n);
    st->out_len += n;
    return (int)n;
}

static int pipe_recv(void *ctx, unsigned char *buf, size_t len)
{
    tls_state_t *st = ctx;
    size_t have = st->in_len - st->in_pos;
    if (have == 0) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    size_t n = len < have ? len : have;
    memcpy(buf, st->in + st->in_pos, n);
    st->in_pos += n;
    if (st->in_pos == st->in_len) {
        st->in_pos = st->in_len = 0;
    }
    return (int)n;
}

static int rng_cb(void *unused, unsigned char *out, size_t len)
{
    (void)unused;
    return ms_random(out, len) == MS_OK ? 0 : MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

/* Counts chain checks: a resumed handshake makes none. */
static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    tls_state_t *st = ctx;
    (void)crt;
    (void)flags;
    if (depth == 0) {
        st->info.peer_verifies++;
    }
    return 0;   /* the verdict is Mbed TLS's (flags), not changed here */
}

/* ---- set-up ----------------------------------------------------------------------- */

static ms_err_t fail(tls_state_t *st, ms_err_t err, int mbed)
{
    st->state = MS_TLS_FAILED;
    st->info.state = MS_TLS_FAILED;
    st->info.error = err;
    st->info.mbedtls_error = mbed;
    return err;
}

static bool is_p256_cert(const mbedtls_x509_crt *crt)
{
    return mbedtls_pk_can_do(&crt->pk, MBEDTLS_PK_ECKEY) &&
           mbedtls_pk_get_bitlen(&crt->pk) == 256;
}

ms_err_t ms_tls_init(ms_tls_t *t, const ms_tls_config_t *cfg)
{
    if (t == NULL || cfg == NULL || cfg->ca_der == NULL || cfg->cert_der == NULL ||
        cfg->sign == NULL || cfg->server_name == NULL ||
        strlen(cfg->server_name) == 0 || strlen(cfg->server_name) > MS_TLS_SERVER_NAME_MAX ||
        cfg->versions > MS_TLS_VERSIONS_1_3) {
        return MS_ERR_ARG;
    }
    memset(t, 0, sizeof *t);
    tls_state_t *st = (tls_state_t *)(void *)t;
    if (psa_crypto_init() != PSA_SUCCESS) {
        return MS_ERR_CRYPTO;
    }
    mbedtls_ssl_init(&st->ssl);
    mbedtls_ssl_config_init(&st->conf);
    mbedtls_x509_crt_init(&st->ca);
    mbedtls_x509_crt_init(&st->own);
    mbedtls_pk_init(&st->key);
    mbedtls_ssl_session_init(&st->ticket);
    st->magic = TLS_MAGIC;
    memcpy(st->server_name, cfg->server_name, strlen(cfg->server_name) + 1);
    st->ext.sign = cfg->sign;
    st->ext.ctx = cfg->sign_ctx;
    st->versions = cfg->versions;

    ms_err_t err = MS_ERR_KEY_FORMAT;
    int ret = mbedtls_x509_crt_parse_der(&st->ca, cfg->ca_der, cfg->ca_len);
    if (ret == 0) {
        ret = mbedtls_x509_crt_parse_der(&st->own, cfg->cert_der, cfg->cert_len);
    }
    if (ret == 0 && !is_p256_cert(&st->own)) {
        ret = MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG;
    }
    if (ret == 0) {
        err = MS_ERR_CRYPTO;
        ret = ms_tls_ext_key_setup(&st->key, &st->ext);
    }
    if (ret == 0) {
        ret = mbedtls_ssl_config_defaults(&st->conf, MBEDTLS_SSL_IS_CLIENT,
                                          MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    }
    if (ret == 0) {
        mbedtls_ssl_conf_authmode(&st->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&st->conf, &st->ca, NULL);
        mbedtls_ssl_conf_rng(&st->conf, rng_cb, NULL);
        mbedtls_ssl_conf_verify(&st->conf, verify_cb, st);
        mbedtls_ssl_conf_groups(&st->conf, tls_groups);
        mbedtls_ssl_conf_sig_algs(&st->conf, tls_sig_algs);
        mbedtls_ssl_conf_min_tls_version(&st->conf, cfg->versions == MS_TLS_VERSIONS_1_3
                                                        ? MBEDTLS_SSL_VERSION_TLS1_3
                                                        : MBEDTLS_SSL_VERSION_TLS1_2);
        mbedtls_ssl_conf_max_tls_version(&st->conf, cfg->versions == MS_TLS_VERSIONS_1_2
                                                        ? MBEDTLS_SSL_VERSION_TLS1_2
                                                        : MBEDTLS_SSL_VERSION_TLS1_3);
        mbedtls_ssl_conf_session_tickets(&st->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
        mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
            &st->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
        ret = mbedtls_ssl_conf_own_cert(&st->conf, &st->own, &st->key);
    }
    if (ret == 0) {
        ret = mbedtls_ssl_setup(&st->ssl, &st->conf);
    }
    if (ret != 0) {
        ms_tls_free(t);
        return err;
    }
    mbedtls_ssl_set_bio(&st->ssl, st, pipe_send, pipe_recv, NULL);
    st->state = MS_TLS_IDLE;
    return MS_OK;
}

void ms_tls_free(ms_tls_t *t)
{
    tls_state_t *st = state_of(t);
    if (st == NULL) {
        return;
    }
    mbedtls_ssl_free(&st->ssl);
    mbedtls_ssl_config_free(&st->conf);
    mbedtls_x509_crt_free(&st->ca);
    mbedtls_x509_crt_free(&st->own);
    mbedtls_pk_free(&st->key);
    mbedtls_ssl_session_free(&st->ticket);
    ms_secure_zero(t, sizeof *t);
}

/* ---- connection ----------------------------------------------------------------- */

/* Mbed TLS offers a kept session's version whatever the configuration
 * allows: a ticket is offered only when its version is one we offer. */
static bool ticket_fits(const tls_state_t *st)
{
    mbedtls_ssl_protocol_version v = st->ticket.MBEDTLS_PRIVATE(tls_version);
    return st->versions == MS_TLS_VERSIONS_ANY ||
           (st->versions == MS_TLS_VERSIONS_1_2 && v == MBEDTLS_SSL_VERSION_TLS1_2) ||
           (st->versions == MS_TLS_VERSIONS_1_3 && v == MBEDTLS_SSL_VERSION_TLS1_3);
}

ms_err_t ms_tls_connect(ms_tls_t *t)
{
    tls_state_t *st = state_of(t);
    if (st == NULL) {
        return MS_ERR_ARG;
    }
    st->in_len = st->in_pos = st->out_len = 0;
    memset(&st->info, 0, sizeof st->info);
    st->ext.calls = 0;
    int ret = mbedtls_ssl_session_reset(&st->ssl);
    if (ret == 0) {
        /* M12: the name the server's certificate must carry, every time */
        ret = mbedtls_ssl_set_hostname(&st->ssl, st->server_name);
    }
    if (ret == 0 && st->have_ticket && ticket_fits(st)) {
        /* a ticket the server no longer takes just means a full handshake */
        (void)mbedtls_ssl_set_session(&st->ssl, &st->ticket);
    }
    if (ret != 0) {
        return fail(st, MS_ERR_CRYPTO, ret);
    }
    st->state = MS_TLS_HANDSHAKE;
    st->info.state = MS_TLS_HANDSHAKE;
    return MS_OK;
}

ms_err_t ms_tls_feed(ms_tls_t *t, const uint8_t *net, size_t len, size_t *taken)
{
    tls_state_t *st = state_of(t);
    if (st == NULL || taken == NULL || (net == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    *taken = 0;
    if (st->in_pos != 0) {   /* compact what Mbed TLS has not read yet */
        memmove(st->in, st->in + st->in_pos, st->in_len - st->in_pos);
        st->in_len -= st->in_pos;
        st->in_pos = 0;
    }
    size_t room = sizeof st->in - st->in_len;
    size_t n = len < room ? len : room;
    if (n != 0) {
        memcpy(st->in + st->in_len, net, n);
    }
    st->in_len += n;
    st->info.bytes_in += n;
    *taken = n;
    return MS_OK;
}

ms_err_t ms_tls_drain(ms_tls_t *t, uint8_t *net, size_t cap, size_t *n)
{
    tls_state_t *st = state_of(t);
    if (st == NULL || n == NULL || (net == NULL && cap != 0)) {
        return MS_ERR_ARG;
    }
    size_t k = st->out_len < cap ? st->out_len : cap;
    if (k != 0) {
        memcpy(net, st->out, k);
        memmove(st->out, st->out + k, st->out_len - k);
        st->out_len -= k;
    }
    st->info.bytes_out += k;
    *n = k;
    return MS_OK;
}

static void keep_ticket(tls_state_t *st)
{
    mbedtls_ssl_session fresh;
    mbedtls_ssl_session_init(&fresh);
    if (mbedtls_ssl_get_session(&st->ssl, &fresh) == 0) {
        mbedtls_ssl_session_free(&st->ticket);
        st->ticket = fresh;   /* plain struct copy: ownership moves */
        st->have_ticket = true;
        st->info.tickets++;
    } else {
        mbedtls_ssl_session_free(&fresh);
    }
}

static ms_err_t handshake_error(tls_state_t *st, int ret)
{
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        return fail(st, MS_ERR_TLS_PEER_CERT, ret);
    }
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF) {
        return fail(st, MS_ERR_TLS_CLOSED, ret);
    }
    return fail(st, MS_ERR_TLS_HANDSHAKE, ret);
}

ms_err_t ms_tls_run(ms_tls_t *t)
{
    tls_state_t *st = state_of(t);
    if (st == NULL) {
        return MS_ERR_ARG;
    }
    switch (st->state) {
    case MS_TLS_HANDSHAKE: {
        int ret = mbedtls_ssl_handshake(&st->ssl);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
            ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            return MS_OK;
        }
        if (ret != 0) {
            return handshake_error(st, ret);
        }
        st->state = MS_TLS_OPEN;
        st->info.state = MS_TLS_OPEN;
        st->info.signatures = st->ext.calls;
        st->info.resumed = st->ext.calls == 0 && st->info.peer_verifies == 0;
        st->info.version =
            mbedtls_ssl_get_version_number(&st->ssl) == MBEDTLS_SSL_VERSION_TLS1_3 ? 13 : 12;
        if (st->info.version == 12) {
            keep_ticket(st);   /* TLS 1.3 tickets arrive after the handshake */
        }
        st->info.have_ticket = st->have_ticket;
        return MS_OK;
    }
    case MS_TLS_OPEN:
    case MS_TLS_IDLE:
        return MS_OK;
    case MS_TLS_CLOSED:
        return MS_ERR_TLS_CLOSED;
    default:
        return st->info.error != MS_OK ? st->info.error : MS_ERR_TLS_HANDSHAKE;
    }
}

ms_err_t ms_tls_send(ms_tls_t *t, const uint8_t *plain, size_t len, size_t *taken)
{
    tls_state_t *st = state_of(t);
    if (st == NULL || taken == NULL || (plain == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    *taken = 0;
    if (st->state != MS_TLS_OPEN) {
        return st->state == MS_TLS_CLOSED ? MS_ERR_TLS_CLOSED : MS_ERR_STATE;
    }
    /* Take only what fits the out pipe as whole records: then Mbed TLS
     * never holds a half-sent record that would have to be written again
     * with the same plaintext. */
    size_t room = sizeof st->out - st->out_len;
    if (room <= RECORD_OVERHEAD) {
        return MS_OK;   /* drain first */
    }
    if (len > room - RECORD_OVERHEAD) {
        len = room - RECORD_OVERHEAD;
    }
    if (len == 0) {
        return MS_OK;
    }
    int ret = mbedtls_ssl_write(&st->ssl, plain, len);
    if (ret > 0) {
        *taken = (size_t)ret;
        return MS_OK;
    }
    return fail(st, MS_ERR_TLS_CLOSED, ret);
}

ms_err_t ms_tls_recv(ms_tls_t *t, uint8_t *plain, size_t cap, size_t *got)
{
    tls_state_t *st = state_of(t);
    if (st == NULL || got == NULL || (plain == NULL && cap != 0)) {
        return MS_ERR_ARG;
    }
    *got = 0;
    if (st->state != MS_TLS_OPEN) {
        return st->state == MS_TLS_CLOSED ? MS_ERR_TLS_CLOSED : MS_OK;
    }
    for (;;) {
        int ret = mbedtls_ssl_read(&st->ssl, plain, cap);
        if (ret > 0) {
            *got = (size_t)ret;
            return MS_OK;
        }
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            keep_ticket(st);   /* TLS 1.3: a ticket for the next connect */
            st->info.have_ticket = st->have_ticket;
            continue;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            return MS_OK;
        }
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0) {
            st->state = MS_TLS_CLOSED;
            st->info.state = MS_TLS_CLOSED;
            return MS_ERR_TLS_CLOSED;
        }
        return fail(st, MS_ERR_TLS_CLOSED, ret);
    }
}

ms_err_t ms_tls_pump(ms_tls_t *t, ms_tls_pump_t *p)
{
    if (p == NULL || (p->net_in == NULL && p->net_in_len != 0) ||
        (p->plain_out == NULL && p->plain_out_len != 0) ||
        (p->net_out == NULL && p->net_out_cap != 0) ||
        (p->plain_in == NULL && p->plain_in_cap != 0)) {
        return MS_ERR_ARG;
    }
    p->net_in_taken = p->plain_out_taken = p->net_out_len = p->plain_in_len = 0;
    memset(&p->info, 0, sizeof p->info);
    if (state_of(t) == NULL) {
        return MS_ERR_STATE;
    }
    ms_err_t err = ms_tls_feed(t, p->net_in, p->net_in_len, &p->net_in_taken);
    if (!err) {
        err = ms_tls_run(t);
    }
    ms_tls_info(t, &p->info);
    if (!err && p->info.state == MS_TLS_OPEN) {
        err = ms_tls_send(t, p->plain_out, p->plain_out_len, &p->plain_out_taken);
        if (!err) {
            err = ms_tls_recv(t, p->plain_in, p->plain_in_cap, &p->plain_in_len);
        }
    }
    /* records go out whatever happened (an alert, a close_notify) */
    ms_err_t derr = ms_tls_drain(t, p->net_out, p->net_out_cap, &p->net_out_len);
    ms_tls_info(t, &p->info);
    return err ? err : derr;
}

ms_err_t ms_tls_close(ms_tls_t *t)
{
    tls_state_t *st = state_of(t);
    if (st == NULL) {
        return MS_ERR_ARG;
    }
    if (st->state == MS_TLS_OPEN) {
        (void)mbedtls_ssl_close_notify(&st->ssl);
    }
    if (st->state != MS_TLS_FAILED) {
        st->state = MS_TLS_CLOSED;
        st->info.state = MS_TLS_CLOSED;
    }
    return MS_OK;
}

void ms_tls_info(const ms_tls_t *t, ms_tls_info_t *out)
{
    const tls_state_t *st = (const tls_state_t *)(const void *)t;
    memset(out, 0, sizeof *out);
    if (t != NULL && st->magic == TLS_MAGIC) {
        *out = st->info;
        out->state = st->state;
        out->have_ticket = st->have_ticket;
    }
}

/* ---- tickets ------------------------------------------------------------------------ */

ms_err_t ms_tls_ticket_save(ms_tls_t *t, uint8_t *buf, size_t cap, size_t *len)
{
    tls_state_t *st = state_of(t);
    if (st == NULL || len == NULL || (buf == NULL && cap != 0)) {
        return MS_ERR_ARG;
    }
    *len = 0;
    if (!st->have_ticket) {
        return MS_ERR_NOT_FOUND;
    }
    int ret = mbedtls_ssl_session_save(&st->ticket, buf, cap, len);
    if (ret == MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    return ret == 0 ? MS_OK : MS_ERR_STATE;
}

ms_err_t ms_tls_ticket_load(ms_tls_t *t, const uint8_t *buf, size_t len)
{
    tls_state_t *st = state_of(t);
    if (st == NULL || buf == NULL) {
        return MS_ERR_ARG;
    }
    ms_tls_ticket_forget(t);
    if (mbedtls_ssl_session_load(&st->ticket, buf, len) != 0) {
        mbedtls_ssl_session_free(&st->ticket);
        mbedtls_ssl_session_init(&st->ticket);
        return MS_ERR_FORMAT;
    }
    st->have_ticket = true;
    return MS_OK;
}

void ms_tls_ticket_forget(ms_tls_t *t)
{
    tls_state_t *st = state_of(t);
    if (st != NULL) {
        mbedtls_ssl_session_free(&st->ticket);
        mbedtls_ssl_session_init(&st->ticket);
        st->have_ticket = false;
    }
}

/* ---- certificate check (provisioning) ---------------------------------------- */

ms_err_t ms_tls_cert_check(const uint8_t *cert_der, size_t cert_len, const uint8_t *ca_der,
                           size_t ca_len, const ms_p256_pub_t *pub, ms_p256_pub_t *pub_out)
{
    if (cert_der == NULL) {
        return MS_ERR_ARG;
    }
    if (psa_crypto_init() != PSA_SUCCESS) {
        return MS_ERR_CRYPTO;
    }
    mbedtls_x509_crt crt, ca;
    mbedtls_x509_crt_init(&crt);
    mbedtls_x509_crt_init(&ca);
    ms_err_t err = MS_OK;
    ms_p256_pub_t key;
    if (mbedtls_x509_crt_parse_der(&crt, cert_der, cert_len) != 0 || !is_p256_cert(&crt) ||
        ms_p256_pub_from_spki(crt.pk_raw.p, crt.pk_raw.len,
                              &key) != MS_OK) {
        err = MS_ERR_KEY_FORMAT;
    }
    if (!err && ca_der != NULL) {
        uint32_t flags = 0;
        if (mbedtls_x509_crt_parse_der(&ca, ca_der, ca_len) != 0) {
            err = MS_ERR_KEY_FORMAT;
        } else if (mbedtls_x509_crt_verify(&crt, &ca, NULL, NULL, &flags, NULL, NULL) != 0) {
            err = MS_ERR_TLS_PEER_CERT;
        }
    }
    if (!err && pub != NULL && !ms_ct_equal(pub->q, key.q, sizeof key.q)) {
        err = MS_ERR_KEY_MISMATCH;
    }
    if (!err && pub_out != NULL) {
        *pub_out = key;
    }
    mbedtls_x509_crt_free(&crt);
    mbedtls_x509_crt_free(&ca);
    return err;
}

void ms_tls_release(void)
{
    mbedtls_psa_crypto_free();
}
