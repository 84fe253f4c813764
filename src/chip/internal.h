/* SPDX-License-Identifier: Apache-2.0 */
/*
 * internal.h - helpers shared by the chip's source files (not public).
 *
 * Byte-order helpers, the on-flash record layouts of the download journal
 * and the COS data store, and the per-mode command handlers the dispatcher
 * in chip.c calls.
 */
#ifndef MS_CHIP_INTERNAL_H
#define MS_CHIP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/chip.h"

static inline uint32_t ms_chip_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void ms_chip_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint16_t ms_chip_be16(const uint8_t *p)
{
    return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

static inline void ms_chip_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Record slot size used by flags, journal and store: max(32, write_align). */
uint32_t ms_chip_slot_size(const ms_flash_area_t *fa);

/* True if every byte of buf equals v. */
int ms_chip_all(const uint8_t *buf, size_t len, uint8_t v);

/* ---- download journal (journal.c) ---------------------------------------- */

/* Scan the journal: whether a download was begun (and for which package),
 * how many COS sectors are recorded complete, and the next free slot. */
ms_err_t ms_chip_journal_scan(ms_chip_t *chip, uint8_t pkg_id[MS_CHIP_PKG_ID_LEN]);
ms_err_t ms_chip_journal_begin(ms_chip_t *chip, const uint8_t pkg_id[MS_CHIP_PKG_ID_LEN]);
ms_err_t ms_chip_journal_sector_done(ms_chip_t *chip, uint32_t sector);

/* ---- COS data store (store.c) --------------------------------------------- */

#define MS_CHIP_DGI_KEYS     0x7F01u  /* COS static keys for 84 DE (internal) */
#define MS_CHIP_DGI_SEQ      0x7F02u  /* SCP02 sequence counter (internal) */
#define MS_CHIP_DGI_INTERNAL 0x7F00u  /* tags >= this are never readable */
#define MS_CHIP_STORE_MAX    240u     /* largest value */

ms_err_t ms_chip_store_scan(ms_chip_t *chip);
ms_err_t ms_chip_store_put(ms_chip_t *chip, uint16_t tag, const uint8_t *val, size_t len);
/* Bytes of the data area a record with a len-byte value takes. */
uint32_t ms_chip_store_rec_size(const ms_chip_t *chip, size_t len);
/* Free bytes left in the data area (scans the log). */
ms_err_t ms_chip_store_free(ms_chip_t *chip, uint32_t *free_bytes);
/* Latest value of tag: MS_ERR_NOT_FOUND if absent. */
ms_err_t ms_chip_store_get(ms_chip_t *chip, uint16_t tag, uint8_t *val, size_t cap, size_t *len);

/* ---- command handlers ---------------------------------------------------- */

typedef struct ms_chip_rsp {
    uint8_t *buf;
    size_t cap;   /* bytes available for data (SW excluded) */
    size_t len;
} ms_chip_rsp_t;

/* CLA 00 (interindustry) or 80 (proprietary): no secure messaging, no
 * command chaining, basic logical channel. */
static inline int ms_chip_cla_plain(uint8_t cla)
{
    return cla == 0x00 || cla == MS_CHIP_CLA_PROP;
}

/* One card's command handler, given a parsed command (not GET RESPONSE). */
typedef uint16_t (*ms_chip_handler_fn)(void *card, const ms_chip_apdu_t *a, ms_chip_rsp_t *r);

/*
 * One command APDU through the ISO 7816-4 response rules (apdu.c): parse
 * (6700 when the lengths do not add up); GET RESPONSE is served from held;
 * any other command drops held, goes to fn, and its data is held (61xx)
 * when it had no Le, refused (6Cxx) when Le is shorter than the data, or
 * returned. Writes data || SW to rsp; held NULL answers 6985 (no card).
 */
uint16_t ms_chip_apdu_run(ms_chip_held_t *held, ms_chip_handler_fn fn, void *card,
                          const uint8_t *cmd, size_t cmd_len, uint8_t *rsp, size_t rsp_cap,
                          size_t *rsp_len);

/* For a command that changes state and answers n bytes: call it before it
 * changes anything. MS_SW_OK, or 6Cnn when Le asks for fewer than n bytes
 * (the command is then re-sent; it must not have acted), or 6700 when the
 * response buffer is too small. */
uint16_t ms_chip_rsp_room(const ms_chip_apdu_t *a, const ms_chip_rsp_t *r, size_t n);

uint16_t ms_chip_loader_command(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r);
uint16_t ms_chip_cos_command(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r);

/* Erase [off, off+len) of an area sector by sector, skipping erased sectors. */
ms_err_t ms_chip_erase_dirty(const ms_flash_area_t *fa, uint32_t off, uint32_t len);

/* C4: erase the erased-by-design gaps between the areas of the flash map. */
ms_err_t ms_chip_erase_gaps(const ms_chip_t *chip);

/* Load the loader image's master keys from the Loader area. */
ms_err_t ms_chip_loader_load(ms_chip_t *chip);

#endif /* MS_CHIP_INTERNAL_H */
