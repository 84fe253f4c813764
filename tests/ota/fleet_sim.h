/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet_sim.h - a simulated fleet for the update tests and the benchmark
 * (bench/ota): the cloud's update service (cloud/ota.h) on a real store,
 * and meters (fleet_meter.h) that run the portable meter-side code,
 * connected by an in-process broker: a queue of what the cloud published.
 * fs_run() delivers the queue; each offer runs its meter's whole update.
 */
#ifndef MS_FLEET_SIM_H
#define MS_FLEET_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet_meter.h"
#include "ota.h"

typedef struct fs_msg {
    char topic[80];
    uint8_t *payload;
    size_t len;
} fs_msg_t;

typedef struct fs_fleet {
    ms_cloud_t cloud;
    ms_ota_t ota;
    size_t n;
    fm_meter_t *m;
    fs_msg_t *q;              /* published by the cloud, not yet delivered */
    size_t head, nq, capq;
    fx_image_t base;          /* the image every meter runs at the start */
    uint32_t slot_size;
    uint64_t meter_bytes;     /* bytes meters sent (requests, reports) */
    uint64_t cloud_bytes;     /* bytes the cloud published */
    double cloud_cpu_s;       /* CPU time spent in the cloud's handlers */
} fs_fleet_t;

/* A cloud on db_spec (emptied first) with the boot fixture's signing key as
 * the vendor key, n meters registered (m-0000, m-0001, ...), each running
 * a base image of base_len payload bytes (version 1.0.0, counter 1). */
fs_fleet_t *fs_new(const char *db_spec, size_t n, uint32_t slot_size, uint32_t base_len);
void fs_free(fs_fleet_t *f);

/* A signed (optionally encrypted) image of version major.0.0. */
fx_image_t fs_image(uint8_t major, uint32_t sec_cnt, uint32_t len, bool encrypt,
                    const ms_p256_pub_t *enc_pub, const ms_p256_priv_t *key);

/* Upload as operator "op". */
ms_err_t fs_upload(fs_fleet_t *f, const fx_image_t *img, ms_fw_rec_t *rec,
                   char reason[MS_OTA_REASON_MAX]);

/* A campaign over all meters; started. */
int64_t fs_campaign(fs_fleet_t *f, const char *sha, const uint32_t *waves, uint32_t n_waves,
                    double success, double failure, uint32_t retries);

/* Deliver everything queued. Returns the number of offers handled. */
size_t fs_run(fs_fleet_t *f);

/* Lose the offers queued for meter i (the broker's session expired, say);
 * returns how many. */
size_t fs_drop_offers(fs_fleet_t *f, size_t i);

/* Move the cloud's clock on (it also moves by one second each time it is
 * read). */
void fs_clock_advance(int64_t seconds);

/* Meter i's row in a campaign. */
ms_cm_rec_t fs_cm(fs_fleet_t *f, int64_t campaign, size_t i);

/* The campaign's state. */
const char *fs_state(fs_fleet_t *f, int64_t campaign);

#endif /* MS_FLEET_SIM_H */
