/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash_nor.h - the meter's persistent flash on the AN505: the file-backed
 * PSRAM (an505_map.h) driven with the rules of a NOR part, and its
 * one-time-programmable tail.
 *
 * The same rules as the host simulator (platform/host/flash_sim.c), so the
 * boot core behaves the same on both:
 *   - erase per sector (AN505_FLASH_SECTOR), to the erased value 0xFF;
 *   - writes aligned to AN505_FLASH_WRITE_ALIGN, only onto erased bytes;
 *   - reads anywhere.
 * The OTP device has the same write rule and no erase at all, which is what
 * fuses and one-time-programmable words give a real part.
 *
 * Every state-changing operation goes through ms_an505_flash_op(), which
 * counts it: a test that cuts power (kills QEMU) at the N-th operation of an
 * install puts a breakpoint there.
 */
#ifndef MS_AN505_FLASH_NOR_H
#define MS_AN505_FLASH_NOR_H

#include <stdint.h>

#include "meterseal/hal.h"

/* The NOR part (slots, secure storage) and the OTP part, ready to use. */
extern const ms_flash_t ms_an505_nor;
extern const ms_flash_t ms_an505_otp;
/* The whole OTP device as an area (what otp.h takes). */
extern const ms_flash_area_t ms_an505_otp_area;

/* State-changing operations since reset (write calls + sectors erased). */
extern volatile uint32_t ms_an505_flash_ops;

/* Called at the start of every state-changing operation; a breakpoint here
 * is where a power-cut test stops the meter. */
void ms_an505_flash_op(uint32_t kind, uint32_t off, uint32_t len);

#endif /* MS_AN505_FLASH_NOR_H */
