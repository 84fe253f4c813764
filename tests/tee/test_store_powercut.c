/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_powercut.c - power cut at every flash operation and at every
 * NV counter step of a sequence of set/remove/set_extended calls (M9: "a
 * cut anywhere leaves the old or the new value, never a corrupt or lost
 * record"), and the rollback an attacker can build out of a cut.
 *
 * For each cut point (during the k-th state-changing flash operation, or
 * just before or just after the j-th counter step, the counter sharing the
 * flash simulator's power): replay the sequence on a fresh simulated flash
 * with power cut there, power on, mount again, and check that every object
 * holds exactly what the model says, except the interrupted one, which
 * holds its old or its new value. Then a second cut is made at every flash
 * operation and counter step of that recovering mount (double fault), and
 * the store must still be writable and consistent afterwards, its counter
 * idle at 2 x seq.
 *
 * The sequence is long enough to run garbage collection several times, so
 * cuts land in sector opens, GC copies, victim erases, commit words, and
 * between commit words and counter steps; set_extended is a
 * read-modify-write of part of an object.
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

/* Where power is cut: during a flash operation (torn), or at a counter
 * step, just before it takes effect or just after. */
typedef struct cut {
    enum { CUT_FLASH, CUT_BEFORE_STEP, CUT_AFTER_STEP } kind;
    uint64_t n;        /* the n-th flash operation / counter step from now */
    uint32_t seed;     /* how much of a torn flash operation gets done */
} cut_t;

static void arm(tt_store_t *t, const cut_t *c)
{
    if (c->kind == CUT_FLASH) {
        ms_flash_sim_cut_after(&t->flash.sim, c->n, c->seed);
    } else {
        ms_host_tee_nvc_cut_at(c->n, c->kind == CUT_AFTER_STEP);
    }
}

static void disarm(tt_store_t *t)
{
    ms_flash_sim_cut_after(&t->flash.sim, 0, 0);
    ms_host_tee_nvc_cut_at(0, 0);
}

/* Mount the image of a cut (flash snap, counter nv) with a second cut `c`
 * armed; if it fired, power on and mount again. Either way the store must
 * hold the old or the new state of the interrupted op. */
static void mount_with_second_cut(tt_store_t *t, const uint8_t *snap, uint64_t nv,
                                  const cut_t *c, const model_t *before, const model_t *after,
                                  int interrupted, int *fired)
{
    memcpy(t->flash.sim.mem, snap, t->flash.area.size);
    ms_host_tee_nvc_set(TT_NVC, nv);
    arm(t, c);
    ms_err_t err = tt_store_mount(t);
    *fired = t->flash.sim.powered == 0;
    disarm(t);
    ms_tee_store_unmount(&t->st);
    ms_flash_sim_power_on(&t->flash.sim);
    if (!*fired) {
        assert_int_equal(err, MS_OK);
        return;
    }
    assert_int_equal(tt_store_mount(t), MS_OK);
    check_old_or_new(&t->st, before, after, interrupted);
    ms_tee_store_unmount(&t->st);
}

/* Replay the sequence with power cut at `c`, then recover (with a second
 * cut at every flash operation and counter step of the recovering mount if
 * double_cut), check, and finish the sequence. */
static void run_cut(tt_store_t *t, uint32_t sectors, uint32_t sector_size, uint32_t align,
                    const cut_t *c, int double_cut, uint8_t *snap)
{
    tt_store_init(t, sectors, sector_size, align, 8, MAX_LEN);
    assert_int_equal(tt_store_mount(t), MS_OK);
    model_t cur;
    memset(&cur, 0, sizeof cur);
    arm(t, c);
    int interrupted = -1;
    for (int i = 0; i < N_OPS; i++) {
        if (apply(&t->st, &cur, i) != MS_OK) {
            interrupted = i;
            break;
        }
    }
    disarm(t);
    /* a cut right after the last counter step leaves every op acknowledged */
    int all_done = interrupted < 0;
    if (all_done && t->flash.sim.powered) {
        fail_msg("cut %d at %llu never fired", (int)c->kind, (unsigned long long)c->n);
    }
    if (all_done) {
        interrupted = N_OPS - 1;
    }
    model_t before, after;
    model_upto(&before, all_done ? N_OPS : interrupted);
    model_upto(&after, interrupted + 1);
    ms_tee_store_unmount(&t->st);
    ms_flash_sim_power_on(&t->flash.sim);
    uint64_t nv_saved = 0;
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv_saved), MS_OK);
    memcpy(snap, t->flash.sim.mem, t->flash.area.size);

    for (uint64_t j = 1; double_cut && j < 16; j++) {
        cut_t second = { CUT_FLASH, j, (uint32_t)(j * 7919u + c->n) };
        int fired;
        mount_with_second_cut(t, snap, nv_saved, &second, &before, &after, interrupted, &fired);
        if (!fired) {
            break;
        }
    }
    for (uint64_t j = 1; double_cut && j <= 2; j++) {
        for (int a = 0; a < 2; a++) {
            cut_t second = { a ? CUT_AFTER_STEP : CUT_BEFORE_STEP, j, 0 };
            int fired;
            mount_with_second_cut(t, snap, nv_saved, &second, &before, &after, interrupted,
                                  &fired);
        }
    }
    memcpy(t->flash.sim.mem, snap, t->flash.area.size);
    ms_host_tee_nvc_set(TT_NVC, nv_saved);

    ms_err_t err = tt_store_mount(t);
    if (err != MS_OK) {
        fail_msg("mount after cut %d at %llu failed: %s", (int)c->kind,
                 (unsigned long long)c->n, ms_errname(err));
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
    uint64_t nv = 0;
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv), MS_OK);
    assert_int_equal(nv, 2u * t->st.seq);   /* idle: every write acknowledged or sealed */
    tt_store_close(t);
}

/* Run the whole sweep on one geometry: a cut at every flash operation
 * (every `stride`-th), and with counter_cuts before and after every
 * counter step. Returns the number of cut points. */
static uint64_t sweep(uint32_t sectors, uint32_t sector_size, uint32_t align, int double_cut,
                      uint64_t stride, uint32_t seed, int counter_cuts)
{
    tt_store_t *t = malloc(sizeof *t);
    assert_non_null(t);
    ms_host_tee_nvc_power_link(NULL);   /* a failed test may have left it */
    make_ops();

    /* dry run: how many flash ops and counter steps does the sequence take? */
    tt_store_init(t, sectors, sector_size, align, 8, MAX_LEN);
    assert_int_equal(tt_store_mount(t), MS_OK);
    model_t m;
    memset(&m, 0, sizeof m);
    uint64_t start = t->flash.sim.ops, steps = ms_host_tee_nvc_increments();
    for (int i = 0; i < N_OPS; i++) {
        assert_int_equal(apply(&t->st, &m, i), MS_OK);
    }
    uint64_t total = t->flash.sim.ops - start;
    steps = ms_host_tee_nvc_increments() - steps;
    assert_true(t->st.generation > sectors + 1);   /* GC went round the ring */
    tt_store_close(t);

    uint8_t *snap = malloc((size_t)sectors * sector_size);
    assert_non_null(snap);
    uint64_t points = 0;
    ms_host_tee_nvc_power_link(&t->flash.sim.powered);
    for (uint64_t k = 1; k <= total; k += stride) {
        cut_t c = { CUT_FLASH, k, (uint32_t)(k * 2654435761u) ^ seed };
        run_cut(t, sectors, sector_size, align, &c, double_cut, snap);
        points++;
    }
    for (uint64_t j = 1; counter_cuts && j <= steps; j += stride) {
        for (int a = 0; a < 2; a++) {
            cut_t c = { a ? CUT_AFTER_STEP : CUT_BEFORE_STEP, j, 0 };
            run_cut(t, sectors, sector_size, align, &c, double_cut, snap);
            points++;
        }
    }
    ms_host_tee_nvc_power_link(NULL);
    free(snap);
    free(t);
    return points;
}

static void test_cut_at_every_op_align8_four_sectors(void **state)
{
    (void)state;
    uint64_t n = sweep(4, 1024, 8, 1, 1, 0, 1);
    print_message("cut points checked: %llu\n", (unsigned long long)n);
    assert_true(n > 100);
}

static void test_cut_at_every_op_align1_two_sectors(void **state)
{
    (void)state;
    uint64_t n = sweep(2, 2048, 1, 1, 1, 0, 1);
    print_message("cut points checked: %llu\n", (unsigned long long)n);
    assert_true(n > 80);
}

static void test_cut_at_every_op_align32_three_sectors(void **state)
{
    (void)state;
    uint64_t n = sweep(3, 2048, 32, 0, 1, 0, 1);
    print_message("cut points checked: %llu\n", (unsigned long long)n);
    assert_true(n > 80);
}

static void test_cut_at_every_op_other_tear_patterns(void **state)
{
    (void)state;
    /* same cut points, different amounts of the torn operation done */
    uint64_t n = 0;
    for (uint32_t seed = 1; seed <= 3; seed++) {
        n += sweep(4, 1024, 4, 0, 1, seed * 0x9e3779b9u, 0);
    }
    print_message("cut points checked: %llu\n", (unsigned long long)n);
    assert_true(n > 300);
}

/* ---- the one-step rollback window ------------------------------------------ */

static void put_ver(tt_store_t *t, uint32_t ver)
{
    uint8_t buf[32];
    tt_fill(buf, sizeof buf, 1, ver);
    assert_int_equal(ms_tee_store_set(&t->st, 1, buf, sizeof buf, 0), MS_OK);
}

static int reads_ver(tt_store_t *t, uint32_t ver)
{
    uint8_t got[32], want[32];
    size_t n = 0;
    tt_fill(want, sizeof want, 1, ver);
    return ms_tee_store_get(&t->st, 1, 0, got, sizeof got, &n) == MS_OK && n == sizeof got &&
           memcmp(got, want, n) == 0;
}

/* Flash operations one set of uid 1 takes on a copy of t's flash and counter. */
static uint64_t ops_of_one_set(tt_store_t *t, uint32_t ver)
{
    tt_store_t *twin = malloc(sizeof *twin);
    assert_non_null(twin);
    uint64_t nv = 0;
    assert_int_equal(ms_tee_hal_nvc_read(TT_NVC, &nv), MS_OK);
    tt_store_init(twin, 4, 1024, 8, 8, MAX_LEN);
    memcpy(twin->flash.sim.mem, t->flash.sim.mem, t->flash.area.size);
    twin->cfg.nvc_id = TT_NVC - 1u;
    ms_host_tee_nvc_set(TT_NVC - 1u, nv);
    ms_host_tee_nvc_set(TT_NVC, nv);   /* tt_store_init reset it */
    assert_int_equal(tt_store_mount(twin), MS_OK);
    uint64_t start = twin->flash.sim.ops;
    put_ver(twin, ver);
    uint64_t n = twin->flash.sim.ops - start;
    tt_store_close(twin);
    free(twin);
    return n;
}

/*
 * Power dies right after a record's commit word is on flash, before the
 * anti-rollback counter moves. The attacker keeps that image (W), puts
 * back the image from before the write (B) and lets the meter run: B is
 * the old state, acceptable, and the meter writes v3, acknowledged. Then he
 * puts back W: it must be refused, or the acknowledged v3 is undone.
 */
static void test_image_of_an_interrupted_write_cannot_undo_a_later_acknowledged_write(
    void **state)
{
    (void)state;
    tt_store_t *t = malloc(sizeof *t);
    assert_non_null(t);
    tt_store_init(t, 4, 1024, 8, 8, MAX_LEN);
    ms_host_tee_nvc_power_link(&t->flash.sim.powered);
    size_t size = t->flash.area.size;
    uint8_t *image_b = malloc(size), *image_w = malloc(size);
    assert_non_null(image_b);
    assert_non_null(image_w);
    assert_int_equal(tt_store_mount(t), MS_OK);
    put_ver(t, 1);
    memcpy(image_b, t->flash.sim.mem, size);

    /* v2: power dies right after its last flash write, the commit word */
    uint64_t n = ops_of_one_set(t, 2);
    uint8_t buf[32];
    tt_fill(buf, sizeof buf, 1, 2);
    ms_flash_sim_off_after(&t->flash.sim, n);
    assert_int_not_equal(ms_tee_store_set(&t->st, 1, buf, sizeof buf, 0), MS_OK);
    ms_tee_store_unmount(&t->st);
    ms_flash_sim_power_on(&t->flash.sim);
    memcpy(image_w, t->flash.sim.mem, size);

    /* the image from before the write: the write never completed, old state */
    memcpy(t->flash.sim.mem, image_b, size);
    assert_int_equal(tt_store_mount(t), MS_OK);
    assert_true(reads_ver(t, 1));
    put_ver(t, 3);   /* acknowledged */
    ms_tee_store_unmount(&t->st);

    memcpy(t->flash.sim.mem, image_w, size);
    ms_err_t err = tt_store_mount(t);
    if (err == MS_OK) {
        fail_msg("the image of the interrupted write was accepted after v3 was acknowledged: "
                 "the store reads %s", reads_ver(t, 2) ? "v2 (v3 undone)" : "something else");
    }
    assert_int_equal(err, MS_ERR_TEE_ROLLBACK);
    ms_host_tee_nvc_power_link(NULL);
    tt_store_close(t);
    free(image_b);
    free(image_w);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_at_every_op_align8_four_sectors),
        cmocka_unit_test(test_cut_at_every_op_align1_two_sectors),
        cmocka_unit_test(test_cut_at_every_op_align32_three_sectors),
        cmocka_unit_test(test_cut_at_every_op_other_tear_patterns),
        cmocka_unit_test(
            test_image_of_an_interrupted_write_cannot_undo_a_later_acknowledged_write),
    };
    return cmocka_run_group_tests_name("tee_store_powercut", tests, NULL, NULL);
}
