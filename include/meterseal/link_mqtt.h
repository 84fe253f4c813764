/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_mqtt.h - the meter's MQTT 3.1.1 (OASIS standard, 2014) codec: what a
 * client sends (CONNECT, PUBLISH QoS 0/1, PUBACK, SUBSCRIBE, PINGREQ,
 * DISCONNECT) and a bounded parser of what a broker sends (CONNACK,
 * PUBLISH QoS 0/1, PUBACK, SUBACK, PINGRESP).
 *
 * The parser reads one packet from the front of a byte stream: MS_OK with
 * the bytes it used, MS_ERR_TRUNCATED when more bytes are needed, or
 * MS_ERR_FORMAT for anything a broker may not send a client (a packet type
 * or flags the client never receives, a QoS 2 PUBLISH, a remaining length
 * over 4 bytes or over the caller's limit, a topic with a wildcard, a NUL
 * or bad UTF-8 length, trailing bytes inside a packet). It never reads past
 * len and never allocates: the packet's fields point into the buffer.
 * Fuzzed: fuzz_link_mqtt.
 */
#ifndef MS_LINK_MQTT_H
#define MS_LINK_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"

#define MS_MQTT_CONNECT     1u
#define MS_MQTT_CONNACK     2u
#define MS_MQTT_PUBLISH     3u
#define MS_MQTT_PUBACK      4u
#define MS_MQTT_SUBSCRIBE   8u
#define MS_MQTT_SUBACK      9u
#define MS_MQTT_PINGREQ     12u
#define MS_MQTT_PINGRESP    13u
#define MS_MQTT_DISCONNECT  14u

#define MS_MQTT_TOPIC_MAX   128u
#define MS_MQTT_SUBACK_MAX  8u
#define MS_MQTT_SUBACK_FAIL 0x80u

typedef struct ms_mqtt_packet {
    uint8_t type;                /* MS_MQTT_* */
    /* CONNACK */
    bool session_present;
    uint8_t return_code;         /* 0 accepted */
    /* PUBLISH, PUBACK, SUBACK */
    uint16_t packet_id;          /* 0 for a QoS 0 PUBLISH */
    uint8_t qos;
    bool dup, retain;
    const char *topic;           /* not NUL-terminated */
    size_t topic_len;
    const uint8_t *payload;
    size_t payload_len;
    /* SUBACK */
    size_t n_codes;
    uint8_t codes[MS_MQTT_SUBACK_MAX];
} ms_mqtt_packet_t;

/* One packet from buf (see above); max_packet bounds the whole packet. */
ms_err_t ms_mqtt_parse(const uint8_t *buf, size_t len, size_t max_packet, ms_mqtt_packet_t *p,
                       size_t *used);

/* Encoders write one packet into out; MS_ERR_BUFFER_TOO_SMALL, MS_ERR_ARG. */
ms_err_t ms_mqtt_connect(uint8_t *out, size_t cap, const char *client_id, uint16_t keepalive_s,
                         bool clean_session, size_t *len);
ms_err_t ms_mqtt_publish(uint8_t *out, size_t cap, const char *topic, uint8_t qos, bool dup,
                         uint16_t packet_id, const uint8_t *payload, size_t payload_len,
                         size_t *len);
ms_err_t ms_mqtt_puback(uint8_t *out, size_t cap, uint16_t packet_id, size_t *len);
ms_err_t ms_mqtt_subscribe(uint8_t *out, size_t cap, uint16_t packet_id, const char *filter,
                           uint8_t qos, size_t *len);
ms_err_t ms_mqtt_pingreq(uint8_t *out, size_t cap, size_t *len);
ms_err_t ms_mqtt_disconnect(uint8_t *out, size_t cap, size_t *len);

#endif /* MS_LINK_MQTT_H */
