/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_boot_powercut.c - power cut at every flash operation (M6).
 *
 * For each scenario: run it once without a cut to count its state-changing
 * flash operations N; then for every i in 1..N restore the start state, cut
 * power during operation i, reboot until a boot completes, and check that
 * a verified image boots (the old or the new, never neither) and that the
 * state is consistent: booting on gives the image the scenario promises.
 * Scenarios: overwrite install, swap install (test), swap install
 * (permanent), revert, each for a Secure + Non-secure pair; plus seeded
 * random runs with several cuts in a row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "boot_fixture.h"

#ifndef MS_BOOT_SWEEP_STRIDE
#define MS_BOOT_SWEEP_STRIDE 1
#endif

static fx_image_t old_s, new_s, old_ns, new_ns, enc_old_s, enc_new_s;
/* the Secure images of the scenario being run */
static const fx_image_t *o_s = &old_s, *n_s = &new_s;
static unsigned long total_cuts;
static unsigned long cut_index; /* the cut being checked, for failure messages */

static int setup(void **state)
{
    (void)state;
    fx_keys_init();
    fx_img_opts_t o = {.payload_len = 26000, .seed = 1, .major = 1, .has_sec_cnt = true, .sec_cnt = 1};
    old_s = fx_make_image(&o);
    o.seed = 2, o.major = 2, o.sec_cnt = 2, o.payload_len = 33000;
    new_s = fx_make_image(&o);
    o.seed = 3, o.major = 1, o.sec_cnt = 1, o.payload_len = 12000;
    old_ns = fx_make_image(&o);
    o.seed = 4, o.major = 2, o.sec_cnt = 2, o.payload_len = 9000;
    new_ns = fx_make_image(&o);
    o.encrypt = true;
    o.seed = 5, o.major = 1, o.sec_cnt = 1, o.payload_len = 30000;
    enc_old_s = fx_make_image(&o);
    o.seed = 6, o.major = 2, o.sec_cnt = 2, o.payload_len = 22000;
    enc_new_s = fx_make_image(&o);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_image_free(&old_s);
    fx_image_free(&new_s);
    fx_image_free(&old_ns);
    fx_image_free(&new_ns);
    fx_image_free(&enc_old_s);
    fx_image_free(&enc_new_s);
    printf("power-cut points exercised in this run: %lu\n", total_cuts);
    return 0;
}

static int is(const fx_t *fx, size_t i, const fx_image_t *img)
{
    return memcmp(fx->res.img[i].m.hash, img->hash, MS_SHA256_LEN) == 0;
}

/* Both images booted are verified and each is its old or its new one. */
static void assert_old_or_new(const fx_t *fx)
{
    assert_true(is(fx, 0, o_s) || is(fx, 0, n_s));
    assert_true(is(fx, 1, &old_ns) || is(fx, 1, &new_ns));
}

typedef enum { SC_OVERWRITE, SC_SWAP_TEST, SC_SWAP_PERM, SC_REVERT, SC_SWAP_ENC, SC_REVERT_ENC } scenario_t;

/* Build the start state of a scenario; the boot that follows is the one cut. */
static fx_t *start_state(scenario_t sc)
{
    fx_t *fx = fx_new(2, sc == SC_OVERWRITE ? &ms_boot_strategy_overwrite
                                            : &ms_boot_strategy_swap_move);
    o_s = (sc == SC_SWAP_ENC || sc == SC_REVERT_ENC) ? &enc_old_s : &old_s;
    n_s = (sc == SC_SWAP_ENC || sc == SC_REVERT_ENC) ? &enc_new_s : &new_s;
    if (sc == SC_SWAP_ENC || sc == SC_REVERT_ENC) {
        /* the running image was itself installed from an encrypted update */
        fx_write_slot(fx, 0, 0, old_s.data, old_s.len);
        fx_write_slot(fx, 1, 0, old_ns.data, old_ns.len);
        fx_stage(fx, 0, o_s, true);
    } else {
        fx_write_slot(fx, 0, 0, o_s->data, o_s->len);
        fx_write_slot(fx, 1, 0, old_ns.data, old_ns.len);
    }
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_true(is(fx, 0, o_s));
    bool perm = sc == SC_SWAP_PERM;
    fx_stage(fx, 0, n_s, perm);
    fx_stage(fx, 1, &new_ns, perm);
    if (sc == SC_REVERT || sc == SC_REVERT_ENC) {
        assert_int_equal(fx_boot(fx), MS_OK);   /* test install; not confirmed */
        assert_true(is(fx, 0, n_s) && is(fx, 1, &new_ns));
    }
    return fx;
}

/* What booting on must settle to after the cut boot. */
static void assert_settled(fx_t *fx, scenario_t sc)
{
    switch (sc) {
    case SC_OVERWRITE:
    case SC_SWAP_PERM:
        assert_true(is(fx, 0, n_s) && is(fx, 1, &new_ns));
        assert_int_equal(fx_boot(fx), MS_OK);
        assert_true(is(fx, 0, n_s) && is(fx, 1, &new_ns));
        assert_int_equal(fx_counter(fx, 0), 2);
        break;
    case SC_SWAP_TEST:
    case SC_SWAP_ENC:
        /* The test images run once, then revert without a confirm. A cut
         * after the last swap step completed (copy_done written, torn or
         * not) leaves the test state already set: the boot that was cut
         * was the test boot, and this one reverts. Both images always
         * move together. */
        if (is(fx, 0, n_s) && is(fx, 1, &new_ns)) {
            assert_int_equal(fx_counter(fx, 0), 1);
            assert_int_equal(fx_boot_settle(fx), MS_OK);
        } else if (!(fx->res.img[0].action == MS_BOOT_SWAP_REVERT &&
                     fx->res.img[1].action == MS_BOOT_SWAP_REVERT)) {
            fail_msg("cut %lu: test boot: image0 %s action %d, image1 %s action %d", cut_index,
                     is(fx, 0, o_s) ? "old" : "new", fx->res.img[0].action,
                     is(fx, 1, &old_ns) ? "old" : "new", fx->res.img[1].action);
        }
        if (!(is(fx, 0, o_s) && is(fx, 1, &old_ns))) {
            fail_msg("cut %lu: after the test boot: image0 %s action %d, image1 %s action %d",
                     cut_index, is(fx, 0, o_s) ? "old" : "new", fx->res.img[0].action,
                     is(fx, 1, &old_ns) ? "old" : "new", fx->res.img[1].action);
        }
        break;
    case SC_REVERT:
    case SC_REVERT_ENC:
        assert_true(is(fx, 0, o_s) && is(fx, 1, &old_ns));
        assert_int_equal(fx_counter(fx, 0), 1);
        break;
    }
    /* and it stays there */
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    assert_int_equal(fx->res.img[1].action, MS_BOOT_SWAP_NONE);
    assert_int_not_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
}

static void sweep(scenario_t sc, const char *name)
{
    fx_t *fx = start_state(sc);
    fx_snapshot(fx);
    uint64_t ops0 = fx->sim.ops;
    assert_int_equal(fx_boot(fx), MS_OK);
    uint64_t n = fx->sim.ops - ops0;
    assert_true(n > 0);
    assert_settled(fx, sc);
    unsigned long cuts = 0;
    for (uint64_t i = 1; i <= n; i += MS_BOOT_SWEEP_STRIDE) {
        fx_restore(fx);
        ms_flash_sim_cut_after(&fx->sim, i, (uint32_t)(i * 2654435761u));
        ms_err_t err = ms_boot_go(&fx->boot, &fx->cfg, &fx->res);
        assert_int_equal(err, MS_ERR_POWER_LOST);
        err = fx_boot_settle(fx);
        if (err != MS_OK) {
            fail_msg("%s: cut at op %lu of %lu: boot after the cut gave %s", name,
                     (unsigned long)i, (unsigned long)n, ms_errname(err));
        }
        assert_old_or_new(fx);
        cut_index = (unsigned long)i;
        assert_settled(fx, sc);
        cuts++;
    }
    total_cuts += cuts;
    printf("%s: %lu flash operations, %lu cut points, all boot a verified image\n", name,
           (unsigned long)n, cuts);
    fx_free(fx);
}

static void power_cut_at_every_op_of_overwrite_install(void **state)
{
    (void)state;
    sweep(SC_OVERWRITE, "overwrite install");
}

static void power_cut_at_every_op_of_swap_test_install(void **state)
{
    (void)state;
    sweep(SC_SWAP_TEST, "swap install (test)");
}

static void power_cut_at_every_op_of_swap_permanent_install(void **state)
{
    (void)state;
    sweep(SC_SWAP_PERM, "swap install (permanent)");
}

static void power_cut_at_every_op_of_revert(void **state)
{
    (void)state;
    sweep(SC_REVERT, "revert");
}

/* A power cut while the running test image confirms itself: whatever the
 * torn image_ok byte holds, the image is confirmed and never reverted. */
static void power_cut_during_confirm_keeps_the_image_confirmed(void **state)
{
    (void)state;
    unsigned long cuts = 0;
    for (uint32_t seed = 1; seed <= 24; seed++) {
        fx_t *fx = start_state(SC_SWAP_TEST);
        assert_int_equal(fx_boot(fx), MS_OK);
        assert_true(is(fx, 0, n_s));
        ms_flash_sim_cut_after(&fx->sim, 1, seed * 2654435761u);
        ms_err_t err = ms_boot_confirm(&fx->cfg, 0);
        assert_true(err == MS_ERR_POWER_LOST);
        assert_int_equal(ms_boot_confirm(&fx->cfg, 1), MS_ERR_POWER_LOST);
        ms_flash_sim_power_on(&fx->sim);
        assert_int_equal(ms_boot_confirm(&fx->cfg, 0), MS_OK);   /* retry is harmless */
        assert_int_equal(ms_boot_confirm(&fx->cfg, 1), MS_OK);
        for (int k = 0; k < 2; k++) {
            assert_int_equal(fx_boot(fx), MS_OK);
            assert_true(is(fx, 0, n_s) && is(fx, 1, &new_ns));
            assert_true(fx->res.img[0].confirmed);
            assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
        }
        assert_int_equal(fx_counter(fx, 0), 2);
        cuts++;
        fx_free(fx);
    }
    total_cuts += cuts;
    printf("confirm: %lu torn confirms, all stay confirmed\n", cuts);
}

/* The forged revert (test_boot_update.c) with a power cut at every flash
 * operation of the boot that refuses it: the confirmed test images are
 * committed before anything moves, so however the boot is cut, the
 * predecessors never come back and the counter never goes below 2. */
static void power_cut_at_every_op_of_a_refused_forged_revert(void **state)
{
    (void)state;
    fx_t *fx = start_state(SC_SWAP_TEST);
    assert_int_equal(fx_boot(fx), MS_OK);            /* the test boot */
    assert_true(is(fx, 0, n_s) && is(fx, 1, &new_ns));
    assert_int_equal(ms_boot_confirm(&fx->cfg, 0), MS_OK);
    assert_int_equal(ms_boot_confirm(&fx->cfg, 1), MS_OK);
    fx_stage(fx, 0, o_s, true);
    fx_stage(fx, 1, &old_ns, true);
    uint32_t swap_info = fx_layout(fx).swap_info_off;
    fx_program_byte(fx, 0, 1, swap_info, MS_BOOT_SWAP_REVERT);
    fx_program_byte(fx, 1, 1, swap_info, (1u << 4) | MS_BOOT_SWAP_REVERT);
    fx_snapshot(fx);
    uint64_t ops0 = fx->sim.ops;
    assert_int_equal(fx_boot(fx), MS_OK);
    uint64_t n = fx->sim.ops - ops0;
    assert_true(is(fx, 0, n_s) && is(fx, 1, &new_ns));
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_ROLLBACK);
    unsigned long cuts = 0;
    for (uint64_t i = 1; i <= n; i += MS_BOOT_SWEEP_STRIDE) {
        fx_restore(fx);
        ms_flash_sim_cut_after(&fx->sim, i, (uint32_t)(i * 2654435761u));
        assert_int_equal(ms_boot_go(&fx->boot, &fx->cfg, &fx->res), MS_ERR_POWER_LOST);
        for (int k = 0; k < 2; k++) {
            assert_int_equal(fx_boot_settle(fx), MS_OK);
            if (!(is(fx, 0, n_s) && is(fx, 1, &new_ns))) {
                fail_msg("cut at op %lu of %lu: a predecessor came back", (unsigned long)i,
                         (unsigned long)n);
            }
            assert_int_equal(fx_counter(fx, 0), 2);
            assert_int_equal(fx_counter(fx, 1), 2);
        }
        assert_int_not_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
        cuts++;
    }
    total_cuts += cuts;
    printf("refused forged revert: %lu flash operations, %lu cut points, never a predecessor\n",
           (unsigned long)n, cuts);
    fx_free(fx);
}

/* A revert is decided from the primary trailer only, and marks the old
 * image in the secondary pending-permanent before it rewrites the primary
 * trailer. A cut in between (the primary trailer erased or half written)
 * must finish as a permanent install of the old image: never the test image
 * kept, never its counter committed. Cuts at every operation of the revert's
 * start, one image. */
static void power_cut_at_the_start_of_a_revert_finishes_it_without_the_test_image(void **state)
{
    (void)state;
    fx_t *fx = fx_new(1, &ms_boot_strategy_swap_move);
    fx_write_slot(fx, 0, 0, old_s.data, old_s.len);
    assert_int_equal(fx_boot(fx), MS_OK);
    fx_stage(fx, 0, &new_s, false);
    assert_int_equal(fx_boot(fx), MS_OK);             /* the test boot, not confirmed */
    assert_true(is(fx, 0, &new_s));
    fx_snapshot(fx);
    unsigned long as_perm = 0, cuts = 0;
    for (uint64_t i = 1; i <= 12; i++) {
        fx_restore(fx);
        ms_flash_sim_cut_after(&fx->sim, i, (uint32_t)(i * 2654435761u));
        assert_int_equal(ms_boot_go(&fx->boot, &fx->cfg, &fx->res), MS_ERR_POWER_LOST);
        assert_int_equal(fx_boot_settle(fx), MS_OK);
        if (!is(fx, 0, &old_s) || fx_counter(fx, 0) != 1) {
            fail_msg("cut at op %lu: image %s, counter %u", (unsigned long)i,
                     is(fx, 0, &new_s) ? "test" : "?", (unsigned)fx_counter(fx, 0));
        }
        ms_boot_swap_type_t act = fx->res.img[0].action;
        assert_true(act == MS_BOOT_SWAP_REVERT || act == MS_BOOT_SWAP_PERM);
        as_perm += act == MS_BOOT_SWAP_PERM;
        assert_int_equal(fx_boot(fx), MS_OK);
        assert_true(is(fx, 0, &old_s));
        assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
        assert_int_equal(fx_counter(fx, 0), 1);
        cuts++;
    }
    assert_true(as_perm > 0);   /* some cuts did land between the two trailers */
    total_cuts += cuts;
    printf("revert start: %lu cut points, %lu finished as a permanent install of the old image\n",
           cuts, as_perm);
    fx_free(fx);
}

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Several cuts in a row, including cuts during the boots that resume. */
static void power_cut_at_every_op_of_encrypted_swap_and_its_revert(void **state)
{
    (void)state;
    sweep(SC_SWAP_ENC, "encrypted swap install (test) and revert");
}

static void power_cut_at_every_op_of_encrypted_revert(void **state)
{
    (void)state;
    sweep(SC_REVERT_ENC, "encrypted revert (decrypt old, re-encrypt test image)");
}

static void random_multi_cut_runs_always_boot_a_verified_image(void **state)
{
    (void)state;
    uint32_t seed = 0x5eed1234u;
    unsigned long cuts = 0;
    for (int run = 0; run < 40 / MS_BOOT_SWEEP_STRIDE + 2; run++) {
        scenario_t sc = (scenario_t)(rng_next(&seed) % 6);
        fx_t *fx = start_state(sc);
        ms_err_t err = MS_ERR_POWER_LOST;
        int boots = 0;
        while (err == MS_ERR_POWER_LOST && boots < 40) {
            ms_flash_sim_power_on(&fx->sim);
            if (boots < 8 && rng_next(&seed) % 4 != 0) {
                ms_flash_sim_cut_after(&fx->sim, 1 + rng_next(&seed) % 260, rng_next(&seed));
            }
            err = ms_boot_go(&fx->boot, &fx->cfg, &fx->res);
            if (err == MS_ERR_POWER_LOST) {
                cuts++;
            }
            ms_flash_sim_cut_after(&fx->sim, 0, 0);
            boots++;
        }
        assert_int_equal(err, MS_OK);
        assert_old_or_new(fx);
        assert_settled(fx, sc);
        fx_free(fx);
    }
    total_cuts += cuts;
    printf("random multi-cut runs: %lu cuts\n", cuts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(power_cut_at_every_op_of_overwrite_install),
        cmocka_unit_test(power_cut_at_every_op_of_swap_test_install),
        cmocka_unit_test(power_cut_at_every_op_of_swap_permanent_install),
        cmocka_unit_test(power_cut_at_every_op_of_revert),
        cmocka_unit_test(power_cut_at_every_op_of_encrypted_swap_and_its_revert),
        cmocka_unit_test(power_cut_at_every_op_of_encrypted_revert),
        cmocka_unit_test(power_cut_during_confirm_keeps_the_image_confirmed),
        cmocka_unit_test(power_cut_at_every_op_of_a_refused_forged_revert),
        cmocka_unit_test(power_cut_at_the_start_of_a_revert_finishes_it_without_the_test_image),
        cmocka_unit_test(random_multi_cut_runs_always_boot_a_verified_image),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
