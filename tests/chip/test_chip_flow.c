/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_chip_flow.c - the download through the APDU interface on simulated
 * flash (C1-C7): factory writes with each rule, method and layout; the COS's
 * first start, personalisation, and the 84 DE loader reload; and every
 * refusal the issue lists, each leaving the chip's state unchanged; replay
 * of a recorded SCP02 session, read faults on its counter, and no 84 DE key
 * left in RAM by the store.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chip_fixture.h"

static const ms_chip_rule_t whole = {MS_CHIP_RULE_WHOLE, 0, 0, 0};
static const ms_chip_rule_t first16 = {MS_CHIP_RULE_FIRST16, 0, 700, 0};
static const ms_chip_rule_t progressive = {MS_CHIP_RULE_PROGRESSIVE, 1, 80, 21};

static void assert_loader_state_unchanged(chip_fx_t *fx)
{
    ms_chip_flags_t f;
    assert_int_equal(ms_chip_flags_read(&fx->chip.fa_flags, &f), MS_OK);
    assert_int_equal(f.flag1, MS_CHIP_MODE_LOADER);
    assert_int_equal(f.flag2, MS_CHIP_STATE_INITIAL);
    assert_int_equal(f.seq, 0);
}

static void assert_booted_cos(chip_fx_t *fx)
{
    assert_int_equal(fx_reboot(fx), MS_OK);
    assert_int_equal(fx->chip.mode, MS_CHIP_RUN_COS);
    assert_true(fx_cos_in_flash(fx));
    assert_int_equal(fx->chip.flags.flag2, MS_CHIP_STATE_USER);
}

static void install(bool gaps, const ms_chip_rule_t *rule, int method, uint32_t len)
{
    chip_fx_t fx;
    ms_chip_report_t rep;
    fx_init(&fx, gaps, len, rule, method);
    assert_int_equal(fx_write(&fx, &rep), MS_OK);
    assert_string_equal(rep.step, "done");
    assert_int_equal(rep.sw, MS_SW_OK);
    assert_memory_equal(rep.uid, fx.uid, 10);
    /* Until the restart nothing but GET DATA is served. */
    assert_int_equal(fx_apdu_hex(&fx, "800E0000"), MS_SW_CONDITIONS);
    assert_booted_cos(&fx);
    /* Step 213: the loader area and the journal were erased. */
    int erased = 0;
    assert_int_equal(ms_flash_area_is_erased(&fx.chip.fa_loader, 0, fx.map.loader_size, &erased),
                     MS_OK);
    assert_true(erased);
    assert_int_equal(ms_flash_area_is_erased(&fx.chip.fa_journal, 0, fx.map.journal_size, &erased),
                     MS_OK);
    assert_true(erased);
    if (gaps) {
        ms_flash_area_t gap = {&fx.sim.flash, fx.map.osstart_size, FX_SECTOR};
        assert_int_equal(ms_flash_area_is_erased(&gap, 0, FX_SECTOR, &erased), MS_OK);
        assert_true(erased);
    }
    fx_free(&fx);
}

static void test_install_whole_kdf3_contiguous(void **s) { (void)s; install(false, &whole, MS_CHIP_DIV_KDF3, 20000); }
static void test_install_first16_emv_gapped(void **s) { (void)s; install(true, &first16, MS_CHIP_DIV_EMV, 20001); }
static void test_install_progressive_kdf3_gapped(void **s) { (void)s; install(true, &progressive, MS_CHIP_DIV_KDF3, 33333); }
static void test_install_progressive_emv_contiguous(void **s) { (void)s; install(false, &progressive, MS_CHIP_DIV_EMV, 4096); }

static void test_diversify_answers_kcvs_of_the_chip_keys(void **state)
{
    (void)state;
    chip_fx_t fx;
    ms_chip_report_t rep;
    fx_init(&fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
    assert_int_equal(fx_write(&fx, &rep), MS_OK);
    uint8_t k[16], kcv[3];
    assert_int_equal(ms_chip_diversify(MS_CHIP_DIV_KDF3, fx.mk_aes, fx.uid, MS_CHIP_KEY_MAC, k),
                     MS_OK);
    assert_int_equal(ms_chip_kcv(MS_CHIP_DIV_KDF3, k, kcv), MS_OK);
    assert_memory_equal(rep.kcv + 3, kcv, 3);
    fx_free(&fx);
}

/* Run the writer up to (not including) VERIFY by hand. */
static void send_header_and_licence(chip_fx_t *fx, const uint8_t *lic, uint16_t want_sw)
{
    uint8_t cmd[300] = {0x80, 0x0E, 0x00, 0x00};
    assert_int_equal(fx_apdu(fx, cmd, 4), MS_SW_OK);
    cmd[1] = 0xD2;
    cmd[4] = 80;
    memcpy(cmd + 5, fx->pkg, 80);
    cmd[85] = 4; /* Le: the resume point */
    assert_int_equal(fx_apdu(fx, cmd, 86), MS_SW_OK);
    cmd[1] = 0xD0;
    cmd[4] = 68;
    memcpy(cmd + 5, lic, 68);
    cmd[73] = 9; /* Le: the KCVs */
    assert_int_equal(fx_apdu(fx, cmd, 74), want_sw);
}

static uint16_t send_data(chip_fx_t *fx, uint32_t off, uint32_t n)
{
    uint8_t cmd[300] = {0x80, 0xD2, 0x01, 0x00, (uint8_t)(4 + n)};
    cmd[5] = (uint8_t)(off >> 24);
    cmd[6] = (uint8_t)(off >> 16);
    cmd[7] = (uint8_t)(off >> 8);
    cmd[8] = (uint8_t)off;
    /* Bytes past the package end (for the length tests) are zeros. */
    size_t have = off < fx->cos_len ? fx->cos_len - off : 0;
    memcpy(cmd + 9, fx->pkg + 80 + off, have < n ? have : n);
    cmd[9 + n] = 4; /* Le: the next offset */
    return fx_apdu(fx, cmd, 10 + n);
}

static void send_all_data(chip_fx_t *fx)
{
    for (uint32_t off = 0; off < fx->cos_len; off += 224) {
        uint32_t n = fx->cos_len - off < 224 ? fx->cos_len - off : 224;
        assert_int_equal(send_data(fx, off, n), MS_SW_OK);
    }
}

static uint16_t send_verify(chip_fx_t *fx, uint32_t crc, uint32_t x)
{
    uint8_t v[13] = {0x80, 0xD4, 0, 0, 8,
                     (uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc,
                     (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
    return fx_apdu(fx, v, sizeof v);
}

static void test_wrong_licence_is_refused_6a80(void **state)
{
    (void)state;
    chip_fx_t fx;
    fx_init(&fx, false, 2000, &whole, MS_CHIP_DIV_KDF3);
    uint8_t bad[68];
    memcpy(bad, fx.lic, 68);
    bad[0] = 'X';
    send_header_and_licence(&fx, bad, MS_SW_WRONG_DATA);
    assert_int_equal(send_data(&fx, 0, 224), MS_SW_CONDITIONS);
    assert_loader_state_unchanged(&fx);
    /* The right licence still works. */
    ms_chip_report_t rep;
    assert_int_equal(fx_write(&fx, &rep), MS_OK);
    fx_free(&fx);
}

static void test_other_chips_licence_is_refused_6982(void **state)
{
    (void)state;
    chip_fx_t fx;
    fx_init(&fx, false, 2000, &whole, MS_CHIP_DIV_KDF3);
    uint8_t other_uid[10], lic[68], id[16];
    memcpy(other_uid, fx.uid, 10);
    other_uid[9] ^= 0x55;
    assert_int_equal(ms_chip_pkg_id(fx.pkg, id), MS_OK);
    assert_int_equal(ms_chip_licence_issue(MS_CHIP_DIV_KDF3, fx.mk_aes, other_uid, id,
                                           fx.image_key, lic),
                     MS_OK);
    send_header_and_licence(&fx, lic, MS_SW_SECURITY);
    assert_int_equal(send_data(&fx, 0, 224), MS_SW_CONDITIONS);
    assert_loader_state_unchanged(&fx);
    /* Same with EMV / 3DES. */
    assert_int_equal(ms_chip_licence_issue(MS_CHIP_DIV_EMV, fx.mk_des, other_uid, id,
                                           fx.image_key, lic),
                     MS_OK);
    send_header_and_licence(&fx, lic, MS_SW_SECURITY);
    assert_loader_state_unchanged(&fx);
    fx_free(&fx);
}

static void test_licence_for_another_package_is_refused_6a80(void **state)
{
    (void)state;
    chip_fx_t fx;
    fx_init(&fx, false, 2000, &whole, MS_CHIP_DIV_KDF3);
    uint8_t lic[68], id[16] = {9, 9, 9};
    assert_int_equal(ms_chip_licence_issue(MS_CHIP_DIV_KDF3, fx.mk_aes, fx.uid, id, fx.image_key,
                                           lic),
                     MS_OK);
    send_header_and_licence(&fx, lic, MS_SW_WRONG_DATA);
    assert_loader_state_unchanged(&fx);
    fx_free(&fx);
}

static void test_tampered_body_is_refused_at_verify_6982(void **state)
{
    (void)state;
    chip_fx_t fx;
    ms_chip_report_t rep;
    /* A first16 package: flip a byte the rule leaves in clear (no window). */
    fx_init(&fx, false, 7000, &first16, MS_CHIP_DIV_KDF3);
    fx.pkg[80 + 1000] ^= 0x01;
    assert_int_not_equal(fx_write(&fx, &rep), MS_OK);
    assert_string_equal(rep.step, "verify");
    assert_int_equal(rep.sw, MS_SW_SECURITY);
    assert_loader_state_unchanged(&fx);
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_LOADER);
    /* The genuine package still installs. */
    fx.pkg[80 + 1000] ^= 0x01;
    fx.writer.no_resume = 1;
    assert_int_equal(fx_write(&fx, &rep), MS_OK);
    assert_booted_cos(&fx);
    fx_free(&fx);
}

static void test_tampered_header_breaks_the_licence_binding(void **state)
{
    (void)state;
    chip_fx_t fx;
    ms_chip_report_t rep;
    fx_init(&fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
    fx.pkg[23] ^= 0x01; /* the CRC field */
    assert_int_not_equal(fx_write(&fx, &rep), MS_OK);
    assert_string_equal(rep.step, "key diversify");
    assert_int_equal(rep.sw, MS_SW_WRONG_DATA);
    assert_loader_state_unchanged(&fx);
    fx_free(&fx);
}

static void test_foreign_package_with_own_licence_cannot_install(void **state)
{
    /* Someone packs their own COS under their own image key and forges a
     * licence without the master key: the licence MAC fails. */
    (void)state;
    chip_fx_t fx;
    fx_init(&fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
    uint8_t fake_mk[16] = {0}, lic[68], id[16];
    assert_int_equal(ms_chip_pkg_id(fx.pkg, id), MS_OK);
    assert_int_equal(ms_chip_licence_issue(MS_CHIP_DIV_KDF3, fake_mk, fx.uid, id, fx.image_key,
                                           lic),
                     MS_OK);
    send_header_and_licence(&fx, lic, MS_SW_SECURITY);
    assert_loader_state_unchanged(&fx);
    fx_free(&fx);
}

static void test_wrong_crc_is_refused_6a80_and_right_one_then_works(void **state)
{
    (void)state;
    chip_fx_t fx;
    fx_init(&fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
    send_header_and_licence(&fx, fx.lic, MS_SW_OK);
    send_all_data(&fx);
    ms_chip_pkg_header_t h;
    assert_int_equal(ms_chip_pkg_parse(fx.pkg, fx.pkg_len, &h), MS_OK);
    assert_int_equal(send_verify(&fx, h.crc32 ^ 1, h.xor32), MS_SW_WRONG_DATA);
    assert_int_equal(send_verify(&fx, h.crc32, h.xor32 ^ 0x100), MS_SW_WRONG_DATA);
    assert_loader_state_unchanged(&fx);
    assert_int_equal(send_verify(&fx, h.crc32, h.xor32), MS_SW_OK);
    assert_booted_cos(&fx);
    fx_free(&fx);
}

static void test_garbled_flash_content_is_refused_at_verify(void **state)
{
    (void)state;
    chip_fx_t fx;
    fx_init(&fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
    send_header_and_licence(&fx, fx.lic, MS_SW_OK);
    send_all_data(&fx);
    /* A bit the flash got wrong after programming. */
    uint8_t *p = &fx.sim.mem[fx.map.cos_off + 1234];
    *p ^= 0x10;
    ms_chip_pkg_header_t h;
    assert_int_equal(ms_chip_pkg_parse(fx.pkg, fx.pkg_len, &h), MS_OK);
    assert_int_equal(send_verify(&fx, h.crc32, h.xor32), MS_SW_SECURITY);
    assert_loader_state_unchanged(&fx);
    *p ^= 0x10;
    assert_int_equal(send_verify(&fx, h.crc32, h.xor32), MS_SW_OK);
    fx_free(&fx);
}

static void test_wrong_lengths_are_refused_6700(void **state)
{
    (void)state;
    chip_fx_t fx;
    fx_init(&fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
    uint8_t cmd[300] = {0x80, 0xD2, 0x00, 0x00, 79};
    memcpy(cmd + 5, fx.pkg, 79);
    assert_int_equal(fx_apdu(&fx, cmd, 84), MS_SW_WRONG_LENGTH);    /* short header */
    send_header_and_licence(&fx, fx.lic, MS_SW_OK);
    assert_int_equal(send_data(&fx, 0, 100), MS_SW_WRONG_LENGTH);   /* not a multiple of 32 */
    assert_int_equal(send_data(&fx, 2976, 64), MS_SW_WRONG_LENGTH); /* past the end */
    assert_int_equal(fx_apdu_hex(&fx, "80D2010003000000"), MS_SW_WRONG_LENGTH);
    assert_int_equal(fx_apdu_hex(&fx, "80D4000007 00000000000000"), MS_SW_WRONG_LENGTH);
    assert_int_equal(fx_apdu_hex(&fx, "80D0000010 00"), MS_SW_WRONG_LENGTH); /* Lc lies */
    assert_int_equal(fx_apdu_hex(&fx, "80"), MS_SW_WRONG_LENGTH);
    assert_int_equal(fx_apdu_hex(&fx, "800E000001AA"), MS_SW_WRONG_LENGTH);
    assert_loader_state_unchanged(&fx);
    fx_free(&fx);
}

static void test_out_of_order_commands_are_refused(void **state)
{
    (void)state;
    chip_fx_t fx;
    fx_init(&fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
    uint8_t lic[73] = {0x80, 0xD0, 0, 0, 68};
    memcpy(lic + 5, fx.lic, 68);
    assert_int_equal(fx_apdu(&fx, lic, sizeof lic), MS_SW_CONDITIONS); /* no header yet */
    assert_int_equal(send_data(&fx, 0, 224), MS_SW_CONDITIONS);
    assert_int_equal(send_verify(&fx, 0, 0), MS_SW_CONDITIONS);
    send_header_and_licence(&fx, fx.lic, MS_SW_OK);
    assert_int_equal(send_data(&fx, 224, 224), MS_SW_WRONG_DATA);       /* skips a block */
    assert_int_equal(send_data(&fx, 0, 224), MS_SW_OK);
    ms_chip_pkg_header_t h;
    assert_int_equal(ms_chip_pkg_parse(fx.pkg, fx.pkg_len, &h), MS_OK);
    assert_int_equal(send_verify(&fx, h.crc32, h.xor32), MS_SW_CONDITIONS); /* not all sent */
    assert_loader_state_unchanged(&fx);
    fx_free(&fx);
}

static void test_unknown_commands_answer_6d00_6e00_6a86(void **state)
{
    (void)state;
    chip_fx_t fx;
    fx_init(&fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
    assert_int_equal(fx_apdu_hex(&fx, "00A4040007A0000000030000"), MS_SW_INS_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "00840000 08"), MS_SW_INS_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "FFCA000000"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "B00E0000"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "000E0000"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "800E0100"), MS_SW_WRONG_P1P2);
    assert_int_equal(fx_apdu_hex(&fx, "80D2020001 00"), MS_SW_WRONG_P1P2);
    assert_int_equal(fx_apdu_hex(&fx, "80CA00FF00"), MS_SW_DATA_NOT_FOUND);
    assert_int_equal(fx_apdu_hex(&fx, "80CA000100"), MS_SW_OK);
    assert_int_equal(fx.rlen, 10);
    assert_memory_equal(fx.rsp, fx.uid, 10);
    assert_int_equal(fx_apdu_hex(&fx, "80CA000200"), MS_SW_OK);
    assert_int_equal(fx.rsp[0], MS_CHIP_MODE_LOADER);
    assert_int_equal(fx.rsp[2], MS_CHIP_RUN_LOADER);
    assert_loader_state_unchanged(&fx);
    fx_free(&fx);
}

static void cos_chip(chip_fx_t *fx)
{
    ms_chip_report_t rep;
    fx_init(fx, false, 5000, &first16, MS_CHIP_DIV_KDF3);
    assert_int_equal(fx_write(fx, &rep), MS_OK);
    assert_booted_cos(fx);
}

static void assert_cos_state_unchanged(chip_fx_t *fx, uint32_t seq)
{
    ms_chip_flags_t f;
    assert_int_equal(ms_chip_flags_read(&fx->chip.fa_flags, &f), MS_OK);
    assert_int_equal(f.flag1, MS_CHIP_MODE_COS);
    assert_int_equal(f.flag2, MS_CHIP_STATE_USER);
    assert_int_equal(f.seq, seq);
    assert_true(fx_cos_in_flash(fx));
}

static void test_plain_download_in_cos_mode_is_refused(void **state)
{
    (void)state;
    chip_fx_t fx;
    cos_chip(&fx);
    uint32_t seq = fx.chip.flags.seq;
    /* The loader's commands do not exist in COS mode. */
    assert_int_equal(fx_apdu_hex(&fx, "800E0000"), MS_SW_INS_UNKNOWN);
    uint8_t cmd[300] = {0x80, 0xD2, 0x00, 0x00, 80};
    memcpy(cmd + 5, fx.pkg, 80);
    assert_int_equal(fx_apdu(&fx, cmd, 85), MS_SW_INS_UNKNOWN);
    uint8_t lic[73] = {0x80, 0xD0, 0, 0, 68};
    memcpy(lic + 5, fx.lic, 68);
    assert_int_equal(fx_apdu(&fx, lic, sizeof lic), MS_SW_INS_UNKNOWN);
    assert_int_equal(send_data(&fx, 0, 224), MS_SW_INS_UNKNOWN);
    assert_int_equal(send_verify(&fx, 0, 0), MS_SW_INS_UNKNOWN);
    /* 84 DE without secure messaging or without a session. */
    assert_int_equal(fx_apdu_hex(&fx, "80DE000004 00000000"), MS_SW_SECURITY);
    assert_int_equal(fx_apdu_hex(&fx, "84DE000004 00000000"), MS_SW_CONDITIONS);
    /* The factory writer: the same COS again is "already installed"; another
     * COS meets a chip that already has one. */
    ms_chip_report_t rep;
    assert_int_equal(fx_write(&fx, &rep), MS_OK);
    assert_string_equal(rep.step, "already installed");
    fx.pkg[20] ^= 1; /* a package whose COS has another CRC */
    assert_int_not_equal(fx_write(&fx, &rep), MS_OK);
    assert_string_equal(rep.step, "mode (chip already has a COS)");
    assert_cos_state_unchanged(&fx, seq);
    fx_free(&fx);
}

static void test_cos_personalisation_store_and_get_data(void **state)
{
    (void)state;
    chip_fx_t fx;
    cos_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "00A4040C0A A000000647 4D53434F53"), MS_SW_OK);
    assert_int_equal(fx_apdu_hex(&fx, "00A4040005 A000000001"), MS_SW_FILE_NOT_FOUND);
    /* Pre-personalisation DGI 0101, personalisation DGIs 0201 and 0202. */
    assert_int_equal(fx_apdu_hex(&fx, "80E200000B 0101 03 AABBCC 0201 02 1122"), MS_SW_OK);
    assert_int_equal(fx_apdu_hex(&fx, "80E2800005 0202 02 3344"), MS_SW_OK);
    assert_int_equal(fx_apdu_hex(&fx, "80E2000005 0201 02 5566"), MS_SW_OK); /* update */
    assert_int_equal(fx_apdu_hex(&fx, "80CA010100"), MS_SW_OK);
    assert_int_equal(fx.rlen, 3);
    assert_int_equal(fx.rsp[2], 0xCC);
    assert_int_equal(fx_apdu_hex(&fx, "80CA020100"), MS_SW_OK);
    assert_int_equal(fx.rsp[0], 0x55);
    assert_int_equal(fx_apdu_hex(&fx, "80CA030300"), MS_SW_DATA_NOT_FOUND);
    /* Internal records are neither readable nor writable. */
    assert_int_equal(fx_apdu_hex(&fx, "80CA7F0100"), MS_SW_DATA_NOT_FOUND);
    assert_int_equal(fx_apdu_hex(&fx, "80E2000004 7F01 01 00"), MS_SW_WRONG_DATA);
    /* A DGI running past Lc writes nothing. */
    assert_int_equal(fx_apdu_hex(&fx, "80E2000007 0303 01 AA 0304 09"), MS_SW_WRONG_LENGTH);
    assert_int_equal(fx_apdu_hex(&fx, "80CA030300"), MS_SW_DATA_NOT_FOUND);
    /* Survives a restart. */
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx_apdu_hex(&fx, "80CA020200"), MS_SW_OK);
    assert_int_equal(fx.rsp[1], 0x44);
    fx_free(&fx);
}

/* True if the 16 bytes of key appear anywhere in buf. */
static bool holds_key(const uint8_t *buf, size_t len, const uint8_t key[16])
{
    for (size_t i = 0; i + 16 <= len; i++) {
        if (memcmp(buf + i, key, 16) == 0) {
            return true;
        }
    }
    return false;
}

static void test_reading_the_store_leaves_no_84de_keys_in_ram(void **state)
{
    (void)state;
    chip_fx_t fx;
    uint8_t enc[16], mac[16];
    cos_chip(&fx);
    fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
    /* Any GET DATA or STORE DATA walks the store, key record included. */
    assert_int_equal(fx_apdu_hex(&fx, "80CA010100"), MS_SW_DATA_NOT_FOUND);
    assert_false(holds_key(fx.chip.work, sizeof fx.chip.work, enc));
    assert_false(holds_key(fx.chip.work, sizeof fx.chip.work, mac));
    assert_int_equal(fx_apdu_hex(&fx, "80E2000004 0101 01 00"), MS_SW_OK);
    assert_false(holds_key(fx.chip.work, sizeof fx.chip.work, enc));
    assert_false(holds_key(fx.chip.work, sizeof fx.chip.work, mac));
    /* And after INITIALIZE UPDATE, which reads the keys themselves. */
    assert_int_equal(fx_apdu_hex(&fx, "8050000008 0102030405060708 00"), MS_SW_OK);
    assert_false(holds_key(fx.chip.work, sizeof fx.chip.work, enc));
    assert_false(holds_key(fx.chip.work, sizeof fx.chip.work, mac));
    fx_free(&fx);
}

/* A transport that can record, replay or corrupt 84 DE commands. */
typedef struct tap {
    chip_fx_t *fx;
    int corrupt_de;        /* flip a MAC bit in the n-th 84 DE (1-based) */
    int de_seen;
    uint8_t first_de[300];
    size_t first_de_len;
} tap_t;

static ms_err_t tap_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                             size_t *rlen)
{
    tap_t *t = ctx;
    uint8_t c[300];
    memcpy(c, cmd, n);
    if (c[0] == 0x84 && c[1] == 0xDE) {
        t->de_seen++;
        if (t->de_seen == 1) {
            memcpy(t->first_de, c, n);
            t->first_de_len = n;
        }
        if (t->de_seen == t->corrupt_de) {
            c[n - 1] ^= 0x01;
        }
    }
    return fx_transmit(t->fx, c, n, rsp, cap, rlen);
}

static void reload_and_redownload(ms_chip_scp_t scp)
{
    chip_fx_t fx;
    uint8_t enc[16], mac[16];
    uint16_t sw = 0;
    cos_chip(&fx);
    fx_cos_keys(&fx, scp, enc, mac);
    tap_t t = {&fx, 0, 0, {0}, 0};
    assert_int_equal(ms_chip_factory_reload_loader(tap_transmit, &t, scp, enc, mac, fx.loader,
                                                   fx.loader_len, &sw),
                     MS_OK);
    assert_int_equal(sw, MS_SW_OK);
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_LOADER);
    /* Downloadable again (C5 end to end). */
    ms_chip_report_t rep;
    assert_int_equal(fx_write(&fx, &rep), MS_OK);
    assert_booted_cos(&fx);
    fx_free(&fx);
}

static void test_84de_reloads_loader_scp03_then_cos_downloads_again(void **s) { (void)s; reload_and_redownload(MS_CHIP_SCP03); }
static void test_84de_reloads_loader_scp02_then_cos_downloads_again(void **s) { (void)s; reload_and_redownload(MS_CHIP_SCP02); }

/* INITIALIZE UPDATE (SCP03-style) with this host challenge, and the host's
 * side of the session over the card challenge the chip answered. */
static void open_scp03(chip_fx_t *fx, const uint8_t host[8], const uint8_t enc[16],
                       const uint8_t mac[16], ms_chip_session_t *s)
{
    uint8_t iu[14] = {0x80, 0x50, 0, 0, 8};
    memcpy(iu + 5, host, 8);
    assert_int_equal(fx_apdu(fx, iu, sizeof iu), MS_SW_OK);
    assert_int_equal(ms_chip_session_open(s, MS_CHIP_SCP03, enc, mac, host, fx->rsp + 13, 8, 0,
                                          NULL),
                     MS_OK);
}

static void test_84de_with_bad_mac_is_refused_6982(void **state)
{
    (void)state;
    chip_fx_t fx;
    uint8_t enc[16], mac[16];
    uint16_t sw = 0;
    cos_chip(&fx);
    uint32_t seq = fx.chip.flags.seq;
    fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
    tap_t t = {&fx, 3, 0, {0}, 0};
    assert_int_not_equal(ms_chip_factory_reload_loader(tap_transmit, &t, MS_CHIP_SCP03, enc, mac,
                                                       fx.loader, fx.loader_len, &sw),
                         MS_OK);
    assert_int_equal(sw, MS_SW_SECURITY);
    /* The session is closed after a bad MAC. */
    assert_int_equal(fx_apdu(&fx, t.first_de, t.first_de_len), MS_SW_CONDITIONS);
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
    assert_cos_state_unchanged(&fx, seq);
    fx_free(&fx);
}

static void test_84de_with_wrong_keys_fails_cryptogram_and_mac(void **state)
{
    (void)state;
    chip_fx_t fx;
    uint8_t enc[16], mac[16];
    uint16_t sw = 0;
    cos_chip(&fx);
    uint32_t seq = fx.chip.flags.seq;
    fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
    mac[0] ^= 1;
    /* The host rejects the card cryptogram (wrong keys on one side). */
    assert_int_equal(ms_chip_factory_reload_loader(fx_transmit, &fx, MS_CHIP_SCP03, enc, mac,
                                                   fx.loader, fx.loader_len, &sw),
                     MS_ERR_AUTH);
    /* Forcing commands under the wrong keys: the card refuses with 6982. */
    ms_chip_session_t s;
    static const uint8_t host[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    open_scp03(&fx, host, enc, mac, &s);
    uint8_t cmd[300];
    size_t n = 0;
    assert_int_equal(ms_chip_session_wrap_dl(&s, MS_CHIP_DL_FIRST, 0, fx.loader, 224, cmd,
                                             sizeof cmd, &n),
                     MS_OK);
    assert_int_equal(fx_apdu(&fx, cmd, n), MS_SW_SECURITY);
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_cos_state_unchanged(&fx, seq);
    fx_free(&fx);
}

static void test_replayed_84de_is_refused_6982(void **state)
{
    (void)state;
    chip_fx_t fx;
    uint8_t enc[16], mac[16];
    cos_chip(&fx);
    uint32_t seq = fx.chip.flags.seq;
    fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
    /* Session 1: the first block goes through; replaying it in the same
     * session fails (the MAC chain moved on). */
    ms_chip_session_t s;
    static const uint8_t host[8] = {8, 7, 6, 5, 4, 3, 2, 1};
    open_scp03(&fx, host, enc, mac, &s);
    uint8_t first[300];
    size_t n = 0;
    assert_int_equal(ms_chip_session_wrap_dl(&s, MS_CHIP_DL_FIRST, 0, fx.loader, 224, first,
                                             sizeof first, &n),
                     MS_OK);
    assert_int_equal(fx_apdu(&fx, first, n), MS_SW_OK);
    assert_int_equal(fx_apdu(&fx, first, n), MS_SW_SECURITY);
    /* Session 2 (same host challenge, new card challenge): still refused. */
    open_scp03(&fx, host, enc, mac, &s);
    assert_int_equal(fx_apdu(&fx, first, n), MS_SW_SECURITY);
    /* After a restart, too. */
    assert_int_equal(fx_reboot(&fx), MS_OK);
    open_scp03(&fx, host, enc, mac, &s);
    assert_int_equal(fx_apdu(&fx, first, n), MS_SW_SECURITY);
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_cos_state_unchanged(&fx, seq);
    fx_free(&fx);
}

static void test_scp02_sequence_counter_moves_every_session(void **state)
{
    (void)state;
    chip_fx_t fx;
    cos_chip(&fx);
    uint16_t prev = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fx_apdu_hex(&fx, "8050020008 0102030405060708 00"), MS_SW_OK);
        assert_int_equal(fx.rlen, 28);
        assert_int_equal(fx.rsp[11], 0x02);
        uint16_t seq = (uint16_t)(fx.rsp[12] << 8 | fx.rsp[13]);
        assert_true(seq > prev);
        prev = seq;
        assert_int_equal(fx_reboot(&fx), MS_OK);
    }
    fx_free(&fx);
}

/* A flash device that fails its fail_at-th read (a glitch or a marginal
 * cell); everything else goes to the simulator underneath. */
typedef struct read_fault {
    ms_flash_t f;
    const ms_flash_t *inner;
    uint64_t reads;
    uint64_t fail_at;
} read_fault_t;

static ms_err_t rf_read(void *dev, uint32_t off, void *buf, size_t len)
{
    read_fault_t *rf = dev;
    if (++rf->reads == rf->fail_at) {
        return MS_ERR_IO;
    }
    return rf->inner->ops->read(rf->inner->dev, off, buf, len);
}

static ms_err_t rf_write(void *dev, uint32_t off, const void *buf, size_t len)
{
    read_fault_t *rf = dev;
    return rf->inner->ops->write(rf->inner->dev, off, buf, len);
}

static ms_err_t rf_erase(void *dev, uint32_t off, size_t len)
{
    read_fault_t *rf = dev;
    return rf->inner->ops->erase(rf->inner->dev, off, len);
}

static const struct ms_flash_ops rf_ops = {rf_read, rf_write, rf_erase};

static void test_scp02_counter_never_reused_when_a_flash_read_fails(void **state)
{
    (void)state;
    chip_fx_t fx;
    cos_chip(&fx);
    read_fault_t rf;
    rf.f = fx.sim.flash;
    rf.f.ops = &rf_ops;
    rf.f.dev = &rf;
    rf.inner = &fx.sim.flash;
    assert_int_equal(fx_apdu_hex(&fx, "8050020008 0102030405060708 00"), MS_SW_OK);
    uint16_t prev = (uint16_t)(fx.rsp[12] << 8 | fx.rsp[13]);
    unsigned refused = 0;
    /* A read fault at each read of INITIALIZE UPDATE in turn: the chip may
     * refuse, but a session it opens never has a counter already used (the
     * SCP02 session keys depend on the counter alone: a reused one lets a
     * recorded 84 DE session be replayed). */
    for (uint64_t f = 1;; f++) {
        rf.reads = 0;
        rf.fail_at = 0;
        assert_int_equal(ms_chip_boot(&fx.chip, &rf.f, &fx.map), MS_OK);
        assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
        rf.fail_at = rf.reads + f;
        uint16_t sw = fx_apdu_hex(&fx, "8050020008 0102030405060708 00");
        if (sw == MS_SW_OK) {
            uint16_t seq = (uint16_t)(fx.rsp[12] << 8 | fx.rsp[13]);
            assert_true(seq > prev);
            prev = seq;
        } else {
            refused++;
        }
        if (rf.reads < rf.fail_at) {
            break; /* the fault fell after the command: every read was tried */
        }
    }
    assert_true(refused > 0);
    assert_int_equal(fx_reboot(&fx), MS_OK);
    fx_free(&fx);
}

/* A transport that records every 84 DE command (an eavesdropper). */
typedef struct recorder {
    chip_fx_t *fx;
    uint8_t cmd[16][300];
    size_t len[16];
    int n;
} recorder_t;

static ms_err_t rec_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                             size_t *rlen)
{
    recorder_t *t = ctx;
    if (cmd[0] == 0x84 && cmd[1] == 0xDE && t->n < 16 && n <= sizeof t->cmd[0]) {
        memcpy(t->cmd[t->n], cmd, n);
        t->len[t->n++] = n;
    }
    return fx_transmit(t->fx, cmd, n, rsp, cap, rlen);
}

static void test_recorded_scp02_reload_cannot_be_replayed_after_a_new_download(void **state)
{
    (void)state;
    chip_fx_t fx;
    uint8_t enc[16], mac[16];
    uint16_t sw = 0;
    ms_chip_report_t rep;
    static recorder_t t;
    cos_chip(&fx);
    fx_cos_keys(&fx, MS_CHIP_SCP02, enc, mac);
    memset(&t, 0, sizeof t);
    t.fx = &fx;
    assert_int_equal(ms_chip_factory_reload_loader(rec_transmit, &t, MS_CHIP_SCP02, enc, mac,
                                                   fx.loader, fx.loader_len, &sw),
                     MS_OK);
    assert_true(t.n >= 2);
    /* The vendor reloads, the factory downloads the COS again (ERASE wipes
     * the COS data area). */
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_LOADER);
    assert_int_equal(fx_write(&fx, &rep), MS_OK);
    assert_booted_cos(&fx);
    uint32_t seq = fx.chip.flags.seq;
    /* An eavesdropper opens an SCP02 session and replays the recording. */
    assert_int_equal(fx_apdu_hex(&fx, "8050020008 0102030405060708 00"), MS_SW_OK);
    assert_int_equal(fx_apdu(&fx, t.cmd[0], t.len[0]), MS_SW_SECURITY);
    for (int i = 1; i < t.n; i++) {
        assert_int_not_equal(fx_apdu(&fx, t.cmd[i], t.len[i]), MS_SW_OK);
    }
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
    assert_cos_state_unchanged(&fx, seq);
    fx_free(&fx);
}

static void test_84de_with_wrong_loader_hash_keeps_cos_mode(void **state)
{
    (void)state;
    chip_fx_t fx;
    uint8_t enc[16], mac[16];
    cos_chip(&fx);
    uint32_t seq = fx.chip.flags.seq;
    fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
    ms_chip_session_t s;
    static const uint8_t host[8] = {0};
    open_scp03(&fx, host, enc, mac, &s);
    uint8_t cmd[300], plain[48] = {0};
    size_t n = 0;
    for (size_t off = 0; off < fx.loader_len; off += 224) {
        size_t k = fx.loader_len - off < 224 ? fx.loader_len - off : 224;
        assert_int_equal(ms_chip_session_wrap_dl(&s, off == 0 ? MS_CHIP_DL_FIRST : 0,
                                                 (uint32_t)off, fx.loader + off, k, cmd,
                                                 sizeof cmd, &n),
                         MS_OK);
        assert_int_equal(fx_apdu(&fx, cmd, n), MS_SW_OK);
    }
    plain[2] = (uint8_t)(fx.loader_len >> 8);
    plain[3] = (uint8_t)fx.loader_len;
    memset(plain + 4, 0xAB, 32); /* not the loader's hash */
    assert_int_equal(ms_chip_session_wrap_dl(&s, MS_CHIP_DL_LAST, 0, plain, 48, cmd, sizeof cmd,
                                             &n),
                     MS_OK);
    assert_int_equal(fx_apdu(&fx, cmd, n), MS_SW_MEMORY_FAILURE);
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
    assert_cos_state_unchanged(&fx, seq);
    fx_free(&fx);
}

static void test_corrupted_cos_after_install_makes_chip_mute(void **state)
{
    (void)state;
    chip_fx_t fx;
    cos_chip(&fx);
    fx.sim.mem[fx.map.cos_off + 100] ^= 0x01;
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_MUTE);
    assert_int_equal(fx_apdu_hex(&fx, "80E2000004 0101 01 00"), MS_SW_CONDITIONS);
    assert_int_equal(fx_apdu_hex(&fx, "80CA000100"), MS_SW_OK);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install_whole_kdf3_contiguous),
        cmocka_unit_test(test_install_first16_emv_gapped),
        cmocka_unit_test(test_install_progressive_kdf3_gapped),
        cmocka_unit_test(test_install_progressive_emv_contiguous),
        cmocka_unit_test(test_diversify_answers_kcvs_of_the_chip_keys),
        cmocka_unit_test(test_wrong_licence_is_refused_6a80),
        cmocka_unit_test(test_other_chips_licence_is_refused_6982),
        cmocka_unit_test(test_licence_for_another_package_is_refused_6a80),
        cmocka_unit_test(test_tampered_body_is_refused_at_verify_6982),
        cmocka_unit_test(test_tampered_header_breaks_the_licence_binding),
        cmocka_unit_test(test_foreign_package_with_own_licence_cannot_install),
        cmocka_unit_test(test_wrong_crc_is_refused_6a80_and_right_one_then_works),
        cmocka_unit_test(test_garbled_flash_content_is_refused_at_verify),
        cmocka_unit_test(test_wrong_lengths_are_refused_6700),
        cmocka_unit_test(test_out_of_order_commands_are_refused),
        cmocka_unit_test(test_unknown_commands_answer_6d00_6e00_6a86),
        cmocka_unit_test(test_plain_download_in_cos_mode_is_refused),
        cmocka_unit_test(test_cos_personalisation_store_and_get_data),
        cmocka_unit_test(test_reading_the_store_leaves_no_84de_keys_in_ram),
        cmocka_unit_test(test_84de_reloads_loader_scp03_then_cos_downloads_again),
        cmocka_unit_test(test_84de_reloads_loader_scp02_then_cos_downloads_again),
        cmocka_unit_test(test_84de_with_bad_mac_is_refused_6982),
        cmocka_unit_test(test_84de_with_wrong_keys_fails_cryptogram_and_mac),
        cmocka_unit_test(test_replayed_84de_is_refused_6982),
        cmocka_unit_test(test_scp02_sequence_counter_moves_every_session),
        cmocka_unit_test(test_scp02_counter_never_reused_when_a_flash_read_fails),
        cmocka_unit_test(test_recorded_scp02_reload_cannot_be_replayed_after_a_new_download),
        cmocka_unit_test(test_84de_with_wrong_loader_hash_keeps_cos_mode),
        cmocka_unit_test(test_corrupted_cos_after_install_makes_chip_mute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
