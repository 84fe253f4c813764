/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ota_store.h - the cloud's update tables (docs/ota.md section 4): the
 * firmware repository, campaigns, each targeted meter's update state and
 * its history, the operators' audit trail, and each meter's group and
 * running version. Written once over the store's generic statements
 * (store.h: ms_store_ops_t.sql), so both backends run the same SQL.
 *
 * Invariants:
 *   - A firmware image is stored once, keyed by the SHA-256 of its bytes.
 *   - Every change of a meter's update state is also appended to
 *     update_history with its time; every operator action to audit.
 *   - campaign_counts holds, per campaign, wave, state and offered, how
 *     many of its meters are there: kept by the database's triggers
 *     (migration 5) in the statement that changes a campaign meter.
 *   - Text read back is length-checked into fixed buffers (outside data).
 */
#ifndef MS_CLOUD_OTA_STORE_H
#define MS_CLOUD_OTA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/link_update.h"
#include "store.h"

#define MS_OTA_NAME_MAX     64u
#define MS_OTA_VERSION_MAX  24u     /* "255.255.65535+4294967295" */
#define MS_OTA_TARGET_MAX   2048u   /* the campaign's target as JSON */
#define MS_OTA_WAVES_MAX    8u
#define MS_OTA_GROUP_MAX    32u
#define MS_OTA_STATE_MAX    16u
#define MS_OTA_AUDIT_MAX    256u
#define MS_OTA_HEX_LEN      (2u * MS_SHA256_LEN)

typedef struct ms_fw_rec {
    char sha256[MS_OTA_HEX_LEN + 1];
    char version[MS_OTA_VERSION_MAX + 1];
    uint32_t sec_cnt;
    uint32_t size;
    char uploaded_by[MS_STORE_NAME_MAX + 1];
    int64_t uploaded_at;
} ms_fw_rec_t;

typedef struct ms_campaign_rec {
    int64_t id;
    char name[MS_OTA_NAME_MAX + 1];
    char firmware_sha256[MS_OTA_HEX_LEN + 1];
    char state[MS_OTA_STATE_MAX + 1];       /* created running paused halted cancelled finished */
    char target[MS_OTA_TARGET_MAX];
    uint32_t n_waves;
    uint32_t waves[MS_OTA_WAVES_MAX];       /* cumulative percent, ascending, last 100 */
    uint32_t success_pm;                    /* thresholds in per mille */
    uint32_t failure_pm;
    uint32_t max_retries;
    uint32_t wave;                          /* the current wave */
    char wave_state[MS_OTA_STATE_MAX + 1];  /* its state: pending running done halted */
    char created_by[MS_STORE_NAME_MAX + 1];
    int64_t created_at;
} ms_campaign_rec_t;

typedef struct ms_cm_rec {                  /* one meter of a campaign */
    int64_t campaign_id;
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint32_t wave;
    char state[MS_OTA_STATE_MAX + 1];       /* ms_link_upd_state_name() */
    bool offered;
    uint32_t progress;
    uint32_t result;
    char reason[MS_LINK_UPD_REASON_MAX + 1];
    uint32_t retries;
    int64_t updated_at;
    uint64_t status_seq;                    /* the number of the last report written
                                             * (0: none, or not numbered); written by
                                             * MS_CM_SAME_ATTEMPT changes only */
    uint32_t reoffers;                      /* offers sent again (ms_ota_cm_reoffered);
                                             * read only: a new row starts at 0 */
} ms_cm_rec_t;

typedef struct ms_hist_rec {
    int64_t campaign_id;
    char state[MS_OTA_STATE_MAX + 1];
    uint32_t result;
    char reason[MS_LINK_UPD_REASON_MAX + 1];
    int64_t at;
} ms_hist_rec_t;

typedef struct ms_audit_rec {
    int64_t at;
    char who[MS_STORE_NAME_MAX + 1];
    char action[MS_OTA_NAME_MAX + 1];
    char detail[MS_OTA_AUDIT_MAX];
} ms_audit_rec_t;

typedef struct ms_meter_info {
    char group[MS_OTA_GROUP_MAX + 1];
    char version[MS_OTA_VERSION_MAX + 1];
    int64_t last_seen;                      /* 0: never */
} ms_meter_info_t;

typedef ms_err_t (*ms_fw_cb)(void *ctx, const ms_fw_rec_t *f);
typedef ms_err_t (*ms_campaign_cb)(void *ctx, const ms_campaign_rec_t *c);
typedef ms_err_t (*ms_cm_cb)(void *ctx, const ms_cm_rec_t *m);
typedef ms_err_t (*ms_hist_cb)(void *ctx, const ms_hist_rec_t *h);
typedef ms_err_t (*ms_audit_cb)(void *ctx, const ms_audit_rec_t *a);
typedef ms_err_t (*ms_id_cb)(void *ctx, const char *meter_id);

/* Firmware. fw_put: *stored false when that hash is already there. */
ms_err_t ms_ota_fw_put(ms_db_t *db, const ms_fw_rec_t *f, const uint8_t *image, bool *stored);
ms_err_t ms_ota_fw_get(ms_db_t *db, const char *sha256, ms_fw_rec_t *f);
/* The image bytes (malloc'd; the caller frees). */
ms_err_t ms_ota_fw_image(ms_db_t *db, const char *sha256, uint8_t **image, size_t *len);
/* Listings come in pages (docs/ota.md section 5): at most `limit` records
 * after a cursor, the last record of the page before. Firmware goes by
 * upload time, after the image `after_sha256` ("" or NULL: from the first;
 * an image not stored: an empty page). */
ms_err_t ms_ota_fw_page(ms_db_t *db, const char *after_sha256, uint32_t limit, ms_fw_cb cb,
                        void *ctx);
/* The highest security counter of any released image (0 when none): one a
 * campaign was started with (its wave_state left "pending", which only a
 * start does; a campaign cancelled before its start released nothing). An
 * image stored but never offered raises no meter's counter, so it does not
 * raise the fleet's either. */
ms_err_t ms_ota_fw_max_sec_cnt(ms_db_t *db, uint32_t *max);

/* Campaigns: campaign_add allocates rec->id; the caller runs it in a
 * transaction (db->ops->tx) with the campaign's ms_ota_cm_add calls. */
ms_err_t ms_ota_campaign_add(ms_db_t *db, ms_campaign_rec_t *rec);
ms_err_t ms_ota_campaign_get(ms_db_t *db, int64_t id, ms_campaign_rec_t *rec);
/* Campaigns by id, those with an id above `after` (0: from the first). */
ms_err_t ms_ota_campaign_page(ms_db_t *db, int64_t after, uint32_t limit, ms_campaign_cb cb,
                              void *ctx);
/* Running campaigns with meters of their current wave queued and not
 * offered (a wave whose offers an instance that stopped left unsent). */
ms_err_t ms_ota_campaigns_unoffered(ms_db_t *db, ms_campaign_cb cb, void *ctx);
/* Move the campaign `was` read to (state, wave, wave_state), if its row is
 * still as read (compare and set on the same three): MS_ERR_STATE when
 * another writer (an operator on another instance, another instance's
 * evaluation) changed it since, and nothing is written. A row that comes
 * back to the triple read (paused, then resumed) is the same campaign
 * state, so a write over it is right. */
ms_err_t ms_ota_campaign_set_state(ms_db_t *db, const ms_campaign_rec_t *was, const char *state,
                                   uint32_t wave, const char *wave_state);
/* The same move for one that offers the campaign's image to more meters (a
 * start, a resume into a new wave, a next wave): written only if the
 * image's security counter is not below the fleet's, the highest of the
 * released images' (ms_ota_fw_max_sec_cnt) and `floor`. The check and the
 * write are one transaction serialised with every other release
 * (MS_SQL_BEGIN_SERIAL), so of two releases at once the second sees the
 * first: an older image never goes out after a newer one's start. Below:
 * MS_ERR_BOOT_ROLLBACK, nothing written; *sec_cnt and *fleet say by how
 * much. MS_ERR_STATE as above; MS_ERR_NOT_FOUND: no such image. It is its
 * own transaction: never called inside another. */
ms_err_t ms_ota_campaign_release(ms_db_t *db, const ms_campaign_rec_t *was, uint32_t floor,
                                 const char *state, uint32_t wave, const char *wave_state,
                                 uint32_t *sec_cnt, uint32_t *fleet);

/* The meters of a campaign. */
ms_err_t ms_ota_cm_add(ms_db_t *db, const ms_cm_rec_t *m);
ms_err_t ms_ota_cm_get(ms_db_t *db, int64_t campaign_id, const char *meter_id, ms_cm_rec_t *m);
/* What a change of a meter's row compares with the row as read (`was`):
 *   MS_CM_SAME_ROW      state, offered and retries all as read: for rows
 *                       read in a state entered once per attempt (queued
 *                       and not offered: an offer; final: a retry);
 *   MS_CM_SAME_ATTEMPT  still offered, the same retry count, and not final:
 *                       for a meter's status report, which applies to any
 *                       not-final state of the attempt it was read in (the
 *                       order of one attempt's reports is the meter's);
 *                       and m's status_seq above the row's (a numbered
 *                       report), or both 0 (an unnumbered one where none
 *                       was numbered): an old report sent again is not
 *                       written. Writes m's status_seq; MS_CM_SAME_ROW
 *                       leaves the row's as it is.
 * A final state is left only by a retry, which counts, so neither lets a
 * change over a final state or into another attempt. */
typedef enum ms_cm_match {
    MS_CM_SAME_ROW = 0,
    MS_CM_SAME_ATTEMPT = 1,
} ms_cm_match_t;

/* Store m's state and append it to the meter's history, if the row still
 * matches `was` (compare and set). then: NULL, or the state the row moves
 * on to in the same transaction, also in the history (a failure queued for
 * its retry: no other writer ever reads the failure, which is not one yet).
 * MS_ERR_STATE when another writer (another service instance) changed or
 * removed the row since: nothing is written. */
ms_err_t ms_ota_cm_update(ms_db_t *db, const ms_cm_rec_t *was, ms_cm_match_t match,
                          const ms_cm_rec_t *m, const ms_cm_rec_t *then);
/* One page of a campaign's meters by meter id: ids above `after` ("" or
 * NULL: from the first), only in `state` (NULL or "": any) and in `wave`
 * (< 0: any). */
typedef struct ms_cm_page {
    const char *after;
    const char *state;
    int64_t wave;
    uint32_t limit;
} ms_cm_page_t;
ms_err_t ms_ota_cm_page(ms_db_t *db, int64_t campaign_id, const ms_cm_page_t *page,
                        ms_cm_cb cb, void *ctx);
/* Offers not answered: rows of running campaigns' current waves offered
 * and still queued (no report of the attempt came) whose offer was sent at
 * or before `offered_before`, of meters seen since (a status report, or
 * the newest reading, arrived after it), oldest offer first, at most
 * `limit`. */
ms_err_t ms_ota_cm_unanswered(ms_db_t *db, int64_t offered_before, uint32_t limit, ms_cm_cb cb,
                              void *ctx);
/* An offer sent again: the row's offer time moves to `at` and its
 * re-offer count up by one, if it is still as read (offered, queued, the
 * same retries, offer time and count: a report, a retry or another
 * instance's re-send since wins); MS_ERR_STATE otherwise, and nothing is
 * written. Not in the history, which records state changes. */
ms_err_t ms_ota_cm_reoffered(ms_db_t *db, const ms_cm_rec_t *was, int64_t at);
/* Counts per state (index: ms_link_upd_state_t) of one wave, or of all
 * waves with wave < 0; *offered gets how many were offered. Read from
 * the kept counts (campaign_counts): a few rows, however large the
 * campaign. */
ms_err_t ms_ota_cm_counts(ms_db_t *db, int64_t campaign_id, int64_t wave,
                          uint32_t counts[MS_LINK_UPD_STATE_COUNT_], uint32_t *total,
                          uint32_t *offered);
/* The campaign a meter takes part in now (the newest running or paused). */
ms_err_t ms_ota_cm_current(ms_db_t *db, const char *meter_id, ms_cm_rec_t *m);

ms_err_t ms_ota_history(ms_db_t *db, const char *meter_id, uint32_t limit, ms_hist_cb cb,
                        void *ctx);

/* Audit trail: ms_ota_audit in its own transaction, ms_ota_audit_add in
 * the caller's (the audit row commits with what it records). */
ms_err_t ms_ota_audit(ms_db_t *db, int64_t at, const char *who, const char *action,
                      const char *detail);
ms_err_t ms_ota_audit_add(ms_db_t *db, int64_t at, const char *who, const char *action,
                          const char *detail);
ms_err_t ms_ota_audit_list(ms_db_t *db, uint32_t limit, ms_audit_cb cb, void *ctx);

/* Meter group, version, last seen. meter_info_get: a meter without a row
 * has group "", version "" and last_seen 0. */
ms_err_t ms_ota_meter_info_get(ms_db_t *db, const char *meter_id, ms_meter_info_t *info);
ms_err_t ms_ota_meter_set_group(ms_db_t *db, const char *meter_id, const char *group);
ms_err_t ms_ota_meter_set_version(ms_db_t *db, const char *meter_id, const char *version);
ms_err_t ms_ota_meter_seen(ms_db_t *db, const char *meter_id, int64_t at);

/* Meter ids for a campaign's target, ascending: all registered meters, or
 * those of a group, or those running a version. */
ms_err_t ms_ota_meters_all(ms_db_t *db, ms_id_cb cb, void *ctx);
ms_err_t ms_ota_meters_in_group(ms_db_t *db, const char *group, ms_id_cb cb, void *ctx);
ms_err_t ms_ota_meters_with_version(ms_db_t *db, const char *version, ms_id_cb cb, void *ctx);

#endif /* MS_CLOUD_OTA_STORE_H */
