/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash_sim.h - a NOR flash simulator for the host platform.
 *
 * A file-backed (or memory-only) flash device that enforces the rules of
 * hal.h strictly, so code that works here does not rely on anything a real
 * part would forbid:
 *   - writes must be aligned and may only program erased bytes;
 *   - erase is per sector.
 * For power-fail testing it counts state-changing operations (each write
 * call is one operation, each sector erased is one operation) and can cut
 * power during the N-th one: that operation is left half done (a prefix of
 * the write units programmed and the next unit's bits partly programmed; a
 * prefix of the sector erased and the next bytes partly erased), and every
 * later call fails with MS_ERR_POWER_LOST until ms_flash_sim_power_on().
 * It can also cut power right after the N-th operation is done in full (the
 * cut that falls between two operations, e.g. between a commit word and a
 * counter increment; the TEE's host counters can share this power flag).
 * It can also make writes into a region fail (a worn-out block), and it keeps
 * the statistics benchmarks and wear tests need (write calls, bytes
 * programmed, erases per sector), so nobody has to wrap it to count.
 *
 * The contents live in a shared file mapping, so they survive the process:
 * a meter simulator can be killed and restarted over the same flash file.
 */
#ifndef MS_FLASH_SIM_H
#define MS_FLASH_SIM_H

#include <stdint.h>

#include "meterseal/hal.h"

typedef struct ms_flash_sim {
    ms_flash_t flash;       /* hand &sim->flash to the core */
    uint8_t *mem;           /* device contents (mapped file or heap) */
    int fd;                 /* backing file, or -1 for memory only */
    uint64_t ops;           /* state-changing operations since open */
    uint64_t cut_at;        /* cut power during op number cut_at (0 = never) */
    uint64_t off_at;        /* cut power right after op number off_at is done (0 = never) */
    int powered;            /* 0 after a cut */
    uint32_t bad_off;       /* writes overlapping [bad_off, bad_off+bad_len) fail */
    uint32_t bad_len;
    uint32_t rng;           /* xorshift state for the half-done operation */
    /* Statistics of operations that reached the device (a cut one included). */
    uint64_t writes;        /* write calls */
    uint64_t write_bytes;   /* bytes those calls programmed or tried to */
    uint64_t erases;        /* sectors erased */
    uint32_t *sector_erases; /* erases per sector, size / sector_size entries */
} ms_flash_sim_t;

/*
 * Open a device of `size` bytes. path == NULL keeps it in memory. A new or
 * short file is created/extended and filled with the erased value; an
 * existing file of the right size keeps its contents.
 */
ms_err_t ms_flash_sim_open(ms_flash_sim_t *sim, const char *path, uint32_t size,
                           uint32_t sector_size, uint32_t write_align, uint8_t erased_val);
void ms_flash_sim_close(ms_flash_sim_t *sim);

/* Cut power during the op with number ops+n (n >= 1: 1 = the next one).
 * n == 0 disarms. seed picks how much of that op gets done. */
void ms_flash_sim_cut_after(ms_flash_sim_t *sim, uint64_t n, uint32_t seed);

/* Cut power right after the op with number ops+n has completed in full
 * (n >= 1; 0 disarms): that op succeeds, every later call fails with
 * MS_ERR_POWER_LOST until ms_flash_sim_power_on(). */
void ms_flash_sim_off_after(ms_flash_sim_t *sim, uint64_t n);

/* Power back on (a reboot); the device contents are as the cut left them. */
void ms_flash_sim_power_on(ms_flash_sim_t *sim);

/* Make writes touching [off, off+len) fail with MS_ERR_FLASH_WRITE (len 0 clears). */
void ms_flash_sim_fail_writes(ms_flash_sim_t *sim, uint32_t off, uint32_t len);

#endif /* MS_FLASH_SIM_H */
