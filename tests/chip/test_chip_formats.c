/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_chip_formats.c - segment rules (C6), the package and licence formats,
 * the APDU parser and the mode-flag encoding under torn writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flash_sim.h"
#include "meterseal/chip.h"

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t nonce[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7};

/* Which bytes does a rule change? (encrypt zeros, see which are non-zero;
 * a keystream byte is zero with probability 1/256, so compare twice with
 * two nonces.) */
static void changed_map(const ms_chip_rule_t *r, uint32_t len, uint8_t *map)
{
    uint8_t *a = calloc(1, len), *b = calloc(1, len);
    uint8_t n2[16];
    memcpy(n2, nonce, 16);
    n2[0] ^= 0xFF;
    assert_int_equal(ms_chip_rule_apply(r, key, nonce, len, 0, a, len, NULL), MS_OK);
    assert_int_equal(ms_chip_rule_apply(r, key, n2, len, 0, b, len, NULL), MS_OK);
    for (uint32_t i = 0; i < len; i++) {
        map[i] = (a[i] | b[i]) != 0;
    }
    free(a);
    free(b);
}

static void test_first16_encrypts_first_16_bytes_of_each_segment(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_FIRST16, 0, 100, 0};
    uint32_t len = 1010; /* 10 segments of 100 + a last one of 10 bytes */
    uint8_t map[1010];
    changed_map(&r, len, map);
    for (uint32_t i = 0; i < len; i++) {
        int want = (i % 100) < 16 && i < 1000;
        assert_int_equal(map[i], want);
    }
}

static void test_first16_by_segment_count(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_FIRST16, 1, 80, 0};
    uint32_t len = 8000;
    assert_int_equal(ms_chip_rule_seg_size(&r, len), 100);
    uint8_t *map = malloc(len);
    changed_map(&r, len, map);
    uint32_t count = 0;
    for (uint32_t i = 0; i < len; i++) {
        count += map[i];
    }
    assert_int_equal(count, 80 * 16);
    free(map);
}

static void test_progressive_window_moves_by_21_bytes(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_PROGRESSIVE, 0, 100, 21};
    uint32_t len = 400;
    uint8_t map[400];
    changed_map(&r, len, map);
    /* Segment 1 bytes 1-16, segment 2 bytes 22-37, segment 3 bytes 43-58
     * (1-based within each segment), segment 4 bytes 64-79. */
    for (uint32_t k = 0; k < 4; k++) {
        for (uint32_t i = 0; i < 100; i++) {
            int want = i >= 21 * k && i < 21 * k + 16;
            assert_int_equal(map[100 * k + i], want);
        }
    }
}

static void test_progressive_window_wraps_inside_segment(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_PROGRESSIVE, 0, 64, 21};
    uint32_t len = 64 * 6;
    uint8_t map[64 * 6];
    changed_map(&r, len, map);
    for (uint32_t k = 0; k < 6; k++) {
        uint32_t w = (k * 21) % (64 - 15), n = 0;
        for (uint32_t i = 0; i < 64; i++) {
            n += map[64 * k + i];
        }
        assert_int_equal(n, 16);
        assert_int_equal(map[64 * k + w], 1);
        assert_int_equal(map[64 * k + w + 15], 1);
    }
}

static void test_whole_rule_changes_every_byte_and_round_trips(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_WHOLE, 0, 0, 0};
    uint32_t len = 1000;
    uint8_t map[1000], buf[1000], orig[1000];
    changed_map(&r, len, map);
    for (uint32_t i = 0; i < len; i++) {
        assert_int_equal(map[i], 1);
        orig[i] = buf[i] = (uint8_t)i;
    }
    assert_int_equal(ms_chip_rule_apply(&r, key, nonce, len, 0, buf, len, NULL), MS_OK);
    assert_memory_not_equal(buf, orig, len);
    assert_int_equal(ms_chip_rule_apply(&r, key, nonce, len, 0, buf, len, NULL), MS_OK);
    assert_memory_equal(buf, orig, len);
}

static void test_any_chunking_gives_the_same_ciphertext(void **state)
{
    (void)state;
    const ms_chip_rule_t rules[3] = {{MS_CHIP_RULE_WHOLE, 0, 0, 0},
                                     {MS_CHIP_RULE_FIRST16, 0, 50, 0},
                                     {MS_CHIP_RULE_PROGRESSIVE, 0, 70, 21}};
    for (int ri = 0; ri < 3; ri++) {
        uint8_t a[777], b[777];
        for (int i = 0; i < 777; i++) {
            a[i] = b[i] = (uint8_t)(i * 5);
        }
        assert_int_equal(ms_chip_rule_apply(&rules[ri], key, nonce, 777, 0, a, 777, NULL), MS_OK);
        for (uint32_t off = 0; off < 777;) {
            uint32_t n = (off * 7 + 13) % 41 + 1;
            if (n > 777 - off) {
                n = 777 - off;
            }
            assert_int_equal(ms_chip_rule_apply(&rules[ri], key, nonce, 777, off, b + off, n, NULL),
                             MS_OK);
            off += n;
        }
        assert_memory_equal(a, b, 777);
    }
}

static void test_equal_plaintext_windows_encrypt_differently(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_FIRST16, 0, 32, 0};
    uint8_t buf[128];
    memset(buf, 0x5A, sizeof buf);
    assert_int_equal(ms_chip_rule_apply(&r, key, nonce, 128, 0, buf, 128, NULL), MS_OK);
    assert_memory_not_equal(buf, buf + 32, 16);
    assert_memory_not_equal(buf + 32, buf + 64, 16);
}

static void test_rule_check_rejects_bad_parameters(void **state)
{
    (void)state;
    ms_chip_rule_t small = {MS_CHIP_RULE_FIRST16, 0, 15, 0};
    ms_chip_rule_t zero_count = {MS_CHIP_RULE_FIRST16, 1, 0, 0};
    ms_chip_rule_t no_stride = {MS_CHIP_RULE_PROGRESSIVE, 0, 100, 0};
    ms_chip_rule_t unknown = {9, 0, 100, 0};
    ms_chip_rule_t whole_param = {MS_CHIP_RULE_WHOLE, 0, 100, 0};
    ms_chip_rule_t too_many = {MS_CHIP_RULE_FIRST16, 1, 1000, 0};
    assert_int_equal(ms_chip_rule_check(&small, 1000), MS_ERR_FORMAT);
    assert_int_equal(ms_chip_rule_check(&zero_count, 1000), MS_ERR_FORMAT);
    assert_int_equal(ms_chip_rule_check(&no_stride, 1000), MS_ERR_FORMAT);
    assert_int_equal(ms_chip_rule_check(&unknown, 1000), MS_ERR_FORMAT);
    assert_int_equal(ms_chip_rule_check(&whole_param, 1000), MS_ERR_FORMAT);
    assert_int_equal(ms_chip_rule_check(&too_many, 1000), MS_ERR_FORMAT); /* 1-byte segments */
}

static void test_rule_apply_refuses_range_past_image(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_WHOLE, 0, 0, 0};
    uint8_t buf[32];
    assert_int_equal(ms_chip_rule_apply(&r, key, nonce, 100, 90, buf, 11, NULL), MS_ERR_ARG);
}

static uint8_t *build(const ms_chip_rule_t *r, const uint8_t *cos, uint32_t len, size_t *out_len)
{
    uint8_t *pkg = malloc(MS_CHIP_PKG_HDR_LEN + len);
    assert_int_equal(ms_chip_pkg_build(r, key, nonce, cos, len, pkg, MS_CHIP_PKG_HDR_LEN + len,
                                       out_len),
                     MS_OK);
    return pkg;
}

static void test_package_header_round_trips(void **state)
{
    (void)state;
    uint8_t cos[300];
    for (int i = 0; i < 300; i++) {
        cos[i] = (uint8_t)i;
    }
    ms_chip_rule_t r = {MS_CHIP_RULE_PROGRESSIVE, 1, 10, 21};
    size_t n = 0;
    uint8_t *pkg = build(&r, cos, sizeof cos, &n);
    assert_int_equal(n, MS_CHIP_PKG_HDR_LEN + 300);
    ms_chip_pkg_header_t h;
    assert_int_equal(ms_chip_pkg_parse(pkg, n, &h), MS_OK);
    assert_int_equal(h.cos_len, 300);
    assert_int_equal(h.rule.kind, MS_CHIP_RULE_PROGRESSIVE);
    assert_int_equal(h.rule.by_count, 1);
    assert_int_equal(h.rule.seg_param, 10);
    assert_int_equal(h.rule.stride, 21);
    assert_int_equal(h.crc32, ms_chip_crc32_update(0, cos, 300));
    uint8_t again[MS_CHIP_PKG_HDR_LEN];
    assert_int_equal(ms_chip_pkg_write(&h, again, sizeof again), MS_OK);
    assert_memory_equal(again, pkg, MS_CHIP_PKG_HDR_LEN);
    /* The body decrypts back to the COS with K_enc. */
    uint8_t kenc[16], kmac[32];
    assert_int_equal(ms_chip_pkg_keys(key, kenc, kmac), MS_OK);
    assert_int_equal(ms_chip_rule_apply(&r, kenc, h.nonce, 300, 0, pkg + 80, 300, NULL), MS_OK);
    assert_memory_equal(pkg + 80, cos, 300);
    free(pkg);
}

static void test_package_parse_rejects_bad_headers(void **state)
{
    (void)state;
    uint8_t cos[64] = {0};
    ms_chip_rule_t r = {MS_CHIP_RULE_WHOLE, 0, 0, 0};
    size_t n = 0;
    uint8_t *pkg = build(&r, cos, sizeof cos, &n);
    ms_chip_pkg_header_t h;
    assert_int_equal(ms_chip_pkg_parse(pkg, 79, &h), MS_ERR_TRUNCATED);
    pkg[0] ^= 1;
    assert_int_equal(ms_chip_pkg_parse(pkg, n, &h), MS_ERR_BAD_MAGIC);
    pkg[0] ^= 1;
    pkg[4] = 2;
    assert_int_equal(ms_chip_pkg_parse(pkg, n, &h), MS_ERR_UNSUPPORTED);
    pkg[4] = 1;
    pkg[5] = 7;
    assert_int_equal(ms_chip_pkg_parse(pkg, n, &h), MS_ERR_FORMAT);
    pkg[5] = MS_CHIP_RULE_WHOLE;
    pkg[19] = 0;
    pkg[18] = 0;
    pkg[17] = 0;
    pkg[16] = 0; /* cos_len 0 */
    assert_int_equal(ms_chip_pkg_parse(pkg, n, &h), MS_ERR_FORMAT);
    free(pkg);
}

static const uint8_t mk[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                               0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
static const uint8_t uid_a[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const uint8_t uid_b[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11};
static const uint8_t pkg_id[16] = {0xEE, 1, 2, 3};

static void licence_round_trip(ms_chip_div_method_t m)
{
    uint8_t lic[MS_CHIP_LIC_LEN], out[16];
    assert_int_equal(ms_chip_licence_issue(m, mk, uid_a, pkg_id, key, lic), MS_OK);
    assert_int_equal(ms_chip_licence_open(lic, sizeof lic, mk, uid_a, pkg_id, out), MS_OK);
    assert_memory_equal(out, key, 16);
}

static void test_licence_opens_on_its_chip_kdf3(void **s) { (void)s; licence_round_trip(MS_CHIP_DIV_KDF3); }
static void test_licence_opens_on_its_chip_emv(void **s) { (void)s; licence_round_trip(MS_CHIP_DIV_EMV); }

static void test_licence_for_chip_a_fails_on_chip_b(void **state)
{
    (void)state;
    uint8_t lic[MS_CHIP_LIC_LEN], out[16] = {0};
    for (int m = MS_CHIP_DIV_EMV; m <= MS_CHIP_DIV_KDF3; m++) {
        assert_int_equal(ms_chip_licence_issue((ms_chip_div_method_t)m, mk, uid_a, pkg_id, key, lic),
                         MS_OK);
        assert_int_equal(ms_chip_licence_open(lic, sizeof lic, mk, uid_b, pkg_id, out), MS_ERR_AUTH);
        /* Rewriting the uid field to B's does not help: the MAC breaks. */
        memcpy(lic + 8, uid_b, 10);
        assert_int_equal(ms_chip_licence_open(lic, sizeof lic, mk, uid_b, pkg_id, out), MS_ERR_AUTH);
    }
    uint8_t zero[16] = {0};
    assert_memory_equal(out, zero, 16);
}

static void test_licence_tampered_byte_fails(void **state)
{
    (void)state;
    uint8_t lic[MS_CHIP_LIC_LEN], out[16];
    assert_int_equal(ms_chip_licence_issue(MS_CHIP_DIV_KDF3, mk, uid_a, pkg_id, key, lic), MS_OK);
    for (size_t i = 20; i < MS_CHIP_LIC_LEN; i += 5) {
        lic[i] ^= 0x01;
        assert_int_equal(ms_chip_licence_open(lic, sizeof lic, mk, uid_a, pkg_id, out), MS_ERR_AUTH);
        lic[i] ^= 0x01;
    }
}

static void test_licence_for_other_package_is_key_mismatch(void **state)
{
    (void)state;
    uint8_t lic[MS_CHIP_LIC_LEN], out[16], other[16] = {0xEE, 1, 2, 4};
    assert_int_equal(ms_chip_licence_issue(MS_CHIP_DIV_KDF3, mk, uid_a, pkg_id, key, lic), MS_OK);
    assert_int_equal(ms_chip_licence_open(lic, sizeof lic, mk, uid_a, other, out),
                     MS_ERR_KEY_MISMATCH);
}

static void test_licence_parse_rejects_bad_length_and_magic(void **state)
{
    (void)state;
    uint8_t lic[MS_CHIP_LIC_LEN + 1];
    ms_chip_licence_t l;
    assert_int_equal(ms_chip_licence_issue(MS_CHIP_DIV_EMV, mk, uid_a, pkg_id, key, lic), MS_OK);
    assert_int_equal(ms_chip_licence_parse(lic, 67, &l), MS_ERR_TRUNCATED);
    assert_int_equal(ms_chip_licence_parse(lic, 69, &l), MS_ERR_FORMAT);
    lic[1] ^= 1;
    assert_int_equal(ms_chip_licence_parse(lic, 68, &l), MS_ERR_BAD_MAGIC);
    lic[1] ^= 1;
    lic[5] = 9;
    assert_int_equal(ms_chip_licence_parse(lic, 68, &l), MS_ERR_UNSUPPORTED);
}

static void test_apdu_parser_cases(void **state)
{
    (void)state;
    ms_chip_apdu_t a;
    const uint8_t c1[] = {0x00, 0xA4, 0x04, 0x00};
    assert_int_equal(ms_chip_apdu_parse(c1, 4, &a), MS_OK);
    assert_false(a.has_le);
    assert_int_equal(a.lc, 0);
    const uint8_t c2[] = {0x80, 0xCA, 0x00, 0x01, 0x00};
    assert_int_equal(ms_chip_apdu_parse(c2, 5, &a), MS_OK);
    assert_int_equal(a.le, 256);
    const uint8_t c3[] = {0x80, 0xE2, 0x00, 0x00, 0x02, 0xAA, 0xBB};
    assert_int_equal(ms_chip_apdu_parse(c3, 7, &a), MS_OK);
    assert_int_equal(a.lc, 2);
    assert_int_equal(a.data[1], 0xBB);
    const uint8_t c4[] = {0x80, 0xE2, 0x00, 0x00, 0x01, 0xAA, 0x10};
    assert_int_equal(ms_chip_apdu_parse(c4, 7, &a), MS_OK);
    assert_int_equal(a.le, 0x10);
    const uint8_t e2[] = {0x80, 0xCA, 0x00, 0x01, 0x00, 0x00, 0x00};
    assert_int_equal(ms_chip_apdu_parse(e2, 7, &a), MS_OK);
    assert_int_equal(a.le, 65536);
    assert_true(a.extended);
    uint8_t e4[7 + 300 + 2] = {0x80, 0xD2, 0x01, 0x00, 0x00, 0x01, 0x2C};
    assert_int_equal(ms_chip_apdu_parse(e4, 7 + 300, &a), MS_OK);
    assert_int_equal(a.lc, 300);
    assert_int_equal(ms_chip_apdu_parse(e4, 7 + 300 + 2, &a), MS_OK);
    assert_true(a.has_le);
}

static void test_apdu_parser_rejects_inconsistent_lengths(void **state)
{
    (void)state;
    ms_chip_apdu_t a;
    const uint8_t shortl[] = {0x80, 0xCA, 0x00};
    assert_int_equal(ms_chip_apdu_parse(shortl, 3, &a), MS_ERR_TRUNCATED);
    const uint8_t lc_over[] = {0x80, 0xE2, 0x00, 0x00, 0x05, 0xAA};
    assert_int_equal(ms_chip_apdu_parse(lc_over, 6, &a), MS_ERR_TRUNCATED);
    const uint8_t lc_under[] = {0x80, 0xE2, 0x00, 0x00, 0x01, 0xAA, 0xBB, 0xCC};
    assert_int_equal(ms_chip_apdu_parse(lc_under, 8, &a), MS_ERR_FORMAT);
    const uint8_t ext_zero[] = {0x80, 0xE2, 0x00, 0x00, 0x00, 0x00, 0x00, 0xAA};
    assert_int_equal(ms_chip_apdu_parse(ext_zero, 8, &a), MS_ERR_FORMAT);
    const uint8_t six[] = {0x80, 0xE2, 0x00, 0x00, 0x00, 0x01};
    assert_int_equal(ms_chip_apdu_parse(six, 6, &a), MS_ERR_FORMAT);
}

static void test_torn_flag_write_keeps_previous_state(void **state)
{
    (void)state;
    /* Cut the flag write at every possible point: the state read back is
     * always either the old one or the new one, never anything else. */
    for (uint32_t seed = 1; seed < 200; seed++) {
        ms_flash_sim_t sim;
        assert_int_equal(ms_flash_sim_open(&sim, NULL, 4096, 1024, 16, 0xFF), MS_OK);
        ms_flash_area_t fa = {&sim.flash, 3072, 1024};
        ms_chip_flags_t f;
        assert_int_equal(ms_chip_flags_read(&fa, &f), MS_OK);
        assert_int_equal(f.flag1, MS_CHIP_MODE_LOADER);
        ms_flash_sim_cut_after(&sim, 1, seed);
        assert_int_not_equal(ms_chip_flags_write(&fa, &f, MS_CHIP_MODE_COS, MS_CHIP_STATE_INITIAL,
                                                 100, 0x1234),
                             MS_OK);
        ms_flash_sim_power_on(&sim);
        assert_int_equal(ms_chip_flags_read(&fa, &f), MS_OK);
        assert_true((f.flag1 == MS_CHIP_MODE_LOADER && f.seq == 0) ||
                    (f.flag1 == MS_CHIP_MODE_COS && f.cos_len == 100 && f.cos_crc == 0x1234));
        /* Writing again after the cut works and wins. */
        assert_int_equal(ms_chip_flags_write(&fa, &f, MS_CHIP_MODE_COS, MS_CHIP_STATE_USER, 100,
                                             0x1234),
                         MS_OK);
        assert_int_equal(ms_chip_flags_read(&fa, &f), MS_OK);
        assert_int_equal(f.flag2, MS_CHIP_STATE_USER);
        ms_flash_sim_close(&sim);
    }
}

static void test_flag_sector_full_is_refused(void **state)
{
    (void)state;
    ms_flash_sim_t sim;
    assert_int_equal(ms_flash_sim_open(&sim, NULL, 4096, 1024, 16, 0xFF), MS_OK);
    ms_flash_area_t fa = {&sim.flash, 3072, 1024};
    ms_chip_flags_t f;
    assert_int_equal(ms_chip_flags_read(&fa, &f), MS_OK);
    for (uint32_t i = 0; i < 1024 / 32; i++) {
        assert_int_equal(ms_chip_flags_write(&fa, &f, i % 2 ? MS_CHIP_MODE_LOADER : MS_CHIP_MODE_COS,
                                             MS_CHIP_STATE_INITIAL, i, i),
                         MS_OK);
    }
    assert_int_equal(ms_chip_flags_write(&fa, &f, MS_CHIP_MODE_COS, MS_CHIP_STATE_USER, 1, 1),
                     MS_ERR_STATE);
    assert_int_equal(ms_chip_flags_read(&fa, &f), MS_OK);
    assert_int_equal(f.flag1, MS_CHIP_MODE_LOADER); /* the last record (i = 31) */
    assert_int_equal(f.cos_len, 31);
    ms_flash_sim_close(&sim);
}

static void test_layouts_default_are_valid_and_gapped_has_gaps(void **state)
{
    (void)state;
    ms_flash_sim_t sim;
    assert_int_equal(ms_flash_sim_open(&sim, NULL, 128 * 1024, 1024, 16, 0xFF), MS_OK);
    ms_chip_layout_t c, g;
    assert_int_equal(ms_chip_layout_default(&sim.flash, false, &c), MS_OK);
    assert_int_equal(ms_chip_layout_default(&sim.flash, true, &g), MS_OK);
    assert_int_equal(c.loader_off, c.osstart_off + c.osstart_size);
    assert_int_equal(c.cos_off, c.loader_off + c.loader_size);
    assert_true(g.loader_off > g.osstart_off + g.osstart_size);
    assert_true(g.cos_off > g.loader_off + g.loader_size);
    assert_int_equal(g.flags_off, 127 * 1024);
    ms_chip_layout_t bad = c;
    bad.cos_off += 1;
    assert_int_equal(ms_chip_layout_check(&sim.flash, &bad), MS_ERR_ARG);
    bad = c;
    bad.flags_off -= 1024;
    assert_int_equal(ms_chip_layout_check(&sim.flash, &bad), MS_ERR_ARG);
    ms_flash_sim_close(&sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first16_encrypts_first_16_bytes_of_each_segment),
        cmocka_unit_test(test_first16_by_segment_count),
        cmocka_unit_test(test_progressive_window_moves_by_21_bytes),
        cmocka_unit_test(test_progressive_window_wraps_inside_segment),
        cmocka_unit_test(test_whole_rule_changes_every_byte_and_round_trips),
        cmocka_unit_test(test_any_chunking_gives_the_same_ciphertext),
        cmocka_unit_test(test_equal_plaintext_windows_encrypt_differently),
        cmocka_unit_test(test_rule_check_rejects_bad_parameters),
        cmocka_unit_test(test_rule_apply_refuses_range_past_image),
        cmocka_unit_test(test_package_header_round_trips),
        cmocka_unit_test(test_package_parse_rejects_bad_headers),
        cmocka_unit_test(test_licence_opens_on_its_chip_kdf3),
        cmocka_unit_test(test_licence_opens_on_its_chip_emv),
        cmocka_unit_test(test_licence_for_chip_a_fails_on_chip_b),
        cmocka_unit_test(test_licence_tampered_byte_fails),
        cmocka_unit_test(test_licence_for_other_package_is_key_mismatch),
        cmocka_unit_test(test_licence_parse_rejects_bad_length_and_magic),
        cmocka_unit_test(test_apdu_parser_cases),
        cmocka_unit_test(test_apdu_parser_rejects_inconsistent_lengths),
        cmocka_unit_test(test_torn_flag_write_keeps_previous_state),
        cmocka_unit_test(test_flag_sector_full_is_refused),
        cmocka_unit_test(test_layouts_default_are_valid_and_gapped_has_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
