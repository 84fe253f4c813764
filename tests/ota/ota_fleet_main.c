/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ota_fleet_main.c - ms-ota-fleet: a campaign rolled out to a simulated
 * fleet (fleet_sim.h), for the benchmark (bench/ota/run) and the demo
 * (scripts/demo). The cloud side is the service's own code on a real
 * store; every meter runs the meter-side code (update messages, TEE update
 * service, boot core) on simulated flash; the broker is an in-process
 * queue. Prints what happens per wave and the figures: wall time, bytes
 * each way, the cloud's CPU time (measured around its handlers only).
 *
 *   ms-ota-fleet --db SPEC [--meters N] [--size BYTES] [--waves 10,100]
 *                [--success F] [--failure F] [--tamper I] [--drop I]
 *                [--no-reconnect I] [--quiet]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet_sim.h"
#include "log.h"

static double now_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int usage(void)
{
    fputs("usage: ms-ota-fleet --db SPEC [--meters N] [--size BYTES] [--waves P,P,...]\n"
          "                    [--success F] [--failure F] [--tamper I] [--drop I]\n"
          "                    [--no-reconnect I] [--quiet]\n",
          stderr);
    return 2;
}

static void wave_lines(fs_fleet_t *f, int64_t id)
{
    ms_campaign_rec_t c;
    if (ms_ota_campaign_get(&f->cloud.db, id, &c) != MS_OK) {
        return;
    }
    printf("campaign %lld: %s\n", (long long)id, c.state);
    for (uint32_t w = 0; w < c.n_waves; w++) {
        uint32_t n[MS_LINK_UPD_STATE_COUNT_], total = 0, offered = 0;
        if (ms_ota_cm_counts(&f->cloud.db, id, w, n, &total, &offered) != MS_OK) {
            return;
        }
        const char *st = w < c.wave ? "done" : w > c.wave ? "pending" : c.wave_state;
        printf("  wave %u (%3u%%) %-8s meters %4u offered %4u success %4u failed %3u "
               "reverted %3u\n",
               w, c.waves[w], st, total, offered, n[MS_LINK_UPD_SUCCESS], n[MS_LINK_UPD_FAILED],
               n[MS_LINK_UPD_REVERTED]);
    }
}

int main(int argc, char **argv)
{
    const char *db = NULL;
    size_t meters = 10;
    uint32_t size = 256u * 1024u, waves[MS_OTA_WAVES_MAX] = {10, 100}, n_waves = 2;
    double success = 0.9, failure = 0.2;
    long tamper = -1, drop = -1, norec = -1;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            quiet = true;
            continue;
        }
        if (v == NULL) {
            return usage();
        }
        i++;
        if (strcmp(a, "--db") == 0) {
            db = v;
        } else if (strcmp(a, "--meters") == 0) {
            meters = strtoul(v, NULL, 10);
        } else if (strcmp(a, "--size") == 0) {
            size = (uint32_t)strtoul(v, NULL, 0);
        } else if (strcmp(a, "--success") == 0) {
            success = atof(v);
        } else if (strcmp(a, "--failure") == 0) {
            failure = atof(v);
        } else if (strcmp(a, "--tamper") == 0) {
            tamper = atol(v);
        } else if (strcmp(a, "--drop") == 0) {
            drop = atol(v);
        } else if (strcmp(a, "--no-reconnect") == 0) {
            norec = atol(v);
        } else if (strcmp(a, "--waves") == 0) {
            n_waves = 0;
            for (char *p = (char *)v; *p != '\0' && n_waves < MS_OTA_WAVES_MAX;) {
                waves[n_waves++] = (uint32_t)strtoul(p, &p, 10);
                if (*p == ',') {
                    p++;
                }
            }
        } else {
            return usage();
        }
    }
    if (db == NULL || meters == 0 || meters > 10000 || size < 1024 || size > 1024u * 1024u) {
        return usage();
    }
    ms_log_init("cloud", quiet ? MS_LOG_ERROR : MS_LOG_WARN);
    /* slot: the image, its header and TLVs, the trailer, a spare sector */
    uint32_t slot = ((size + 0x200 + 1024) / 4096 + 3) * 4096;
    fs_fleet_t *f = fs_new(db, meters, slot, 4096);
    if (tamper >= 0 && (size_t)tamper < meters) {
        f->m[tamper].fault.tamper_at = size / 2;
    }
    if (drop >= 0 && (size_t)drop < meters) {
        f->m[drop].fault.drop_at = size / 3;
    }
    if (norec >= 0 && (size_t)norec < meters) {
        f->m[norec].fault.no_reconnect = true;
    }
    fx_image_t img = fs_image(2, 2, size, true, NULL, NULL);
    ms_fw_rec_t rec;
    char reason[MS_OTA_REASON_MAX];
    ms_err_t err = fs_upload(f, &img, &rec, reason);
    if (err != MS_OK) {
        fprintf(stderr, "ms-ota-fleet: upload refused: %s\n", reason);
        return 1;
    }
    printf("firmware %.16s... version %s, %u bytes (signed, AES-128 encrypted), %zu meters\n",
           rec.sha256, rec.version, rec.size, meters);
    double t0 = now_s(CLOCK_MONOTONIC);
    int64_t id = fs_campaign(f, rec.sha256, waves, n_waves, success, failure, 0);
    size_t offers = fs_run(f);
    double wall = now_s(CLOCK_MONOTONIC) - t0;
    wave_lines(f, id);
    for (size_t i = 0; i < meters; i++) {
        ms_cm_rec_t m = fs_cm(f, id, i);
        if (strcmp(m.state, "success") != 0 && (strcmp(m.state, "queued") != 0 || m.offered)) {
            printf("  meter %s: %s result %u reason \"%s\"%s\n", m.meter_id, m.state, m.result,
                   m.reason, f->m[i].rebooted ? "" : " (refused before reboot)");
        }
    }
    double cloud_cpu = f->cloud_cpu_s;
    printf("figures: meters %zu offers %zu wall %.3f s; cloud->meters %llu bytes (chunks %llu "
           "bytes), meters->cloud %llu bytes; cloud CPU %.3f s = %.2f ms per updated meter\n",
           meters, offers, wall, (unsigned long long)f->cloud_bytes,
           (unsigned long long)f->ota.stats.chunk_bytes, (unsigned long long)f->meter_bytes,
           cloud_cpu, offers ? cloud_cpu * 1000.0 / (double)offers : 0.0);
    fx_image_free(&img);
    fs_free(f);
    return 0;
}
