/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader_image.c - the Loader OS image held in the Loader area (C1, C5).
 *
 * Layout (big-endian): 0 "MSLD" | 4 version 1 | 5 reserved 00 00 00 |
 *   8 code length | 12 CRC-32 over bytes [16, total) | 16 3DES master key |
 *   32 AES master key | 48 code | zero padding to a multiple of 16.
 * The master keys are the loader's secrets (C3 KEY DIVERSIFY); the code is
 * opaque to this model (the emulator's loader logic is loader.c).
 * Invariant: the checker reads the area in work-buffer chunks and accepts
 * only an image whose whole length lies inside the area and whose CRC holds.
 */
#include <string.h>

#include "internal.h"

ms_err_t ms_chip_loader_build(const uint8_t mk_des[MS_CHIP_KEY_LEN],
                              const uint8_t mk_aes[MS_CHIP_KEY_LEN],
                              const uint8_t *code, uint32_t code_len,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    if (mk_des == NULL || mk_aes == NULL || (code == NULL && code_len != 0) || out == NULL ||
        out_len == NULL || code_len > 0x01000000u) {
        return MS_ERR_ARG;
    }
    size_t total = MS_CHIP_LDR_HDR_LEN + (size_t)code_len;
    total = (total + 15u) & ~(size_t)15u;
    if (cap < total) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    memset(out, 0, total);
    ms_chip_put_be32(out, MS_CHIP_LDR_MAGIC);
    out[4] = 1;
    ms_chip_put_be32(out + 8, code_len);
    memcpy(out + 16, mk_des, MS_CHIP_KEY_LEN);
    memcpy(out + 32, mk_aes, MS_CHIP_KEY_LEN);
    if (code_len != 0) {
        memcpy(out + MS_CHIP_LDR_HDR_LEN, code, code_len);
    }
    ms_chip_put_be32(out + 12, ms_chip_crc32_update(0, out + 16, total - 16));
    *out_len = total;
    return MS_OK;
}

ms_err_t ms_chip_loader_check(const ms_flash_area_t *fa, uint8_t *work, size_t work_len,
                              uint8_t mk_des[MS_CHIP_KEY_LEN], uint8_t mk_aes[MS_CHIP_KEY_LEN],
                              uint32_t *total_len)
{
    if (fa == NULL || work == NULL || work_len < MS_CHIP_LDR_HDR_LEN) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_flash_area_read(fa, 0, work, MS_CHIP_LDR_HDR_LEN);
    if (err != MS_OK) {
        return err;
    }
    if (ms_chip_be32(work) != MS_CHIP_LDR_MAGIC || work[4] != 1 || work[5] != 0 ||
        work[6] != 0 || work[7] != 0) {
        return MS_ERR_BAD_MAGIC;
    }
    uint32_t code_len = ms_chip_be32(work + 8);
    uint32_t want = ms_chip_be32(work + 12);
    if (code_len > fa->size || MS_CHIP_LDR_HDR_LEN + code_len > fa->size) {
        return MS_ERR_FORMAT;
    }
    uint32_t total = (MS_CHIP_LDR_HDR_LEN + code_len + 15u) & ~15u;
    if (total > fa->size) {
        return MS_ERR_FORMAT;
    }
    if (mk_des != NULL) {
        memcpy(mk_des, work + 16, MS_CHIP_KEY_LEN);
    }
    if (mk_aes != NULL) {
        memcpy(mk_aes, work + 32, MS_CHIP_KEY_LEN);
    }
    uint32_t crc = 0;
    for (uint32_t pos = 16; pos < total;) {
        uint32_t n = total - pos < work_len ? total - pos : (uint32_t)work_len;
        err = ms_flash_area_read(fa, pos, work, n);
        if (err != MS_OK) {
            break;
        }
        crc = ms_chip_crc32_update(crc, work, n);
        pos += n;
    }
    ms_secure_zero(work, work_len);
    if (err == MS_OK && crc != want) {
        err = MS_ERR_FORMAT;
    }
    if (err != MS_OK) {
        if (mk_des != NULL) {
            ms_secure_zero(mk_des, MS_CHIP_KEY_LEN);
        }
        if (mk_aes != NULL) {
            ms_secure_zero(mk_aes, MS_CHIP_KEY_LEN);
        }
        return err;
    }
    if (total_len != NULL) {
        *total_len = total;
    }
    return MS_OK;
}
