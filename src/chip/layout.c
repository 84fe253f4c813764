/* SPDX-License-Identifier: Apache-2.0 */
/*
 * layout.c - the chip's flash map (C2): OsStart, Loader OS, COS, download
 * journal, COS data, mode flags (last sector), contiguous or with erased
 * gaps between areas, and small helpers over areas.
 * Invariant: a checked map has sector-aligned, non-overlapping areas in
 * that order, inside the device, with the flags in the very last sector.
 */
#include <string.h>

#include "internal.h"

uint32_t ms_chip_slot_size(const ms_flash_area_t *fa)
{
    uint32_t a = fa->flash->write_align;
    return a > 32u ? a : 32u;
}

int ms_chip_all(const uint8_t *buf, size_t len, uint8_t v)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        acc |= (uint8_t)(buf[i] ^ v);
    }
    return acc == 0;
}

ms_err_t ms_chip_layout_default(const ms_flash_t *flash, bool gaps, ms_chip_layout_t *m)
{
    if (flash == NULL || m == NULL || flash->sector_size == 0) {
        return MS_ERR_ARG;
    }
    uint32_t s = flash->sector_size, total = flash->size / s, g = gaps ? 1u : 0u;
    /* 1 osstart + 4 loader + journal + 4 data + 1 flags + gaps, rest COS.
     * The journal needs one slot per COS sector plus slack for torn slots. */
    uint32_t fixed = 1 + 4 + 4 + 1 + 4 * g;
    if (total < fixed + 4) {
        return MS_ERR_ARG;
    }
    uint32_t slot = flash->write_align > 32 ? flash->write_align : 32;
    uint32_t per = s / slot;
    uint32_t cos = total - fixed, jr = 1;
    for (;;) {
        jr = (cos + 1 + 32 + per - 1) / per;
        if (fixed + jr + cos <= total) {
            break;
        }
        cos--;
    }
    memset(m, 0, sizeof *m);
    uint32_t at = 0;
    m->osstart_off = at; m->osstart_size = s; at += s + g * s;
    m->loader_off = at; m->loader_size = 4 * s; at += 4 * s + g * s;
    m->cos_off = at; m->cos_size = cos * s; at += cos * s + g * s;
    m->journal_off = at; m->journal_size = jr * s; at += jr * s;
    m->data_off = at; m->data_size = 4 * s; at += 4 * s + g * s;
    m->flags_off = (total - 1) * s; m->flags_size = s;
    (void)at;
    return ms_chip_layout_check(flash, m);
}

ms_err_t ms_chip_layout_check(const ms_flash_t *flash, const ms_chip_layout_t *m)
{
    if (flash == NULL || m == NULL || flash->sector_size == 0) {
        return MS_ERR_ARG;
    }
    const uint32_t offs[6] = {m->osstart_off, m->loader_off, m->cos_off,
                              m->journal_off, m->data_off, m->flags_off};
    const uint32_t sizes[6] = {m->osstart_size, m->loader_size, m->cos_size,
                               m->journal_size, m->data_size, m->flags_size};
    uint64_t end = 0;
    for (int i = 0; i < 6; i++) {
        if (sizes[i] == 0 || offs[i] % flash->sector_size != 0 ||
            sizes[i] % flash->sector_size != 0 || offs[i] < end) {
            return MS_ERR_ARG;
        }
        end = (uint64_t)offs[i] + sizes[i];
    }
    if (end != flash->size || m->flags_size != flash->sector_size) {
        return MS_ERR_ARG;
    }
    if (flash->write_align > 32 || MS_CHIP_WORK_LEN % flash->write_align != 0) {
        return MS_ERR_UNSUPPORTED;
    }
    return MS_OK;
}

ms_err_t ms_chip_erase_dirty(const ms_flash_area_t *fa, uint32_t off, uint32_t len)
{
    uint32_t s = fa->flash->sector_size;
    for (uint32_t pos = off; pos < off + len; pos += s) {
        int erased = 0;
        ms_err_t err = ms_flash_area_is_erased(fa, pos, s, &erased);
        if (err != MS_OK) {
            return err;
        }
        if (!erased) {
            err = ms_flash_area_erase(fa, pos, s);
            if (err != MS_OK) {
                return err;
            }
        }
    }
    return MS_OK;
}

ms_err_t ms_chip_erase_gaps(const ms_chip_t *chip)
{
    const ms_chip_layout_t *m = &chip->map;
    const ms_flash_area_t dev = {chip->flash, 0, chip->flash->size};
    /* Each area's end and the next area's start, in flash order. */
    const uint32_t ends[5] = {m->osstart_off + m->osstart_size, m->loader_off + m->loader_size,
                              m->cos_off + m->cos_size, m->journal_off + m->journal_size,
                              m->data_off + m->data_size};
    const uint32_t starts[5] = {m->loader_off, m->cos_off, m->journal_off, m->data_off,
                                m->flags_off};
    for (int i = 0; i < 5; i++) {
        if (starts[i] > ends[i]) {
            ms_err_t err = ms_chip_erase_dirty(&dev, ends[i], starts[i] - ends[i]);
            if (err != MS_OK) {
                return err;
            }
        }
    }
    return MS_OK;
}
