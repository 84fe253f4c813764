/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store.c - the secure storage engine (M9): object semantics,
 * persistence, confidentiality on flash, garbage collection and wear,
 * capacity limits, and anti-rollback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/crypto.h"
#include "meterseal/tee_store.h"
#include "tee_hooks_host.h"
#include "tee_test_util.h"

static tt_store_t T;

static int setup(void **state)
{
    (void)state;
    tt_store_init(&T, 4, 2048, 8, 16, 256);
    return tt_store_mount(&T) == MS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tt_store_close(&T);
    return 0;
}

static void put(uint64_t uid, size_t len, uint32_t ver)
{
    uint8_t buf[1024];
    tt_fill(buf, len, uid, ver);
    assert_int_equal(ms_tee_store_set(&T.st, uid, buf, len, 0), MS_OK);
}

static void expect(uint64_t uid, size_t len, uint32_t ver)
{
    uint8_t want[1024], got[1024];
    size_t n = 0;
    tt_fill(want, len, uid, ver);
    assert_int_equal(ms_tee_store_get(&T.st, uid, 0, got, sizeof got, &n), MS_OK);
    assert_int_equal(n, len);
    assert_memory_equal(got, want, len);
}

static void remount(void)
{
    ms_tee_store_unmount(&T.st);
    assert_int_equal(tt_store_mount(&T), MS_OK);
}

static void test_fresh_store_has_no_objects(void **state)
{
    (void)state;
    uint8_t buf[8];
    size_t n = 99;
    ms_tee_store_stats_t s;
    assert_int_equal(ms_tee_store_get(&T.st, 1, 0, buf, sizeof buf, &n), MS_ERR_NOT_FOUND);
    assert_int_equal(n, 0);
    assert_int_equal(ms_tee_store_stats(&T.st, &s), MS_OK);
    assert_int_equal(s.objects, 0);
    assert_int_equal(s.seq, 0);
}

static void test_set_then_get_returns_the_data(void **state)
{
    (void)state;
    put(42, 100, 1);
    expect(42, 100, 1);
}

static void test_zero_length_object_is_stored(void **state)
{
    (void)state;
    size_t size = 9;
    uint32_t flags = 9;
    assert_int_equal(ms_tee_store_set(&T.st, 5, NULL, 0, 0), MS_OK);
    assert_int_equal(ms_tee_store_info(&T.st, 5, &size, NULL, &flags), MS_OK);
    assert_int_equal(size, 0);
    remount();
    assert_int_equal(ms_tee_store_info(&T.st, 5, &size, NULL, &flags), MS_OK);
}

static void test_overwrite_replaces_value_and_size(void **state)
{
    (void)state;
    put(7, 200, 1);
    put(7, 30, 2);
    expect(7, 30, 2);
    remount();
    expect(7, 30, 2);
}

static void test_get_with_offset_returns_the_tail(void **state)
{
    (void)state;
    uint8_t want[64], got[64];
    size_t n = 0;
    put(9, 64, 3);
    tt_fill(want, 64, 9, 3);
    assert_int_equal(ms_tee_store_get(&T.st, 9, 10, got, 5, &n), MS_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(got, want + 10, 5);
    assert_int_equal(ms_tee_store_get(&T.st, 9, 60, got, 64, &n), MS_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(got, want + 60, 4);
    assert_int_equal(ms_tee_store_get(&T.st, 9, 64, got, 64, &n), MS_OK);
    assert_int_equal(n, 0);
}

static void test_get_offset_past_end_is_invalid(void **state)
{
    (void)state;
    uint8_t got[8];
    size_t n = 0;
    put(9, 16, 1);
    assert_int_equal(ms_tee_store_get(&T.st, 9, 17, got, sizeof got, &n), MS_ERR_ARG);
}

static void test_remove_makes_object_not_found_across_remount(void **state)
{
    (void)state;
    size_t size;
    uint32_t flags;
    put(11, 50, 1);
    assert_int_equal(ms_tee_store_remove(&T.st, 11), MS_OK);
    assert_int_equal(ms_tee_store_info(&T.st, 11, &size, NULL, &flags), MS_ERR_NOT_FOUND);
    assert_int_equal(ms_tee_store_remove(&T.st, 11), MS_ERR_NOT_FOUND);
    remount();
    assert_int_equal(ms_tee_store_info(&T.st, 11, &size, NULL, &flags), MS_ERR_NOT_FOUND);
}

static void test_write_once_refuses_overwrite_and_remove(void **state)
{
    (void)state;
    uint8_t buf[4] = { 1, 2, 3, 4 };
    assert_int_equal(ms_tee_store_set(&T.st, 3, buf, 4, 1u), MS_OK);
    assert_int_equal(ms_tee_store_set(&T.st, 3, buf, 2, 0), MS_ERR_TEE_WRITE_ONCE);
    assert_int_equal(ms_tee_store_remove(&T.st, 3), MS_ERR_TEE_WRITE_ONCE);
    remount();
    assert_int_equal(ms_tee_store_set(&T.st, 3, buf, 2, 0), MS_ERR_TEE_WRITE_ONCE);
}

static void test_uid_zero_is_invalid(void **state)
{
    (void)state;
    uint8_t b = 0;
    size_t n;
    assert_int_equal(ms_tee_store_set(&T.st, 0, &b, 1, 0), MS_ERR_ARG);
    assert_int_equal(ms_tee_store_get(&T.st, 0, 0, &b, 1, &n), MS_ERR_ARG);
    assert_int_equal(ms_tee_store_remove(&T.st, 0), MS_ERR_ARG);
}

static void test_too_large_object_is_refused(void **state)
{
    (void)state;
    uint8_t buf[300] = { 0 };
    assert_int_equal(ms_tee_store_set(&T.st, 1, buf, 257, 0), MS_ERR_TEE_NO_SPACE);
    assert_int_equal(ms_tee_store_set(&T.st, 1, buf, 256, 0), MS_OK);
}

static void test_object_count_limit(void **state)
{
    (void)state;
    for (uint64_t uid = 1; uid <= 16; uid++) {
        put(uid, 8, 1);
    }
    uint8_t b[8] = { 0 };
    assert_int_equal(ms_tee_store_set(&T.st, 17, b, 8, 0), MS_ERR_TEE_NO_SPACE);
    put(16, 8, 2);   /* replacing an existing one is still fine */
    assert_int_equal(ms_tee_store_remove(&T.st, 1), MS_OK);
    put(17, 8, 1);
    expect(17, 8, 1);
}

static void test_byte_capacity_exhaustion_then_remove_frees(void **state)
{
    (void)state;
    uint8_t b[256] = { 0 };
    uint64_t uid = 1;
    ms_err_t err;
    while ((err = ms_tee_store_set(&T.st, uid, b, sizeof b, 0)) == MS_OK) {
        uid++;
        assert_true(uid < 100);
    }
    assert_int_equal(err, MS_ERR_TEE_NO_SPACE);
    assert_true(uid > 3);   /* several objects did fit */
    for (uint64_t u = 1; u < uid; u++) {
        size_t n;
        assert_int_equal(ms_tee_store_get(&T.st, u, 0, b, sizeof b, &n), MS_OK);
    }
    assert_int_equal(ms_tee_store_remove(&T.st, 1), MS_OK);
    assert_int_equal(ms_tee_store_remove(&T.st, 2), MS_OK);
    assert_int_equal(ms_tee_store_set(&T.st, uid, b, sizeof b, 0), MS_OK);
}

static void test_plaintext_never_reaches_flash(void **state)
{
    (void)state;
    uint8_t secret[64];
    memset(secret, 'K', sizeof secret);
    memcpy(secret, "balance=123456.78;", 18);
    assert_int_equal(ms_tee_store_set(&T.st, 77, secret, sizeof secret, 0), MS_OK);
    const uint8_t *mem = T.flash.sim.mem;
    size_t size = T.flash.area.size;
    for (size_t i = 0; i + 8 <= size; i++) {
        assert_false(memcmp(mem + i, secret, 8) == 0);
        assert_false(memcmp(mem + i, "KKKKKKKK", 8) == 0);
    }
}

static void test_many_updates_spread_erases_over_all_sectors(void **state)
{
    (void)state;
    for (uint32_t v = 1; v <= 400; v++) {
        put(1 + v % 5, 40 + v % 60, v);
    }
    for (uint32_t v = 396; v <= 400; v++) {
        expect(1 + v % 5, 40 + v % 60, v);
    }
    uint32_t min = UINT32_MAX, max = 0;
    for (int s = 0; s < 4; s++) {
        min = T.flash.sim.sector_erases[s] < min ? T.flash.sim.sector_erases[s] : min;
        max = T.flash.sim.sector_erases[s] > max ? T.flash.sim.sector_erases[s] : max;
    }
    assert_true(min >= 5);           /* GC ran many times */
    assert_true(max - min <= 1);     /* ring: every sector erased in turn */
    remount();
    expect(1 + 400 % 5, 40 + 400 % 60, 400);
}

/* Two counter steps per commit: the intent before, the completion after. */
static void test_counter_takes_two_steps_per_commit(void **state)
{
    (void)state;
    uint64_t nv = 0;
    put(1, 10, 1);
    put(2, 10, 1);
    assert_int_equal(ms_tee_store_remove(&T.st, 1), MS_OK);
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv), MS_OK);
    assert_int_equal(nv, 6);
    assert_int_equal(T.st.seq, 3);
}

static void test_restored_old_flash_image_is_refused(void **state)
{
    (void)state;
    size_t size = T.flash.area.size;
    uint8_t *old = malloc(size);
    assert_non_null(old);
    put(1, 16, 1);   /* balance yesterday */
    memcpy(old, T.flash.sim.mem, size);
    put(1, 16, 2);   /* balance today */
    memcpy(T.flash.sim.mem, old, size);
    ms_tee_store_unmount(&T.st);
    assert_int_equal(tt_store_mount(&T), MS_ERR_TEE_ROLLBACK);
    free(old);
}

static void test_newest_record_spliced_onto_old_image_is_refused(void **state)
{
    (void)state;
    size_t size = T.flash.area.size;
    uint8_t *old = malloc(size);
    assert_non_null(old);
    put(1, 16, 1);
    put(2, 16, 1);
    memcpy(old, T.flash.sim.mem, size);
    uint32_t a = T.st.wpos;
    put(1, 16, 2);   /* the update the attacker wants to undo */
    put(2, 16, 2);   /* the newest record, which the attacker keeps */
    uint32_t b = T.st.wpos;
    uint32_t rec = b - (b - a) / 2;
    uint32_t sec = T.st.active * T.st.sector_size;
    /* old image + the newest record appended where the old log ended */
    memcpy(old + sec + a, T.flash.sim.mem + sec + rec, b - rec);
    memcpy(T.flash.sim.mem, old, size);
    ms_tee_store_unmount(&T.st);
    assert_int_equal(tt_store_mount(&T), MS_ERR_TEE_ROLLBACK);
    free(old);
}

static void test_lost_completion_step_rolls_forward(void **state)
{
    (void)state;
    uint64_t nv = 0;
    uint8_t b[16];
    put(1, 16, 1);
    tt_fill(b, 16, 1, 2);
    ms_host_tee_nvc_fail_next(2);   /* the step after the commit word */
    assert_int_not_equal(ms_tee_store_set(&T.st, 1, b, 16, 0), MS_OK);
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv), MS_OK);
    assert_int_equal(nv, 3);
    remount();
    expect(1, 16, 2);
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv), MS_OK);
    assert_int_equal(nv, 4);
}

static void test_failed_intent_step_writes_nothing(void **state)
{
    (void)state;
    uint64_t nv = 0;
    uint8_t b[16];
    put(1, 16, 1);
    uint64_t ops = T.flash.sim.ops;
    tt_fill(b, 16, 1, 2);
    ms_host_tee_nvc_fail_next(1);
    assert_int_equal(ms_tee_store_set(&T.st, 1, b, 16, 0), MS_ERR_IO);
    assert_int_equal(T.flash.sim.ops, ops);
    expect(1, 16, 1);
    put(1, 16, 3);   /* the store goes on */
    remount();
    expect(1, 16, 3);
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv), MS_OK);
    assert_int_equal(nv, 4);
}

/* Power dies after a write's intent step, before its record: the next
 * mount gives the old state and spends the interrupted seq on a seal. */
static void test_write_stopped_after_its_intent_is_sealed_at_mount(void **state)
{
    (void)state;
    uint64_t nv = 0;
    uint8_t b[16];
    put(1, 16, 1);
    ms_host_tee_nvc_power_link(&T.flash.sim.powered);
    ms_host_tee_nvc_cut_at(1, 1);
    tt_fill(b, 16, 1, 2);
    assert_int_equal(ms_tee_store_set(&T.st, 1, b, 16, 0), MS_ERR_POWER_LOST);
    ms_tee_store_unmount(&T.st);
    ms_flash_sim_power_on(&T.flash.sim);
    ms_host_tee_nvc_power_link(NULL);
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv), MS_OK);
    assert_int_equal(nv, 3);
    assert_int_equal(tt_store_mount(&T), MS_OK);
    expect(1, 16, 1);
    assert_int_equal(T.st.seq, 2);   /* seq 2 went to the seal */
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv), MS_OK);
    assert_int_equal(nv, 4);
    put(1, 16, 3);
    remount();
    expect(1, 16, 3);
}

static void test_counter_ahead_of_store_is_refused(void **state)
{
    (void)state;
    put(1, 16, 1);
    ms_host_tee_nvc_set(TT_NVC, 5);
    ms_tee_store_unmount(&T.st);
    assert_int_equal(tt_store_mount(&T), MS_ERR_TEE_ROLLBACK);
}

static void test_other_device_keys_cannot_mount(void **state)
{
    (void)state;
    put(1, 16, 1);
    ms_tee_store_unmount(&T.st);
    T.mac_key[0] ^= 1;
    assert_int_equal(tt_store_mount(&T), MS_ERR_TEE_ROLLBACK);
}

static void test_wrong_record_key_reads_corrupt(void **state)
{
    (void)state;
    uint8_t b[16];
    size_t n;
    put(1, 16, 1);
    ms_tee_store_unmount(&T.st);
    T.enc_key[0] ^= 1;
    assert_int_equal(tt_store_mount(&T), MS_OK);
    assert_int_equal(ms_tee_store_get(&T.st, 1, 0, b, sizeof b, &n), MS_ERR_TEE_CORRUPT);
}

static void test_config_with_one_sector_is_refused(void **state)
{
    (void)state;
    tt_store_t *t = malloc(sizeof *t);
    assert_non_null(t);
    tt_store_init(t, 1, 4096, 8, 4, 64);
    assert_int_equal(tt_store_mount(t), MS_ERR_ARG);
    tt_store_close(t);
    free(t);
}

static void test_two_sector_store_survives_many_gcs(void **state)
{
    (void)state;
    tt_store_t *t = malloc(sizeof *t);
    uint8_t b[100], g[100];
    size_t n;
    assert_non_null(t);
    tt_store_init(t, 2, 1024, 4, 4, 100);
    assert_int_equal(tt_store_mount(t), MS_OK);
    for (uint32_t v = 1; v <= 50; v++) {
        tt_fill(b, 60, v % 2 + 1, v);
        assert_int_equal(ms_tee_store_set(&t->st, v % 2 + 1, b, 60, 0), MS_OK);
    }
    ms_tee_store_unmount(&t->st);
    assert_int_equal(tt_store_mount(t), MS_OK);
    tt_fill(b, 60, 1, 50);
    assert_int_equal(ms_tee_store_get(&t->st, 1, 0, g, sizeof g, &n), MS_OK);
    assert_memory_equal(g, b, 60);
    tt_fill(b, 60, 2, 49);
    assert_int_equal(ms_tee_store_get(&t->st, 2, 0, g, sizeof g, &n), MS_OK);
    assert_memory_equal(g, b, 60);
    tt_store_close(t);
    free(t);
}

static void test_failed_flash_write_keeps_old_value(void **state)
{
    (void)state;
    uint8_t b[40];
    put(1, 40, 1);
    uint32_t at = T.st.active * T.st.sector_size + T.st.wpos;
    ms_flash_sim_fail_writes(&T.flash.sim, at, 64);   /* a worn spot */
    tt_fill(b, 40, 1, 2);
    assert_int_equal(ms_tee_store_set(&T.st, 1, b, 40, 0), MS_ERR_FLASH_WRITE);
    expect(1, 40, 1);
    put(2, 40, 1);                                    /* goes on in a fresh sector */
    assert_int_equal(T.st.nv, 2u * T.st.seq);         /* the failed seq was sealed */
    ms_flash_sim_fail_writes(&T.flash.sim, 0, 0);
    remount();
    expect(1, 40, 1);
    expect(2, 40, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(test_fresh_store_has_no_objects),
        T_(test_set_then_get_returns_the_data),
        T_(test_zero_length_object_is_stored),
        T_(test_overwrite_replaces_value_and_size),
        T_(test_get_with_offset_returns_the_tail),
        T_(test_get_offset_past_end_is_invalid),
        T_(test_remove_makes_object_not_found_across_remount),
        T_(test_write_once_refuses_overwrite_and_remove),
        T_(test_uid_zero_is_invalid),
        T_(test_too_large_object_is_refused),
        T_(test_object_count_limit),
        T_(test_byte_capacity_exhaustion_then_remove_frees),
        T_(test_plaintext_never_reaches_flash),
        T_(test_many_updates_spread_erases_over_all_sectors),
        T_(test_counter_takes_two_steps_per_commit),
        T_(test_restored_old_flash_image_is_refused),
        T_(test_newest_record_spliced_onto_old_image_is_refused),
        T_(test_lost_completion_step_rolls_forward),
        T_(test_failed_intent_step_writes_nothing),
        T_(test_write_stopped_after_its_intent_is_sealed_at_mount),
        T_(test_counter_ahead_of_store_is_refused),
        T_(test_other_device_keys_cannot_mount),
        T_(test_wrong_record_key_reads_corrupt),
        T_(test_config_with_one_sector_is_refused),
        T_(test_two_sector_store_survives_many_gcs),
        T_(test_failed_flash_write_keeps_old_value),
#undef T_
    };
    return cmocka_run_group_tests_name("tee_store", tests, NULL, NULL);
}
