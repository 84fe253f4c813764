/* SPDX-License-Identifier: Apache-2.0 */
/*
 * journal.c - the download journal: which package is being written and how
 * many COS sectors are complete, so the factory can resume after a power
 * cut instead of starting over.
 *
 * Slots as in flags.c (32 bytes, append-only, exact-match validity):
 *   begin:  "MSJB" | package id (16) | CRC-32 of [0..20) | "BJSM" | 00 x 4
 *   sector: "MSJE" | index | ~index | CRC-32 of [0..12) | "EJSM" | 00 x 12
 * Sector k counts as done only if the records for 0..k-1 precede it, so the
 * resume point is always the start of the first sector not known complete.
 * A torn slot is ignored; the sector it described is simply written again.
 * The journal never vouches for the COS: VERIFY re-reads the whole COS area.
 */
#include <string.h>

#include "internal.h"

#define J_BEGIN 0x4D534A42u  /* "MSJB" */
#define J_BEGIN_T 0x424A534Du
#define J_SECT  0x4D534A45u  /* "MSJE" */
#define J_SECT_T 0x454A534Du

static void enc_begin(uint8_t *rec, size_t slot, const uint8_t id[MS_CHIP_PKG_ID_LEN])
{
    memset(rec, 0, slot);
    ms_chip_put_be32(rec, J_BEGIN);
    memcpy(rec + 4, id, MS_CHIP_PKG_ID_LEN);
    ms_chip_put_be32(rec + 20, ms_chip_crc32_update(0, rec, 20));
    ms_chip_put_be32(rec + 24, J_BEGIN_T);
}

static void enc_sector(uint8_t *rec, size_t slot, uint32_t idx)
{
    memset(rec, 0, slot);
    ms_chip_put_be32(rec, J_SECT);
    ms_chip_put_be32(rec + 4, idx);
    ms_chip_put_be32(rec + 8, ~idx);
    ms_chip_put_be32(rec + 12, ms_chip_crc32_update(0, rec, 12));
    ms_chip_put_be32(rec + 16, J_SECT_T);
}

ms_err_t ms_chip_journal_scan(ms_chip_t *chip, uint8_t pkg_id[MS_CHIP_PKG_ID_LEN])
{
    uint8_t rec[64], again[64];
    const ms_flash_area_t *fa = &chip->fa_journal;
    uint32_t slot = ms_chip_slot_size(fa), slots = fa->size / slot;
    chip->journal_begun = false;
    chip->journal_done = 0;
    chip->journal_next = 0;
    for (uint32_t i = 0; i < slots; i++) {
        ms_err_t err = ms_flash_area_read(fa, i * slot, rec, slot);
        if (err != MS_OK) {
            return err;
        }
        if (ms_chip_all(rec, slot, fa->flash->erased_val)) {
            continue;
        }
        chip->journal_next = i + 1;
        uint32_t magic = ms_chip_be32(rec);
        if (magic == J_BEGIN && !chip->journal_begun) {
            enc_begin(again, slot, rec + 4);
            if (memcmp(again, rec, slot) == 0) {
                chip->journal_begun = true;
                if (pkg_id != NULL) {
                    memcpy(pkg_id, rec + 4, MS_CHIP_PKG_ID_LEN);
                }
            }
        } else if (magic == J_SECT && chip->journal_begun) {
            enc_sector(again, slot, ms_chip_be32(rec + 4));
            if (memcmp(again, rec, slot) == 0 && ms_chip_be32(rec + 4) == chip->journal_done) {
                chip->journal_done++;
            }
        }
    }
    return MS_OK;
}

static ms_err_t append(ms_chip_t *chip, const uint8_t *rec, uint32_t slot)
{
    const ms_flash_area_t *fa = &chip->fa_journal;
    if (chip->journal_next >= fa->size / slot) {
        return MS_ERR_STATE;
    }
    uint32_t at = chip->journal_next * slot;
    chip->journal_next++;
    return ms_flash_area_write(fa, at, rec, slot);
}

ms_err_t ms_chip_journal_begin(ms_chip_t *chip, const uint8_t pkg_id[MS_CHIP_PKG_ID_LEN])
{
    uint8_t rec[64];
    uint32_t slot = ms_chip_slot_size(&chip->fa_journal);
    enc_begin(rec, slot, pkg_id);
    ms_err_t err = append(chip, rec, slot);
    if (err == MS_OK) {
        chip->journal_begun = true;
        chip->journal_done = 0;
    }
    return err;
}

ms_err_t ms_chip_journal_sector_done(ms_chip_t *chip, uint32_t sector)
{
    uint8_t rec[64];
    if (sector != chip->journal_done) {
        return MS_OK; /* already recorded (a rewritten sector) */
    }
    uint32_t slot = ms_chip_slot_size(&chip->fa_journal);
    enc_sector(rec, slot, sector);
    ms_err_t err = append(chip, rec, slot);
    if (err == MS_OK) {
        chip->journal_done++;
    }
    return err;
}
