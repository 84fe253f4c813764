/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rng.c - the TEE RNG (M10): SP 800-90B health tests catch a stuck and
 * a biased source, pass a good one, and a failure is sticky.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/tee_rng.h"

typedef struct src {
    uint32_t x;
    int mode;          /* 0 good, 1 stuck after n, 2 biased, 3 failing */
    uint64_t n;
    uint64_t given;
} src_t;

static ms_err_t source(void *ctx, uint8_t *buf, size_t len)
{
    src_t *s = ctx;
    if (s->mode == 3) {
        return MS_ERR_RNG;
    }
    for (size_t i = 0; i < len; i++, s->given++) {
        s->x ^= s->x << 13;
        s->x ^= s->x >> 17;
        s->x ^= s->x << 5;
        uint8_t b = (uint8_t)(s->x >> 8);
        if (s->mode == 1 && s->given >= s->n) {
            b = 0x5a;
        } else if (s->mode == 2 && (s->x & 7u) < 3u) {
            b = 0x33;   /* value 0x33 with probability ~3/8 */
        }
        buf[i] = b;
    }
    return MS_OK;
}

static void test_rct_cutoff_follows_claimed_entropy(void **state)
{
    (void)state;
    ms_tee_rng_health_t h;
    assert_int_equal(ms_tee_rng_health_init(&h, 4), MS_OK);
    assert_int_equal(h.rct_cutoff, 6);
    assert_int_equal(h.apt_cutoff, 62);
    assert_int_equal(ms_tee_rng_health_init(&h, 8), MS_OK);
    assert_int_equal(h.rct_cutoff, 4);
    assert_int_equal(h.apt_cutoff, 13);
    assert_int_equal(ms_tee_rng_health_init(&h, 1), MS_OK);
    assert_int_equal(h.rct_cutoff, 21);
    assert_int_equal(ms_tee_rng_health_init(&h, 0), MS_ERR_ARG);
    assert_int_equal(ms_tee_rng_health_init(&h, 9), MS_ERR_ARG);
}

/* SP 800-90B 4.4.2: C = 1 + CRITBINOM(W, 2^-H, 1 - alpha), alpha = 2^-20,
 * computed here from the binomial distribution for every claimed H. */
static void test_apt_cutoffs_match_the_binomial_quantile_for_every_h(void **state)
{
    (void)state;
    const double target = 1.0 - 1.0 / 1048576.0;
    for (unsigned hb = 1; hb <= 8; hb++) {
        const double p = 1.0 / (double)(1u << hb), q = 1.0 - p;
        double pmf = 1.0;
        for (unsigned i = 0; i < MS_TEE_RNG_APT_WINDOW; i++) {
            pmf *= q;
        }
        double cdf = pmf;
        unsigned k = 0;
        while (cdf < target) {
            pmf *= (double)(MS_TEE_RNG_APT_WINDOW - k) / (double)(k + 1u) * p / q;
            k++;
            cdf += pmf;
        }
        ms_tee_rng_health_t h;
        assert_int_equal(ms_tee_rng_health_init(&h, hb), MS_OK);
        assert_int_equal(h.apt_cutoff, 1u + k);
        /* RCT: C = 1 + ceil(20 / H) */
        assert_int_equal(h.rct_cutoff, 1u + (20u + hb - 1u) / hb);
    }
}

static void test_rct_fails_exactly_at_cutoff(void **state)
{
    (void)state;
    ms_tee_rng_health_t h;
    uint8_t run[6] = { 7, 7, 7, 7, 7, 7 };
    assert_int_equal(ms_tee_rng_health_init(&h, 4), MS_OK);
    assert_int_equal(ms_tee_rng_health_feed(&h, run, 5), MS_OK);
    assert_int_equal(ms_tee_rng_health_feed(&h, run, 1), MS_ERR_TEE_RNG_HEALTH);
    /* sticky */
    uint8_t other = 1;
    assert_int_equal(ms_tee_rng_health_feed(&h, &other, 1), MS_ERR_TEE_RNG_HEALTH);
}

static void test_apt_fails_on_frequent_value_without_runs(void **state)
{
    (void)state;
    ms_tee_rng_health_t h;
    uint8_t buf[512];
    assert_int_equal(ms_tee_rng_health_init(&h, 4), MS_OK);
    /* 0xAA every other sample: no run longer than 1, but 256 of 512 */
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] = (i % 2 == 0) ? 0xaa : (uint8_t)i;
    }
    assert_int_equal(ms_tee_rng_health_feed(&h, buf, sizeof buf), MS_ERR_TEE_RNG_HEALTH);
    /* the window's first sample is the reference: its 62nd occurrence,
     * at index 122, is the failing sample (not one earlier or later) */
    assert_int_equal(h.samples, 123);
}

static void test_good_source_passes_and_gives_distinct_output(void **state)
{
    (void)state;
    src_t s = { .x = 0x1234567u, .mode = 0 };
    uint8_t a[64], b[64];
    assert_int_equal(ms_tee_rng_init(source, &s, 4), MS_OK);
    assert_true(s.given >= MS_TEE_RNG_STARTUP_SAMPLES);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(ms_tee_rng_generate(a, sizeof a), MS_OK);
    }
    assert_int_equal(ms_tee_rng_generate(b, sizeof b), MS_OK);
    assert_memory_not_equal(a, b, sizeof a);
}

static void test_stuck_source_fails_startup(void **state)
{
    (void)state;
    src_t s = { .x = 99, .mode = 1, .n = 500 };
    uint8_t a[16];
    assert_int_equal(ms_tee_rng_init(source, &s, 4), MS_ERR_TEE_RNG_HEALTH);
    assert_int_equal(ms_tee_rng_generate(a, sizeof a), MS_ERR_TEE_RNG_HEALTH);
}

static void test_source_that_sticks_later_stops_the_service(void **state)
{
    (void)state;
    src_t s = { .x = 4242, .mode = 1, .n = 4000 };
    uint8_t a[32];
    ms_err_t err = MS_OK;
    int calls = 0;
    assert_int_equal(ms_tee_rng_init(source, &s, 4), MS_OK);
    while (err == MS_OK && calls < 1000) {
        err = ms_tee_rng_generate(a, sizeof a);
        calls++;
    }
    assert_int_equal(err, MS_ERR_TEE_RNG_HEALTH);
    assert_true(calls < 200);
    assert_int_equal(ms_tee_rng_entropy(a, sizeof a), MS_ERR_TEE_RNG_HEALTH);
}

static void test_biased_source_fails(void **state)
{
    (void)state;
    src_t s = { .x = 777, .mode = 2 };
    assert_int_equal(ms_tee_rng_init(source, &s, 4), MS_ERR_TEE_RNG_HEALTH);
}

static void test_source_error_is_reported(void **state)
{
    (void)state;
    src_t s = { .x = 1, .mode = 3 };
    assert_int_equal(ms_tee_rng_init(source, &s, 4), MS_ERR_RNG);
}

static void test_platform_source_passes(void **state)
{
    (void)state;
    uint8_t a[32];
    assert_int_equal(ms_tee_rng_init(NULL, NULL, 4), MS_OK);
    assert_int_equal(ms_tee_rng_generate(a, sizeof a), MS_OK);
    assert_int_equal(ms_tee_rng_generate(a, MS_TEE_RNG_MAX_REQUEST + 1), MS_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rct_cutoff_follows_claimed_entropy),
        cmocka_unit_test(test_apt_cutoffs_match_the_binomial_quantile_for_every_h),
        cmocka_unit_test(test_rct_fails_exactly_at_cutoff),
        cmocka_unit_test(test_apt_fails_on_frequent_value_without_runs),
        cmocka_unit_test(test_good_source_passes_and_gives_distinct_output),
        cmocka_unit_test(test_stuck_source_fails_startup),
        cmocka_unit_test(test_source_that_sticks_later_stops_the_service),
        cmocka_unit_test(test_biased_source_fails),
        cmocka_unit_test(test_source_error_is_reported),
        cmocka_unit_test(test_platform_source_passes),
    };
    return cmocka_run_group_tests_name("tee_rng", tests, NULL, NULL);
}
