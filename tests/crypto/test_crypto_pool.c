/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_pool.c - the MCU crypto pool (src/crypto/mbedtls/pool.c,
 * compiled into this test directly): alignment, zeroing, no overlap under a
 * long pseudo-random alloc/free sequence, coalescing back to one block,
 * exhaustion, the frees it must ignore (double, foreign, mid-block, forged
 * header, the root), wiping, statistics, lazy initialisation, a broken chain.
 * Then the backend's hook (crypto.h): this program defines
 * ms_crypto_pool_current(), so ms_random() must keep one DRBG per pool,
 * inside that pool. Built for the Mbed TLS backend only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "meterseal/crypto.h"
#include "pool.h"

#define REGION_LEN (16u * 1024u)
#define HDR        MS_POOL_BLOCK_HEAD_LEN

static unsigned char region[REGION_LEN] __attribute__((aligned(8)));
/* the backend's pools (the hook tests below); other regions for the pool tests */
static unsigned char pool_a[2048] __attribute__((aligned(8)));
static unsigned char pool_b[2048] __attribute__((aligned(8)));
static unsigned char pool_tiny[64] __attribute__((aligned(8)));

static int reset_region(void **state)
{
    (void)state;
    memset(region, 0, sizeof(region));
    return 0;
}

static size_t round8(size_t n)
{
    return (n + 7u) & ~(size_t)7u;
}

/* Largest single allocation an empty aligned region of len bytes serves. */
static size_t max_payload(size_t len)
{
    return (len & ~(size_t)7u) - MS_POOL_HEAD_LEN - HDR;
}

static void assert_in_region(const void *p, size_t n)
{
    const unsigned char *c = p;
    assert_true(c >= region && c + n <= region + sizeof(region));
    assert_int_equal((uintptr_t)p % 8u, 0);
}

static void assert_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(c[i], 0);
    }
}

static void stats(size_t *in_use, size_t *high)
{
    ms_pool_stats(region, sizeof(region), in_use, high);
}

/* ---- the allocator ------------------------------------------------------ */

static void zero_region_initialises_on_first_use(void **state)
{
    (void)state;
    size_t in_use = 1, high = 1;
    stats(&in_use, &high);
    assert_int_equal(in_use, 0);
    assert_int_equal(high, 0);
    assert_false(ms_pool_check(region, sizeof(region)));
    ms_pool_free(region, sizeof(region), region + 64);   /* nothing to free yet */
    assert_false(ms_pool_check(region, sizeof(region)));

    unsigned char *p = ms_pool_calloc(region, sizeof(region), 1, 10);
    assert_non_null(p);
    assert_in_region(p, 10);
    assert_ptr_equal(p, region + MS_POOL_HEAD_LEN + HDR);
    assert_true(ms_pool_check(region, sizeof(region)));
    stats(&in_use, &high);
    assert_int_equal(in_use, 16 + HDR);
    assert_int_equal(high, 16 + HDR);
}

static void garbage_region_without_magic_is_zeroed_at_init(void **state)
{
    (void)state;
    memset(region, 0xa5, sizeof(region));
    region[0] = 0;   /* no magic */
    unsigned char *p = ms_pool_calloc(region, sizeof(region), 4, 25);
    assert_non_null(p);
    assert_zero(p, 100);
    assert_true(ms_pool_check(region, sizeof(region)));   /* free payloads zero */
}

static void misaligned_region_gives_aligned_blocks(void **state)
{
    (void)state;
    for (size_t skew = 1; skew < 8; skew++) {
        memset(region, 0, sizeof(region));
        unsigned char *r = region + skew;
        size_t len = 1000;
        void *a = ms_pool_calloc(r, len, 1, 1);
        void *b = ms_pool_calloc(r, len, 3, 7);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal((uintptr_t)a % 8u, 0);
        assert_int_equal((uintptr_t)b % 8u, 0);
        assert_true((unsigned char *)a >= r && (unsigned char *)b + 21 <= r + len);
        assert_true(ms_pool_check(r, len));
        ms_pool_free(r, len, a);
        ms_pool_free(r, len, b);
        /* the whole region, rounded inward to 8-byte boundaries, serves */
        size_t usable = (len - (8 - skew)) & ~(size_t)7u;
        void *big = ms_pool_calloc(r, len, 1, usable - MS_POOL_HEAD_LEN - HDR);
        assert_non_null(big);
        ms_pool_free(r, len, big);
        assert_null(ms_pool_calloc(r, len, 1, usable - MS_POOL_HEAD_LEN - HDR + 1));
        /* nothing was written outside [r, r + len) */
        assert_zero(region, skew);
        assert_zero(r + len, sizeof(region) - skew - len);
    }
}

static void calloc_zeroes_reused_memory(void **state)
{
    (void)state;
    unsigned char *p = ms_pool_calloc(region, sizeof(region), 1, 300);
    assert_non_null(p);
    memset(p, 0xee, 300);
    ms_pool_free(region, sizeof(region), p);
    unsigned char *q = ms_pool_calloc(region, sizeof(region), 300, 1);
    assert_ptr_equal(q, p);
    assert_zero(q, 300);
}

static void sizes_zero_or_overflowing_give_null(void **state)
{
    (void)state;
    assert_null(ms_pool_calloc(region, sizeof(region), 0, 16));
    assert_null(ms_pool_calloc(region, sizeof(region), 16, 0));
    assert_null(ms_pool_calloc(region, sizeof(region), SIZE_MAX / 2 + 1, 2));
    assert_null(ms_pool_calloc(region, sizeof(region), 2, SIZE_MAX / 2 + 1));
    assert_null(ms_pool_calloc(region, sizeof(region), 1, SIZE_MAX));
    assert_null(ms_pool_calloc(region, sizeof(region), 1, sizeof(region)));
    assert_null(ms_pool_calloc(NULL, sizeof(region), 1, 8));
    assert_null(ms_pool_calloc(region, MS_POOL_HEAD_LEN + HDR + 7, 1, 1));   /* too small */
    ms_pool_free(region, sizeof(region), NULL);
    ms_pool_free(NULL, 0, region);
    size_t in_use = 1;
    stats(&in_use, NULL);
    assert_int_equal(in_use, 0);
}

/* A long pseudo-random sequence of allocations and frees: every block is in
 * the region, aligned, zeroed, disjoint from every live block, and keeps its
 * contents until freed; the chain stays intact throughout. */
#define SLOTS 48

struct slot {
    unsigned char *p;
    size_t n;
    unsigned char fill;
};

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void random_sequence_keeps_blocks_disjoint_and_intact(void **state)
{
    (void)state;
    struct slot slots[SLOTS];
    memset(slots, 0, sizeof(slots));
    uint32_t seed = 0x12345678u;
    size_t allocated = 0, refused = 0;
    for (unsigned step = 0; step < 40000; step++) {
        struct slot *s = &slots[xorshift(&seed) % SLOTS];
        if (s->p == NULL) {
            uint32_t r = xorshift(&seed);
            size_t n = (r & 7u) == 0 ? 1 + (r >> 8) % 3000 : 1 + (r >> 8) % 400;
            unsigned char *p = ms_pool_calloc(region, sizeof(region), 1, n);
            if (p == NULL) {
                refused++;
                continue;
            }
            allocated++;
            assert_in_region(p, n);
            assert_zero(p, n);
            for (size_t i = 0; i < SLOTS; i++) {
                if (slots[i].p != NULL) {
                    assert_true(p + n <= slots[i].p || slots[i].p + slots[i].n <= p);
                }
            }
            s->p = p;
            s->n = n;
            s->fill = (unsigned char)(step | 1u);
            memset(p, s->fill, n);
        } else {
            for (size_t i = 0; i < s->n; i++) {
                assert_int_equal(s->p[i], s->fill);
            }
            ms_pool_free(region, sizeof(region), s->p);
            s->p = NULL;
        }
        if (step % 512 == 0) {
            assert_true(ms_pool_check(region, sizeof(region)));
        }
    }
    assert_true(allocated > 10000);
    assert_true(refused > 0);   /* the pool was full at times */

    size_t in_use = 0, high = 0, live = 0;
    for (size_t i = 0; i < SLOTS; i++) {
        if (slots[i].p != NULL) {
            live += round8(slots[i].n) + HDR;
        }
    }
    stats(&in_use, &high);
    assert_int_equal(in_use, live);
    assert_true(high >= live && high <= sizeof(region));

    for (size_t i = 0; i < SLOTS; i++) {
        if (slots[i].p != NULL) {
            for (size_t k = 0; k < slots[i].n; k++) {
                assert_int_equal(slots[i].p[k], slots[i].fill);
            }
            ms_pool_free(region, sizeof(region), slots[i].p);
        }
    }
    stats(&in_use, NULL);
    assert_int_equal(in_use, 0);
    assert_true(ms_pool_check(region, sizeof(region)));
    /* all free: one block again, serving a request of nearly the region */
    unsigned char *all = ms_pool_calloc(region, sizeof(region), 1, max_payload(sizeof(region)));
    assert_non_null(all);
    assert_zero(all, max_payload(sizeof(region)));
}

static void frees_in_any_order_coalesce_to_one_block(void **state)
{
    (void)state;
    static const unsigned orders[][4] = {
        { 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 1, 3, 0, 2 }, { 2, 0, 3, 1 }, { 0, 2, 1, 3 },
    };
    for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
        void *b[4];
        for (size_t i = 0; i < 4; i++) {
            b[i] = ms_pool_calloc(region, sizeof(region), 1, 100 + 50 * i);
            assert_non_null(b[i]);
        }
        for (size_t i = 0; i < 4; i++) {
            ms_pool_free(region, sizeof(region), b[orders[o][i]]);
            assert_true(ms_pool_check(region, sizeof(region)));
        }
        void *all = ms_pool_calloc(region, sizeof(region), 1, max_payload(sizeof(region)));
        assert_non_null(all);
        ms_pool_free(region, sizeof(region), all);
    }
}

static void exhaustion_gives_null_and_recovers(void **state)
{
    (void)state;
    void *blocks[REGION_LEN / 64];
    size_t n = 0;
    for (;;) {
        void *p = ms_pool_calloc(region, sizeof(region), 1, 100);
        if (p == NULL) {
            break;
        }
        assert_true(n < sizeof(blocks) / sizeof(blocks[0]));
        blocks[n++] = p;
    }
    /* 104 + 8 bytes a block; the last one may take a remainder too small to split */
    assert_int_equal(n, (REGION_LEN - MS_POOL_HEAD_LEN) / 112);
    assert_null(ms_pool_calloc(region, sizeof(region), 1, 1));
    assert_true(ms_pool_check(region, sizeof(region)));
    ms_pool_free(region, sizeof(region), blocks[n / 2]);
    void *again = ms_pool_calloc(region, sizeof(region), 1, 100);
    assert_ptr_equal(again, blocks[n / 2]);
    assert_null(ms_pool_calloc(region, sizeof(region), 1, 1));
    blocks[n / 2] = again;
    for (size_t i = 0; i < n; i++) {
        ms_pool_free(region, sizeof(region), blocks[i]);
    }
    size_t in_use = 1, high = 0;
    stats(&in_use, &high);
    assert_int_equal(in_use, 0);
    assert_int_equal(high, REGION_LEN - MS_POOL_HEAD_LEN);   /* the pool was full */
}

static void bad_frees_are_ignored(void **state)
{
    (void)state;
    unsigned char *a = ms_pool_calloc(region, sizeof(region), 1, 64);
    unsigned char *b = ms_pool_calloc(region, sizeof(region), 1, 200);
    unsigned char *c = ms_pool_calloc(region, sizeof(region), 1, 64);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    memset(a, 0x11, 64);
    memset(b, 0x22, 200);
    memset(c, 0x33, 64);
    /* b's payload holds a copy of b's own header, as if forged */
    memcpy(b + 64, b - HDR, HDR);
    static unsigned char before[REGION_LEN];
    memcpy(before, region, sizeof(region));

    unsigned char elsewhere[64] __attribute__((aligned(8)));
    void *bad[] = {
        b + 1, b + 8, b + 64 + HDR,   /* inside b; the last behind the forged header */
        b - HDR,                      /* b's header */
        region, region + 8,           /* the pool header */
        region + sizeof(region) - 8,  /* inside the last (free) block */
        region + sizeof(region),      /* the end */
        elsewhere, pool_a + 32, pool_b + 64,   /* not in the pool */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ms_pool_free(region, sizeof(region), bad[i]);
        assert_memory_equal(region, before, sizeof(region));
    }

    /* a double free: the first wipes and releases, the second changes nothing */
    ms_pool_free(region, sizeof(region), a);
    assert_zero(a, 64);
    memcpy(before, region, sizeof(region));
    ms_pool_free(region, sizeof(region), a);
    assert_memory_equal(region, before, sizeof(region));
    assert_true(ms_pool_check(region, sizeof(region)));
    for (size_t i = 0; i < 200; i++) {
        assert_true(b[i] == 0x22 || (i >= 64 && i < 64 + HDR));
    }
    for (size_t i = 0; i < 64; i++) {
        assert_int_equal(c[i], 0x33);
    }
    size_t in_use = 0;
    stats(&in_use, NULL);
    assert_int_equal(in_use, 208 + 72);
    /* the region given with another length is not this pool */
    ms_pool_free(region, sizeof(region) - 64, b);
    assert_null(ms_pool_calloc(region, sizeof(region) - 64, 1, 8));
    assert_memory_equal(region, before, sizeof(region));
}

static void freed_bytes_are_wiped(void **state)
{
    (void)state;
    unsigned char *a = ms_pool_calloc(region, sizeof(region), 1, 96);
    unsigned char *b = ms_pool_calloc(region, sizeof(region), 1, 96);
    unsigned char *c = ms_pool_calloc(region, sizeof(region), 1, 96);
    assert_non_null(c);
    memset(a, 0x5a, 96);
    memset(b, 0x5a, 96);
    memset(c, 0x5a, 96);
    ms_pool_free(region, sizeof(region), a);
    ms_pool_free(region, sizeof(region), c);   /* merges with the free tail */
    ms_pool_free(region, sizeof(region), b);   /* merges with both */
    /* nothing but the pool header and one block header is left non-zero */
    size_t nonzero = 0;
    for (size_t i = MS_POOL_HEAD_LEN + HDR; i < sizeof(region); i++) {
        nonzero += region[i] != 0;
    }
    assert_int_equal(nonzero, 0);
    assert_true(ms_pool_check(region, sizeof(region)));
}

static void stats_follow_use_and_high_water(void **state)
{
    (void)state;
    size_t in_use = 0, high = 0;
    void *a = ms_pool_calloc(region, sizeof(region), 1, 100);   /* 104 + 8 */
    void *b = ms_pool_calloc(region, sizeof(region), 2, 100);   /* 200 + 8 */
    stats(&in_use, &high);
    assert_int_equal(in_use, 320);
    assert_int_equal(high, 320);
    ms_pool_free(region, sizeof(region), a);
    stats(&in_use, &high);
    assert_int_equal(in_use, 208);
    assert_int_equal(high, 320);
    void *c = ms_pool_calloc(region, sizeof(region), 1, 1);   /* 8 + 8, into a's place */
    assert_ptr_equal(c, a);
    stats(&in_use, &high);
    assert_int_equal(in_use, 224);
    assert_int_equal(high, 320);
    ms_pool_free(region, sizeof(region), b);
    ms_pool_free(region, sizeof(region), c);
    stats(&in_use, &high);
    assert_int_equal(in_use, 0);
    assert_int_equal(high, 320);
    /* wiping the region starts afresh */
    memset(region, 0, sizeof(region));
    stats(&in_use, &high);
    assert_int_equal(high, 0);
}

static void root_block_is_kept_for_the_pool(void **state)
{
    (void)state;
    void *other = ms_pool_calloc(region, sizeof(region), 1, 40);
    unsigned char *r = ms_pool_root(region, sizeof(region), 100);
    assert_non_null(r);
    assert_in_region(r, 100);
    assert_zero(r, 100);
    memset(r, 0x77, 100);
    assert_ptr_equal(ms_pool_root(region, sizeof(region), 100), r);
    assert_ptr_equal(ms_pool_root(region, sizeof(region), 104), r);   /* rounded up */
    assert_null(ms_pool_root(region, sizeof(region), 105));
    ms_pool_free(region, sizeof(region), r);   /* refused */
    ms_pool_free(region, sizeof(region), other);
    assert_true(ms_pool_check(region, sizeof(region)));
    assert_ptr_equal(ms_pool_root(region, sizeof(region), 100), r);
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(r[i], 0x77);
    }
    size_t in_use = 0;
    stats(&in_use, NULL);
    assert_int_equal(in_use, 104 + HDR);
    /* only a wipe releases it */
    memset(region, 0, sizeof(region));
    unsigned char *fresh = ms_pool_root(region, sizeof(region), 100);
    assert_ptr_equal(fresh, region + MS_POOL_HEAD_LEN + HDR);
    assert_zero(fresh, 100);
    /* MS_POOL_LEN_FOR is enough, and needed */
    static unsigned char fits[MS_POOL_LEN_FOR(100)] __attribute__((aligned(8)));
    static unsigned char short_by_8[MS_POOL_LEN_FOR(100) - 8] __attribute__((aligned(8)));
    assert_non_null(ms_pool_root(fits, sizeof(fits), 100));
    assert_null(ms_pool_root(short_by_8, sizeof(short_by_8), 100));
}

static void broken_chain_fails_closed(void **state)
{
    (void)state;
    unsigned char *a = ms_pool_calloc(region, sizeof(region), 1, 64);
    unsigned char *b = ms_pool_calloc(region, sizeof(region), 1, 64);
    unsigned char *c = ms_pool_calloc(region, sizeof(region), 1, 64);
    assert_non_null(c);
    memset(b, 0x44, 64);
    /* a overruns its block into b's header */
    memset(a, 0x99, 64 + 3);
    assert_false(ms_pool_check(region, sizeof(region)));
    /* nothing beyond the break is handed out or freed again */
    assert_null(ms_pool_calloc(region, sizeof(region), 1, 8));
    ms_pool_free(region, sizeof(region), c);
    ms_pool_free(region, sizeof(region), b);
    for (size_t i = 0; i < 64; i++) {
        assert_int_equal(b[i], 0x44);
    }
    /* before the break, a still frees, and its space serves again */
    ms_pool_free(region, sizeof(region), a);
    assert_zero(a, 64);
    assert_ptr_equal(ms_pool_calloc(region, sizeof(region), 1, 64), a);
}

/* ---- the backend's hook: one DRBG per pool ------------------------------- */

static const ms_crypto_pool_t desc_a = { pool_a, sizeof(pool_a) };
static const ms_crypto_pool_t desc_b = { pool_b, sizeof(pool_b) };
static const ms_crypto_pool_t desc_tiny = { pool_tiny, sizeof(pool_tiny) };
static const ms_crypto_pool_t *current = &desc_a;

/* Overrides the backend's weak default, as a TEE with partitions does. */
const ms_crypto_pool_t *ms_crypto_pool_current(void)
{
    return current;
}

static int reset_pools(void **state)
{
    (void)state;
    memset(pool_a, 0, sizeof(pool_a));
    memset(pool_b, 0, sizeof(pool_b));
    memset(pool_tiny, 0, sizeof(pool_tiny));
    current = &desc_a;
    return 0;
}

static void random_keeps_its_drbg_in_the_current_pool(void **state)
{
    (void)state;
    uint8_t x[64], y[64];
    size_t a_use = 0, b_use = 0, high = 0;
    current = &desc_a;
    assert_int_equal(ms_random(x, sizeof(x)), MS_OK);
    ms_crypto_pool_stats(ms_crypto_pool_current(), &a_use, &high);
    assert_true(a_use > 0 && a_use < sizeof(pool_a));
    assert_int_equal(high, a_use);
    assert_true(ms_pool_check(pool_a, sizeof(pool_a)));
    ms_pool_stats(pool_b, sizeof(pool_b), &b_use, NULL);
    assert_int_equal(b_use, 0);

    current = &desc_b;
    assert_int_equal(ms_random(y, sizeof(y)), MS_OK);
    assert_memory_not_equal(x, y, sizeof(x));
    ms_crypto_pool_stats(ms_crypto_pool_current(), &b_use, NULL);
    assert_int_equal(b_use, a_use);   /* the same DRBG state, in B */
    assert_true(ms_pool_check(pool_b, sizeof(pool_b)));

    /* further draws use each pool's own DRBG and allocate nothing more */
    unsigned char snap_a[sizeof(pool_a)];
    memcpy(snap_a, pool_a, sizeof(pool_a));
    assert_int_equal(ms_random(y, sizeof(y)), MS_OK);
    assert_memory_equal(pool_a, snap_a, sizeof(pool_a));   /* B's draw left A alone */
    current = &desc_a;
    assert_int_equal(ms_random(x, sizeof(x)), MS_OK);
    assert_memory_not_equal(pool_a, snap_a, sizeof(pool_a));   /* A's state moved on */
    ms_crypto_pool_stats(ms_crypto_pool_current(), &a_use, NULL);
    assert_int_equal(a_use, b_use);
}

static void random_fails_without_a_pool_that_holds_the_drbg(void **state)
{
    (void)state;
    uint8_t x[16];
    current = NULL;
    assert_int_equal(ms_random(x, sizeof(x)), MS_ERR_RNG);
    size_t in_use = 1, high = 1;
    ms_crypto_pool_stats(ms_crypto_pool_current(), &in_use, &high);
    assert_int_equal(in_use, 0);
    assert_int_equal(high, 0);
    current = &desc_tiny;
    assert_int_equal(ms_random(x, sizeof(x)), MS_ERR_RNG);
    current = &desc_a;
    assert_int_equal(ms_random(x, sizeof(x)), MS_OK);
}

static void wiped_pool_gets_a_fresh_drbg(void **state)
{
    (void)state;
    uint8_t x[32], y[32];
    current = &desc_a;
    assert_int_equal(ms_random(x, sizeof(x)), MS_OK);
    memset(pool_a, 0, sizeof(pool_a));
    assert_int_equal(ms_random(y, sizeof(y)), MS_OK);
    assert_memory_not_equal(x, y, sizeof(x));
    assert_true(ms_pool_check(pool_a, sizeof(pool_a)));
}

/* Key generation and signing reach the DRBG through the PSA core's external
 * RNG: the same pool. */
static void signing_draws_from_the_current_pool(void **state)
{
    (void)state;
    current = &desc_b;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    uint8_t hash[MS_SHA256_LEN] = { 1, 2, 3 };
    uint8_t sig[MS_P256_SIG_DER_MAX];
    size_t sig_len = 0;
    assert_int_equal(ms_p256_keygen(&priv, &pub), MS_OK);
    assert_int_equal(ms_p256_sign(&priv, hash, sig, sizeof(sig), &sig_len), MS_OK);
    assert_int_equal(ms_p256_verify(&pub, hash, sig, sig_len), MS_OK);
    size_t b_use = 0, a_use = 0;
    ms_crypto_pool_stats(ms_crypto_pool_current(), &b_use, NULL);
    assert_true(b_use > 0);
    ms_pool_stats(pool_a, sizeof(pool_a), &a_use, NULL);
    assert_int_equal(a_use, 0);
    ms_secure_zero(&priv, sizeof(priv));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(zero_region_initialises_on_first_use, reset_region),
        cmocka_unit_test_setup(garbage_region_without_magic_is_zeroed_at_init, reset_region),
        cmocka_unit_test_setup(misaligned_region_gives_aligned_blocks, reset_region),
        cmocka_unit_test_setup(calloc_zeroes_reused_memory, reset_region),
        cmocka_unit_test_setup(sizes_zero_or_overflowing_give_null, reset_region),
        cmocka_unit_test_setup(random_sequence_keeps_blocks_disjoint_and_intact, reset_region),
        cmocka_unit_test_setup(frees_in_any_order_coalesce_to_one_block, reset_region),
        cmocka_unit_test_setup(exhaustion_gives_null_and_recovers, reset_region),
        cmocka_unit_test_setup(bad_frees_are_ignored, reset_region),
        cmocka_unit_test_setup(freed_bytes_are_wiped, reset_region),
        cmocka_unit_test_setup(stats_follow_use_and_high_water, reset_region),
        cmocka_unit_test_setup(root_block_is_kept_for_the_pool, reset_region),
        cmocka_unit_test_setup(broken_chain_fails_closed, reset_region),
        cmocka_unit_test_setup(random_keeps_its_drbg_in_the_current_pool, reset_pools),
        cmocka_unit_test_setup(random_fails_without_a_pool_that_holds_the_drbg, reset_pools),
        cmocka_unit_test_setup(wiped_pool_gets_a_fresh_drbg, reset_pools),
        cmocka_unit_test_setup(signing_draws_from_the_current_pool, reset_pools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
