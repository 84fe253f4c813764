/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ota_test_util.h - helpers of the update tests (test code: they assert
 * with cmocka, so a failure stops the test that called them).
 */
#ifndef MS_OTA_TEST_UTIL_H
#define MS_OTA_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "fleet_sim.h"

/* The campaign's kept counts (what the engine reads) are its rows' counts,
 * per wave and in all. */
void ot_assert_counts_kept(fs_fleet_t *f, int64_t id, uint32_t n_waves);

/* Upload as operator "op"; the upload must be taken. */
void ot_upload_ok(fs_fleet_t *f, const fx_image_t *img, ms_fw_rec_t *rec);

/* A one-wave campaign of the image over every meter, created, not started. */
ms_err_t ot_create_campaign(fs_fleet_t *f, const char *sha, int64_t *id,
                            char reason[MS_OTA_REASON_MAX]);

/* Meter i's status report of the campaign, signed as its TEE signs it under
 * number seq (0: unnumbered), through the cloud's MQTT handler. */
ms_err_t ot_deliver_status(fs_fleet_t *f, size_t i, int64_t campaign, uint32_t state,
                           uint64_t seq);

#endif /* MS_OTA_TEST_UTIL_H */
