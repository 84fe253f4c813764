/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otp.c - the one-time-programmable records of otp.h over a flash area
 * that may only program erased bytes. Used by the firmware on the OTP part
 * of the PSRAM and by the host tool on the same bytes of a flash file.
 *
 * Invariants: every record carries a tag and a check word, so an erased,
 * torn or garbage record is never read as valid; nothing here ever erases;
 * all reads are bounded by the fixed layout.
 */
#include "otp.h"

#include <string.h>

#define TAG_ROT 0x4B544F52u   /* "ROTK" */
#define TAG_LCS 0x44434553u   /* "SECD" */
#define TAG_KEY 0x2159454Bu   /* "KEY!" */
#define TAG_UPD 0x54445055u   /* "UPDT" */
#define TAG_CNT 0x54435646u   /* "NVCT" */

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static ms_err_t otp_read(const ms_flash_area_t *otp, uint32_t off, void *buf, size_t len)
{
    return ms_flash_area_read(otp, off, buf, len);
}

static ms_err_t otp_write(const ms_flash_area_t *otp, uint32_t off, const void *buf, size_t len)
{
    return ms_flash_area_write(otp, off, buf, len);
}

static bool all_erased(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0xFFu) {
            return false;
        }
    }
    return true;
}

/* ---- root of trust --------------------------------------------------------- */

ms_err_t ms_otp_rot_read(const ms_flash_area_t *otp, uint8_t hashes[][MS_SHA256_LEN],
                         uint32_t max, uint32_t *n)
{
    *n = 0;
    for (uint32_t i = 0; i < MS_OTP_ROT_SLOTS && *n < max; i++) {
        uint8_t rec[MS_OTP_ROT_LEN];
        ms_err_t err = otp_read(otp, MS_OTP_ROT_OFF + i * MS_OTP_ROT_LEN, rec, sizeof(rec));
        if (err != MS_OK) {
            return err;
        }
        if (get32(rec + 32) != TAG_ROT || get32(rec + 36) != ~TAG_ROT) {
            continue;   /* erased or torn: not a key */
        }
        memcpy(hashes[*n], rec, MS_SHA256_LEN);
        (*n)++;
    }
    return MS_OK;
}

ms_err_t ms_otp_rot_program(const ms_flash_area_t *otp, const uint8_t hash[MS_SHA256_LEN])
{
    ms_otp_lcs_t lcs;
    ms_err_t err = ms_otp_lcs_get(otp, &lcs);
    if (err != MS_OK) {
        return err;
    }
    if (lcs != MS_OTP_LCS_OPEN) {
        return MS_ERR_STATE;
    }
    for (uint32_t i = 0; i < MS_OTP_ROT_SLOTS; i++) {
        uint8_t rec[MS_OTP_ROT_LEN];
        uint32_t off = MS_OTP_ROT_OFF + i * MS_OTP_ROT_LEN;
        if ((err = otp_read(otp, off, rec, sizeof(rec))) != MS_OK) {
            return err;
        }
        if (!all_erased(rec, sizeof(rec))) {
            continue;   /* used, or torn by a cut: never reused */
        }
        memset(rec, 0xFF, sizeof(rec));
        memcpy(rec, hash, MS_SHA256_LEN);
        put32(rec + 32, TAG_ROT);
        put32(rec + 36, ~TAG_ROT);
        return otp_write(otp, off, rec, sizeof(rec));
    }
    return MS_ERR_TEE_NO_SPACE;
}

/* ---- life-cycle -------------------------------------------------------------- */

ms_err_t ms_otp_lcs_get(const ms_flash_area_t *otp, ms_otp_lcs_t *lcs)
{
    uint8_t rec[8];
    ms_err_t err = otp_read(otp, MS_OTP_LCS_OFF, rec, sizeof(rec));
    if (err != MS_OK) {
        return err;
    }
    /* Anything but erased counts as SECURED: a torn or glitched word must
     * never reopen debug. */
    *lcs = all_erased(rec, sizeof(rec)) ? MS_OTP_LCS_OPEN : MS_OTP_LCS_SECURED;
    return MS_OK;
}

ms_err_t ms_otp_lcs_secure(const ms_flash_area_t *otp)
{
    uint8_t rec[8];
    ms_err_t err = otp_read(otp, MS_OTP_LCS_OFF, rec, sizeof(rec));
    if (err != MS_OK || !all_erased(rec, sizeof(rec))) {
        return err;
    }
    put32(rec, TAG_LCS);
    put32(rec + 4, ~TAG_LCS);
    return otp_write(otp, MS_OTP_LCS_OFF, rec, sizeof(rec));
}

ms_err_t ms_otp_update_get(const ms_flash_area_t *otp, ms_otp_update_t *strategy)
{
    uint8_t rec[8];
    ms_err_t err = otp_read(otp, MS_OTP_UPDATE_OFF, rec, sizeof(rec));
    if (err != MS_OK) {
        return err;
    }
    if (all_erased(rec, sizeof(rec))) {
        *strategy = MS_OTP_UPDATE_SWAP_MOVE;
    } else if (get32(rec) == TAG_UPD && get32(rec + 4) == MS_OTP_UPDATE_OVERWRITE) {
        *strategy = MS_OTP_UPDATE_OVERWRITE;
    } else if (get32(rec) == TAG_UPD && get32(rec + 4) == MS_OTP_UPDATE_SWAP_MOVE) {
        *strategy = MS_OTP_UPDATE_SWAP_MOVE;
    } else {
        return MS_ERR_FORMAT;   /* torn or garbage: refuse rather than guess */
    }
    return MS_OK;
}

ms_err_t ms_otp_update_program(const ms_flash_area_t *otp, ms_otp_update_t strategy)
{
    uint8_t rec[8];
    ms_err_t err = otp_read(otp, MS_OTP_UPDATE_OFF, rec, sizeof(rec));
    if (err != MS_OK) {
        return err;
    }
    if (!all_erased(rec, sizeof(rec))) {
        ms_otp_update_t cur;
        err = ms_otp_update_get(otp, &cur);
        return err == MS_OK && cur == strategy ? MS_OK : MS_ERR_STATE;
    }
    put32(rec, TAG_UPD);
    put32(rec + 4, (uint32_t)strategy);
    return otp_write(otp, MS_OTP_UPDATE_OFF, rec, sizeof(rec));
}

/* ---- secret keys ------------------------------------------------------------------- */

ms_err_t ms_otp_key_read(const ms_flash_area_t *otp, ms_otp_key_t which,
                         uint8_t key[MS_OTP_KEY_LEN])
{
    uint8_t rec[MS_OTP_KEY_LEN + 8];
    ms_err_t err = otp_read(otp, (uint32_t)which, rec, sizeof(rec));
    if (err == MS_OK) {
        if (get32(rec + MS_OTP_KEY_LEN) != TAG_KEY ||
            get32(rec + MS_OTP_KEY_LEN + 4) != ~TAG_KEY) {
            err = MS_ERR_NOT_FOUND;
        } else {
            memcpy(key, rec, MS_OTP_KEY_LEN);
        }
    }
    ms_secure_zero(rec, sizeof(rec));
    return err;
}

ms_err_t ms_otp_key_program(const ms_flash_area_t *otp, ms_otp_key_t which,
                            const uint8_t key[MS_OTP_KEY_LEN])
{
    uint8_t rec[MS_OTP_KEY_LEN + 8];
    ms_err_t err = otp_read(otp, (uint32_t)which, rec, sizeof(rec));
    if (err != MS_OK) {
        return err;
    }
    if (!all_erased(rec, sizeof(rec))) {
        return MS_ERR_STATE;
    }
    memcpy(rec, key, MS_OTP_KEY_LEN);
    put32(rec + MS_OTP_KEY_LEN, TAG_KEY);
    put32(rec + MS_OTP_KEY_LEN + 4, ~TAG_KEY);
    err = otp_write(otp, (uint32_t)which, rec, sizeof(rec));
    ms_secure_zero(rec, sizeof(rec));
    return err;
}

/* ---- monotonic counters ------------------------------------------------------------ */

/* Walk the records: the largest valid value of `id`, and the first free cell.
 * Records are only ever programmed into the first erased cell, so nothing
 * valid lies beyond it (a torn cell is not erased, and is skipped). */
static ms_err_t counter_scan(const ms_flash_area_t *otp, uint32_t id, uint32_t *value,
                             uint32_t *free_off)
{
    *value = 0;
    *free_off = 0;
    for (uint32_t off = MS_OTP_CNT_OFF; off + MS_OTP_CNT_REC <= otp->size;
         off += MS_OTP_CNT_REC) {
        uint8_t rec[MS_OTP_CNT_REC];
        ms_err_t err = otp_read(otp, off, rec, sizeof(rec));
        if (err != MS_OK) {
            return err;
        }
        if (all_erased(rec, sizeof(rec))) {
            *free_off = off;
            break;
        }
        uint32_t v = get32(rec + 8);
        if (get32(rec) == TAG_CNT && get32(rec + 4) == id && get32(rec + 12) == ~v &&
            v > *value) {
            *value = v;
        }
    }
    return MS_OK;
}

ms_err_t ms_otp_counter_get(const ms_flash_area_t *otp, uint32_t id, uint32_t *value)
{
    uint32_t free_off;
    return counter_scan(otp, id, value, &free_off);
}

ms_err_t ms_otp_counter_raise(const ms_flash_area_t *otp, uint32_t id, uint32_t value)
{
    uint32_t cur, free_off;
    ms_err_t err = counter_scan(otp, id, &cur, &free_off);
    if (err != MS_OK || value <= cur) {
        return err;
    }
    if (free_off == 0) {
        return MS_ERR_TEE_NO_SPACE;
    }
    uint8_t rec[MS_OTP_CNT_REC];
    put32(rec, TAG_CNT);
    put32(rec + 4, id);
    put32(rec + 8, value);
    put32(rec + 12, ~value);
    return otp_write(otp, free_off, rec, sizeof(rec));
}

static ms_err_t seccnt_get(void *ctx, uint8_t image_id, uint32_t *value)
{
    return ms_otp_counter_get(ctx, image_id, value);
}

static ms_err_t seccnt_update(void *ctx, uint8_t image_id, uint32_t value)
{
    return ms_otp_counter_raise(ctx, image_id, value);
}

const ms_boot_seccnt_ops_t ms_otp_seccnt_ops = {
    .init = NULL,
    .get = seccnt_get,
    .update = seccnt_update,
};
