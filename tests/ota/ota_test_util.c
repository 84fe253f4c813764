/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ota_test_util.c - what the update tests share (ota_test_util.h): the kept
 * counts checked against a recount, uploads and campaigns that must work,
 * a meter's numbered report delivered as the broker hands it over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cose_msg.h"
#include "ota_test_util.h"

/* The counts the campaign engine reads (kept with every change) are the
 * rows' counts: recounted here from campaign_meters, per wave and in all. */
typedef struct recount {
    uint32_t n[MS_LINK_UPD_STATE_COUNT_];
    uint32_t total, offered;
} recount_t;

static ms_err_t recount_row(void *ctx, const ms_cm_rec_t *m)
{
    recount_t *r = ctx;
    uint32_t st = 0;
    assert_int_equal(ms_link_upd_state_parse(m->state, &st), MS_OK);
    r->n[st]++;
    r->total++;
    r->offered += m->offered ? 1u : 0u;
    return MS_OK;
}

void ot_assert_counts_kept(fs_fleet_t *f, int64_t id, uint32_t n_waves)
{
    for (int64_t w = -1; w < (int64_t)n_waves; w++) {
        recount_t want = {0};
        ms_cm_page_t page = {.wave = w, .limit = 1000};
        assert_int_equal(ms_ota_cm_page(&f->cloud.db, id, &page, recount_row, &want), MS_OK);
        uint32_t n[MS_LINK_UPD_STATE_COUNT_], total = 0, offered = 0;
        assert_int_equal(ms_ota_cm_counts(&f->cloud.db, id, w, n, &total, &offered), MS_OK);
        assert_memory_equal(n, want.n, sizeof n);
        assert_int_equal(total, want.total);
        assert_int_equal(offered, want.offered);
    }
}

void ot_upload_ok(fs_fleet_t *f, const fx_image_t *img, ms_fw_rec_t *rec)
{
    char reason[MS_OTA_REASON_MAX];
    ms_err_t err = fs_upload(f, img, rec, reason);
    if (err != MS_OK) {
        fprintf(stderr, "upload: %s\n", reason);
    }
    assert_int_equal(err, MS_OK);
}

/* A one-wave campaign of the image over every meter, created, not started. */
ms_err_t ot_create_campaign(fs_fleet_t *f, const char *sha, int64_t *id,
                            char reason[MS_OTA_REASON_MAX])
{
    ms_campaign_spec_t sp;
    memset(&sp, 0, sizeof sp);
    snprintf(sp.name, sizeof sp.name, "created");
    snprintf(sp.firmware_sha256, sizeof sp.firmware_sha256, "%s", sha);
    sp.kind = MS_TARGET_ALL;
    sp.n_waves = 1;
    sp.waves[0] = 100;
    sp.success_pm = 1000;
    sp.failure_pm = 1000;
    snprintf(sp.target_json, sizeof sp.target_json, "{\"all\":true}");
    return ms_campaign_create(&f->ota, &sp, "op", id, reason);
}

/* A meter's signed report, numbered by its TEE, through the cloud's MQTT
 * handler as the broker hands it over. */
ms_err_t ot_deliver_status(fs_fleet_t *f, size_t i, int64_t campaign, uint32_t state,
                           uint64_t seq)
{
    ms_link_upd_status_t s = { .campaign_id = (uint64_t)campaign, .state = state,
                               .progress = 64, .seq = seq };
    snprintf(s.meter_id, sizeof s.meter_id, "%s", f->m[i].id);
    if (state == MS_LINK_UPD_FAILED) {
        s.result = MS_LINK_UPD_R_FAILED;
    }
    uint8_t msg[MS_COSE_MSG_MAX];
    size_t len = 0;
    char topic[64];
    bool handled = false;
    assert_int_equal(fm_status_msg(&f->m[i], &s, msg, sizeof msg, &len), MS_OK);
    snprintf(topic, sizeof topic, "ms/v1/%s/up/upd-status", f->m[i].id);
    ms_err_t err = ms_ota_on_message(&f->ota, topic, strlen(topic), msg, len, &handled);
    assert_true(handled);
    return err;
}

