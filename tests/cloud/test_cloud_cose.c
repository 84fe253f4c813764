/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cloud_cose.c - the signed messages of docs/cloud.md §5: round trips,
 * the exact envelope rules, signatures, and refusal of every non-canonical
 * or altered encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cose_msg.h"
#include "meterseal/tee_cbor.h"

static ms_p256_priv_t key;
static ms_p256_pub_t pub;

static int setup(void **state)
{
    (void)state;
    return ms_p256_keygen(&key, &pub) == MS_OK ? 0 : -1;
}

static size_t signed_reading(uint8_t *msg, uint64_t seq, int64_t balance)
{
    ms_msg_reading_t r = { .meter_id = "m-000042", .seq = seq, .time = 1700000000,
                           .energy_wh = 123456, .balance_milli = balance, .tariff_id = 3 };
    uint8_t p[MS_COSE_MSG_MAX];
    size_t plen = 0, mlen = 0;
    assert_int_equal(ms_msg_reading_encode(&r, p, sizeof p, &plen), MS_OK);
    assert_int_equal(ms_cose_sign(&key, &pub, p, plen, msg, MS_COSE_MSG_MAX, &mlen), MS_OK);
    return mlen;
}

static void reading_round_trip(void **state)
{
    (void)state;
    uint8_t msg[MS_COSE_MSG_MAX];
    int64_t balances[] = { 0, 23, -1, -24, -1000000, INT64_MIN, INT64_MAX };
    for (size_t i = 0; i < sizeof balances / sizeof balances[0]; i++) {
        size_t n = signed_reading(msg, 7 + i, balances[i]);
        ms_cose_sign1_t c;
        assert_int_equal(ms_cose_parse(msg, n, &c), MS_OK);
        assert_int_equal(ms_cose_verify(&c, &pub), MS_OK);
        uint8_t kid[MS_COSE_KID_LEN];
        assert_int_equal(ms_cose_kid_of(&pub, kid), MS_OK);
        assert_memory_equal(kid, c.kid, sizeof kid);
        ms_msg_reading_t r;
        assert_int_equal(ms_msg_reading_decode(c.payload, c.payload_len, &r), MS_OK);
        assert_string_equal(r.meter_id, "m-000042");
        assert_int_equal(r.seq, 7 + i);
        assert_int_equal(r.balance_milli, balances[i]);
        assert_int_equal(r.energy_wh, 123456);
        assert_int_equal(r.tariff_id, 3);
    }
}

static void every_flipped_bit_is_refused(void **state)
{
    (void)state;
    uint8_t msg[MS_COSE_MSG_MAX];
    size_t n = signed_reading(msg, 1, 500);
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 8; b++) {
            msg[i] ^= (uint8_t)(1u << b);
            ms_cose_sign1_t c;
            ms_msg_reading_t r;
            bool accepted = ms_cose_parse(msg, n, &c) == MS_OK &&
                            ms_cose_verify(&c, &pub) == MS_OK &&
                            ms_msg_reading_decode(c.payload, c.payload_len, &r) == MS_OK;
            /* the kid is not covered by the signature; the receiver compares it */
            uint8_t kid[MS_COSE_KID_LEN];
            ms_cose_kid_of(&pub, kid);
            accepted = accepted && memcmp(kid, c.kid, sizeof kid) == 0;
            assert_false(accepted);
            msg[i] ^= (uint8_t)(1u << b);
        }
    }
}

static void envelope_rules(void **state)
{
    (void)state;
    uint8_t msg[MS_COSE_MSG_MAX], big[MS_COSE_MSG_MAX + 8];
    size_t n = signed_reading(msg, 1, 1);
    ms_cose_sign1_t c;
    /* truncated anywhere */
    for (size_t k = 0; k < n; k++) {
        assert_int_not_equal(ms_cose_parse(msg, k, &c), MS_OK);
    }
    /* trailing byte */
    memcpy(big, msg, n);
    big[n] = 0;
    assert_int_equal(ms_cose_parse(big, n + 1, &c), MS_ERR_FORMAT);
    /* over 512 bytes */
    memset(big, 0, sizeof big);
    assert_int_equal(ms_cose_parse(big, sizeof big, &c), MS_ERR_FORMAT);
    /* another tag, another protected header (ES384 = -35) */
    memcpy(big, msg, n);
    big[0] = 0xd1;   /* tag 17: COSE_Mac0 */
    assert_int_equal(ms_cose_parse(big, n, &c), MS_ERR_FORMAT);
    memcpy(big, msg, n);
    assert_int_equal(big[2], 0x43);   /* bstr(3) a10126 */
    big[5] = 0x38;                    /* a1 01 38 .. would be longer: header no longer a10126 */
    assert_int_equal(ms_cose_parse(big, n, &c), MS_ERR_FORMAT);
}

static void non_canonical_payload_is_refused(void **state)
{
    (void)state;
    ms_msg_reading_t r;
    /* {1:"m-1",2:1,3:1,4:1,5:1,6:1} canonical, then the same with seq as a
     * two-byte integer, keys out of order, a duplicate key, an extra key */
    static const uint8_t good[] = { 0xa6, 0x01, 0x63, 'm', '-', '1', 0x02, 0x01, 0x03, 0x01,
                                    0x04, 0x01, 0x05, 0x01, 0x06, 0x01 };
    static const uint8_t long_int[] = { 0xa6, 0x01, 0x63, 'm', '-', '1', 0x02, 0x18, 0x01,
                                        0x03, 0x01, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01 };
    static const uint8_t swapped[] = { 0xa6, 0x01, 0x63, 'm', '-', '1', 0x03, 0x01, 0x02, 0x01,
                                       0x04, 0x01, 0x05, 0x01, 0x06, 0x01 };
    static const uint8_t extra[] = { 0xa7, 0x01, 0x63, 'm', '-', '1', 0x02, 0x01, 0x03, 0x01,
                                     0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x07, 0x01 };
    static const uint8_t bad_id[] = { 0xa6, 0x01, 0x63, 'm', '_', '1', 0x02, 0x01, 0x03, 0x01,
                                      0x04, 0x01, 0x05, 0x01, 0x06, 0x01 };
    assert_int_equal(ms_msg_reading_decode(good, sizeof good, &r), MS_OK);
    assert_int_equal(ms_msg_reading_decode(long_int, sizeof long_int, &r), MS_ERR_FORMAT);
    assert_int_equal(ms_msg_reading_decode(swapped, sizeof swapped, &r), MS_ERR_FORMAT);
    assert_int_not_equal(ms_msg_reading_decode(extra, sizeof extra, &r), MS_OK);
    assert_int_equal(ms_msg_reading_decode(bad_id, sizeof bad_id, &r), MS_ERR_FORMAT);
}

/* The first place of text t in the n bytes at p. */
static uint8_t *find(uint8_t *p, size_t n, const char *t)
{
    size_t k = strlen(t);
    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(p + i, t, k) == 0) {
            return p + i;
        }
    }
    return NULL;
}

static void event_result_ack_command(void **state)
{
    (void)state;
    uint8_t p[MS_COSE_MSG_MAX];
    size_t n = 0;
    ms_msg_event_t e = { .meter_id = "m-7", .seq = 3, .time = 9, .kind = "tamper",
                         .detail = "cover opened" }, e2;
    assert_int_equal(ms_msg_event_encode(&e, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_msg_event_decode(p, n, &e2), MS_OK);
    assert_string_equal(e2.detail, "cover opened");
    /* texts are printable ASCII (a meter key outside a TEE could sign any) */
    static const uint8_t bad[] = {0x00, 0x0a, 0x7f, 0xc3, 0xff};
    for (size_t i = 0; i < sizeof bad; i++) {
        uint8_t q[MS_COSE_MSG_MAX];
        memcpy(q, p, n);
        uint8_t *at = find(q, n, "cover");
        assert_non_null(at);
        at[1] = bad[i];
        assert_int_equal(ms_msg_event_decode(q, n, &e2), MS_ERR_FORMAT);
        at[1] = '~';   /* the last printable byte */
        assert_int_equal(ms_msg_event_decode(q, n, &e2), MS_OK);
        memcpy(q, p, n);
        at = find(q, n, "tamper");
        at[2] = bad[i];
        assert_int_equal(ms_msg_event_decode(q, n, &e2), MS_ERR_FORMAT);
    }

    ms_msg_result_t r = { .meter_id = "m-7", .seq = 1, .cmd_seq = 4, .status = 2,
                          .balance_milli = -300 }, r2;
    assert_int_equal(ms_msg_result_encode(&r, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_msg_result_decode(p, n, &r2), MS_OK);
    assert_int_equal(r2.balance_milli, -300);
    r.status = 6;   /* not a status of §5.5 */
    assert_int_equal(ms_msg_result_encode(&r, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_msg_result_decode(p, n, &r2), MS_ERR_FORMAT);

    uint64_t seqs[MS_MSG_ACK_MAX], got[MS_MSG_ACK_MAX];
    for (size_t i = 0; i < MS_MSG_ACK_MAX; i++) {
        seqs[i] = 1000 + i * 1000;
    }
    char id[MS_MSG_ID_MAX + 1];
    size_t k = 0;
    assert_int_equal(ms_msg_ack_encode("m-7", seqs, MS_MSG_ACK_MAX, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_msg_ack_decode(p, n, id, got, &k), MS_OK);
    assert_int_equal(k, MS_MSG_ACK_MAX);
    assert_memory_equal(got, seqs, sizeof seqs);
    assert_int_equal(ms_msg_ack_encode("m-7", seqs, MS_MSG_ACK_MAX + 1, p, sizeof p, &n),
                     MS_ERR_ARG);

    ms_msg_command_t c = { .meter_id = "m-7", .cmd_seq = 5, .type = MS_CMD_RELAY,
                           .connect = true }, c2;
    assert_int_equal(ms_msg_command_encode(&c, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_msg_command_decode(p, n, &c2), MS_OK);
    assert_true(c2.connect);
    c = (ms_msg_command_t){ .meter_id = "m-7", .cmd_seq = 6, .type = MS_CMD_TARIFF,
                            .tariff_id = 2, .price_milli_per_kwh = 310 };
    assert_int_equal(ms_msg_command_encode(&c, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_msg_command_decode(p, n, &c2), MS_OK);
    assert_int_equal(c2.price_milli_per_kwh, 310);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reading_round_trip),
        cmocka_unit_test(every_flipped_bit_is_refused),
        cmocka_unit_test(envelope_rules),
        cmocka_unit_test(non_canonical_payload_is_refused),
        cmocka_unit_test(event_result_ack_command),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
