/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.c - the Non-secure application's cloud client
 * (meterseal/link_client.h): MQTT 3.1.1 through the TEE's TLS channel,
 * signed readings published and resent until acknowledged, commands handed
 * to the TEE.
 *
 * Invariants:
 *   - Bytes for the UART come only from the TEE's pump (TLS records); MQTT
 *     bytes go only into the pump. Nothing here holds a key or signs.
 *   - A reading leaves the TEE's queue only when the TEE accepts the
 *     cloud's acknowledgement; this client never drops one on its own: what
 *     it cannot publish now (no connection, no buffer room) is published by
 *     the next resend from the TEE's queue.
 *   - A PUBLISH from the broker is handled only when its answer fits in the
 *     output buffer, and acknowledged (PUBACK) only after the TEE has seen
 *     it, so the broker delivers again what a crash interrupted.
 *   - Every buffer is bounded; a packet over MS_LINK_CLIENT_BUF is a
 *     protocol error that ends the connection. Bytes the TEE cannot take yet
 *     wait in the client (flow control), they are never dropped.
 */
#include "meterseal/link_client.h"

#include <string.h>

#include "meterseal/link_mqtt.h"

#define PUMP_CHUNK 1024u
#define ANSWER_ROOM 700u   /* a result PUBLISH plus a PUBACK, with margin */

void ms_link_client_defaults(ms_link_client_config_t *cfg, const char *meter_id)
{
    memset(cfg, 0, sizeof *cfg);
    if (meter_id != NULL && strlen(meter_id) <= MS_LINK_METER_ID_MAX) {
        memcpy(cfg->meter_id, meter_id, strlen(meter_id) + 1);
    }
    cfg->reading_interval_ms = 15u * 60u * 1000u;
    cfg->resend_ms = 30000;
    cfg->keepalive_s = 60;
    cfg->connect_timeout_ms = 30000;
    cfg->answer_timeout_ms = 10000;
    cfg->tls_versions = MS_TLS_VERSIONS_ANY;
}

/* "ms/v1/<id>/<tail>": ids are at most 32 characters, tails at most 10. */
static void topic(char out[64], const char *id, const char *tail)
{
    size_t n = 0;
    const char *parts[4] = { "ms/v1/", id, "/", tail };
    for (int i = 0; i < 4; i++) {
        size_t k = strlen(parts[i]);
        memcpy(out + n, parts[i], k);
        n += k;
    }
    out[n] = '\0';
}

ms_err_t ms_link_client_init(ms_link_client_t *c, const ms_link_client_config_t *cfg,
                             const ms_link_secure_t *sec, void *sec_ctx,
                             const ms_link_transport_t *uart, void *uart_ctx)
{
    if (c == NULL || cfg == NULL || sec == NULL || uart == NULL ||
        !ms_link_meter_id_valid(cfg->meter_id, strlen(cfg->meter_id)) || cfg->keepalive_s == 0 ||
        cfg->resend_ms == 0) {
        return MS_ERR_ARG;
    }
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    c->sec = sec;
    c->sec_ctx = sec_ctx;
    c->uart = uart;
    c->uart_ctx = uart_ctx;
    topic(c->topic_reading, cfg->meter_id, "up/reading");
    topic(c->topic_result, cfg->meter_id, "up/result");
    topic(c->topic_down, cfg->meter_id, "down/#");
    topic(c->topic_ack, cfg->meter_id, "down/ack");
    topic(c->topic_cmd, cfg->meter_id, "down/cmd");
    c->next_packet_id = 1;
    c->answer_wait_ms = cfg->answer_timeout_ms;
    return MS_OK;
}

static void set_state(ms_link_client_t *c, ms_link_client_state_t s, uint64_t now_ms)
{
    c->state = s;
    c->state_since_ms = now_ms;
}

static ms_err_t go_offline(ms_link_client_t *c, ms_err_t why, uint64_t now_ms)
{
    if (c->state != MS_LINK_OFFLINE) {
        c->stats.drops++;
    }
    c->stats.last_error = why;
    c->rx_len = c->tx_len = c->net_len = c->uin_len = 0;
    c->ping_out = false;
    set_state(c, MS_LINK_OFFLINE, now_ms);
    return why;
}

ms_err_t ms_link_client_connect(ms_link_client_t *c, uint64_t now_ms)
{
    if (c == NULL) {
        return MS_ERR_ARG;
    }
    c->rx_len = c->tx_len = c->net_len = c->uin_len = 0;
    c->ping_out = false;
    ms_err_t err = c->sec->open(c->sec_ctx, c->cfg.tls_versions);
    if (err) {
        return go_offline(c, err, now_ms);
    }
    c->stats.connects++;
    c->answered = false;
    set_state(c, MS_LINK_TLS, now_ms);
    return MS_OK;
}

void ms_link_client_read_now(ms_link_client_t *c)
{
    c->reading_wanted = true;
}

/* ---- MQTT output ------------------------------------------------------------------- */

static uint16_t packet_id(ms_link_client_t *c)
{
    uint16_t id = c->next_packet_id++;
    if (c->next_packet_id == 0) {
        c->next_packet_id = 1;
    }
    return id;
}

static ms_err_t queue_publish(ms_link_client_t *c, const char *t, const uint8_t *msg, size_t len,
                              uint64_t now_ms)
{
    size_t n = 0;
    ms_err_t err = ms_mqtt_publish(c->tx + c->tx_len, sizeof c->tx - c->tx_len, t, 1, false,
                                   packet_id(c), msg, len, &n);
    if (!err) {
        c->tx_len += n;
        c->last_tx_ms = now_ms;
    }
    return err;
}

typedef ms_err_t (*small_fn)(uint8_t *out, size_t cap, size_t *len);

static ms_err_t queue_small(ms_link_client_t *c, small_fn f, uint64_t now_ms)
{
    size_t n = 0;
    ms_err_t err = f(c->tx + c->tx_len, sizeof c->tx - c->tx_len, &n);
    if (!err) {
        c->tx_len += n;
        c->last_tx_ms = now_ms;
    }
    return err;
}

void ms_link_client_set_handler(ms_link_client_t *c, ms_link_client_handler_fn fn, void *ctx)
{
    c->handler = fn;
    c->handler_ctx = ctx;
}

ms_err_t ms_link_client_publish(ms_link_client_t *c, const char *tail, const uint8_t *payload,
                                size_t len, uint64_t now_ms)
{
    char t[64];
    size_t k = tail != NULL ? strlen(tail) : 0;
    if (c == NULL || k == 0 || k > 10 || (payload == NULL && len != 0) || len > MS_LINK_MSG_MAX) {
        return MS_ERR_ARG;
    }
    if (c->state != MS_LINK_ONLINE) {
        return MS_ERR_STATE;
    }
    char up[14] = "up/";
    memcpy(up + 3, tail, k + 1);
    topic(t, c->cfg.meter_id, up);
    return queue_publish(c, t, payload, len, now_ms);
}

/* ---- moving bytes: UART <-> TEE <-> MQTT buffers ---------------------------------- */

static ms_err_t flush_uart(ms_link_client_t *c)
{
    while (c->net_len != 0) {
        size_t w = 0;
        ms_err_t err = c->uart->write(c->uart_ctx, c->net, c->net_len, &w);
        if (err) {
            return err;
        }
        if (w == 0) {
            return MS_OK;   /* the UART is busy: later */
        }
        memmove(c->net, c->net + w, c->net_len - w);
        c->net_len -= w;
        c->stats.uart_out += w;
    }
    return MS_OK;
}

/* One trip through the TEE. *progress: anything moved. */
static ms_err_t pump_once(ms_link_client_t *c, const uint8_t *in, size_t in_len, size_t *in_used,
                          bool *progress, ms_tls_info_t *info)
{
    size_t net_room = sizeof c->net - c->net_len, rx_room = sizeof c->rx - c->rx_len;
    ms_tee_link_pump_t p = {
        .net_in = in, .net_in_len = in_len,
        .plain_out = c->tx, .plain_out_len = c->tx_len < PUMP_CHUNK ? c->tx_len : PUMP_CHUNK,
        .net_out = c->net + c->net_len, .net_out_cap = net_room < PUMP_CHUNK ? net_room : PUMP_CHUNK,
        .plain_in = c->rx + c->rx_len, .plain_in_cap = rx_room < PUMP_CHUNK ? rx_room : PUMP_CHUNK,
    };
    ms_err_t err = c->sec->pump(c->sec_ctx, &p);
    *info = p.info;
    *in_used = p.net_in_taken;
    if (p.plain_out_taken != 0) {
        memmove(c->tx, c->tx + p.plain_out_taken, c->tx_len - p.plain_out_taken);
        c->tx_len -= p.plain_out_taken;
    }
    c->net_len += p.net_out_len;
    c->rx_len += p.plain_in_len;
    *progress = p.net_in_taken != 0 || p.plain_out_taken != 0 || p.net_out_len != 0 ||
                p.plain_in_len != 0;
    if (err == MS_OK && (info->state == MS_TLS_FAILED || info->state == MS_TLS_CLOSED)) {
        err = info->error != MS_OK ? info->error : MS_ERR_TLS_CLOSED;
    }
    return err;
}

static ms_err_t pump_all(ms_link_client_t *c, uint64_t now_ms)
{
    for (int round = 0; round < 64; round++) {
        size_t got = 0;
        if (c->uin_len < sizeof c->uin) {
            ms_err_t err = c->uart->read(c->uart_ctx, c->uin + c->uin_len,
                                         sizeof c->uin - c->uin_len, &got);
            if (err) {
                return err;
            }
            c->uin_len += got;
            c->stats.uart_in += got;
        }
        size_t used = 0;
        bool progress = false;
        ms_tls_info_t info;
        ms_err_t err = pump_once(c, c->uin, c->uin_len, &used, &progress, &info);
        memmove(c->uin, c->uin + used, c->uin_len - used);
        c->uin_len -= used;
        ms_err_t ferr = flush_uart(c);   /* alerts and close_notify go out too */
        if (err) {
            return err;
        }
        if (ferr) {
            return ferr;
        }
        if (!c->answered && (info.peer_verifies != 0 || info.state == MS_TLS_OPEN)) {
            c->answered = true;
            c->answer_wait_ms = c->cfg.answer_timeout_ms;
        }
        if (c->state == MS_LINK_TLS && info.state == MS_TLS_OPEN) {
            c->stats.tls_version = info.version;
            c->stats.tls_resumed = info.resumed;
            c->stats.resumed += info.resumed ? 1u : 0u;
            size_t n = 0;
            err = ms_mqtt_connect(c->tx + c->tx_len, sizeof c->tx - c->tx_len, c->cfg.meter_id,
                                  c->cfg.keepalive_s, false, &n);
            if (err) {
                return err;
            }
            c->tx_len += n;
            c->last_tx_ms = now_ms;
            set_state(c, MS_LINK_CONNECTING, now_ms);
            progress = true;
        }
        if (!progress && got == 0) {
            break;   /* nothing new came in and nothing moved: the rest waits (flow
                      * control: the TEE takes more once the MQTT input is parsed) */
        }
    }
    return MS_OK;
}

/* ---- MQTT input ---------------------------------------------------------------------- */

static bool topic_is(const ms_mqtt_packet_t *p, const char *t)
{
    return p->topic_len == strlen(t) && memcmp(p->topic, t, p->topic_len) == 0;
}

static ms_err_t on_publish(ms_link_client_t *c, const ms_mqtt_packet_t *p, uint64_t now_ms)
{
    if (topic_is(p, c->topic_ack)) {
        size_t removed = 0;
        /* the TEE checks the cloud's signature; a bad one removes nothing */
        if (c->sec->ack(c->sec_ctx, p->payload, p->payload_len, &removed) == MS_OK) {
            c->stats.acks++;
            c->stats.acked_readings += removed;
            c->last_cloud_ms = now_ms;
        }
    } else if (topic_is(p, c->topic_cmd)) {
        uint8_t res[MS_LINK_MSG_MAX];
        size_t n = 0;
        uint32_t status = 0;
        c->stats.commands++;
        if (c->sec->command(c->sec_ctx, p->payload, p->payload_len, res, sizeof res, &n,
                            &status) == MS_OK) {
            c->stats.commands_applied += status == MS_LINK_ST_APPLIED ? 1u : 0u;
            ms_err_t err = queue_publish(c, c->topic_result, res, n, now_ms);
            if (err) {
                return err;
            }
        }
    } else if (c->handler != NULL) {
        /* the subscription is "ms/v1/<id>/down/#": the tail is what follows
         * its prefix (the broker sends only those topics) */
        size_t pre = strlen(c->topic_down) - 1;
        if (p->topic_len > pre && memcmp(p->topic, c->topic_down, pre) == 0) {
            c->handler(c->handler_ctx, (const char *)p->topic + pre, p->topic_len - pre,
                       p->payload, p->payload_len, now_ms);
        }
    }
    /* anything else on our down/ topics is ignored, and acknowledged */
    if (p->qos == 1) {
        size_t n = 0;
        ms_err_t err = ms_mqtt_puback(c->tx + c->tx_len, sizeof c->tx - c->tx_len, p->packet_id,
                                      &n);
        if (err) {
            return err;
        }
        c->tx_len += n;
        c->last_tx_ms = now_ms;
    }
    return MS_OK;
}

static ms_err_t handle_rx(ms_link_client_t *c, uint64_t now_ms)
{
    while (c->rx_len != 0) {
        ms_mqtt_packet_t p;
        size_t used = 0;
        ms_err_t err = ms_mqtt_parse(c->rx, c->rx_len, sizeof c->rx, &p, &used);
        if (err == MS_ERR_TRUNCATED) {
            return MS_OK;
        }
        if (err) {
            return err;
        }
        if (p.type == MS_MQTT_PUBLISH && sizeof c->tx - c->tx_len < ANSWER_ROOM) {
            return MS_OK;   /* room for the answer first: the packet waits */
        }
        switch (p.type) {
        case MS_MQTT_CONNACK:
            if (c->state != MS_LINK_CONNECTING) {
                return MS_ERR_FORMAT;
            }
            if (p.return_code != 0) {
                return MS_ERR_MQTT_REFUSED;
            }
            c->sub_packet_id = packet_id(c);
            {
                size_t n = 0;
                err = ms_mqtt_subscribe(c->tx + c->tx_len, sizeof c->tx - c->tx_len,
                                        c->sub_packet_id, c->topic_down, 1, &n);
                if (err) {
                    return err;
                }
                c->tx_len += n;
            }
            set_state(c, MS_LINK_SUBSCRIBING, now_ms);
            break;
        case MS_MQTT_SUBACK:
            if (c->state != MS_LINK_SUBSCRIBING || p.packet_id != c->sub_packet_id) {
                return MS_ERR_FORMAT;
            }
            if (p.codes[0] == MS_MQTT_SUBACK_FAIL) {
                return MS_ERR_MQTT_REFUSED;   /* the broker's ACL said no */
            }
            set_state(c, MS_LINK_ONLINE, now_ms);
            c->resend_wanted = true;          /* after a reconnect: all queued, oldest first */
            break;
        case MS_MQTT_PUBLISH:
            if (c->state != MS_LINK_ONLINE && c->state != MS_LINK_SUBSCRIBING) {
                return MS_ERR_FORMAT;
            }
            err = on_publish(c, &p, now_ms);
            if (err) {
                return err;
            }
            break;
        case MS_MQTT_PINGRESP:
            c->ping_out = false;
            break;
        default:   /* PUBACK: the broker has the message; the cloud's ack counts */
            break;
        }
        memmove(c->rx, c->rx + used, c->rx_len - used);
        c->rx_len -= used;
    }
    return MS_OK;
}

/* ---- timers ------------------------------------------------------------------------- */

static ms_err_t take_reading(ms_link_client_t *c, uint64_t now_ms)
{
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t n = 0;
    uint64_t seq = 0;
    ms_err_t err = c->sec->reading(c->sec_ctx, c->now_unix, msg, sizeof msg, &n, &seq);
    c->reading_wanted = false;
    c->next_reading_ms = now_ms + c->cfg.reading_interval_ms;
    if (err) {
        return err;   /* e.g. the meter clock went back: no reading, not fatal */
    }
    c->stats.readings++;
    if (c->state == MS_LINK_ONLINE && sizeof c->tx - c->tx_len >= n + 64) {
        if (queue_publish(c, c->topic_reading, msg, n, now_ms) == MS_OK &&
            c->last_cloud_ms + c->cfg.resend_ms <= now_ms) {
            c->last_cloud_ms = now_ms;   /* the resend clock starts at the first send */
        }
    }
    /* otherwise it waits in the TEE's queue for the next resend */
    return MS_OK;
}

static ms_err_t resend(ms_link_client_t *c, uint64_t now_ms)
{
    uint32_t queued = 0;
    ms_err_t err = c->sec->queued(c->sec_ctx, &queued);
    if (err) {
        return err;
    }
    for (uint32_t i = 0; i < queued; i++) {
        uint8_t msg[MS_LINK_MSG_MAX];
        size_t n = 0;
        uint64_t seq = 0;
        if (sizeof c->tx - c->tx_len < MS_LINK_MSG_MAX + 64) {
            return MS_OK;   /* the rest at the next step */
        }
        err = c->sec->pending(c->sec_ctx, i, msg, sizeof msg, &n, &seq);
        if (err == MS_ERR_NOT_FOUND) {
            break;
        }
        if (err) {
            return err;
        }
        err = queue_publish(c, c->topic_reading, msg, n, now_ms);
        if (err) {
            return err;
        }
        c->stats.resent++;
    }
    c->resend_wanted = false;
    c->last_cloud_ms = now_ms;
    return MS_OK;
}

/* A modem line that went down and up again (a reboot, a lost carrier) may
 * have swallowed the ClientHello, or hand the new connection the last bytes
 * of the old one: a cut-off record TLS would wait to see the rest of. So a
 * handshake whose TLS layer has not had the server's answer (its
 * certificate checked, or a resumed session open) within answer_wait_ms is
 * started again rather than given the whole connect time-out. The wait
 * doubles after each attempt it ended, up to the connect time-out, and is
 * back to answer_timeout_ms once a server answered: a line that is slow, not
 * broken, still gets its connection, and is not cut off ever sooner. */
static bool no_answer(const ms_link_client_t *c)
{
    return c->cfg.answer_timeout_ms != 0 && c->state == MS_LINK_TLS && !c->answered;
}

static ms_err_t timers(ms_link_client_t *c, uint64_t now_ms)
{
    ms_err_t err;
    if (c->reading_wanted ||
        (c->cfg.reading_interval_ms != 0 && now_ms >= c->next_reading_ms)) {
        (void)take_reading(c, now_ms);
    }
    if (c->state == MS_LINK_OFFLINE) {
        return MS_OK;
    }
    if (c->state != MS_LINK_ONLINE) {
        if (now_ms - c->state_since_ms > c->cfg.connect_timeout_ms) {
            return MS_ERR_TLS_HANDSHAKE;   /* no answer from the other end */
        }
        if (no_answer(c) && now_ms - c->state_since_ms > c->answer_wait_ms) {
            uint64_t w = 2u * (uint64_t)c->answer_wait_ms;
            c->answer_wait_ms = (uint32_t)(w < c->cfg.connect_timeout_ms ? w
                                                                        : c->cfg.connect_timeout_ms);
            return MS_ERR_TLS_HANDSHAKE;
        }
        return MS_OK;
    }
    if (c->resend_wanted || now_ms - c->last_cloud_ms >= c->cfg.resend_ms) {
        uint32_t queued = 0;
        if (c->sec->queued(c->sec_ctx, &queued) == MS_OK && queued != 0) {
            c->resend_wanted = true;
            err = resend(c, now_ms);
            if (err) {
                return err;
            }
        } else {
            c->resend_wanted = false;
            c->last_cloud_ms = now_ms;
        }
    }
    uint64_t ka = (uint64_t)c->cfg.keepalive_s * 1000u;
    if (c->ping_out && now_ms - c->ping_sent_ms > ka) {
        return MS_ERR_TLS_CLOSED;   /* the broker stopped answering */
    }
    if (!c->ping_out && now_ms - c->last_tx_ms >= ka / 2) {
        err = queue_small(c, ms_mqtt_pingreq, now_ms);
        if (!err) {
            c->ping_out = true;
            c->ping_sent_ms = now_ms;
            c->stats.pings++;
        }
    }
    return MS_OK;
}

ms_err_t ms_link_client_step(ms_link_client_t *c, uint64_t now_ms, uint64_t now_unix)
{
    if (c == NULL) {
        return MS_ERR_ARG;
    }
    c->now_unix = now_unix;
    if (c->next_reading_ms == 0) {
        c->next_reading_ms = now_ms + c->cfg.reading_interval_ms;
    }
    if (c->state == MS_LINK_OFFLINE) {
        return timers(c, now_ms);
    }
    ms_err_t err = pump_all(c, now_ms);
    if (!err) {
        err = handle_rx(c, now_ms);
    }
    if (!err) {
        err = timers(c, now_ms);
    }
    if (!err) {
        err = pump_all(c, now_ms);   /* what the handlers and timers queued */
    }
    if (!err) {
        err = handle_rx(c, now_ms);
    }
    return err ? go_offline(c, err, now_ms) : MS_OK;
}

uint64_t ms_link_client_next_ms(const ms_link_client_t *c)
{
    uint64_t next = UINT64_MAX;
    if (c->cfg.reading_interval_ms != 0) {
        next = c->next_reading_ms;
    }
    if (c->reading_wanted) {
        return 0;
    }
    if (c->state == MS_LINK_ONLINE) {
        uint64_t ka = (uint64_t)c->cfg.keepalive_s * 1000u;
        uint64_t t = c->ping_out ? c->ping_sent_ms + ka : c->last_tx_ms + ka / 2;
        next = t < next ? t : next;
        t = c->last_cloud_ms + c->cfg.resend_ms;
        next = t < next ? t : next;
    } else if (c->state != MS_LINK_OFFLINE) {
        /* the first millisecond the time-outs' "more than" holds */
        uint64_t t = c->state_since_ms + c->cfg.connect_timeout_ms + 1u;
        next = t < next ? t : next;
        if (no_answer(c)) {
            t = c->state_since_ms + c->answer_wait_ms + 1u;
            next = t < next ? t : next;
        }
    }
    return next;
}

void ms_link_client_disconnect(ms_link_client_t *c, uint64_t now_ms)
{
    if (c == NULL || c->state == MS_LINK_OFFLINE) {
        return;
    }
    if (c->state == MS_LINK_ONLINE) {
        (void)queue_small(c, ms_mqtt_disconnect, now_ms);
        (void)pump_all(c, now_ms);
    }
    (void)c->sec->close(c->sec_ctx);
    (void)pump_all(c, now_ms);
    (void)go_offline(c, MS_OK, now_ms);
}
