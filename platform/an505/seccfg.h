/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccfg.h - the meter's TrustZone configuration on the AN505, written
 * once by the boot loader and checked, register by register, by S12 (M4):
 * SAU (enable and every region), NSCCFG, the security response, the three
 * MPCs (control and every LUT word), the PPCs, VTOR_S, the fault enables,
 * AIRCR's security bits and the secure debug authentication.
 *
 * Registers are reached through a small I/O table, so the same check runs
 * on the hardware and, in a host unit test, on a simulated register file.
 * The expected values follow from the memory map (an505_map.h) and are
 * listed with the reason for each in docs/an505.md.
 */
#ifndef MS_AN505_SECCFG_H
#define MS_AN505_SECCFG_H

#include <stdint.h>

#include "meterseal/error.h"

typedef struct ms_an505_regio {
    uint32_t (*read32)(void *ctx, uint32_t addr);
    void (*write32)(void *ctx, uint32_t addr, uint32_t value);
    void *ctx;
} ms_an505_regio_t;

/* Memory-mapped registers, for the firmware. */
extern const ms_an505_regio_t ms_an505_mmio;

/* Write the whole configuration. */
void ms_an505_seccfg_apply(const ms_an505_regio_t *io);

/*
 * Read every register back and compare it with what it must be. MS_OK, or
 * MS_ERR_BOOT_SECURITY_CONFIG with *which naming the first register that
 * differs ("SAU_CTRL", "SAU_RLAR[1]", "MPC1_LUT[3]", ...), *got its value.
 */
ms_err_t ms_an505_seccfg_check(const ms_an505_regio_t *io, const char **which,
                               uint32_t *got);

#endif /* MS_AN505_SECCFG_H */
