/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_chip_powercut.c - power cut at every flash operation (C4):
 *   - of a factory download (ERASE, header, DECRYPT blocks, journal, VERIFY,
 *     the key record and the flag write): afterwards the chip is either in
 *     loader mode and the download completes (resuming where it can), or in
 *     COS mode with exactly the verified COS - never a half COS running;
 *   - of the COS's first start (loader erase, flag to USER);
 *   - of an 84 DE loader reload: COS mode with its COS, or loader mode with
 *     a loader that takes a new download;
 * and a power-off between any two APDUs of a download (RAM state lost);
 * a cut during ERASE over a half download; a journal with no room left; a
 * cut STORE DATA whose value carries a forged internal record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "chip_fixture.h"

#define COS_LEN 6000u

static uint64_t ops_of_clean_download(bool gaps, const ms_chip_rule_t *r, int method)
{
    chip_fx_t fx;
    ms_chip_report_t rep;
    fx_init(&fx, gaps, COS_LEN, r, method);
    uint64_t before = fx.sim.ops;
    assert_int_equal(fx_write(&fx, &rep), MS_OK);
    uint64_t n = fx.sim.ops - before;
    fx_free(&fx);
    return n;
}

static void sweep_download(bool gaps, const ms_chip_rule_t *r, int method)
{
    uint64_t total = ops_of_clean_download(gaps, r, method);
    unsigned loader = 0, cos = 0, resumed = 0;
    assert_true(total > 20);
    /* Several seeds per cut point: how much of the interrupted operation got
     * done varies (nothing, part, or all of it); the last operations (key
     * record, flag record) get more. */
    uint64_t runs = 0;
    for (uint64_t n = 1; n <= total; n++) {
        uint64_t seeds = n + 2 > total ? 16 : 3;
        for (uint64_t sd = 0; sd < seeds; sd++, runs++) {
            uint64_t k = n * 131 + sd;
            chip_fx_t fx;
            ms_chip_report_t rep;
            fx_init(&fx, gaps, COS_LEN, r, method);
            ms_flash_sim_cut_after(&fx.sim, n, (uint32_t)(k * 7919 + 1));
            assert_int_not_equal(fx_write(&fx, &rep), MS_OK);
            assert_false(fx.sim.powered);
            assert_int_equal(fx_reboot(&fx), MS_OK);
            if (fx.chip.mode == MS_CHIP_RUN_COS) {
                /* The cut hit after the flag record was complete. */
                assert_true(fx_cos_in_flash(&fx));
                cos++;
            } else {
                assert_int_equal(fx.chip.mode, MS_CHIP_RUN_LOADER);
                assert_int_equal(fx.chip.flags.flag1, MS_CHIP_MODE_LOADER);
                loader++;
                assert_int_equal(fx_write(&fx, &rep), MS_OK);
                resumed += rep.resumed_from > 0;
                assert_int_equal(fx_reboot(&fx), MS_OK);
                assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
                assert_true(fx_cos_in_flash(&fx));
            }
            fx_free(&fx);
        }
    }
    print_message("%llu cut points, %llu runs: %u left the chip in loader mode (%u resumed), "
                  "%u in COS mode with the verified COS\n",
                  (unsigned long long)total, (unsigned long long)runs, loader, resumed, cos);
    assert_true(resumed > 0);
    assert_true(loader > 0);
    assert_true(cos > 0); /* a flag write that completed just as power went */
}

static void test_cut_at_every_op_of_download_whole_kdf3(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_WHOLE, 0, 0, 0};
    sweep_download(false, &r, MS_CHIP_DIV_KDF3);
}

static void test_cut_at_every_op_of_download_progressive_emv_gapped(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_PROGRESSIVE, 0, 500, 21};
    sweep_download(true, &r, MS_CHIP_DIV_EMV);
}

static void test_cut_at_every_op_of_cos_first_start(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_FIRST16, 0, 256, 0};
    uint64_t total = 0;
    {
        chip_fx_t fx;
        ms_chip_report_t rep;
        fx_init(&fx, true, COS_LEN, &r, MS_CHIP_DIV_KDF3);
        assert_int_equal(fx_write(&fx, &rep), MS_OK);
        uint64_t before = fx.sim.ops;
        assert_int_equal(fx_reboot(&fx), MS_OK);
        total = fx.sim.ops - before;
        fx_free(&fx);
    }
    assert_true(total >= 3); /* dirty loader and journal sectors + flag record */
    for (uint64_t n = 1; n <= total; n++) {
        chip_fx_t fx;
        ms_chip_report_t rep;
        fx_init(&fx, true, COS_LEN, &r, MS_CHIP_DIV_KDF3);
        assert_int_equal(fx_write(&fx, &rep), MS_OK);
        ms_flash_sim_power_on(&fx.sim);
        ms_flash_sim_cut_after(&fx.sim, n, (uint32_t)n);
        assert_int_equal(ms_chip_boot(&fx.chip, &fx.sim.flash, &fx.map), MS_ERR_POWER_LOST);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
        assert_int_equal(fx.chip.flags.flag2, MS_CHIP_STATE_USER);
        assert_true(fx_cos_in_flash(&fx));
        int erased = 0;
        assert_int_equal(ms_flash_area_is_erased(&fx.chip.fa_loader, 0, fx.map.loader_size,
                                                 &erased),
                         MS_OK);
        assert_true(erased);
        fx_free(&fx);
    }
}

static void test_cut_at_every_op_of_84de_reload(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_WHOLE, 0, 0, 0};
    uint8_t enc[16], mac[16];
    uint16_t sw;
    uint64_t total = 0;
    {
        chip_fx_t fx;
        ms_chip_report_t rep;
        fx_init(&fx, false, COS_LEN, &r, MS_CHIP_DIV_KDF3);
        assert_int_equal(fx_write(&fx, &rep), MS_OK);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
        uint64_t before = fx.sim.ops;
        assert_int_equal(ms_chip_factory_reload_loader(fx_transmit, &fx, MS_CHIP_SCP03, enc, mac,
                                                       fx.loader, fx.loader_len, &sw),
                         MS_OK);
        total = fx.sim.ops - before;
        fx_free(&fx);
    }
    unsigned to_loader = 0;
    for (uint64_t n = 1; n <= total; n++) {
        chip_fx_t fx;
        ms_chip_report_t rep;
        fx_init(&fx, false, COS_LEN, &r, MS_CHIP_DIV_KDF3);
        assert_int_equal(fx_write(&fx, &rep), MS_OK);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
        ms_flash_sim_cut_after(&fx.sim, n, (uint32_t)(n * 3));
        assert_int_not_equal(ms_chip_factory_reload_loader(fx_transmit, &fx, MS_CHIP_SCP03, enc,
                                                           mac, fx.loader, fx.loader_len, &sw),
                             MS_OK);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        if (fx.chip.mode == MS_CHIP_RUN_COS) {
            assert_true(fx_cos_in_flash(&fx));
            /* The reload can simply be repeated. */
            fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
            assert_int_equal(ms_chip_factory_reload_loader(fx_transmit, &fx, MS_CHIP_SCP03, enc,
                                                           mac, fx.loader, fx.loader_len, &sw),
                             MS_OK);
            assert_int_equal(fx_reboot(&fx), MS_OK);
        } else {
            to_loader++;
        }
        assert_int_equal(fx.chip.mode, MS_CHIP_RUN_LOADER);
        assert_int_equal(fx_write(&fx, &rep), MS_OK);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
        fx_free(&fx);
    }
    print_message("%llu cut points in 84 DE: %u ended in loader mode\n",
                  (unsigned long long)total, to_loader);
}

/* Power-off between APDUs (what vpcd's "power off" does to the emulator):
 * after the k-th command of a download the card loses its RAM state. */
typedef struct apdu_cut {
    chip_fx_t *fx;
    unsigned left;
} apdu_cut_t;

static ms_err_t cut_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                             size_t *rlen)
{
    apdu_cut_t *c = ctx;
    if (c->left == 0) {
        return MS_ERR_POWER_LOST;
    }
    c->left--;
    return fx_transmit(c->fx, cmd, n, rsp, cap, rlen);
}

static void test_power_off_after_every_apdu_of_download(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_FIRST16, 0, 300, 0};
    unsigned total = 0;
    {
        chip_fx_t fx;
        ms_chip_report_t rep;
        fx_init(&fx, true, COS_LEN, &r, MS_CHIP_DIV_EMV);
        assert_int_equal(fx_write(&fx, &rep), MS_OK);
        total = rep.apdus;
        fx_free(&fx);
    }
    assert_true(total > 10);
    for (unsigned k = 1; k < total; k++) {
        chip_fx_t fx;
        ms_chip_report_t rep;
        fx_init(&fx, true, COS_LEN, &r, MS_CHIP_DIV_EMV);
        apdu_cut_t c = {&fx, k};
        fx.writer.transmit = cut_transmit;
        fx.writer.transmit_ctx = &c;
        assert_int_equal(fx_write(&fx, &rep), MS_ERR_POWER_LOST);
        assert_int_equal(fx_reboot(&fx), MS_OK); /* RAM state gone */
        assert_int_equal(fx.chip.mode, MS_CHIP_RUN_LOADER);
        fx.writer.transmit = fx_transmit;
        fx.writer.transmit_ctx = &fx;
        assert_int_equal(fx_write(&fx, &rep), MS_OK);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
        assert_true(fx_cos_in_flash(&fx));
        fx_free(&fx);
    }
}

/* A half-written download of this package (power lost mid-DECRYPT). */
static void half_download(chip_fx_t *fx, uint64_t total)
{
    ms_chip_report_t rep;
    ms_flash_sim_cut_after(&fx->sim, total / 2, 7);
    assert_int_not_equal(fx_write(fx, &rep), MS_OK);
    assert_int_equal(fx_reboot(fx), MS_OK);
    assert_int_equal(fx_apdu_hex(fx, "80CA000300"), MS_SW_OK);
    assert_true(fx->rsp[16] & 4); /* journal begun: the writer would resume */
}

static void test_cut_during_erase_of_half_download_then_same_package_installs(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_WHOLE, 0, 0, 0};
    uint64_t total = ops_of_clean_download(false, &r, MS_CHIP_DIV_KDF3), erase_ops = 0;
    {
        chip_fx_t fx;
        fx_init(&fx, false, COS_LEN, &r, MS_CHIP_DIV_KDF3);
        half_download(&fx, total);
        uint64_t before = fx.sim.ops;
        assert_int_equal(fx_apdu_hex(&fx, "800E0000"), MS_SW_OK);
        erase_ops = fx.sim.ops - before;
        fx_free(&fx);
    }
    assert_true(erase_ops >= 2); /* dirty COS sectors and the journal */
    for (uint64_t n = 1; n <= erase_ops; n++) {
        chip_fx_t fx;
        ms_chip_report_t rep;
        fx_init(&fx, false, COS_LEN, &r, MS_CHIP_DIV_KDF3);
        half_download(&fx, total);
        ms_flash_sim_cut_after(&fx.sim, n, (uint32_t)n);
        assert_int_equal(fx_apdu_hex(&fx, "800E0000"), MS_SW_MEMORY_FAILURE);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        /* The journal must never vouch for a sector ERASE already wiped:
         * the same package then installs (resumed or from the start). */
        ms_err_t err = fx_write(&fx, &rep);
        assert_string_equal(rep.step, "done");
        assert_int_equal(err, MS_OK);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
        assert_true(fx_cos_in_flash(&fx));
        fx_free(&fx);
    }
}

static void test_writer_starts_over_when_a_resumed_download_is_refused(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_WHOLE, 0, 0, 0};
    uint64_t total = ops_of_clean_download(false, &r, MS_CHIP_DIV_KDF3);
    chip_fx_t fx;
    ms_chip_report_t rep;
    fx_init(&fx, false, COS_LEN, &r, MS_CHIP_DIV_KDF3);
    half_download(&fx, total);
    /* Many earlier cuts left torn slots: the journal has no room left, so
     * the chip refuses to go on from the resume point (6581). */
    uint32_t slots = fx.map.journal_size / 32u;
    for (uint32_t i = fx.chip.journal_next; i < slots; i++) {
        fx.sim.mem[fx.map.journal_off + i * 32u] = 0x00;
    }
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx_apdu_hex(&fx, "80CA000300"), MS_SW_OK);
    assert_true(fx.rsp[16] & 4); /* the writer sees a journal for its package */
    /* The writer then erases and writes from the start. */
    ms_err_t err = fx_write(&fx, &rep);
    assert_string_equal(rep.step, "done");
    assert_int_equal(err, MS_OK);
    assert_int_equal(rep.resumed_from, 0);
    assert_int_equal(fx_reboot(&fx), MS_OK);
    assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
    assert_true(fx_cos_in_flash(&fx));
    fx_free(&fx);
}

/* A STORE DATA value (240 bytes) that carries, at the start of its record's
 * second slot, a complete store record for the internal 84 DE key tag. */
static size_t store_data_with_fake_keys_record(uint8_t *cmd, uint8_t fake_rec[96])
{
    uint8_t keys[64];
    memset(keys, 0x5A, sizeof keys); /* keys the attacker knows */
    memset(fake_rec, 0, 96);
    fake_rec[0] = 0xD5;
    fake_rec[2] = 0x7F;
    fake_rec[3] = 0x01;
    fake_rec[5] = 64;
    memcpy(fake_rec + 6, keys, 64);
    uint32_t crc = ms_chip_crc32_update(0, fake_rec, 70);
    fake_rec[70] = (uint8_t)(crc >> 24);
    fake_rec[71] = (uint8_t)(crc >> 16);
    fake_rec[72] = (uint8_t)(crc >> 8);
    fake_rec[73] = (uint8_t)crc;
    memset(cmd, 0, 5 + 243);
    cmd[0] = 0x80;
    cmd[1] = 0xE2;
    cmd[4] = 243;
    cmd[5] = 0x01; /* DGI 0101 */
    cmd[6] = 0x01;
    cmd[7] = 240;
    /* The value starts 6 bytes into the record: record offset 32 = value 26. */
    memcpy(cmd + 8 + 26, fake_rec, 96);
    return 5 + 243;
}

static void test_torn_store_data_record_cannot_inject_84de_keys(void **state)
{
    (void)state;
    ms_chip_rule_t r = {MS_CHIP_RULE_WHOLE, 0, 0, 0};
    unsigned exposed = 0;
    for (uint32_t seed = 1; seed <= 24; seed++) {
        chip_fx_t fx;
        ms_chip_report_t rep;
        uint8_t cmd[300], fake[96], enc[16], mac[16], want[8];
        fx_init(&fx, false, COS_LEN, &r, MS_CHIP_DIV_KDF3);
        assert_int_equal(fx_write(&fx, &rep), MS_OK);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        assert_int_equal(fx.chip.mode, MS_CHIP_RUN_COS);
        uint32_t at = fx.chip.store_next;
        size_t n = store_data_with_fake_keys_record(cmd, fake);
        ms_flash_sim_cut_after(&fx.sim, 1, seed);
        assert_int_not_equal(fx_apdu(&fx, cmd, n), MS_SW_OK);
        /* Did the cut leave the embedded record whole but the outer one torn? */
        exposed += memcmp(fx.sim.mem + fx.map.data_off + at + 32, fake, 96) == 0;
        assert_int_equal(fx_reboot(&fx), MS_OK);
        /* The 84 DE keys are still the chip's own. */
        uint8_t host[8] = {1, 2, 3, 4, 5, 6, 7, 8}, iu[14] = {0x80, 0x50, 0, 0, 8};
        memcpy(iu + 5, host, 8);
        assert_int_equal(fx_apdu(&fx, iu, sizeof iu), MS_SW_OK);
        assert_int_equal(fx.rlen, 29);
        ms_chip_session_t s;
        fx_cos_keys(&fx, MS_CHIP_SCP03, enc, mac);
        assert_int_equal(ms_chip_session_open(&s, MS_CHIP_SCP03, enc, mac, host, fx.rsp + 13, 8,
                                              0, want),
                         MS_OK);
        assert_memory_equal(fx.rsp + 21, want, 8);
        /* The store still takes and returns data after the torn record. */
        assert_int_equal(fx_apdu_hex(&fx, "80E2000004 0202 01 77"), MS_SW_OK);
        assert_int_equal(fx_reboot(&fx), MS_OK);
        assert_int_equal(fx_apdu_hex(&fx, "80CA020200"), MS_SW_OK);
        assert_int_equal(fx.rlen, 1);
        assert_int_equal(fx.rsp[0], 0x77);
        fx_free(&fx);
    }
    print_message("24 cuts of a STORE DATA write: %u left a whole planted record inside a torn "
                  "one\n", exposed);
    assert_true(exposed > 0); /* the dangerous tear did happen */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_at_every_op_of_download_whole_kdf3),
        cmocka_unit_test(test_cut_at_every_op_of_download_progressive_emv_gapped),
        cmocka_unit_test(test_cut_at_every_op_of_cos_first_start),
        cmocka_unit_test(test_cut_at_every_op_of_84de_reload),
        cmocka_unit_test(test_power_off_after_every_apdu_of_download),
        cmocka_unit_test(test_cut_during_erase_of_half_download_then_same_package_installs),
        cmocka_unit_test(test_torn_store_data_record_cannot_inject_84de_keys),
        cmocka_unit_test(test_writer_starts_over_when_a_resumed_download_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
