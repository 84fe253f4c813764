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
 *     offered in a campaign paused meanwhile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
