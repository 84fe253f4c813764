/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diversify.c - per-chip keys from the loader's master key (C3 KEY
 * DIVERSIFY), as GlobalPlatform tools do it:
 *   EMV CPS (3DES):  K_t = 3DES-ECB(MK, KDD[4..9] || F0 || t || KDD[4..9] || 0F || t)
 *   kdf3 (AES):      K_t = AES-CMAC(MK, 01 || 00 00 00 t 00 || KDD)
 *                    (the SCP03 KDF in counter mode with an empty label,
 *                    one 16-byte block, GlobalPlatformPro's "KDF3")
 * with t = 1 ENC, 2 MAC, 3 DEK and KDD the 10-byte chip serial.
 * Key check values: 3DES(K, 8 x 00) or AES(K, 16 x 01), first 3 bytes.
 * Invariant: intermediate buffers holding key material are wiped.
 */
#include <string.h>

#include "meterseal/chip_formats.h"

ms_err_t ms_chip_diversify(ms_chip_div_method_t method, const uint8_t mk[MS_CHIP_KEY_LEN],
                           const uint8_t kdd[MS_CHIP_UID_LEN], ms_chip_key_purpose_t purpose,
                           uint8_t out[MS_CHIP_KEY_LEN])
{
    if (mk == NULL || kdd == NULL || out == NULL || purpose < MS_CHIP_KEY_ENC ||
        purpose > MS_CHIP_KEY_DEK) {
        return MS_ERR_ARG;
    }
    uint8_t t = (uint8_t)purpose;
    if (method == MS_CHIP_DIV_EMV) {
        uint8_t d[16];
        memcpy(d, kdd + 4, 6);
        d[6] = 0xF0;
        d[7] = t;
        memcpy(d + 8, kdd + 4, 6);
        d[14] = 0x0F;
        d[15] = t;
        return ms_des3_ecb(mk, MS_CHIP_KEY_LEN, true, d, out, sizeof d);
    }
    if (method == MS_CHIP_DIV_KDF3) {
        uint8_t d[6 + MS_CHIP_UID_LEN] = {0x01, 0x00, 0x00, 0x00, t, 0x00};
        memcpy(d + 6, kdd, MS_CHIP_UID_LEN);
        return ms_aes_cmac(mk, MS_CHIP_KEY_LEN, d, sizeof d, out);
    }
    return MS_ERR_UNSUPPORTED;
}

ms_err_t ms_chip_kcv(ms_chip_div_method_t method, const uint8_t key[MS_CHIP_KEY_LEN],
                     uint8_t kcv[MS_CHIP_KCV_LEN])
{
    uint8_t in[16], out[16];
    ms_err_t err;
    if (key == NULL || kcv == NULL) {
        return MS_ERR_ARG;
    }
    if (method == MS_CHIP_DIV_EMV) {
        memset(in, 0x00, 8);
        err = ms_des3_ecb(key, MS_CHIP_KEY_LEN, true, in, out, 8);
    } else if (method == MS_CHIP_DIV_KDF3) {
        memset(in, 0x01, 16);
        err = ms_aes_ecb_encrypt_block(key, MS_CHIP_KEY_LEN, in, out);
    } else {
        return MS_ERR_UNSUPPORTED;
    }
    if (err == MS_OK) {
        memcpy(kcv, out, MS_CHIP_KCV_LEN);
    }
    return err;
}

ms_err_t ms_chip_scp03_kdf(const uint8_t key[MS_CHIP_KEY_LEN], uint8_t constant,
                           const uint8_t *context, size_t context_len,
                           uint8_t *out, size_t out_len)
{
    uint8_t d[16 + 32];
    if (key == NULL || out == NULL || (context == NULL && context_len != 0) ||
        context_len > 32 || (out_len != 8 && out_len != 16 && out_len != 32)) {
        return MS_ERR_ARG;
    }
    memset(d, 0, 11);
    d[11] = constant;
    d[12] = 0x00;
    d[13] = (uint8_t)((out_len * 8u) >> 8);
    d[14] = (uint8_t)(out_len * 8u);
    if (context_len != 0) {
        memcpy(d + 16, context, context_len);
    }
    size_t done = 0;
    for (uint8_t i = 1; done < out_len; i++) {
        uint8_t blk[16];
        d[15] = i;
        ms_err_t err = ms_aes_cmac(key, MS_CHIP_KEY_LEN, d, 16 + context_len, blk);
        if (err != MS_OK) {
            ms_secure_zero(blk, sizeof blk);
            return err;
        }
        size_t n = out_len - done < 16 ? out_len - done : 16;
        memcpy(out + done, blk, n);
        done += n;
        ms_secure_zero(blk, sizeof blk);
    }
    return MS_OK;
}
