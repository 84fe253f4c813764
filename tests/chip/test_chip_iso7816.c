/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_chip_iso7816.c - the chip as PC/SC clients see it (ISO/IEC 7816-4
 * and the T=0 rules of ISO/IEC 7816-3): Le honoured in every case (no data
 * without Le, 61xx + GET RESPONSE, 6Cxx when Le is too short, short and
 * extended encodings), a refused command changes nothing, the classes each
 * command accepts, SELECT's P2, STORE DATA out of space, a failed 84 DE
 * command closing the session, and the factory writer over a T=0 reader.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "chip_fixture.h"

static const ms_chip_rule_t whole = {MS_CHIP_RULE_WHOLE, 0, 0, 0};

static const char cos_aid[] = "A0000006474D53434F53";

static void loader_chip(chip_fx_t *fx)
{
    fx_init(fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
}

static void cos_chip(chip_fx_t *fx)
{
    ms_chip_report_t rep;
    fx_init(fx, false, 3000, &whole, MS_CHIP_DIV_KDF3);
    assert_int_equal(fx_write(fx, &rep), MS_OK);
    assert_int_equal(fx_reboot(fx), MS_OK);
    assert_int_equal(fx->chip.mode, MS_CHIP_RUN_COS);
}

/* Flash writes and erases so far (a refused command must add none). */
static uint64_t flash_changes(const chip_fx_t *fx)
{
    return fx->sim.writes + fx->sim.erases;
}

/* GET DATA progress: flags byte (1 header, 2 key, 4 journal) and cursor. */
static void progress(chip_fx_t *fx, uint8_t *flags, uint32_t *cursor)
{
    assert_int_equal(fx_apdu_hex(fx, "80CA000300"), MS_SW_OK);
    assert_int_equal(fx->rlen, 33);
    *flags = fx->rsp[16];
    *cursor = (uint32_t)fx->rsp[0] << 24 | (uint32_t)fx->rsp[1] << 16 |
              (uint32_t)fx->rsp[2] << 8 | fx->rsp[3];
}

/* DECRYPT header (80 D2 00 00 50 hdr) followed by le_bytes (0, 1 or 3). */
static uint16_t send_header(chip_fx_t *fx, const uint8_t *le_bytes, size_t le_len)
{
    uint8_t cmd[7 + 80 + 3] = {0x80, 0xD2, 0x00, 0x00, 80};
    memcpy(cmd + 5, fx->pkg, 80);
    if (le_len != 0) {
        memcpy(cmd + 85, le_bytes, le_len);
    }
    return fx_apdu(fx, cmd, 85 + le_len);
}

/* KEY DIVERSIFY with this chip's licence, then Le (if le_len). */
static uint16_t send_licence(chip_fx_t *fx, const uint8_t *le_bytes, size_t le_len)
{
    uint8_t cmd[5 + 68 + 1] = {0x80, 0xD0, 0x00, 0x00, 68};
    memcpy(cmd + 5, fx->lic, 68);
    if (le_len != 0) {
        memcpy(cmd + 73, le_bytes, le_len);
    }
    return fx_apdu(fx, cmd, 73 + le_len);
}

/* DECRYPT data of the first 224 bytes, then Le (if le_len). */
static uint16_t send_first_block(chip_fx_t *fx, const uint8_t *le_bytes, size_t le_len)
{
    uint8_t cmd[5 + 228 + 1] = {0x80, 0xD2, 0x01, 0x00, 228, 0, 0, 0, 0};
    memcpy(cmd + 9, fx->pkg + 80, 224);
    if (le_len != 0) {
        memcpy(cmd + 233, le_bytes, le_len);
    }
    return fx_apdu(fx, cmd, 233 + le_len);
}

static const uint8_t le00[1] = {0x00};

/* ---- Le: case 1 and 3 carry no data; 61xx and GET RESPONSE ---------------- */

static void test_case1_with_data_answers_61xx_and_no_data(void **state)
{
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001"), 0x610A); /* serial: 10 bytes */
    assert_int_equal(fx.rlen, 0);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0002"), 0x610B); /* mode: 11 bytes */
    assert_int_equal(fx.rlen, 0);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0003"), 0x6121); /* progress: 33 bytes */
    assert_int_equal(fx.rlen, 0);
    fx_free(&fx);
}

static void test_get_response_fetches_the_held_data_once(void **state)
{
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001"), 0x610A);
    assert_int_equal(fx_apdu_hex(&fx, "00C000000A"), MS_SW_OK);
    assert_int_equal(fx.rlen, 10);
    assert_memory_equal(fx.rsp, fx.uid, 10);
    assert_int_equal(fx_apdu_hex(&fx, "00C000000A"), MS_SW_CONDITIONS); /* nothing held */
    assert_int_equal(fx.rlen, 0);
    fx_free(&fx);
}

static void test_get_response_with_short_le_returns_part_then_61xx(void **state)
{
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001"), 0x610A);
    assert_int_equal(fx_apdu_hex(&fx, "00C0000004"), 0x6106);
    assert_int_equal(fx.rlen, 4);
    assert_memory_equal(fx.rsp, fx.uid, 4);
    assert_int_equal(fx_apdu_hex(&fx, "00C0000000"), MS_SW_OK); /* Le 00: up to 256 */
    assert_int_equal(fx.rlen, 6);
    assert_memory_equal(fx.rsp, fx.uid + 4, 6);
    fx_free(&fx);
}

static void test_any_other_command_drops_the_held_data(void **state)
{
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001"), 0x610A);
    assert_int_equal(fx_apdu_hex(&fx, "80CA000200"), MS_SW_OK);
    assert_int_equal(fx_apdu_hex(&fx, "00C000000A"), MS_SW_CONDITIONS);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001"), 0x610A);
    assert_int_equal(fx_apdu_hex(&fx, "80"), MS_SW_WRONG_LENGTH); /* even a malformed one */
    assert_int_equal(fx_apdu_hex(&fx, "00C000000A"), MS_SW_CONDITIONS);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001"), 0x610A);
    assert_int_equal(fx_reboot(&fx), MS_OK); /* and a restart */
    assert_int_equal(fx_apdu_hex(&fx, "00C000000A"), MS_SW_CONDITIONS);
    fx_free(&fx);
}

static void test_get_response_refuses_bad_parameters(void **state)
{
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001"), 0x610A);
    assert_int_equal(fx_apdu_hex(&fx, "00C001000A"), MS_SW_WRONG_P1P2);
    assert_int_equal(fx_apdu_hex(&fx, "80C000000A"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "84C000000A"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "00C00000"), MS_SW_WRONG_LENGTH);  /* no Le */
    assert_int_equal(fx_apdu_hex(&fx, "00C0000001AA"), MS_SW_WRONG_LENGTH); /* data */
    /* None of those consumed the held data. */
    assert_int_equal(fx_apdu_hex(&fx, "00C000000A"), MS_SW_OK);
    assert_memory_equal(fx.rsp, fx.uid, 10);
    fx_free(&fx);
}

static void test_case3_with_data_is_carried_out_and_answers_61xx(void **state)
{
    /* T=0 carries a case 4 command without its Le (ISO 7816-3): the
     * command runs, and its answer waits for GET RESPONSE. */
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "800E0000"), MS_SW_OK);
    assert_int_equal(send_header(&fx, NULL, 0), 0x6104);
    assert_int_equal(fx.rlen, 0);
    assert_int_equal(fx_apdu_hex(&fx, "00C0000004"), MS_SW_OK);
    assert_int_equal(fx.rlen, 4);
    assert_memory_equal(fx.rsp, "\0\0\0\0", 4); /* resume point 0 */
    assert_int_equal(send_licence(&fx, NULL, 0), 0x6109);
    assert_int_equal(send_first_block(&fx, NULL, 0), 0x6104);
    uint8_t flags;
    uint32_t cursor;
    progress(&fx, &flags, &cursor);
    assert_int_equal(flags & 7, 7);
    assert_int_equal(cursor, 224);
    fx_free(&fx);
}

static void test_commands_without_data_answer_9000_with_or_without_le(void **state)
{
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "800E0000"), MS_SW_OK);
    assert_int_equal(fx.rlen, 0);
    assert_int_equal(fx_apdu_hex(&fx, "800E000000"), MS_SW_OK); /* case 2: Ne > 0 = Nx */
    assert_int_equal(fx.rlen, 0);
    fx_free(&fx);
}

/* ---- Le: case 2 and 4 ----------------------------------------------------- */

static void test_le_shorter_than_the_data_answers_6cxx_with_the_length(void **state)
{
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "80CA000105"), 0x6C0A);
    assert_int_equal(fx.rlen, 0);
    assert_int_equal(fx_apdu_hex(&fx, "80CA000101"), 0x6C0A);
    assert_int_equal(fx_apdu_hex(&fx, "80CA00010A"), MS_SW_OK); /* re-sent with Le = 0A */
    assert_int_equal(fx.rlen, 10);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001FF"), MS_SW_OK); /* Ne > Nx: Nx bytes */
    assert_int_equal(fx.rlen, 10);
    assert_int_equal(fx_apdu_hex(&fx, "80CA000200"), MS_SW_OK); /* Le 00 = 256 */
    assert_int_equal(fx.rlen, 11);
    fx_free(&fx);
}

static void test_short_le_on_a_state_changing_command_changes_nothing(void **state)
{
    /* 6Cxx asks the reader to send the same command again: the first one
     * must not have acted, or it would act twice. */
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    static const uint8_t le1[1] = {0x01};
    uint8_t flags;
    uint32_t cursor;
    assert_int_equal(fx_apdu_hex(&fx, "800E0000"), MS_SW_OK);
    uint64_t before = flash_changes(&fx);
    assert_int_equal(send_header(&fx, le1, 1), 0x6C04);
    assert_int_equal(flash_changes(&fx), before); /* no journal record */
    progress(&fx, &flags, &cursor);
    assert_int_equal(flags, 0);
    assert_int_equal(send_header(&fx, le00, 1), MS_SW_OK);
    assert_int_equal(fx.rlen, 4);
    assert_int_equal(send_licence(&fx, le1, 1), 0x6C09);
    progress(&fx, &flags, &cursor);
    assert_int_equal(flags & 2, 0); /* no key */
    assert_int_equal(send_licence(&fx, le00, 1), MS_SW_OK);
    assert_int_equal(fx.rlen, 9);
    before = flash_changes(&fx);
    assert_int_equal(send_first_block(&fx, le1, 1), 0x6C04);
    assert_int_equal(flash_changes(&fx), before); /* nothing written */
    progress(&fx, &flags, &cursor);
    assert_int_equal(cursor, 0);
    assert_int_equal(send_first_block(&fx, le00, 1), MS_SW_OK);
    progress(&fx, &flags, &cursor);
    assert_int_equal(cursor, 224);
    fx_free(&fx);
}

static void test_extended_lc_and_le_are_honoured(void **state)
{
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    /* Case 2E. */
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001 000005"), 0x6C0A);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001 00000A"), MS_SW_OK);
    assert_int_equal(fx.rlen, 10);
    assert_int_equal(fx_apdu_hex(&fx, "80CA0001 000000"), MS_SW_OK); /* 0000 = 65536 */
    assert_int_equal(fx.rlen, 10);
    /* Case 3E / 4E: the header with an extended Lc, without and with Le. */
    assert_int_equal(fx_apdu_hex(&fx, "800E0000"), MS_SW_OK);
    uint8_t cmd[7 + 80 + 2] = {0x80, 0xD2, 0x00, 0x00, 0x00, 0x00, 80};
    memcpy(cmd + 7, fx.pkg, 80);
    assert_int_equal(fx_apdu(&fx, cmd, 87), 0x6104);
    cmd[87] = 0x00;
    cmd[88] = 0x02;
    assert_int_equal(fx_apdu(&fx, cmd, 89), 0x6C04);
    cmd[88] = 0x04;
    assert_int_equal(fx_apdu(&fx, cmd, 89), MS_SW_OK);
    assert_int_equal(fx.rlen, 4);
    fx_free(&fx);
}

/* ---- classes ---------------------------------------------------------------- */

static void test_loader_get_data_refuses_secure_messaging_class(void **state)
{
    (void)state;
    chip_fx_t fx;
    loader_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "84CA000300"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "84CA000100"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "84CA000200"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "00CA000300"), MS_SW_OK);
    assert_int_equal(fx_apdu_hex(&fx, "80CA000300"), MS_SW_OK);
    fx_free(&fx);
}

static void test_cos_commands_accept_only_their_classes(void **state)
{
    (void)state;
    chip_fx_t fx;
    cos_chip(&fx);
    assert_int_equal(fx_apdu_hex(&fx, "84CA000100"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "84CA010100"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "80A404000A A0000006474D53434F53"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "84E2000004 0101 01 00"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "00E2000004 0101 01 00"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "8450000008 0102030405060708 00"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "0050000008 0102030405060708 00"), MS_SW_CLA_UNKNOWN);
    assert_int_equal(fx_apdu_hex(&fx, "00CA000100"), MS_SW_OK);
    fx_free(&fx);
}

/* ---- SELECT ----------------------------------------------------------------- */

static uint16_t select_aid(chip_fx_t *fx, const char *p1p2, const char *le)
{
    char hex[80];
    snprintf(hex, sizeof hex, "00A4%s0A%s%s", p1p2, cos_aid, le);
    return fx_apdu_hex(fx, hex);
}

static void test_select_checks_p2(void **state)
{
    (void)state;
    chip_fx_t fx;
    cos_chip(&fx);
    /* Any P2 but 00 and 0C, whether ISO defines it (FCP, FMD, next/last/
     * previous occurrence) or reserves it, is refused. */
    static const char *const bad[] = {"04FF", "0404", "0408", "0402", "0401", "0403", "040D"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(select_aid(&fx, bad[i], ""), MS_SW_WRONG_P1P2);
    }
    assert_int_equal(select_aid(&fx, "000C", ""), MS_SW_WRONG_P1P2);
    /* P2 0C: no response data. */
    assert_int_equal(select_aid(&fx, "040C", ""), MS_SW_OK);
    assert_int_equal(fx.rlen, 0);
    /* P2 00: the FCI, 6F { 84 DF name }. */
    assert_int_equal(select_aid(&fx, "0400", "00"), MS_SW_OK);
    uint8_t fci[14];
    assert_int_equal(fx_hex("6F0C840A" "A0000006474D53434F53", fci, sizeof fci), 14);
    assert_int_equal(fx.rlen, 14);
    assert_memory_equal(fx.rsp, fci, 14);
    assert_int_equal(select_aid(&fx, "0400", ""), 0x610E); /* T=0 style */
    assert_int_equal(fx_apdu_hex(&fx, "00C000000E"), MS_SW_OK);
    assert_memory_equal(fx.rsp, fci, 14);
    fx_free(&fx);
}

/* ---- STORE DATA -------------------------------------------------------------- */

static void test_store_data_out_of_space_writes_nothing(void **state)
{
    (void)state;
    chip_fx_t fx;
    cos_chip(&fx);
    /* Fill the data area with 240-byte values until it refuses. */
    char hex[600];
    int stored = 0;
    for (;;) {
        int n = snprintf(hex, sizeof hex, "80E20000F3 %04X F0", 0x0400 + stored);
        for (int i = 0; i < 240; i++) {
            n += snprintf(hex + n, sizeof hex - (size_t)n, "%02X", i);
        }
        uint16_t sw = fx_apdu_hex(&fx, hex);
        if (sw == MS_SW_NO_SPACE) {
            break;
        }
        assert_int_equal(sw, MS_SW_OK);
        stored++;
    }
    assert_true(stored > 0);
    /* What is left: room for a small record (32 bytes), not for two. */
    uint32_t free_bytes = fx.map.data_size - fx.chip.store_next;
    assert_true(free_bytes >= 32 && free_bytes < 32 + 224);
    /* DGI 0101 (1 byte) fits, DGI 0102 (200 bytes) does not: nothing is
     * written, not even 0101. */
    uint64_t before = flash_changes(&fx);
    int n = snprintf(hex, sizeof hex, "80E20000CF 0101 01 AA 0102 C8");
    for (int i = 0; i < 200; i++) {
        n += snprintf(hex + n, sizeof hex - (size_t)n, "%02X", i);
    }
    assert_int_equal(fx_apdu_hex(&fx, hex), MS_SW_NO_SPACE);
    assert_int_equal(flash_changes(&fx), before);
    assert_int_equal(fx_apdu_hex(&fx, "80CA010100"), MS_SW_DATA_NOT_FOUND);
    /* The small one alone still fits. */
    assert_int_equal(fx_apdu_hex(&fx, "80E2000004 0101 01 AA"), MS_SW_OK);
    assert_int_equal(fx_apdu_hex(&fx, "80CA010100"), MS_SW_OK);
    fx_free(&fx);
}

/* ---- 84 DE ---------------------------------------------------------------- */

static void test_84de_with_a_wrong_length_answers_6700_and_closes_the_session(void **state)
{
    (void)state;
    chip_fx_t fx;
    uint8_t enc[16], mac[16], host[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    cos_chip(&fx);
    fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
    uint8_t iu[14] = {0x80, 0x50, 0, 0, 8};
    memcpy(iu + 5, host, 8);
    iu[13] = 0x00;
    assert_int_equal(fx_apdu(&fx, iu, sizeof iu), MS_SW_OK);
    ms_chip_session_t s;
    assert_int_equal(ms_chip_session_open(&s, MS_CHIP_SCP03, enc, mac, host, fx.rsp + 13, 8, 0,
                                          NULL),
                     MS_OK);
    /* Too short to carry flags, offset, a block and a MAC. */
    assert_int_equal(fx_apdu_hex(&fx, "84DE000005 0100000000"), MS_SW_WRONG_LENGTH);
    /* The next command, correctly wrapped for that session, finds none. */
    uint8_t cmd[300];
    size_t n = 0;
    assert_int_equal(ms_chip_session_wrap_dl(&s, MS_CHIP_DL_FIRST, 0, fx.loader, 224, cmd,
                                             sizeof cmd, &n),
                     MS_OK);
    assert_int_equal(fx_apdu(&fx, cmd, n), MS_SW_CONDITIONS);
    ms_chip_session_close(&s);
    fx_free(&fx);
}

/* ---- the factory writer over a T=0 reader --------------------------------- */

/* A T=0 transmission system (ISO 7816-3 12.2): a case 4S command goes to
 * the card without its Le; the card's 61xx comes back to the application. */
static ms_err_t t0_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                            size_t *rlen)
{
    chip_fx_t *fx = ctx;
    if (n > 5 && cmd[4] != 0 && n == 6u + cmd[4]) {
        n--; /* case 4S -> case 3S */
    }
    return fx_transmit(fx, cmd, n, rsp, cap, rlen);
}

static void test_factory_writer_and_reload_work_over_t0(void **state)
{
    (void)state;
    chip_fx_t fx;
    ms_chip_report_t rep;
    uint8_t enc[16], mac[16];
    uint16_t sw = 0;
    loader_chip(&fx);
    fx.writer.transmit = t0_transmit;
    assert_int_equal(fx_write(&fx, &rep), MS_OK);
    assert_string_equal(rep.step, "done");
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
    fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
    assert_int_equal(ms_chip_factory_reload_loader(t0_transmit, &fx, MS_CHIP_SCP03, enc, mac,
                                                   fx.loader, fx.loader_len, &sw),
                     MS_OK);
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_LOADER);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case1_with_data_answers_61xx_and_no_data),
        cmocka_unit_test(test_get_response_fetches_the_held_data_once),
        cmocka_unit_test(test_get_response_with_short_le_returns_part_then_61xx),
        cmocka_unit_test(test_any_other_command_drops_the_held_data),
        cmocka_unit_test(test_get_response_refuses_bad_parameters),
        cmocka_unit_test(test_case3_with_data_is_carried_out_and_answers_61xx),
        cmocka_unit_test(test_commands_without_data_answer_9000_with_or_without_le),
        cmocka_unit_test(test_le_shorter_than_the_data_answers_6cxx_with_the_length),
        cmocka_unit_test(test_short_le_on_a_state_changing_command_changes_nothing),
        cmocka_unit_test(test_extended_lc_and_le_are_honoured),
        cmocka_unit_test(test_loader_get_data_refuses_secure_messaging_class),
        cmocka_unit_test(test_cos_commands_accept_only_their_classes),
        cmocka_unit_test(test_select_checks_p2),
        cmocka_unit_test(test_store_data_out_of_space_writes_nothing),
        cmocka_unit_test(test_84de_with_a_wrong_length_answers_6700_and_closes_the_session),
        cmocka_unit_test(test_factory_writer_and_reload_work_over_t0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
