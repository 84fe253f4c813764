/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_chip_hsm.c - the licence HSM card: licences that open on their chip,
 * the budget (never exceeded, across restarts and power cuts), refusals,
 * and Le (a short one spends no licence; none holds it for GET RESPONSE).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "flash_sim.h"
#include "meterseal/chip_hsm.h"
#include "meterseal/chip.h"

static const uint8_t mk[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                               0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
static const uint8_t ikey[16] = {0xA5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t pkg_id[16] = {0x11, 0x22, 0x33};

typedef struct hsm_fx {
    ms_flash_sim_t sim;
    ms_chip_hsm_t hsm;
    uint8_t rsp[80];
    size_t rlen;
} hsm_fx_t;

static void setup(hsm_fx_t *f, uint32_t budget)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(ms_flash_sim_open(&f->sim, NULL, 8192, 1024, 16, 0xFF), MS_OK);
    assert_int_equal(ms_chip_hsm_provision(&f->sim.flash, MS_CHIP_DIV_KDF3, mk, ikey, pkg_id,
                                           budget),
                     MS_OK);
    assert_int_equal(ms_chip_hsm_boot(&f->hsm, &f->sim.flash), MS_OK);
}

/* ISSUE LICENCE for uid and package id, then Le (le_len 0: no Le). */
static uint16_t issue_le(hsm_fx_t *f, const uint8_t uid[10], const uint8_t id[16],
                         const uint8_t *le_bytes, size_t le_len)
{
    uint8_t cmd[5 + 26 + 1] = {0x80, 0x4C, 0x00, 0x00, 26};
    memcpy(cmd + 5, uid, 10);
    memcpy(cmd + 15, id, 16);
    if (le_len != 0) {
        memcpy(cmd + 31, le_bytes, le_len);
    }
    size_t rl = 0;
    uint16_t sw = ms_chip_hsm_apdu(&f->hsm, cmd, 31 + le_len, f->rsp, sizeof f->rsp, &rl);
    f->rlen = rl - 2;
    return sw;
}

static uint16_t issue(hsm_fx_t *f, const uint8_t uid[10], const uint8_t id[16])
{
    static const uint8_t le[1] = {MS_CHIP_LIC_LEN};
    return issue_le(f, uid, id, le, 1);
}

static void test_issued_licences_open_on_their_chip_only(void **state)
{
    (void)state;
    hsm_fx_t f;
    setup(&f, 5);
    uint8_t uid[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0}, other[10] = {9}, key[16];
    assert_int_equal(issue(&f, uid, pkg_id), MS_SW_OK);
    assert_int_equal(f.rlen, MS_CHIP_LIC_LEN);
    assert_int_equal(ms_chip_licence_open(f.rsp, f.rlen, mk, uid, pkg_id, key), MS_OK);
    assert_memory_equal(key, ikey, 16);
    assert_int_equal(ms_chip_licence_open(f.rsp, f.rlen, mk, other, pkg_id, key), MS_ERR_AUTH);
    ms_flash_sim_close(&f.sim);
}

static void test_budget_is_never_exceeded_even_across_restarts(void **state)
{
    (void)state;
    hsm_fx_t f;
    setup(&f, 3);
    uint8_t uid[10] = {0};
    for (int i = 0; i < 2; i++) {
        uid[9] = (uint8_t)i;
        assert_int_equal(issue(&f, uid, pkg_id), MS_SW_OK);
    }
    assert_int_equal(ms_chip_hsm_boot(&f.hsm, &f.sim.flash), MS_OK); /* restart */
    assert_int_equal(f.hsm.issued, 2);
    assert_int_equal(issue(&f, uid, pkg_id), MS_SW_OK);
    assert_int_equal(issue(&f, uid, pkg_id), MS_SW_CONDITIONS);
    assert_int_equal(ms_chip_hsm_boot(&f.hsm, &f.sim.flash), MS_OK);
    assert_int_equal(issue(&f, uid, pkg_id), MS_SW_CONDITIONS);
    size_t rl = 0;
    const uint8_t get[5] = {0x80, 0xCA, 0x00, 0x05, 0x00};
    assert_int_equal(ms_chip_hsm_apdu(&f.hsm, get, 5, f.rsp, sizeof f.rsp, &rl), MS_SW_OK);
    assert_int_equal(f.rsp[3], 3);  /* budget */
    assert_int_equal(f.rsp[7], 3);  /* issued */
    assert_int_equal(f.rsp[11], 0); /* left */
    ms_flash_sim_close(&f.sim);
}

static void test_other_package_and_bad_commands_are_refused(void **state)
{
    (void)state;
    hsm_fx_t f;
    setup(&f, 2);
    uint8_t uid[10] = {0}, id[16];
    memcpy(id, pkg_id, 16);
    id[15] ^= 1;
    assert_int_equal(issue(&f, uid, id), MS_SW_WRONG_DATA);
    assert_int_equal(f.hsm.issued, 0);
    size_t rl = 0;
    const uint8_t bad_len[6] = {0x80, 0x4C, 0x00, 0x00, 0x01, 0x00};
    assert_int_equal(ms_chip_hsm_apdu(&f.hsm, bad_len, 6, f.rsp, sizeof f.rsp, &rl),
                     MS_SW_WRONG_LENGTH);
    const uint8_t unknown[4] = {0x80, 0x10, 0x00, 0x00};
    assert_int_equal(ms_chip_hsm_apdu(&f.hsm, unknown, 4, f.rsp, sizeof f.rsp, &rl),
                     MS_SW_INS_UNKNOWN);
    const uint8_t cla[4] = {0xA0, 0x4C, 0x00, 0x00};
    assert_int_equal(ms_chip_hsm_apdu(&f.hsm, cla, 4, f.rsp, sizeof f.rsp, &rl),
                     MS_SW_CLA_UNKNOWN);
    assert_int_equal(f.hsm.issued, 0);
    ms_flash_sim_close(&f.sim);
}

static void test_issue_with_a_short_le_answers_6c44_and_spends_no_licence(void **state)
{
    (void)state;
    hsm_fx_t f;
    setup(&f, 1);
    uint8_t uid[10] = {7}, key[16];
    static const uint8_t le16[1] = {16}, le44[1] = {0x44};
    assert_int_equal(issue_le(&f, uid, pkg_id, le16, 1), 0x6C44);
    assert_int_equal(f.rlen, 0);
    assert_int_equal(f.hsm.issued, 0);
    assert_int_equal(f.sim.writes, 1); /* the configuration record only */
    /* Sent again with the Le the card asked for: the one licence. */
    assert_int_equal(issue_le(&f, uid, pkg_id, le44, 1), MS_SW_OK);
    assert_int_equal(f.rlen, MS_CHIP_LIC_LEN);
    assert_int_equal(ms_chip_licence_open(f.rsp, f.rlen, mk, uid, pkg_id, key), MS_OK);
    ms_flash_sim_close(&f.sim);
}

static void test_issue_without_le_holds_the_licence_for_get_response(void **state)
{
    (void)state;
    hsm_fx_t f;
    setup(&f, 2);
    uint8_t uid[10] = {8}, key[16];
    assert_int_equal(issue_le(&f, uid, pkg_id, NULL, 0), 0x6144);
    assert_int_equal(f.rlen, 0);
    assert_int_equal(f.hsm.issued, 1);
    const uint8_t get[5] = {0x00, 0xC0, 0x00, 0x00, 0x44};
    size_t rl = 0;
    assert_int_equal(ms_chip_hsm_apdu(&f.hsm, get, 5, f.rsp, sizeof f.rsp, &rl), MS_SW_OK);
    assert_int_equal(rl, MS_CHIP_LIC_LEN + 2);
    assert_int_equal(ms_chip_licence_open(f.rsp, MS_CHIP_LIC_LEN, mk, uid, pkg_id, key), MS_OK);
    /* GET DATA budget without Le: 61 1C. */
    const uint8_t budget[4] = {0x80, 0xCA, 0x00, 0x05};
    assert_int_equal(ms_chip_hsm_apdu(&f.hsm, budget, 4, f.rsp, sizeof f.rsp, &rl), 0x611C);
    assert_int_equal(rl, 2);
    ms_flash_sim_close(&f.sim);
}

static void test_power_cuts_never_yield_more_than_the_budget(void **state)
{
    (void)state;
    for (uint32_t seed = 1; seed <= 40; seed++) {
        hsm_fx_t f;
        setup(&f, 4);
        uint8_t uid[10] = {0};
        unsigned delivered = 0;
        for (int round = 0; round < 12; round++) {
            if ((round + seed) % 3 == 0) {
                ms_flash_sim_cut_after(&f.sim, 1, seed * 31 + (uint32_t)round);
            }
            if (issue(&f, uid, pkg_id) == MS_SW_OK) {
                delivered++;
            }
            ms_flash_sim_power_on(&f.sim);
            assert_int_equal(ms_chip_hsm_boot(&f.hsm, &f.sim.flash), MS_OK);
        }
        assert_true(delivered <= 4);
        assert_true(delivered >= 1);
        ms_flash_sim_close(&f.sim);
    }
}

static void test_unprovisioned_hsm_issues_nothing(void **state)
{
    (void)state;
    ms_flash_sim_t sim;
    ms_chip_hsm_t h;
    assert_int_equal(ms_flash_sim_open(&sim, NULL, 8192, 1024, 16, 0xFF), MS_OK);
    assert_int_equal(ms_chip_hsm_boot(&h, &sim.flash), MS_OK);
    uint8_t cmd[31] = {0x80, 0x4C, 0x00, 0x00, 26}, rsp[80];
    memcpy(cmd + 15, pkg_id, 16);
    size_t rl = 0;
    assert_int_equal(ms_chip_hsm_apdu(&h, cmd, sizeof cmd, rsp, sizeof rsp, &rl), MS_SW_CONDITIONS);
    assert_int_equal(ms_chip_hsm_provision(&sim.flash, MS_CHIP_DIV_KDF3, mk, ikey, pkg_id, 100000),
                     MS_ERR_ARG); /* more than the counter area holds */
    ms_flash_sim_close(&sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issued_licences_open_on_their_chip_only),
        cmocka_unit_test(test_budget_is_never_exceeded_even_across_restarts),
        cmocka_unit_test(test_other_package_and_bad_commands_are_refused),
        cmocka_unit_test(test_issue_with_a_short_le_answers_6c44_and_spends_no_licence),
        cmocka_unit_test(test_issue_without_le_holds_the_licence_for_get_response),
        cmocka_unit_test(test_power_cuts_never_yield_more_than_the_budget),
        cmocka_unit_test(test_unprovisioned_hsm_issues_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
