/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trailer.c - reading and writing MCUboot's image trailer in flash at boot
 * time (the layout itself comes from ms_trailer_layout()), and MCUboot's
 * table that turns the two slots' trailers into a swap type.
 *
 * Field encodings (MCUboot): magic is 16 fixed bytes (GOOD; for a max_align
 * other than 8, MCUboot's alternative form, see ms_trailer_magic_for), all erased
 * (UNSET) or anything else (BAD); copy_done and image_ok are one byte, 0x01
 * SET, erased UNSET, else BAD; swap_info is (image_num << 4) | swap_type;
 * swap_size a little-endian u32. Each field is written as one write unit,
 * padded with the erased value. Swap status entries are one write unit each
 * and count as done as soon as any bit of them is programmed: a status
 * entry is written only after the step it records has completed, so even a
 * torn status write means the step is done (M6).
 *
 * Invariant: a field is only written over erased flash; a caller that finds
 * a BAD field erases the trailer sectors and starts the trailer again.
 */
#include "boot_priv.h"

#include <string.h>

static ms_err_t read_flag(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                          uint32_t off, ms_boot_flag_state_t *out)
{
    uint8_t v;
    ms_err_t err = ms_flash_area_read(fa, off, &v, 1);
    if (err != MS_OK) {
        return err;
    }
    *out = v == g->erased ? MS_BOOT_FLAG_UNSET : v == 0x01 ? MS_BOOT_FLAG_SET : MS_BOOT_FLAG_BAD;
    return MS_OK;
}

/* Read and decode a slot's trailer. */
ms_err_t ms_boot_trailer_read(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                              ms_boot_trailer_state_t *st)
{
    uint8_t magic[16];
    ms_err_t err = ms_flash_area_read(fa, g->lay.magic_off, magic, sizeof(magic));
    if (err != MS_OK) {
        return err;
    }
    size_t n_erased = 0;
    for (size_t i = 0; i < sizeof(magic); i++) {
        n_erased += magic[i] == g->erased;
    }
    if (n_erased == sizeof(magic)) {
        st->magic = MS_BOOT_MAGIC_UNSET;
    } else if (memcmp(magic, g->magic, sizeof(magic)) == 0) {
        st->magic = MS_BOOT_MAGIC_GOOD;
    } else {
        st->magic = MS_BOOT_MAGIC_BAD;
    }
    if ((err = read_flag(fa, g, g->lay.copy_done_off, &st->copy_done)) != MS_OK ||
        (err = read_flag(fa, g, g->lay.image_ok_off, &st->image_ok)) != MS_OK) {
        return err;
    }
    st->swap_type = MS_BOOT_SWAP_NONE;
    st->image_num = 0;
    st->swap_size = 0;
    if (g->lay.swap_info_off == g->lay.copy_done_off) {
        return MS_OK;   /* overwrite-only layout: no swap fields */
    }
    uint8_t info;
    uint8_t sz[4];
    if ((err = ms_flash_area_read(fa, g->lay.swap_info_off, &info, 1)) != MS_OK ||
        (err = ms_flash_area_read(fa, g->lay.swap_size_off, sz, sizeof(sz))) != MS_OK) {
        return err;
    }
    if (info != g->erased && (info & 0x0fu) >= MS_BOOT_SWAP_TEST &&
        (info & 0x0fu) <= MS_BOOT_SWAP_REVERT) {
        st->swap_type = info & 0x0fu;
        st->image_num = (uint8_t)(info >> 4);
    }
    if (!(sz[0] == g->erased && sz[1] == g->erased && sz[2] == g->erased &&
          sz[3] == g->erased)) {
        st->swap_size = (uint32_t)sz[0] | (uint32_t)sz[1] << 8 | (uint32_t)sz[2] << 16 |
                        (uint32_t)sz[3] << 24;
    }
    return MS_OK;
}

void ms_boot_primary_settle(ms_boot_trailer_state_t *st)
{
    if (st->magic != MS_BOOT_MAGIC_GOOD) {
        return;
    }
    if (st->copy_done == MS_BOOT_FLAG_BAD && st->swap_type != MS_BOOT_SWAP_NONE) {
        st->copy_done = MS_BOOT_FLAG_SET;
    }
    if (st->copy_done == MS_BOOT_FLAG_SET && st->image_ok == MS_BOOT_FLAG_BAD) {
        st->image_ok = MS_BOOT_FLAG_SET;
    }
}

/* Write `len` bytes at off as whole write units, padded with the erased value. */
static ms_err_t write_field(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                            uint32_t off, const uint8_t *data, size_t len)
{
    uint8_t unit[32];
    size_t total = (len + g->align - 1u) / g->align * g->align;
    if (total > sizeof(unit)) {
        return MS_ERR_ARG;
    }
    memset(unit, g->erased, total);
    memcpy(unit, data, len);
    return ms_flash_area_write(fa, off, unit, total);
}

ms_err_t ms_boot_write_flag(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                            uint32_t off, uint8_t value)
{
    return write_field(fa, g, off, &value, 1);
}

ms_err_t ms_boot_write_swap_size(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                                 uint32_t swap_size)
{
    uint8_t le[4] = {(uint8_t)swap_size, (uint8_t)(swap_size >> 8),
                     (uint8_t)(swap_size >> 16), (uint8_t)(swap_size >> 24)};
    return write_field(fa, g, g->lay.swap_size_off, le, sizeof(le));
}

ms_err_t ms_boot_write_magic(const ms_flash_area_t *fa, const ms_boot_geom_t *g)
{
    /* 16 bytes; with a write unit of 32 the field starts 16 bytes earlier. */
    if (g->align > 16u) {
        uint8_t unit[32];
        memset(unit, g->erased, sizeof(unit));
        memcpy(unit + 16, g->magic, 16);
        return ms_flash_area_write(fa, g->lay.magic_off - 16u, unit, sizeof(unit));
    }
    return ms_flash_area_write(fa, g->lay.magic_off, g->magic, 16);
}

static ms_err_t status_off(const ms_boot_geom_t *g, uint32_t i, uint32_t s, uint32_t *off)
{
    if (i >= g->status_entries || s > 2) {
        return MS_ERR_BOOT_LAYOUT;
    }
    *off = g->lay.trailer_off + (i * 3u + s) * g->align;
    return MS_OK;
}

ms_err_t ms_boot_status_get(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                            uint32_t i, uint32_t s, bool *done)
{
    uint32_t off;
    uint8_t unit[32];
    ms_err_t err = status_off(g, i, s, &off);
    if (err == MS_OK) {
        err = ms_flash_area_read(fa, off, unit, g->align);
    }
    if (err != MS_OK) {
        return err;
    }
    *done = false;
    for (uint32_t k = 0; k < g->align; k++) {
        if (unit[k] != g->erased) {
            *done = true;
        }
    }
    return MS_OK;
}

ms_err_t ms_boot_status_set(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                            uint32_t i, uint32_t s)
{
    uint32_t off;
    ms_err_t err = status_off(g, i, s, &off);
    if (err != MS_OK) {
        return err;
    }
    return ms_boot_write_flag(fa, g, off, 0x01);
}

/* Whether the write unit(s) [off, off+len) hold `first` followed by erased
 * bytes (first == erased: all erased), as this file's writes leave them. */
static ms_err_t unit_holds(const ms_flash_area_t *fa, const ms_boot_geom_t *g, uint32_t off,
                           uint32_t len, uint8_t first, bool *holds)
{
    uint8_t unit[32];
    if (len > sizeof(unit)) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_flash_area_read(fa, off, unit, len);
    if (err != MS_OK) {
        return err;
    }
    *holds = unit[0] == first;
    for (uint32_t k = 1; k < len; k++) {
        *holds = *holds && unit[k] == g->erased;
    }
    return MS_OK;
}

/* Power-cut-safe "pending": image_ok first (if permanent), magic last. The
 * slot is a secondary, whose trailer anyone staging an update writes, so a
 * field is only kept when its whole write unit is exactly what we would
 * write or erased (junk in a padding byte would make our write fail);
 * anything else has the trailer sectors erased and written again. */
ms_err_t ms_boot_mark_pending(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                              bool permanent)
{
    ms_boot_trailer_state_t st;
    bool ok_unset = false, ok_set = false, magic_pad_erased = true;
    ms_err_t err = ms_boot_trailer_read(fa, g, &st);
    if (err == MS_OK) {
        err = unit_holds(fa, g, g->lay.image_ok_off, g->align, g->erased, &ok_unset);
    }
    if (err == MS_OK) {
        err = unit_holds(fa, g, g->lay.image_ok_off, g->align, 0x01, &ok_set);
    }
    if (err == MS_OK && g->align > 16u) {   /* ms_boot_write_magic's 16 leading bytes */
        err = unit_holds(fa, g, g->lay.magic_off - 16u, 16u, g->erased, &magic_pad_erased);
    }
    if (err != MS_OK) {
        return err;
    }
    bool ok_fine = ok_unset || (permanent && ok_set);
    bool magic_fine = st.magic == MS_BOOT_MAGIC_GOOD ||
                      (st.magic == MS_BOOT_MAGIC_UNSET && magic_pad_erased);
    if (!ok_fine || !magic_fine) {
        if ((err = ms_boot_erase_trailer(fa, g)) != MS_OK) {
            return err;
        }
        ok_unset = true;
        st.magic = MS_BOOT_MAGIC_UNSET;
    }
    if (permanent && ok_unset &&
        (err = ms_boot_write_flag(fa, g, g->lay.image_ok_off, 0x01)) != MS_OK) {
        return err;
    }
    if (st.magic == MS_BOOT_MAGIC_UNSET) {
        err = ms_boot_write_magic(fa, g);
    }
    return err;
}

static int magic_match(int want, ms_boot_magic_state_t have)
{
    return want == 0 || (want < 0 ? have != MS_BOOT_MAGIC_GOOD : (int)have == want);
}

static int flag_match(int want, ms_boot_flag_state_t have)
{
    return want == 0 || (int)have == want;
}

/*
 * MCUboot's boot_swap_tables, first match wins; 0 is "any". One change,
 * for power-fail safety: the revert row accepts a secondary magic that is
 * not GOOD (UNSET or BAD), because a revert in progress may have left a torn
 * magic in the secondary (see docs/boot.md).
 */
static const struct {
    int magic_pri, magic_sec, ok_pri, ok_sec, copy_done_pri;
    ms_boot_swap_type_t type;
} swap_table[] = {
    {0, MS_BOOT_MAGIC_GOOD, 0, MS_BOOT_FLAG_UNSET, 0, MS_BOOT_SWAP_TEST},
    {0, MS_BOOT_MAGIC_GOOD, 0, MS_BOOT_FLAG_SET, 0, MS_BOOT_SWAP_PERM},
    {MS_BOOT_MAGIC_GOOD, -1, MS_BOOT_FLAG_UNSET, 0, MS_BOOT_FLAG_SET, MS_BOOT_SWAP_REVERT},
};

/* The swap type the two trailers ask for. */
ms_boot_swap_type_t ms_boot_swap_type(const ms_boot_trailer_state_t *primary,
                                      const ms_boot_trailer_state_t *secondary)
{
    for (size_t i = 0; i < sizeof(swap_table) / sizeof(swap_table[0]); i++) {
        if (magic_match(swap_table[i].magic_pri, primary->magic) &&
            magic_match(swap_table[i].magic_sec, secondary->magic) &&
            flag_match(swap_table[i].ok_pri, primary->image_ok) &&
            flag_match(swap_table[i].ok_sec, secondary->image_ok) &&
            flag_match(swap_table[i].copy_done_pri, primary->copy_done)) {
            return swap_table[i].type;
        }
    }
    return MS_BOOT_SWAP_NONE;
}
