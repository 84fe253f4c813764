/* SPDX-License-Identifier: Apache-2.0 */
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
 *
 * An attacker with the flash chip can do more than flip bits: edit a field
 * of a record header in both copies and fix their CRCs (the CRC is
 * framing, not security). Whatever field is edited, the store must then
 * refuse the mount or read the object as corrupt; it must never report
 * the edited flags or size, and a WRITE_ONCE object must stay unwritable.
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
#define UID_ONCE 9u   /* a WRITE_ONCE object, like the device id */

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

/* ---- header edits with fixed CRCs ------------------------------------------ */

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

typedef enum edit_kind {
    EDIT_CLEAR_WRITE_ONCE,         /* flags of the WRITE_ONCE object: 0 */
    EDIT_CLEAR_WRITE_ONCE_ONE_COPY, /* copy A edited, copy B's CRC broken */
    EDIT_SET_WRITE_ONCE,           /* flags of an ordinary object: WRITE_ONCE */
    EDIT_SIZE_IN_PADDING,          /* data length moved inside the write-unit pad */
    EDIT_CAPACITY,                 /* reserved capacity */
    EDIT_UID,                      /* the record claims another (unused) uid */
    EDIT_SEQ,                      /* an older seq */
    EDIT_NONCE,                    /* one nonce byte */
} edit_kind_t;

/* Apply `kind` to the newest record of uid, both copies (CRCs fixed). */
static void edit_header(uint8_t *mem, uint32_t at, edit_kind_t kind)
{
    for (int copy = 0; copy < 2; copy++) {
        uint8_t *h = mem + at + (size_t)copy * MS_TEE_STORE_HDR_LEN;
        switch (kind) {
        case EDIT_CLEAR_WRITE_ONCE:
        case EDIT_CLEAR_WRITE_ONCE_ONE_COPY:
            h[6] = (uint8_t)(h[6] & ~1u);   /* flags: offset 6 */
            break;
        case EDIT_SET_WRITE_ONCE:
            h[6] |= 1u;
            break;
        case EDIT_SIZE_IN_PADDING:
            put_le32(h + 12, get_le32(h + 12) + 3u);
            put_le32(h + 8, get_le32(h + 8) + 3u);   /* capacity follows size */
            break;
        case EDIT_CAPACITY:
            put_le32(h + 8, get_le32(h + 8) + 100u);
            break;
        case EDIT_UID:
            h[16] ^= 0x40;
            break;
        case EDIT_SEQ:
            h[24] = (uint8_t)(h[24] - 1u);
            break;
        case EDIT_NONCE:
            h[32] ^= 0x01;
            break;
        }
        tt_header_fix_crc(h);
        if (kind == EDIT_CLEAR_WRITE_ONCE_ONE_COPY) {
            h[MS_TEE_STORE_HDR_LEN + 60] ^= 0xff;   /* copy B: bad CRC, looks damaged */
            break;
        }
    }
}

/*
 * The store with one header edited must refuse the mount. If it mounts
 * (the defect), show what the edit bought: a replaced or removed WRITE_ONCE
 * object, edited metadata, or wrong data.
 */
static void assert_edit_caught(uint64_t victim, edit_kind_t kind, const char *what)
{
    uint8_t buf[128] = { 0 };
    populate();
    tt_fill(buf, 20, UID_ONCE, 1);
    assert_int_equal(ms_tee_store_set(&T->st, UID_ONCE, buf, 20, 1u), MS_OK);
    const ms_tee_store_entry_t *e = entry_of(victim);
    uint32_t at = e->sector * T->st.sector_size + e->offset;
    size_t true_size = 0, n = 0;
    uint32_t true_flags = 0;
    uint8_t truth[128], got[128];
    assert_int_equal(ms_tee_store_info(&T->st, victim, &true_size, NULL, &true_flags), MS_OK);
    assert_int_equal(ms_tee_store_get(&T->st, victim, 0, truth, sizeof truth, &n), MS_OK);
    ms_tee_store_unmount(&T->st);

    edit_header(T->flash.sim.mem, at, kind);
    ms_err_t err = tt_store_mount(T);
    if (err == MS_OK) {
        if (ms_tee_store_set(&T->st, UID_ONCE, buf, 4, 0) == MS_OK) {
            fail_msg("%s: the WRITE_ONCE object was replaced", what);
        }
        if (ms_tee_store_remove(&T->st, UID_ONCE) == MS_OK) {
            fail_msg("%s: the WRITE_ONCE object was removed", what);
        }
        size_t size = 0;
        uint32_t flags = 0;
        assert_int_equal(ms_tee_store_info(&T->st, victim, &size, NULL, &flags), MS_OK);
        if (size != true_size || flags != true_flags) {
            fail_msg("%s: mounted and reports size %zu flags %u (true: %zu, %u)", what, size,
                     flags, true_size, true_flags);
        }
        ms_err_t rd = ms_tee_store_get(&T->st, victim, 0, got, sizeof got, &n);
        if (rd != MS_ERR_TEE_CORRUPT &&
            (rd != MS_OK || n != true_size || memcmp(got, truth, n) != 0)) {
            fail_msg("%s: mounted and the object reads wrong (%s)", what, ms_errname(rd));
        }
        for (uint32_t u = 1; u <= N_UIDS; u++) {
            (void)read_uid(u);   /* right data or MS_ERR_TEE_CORRUPT */
        }
    }
    /* every field of a header is covered by the anchor's state MAC */
    if (err != MS_ERR_TEE_ROLLBACK) {
        fail_msg("%s: mount gave %s, not MS_ERR_TEE_ROLLBACK", what, ms_errname(err));
    }
    tt_store_close(T);
    free(T);
}

static void test_write_once_flag_cleared_in_both_header_copies_is_refused(void **state)
{
    (void)state;
    assert_edit_caught(UID_ONCE, EDIT_CLEAR_WRITE_ONCE, "WRITE_ONCE cleared");
}

static void test_write_once_flag_cleared_in_one_copy_with_the_other_broken_is_refused(
    void **state)
{
    (void)state;
    assert_edit_caught(UID_ONCE, EDIT_CLEAR_WRITE_ONCE_ONE_COPY, "WRITE_ONCE cleared in A");
}

static void test_write_once_flag_added_to_an_object_is_refused(void **state)
{
    (void)state;
    assert_edit_caught(2, EDIT_SET_WRITE_ONCE, "WRITE_ONCE added");
}

static void test_size_edited_inside_the_padding_is_refused(void **state)
{
    (void)state;
    assert_edit_caught(UID_ONCE, EDIT_SIZE_IN_PADDING, "size edited");
}

static void test_capacity_edited_is_refused(void **state)
{
    (void)state;
    assert_edit_caught(UID_ONCE, EDIT_CAPACITY, "capacity edited");
}

static void test_uid_edited_is_refused(void **state)
{
    (void)state;
    assert_edit_caught(UID_ONCE, EDIT_UID, "uid edited");
}

static void test_seq_edited_is_refused(void **state)
{
    (void)state;
    assert_edit_caught(UID_ONCE, EDIT_SEQ, "seq edited");
}

static void test_anchor_nonce_edited_is_refused(void **state)
{
    (void)state;
    assert_edit_caught(UID_ONCE, EDIT_NONCE, "anchor nonce edited");
}

/* A sector header's generation (CRC-only framing) raised so that another
 * sector looks active: mount may refuse, or repair, but every object it
 * then serves reads exactly as written. */
static void test_sector_generation_edited_never_changes_an_object(void **state)
{
    (void)state;
    for (uint32_t s = 0; s < 4; s++) {
        populate();
        uint32_t top = T->st.generation + 1u;
        ms_tee_store_unmount(&T->st);
        uint8_t *sh = T->flash.sim.mem + s * 1024u;
        if (get_le32(sh + 8) == 0xffffffffu) {   /* the erased sector */
            tt_store_close(T);
            free(T);
            continue;
        }
        for (int copy = 0; copy < 2; copy++) {
            uint8_t *c = sh + copy * MS_TEE_STORE_SECTOR_HDR_LEN;
            put_le32(c + 8, top);
            put_le32(c + 12, tt_crc32(c, 12));
        }
        ms_err_t err = tt_store_mount(T);
        if (err == MS_OK) {
            for (uint32_t u = 1; u <= N_UIDS; u++) {
                assert_int_equal(read_uid(u), MS_OK);
            }
        } else if (err != MS_ERR_TEE_ROLLBACK) {
            fail_msg("sector %u made active: mount gave %s", s, ms_errname(err));
        }
        print_message("sector %u made active: %s\n", s, ms_errname(err));
        tt_store_close(T);
        free(T);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip_in_one_record_leaves_others_readable),
        cmocka_unit_test(test_flipped_commit_word_is_localised_and_store_goes_on),
        cmocka_unit_test(test_every_flipped_bit_is_caught_or_harmless),
        cmocka_unit_test(test_write_once_flag_cleared_in_both_header_copies_is_refused),
        cmocka_unit_test(
            test_write_once_flag_cleared_in_one_copy_with_the_other_broken_is_refused),
        cmocka_unit_test(test_write_once_flag_added_to_an_object_is_refused),
        cmocka_unit_test(test_size_edited_inside_the_padding_is_refused),
        cmocka_unit_test(test_capacity_edited_is_refused),
        cmocka_unit_test(test_uid_edited_is_refused),
        cmocka_unit_test(test_seq_edited_is_refused),
        cmocka_unit_test(test_anchor_nonce_edited_is_refused),
        cmocka_unit_test(test_sector_generation_edited_never_changes_an_object),
    };
    return cmocka_run_group_tests_name("tee_store_tamper", tests, NULL, NULL);
}
