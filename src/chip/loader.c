/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader.c - the Loader OS's commands (C3, C4 steps 204-211):
 *   80 0E 00 00          ERASE everything but OsStart, Loader and flags
 *   80 D2 00 00 50 hdr   DECRYPT, header: the package header (80 bytes)
 *   80 D0 00 00 44 lic   KEY DIVERSIFY: diversify the master key with the
 *                        chip serial, open the licence -> image key
 *   80 D2 01 00 Lc off|c DECRYPT, data: decrypt and write at off in the COS
 *   80 D4 00 00 08 c|x   VERIFY: CRC-32 and XOR over the written COS against
 *                        the packing-time values, the package MAC over the
 *                        plaintext, then flip the flags to COS / INITIAL
 *   80 CA 00 03          GET DATA progress (resume point; also 00 CA)
 * Commands that answer data answer it under the ISO 7816-4 Le rules of
 * apdu.c; those that change state check their Le before acting.
 * Invariants: nothing is written to the COS area before a header and a
 * licence for it were accepted; data is accepted only at the resume point
 * (each COS sector is erased when writing reaches its first byte, so a
 * rewrite after a cut always lands on erased flash); the flag flips only
 * after every check passed on what is actually in flash.
 */
#include <string.h>

#include "internal.h"

static uint32_t resume_point(const ms_chip_t *chip)
{
    uint64_t c = (uint64_t)chip->journal_done * chip->flash->sector_size;
    if (chip->have_header && c > chip->hdr.cos_len) {
        c = chip->hdr.cos_len;
    }
    return (uint32_t)c;
}

static void forget_key(ms_chip_t *chip)
{
    ms_secure_zero(chip->k_enc, sizeof chip->k_enc);
    ms_secure_zero(chip->k_mac, sizeof chip->k_mac);
    chip->have_key = false;
}

/* C3 ERASE / C4 step 204. */
static uint16_t cmd_erase(ms_chip_t *chip, const ms_chip_apdu_t *a)
{
    if (a->p1 != 0 || a->p2 != 0) {
        return MS_SW_WRONG_P1P2;
    }
    if (a->lc != 0) {
        return MS_SW_WRONG_LENGTH;
    }
    const ms_chip_layout_t *m = &chip->map;
    forget_key(chip);
    chip->have_header = false;
    chip->cursor = 0;
    /* The journal goes first: it must never outlive the COS sectors it
     * vouches for, or a cut during ERASE would leave a journal claiming
     * sectors that are already wiped and the writer would resume over them. */
    ms_err_t err = ms_chip_erase_dirty(&chip->fa_journal, 0, m->journal_size);
    if (err == MS_OK) {
        err = ms_chip_erase_dirty(&chip->fa_cos, 0, m->cos_size);
    }
    if (err == MS_OK) {
        err = ms_chip_erase_dirty(&chip->fa_data, 0, m->data_size);
    }
    if (err == MS_OK) {
        err = ms_chip_erase_gaps(chip);
    }
    /* Whatever happened, RAM follows the journal now in flash. */
    ms_err_t scan = ms_chip_journal_scan(chip, chip->pkg_id);
    if (err == MS_OK) {
        err = scan;
    }
    return err == MS_OK ? MS_SW_OK : MS_SW_MEMORY_FAILURE;
}

/* DECRYPT P1=00: take the package header; start or resume its download. */
static uint16_t cmd_header(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    ms_chip_pkg_header_t hdr;
    uint8_t id[MS_CHIP_PKG_ID_LEN];
    if (a->lc != MS_CHIP_PKG_HDR_LEN) {
        return MS_SW_WRONG_LENGTH;
    }
    if (ms_chip_pkg_parse(a->data, a->lc, &hdr) != MS_OK) {
        return MS_SW_WRONG_DATA;
    }
    if (hdr.cos_len > chip->map.cos_size) {
        return MS_SW_NO_SPACE;
    }
    uint16_t sw = ms_chip_rsp_room(a, r, 4);
    if (sw != MS_SW_OK) {
        return sw; /* before the journal records anything */
    }
    if (ms_chip_pkg_id(a->data, id) != MS_OK) {
        return MS_SW_MEMORY_FAILURE;
    }
    if (chip->journal_begun && memcmp(id, chip->pkg_id, sizeof id) != 0) {
        return MS_SW_CONDITIONS; /* another package is half written: ERASE first */
    }
    if (!chip->journal_begun) {
        if (ms_chip_journal_begin(chip, id) != MS_OK) {
            return MS_SW_MEMORY_FAILURE;
        }
        memcpy(chip->pkg_id, id, sizeof id);
    }
    if (!chip->have_header || memcmp(&hdr, &chip->hdr, sizeof hdr) != 0) {
        forget_key(chip);
    }
    chip->hdr = hdr;
    chip->have_header = true;
    chip->cursor = resume_point(chip);
    ms_chip_put_be32(r->buf, chip->cursor);
    r->len = 4;
    return MS_SW_OK;
}

/* C3 KEY DIVERSIFY / C4 step 205, with the per-chip licence. */
static uint16_t cmd_diversify(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    ms_chip_licence_t lic;
    uint8_t image_key[MS_CHIP_KEY_LEN], k[MS_CHIP_KEY_LEN];
    if (a->p1 != 0 || a->p2 != 0) {
        return MS_SW_WRONG_P1P2;
    }
    if (!chip->have_header) {
        return MS_SW_CONDITIONS;
    }
    if (a->lc != MS_CHIP_LIC_LEN) {
        return MS_SW_WRONG_LENGTH;
    }
    if (ms_chip_licence_parse(a->data, a->lc, &lic) != MS_OK) {
        return MS_SW_WRONG_DATA;
    }
    uint16_t sw = ms_chip_rsp_room(a, r, 9);
    if (sw != MS_SW_OK) {
        return sw; /* before the key in force is dropped */
    }
    const uint8_t *mk = lic.method == MS_CHIP_DIV_EMV ? chip->mk_des : chip->mk_aes;
    forget_key(chip);
    ms_err_t err = ms_chip_licence_open(a->data, a->lc, mk, chip->uid, chip->pkg_id, image_key);
    if (err == MS_ERR_AUTH) {
        return MS_SW_SECURITY;
    }
    if (err != MS_OK) {
        return MS_SW_WRONG_DATA;
    }
    err = ms_chip_pkg_keys(image_key, chip->k_enc, chip->k_mac);
    ms_secure_zero(image_key, sizeof image_key);
    if (err != MS_OK) {
        return MS_SW_MEMORY_FAILURE;
    }
    chip->have_key = true;
    /* Answer the key check values of the diversified keys (never a key). */
    for (int t = MS_CHIP_KEY_ENC; t <= MS_CHIP_KEY_DEK; t++) {
        err = ms_chip_diversify((ms_chip_div_method_t)lic.method, mk, chip->uid,
                                (ms_chip_key_purpose_t)t, k);
        if (err == MS_OK) {
            err = ms_chip_kcv((ms_chip_div_method_t)lic.method, k, r->buf + 3 * (t - 1));
        }
        if (err != MS_OK) {
            break;
        }
    }
    ms_secure_zero(k, sizeof k);
    if (err != MS_OK) {
        return MS_SW_MEMORY_FAILURE;
    }
    r->len = 9;
    return MS_SW_OK;
}

/* Decrypt and program one piece that lies inside one sector. */
static ms_err_t write_piece(ms_chip_t *chip, uint32_t off, const uint8_t *src, uint32_t n)
{
    const ms_flash_t *fl = chip->flash;
    uint32_t s = fl->sector_size;
    ms_err_t err = MS_OK;
    if (off % s == 0) {
        err = ms_chip_erase_dirty(&chip->fa_cos, off, s);
        if (err != MS_OK) {
            return err;
        }
    }
    memcpy(chip->work, src, n);
    err = ms_chip_rule_apply(&chip->hdr.rule, chip->k_enc, chip->hdr.nonce, chip->hdr.cos_len,
                             off, chip->work, n, &chip->decrypt_blocks);
    if (err != MS_OK) {
        return err;
    }
    uint32_t padded = n;
    while (padded % fl->write_align != 0) {
        chip->work[padded++] = fl->erased_val; /* tail of the image */
    }
    err = ms_flash_area_write(&chip->fa_cos, off, chip->work, padded);
    ms_secure_zero(chip->work, sizeof chip->work);
    if (err != MS_OK) {
        return err;
    }
    uint32_t end = off + n;
    if (end % s == 0 || end == chip->hdr.cos_len) {
        err = ms_chip_journal_sector_done(chip, (end - 1) / s);
    }
    return err;
}

/* C3 DECRYPT / C4 step 206. */
static uint16_t cmd_data(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    if (!chip->have_header || !chip->have_key) {
        return MS_SW_CONDITIONS;
    }
    if (a->lc < 5) {
        return MS_SW_WRONG_LENGTH;
    }
    uint32_t off = ms_chip_be32(a->data), n = a->lc - 4;
    const uint8_t *src = a->data + 4;
    uint32_t len = chip->hdr.cos_len, s = chip->flash->sector_size;
    if (off > len || n > len - off) {
        return MS_SW_WRONG_LENGTH;
    }
    if (n % 32u != 0 && off + n != len) {
        return MS_SW_WRONG_LENGTH;
    }
    if (off != chip->cursor) {
        return MS_SW_WRONG_DATA;
    }
    uint16_t sw = ms_chip_rsp_room(a, r, 4);
    if (sw != MS_SW_OK) {
        return sw; /* before anything is written */
    }
    ms_err_t err = MS_OK;
    for (uint32_t pos = 0; pos < n && err == MS_OK;) {
        uint32_t at = off + pos;
        uint32_t piece = n - pos;
        if (piece > MS_CHIP_WORK_LEN) {
            piece = MS_CHIP_WORK_LEN;
        }
        if (piece > s - at % s) {
            piece = s - at % s;
        }
        err = write_piece(chip, at, src + pos, piece);
        pos += piece;
    }
    if (err != MS_OK) {
        /* Start again from the first sector not known complete. */
        chip->cursor = resume_point(chip);
        return MS_SW_MEMORY_FAILURE;
    }
    chip->cursor = off + n;
    ms_chip_put_be32(r->buf, chip->cursor);
    r->len = 4;
    return MS_SW_OK;
}

/* The chip's copy of its 84 DE static keys for the COS (C5). */
static ms_err_t store_cos_keys(ms_chip_t *chip)
{
    uint8_t keys[64];
    ms_err_t err = MS_OK;
    for (int t = 0; t < 2 && err == MS_OK; t++) {
        ms_chip_key_purpose_t p = t == 0 ? MS_CHIP_KEY_ENC : MS_CHIP_KEY_MAC;
        err = ms_chip_diversify(MS_CHIP_DIV_EMV, chip->mk_des, chip->uid, p, keys + 16 * t);
        if (err == MS_OK) {
            err = ms_chip_diversify(MS_CHIP_DIV_KDF3, chip->mk_aes, chip->uid, p,
                                    keys + 32 + 16 * t);
        }
    }
    if (err == MS_OK) {
        err = ms_chip_store_put(chip, MS_CHIP_DGI_KEYS, keys, sizeof keys);
    }
    ms_secure_zero(keys, sizeof keys);
    return err;
}

/* C3 VERIFY / C4 steps 207-210. */
static uint16_t cmd_verify(ms_chip_t *chip, const ms_chip_apdu_t *a)
{
    uint8_t hdr_bytes[MS_CHIP_PKG_HDR_LEN], mac[MS_HMAC_SHA256_LEN];
    ms_hmac_ctx h;
    if (a->p1 != 0 || a->p2 != 0) {
        return MS_SW_WRONG_P1P2;
    }
    if (!chip->have_header || !chip->have_key) {
        return MS_SW_CONDITIONS;
    }
    if (a->lc != 8) {
        return MS_SW_WRONG_LENGTH;
    }
    uint32_t len = chip->hdr.cos_len;
    if (chip->cursor != len || resume_point(chip) != len) {
        return MS_SW_CONDITIONS; /* not all written yet */
    }
    if (ms_chip_be32(a->data) != chip->hdr.crc32 || ms_chip_be32(a->data + 4) != chip->hdr.xor32) {
        return MS_SW_WRONG_DATA;
    }
    uint32_t crc = 0, x = 0;
    ms_err_t err = ms_chip_pkg_write(&chip->hdr, hdr_bytes, sizeof hdr_bytes);
    memset(&h, 0, sizeof h);
    if (err == MS_OK) {
        err = ms_hmac_sha256_init(&h, chip->k_mac, sizeof chip->k_mac);
    }
    if (err == MS_OK) {
        err = ms_hmac_sha256_update(&h, hdr_bytes, MS_CHIP_PKG_MAC_OFF);
    }
    for (uint32_t pos = 0; pos < len && err == MS_OK;) {
        uint32_t n = len - pos < MS_CHIP_WORK_LEN ? len - pos : MS_CHIP_WORK_LEN;
        err = ms_flash_area_read(&chip->fa_cos, pos, chip->work, n);
        if (err == MS_OK) {
            crc = ms_chip_crc32_update(crc, chip->work, n);
            x = ms_chip_xor32_update(x, pos, chip->work, n);
            err = ms_hmac_sha256_update(&h, chip->work, n);
        }
        pos += n;
    }
    if (err == MS_OK) {
        err = ms_hmac_sha256_finish(&h, mac);
    }
    ms_hmac_sha256_free(&h);
    ms_secure_zero(chip->work, sizeof chip->work);
    if (err != MS_OK) {
        return MS_SW_MEMORY_FAILURE;
    }
    /* The MAC decides (twice, against a glitched branch); CRC/XOR catch
     * what was garbled on the way into flash. */
    volatile bool ok1 = ms_ct_equal(mac, chip->hdr.mac, sizeof mac);
    volatile bool ok2 = ms_ct_equal(chip->hdr.mac, mac, sizeof mac);
    if (!ok1 || !ok2) {
        return MS_SW_SECURITY;
    }
    if (crc != chip->hdr.crc32 || x != chip->hdr.xor32) {
        return MS_SW_MEMORY_FAILURE; /* step 208: mismatch -> start over */
    }
    if (!ok1 || !ok2) {
        return MS_SW_SECURITY;
    }
    /* Steps 209-210: record the keys the COS needs for 84 DE, then flip. */
    err = store_cos_keys(chip);
    if (err == MS_OK) {
        err = ms_chip_flags_write(&chip->fa_flags, &chip->flags, MS_CHIP_MODE_COS,
                                  MS_CHIP_STATE_INITIAL, len, crc);
    }
    if (err != MS_OK) {
        return MS_SW_MEMORY_FAILURE; /* flag not written: still loader mode */
    }
    /* Step 211: done; the COS runs from the next start. */
    forget_key(chip);
    ms_secure_zero(chip->mk_des, sizeof chip->mk_des);
    ms_secure_zero(chip->mk_aes, sizeof chip->mk_aes);
    chip->mode = MS_CHIP_RUN_MUTE;
    return MS_SW_OK;
}

static uint16_t cmd_progress(ms_chip_t *chip, ms_chip_rsp_t *r)
{
    if (r->cap < 33) {
        return MS_SW_WRONG_LENGTH;
    }
    uint8_t *b = r->buf;
    ms_chip_put_be32(b, chip->have_header ? chip->cursor : resume_point(chip));
    ms_chip_put_be32(b + 4, chip->have_header ? chip->hdr.cos_len : 0);
    ms_chip_put_be32(b + 8, chip->journal_done);
    ms_chip_put_be32(b + 12, chip->flash->sector_size);
    b[16] = (uint8_t)((chip->have_header ? 1u : 0u) | (chip->have_key ? 2u : 0u) |
                      (chip->journal_begun ? 4u : 0u));
    if (chip->journal_begun) {
        memcpy(b + 17, chip->pkg_id, MS_CHIP_PKG_ID_LEN);
    } else {
        memset(b + 17, 0, MS_CHIP_PKG_ID_LEN);
    }
    r->len = 33;
    return MS_SW_OK;
}

uint16_t ms_chip_loader_command(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    switch (a->ins) {
    case MS_CHIP_INS_ERASE:
    case MS_CHIP_INS_DIVERSIFY:
    case MS_CHIP_INS_DECRYPT:
    case MS_CHIP_INS_VERIFY:
        if (a->cla != MS_CHIP_CLA_PROP) {
            return MS_SW_CLA_UNKNOWN;
        }
        break;
    case MS_CHIP_INS_GET_DATA:
        if (!ms_chip_cla_plain(a->cla)) {
            return MS_SW_CLA_UNKNOWN; /* no secure messaging on GET DATA */
        }
        if (a->p1 == 0 && a->p2 == (MS_CHIP_TAG_PROGRESS & 0xFF)) {
            return cmd_progress(chip, r);
        }
        return MS_SW_DATA_NOT_FOUND;
    default:
        return MS_SW_INS_UNKNOWN;
    }
    switch (a->ins) {
    case MS_CHIP_INS_ERASE:
        return cmd_erase(chip, a);
    case MS_CHIP_INS_DIVERSIFY:
        return cmd_diversify(chip, a, r);
    case MS_CHIP_INS_DECRYPT:
        if (a->p2 != 0 || a->p1 > 1) {
            return MS_SW_WRONG_P1P2;
        }
        return a->p1 == 0 ? cmd_header(chip, a, r) : cmd_data(chip, a, r);
    default:
        return cmd_verify(chip, a);
    }
}
