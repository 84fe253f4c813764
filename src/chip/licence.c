/* SPDX-License-Identifier: Apache-2.0 */
/*
 * licence.c - per-chip licences (over-production control, beyond the
 * source, as STM32 SFI does it): the COS is encrypted once under an image
 * key; each chip gets that key wrapped under its own diversified DEK and
 * authenticated under its diversified MAC key. A licence for chip A fails
 * on chip B because B diversifies with its own serial.
 *
 * Layout (68 bytes): 0 "MSLC" | 4 version 1 | 5 method (1 EMV, 2 kdf3) |
 *   6 reserved 00 00 | 8 uid (10) | 18 reserved 00 00 | 20 package id (16) |
 *   36 wrapped image key (16) | 52 MAC (16)
 * Wrap: 3DES-ECB (EMV) or AES-ECB (kdf3) under K_DEK.
 * MAC over bytes 0..52: kdf3 AES-CMAC(K_MAC); EMV 3DES-CBC-MAC (ISO 9797-1
 * method 2 padding, zero IV) under K_MAC, 8 bytes followed by 8 zero bytes.
 * Invariant: the image key is never returned unless the MAC verified (in
 * constant time) with keys derived from the chip's own uid.
 */
#include <string.h>

#include "internal.h"

#define LIC_MAC_OFF 52u

ms_err_t ms_chip_licence_parse(const uint8_t *buf, size_t len, ms_chip_licence_t *lic)
{
    if (buf == NULL || lic == NULL) {
        return MS_ERR_ARG;
    }
    if (len != MS_CHIP_LIC_LEN) {
        return len < MS_CHIP_LIC_LEN ? MS_ERR_TRUNCATED : MS_ERR_FORMAT;
    }
    if (ms_chip_be32(buf) != MS_CHIP_LIC_MAGIC) {
        return MS_ERR_BAD_MAGIC;
    }
    if (buf[4] != 1) {
        return MS_ERR_UNSUPPORTED;
    }
    if (buf[5] != MS_CHIP_DIV_EMV && buf[5] != MS_CHIP_DIV_KDF3) {
        return MS_ERR_UNSUPPORTED;
    }
    if (buf[6] != 0 || buf[7] != 0 || buf[18] != 0 || buf[19] != 0) {
        return MS_ERR_FORMAT;
    }
    if (buf[5] == MS_CHIP_DIV_EMV && !ms_chip_all(buf + LIC_MAC_OFF + 8, 8, 0)) {
        return MS_ERR_FORMAT;
    }
    lic->method = buf[5];
    memcpy(lic->uid, buf + 8, MS_CHIP_UID_LEN);
    memcpy(lic->pkg_id, buf + 20, MS_CHIP_PKG_ID_LEN);
    memcpy(lic->wrapped, buf + 36, MS_CHIP_KEY_LEN);
    memcpy(lic->mac, buf + LIC_MAC_OFF, 16);
    return MS_OK;
}

/* MAC of the first 52 licence bytes into mac[16]. */
static ms_err_t licence_mac(uint8_t method, const uint8_t k_mac[MS_CHIP_KEY_LEN],
                            const uint8_t *lic, uint8_t mac[16])
{
    if (method == MS_CHIP_DIV_KDF3) {
        return ms_aes_cmac(k_mac, MS_CHIP_KEY_LEN, lic, LIC_MAC_OFF, mac);
    }
    /* 52 bytes + 80 + 3 zero bytes = 56 = 7 DES blocks. */
    uint8_t padded[56], ct[56];
    static const uint8_t iv[8] = {0};
    memcpy(padded, lic, LIC_MAC_OFF);
    padded[52] = 0x80;
    padded[53] = padded[54] = padded[55] = 0;
    ms_err_t err = ms_des3_cbc(k_mac, MS_CHIP_KEY_LEN, true, iv, padded, ct, sizeof padded);
    if (err == MS_OK) {
        memcpy(mac, ct + 48, 8);
        memset(mac + 8, 0, 8);
    }
    return err;
}

static ms_err_t wrap_key(uint8_t method, const uint8_t dek[MS_CHIP_KEY_LEN], bool encrypt,
                         const uint8_t in[16], uint8_t out[16])
{
    if (method == MS_CHIP_DIV_KDF3) {
        if (encrypt) {
            return ms_aes_ecb_encrypt_block(dek, MS_CHIP_KEY_LEN, in, out);
        }
        static const uint8_t iv[16] = {0};
        return ms_aes_cbc(dek, MS_CHIP_KEY_LEN, false, iv, in, out, 16);
    }
    return ms_des3_ecb(dek, MS_CHIP_KEY_LEN, encrypt, in, out, 16);
}

ms_err_t ms_chip_licence_issue(ms_chip_div_method_t method, const uint8_t mk[MS_CHIP_KEY_LEN],
                               const uint8_t uid[MS_CHIP_UID_LEN],
                               const uint8_t pkg_id[MS_CHIP_PKG_ID_LEN],
                               const uint8_t image_key[MS_CHIP_KEY_LEN],
                               uint8_t out[MS_CHIP_LIC_LEN])
{
    uint8_t dek[MS_CHIP_KEY_LEN], kmac[MS_CHIP_KEY_LEN];
    if (mk == NULL || uid == NULL || pkg_id == NULL || image_key == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    if (method != MS_CHIP_DIV_EMV && method != MS_CHIP_DIV_KDF3) {
        return MS_ERR_UNSUPPORTED;
    }
    memset(out, 0, MS_CHIP_LIC_LEN);
    ms_chip_put_be32(out, MS_CHIP_LIC_MAGIC);
    out[4] = 1;
    out[5] = (uint8_t)method;
    memcpy(out + 8, uid, MS_CHIP_UID_LEN);
    memcpy(out + 20, pkg_id, MS_CHIP_PKG_ID_LEN);
    ms_err_t err = ms_chip_diversify(method, mk, uid, MS_CHIP_KEY_DEK, dek);
    if (err == MS_OK) {
        err = ms_chip_diversify(method, mk, uid, MS_CHIP_KEY_MAC, kmac);
    }
    if (err == MS_OK) {
        err = wrap_key((uint8_t)method, dek, true, image_key, out + 36);
    }
    if (err == MS_OK) {
        err = licence_mac((uint8_t)method, kmac, out, out + LIC_MAC_OFF);
    }
    ms_secure_zero(dek, sizeof dek);
    ms_secure_zero(kmac, sizeof kmac);
    return err;
}

ms_err_t ms_chip_licence_open(const uint8_t *buf, size_t len, const uint8_t mk[MS_CHIP_KEY_LEN],
                              const uint8_t uid[MS_CHIP_UID_LEN],
                              const uint8_t pkg_id[MS_CHIP_PKG_ID_LEN],
                              uint8_t image_key[MS_CHIP_KEY_LEN])
{
    ms_chip_licence_t lic;
    uint8_t dek[MS_CHIP_KEY_LEN], kmac[MS_CHIP_KEY_LEN], mac[16], key[16];
    if (mk == NULL || uid == NULL || pkg_id == NULL || image_key == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_chip_licence_parse(buf, len, &lic);
    if (err != MS_OK) {
        return err;
    }
    err = ms_chip_diversify((ms_chip_div_method_t)lic.method, mk, uid, MS_CHIP_KEY_MAC, kmac);
    if (err == MS_OK) {
        err = licence_mac(lic.method, kmac, buf, mac);
    }
    if (err == MS_OK) {
        /* Fault hardening: the MAC decision is taken twice. */
        volatile bool ok1 = ms_ct_equal(mac, lic.mac, 16);
        volatile bool ok2 = ms_ct_equal(lic.mac, mac, 16);
        if (!ok1 || !ok2 || memcmp(lic.uid, uid, MS_CHIP_UID_LEN) != 0) {
            err = MS_ERR_AUTH;
        }
    }
    if (err == MS_OK && !ms_ct_equal(lic.pkg_id, pkg_id, MS_CHIP_PKG_ID_LEN)) {
        err = MS_ERR_KEY_MISMATCH;
    }
    if (err == MS_OK) {
        err = ms_chip_diversify((ms_chip_div_method_t)lic.method, mk, uid, MS_CHIP_KEY_DEK, dek);
    }
    if (err == MS_OK) {
        err = wrap_key(lic.method, dek, false, lic.wrapped, key);
    }
    if (err == MS_OK) {
        memcpy(image_key, key, MS_CHIP_KEY_LEN);
    }
    ms_secure_zero(dek, sizeof dek);
    ms_secure_zero(kmac, sizeof kmac);
    ms_secure_zero(key, sizeof key);
    return err;
}
