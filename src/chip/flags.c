/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flags.c - the mode flags Flag1 (LOADER / COS) and Flag2 (INITIAL / USER)
 * in the last flash sector (C2, C4 step 210).
 *
 * Encoding: the sector is a row of slots (32 bytes, or the write unit if
 * larger). A state change appends one record to the next erased slot; a
 * record is never rewritten and the sector is never erased by the chip.
 *   0 "MSFG" | 4 seq | 8 flag1 (A5 LOADER, 5A COS) | 9 flag2 (C3 INITIAL,
 *   3C USER) | 10 00 00 | 12 cos_len | 16 cos_crc | 20 CRC-32 of [0..20) |
 *   24 ~CRC-32 | 28 "GFSM" | rest of the slot 00.
 * The state in force is the valid record with the highest seq; no valid
 * record means LOADER / INITIAL (a blank chip).
 * Why a power cut can never give an ambiguous state: NOR programming only
 * moves bits one way (erased -> programmed), so a write cut short leaves a
 * slot whose bytes lie "between" erased and the record. Such a slot can equal
 * the full record only if every bit got programmed, i.e. the write finished.
 * A slot is valid only if it matches a record exactly (magic, CRC, its
 * complement, trailer, known flag values), so a torn slot reads as "not
 * written": the previous state stays in force, deterministically. Torn slots
 * are skipped, never reused. Each slot is checked after writing.
 * The sector holds 128 records (4 KiB) - far more than the state changes
 * of a chip's life (a download is two records).
 */
#include <string.h>

#include "internal.h"

#define FLAG_MAGIC   0x4D534647u  /* "MSFG" */
#define FLAG_TRAILER 0x4746534Du  /* "GFSM" */
#define REC_LEN 32u

static void encode(uint8_t *rec, size_t slot, uint32_t seq, uint8_t f1, uint8_t f2,
                   uint32_t cos_len, uint32_t cos_crc)
{
    memset(rec, 0, slot);
    ms_chip_put_be32(rec, FLAG_MAGIC);
    ms_chip_put_be32(rec + 4, seq);
    rec[8] = f1;
    rec[9] = f2;
    ms_chip_put_be32(rec + 12, cos_len);
    ms_chip_put_be32(rec + 16, cos_crc);
    uint32_t crc = ms_chip_crc32_update(0, rec, 20);
    ms_chip_put_be32(rec + 20, crc);
    ms_chip_put_be32(rec + 24, ~crc);
    ms_chip_put_be32(rec + 28, FLAG_TRAILER);
}

static int valid_flags(uint8_t f1, uint8_t f2)
{
    return (f1 == MS_CHIP_MODE_LOADER || f1 == MS_CHIP_MODE_COS) &&
           (f2 == MS_CHIP_STATE_INITIAL || f2 == MS_CHIP_STATE_USER);
}

/* A slot is a record only if re-encoding its fields gives it back exactly. */
static int decode(const uint8_t *rec, size_t slot)
{
    uint8_t again[64];
    if (slot > sizeof again || ms_chip_be32(rec) != FLAG_MAGIC || !valid_flags(rec[8], rec[9])) {
        return 0;
    }
    encode(again, slot, ms_chip_be32(rec + 4), rec[8], rec[9], ms_chip_be32(rec + 12),
           ms_chip_be32(rec + 16));
    return memcmp(again, rec, slot) == 0;
}

ms_err_t ms_chip_flags_read(const ms_flash_area_t *fa, ms_chip_flags_t *f)
{
    uint8_t rec[64];
    if (fa == NULL || f == NULL || fa->flash == NULL) {
        return MS_ERR_ARG;
    }
    uint32_t slot = ms_chip_slot_size(fa);
    if (slot > sizeof rec) {
        return MS_ERR_UNSUPPORTED;
    }
    memset(f, 0, sizeof *f);
    f->flag1 = MS_CHIP_MODE_LOADER;
    f->flag2 = MS_CHIP_STATE_INITIAL;
    f->slots = fa->size / slot;
    uint32_t next = 0;
    for (uint32_t i = 0; i < f->slots; i++) {
        ms_err_t err = ms_flash_area_read(fa, i * slot, rec, slot);
        if (err != MS_OK) {
            return err;
        }
        if (ms_chip_all(rec, slot, fa->flash->erased_val)) {
            continue;
        }
        next = i + 1;
        if (decode(rec, slot) && ms_chip_be32(rec + 4) >= f->seq) {
            f->seq = ms_chip_be32(rec + 4);
            f->flag1 = rec[8];
            f->flag2 = rec[9];
            f->cos_len = ms_chip_be32(rec + 12);
            f->cos_crc = ms_chip_be32(rec + 16);
        }
    }
    f->next_slot = next;
    return MS_OK;
}

ms_err_t ms_chip_flags_write(const ms_flash_area_t *fa, ms_chip_flags_t *f, uint8_t flag1,
                             uint8_t flag2, uint32_t cos_len, uint32_t cos_crc)
{
    uint8_t rec[64], back[64];
    if (fa == NULL || f == NULL || !valid_flags(flag1, flag2)) {
        return MS_ERR_ARG;
    }
    uint32_t slot = ms_chip_slot_size(fa);
    if (slot > sizeof rec) {
        return MS_ERR_UNSUPPORTED;
    }
    if (f->next_slot >= f->slots) {
        return MS_ERR_STATE; /* flag sector used up */
    }
    uint32_t at = f->next_slot * slot;
    f->next_slot++; /* the slot is spent whatever happens next */
    encode(rec, slot, f->seq + 1, flag1, flag2, cos_len, cos_crc);
    ms_err_t err = ms_flash_area_write(fa, at, rec, slot);
    if (err == MS_OK) {
        err = ms_flash_area_read(fa, at, back, slot);
    }
    if (err == MS_OK && memcmp(back, rec, slot) != 0) {
        err = MS_ERR_FLASH_WRITE;
    }
    if (err != MS_OK) {
        return err;
    }
    f->seq++;
    f->flag1 = flag1;
    f->flag2 = flag2;
    f->cos_len = cos_len;
    f->cos_crc = cos_crc;
    return MS_OK;
}
