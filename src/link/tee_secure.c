/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_secure.c - the Non-secure side of the TEE's LINK service: each
 * operation of ms_link_secure_t as one call through the secure API
 * (MS_TEE_SID_LINK, vector layouts in tee_dispatch.h).
 *
 * Invariants: arguments are copied into the caller-given Non-secure
 * `shared` memory before the call and results copied out after it, so the
 * TEE only ever sees vectors into memory the Non-secure world owns; every
 * length is checked against that memory first. PSA statuses come back as
 * ms_err_t (the TEE's finer reason is in status vectors where the layout
 * has one).
 */
#include <string.h>

#include "meterseal/link_client.h"
#include "meterseal/link_update.h"

static ms_err_t from_psa(psa_status_t s)
{
    switch (s) {
    case PSA_SUCCESS:                    return MS_OK;
    case PSA_ERROR_DOES_NOT_EXIST:       return MS_ERR_NOT_FOUND;
    case PSA_ERROR_NOT_PERMITTED:        return MS_ERR_TEE_DENIED;
    case PSA_ERROR_INVALID_ARGUMENT:     return MS_ERR_ARG;
    case PSA_ERROR_INVALID_SIGNATURE:    return MS_ERR_SIGNATURE;
    case PSA_ERROR_BUFFER_TOO_SMALL:     return MS_ERR_BUFFER_TOO_SMALL;
    case PSA_ERROR_BAD_STATE:            return MS_ERR_STATE;
    case PSA_ERROR_INSUFFICIENT_STORAGE: return MS_ERR_TEE_NO_SPACE;
    case PSA_ERROR_DATA_CORRUPT:         return MS_ERR_TEE_CORRUPT;
    case PSA_ERROR_STORAGE_FAILURE:      return MS_ERR_IO;
    default:                             return MS_ERR_INTERNAL;
    }
}

static ms_err_t call(ms_link_tee_t *t, int32_t type, const ms_tee_invec_t *in, size_t n_in,
                     ms_tee_outvec_t *out, size_t n_out)
{
    ms_err_t err = from_psa(t->call(t->call_ctx, MS_TEE_SID_LINK, type, in, n_in, out, n_out));
    t->last = err;
    return err;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

static ms_err_t t_open(void *ctx, unsigned versions)
{
    ms_link_tee_t *t = ctx;
    put32(t->shared, versions);
    ms_tee_invec_t in[1] = { { t->shared, 4 } };
    return call(t, MS_TEE_LINK_CH_OPEN, in, 1, NULL, 0);
}

static ms_err_t t_pump(void *ctx, ms_tee_link_pump_t *p)
{
    ms_link_tee_t *t = ctx;
    uint8_t *sh = t->shared;
    size_t in_n = p->net_in_len < 1024 ? p->net_in_len : 1024;
    size_t out_n = p->plain_out_len < 1024 ? p->plain_out_len : 1024;
    size_t net_cap = p->net_out_cap < 1024 ? p->net_out_cap : 1024;
    size_t plain_cap = p->plain_in_cap < 1024 ? p->plain_in_cap : 1024;
    uint8_t *st = sh, *net_in = sh + 32, *plain_out = net_in + 1024, *net_out = plain_out + 1024,
            *plain_in = net_out + 1024;
    if (in_n != 0) {
        memcpy(net_in, p->net_in, in_n);
    }
    if (out_n != 0) {
        memcpy(plain_out, p->plain_out, out_n);
    }
    ms_tee_invec_t in[2] = { { net_in, in_n }, { plain_out, out_n } };
    ms_tee_outvec_t out[3] = { { st, MS_TEE_LINK_PUMP_STATUS_LEN }, { net_out, net_cap },
                               { plain_in, plain_cap } };
    p->net_in_taken = p->plain_out_taken = p->net_out_len = p->plain_in_len = 0;
    memset(&p->info, 0, sizeof p->info);
    ms_err_t err = call(t, MS_TEE_LINK_CH_PUMP, in, 2, out, 3);
    if (err) {
        return err;
    }
    p->info.state = (ms_tls_state_t)st[0];
    p->info.version = st[1];
    p->info.resumed = st[2] != 0;
    p->info.have_ticket = st[3] != 0;
    p->info.error = (ms_err_t)get32(st + 4);
    p->net_in_taken = get32(st + 8);
    p->plain_out_taken = get32(st + 12);
    p->info.signatures = get32(st + 16);
    p->info.peer_verifies = get32(st + 20);
    if (p->net_in_taken > in_n || p->plain_out_taken > out_n || out[1].len > net_cap ||
        out[2].len > plain_cap) {
        return MS_ERR_INTERNAL;
    }
    memcpy(p->net_out, net_out, out[1].len);
    memcpy(p->plain_in, plain_in, out[2].len);
    p->net_out_len = out[1].len;
    p->plain_in_len = out[2].len;
    return MS_OK;
}

static ms_err_t t_close(void *ctx)
{
    return call(ctx, MS_TEE_LINK_CH_CLOSE, NULL, 0, NULL, 0);
}

/* READING / PENDING: one 8- or 4-byte argument in, seq(8) + message out. */
static ms_err_t signed_out(ms_link_tee_t *t, int32_t type, uint64_t arg, size_t arg_len,
                           uint8_t *msg, size_t cap, size_t *len, uint64_t *seq)
{
    uint8_t *a = t->shared, *s = a + 8, *m = s + 8;
    size_t mcap = cap < MS_LINK_MSG_MAX ? cap : MS_LINK_MSG_MAX;
    if (arg_len == 8) {
        put64(a, arg);
    } else {
        put32(a, (uint32_t)arg);
    }
    ms_tee_invec_t in[1] = { { a, arg_len } };
    ms_tee_outvec_t out[2] = { { s, 8 }, { m, mcap } };
    *len = 0;
    *seq = 0;
    ms_err_t err = call(t, type, in, 1, out, 2);
    if (!err) {
        if (out[1].len > mcap) {
            return MS_ERR_INTERNAL;
        }
        *seq = get64(s);
        memcpy(msg, m, out[1].len);
        *len = out[1].len;
    }
    return err;
}

static ms_err_t t_reading(void *ctx, uint64_t time, uint8_t *msg, size_t cap, size_t *len,
                          uint64_t *seq)
{
    return signed_out(ctx, MS_TEE_LINK_READING, time, 8, msg, cap, len, seq);
}

static ms_err_t t_pending(void *ctx, size_t index, uint8_t *msg, size_t cap, size_t *len,
                          uint64_t *seq)
{
    return signed_out(ctx, MS_TEE_LINK_PENDING, index, 4, msg, cap, len, seq);
}

/* In: a message into the shared memory; out: at most `cap` bytes after it. */
static ms_err_t msg_in_out(ms_link_tee_t *t, int32_t type, const uint8_t *in_msg, size_t in_len,
                           size_t in_max, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t *m = t->shared, *r = m + in_max;
    *out_len = 0;
    if (in_len > in_max) {
        return MS_ERR_FORMAT;
    }
    memcpy(m, in_msg, in_len);
    size_t rcap = cap < MS_LINK_MSG_MAX ? cap : MS_LINK_MSG_MAX;
    ms_tee_invec_t in[1] = { { m, in_len } };
    ms_tee_outvec_t o[1] = { { r, rcap } };
    ms_err_t err = call(t, type, in, 1, o, 1);
    if (!err) {
        if (o[0].len > rcap) {
            return MS_ERR_INTERNAL;
        }
        memcpy(out, r, o[0].len);
        *out_len = o[0].len;
    }
    return err;
}

static ms_err_t t_ack(void *ctx, const uint8_t *msg, size_t len, size_t *removed)
{
    uint8_t r[4];
    size_t n = 0;
    *removed = 0;
    ms_err_t err = msg_in_out(ctx, MS_TEE_LINK_ACK, msg, len, MS_LINK_MSG_MAX, r, sizeof r, &n);
    if (!err && n == sizeof r) {
        *removed = get32(r);
    }
    return err;
}

static ms_err_t t_command(void *ctx, const uint8_t *msg, size_t len, uint8_t *result, size_t cap,
                          size_t *result_len, uint32_t *status)
{
    ms_link_tee_t *t = ctx;
    /* an over-long message is still handed over (one byte too many) so the
     * TEE answers it with a signed "malformed" result */
    size_t n = len > MS_LINK_MSG_MAX ? MS_LINK_MSG_MAX + 1 : len;
    uint8_t *m = t->shared, *s = m + MS_LINK_MSG_MAX + 8, *r = s + 8;
    size_t rcap = cap < MS_LINK_MSG_MAX ? cap : MS_LINK_MSG_MAX;
    *result_len = 0;
    memcpy(m, msg, n);
    ms_tee_invec_t in[1] = { { m, n } };
    ms_tee_outvec_t out[2] = { { s, 4 }, { r, rcap } };
    ms_err_t err = call(t, MS_TEE_LINK_COMMAND, in, 1, out, 2);
    if (!err) {
        if (out[1].len > rcap) {
            return MS_ERR_INTERNAL;
        }
        *status = get32(s);
        memcpy(result, r, out[1].len);
        *result_len = out[1].len;
    }
    return err;
}

static ms_err_t t_queued(void *ctx, uint32_t *n)
{
    ms_link_tee_t *t = ctx;
    ms_tee_outvec_t out[1] = { { t->shared, MS_TEE_LINK_STATUS_LEN } };
    *n = 0;
    ms_err_t err = call(t, MS_TEE_LINK_STATUS, NULL, 0, out, 1);
    if (!err) {
        *n = get32(t->shared);
    }
    return err;
}

ms_err_t ms_link_tee_meter_id(ms_link_tee_t *t, char out[MS_LINK_METER_ID_MAX + 1])
{
    ms_tee_outvec_t o[1] = { { t->shared, MS_TEE_LINK_BROKER_MAX } };
    out[0] = '\0';
    ms_err_t err = call(t, MS_TEE_LINK_METER_ID, NULL, 0, o, 1);
    if (!err) {
        if (o[0].len == 0 || o[0].len > MS_LINK_METER_ID_MAX) {
            return MS_ERR_FORMAT;
        }
        memcpy(out, t->shared, o[0].len);
        out[o[0].len] = '\0';
    }
    return err;
}

ms_err_t ms_link_tee_offer(ms_link_tee_t *t, const uint8_t *msg, size_t len, ms_link_offer_t *o)
{
    uint8_t payload[MS_LINK_OFFER_MAX];
    size_t n = 0;
    memset(o, 0, sizeof *o);
    ms_err_t err = msg_in_out(t, MS_TEE_LINK_OFFER, msg, len, MS_LINK_MSG_MAX, payload,
                              sizeof payload, &n);
    /* decoded again here: the Non-secure side trusts the TEE's verdict,
     * not a structure laid out by the other world */
    return err ? err : ms_link_offer_decode(payload, n, o);
}

ms_err_t ms_link_tee_update_status(ms_link_tee_t *t, const uint8_t *payload, size_t len,
                                   uint8_t *msg, size_t cap, size_t *msg_len)
{
    return msg_in_out(t, MS_TEE_LINK_UPD_STATUS, payload, len, MS_LINK_UPD_STATUS_MAX, msg, cap,
                      msg_len);
}

const ms_link_secure_t ms_link_secure_tee = {
    .open = t_open,
    .pump = t_pump,
    .close = t_close,
    .reading = t_reading,
    .pending = t_pending,
    .ack = t_ack,
    .command = t_command,
    .queued = t_queued,
};
