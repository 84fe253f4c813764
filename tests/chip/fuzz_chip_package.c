/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_chip_package.c - libFuzzer target for the package header, licence
 * and loader-image parsers and the segment rule over what they accept.
 * Input: a package (header || body); if it is 68 bytes long it is also
 * tried as a licence.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "meterseal/chip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t mk[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                   0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
    static const uint8_t uid[10] = {0};
    static const uint8_t key[16] = {1};
    ms_chip_pkg_header_t h;
    if (ms_chip_pkg_parse(data, size, &h) == MS_OK) {
        if (ms_chip_rule_check(&h.rule, h.cos_len) != MS_OK) {
            abort(); /* the parser promised a valid rule */
        }
        size_t body = size - MS_CHIP_PKG_HDR_LEN;
        size_t n = body < h.cos_len ? body : h.cos_len;
        if (n > 4096) {
            n = 4096;
        }
        uint8_t *buf = malloc(n ? n : 1);
        if (buf == NULL) {
            return 0;
        }
        memcpy(buf, data + MS_CHIP_PKG_HDR_LEN, n);
        uint32_t off = h.cos_len > n ? (uint32_t)(h.cos_len - n) / 2 : 0;
        off &= ~15u;
        if (off + n > h.cos_len) {
            off = 0;
        }
        if (ms_chip_rule_apply(&h.rule, key, h.nonce, h.cos_len, off, buf, n, NULL) != MS_OK) {
            abort();
        }
        free(buf);
        uint8_t again[MS_CHIP_PKG_HDR_LEN];
        if (ms_chip_pkg_write(&h, again, sizeof again) != MS_OK ||
            memcmp(again, data, MS_CHIP_PKG_HDR_LEN) != 0) {
            abort(); /* accepted headers round-trip exactly */
        }
    }
    ms_chip_licence_t lic;
    if (ms_chip_licence_parse(data, size, &lic) == MS_OK) {
        uint8_t out[16];
        (void)ms_chip_licence_open(data, size, mk, uid, lic.pkg_id, out);
    }
    /* The loader-image checker over a small simulated area. */
    if (size <= 2048) {
        ms_flash_sim_t sim;
        if (ms_flash_sim_open(&sim, NULL, 2048, 512, 16, 0xFF) == MS_OK) {
            memcpy(sim.mem, data, size);
            ms_flash_area_t fa = {&sim.flash, 0, 2048};
            uint8_t work[256], a[16], b[16];
            uint32_t total = 0;
            if (ms_chip_loader_check(&fa, work, sizeof work, a, b, &total) == MS_OK &&
                total > 2048) {
                abort();
            }
            ms_flash_sim_close(&sim);
        }
    }
    return 0;
}
