/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_chip_apdu.c - libFuzzer target for the chip's APDU parser and
 * command handlers in both modes.
 *
 * Input: byte 0 selects the card (mod 3: 0 chip in loader mode, 1 chip in
 * COS mode, 2 licence HSM), then a sequence of [length (1 byte)] [APDU
 * bytes] records. Each input starts from the same flash snapshot, so runs
 * are reproducible.
 * Checked on every answer (ISO 7816-4): never more data than Ne (none
 * without Le, GET RESPONSE included); a 6Cxx answer left the flash as it was
 * (the command is sent again, so it must not have acted); the HSM's budget.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "meterseal/chip.h"
#include "meterseal/chip_hsm.h"

#define FLASH_SIZE (32u * 1024u)

static ms_flash_sim_t sim, hsm_sim;
static ms_chip_hsm_t hsm;
static uint8_t snap_hsm[8192];
static ms_chip_layout_t map;
static uint8_t snap_loader[FLASH_SIZE], snap_cos[FLASH_SIZE];
static ms_chip_t chip;
static int ready;

static uint16_t run(const uint8_t *cmd, size_t n)
{
    uint8_t rsp[300];
    size_t rl = 0;
    return ms_chip_apdu(&chip, cmd, n, rsp, sizeof rsp, &rl);
}

/* The ISO 7816-4 response rules, whatever the command did. */
static void check_answer(const uint8_t *cmd, size_t n, uint16_t sw, size_t rl,
                         uint64_t flash_ops_before, uint64_t flash_ops_after)
{
    ms_chip_apdu_t a;
    if (rl < 2) {
        abort();
    }
    size_t data = rl - 2;
    if (ms_chip_apdu_parse(cmd, n, &a) != MS_OK) {
        if (data != 0 || sw != MS_SW_WRONG_LENGTH) {
            abort();
        }
        return;
    }
    if (data > (a.has_le ? a.le : 0)) {
        abort(); /* more than Ne bytes */
    }
    if ((sw & 0xFF00u) == MS_SW_WRONG_LE && flash_ops_after != flash_ops_before) {
        abort(); /* 6Cxx after the command acted */
    }
}

static uint64_t flash_ops(const ms_flash_sim_t *s)
{
    return s->writes + s->erases;
}

static void setup(void)
{
    static const uint8_t mk[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                   0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
    static const uint8_t uid[10] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
    static const uint8_t ikey[16] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
    static const uint8_t nonce[16] = {1};
    uint8_t ldr[128], cos[600], pkg[700], lic[68], id[16], cmd[300];
    size_t ll = 0, pl = 0;
    if (ms_flash_sim_open(&sim, NULL, FLASH_SIZE, 512, 16, 0xFF) != MS_OK ||
        ms_chip_layout_default(&sim.flash, true, &map) != MS_OK ||
        ms_chip_loader_build(mk, mk, (const uint8_t *)"loader", 6, ldr, sizeof ldr, &ll) != MS_OK ||
        ms_chip_provision(&sim.flash, &map, uid, ldr, ll) != MS_OK) {
        abort();
    }
    memcpy(snap_loader, sim.mem, FLASH_SIZE);
    /* Install a small COS through the APDU path for the COS-mode snapshot. */
    ms_chip_rule_t rule = {MS_CHIP_RULE_FIRST16, 0, 64, 0};
    for (size_t i = 0; i < sizeof cos; i++) {
        cos[i] = (uint8_t)i;
    }
    if (ms_chip_pkg_build(&rule, ikey, nonce, cos, sizeof cos, pkg, sizeof pkg, &pl) != MS_OK ||
        ms_chip_pkg_id(pkg, id) != MS_OK ||
        ms_chip_licence_issue(MS_CHIP_DIV_KDF3, mk, uid, id, ikey, lic) != MS_OK ||
        ms_chip_boot(&chip, &sim.flash, &map) != MS_OK) {
        abort();
    }
    memcpy(cmd, "\x80\xD2\x00\x00\x50", 5);
    memcpy(cmd + 5, pkg, 80);
    run(cmd, 85);
    memcpy(cmd, "\x80\xD0\x00\x00\x44", 5);
    memcpy(cmd + 5, lic, 68);
    run(cmd, 73);
    for (uint32_t off = 0; off < sizeof cos; off += 224) {
        uint32_t n = sizeof cos - off < 224 ? (uint32_t)sizeof cos - off : 224;
        memcpy(cmd, "\x80\xD2\x01\x00", 4);
        cmd[4] = (uint8_t)(4 + n);
        cmd[5] = 0;
        cmd[6] = 0;
        cmd[7] = (uint8_t)(off >> 8);
        cmd[8] = (uint8_t)off;
        memcpy(cmd + 9, pkg + 80 + off, n);
        run(cmd, 9 + n);
    }
    memcpy(cmd, "\x80\xD4\x00\x00\x08", 5);
    memcpy(cmd + 5, pkg + 20, 8);
    if (run(cmd, 13) != MS_SW_OK || ms_chip_boot(&chip, &sim.flash, &map) != MS_OK ||
        chip.mode != MS_CHIP_RUN_COS) {
        abort();
    }
    memcpy(snap_cos, sim.mem, FLASH_SIZE);
    if (ms_flash_sim_open(&hsm_sim, NULL, sizeof snap_hsm, 1024, 16, 0xFF) != MS_OK ||
        ms_chip_hsm_provision(&hsm_sim.flash, MS_CHIP_DIV_KDF3, mk, ikey, id, 3) != MS_OK) {
        abort();
    }
    memcpy(snap_hsm, hsm_sim.mem, sizeof snap_hsm);
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        setup();
    }
    if (size == 0) {
        return 0;
    }
    int card = data[0] % 3;
    if (card == 2) {
        memcpy(hsm_sim.mem, snap_hsm, sizeof snap_hsm);
        if (ms_chip_hsm_boot(&hsm, &hsm_sim.flash) != MS_OK) {
            abort();
        }
    } else {
        memcpy(sim.mem, card ? snap_cos : snap_loader, FLASH_SIZE);
        ms_flash_sim_power_on(&sim);
        if (ms_chip_boot(&chip, &sim.flash, &map) != MS_OK) {
            abort();
        }
    }
    size_t pos = 1;
    while (pos < size) {
        size_t n = data[pos++];
        if (n > size - pos) {
            n = size - pos;
        }
        /* Also the parser alone, on exactly these bytes. */
        ms_chip_apdu_t a;
        if (ms_chip_apdu_parse(data + pos, n, &a) == MS_OK && a.lc != 0 &&
            (a.data < data + pos || a.data + a.lc > data + pos + n)) {
            abort();
        }
        uint8_t rsp[300];
        size_t rl = 0;
        if (card == 2) {
            uint64_t before = flash_ops(&hsm_sim);
            uint16_t sw = ms_chip_hsm_apdu(&hsm, data + pos, n, rsp, sizeof rsp, &rl);
            check_answer(data + pos, n, sw, rl, before, flash_ops(&hsm_sim));
            if (hsm.issued > hsm.budget) {
                abort(); /* the budget must hold whatever the input */
            }
        } else {
            uint64_t before = flash_ops(&sim);
            uint16_t sw = ms_chip_apdu(&chip, data + pos, n, rsp, sizeof rsp, &rl);
            check_answer(data + pos, n, sw, rl, before, flash_ops(&sim));
        }
        pos += n;
    }
    return 0;
}
