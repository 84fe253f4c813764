/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ota_fleet.c - firmware updates end to end on a simulated fleet
 * (fleet_sim.h): the cloud's repository and campaigns on a real store
 * (argument: the database spec, sqlite:PATH or a PostgreSQL one), meters
 * running the meter-side code on simulated flash.
 *
 *   - upload refuses an unsigned image, one signed by another key, a
 *     downgrade below the highest released image (or the floor), and so
 *     do a campaign's creation, start and resume; an older campaign halts
 *     before its next wave; stores an image once;
 *   - a campaign in two waves updates every meter; the second wave starts
 *     only after the first reached its success threshold;
 *   - a meter that loses its link mid-download resumes from the TEE's last
 *     good offset and finishes;
 *   - a tampered or wrongly encrypted image is refused by the TEE before
 *     any reboot and reported failed with the reason;
 *   - a meter that boots the new image but cannot reach the cloud reverts
 *     and is reported reverted;
 *   - a wave past its failure threshold halts the campaign and no further
 *     meter is offered anything; resume continues;
 *   - pause holds the next wave; cancel stops; illegal transitions refused;
 *   - every operator action is in the audit trail, every state change in
 *     the meter's history.
 * Several instances at once, and reports sent again: test_ota_races.c.
 * Offers sent late or again: test_ota_offers.c.
 */
#define _GNU_SOURCE   /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ota_test_util.h"
#include "x509.h"
#include "log.h"
#include "meterseal/image.h"

static const char *g_spec;

#define LEN 6000u   /* payload bytes: several chunks of 1 KiB */

static fs_fleet_t *fleet(size_t n)
{
    return fs_new(g_spec, n, 16u * 4096u, 3000);
}

/* The image with its ECDSA_SIG TLV taken out (and the TLV area shortened). */
static fx_image_t strip_signature(const fx_image_t *in)
{
    ms_image_reader_t r;
    ms_image_mem_t mem;
    ms_image_info_t info;
    ms_image_reader_mem(&r, &mem, in->data, in->len);
    assert_int_equal(ms_image_parse(&r, &info), MS_OK);
    fx_image_t out = {.data = malloc(in->len)};
    memcpy(out.data, in->data, info.tlv_off + MS_IMAGE_TLV_INFO_SIZE);
    size_t at = info.tlv_off + MS_IMAGE_TLV_INFO_SIZE;
    ms_tlv_iter_t it;
    uint16_t type = 0, len = 0;
    uint32_t off = 0;
    assert_int_equal(ms_tlv_iter_begin(&it, &r, &info, false), MS_OK);
    while (ms_tlv_iter_next(&it, &type, &off, &len) == MS_OK) {
        if (type != MS_TLV_ECDSA_SIG) {
            memcpy(out.data + at, in->data + off - MS_IMAGE_TLV_HDR_SIZE,
                   MS_IMAGE_TLV_HDR_SIZE + len);
            at += MS_IMAGE_TLV_HDR_SIZE + len;
        }
    }
    uint16_t total = (uint16_t)(at - info.tlv_off);
    out.data[info.tlv_off + 2] = (uint8_t)total;
    out.data[info.tlv_off + 3] = (uint8_t)(total >> 8);
    out.len = at;
    return out;
}

static void upload_refusals(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(1);
    ms_fw_rec_t rec;
    char reason[MS_OTA_REASON_MAX];
    fx_image_t good = fs_image(3, 5, LEN, true, NULL, NULL);
    fx_image_t other = fs_image(3, 5, LEN, true, NULL, &fx_other_priv);
    fx_image_t unsigned_img = strip_signature(&good);
    fx_image_t older = fs_image(2, 4, LEN, true, NULL, NULL);

    /* without a vendor key configured nothing is accepted */
    f->ota.n_vendor = 0;
    assert_int_equal(fs_upload(f, &good, &rec, reason), MS_ERR_IMG_KEY_UNKNOWN);
    assert_non_null(strstr(reason, "no vendor key"));
    f->ota.n_vendor = 1;
    assert_int_equal(fs_upload(f, &unsigned_img, &rec, reason), MS_ERR_IMG_NO_SIG);
    assert_non_null(strstr(reason, "unsigned"));
    assert_int_equal(fs_upload(f, &other, &rec, reason), MS_ERR_IMG_KEY_UNKNOWN);
    fx_image_t junk = {.data = (uint8_t *)"not an image at all, just bytes", .len = 31};
    assert_int_not_equal(fs_upload(f, &junk, &rec, reason), MS_OK);
    /* a signature that does not match the digest */
    fx_image_t bad = {.data = malloc(good.len), .len = good.len};
    memcpy(bad.data, good.data, good.len);
    ms_image_reader_t r;
    ms_image_mem_t mem;
    ms_image_info_t info;
    ms_image_reader_mem(&r, &mem, good.data, good.len);
    assert_int_equal(ms_image_parse(&r, &info), MS_OK);
    uint8_t *digest = memmem(bad.data, bad.len, info.sha256, sizeof info.sha256);
    assert_non_null(digest);
    digest[0] ^= 1;   /* the signed digest no longer matches its signature */
    assert_int_not_equal(fs_upload(f, &bad, &rec, reason), MS_OK);
    free(bad.data);

    bool stored = false;
    assert_int_equal(ms_fw_upload(&f->ota, good.data, good.len, "op", &rec, &stored, reason),
                     MS_OK);
    assert_true(stored);
    assert_int_equal(rec.sec_cnt, 5);
    assert_string_equal(rec.version, "3.0.0");
    /* the same bytes again: stored once */
    assert_int_equal(ms_fw_upload(&f->ota, good.data, good.len, "op2", &rec, &stored, reason),
                     MS_OK);
    assert_false(stored);
    assert_string_equal(rec.uploaded_by, "op");
    /* 5 is stored but was never offered, so no meter's counter is 5: an
     * image below it is no downgrade yet, nor is a campaign of it */
    ms_fw_rec_t rec4;
    assert_int_equal(fs_upload(f, &older, &rec4, reason), MS_OK);
    int64_t of_4 = 0, cancelled = 0;
    assert_int_equal(ot_create_campaign(f, rec4.sha256, &of_4, reason), MS_OK);
    /* a campaign of 5 cancelled before its start releases nothing */
    assert_int_equal(ot_create_campaign(f, rec.sha256, &cancelled, reason), MS_OK);
    char st[MS_OTA_STATE_MAX + 1];
    assert_int_equal(ms_campaign_action(&f->ota, cancelled, "cancel", "op", st), MS_OK);
    fx_image_t oldest = fs_image(2, 3, LEN, false, NULL, NULL);
    ms_fw_rec_t rec3;
    assert_int_equal(fs_upload(f, &oldest, &rec3, reason), MS_OK);
    /* started, 5 is released: the fleet's counter is 5 */
    int64_t of_5 = fs_campaign(f, rec.sha256, (const uint32_t[]){100}, 1, 1.0, 1.0, 0);
    assert_string_equal(fs_state(f, of_5), "running");
    assert_int_equal(fs_upload(f, &oldest, &rec, reason), MS_ERR_BOOT_ROLLBACK);
    assert_non_null(strstr(reason, "downgrade: security counter 3 below the fleet's 5"));
    int64_t none = 0;
    assert_int_equal(ot_create_campaign(f, rec4.sha256, &none, reason), MS_ERR_BOOT_ROLLBACK);
    assert_non_null(strstr(reason, "downgrade: security counter 4 below the fleet's 5"));
    /* the campaign of 4 made before the release cannot start any more */
    assert_int_equal(ms_campaign_action(&f->ota, of_4, "start", "op", st), MS_ERR_BOOT_ROLLBACK);
    assert_string_equal(fs_state(f, of_4), "created");
    fx_image_free(&oldest);
    /* the configured floor counts too */
    f->ota.sec_floor = 9;
    fx_image_t newer = fs_image(4, 6, LEN, false, NULL, NULL);
    assert_int_equal(fs_upload(f, &newer, &rec, reason), MS_ERR_BOOT_ROLLBACK);
    f->ota.sec_floor = 0;
    assert_int_equal(fs_upload(f, &newer, &rec, reason), MS_OK);
    /* with the device key configured, the whole image is checked */
    f->ota.has_enc_priv = true;
    f->ota.enc_priv = fx_enc_priv;
    fx_image_t wrong_enc = fs_image(5, 7, LEN, true, &fx_other_pub, NULL);
    assert_int_equal(fs_upload(f, &wrong_enc, &rec, reason), MS_ERR_IMG_ENC_KEY);
    fx_image_t right = fs_image(5, 7, LEN, true, NULL, NULL);
    assert_int_equal(fs_upload(f, &right, &rec, reason), MS_OK);

    fx_image_free(&good);
    fx_image_free(&other);
    fx_image_free(&unsigned_img);
    fx_image_free(&older);
    fx_image_free(&newer);
    fx_image_free(&wrong_enc);
    fx_image_free(&right);
    fs_free(f);
}

static void two_waves_update_every_meter(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(10);
    fx_image_t img = fs_image(2, 2, LEN, true, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    static const uint32_t waves[] = {20, 100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 2, 1.0, 0.5, 0);
    /* only the first wave (2 of 10) is offered at the start */
    assert_int_equal(f->nq - f->head, 2);
    assert_int_equal(fs_run(f), 10);
    assert_string_equal(fs_state(f, id), "finished");
    ot_assert_counts_kept(f, id, 2);
    for (size_t i = 0; i < f->n; i++) {
        ms_cm_rec_t m = fs_cm(f, id, i);
        assert_string_equal(m.state, "success");
        assert_int_equal(m.wave, i < 2 ? 0 : 1);
        assert_int_equal(m.progress, img.len);
        assert_int_equal(f->m[i].offers, 1);
        assert_true(f->m[i].runs_new);
        ms_meter_info_t info;
        assert_int_equal(ms_ota_meter_info_get(&f->cloud.db, f->m[i].id, &info), MS_OK);
        assert_string_equal(info.version, "2.0.0");
    }
    fx_image_free(&img);
    fs_free(f);
}

typedef struct hist {
    char states[16][MS_OTA_STATE_MAX + 1];
    size_t n;
} hist_t;

static ms_err_t hist_cb(void *ctx, const ms_hist_rec_t *h)
{
    hist_t *x = ctx;
    if (x->n < 16) {
        snprintf(x->states[x->n++], sizeof x->states[0], "%s", h->state);
    }
    return MS_OK;
}

static void link_loss_resumes(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(1);
    fx_image_t img = fs_image(2, 2, 5 * 1024 + 300, true, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    f->m[0].fault.drop_at = 3 * 1024;
    static const uint32_t waves[] = {100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 1, 1.0, 0.5, 0);
    assert_int_equal(fs_run(f), 1);
    assert_int_equal(f->m[0].reconnects, 1);
    assert_int_equal(f->m[0].resumed_at, 3 * 1024);   /* not from zero */
    /* every chunk once, plus the one lost */
    assert_int_equal(f->m[0].chunks, (img.len + 1023) / 1024 + 1);
    assert_string_equal(fs_cm(f, id, 0).state, "success");
    assert_true(f->m[0].runs_new);
    assert_string_equal(fs_state(f, id), "finished");
    hist_t h = {0};
    assert_int_equal(ms_ota_history(&f->cloud.db, f->m[0].id, 100, hist_cb, &h), MS_OK);
    assert_true(h.n >= 6);
    assert_string_equal(h.states[h.n - 1], "success");
    assert_string_equal(h.states[h.n - 2], "installing");
    assert_string_equal(h.states[h.n - 3], "verifying");
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

static void tampered_and_wrongly_encrypted_refused_before_reboot(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img = fs_image(2, 2, LEN, true, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    f->m[1].fault.tamper_at = 2000;   /* a byte changed on the way to meter 1 */
    static const uint32_t waves[] = {100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 1, 0.5, 0.6, 0);
    assert_int_equal(fs_run(f), 2);
    ms_cm_rec_t m = fs_cm(f, id, 1);
    assert_string_equal(m.state, "failed");
    assert_int_equal(m.result, MS_LINK_UPD_R_INTEGRITY);
    assert_string_equal(m.reason, "MS_ERR_IMG_HASH");
    assert_false(f->m[1].rebooted);   /* refused before any reboot */
    assert_false(f->m[1].runs_new);
    assert_string_equal(fs_cm(f, id, 0).state, "success");
    assert_string_equal(fs_state(f, id), "finished");

    /* an image encrypted for another device key: every meter refuses it */
    fx_image_t wrong = fs_image(3, 3, LEN, true, &fx_other_pub, NULL);
    ot_upload_ok(f, &wrong, &rec);   /* the cloud has no device key: it cannot tell */
    f->m[1].fault.tamper_at = 0;
    int64_t id2 = fs_campaign(f, rec.sha256, waves, 1, 1.0, 1.0, 0);
    assert_int_equal(fs_run(f), 2);
    for (size_t i = 0; i < 2; i++) {
        m = fs_cm(f, id2, i);
        assert_string_equal(m.state, "failed");
        assert_string_equal(m.reason, "MS_ERR_IMG_ENC_KEY");
        assert_false(f->m[i].rebooted);
    }
    fx_image_free(&img);
    fx_image_free(&wrong);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

static void no_reconnect_reverts(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(1);
    fx_image_t img = fs_image(2, 2, LEN, true, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    f->m[0].fault.no_reconnect = true;
    static const uint32_t waves[] = {100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 1, 1.0, 1.0, 0);
    assert_int_equal(fs_run(f), 1);
    assert_true(f->m[0].rebooted);    /* it did boot the new image */
    assert_false(f->m[0].runs_new);   /* and went back */
    ms_cm_rec_t m = fs_cm(f, id, 0);
    assert_string_equal(m.state, "reverted");
    assert_int_equal(m.result, MS_LINK_UPD_R_REVERTED);
    ms_meter_info_t info;
    assert_int_equal(ms_ota_meter_info_get(&f->cloud.db, f->m[0].id, &info), MS_OK);
    assert_string_equal(info.version, "1.0.0");
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

static void wave_halts_past_failure_threshold_then_resumes(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(10);
    fx_image_t img = fs_image(2, 2, LEN, true, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    /* wave 0 is m-0000 and m-0001; one of them gets a tampered image */
    f->m[1].fault.tamper_at = 100;
    static const uint32_t waves[] = {20, 60, 100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 3, 1.0, 0.4, 0);
    assert_int_equal(fs_run(f), 2);
    assert_string_equal(fs_state(f, id), "halted");
    ot_assert_counts_kept(f, id, 3);
    for (size_t i = 2; i < f->n; i++) {
        assert_int_equal(f->m[i].offers, 0);           /* no further meter touched */
        ms_cm_rec_t m = fs_cm(f, id, i);
        assert_string_equal(m.state, "queued");
        assert_false(m.offered);
    }
    /* a chunk request from a meter of a halted campaign is refused */
    ms_link_chunk_req_t r = {.campaign_id = (uint64_t)id, .offset = 0, .length = 16};
    snprintf(r.meter_id, sizeof r.meter_id, "%s", f->m[0].id);
    assert_int_equal(ms_ota_on_chunk_request(&f->ota, &r), MS_ERR_STATE);
    char st[MS_OTA_STATE_MAX + 1];
    assert_int_equal(ms_campaign_action(&f->ota, id, "start", "op", st), MS_ERR_STATE);
    assert_int_equal(ms_campaign_action(&f->ota, id, "pause", "op", st), MS_ERR_STATE);
    /* the operator resumes: the next wave goes on */
    f->m[1].fault.tamper_at = 0;
    assert_int_equal(ms_campaign_action(&f->ota, id, "resume", "op", st), MS_OK);
    assert_string_equal(st, "running");
    assert_int_equal(fs_run(f), 8);
    assert_string_equal(fs_state(f, id), "finished");
    for (size_t i = 2; i < f->n; i++) {
        assert_string_equal(fs_cm(f, id, i).state, "success");
    }
    assert_string_equal(fs_cm(f, id, 1).state, "failed");
    ot_assert_counts_kept(f, id, 3);
    fx_image_free(&img);
    fs_free(f);
}

typedef struct audit {
    char actions[32][MS_OTA_NAME_MAX + 1];
    char who[32][MS_STORE_NAME_MAX + 1];
    size_t n;
} audit_t;

static ms_err_t audit_cb(void *ctx, const ms_audit_rec_t *a)
{
    audit_t *x = ctx;
    if (x->n < 32) {
        snprintf(x->actions[x->n], sizeof x->actions[0], "%s", a->action);
        snprintf(x->who[x->n++], sizeof x->who[0], "%s", a->who);
    }
    return MS_OK;
}

static void pause_cancel_retries_and_audit(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(4);
    fx_image_t img = fs_image(2, 2, LEN, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    /* meter 0 is tampered with once: it fails, is retried and succeeds */
    f->m[0].fault.tamper_at = 50;
    static const uint32_t waves[] = {25, 100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 2, 1.0, 0.5, 1);
    char st[MS_OTA_STATE_MAX + 1];
    assert_int_equal(ms_campaign_action(&f->ota, id, "pause", "op", st), MS_OK);
    assert_string_equal(st, "paused");
    /* the offer already out is still served: the meter fails, is queued for a retry */
    assert_int_equal(fs_run(f), 1);
    ms_cm_rec_t m = fs_cm(f, id, 0);
    assert_string_equal(m.state, "queued");
    assert_int_equal(m.retries, 1);
    assert_int_equal(f->m[1].offers, 0);   /* paused: no next wave, no re-offer */
    ot_assert_counts_kept(f, id, 2);
    f->m[0].fault.tamper_at = 0;
    assert_int_equal(ms_campaign_action(&f->ota, id, "resume", "op", st), MS_OK);
    assert_int_equal(fs_run(f), 4);        /* the retry, then wave 1 */
    assert_string_equal(fs_cm(f, id, 0).state, "success");
    assert_string_equal(fs_state(f, id), "finished");
    assert_int_equal(ms_campaign_action(&f->ota, id, "cancel", "op", st), MS_ERR_STATE);
    assert_int_equal(ms_campaign_action(&f->ota, id, "frobnicate", "op", st), MS_ERR_ARG);
    assert_int_equal(ms_campaign_action(&f->ota, 999, "start", "op", st), MS_ERR_NOT_FOUND);

    /* a second campaign, cancelled before anything happens */
    fx_image_t img3 = fs_image(3, 3, LEN, false, NULL, NULL);
    ot_upload_ok(f, &img3, &rec);
    int64_t id2 = fs_campaign(f, rec.sha256, waves, 2, 1.0, 0.5, 0);
    assert_int_equal(ms_campaign_action(&f->ota, id2, "cancel", "op2", st), MS_OK);
    assert_string_equal(st, "cancelled");
    assert_int_equal(fs_run(f), 1);   /* the offer already sent: served, then refused */
    assert_int_equal(ms_campaign_action(&f->ota, id2, "resume", "op", st), MS_ERR_STATE);
    ot_assert_counts_kept(f, id, 2);
    ot_assert_counts_kept(f, id2, 2);

    audit_t a = {0};
    assert_int_equal(ms_ota_audit_list(&f->cloud.db, 100, audit_cb, &a), MS_OK);
    /* newest first */
    assert_string_equal(a.actions[0], "campaign.cancel");
    assert_string_equal(a.who[0], "op2");
    bool finish = false, upload = false, create = false, pause = false;
    for (size_t i = 0; i < a.n; i++) {
        finish = finish || (strcmp(a.actions[i], "campaign.finish") == 0 &&
                            strcmp(a.who[i], "system") == 0);
        upload = upload || strcmp(a.actions[i], "firmware.upload") == 0;
        create = create || strcmp(a.actions[i], "campaign.create") == 0;
        pause = pause || strcmp(a.actions[i], "campaign.pause") == 0;
    }
    assert_true(finish && upload && create && pause);
    fx_image_free(&img);
    fx_image_free(&img3);
    fs_free(f);
}

/* Status reports are signed: a forged one is refused and changes nothing. */
static void forged_status_refused(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img = fs_image(2, 2, LEN, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    static const uint32_t waves[] = {100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 1, 1.0, 1.0, 0);
    uint8_t junk[40] = {0xd2, 0x84};
    bool handled = false;
    char topic[64];
    snprintf(topic, sizeof topic, "ms/v1/%s/up/upd-status", f->m[0].id);
    assert_int_not_equal(ms_ota_on_message(&f->ota, topic, strlen(topic), junk, sizeof junk,
                                           &handled), MS_OK);
    assert_true(handled);
    snprintf(topic, sizeof topic, "ms/v1/%s/up/upd-req", f->m[0].id);
    assert_int_not_equal(ms_ota_on_message(&f->ota, topic, strlen(topic), junk, sizeof junk,
                                           &handled), MS_OK);
    /* not an update topic: left alone */
    assert_int_equal(ms_ota_on_message(&f->ota, "ms/v1/m-0000/up/reading", 23, junk, 4,
                                       &handled), MS_OK);
    assert_false(handled);
    assert_string_equal(fs_cm(f, id, 0).state, "queued");
    fs_run(f);
    assert_string_equal(fs_state(f, id), "finished");
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 1);
    fs_free(f);
}

/* Campaign B (security counter 3) is in its first wave when campaign A
 * (counter 5) is started: B's image goes to no further meter. B halts
 * before its next wave, and a resume is refused as a downgrade. */
static void older_campaign_stops_once_a_newer_image_is_released(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(4);
    fx_image_t b = fs_image(2, 3, LEN, false, NULL, NULL);
    fx_image_t a = fs_image(3, 5, LEN, false, NULL, NULL);
    ms_fw_rec_t rb, ra;
    ot_upload_ok(f, &b, &rb);
    ot_upload_ok(f, &a, &ra);
    int64_t old = fs_campaign(f, rb.sha256, (const uint32_t[]){25, 100}, 2, 1.0, 1.0, 0);
    size_t first = 4;
    for (size_t i = 0; i < 4 && first == 4; i++) {
        first = fs_cm(f, old, i).wave == 0 ? i : first;
    }
    assert_true(first < 4);
    int64_t newer = fs_campaign(f, ra.sha256, (const uint32_t[]){100}, 1, 1.0, 1.0, 0);
    assert_string_equal(fs_state(f, newer), "running");
    assert_int_equal(ot_deliver_status(f, first, old, MS_LINK_UPD_SUCCESS, 1), MS_OK);
    assert_string_equal(fs_state(f, old), "halted");
    for (size_t i = 0; i < 4; i++) {
        ms_cm_rec_t m = fs_cm(f, old, i);
        assert_true(m.wave == 0 || !m.offered);
    }
    char st[MS_OTA_STATE_MAX + 1];
    assert_int_equal(ms_campaign_action(&f->ota, old, "resume", "op", st), MS_ERR_BOOT_ROLLBACK);
    assert_string_equal(fs_state(f, old), "halted");
    assert_int_equal(ms_campaign_action(&f->ota, old, "cancel", "op", st), MS_OK);
    fx_image_free(&a);
    fx_image_free(&b);
    ot_assert_counts_kept(f, old, 2);
    fs_free(f);
}

/* Paused in its last wave when a newer image is released, a campaign of an
 * older image still resumes and finishes: the resume sends no new wave. */
static void paused_last_wave_resumes_after_a_newer_release(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(1);
    fx_image_t b = fs_image(2, 3, LEN, false, NULL, NULL);
    fx_image_t a = fs_image(3, 5, LEN, false, NULL, NULL);
    ms_fw_rec_t rb, ra;
    ot_upload_ok(f, &b, &rb);
    ot_upload_ok(f, &a, &ra);
    int64_t old = fs_campaign(f, rb.sha256, (const uint32_t[]){100}, 1, 1.0, 1.0, 0);
    char st[MS_OTA_STATE_MAX + 1];
    assert_int_equal(ms_campaign_action(&f->ota, old, "pause", "op", st), MS_OK);
    fs_campaign(f, ra.sha256, (const uint32_t[]){100}, 1, 1.0, 1.0, 0);
    assert_int_equal(ot_deliver_status(f, 0, old, MS_LINK_UPD_SUCCESS, 1), MS_OK);
    assert_int_equal(ms_campaign_action(&f->ota, old, "resume", "op", st), MS_OK);
    assert_string_equal(fs_state(f, old), "finished");
    fx_image_free(&a);
    fx_image_free(&b);
    ot_assert_counts_kept(f, old, 1);
    fs_free(f);
}

/* A report from a meter the campaign has not offered anything to (a later
 * wave) is refused: it changes neither its state nor its version. */
static void status_of_a_meter_not_offered_refused(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(4);
    fx_image_t img = fs_image(2, 2, LEN, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    static const uint32_t waves[] = {25, 100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 2, 1.0, 1.0, 0);
    size_t later = 4;
    for (size_t i = 0; i < 4 && later == 4; i++) {
        ms_cm_rec_t m = fs_cm(f, id, i);
        later = m.wave == 1 && !m.offered ? i : later;
    }
    assert_true(later < 4);
    ms_link_upd_status_t s = { .campaign_id = (uint64_t)id, .state = MS_LINK_UPD_SUCCESS };
    snprintf(s.meter_id, sizeof s.meter_id, "%s", f->m[later].id);
    assert_int_equal(ms_ota_on_status(&f->ota, &s), MS_ERR_STATE);
    assert_string_equal(fs_cm(f, id, later).state, "queued");
    ms_meter_info_t info;
    assert_int_equal(ms_ota_meter_info_get(&f->cloud.db, s.meter_id, &info), MS_OK);
    assert_string_not_equal(info.version, "2.0.0");
    fs_run(f);
    assert_string_equal(fs_state(f, id), "finished");
    assert_string_equal(fs_cm(f, id, later).state, "success");
    fx_image_free(&img);
    ot_assert_counts_kept(f, id, 2);
    fs_free(f);
}

/* Two campaigns of different images for two groups run at once: when their
 * meters' chunk requests interleave, each image is read from the database
 * once, not once per chunk. */
static void two_images_at_once_load_once_each(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(4);
    fx_image_t a = fs_image(2, 2, LEN, false, NULL, NULL);
    fx_image_t b = fs_image(3, 3, LEN, false, NULL, NULL);
    ms_fw_rec_t ra, rb;
    ot_upload_ok(f, &a, &ra);
    ot_upload_ok(f, &b, &rb);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ms_ota_meter_set_group(&f->cloud.db, f->m[i].id, i < 2 ? "a" : "b"),
                         MS_OK);
    }
    int64_t id[2];
    for (int k = 0; k < 2; k++) {
        ms_campaign_spec_t s;
        memset(&s, 0, sizeof s);
        snprintf(s.name, sizeof s.name, "group %c", 'a' + k);
        snprintf(s.firmware_sha256, sizeof s.firmware_sha256, "%s", k ? rb.sha256 : ra.sha256);
        s.kind = MS_TARGET_GROUP;
        snprintf(s.value, sizeof s.value, "%c", 'a' + k);
        snprintf(s.target_json, sizeof s.target_json, "{\"group\":\"%c\"}", 'a' + k);
        s.n_waves = 1;
        s.waves[0] = 100;
        s.success_pm = 1000;
        s.failure_pm = 1000;
        char reason[MS_OTA_REASON_MAX], st[MS_OTA_STATE_MAX + 1];
        assert_int_equal(ms_campaign_create(&f->ota, &s, "op", &id[k], reason), MS_OK);
        assert_int_equal(ms_campaign_action(&f->ota, id[k], "start", "op", st), MS_OK);
    }
    /* requests of the two campaigns, one after the other */
    for (uint32_t i = 0; i < 8; i++) {
        ms_link_chunk_req_t r = { .campaign_id = (uint64_t)id[i % 2], .offset = 64 * (i / 2),
                                  .length = 64 };
        snprintf(r.meter_id, sizeof r.meter_id, "%s", f->m[i % 2 ? 2 : 0].id);
        assert_int_equal(ms_ota_on_chunk_request(&f->ota, &r), MS_OK);
    }
    assert_int_equal(f->ota.stats.chunks, 8);
    assert_int_equal(f->ota.stats.image_loads, 2);
    fx_image_free(&a);
    fx_image_free(&b);
    ot_assert_counts_kept(f, id[0], 1);
    ot_assert_counts_kept(f, id[1], 1);
    fs_free(f);
}

/* A meter whose certificate the manufacturer CA revoked gets no offer (it
 * counts as failed, "certificate revoked") and no chunk, whatever it asks. */
static void revoked_meter_gets_no_image(void **state)
{
    (void)state;
    fs_fleet_t *f = fleet(2);
    fx_image_t img = fs_image(2, 2, LEN, false, NULL, NULL);
    ms_fw_rec_t rec;
    ot_upload_ok(f, &img, &rec);
    /* real certificates of a manufacturer CA for both meters, then revoke m[1]'s */
    ms_p256_priv_t ca_key;
    ms_p256_pub_t ca_pub;
    int64_t t = f->cloud.now();
    ms_x509_request_t ca_req = { .profile = MS_X509_CA, .cn = "Manufacturer CA",
                                 .not_before = t - 60, .not_after = t + 86400 };
    char *ca_pem = NULL, *crl_pem = NULL;
    size_t ca_len = 0, crl_len = 0;
    assert_int_equal(ms_p256_keygen(&ca_key, &ca_pub), MS_OK);
    assert_int_equal(ms_x509_make_ca(&ca_key, &ca_req, &ca_pem, &ca_len), MS_OK);
    ms_x509_revoked_t rev = { .revoked_at = t };
    for (size_t i = 0; i < 2; i++) {
        ms_x509_request_t req = { .profile = MS_X509_METER, .cn = f->m[i].id,
                                  .not_before = t - 60, .not_after = t + 86400 };
        char *pem = NULL;
        size_t len = 0;
        assert_int_equal(ms_x509_issue(ca_pem, ca_len, &ca_key, &f->m[i].pub, &req, &pem, &len,
                                       i == 1 ? rev.serial_hex : NULL), MS_OK);
        ms_sql_val_t p[] = { { .t = MS_SQL_TEXT, .s = pem }, { .t = MS_SQL_TEXT, .s = f->m[i].id } };
        assert_int_equal(f->cloud.db.ops->sql(f->cloud.db.s, "UPDATE meters SET cert_pem = $1"
                                              " WHERE id = $2", p, 2, NULL, NULL, NULL), MS_OK);
        free(pem);
    }
    ms_x509_crl_t crl = {0};
    assert_int_equal(ms_x509_make_crl(ca_pem, ca_len, &ca_key, &rev, 1, 1, t - 60, t + 86400,
                                      &crl_pem, &crl_len), MS_OK);
    assert_int_equal(ms_x509_crl_read(ca_pem, ca_len, crl_pem, crl_len, t, &crl), MS_OK);
    f->cloud.mfr_crl = &crl;
    static const uint32_t waves[] = {100};
    int64_t id = fs_campaign(f, rec.sha256, waves, 1, 0.5, 1.0, 0);
    ms_cm_rec_t m1 = fs_cm(f, id, 1);
    assert_string_equal(m1.state, "failed");
    assert_string_equal(m1.reason, "certificate revoked");
    assert_false(m1.offered);
    /* it asks for chunks anyway */
    ms_link_chunk_req_t r = { .campaign_id = (uint64_t)id, .offset = 0, .length = 64 };
    snprintf(r.meter_id, sizeof r.meter_id, "%s", f->m[1].id);
    uint8_t msg[64];
    size_t n = 0;
    char topic[64];
    bool handled = false;
    assert_int_equal(ms_link_chunk_req_encode(&r, msg, sizeof msg, &n), MS_OK);
    snprintf(topic, sizeof topic, "ms/v1/%s/" MS_OTA_TOPIC_REQ, f->m[1].id);
    uint64_t chunks = f->ota.stats.chunks;
    assert_int_equal(ms_ota_on_message(&f->ota, topic, strlen(topic), msg, n, &handled),
                     MS_ERR_X509_REVOKED);
    assert_int_equal(f->ota.stats.chunks, chunks);
    fs_run(f);
    assert_int_equal(f->m[1].offers, 0);
    assert_string_equal(fs_cm(f, id, 0).state, "success");
    assert_string_equal(fs_state(f, id), "finished");
    ot_assert_counts_kept(f, id, 1);
    /* A second campaign offered to both before the revocation was known,
     * both offers lost: the revoked meter's row is failed when its offer
     * would be sent again (it does not hold the look's first place, one
     * row per look here), the other's is sent, and the campaign ends. */
    f->cloud.mfr_crl = NULL;
    fx_image_t img3 = fs_image(3, 3, LEN, false, NULL, NULL);
    ot_upload_ok(f, &img3, &rec);
    int64_t id2 = fs_campaign(f, rec.sha256, waves, 1, 0.5, 1.0, 0);
    assert_int_equal(fs_drop_offers(f, 0) + fs_drop_offers(f, 1), 2);
    f->cloud.mfr_crl = &crl;
    fs_clock_advance(700);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(ms_ota_meter_seen(&f->cloud.db, f->m[i].id, f->cloud.now()), MS_OK);
    }
    size_t sent = 0;
    assert_int_equal(ms_ota_reoffer(&f->ota, 600, 1, &sent), MS_OK);
    assert_int_equal(sent, 1);   /* m[0]'s */
    assert_int_equal(ms_ota_reoffer(&f->ota, 600, 1, &sent), MS_OK);
    assert_int_equal(sent, 0);
    m1 = fs_cm(f, id2, 1);
    assert_string_equal(m1.state, "failed");
    assert_string_equal(m1.reason, "certificate revoked");
    fs_run(f);
    assert_string_equal(fs_cm(f, id2, 0).state, "success");
    assert_string_equal(fs_state(f, id2), "finished");
    ot_assert_counts_kept(f, id2, 1);
    fx_image_free(&img3);
    f->cloud.mfr_crl = NULL;
    ms_x509_crl_free(&crl);
    free(crl_pem);
    free(ca_pem);
    fx_image_free(&img);
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
        cmocka_unit_test(upload_refusals),
        cmocka_unit_test(two_waves_update_every_meter),
        cmocka_unit_test(link_loss_resumes),
        cmocka_unit_test(tampered_and_wrongly_encrypted_refused_before_reboot),
        cmocka_unit_test(no_reconnect_reverts),
        cmocka_unit_test(wave_halts_past_failure_threshold_then_resumes),
        cmocka_unit_test(pause_cancel_retries_and_audit),
        cmocka_unit_test(forged_status_refused),
        cmocka_unit_test(older_campaign_stops_once_a_newer_image_is_released),
        cmocka_unit_test(paused_last_wave_resumes_after_a_newer_release),
        cmocka_unit_test(status_of_a_meter_not_offered_refused),
        cmocka_unit_test(two_images_at_once_load_once_each),
        cmocka_unit_test(revoked_meter_gets_no_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
