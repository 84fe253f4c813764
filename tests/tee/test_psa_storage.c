/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_psa_storage.c - PSA ITS and PS semantics and status codes (M8, M9),
 * in the spirit of the PSA arch test suite for storage, plus the metering
 * registers (energy + balance, atomic) and HUK-bound keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/psa/internal_trusted_storage.h"
#include "meterseal/psa/protected_storage.h"
#include "meterseal/tee.h"
#include "meterseal/tee_storage.h"
#include "tee_hooks_host.h"
#include "tee_test_util.h"

static tt_flash_t g_its, g_ps;
static uint8_t g_huk[MS_TEE_HUK_LEN];

static ms_err_t init_storage(void)
{
    return ms_tee_storage_init(&g_its.area, &g_ps.area);
}

static int setup(void **state)
{
    (void)state;
    tt_flash_open(&g_its, 4, 4096, 8);
    tt_flash_open(&g_ps, 4, 8192, 8);
    for (size_t i = 0; i < sizeof g_huk; i++) {
        g_huk[i] = (uint8_t)(0xa0 ^ i);
    }
    ms_host_tee_set_huk(g_huk);
    ms_host_tee_nvc_set(MS_TEE_NVC_ITS, 0);
    ms_host_tee_nvc_set(MS_TEE_NVC_PS, 0);
    return init_storage() == MS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ms_tee_storage_deinit();
    tt_flash_close(&g_its);
    tt_flash_close(&g_ps);
    return 0;
}

/* ---- ITS ---------------------------------------------------------------- */

static void test_its_set_get_roundtrip(void **state)
{
    (void)state;
    const char msg[] = "device-id: MS-0001";
    char out[64];
    size_t n = 0;
    assert_int_equal(psa_its_set(1, sizeof msg, msg, PSA_STORAGE_FLAG_NONE), PSA_SUCCESS);
    assert_int_equal(psa_its_get(1, 0, sizeof out, out, &n), PSA_SUCCESS);
    assert_int_equal(n, sizeof msg);
    assert_string_equal(out, msg);
}

static void test_its_overwrite_changes_value_and_info(void **state)
{
    (void)state;
    struct psa_storage_info_t info;
    uint8_t a[10] = { 1 }, b[3] = { 2, 3, 4 }, out[10];
    size_t n = 0;
    assert_int_equal(psa_its_set(5, sizeof a, a, 0), PSA_SUCCESS);
    assert_int_equal(psa_its_set(5, sizeof b, b, 0), PSA_SUCCESS);
    assert_int_equal(psa_its_get_info(5, &info), PSA_SUCCESS);
    assert_int_equal(info.size, 3);
    assert_int_equal(info.capacity, 3);
    assert_int_equal(info.flags, 0);
    assert_int_equal(psa_its_get(5, 0, sizeof out, out, &n), PSA_SUCCESS);
    assert_int_equal(n, 3);
    assert_memory_equal(out, b, 3);
}

static void test_its_write_once_is_not_permitted_to_change(void **state)
{
    (void)state;
    struct psa_storage_info_t info;
    uint8_t a[4] = { 9, 9, 9, 9 };
    assert_int_equal(psa_its_set(7, 4, a, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
    assert_int_equal(psa_its_set(7, 4, a, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(psa_its_set(7, 2, a, 0), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(psa_its_remove(7), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(psa_its_get_info(7, &info), PSA_SUCCESS);
    assert_int_equal(info.flags, PSA_STORAGE_FLAG_WRITE_ONCE);
    assert_int_equal(info.size, 4);
    /* and it stays so across a restart */
    assert_int_equal(init_storage(), MS_OK);
    assert_int_equal(psa_its_remove(7), PSA_ERROR_NOT_PERMITTED);
}

static void test_its_get_with_offset_and_length(void **state)
{
    (void)state;
    uint8_t data[32], out[32];
    size_t n = 0;
    for (size_t i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)i;
    }
    assert_int_equal(psa_its_set(9, sizeof data, data, 0), PSA_SUCCESS);
    assert_int_equal(psa_its_get(9, 4, 8, out, &n), PSA_SUCCESS);
    assert_int_equal(n, 8);
    assert_memory_equal(out, data + 4, 8);
    assert_int_equal(psa_its_get(9, 30, 8, out, &n), PSA_SUCCESS);
    assert_int_equal(n, 2);
    assert_memory_equal(out, data + 30, 2);
    assert_int_equal(psa_its_get(9, 33, 1, out, &n), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_its_get(9, 0, 0, NULL, &n), PSA_SUCCESS);
    assert_int_equal(n, 0);
}

static void test_its_missing_uid_does_not_exist(void **state)
{
    (void)state;
    struct psa_storage_info_t info;
    uint8_t out[4];
    size_t n;
    assert_int_equal(psa_its_get(404, 0, 4, out, &n), PSA_ERROR_DOES_NOT_EXIST);
    assert_int_equal(psa_its_get_info(404, &info), PSA_ERROR_DOES_NOT_EXIST);
    assert_int_equal(psa_its_remove(404), PSA_ERROR_DOES_NOT_EXIST);
}

static void test_its_remove_then_gone(void **state)
{
    (void)state;
    uint8_t a = 1;
    struct psa_storage_info_t info;
    assert_int_equal(psa_its_set(3, 1, &a, 0), PSA_SUCCESS);
    assert_int_equal(psa_its_remove(3), PSA_SUCCESS);
    assert_int_equal(psa_its_get_info(3, &info), PSA_ERROR_DOES_NOT_EXIST);
    assert_int_equal(psa_its_remove(3), PSA_ERROR_DOES_NOT_EXIST);
    assert_int_equal(psa_its_set(3, 1, &a, 0), PSA_SUCCESS);   /* uid reusable */
}

static void test_its_invalid_arguments(void **state)
{
    (void)state;
    uint8_t a[4] = { 0 };
    size_t n;
    struct psa_storage_info_t info;
    assert_int_equal(psa_its_set(0, 4, a, 0), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_its_set(1, 4, NULL, 0), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_its_get(0, 0, 4, a, &n), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_its_get(1, 0, 4, a, NULL), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_its_get_info(0, &info), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_its_get_info(1, NULL), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_its_remove(0), PSA_ERROR_INVALID_ARGUMENT);
}

static void test_its_unknown_flag_not_supported(void **state)
{
    (void)state;
    uint8_t a = 0;
    assert_int_equal(psa_its_set(1, 1, &a, 1u << 7), PSA_ERROR_NOT_SUPPORTED);
    assert_int_equal(psa_its_set(1, 1, &a, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY |
                                           PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION),
                     PSA_SUCCESS);
}

static void test_its_capacity_exhaustion(void **state)
{
    (void)state;
    static uint8_t big[MS_TEE_ITS_MAX_DATA + 1];
    psa_status_t s = PSA_SUCCESS;
    assert_int_equal(psa_its_set(1, sizeof big, big, 0), PSA_ERROR_INSUFFICIENT_STORAGE);
    uint64_t uid = 1;
    for (; uid < 200 && s == PSA_SUCCESS; uid++) {
        s = psa_its_set(uid, MS_TEE_ITS_MAX_DATA, big, 0);
    }
    assert_int_equal(s, PSA_ERROR_INSUFFICIENT_STORAGE);
    assert_true(uid > 5);
    /* what is there is intact; removing makes room again */
    size_t n;
    assert_int_equal(psa_its_get(1, 0, sizeof big, big, &n), PSA_SUCCESS);
    assert_int_equal(n, MS_TEE_ITS_MAX_DATA);
    assert_int_equal(psa_its_remove(1), PSA_SUCCESS);
    assert_int_equal(psa_its_set(1000, MS_TEE_ITS_MAX_DATA, big, 0), PSA_SUCCESS);
}

static void test_its_object_count_exhaustion(void **state)
{
    (void)state;
    uint8_t a = 1;
    for (uint64_t uid = 1; uid <= MS_TEE_ITS_MAX_OBJECTS; uid++) {
        assert_int_equal(psa_its_set(uid, 1, &a, 0), PSA_SUCCESS);
    }
    assert_int_equal(psa_its_set(MS_TEE_ITS_MAX_OBJECTS + 1, 1, &a, 0),
                     PSA_ERROR_INSUFFICIENT_STORAGE);
}

static void test_its_survives_restart(void **state)
{
    (void)state;
    uint8_t a[3] = { 5, 6, 7 }, out[3];
    size_t n;
    assert_int_equal(psa_its_set(12, 3, a, 0), PSA_SUCCESS);
    ms_tee_storage_deinit();
    assert_int_equal(psa_its_get(12, 0, 3, out, &n), PSA_ERROR_BAD_STATE);
    assert_int_equal(init_storage(), MS_OK);
    assert_int_equal(psa_its_get(12, 0, 3, out, &n), PSA_SUCCESS);
    assert_memory_equal(out, a, 3);
}

/* ---- PS ----------------------------------------------------------------- */

static void test_ps_semantics_match_its(void **state)
{
    (void)state;
    uint8_t a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];
    size_t n;
    struct psa_storage_info_t info;
    assert_int_equal(psa_ps_set(1, 8, a, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
    assert_int_equal(psa_ps_set(1, 8, a, 0), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(psa_ps_get(1, 2, 4, out, &n), PSA_SUCCESS);
    assert_int_equal(n, 4);
    assert_memory_equal(out, a + 2, 4);
    assert_int_equal(psa_ps_get_info(1, &info), PSA_SUCCESS);
    assert_int_equal(info.size, 8);
    assert_int_equal(psa_ps_get(2, 0, 8, out, &n), PSA_ERROR_DOES_NOT_EXIST);
    assert_int_equal(psa_ps_remove(1), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(psa_ps_set(0, 8, a, 0), PSA_ERROR_INVALID_ARGUMENT);
}

static void test_its_and_ps_are_separate(void **state)
{
    (void)state;
    uint8_t a = 1, b = 2, out = 0;
    size_t n;
    assert_int_equal(psa_its_set(50, 1, &a, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_set(50, 1, &b, 0), PSA_SUCCESS);
    assert_int_equal(psa_its_get(50, 0, 1, &out, &n), PSA_SUCCESS);
    assert_int_equal(out, 1);
    assert_int_equal(psa_ps_get(50, 0, 1, &out, &n), PSA_SUCCESS);
    assert_int_equal(out, 2);
}

/* ---- keys bound to the HUK ------------------------------------------------ */

static void test_other_huk_cannot_open_storage(void **state)
{
    (void)state;
    uint8_t a = 1;
    assert_int_equal(psa_ps_set(1, 1, &a, 0), PSA_SUCCESS);
    uint8_t other[MS_TEE_HUK_LEN];
    memcpy(other, g_huk, sizeof other);
    other[31] ^= 0x80;
    ms_host_tee_set_huk(other);
    assert_int_not_equal(init_storage(), MS_OK);
    size_t n;
    assert_int_equal(psa_ps_get(1, 0, 1, &a, &n), PSA_ERROR_DATA_CORRUPT);
    ms_host_tee_set_huk(g_huk);
    assert_int_equal(init_storage(), MS_OK);
    assert_int_equal(psa_ps_get(1, 0, 1, &a, &n), PSA_SUCCESS);
}

static void test_missing_huk_refuses_init(void **state)
{
    (void)state;
    ms_host_tee_set_huk(NULL);
    assert_int_equal(init_storage(), MS_ERR_STATE);
    ms_host_tee_set_huk(g_huk);
}

/* ---- metering registers --------------------------------------------------- */

static void test_meter_starts_at_zero(void **state)
{
    (void)state;
    ms_tee_meter_reg_t r;
    assert_int_equal(ms_tee_meter_read(&r), MS_OK);
    assert_int_equal(r.energy_wh, 0);
    assert_int_equal(r.balance_milli, 0);
    assert_int_equal(r.updates, 0);
}

static void test_meter_add_updates_both_registers(void **state)
{
    (void)state;
    ms_tee_meter_reg_t r;
    assert_int_equal(ms_tee_meter_add(0, 50000, &r), MS_OK);      /* top-up 50.000 */
    assert_int_equal(ms_tee_meter_add(1200, -1800, &r), MS_OK);   /* 1.2 kWh used */
    assert_int_equal(r.energy_wh, 1200);
    assert_int_equal(r.balance_milli, 48200);
    assert_int_equal(init_storage(), MS_OK);
    assert_int_equal(ms_tee_meter_read(&r), MS_OK);
    assert_int_equal(r.energy_wh, 1200);
    assert_int_equal(r.balance_milli, 48200);
    assert_int_equal(r.updates, 2);
}

static void test_meter_negative_balance_roundtrips(void **state)
{
    (void)state;
    ms_tee_meter_reg_t r;
    assert_int_equal(ms_tee_meter_add(10, -123456789, NULL), MS_OK);
    assert_int_equal(ms_tee_meter_read(&r), MS_OK);
    assert_int_equal(r.balance_milli, -123456789);
}

static void test_meter_overflow_is_refused_and_changes_nothing(void **state)
{
    (void)state;
    ms_tee_meter_reg_t r;
    assert_int_equal(ms_tee_meter_add(UINT64_MAX - 5, INT64_MAX - 1, NULL), MS_OK);
    assert_int_equal(ms_tee_meter_add(6, 0, NULL), MS_ERR_ARG);
    assert_int_equal(ms_tee_meter_add(0, 2, NULL), MS_ERR_ARG);
    assert_int_equal(ms_tee_meter_read(&r), MS_OK);
    assert_true(r.energy_wh == UINT64_MAX - 5);
    assert_true(r.balance_milli == INT64_MAX - 1);
    assert_int_equal(r.updates, 1);
}

/* Other objects filling PS to the last byte never block a meter update:
 * rewriting an object at its size always fits (the store's reserve). */
static void test_meter_update_is_never_refused_when_other_objects_fill_the_store(void **state)
{
    (void)state;
    static uint8_t blob[MS_TEE_PS_MAX_DATA];
    static const size_t sizes[] = { MS_TEE_PS_MAX_DATA, 512, 256, 128, 64, 32, 16, 8, 1, 0 };
    ms_tee_meter_reg_t r;
    assert_int_equal(ms_tee_meter_add(1, 1, NULL), MS_OK);
    uint64_t uid = 1;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        while (psa_ps_set(uid, sizes[i], blob, 0) == PSA_SUCCESS) {
            uid++;
        }
    }
    assert_int_equal(psa_ps_set(uid, 0, NULL, 0), PSA_ERROR_INSUFFICIENT_STORAGE);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(ms_tee_meter_add(1, 1, NULL), MS_OK);
    }
    assert_int_equal(ms_tee_meter_read(&r), MS_OK);
    assert_int_equal(r.energy_wh, 21);
}

static void test_replayed_yesterdays_balance_is_refused(void **state)
{
    (void)state;
    ms_tee_meter_reg_t r;
    size_t size = g_ps.area.size;
    uint8_t *yesterday = malloc(size);
    assert_non_null(yesterday);
    assert_int_equal(ms_tee_meter_add(0, 10000, NULL), MS_OK);
    memcpy(yesterday, g_ps.sim.mem, size);
    assert_int_equal(ms_tee_meter_add(5000, -7500, NULL), MS_OK);
    /* attacker writes yesterday's flash image back */
    memcpy(g_ps.sim.mem, yesterday, size);
    assert_int_equal(init_storage(), MS_ERR_TEE_ROLLBACK);
    assert_int_equal(ms_tee_meter_read(&r), MS_ERR_TEE_ROLLBACK);
    assert_int_equal(ms_tee_meter_add(0, 1, NULL), MS_ERR_TEE_ROLLBACK);
    size_t n;
    uint8_t b;
    assert_int_equal(psa_ps_get(MS_TEE_UID_METER, 0, 1, &b, &n), PSA_ERROR_DATA_CORRUPT);
    free(yesterday);
}

static void test_meter_power_cut_leaves_both_registers_old_or_new(void **state)
{
    (void)state;
    ms_tee_meter_reg_t r;
    assert_int_equal(ms_tee_meter_add(100, 1000, NULL), MS_OK);
    size_t size = g_ps.area.size;
    uint8_t *snap = malloc(size);
    assert_non_null(snap);
    memcpy(snap, g_ps.sim.mem, size);
    uint64_t nv = 0, its_nv = 0;
    assert_int_equal(ms_tee_hal_nvc_read(MS_TEE_NVC_PS, &nv), MS_OK);
    assert_int_equal(ms_tee_hal_nvc_read(MS_TEE_NVC_ITS, &its_nv), MS_OK);
    unsigned old_seen = 0, new_seen = 0;
    for (uint64_t k = 1; k < 40; k++) {
        memcpy(g_ps.sim.mem, snap, size);
        ms_host_tee_nvc_set(MS_TEE_NVC_PS, nv);
        assert_int_equal(init_storage(), MS_OK);
        /* a run of updates, power cut during the k-th flash op */
        ms_flash_sim_cut_after(&g_ps.sim, k, (uint32_t)k);
        ms_err_t err = MS_OK;
        for (int i = 0; i < 8 && err == MS_OK; i++) {
            err = ms_tee_meter_add(10, -100, NULL);
        }
        int cut = g_ps.sim.powered == 0;
        ms_flash_sim_cut_after(&g_ps.sim, 0, 0);
        ms_flash_sim_power_on(&g_ps.sim);
        assert_int_equal(init_storage(), MS_OK);
        assert_int_equal(ms_tee_meter_read(&r), MS_OK);
        /* energy and balance always move together */
        assert_true(r.energy_wh >= 100 && r.energy_wh <= 180);
        assert_int_equal((int64_t)(r.energy_wh - 100) * -10, r.balance_milli - 1000);
        assert_int_equal(r.updates, 1 + (r.energy_wh - 100) / 10);
        if (cut) {
            old_seen += r.updates == 1;
            new_seen += r.updates > 1;
        }
    }
    assert_true(old_seen > 0 && new_seen > 0);
    free(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(test_its_set_get_roundtrip),
        T_(test_its_overwrite_changes_value_and_info),
        T_(test_its_write_once_is_not_permitted_to_change),
        T_(test_its_get_with_offset_and_length),
        T_(test_its_missing_uid_does_not_exist),
        T_(test_its_remove_then_gone),
        T_(test_its_invalid_arguments),
        T_(test_its_unknown_flag_not_supported),
        T_(test_its_capacity_exhaustion),
        T_(test_its_object_count_exhaustion),
        T_(test_its_survives_restart),
        T_(test_ps_semantics_match_its),
        T_(test_its_and_ps_are_separate),
        T_(test_other_huk_cannot_open_storage),
        T_(test_missing_huk_refuses_init),
        T_(test_meter_starts_at_zero),
        T_(test_meter_add_updates_both_registers),
        T_(test_meter_negative_balance_roundtrips),
        T_(test_meter_overflow_is_refused_and_changes_nothing),
        T_(test_meter_update_is_never_refused_when_other_objects_fill_the_store),
        T_(test_replayed_yesterdays_balance_is_refused),
        T_(test_meter_power_cut_leaves_both_registers_old_or_new),
#undef T_
    };
    return cmocka_run_group_tests_name("tee_psa_storage", tests, NULL, NULL);
}
