/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otp.c - the one-time-programmable records of otp.h over a flash area
 * that may only program erased bytes. Used by the firmware on the OTP part
 * of the PSRAM and by the host tool on the same bytes of a flash file.
 *
 * Invariants: a record is valid only when its tag and its complement words
 * agree, so an erased, torn, garbage or bit-programmed record never reads
 * as a valid one it was not; counters only ever read a value that some
 * raise wrote or a larger one; nothing here ever erases; all reads are
 * bounded by the fixed layout.
 */
#include "otp.h"

#include <string.h>

#define TAG_ROT 0x4B544F52u   /* "ROTK" */
#define TAG_LCS 0x44434553u   /* "SECD" */
#define TAG_KEY 0x2159454Bu   /* "KEY!" */
#define TAG_UPD 0x54445055u   /* "UPDT" */

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

static bool all_equal(const uint8_t *p, size_t len, uint8_t v)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

/* ---- the {value[32], ~value[32], tag, ~tag} records: key hashes and keys ---- */

enum rec_state { REC_ERASED, REC_VALID, REC_BURNT, REC_BAD };

static enum rec_state rec_check(const uint8_t rec[MS_OTP_KEY_REC_LEN], uint32_t tag)
{
    if (all_equal(rec, MS_OTP_KEY_REC_LEN, 0xFFu)) {
        return REC_ERASED;
    }
    if (all_equal(rec, MS_OTP_KEY_REC_LEN, 0x00u)) {
        return REC_BURNT;
    }
    uint8_t bad = 0;
    for (size_t i = 0; i < MS_OTP_KEY_LEN; i++) {
        bad |= (uint8_t)(rec[i] ^ (uint8_t)~rec[MS_OTP_KEY_LEN + i]);
    }
    if (bad != 0 || get32(rec + 64) != tag || get32(rec + 68) != ~tag) {
        return REC_BAD;
    }
    return REC_VALID;
}

static void rec_make(uint8_t rec[MS_OTP_KEY_REC_LEN], const uint8_t value[32], uint32_t tag)
{
    for (size_t i = 0; i < 32; i++) {
        rec[i] = value[i];
        rec[32 + i] = (uint8_t)~value[i];
    }
    put32(rec + 64, tag);
    put32(rec + 68, ~tag);
}

static ms_err_t burn(const ms_flash_area_t *otp, uint32_t off, size_t len)
{
    uint8_t zeros[MS_OTP_KEY_REC_LEN];
    memset(zeros, 0, sizeof(zeros));
    return ms_flash_area_write(otp, off, zeros, len);
}

/* ---- root of trust --------------------------------------------------------- */

ms_err_t ms_otp_rot_read(const ms_flash_area_t *otp, uint8_t hashes[][MS_SHA256_LEN],
                         uint32_t max, uint32_t *n)
{
    ms_otp_lcs_t lcs;
    ms_err_t err = ms_otp_lcs_get(otp, &lcs);
    *n = 0;
    if (err != MS_OK) {
        return err;
    }
    for (uint32_t i = 0; i < MS_OTP_ROT_SLOTS; i++) {
        uint8_t rec[MS_OTP_ROT_LEN];
        if ((err = ms_flash_area_read(otp, MS_OTP_ROT_OFF + i * MS_OTP_ROT_LEN, rec,
                                      sizeof(rec))) != MS_OK) {
            return err;
        }
        enum rec_state st = rec_check(rec, TAG_ROT);
        if (st == REC_ERASED && lcs == MS_OTP_LCS_SECURED) {
            *n = 0;
            return MS_ERR_STATE;   /* a slot anyone could still program */
        }
        if (st == REC_VALID && *n < max) {
            memcpy(hashes[*n], rec, MS_SHA256_LEN);
            (*n)++;
        }
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
        if ((err = ms_flash_area_read(otp, off, rec, sizeof(rec))) != MS_OK) {
            return err;
        }
        if (rec_check(rec, TAG_ROT) != REC_ERASED) {
            continue;   /* used, burnt or torn by a cut: never reused */
        }
        rec_make(rec, hash, TAG_ROT);
        return ms_flash_area_write(otp, off, rec, sizeof(rec));
    }
    return MS_ERR_TEE_NO_SPACE;
}

/* ---- life-cycle and update strategy -------------------------------------------- */

ms_err_t ms_otp_lcs_get(const ms_flash_area_t *otp, ms_otp_lcs_t *lcs)
{
    uint8_t rec[8];
    ms_err_t err = ms_flash_area_read(otp, MS_OTP_LCS_OFF, rec, sizeof(rec));
    if (err != MS_OK) {
        return err;
    }
    /* Anything but erased counts as SECURED: a torn or glitched word must
     * never reopen debug. */
    *lcs = all_equal(rec, sizeof(rec), 0xFFu) ? MS_OTP_LCS_OPEN : MS_OTP_LCS_SECURED;
    return MS_OK;
}

ms_err_t ms_otp_lcs_secure(const ms_flash_area_t *otp)
{
    uint8_t rec[MS_OTP_KEY_REC_LEN];
    ms_otp_lcs_t lcs;
    ms_err_t err = ms_otp_lcs_get(otp, &lcs);
    if (err != MS_OK || lcs == MS_OTP_LCS_SECURED) {
        return err;
    }
    /* Burn what is still erased, so nothing can be added once locked. A
     * cut in the middle leaves an OPEN meter with fewer erased records;
     * locking again finishes the job. */
    for (uint32_t i = 0; i < MS_OTP_ROT_SLOTS && err == MS_OK; i++) {
        uint32_t off = MS_OTP_ROT_OFF + i * MS_OTP_ROT_LEN;
        if ((err = ms_flash_area_read(otp, off, rec, MS_OTP_ROT_LEN)) == MS_OK &&
            rec_check(rec, TAG_ROT) == REC_ERASED) {
            err = burn(otp, off, MS_OTP_ROT_LEN);
        }
    }
    static const uint32_t key_offs[2] = {MS_OTP_HUK_OFF, MS_OTP_ENC_OFF};
    for (size_t i = 0; i < 2 && err == MS_OK; i++) {
        if ((err = ms_flash_area_read(otp, key_offs[i], rec, MS_OTP_KEY_REC_LEN)) == MS_OK &&
            rec_check(rec, TAG_KEY) == REC_ERASED) {
            err = burn(otp, key_offs[i], MS_OTP_KEY_REC_LEN);
        }
    }
    if (err == MS_OK) {
        /* An unset strategy becomes the default, for good. */
        err = ms_otp_update_program(otp, MS_OTP_UPDATE_SWAP_MOVE);
        if (err == MS_ERR_STATE) {
            err = MS_OK;   /* already chosen */
        }
    }
    ms_secure_zero(rec, sizeof(rec));
    if (err != MS_OK) {
        return err;
    }
    uint8_t word[8];
    put32(word, TAG_LCS);
    put32(word + 4, ~TAG_LCS);
    return ms_flash_area_write(otp, MS_OTP_LCS_OFF, word, sizeof(word));
}

ms_err_t ms_otp_update_get(const ms_flash_area_t *otp, ms_otp_update_t *strategy)
{
    uint8_t rec[16];
    ms_otp_lcs_t lcs;
    ms_err_t err = ms_otp_lcs_get(otp, &lcs);
    if (err == MS_OK) {
        err = ms_flash_area_read(otp, MS_OTP_UPDATE_OFF, rec, sizeof(rec));
    }
    if (err != MS_OK) {
        return err;
    }
    if (all_equal(rec, sizeof(rec), 0xFFu)) {
        if (lcs == MS_OTP_LCS_SECURED) {
            return MS_ERR_FORMAT;   /* the lock always sets it */
        }
        *strategy = MS_OTP_UPDATE_SWAP_MOVE;
        return MS_OK;
    }
    uint32_t v = get32(rec + 4);
    if (get32(rec) != TAG_UPD || get32(rec + 8) != ~v ||
        (v != MS_OTP_UPDATE_SWAP_MOVE && v != MS_OTP_UPDATE_OVERWRITE)) {
        return MS_ERR_FORMAT;   /* torn or edited: refuse rather than guess */
    }
    *strategy = (ms_otp_update_t)v;
    return MS_OK;
}

ms_err_t ms_otp_update_program(const ms_flash_area_t *otp, ms_otp_update_t strategy)
{
    uint8_t rec[16];
    ms_err_t err = ms_flash_area_read(otp, MS_OTP_UPDATE_OFF, rec, sizeof(rec));
    if (err != MS_OK) {
        return err;
    }
    if (!all_equal(rec, sizeof(rec), 0xFFu)) {
        ms_otp_update_t cur;
        err = ms_otp_update_get(otp, &cur);
        return err == MS_OK && cur == strategy ? MS_OK : MS_ERR_STATE;
    }
    memset(rec, 0, sizeof(rec));
    put32(rec, TAG_UPD);
    put32(rec + 4, (uint32_t)strategy);
    put32(rec + 8, ~(uint32_t)strategy);
    return ms_flash_area_write(otp, MS_OTP_UPDATE_OFF, rec, sizeof(rec));
}

/* ---- secret keys ------------------------------------------------------------------- */

ms_err_t ms_otp_key_read(const ms_flash_area_t *otp, ms_otp_key_t which,
                         uint8_t key[MS_OTP_KEY_LEN])
{
    uint8_t rec[MS_OTP_KEY_REC_LEN];
    ms_err_t err = ms_flash_area_read(otp, (uint32_t)which, rec, sizeof(rec));
    if (err == MS_OK) {
        switch (rec_check(rec, TAG_KEY)) {
        case REC_VALID:
            memcpy(key, rec, MS_OTP_KEY_LEN);
            break;
        case REC_BAD:
            err = MS_ERR_TEE_CORRUPT;   /* fail closed: an edited key is no key */
            break;
        default:
            err = MS_ERR_NOT_FOUND;
            break;
        }
    }
    ms_secure_zero(rec, sizeof(rec));
    return err;
}

ms_err_t ms_otp_key_program(const ms_flash_area_t *otp, ms_otp_key_t which,
                            const uint8_t key[MS_OTP_KEY_LEN])
{
    uint8_t rec[MS_OTP_KEY_REC_LEN];
    ms_err_t err = ms_flash_area_read(otp, (uint32_t)which, rec, sizeof(rec));
    if (err != MS_OK) {
        return err;
    }
    if (rec_check(rec, TAG_KEY) != REC_ERASED) {
        return MS_ERR_STATE;
    }
    rec_make(rec, key, TAG_KEY);
    err = ms_flash_area_write(otp, (uint32_t)which, rec, sizeof(rec));
    ms_secure_zero(rec, sizeof(rec));
    return err;
}

/* ---- monotonic counters ------------------------------------------------------------ */

/* Walk a counter's region: the largest value, and the first erased cell. A
 * value is stored inverted, so programming bits of a cell only raises it; a
 * torn cell holds some of the new value's programmed bits, so it reads at
 * most the new value - and the old value's cell is still there. */
static ms_err_t counter_scan(const ms_flash_area_t *otp, uint32_t id, uint32_t *value,
                             uint32_t *free_off)
{
    *value = 0;
    *free_off = 0;
    if (id >= MS_OTP_CNT_IDS) {
        return MS_ERR_ARG;
    }
    uint32_t base = MS_OTP_CNT_OFF + id * MS_OTP_CNT_REGION;
    for (uint32_t off = base; off < base + MS_OTP_CNT_REGION; off += MS_OTP_CNT_CELL) {
        uint8_t cell[MS_OTP_CNT_CELL];
        ms_err_t err = ms_flash_area_read(otp, off, cell, sizeof(cell));
        if (err != MS_OK) {
            return err;
        }
        if (all_equal(cell, sizeof(cell), 0xFFu)) {
            if (*free_off == 0) {
                *free_off = off;
            }
            continue;
        }
        uint32_t v = ~get32(cell);
        if (v > *value) {
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
    uint8_t cell[MS_OTP_CNT_CELL] = {0};
    put32(cell, ~value);
    return ms_flash_area_write(otp, free_off, cell, sizeof(cell));
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
