/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c - the COS data store: an append-only log of tagged values in the
 * COS data area, holding pre-personalisation and personalisation data
 * (C7, STORE DATA) and the COS's internal records (84 DE static keys, the
 * SCP02 sequence counter).
 *
 * Record, slot-aligned (32 bytes or the write unit), written with one call:
 *   0 D5 | 1 00 | 2 tag (2) | 4 length (2, <= 240) | 6 value | CRC-32 of all
 *   before it (4) | 00 padding to the slot size.
 * The latest valid record of a tag is its value. A torn record fails its
 * CRC and is skipped whole (by its header's length when that still reads as
 * a header, else one slot), so its value is never parsed as records; the
 * log ends at the first erased slot.
 * Tags from 7F00 up are internal and never readable through GET DATA; the
 * work buffer that reads records is wiped after every walk (no key stays).
 */
#include <string.h>

#include "internal.h"

#define REC_MAGIC 0xD5u
#define REC_HDR 6u

typedef struct rec_pos {
    uint32_t off;
    uint16_t tag;
    uint16_t len;
} rec_pos_t;

static uint32_t rec_size(uint32_t len, uint32_t slot)
{
    uint32_t n = REC_HDR + len + 4u;
    return (n + slot - 1u) / slot * slot;
}

/* Validate the record at off (reads it into chip->work). */
static int rec_valid(ms_chip_t *chip, uint32_t off, rec_pos_t *rp, ms_err_t *err)
{
    const ms_flash_area_t *fa = &chip->fa_data;
    uint32_t slot = ms_chip_slot_size(fa);
    uint8_t *w = chip->work;
    *err = ms_flash_area_read(fa, off, w, REC_HDR);
    if (*err != MS_OK || w[0] != REC_MAGIC || w[1] != 0) {
        return 0;
    }
    uint16_t len = ms_chip_be16(w + 4);
    if (len > MS_CHIP_STORE_MAX) {
        return 0;
    }
    uint32_t sz = rec_size(len, slot);
    if (sz > MS_CHIP_WORK_LEN || sz > fa->size - off) {
        return 0;
    }
    *err = ms_flash_area_read(fa, off, w, sz);
    if (*err != MS_OK) {
        return 0;
    }
    uint32_t crc = ms_chip_crc32_update(0, w, REC_HDR + len);
    if (ms_chip_be32(w + REC_HDR + len) != crc || !ms_chip_all(w + REC_HDR + len + 4,
                                                              sz - REC_HDR - len - 4, 0)) {
        return 0;
    }
    rp->off = off;
    rp->tag = ms_chip_be16(w + 2);
    rp->len = len;
    return 1;
}

/* Span of an invalid record at off (its header is in chip->work). NOR
 * programs a write in order, so a cut leaves whole units, one torn unit and
 * erased bytes: if the header unit still reads as a header, the slots its
 * length covers belong to that record and are skipped together. Parsing
 * them slot by slot would read the torn record's value (STORE DATA bytes
 * from outside) as records - a way to plant an internal record such as the
 * 84 DE keys. If the length itself is torn, the header unit was the one
 * cut and nothing after it was programmed: a wrong span only skips erased
 * slots. Anything else advances by one slot. */
static uint32_t torn_size(const ms_chip_t *chip, uint32_t off, uint32_t slot)
{
    const uint8_t *w = chip->work;
    if (w[0] != REC_MAGIC || w[1] != 0) {
        return slot;
    }
    uint16_t len = ms_chip_be16(w + 4);
    uint32_t sz = rec_size(len, slot);
    if (len > MS_CHIP_STORE_MAX || sz > chip->fa_data.size - off) {
        return slot;
    }
    return sz;
}

/* Walk the log; with tag != 0 remember the last record of that tag. */
static ms_err_t walk_log(ms_chip_t *chip, uint16_t tag, rec_pos_t *found, int *have)
{
    const ms_flash_area_t *fa = &chip->fa_data;
    uint32_t slot = ms_chip_slot_size(fa);
    uint32_t off = 0;
    *have = 0;
    while (off + slot <= fa->size) {
        int erased = 0;
        ms_err_t err = ms_flash_area_is_erased(fa, off, slot, &erased);
        if (err != MS_OK) {
            return err;
        }
        if (erased) {
            break;
        }
        rec_pos_t rp;
        if (rec_valid(chip, off, &rp, &err)) {
            if (tag != 0 && rp.tag == tag) {
                *found = rp;
                *have = 1;
            }
            off += rec_size(rp.len, slot);
        } else {
            if (err != MS_OK) {
                return err;
            }
            /* A torn record: skip all of it, never parse its value. */
            off += torn_size(chip, off, slot);
        }
    }
    chip->store_next = off;
    return MS_OK;
}

/* The walk reads every record, the 84 DE key record included, through the
 * work buffer: wipe it so no key stays in RAM after a GET or PUT. */
static ms_err_t walk(ms_chip_t *chip, uint16_t tag, rec_pos_t *found, int *have)
{
    ms_err_t err = walk_log(chip, tag, found, have);
    ms_secure_zero(chip->work, sizeof chip->work);
    return err;
}

ms_err_t ms_chip_store_scan(ms_chip_t *chip)
{
    rec_pos_t rp;
    int have;
    return walk(chip, 0, &rp, &have);
}

uint32_t ms_chip_store_rec_size(const ms_chip_t *chip, size_t len)
{
    return rec_size((uint32_t)len, ms_chip_slot_size(&chip->fa_data));
}

ms_err_t ms_chip_store_free(ms_chip_t *chip, uint32_t *free_bytes)
{
    ms_err_t err = ms_chip_store_scan(chip);
    if (err != MS_OK) {
        return err;
    }
    uint32_t size = chip->fa_data.size;
    *free_bytes = chip->store_next < size ? size - chip->store_next : 0;
    return MS_OK;
}

ms_err_t ms_chip_store_put(ms_chip_t *chip, uint16_t tag, const uint8_t *val, size_t len)
{
    const ms_flash_area_t *fa = &chip->fa_data;
    uint32_t slot = ms_chip_slot_size(fa);
    if (tag == 0 || len > MS_CHIP_STORE_MAX || (val == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_chip_store_scan(chip);
    if (err != MS_OK) {
        return err;
    }
    uint32_t sz = rec_size((uint32_t)len, slot);
    if (sz > MS_CHIP_WORK_LEN) {
        return MS_ERR_ARG;
    }
    if (chip->store_next > fa->size || sz > fa->size - chip->store_next) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    uint8_t *w = chip->work;
    memset(w, 0, sz);
    w[0] = REC_MAGIC;
    ms_chip_put_be16(w + 2, tag);
    ms_chip_put_be16(w + 4, (uint16_t)len);
    if (len != 0) {
        memmove(w + REC_HDR, val, len);
    }
    ms_chip_put_be32(w + REC_HDR + len, ms_chip_crc32_update(0, w, REC_HDR + len));
    err = ms_flash_area_write(fa, chip->store_next, w, sz);
    ms_secure_zero(w, MS_CHIP_WORK_LEN);
    if (err == MS_OK) {
        chip->store_next += sz;
    }
    return err;
}

ms_err_t ms_chip_store_get(ms_chip_t *chip, uint16_t tag, uint8_t *val, size_t cap, size_t *len)
{
    rec_pos_t rp;
    int have;
    ms_err_t err = walk(chip, tag, &rp, &have);
    if (err != MS_OK) {
        return err;
    }
    if (!have) {
        return MS_ERR_NOT_FOUND;
    }
    if (rp.len > cap) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    err = ms_flash_area_read(&chip->fa_data, rp.off + REC_HDR, val, rp.len);
    if (err == MS_OK) {
        *len = rp.len;
    }
    return err;
}
