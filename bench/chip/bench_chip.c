/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_chip.c - install time of a COS per encryption rule (C6), and the
 * loader's decrypt work per rule.
 *
 * For a COS of the given size (default 512 KiB), on simulated NOR flash
 * (2 MiB, 4 KiB sectors, 16-byte writes) and through the chip's real APDU
 * handler (ERASE, header, KEY DIVERSIFY, DECRYPT x N, VERIFY), for rules:
 *   none (plaintext install), whole, first16 and progressive (80 segments,
 *   the source's example; stride 21).
 * Prints per rule: install time, the loader's decrypt time (the rule alone
 * over the image in DECRYPT-sized chunks), AES block operations, bytes
 * encrypted. Usage: bench_chip_<backend> [KiB] [repeats]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chip_factory.h"
#include "flash_sim.h"
#include "meterseal/chip.h"

typedef struct bench {
    ms_flash_sim_t sim;
    ms_chip_layout_t map;
    ms_chip_t chip;
    uint8_t lic[MS_CHIP_LIC_LEN];
} bench_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ms_err_t tx(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap, size_t *rl)
{
    bench_t *b = ctx;
    ms_chip_apdu(&b->chip, cmd, n, rsp, cap, rl);
    return MS_OK;
}

static ms_err_t lic(void *ctx, const uint8_t uid[MS_CHIP_UID_LEN], uint8_t out[MS_CHIP_LIC_LEN])
{
    bench_t *b = ctx;
    (void)uid;
    memcpy(out, b->lic, MS_CHIP_LIC_LEN);
    return MS_OK;
}

int main(int argc, char **argv)
{
    uint32_t kib = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 512;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    uint32_t len = kib * 1024;
    static const uint8_t mk[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                   0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
    static const uint8_t uid[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint8_t ikey[16], nonce[16], ldr[256], id[16];
    size_t ll = 0;
    uint8_t *cos = malloc(len), *pkg = malloc(MS_CHIP_PKG_HDR_LEN + len), *work = malloc(len);
    if (cos == NULL || pkg == NULL || work == NULL || len == 0 || kib > 1536 || reps < 1) {
        fprintf(stderr, "usage: bench_chip [KiB <= 1536] [repeats]\n");
        return 2;
    }
    for (uint32_t i = 0; i < len; i++) {
        cos[i] = (uint8_t)(i * 2654435761u >> 13);
    }
    ms_random(ikey, 16);
    ms_random(nonce, 16);
    ms_chip_loader_build(mk, mk, (const uint8_t *)"bench", 5, ldr, sizeof ldr, &ll);
    const struct {
        const char *name;
        ms_chip_rule_t rule;
    } rules[] = {
        {"none (plaintext)", {MS_CHIP_RULE_NONE, 0, 0, 0}},
        {"whole image", {MS_CHIP_RULE_WHOLE, 0, 0, 0}},
        {"first16, 80 segs", {MS_CHIP_RULE_FIRST16, 1, 80, 0}},
        {"progressive, 80x21", {MS_CHIP_RULE_PROGRESSIVE, 1, 80, 21}},
    };
    printf("chip COS install, %u KiB COS, crypto backend %s, best of %d\n", kib,
           ms_crypto_backend_name(), reps);
    printf("%-20s %12s %14s %12s %14s %12s\n", "rule", "install ms", "decrypt ms", "AES blocks",
           "bytes enc.", "APDUs");
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        size_t plen = 0;
        if (ms_chip_pkg_build(&rules[r].rule, ikey, nonce, cos, len, pkg,
                              MS_CHIP_PKG_HDR_LEN + len, &plen) != MS_OK ||
            ms_chip_pkg_id(pkg, id) != MS_OK) {
            fprintf(stderr, "pack failed\n");
            return 1;
        }
        double best_install = 1e9, best_dec = 1e9;
        uint32_t blocks = 0, apdus = 0;
        for (int rep = 0; rep < reps; rep++) {
            bench_t *b = calloc(1, sizeof *b);
            if (b == NULL ||
                ms_flash_sim_open(&b->sim, NULL, 2048u * 1024u, 4096, 16, 0xFF) != MS_OK ||
                ms_chip_layout_default(&b->sim.flash, false, &b->map) != MS_OK ||
                ms_chip_provision(&b->sim.flash, &b->map, uid, ldr, ll) != MS_OK ||
                ms_chip_boot(&b->chip, &b->sim.flash, &b->map) != MS_OK ||
                ms_chip_licence_issue(MS_CHIP_DIV_KDF3, mk, uid, id, ikey, b->lic) != MS_OK) {
                fprintf(stderr, "setup failed\n");
                return 1;
            }
            ms_chip_writer_t w = {tx, b, lic, b, NULL, NULL, 224, 0};
            ms_chip_report_t rp;
            double t0 = now();
            ms_err_t err = ms_chip_factory_write(&w, pkg, plen, &rp);
            double t1 = now();
            if (err != MS_OK) {
                fprintf(stderr, "install failed at %s (%04X)\n", rp.step, rp.sw);
                return 1;
            }
            if (t1 - t0 < best_install) {
                best_install = t1 - t0;
            }
            blocks = b->chip.decrypt_blocks;
            apdus = rp.apdus;
            ms_flash_sim_close(&b->sim);
            free(b);
            /* The loader's decrypt work alone, in the same 224-byte chunks. */
            uint8_t kenc[16], kmac[32];
            ms_chip_pkg_keys(ikey, kenc, kmac);
            memcpy(work, pkg + MS_CHIP_PKG_HDR_LEN, len);
            t0 = now();
            for (uint32_t off = 0; off < len; off += 224) {
                uint32_t n = len - off < 224 ? len - off : 224;
                ms_chip_rule_apply(&rules[r].rule, kenc, nonce, len, off, work + off, n, NULL);
            }
            t1 = now();
            if (memcmp(work, cos, len) != 0) {
                fprintf(stderr, "decrypt mismatch\n");
                return 1;
            }
            if (t1 - t0 < best_dec) {
                best_dec = t1 - t0;
            }
        }
        /* Bytes the rule encrypts: encrypt zeros and count changed bytes is
         * biased; count windows instead. */
        uint64_t enc = 0;
        uint32_t seg = ms_chip_rule_seg_size(&rules[r].rule, len);
        if (rules[r].rule.kind == MS_CHIP_RULE_WHOLE) {
            enc = len;
        } else if (rules[r].rule.kind != MS_CHIP_RULE_NONE) {
            for (uint64_t s = 0; s < len; s += seg) {
                enc += (len - s) >= 16 ? 16 : 0;
            }
        }
        printf("%-20s %12.2f %14.3f %12u %14llu %12u\n", rules[r].name, best_install * 1e3,
               best_dec * 1e3, blocks, (unsigned long long)enc, apdus);
    }
    free(cos);
    free(pkg);
    free(work);
    return 0;
}
