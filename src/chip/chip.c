/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip.c - the chip's life: provisioning by the chip maker, the boot flow
 * of C4 (steps 201-203 and 212-213) and the APDU dispatcher (C8: the
 * receive module hands every command to the mode in force).
 *
 * Identity record at the start of OsStart (written once, never erased by
 * the chip): "MSID" | uid (10) | 00 00 | CRC-32 of [0..16) | "DISM" | 00 x 8.
 * Invariants:
 *   - the mode is decided only from the flag records (flags.c);
 *   - COS mode runs only if the COS area still has the CRC recorded in the
 *     flag record; otherwise the chip is mute (never a half COS running);
 *   - the first COS start erases the loader, the journal, the gaps and the
 *     COS area past the image before recording USER state; a cut during
 *     that clean-up repeats it at the next start.
 */
#include <string.h>

#include "internal.h"

#define ID_MAGIC 0x4D534944u  /* "MSID" */
#define ID_TRAILER 0x4449534Du

static void enc_identity(uint8_t rec[32], const uint8_t uid[MS_CHIP_UID_LEN])
{
    memset(rec, 0, 32);
    ms_chip_put_be32(rec, ID_MAGIC);
    memcpy(rec + 4, uid, MS_CHIP_UID_LEN);
    ms_chip_put_be32(rec + 16, ms_chip_crc32_update(0, rec, 16));
    ms_chip_put_be32(rec + 20, ID_TRAILER);
}

static void set_area(ms_flash_area_t *fa, const ms_flash_t *flash, uint32_t off, uint32_t size)
{
    fa->flash = flash;
    fa->off = off;
    fa->size = size;
}

static void set_areas(ms_chip_t *chip, const ms_flash_t *flash, const ms_chip_layout_t *m)
{
    chip->flash = flash;
    chip->map = *m;
    set_area(&chip->fa_osstart, flash, m->osstart_off, m->osstart_size);
    set_area(&chip->fa_loader, flash, m->loader_off, m->loader_size);
    set_area(&chip->fa_cos, flash, m->cos_off, m->cos_size);
    set_area(&chip->fa_journal, flash, m->journal_off, m->journal_size);
    set_area(&chip->fa_data, flash, m->data_off, m->data_size);
    set_area(&chip->fa_flags, flash, m->flags_off, m->flags_size);
}

ms_err_t ms_chip_provision(const ms_flash_t *flash, const ms_chip_layout_t *map,
                           const uint8_t uid[MS_CHIP_UID_LEN],
                           const uint8_t *loader_image, size_t loader_len)
{
    uint8_t rec[32];
    if (flash == NULL || map == NULL || uid == NULL || loader_image == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_chip_layout_check(flash, map);
    if (err != MS_OK) {
        return err;
    }
    if (loader_len == 0 || loader_len > map->loader_size || loader_len % 16 != 0 ||
        16 % flash->write_align != 0) {
        return MS_ERR_ARG;
    }
    ms_flash_area_t dev = {flash, 0, flash->size};
    err = ms_flash_area_erase_all(&dev);
    if (err != MS_OK) {
        return err;
    }
    enc_identity(rec, uid);
    ms_flash_area_t os = {flash, map->osstart_off, map->osstart_size};
    ms_flash_area_t ld = {flash, map->loader_off, map->loader_size};
    err = ms_flash_area_write(&os, 0, rec, sizeof rec);
    if (err == MS_OK) {
        err = ms_flash_area_write(&ld, 0, loader_image, loader_len);
    }
    return err;
}

ms_err_t ms_chip_loader_load(ms_chip_t *chip)
{
    return ms_chip_loader_check(&chip->fa_loader, chip->work, sizeof chip->work, chip->mk_des,
                                chip->mk_aes, NULL);
}

/* CRC-32 of the first len bytes of an area. */
static ms_err_t area_crc(ms_chip_t *chip, const ms_flash_area_t *fa, uint32_t len, uint32_t *crc)
{
    uint32_t c = 0;
    for (uint32_t pos = 0; pos < len;) {
        uint32_t n = len - pos < MS_CHIP_WORK_LEN ? len - pos : MS_CHIP_WORK_LEN;
        ms_err_t err = ms_flash_area_read(fa, pos, chip->work, n);
        if (err != MS_OK) {
            return err;
        }
        c = ms_chip_crc32_update(c, chip->work, n);
        pos += n;
    }
    *crc = c;
    return MS_OK;
}

/* C4 step 213: the COS erases the loader and every empty area. */
static ms_err_t cos_first_start(ms_chip_t *chip)
{
    const ms_chip_layout_t *m = &chip->map;
    uint32_t s = chip->flash->sector_size;
    ms_err_t err = ms_chip_erase_dirty(&chip->fa_loader, 0, m->loader_size);
    if (err == MS_OK) {
        err = ms_chip_erase_dirty(&chip->fa_journal, 0, m->journal_size);
    }
    uint32_t used = (chip->flags.cos_len + s - 1) / s * s;
    if (err == MS_OK && used < m->cos_size) {
        err = ms_chip_erase_dirty(&chip->fa_cos, used, m->cos_size - used);
    }
    /* The gaps between areas. */
    if (err == MS_OK) {
        err = ms_chip_erase_gaps(chip);
    }
    if (err == MS_OK) {
        err = ms_chip_flags_write(&chip->fa_flags, &chip->flags, MS_CHIP_MODE_COS,
                                  MS_CHIP_STATE_USER, chip->flags.cos_len, chip->flags.cos_crc);
    }
    return err;
}

ms_err_t ms_chip_boot(ms_chip_t *chip, const ms_flash_t *flash, const ms_chip_layout_t *map)
{
    uint8_t rec[32], want[32];
    if (chip == NULL || flash == NULL || map == NULL) {
        return MS_ERR_ARG;
    }
    memset(chip, 0, sizeof *chip);
    chip->mode = MS_CHIP_RUN_MUTE;
    ms_err_t err = ms_chip_layout_check(flash, map);
    if (err != MS_OK) {
        return err;
    }
    set_areas(chip, flash, map);
    /* Step 201: boot code; identity. */
    err = ms_flash_area_read(&chip->fa_osstart, 0, rec, sizeof rec);
    if (err != MS_OK) {
        return err;
    }
    enc_identity(want, rec + 4);
    if (memcmp(rec, want, sizeof rec) != 0) {
        return MS_OK; /* not provisioned: mute */
    }
    memcpy(chip->uid, rec + 4, MS_CHIP_UID_LEN);
    /* Step 202: Flag1. */
    err = ms_chip_flags_read(&chip->fa_flags, &chip->flags);
    if (err != MS_OK) {
        return err;
    }
    if (chip->flags.flag1 == MS_CHIP_MODE_LOADER) {
        /* Step 203: Loader OS mode. */
        if (ms_chip_loader_load(chip) != MS_OK) {
            return MS_OK; /* no usable loader: mute */
        }
        err = ms_chip_journal_scan(chip, chip->pkg_id);
        if (err != MS_OK) {
            return err;
        }
        chip->cursor = chip->journal_done * flash->sector_size;
        chip->mode = MS_CHIP_RUN_LOADER;
        return MS_OK;
    }
    /* Step 212: COS mode, only over the COS that was verified. */
    uint32_t crc = 0;
    if (chip->flags.cos_len == 0 || chip->flags.cos_len > map->cos_size) {
        return MS_OK;
    }
    err = area_crc(chip, &chip->fa_cos, chip->flags.cos_len, &crc);
    if (err != MS_OK) {
        return err;
    }
    if (crc != chip->flags.cos_crc) {
        return MS_OK; /* the COS changed since it was verified: mute */
    }
    if (chip->flags.flag2 == MS_CHIP_STATE_INITIAL) {
        err = cos_first_start(chip); /* step 213 */
        if (err != MS_OK) {
            return err;
        }
    }
    err = ms_chip_store_scan(chip);
    if (err != MS_OK) {
        return err;
    }
    chip->mode = MS_CHIP_RUN_COS;
    return MS_OK;
}

/* GET DATA answered in every mode: serial and mode. */
static int common_get_data(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r,
                           uint16_t *sw)
{
    if (a->ins != MS_CHIP_INS_GET_DATA || !ms_chip_cla_plain(a->cla)) {
        return 0;
    }
    uint16_t tag = (uint16_t)((a->p1 << 8) | a->p2);
    if (tag == MS_CHIP_TAG_UID) {
        if (r->cap < MS_CHIP_UID_LEN) {
            *sw = MS_SW_WRONG_LENGTH;
            return 1;
        }
        memcpy(r->buf, chip->uid, MS_CHIP_UID_LEN);
        r->len = MS_CHIP_UID_LEN;
        *sw = MS_SW_OK;
        return 1;
    }
    if (tag == MS_CHIP_TAG_MODE) {
        if (r->cap < 11) {
            *sw = MS_SW_WRONG_LENGTH;
            return 1;
        }
        r->buf[0] = chip->flags.flag1;
        r->buf[1] = chip->flags.flag2;
        r->buf[2] = chip->mode;
        ms_chip_put_be32(r->buf + 3, chip->flags.cos_len);
        ms_chip_put_be32(r->buf + 7, chip->flags.cos_crc);
        r->len = 11;
        *sw = MS_SW_OK;
        return 1;
    }
    return 0;
}

/* C8: every command goes to the mode in force. */
static uint16_t dispatch(void *card, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    ms_chip_t *chip = card;
    uint16_t sw = MS_SW_CONDITIONS;
    if (chip->mode == MS_CHIP_RUN_OFF) {
        return MS_SW_CONDITIONS;
    }
    if (common_get_data(chip, a, r, &sw)) {
        return sw;
    }
    if (!ms_chip_cla_plain(a->cla) && a->cla != MS_CHIP_CLA_SECURE) {
        return MS_SW_CLA_UNKNOWN;
    }
    if (chip->mode == MS_CHIP_RUN_LOADER) {
        return ms_chip_loader_command(chip, a, r);
    }
    if (chip->mode == MS_CHIP_RUN_COS) {
        return ms_chip_cos_command(chip, a, r);
    }
    return MS_SW_CONDITIONS; /* mute: nothing runnable, or awaiting a restart */
}

uint16_t ms_chip_apdu(ms_chip_t *chip, const uint8_t *cmd, size_t cmd_len,
                      uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
    return ms_chip_apdu_run(chip != NULL ? &chip->held : NULL, dispatch, chip, cmd, cmd_len, rsp,
                            rsp_cap, rsp_len);
}
