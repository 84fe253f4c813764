/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cloud_store.c - the storage suite, run unchanged on each backend
 * (argument: sqlite:PATH or postgres:CONNINFO; the database starts empty):
 * numbered migrations, a campaign's kept counts, compare-and-set meter
 * rows, meters, readings (stored /
 * duplicate / conflict), events, single-use nonces, operators, sessions,
 * commands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cloud_test_util.h"
#include "cose_msg.h"
#include "ota_store.h"
#include "store.h"

static const char *g_spec;
static ms_db_t g_db;

#define DB (&g_db)
#define OPS (g_db.ops)
#define S (g_db.s)

static void meter(ms_meter_rec_t *m, const char *id)
{
    ms_p256_priv_t k;
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    assert_int_equal(ms_p256_keygen(&k, &m->pub), MS_OK);
    assert_int_equal(ms_p256_keygen(&k, &m->iak_pub), MS_OK);
    assert_int_equal(ms_cose_kid_of(&m->pub, m->kid), MS_OK);
    snprintf(m->cert_pem, sizeof m->cert_pem, "-----BEGIN CERTIFICATE-----\n%s\n", id);
    m->registered_at = 1700000000;
}

/* Runs first, on the empty database. */
static ms_err_t count_events(void *ctx, const ms_event_rec_t *e)
{
    (void)e;
    ++*(int *)ctx;
    return MS_OK;
}

static void migrations_numbered_and_kept(void **state)
{
    (void)state;
    int v = -1;
    assert_int_equal(ms_db_connect(g_spec, &g_db), MS_OK);
    assert_int_equal(OPS->latest_version(), 7);   /* 7: offers sent again */
    assert_int_equal(OPS->migrate(S, 1, &v), MS_OK);
    assert_int_equal(v, 1);
    ms_meter_rec_t *m = malloc(sizeof *m);
    meter(m, "mig-1");
    assert_int_equal(OPS->meter_add(S, m), MS_OK);
    /* before 4, the same cloud event could be stored many times */
    ms_event_rec_t e = { .meter_id = "mig-1", .time = 1, .kind = "replay", .detail = "d" };
    bool stored = false;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(OPS->event_add(S, &e, &stored), MS_OK);
        assert_true(stored);
    }
    /* version 1 has no commands table */
    ms_command_rec_t c = { .meter_id = "mig-1", .type = MS_CMD_TOPUP, .args_json = "{}",
                           .created_by = "t" };
    assert_int_not_equal(OPS->command_add(S, &c), MS_OK);
    assert_int_equal(OPS->migrate(S, 4, &v), MS_OK);
    assert_int_equal(v, 4);
    /* a campaign of version 4: its meters as rows only, counted by 5 */
    static const uint8_t image[1] = {0};
    const ms_sql_val_t fw[] = {{.t = MS_SQL_BLOB, .p = image, .n = sizeof image}};
    assert_int_equal(OPS->sql(S, "INSERT INTO firmware VALUES ('ab', '1.0.0', 1, 1, $1, 't', 0)",
                              fw, 1, NULL, NULL, NULL), MS_OK);
    ms_meter_rec_t *more = malloc(sizeof *more);
    for (int i = 2; i <= 4; i++) {
        char id[8];
        snprintf(id, sizeof id, "mig-%d", i);
        meter(more, id);
        assert_int_equal(OPS->meter_add(S, more), MS_OK);
    }
    free(more);
    static const char *const rows[] = {
        "INSERT INTO campaigns (id, name, firmware_sha256, state, target, waves, success_pm,"
        " failure_pm, max_retries, wave, wave_state, created_by, created_at) VALUES (1, 'c',"
        " 'ab', 'running', '{}', '50,100', 1000, 1000, 0, 0, 'running', 't', 0)",
        "INSERT INTO campaign_meters VALUES (1, 'mig-1', 0, 'success', 1, 0, 1, '', 0, 0)",
        "INSERT INTO campaign_meters VALUES (1, 'mig-2', 0, 'downloading', 1, 0, 0, '', 0, 0)",
        "INSERT INTO campaign_meters VALUES (1, 'mig-3', 1, 'queued', 0, 0, 0, '', 0, 0)",
        "INSERT INTO campaign_meters VALUES (1, 'mig-4', 1, 'queued', 0, 0, 0, '', 0, 0)",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(OPS->sql(S, rows[i], NULL, 0, NULL, NULL, NULL), MS_OK);
    }
    assert_int_equal(OPS->migrate(S, 0, &v), MS_OK);
    assert_int_equal(v, 7);
    uint32_t k[MS_LINK_UPD_STATE_COUNT_], total = 0, offered = 0;
    assert_int_equal(ms_ota_cm_counts(&g_db, 1, -1, k, &total, &offered), MS_OK);
    assert_int_equal(total, 4);
    assert_int_equal(offered, 2);
    assert_int_equal(k[MS_LINK_UPD_QUEUED], 2);
    assert_int_equal(ms_ota_cm_counts(&g_db, 1, 0, k, &total, &offered), MS_OK);
    assert_int_equal(total, 2);
    assert_int_equal(k[MS_LINK_UPD_SUCCESS], 1);
    assert_int_equal(k[MS_LINK_UPD_DOWNLOADING], 1);
    /* and kept from then on */
    ms_cm_rec_t cm;
    assert_int_equal(ms_ota_cm_get(&g_db, 1, "mig-3", &cm), MS_OK);
    const ms_cm_rec_t was = cm;
    snprintf(cm.state, sizeof cm.state, "downloading");
    cm.offered = true;
    assert_int_equal(ms_ota_cm_update(&g_db, &was, MS_CM_SAME_ROW, &cm, NULL), MS_OK);
    assert_int_equal(ms_ota_cm_counts(&g_db, 1, 1, k, &total, &offered), MS_OK);
    assert_int_equal(total, 2);
    assert_int_equal(offered, 1);
    assert_int_equal(k[MS_LINK_UPD_QUEUED], 1);
    assert_int_equal(k[MS_LINK_UPD_DOWNLOADING], 1);
    /* kept by the database: a writer that knows nothing of the counts (a
     * program from before 5, an operator's SQL) moves them as well */
    assert_int_equal(OPS->sql(S, "UPDATE campaign_meters SET state = 'failed'"
                                 " WHERE meter_id = 'mig-4'", NULL, 0, NULL, NULL, NULL), MS_OK);
    assert_int_equal(ms_ota_cm_counts(&g_db, 1, 1, k, &total, &offered), MS_OK);
    assert_int_equal(k[MS_LINK_UPD_QUEUED], 0);
    assert_int_equal(k[MS_LINK_UPD_FAILED], 1);
    assert_int_equal(OPS->sql(S, "DELETE FROM campaign_meters WHERE meter_id = 'mig-4'", NULL, 0,
                              NULL, NULL, NULL), MS_OK);
    assert_int_equal(ms_ota_cm_counts(&g_db, 1, -1, k, &total, &offered), MS_OK);
    assert_int_equal(total, 3);
    assert_int_equal(k[MS_LINK_UPD_FAILED], 0);
    /* a database a newer program made is refused, whatever the target */
    assert_int_equal(OPS->sql(S, "INSERT INTO schema_migrations (version) VALUES (8)", NULL, 0,
                              NULL, NULL, NULL), MS_OK);
    assert_int_equal(OPS->migrate(S, 0, &v), MS_ERR_STATE);
    assert_int_equal(OPS->migrate(S, 3, &v), MS_ERR_STATE);
    assert_int_equal(OPS->sql(S, "DELETE FROM schema_migrations WHERE version = 8", NULL, 0,
                              NULL, NULL, NULL), MS_OK);
    assert_int_equal(OPS->command_add(S, &c), MS_OK);
    assert_int_equal(c.cmd_seq, 1);
    int n = 0;   /* 4 kept the first of the three, and keeps it once */
    assert_int_equal(OPS->events_list(S, "mig-1", 10, count_events, &n), MS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(OPS->event_add(S, &e, &stored), MS_OK);
    assert_false(stored);
    /* data of version 1 is still there; migrating again applies nothing */
    ms_meter_rec_t *back = malloc(sizeof *back);
    assert_int_equal(OPS->meter_get(S, "mig-1", back), MS_OK);
    assert_memory_equal(back->pub.q, m->pub.q, sizeof m->pub.q);
    assert_int_equal(OPS->migrate(S, 0, &v), MS_OK);
    assert_int_equal(v, 7);
    ms_db_close(&g_db);
    assert_int_equal(ms_db_open(g_spec, &g_db), MS_OK);
    assert_int_equal(OPS->meter_get(S, "mig-1", back), MS_OK);
    free(m);
    free(back);
}

/* Two connections (two service instances) moving two meters of one wave
 * between the same two states in opposite directions, at once: every
 * change goes through (no deadlock between the kept counts' rows), and the
 * counts are the rows' at the end. Uses the migration test's campaign. */
static void counts_kept_under_two_writers(void **state)
{
    (void)state;
    enum { CHANGES = 400 };
    pid_t pid[2];
    for (int k = 0; k < 2; k++) {
        pid[k] = fork();
        assert_true(pid[k] >= 0);
        if (pid[k] == 0) {
            ms_db_t d;
            int failed = ms_db_connect(g_spec, &d) != MS_OK;
            for (int i = 0; !failed && i < CHANGES; i++) {
                ms_cm_rec_t cm;
                failed = ms_ota_cm_get(&d, 1, k == 0 ? "mig-1" : "mig-2", &cm) != MS_OK;
                const ms_cm_rec_t was = cm;
                snprintf(cm.state, sizeof cm.state, "%s",
                         (i + k) % 2 == 0 ? "verifying" : "downloading");
                failed = failed || ms_ota_cm_update(&d, &was, MS_CM_SAME_ROW, &cm, NULL) != MS_OK;
            }
            ms_db_close(&d);
            _exit(failed);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st = 0;
        assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    uint32_t k[MS_LINK_UPD_STATE_COUNT_], total = 0, offered = 0;
    assert_int_equal(ms_ota_cm_counts(&g_db, 1, 0, k, &total, &offered), MS_OK);
    assert_int_equal(total, 2);
    assert_int_equal(k[MS_LINK_UPD_DOWNLOADING], 1);   /* the last change of each */
    assert_int_equal(k[MS_LINK_UPD_VERIFYING], 1);
}

static ms_err_t count_hist(void *ctx, const ms_hist_rec_t *h)
{
    (void)h;
    ++*(int *)ctx;
    return MS_OK;
}

/* ms_ota_cm_update writes only over the row as its caller read it: two
 * instances that read one meter's row at once cannot both write, so a
 * non-final report read before a final one was written cannot undo it,
 * nor can a report of one attempt land on the next. Uses the migration
 * test's campaign. */
static void cm_update_compares_and_sets(void **state)
{
    (void)state;
    ms_cm_rec_t a, b, cm;
    int hist = 0, hist_after = 0;
    uint32_t k[MS_LINK_UPD_STATE_COUNT_], total = 0, offered = 0;
    assert_int_equal(ms_ota_history(&g_db, "mig-1", 1000, count_hist, &hist), MS_OK);
    assert_int_equal(ms_ota_cm_get(&g_db, 1, "mig-1", &a), MS_OK);
    assert_true(a.offered);
    b = a;   /* read by two instances */
    const ms_cm_rec_t was = a;
    snprintf(a.state, sizeof a.state, "success");
    a.progress = 100;
    assert_int_equal(ms_ota_cm_update(&g_db, &was, MS_CM_SAME_ATTEMPT, &a, NULL), MS_OK);
    snprintf(b.state, sizeof b.state, "downloading");
    b.progress = 40;
    /* a final state stays, whichever comparison */
    assert_int_equal(ms_ota_cm_update(&g_db, &was, MS_CM_SAME_ATTEMPT, &b, NULL), MS_ERR_STATE);
    assert_int_equal(ms_ota_cm_update(&g_db, &was, MS_CM_SAME_ROW, &b, NULL), MS_ERR_STATE);
    assert_int_equal(ms_ota_cm_get(&g_db, 1, "mig-1", &cm), MS_OK);
    assert_string_equal(cm.state, "success");
    assert_int_equal(cm.progress, 100);
    assert_int_equal(ms_ota_history(&g_db, "mig-1", 1000, count_hist, &hist_after), MS_OK);
    assert_int_equal(hist_after, hist + 1);   /* the refused changes left no history */
    assert_int_equal(ms_ota_cm_counts(&g_db, 1, 0, k, &total, &offered), MS_OK);
    assert_int_equal(k[MS_LINK_UPD_SUCCESS], 1);
    /* the same state and offered flag, but another attempt (retries): refused */
    const ms_cm_rec_t now = cm;
    assert_int_equal(OPS->sql(S, "UPDATE campaign_meters SET retries = retries + 1"
                                 " WHERE meter_id = 'mig-1'", NULL, 0, NULL, NULL, NULL), MS_OK);
    snprintf(cm.state, sizeof cm.state, "failed");
    assert_int_equal(ms_ota_cm_update(&g_db, &now, MS_CM_SAME_ROW, &cm, NULL), MS_ERR_STATE);
    /* a report applies over any not-final state of its attempt, not over
     * the next attempt, and needs an offer */
    ms_cm_rec_t r, other;
    assert_int_equal(ms_ota_cm_get(&g_db, 1, "mig-2", &r), MS_OK);
    assert_true(r.offered);
    const ms_cm_rec_t read = r;
    other = r;
    snprintf(other.state, sizeof other.state, "%s",
             strcmp(r.state, "verifying") == 0 ? "installing" : "verifying");
    assert_int_equal(ms_ota_cm_update(&g_db, &read, MS_CM_SAME_ROW, &other, NULL), MS_OK);
    snprintf(r.state, sizeof r.state, "downloaded");
    assert_int_equal(ms_ota_cm_update(&g_db, &read, MS_CM_SAME_ROW, &r, NULL), MS_ERR_STATE);
    assert_int_equal(ms_ota_cm_update(&g_db, &read, MS_CM_SAME_ATTEMPT, &r, NULL), MS_OK);
    assert_int_equal(OPS->sql(S, "UPDATE campaign_meters SET retries = retries + 1"
                                 " WHERE meter_id = 'mig-2'", NULL, 0, NULL, NULL, NULL), MS_OK);
    assert_int_equal(ms_ota_cm_update(&g_db, &read, MS_CM_SAME_ATTEMPT, &r, NULL), MS_ERR_STATE);
    ms_cm_rec_t unoffered = read;
    unoffered.offered = false;
    assert_int_equal(ms_ota_cm_update(&g_db, &unoffered, MS_CM_SAME_ATTEMPT, &r, NULL),
                     MS_ERR_STATE);
    assert_int_equal(ms_ota_cm_get(&g_db, 1, "mig-2", &cm), MS_OK);
    assert_string_equal(cm.state, "downloaded");
    assert_int_equal(cm.status_seq, 0);   /* a row from before 6: none written */
    /* numbered reports: each above the last written; an unnumbered one is
     * not written over a numbered one, nor is an old number again */
    const ms_cm_rec_t row = cm;
    r = cm;
    snprintf(r.state, sizeof r.state, "verifying");
    r.status_seq = 9;
    assert_int_equal(ms_ota_cm_update(&g_db, &row, MS_CM_SAME_ATTEMPT, &r, NULL), MS_OK);
    for (uint64_t seq = 0; seq <= 9; seq += 9) {
        ms_cm_rec_t again = r;
        again.status_seq = seq;
        snprintf(again.state, sizeof again.state, "installing");
        assert_int_equal(ms_ota_cm_update(&g_db, &r, MS_CM_SAME_ATTEMPT, &again, NULL),
                         MS_ERR_STATE);
    }
    ms_cm_rec_t next = r;
    next.status_seq = 10;
    snprintf(next.state, sizeof next.state, "installing");
    assert_int_equal(ms_ota_cm_update(&g_db, &r, MS_CM_SAME_ATTEMPT, &next, NULL), MS_OK);
    /* a row change (an offer, a retry) keeps the number */
    ms_cm_rec_t keep = next;
    keep.status_seq = 0;
    snprintf(keep.state, sizeof keep.state, "downloading");
    assert_int_equal(ms_ota_cm_update(&g_db, &next, MS_CM_SAME_ROW, &keep, NULL), MS_OK);
    assert_int_equal(ms_ota_cm_get(&g_db, 1, "mig-2", &cm), MS_OK);
    assert_int_equal(cm.status_seq, 10);
    /* the offered flag is compared too */
    assert_int_equal(ms_ota_cm_get(&g_db, 1, "mig-3", &cm), MS_OK);
    ms_cm_rec_t stale = cm;
    stale.offered = !cm.offered;
    assert_int_equal(ms_ota_cm_update(&g_db, &stale, MS_CM_SAME_ROW, &cm, NULL), MS_ERR_STATE);
    /* a row that is gone, a `was` of another row, no such comparison */
    ms_cm_rec_t gone = cm;
    snprintf(gone.meter_id, sizeof gone.meter_id, "mig-none");
    assert_int_equal(ms_ota_cm_update(&g_db, &gone, MS_CM_SAME_ROW, &gone, NULL), MS_ERR_STATE);
    assert_int_equal(ms_ota_cm_update(&g_db, &gone, MS_CM_SAME_ROW, &cm, NULL), MS_ERR_ARG);
    assert_int_equal(ms_ota_cm_update(&g_db, &cm, (ms_cm_match_t)7, &cm, NULL), MS_ERR_ARG);
    /* the campaign's row likewise: an evaluation that read it running
     * cannot move it on over an operator's pause */
    ms_campaign_rec_t c1, c2;
    assert_int_equal(ms_ota_campaign_get(&g_db, 1, &c1), MS_OK);
    assert_string_equal(c1.state, "running");
    assert_int_equal(ms_ota_campaign_set_state(&g_db, &c1, "paused", c1.wave, c1.wave_state),
                     MS_OK);
    assert_int_equal(ms_ota_campaign_set_state(&g_db, &c1, "running", c1.wave + 1, "running"),
                     MS_ERR_STATE);
    assert_int_equal(ms_ota_campaign_get(&g_db, 1, &c2), MS_OK);
    assert_string_equal(c2.state, "paused");
    assert_int_equal(c2.wave, c1.wave);
    assert_int_equal(ms_ota_campaign_set_state(&g_db, &c2, "running", c2.wave, c2.wave_state),
                     MS_OK);
    c2.id = 99;   /* no such campaign */
    assert_int_equal(ms_ota_campaign_set_state(&g_db, &c2, "paused", 0, "running"), MS_ERR_STATE);
}

static void meters(void **state)
{
    (void)state;
    ms_meter_rec_t *m = malloc(sizeof *m), *g = malloc(sizeof *g);
    meter(m, "mt-b");
    assert_int_equal(OPS->meter_add(S, m), MS_OK);
    assert_int_equal(OPS->meter_add(S, m), MS_ERR_STATE);
    meter(m, "mt-a");
    assert_int_equal(OPS->meter_add(S, m), MS_OK);
    assert_int_equal(OPS->meter_get(S, "mt-a", g), MS_OK);
    assert_string_equal(g->id, "mt-a");
    assert_memory_equal(g->kid, m->kid, sizeof m->kid);
    assert_memory_equal(g->iak_pub.q, m->iak_pub.q, sizeof m->iak_pub.q);
    assert_string_equal(g->cert_pem, m->cert_pem);
    assert_false(g->has_readings);
    assert_int_equal(OPS->meter_get(S, "mt-none", g), MS_ERR_NOT_FOUND);
    free(m);
    free(g);
}

typedef struct names {
    char id[8][MS_MSG_ID_MAX + 1];
    size_t n;
} names_t;

static ms_err_t add_name(void *ctx, const ms_meter_rec_t *m)
{
    names_t *n = ctx;
    if (n->n < 8) {
        snprintf(n->id[n->n++], sizeof n->id[0], "%s", m->id);
    }
    return MS_OK;
}

static void meter_list_pages(void **state)
{
    (void)state;
    names_t n = { .n = 0 };
    assert_int_equal(OPS->meter_list(S, "mt-", 1, add_name, &n), MS_OK);
    assert_int_equal(n.n, 1);
    assert_string_equal(n.id[0], "mt-a");
    n.n = 0;
    assert_int_equal(OPS->meter_list(S, "mt-a", 1, add_name, &n), MS_OK);
    assert_string_equal(n.id[0], "mt-b");
}

static void reading(ms_reading_rec_t *b, uint8_t *buf, const char *id, uint64_t seq,
                    uint64_t time, uint64_t energy)
{
    memset(b, 0, sizeof *b);
    snprintf(b->r.meter_id, sizeof b->r.meter_id, "%s", id);
    b->r.seq = seq;
    b->r.time = time;
    b->r.energy_wh = energy;
    b->r.balance_milli = -7;
    b->r.tariff_id = 4;
    size_t n = 0;
    assert_int_equal(ms_msg_reading_encode(&b->r, buf, MS_COSE_MSG_MAX, &n), MS_OK);
    b->payload = buf;
    b->payload_len = n;
    b->msg = buf;
    b->msg_len = n;
    b->received_at = 1700000100;
}

typedef struct seqs {
    uint64_t seq[16];
    int64_t balance[16];
    size_t n;
} seqs_t;

static ms_err_t add_seq(void *ctx, const ms_msg_reading_t *r, int64_t at)
{
    seqs_t *s = ctx;
    (void)at;
    if (s->n < 16) {
        s->balance[s->n] = r->balance_milli;
        s->seq[s->n++] = r->seq;
    }
    return MS_OK;
}

static void readings_outcomes(void **state)
{
    (void)state;
    ms_meter_rec_t *m = malloc(sizeof *m);
    meter(m, "rd-1");
    assert_int_equal(OPS->meter_add(S, m), MS_OK);
    uint8_t buf[4][MS_COSE_MSG_MAX];
    ms_reading_rec_t b[4];
    ms_store_outcome_t o[4];
    reading(&b[0], buf[0], "rd-1", 1, 100, 10);
    reading(&b[1], buf[1], "rd-1", 2, 200, 20);
    reading(&b[2], buf[2], "rd-1", 3, 300, 30);
    assert_int_equal(OPS->readings_store(S, b, 3, o), MS_OK);
    assert_int_equal(o[0], MS_STORE_STORED);
    assert_int_equal(o[2], MS_STORE_STORED);
    /* the same bytes again: duplicate; other bytes under seq 2: conflict; seq 4: new */
    reading(&b[1], buf[1], "rd-1", 2, 200, 21);
    reading(&b[3], buf[3], "rd-1", 4, 400, 40);
    assert_int_equal(OPS->readings_store(S, b, 4, o), MS_OK);
    assert_int_equal(o[0], MS_STORE_DUPLICATE);
    assert_int_equal(o[1], MS_STORE_CONFLICT);
    assert_int_equal(o[2], MS_STORE_DUPLICATE);
    assert_int_equal(o[3], MS_STORE_STORED);
    uint64_t n = 0;
    assert_int_equal(OPS->readings_count(S, "rd-1", &n), MS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(OPS->meter_get(S, "rd-1", m), MS_OK);
    assert_true(m->has_readings);
    assert_int_equal(m->max_reading_seq, 4);
    /* by time, oldest seq first, limited */
    seqs_t s = { .n = 0 };
    assert_int_equal(OPS->readings_list(S, "rd-1", 150, 350, 10, add_seq, &s), MS_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seq[0], 2);
    assert_int_equal(s.seq[1], 3);
    assert_int_equal(s.balance[0], -7);
    s.n = 0;
    assert_int_equal(OPS->readings_list(S, "rd-1", 0, UINT64_MAX, 1, add_seq, &s), MS_OK);
    assert_int_equal(s.n, 1);
    /* out of the signed 64-bit range: refused, nothing stored */
    reading(&b[0], buf[0], "rd-1", (uint64_t)INT64_MAX + 1, 1, 1);
    assert_int_equal(OPS->readings_store(S, b, 1, o), MS_ERR_ARG);
    assert_int_equal(OPS->readings_count(S, NULL, &n), MS_OK);
    assert_int_equal(n, 4);
    free(m);
}

static void events_once_per_seq(void **state)
{
    (void)state;
    ms_event_rec_t e = { .meter_id = "ev-1", .from_meter = true, .seq = 5, .time = 1,
                         .kind = "tamper", .detail = "cover" };
    bool stored = false;
    assert_int_equal(OPS->event_add(S, &e, &stored), MS_OK);
    assert_true(stored);
    assert_int_equal(OPS->event_add(S, &e, &stored), MS_OK);
    assert_false(stored);
    ms_event_rec_t c = { .meter_id = "ev-1", .from_meter = false, .time = 2, .kind = "replay",
                         .detail = "x" };
    assert_int_equal(OPS->event_add(S, &c, &stored), MS_OK);
    assert_true(stored);
    assert_int_equal(OPS->event_add(S, &c, &stored), MS_OK);
    assert_false(stored);   /* a cloud event is one fact: (meter, kind, detail) */
    snprintf(c.detail, sizeof c.detail, "y");
    assert_int_equal(OPS->event_add(S, &c, &stored), MS_OK);
    assert_true(stored);
    int n = 0;
    assert_int_equal(OPS->events_list(S, "ev-1", 10, count_events, &n), MS_OK);
    assert_int_equal(n, 3);
}

static void nonces_single_use(void **state)
{
    (void)state;
    uint8_t a[MS_STORE_NONCE_LEN], b[MS_STORE_NONCE_LEN];
    ms_random(a, sizeof a);
    ms_random(b, sizeof b);
    assert_int_equal(OPS->nonce_add(S, a, 1000), MS_OK);
    assert_int_equal(OPS->nonce_add(S, b, 1000), MS_OK);
    assert_int_equal(OPS->nonce_take(S, a, 999), MS_OK);
    assert_int_equal(OPS->nonce_take(S, a, 999), MS_ERR_CLOUD_NONCE);   /* used */
    assert_int_equal(OPS->nonce_take(S, b, 1000), MS_ERR_CLOUD_NONCE);  /* expired */
    ms_random(b, sizeof b);
    assert_int_equal(OPS->nonce_take(S, b, 1), MS_ERR_CLOUD_NONCE);     /* never issued */
}

static void operators_and_sessions(void **state)
{
    (void)state;
    char h[MS_STORE_PWHASH_MAX];
    ms_role_t role;
    assert_int_equal(OPS->operator_put(S, "op", "$argon2id$x", MS_ROLE_VIEWER), MS_OK);
    assert_int_equal(OPS->operator_put(S, "op", "$argon2id$y", MS_ROLE_OPERATOR), MS_OK);
    assert_int_equal(OPS->operator_get(S, "op", h, &role), MS_OK);
    assert_string_equal(h, "$argon2id$y");
    assert_int_equal(role, MS_ROLE_OPERATOR);
    assert_int_equal(OPS->operator_get(S, "nobody", h, &role), MS_ERR_NOT_FOUND);
    uint8_t t[MS_STORE_TOKEN_HASH_LEN];
    ms_random(t, sizeof t);
    ms_session_rec_t s = { .operator_name = "op", .role = MS_ROLE_OPERATOR, .expires_at = 500 },
                     g;
    ms_random(s.csrf, sizeof s.csrf);
    assert_int_equal(OPS->session_add(S, t, &s), MS_OK);
    assert_int_equal(OPS->session_get(S, t, 499, &g), MS_OK);
    assert_string_equal(g.operator_name, "op");
    assert_memory_equal(g.csrf, s.csrf, sizeof s.csrf);
    assert_int_equal(OPS->session_get(S, t, 500, &g), MS_ERR_NOT_FOUND);   /* expired */
    assert_int_equal(OPS->session_delete(S, t), MS_OK);
    assert_int_equal(OPS->session_get(S, t, 1, &g), MS_ERR_NOT_FOUND);
    /* a new password or role ends the operator's sessions, and only theirs */
    uint8_t t2[MS_STORE_TOKEN_HASH_LEN];
    ms_random(t2, sizeof t2);
    ms_session_rec_t other = { .operator_name = "op2", .role = MS_ROLE_VIEWER,
                               .expires_at = 500 };
    assert_int_equal(OPS->operator_put(S, "op2", "$argon2id$z", MS_ROLE_VIEWER), MS_OK);
    assert_int_equal(OPS->session_add(S, t, &s), MS_OK);
    assert_int_equal(OPS->session_add(S, t2, &other), MS_OK);
    assert_int_equal(OPS->operator_put(S, "op", "$argon2id$y", MS_ROLE_VIEWER), MS_OK);
    assert_int_equal(OPS->session_get(S, t, 1, &g), MS_ERR_NOT_FOUND);
    assert_int_equal(OPS->session_get(S, t2, 1, &g), MS_OK);
}

static void commands_numbered_per_meter(void **state)
{
    (void)state;
    ms_meter_rec_t *m = malloc(sizeof *m);
    meter(m, "cm-1");
    assert_int_equal(OPS->meter_add(S, m), MS_OK);
    meter(m, "cm-2");
    assert_int_equal(OPS->meter_add(S, m), MS_OK);
    free(m);
    ms_command_rec_t c = { .meter_id = "cm-1", .type = MS_CMD_TOPUP,
                           .args_json = "{\"amount_milli\":5}", .created_by = "op",
                           .created_at = 9 }, g;
    assert_int_equal(OPS->command_add(S, &c), MS_OK);
    assert_int_equal(c.cmd_seq, 1);
    assert_int_equal(OPS->command_add(S, &c), MS_OK);
    assert_int_equal(c.cmd_seq, 2);
    snprintf(c.meter_id, sizeof c.meter_id, "cm-2");
    assert_int_equal(OPS->command_add(S, &c), MS_OK);
    assert_int_equal(c.cmd_seq, 1);
    snprintf(c.meter_id, sizeof c.meter_id, "cm-none");   /* not a meter */
    assert_int_not_equal(OPS->command_add(S, &c), MS_OK);
    bool recorded = false;
    assert_int_equal(OPS->command_result(S, "cm-1", 2, 0, 4500, &recorded), MS_OK);
    assert_true(recorded);
    assert_int_equal(OPS->command_result(S, "cm-1", 2, MS_RESULT_REPLAY, 1, &recorded), MS_OK);
    assert_false(recorded);   /* the first verdict stays */
    assert_int_equal(OPS->command_result(S, "cm-1", 3, 0, 1, &recorded), MS_ERR_NOT_FOUND);
    assert_false(recorded);
    assert_int_equal(OPS->command_get(S, "cm-1", 2, &g), MS_OK);
    assert_true(g.has_result);
    assert_int_equal(g.result_balance, 4500);
    assert_string_equal(g.args_json, "{\"amount_milli\":5}");
    assert_int_equal(OPS->command_get(S, "cm-1", 1, &g), MS_OK);
    assert_false(g.has_result);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s sqlite:PATH | postgres:CONNINFO\n", argv[0]);
        return 2;
    }
    g_spec = argv[1];
    ctu_fresh_db(g_spec);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations_numbered_and_kept),
        cmocka_unit_test(counts_kept_under_two_writers),
        cmocka_unit_test(cm_update_compares_and_sets),
        cmocka_unit_test(meters),
        cmocka_unit_test(meter_list_pages),
        cmocka_unit_test(readings_outcomes),
        cmocka_unit_test(events_once_per_seq),
        cmocka_unit_test(nonces_single_use),
        cmocka_unit_test(operators_and_sessions),
        cmocka_unit_test(commands_numbered_per_meter),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ms_db_close(&g_db);
    return rc;
}
