/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ota_races.c - what several service instances (a shared
 * subscription) doing one campaign at once, and a broker sending old
 * messages again, must not break (docs/ota.md section 4), on a real store
 * (argument: sqlite:PATH or a PostgreSQL spec):
 *
 *   - a status report sent again (its TEE number not above the last) is
 *     refused; an unnumbered one after numbered ones too;
 *   - a failure with a retry left is never in the row for others to count;
 *   - another instance's change committed between the engine's read and
 *     its write (played through the clock the engine asks): a final state
 *     stays, an offer goes out once, an old attempt's report does not land
 *     on the next, an evaluation does not undo a cancel, a retry is not
 *     offered in a campaign paused meanwhile;
 *   - releases on two instances at once (a start, a next wave) are
 *     serialised: the older image is not released after the newer one's
 *     start, nor sent to a wave's meters never offered before it.
 */
#define _POSIX_C_SOURCE 200809L   /* nanosleep */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "log.h"
#include "ota_test_util.h"

static const char *g_spec;

#define LEN 6000u   /* payload bytes: several chunks of 1 KiB */

static fs_fleet_t *fleet(size_t n)
{
    return fs_new(g_spec, n, 16u * 4096u, 3000);
}

/* A one-wave campaign over the whole fleet of an image of version 2.0.0
 * (counter 2), uploaded and started; *img to be freed by the caller. */
static int64_t started(fs_fleet_t *f, fx_image_t *img, double failure, uint32_t retries)
{
    ms_fw_rec_t rec;
    *img = fs_image(2, 2, LEN, false, NULL, NULL);
    ot_upload_ok(f, img, &rec);
    return fs_campaign(f, rec.sha256, (const uint32_t[]){100}, 1, 1.0, failure, retries);
}

/* Reports are numbered by the meter's TEE: an old one sent again (a broker
 * or anyone on the path replaying it: a "failed" of an earlier moment would
 * spend the meter's retries) is refused, and so is an unnumbered one once
 * numbered ones came. A meter from before numbering is still heard. */
static void replayed_status_refused(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img;
    int64_t id = started(f, &img, 1.0, 1);
    assert_int_equal(ot_deliver_status(f, 0, id, MS_LINK_UPD_DOWNLOADING, 5), MS_OK);
    assert_int_equal(ot_deliver_status(f, 0, id, MS_LINK_UPD_VERIFYING, 6), MS_OK);
    assert_int_equal(ot_deliver_status(f, 0, id, MS_LINK_UPD_FAILED, 6), MS_ERR_LINK_STALE);
    assert_int_equal(ot_deliver_status(f, 0, id, MS_LINK_UPD_FAILED, 5), MS_ERR_LINK_STALE);
    assert_int_equal(ot_deliver_status(f, 0, id, MS_LINK_UPD_FAILED, 0), MS_ERR_LINK_STALE);
    ms_cm_rec_t m = fs_cm(f, id, 0);
    assert_string_equal(m.state, "verifying");
    assert_int_equal(m.retries, 0);
    assert_int_equal(m.status_seq, 6);
    /* the next number is heard */
    assert_int_equal(ot_deliver_status(f, 0, id, MS_LINK_UPD_INSTALLING, 8), MS_OK);
    assert_string_equal(fs_cm(f, id, 0).state, "installing");
    /* unnumbered reports (firmware from before numbering) as before */
    assert_int_equal(ot_deliver_status(f, 1, id, MS_LINK_UPD_DOWNLOADING, 0), MS_OK);
    assert_int_equal(ot_deliver_status(f, 1, id, MS_LINK_UPD_VERIFYING, 0), MS_OK);
    assert_string_equal(fs_cm(f, id, 1).state, "verifying");
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

static ms_err_t hist_states(void *ctx, const ms_hist_rec_t *h)
{
    char *s = ctx;
    size_t n = strlen(s);
    snprintf(s + n, 256 - n, "%s%s", n ? " " : "", h->state);
    return MS_OK;
}

/* A failure with a retry left goes into the history, but the row goes
 * straight on to queued in the same transaction: no evaluation (on any
 * instance) ever counts it as a failure, which could halt the wave. */
static void failure_with_a_retry_left_is_never_counted(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(1);
    fx_image_t img;
    int64_t id = started(f, &img, 0.0, 1);
    assert_int_equal(ot_deliver_status(f, 0, id, MS_LINK_UPD_FAILED, 3), MS_OK);
    ms_cm_rec_t m = fs_cm(f, id, 0);
    assert_string_equal(m.state, "queued");
    assert_true(m.offered);   /* and offered again */
    assert_int_equal(m.retries, 1);
    assert_int_equal(m.status_seq, 3);
    assert_string_equal(fs_state(f, id), "running");   /* threshold 0 failures: not halted */
    char h[256] = "";
    assert_int_equal(ms_ota_history(&f->cloud.db, f->m[0].id, 100, hist_states, h), MS_OK);
    assert_string_equal(h, "queued failed queued queued");
    /* the second attempt's failure is final, and halts the wave */
    assert_int_equal(ot_deliver_status(f, 0, id, MS_LINK_UPD_FAILED, 4), MS_OK);
    assert_string_equal(fs_cm(f, id, 0).state, "failed");
    assert_string_equal(fs_state(f, id), "halted");
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

/* Another service instance, played by a clock: the first time the engine
 * asks for the time while g_race.armed (and, with g_race.when_running, the
 * campaign is running), g_race.sql is committed as that instance's change
 * of meter g_race.meter's row, between the engine's read and its write. */
static struct {
    fs_fleet_t *f;
    int64_t (*now)(void);
    int64_t campaign;
    const char *meter;
    const char *sql;
    int skip;   /* calls let by first */
    bool armed, when_running;
} g_race;

static ms_err_t flag_row(void *ctx, const ms_sql_val_t *c, size_t n)
{
    (void)c;
    (void)n;
    *(bool *)ctx = true;
    return MS_OK;
}

static int64_t racing_now(void)
{
    ms_db_t *db = &g_race.f->cloud.db;
    ms_sql_val_t p[] = { { .t = MS_SQL_INT, .i = g_race.campaign },
                         { .t = MS_SQL_TEXT, .s = g_race.meter } };
    bool running = !g_race.when_running;
    if (g_race.armed && !running) {
        assert_int_equal(db->ops->sql(db->s, "SELECT 1 FROM campaigns WHERE id = $1"
                                      " AND state = 'running'", p, 1, flag_row, &running, NULL),
                         MS_OK);
    }
    if (g_race.armed && running && g_race.skip-- == 0) {
        g_race.armed = false;
        uint64_t changes = 0;
        assert_int_equal(db->ops->sql(db->s, g_race.sql, p, 2, NULL, NULL, &changes), MS_OK);
        assert_int_equal(changes, 1);
    }
    return g_race.now();
}

static void race(fs_fleet_t *f, int64_t campaign, const char *meter, const char *sql,
                 bool when_running, int skip)
{
    g_race.skip = skip;
    g_race.f = f;
    g_race.now = f->cloud.now;
    g_race.campaign = campaign;
    g_race.meter = meter;
    g_race.sql = sql;
    g_race.when_running = when_running;
    g_race.armed = true;
    f->cloud.now = racing_now;
}

/* Two instances handle two reports of one meter at once: the final one
 * commits between the other's read of the row and its write. The final
 * state stays; the late report is only logged. */
static void final_state_stays_when_two_instances_report_at_once(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(1);
    fx_image_t img;
    int64_t id = started(f, &img, 1.0, 0);
    assert_true(fs_cm(f, id, 0).offered);
    race(f, id, f->m[0].id, "UPDATE campaign_meters SET state = 'success', progress = 100"
                            " WHERE campaign_id = $1 AND meter_id = $2", false, 0);
    ms_link_upd_status_t s = { .campaign_id = (uint64_t)id, .state = MS_LINK_UPD_DOWNLOADING,
                               .progress = 40 };
    snprintf(s.meter_id, sizeof s.meter_id, "%s", f->m[0].id);
    assert_int_equal(ms_ota_on_status(&f->ota, &s), MS_OK);
    assert_false(g_race.armed);
    ms_cm_rec_t m = fs_cm(f, id, 0);
    assert_string_equal(m.state, "success");
    assert_int_equal(m.progress, 100);
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

/* Two instances offer one wave at once (both saw the wave start): a meter
 * the other instance offered between this one's read of the wave and its
 * write is not offered again, so every meter gets one offer. */
static void two_instances_offer_a_meter_once(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img = fs_image(2, 2, LEN, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    int64_t id = 0;
    char reason[MS_OTA_REASON_MAX], st[MS_OTA_STATE_MAX + 1];
    assert_int_equal(ot_create_campaign(f, rec.sha256, &id, reason), MS_OK);
    race(f, id, f->m[0].id, "UPDATE campaign_meters SET offered = 1"
                            " WHERE campaign_id = $1 AND meter_id = $2", true, 0);
    assert_int_equal(ms_campaign_action(&f->ota, id, "start", "op", st), MS_OK);
    assert_false(g_race.armed);
    fs_run(f);
    assert_int_equal(f->m[0].offers, 0);   /* the other instance's offer, not this one's */
    assert_int_equal(f->m[1].offers, 1);
    assert_string_equal(fs_cm(f, id, 0).state, "queued");
    assert_true(fs_cm(f, id, 0).offered);
    assert_string_equal(fs_cm(f, id, 1).state, "success");
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

/* A meter's failed report is handled by two instances at once (a
 * redelivery): one writes it, queues the retry and offers the next
 * attempt between the other's read and its write. The other's copy is an
 * old attempt's report: late, not written over the new attempt. */
static void old_attempts_report_not_applied_to_the_next(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(1);
    fx_image_t img;
    int64_t id = started(f, &img, 1.0, 1);
    size_t queued = f->nq;
    race(f, id, f->m[0].id, "UPDATE campaign_meters SET state = 'queued', offered = 1,"
                            " retries = retries + 1 WHERE campaign_id = $1 AND meter_id = $2",
         false, 0);
    ms_link_upd_status_t s = { .campaign_id = (uint64_t)id, .state = MS_LINK_UPD_FAILED,
                               .result = MS_LINK_UPD_R_FAILED };
    snprintf(s.meter_id, sizeof s.meter_id, "%s", f->m[0].id);
    assert_int_equal(ms_ota_on_status(&f->ota, &s), MS_OK);
    assert_false(g_race.armed);
    ms_cm_rec_t m = fs_cm(f, id, 0);
    assert_string_equal(m.state, "queued");
    assert_true(m.offered);
    assert_int_equal(m.retries, 1);
    assert_string_equal(fs_state(f, id), "running");
    assert_int_equal(f->nq, queued);   /* and it offered nothing itself */
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

/* An operator pauses the campaign (on another instance) while a failure
 * with a retry left is handled: the pause commits after the report's read
 * of the campaign. The meter is queued for its retry, but not offered
 * while the campaign is paused. */
static void retry_not_offered_in_a_campaign_paused_meanwhile(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(1);
    fx_image_t img;
    int64_t id = started(f, &img, 1.0, 1);
    race(f, id, f->m[0].id, "UPDATE campaigns SET state = 'paused' WHERE id = $1 AND $2 <> ''",
         false, 0);
    assert_int_equal(ot_deliver_status(f, 0, id, MS_LINK_UPD_FAILED, 1), MS_OK);
    assert_false(g_race.armed);
    ms_cm_rec_t m = fs_cm(f, id, 0);
    assert_string_equal(m.state, "queued");
    assert_int_equal(m.retries, 1);
    assert_false(m.offered);
    assert_string_equal(fs_state(f, id), "paused");
    /* the resume offers it */
    char st[MS_OTA_STATE_MAX + 1];
    assert_int_equal(ms_campaign_action(&f->ota, id, "resume", "op", st), MS_OK);
    assert_true(fs_cm(f, id, 0).offered);
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

/* An operator cancels the campaign (on another instance) while a report
 * that completes its first wave is handled: the cancel commits after the
 * report's read of the campaign and before its evaluation writes. The
 * evaluation does not start the next wave over the cancel. */
static void cancel_stays_when_an_evaluation_read_before_it(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(4);
    fx_image_t img = fs_image(2, 2, LEN, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    static const uint32_t waves[] = {25, 100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 2, 1.0, 1.0, 0);
    size_t first = 4;
    for (size_t i = 0; i < 4 && first == 4; i++) {
        first = fs_cm(f, id, i).wave == 0 ? i : first;
    }
    assert_true(first < 4);
    /* the report's clock: its row's write (1), then the meter's last-seen
     * time (2), after the campaign was read: the cancel commits there */
    race(f, id, f->m[first].id, "UPDATE campaigns SET state = 'cancelled' WHERE id = $1"
                                " AND $2 <> ''", false, 1);
    ms_link_upd_status_t s = { .campaign_id = (uint64_t)id, .state = MS_LINK_UPD_SUCCESS,
                               .progress = LEN };
    snprintf(s.meter_id, sizeof s.meter_id, "%s", f->m[first].id);
    assert_int_equal(ms_ota_on_status(&f->ota, &s), MS_OK);
    assert_false(g_race.armed);
    assert_string_equal(fs_state(f, id), "cancelled");
    for (size_t i = 0; i < 4; i++) {
        ms_cm_rec_t m = fs_cm(f, id, i);
        assert_true(m.wave == 0 || !m.offered);   /* the next wave was not offered */
    }
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 2);
    fs_free(f);
}

/* ---- releases on two instances at once (docs/ota.md section 1) ---------------------------- */

/* Another instance's start of campaign id, on its own connection: written
 * under the release lock and not committed yet. */
static void hold_start(ms_db_t *other, int64_t id)
{
    ms_campaign_rec_t c;
    assert_int_equal(ms_db_open(g_spec, other), MS_OK);
    assert_int_equal(ms_ota_campaign_get(other, id, &c), MS_OK);
    assert_int_equal(other->ops->tx(other->s, MS_SQL_BEGIN_SERIAL), MS_OK);
    assert_int_equal(ms_ota_campaign_set_state(other, &c, "running", 0, "running"), MS_OK);
}

static ms_err_t first_int(void *ctx, const ms_sql_val_t *c, size_t n)
{
    *(int64_t *)ctx = n == 1 && c[0].t == MS_SQL_INT ? c[0].i : -1;
    return MS_OK;
}

/* What this instance does meanwhile, on a thread. */
typedef struct racer {
    fs_fleet_t *f;
    int64_t id;
    bool report;   /* meter 0's success report (an evaluation); else a start */
    ms_err_t err;
    atomic_bool done;
} racer_t;

static void *race_release(void *p)
{
    racer_t *r = p;
    char st[MS_OTA_STATE_MAX + 1];
    r->err = r->report ? ot_deliver_status(r->f, 0, r->id, MS_LINK_UPD_SUCCESS, 1)
                       : ms_campaign_action(&r->f->ota, r->id, "start", "op", st);
    atomic_store(&r->done, true);
    return NULL;
}

/* Run r while `other` holds its start; commit that once r waits for it
 * (PostgreSQL: its lock seen waiting; SQLite: 300 ms on), r not done. */
static void race_against_held_start(ms_db_t *other, racer_t *r)
{
    pthread_t t;
    atomic_init(&r->done, false);
    assert_int_equal(pthread_create(&t, NULL, race_release, r), 0);
    if (strncmp(g_spec, "postgres:", 9) == 0) {
        int64_t waiting = 0;
        for (int i = 0; i < 500 && waiting < 1; i++) {
            nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
            assert_int_equal(other->ops->sql(other->s, "SELECT count(*) FROM pg_locks WHERE"
                                             " locktype = 'advisory' AND NOT granted",
                                             NULL, 0, first_int, &waiting, NULL), MS_OK);
        }
        assert_int_equal(waiting, 1);
    } else {
        nanosleep(&(struct timespec){.tv_nsec = 300 * 1000 * 1000}, NULL);
    }
    assert_false(atomic_load(&r->done));   /* it waits for the other's release */
    assert_int_equal(other->ops->tx(other->s, MS_SQL_COMMIT), MS_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    ms_db_close(other);
}

/* Images of counters 2 (old) and 3 (new) uploaded, a campaign of each
 * created; the old one over waves w (n of them). */
static void two_campaigns(fs_fleet_t *f, const uint32_t *w, uint32_t n, fx_image_t img[2],
                          int64_t *old_id, int64_t *new_id)
{
    ms_fw_rec_t rec[2];
    char reason[MS_OTA_REASON_MAX];
    img[0] = fs_image(2, 2, LEN, false, NULL, NULL);
    img[1] = fs_image(3, 3, LEN, false, NULL, NULL);
    ot_upload_ok(f, &img[0], &rec[0]);
    ot_upload_ok(f, &img[1], &rec[1]);
    *old_id = n > 1 ? fs_campaign(f, rec[0].sha256, w, n, 1.0, 1.0, 0) : 0;
    if (n <= 1) {
        assert_int_equal(ot_create_campaign(f, rec[0].sha256, old_id, reason), MS_OK);
    }
    assert_int_equal(ot_create_campaign(f, rec[1].sha256, new_id, reason), MS_OK);
}

/* Campaigns of the old and the new image are started at once on two
 * instances, the new one's start first and not committed yet: the old
 * one's start waits for it and is refused, or the older image would go out
 * after the newer one's release. */
static void older_start_waits_for_a_newer_release_and_is_refused(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img[2];
    int64_t old_id = 0, new_id = 0;
    two_campaigns(f, NULL, 1, img, &old_id, &new_id);
    ms_db_t other;
    hold_start(&other, new_id);
    racer_t r = {.f = f, .id = old_id};
    race_against_held_start(&other, &r);
    assert_int_equal(r.err, MS_ERR_BOOT_ROLLBACK);
    assert_string_equal(fs_state(f, old_id), "created");
    assert_string_equal(fs_state(f, new_id), "running");
    for (size_t i = 0; i < 2; i++) {
        assert_false(fs_cm(f, old_id, i).offered);
    }
    fx_image_free(&img[0]);
    fx_image_free(&img[1]);
    fs_free(f);
}

/* The same with the old campaign running: the report that completes its
 * first wave is handled while the new image's start is held. Its next wave
 * waits for that start and halts. */
static void older_next_wave_waits_for_a_newer_release_and_halts(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img[2];
    int64_t old_id = 0, new_id = 0;
    two_campaigns(f, (const uint32_t[]){50, 100}, 2, img, &old_id, &new_id);
    size_t first = fs_cm(f, old_id, 0).wave == 0 ? 0 : 1;
    assert_int_equal(first, 0);   /* meter 0 is in the first wave, meter 1 in the next */
    ms_db_t other;
    hold_start(&other, new_id);
    racer_t r = {.f = f, .id = old_id, .report = true};
    race_against_held_start(&other, &r);
    assert_int_equal(r.err, MS_OK);
    assert_string_equal(fs_cm(f, old_id, 0).state, "success");
    assert_string_equal(fs_state(f, old_id), "halted");
    assert_false(fs_cm(f, old_id, 1).offered);
    fx_image_free(&img[0]);
    fx_image_free(&img[1]);
    ot_assert_counts_kept(f, old_id, 2);
    fs_free(f);
}

/* An instance released the old campaign's wave and stopped before sending
 * its offers; the new image was released since. The wave's offers when it
 * goes on (the service's next look for unsent offers, here; a resume or a
 * retry the same) must not send the older image to the meters never
 * offered: they fail with the reason, and the campaign, evaluated after,
 * finishes. */
static void unsent_offers_of_an_older_release_stay_unsent(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img[2];
    int64_t old_id = 0, new_id = 0;
    two_campaigns(f, NULL, 1, img, &old_id, &new_id);
    ms_campaign_rec_t c;
    uint32_t cnt = 0, fleet_cnt = 0;
    assert_int_equal(ms_ota_campaign_get(&f->cloud.db, old_id, &c), MS_OK);
    assert_int_equal(ms_ota_campaign_release(&f->cloud.db, &c, 0, "running", 0, "running", &cnt,
                                             &fleet_cnt), MS_OK);   /* then it stopped */
    char st[MS_OTA_STATE_MAX + 1];
    assert_int_equal(ms_campaign_action(&f->ota, new_id, "start", "op", st), MS_OK);
    size_t sent = 0;   /* the service's next look for unsent offers */
    assert_int_equal(ms_ota_reoffer(&f->ota, 600, 100, &sent), MS_OK);
    assert_int_equal(sent, 0);
    for (size_t i = 0; i < 2; i++) {
        ms_cm_rec_t m = fs_cm(f, old_id, i);
        assert_false(m.offered);
        assert_string_equal(m.state, "failed");
        assert_string_equal(m.reason, "below the fleet's security counter");
        assert_true(fs_cm(f, new_id, i).offered);
    }
    assert_string_equal(fs_state(f, old_id), "finished");
    fx_image_free(&img[0]);
    fx_image_free(&img[1]);
    ot_assert_counts_kept(f, old_id, 1);
    fs_free(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DB_SPEC\n", argv[0]);
        return 2;
    }
    g_spec = argv[1];
    ms_log_init("test", MS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replayed_status_refused),
        cmocka_unit_test(failure_with_a_retry_left_is_never_counted),
        cmocka_unit_test(final_state_stays_when_two_instances_report_at_once),
        cmocka_unit_test(two_instances_offer_a_meter_once),
        cmocka_unit_test(old_attempts_report_not_applied_to_the_next),
        cmocka_unit_test(cancel_stays_when_an_evaluation_read_before_it),
        cmocka_unit_test(retry_not_offered_in_a_campaign_paused_meanwhile),
        cmocka_unit_test(older_start_waits_for_a_newer_release_and_is_refused),
        cmocka_unit_test(older_next_wave_waits_for_a_newer_release_and_halts),
        cmocka_unit_test(unsent_offers_of_an_older_release_stay_unsent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
