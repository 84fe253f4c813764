/*
 * test_store_tamper.c - flipped bits in the storage area (M9: "cannot be
 * modified unnoticed").
 *
 * A populated store (several versions, garbage collection done) is copied;
 * then, for every byte of the area, one bit is flipped in a fresh copy and
 * the store is mounted again. Whatever the position:
 *   - no object ever reads back wrong data, and no present object vanishes;
 *   - the mount either succeeds, or fails with MS_ERR_TEE_ROLLBACK
 *     (tampering noticed for the store as a whole);
 *   - a flip inside an object's newest record (either header copy,
 *     ciphertext, tag, commit word) makes exactly that object read as
 *     MS_ERR_TEE_CORRUPT while all the others still read correctly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/tee_store.h"
#include "tee_hooks_host.h"
#include "tee_test_util.h"

#define N_UIDS 5u

static tt_store_t *T;
static uint32_t g_ver[N_UIDS + 1];
static uint32_t g_len[N_UIDS + 1];

static void populate(void)
{
    uint8_t buf[128];
    T = malloc(sizeof *T);
    assert_non_null(T);
    tt_store_init(T, 4, 1024, 8, 8, 128);
    assert_int_equal(tt_store_mount(T), MS_OK);
    for (uint32_t v = 1; v <= 40; v++) {
        uint32_t uid = 1 + (v * 3) % N_UIDS;
        uint32_t len = 10 + (v * 13) % 100;
        tt_fill(buf, len, uid, v);
        assert_int_equal(ms_tee_store_set(&T->st, uid, buf, len, 0), MS_OK);
        g_ver[uid] = v;
        g_len[uid] = len;
    }
    assert_true(T->st.generation > 4);
}

/* MS_OK if correct, MS_ERR_TEE_CORRUPT if reported corrupt; fails otherwise. */
static ms_err_t read_uid(uint32_t uid)
{
    uint8_t got[128], want[128];
    size_t n = 0;
    ms_err_t err = ms_tee_store_get(&T->st, uid, 0, got, sizeof got, &n);
    if (err == MS_ERR_TEE_CORRUPT) {
        return err;
    }
    if (err != MS_OK) {
        fail_msg("uid %u: %s", uid, ms_errname(err));
    }
    tt_fill(want, g_len[uid], uid, g_ver[uid]);
    if (n != g_len[uid] || memcmp(got, want, n) != 0) {
        fail_msg("uid %u read back wrong data", uid);
    }
    return MS_OK;
}

/* The index entry of uid (fails the test if there is none). */
static const ms_tee_store_entry_t *entry_of(uint64_t uid)
{
    const ms_tee_store_entry_t *e = NULL;
    for (size_t i = 0; i < T->st.n_entries; i++) {
        if (T->st.cfg.index[i].uid == uid) {
            e = &T->st.cfg.index[i];
        }
    }
    assert_non_null(e);
    return e;
}

/* uid reads as corrupt, every other object as it was written. */
static void assert_only_uid_corrupt(uint32_t uid)
{
    assert_int_equal(read_uid(uid), MS_ERR_TEE_CORRUPT);
    for (uint32_t u = 1; u <= N_UIDS; u++) {
        if (u != uid) {
            assert_int_equal(read_uid(u), MS_OK);
        }
    }
}

static void test_every_flipped_bit_is_caught_or_harmless(void **state)
{
    (void)state;
    populate();
    size_t size = T->flash.area.size;
    uint8_t *snap = malloc(size);
    assert_non_null(snap);
    memcpy(snap, T->flash.sim.mem, size);
    uint64_t nv = 0;
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv), MS_OK);

    /* where each object's newest record lies (authenticated part) */
    uint32_t rec_start[N_UIDS + 1] = { 0 }, rec_end[N_UIDS + 1] = { 0 };
    uint32_t commit_at[N_UIDS + 1] = { 0 };
    for (size_t i = 0; i < T->st.n_entries; i++) {
        const ms_tee_store_entry_t *e = &T->st.cfg.index[i];
        uint32_t at = e->sector * T->st.sector_size + e->offset;
        uint32_t auth = MS_TEE_STORE_HDRS_LEN + e->data_len + MS_TEE_STORE_TAG_LEN;
        rec_start[e->uid] = at;
        rec_end[e->uid] = at + auth;
        commit_at[e->uid] = at + (auth + 7u) / 8u * 8u;   /* write unit 8 */
    }
    ms_tee_store_unmount(&T->st);

    unsigned harmless = 0, object_corrupt = 0, store_refused = 0, in_live = 0;
    for (size_t pos = 0; pos < size; pos++) {
        memcpy(T->flash.sim.mem, snap, size);
        ms_host_tee_nvc_set(TT_NVC, nv);
        T->flash.sim.mem[pos] ^= (uint8_t)(1u << (pos % 8));
        uint32_t hit = 0;
        for (uint32_t u = 1; u <= N_UIDS; u++) {
            if ((pos >= rec_start[u] && pos < rec_end[u]) ||
                (pos >= commit_at[u] && pos < commit_at[u] + 8u)) {
                hit = u;
            }
        }
        ms_err_t err = tt_store_mount(T);
        if (err != MS_OK) {
            if (err != MS_ERR_TEE_ROLLBACK) {
                fail_msg("flip at %zu: mount gave %s", pos, ms_errname(err));
            }
            if (hit) {
                fail_msg("flip at %zu inside uid %u refused the whole store", pos, hit);
            }
            store_refused++;
            continue;
        }
        unsigned corrupt = 0;
        for (uint32_t u = 1; u <= N_UIDS; u++) {
            if (read_uid(u) == MS_ERR_TEE_CORRUPT) {
                corrupt++;
                if (hit != u) {
                    fail_msg("flip at %zu (in uid %u) made uid %u corrupt", pos, hit, u);
                }
            }
        }
        if (hit) {
            in_live++;
            if (corrupt != 1) {
                fail_msg("flip at %zu inside uid %u went unnoticed", pos, hit);
            }
            object_corrupt++;
        } else if (corrupt == 0) {
            harmless++;
        }
        ms_tee_store_unmount(&T->st);
    }
    print_message("flips: %zu; object corrupt %u (in live records %u), store refused %u, "
                  "no effect %u\n", size, object_corrupt, in_live, store_refused, harmless);
    assert_true(in_live > 5u * MS_TEE_STORE_HDRS_LEN);
    assert_int_equal(store_refused, 0);
    free(snap);
    tt_store_close(T);
    free(T);
}

static void test_flip_in_one_record_leaves_others_readable(void **state)
{
    (void)state;
    populate();
    const ms_tee_store_entry_t *e = entry_of(2);
    uint32_t at = e->sector * T->st.sector_size + e->offset + MS_TEE_STORE_HDRS_LEN + 3;
    ms_tee_store_unmount(&T->st);
    T->flash.sim.mem[at] ^= 0x10;
    assert_int_equal(tt_store_mount(T), MS_OK);
    assert_only_uid_corrupt(2);
    tt_store_close(T);
    free(T);
}

static void test_flipped_commit_word_is_localised_and_store_goes_on(void **state)
{
    (void)state;
    populate();
    const ms_tee_store_entry_t *e = entry_of(3);
    uint32_t auth = MS_TEE_STORE_HDRS_LEN + e->data_len + MS_TEE_STORE_TAG_LEN;
    uint32_t at = e->sector * T->st.sector_size + e->offset + (auth + 7u) / 8u * 8u;
    ms_tee_store_unmount(&T->st);
    T->flash.sim.mem[at + 2] ^= 0x04;
    assert_int_equal(tt_store_mount(T), MS_OK);
    assert_only_uid_corrupt(3);
    /* the store keeps working through many GC cycles, and 3 can be rewritten */
    uint8_t buf[128];
    for (uint32_t v = 41; v <= 120; v++) {
        uint32_t uid = 1 + (v * 3) % N_UIDS;
        uint32_t len = 10 + (v * 13) % 100;
        tt_fill(buf, len, uid, v);
        assert_int_equal(ms_tee_store_set(&T->st, uid, buf, len, 0), MS_OK);
        g_ver[uid] = v;
        g_len[uid] = len;
    }
    ms_tee_store_unmount(&T->st);
    assert_int_equal(tt_store_mount(T), MS_OK);
    for (uint32_t u = 1; u <= N_UIDS; u++) {
        assert_int_equal(read_uid(u), MS_OK);
    }
    tt_store_close(T);
    free(T);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip_in_one_record_leaves_others_readable),
        cmocka_unit_test(test_flipped_commit_word_is_localised_and_store_goes_on),
        cmocka_unit_test(test_every_flipped_bit_is_caught_or_harmless),
    };
    return cmocka_run_group_tests_name("tee_store_tamper", tests, NULL, NULL);
}
