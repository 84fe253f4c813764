/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_hsm.h - the licence HSM as a card: it holds the vendor's master key
 * and one package's image key, and issues per-chip licences (chip_formats.h)
 * only while its budget lasts: over-production control that the factory
 * cannot reset (the counter only moves forward, in the card's own flash).
 *
 * APDUs (CLA 80):
 *   80 4C 00 00 1A serial (10) || package id (16)   ISSUE LICENCE -> licence (68)
 *   80 CA 00 05                                     budget (4), issued (4), left (4), package id (16)
 *   00 C0 00 00 Le                                  GET RESPONSE (after a 61xx)
 * 6985 when the budget is used up, 6A80 for another package, 6581 if the
 * counter could not be advanced (then no licence leaves the card).
 */
#ifndef MS_CHIP_HSM_H
#define MS_CHIP_HSM_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/chip.h"
#include "meterseal/chip_formats.h"
#include "meterseal/hal.h"

#define MS_CHIP_INS_ISSUE     0x4Cu
#define MS_CHIP_TAG_BUDGET    0x0005u

typedef struct ms_chip_hsm {
    ms_flash_area_t fa_cfg;     /* first sector: the configuration record */
    ms_flash_area_t fa_count;   /* the rest: one slot per licence issued */
    uint8_t method;             /* ms_chip_div_method_t */
    uint8_t mk[MS_CHIP_KEY_LEN];
    uint8_t image_key[MS_CHIP_KEY_LEN];
    uint8_t pkg_id[MS_CHIP_PKG_ID_LEN];
    uint32_t budget;
    uint32_t issued;            /* slots used, torn ones included */
    uint8_t ready;
    ms_chip_held_t held;        /* response data for GET RESPONSE */
} ms_chip_hsm_t;

/* Vendor: erase the device and write the configuration. budget must fit the
 * counter area (one 32-byte slot per licence). */
ms_err_t ms_chip_hsm_provision(const ms_flash_t *flash, ms_chip_div_method_t method,
                               const uint8_t mk[MS_CHIP_KEY_LEN],
                               const uint8_t image_key[MS_CHIP_KEY_LEN],
                               const uint8_t pkg_id[MS_CHIP_PKG_ID_LEN], uint32_t budget);

/* Power-on: read the configuration and count the issued licences. */
ms_err_t ms_chip_hsm_boot(ms_chip_hsm_t *hsm, const ms_flash_t *flash);

/* One command APDU; response data || SW into rsp (cap >= 2; 70 is enough).
 * Le is honoured as by ms_chip_apdu() (61xx + GET RESPONSE without Le; an
 * ISSUE LICENCE whose Le is under 68 answers 6C44 and spends no licence). */
uint16_t ms_chip_hsm_apdu(ms_chip_hsm_t *hsm, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                          size_t rsp_cap, size_t *rsp_len);

#endif /* MS_CHIP_HSM_H */
