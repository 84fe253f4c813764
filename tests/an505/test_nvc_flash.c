/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_nvc_flash.c - the replay-protected counter device in flash
 * (platform/an505/nvc_flash.c), on the host's NOR simulator: values only
 * grow and survive a remount, records need the device key, a power cut at
 * any flash operation never lowers a value that was acknowledged, and the
 * ring wears round without losing a counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flash_sim.h"
#include "nvc_flash.h"

#define SECTOR 0x1000u
#define SECTORS 4u

static ms_flash_sim_t sim;
static ms_flash_area_t area;
static const uint8_t key[MS_NVC_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t other_key[MS_NVC_KEY_LEN] = { 8, 7, 6, 5, 4, 3, 2, 1 };

static int setup(void **state)
{
    (void)state;
    assert_int_equal(ms_flash_sim_open(&sim, NULL, SECTOR * SECTORS, SECTOR, 8, 0xFF), MS_OK);
    area = (ms_flash_area_t){ .flash = &sim.flash, .off = 0, .size = SECTOR * SECTORS };
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ms_flash_sim_close(&sim);
    return 0;
}

static uint64_t value(const ms_nvc_flash_t *d, uint32_t id)
{
    uint64_t v = 0;
    assert_int_equal(ms_nvc_flash_read(d, id, &v), MS_OK);
    return v;
}

static void blank_device_reads_zero_and_counts_up(void **state)
{
    (void)state;
    ms_nvc_flash_t d;
    assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
    assert_int_equal(value(&d, 0), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ms_nvc_flash_increment(&d, 0), MS_OK);
    }
    assert_int_equal(ms_nvc_flash_increment(&d, 1), MS_OK);
    assert_int_equal(value(&d, 0), 5);
    assert_int_equal(value(&d, 1), 1);
    assert_int_equal(ms_nvc_flash_increment(&d, MS_NVC_IDS), MS_ERR_ARG);
}

static void values_survive_a_remount(void **state)
{
    (void)state;
    ms_nvc_flash_t d;
    assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(ms_nvc_flash_increment(&d, 2), MS_OK);
    }
    assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
    assert_int_equal(value(&d, 2), 7);
}

static void records_made_without_the_device_key_do_not_count(void **state)
{
    (void)state;
    ms_nvc_flash_t d, forger;
    assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
    assert_int_equal(ms_nvc_flash_increment(&d, 0), MS_OK);
    /* Someone without the key formats and counts far ahead elsewhere... */
    ms_flash_area_t tail = { .flash = &sim.flash, .off = 2u * SECTOR, .size = 2u * SECTOR };
    assert_int_equal(ms_flash_area_erase_all(&tail), MS_OK);
    assert_int_equal(ms_nvc_flash_mount(&forger, &tail, other_key), MS_OK);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(ms_nvc_flash_increment(&forger, 0), MS_OK);
    }
    /* ... and the device, with its key, still reads its own value. */
    assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
    assert_int_equal(value(&d, 0), 1);
}

static void an_edited_record_does_not_count(void **state)
{
    (void)state;
    ms_nvc_flash_t d;
    assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
    assert_int_equal(ms_nvc_flash_increment(&d, 0), MS_OK);
    /* An attacker with a probe raises the value of the record after the
     * header (bytes 8..15 of it) without the key to fix its MAC. */
    sim.mem[32u + 8u] = 0x40;
    assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
    assert_int_equal(value(&d, 0), 0);
}

static void the_ring_wears_round_without_losing_a_counter(void **state)
{
    (void)state;
    ms_nvc_flash_t d;
    assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
    assert_int_equal(ms_nvc_flash_increment(&d, 3), MS_OK);
    /* Far more records than the ring holds: many sector changes. */
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(ms_nvc_flash_increment(&d, (uint32_t)(i % 2)), MS_OK);
    }
    assert_true(d.erases >= 10u);
    assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
    assert_int_equal(value(&d, 0), 1000);
    assert_int_equal(value(&d, 1), 1000);
    assert_int_equal(value(&d, 3), 1);
}

/* A cut during every flash operation of a run that crosses sector changes:
 * after the reboot no counter is below its last acknowledged value, and
 * none is more than one above it. */
static void a_power_cut_never_lowers_an_acknowledged_value(void **state)
{
    (void)state;
    for (uint64_t cut = 1; cut < 400; cut += 3) {
        ms_nvc_flash_t d;
        ms_flash_sim_power_on(&sim);
        assert_int_equal(ms_flash_area_erase_all(&area), MS_OK);
        assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
        assert_int_equal(ms_nvc_flash_increment(&d, 2), MS_OK);   /* a rarely moved id */
        uint64_t acked[2] = { 0, 0 };
        ms_flash_sim_cut_after(&sim, cut, (uint32_t)cut * 2654435761u);
        for (int i = 0; i < 300; i++) {
            uint32_t id = (uint32_t)(i % 2);
            if (ms_nvc_flash_increment(&d, id) != MS_OK) {
                break;
            }
            acked[id]++;
        }
        ms_flash_sim_cut_after(&sim, 0, 0);
        ms_flash_sim_power_on(&sim);
        assert_int_equal(ms_nvc_flash_mount(&d, &area, key), MS_OK);
        for (uint32_t id = 0; id < 2; id++) {
            assert_true(value(&d, id) >= acked[id]);
            assert_true(value(&d, id) <= acked[id] + 1u);
        }
        assert_int_equal(value(&d, 2), 1);
        /* and it goes on counting */
        assert_int_equal(ms_nvc_flash_increment(&d, 0), MS_OK);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(blank_device_reads_zero_and_counts_up),
        T(values_survive_a_remount),
        T(records_made_without_the_device_key_do_not_count),
        T(an_edited_record_does_not_count),
        T(the_ring_wears_round_without_losing_a_counter),
        T(a_power_cut_never_lowers_an_acknowledged_value),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
