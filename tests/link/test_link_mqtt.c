/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_link_mqtt.c - the meter's MQTT 3.1.1 codec (link_mqtt.h): packets
 * byte for byte as the standard lays them out, the parser on a stream cut
 * anywhere, and every refusal of what a broker may not send.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/link_mqtt.h"

static void test_connect_is_laid_out_as_the_standard_says(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = 0;
    assert_int_equal(ms_mqtt_connect(b, sizeof b, "m-000001", 60, false, &n), MS_OK);
    static const uint8_t want[] = { 0x10, 20, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x00, 0, 60,
                                    0, 8, 'm', '-', '0', '0', '0', '0', '0', '1' };
    assert_int_equal(n, sizeof want);
    assert_memory_equal(b, want, n);
    assert_int_equal(ms_mqtt_connect(b, 10, "m-000001", 60, false, &n), MS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 0);
    assert_int_equal(ms_mqtt_connect(b, sizeof b, "", 60, false, &n), MS_ERR_ARG);
}

static void test_publish_round_trips_through_the_parser(void **state)
{
    (void)state;
    uint8_t b[512], payload[200];
    size_t n = 0, used = 0;
    ms_mqtt_packet_t p;
    memset(payload, 0xa5, sizeof payload);
    assert_int_equal(ms_mqtt_publish(b, sizeof b, "ms/v1/m-1/down/cmd", 1, true, 77, payload,
                                     sizeof payload, &n), MS_OK);
    assert_int_equal(b[0], 0x3a);                  /* PUBLISH, DUP, QoS 1 */
    assert_int_equal(b[1], 0x80 | ((n - 3) & 0x7f)); /* two-byte remaining length */
    assert_int_equal(ms_mqtt_parse(b, n, 1024, &p, &used), MS_OK);
    assert_int_equal(used, n);
    assert_int_equal(p.type, MS_MQTT_PUBLISH);
    assert_int_equal(p.qos, 1);
    assert_true(p.dup);
    assert_int_equal(p.packet_id, 77);
    assert_int_equal(p.topic_len, 18);
    assert_memory_equal(p.topic, "ms/v1/m-1/down/cmd", 18);
    assert_int_equal(p.payload_len, sizeof payload);
    /* QoS 0: no packet id */
    assert_int_equal(ms_mqtt_publish(b, sizeof b, "t", 0, false, 0, payload, 3, &n), MS_OK);
    assert_int_equal(n, 2 + 3 + 3);
    assert_int_equal(ms_mqtt_parse(b, n, 1024, &p, &used), MS_OK);
    assert_int_equal(p.packet_id, 0);
    /* a wildcard is no topic to publish to */
    assert_int_equal(ms_mqtt_publish(b, sizeof b, "a/+", 0, false, 0, NULL, 0, &n), MS_ERR_ARG);
    assert_int_equal(ms_mqtt_publish(b, sizeof b, "a", 1, false, 0, NULL, 0, &n), MS_ERR_ARG);
}

static void test_small_packets(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n;
    assert_int_equal(ms_mqtt_subscribe(b, sizeof b, 1, "ms/v1/m-1/down/#", 1, &n), MS_OK);
    static const uint8_t sub[] = { 0x82, 21, 0, 1, 0, 16, 'm', 's', '/', 'v', '1', '/', 'm', '-',
                                   '1', '/', 'd', 'o', 'w', 'n', '/', '#', 1 };
    assert_int_equal(n, sizeof sub);
    assert_memory_equal(b, sub, n);
    assert_int_equal(ms_mqtt_puback(b, sizeof b, 0x1234, &n), MS_OK);
    assert_memory_equal(b, "\x40\x02\x12\x34", 4);
    assert_int_equal(ms_mqtt_pingreq(b, sizeof b, &n), MS_OK);
    assert_memory_equal(b, "\xc0\x00", 2);
    assert_int_equal(ms_mqtt_disconnect(b, sizeof b, &n), MS_OK);
    assert_memory_equal(b, "\xe0\x00", 2);
}

static void test_broker_packets_parse(void **state)
{
    (void)state;
    ms_mqtt_packet_t p;
    size_t used;
    assert_int_equal(ms_mqtt_parse((const uint8_t *)"\x20\x02\x01\x00", 4, 64, &p, &used), MS_OK);
    assert_int_equal(p.type, MS_MQTT_CONNACK);
    assert_true(p.session_present);
    assert_int_equal(p.return_code, 0);
    assert_int_equal(ms_mqtt_parse((const uint8_t *)"\x20\x02\x00\x05", 4, 64, &p, &used), MS_OK);
    assert_int_equal(p.return_code, 5);
    assert_int_equal(ms_mqtt_parse((const uint8_t *)"\x90\x03\x00\x01\x01", 5, 64, &p, &used),
                     MS_OK);
    assert_int_equal(p.n_codes, 1);
    assert_int_equal(p.codes[0], 1);
    assert_int_equal(ms_mqtt_parse((const uint8_t *)"\x90\x03\x00\x01\x80", 5, 64, &p, &used),
                     MS_OK);
    assert_int_equal(p.codes[0], MS_MQTT_SUBACK_FAIL);
    assert_int_equal(ms_mqtt_parse((const uint8_t *)"\xd0\x00", 2, 64, &p, &used), MS_OK);
    assert_int_equal(p.type, MS_MQTT_PINGRESP);
    /* two packets back to back: one at a time */
    assert_int_equal(ms_mqtt_parse((const uint8_t *)"\x40\x02\x00\x09\xd0\x00", 6, 64, &p, &used),
                     MS_OK);
    assert_int_equal(used, 4);
    assert_int_equal(p.packet_id, 9);
}

static void test_stream_cut_anywhere_asks_for_more(void **state)
{
    (void)state;
    uint8_t b[512], payload[300];
    size_t n = 0, used;
    ms_mqtt_packet_t p;
    memset(payload, 7, sizeof payload);
    assert_int_equal(ms_mqtt_publish(b, sizeof b, "ms/v1/m-1/down/ack", 1, false, 3, payload,
                                     sizeof payload, &n), MS_OK);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(ms_mqtt_parse(b, k, 1024, &p, &used), MS_ERR_TRUNCATED);
        assert_int_equal(used, 0);
    }
}

static void expect_refused(const char *bytes, size_t n)
{
    ms_mqtt_packet_t p;
    size_t used = 99;
    assert_int_equal(ms_mqtt_parse((const uint8_t *)bytes, n, 1024, &p, &used), MS_ERR_FORMAT);
    assert_int_equal(used, 0);
}

static void test_what_a_broker_may_not_send_is_refused(void **state)
{
    (void)state;
    expect_refused("\x10\x02\x00\x00", 4);            /* CONNECT */
    expect_refused("\x82\x02\x00\x01", 4);            /* SUBSCRIBE */
    expect_refused("\x00\x00", 2);                    /* type 0 */
    expect_refused("\xf0\x00", 2);                    /* type 15 */
    expect_refused("\x21\x02\x00\x00", 4);            /* CONNACK with flags */
    expect_refused("\x20\x03\x00\x00\x00", 5);        /* CONNACK too long */
    expect_refused("\x20\x02\x02\x00", 4);            /* CONNACK reserved bit */
    expect_refused("\x20\x02\x01\x04", 4);            /* session present with a refusal */
    expect_refused("\x20\x02\x00\x06", 4);            /* unknown return code */
    expect_refused("\x40\x02\x00\x00", 4);            /* PUBACK of packet id 0 */
    expect_refused("\x34\x05\x00\x01t\x00\x01", 7);   /* PUBLISH QoS 2 */
    expect_refused("\x36\x05\x00\x01t\x00\x01", 7);   /* PUBLISH QoS 3 */
    expect_refused("\x38\x03\x00\x01t", 5);           /* DUP on QoS 0 */
    expect_refused("\x30\x03\x00\x01+", 5);           /* wildcard topic */
    expect_refused("\x30\x03\x00\x01\x00", 5);        /* NUL in the topic */
    expect_refused("\x30\x02\x00\x00", 4);            /* empty topic */
    expect_refused("\x30\x03\x00\x05t", 5);           /* topic longer than the packet */
    expect_refused("\x32\x04\x00\x01t\x00", 6);       /* QoS 1 without a full packet id */
    expect_refused("\x90\x03\x00\x01\x03", 5);        /* SUBACK code 3 */
    expect_refused("\xd0\x01\x00", 3);                /* PINGRESP with a body */
    expect_refused("\xd0\x80\x00", 3);                /* length in two bytes, second wasted */
    expect_refused("\x30\xff\xff\xff\xff\x01", 6);    /* five length bytes */
    /* larger than the caller allows */
    ms_mqtt_packet_t p;
    size_t used;
    assert_int_equal(ms_mqtt_parse((const uint8_t *)"\x30\xff\x01", 3, 100, &p, &used),
                     MS_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_is_laid_out_as_the_standard_says),
        cmocka_unit_test(test_publish_round_trips_through_the_parser),
        cmocka_unit_test(test_small_packets),
        cmocka_unit_test(test_broker_packets_parse),
        cmocka_unit_test(test_stream_cut_anywhere_asks_for_more),
        cmocka_unit_test(test_what_a_broker_may_not_send_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
