/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm.c - the licence HSM card (see chip_hsm.h): per-chip licences under a
 * budget kept in the card's own flash.
 *
 * Configuration record (first sector, written once):
 *   "MSHC" | method | 00 00 00 | budget (4) | master key (16) | image key (16) |
 *   package id (16) | CRC-32 of the 60 bytes before it.
 * Counter: the rest of the device, 32-byte slots; every licence first
 * programs the next slot ("MSHI" | number | ~number | 00...), then leaves the
 * card. Every slot that is not erased counts as used, torn ones included,
 * so a power cut can lose a licence but never give one more than the budget.
 */
#include <string.h>

#include "internal.h"
#include "meterseal/chip_hsm.h"

#define CFG_MAGIC 0x4D534843u  /* "MSHC" */
#define CNT_MAGIC 0x4D534849u  /* "MSHI" */
#define CFG_LEN 64u
#define SLOT 32u

static void areas(ms_chip_hsm_t *h, const ms_flash_t *flash)
{
    h->fa_cfg.flash = flash;
    h->fa_cfg.off = 0;
    h->fa_cfg.size = flash->sector_size;
    h->fa_count.flash = flash;
    h->fa_count.off = flash->sector_size;
    h->fa_count.size = flash->size - flash->sector_size;
}

ms_err_t ms_chip_hsm_provision(const ms_flash_t *flash, ms_chip_div_method_t method,
                               const uint8_t mk[MS_CHIP_KEY_LEN],
                               const uint8_t image_key[MS_CHIP_KEY_LEN],
                               const uint8_t pkg_id[MS_CHIP_PKG_ID_LEN], uint32_t budget)
{
    ms_chip_hsm_t h;
    uint8_t cfg[CFG_LEN];
    if (flash == NULL || mk == NULL || image_key == NULL || pkg_id == NULL ||
        flash->sector_size < CFG_LEN || flash->size < 2 * flash->sector_size ||
        flash->write_align > SLOT || CFG_LEN % flash->write_align != 0 ||
        (method != MS_CHIP_DIV_EMV && method != MS_CHIP_DIV_KDF3)) {
        return MS_ERR_ARG;
    }
    areas(&h, flash);
    if (budget == 0 || budget > h.fa_count.size / SLOT) {
        return MS_ERR_ARG;
    }
    ms_flash_area_t dev = {flash, 0, flash->size};
    ms_err_t err = ms_flash_area_erase_all(&dev);
    if (err != MS_OK) {
        return err;
    }
    memset(cfg, 0, sizeof cfg);
    ms_chip_put_be32(cfg, CFG_MAGIC);
    cfg[4] = (uint8_t)method;
    ms_chip_put_be32(cfg + 8, budget);
    memcpy(cfg + 12, mk, MS_CHIP_KEY_LEN);
    memcpy(cfg + 28, image_key, MS_CHIP_KEY_LEN);
    memcpy(cfg + 44, pkg_id, MS_CHIP_PKG_ID_LEN);
    ms_chip_put_be32(cfg + 60, ms_chip_crc32_update(0, cfg, 60));
    err = ms_flash_area_write(&h.fa_cfg, 0, cfg, sizeof cfg);
    ms_secure_zero(cfg, sizeof cfg);
    return err;
}

ms_err_t ms_chip_hsm_boot(ms_chip_hsm_t *h, const ms_flash_t *flash)
{
    uint8_t cfg[CFG_LEN], slot[SLOT];
    if (h == NULL || flash == NULL || flash->sector_size < CFG_LEN ||
        flash->size < 2 * flash->sector_size) {
        return MS_ERR_ARG;
    }
    memset(h, 0, sizeof *h);
    areas(h, flash);
    ms_err_t err = ms_flash_area_read(&h->fa_cfg, 0, cfg, sizeof cfg);
    if (err != MS_OK) {
        return err;
    }
    if (ms_chip_be32(cfg) != CFG_MAGIC || ms_chip_be32(cfg + 60) != ms_chip_crc32_update(0, cfg, 60)) {
        ms_secure_zero(cfg, sizeof cfg);
        return MS_OK; /* not provisioned: ready stays 0 */
    }
    h->method = cfg[4];
    h->budget = ms_chip_be32(cfg + 8);
    memcpy(h->mk, cfg + 12, MS_CHIP_KEY_LEN);
    memcpy(h->image_key, cfg + 28, MS_CHIP_KEY_LEN);
    memcpy(h->pkg_id, cfg + 44, MS_CHIP_PKG_ID_LEN);
    ms_secure_zero(cfg, sizeof cfg);
    /* Count used slots: the first erased slot ends the count (slots are
     * programmed in order). */
    uint32_t slots = h->fa_count.size / SLOT;
    for (h->issued = 0; h->issued < slots; h->issued++) {
        err = ms_flash_area_read(&h->fa_count, h->issued * SLOT, slot, SLOT);
        if (err != MS_OK) {
            return err;
        }
        if (ms_chip_all(slot, SLOT, flash->erased_val)) {
            break;
        }
    }
    h->ready = 1;
    return MS_OK;
}

static uint16_t issue(ms_chip_hsm_t *h, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    uint8_t slot[SLOT];
    if (a->p1 != 0 || a->p2 != 0) {
        return MS_SW_WRONG_P1P2;
    }
    if (a->lc != MS_CHIP_UID_LEN + MS_CHIP_PKG_ID_LEN) {
        return MS_SW_WRONG_LENGTH;
    }
    if (!ms_ct_equal(a->data + MS_CHIP_UID_LEN, h->pkg_id, MS_CHIP_PKG_ID_LEN)) {
        return MS_SW_WRONG_DATA;
    }
    if (h->issued >= h->budget) {
        return MS_SW_CONDITIONS; /* budget used up */
    }
    uint16_t sw = ms_chip_rsp_room(a, r, MS_CHIP_LIC_LEN);
    if (sw != MS_SW_OK) {
        return sw; /* before a slot is spent: the re-sent command gets the licence */
    }
    /* The counter moves first: the slot is spent whatever happens next. */
    memset(slot, 0, sizeof slot);
    ms_chip_put_be32(slot, CNT_MAGIC);
    ms_chip_put_be32(slot + 4, h->issued + 1);
    ms_chip_put_be32(slot + 8, ~(h->issued + 1));
    uint32_t at = h->issued * SLOT;
    h->issued++;
    if (ms_flash_area_write(&h->fa_count, at, slot, SLOT) != MS_OK) {
        return MS_SW_MEMORY_FAILURE;
    }
    if (ms_chip_licence_issue((ms_chip_div_method_t)h->method, h->mk, a->data, h->pkg_id,
                              h->image_key, r->buf) != MS_OK) {
        return MS_SW_MEMORY_FAILURE;
    }
    r->len = MS_CHIP_LIC_LEN;
    return MS_SW_OK;
}

static uint16_t get_budget(const ms_chip_hsm_t *h, ms_chip_rsp_t *r)
{
    if (r->cap < 12 + MS_CHIP_PKG_ID_LEN) {
        return MS_SW_WRONG_LENGTH;
    }
    uint32_t left = h->issued < h->budget ? h->budget - h->issued : 0;
    ms_chip_put_be32(r->buf, h->budget);
    ms_chip_put_be32(r->buf + 4, h->issued);
    ms_chip_put_be32(r->buf + 8, left);
    memcpy(r->buf + 12, h->pkg_id, MS_CHIP_PKG_ID_LEN);
    r->len = 12 + MS_CHIP_PKG_ID_LEN;
    return MS_SW_OK;
}

static uint16_t dispatch(void *card, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    ms_chip_hsm_t *h = card;
    if (!ms_chip_cla_plain(a->cla)) {
        return MS_SW_CLA_UNKNOWN;
    }
    if (!h->ready) {
        return MS_SW_CONDITIONS;
    }
    if (a->ins == MS_CHIP_INS_ISSUE) {
        return a->cla == MS_CHIP_CLA_PROP ? issue(h, a, r) : MS_SW_CLA_UNKNOWN;
    }
    if (a->ins == MS_CHIP_INS_GET_DATA) {
        return a->p1 == 0 && a->p2 == MS_CHIP_TAG_BUDGET ? get_budget(h, r)
                                                          : MS_SW_DATA_NOT_FOUND;
    }
    return MS_SW_INS_UNKNOWN;
}

uint16_t ms_chip_hsm_apdu(ms_chip_hsm_t *h, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                          size_t rsp_cap, size_t *rsp_len)
{
    return ms_chip_apdu_run(h != NULL ? &h->held : NULL, dispatch, h, cmd, cmd_len, rsp, rsp_cap,
                            rsp_len);
}
