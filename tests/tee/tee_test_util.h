/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_test_util.h - fixtures for the TEE tests: a simulated NOR flash with
 * per-sector erase counters, and a store mounted on it with fixed test keys.
 */
#ifndef MS_TEE_TEST_UTIL_H
#define MS_TEE_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "flash_sim.h"
#include "meterseal/tee_store.h"


typedef struct tt_flash {
    ms_flash_sim_t sim;           /* sim.sector_erases, sim.writes: wear and traffic */
    ms_flash_area_t area;
} tt_flash_t;

/* Memory-backed flash of n sectors; the area spans all of it. */
void tt_flash_open(tt_flash_t *f, uint32_t sectors, uint32_t sector_size, uint32_t align);
void tt_flash_close(tt_flash_t *f);

typedef struct tt_store {
    tt_flash_t flash;
    ms_tee_store_t st;
    ms_tee_store_config_t cfg;
    ms_tee_store_entry_t index[64];
    uint8_t work[MS_TEE_STORE_WORK_LEN(1024)];
    uint8_t enc_key[MS_TEE_STORE_KEY_LEN];
    uint8_t mac_key[MS_TEE_STORE_KEY_LEN];
} tt_store_t;

/* Open flash, reset NV counter 7, set up config; does not mount. */
void tt_store_init(tt_store_t *t, uint32_t sectors, uint32_t sector_size, uint32_t align,
                   size_t max_objects, size_t max_data);
ms_err_t tt_store_mount(tt_store_t *t);
void tt_store_close(tt_store_t *t);

#define TT_NVC 7u

/* The TEE services on simulated flash: ITS on 4 sectors and PS on
 * ps_sectors sectors of 4 KiB, a HUK of bytes huk_byte, both NV counters
 * reset, then the RNG and the storage partition started. */
ms_err_t tt_services_open(tt_flash_t *its, tt_flash_t *ps, uint32_t ps_sectors,
                          uint8_t huk_byte);
void tt_services_close(tt_flash_t *its, tt_flash_t *ps);

/* CRC-32 (IEEE 802.3, reflected), as the store frames its headers. */
uint32_t tt_crc32(const uint8_t *p, size_t len);

/* The attacker's tool: after editing a 64-byte record header copy, make
 * its CRC (CRC-32 of bytes 0..59, stored at 60) match again. */
void tt_header_fix_crc(uint8_t *copy);

/* Deterministic test data: byte i of object `uid` version `ver`. */
void tt_fill(uint8_t *buf, size_t len, uint64_t uid, uint32_t ver);

#endif /* MS_TEE_TEST_UTIL_H */
