/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_psa_conformance.c - the PSA Certified Secure Storage API 1.0 rules
 * (M8, M9) checked by calling psa_its_* and psa_ps_* directly, as a
 * conformance suite does (no dispatcher in front to bound anything). The
 * expectations are those of ARM's psa-arch-tests storage suite (test_s001
 * .. test_s017, named in each test), written here from the specification
 * and that suite's expected status codes.
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
#include "meterseal/tee_storage.h"
#include "tee_test_util.h"

#define MAX_UINT32 0xffffffffu

static tt_flash_t g_its, g_ps;

/* The four functions ITS and PS share, so each rule runs on both. */
typedef struct api {
    const char *name;
    psa_status_t (*set)(psa_storage_uid_t, size_t, const void *, psa_storage_create_flags_t);
    psa_status_t (*get)(psa_storage_uid_t, size_t, size_t, void *, size_t *);
    psa_status_t (*get_info)(psa_storage_uid_t, struct psa_storage_info_t *);
    psa_status_t (*remove)(psa_storage_uid_t);
    size_t max_data;
} api_t;

static const api_t APIS[2] = {
    { "ITS", psa_its_set, psa_its_get, psa_its_get_info, psa_its_remove, MS_TEE_ITS_MAX_DATA },
    { "PS", psa_ps_set, psa_ps_get, psa_ps_get_info, psa_ps_remove, MS_TEE_PS_MAX_DATA },
};

static const uint8_t DATA[32] = {
    0x99, 0x01, 0x30, 0x50, 0x04, 0x23, 0xf6, 0x07, 0x08, 0x0d, 0x70, 0xa1, 0xff, 0xff, 0x14, 0x73,
    0x46, 0x97, 0xe8, 0xdd, 0xca, 0x0b, 0x3c, 0x0d, 0x2e, 0x5d, 0x0e, 0x1b, 0x0c, 0x5a, 0xa5, 0x3c,
};

static int setup(void **state)
{
    (void)state;
    return tt_services_open(&g_its, &g_ps, 4, 0x5a) == MS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tt_services_close(&g_its, &g_ps);
    return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

/* ---- s001, s010: absent uids and uid 0 ------------------------------------- */

static void test_absent_uid_does_not_exist_and_leaves_the_buffer(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        uint8_t buf[16] = { 0 };
        size_t n = 0;
        struct psa_storage_info_t info;
        assert_int_equal(x->get(6, 0, sizeof buf, buf, &n), PSA_ERROR_DOES_NOT_EXIST);
        assert_true(all_zero(buf, sizeof buf));
        assert_int_equal(x->get_info(6, &info), PSA_ERROR_DOES_NOT_EXIST);
        assert_int_equal(x->remove(6), PSA_ERROR_DOES_NOT_EXIST);
        assert_int_equal(x->set(6, 16, DATA, PSA_STORAGE_FLAG_NONE), PSA_SUCCESS);
        assert_int_equal(x->set(7, 16, DATA, PSA_STORAGE_FLAG_NONE), PSA_SUCCESS);
        assert_int_equal(x->remove(6), PSA_SUCCESS);
        assert_int_equal(x->get(6, 0, sizeof buf, buf, &n), PSA_ERROR_DOES_NOT_EXIST);
        assert_true(all_zero(buf, sizeof buf));
        assert_int_equal(x->get_info(6, &info), PSA_ERROR_DOES_NOT_EXIST);
        assert_int_equal(x->remove(6), PSA_ERROR_DOES_NOT_EXIST);
        assert_int_equal(x->get(5, 0, 15, buf, &n), PSA_ERROR_DOES_NOT_EXIST);
        assert_int_equal(x->remove(7), PSA_SUCCESS);
        assert_int_equal(x->remove(7), PSA_ERROR_DOES_NOT_EXIST);
    }
}

static void test_uid_zero_is_an_invalid_argument(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        struct psa_storage_info_t info;
        uint8_t buf[1];
        size_t n;
        assert_int_equal(x->set(0, 1, DATA, 0), PSA_ERROR_INVALID_ARGUMENT);
        assert_int_equal(x->get(0, 0, 1, buf, &n), PSA_ERROR_INVALID_ARGUMENT);
        assert_int_equal(x->get_info(0, &info), PSA_ERROR_INVALID_ARGUMENT);
        assert_int_equal(x->remove(0), PSA_ERROR_INVALID_ARGUMENT);
    }
}

/* ---- s002: WRITE_ONCE ------------------------------------------------------ */

static void test_write_once_object_keeps_data_size_and_flags(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        struct psa_storage_info_t info;
        uint8_t buf[16];
        size_t n = 0;
        assert_int_equal(x->set(1, 8, DATA, 0), PSA_SUCCESS);
        assert_int_equal(x->set(1, 4, DATA + 8, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
        assert_int_equal(x->get_info(1, &info), PSA_SUCCESS);
        assert_int_equal(info.size, 4);
        assert_int_equal(info.flags, PSA_STORAGE_FLAG_WRITE_ONCE);
        assert_int_equal(x->remove(1), PSA_ERROR_NOT_PERMITTED);
        assert_int_equal(x->set(1, 5, DATA, PSA_STORAGE_FLAG_WRITE_ONCE),
                         PSA_ERROR_NOT_PERMITTED);
        assert_int_equal(x->set(1, 3, DATA, PSA_STORAGE_FLAG_NONE), PSA_ERROR_NOT_PERMITTED);
        assert_int_equal(x->get_info(1, &info), PSA_SUCCESS);
        assert_int_equal(info.size, 4);
        assert_int_equal(info.flags, PSA_STORAGE_FLAG_WRITE_ONCE);
        assert_int_equal(x->get(1, 0, 4, buf, &n), PSA_SUCCESS);
        assert_int_equal(n, 4);
        assert_memory_equal(buf, DATA + 8, 4);
    }
}

/* ---- s003: filling the store ---------------------------------------------- */

static void test_filling_the_store_takes_the_same_count_every_time(void **state)
{
    (void)state;
    static uint8_t big[MS_TEE_PS_MAX_DATA];
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        uint64_t count[2];
        for (int round = 0; round < 2; round++) {
            uint64_t uid = 100;
            psa_status_t s;
            while ((s = x->set(uid, x->max_data, big, 0)) == PSA_SUCCESS) {
                uid++;
            }
            assert_int_equal(s, PSA_ERROR_INSUFFICIENT_STORAGE);
            count[round] = uid - 100;
            for (uint64_t u = 100; u < uid; u++) {
                assert_int_equal(x->remove(u), PSA_SUCCESS);
            }
        }
        assert_true(count[0] > 0);
        assert_int_equal(count[0], count[1]);
    }
}

/* ---- s004, s005, s007, s009: sizes ------------------------------------------ */

static void test_get_returns_the_size_of_the_newest_set(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        uint8_t buf[30] = { 0 };
        size_t n = 0;
        assert_int_equal(x->set(5, 20, DATA, 0), PSA_SUCCESS);
        assert_int_equal(x->get(5, 0, 20, buf, &n), PSA_SUCCESS);
        assert_int_equal(n, 20);
        assert_memory_equal(buf, DATA, 20);
        assert_int_equal(x->set(5, 10, DATA, 0), PSA_SUCCESS);
        memset(buf, 0, sizeof buf);
        assert_int_equal(x->get(5, 0, 20, buf, &n), PSA_SUCCESS);
        assert_int_equal(n, 10);
        assert_memory_equal(buf, DATA, 10);
        assert_true(all_zero(buf + 10, sizeof buf - 10));   /* beyond n: untouched */
        assert_int_equal(x->set(5, 30, DATA, 0), PSA_SUCCESS);
        assert_int_equal(x->get(5, 0, 7, buf, &n), PSA_SUCCESS);
        assert_int_equal(n, 7);
        assert_int_equal(x->remove(5), PSA_SUCCESS);
    }
}

static void test_zero_length_object_with_null_buffers(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        struct psa_storage_info_t info;
        size_t n = 99;
        assert_int_equal(x->set(5, 0, NULL, 0), PSA_SUCCESS);
        assert_int_equal(x->get_info(5, &info), PSA_SUCCESS);
        assert_int_equal(info.size, 0);
        assert_int_equal(info.capacity, 0);
        assert_int_equal(x->get(5, 0, 0, NULL, &n), PSA_SUCCESS);
        assert_int_equal(n, 0);
        assert_int_equal(x->remove(5), PSA_SUCCESS);
        assert_int_equal(x->get_info(5, &info), PSA_ERROR_DOES_NOT_EXIST);
        assert_int_equal(x->set(5, 0, DATA, 0), PSA_SUCCESS);
        assert_int_equal(x->set(5, 20, DATA, 0), PSA_SUCCESS);
        assert_int_equal(x->set(5, 1, NULL, 0), PSA_ERROR_INVALID_ARGUMENT);
        assert_int_equal(x->get(5, 0, 1, NULL, &n), PSA_ERROR_INVALID_ARGUMENT);
    }
}

/* ---- s006: optional flags ---------------------------------------------------- */

static void test_optional_flags_are_stored_and_reported(void **state)
{
    (void)state;
    static const psa_storage_create_flags_t flags[] = {
        PSA_STORAGE_FLAG_NONE, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY,
        PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION,
    };
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
            struct psa_storage_info_t info;
            assert_int_equal(x->set(5, 30, DATA, flags[i]), PSA_SUCCESS);
            assert_int_equal(x->get_info(5, &info), PSA_SUCCESS);
            assert_int_equal(info.flags, flags[i]);
            assert_int_equal(x->remove(5), PSA_SUCCESS);
        }
    }
}

/* ---- s008: offsets and lengths ------------------------------------------------ */

static void test_get_offsets_and_lengths_follow_the_spec(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        uint8_t buf[20];
        size_t n = 0;
        assert_int_equal(x->set(5, 20, DATA, 0), PSA_SUCCESS);
        /* offset + length == size, for several offsets */
        for (size_t off = 20; off > 0; off >>= 1) {
            memset(buf, 0, sizeof buf);
            assert_int_equal(x->get(5, off, 20 - off, buf, &n), PSA_SUCCESS);
            assert_int_equal(n, 20 - off);
            assert_memory_equal(buf, DATA + off, 20 - off);
        }
        /* a length larger than what remains is legal: what there is comes back */
        assert_int_equal(x->get(5, 0, 21, buf, &n), PSA_SUCCESS);
        assert_int_equal(n, 20);
        assert_memory_equal(buf, DATA, 20);
        /* offset == size: nothing, success, the buffer untouched */
        memset(buf, 0xcd, sizeof buf);
        n = 0xff;
        assert_int_equal(x->get(5, 20, 1, buf, &n), PSA_SUCCESS);
        assert_int_equal(n, 0);
        assert_int_equal(buf[0], 0xcd);
        /* offset past the end: invalid, nothing returned */
        memset(buf, 0, sizeof buf);
        n = 0xff;
        assert_int_equal(x->get(5, 21, 0, buf, &n), PSA_ERROR_INVALID_ARGUMENT);
        assert_int_equal(n, 0);
        assert_int_equal(x->get(5, MAX_UINT32, 10, buf, &n), PSA_ERROR_INVALID_ARGUMENT);
        assert_true(all_zero(buf, sizeof buf));
        assert_int_equal(x->remove(5), PSA_SUCCESS);
    }
}

/* The attacker's call: a 20-byte buffer announced as 4 GiB. No caller owns
 * [p_data, p_data + 0xFFFFFFFF): invalid, and not a byte is written. */
static void test_get_with_a_length_no_buffer_can_have_is_refused_untouched(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        uint8_t buf[20] = { 0 };
        size_t n = 0;
        assert_int_equal(x->set(5, 20, DATA, 0), PSA_SUCCESS);
        assert_int_equal(x->get(5, 18, MAX_UINT32, buf, &n), PSA_ERROR_INVALID_ARGUMENT);
        assert_true(all_zero(buf, sizeof buf));
        assert_int_equal(n, 0);
        assert_int_equal(x->get(5, 0, SIZE_MAX, buf, &n), PSA_ERROR_INVALID_ARGUMENT);
        assert_true(all_zero(buf, sizeof buf));
        assert_int_equal(x->remove(5), PSA_SUCCESS);
    }
}

/* The same class of argument in the other functions: a source range no
 * caller can own is invalid (not "insufficient storage"), and so is a
 * range that wraps around the address space. */
static void test_ranges_no_caller_can_own_are_invalid_everywhere(void **state)
{
    (void)state;
    uint8_t *end = (uint8_t *)(uintptr_t)(UINTPTR_MAX - 7u);
    for (int a = 0; a < 2; a++) {
        const api_t *x = &APIS[a];
        size_t n = 0;
        uint8_t buf[8];
        struct psa_storage_info_t *info_at_end = (struct psa_storage_info_t *)(void *)end;
        assert_int_equal(x->set(5, MAX_UINT32, DATA, 0), PSA_ERROR_INVALID_ARGUMENT);
        assert_int_equal(x->set(5, 16, end, 0), PSA_ERROR_INVALID_ARGUMENT);
        assert_int_equal(x->set(5, 8, DATA, 0), PSA_SUCCESS);
        assert_int_equal(x->get(5, 0, 16, end, &n), PSA_ERROR_INVALID_ARGUMENT);
        assert_int_equal(x->get(5, 0, sizeof buf, buf, &n), PSA_SUCCESS);
        assert_int_equal(x->get_info(5, info_at_end), PSA_ERROR_INVALID_ARGUMENT);
        assert_int_equal(x->remove(5), PSA_SUCCESS);
    }
}

/* ---- PS optional API: psa_ps_create, psa_ps_set_extended ------------------------ */

static void ps_expect(psa_storage_uid_t uid, size_t capacity, size_t size, uint32_t flags)
{
    struct psa_storage_info_t info;
    assert_int_equal(psa_ps_get_info(uid, &info), PSA_SUCCESS);
    assert_int_equal(info.capacity, capacity);
    assert_int_equal(info.size, size);
    assert_int_equal(info.flags, flags);
}

static void test_ps_reports_create_and_set_extended(void **state)
{
    (void)state;
    assert_int_equal(psa_ps_get_support(), PSA_STORAGE_SUPPORT_SET_EXTENDED);
}

/* s011 */
static void test_ps_create_never_replaces_and_set_extended_needs_the_object(void **state)
{
    (void)state;
    uint8_t buf[16] = { 0 };
    size_t n = 99;
    assert_int_equal(psa_ps_set_extended(5, 0, 16, DATA), PSA_ERROR_DOES_NOT_EXIST);
    assert_int_equal(psa_ps_set(5, 16, DATA, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_create(5, 8, 0), PSA_ERROR_ALREADY_EXISTS);
    assert_int_equal(psa_ps_create(5, 16, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_ERROR_NOT_SUPPORTED);
    ps_expect(5, 16, 16, 0);
    assert_int_equal(psa_ps_remove(5), PSA_SUCCESS);
    assert_int_equal(psa_ps_create(5, 8, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_create(5, 16, 0), PSA_ERROR_ALREADY_EXISTS);
    assert_int_equal(psa_ps_get(5, 0, 16, buf, &n), PSA_SUCCESS);
    assert_int_equal(n, 0);
    assert_true(all_zero(buf, sizeof buf));
    assert_int_equal(psa_ps_remove(5), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(5, 0, 16, DATA), PSA_ERROR_DOES_NOT_EXIST);
}

/* s012 */
static void test_ps_set_extended_stays_within_size_and_capacity(void **state)
{
    (void)state;
    uint8_t buf[16];
    size_t n = 0;
    assert_int_equal(psa_ps_create(6, 16, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(6, 0, 8, DATA), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(6, 16, 2, DATA), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_set_extended(6, 18, 0, DATA), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_set_extended(6, 8, 0, DATA), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(6, 1, 16, DATA), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_set_extended(6, 1, MAX_UINT32, DATA), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_set_extended(6, 1, SIZE_MAX, DATA), PSA_ERROR_INVALID_ARGUMENT);
    ps_expect(6, 16, 8, 0);
    assert_int_equal(psa_ps_set(6, 16, DATA, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_get(6, 0, 16, buf, &n), PSA_SUCCESS);
    assert_int_equal(n, 16);
    assert_memory_equal(buf, DATA, 16);
    assert_int_equal(psa_ps_create(0, 16, 0), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_set_extended(0, 0, 16, DATA), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_set_extended(6, 0, 1, NULL), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_remove(0), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_remove(6), PSA_SUCCESS);
}

/* s013 */
static void test_ps_set_extended_pieces_make_the_object(void **state)
{
    (void)state;
    uint8_t buf[16];
    size_t n = 0;
    assert_int_equal(psa_ps_create(4, 0, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(4, 0, 0, DATA), PSA_SUCCESS);
    ps_expect(4, 0, 0, 0);
    assert_int_equal(psa_ps_remove(4), PSA_SUCCESS);
    assert_int_equal(psa_ps_create(4, 16, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(4, 0, 8, DATA), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(4, 8, 8, DATA + 16), PSA_SUCCESS);
    assert_int_equal(psa_ps_get(4, 0, 16, buf, &n), PSA_SUCCESS);
    assert_int_equal(n, 16);
    assert_memory_equal(buf, DATA, 8);
    assert_memory_equal(buf + 8, DATA + 16, 8);
    assert_int_equal(psa_ps_set(4, 16, DATA + 8, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_create(4, 16, 0), PSA_ERROR_ALREADY_EXISTS);
    assert_int_equal(psa_ps_get(4, 0, 16, buf, &n), PSA_SUCCESS);
    assert_memory_equal(buf, DATA + 8, 16);
    assert_int_equal(psa_ps_remove(4), PSA_SUCCESS);
    memset(buf, 0, sizeof buf);
    assert_int_equal(psa_ps_get(4, 0, 16, buf, &n), PSA_ERROR_DOES_NOT_EXIST);
    assert_true(all_zero(buf, sizeof buf));
}

/* s015 and WRITE_ONCE: create refuses it, set_extended cannot change it */
static void test_ps_write_once_cannot_be_created_or_extended(void **state)
{
    (void)state;
    struct psa_storage_info_t info;
    assert_int_equal(psa_ps_create(5, 5, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_ERROR_NOT_SUPPORTED);
    assert_int_equal(psa_ps_get_info(5, &info), PSA_ERROR_DOES_NOT_EXIST);
    assert_int_equal(psa_ps_create(5, 5, 1u << 7), PSA_ERROR_NOT_SUPPORTED);
    assert_int_equal(psa_ps_set(5, 8, DATA, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(5, 0, 4, DATA + 8), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(psa_ps_set_extended(5, 8, 0, DATA), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(psa_ps_create(5, 8, 0), PSA_ERROR_ALREADY_EXISTS);
    ps_expect(5, 8, 8, PSA_STORAGE_FLAG_WRITE_ONCE);
    /* a created object may be made WRITE_ONCE by a set, which ends extension */
    assert_int_equal(psa_ps_create(6, 12, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY), PSA_SUCCESS);
    ps_expect(6, 12, 0, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY);
    assert_int_equal(psa_ps_set_extended(6, 0, 4, DATA), PSA_SUCCESS);
    ps_expect(6, 12, 4, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY);
    assert_int_equal(psa_ps_set(6, 4, DATA, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(6, 0, 4, DATA), PSA_ERROR_NOT_PERMITTED);
}

/* s016 */
static void test_ps_set_replaces_the_capacity(void **state)
{
    (void)state;
    assert_int_equal(psa_ps_create(5, 10, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_create(5, 14, 0), PSA_ERROR_ALREADY_EXISTS);
    ps_expect(5, 10, 0, 0);
    assert_int_equal(psa_ps_set(5, 8, DATA, 0), PSA_SUCCESS);
    ps_expect(5, 8, 8, 0);
    assert_int_equal(psa_ps_set_extended(5, 0, 10, DATA), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_set_extended(5, 0, 8, DATA + 8), PSA_SUCCESS);   /* within */
    assert_int_equal(psa_ps_remove(5), PSA_SUCCESS);
    assert_int_equal(psa_ps_set(5, 14, DATA, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_create(5, 14, 0), PSA_ERROR_ALREADY_EXISTS);
    assert_int_equal(psa_ps_create(5, MAX_UINT32, 0), PSA_ERROR_INSUFFICIENT_STORAGE);
    assert_int_equal(psa_ps_create(7, MS_TEE_PS_MAX_DATA + 1u, 0),
                     PSA_ERROR_INSUFFICIENT_STORAGE);
    assert_int_equal(psa_ps_remove(5), PSA_SUCCESS);
}

/* s017 */
static void test_ps_set_extended_cannot_leave_a_gap(void **state)
{
    (void)state;
    uint8_t buf[14];
    size_t n = 0;
    assert_int_equal(psa_ps_create(5, 14, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(5, 0, 7, DATA), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(5, 9, 2, DATA), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(psa_ps_set_extended(5, 0, 10, DATA + 4), PSA_SUCCESS);
    ps_expect(5, 14, 10, 0);
    assert_int_equal(psa_ps_set_extended(5, 10, 4, DATA + 20), PSA_SUCCESS);   /* to the end */
    assert_int_equal(psa_ps_get(5, 0, sizeof buf, buf, &n), PSA_SUCCESS);
    assert_int_equal(n, 14);
    assert_memory_equal(buf, DATA + 4, 10);
    assert_memory_equal(buf + 10, DATA + 20, 4);
    assert_int_equal(psa_ps_remove(5), PSA_SUCCESS);
}

/* The capacity given to create is the object's: filling the store with
 * other objects afterwards cannot take it, and set_extended up to it never
 * runs out of space. */
static void test_ps_capacity_reserved_at_create_stays_available(void **state)
{
    (void)state;
    static uint8_t big[MS_TEE_PS_MAX_DATA];
    memset(big, 0x3c, sizeof big);
    assert_int_equal(psa_ps_create(1, MS_TEE_PS_MAX_DATA, 0), PSA_SUCCESS);
    uint64_t uid = 100;
    psa_status_t s;
    while ((s = psa_ps_set(uid, 300, big, 0)) == PSA_SUCCESS) {
        uid++;
    }
    assert_int_equal(s, PSA_ERROR_INSUFFICIENT_STORAGE);
    assert_true(uid > 100);
    for (size_t off = 0; off < MS_TEE_PS_MAX_DATA; off += 256) {
        assert_int_equal(psa_ps_set_extended(1, off, 256, big + off), PSA_SUCCESS);
    }
    /* and once full, rewriting it in place still works */
    assert_int_equal(psa_ps_set_extended(1, 0, MS_TEE_PS_MAX_DATA, big), PSA_SUCCESS);
    ps_expect(1, MS_TEE_PS_MAX_DATA, MS_TEE_PS_MAX_DATA, 0);
    assert_int_equal(psa_ps_set(uid, 300, big, 0), PSA_ERROR_INSUFFICIENT_STORAGE);
}

/* A set_extended is one new version of the whole object: after a restart
 * the object holds exactly the pieces written. */
static void test_ps_set_extended_survives_a_restart(void **state)
{
    (void)state;
    uint8_t buf[24];
    size_t n = 0;
    assert_int_equal(psa_ps_create(9, 24, 0), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(9, 0, 16, DATA), PSA_SUCCESS);
    assert_int_equal(psa_ps_set_extended(9, 4, 20, DATA + 12), PSA_SUCCESS);
    ms_tee_storage_deinit();
    assert_int_equal(ms_tee_storage_init(&g_its.area, &g_ps.area), MS_OK);
    ps_expect(9, 24, 24, 0);
    assert_int_equal(psa_ps_get(9, 0, sizeof buf, buf, &n), PSA_SUCCESS);
    assert_int_equal(n, 24);
    assert_memory_equal(buf, DATA, 4);
    assert_memory_equal(buf + 4, DATA + 12, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(test_absent_uid_does_not_exist_and_leaves_the_buffer),
        T_(test_uid_zero_is_an_invalid_argument),
        T_(test_write_once_object_keeps_data_size_and_flags),
        T_(test_filling_the_store_takes_the_same_count_every_time),
        T_(test_get_returns_the_size_of_the_newest_set),
        T_(test_zero_length_object_with_null_buffers),
        T_(test_optional_flags_are_stored_and_reported),
        T_(test_get_offsets_and_lengths_follow_the_spec),
        T_(test_get_with_a_length_no_buffer_can_have_is_refused_untouched),
        T_(test_ranges_no_caller_can_own_are_invalid_everywhere),
        T_(test_ps_reports_create_and_set_extended),
        T_(test_ps_create_never_replaces_and_set_extended_needs_the_object),
        T_(test_ps_set_extended_stays_within_size_and_capacity),
        T_(test_ps_set_extended_pieces_make_the_object),
        T_(test_ps_write_once_cannot_be_created_or_extended),
        T_(test_ps_set_replaces_the_capacity),
        T_(test_ps_set_extended_cannot_leave_a_gap),
        T_(test_ps_capacity_reserved_at_create_stays_available),
        T_(test_ps_set_extended_survives_a_restart),
#undef T_
    };
    return cmocka_run_group_tests_name("tee_psa_conformance", tests, NULL, NULL);
}
