/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvc_flash.h - a replay-protected monotonic counter device in NOR flash,
 * built like an eMMC RPMB partition, for the TEE's storage anti-rollback
 * counters (ms_tee_hal_nvc_*). OTP counters hold only ~128 raises per id
 * and stay reserved for image security counters; storage moves its counter
 * twice per write, so it needs a counter with flash endurance.
 *
 * Model (docs/secure-storage.md, "Replay-protected counters"):
 *   - the device is a ring of >= 2 sectors of 32-byte records, appended in
 *     order; each record is { magic, id, value, MAC }, the MAC an
 *     HMAC-SHA256 (first 16 bytes) under a device key derived from the HUK
 *     that only the TEE holds, so nothing without the key can make a record
 *     that counts;
 *   - a counter's value is the largest authenticated value of its id found
 *     in any sector: a torn record (power cut) fails its MAC and is ignored;
 *   - each sector starts with an authenticated header record carrying a
 *     generation; the one with the highest generation is appended to. When
 *     it is full the next sector of the ring is erased, gets a header with
 *     generation + 1 and a copy of every counter, so no sector ever holds
 *     the only copy of a value when it is erased (wear goes round the ring);
 *   - values only grow: increment writes value + 1, never anything lower.
 * On a real meter the same records go to a replay-protected part (the RPMB
 * of an eMMC, or a secure element's counter), whose own write counter stops
 * an old copy of the area from being written back; on QEMU the area is part
 * of the flash file, so a probe that rewrites the whole file is outside
 * what the emulation can stop (the document says so).
 */
#ifndef MS_AN505_NVC_FLASH_H
#define MS_AN505_NVC_FLASH_H

#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/hal.h"

#define MS_NVC_IDS        4u     /* counters the device keeps */
#define MS_NVC_REC_LEN    32u
#define MS_NVC_KEY_LEN    32u

typedef struct ms_nvc_flash {
    const ms_flash_area_t *area;
    uint8_t key[MS_NVC_KEY_LEN];
    uint64_t value[MS_NVC_IDS];
    uint32_t n_sectors;
    uint32_t active;        /* sector appended to */
    uint32_t generation;    /* its generation */
    uint32_t wpos;          /* next record offset in it */
    uint32_t erases;        /* sectors erased since mount (statistics) */
    int mounted;
} ms_nvc_flash_t;

/* Scan the area with `key` (formats a blank or unreadable area). */
ms_err_t ms_nvc_flash_mount(ms_nvc_flash_t *d, const ms_flash_area_t *area,
                            const uint8_t key[MS_NVC_KEY_LEN]);
ms_err_t ms_nvc_flash_read(const ms_nvc_flash_t *d, uint32_t id, uint64_t *value);
/* Add one (one authenticated record; a sector change when the active one is full). */
ms_err_t ms_nvc_flash_increment(ms_nvc_flash_t *d, uint32_t id);

#endif /* MS_AN505_NVC_FLASH_H */
