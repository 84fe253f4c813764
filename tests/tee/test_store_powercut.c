/*
 * test_store_powercut.c - power cut at every flash operation of a sequence
 * of set/remove calls (M9: "a cut at any flash operation leaves the old or
 * the new value, never a corrupt or lost record").
 *
 * The sequence mixes set, remove and set_extended (a read-modify-write of
 * part of an object). For each cut point k: replay the sequence on a fresh
 * simulated flash
 * with power cut during its k-th state-changing operation, power on, mount
 * again, and check that every object holds exactly what the model says,
 * except the interrupted one, which holds its old or its new value. Then a
 * second cut is made at every operation of that recovering mount (double
 * fault), and the store must still be writable and consistent afterwards.
 *
 * The sequence is long enough to run garbage collection several times, so
 * cuts land in sector opens, GC copies, victim erases and commit words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/crypto.h"
#include "meterseal/tee_store.h"
#include "tee_hooks_host.h"
#include "tee_test_util.h"

#define N_UIDS 4u
#define MAX_LEN 96u

typedef enum op_kind { OP_SET, OP_REMOVE, OP_SET_EXTENDED } op_kind_t;

typedef struct op {
    uint8_t kind;
    uint8_t uid;
    uint8_t len;
} op_t;

typedef struct model {
    int present[N_UIDS + 1];
    uint32_t len[N_UIDS + 1];
    uint8_t data[N_UIDS + 1][MAX_LEN];
} model_t;

#define N_OPS 80
static op_t g_ops[N_OPS];

static void make_ops(void)
{
    uint32_t x = 12345;
    for (int i = 0; i < N_OPS; i++) {
        x = x * 1103515245u + 12345u;
        g_ops[i].uid = (uint8_t)(1 + (x >> 16) % N_UIDS);
        unsigned k = (x >> 8) % 7;
        g_ops[i].kind = k == 0 ? OP_REMOVE : k == 1 ? OP_SET_EXTENDED : OP_SET;
        g_ops[i].len = (uint8_t)((x >> 20) % MAX_LEN);
    }
}

/* Op i on the model alone. */
static void model_apply(model_t *m, int i)
{
    const op_t *o = &g_ops[i];
    uint32_t len = m->len[o->uid];
    switch (o->kind) {
    case OP_REMOVE:
        m->present[o->uid] = 0;
        break;
    case OP_SET_EXTENDED:   /* overwrite the middle half of what is there */
        if (m->present[o->uid]) {
            tt_fill(m->data[o->uid] + len / 4, len / 2, o->uid, (uint32_t)i + 1u);
        }
        break;
    default:
        m->present[o->uid] = 1;
        m->len[o->uid] = o->len;
        tt_fill(m->data[o->uid], o->len, o->uid, (uint32_t)i + 1u);
        break;
    }
}

/* Apply op i to the store; model updated only on success. */
static ms_err_t apply(ms_tee_store_t *st, model_t *m, int i)
{
    const op_t *o = &g_ops[i];
    model_t next = *m;
    model_apply(&next, i);
    ms_err_t err = MS_OK;
    if (o->kind == OP_REMOVE) {
        err = m->present[o->uid] ? ms_tee_store_remove(st, o->uid) : MS_OK;
    } else if (o->kind == OP_SET_EXTENDED) {
        uint32_t len = m->len[o->uid];
        err = m->present[o->uid]
                  ? ms_tee_store_set_extended(st, o->uid, len / 4, next.data[o->uid] + len / 4,
                                              len / 2)
                  : MS_OK;
    } else {
        err = ms_tee_store_set(st, o->uid, next.data[o->uid], o->len, 0);
    }
    if (!err) {
        *m = next;
    }
    return err;
}

/* 1 if uid holds exactly the model's value (or is absent as the model says). */
static int matches(ms_tee_store_t *st, const model_t *m, uint32_t uid)
{
    uint8_t got[MAX_LEN];
    size_t n = 0;
    ms_err_t err = ms_tee_store_get(st, uid, 0, got, sizeof got, &n);
    if (!m->present[uid]) {
        return err == MS_ERR_NOT_FOUND;
    }
    if (err != MS_OK || n != m->len[uid]) {
        return 0;
    }
    return memcmp(got, m->data[uid], n) == 0;
}

static void check_old_or_new(ms_tee_store_t *st, const model_t *before, const model_t *after,
                             int interrupted)
{
    for (uint32_t uid = 1; uid <= N_UIDS; uid++) {
        int ok_new = matches(st, after, uid);
        int ok_old = matches(st, before, uid);
        if (interrupted >= 0 && g_ops[interrupted].uid == uid) {
            if (!(ok_new || ok_old)) {
                fail_msg("uid %u is neither old nor new after cut in op %d", uid, interrupted);
            }
        } else if (!ok_old) {
            fail_msg("uid %u changed or lost (op %d interrupted)", uid, interrupted);
        }
    }
}

/* Model state after ops [0, upto). */
static void model_upto(model_t *m, int upto)
{
    memset(m, 0, sizeof *m);
    for (int i = 0; i < upto; i++) {
        model_apply(m, i);
    }
}

/* Run the whole sweep on one geometry. Returns the number of cut points. */
static uint64_t sweep(uint32_t sectors, uint32_t sector_size, uint32_t align, int double_cut,
                      uint64_t stride, uint32_t seed)
{
    tt_store_t *t = malloc(sizeof *t);
    assert_non_null(t);
    make_ops();

    /* dry run: how many flash ops does the sequence take? */
    tt_store_init(t, sectors, sector_size, align, 8, MAX_LEN);
    assert_int_equal(tt_store_mount(t), MS_OK);
    model_t m;
    memset(&m, 0, sizeof m);
    uint64_t start = t->flash.sim.ops;
    for (int i = 0; i < N_OPS; i++) {
        assert_int_equal(apply(&t->st, &m, i), MS_OK);
    }
    uint64_t total = t->flash.sim.ops - start;
    assert_true(t->st.generation > sectors + 1);   /* GC went round the ring */
    tt_store_close(t);

    size_t size = (size_t)sectors * sector_size;
    uint8_t *snap = malloc(size);
    assert_non_null(snap);
    uint64_t points = 0;

    for (uint64_t k = 1; k <= total; k += stride) {
        tt_store_init(t, sectors, sector_size, align, 8, MAX_LEN);
        assert_int_equal(tt_store_mount(t), MS_OK);
        model_t cur;
        memset(&cur, 0, sizeof cur);
        ms_flash_sim_cut_after(&t->flash.sim, k, (uint32_t)(k * 2654435761u) ^ seed);
        int interrupted = -1;
        for (int i = 0; i < N_OPS; i++) {
            if (apply(&t->st, &cur, i) != MS_OK) {
                interrupted = i;
                break;
            }
        }
        assert_true(interrupted >= 0);
        model_t before, after;
        model_upto(&before, interrupted);
        model_upto(&after, interrupted + 1);
        ms_tee_store_unmount(&t->st);
        ms_flash_sim_power_on(&t->flash.sim);
        uint64_t nv_saved = 0;
        assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv_saved), MS_OK);
        memcpy(snap, t->flash.sim.mem, size);

        /* double fault: cut again at every op of the recovering mount */
        for (uint64_t j = 1; double_cut && j < 16; j++) {
            memcpy(t->flash.sim.mem, snap, size);
            ms_host_tee_nvc_set(TT_NVC, nv_saved);
            ms_flash_sim_cut_after(&t->flash.sim, j, (uint32_t)(j * 7919u + k));
            uint64_t before_ops = t->flash.sim.ops;
            ms_err_t err = tt_store_mount(t);
            int fired = t->flash.sim.powered == 0;
            ms_flash_sim_cut_after(&t->flash.sim, 0, 0);
            ms_tee_store_unmount(&t->st);
            ms_flash_sim_power_on(&t->flash.sim);
            if (!fired) {
                assert_int_equal(err, MS_OK);
                (void)before_ops;
                break;
            }
            assert_int_equal(tt_store_mount(t), MS_OK);
            check_old_or_new(&t->st, &before, &after, interrupted);
            ms_tee_store_unmount(&t->st);
        }
        memcpy(t->flash.sim.mem, snap, size);
        ms_host_tee_nvc_set(TT_NVC, nv_saved);

        ms_err_t err = tt_store_mount(t);
        if (err != MS_OK) {
            fail_msg("mount after cut at op %llu failed: %s", (unsigned long long)k,
                     ms_errname(err));
        }
        check_old_or_new(&t->st, &before, &after, interrupted);

        /* the store keeps working: finish the sequence from where it stood */
        model_t now = matches(&t->st, &after, g_ops[interrupted].uid) ? after : before;
        for (int i = interrupted + 1; i < N_OPS; i++) {
            assert_int_equal(apply(&t->st, &now, i), MS_OK);
        }
        ms_tee_store_unmount(&t->st);
        assert_int_equal(tt_store_mount(t), MS_OK);
        check_old_or_new(&t->st, &now, &now, -1);
        tt_store_close(t);
        points++;
    }
    free(snap);
    free(t);
    return points;
}

static void test_cut_at_every_op_align8_four_sectors(void **state)
{
    (void)state;
    uint64_t n = sweep(4, 1024, 8, 1, 1, 0);
    print_message("cut points checked: %llu\n", (unsigned long long)n);
    assert_true(n > 100);
}

static void test_cut_at_every_op_align1_two_sectors(void **state)
{
    (void)state;
    uint64_t n = sweep(2, 2048, 1, 1, 1, 0);
    print_message("cut points checked: %llu\n", (unsigned long long)n);
    assert_true(n > 80);
}

static void test_cut_at_every_op_align32_three_sectors(void **state)
{
    (void)state;
    uint64_t n = sweep(3, 2048, 32, 0, 1, 0);
    print_message("cut points checked: %llu\n", (unsigned long long)n);
    assert_true(n > 80);
}

static void test_cut_at_every_op_other_tear_patterns(void **state)
{
    (void)state;
    /* same cut points, different amounts of the torn operation done */
    uint64_t n = 0;
    for (uint32_t seed = 1; seed <= 3; seed++) {
        n += sweep(4, 1024, 4, 0, 1, seed * 0x9e3779b9u);
    }
    print_message("cut points checked: %llu\n", (unsigned long long)n);
    assert_true(n > 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_at_every_op_align8_four_sectors),
        cmocka_unit_test(test_cut_at_every_op_align1_two_sectors),
        cmocka_unit_test(test_cut_at_every_op_align32_three_sectors),
        cmocka_unit_test(test_cut_at_every_op_other_tear_patterns),
    };
    return cmocka_run_group_tests_name("tee_store_powercut", tests, NULL, NULL);
}
