/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cbor.c - the bounded CBOR codec against RFC 8949 Appendix A
 * examples, and the decoder's refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/tee_cbor.h"

static void expect_int_enc(int64_t v, const uint8_t *want, size_t n)
{
    uint8_t buf[16];
    ms_cbor_enc_t e;
    size_t len = 0;
    ms_cbor_enc_init(&e, buf, sizeof buf);
    ms_cbor_put_int(&e, v);
    assert_int_equal(ms_cbor_enc_finish(&e, &len), MS_OK);
    assert_int_equal(len, n);
    assert_memory_equal(buf, want, n);
    /* and back */
    ms_cbor_dec_t d;
    int64_t back = 0;
    ms_cbor_dec_init(&d, buf, len);
    assert_int_equal(ms_cbor_get_int(&d, &back), MS_OK);
    assert_true(back == v);
    assert_int_equal(d.pos, len);
}

static void test_integers_match_rfc8949_examples(void **state)
{
    (void)state;
    expect_int_enc(0, (const uint8_t *)"\x00", 1);
    expect_int_enc(23, (const uint8_t *)"\x17", 1);
    expect_int_enc(24, (const uint8_t *)"\x18\x18", 2);
    expect_int_enc(100, (const uint8_t *)"\x18\x64", 2);
    expect_int_enc(1000, (const uint8_t *)"\x19\x03\xe8", 3);
    expect_int_enc(1000000, (const uint8_t *)"\x1a\x00\x0f\x42\x40", 5);
    expect_int_enc(1000000000000, (const uint8_t *)"\x1b\x00\x00\x00\xe8\xd4\xa5\x10\x00", 9);
    expect_int_enc(-1, (const uint8_t *)"\x20", 1);
    expect_int_enc(-10, (const uint8_t *)"\x29", 1);
    expect_int_enc(-100, (const uint8_t *)"\x38\x63", 2);
    expect_int_enc(-1000, (const uint8_t *)"\x39\x03\xe7", 3);
}

static void test_max_uint64_encodes(void **state)
{
    (void)state;
    uint8_t buf[9];
    ms_cbor_enc_t e;
    size_t len;
    ms_cbor_enc_init(&e, buf, sizeof buf);
    ms_cbor_put_uint(&e, UINT64_MAX);
    assert_int_equal(ms_cbor_enc_finish(&e, &len), MS_OK);
    assert_memory_equal(buf, "\x1b\xff\xff\xff\xff\xff\xff\xff\xff", 9);
    /* too big for int64: get_int refuses */
    ms_cbor_dec_t d;
    int64_t v;
    ms_cbor_dec_init(&d, buf, len);
    assert_int_equal(ms_cbor_get_int(&d, &v), MS_ERR_FORMAT);
}

static void test_strings_arrays_maps_match_examples(void **state)
{
    (void)state;
    uint8_t buf[32];
    ms_cbor_enc_t e;
    size_t len;
    ms_cbor_enc_init(&e, buf, sizeof buf);
    ms_cbor_put_bstr(&e, (const uint8_t *)"\x01\x02\x03\x04", 4);
    ms_cbor_put_tstr(&e, "IETF", 4);
    ms_cbor_put_array(&e, 3);
    ms_cbor_put_uint(&e, 1);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_map(&e, 2);
    ms_cbor_put_uint(&e, 1);
    ms_cbor_put_uint(&e, 2);
    ms_cbor_put_uint(&e, 3);
    ms_cbor_put_uint(&e, 4);
    ms_cbor_put_tag(&e, 18);
    assert_int_equal(ms_cbor_enc_finish(&e, &len), MS_OK);
    const uint8_t want[] = { 0x44, 1, 2, 3, 4, 0x64, 'I', 'E', 'T', 'F', 0x83, 1, 2, 3,
                             0xa2, 1, 2, 3, 4, 0xd2 };
    assert_int_equal(len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

static void test_encoder_reports_overflow_and_stays_in_bounds(void **state)
{
    (void)state;
    uint8_t buf[8];
    memset(buf, 0xee, sizeof buf);
    ms_cbor_enc_t e;
    size_t len = 99;
    ms_cbor_enc_init(&e, buf, 4);
    ms_cbor_put_bstr(&e, (const uint8_t *)"abcdef", 6);
    ms_cbor_put_uint(&e, 1);
    assert_int_equal(ms_cbor_enc_finish(&e, &len), MS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 99);
    assert_int_equal(buf[4], 0xee);
}

static ms_err_t skip_all(const uint8_t *p, size_t n)
{
    ms_cbor_dec_t d;
    ms_cbor_dec_init(&d, p, n);
    ms_err_t err = ms_cbor_skip(&d);
    if (!err && d.pos != n) {
        return MS_ERR_FORMAT;
    }
    return err;
}

static void test_decoder_refuses_indefinite_and_reserved(void **state)
{
    (void)state;
    assert_int_equal(skip_all((const uint8_t *)"\x5f\x41\x00\xff", 4), MS_ERR_FORMAT);
    assert_int_equal(skip_all((const uint8_t *)"\x9f\x01\xff", 3), MS_ERR_FORMAT);
    assert_int_equal(skip_all((const uint8_t *)"\x1c", 1), MS_ERR_FORMAT);
    assert_int_equal(skip_all((const uint8_t *)"\xf9\x3c\x00", 3), MS_ERR_FORMAT);  /* half float */
}

static void test_decoder_accepts_simple_values(void **state)
{
    (void)state;
    assert_int_equal(skip_all((const uint8_t *)"\x83\xf4\xf5\xf6", 4), MS_OK);
}

static void test_decoder_refuses_lengths_past_the_end(void **state)
{
    (void)state;
    assert_int_equal(skip_all((const uint8_t *)"\x45\x01\x02", 3), MS_ERR_TRUNCATED);
    assert_int_equal(skip_all((const uint8_t *)"\x5b\xff\xff\xff\xff\xff\xff\xff\xff", 9),
                     MS_ERR_TRUNCATED);
    assert_int_equal(skip_all((const uint8_t *)"\x9b\xff\xff\xff\xff\xff\xff\xff\xff", 9),
                     MS_ERR_TRUNCATED);
    assert_int_equal(skip_all((const uint8_t *)"\xbb\x7f\xff\xff\xff\xff\xff\xff\xff", 9),
                     MS_ERR_TRUNCATED);
    assert_int_equal(skip_all((const uint8_t *)"\x19\x01", 2), MS_ERR_TRUNCATED);
    assert_int_equal(skip_all((const uint8_t *)"", 0), MS_ERR_TRUNCATED);
}

static void test_decoder_bounds_nesting(void **state)
{
    (void)state;
    uint8_t deep[32];
    memset(deep, 0x81, sizeof deep);   /* [[[[...]]]] */
    deep[31] = 0x00;
    assert_int_equal(skip_all(deep, sizeof deep), MS_ERR_FORMAT);
    uint8_t ok[6] = { 0x81, 0x81, 0x81, 0x81, 0x81, 0x00 };
    assert_int_equal(skip_all(ok, sizeof ok), MS_OK);
}

static void test_expect_checks_major_type(void **state)
{
    (void)state;
    ms_cbor_dec_t d;
    uint64_t n;
    const char *s;
    size_t len;
    ms_cbor_dec_init(&d, (const uint8_t *)"\x64IETF", 5);
    assert_int_equal(ms_cbor_expect(&d, MS_CBOR_BSTR, &n), MS_ERR_FORMAT);
    ms_cbor_dec_init(&d, (const uint8_t *)"\x64IETF", 5);
    assert_int_equal(ms_cbor_get_tstr(&d, &s, &len), MS_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(s, "IETF", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_match_rfc8949_examples),
        cmocka_unit_test(test_max_uint64_encodes),
        cmocka_unit_test(test_strings_arrays_maps_match_examples),
        cmocka_unit_test(test_encoder_reports_overflow_and_stays_in_bounds),
        cmocka_unit_test(test_decoder_refuses_indefinite_and_reserved),
        cmocka_unit_test(test_decoder_accepts_simple_values),
        cmocka_unit_test(test_decoder_refuses_lengths_past_the_end),
        cmocka_unit_test(test_decoder_bounds_nesting),
        cmocka_unit_test(test_expect_checks_major_type),
    };
    return cmocka_run_group_tests_name("tee_cbor", tests, NULL, NULL);
}
