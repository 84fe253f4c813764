/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_link_msg.c - the signed meter <-> cloud messages (link_msg.h):
 * encodings pinned byte for byte (the contract the cloud decodes), round
 * trips at the bounds, every refusal of a malformed or non-deterministic
 * payload, and the COSE envelope with the signer's kid.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/link_msg.h"

static ms_p256_priv_t g_priv, g_other_priv;
static ms_p256_pub_t g_pub, g_other_pub;

static ms_err_t soft_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der, size_t cap,
                          size_t *len)
{
    return ms_p256_sign(ctx, hash, der, cap, len);
}

static int setup(void **state)
{
    (void)state;
    return ms_p256_keygen(&g_priv, &g_pub) != MS_OK ||
           ms_p256_keygen(&g_other_priv, &g_other_pub) != MS_OK;
}

static ms_link_reading_t sample_reading(void)
{
    ms_link_reading_t r = { .meter_id = "m-000001", .seq = 1, .time = 1700000000,
                            .energy_wh = 12345, .balance_milli = -500, .tariff_id = 1 };
    return r;
}

/* ---- exact bytes ----------------------------------------------------------------- */

static void test_reading_encoding_is_pinned(void **state)
{
    (void)state;
    /* {1: "m-000001", 2: 1, 3: 1700000000, 4: 12345, 5: -500, 6: 1} */
    static const uint8_t want[] = {
        0xa6, 0x01, 0x68, 'm', '-', '0', '0', '0', '0', '0', '1', 0x02, 0x01, 0x03, 0x1a,
        0x65, 0x53, 0xf1, 0x00, 0x04, 0x19, 0x30, 0x39, 0x05, 0x39, 0x01, 0xf3, 0x06, 0x01,
    };
    ms_link_reading_t r = sample_reading();
    uint8_t buf[128];
    size_t n = 0;
    assert_int_equal(ms_link_reading_encode(&r, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, n);
}

static void test_command_and_ack_encodings_are_pinned(void **state)
{
    (void)state;
    ms_link_command_t c = { .meter_id = "m-1", .cmd_seq = 7, .type = MS_LINK_CMD_TOPUP,
                            .amount_milli = 5000 };
    /* {1: "m-1", 2: 7, 3: 1, 4: {1: 5000}} */
    static const uint8_t want_c[] = { 0xa4, 0x01, 0x63, 'm', '-', '1', 0x02, 0x07, 0x03, 0x01,
                                      0x04, 0xa1, 0x01, 0x19, 0x13, 0x88 };
    uint8_t buf[128];
    size_t n = 0;
    assert_int_equal(ms_link_command_encode(&c, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(n, sizeof want_c);
    assert_memory_equal(buf, want_c, n);

    ms_link_command_t relay = { .meter_id = "m-1", .cmd_seq = 8, .type = MS_LINK_CMD_RELAY,
                                .connect = true };
    assert_int_equal(ms_link_command_encode(&relay, buf, sizeof buf, &n), MS_OK);
    assert_memory_equal(buf + n - 4, "\x04\xa1\x01\xf5", 4);   /* {1: true} */

    ms_link_ack_t a = { .meter_id = "m-1", .n = 3, .seq = { 1, 2, 500 } };
    /* {1: "m-1", 2: [1, 2, 500]} */
    static const uint8_t want_a[] = { 0xa2, 0x01, 0x63, 'm', '-', '1', 0x02, 0x83,
                                      0x01, 0x02, 0x19, 0x01, 0xf4 };
    assert_int_equal(ms_link_ack_encode(&a, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(n, sizeof want_a);
    assert_memory_equal(buf, want_a, n);
}

/* ---- round trips at the bounds ------------------------------------------------------- */

/* Field by field (struct padding is not part of a message). */
static void same_reading(const ms_link_reading_t *a, const ms_link_reading_t *b)
{
    assert_string_equal(a->meter_id, b->meter_id);
    assert_true(a->seq == b->seq && a->time == b->time && a->energy_wh == b->energy_wh &&
                a->balance_milli == b->balance_milli && a->tariff_id == b->tariff_id);
}

static void test_every_kind_round_trips_at_its_bounds(void **state)
{
    (void)state;
    uint8_t buf[MS_LINK_MSG_MAX];
    size_t n = 0;

    ms_link_reading_t r = { .seq = UINT64_MAX, .time = UINT64_MAX, .energy_wh = UINT64_MAX,
                            .balance_milli = INT64_MIN, .tariff_id = UINT64_MAX };
    memset(r.meter_id, 'Z', MS_LINK_METER_ID_MAX);
    ms_link_reading_t r2;
    assert_int_equal(ms_link_reading_encode(&r, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_link_reading_decode(buf, n, &r2), MS_OK);
    same_reading(&r, &r2);
    r.balance_milli = INT64_MAX;
    assert_int_equal(ms_link_reading_encode(&r, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_link_reading_decode(buf, n, &r2), MS_OK);
    assert_true(r2.balance_milli == INT64_MAX);

    ms_link_event_t ev = { .meter_id = "m-000001", .seq = 3, .time = 9 }, ev2;
    memset(ev.kind, 'k', MS_LINK_KIND_MAX);
    memset(ev.detail, '~', MS_LINK_DETAIL_MAX);
    assert_int_equal(ms_link_event_encode(&ev, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_link_event_decode(buf, n, &ev2), MS_OK);
    assert_string_equal(ev.meter_id, ev2.meter_id);
    assert_string_equal(ev.kind, ev2.kind);
    assert_string_equal(ev.detail, ev2.detail);
    assert_true(ev.seq == ev2.seq && ev.time == ev2.time);

    ms_link_ack_t a = { .meter_id = "a", .n = MS_LINK_ACK_MAX }, a2;
    for (size_t i = 0; i < a.n; i++) {
        a.seq[i] = (uint64_t)1 << (2 * i);
    }
    assert_int_equal(ms_link_ack_encode(&a, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_link_ack_decode(buf, n, &a2), MS_OK);
    assert_string_equal(a.meter_id, a2.meter_id);
    assert_int_equal(a.n, a2.n);
    assert_memory_equal(a.seq, a2.seq, sizeof a.seq);

    ms_link_command_t c = { .meter_id = "m-2", .cmd_seq = 99, .type = MS_LINK_CMD_TARIFF,
                            .tariff_id = UINT64_MAX, .price_milli_per_kwh = 250 }, c2;
    assert_int_equal(ms_link_command_encode(&c, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_link_command_decode(buf, n, &c2), MS_OK);
    assert_string_equal(c.meter_id, c2.meter_id);
    assert_true(c.cmd_seq == c2.cmd_seq && c.type == c2.type && c.tariff_id == c2.tariff_id &&
                c.price_milli_per_kwh == c2.price_milli_per_kwh);

    ms_link_result_t res = { .meter_id = "m-2", .result_seq = 5, .cmd_seq = 99,
                             .status = MS_LINK_ST_STORAGE, .balance_milli = -1 }, res2;
    assert_int_equal(ms_link_result_encode(&res, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_link_result_decode(buf, n, &res2), MS_OK);
    assert_string_equal(res.meter_id, res2.meter_id);
    assert_true(res.result_seq == res2.result_seq && res.cmd_seq == res2.cmd_seq &&
                res.status == res2.status && res.balance_milli == res2.balance_milli);
}

static void test_encoders_refuse_invalid_fields(void **state)
{
    (void)state;
    uint8_t buf[MS_LINK_MSG_MAX];
    size_t n;
    ms_link_reading_t r = sample_reading();
    strcpy(r.meter_id, "m 01");                       /* space: not [A-Za-z0-9-] */
    assert_int_equal(ms_link_reading_encode(&r, buf, sizeof buf, &n), MS_ERR_ARG);
    r.meter_id[0] = '\0';                             /* empty */
    assert_int_equal(ms_link_reading_encode(&r, buf, sizeof buf, &n), MS_ERR_ARG);
    memset(r.meter_id, 'a', sizeof r.meter_id);       /* 33 characters, no NUL */
    assert_int_equal(ms_link_reading_encode(&r, buf, sizeof buf, &n), MS_ERR_ARG);
    r = sample_reading();
    assert_int_equal(ms_link_reading_encode(&r, buf, 10, &n), MS_ERR_BUFFER_TOO_SMALL);

    ms_link_event_t ev = { .meter_id = "m", .kind = "" };
    assert_int_equal(ms_link_event_encode(&ev, buf, sizeof buf, &n), MS_ERR_ARG);
    strcpy(ev.kind, "bad\nkind");
    assert_int_equal(ms_link_event_encode(&ev, buf, sizeof buf, &n), MS_ERR_ARG);

    ms_link_ack_t a = { .meter_id = "m", .n = 0 };
    assert_int_equal(ms_link_ack_encode(&a, buf, sizeof buf, &n), MS_ERR_ARG);
    a.n = MS_LINK_ACK_MAX + 1;
    assert_int_equal(ms_link_ack_encode(&a, buf, sizeof buf, &n), MS_ERR_ARG);

    ms_link_command_t c = { .meter_id = "m", .type = 4 };
    assert_int_equal(ms_link_command_encode(&c, buf, sizeof buf, &n), MS_ERR_ARG);
}

/* ---- decoders refuse what is not exactly the deterministic encoding ---------------- */

static void expect_reading_refused(const uint8_t *p, size_t len)
{
    ms_link_reading_t r;
    memset(&r, 0x5a, sizeof r);
    ms_err_t err = ms_link_reading_decode(p, len, &r);
    assert_true(err == MS_ERR_FORMAT || err == MS_ERR_TRUNCATED);
    static const ms_link_reading_t zero;
    assert_memory_equal(&r, &zero, sizeof r);   /* nothing half-decoded escapes */
}

static void test_truncated_readings_are_refused_at_every_length(void **state)
{
    (void)state;
    ms_link_reading_t r = sample_reading();
    uint8_t buf[128];
    size_t n = 0;
    assert_int_equal(ms_link_reading_encode(&r, buf, sizeof buf, &n), MS_OK);
    for (size_t k = 0; k < n; k++) {
        expect_reading_refused(buf, k);
    }
    buf[n] = 0x00;   /* one byte too many */
    expect_reading_refused(buf, n + 1);
}

static void test_non_deterministic_readings_are_refused(void **state)
{
    (void)state;
    /* the pinned sample, then variants of it that decode to the same value
     * or to nothing valid */
    static const uint8_t good[] = {
        0xa6, 0x01, 0x68, 'm', '-', '0', '0', '0', '0', '0', '1', 0x02, 0x01, 0x03, 0x1a,
        0x65, 0x53, 0xf1, 0x00, 0x04, 0x19, 0x30, 0x39, 0x05, 0x39, 0x01, 0xf3, 0x06, 0x01,
    };
    ms_link_reading_t r;
    assert_int_equal(ms_link_reading_decode(good, sizeof good, &r), MS_OK);
    uint8_t v[64];

    /* seq 1 written in a two-byte head (0x18 0x01) instead of 0x01 */
    memcpy(v, good, 12);
    v[12] = 0x18;
    v[13] = 0x01;
    memcpy(v + 14, good + 13, sizeof good - 13);
    expect_reading_refused(v, sizeof good + 1);

    /* keys 2 and 3 swapped (same map, another order) */
    memcpy(v, good, sizeof good);
    memcpy(v + 11, "\x03\x1a\x65\x53\xf1\x00\x02\x01", 8);
    expect_reading_refused(v, sizeof good);

    /* a seventh key */
    memcpy(v, good, sizeof good);
    v[0] = 0xa7;
    v[sizeof good] = 0x07;
    v[sizeof good + 1] = 0x00;
    expect_reading_refused(v, sizeof good + 2);

    /* key 6 missing */
    memcpy(v, good, sizeof good);
    v[0] = 0xa5;
    expect_reading_refused(v, sizeof good - 2);

    /* energy as a negative integer */
    memcpy(v, good, sizeof good);
    v[20] = 0x39;
    expect_reading_refused(v, sizeof good);

    /* meter id as a byte string, and with a character outside the set */
    memcpy(v, good, sizeof good);
    v[2] = 0x48;
    expect_reading_refused(v, sizeof good);
    memcpy(v, good, sizeof good);
    v[4] = '_';
    expect_reading_refused(v, sizeof good);

    /* an indefinite-length map */
    memcpy(v, good, sizeof good);
    v[0] = 0xbf;
    expect_reading_refused(v, sizeof good);

    /* tariff id as a negative integer */
    memcpy(v, good, sizeof good);
    v[sizeof good - 1] = 0x20;
    expect_reading_refused(v, sizeof good);
}

static void test_malformed_acks_and_commands_are_refused(void **state)
{
    (void)state;
    ms_link_ack_t a;
    ms_link_command_t c;
    /* empty seq list */
    assert_int_equal(ms_link_ack_decode((const uint8_t *)"\xa2\x01\x61m\x02\x80", 6, &a),
                     MS_ERR_FORMAT);
    /* 33 sequence numbers */
    uint8_t big[64] = { 0xa2, 0x01, 0x61, 'm', 0x02, 0x98, 33 };
    for (int i = 0; i < 33; i++) {
        big[7 + i] = (uint8_t)(i % 24);
    }
    assert_int_equal(ms_link_ack_decode(big, 40, &a), MS_ERR_FORMAT);
    /* a seq that is not an unsigned integer */
    assert_int_equal(ms_link_ack_decode((const uint8_t *)"\xa2\x01\x61m\x02\x81\x20", 7, &a),
                     MS_ERR_FORMAT);
    /* unknown command type 9 */
    assert_int_equal(ms_link_command_decode(
                         (const uint8_t *)"\xa4\x01\x61m\x02\x01\x03\x09\x04\xa1\x01\x01", 12, &c),
                     MS_ERR_FORMAT);
    /* relay with an integer instead of a bool, and with null */
    assert_int_equal(ms_link_command_decode(
                         (const uint8_t *)"\xa4\x01\x61m\x02\x01\x03\x02\x04\xa1\x01\x01", 12, &c),
                     MS_ERR_FORMAT);
    assert_int_equal(ms_link_command_decode(
                         (const uint8_t *)"\xa4\x01\x61m\x02\x01\x03\x02\x04\xa1\x01\xf6", 12, &c),
                     MS_ERR_FORMAT);
    /* a top-up whose amount is negative */
    assert_int_equal(ms_link_command_decode(
                         (const uint8_t *)"\xa4\x01\x61m\x02\x01\x03\x01\x04\xa1\x01\x20", 12, &c),
                     MS_ERR_FORMAT);
    /* a well-formed top-up decodes */
    assert_int_equal(ms_link_command_decode(
                         (const uint8_t *)"\xa4\x01\x61m\x02\x01\x03\x01\x04\xa1\x01\x05", 12, &c),
                     MS_OK);
    assert_int_equal(c.amount_milli, 5);
}

/* ---- the COSE envelope ------------------------------------------------------------ */

static size_t sealed_reading(uint8_t *out, size_t cap)
{
    ms_link_reading_t r = sample_reading();
    uint8_t p[128];
    size_t n = 0, m = 0;
    assert_int_equal(ms_link_reading_encode(&r, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_link_msg_seal(p, n, &g_pub, soft_sign, &g_priv, out, cap, &m), MS_OK);
    return m;
}

static void test_sealed_message_opens_with_its_signer_only(void **state)
{
    (void)state;
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t n = sealed_reading(msg, sizeof msg);
    ms_cose_sign1_t m;
    ms_link_reading_t r;
    assert_int_equal(ms_link_msg_open(msg, n, &g_pub, &m), MS_OK);
    assert_int_equal(ms_link_reading_decode(m.payload, m.payload_len, &r), MS_OK);
    assert_string_equal(r.meter_id, "m-000001");
    assert_int_equal(m.kid_len, MS_COSE_KID_LEN);
    /* another signer's key: its kid does not match */
    assert_int_equal(ms_link_msg_open(msg, n, &g_other_pub, &m), MS_ERR_FORMAT);
    /* the protected header must be exactly {1: -7} */
    assert_memory_equal(msg, "\xd2\x84\x43\xa1\x01\x26", 6);
}

static void test_every_flipped_bit_is_refused(void **state)
{
    (void)state;
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t n = sealed_reading(msg, sizeof msg);
    ms_cose_sign1_t m;
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 8; b++) {
            msg[i] ^= (uint8_t)(1u << b);
            assert_int_not_equal(ms_link_msg_open(msg, n, &g_pub, &m), MS_OK);
            msg[i] ^= (uint8_t)(1u << b);
        }
    }
    assert_int_equal(ms_link_msg_open(msg, n, &g_pub, &m), MS_OK);
}

static void test_envelope_refusals(void **state)
{
    (void)state;
    uint8_t msg[MS_LINK_MSG_MAX + 8];
    size_t n = sealed_reading(msg, sizeof msg);
    ms_cose_sign1_t m;
    /* another algorithm in the protected header ({1: -25}) */
    msg[5] = 0x38;
    assert_int_equal(ms_cose_sign1_parse(msg, n, &m), MS_ERR_UNSUPPORTED);
    msg[5] = 0x26;
    /* trailing byte */
    msg[n] = 0;
    assert_int_equal(ms_link_msg_open(msg, n + 1, &g_pub, &m), MS_ERR_FORMAT);
    /* longer than a message may be */
    assert_int_equal(ms_link_msg_open(msg, MS_LINK_MSG_MAX + 1, &g_pub, &m), MS_ERR_FORMAT);
    /* no kid: an attestation-style envelope does not open as a cloud message */
    uint8_t p[4] = { 0xa0 };
    size_t k = 0;
    assert_int_equal(ms_cose_sign1(p, 1, NULL, 0, soft_sign, &g_priv, msg, sizeof msg, &k), MS_OK);
    assert_int_equal(ms_cose_sign1_parse(msg, k, &m), MS_OK);
    assert_int_equal(ms_link_msg_open(msg, k, &g_pub, &m), MS_ERR_FORMAT);
    /* tag 17 (COSE_Mac0) instead of 18 */
    msg[0] = 0xd1;
    assert_int_equal(ms_cose_sign1_parse(msg, k, &m), MS_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reading_encoding_is_pinned),
        cmocka_unit_test(test_command_and_ack_encodings_are_pinned),
        cmocka_unit_test(test_every_kind_round_trips_at_its_bounds),
        cmocka_unit_test(test_encoders_refuse_invalid_fields),
        cmocka_unit_test(test_truncated_readings_are_refused_at_every_length),
        cmocka_unit_test(test_non_deterministic_readings_are_refused),
        cmocka_unit_test(test_malformed_acks_and_commands_are_refused),
        cmocka_unit_test(test_sealed_message_opens_with_its_signer_only),
        cmocka_unit_test(test_every_flipped_bit_is_refused),
        cmocka_unit_test(test_envelope_refusals),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
