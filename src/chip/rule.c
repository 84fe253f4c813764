/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rule.c - the segment encryption rules of C6.
 *
 * The image is cut into segments of seg_size bytes (the last one may be
 * shorter). In each segment k starting at s = k * seg_size with length L:
 *   FIRST16:      window [s, s + 16) if L >= 16, none otherwise;
 *   PROGRESSIVE:  window [s + w, s + w + 16), w = (k * stride) mod (L - 15),
 *                 none if L < 16 (stride 21 gives the source's bytes 1-16,
 *                 22-37, 43-58, ...);
 *   WHOLE:        every byte (AES-CTR over the image);
 *   NONE:         nothing.
 * A window's key stream is one AES block keyed by K_enc over a counter
 * block holding the window's absolute offset, so the same plaintext in two
 * windows never encrypts the same way. Encryption and decryption are the
 * same XOR, and any chunking of the image gives the same bytes.
 */
#include <string.h>

#include "meterseal/chip_formats.h"

uint32_t ms_chip_rule_seg_size(const ms_chip_rule_t *rule, uint32_t image_len)
{
    if (rule == NULL) {
        return 0;
    }
    if (rule->kind == MS_CHIP_RULE_NONE || rule->kind == MS_CHIP_RULE_WHOLE) {
        return 16;
    }
    if (rule->kind != MS_CHIP_RULE_FIRST16 && rule->kind != MS_CHIP_RULE_PROGRESSIVE) {
        return 0;
    }
    uint32_t seg;
    if (rule->by_count) {
        if (rule->seg_param == 0 || image_len == 0) {
            return 0;
        }
        seg = image_len / rule->seg_param + (image_len % rule->seg_param != 0);
    } else {
        seg = rule->seg_param;
    }
    return seg < 16 ? 0 : seg;
}

ms_err_t ms_chip_rule_check(const ms_chip_rule_t *rule, uint32_t image_len)
{
    if (rule == NULL || rule->by_count > 1) {
        return MS_ERR_FORMAT;
    }
    if (ms_chip_rule_seg_size(rule, image_len) == 0) {
        return MS_ERR_FORMAT;
    }
    if (rule->kind == MS_CHIP_RULE_PROGRESSIVE && rule->stride == 0) {
        return MS_ERR_FORMAT;
    }
    if ((rule->kind == MS_CHIP_RULE_NONE || rule->kind == MS_CHIP_RULE_WHOLE) &&
        (rule->seg_param != 0 || rule->stride != 0 || rule->by_count != 0)) {
        return MS_ERR_FORMAT;
    }
    if (rule->kind == MS_CHIP_RULE_FIRST16 && rule->stride != 0) {
        return MS_ERR_FORMAT;
    }
    return MS_OK;
}

static void counter_block(uint8_t cb[16], const uint8_t nonce[8], uint64_t x)
{
    memcpy(cb, nonce, 8);
    for (int i = 0; i < 8; i++) {
        cb[15 - i] = (uint8_t)(x >> (8 * i));
    }
}

static ms_err_t apply_whole(const uint8_t *key, const uint8_t nonce[8], uint32_t off,
                            uint8_t *buf, size_t len, uint32_t *blocks)
{
    uint8_t cb[16], ks[16];
    ms_err_t err = MS_OK;
    /* A head that does not start on a block boundary. */
    if (off % 16 != 0) {
        counter_block(cb, nonce, off / 16);
        err = ms_aes_ecb_encrypt_block(key, MS_CHIP_KEY_LEN, cb, ks);
        if (err != MS_OK) {
            return err;
        }
        size_t skip = off % 16, n = 16 - skip;
        if (n > len) {
            n = len;
        }
        for (size_t i = 0; i < n; i++) {
            buf[i] ^= ks[skip + i];
        }
        buf += n;
        len -= n;
        off += (uint32_t)n;
        *blocks += 1;
    }
    if (len != 0) {
        counter_block(cb, nonce, off / 16);
        err = ms_aes_ctr(key, MS_CHIP_KEY_LEN, cb, buf, buf, len);
        *blocks += (uint32_t)((len + 15) / 16);
    }
    ms_secure_zero(ks, sizeof ks);
    return err;
}

ms_err_t ms_chip_rule_apply(const ms_chip_rule_t *rule, const uint8_t key[MS_CHIP_KEY_LEN],
                            const uint8_t nonce[8], uint32_t image_len,
                            uint32_t off, uint8_t *buf, size_t len, uint32_t *blocks)
{
    uint32_t dummy = 0;
    if (blocks == NULL) {
        blocks = &dummy;
    }
    if (rule == NULL || key == NULL || nonce == NULL || (buf == NULL && len != 0) ||
        off > image_len || len > image_len - off) {
        return MS_ERR_ARG;
    }
    if (ms_chip_rule_check(rule, image_len) != MS_OK) {
        return MS_ERR_FORMAT;
    }
    if (len == 0 || rule->kind == MS_CHIP_RULE_NONE) {
        return MS_OK;
    }
    if (rule->kind == MS_CHIP_RULE_WHOLE) {
        return apply_whole(key, nonce, off, buf, len, blocks);
    }
    uint32_t seg = ms_chip_rule_seg_size(rule, image_len);
    uint32_t end = off + (uint32_t)len;
    uint8_t cb[16], ks[16];
    for (uint32_t k = off / seg; (uint64_t)k * seg < end; k++) {
        uint32_t s = k * seg;
        uint32_t l = image_len - s < seg ? image_len - s : seg;
        if (l < 16) {
            continue;
        }
        uint32_t w = 0;
        if (rule->kind == MS_CHIP_RULE_PROGRESSIVE) {
            w = (uint32_t)(((uint64_t)k * rule->stride) % (uint64_t)(l - 15u));
        }
        uint32_t ws = s + w, we = ws + 16;
        uint32_t lo = ws > off ? ws : off;
        uint32_t hi = we < end ? we : end;
        if (lo >= hi) {
            continue;
        }
        counter_block(cb, nonce, (1ull << 63) | ws);
        ms_err_t err = ms_aes_ecb_encrypt_block(key, MS_CHIP_KEY_LEN, cb, ks);
        if (err != MS_OK) {
            return err;
        }
        *blocks += 1;
        for (uint32_t i = lo; i < hi; i++) {
            buf[i - off] ^= ks[i - ws];
        }
    }
    ms_secure_zero(ks, sizeof ks);
    return MS_OK;
}
