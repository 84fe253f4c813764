/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ota_offers.c - offers sent late or again (docs/ota.md section 4,
 * ms_ota_reoffer) on a simulated fleet and a real store (argument:
 * sqlite:PATH or a PostgreSQL spec):
 *
 *   - an offer lost on the way is sent again once the meter was seen
 *     since (a status report or a reading), not before the quiet period,
 *     not in a pause, and once per look;
 *   - offers an instance left unsent are sent at the next look (running
 *     campaigns only);
 *   - nothing is sent again to a wave the campaign left, to a meter seen
 *     only before its offer, to one that reported, or from a stale row;
 *   - the re-sends are counted per attempt and bounded: the meter that
 *     never answers ends failed, and the campaign is evaluated.
 * A revoked meter's due row: test_ota_fleet.c (revoked_meter_gets_no_image).
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

static fs_fleet_t *fleet(size_t n)
{
    return fs_new(g_spec, n, 16u * 4096u, 3000);
}

static size_t reoffer(fs_fleet_t *f)
{
    size_t sent = 0;
    assert_int_equal(ms_ota_reoffer(&f->ota, 600, 100, &sent), MS_OK);
    return sent;
}

/* An offer lost beyond the MQTT client's queue (the meter's broker session
 * expired) is sent again once the meter has been seen since (a status
 * report: meter 0; a reading: meter 1), and then not before another quiet
 * period; never in a paused campaign. */
static void lost_offer_is_sent_again_to_a_meter_seen_since(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img = fs_image(2, 2, 3000, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    int64_t id = fs_campaign(f, rec.sha256, (const uint32_t[]){100}, 1, 1.0, 1.0, 0);
    assert_int_equal(fs_drop_offers(f, 0) + fs_drop_offers(f, 1), 2);
    assert_int_equal(fs_run(f), 0);
    assert_true(fs_cm(f, id, 0).offered);
    assert_int_equal(reoffer(f), 0);   /* too soon */
    fs_clock_advance(700);
    assert_int_equal(reoffer(f), 0);   /* not seen since: they may be offline */
    assert_int_equal(ms_ota_meter_seen(&f->cloud.db, f->m[0].id, f->cloud.now()), MS_OK);
    ms_reading_rec_t rd = {.r = {.seq = 1, .time = 1, .energy_wh = 5}, .payload = (const uint8_t *)"p",
                           .payload_len = 1, .msg = (const uint8_t *)"m", .msg_len = 1,
                           .received_at = f->cloud.now()};
    snprintf(rd.r.meter_id, sizeof rd.r.meter_id, "%s", f->m[1].id);
    ms_store_outcome_t out;
    assert_int_equal(f->cloud.db.ops->readings_store(f->cloud.db.s, &rd, 1, &out), MS_OK);
    char st[MS_OTA_STATE_MAX + 1];
    assert_int_equal(ms_campaign_action(&f->ota, id, "pause", "op", st), MS_OK);
    assert_int_equal(reoffer(f), 0);   /* paused */
    assert_int_equal(ms_campaign_action(&f->ota, id, "resume", "op", st), MS_OK);
    assert_int_equal(reoffer(f), 2);
    assert_int_equal(reoffer(f), 0);   /* their offer time moved on */
    assert_int_equal(fs_run(f), 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(fs_cm(f, id, i).state, "success");
    }
    assert_string_equal(fs_state(f, id), "finished");
    assert_int_equal(reoffer(f), 0);
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

/* An instance released a campaign and stopped before its offers: the next
 * look sends them (no wait, the meters were never offered), and once only;
 * a paused campaign's are left to its resume. */
static void offers_an_instance_left_unsent_are_sent(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img = fs_image(2, 2, 3000, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    char reason[MS_OTA_REASON_MAX], st[MS_OTA_STATE_MAX + 1];
    int64_t id = 0, paused = 0;
    assert_int_equal(ot_create_campaign(f, rec.sha256, &id, reason), MS_OK);
    assert_int_equal(ot_create_campaign(f, rec.sha256, &paused, reason), MS_OK);
    const int64_t ids[2] = {id, paused};
    for (size_t i = 0; i < 2; i++) {
        ms_campaign_rec_t c;
        uint32_t cnt = 0, fleet_cnt = 0;
        assert_int_equal(ms_ota_campaign_get(&f->cloud.db, ids[i], &c), MS_OK);
        assert_int_equal(ms_ota_campaign_release(&f->cloud.db, &c, 0, i ? "paused" : "running",
                                                 0, "running", &cnt, &fleet_cnt), MS_OK);
    }
    assert_int_equal(fs_run(f), 0);   /* nothing was sent */
    assert_int_equal(reoffer(f), 2);   /* the running campaign's two */
    assert_int_equal(reoffer(f), 0);
    assert_int_equal(fs_run(f), 2);
    assert_string_equal(fs_state(f, id), "finished");
    assert_false(fs_cm(f, paused, 0).offered);
    assert_int_equal(ms_campaign_action(&f->ota, paused, "cancel", "op", st), MS_OK);
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

/* What is not sent again: an offer to a meter of a wave the campaign has
 * left, to a meter seen only before its offer (a reading from before), to
 * a meter that reported since (its row is no longer queued), or with a
 * stale row; and a meter that never answers ends failed after
 * MS_OTA_REOFFERS_MAX offers sent again. */
static void unanswered_offers_guarded_and_bounded(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(4);
    fx_image_t img = fs_image(2, 2, 3000, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    /* success threshold 0: the start releases both waves at once */
    int64_t id = fs_campaign(f, rec.sha256, (const uint32_t[]){50, 100}, 2, 0.0, 1.0, 0);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(fs_cm(f, id, i).wave, i < 2 ? 0 : 1);
        assert_int_equal(fs_drop_offers(f, i), 1);
    }
    fs_clock_advance(700);
    int64_t offered_at = fs_cm(f, id, 2).updated_at;
    assert_int_equal(ms_ota_meter_seen(&f->cloud.db, f->m[0].id, f->cloud.now()), MS_OK);
    ms_reading_rec_t rd = {.r = {.seq = 1, .time = 1}, .payload = (const uint8_t *)"p",
                           .payload_len = 1, .msg = (const uint8_t *)"m", .msg_len = 1,
                           .received_at = offered_at - 5};
    snprintf(rd.r.meter_id, sizeof rd.r.meter_id, "%s", f->m[2].id);
    ms_store_outcome_t out;
    assert_int_equal(f->cloud.db.ops->readings_store(f->cloud.db.s, &rd, 1, &out), MS_OK);
    for (uint32_t k = 0; k < MS_OTA_REOFFERS_MAX; k++) {
        ms_cm_rec_t before = fs_cm(f, id, 3);
        assert_int_equal(ms_ota_meter_seen(&f->cloud.db, f->m[3].id, f->cloud.now()), MS_OK);
        assert_int_equal(reoffer(f), 1);   /* m[3]'s only */
        assert_int_equal(fs_cm(f, id, 3).reoffers, k + 1);
        /* a row read before the re-send is stale now */
        assert_int_equal(ms_ota_cm_reoffered(&f->cloud.db, &before, f->cloud.now()),
                         MS_ERR_STATE);
        fs_clock_advance(700);
    }
    assert_int_equal(ms_ota_meter_seen(&f->cloud.db, f->m[3].id, f->cloud.now()), MS_OK);
    assert_int_equal(reoffer(f), 0);
    ms_cm_rec_t m3 = fs_cm(f, id, 3);
    assert_string_equal(m3.state, "failed");
    assert_string_equal(m3.reason, "no answer to the offer");
    /* a report makes m[2] seen, and its row is not queued any more */
    assert_int_equal(ot_deliver_status(f, 2, id, MS_LINK_UPD_DOWNLOADING, 1), MS_OK);
    fs_clock_advance(700);
    assert_int_equal(reoffer(f), 0);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(fs_cm(f, id, i).reoffers, 0);
    }
    /* what went out: m[3]'s offers sent again, nothing else */
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(fs_drop_offers(f, i), i == 3 ? MS_OTA_REOFFERS_MAX : 0);
    }
    assert_string_equal(fs_state(f, id), "running");   /* m[2] is downloading */
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 2);
    fs_free(f);
}

/* The re-send count is per attempt: a retry starts it afresh. And when
 * the look fails the campaign's last meter not final (no answer), the
 * campaign is evaluated and finishes. */
static void reoffer_count_per_attempt_and_the_campaign_ends(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img = fs_image(2, 2, 3000, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    int64_t id = fs_campaign(f, rec.sha256, (const uint32_t[]){100}, 1, 1.0, 1.0, 1);
    for (uint32_t k = 0; k < MS_OTA_REOFFERS_MAX; k++) {
        assert_int_equal(fs_drop_offers(f, 0) + fs_drop_offers(f, 1), k == 0 ? 2 : 1);
        fs_clock_advance(700);
        for (size_t i = 0; i < 2; i++) {
            assert_int_equal(ms_ota_meter_seen(&f->cloud.db, f->m[i].id, f->cloud.now()),
                             MS_OK);
        }
        assert_int_equal(reoffer(f), k == 0 ? 2 : 1);
        if (k == 0) {
            /* meter 1 answers this one, and fails: its retry is offered */
            assert_int_equal(ot_deliver_status(f, 1, id, MS_LINK_UPD_DOWNLOADING, 1), MS_OK);
            assert_int_equal(ot_deliver_status(f, 1, id, MS_LINK_UPD_FAILED, 2), MS_OK);
            ms_cm_rec_t m1 = fs_cm(f, id, 1);
            assert_string_equal(m1.state, "queued");
            assert_int_equal(m1.retries, 1);
            assert_int_equal(m1.reoffers, 0);
            assert_int_equal(fs_drop_offers(f, 1), 2);   /* the re-send and the retry */
            assert_int_equal(ot_deliver_status(f, 1, id, MS_LINK_UPD_SUCCESS, 3), MS_OK);
        }
    }
    assert_int_equal(fs_cm(f, id, 0).reoffers, MS_OTA_REOFFERS_MAX);
    assert_string_equal(fs_state(f, id), "running");
    fs_clock_advance(700);
    assert_int_equal(ms_ota_meter_seen(&f->cloud.db, f->m[0].id, f->cloud.now()), MS_OK);
    assert_int_equal(reoffer(f), 0);
    assert_string_equal(fs_cm(f, id, 0).reason, "no answer to the offer");
    assert_string_equal(fs_state(f, id), "finished");
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
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
        cmocka_unit_test(lost_offer_is_sent_again_to_a_meter_seen_since),
        cmocka_unit_test(offers_an_instance_left_unsent_are_sent),
        cmocka_unit_test(unanswered_offers_guarded_and_bounded),
        cmocka_unit_test(reoffer_count_per_attempt_and_the_campaign_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
