/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_tee_storage.c - secure storage figures (M9): set and get
 * throughput, flash operations per set (write calls and sector erases,
 * garbage collection included), write amplification (flash bytes
 * programmed per payload byte) and mount time, at steady state on a
 * simulated NOR flash.
 *
 * Usage: bench_tee_storage_<backend> [sets per size]   (default 4000)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flash_sim.h"
#include "meterseal/crypto.h"
#include "meterseal/tee_store.h"
#include "tee_hooks_host.h"


static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define SECTORS 4u
#define SECTOR 4096u
#define MAX_DATA 512u
#define OBJECTS 8u

static ms_tee_store_entry_t g_index[2 * OBJECTS];
static uint8_t g_work[MS_TEE_STORE_WORK_LEN(MAX_DATA)];

static int run(size_t size, unsigned sets)
{
    ms_flash_sim_t sim;
    if (ms_flash_sim_open(&sim, NULL, SECTORS * SECTOR, SECTOR, 8, 0xff)) {
        return 1;
    }
    ms_flash_area_t area = { &sim.flash, 0, SECTORS * SECTOR };
    ms_tee_store_config_t cfg = {
        .area = &area, .nvc_id = 5, .index = g_index, .index_cap = 2 * OBJECTS,
        .max_objects = OBJECTS, .max_data = MAX_DATA, .work = g_work, .work_len = sizeof g_work,
    };
    uint8_t ek[32], mk[32], data[MAX_DATA], out[MAX_DATA];
    memset(ek, 1, sizeof ek);
    memset(mk, 2, sizeof mk);
    memset(data, 0x5a, sizeof data);
    ms_host_tee_nvc_set(5, 0);
    ms_tee_store_t st;
    if (ms_tee_store_mount(&st, &cfg, ek, mk)) {
        return 1;
    }
    /* live set that fits: as many of the OBJECTS uids as capacity allows */
    ms_tee_store_stats_t s;
    ms_tee_store_stats(&st, &s);
    size_t rec = MS_TEE_STORE_HDRS_LEN + size + MS_TEE_STORE_TAG_LEN + 16;
    unsigned live = (unsigned)(s.capacity_bytes / 2 / rec);
    live = live < 1 ? 1 : live > OBJECTS ? OBJECTS : live;
    for (unsigned i = 0; i < live; i++) {   /* warm up: fill and cycle GC once */
        if (ms_tee_store_set(&st, 1 + i, data, size, 0)) {
            return 1;
        }
    }
    for (unsigned i = 0; i < 4 * live; i++) {
        (void)ms_tee_store_set(&st, 1 + i % live, data, size, 0);
    }
    uint64_t w0 = sim.writes, b0 = sim.write_bytes, e0 = sim.erases;
    double t0 = now_s();
    for (unsigned i = 0; i < sets; i++) {
        data[0] = (uint8_t)i;
        if (ms_tee_store_set(&st, 1 + i % live, data, size, 0)) {
            fprintf(stderr, "set failed\n");
            return 1;
        }
    }
    double t1 = now_s();
    size_t n;
    for (unsigned i = 0; i < sets; i++) {
        if (ms_tee_store_get(&st, 1 + i % live, 0, out, sizeof out, &n)) {
            fprintf(stderr, "get failed\n");
            return 1;
        }
    }
    double t2 = now_s();
    ms_tee_store_unmount(&st);
    double t3 = now_s();
    for (int i = 0; i < 20; i++) {
        if (ms_tee_store_mount(&st, &cfg, ek, mk)) {
            return 1;
        }
    }
    double t4 = now_s();
    double ws = (double)(sim.writes - w0) / sets, es = (double)(sim.erases - e0) / sets;
    double amp = (double)(sim.write_bytes - b0) / ((double)sets * (double)size);
    printf("%6zu %6u %10.0f %8.2f %10.0f %8.2f %8.3f %8.2f %7.2f %8.3f\n", size, live,
           sets / (t1 - t0), sets * (double)size / (t1 - t0) / 1048576.0, sets / (t2 - t1),
           ws, es, ws + es, amp, (t4 - t3) / 20 * 1000.0);
    ms_tee_store_unmount(&st);
    ms_flash_sim_close(&sim);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned sets = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 4000u;
    static const size_t sizes[] = { 16, 64, 256, 512 };
    if (sets == 0) {
        sets = 4000;
    }
    printf("secure storage benchmark: backend %s, %u sectors x %u B, write unit 8 B, "
           "%u sets per size\n", ms_crypto_backend_name(), SECTORS, SECTOR, sets);
    printf("%6s %6s %10s %8s %10s %8s %8s %8s %7s %8s\n", "bytes", "objs", "sets/s", "MiB/s",
           "gets/s", "wr/set", "er/set", "ops/set", "w-amp", "mount ms");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (run(sizes[i], sets)) {
            return 1;
        }
    }
    return 0;
}
