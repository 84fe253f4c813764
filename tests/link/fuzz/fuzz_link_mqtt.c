/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_link_mqtt.c - the meter's MQTT parser (link_mqtt.h) on an arbitrary
 * byte stream, packet after packet, as the client reads it from the
 * broker. Besides memory safety: a packet never claims more bytes than
 * were given, its fields lie inside it, and a PUBLISH or PUBACK it
 * accepts re-encodes to exactly the bytes it used.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meterseal/link_mqtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t at = 0;
    while (at < size) {
        ms_mqtt_packet_t p;
        size_t used = 0;
        ms_err_t err = ms_mqtt_parse(data + at, size - at, 1024, &p, &used);
        if (err) {
            CHECK(used == 0);
            break;
        }
        CHECK(used >= 2 && used <= size - at && used <= 1024);
        const uint8_t *pkt = data + at;
        if (p.type == MS_MQTT_PUBLISH) {
            CHECK((const uint8_t *)p.topic > pkt && (const uint8_t *)p.topic + p.topic_len <= pkt + used);
            CHECK(p.payload + p.payload_len == pkt + used);
            uint8_t again[1100];
            char topic[MS_MQTT_TOPIC_MAX + 1];
            size_t n = 0;
            memcpy(topic, p.topic, p.topic_len);
            topic[p.topic_len] = '\0';
            if (!p.retain) {
                CHECK(ms_mqtt_publish(again, sizeof again, topic, p.qos, p.dup, p.packet_id,
                                      p.payload, p.payload_len, &n) == MS_OK);
                CHECK(n == used && memcmp(again, pkt, n) == 0);
            }
        } else if (p.type == MS_MQTT_PUBACK) {
            uint8_t again[4];
            size_t n = 0;
            CHECK(ms_mqtt_puback(again, sizeof again, p.packet_id, &n) == MS_OK);
            CHECK(n == used && memcmp(again, pkt, n) == 0);
        }
        at += used;
    }
    return 0;
}
