/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_boot_deps.c - DEPENDENCY TLVs between the Secure (0) and Non-secure
 * (1) images: an update goes in only beside the images it accepts, an
 * update it needs is installed first, and a pair of primaries that do not
 * accept each other never boots (M4, M6; MCUboot's multi-image rule). The
 * rules keep an attacker who can only stage updates from ever producing
 * such a pair: a downgrade of an image another needs is refused, a
 * permanent install may not rely on a test install, and an image is not
 * confirmed while one it needs is still a test (an independent review
 * bricked meters with the first two before they existed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot_fixture.h"

/* An image of version major.minor with counter 1; `dep_minor` >= 0 adds a
 * dependency on image `dep_on` at version 1.dep_minor.0. */
static fx_image_t mk(uint8_t seed, uint8_t major, uint8_t minor, int dep_on, int dep_minor)
{
    fx_img_opts_t o = {.payload_len = 6000, .seed = seed, .major = major, .minor = minor,
                       .has_sec_cnt = true, .sec_cnt = 1};
    if (dep_minor >= 0) {
        o.n_deps = 1;
        o.deps[0].image_id = (uint8_t)dep_on;
        o.deps[0].min_version = (ms_image_version_t){.major = 1, .minor = (uint8_t)dep_minor};
    }
    return fx_make_image(&o);
}

#define RUNS(fx, i, want) assert_memory_equal((fx)->res.img[i].m.hash, (want).hash, MS_SHA256_LEN)

/* Both images at 1.0, booted once. */
static fx_t *meter(const ms_boot_strategy_t *st, fx_image_t *s, fx_image_t *ns)
{
    fx_t *fx = fx_new(2, st);
    *s = mk(1, 1, 0, -1, -1);
    *ns = mk(2, 1, 0, -1, -1);
    fx_write_slot(fx, 0, 0, s->data, s->len);
    fx_write_slot(fx, 1, 0, ns->data, ns->len);
    assert_int_equal(fx_boot(fx), MS_OK);
    return fx;
}

static void secure_update_needing_a_newer_nonsecure_is_refused(const ms_boot_strategy_t *st)
{
    fx_image_t s, ns;
    fx_t *fx = meter(st, &s, &ns);
    fx_image_t s2 = mk(3, 1, 1, 1, 1);   /* needs NS >= 1.1; NS is 1.0 */
    fx_stage(fx, 0, &s2, st == &ms_boot_strategy_overwrite);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_DEPENDENCY);
    RUNS(fx, 0, s);
    RUNS(fx, 1, ns);
    assert_int_equal(fx_boot(fx), MS_OK);   /* refused for good, old pair keeps booting */
    RUNS(fx, 0, s);
    fx_image_free(&s2);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

static void swap_secure_update_with_unmet_dependency_is_refused(void **state)
{
    (void)state;
    secure_update_needing_a_newer_nonsecure_is_refused(&ms_boot_strategy_swap_move);
}

static void overwrite_secure_update_with_unmet_dependency_is_refused(void **state)
{
    (void)state;
    secure_update_needing_a_newer_nonsecure_is_refused(&ms_boot_strategy_overwrite);
}

static void both_updates_go_in_when_the_needed_one_comes_along(void **state)
{
    (void)state;
    fx_image_t s, ns;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &s, &ns);
    fx_image_t s2 = mk(3, 1, 1, 1, 1);   /* needs NS >= 1.1 */
    fx_image_t ns2 = mk(4, 1, 1, -1, -1);
    fx_stage(fx, 0, &s2, false);
    fx_stage(fx, 1, &ns2, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].update_err, MS_OK);
    RUNS(fx, 0, s2);
    RUNS(fx, 1, ns2);
    fx_image_free(&s2);
    fx_image_free(&ns2);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

static void a_refused_needed_update_refuses_the_dependent_one(void **state)
{
    (void)state;
    fx_image_t s, ns;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &s, &ns);
    fx_image_t s2 = mk(3, 1, 1, 1, 1);
    fx_image_t ns2 = mk(4, 1, 1, -1, -1);
    fx_stage(fx, 0, &s2, false);
    fx_stage(fx, 1, &ns2, false);
    fx_flip(fx, 1, 1, 0x200 + 100);      /* the NS update is tampered */
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[1].update_err, MS_ERR_IMG_HASH);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_DEPENDENCY);
    RUNS(fx, 0, s);
    RUNS(fx, 1, ns);
    fx_image_free(&s2);
    fx_image_free(&ns2);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

static void dependency_on_an_image_the_meter_lacks_is_refused(void **state)
{
    (void)state;
    fx_image_t s, ns;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &s, &ns);
    fx_image_t s2 = mk(3, 1, 1, 7, 0);   /* image 7 does not exist */
    fx_stage(fx, 0, &s2, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_DEPENDENCY);
    RUNS(fx, 0, s);
    fx_image_free(&s2);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

static void met_dependency_installs(void **state)
{
    (void)state;
    fx_image_t s, ns;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &s, &ns);
    fx_image_t s2 = mk(3, 1, 1, 1, 0);   /* needs NS >= 1.0: met */
    fx_stage(fx, 0, &s2, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    RUNS(fx, 0, s2);
    fx_image_free(&s2);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

static void primaries_that_do_not_accept_each_other_never_boot(void **state)
{
    (void)state;
    fx_t *fx = fx_new(2, &ms_boot_strategy_swap_move);
    fx_image_t s = mk(1, 1, 0, 1, 2);    /* needs NS >= 1.2 */
    fx_image_t ns = mk(2, 1, 1, -1, -1);
    fx_write_slot(fx, 0, 0, s.data, s.len);
    fx_write_slot(fx, 1, 0, ns.data, ns.len);
    assert_int_equal(fx_boot(fx), MS_ERR_BOOT_DEPENDENCY);
    assert_int_equal(fx->res.img[0].verify_err, MS_ERR_BOOT_DEPENDENCY);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

static void build_number_does_not_count(void **state)
{
    (void)state;
    fx_t *fx = fx_new(2, &ms_boot_strategy_swap_move);
    fx_img_opts_t o = {.payload_len = 4000, .seed = 1, .major = 1, .minor = 0,
                       .has_sec_cnt = true, .sec_cnt = 1, .n_deps = 1};
    o.deps[0].image_id = 1;
    o.deps[0].min_version = (ms_image_version_t){.major = 1, .minor = 0, .build = 99};
    fx_image_t s = fx_make_image(&o);
    fx_image_t ns = mk(2, 1, 0, -1, -1);
    fx_write_slot(fx, 0, 0, s.data, s.len);
    fx_write_slot(fx, 1, 0, ns.data, ns.len);
    assert_int_equal(fx_boot(fx), MS_OK);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

/* Secure 1.1 (needs NS >= 1.1) with NS 1.1; the vendor's previous NS 1.0
 * (validly signed, same counter) staged by an attacker. */
static void downgrade_of_a_needed_image_is_refused(const ms_boot_strategy_t *st)
{
    fx_t *fx = fx_new(2, st);
    fx_image_t s = mk(1, 1, 1, 1, 1);
    fx_image_t ns = mk(2, 1, 1, -1, -1);
    fx_image_t ns_old = mk(3, 1, 0, -1, -1);
    fx_write_slot(fx, 0, 0, s.data, s.len);
    fx_write_slot(fx, 1, 0, ns.data, ns.len);
    assert_int_equal(fx_boot(fx), MS_OK);
    fx_stage(fx, 1, &ns_old, true);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[1].update_err, MS_ERR_BOOT_DEPENDENCY);
    assert_int_equal(fx_boot(fx), MS_OK);
    RUNS(fx, 0, s);
    RUNS(fx, 1, ns);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_image_free(&ns_old);
    fx_free(fx);
}

static void overwrite_downgrade_of_a_needed_image_is_refused(void **state)
{
    (void)state;
    downgrade_of_a_needed_image_is_refused(&ms_boot_strategy_overwrite);
}

static void swap_downgrade_of_a_needed_image_is_refused(void **state)
{
    (void)state;
    downgrade_of_a_needed_image_is_refused(&ms_boot_strategy_swap_move);
}

/* Secure 1.1 (needs NS >= 1.1) staged permanent, NS 1.1 staged as a test:
 * the permanent install would outlive the test's revert. */
static void permanent_update_may_not_rely_on_a_test_update(void **state)
{
    (void)state;
    fx_image_t s, ns;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &s, &ns);
    fx_image_t s2 = mk(3, 1, 1, 1, 1);
    fx_image_t ns2 = mk(4, 1, 1, -1, -1);
    fx_stage(fx, 0, &s2, true);
    fx_stage(fx, 1, &ns2, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_DEPENDENCY);
    RUNS(fx, 0, s);
    RUNS(fx, 1, ns2);
    for (int i = 0; i < 3; i++) {           /* unconfirmed: NS reverts; every boot boots */
        assert_int_equal(fx_boot(fx), MS_OK);
    }
    RUNS(fx, 0, s);
    RUNS(fx, 1, ns);
    fx_image_free(&s2);
    fx_image_free(&ns2);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

/* Two test installs that need each other run together and, unconfirmed,
 * revert together. */
static void test_updates_relying_on_each_other_revert_together(void **state)
{
    (void)state;
    fx_image_t s, ns;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &s, &ns);
    fx_image_t s2 = mk(3, 1, 1, 1, 1);
    fx_image_t ns2 = mk(4, 1, 1, -1, -1);
    fx_stage(fx, 0, &s2, false);
    fx_stage(fx, 1, &ns2, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    RUNS(fx, 0, s2);
    RUNS(fx, 1, ns2);
    assert_int_equal(fx_boot(fx), MS_OK);
    RUNS(fx, 0, s);
    RUNS(fx, 1, ns);
    fx_image_free(&s2);
    fx_image_free(&ns2);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

/* A confirm of Secure 1.1 while the NS 1.1 it needs is still a test is
 * refused; confirming NS first, then Secure, keeps both for good. */
static void confirm_waits_for_the_images_it_needs(void **state)
{
    (void)state;
    fx_image_t s, ns;
    fx_t *fx = meter(&ms_boot_strategy_swap_move, &s, &ns);
    fx_image_t s2 = mk(3, 1, 1, 1, 1);
    fx_image_t ns2 = mk(4, 1, 1, -1, -1);
    fx_stage(fx, 0, &s2, false);
    fx_stage(fx, 1, &ns2, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(ms_boot_confirm(&fx->cfg, 0), MS_ERR_BOOT_DEPENDENCY);
    assert_int_equal(ms_boot_confirm(&fx->cfg, 1), MS_OK);
    assert_int_equal(ms_boot_confirm(&fx->cfg, 0), MS_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(fx_boot(fx), MS_OK);
        RUNS(fx, 0, s2);
        RUNS(fx, 1, ns2);
    }
    fx_image_free(&s2);
    fx_image_free(&ns2);
    fx_image_free(&s);
    fx_image_free(&ns);
    fx_free(fx);
}

int main(void)
{
    fx_keys_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(swap_secure_update_with_unmet_dependency_is_refused),
        cmocka_unit_test(overwrite_secure_update_with_unmet_dependency_is_refused),
        cmocka_unit_test(both_updates_go_in_when_the_needed_one_comes_along),
        cmocka_unit_test(a_refused_needed_update_refuses_the_dependent_one),
        cmocka_unit_test(dependency_on_an_image_the_meter_lacks_is_refused),
        cmocka_unit_test(met_dependency_installs),
        cmocka_unit_test(primaries_that_do_not_accept_each_other_never_boot),
        cmocka_unit_test(build_number_does_not_count),
        cmocka_unit_test(overwrite_downgrade_of_a_needed_image_is_refused),
        cmocka_unit_test(swap_downgrade_of_a_needed_image_is_refused),
        cmocka_unit_test(permanent_update_may_not_rely_on_a_test_update),
        cmocka_unit_test(test_updates_relying_on_each_other_revert_together),
        cmocka_unit_test(confirm_waits_for_the_images_it_needs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
