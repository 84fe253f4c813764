/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hal.h - the hardware abstraction the portable core is allowed to use.
 *
 * The portable core (image, boot, tee, chip, crypto wrapper) never includes a
 * platform header. It reaches hardware only through this file:
 *   - flash: devices described by a small ops table (several devices may
 *     exist: internal flash, an external part, the chip's own flash), and
 *     flash areas (a window of a device) that bounds-check every access;
 *   - entropy, clock and UART: one instance each, resolved at link time.
 *
 * Platforms implement it: platform/host (files, power-cut injection,
 * getrandom) and platform/an505 (Cortex-M33 under QEMU).
 */
#ifndef MS_HAL_H
#define MS_HAL_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"

/* ---- flash devices ------------------------------------------------------ */

/*
 * NOR-flash rules every driver enforces and the core relies on:
 *   - erase works on whole sectors and sets every byte to erased_val;
 *   - write needs offset and length aligned to write_align, and the target
 *     bytes must be erased (no overwrite without erase);
 *   - read has no alignment rule.
 * Offsets are relative to the device. A failed operation returns an error;
 * MS_ERR_POWER_LOST means the device lost power mid-operation and nothing
 * more can be done until the (simulated) next boot.
 */
struct ms_flash_ops {
    ms_err_t (*read)(void *dev, uint32_t off, void *buf, size_t len);
    ms_err_t (*write)(void *dev, uint32_t off, const void *buf, size_t len);
    ms_err_t (*erase)(void *dev, uint32_t off, size_t len);
};

typedef struct ms_flash {
    const struct ms_flash_ops *ops;
    void *dev;              /* driver state */
    uint32_t size;          /* bytes */
    uint32_t sector_size;   /* erase unit; uniform sectors */
    uint32_t write_align;   /* program unit: 1, 2, 4, 8, 16 or 32 */
    uint8_t erased_val;     /* 0xff on most NOR parts */
} ms_flash_t;

/* A window [off, off+size) of a device; every access is checked against it. */
typedef struct ms_flash_area {
    const ms_flash_t *flash;
    uint32_t off;
    uint32_t size;
} ms_flash_area_t;

/* Bounds- and alignment-checked access to an area. Offsets are relative to
 * the area. Out-of-range or misaligned requests return MS_ERR_ARG without
 * touching the device. */
ms_err_t ms_flash_area_read(const ms_flash_area_t *fa, uint32_t off, void *buf, size_t len);
ms_err_t ms_flash_area_write(const ms_flash_area_t *fa, uint32_t off, const void *buf, size_t len);
/* off and len must be sector-aligned. */
ms_err_t ms_flash_area_erase(const ms_flash_area_t *fa, uint32_t off, size_t len);
/* Erase the whole area. */
ms_err_t ms_flash_area_erase_all(const ms_flash_area_t *fa);
/* MS_OK and *erased = 1 when every byte of [off, off+len) is erased_val. */
ms_err_t ms_flash_area_is_erased(const ms_flash_area_t *fa, uint32_t off, size_t len, int *erased);

/*
 * A flash device over plain RAM: the execution region an image is copied to
 * before it is verified and run (RAM load). Reads and writes are plain
 * copies (RAM needs no erase before a write); erase fills with erased_val.
 * Sectors of 1 KiB, writes of any alignment.
 */
typedef struct ms_flash_ram {
    ms_flash_t flash;       /* hand &ram->flash to an area */
    uint8_t *mem;
} ms_flash_ram_t;

void ms_flash_ram_init(ms_flash_ram_t *ram, void *mem, uint32_t size);

/* ---- entropy, clock, UART (one per platform, link-time) ----------------- */

/* Fill buf from the platform's true random source (TRNG, getrandom()).
 * This is raw entropy for seeding a DRBG, not for direct use. */
ms_err_t ms_hal_rng_entropy(uint8_t *buf, size_t len);

/* Milliseconds since an arbitrary start; monotonic. */
uint64_t ms_hal_clock_ms(void);

/* Byte stream to the comms module. read waits at most timeout_ms and
 * reports how many bytes arrived in *got. */
ms_err_t ms_hal_uart_write(const void *buf, size_t len);
ms_err_t ms_hal_uart_read(void *buf, size_t len, size_t *got, uint32_t timeout_ms);

#endif /* MS_HAL_H */
