/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cos.c - the COS: a small card OS (C5, C7). Commands:
 *   00 A4 04 00|0C Lc AID    SELECT the COS application (P2 00: FCI, 0C: none)
 *   80 CA P1 P2              GET DATA of a personalisation data object (tag P1P2;
 *                            also 00 CA)
 *   80 E2 P1 P2 Lc DGIs      STORE DATA: DGI (2) | length (1) | value, repeated
 *   80 50 kv 00 08 host      INITIALIZE UPDATE: opens the 84 DE session
 *                            (kv 02 SCP02-style 3DES, 00/03 SCP03-style AES)
 *   84 DE 00 00 Lc data      download (reload) the Loader OS under the session
 * The loader's commands (ERASE, KEY DIVERSIFY, DECRYPT, VERIFY) do not exist
 * here: a plain download in COS mode answers 6D00. Data comes back under the
 * ISO 7816-4 Le rules of apdu.c.
 * Invariants: 84 DE commands act only after their C-MAC verified; a command
 * whose secure messaging fails (bad MAC, or a body too short or misaligned
 * to carry one) closes the session (GlobalPlatform SCP03 5.6: a security
 * error aborts the secure channel session); a refused STORE DATA writes
 * nothing; Flag1 goes back to LOADER only after the whole loader
 * image is in flash and matches the authenticated length and SHA-256 and its
 * own CRC; an SCP02 sequence counter is never used twice in the chip's life
 * (each COS life owns the band of its flag record's seq).
 */
#include <string.h>

#include "internal.h"

static const uint8_t cos_aid[] = {0xA0, 0x00, 0x00, 0x06, 0x47, 0x4D, 0x53, 0x43, 0x4F, 0x53};

/* SELECT by DF name (P1 04), first or only occurrence, P2 00: answer the
 * FCI 6F { 84 DF name }; P2 0C: no response data. ISO 7816-4 also defines
 * FCP (04) and FMD (08) answers and next/last/previous occurrence: not
 * supported here, like every other P2 (6A86). */
static uint16_t cmd_select(const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    if (a->p1 != 0x04 || (a->p2 != 0x00 && a->p2 != 0x0C)) {
        return MS_SW_WRONG_P1P2;
    }
    if (a->lc != sizeof cos_aid || memcmp(a->data, cos_aid, sizeof cos_aid) != 0) {
        return MS_SW_FILE_NOT_FOUND;
    }
    if (a->p2 == 0x00) {
        if (r->cap < 4 + sizeof cos_aid) {
            return MS_SW_WRONG_LENGTH;
        }
        r->buf[0] = 0x6F;
        r->buf[1] = (uint8_t)(2 + sizeof cos_aid);
        r->buf[2] = 0x84;
        r->buf[3] = (uint8_t)sizeof cos_aid;
        memcpy(r->buf + 4, cos_aid, sizeof cos_aid);
        r->len = 4 + sizeof cos_aid;
    }
    return MS_SW_OK;
}

static uint16_t cmd_get_data(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    uint16_t tag = (uint16_t)((a->p1 << 8) | a->p2);
    size_t n = 0;
    if (tag == 0 || tag >= MS_CHIP_DGI_INTERNAL || r->cap < MS_CHIP_STORE_MAX) {
        return MS_SW_DATA_NOT_FOUND;
    }
    ms_err_t err = ms_chip_store_get(chip, tag, r->buf, r->cap, &n);
    if (err == MS_ERR_NOT_FOUND) {
        return MS_SW_DATA_NOT_FOUND;
    }
    if (err != MS_OK) {
        return MS_SW_MEMORY_FAILURE;
    }
    r->len = n;
    return MS_SW_OK;
}

/* C7: pre-personalisation and personalisation data. A refused command
 * writes nothing: every DGI is checked, and the room they all take, before
 * the first one is written. */
static uint16_t cmd_store_data(ms_chip_t *chip, const ms_chip_apdu_t *a)
{
    uint32_t need = 0, room = 0;
    if (a->lc == 0) {
        return MS_SW_WRONG_LENGTH;
    }
    for (uint32_t pos = 0; pos < a->lc;) {
        if (a->lc - pos < 3) {
            return MS_SW_WRONG_LENGTH;
        }
        uint16_t tag = ms_chip_be16(a->data + pos);
        uint32_t n = a->data[pos + 2];
        if (tag == 0 || tag >= MS_CHIP_DGI_INTERNAL || n > MS_CHIP_STORE_MAX) {
            return MS_SW_WRONG_DATA;
        }
        if (n > a->lc - pos - 3) {
            return MS_SW_WRONG_LENGTH;
        }
        need += ms_chip_store_rec_size(chip, n);
        pos += 3 + n;
    }
    if (ms_chip_store_free(chip, &room) != MS_OK) {
        return MS_SW_MEMORY_FAILURE;
    }
    if (need > room) {
        return MS_SW_NO_SPACE;
    }
    for (uint32_t pos = 0; pos < a->lc;) {
        uint16_t tag = ms_chip_be16(a->data + pos);
        uint32_t n = a->data[pos + 2];
        ms_err_t err = ms_chip_store_put(chip, tag, a->data + pos + 3, n);
        if (err == MS_ERR_BUFFER_TOO_SMALL) {
            return MS_SW_NO_SPACE;
        }
        if (err != MS_OK) {
            return MS_SW_MEMORY_FAILURE;
        }
        pos += 3 + n;
    }
    return MS_SW_OK;
}

static uint16_t cmd_init_update(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    uint8_t keys[64], card_chal[8], cryptogram[8];
    size_t n = 0;
    ms_chip_scp_t scp;
    ms_chip_session_close(&chip->session);
    chip->dl_cursor = UINT32_MAX;
    if (a->p1 == 0x00 || a->p1 == 0x03) {
        scp = MS_CHIP_SCP03;
    } else if (a->p1 == 0x02) {
        scp = MS_CHIP_SCP02;
    } else {
        return MS_SW_WRONG_P1P2;
    }
    if (a->p2 != 0) {
        return MS_SW_WRONG_P1P2;
    }
    if (a->lc != 8) {
        return MS_SW_WRONG_LENGTH;
    }
    uint16_t sw = ms_chip_rsp_room(a, r, scp == MS_CHIP_SCP03 ? 29 : 28);
    if (sw != MS_SW_OK) {
        return sw; /* before the SCP02 counter moves */
    }
    ms_err_t err = ms_chip_store_get(chip, MS_CHIP_DGI_KEYS, keys, sizeof keys, &n);
    if (err != MS_OK || n != sizeof keys) {
        ms_secure_zero(keys, sizeof keys);
        return MS_SW_CONDITIONS;
    }
    uint16_t seq = 0;
    size_t cl = scp == MS_CHIP_SCP03 ? 8 : 6;
    if (scp == MS_CHIP_SCP02) {
        /* The sequence counter moves before it is used: a cut never reuses it. */
        uint8_t sb[2] = {0, 0};
        size_t sn = 0;
        err = ms_chip_store_get(chip, MS_CHIP_DGI_SEQ, sb, sizeof sb, &sn);
        if (err == MS_OK && sn == 2) {
            seq = ms_chip_be16(sb);
        } else if (err != MS_ERR_NOT_FOUND) {
            /* Only "never stored" means 0: a failed read must not restart the
             * counter (same counter = same session keys = replayable). */
            ms_secure_zero(keys, sizeof keys);
            return MS_SW_MEMORY_FAILURE;
        }
        /* The store is wiped by the next download's ERASE, so the stored
         * counter alone would start again at 1 in the chip's next life and
         * a recorded session (its keys depend on the counter only) would
         * replay. Each life owns the band flag seq << 8 .. | FF: the flag
         * seq only grows (the flag sector is never erased). */
        uint32_t band = chip->flags.seq;
        if (band > 0xFFu) {
            ms_secure_zero(keys, sizeof keys);
            return MS_SW_CONDITIONS;
        }
        if (seq < (uint16_t)(band << 8)) {
            seq = (uint16_t)(band << 8);
        }
        if ((seq & 0xFFu) == 0xFFu || (seq >> 8) != band) {
            ms_secure_zero(keys, sizeof keys); /* this life's counters used up */
            return MS_SW_CONDITIONS;
        }
        seq++;
        ms_chip_put_be16(sb, seq);
        if (ms_chip_store_put(chip, MS_CHIP_DGI_SEQ, sb, 2) != MS_OK) {
            ms_secure_zero(keys, sizeof keys);
            return MS_SW_MEMORY_FAILURE;
        }
    }
    err = ms_random(card_chal, cl);
    if (err == MS_OK) {
        const uint8_t *k = scp == MS_CHIP_SCP03 ? keys + 32 : keys;
        err = ms_chip_session_open(&chip->session, scp, k, k + 16, a->data, card_chal, cl, seq,
                                   cryptogram);
    }
    ms_secure_zero(keys, sizeof keys);
    if (err != MS_OK) {
        return MS_SW_MEMORY_FAILURE;
    }
    uint8_t *b = r->buf;
    memcpy(b, chip->uid, MS_CHIP_UID_LEN);
    b[10] = 0x01;               /* key version */
    b[11] = (uint8_t)scp;       /* SCP identifier */
    size_t at = 12;
    if (scp == MS_CHIP_SCP03) {
        b[at++] = 0x00;         /* i parameter */
    } else {
        ms_chip_put_be16(b + at, seq);
        at += 2;
    }
    memcpy(b + at, card_chal, cl);
    at += cl;
    memcpy(b + at, cryptogram, 8);
    at += 8;
    r->len = at;
    return MS_SW_OK;
}

/* SHA-256 of the first len bytes of the loader area. */
static ms_err_t loader_hash(ms_chip_t *chip, uint32_t len, uint8_t out[MS_SHA256_LEN])
{
    ms_sha256_ctx h;
    memset(&h, 0, sizeof h);
    ms_err_t err = ms_sha256_init(&h);
    for (uint32_t pos = 0; pos < len && err == MS_OK;) {
        uint32_t n = len - pos < MS_CHIP_WORK_LEN ? len - pos : MS_CHIP_WORK_LEN;
        err = ms_flash_area_read(&chip->fa_loader, pos, chip->work, n);
        if (err == MS_OK) {
            err = ms_sha256_update(&h, chip->work, n);
        }
        pos += n;
    }
    if (err == MS_OK) {
        err = ms_sha256_finish(&h, out);
    }
    ms_sha256_free(&h);
    return err;
}

/* C5: 84 DE 00 00 Lc data - reload the Loader OS (steps 303-306). */
static uint16_t cmd_download(ms_chip_t *chip, const ms_chip_apdu_t *a)
{
    uint8_t plain[224], hash[MS_SHA256_LEN];
    uint8_t hdr[4] = {a->cla, a->ins, a->p1, a->p2};
    uint8_t flags = 0;
    uint32_t off = 0;
    size_t n = 0;
    if (a->cla != MS_CHIP_CLA_SECURE) {
        return MS_SW_SECURITY; /* no secure messaging: refused */
    }
    if (a->p1 != 0 || a->p2 != 0) {
        return MS_SW_WRONG_P1P2;
    }
    if (chip->session.scp == 0) {
        return MS_SW_CONDITIONS;
    }
    ms_err_t err = ms_chip_session_unwrap_dl(&chip->session, hdr, a->data, a->lc, &flags, &off,
                                             plain, sizeof plain, &n);
    if (err != MS_OK) {
        ms_chip_session_close(&chip->session);
        chip->dl_cursor = UINT32_MAX;
        return err == MS_ERR_AUTH ? MS_SW_SECURITY : MS_SW_WRONG_LENGTH;
    }
    uint16_t sw = MS_SW_OK;
    if (flags & MS_CHIP_DL_LAST) {
        /* Step 305: the loader's integrity, then step 306: clear Flag1. */
        uint32_t total = ms_chip_be32(plain);
        uint32_t ldr_len = 0;
        if (n < 36 || off != 0 || chip->dl_cursor != total || total == 0) {
            sw = MS_SW_CONDITIONS;
        } else if (loader_hash(chip, total, hash) != MS_OK) {
            sw = MS_SW_MEMORY_FAILURE;
        } else if (!ms_ct_equal(hash, plain + 4, MS_SHA256_LEN) ||
                   ms_chip_loader_check(&chip->fa_loader, chip->work, sizeof chip->work, NULL,
                                        NULL, &ldr_len) != MS_OK ||
                   ldr_len != total) {
            sw = MS_SW_MEMORY_FAILURE;
        } else if (ms_chip_flags_write(&chip->fa_flags, &chip->flags, MS_CHIP_MODE_LOADER,
                                       MS_CHIP_STATE_INITIAL, 0, 0) != MS_OK) {
            sw = MS_SW_MEMORY_FAILURE;
        } else {
            ms_chip_session_close(&chip->session);
            chip->mode = MS_CHIP_RUN_MUTE; /* loader mode from the next start */
        }
        ms_secure_zero(plain, sizeof plain);
        return sw;
    }
    if (flags & MS_CHIP_DL_FIRST) {
        if (off != 0) {
            ms_secure_zero(plain, sizeof plain);
            return MS_SW_WRONG_DATA;
        }
        if (ms_chip_erase_dirty(&chip->fa_loader, 0, chip->map.loader_size) != MS_OK) {
            ms_secure_zero(plain, sizeof plain);
            return MS_SW_MEMORY_FAILURE;
        }
        chip->dl_cursor = 0;
    }
    if (n % 16 != 0) {
        sw = MS_SW_WRONG_LENGTH;
    } else if (off != chip->dl_cursor) {
        sw = MS_SW_WRONG_DATA;
    } else if (off > chip->map.loader_size || n > chip->map.loader_size - off) {
        sw = MS_SW_NO_SPACE;
    } else if (ms_flash_area_write(&chip->fa_loader, off, plain, n) != MS_OK) {
        chip->dl_cursor = UINT32_MAX;
        sw = MS_SW_MEMORY_FAILURE;
    } else {
        chip->dl_cursor = off + (uint32_t)n;
    }
    ms_secure_zero(plain, sizeof plain);
    return sw;
}

uint16_t ms_chip_cos_command(ms_chip_t *chip, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    switch (a->ins) {
    case MS_CHIP_INS_SELECT:
        return a->cla == 0x00 ? cmd_select(a, r) : MS_SW_CLA_UNKNOWN;
    case MS_CHIP_INS_GET_DATA:
        return ms_chip_cla_plain(a->cla) ? cmd_get_data(chip, a, r) : MS_SW_CLA_UNKNOWN;
    case MS_CHIP_INS_STORE_DATA:
        return a->cla == 0x80 ? cmd_store_data(chip, a) : MS_SW_CLA_UNKNOWN;
    case MS_CHIP_INS_INIT_UPDATE:
        return a->cla == 0x80 ? cmd_init_update(chip, a, r) : MS_SW_CLA_UNKNOWN;
    case MS_CHIP_INS_DOWNLOAD:
        return cmd_download(chip, a);
    default:
        return MS_SW_INS_UNKNOWN;
    }
}
