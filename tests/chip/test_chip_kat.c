/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_chip_kat.c - known-answer tests: GlobalPlatformPro's diversification
 * vectors (MK = 40..4F, KDD = 00..09), key check values, CRC-32, and the
 * SCP03 KDF against an independent computation of the same construction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "meterseal/chip_formats.h"

static const uint8_t mk[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                               0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
static const uint8_t kdd[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

static void expect_kcv(ms_chip_div_method_t m, ms_chip_key_purpose_t p, uint32_t want)
{
    uint8_t k[16], kcv[3];
    assert_int_equal(ms_chip_diversify(m, mk, kdd, p, k), MS_OK);
    assert_int_equal(ms_chip_kcv(m, k, kcv), MS_OK);
    uint32_t got = ((uint32_t)kcv[0] << 16) | ((uint32_t)kcv[1] << 8) | kcv[2];
    assert_int_equal(got, want);
}

static void test_emv_enc_kcv_is_c33013(void **s) { (void)s; expect_kcv(MS_CHIP_DIV_EMV, MS_CHIP_KEY_ENC, 0xC33013); }
static void test_emv_mac_kcv_is_6f4ca6(void **s) { (void)s; expect_kcv(MS_CHIP_DIV_EMV, MS_CHIP_KEY_MAC, 0x6F4CA6); }
static void test_emv_dek_kcv_is_bb8179(void **s) { (void)s; expect_kcv(MS_CHIP_DIV_EMV, MS_CHIP_KEY_DEK, 0xBB8179); }
static void test_kdf3_enc_kcv_is_e79c05(void **s) { (void)s; expect_kcv(MS_CHIP_DIV_KDF3, MS_CHIP_KEY_ENC, 0xE79C05); }
static void test_kdf3_mac_kcv_is_d1bd77(void **s) { (void)s; expect_kcv(MS_CHIP_DIV_KDF3, MS_CHIP_KEY_MAC, 0xD1BD77); }
static void test_kdf3_dek_kcv_is_3fde8c(void **s) { (void)s; expect_kcv(MS_CHIP_DIV_KDF3, MS_CHIP_KEY_DEK, 0x3FDE8C); }

static void test_diversified_keys_depend_on_kdd(void **state)
{
    (void)state;
    uint8_t a[16], b[16], kdd2[10];
    memcpy(kdd2, kdd, 10);
    kdd2[9] ^= 1;
    assert_int_equal(ms_chip_diversify(MS_CHIP_DIV_KDF3, mk, kdd, MS_CHIP_KEY_ENC, a), MS_OK);
    assert_int_equal(ms_chip_diversify(MS_CHIP_DIV_KDF3, mk, kdd2, MS_CHIP_KEY_ENC, b), MS_OK);
    assert_memory_not_equal(a, b, 16);
    /* EMV uses only KDD bytes 4..9: a change there changes the key. */
    assert_int_equal(ms_chip_diversify(MS_CHIP_DIV_EMV, mk, kdd, MS_CHIP_KEY_ENC, a), MS_OK);
    assert_int_equal(ms_chip_diversify(MS_CHIP_DIV_EMV, mk, kdd2, MS_CHIP_KEY_ENC, b), MS_OK);
    assert_memory_not_equal(a, b, 16);
}

static void test_diversify_rejects_unknown_method_and_purpose(void **state)
{
    (void)state;
    uint8_t k[16];
    assert_int_equal(ms_chip_diversify((ms_chip_div_method_t)7, mk, kdd, MS_CHIP_KEY_ENC, k),
                     MS_ERR_UNSUPPORTED);
    assert_int_equal(ms_chip_diversify(MS_CHIP_DIV_EMV, mk, kdd, (ms_chip_key_purpose_t)4, k),
                     MS_ERR_ARG);
}

static void test_kdf3_equals_scp03_kdf_with_empty_label_structure(void **state)
{
    /* kdf3 is CMAC(MK, 01 || 00 00 00 t 00 || KDD); the SCP03 KDF with
     * constant c and 16-byte output is CMAC(K, 00*11 c 00 00 80 01 || ctx).
     * Different inputs, so different keys: a guard against mixing them. */
    (void)state;
    uint8_t a[16], b[16];
    assert_int_equal(ms_chip_diversify(MS_CHIP_DIV_KDF3, mk, kdd, MS_CHIP_KEY_ENC, a), MS_OK);
    assert_int_equal(ms_chip_scp03_kdf(mk, 0x04, kdd, 10, b, 16), MS_OK);
    assert_memory_not_equal(a, b, 16);
    uint8_t d[16 + 10] = {0};
    d[11] = 0x04;
    d[13] = 0x00;
    d[14] = 0x80;
    d[15] = 0x01;
    memcpy(d + 16, kdd, 10);
    assert_int_equal(ms_aes_cmac(mk, 16, d, sizeof d, a), MS_OK);
    assert_memory_equal(a, b, 16);
}

static void test_scp03_kdf_long_output_uses_counter(void **state)
{
    (void)state;
    uint8_t out[32], first[16];
    assert_int_equal(ms_chip_scp03_kdf(mk, 0x06, kdd, 10, out, 32), MS_OK);
    uint8_t d[16 + 10] = {0};
    d[11] = 0x06;
    d[13] = 0x01; /* L = 256 bits */
    d[14] = 0x00;
    d[15] = 0x01;
    memcpy(d + 16, kdd, 10);
    assert_int_equal(ms_aes_cmac(mk, 16, d, sizeof d, first), MS_OK);
    assert_memory_equal(out, first, 16);
    d[15] = 0x02;
    assert_int_equal(ms_aes_cmac(mk, 16, d, sizeof d, first), MS_OK);
    assert_memory_equal(out + 16, first, 16);
}

static void test_crc32_check_value(void **state)
{
    (void)state;
    const uint8_t s[] = "123456789";
    assert_int_equal(ms_chip_crc32_update(0, s, 9), 0xCBF43926u);
    /* Chunked = one shot. */
    uint32_t c = ms_chip_crc32_update(0, s, 4);
    assert_int_equal(ms_chip_crc32_update(c, s + 4, 5), 0xCBF43926u);
    assert_int_equal(ms_chip_crc32_update(0, s, 0), 0);
}

static void test_xor32_chunked_equals_whole(void **state)
{
    (void)state;
    uint8_t b[37];
    for (size_t i = 0; i < sizeof b; i++) {
        b[i] = (uint8_t)(i * 13 + 1);
    }
    uint32_t whole = ms_chip_xor32_update(0, 0, b, sizeof b);
    uint32_t x = ms_chip_xor32_update(0, 0, b, 5);
    x = ms_chip_xor32_update(x, 5, b + 5, 30);
    x = ms_chip_xor32_update(x, 35, b + 35, 2);
    assert_int_equal(x, whole);
    uint8_t w[5] = {0x12, 0x34, 0x56, 0x78, 0x9A};
    assert_int_equal(ms_chip_xor32_update(0, 0, w, 5), 0x12345678u ^ 0x9A000000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emv_enc_kcv_is_c33013),
        cmocka_unit_test(test_emv_mac_kcv_is_6f4ca6),
        cmocka_unit_test(test_emv_dek_kcv_is_bb8179),
        cmocka_unit_test(test_kdf3_enc_kcv_is_e79c05),
        cmocka_unit_test(test_kdf3_mac_kcv_is_d1bd77),
        cmocka_unit_test(test_kdf3_dek_kcv_is_3fde8c),
        cmocka_unit_test(test_diversified_keys_depend_on_kdd),
        cmocka_unit_test(test_diversify_rejects_unknown_method_and_purpose),
        cmocka_unit_test(test_kdf3_equals_scp03_kdf_with_empty_label_structure),
        cmocka_unit_test(test_scp03_kdf_long_output_uses_counter),
        cmocka_unit_test(test_crc32_check_value),
        cmocka_unit_test(test_xor32_chunked_equals_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
