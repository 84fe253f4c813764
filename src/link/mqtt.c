/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mqtt.c - the meter's MQTT 3.1.1 codec (meterseal/link_mqtt.h).
 *
 * Invariants:
 *   - The parser checks a packet's fixed header (type, flags as the
 *     standard fixes them for that type, remaining length in at most four
 *     bytes with no wasted continuation, within max_packet) before it looks
 *     inside, and then reads only inside the packet: a field that would run
 *     past the packet is MS_ERR_FORMAT, bytes left over are MS_ERR_FORMAT.
 *   - Topics from the broker are 1..MS_MQTT_TOPIC_MAX bytes without NUL,
 *     '+' or '#' (a PUBLISH names one topic).
 *   - Encoders write all or nothing: on MS_ERR_BUFFER_TOO_SMALL *len is 0
 *     and out is unchanged beyond cap.
 */
#include "meterseal/link_mqtt.h"

#include <string.h>

#define MAX_REMAINING 268435455u   /* four length bytes */

/* ---- encoding ------------------------------------------------------------------ */

typedef struct wr {
    uint8_t *buf;
    size_t cap, len;
    bool overflow;
} wr_t;

static void put(wr_t *w, const void *p, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    if (n != 0) {
        memcpy(w->buf + w->len, p, n);
    }
    w->len += n;
}

static void put8(wr_t *w, uint8_t v)
{
    put(w, &v, 1);
}

static void put16(wr_t *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    put(w, b, 2);
}

static void put_str(wr_t *w, const char *s, size_t n)
{
    put16(w, (uint16_t)n);
    put(w, s, n);
}

static void put_fixed(wr_t *w, uint8_t first, size_t remaining)
{
    put8(w, first);
    do {
        uint8_t b = (uint8_t)(remaining % 128u);
        remaining /= 128u;
        put8(w, remaining != 0 ? (uint8_t)(b | 0x80u) : b);
    } while (remaining != 0);
}

static ms_err_t done(wr_t *w, size_t *len)
{
    if (w->overflow) {
        *len = 0;
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    *len = w->len;
    return MS_OK;
}

static bool topic_ok(const char *t, size_t n, bool filter)
{
    if (n == 0 || n > MS_MQTT_TOPIC_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\0' || (!filter && (t[i] == '+' || t[i] == '#'))) {
            return false;
        }
    }
    return true;
}

ms_err_t ms_mqtt_connect(uint8_t *out, size_t cap, const char *client_id, uint16_t keepalive_s,
                         bool clean_session, size_t *len)
{
    if (out == NULL || len == NULL || client_id == NULL || strlen(client_id) == 0 ||
        strlen(client_id) > 64) {
        return MS_ERR_ARG;
    }
    size_t id_len = strlen(client_id);
    wr_t w = { out, cap, 0, false };
    put_fixed(&w, MS_MQTT_CONNECT << 4, 10 + 2 + id_len);
    put_str(&w, "MQTT", 4);
    put8(&w, 4);                              /* protocol level 3.1.1 */
    put8(&w, clean_session ? 0x02 : 0x00);    /* no will, user name or password */
    put16(&w, keepalive_s);
    put_str(&w, client_id, id_len);
    return done(&w, len);
}

ms_err_t ms_mqtt_publish(uint8_t *out, size_t cap, const char *topic, uint8_t qos, bool dup,
                         uint16_t packet_id, const uint8_t *payload, size_t payload_len,
                         size_t *len)
{
    size_t tn = topic != NULL ? strlen(topic) : 0;
    if (out == NULL || len == NULL || !topic_ok(topic, tn, false) || qos > 1 ||
        (qos == 1 && packet_id == 0) || (qos == 0 && dup) ||
        (payload == NULL && payload_len != 0) || payload_len > MAX_REMAINING - 4 - tn) {
        return MS_ERR_ARG;
    }
    wr_t w = { out, cap, 0, false };
    uint8_t first = (uint8_t)((MS_MQTT_PUBLISH << 4) | (dup ? 0x08 : 0) | (qos << 1));
    put_fixed(&w, first, 2 + tn + (qos ? 2u : 0u) + payload_len);
    put_str(&w, topic, tn);
    if (qos) {
        put16(&w, packet_id);
    }
    put(&w, payload, payload_len);
    return done(&w, len);
}

ms_err_t ms_mqtt_puback(uint8_t *out, size_t cap, uint16_t packet_id, size_t *len)
{
    if (out == NULL || len == NULL || packet_id == 0) {
        return MS_ERR_ARG;
    }
    wr_t w = { out, cap, 0, false };
    put_fixed(&w, MS_MQTT_PUBACK << 4, 2);
    put16(&w, packet_id);
    return done(&w, len);
}

ms_err_t ms_mqtt_subscribe(uint8_t *out, size_t cap, uint16_t packet_id, const char *filter,
                           uint8_t qos, size_t *len)
{
    size_t fn = filter != NULL ? strlen(filter) : 0;
    if (out == NULL || len == NULL || packet_id == 0 || qos > 1 || !topic_ok(filter, fn, true)) {
        return MS_ERR_ARG;
    }
    wr_t w = { out, cap, 0, false };
    put_fixed(&w, (MS_MQTT_SUBSCRIBE << 4) | 0x02, 2 + 2 + fn + 1);
    put16(&w, packet_id);
    put_str(&w, filter, fn);
    put8(&w, qos);
    return done(&w, len);
}

ms_err_t ms_mqtt_pingreq(uint8_t *out, size_t cap, size_t *len)
{
    if (out == NULL || len == NULL) {
        return MS_ERR_ARG;
    }
    wr_t w = { out, cap, 0, false };
    put_fixed(&w, MS_MQTT_PINGREQ << 4, 0);
    return done(&w, len);
}

ms_err_t ms_mqtt_disconnect(uint8_t *out, size_t cap, size_t *len)
{
    if (out == NULL || len == NULL) {
        return MS_ERR_ARG;
    }
    wr_t w = { out, cap, 0, false };
    put_fixed(&w, MS_MQTT_DISCONNECT << 4, 0);
    return done(&w, len);
}

/* ---- parsing ---------------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* The body of a packet the broker sends, in [b, b + n). */
static ms_err_t parse_body(uint8_t type, uint8_t flags, const uint8_t *b, size_t n,
                           ms_mqtt_packet_t *p)
{
    switch (type) {
    case MS_MQTT_CONNACK:
        if (flags != 0 || n != 2 || (b[0] & 0xfe) != 0 || b[1] > 5) {
            return MS_ERR_FORMAT;
        }
        p->session_present = b[0] & 1;
        p->return_code = b[1];
        if (p->return_code != 0 && p->session_present) {
            return MS_ERR_FORMAT;   /* [MQTT-3.2.2-4] */
        }
        return MS_OK;
    case MS_MQTT_PUBACK:
        if (flags != 0 || n != 2 || get16(b) == 0) {
            return MS_ERR_FORMAT;
        }
        p->packet_id = get16(b);
        return MS_OK;
    case MS_MQTT_SUBACK:
        if (flags != 0 || n < 3 || n - 2 > MS_MQTT_SUBACK_MAX || get16(b) == 0) {
            return MS_ERR_FORMAT;
        }
        p->packet_id = get16(b);
        p->n_codes = n - 2;
        for (size_t i = 0; i < p->n_codes; i++) {
            uint8_t c = b[2 + i];
            if (c > 2 && c != MS_MQTT_SUBACK_FAIL) {
                return MS_ERR_FORMAT;
            }
            p->codes[i] = c;
        }
        return MS_OK;
    case MS_MQTT_PINGRESP:
        return flags == 0 && n == 0 ? MS_OK : MS_ERR_FORMAT;
    case MS_MQTT_PUBLISH: {
        p->qos = (uint8_t)((flags >> 1) & 3u);
        p->dup = (flags & 0x08) != 0;
        p->retain = (flags & 0x01) != 0;
        if (p->qos > 1 || (p->qos == 0 && p->dup) || n < 2) {
            return MS_ERR_FORMAT;   /* QoS 2 is never asked for; QoS 3 is malformed */
        }
        size_t tn = get16(b);
        if (tn > n - 2 || !topic_ok((const char *)b + 2, tn, false)) {
            return MS_ERR_FORMAT;
        }
        p->topic = (const char *)b + 2;
        p->topic_len = tn;
        size_t at = 2 + tn;
        if (p->qos != 0) {
            if (n - at < 2 || get16(b + at) == 0) {
                return MS_ERR_FORMAT;
            }
            p->packet_id = get16(b + at);
            at += 2;
        }
        p->payload = b + at;
        p->payload_len = n - at;
        return MS_OK;
    }
    default:
        return MS_ERR_FORMAT;   /* nothing else comes from a broker */
    }
}

ms_err_t ms_mqtt_parse(const uint8_t *buf, size_t len, size_t max_packet, ms_mqtt_packet_t *p,
                       size_t *used)
{
    if (buf == NULL || p == NULL || used == NULL) {
        return MS_ERR_ARG;
    }
    memset(p, 0, sizeof *p);
    *used = 0;
    if (len < 2) {
        return MS_ERR_TRUNCATED;
    }
    size_t remaining = 0, at = 1;
    for (unsigned shift = 0;; shift += 7) {
        if (at >= len) {
            return MS_ERR_TRUNCATED;
        }
        uint8_t b = buf[at++];
        remaining |= (size_t)(b & 0x7fu) << shift;
        if ((b & 0x80u) == 0) {
            if (at > 2 && b == 0) {
                return MS_ERR_FORMAT;   /* a wasted length byte: not the shortest form */
            }
            break;
        }
        if (at == 5) {
            return MS_ERR_FORMAT;       /* more than four length bytes */
        }
    }
    if (remaining > max_packet || at + remaining > max_packet) {
        return MS_ERR_FORMAT;
    }
    if (remaining > len - at) {
        return MS_ERR_TRUNCATED;
    }
    uint8_t type = buf[0] >> 4, flags = buf[0] & 0x0fu;
    p->type = type;
    ms_err_t err = parse_body(type, flags, buf + at, remaining, p);
    if (err) {
        memset(p, 0, sizeof *p);
        return err;
    }
    *used = at + remaining;
    return MS_OK;
}
