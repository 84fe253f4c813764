/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_boot_update.c - S13 updates: swap (test / permanent / revert) and
 * overwrite, and every kind of bad update, each with its named error and
 * the old image still booting (M6, M7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot_fixture.h"

static fx_image_t mk(uint8_t seed, uint32_t cnt, uint32_t len)
{
    fx_img_opts_t o = {.payload_len = len, .seed = seed, .major = seed, .has_sec_cnt = true,
                       .sec_cnt = cnt};
    return fx_make_image(&o);
}

/* A meter running image A (seed 1, counter 1) with update B (seed 2,
 * counter 2) written to the secondary slot but not yet marked. */
static fx_t *meter(const ms_boot_strategy_t *st, fx_image_t *a, fx_image_t *b)
{
    fx_t *fx = fx_new(1, st);
    *a = mk(1, 1, 20000);
    *b = mk(2, 2, 30000);
    fx_write_slot(fx, 0, 0, a->data, a->len);
    assert_int_equal(fx_boot(fx), MS_OK);
    return fx;
}

static void done(fx_t *fx, fx_image_t *a, fx_image_t *b)
{
    fx_image_free(a);
    fx_image_free(b);
    fx_free(fx);
}

#define BOOTED(f, want) assert_memory_equal((f)->res.img[0].m.hash, (want).hash, MS_SHA256_LEN)

/* meter() with B installed by swap as a test image and running, not
 * confirmed. */
static fx_t *testing_b(fx_image_t *a, fx_image_t *b)
{
    fx_t *fx = meter(&ms_boot_strategy_swap_move, a, b);
    fx_stage(fx, 0, b, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, *b);
    return fx;
}

static void swap_test_update_boots_then_reverts_without_confirm(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = testing_b(&a, &b);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_TEST);
    assert_false(fx->res.img[0].confirmed);
    assert_int_equal(fx_counter(fx, 0), 1);       /* not raised for a test image */
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_REVERT);
    assert_true(fx->res.img[0].confirmed);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    done(fx, &a, &b);
}

static void swap_test_update_confirmed_stays_and_raises_counter(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = testing_b(&a, &b);
    assert_int_equal(ms_boot_confirm(&fx->cfg, 0), MS_OK);
    assert_int_equal(fx_trailer(fx, 0, 0).image_ok, MS_BOOT_FLAG_SET);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    assert_true(fx->res.img[0].confirmed);
    assert_int_equal(fx_counter(fx, 0), 2);
    done(fx, &a, &b);
}

static void swap_permanent_update_installs_for_good(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &a, &b);
    fx_stage(fx, 0, &b, true);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_PERM);
    assert_int_equal(fx_counter(fx, 0), 2);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_UNSET);
    done(fx, &a, &b);
}

static void overwrite_update_installs_and_clears_pending(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_overwrite, &a, &b);
    fx_stage(fx, 0, &b, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_PERM);
    assert_int_equal(fx_counter(fx, 0), 2);
    assert_int_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_UNSET);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    done(fx, &a, &b);
}

/* Stage a bad update; it must be refused with `want` and A keep booting. */
static void expect_rejected(const ms_boot_strategy_t *st, fx_image_t *bad, ms_err_t want,
                            void (*spoil)(fx_t *fx))
{
    fx_image_t a, b;
    fx_t *fx = meter(st, &a, &b);
    fx_stage(fx, 0, bad, false);
    if (spoil != NULL) {
        spoil(fx);
    }
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_FAIL);
    assert_int_equal(fx->res.img[0].update_err, want);
    assert_int_not_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
    assert_int_equal(fx_boot(fx), MS_OK);    /* and it is not retried */
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    done(fx, &a, &b);
}

static const ms_boot_strategy_t *const strategies[] = {
    &ms_boot_strategy_swap_move, &ms_boot_strategy_overwrite,
};

static void update_with_bad_signature_is_rejected(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_image_t bad = mk(3, 2, 30000);
        bad.data[bad.len - 3] ^= 0x01;
        expect_rejected(strategies[s], &bad, MS_ERR_SIGNATURE, NULL);
        fx_image_free(&bad);
    }
}

static void update_with_tampered_payload_is_rejected(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_image_t bad = mk(3, 2, 30000);
        bad.data[0x200 + 777] ^= 0x80;
        expect_rejected(strategies[s], &bad, MS_ERR_IMG_HASH, NULL);
        fx_image_free(&bad);
    }
}

static void update_signed_with_wrong_key_is_rejected(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_img_opts_t o = {.payload_len = 10000, .seed = 4, .key = &fx_other_priv};
        fx_image_t bad = fx_make_image(&o);
        expect_rejected(strategies[s], &bad, MS_ERR_IMG_KEY_UNKNOWN, NULL);
        fx_image_free(&bad);
    }
}

/* MCUboot treats a slot whose image carries NON_BOOTABLE (0x10) as holding
 * no bootable image: a validly signed one is not installed. */
static void non_bootable_update_is_rejected(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_img_opts_t o = {.payload_len = 10000, .seed = 4, .has_sec_cnt = true, .sec_cnt = 2,
                           .flags = MS_IMAGE_F_NON_BOOTABLE};
        fx_image_t nb = fx_make_image(&o);
        expect_rejected(strategies[s], &nb, MS_ERR_BOOT_NON_BOOTABLE, NULL);
        fx_image_free(&nb);
    }
}

static void downgrade_by_security_counter_is_refused(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_image_t a, b;
        fx_t *fx = meter(strategies[s], &a, &b);
        fx_set_counter(fx, 0, 5);
        fx_image_t a5 = mk(1, 5, 20000);
        fx_write_slot(fx, 0, 0, a5.data, a5.len);
        fx_image_t old = mk(9, 4, 20000);   /* validly signed, counter 4 < 5 */
        fx_stage(fx, 0, &old, true);
        assert_int_equal(fx_boot(fx), MS_OK);
        BOOTED(fx, a5);
        assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_ROLLBACK);
        assert_int_equal(fx_counter(fx, 0), 5);
        fx_image_free(&a5);
        fx_image_free(&old);
        done(fx, &a, &b);
    }
}

/* A test image that was confirmed is the device's image from then on (M6):
 * an update staged before the next boot must not take it back to the image
 * it replaced, although the counter is raised only on a boot that installs
 * nothing. */
static void confirmed_test_image_cannot_be_swapped_back_to_its_predecessor(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = testing_b(&a, &b);
    assert_int_equal(ms_boot_confirm(&fx->cfg, 0), MS_OK);
    fx_stage(fx, 0, &a, true);         /* before any further boot */
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_ROLLBACK);
    assert_int_equal(fx_counter(fx, 0), 2);
    done(fx, &a, &b);
}

/* The attacker's proof of concept: the secondary slot and its trailer are
 * writable by anyone who can stage an update. Right after the test image B
 * (counter 2) was confirmed, and before the next boot, stage its
 * predecessor A (counter 1) and write one more byte, swap_info = REVERT, in
 * the secondary trailer. A revert is decided by the boot loader from what it
 * wrote itself (the primary trailer); the forged byte must change nothing:
 * A is refused as a rollback, B keeps running, the counter becomes 2. */
static void forged_revert_in_secondary_cannot_bring_back_the_predecessor(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = testing_b(&a, &b);
    assert_int_equal(ms_boot_confirm(&fx->cfg, 0), MS_OK);
    fx_stage(fx, 0, &a, true);
    fx_program_byte(fx, 0, 1, fx_layout(fx).swap_info_off, MS_BOOT_SWAP_REVERT);
    assert_int_equal(fx_trailer(fx, 0, 1).swap_type, MS_BOOT_SWAP_REVERT);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_ROLLBACK);
    assert_int_equal(fx_counter(fx, 0), 2);
    /* and it stays so */
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx_counter(fx, 0), 2);
    done(fx, &a, &b);
}

/* The secondary trailer is the attacker's. Junk in the padding bytes of its
 * image_ok field (the byte decoded is still erased) must not make the boot
 * core's own write there fail: a revert marks the old image in that
 * trailer, and must still happen on this boot. */
static void revert_is_not_stopped_by_junk_in_secondary_field_padding(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = testing_b(&a, &b);
    fx_program_byte(fx, 0, 1, fx_layout(fx).image_ok_off + 3, 0x5a);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_REVERT);
    assert_int_equal(fx->res.img[0].update_err, MS_OK);
    done(fx, &a, &b);
}

/* The same junk under ms_boot_set_pending: staging still works. */
static void staging_is_not_stopped_by_junk_in_secondary_field_padding(void **state)
{
    (void)state;
    for (int permanent = 0; permanent < 2; permanent++) {
        fx_image_t a, b;
        fx_t *fx = meter(&ms_boot_strategy_swap_move, &a, &b);
        fx_write_slot(fx, 0, 1, b.data, b.len);
        fx_program_byte(fx, 0, 1, fx_layout(fx).image_ok_off + 3, 0x5a);
        assert_int_equal(ms_boot_set_pending(&fx->cfg, 0, permanent), MS_OK);
        assert_int_equal(fx_boot(fx), MS_OK);
        BOOTED(fx, b);
        assert_int_equal(fx->res.img[0].action, permanent ? MS_BOOT_SWAP_PERM : MS_BOOT_SWAP_TEST);
        done(fx, &a, &b);
    }
}

static void erase_tail(fx_t *fx)
{
    /* the sector holding the TLVs of a 30000-byte payload image */
    assert_int_equal(ms_flash_area_erase(&fx->slot[0][1], 7 * FX_SECTOR, FX_SECTOR), MS_OK);
}

static void truncated_update_is_rejected(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_image_t bad = mk(3, 2, 30000);
        expect_rejected(strategies[s], &bad, MS_ERR_IMG_TLV_INFO, erase_tail);
        fx_image_free(&bad);
    }
}

static void erase_middle(fx_t *fx)
{
    assert_int_equal(ms_flash_area_erase(&fx->slot[0][1], 2 * FX_SECTOR, 2 * FX_SECTOR), MS_OK);
}

static void half_erased_secondary_is_rejected(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_image_t bad = mk(3, 2, 30000);
        expect_rejected(strategies[s], &bad, MS_ERR_IMG_HASH, erase_middle);
        fx_image_free(&bad);
    }
}

static void update_overlapping_the_trailer_is_too_large(void **state)
{
    (void)state;
    /* 58 KiB: fits the 64 KiB slot, but not below its trailer sector and
     * swap-move's spare sector. */
    fx_image_t big = mk(5, 2, 58 * 1024);
    expect_rejected(&ms_boot_strategy_swap_move, &big, MS_ERR_IMG_TOO_LARGE, NULL);
    fx_image_free(&big);
}

static void update_whose_header_claims_more_than_the_slot_is_rejected(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_image_t bad = mk(5, 2, 10000);
        bad.data[12] = 0x00, bad.data[13] = 0x00, bad.data[14] = 0x10, bad.data[15] = 0x00;
        expect_rejected(strategies[s], &bad, MS_ERR_TRUNCATED, NULL);
        fx_image_free(&bad);
    }
}

static void garbage_secondary_trailer_is_not_an_update(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_image_t a, b;
        fx_t *fx = meter(strategies[s], &a, &b);
        fx_write_slot(fx, 0, 1, b.data, b.len);
        uint8_t junk[48];
        for (size_t i = 0; i < sizeof(junk); i++) {
            junk[i] = (uint8_t)(i * 91 + 5);
        }
        assert_int_equal(ms_flash_area_write(&fx->slot[0][1], FX_SLOT_SIZE - 48, junk, 48), MS_OK);
        assert_int_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_BAD);
        assert_int_equal(fx_boot(fx), MS_OK);
        BOOTED(fx, a);
        assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
        /* staging over it again works: the torn trailer is erased first */
        assert_int_equal(ms_boot_set_pending(&fx->cfg, 0, true), MS_OK);
        assert_int_equal(fx_boot(fx), MS_OK);
        BOOTED(fx, b);
        done(fx, &a, &b);
    }
}

static void encrypted_update_is_decrypted_on_install(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_overwrite, &a, &b);
    fx_img_opts_t o = {.payload_len = 30000, .seed = 6, .has_sec_cnt = true, .sec_cnt = 2,
                       .encrypt = true};
    fx_image_t e = fx_make_image(&o);
    fx_stage(fx, 0, &e, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, e);
    /* the primary holds plaintext: compare with the signed plaintext */
    uint8_t got[64];
    assert_int_equal(ms_flash_area_read(&fx->slot[0][0], 0x200, got, sizeof(got)), MS_OK);
    assert_memory_not_equal(got, e.data + 0x200, sizeof(got));
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, e);
    fx_image_free(&e);
    done(fx, &a, &b);
}

static void swap_encrypted_updates_reencrypt_the_outgoing_image_for_revert(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &a, &b);
    fx_img_opts_t o = {.payload_len = 30000, .seed = 6, .has_sec_cnt = true, .sec_cnt = 2,
                       .encrypt = true};
    fx_image_t e = fx_make_image(&o);
    o.seed = 7, o.sec_cnt = 3, o.payload_len = 12000;
    fx_image_t f = fx_make_image(&o);
    fx_stage(fx, 0, &e, true);                 /* A -> E, for good */
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, e);
    fx_stage(fx, 0, &f, false);                /* E -> F, a test */
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, f);
    /* E went back to the secondary encrypted again: its bytes there are the
     * ciphertext it was shipped as */
    uint8_t got[64];
    assert_int_equal(ms_flash_area_read(&fx->slot[0][1], 0x200, got, sizeof(got)), MS_OK);
    assert_memory_equal(got, e.data + 0x200, sizeof(got));
    assert_int_equal(fx_boot(fx), MS_OK);      /* no confirm: revert decrypts E again */
    BOOTED(fx, e);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_REVERT);
    fx_image_free(&e);
    fx_image_free(&f);
    done(fx, &a, &b);
}

static void encrypted_update_without_key_store_is_rejected(void **state)
{
    (void)state;
    fx_img_opts_t o = {.payload_len = 30000, .seed = 6, .has_sec_cnt = true, .sec_cnt = 2,
                       .encrypt = true};
    fx_image_t e = fx_make_image(&o);
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_overwrite, &a, &b);
    fx->plat.keystore.path[0] = 0;
    fx_stage(fx, 0, &e, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_NO_ENC_KEY);
    fx_image_free(&e);
    done(fx, &a, &b);
}

static void encrypted_update_with_wrong_key_is_rejected(void **state)
{
    (void)state;
    fx_img_opts_t o = {.payload_len = 30000, .seed = 6, .has_sec_cnt = true, .sec_cnt = 2,
                       .encrypt = true};
    fx_image_t e = fx_make_image(&o);
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_overwrite, &a, &b);
    assert_int_equal(ms_host_keystore_provision(fx->plat.keystore.path, &fx_other_priv), MS_OK);
    fx_stage(fx, 0, &e, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_IMG_ENC_KEY);
    fx_image_free(&e);
    done(fx, &a, &b);
}

static void worn_primary_trailer_fails_update_but_old_image_boots(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &a, &b);
    fx_stage(fx, 0, &b, false);
    /* the primary's last sector (swap status, swap_info, magic) is worn out */
    ms_flash_sim_fail_writes(&fx->sim, fx->slot[0][0].off + FX_SLOT_SIZE - FX_SECTOR, FX_SECTOR);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_FAIL);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_FLASH_WRITE);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    done(fx, &a, &b);
}

static void worn_status_entries_fail_update_but_old_image_boots(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &a, &b);
    fx_stage(fx, 0, &b, false);
    /* only the swap status area (the first 3 KiB of the trailer) */
    ms_flash_sim_fail_writes(&fx->sim, fx->slot[0][0].off + FX_SLOT_SIZE - FX_SECTOR, 3072);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_FLASH_WRITE);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    done(fx, &a, &b);
}

static void worn_secondary_trailer_cannot_stage_and_old_image_boots(void **state)
{
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        fx_image_t a, b;
        fx_t *fx = meter(strategies[s], &a, &b);
        fx_write_slot(fx, 0, 1, b.data, b.len);
        ms_flash_sim_fail_writes(&fx->sim, fx->slot[0][1].off + FX_SLOT_SIZE - 64, 64);
        assert_int_equal(ms_boot_set_pending(&fx->cfg, 0, false), MS_ERR_FLASH_WRITE);
        assert_int_equal(fx_boot(fx), MS_OK);
        BOOTED(fx, a);
        assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
        done(fx, &a, &b);
    }
}

/* Overwrite mode: a primary sector that cannot be written stops the install
 * and the boot is refused rather than running a half-copied image. The
 * secondary now holds the only intact image: a write failure that goes away
 * (a brown-out, a flaky program cycle) must not brick the meter, so the
 * update stays pending and the next boot installs it. */
static void overwrite_write_failure_keeps_the_only_good_copy_pending(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_overwrite, &a, &b);
    fx_stage(fx, 0, &b, false);
    ms_flash_sim_fail_writes(&fx->sim, fx->slot[0][0].off + 3 * FX_SECTOR, 16);
    assert_int_equal(fx_boot(fx), MS_ERR_BOOT_NO_IMAGE);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_FLASH_WRITE);
    assert_int_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
    ms_flash_sim_fail_writes(&fx->sim, 0, 0);      /* the fault is gone */
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_PERM);
    done(fx, &a, &b);
}

static void confirm_without_trailer_is_a_no_op(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &a, &b);
    uint64_t ops = fx->sim.ops;
    assert_int_equal(ms_boot_confirm(&fx->cfg, 0), MS_OK);
    assert_int_equal(fx->sim.ops, ops);
    assert_int_equal(ms_boot_confirm(&fx->cfg, 3), MS_ERR_ARG);
    done(fx, &a, &b);
}

/* MCUboot built with BOOT_MAX_ALIGN > 8 (and imgtool --max-align 16) use
 * the alternative trailer magic; the boot core must read and write that one
 * when configured for such a max_align, or an update staged by imgtool is
 * never seen and MCUboot's tools cannot read what the core wrote. */
static void max_align_16_trailer_uses_mcuboots_alternative_magic(void **state)
{
    (void)state;
    fx_image_t a, b;
    fx_t *fx = fx_new(1, &ms_boot_strategy_swap_move);
    fx->cfg.max_align = 16;
    a = mk(1, 1, 20000);
    b = mk(2, 2, 30000);
    fx_write_slot(fx, 0, 0, a.data, a.len);
    assert_int_equal(fx_boot(fx), MS_OK);
    uint8_t want[16], got[16];
    assert_int_equal(ms_trailer_magic_for(16, want), MS_OK);
    /* as imgtool --max-align 16 --pad writes it: the alternative magic */
    fx_write_slot(fx, 0, 1, b.data, b.len);
    assert_int_equal(ms_flash_area_write(&fx->slot[0][1], fx->slot_size - 16u, want, 16), MS_OK);
    assert_int_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_TEST);
    /* what the core wrote in the primary is the same magic */
    assert_int_equal(ms_flash_area_read(&fx->slot[0][0], fx->slot_size - 16u, got, 16), MS_OK);
    assert_memory_equal(got, want, 16);
    /* and ms_boot_set_pending writes it too */
    fx_write_slot(fx, 0, 1, a.data, a.len);
    assert_int_equal(ms_boot_set_pending(&fx->cfg, 0, true), MS_OK);
    assert_int_equal(ms_flash_area_read(&fx->slot[0][1], fx->slot_size - 16u, got, 16), MS_OK);
    assert_memory_equal(got, want, 16);
    done(fx, &a, &b);
}

static void swap_type_table_matches_mcuboot(void **state)
{
    (void)state;
    ms_boot_trailer_state_t p = {.magic = MS_BOOT_MAGIC_UNSET, .copy_done = MS_BOOT_FLAG_UNSET,
                                 .image_ok = MS_BOOT_FLAG_UNSET};
    ms_boot_trailer_state_t s = p;
    assert_int_equal(ms_boot_swap_type(&p, &s), MS_BOOT_SWAP_NONE);
    s.magic = MS_BOOT_MAGIC_GOOD;
    assert_int_equal(ms_boot_swap_type(&p, &s), MS_BOOT_SWAP_TEST);
    s.image_ok = MS_BOOT_FLAG_SET;
    assert_int_equal(ms_boot_swap_type(&p, &s), MS_BOOT_SWAP_PERM);
    s.image_ok = MS_BOOT_FLAG_BAD;
    assert_int_equal(ms_boot_swap_type(&p, &s), MS_BOOT_SWAP_NONE);
    s = (ms_boot_trailer_state_t){.magic = MS_BOOT_MAGIC_UNSET, .image_ok = MS_BOOT_FLAG_UNSET,
                                  .copy_done = MS_BOOT_FLAG_UNSET};
    p = (ms_boot_trailer_state_t){.magic = MS_BOOT_MAGIC_GOOD, .image_ok = MS_BOOT_FLAG_UNSET,
                                  .copy_done = MS_BOOT_FLAG_SET};
    assert_int_equal(ms_boot_swap_type(&p, &s), MS_BOOT_SWAP_REVERT);
    p.image_ok = MS_BOOT_FLAG_SET;
    assert_int_equal(ms_boot_swap_type(&p, &s), MS_BOOT_SWAP_NONE);
    p.image_ok = MS_BOOT_FLAG_UNSET;
    p.copy_done = MS_BOOT_FLAG_UNSET;
    assert_int_equal(ms_boot_swap_type(&p, &s), MS_BOOT_SWAP_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(swap_test_update_boots_then_reverts_without_confirm),
        cmocka_unit_test(swap_test_update_confirmed_stays_and_raises_counter),
        cmocka_unit_test(swap_permanent_update_installs_for_good),
        cmocka_unit_test(overwrite_update_installs_and_clears_pending),
        cmocka_unit_test(update_with_bad_signature_is_rejected),
        cmocka_unit_test(update_with_tampered_payload_is_rejected),
        cmocka_unit_test(update_signed_with_wrong_key_is_rejected),
        cmocka_unit_test(non_bootable_update_is_rejected),
        cmocka_unit_test(downgrade_by_security_counter_is_refused),
        cmocka_unit_test(confirmed_test_image_cannot_be_swapped_back_to_its_predecessor),
        cmocka_unit_test(forged_revert_in_secondary_cannot_bring_back_the_predecessor),
        cmocka_unit_test(revert_is_not_stopped_by_junk_in_secondary_field_padding),
        cmocka_unit_test(staging_is_not_stopped_by_junk_in_secondary_field_padding),
        cmocka_unit_test(truncated_update_is_rejected),
        cmocka_unit_test(half_erased_secondary_is_rejected),
        cmocka_unit_test(update_overlapping_the_trailer_is_too_large),
        cmocka_unit_test(update_whose_header_claims_more_than_the_slot_is_rejected),
        cmocka_unit_test(garbage_secondary_trailer_is_not_an_update),
        cmocka_unit_test(encrypted_update_is_decrypted_on_install),
        cmocka_unit_test(swap_encrypted_updates_reencrypt_the_outgoing_image_for_revert),
        cmocka_unit_test(encrypted_update_without_key_store_is_rejected),
        cmocka_unit_test(encrypted_update_with_wrong_key_is_rejected),
        cmocka_unit_test(worn_primary_trailer_fails_update_but_old_image_boots),
        cmocka_unit_test(worn_status_entries_fail_update_but_old_image_boots),
        cmocka_unit_test(worn_secondary_trailer_cannot_stage_and_old_image_boots),
        cmocka_unit_test(overwrite_write_failure_keeps_the_only_good_copy_pending),
        cmocka_unit_test(confirm_without_trailer_is_a_no_op),
        cmocka_unit_test(max_align_16_trailer_uses_mcuboots_alternative_magic),
        cmocka_unit_test(swap_type_table_matches_mcuboot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
