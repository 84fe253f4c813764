/* SPDX-License-Identifier: Apache-2.0 */
/*
 * package.c - the encrypted COS package (C1, C6): an 80-byte header and the
 * body (the COS with its segment rule applied).
 *
 * Header (big-endian):
 *   0 magic "MSCP" | 4 version 1 | 5 rule | 6 by_count | 7 reserved 0
 *   8 seg_param | 12 stride | 16 cos_len | 20 CRC-32 | 24 XOR-32 | 28 reserved 0
 *   32 nonce (16) | 48 MAC = HMAC-SHA256(K_mac, header[0..48) || plaintext COS)
 * The package id (what a licence is bound to) is SHA-256(header)[0..16).
 * Keys: K_enc = HKDF(image key, "MeterSeal chip COS enc", 16 bytes),
 *       K_mac = HKDF(image key, "MeterSeal chip COS mac", 32 bytes).
 * Invariant: the parser reads at most 80 bytes and accepts only headers
 * whose rule is well-formed for their length.
 */
#include <string.h>

#include "internal.h"

static const uint8_t info_enc[] = "MeterSeal chip COS enc";
static const uint8_t info_mac[] = "MeterSeal chip COS mac";

ms_err_t ms_chip_pkg_parse(const uint8_t *buf, size_t len, ms_chip_pkg_header_t *hdr)
{
    if (buf == NULL || hdr == NULL) {
        return MS_ERR_ARG;
    }
    if (len < MS_CHIP_PKG_HDR_LEN) {
        return MS_ERR_TRUNCATED;
    }
    if (ms_chip_be32(buf) != MS_CHIP_PKG_MAGIC) {
        return MS_ERR_BAD_MAGIC;
    }
    if (buf[4] != MS_CHIP_PKG_VERSION) {
        return MS_ERR_UNSUPPORTED;
    }
    if (buf[7] != 0 || ms_chip_be32(buf + 28) != 0) {
        return MS_ERR_FORMAT;
    }
    memset(hdr, 0, sizeof *hdr);
    hdr->rule.kind = buf[5];
    hdr->rule.by_count = buf[6];
    hdr->rule.seg_param = ms_chip_be32(buf + 8);
    hdr->rule.stride = ms_chip_be32(buf + 12);
    hdr->cos_len = ms_chip_be32(buf + 16);
    hdr->crc32 = ms_chip_be32(buf + 20);
    hdr->xor32 = ms_chip_be32(buf + 24);
    memcpy(hdr->nonce, buf + 32, 16);
    memcpy(hdr->mac, buf + MS_CHIP_PKG_MAC_OFF, MS_HMAC_SHA256_LEN);
    if (hdr->cos_len == 0 || ms_chip_rule_check(&hdr->rule, hdr->cos_len) != MS_OK) {
        return MS_ERR_FORMAT;
    }
    return MS_OK;
}

ms_err_t ms_chip_pkg_write(const ms_chip_pkg_header_t *hdr, uint8_t *out, size_t cap)
{
    if (hdr == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    if (cap < MS_CHIP_PKG_HDR_LEN) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    memset(out, 0, MS_CHIP_PKG_HDR_LEN);
    ms_chip_put_be32(out, MS_CHIP_PKG_MAGIC);
    out[4] = MS_CHIP_PKG_VERSION;
    out[5] = hdr->rule.kind;
    out[6] = hdr->rule.by_count;
    ms_chip_put_be32(out + 8, hdr->rule.seg_param);
    ms_chip_put_be32(out + 12, hdr->rule.stride);
    ms_chip_put_be32(out + 16, hdr->cos_len);
    ms_chip_put_be32(out + 20, hdr->crc32);
    ms_chip_put_be32(out + 24, hdr->xor32);
    memcpy(out + 32, hdr->nonce, 16);
    memcpy(out + MS_CHIP_PKG_MAC_OFF, hdr->mac, MS_HMAC_SHA256_LEN);
    return MS_OK;
}

ms_err_t ms_chip_pkg_id(const uint8_t hdr_bytes[MS_CHIP_PKG_HDR_LEN],
                        uint8_t id[MS_CHIP_PKG_ID_LEN])
{
    uint8_t h[MS_SHA256_LEN];
    if (hdr_bytes == NULL || id == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_sha256(hdr_bytes, MS_CHIP_PKG_HDR_LEN, h);
    if (err == MS_OK) {
        memcpy(id, h, MS_CHIP_PKG_ID_LEN);
    }
    return err;
}

ms_err_t ms_chip_pkg_keys(const uint8_t image_key[MS_CHIP_KEY_LEN],
                          uint8_t k_enc[MS_CHIP_KEY_LEN], uint8_t k_mac[MS_HMAC_SHA256_LEN])
{
    if (image_key == NULL || k_enc == NULL || k_mac == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_hkdf_sha256(NULL, 0, image_key, MS_CHIP_KEY_LEN, info_enc,
                                  sizeof info_enc - 1, k_enc, MS_CHIP_KEY_LEN);
    if (err == MS_OK) {
        err = ms_hkdf_sha256(NULL, 0, image_key, MS_CHIP_KEY_LEN, info_mac,
                             sizeof info_mac - 1, k_mac, MS_HMAC_SHA256_LEN);
    }
    if (err != MS_OK) {
        ms_secure_zero(k_enc, MS_CHIP_KEY_LEN);
        ms_secure_zero(k_mac, MS_HMAC_SHA256_LEN);
    }
    return err;
}

ms_err_t ms_chip_pkg_build(const ms_chip_rule_t *rule, const uint8_t image_key[MS_CHIP_KEY_LEN],
                           const uint8_t nonce[16], const uint8_t *cos, uint32_t cos_len,
                           uint8_t *out, size_t cap, size_t *out_len)
{
    ms_chip_pkg_header_t hdr;
    uint8_t k_enc[MS_CHIP_KEY_LEN], k_mac[MS_HMAC_SHA256_LEN];
    ms_hmac_ctx mac;
    ms_err_t err;

    if (rule == NULL || image_key == NULL || nonce == NULL || cos == NULL || out == NULL ||
        out_len == NULL || cos_len == 0) {
        return MS_ERR_ARG;
    }
    if (ms_chip_rule_check(rule, cos_len) != MS_OK) {
        return MS_ERR_ARG;
    }
    if (cap < MS_CHIP_PKG_HDR_LEN || cap - MS_CHIP_PKG_HDR_LEN < cos_len) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    memset(&hdr, 0, sizeof hdr);
    hdr.rule = *rule;
    hdr.cos_len = cos_len;
    hdr.crc32 = ms_chip_crc32_update(0, cos, cos_len);
    hdr.xor32 = ms_chip_xor32_update(0, 0, cos, cos_len);
    memcpy(hdr.nonce, nonce, 16);
    err = ms_chip_pkg_write(&hdr, out, cap);
    if (err == MS_OK) {
        err = ms_chip_pkg_keys(image_key, k_enc, k_mac);
    }
    if (err == MS_OK) {
        memset(&mac, 0, sizeof mac);
        err = ms_hmac_sha256_init(&mac, k_mac, sizeof k_mac);
        if (err == MS_OK) {
            err = ms_hmac_sha256_update(&mac, out, MS_CHIP_PKG_MAC_OFF);
        }
        if (err == MS_OK) {
            err = ms_hmac_sha256_update(&mac, cos, cos_len);
        }
        if (err == MS_OK) {
            err = ms_hmac_sha256_finish(&mac, out + MS_CHIP_PKG_MAC_OFF);
        }
        ms_hmac_sha256_free(&mac);
    }
    if (err == MS_OK) {
        memcpy(out + MS_CHIP_PKG_HDR_LEN, cos, cos_len);
        err = ms_chip_rule_apply(rule, k_enc, nonce, cos_len, 0, out + MS_CHIP_PKG_HDR_LEN,
                                 cos_len, NULL);
    }
    ms_secure_zero(k_enc, sizeof k_enc);
    ms_secure_zero(k_mac, sizeof k_mac);
    if (err == MS_OK) {
        *out_len = MS_CHIP_PKG_HDR_LEN + (size_t)cos_len;
    }
    return err;
}
