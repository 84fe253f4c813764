/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_otp.c - the meter's OTP records (platform/an505/otp.c) against the
 * weakest attacker they must survive: one who can PROGRAM bits (1 -> 0) of
 * the OTP, never erase them - what anyone who reaches a fuse/OTP part's
 * programming interface can do. Such edits may only invalidate a record
 * (fail closed) or raise a counter; after the life-cycle lock nothing can be
 * added. (An attacker who can write any byte, erase included, defeats every
 * record; real parts rule that out, the emulation's PSRAM file cannot.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flash_sim.h"
#include "otp.h"

#define OTP_SIZE 0x10000u

static ms_flash_sim_t sim;
static ms_flash_area_t otp;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(ms_flash_sim_open(&sim, NULL, OTP_SIZE, 0x1000, 8, 0xFF), MS_OK);
    otp = (ms_flash_area_t){.flash = &sim.flash, .off = 0, .size = OTP_SIZE};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ms_flash_sim_close(&sim);
    return 0;
}

/* The attacker: program bits (1 -> 0 only, nothing erased). */
static void program_bits(uint32_t off, const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sim.mem[off + i] &= v[i];
    }
}

static void program_byte(uint32_t off, uint8_t v)
{
    program_bits(off, &v, 1);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A record as otp.c writes it: value, complement, tag, ~tag. */
static void make_rec(uint8_t rec[MS_OTP_KEY_REC_LEN], uint8_t fill, uint32_t tag)
{
    memset(rec, fill, 32);
    memset(rec + 32, (uint8_t)~fill, 32);
    put32(rec + 64, tag);
    put32(rec + 68, ~tag);
}

static uint32_t rot_count(void)
{
    uint8_t hashes[MS_OTP_ROT_SLOTS][MS_SHA256_LEN];
    uint32_t n = 99;
    assert_int_equal(ms_otp_rot_read(&otp, hashes, MS_OTP_ROT_SLOTS, &n), MS_OK);
    return n;
}

/* ---- counters ------------------------------------------------------------ */

static void counter_reads_the_largest_raise(void **state)
{
    (void)state;
    uint32_t v = 99;
    assert_int_equal(ms_otp_counter_get(&otp, 0, &v), MS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(ms_otp_counter_raise(&otp, 0, 3), MS_OK);
    assert_int_equal(ms_otp_counter_raise(&otp, 0, 2), MS_OK);   /* lower: nothing */
    assert_int_equal(ms_otp_counter_raise(&otp, 1, 7), MS_OK);   /* its own region */
    assert_int_equal(ms_otp_counter_get(&otp, 0, &v), MS_OK);
    assert_int_equal(v, 3);
    assert_int_equal(ms_otp_counter_get(&otp, 1, &v), MS_OK);
    assert_int_equal(v, 7);
    assert_int_equal(ms_otp_counter_get(&otp, MS_OTP_CNT_IDS, &v), MS_ERR_ARG);
}

static void counter_region_holds_128_raises(void **state)
{
    (void)state;
    for (uint32_t i = 1; i <= MS_OTP_CNT_REGION / MS_OTP_CNT_CELL; i++) {
        assert_int_equal(ms_otp_counter_raise(&otp, 2, i), MS_OK);
    }
    assert_int_equal(ms_otp_counter_raise(&otp, 2, 1000), MS_ERR_TEE_NO_SPACE);
    uint32_t v = 0;
    assert_int_equal(ms_otp_counter_get(&otp, 2, &v), MS_OK);
    assert_int_equal(v, MS_OTP_CNT_REGION / MS_OTP_CNT_CELL);
}

static void counter_is_never_lowered_by_programming_bits(void **state)
{
    (void)state;
    assert_int_equal(ms_otp_counter_raise(&otp, 0, 1), MS_OK);
    assert_int_equal(ms_otp_counter_raise(&otp, 0, 2), MS_OK);
    /* Every single bit of the region programmed in turn: the value read
     * never drops below 2 (a programmed bit of an inverted value raises it). */
    uint32_t base = MS_OTP_CNT_OFF;
    for (uint32_t byte = 0; byte < 4 * MS_OTP_CNT_CELL; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t saved[4 * MS_OTP_CNT_CELL];
            memcpy(saved, sim.mem + base, sizeof(saved));
            program_byte(base + byte, (uint8_t)~(1u << bit));
            uint32_t v = 0;
            assert_int_equal(ms_otp_counter_get(&otp, 0, &v), MS_OK);
            assert_true(v >= 2);
            memcpy(sim.mem + base, saved, sizeof(saved));
        }
    }
}

static void torn_raise_reads_between_the_old_and_the_new_value(void **state)
{
    (void)state;
    assert_int_equal(ms_otp_counter_raise(&otp, 0, 5), MS_OK);
    /* A raise to 0x0F0F0F0F cut after some of its bits were programmed. */
    uint32_t target = ~0x0F0F0F0Fu;
    uint8_t cell[8];
    put32(cell, target | 0x00FF00FFu);   /* only half the zeros are there */
    memset(cell + 4, 0xFF, 4);
    program_bits(MS_OTP_CNT_OFF + MS_OTP_CNT_CELL, cell, sizeof(cell));
    uint32_t v = 0;
    assert_int_equal(ms_otp_counter_get(&otp, 0, &v), MS_OK);
    assert_true(v >= 5 && v <= 0x0F0F0F0Fu);
}

/* ---- root of trust and the lock --------------------------------------------- */

static void rot_key_cannot_be_added_after_lock(void **state)
{
    (void)state;
    uint8_t vendor[MS_SHA256_LEN], attacker[MS_OTP_ROT_LEN];
    memset(vendor, 0x11, sizeof(vendor));
    assert_int_equal(ms_otp_rot_program(&otp, vendor), MS_OK);
    assert_int_equal(ms_otp_lcs_secure(&otp), MS_OK);
    assert_int_equal(ms_otp_rot_program(&otp, vendor), MS_ERR_STATE);
    /* The attacker programs his own key's record into every other slot. */
    make_rec(attacker, 0x22, 0x4B544F52u);
    for (uint32_t i = 1; i < MS_OTP_ROT_SLOTS; i++) {
        program_bits(MS_OTP_ROT_OFF + i * MS_OTP_ROT_LEN, attacker, sizeof(attacker));
    }
    assert_int_equal(rot_count(), 1);
}

static void secured_meter_with_an_erased_key_slot_is_refused(void **state)
{
    (void)state;
    uint8_t vendor[MS_SHA256_LEN], word[8];
    memset(vendor, 0x11, sizeof(vendor));
    assert_int_equal(ms_otp_rot_program(&otp, vendor), MS_OK);
    /* The life-cycle word programmed directly, without the lock's burning. */
    put32(word, 0x44434553u);
    put32(word + 4, ~0x44434553u);
    program_bits(MS_OTP_LCS_OFF, word, sizeof(word));
    uint8_t hashes[MS_OTP_ROT_SLOTS][MS_SHA256_LEN];
    uint32_t n = 99;
    assert_int_equal(ms_otp_rot_read(&otp, hashes, MS_OTP_ROT_SLOTS, &n), MS_ERR_STATE);
    assert_int_equal(n, 0);
}

static void key_hash_with_a_programmed_bit_is_not_a_key(void **state)
{
    (void)state;
    uint8_t vendor[MS_SHA256_LEN];
    memset(vendor, 0x5A, sizeof(vendor));
    assert_int_equal(ms_otp_rot_program(&otp, vendor), MS_OK);
    assert_int_equal(rot_count(), 1);
    program_byte(MS_OTP_ROT_OFF + 3, 0xF7);   /* hash byte 3: 0x5A -> 0x52 */
    assert_int_equal(rot_count(), 0);
}

static void lock_is_resumable_after_a_cut(void **state)
{
    (void)state;
    uint8_t vendor[MS_SHA256_LEN];
    memset(vendor, 0x11, sizeof(vendor));
    assert_int_equal(ms_otp_rot_program(&otp, vendor), MS_OK);
    ms_flash_sim_cut_after(&sim, 2, 7);   /* during the burning of the slots */
    assert_int_equal(ms_otp_lcs_secure(&otp), MS_ERR_POWER_LOST);
    ms_flash_sim_power_on(&sim);
    ms_otp_lcs_t lcs;
    assert_int_equal(ms_otp_lcs_get(&otp, &lcs), MS_OK);
    assert_int_equal(lcs, MS_OTP_LCS_OPEN);
    assert_int_equal(ms_otp_lcs_secure(&otp), MS_OK);
    assert_int_equal(ms_otp_lcs_get(&otp, &lcs), MS_OK);
    assert_int_equal(lcs, MS_OTP_LCS_SECURED);
    assert_int_equal(rot_count(), 1);
}

/* ---- keys and the update word --------------------------------------------------- */

static void secret_key_with_a_programmed_bit_is_refused(void **state)
{
    (void)state;
    uint8_t key[MS_OTP_KEY_LEN], got[MS_OTP_KEY_LEN];
    for (size_t i = 0; i < sizeof(key); i++) {
        key[i] = (uint8_t)(0xA5 ^ i);
    }
    assert_int_equal(ms_otp_key_program(&otp, MS_OTP_KEY_IMAGE_ENC, key), MS_OK);
    assert_int_equal(ms_otp_key_read(&otp, MS_OTP_KEY_IMAGE_ENC, got), MS_OK);
    assert_memory_equal(got, key, sizeof(key));
    /* One bit of the key (its complement, or the tag) programmed: never a
     * different valid key - the bit oracle on the image decryption key. */
    static const uint32_t at[3] = {0, 40, 64};
    for (size_t i = 0; i < 3; i++) {
        uint8_t saved[MS_OTP_KEY_REC_LEN];
        memcpy(saved, sim.mem + MS_OTP_ENC_OFF, sizeof(saved));
        uint8_t b = sim.mem[MS_OTP_ENC_OFF + at[i]];
        program_byte(MS_OTP_ENC_OFF + at[i], (uint8_t)(b & (b - 1u)));   /* lowest 1 bit */
        assert_int_equal(ms_otp_key_read(&otp, MS_OTP_KEY_IMAGE_ENC, got), MS_ERR_TEE_CORRUPT);
        memcpy(sim.mem + MS_OTP_ENC_OFF, saved, sizeof(saved));
    }
}

static void secret_key_cannot_be_added_after_lock(void **state)
{
    (void)state;
    uint8_t rec[MS_OTP_KEY_REC_LEN], got[MS_OTP_KEY_LEN];
    assert_int_equal(ms_otp_lcs_secure(&otp), MS_OK);   /* no HUK was programmed */
    make_rec(rec, 0x33, 0x2159454Bu);
    program_bits(MS_OTP_HUK_OFF, rec, sizeof(rec));
    assert_int_not_equal(ms_otp_key_read(&otp, MS_OTP_KEY_HUK, got), MS_OK);
    assert_int_equal(ms_otp_key_program(&otp, MS_OTP_KEY_HUK, got), MS_ERR_STATE);
}

static void update_strategy_is_final_after_lock(void **state)
{
    (void)state;
    ms_otp_update_t u;
    assert_int_equal(ms_otp_lcs_secure(&otp), MS_OK);   /* factory: swap (unset), locked */
    assert_int_equal(ms_otp_update_get(&otp, &u), MS_OK);
    assert_int_equal(u, MS_OTP_UPDATE_SWAP_MOVE);
    /* {'UPDT', 0, ~0} -> anything with more zeros: never overwrite, never
     * valid: the boot loader refuses rather than guess. */
    uint8_t rec[12];
    put32(rec, 0x54445055u);
    put32(rec + 4, MS_OTP_UPDATE_OVERWRITE);
    put32(rec + 8, ~(uint32_t)MS_OTP_UPDATE_OVERWRITE);
    program_bits(MS_OTP_UPDATE_OFF, rec, sizeof(rec));
    assert_int_equal(ms_otp_update_get(&otp, &u), MS_ERR_FORMAT);
}

static void overwrite_strategy_chosen_before_the_lock_stays(void **state)
{
    (void)state;
    ms_otp_update_t u;
    assert_int_equal(ms_otp_update_program(&otp, MS_OTP_UPDATE_OVERWRITE), MS_OK);
    assert_int_equal(ms_otp_lcs_secure(&otp), MS_OK);
    assert_int_equal(ms_otp_update_get(&otp, &u), MS_OK);
    assert_int_equal(u, MS_OTP_UPDATE_OVERWRITE);
    assert_int_equal(ms_otp_update_program(&otp, MS_OTP_UPDATE_SWAP_MOVE), MS_ERR_STATE);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(counter_reads_the_largest_raise),
        T(counter_region_holds_128_raises),
        T(counter_is_never_lowered_by_programming_bits),
        T(torn_raise_reads_between_the_old_and_the_new_value),
        T(rot_key_cannot_be_added_after_lock),
        T(secured_meter_with_an_erased_key_slot_is_refused),
        T(key_hash_with_a_programmed_bit_is_not_a_key),
        T(lock_is_resumable_after_a_cut),
        T(secret_key_with_a_programmed_bit_is_refused),
        T(secret_key_cannot_be_added_after_lock),
        T(update_strategy_is_final_after_lock),
        T(overwrite_strategy_chosen_before_the_lock_stays),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
