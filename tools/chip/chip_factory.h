/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_factory.h - the factory writer's logic, independent of how APDUs
 * travel (PC/SC in the `meterseal chip write` tool, a direct call in the
 * tests), and the vendor's side of the 84 DE loader reload. Host only.
 *
 * The write sequence (C4 steps 204-210 seen from the writer):
 *   GET DATA mode -> GET DATA serial -> licence for that serial ->
 *   GET DATA progress -> (resume, or ERASE) -> DECRYPT header ->
 *   KEY DIVERSIFY (licence) -> DECRYPT data... -> VERIFY.
 * A download interrupted by a power cut resumes from the chip's journal
 * when the same package is written again.
 */
#ifndef MS_CHIP_FACTORY_H
#define MS_CHIP_FACTORY_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/chip.h"

/* Send one command APDU, get the response (data || SW). MS_ERR_POWER_LOST or
 * MS_ERR_IO if the card went away. */
typedef ms_err_t (*ms_chip_transmit_fn)(void *ctx, const uint8_t *cmd, size_t cmd_len,
                                        uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

/* Find the licence for a chip serial: fill lic (68 bytes) and return MS_OK,
 * or MS_ERR_NOT_FOUND. */
typedef ms_err_t (*ms_chip_licence_fn)(void *ctx, const uint8_t uid[MS_CHIP_UID_LEN],
                                       uint8_t lic[MS_CHIP_LIC_LEN]);

/* Progress: bytes of the COS written so far, of total. */
typedef void (*ms_chip_progress_fn)(void *ctx, uint32_t done, uint32_t total);

typedef struct ms_chip_writer {
    ms_chip_transmit_fn transmit;
    void *transmit_ctx;
    ms_chip_licence_fn licence;
    void *licence_ctx;
    ms_chip_progress_fn progress;   /* may be NULL */
    void *progress_ctx;
    size_t chunk;                   /* COS bytes per DECRYPT, multiple of 32 (default 224) */
    int no_resume;                  /* always ERASE first */
} ms_chip_writer_t;

typedef struct ms_chip_report {
    uint8_t uid[MS_CHIP_UID_LEN];
    int have_uid;
    const char *step;               /* where it stopped ("done" on success) */
    uint16_t sw;                    /* last status word */
    uint32_t resumed_from;          /* 0 unless a download was resumed */
    uint32_t cos_len;
    uint32_t apdus;
    uint64_t bytes_sent;
    uint8_t kcv[9];                 /* KCVs of the chip's diversified keys */
} ms_chip_report_t;

/* Write one chip. MS_OK when VERIFY answered 9000. Otherwise report says
 * which step failed and with which status word. A download resumed from
 * the chip's journal that the chip refuses is started over once with ERASE. */
ms_err_t ms_chip_factory_write(const ms_chip_writer_t *w, const uint8_t *pkg, size_t pkg_len,
                               ms_chip_report_t *report);

/* Vendor: reload a loader image into a chip in COS mode with 84 DE
 * (INITIALIZE UPDATE + 84 DE blocks + final hash). Static keys: the chip's
 * diversified ENC/MAC keys (kdf3 for SCP03, EMV for SCP02). */
ms_err_t ms_chip_factory_reload_loader(ms_chip_transmit_fn transmit, void *ctx, ms_chip_scp_t scp,
                                       const uint8_t k_enc[MS_CHIP_KEY_LEN],
                                       const uint8_t k_mac[MS_CHIP_KEY_LEN],
                                       const uint8_t *loader, size_t loader_len, uint16_t *sw);

/* Text for a status word ("9000 success", "6982 security status not satisfied"). */
const char *ms_chip_sw_text(uint16_t sw);

#endif /* MS_CHIP_FACTORY_H */
