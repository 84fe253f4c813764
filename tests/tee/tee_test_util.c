/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_test_util.c - see tee_test_util.h.
 */
#include "tee_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meterseal/tee.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "tee_hooks_host.h"


void tt_flash_open(tt_flash_t *f, uint32_t sectors, uint32_t sector_size, uint32_t align)
{
    memset(f, 0, sizeof *f);
    if (ms_flash_sim_open(&f->sim, NULL, sectors * sector_size, sector_size, align, 0xff)) {
        fprintf(stderr, "flash sim open failed\n");
        abort();
    }
    f->area.flash = &f->sim.flash;
    f->area.off = 0;
    f->area.size = sectors * sector_size;
}

void tt_flash_close(tt_flash_t *f)
{
    ms_flash_sim_close(&f->sim);
}

void tt_store_init(tt_store_t *t, uint32_t sectors, uint32_t sector_size, uint32_t align,
                   size_t max_objects, size_t max_data)
{
    memset(t, 0, sizeof *t);
    tt_flash_open(&t->flash, sectors, sector_size, align);
    ms_host_tee_nvc_set(TT_NVC, 0);
    for (size_t i = 0; i < MS_TEE_STORE_KEY_LEN; i++) {
        t->enc_key[i] = (uint8_t)(0x10 + i);
        t->mac_key[i] = (uint8_t)(0x80 + i);
    }
    t->cfg.area = &t->flash.area;
    t->cfg.nvc_id = TT_NVC;
    t->cfg.index = t->index;
    t->cfg.index_cap = 2 * max_objects < 64 ? 2 * max_objects : 64;
    t->cfg.max_objects = max_objects;
    t->cfg.max_data = max_data;
    t->cfg.work = t->work;
    t->cfg.work_len = sizeof t->work;
}

ms_err_t tt_store_mount(tt_store_t *t)
{
    return ms_tee_store_mount(&t->st, &t->cfg, t->enc_key, t->mac_key);
}

void tt_store_close(tt_store_t *t)
{
    ms_tee_store_unmount(&t->st);
    tt_flash_close(&t->flash);
}

uint32_t tt_crc32(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}

void tt_header_fix_crc(uint8_t *copy)
{
    uint32_t c = tt_crc32(copy, 60);
    for (int i = 0; i < 4; i++) {
        copy[60 + i] = (uint8_t)(c >> (8 * i));
    }
}

void tt_fill(uint8_t *buf, size_t len, uint64_t uid, uint32_t ver)
{
    uint32_t x = (uint32_t)(uid * 2654435761u) ^ (ver * 40503u) ^ 0x9e3779b9u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

ms_err_t tt_services_open(tt_flash_t *its, tt_flash_t *ps, uint32_t ps_sectors,
                          uint8_t huk_byte)
{
    uint8_t huk[MS_TEE_HUK_LEN];
    memset(huk, huk_byte, sizeof huk);
    tt_flash_open(its, 4, 4096, 8);
    tt_flash_open(ps, ps_sectors, 4096, 8);
    ms_host_tee_set_huk(huk);
    ms_host_tee_nvc_set(MS_TEE_NVC_ITS, 0);
    ms_host_tee_nvc_set(MS_TEE_NVC_PS, 0);
    ms_err_t err = ms_tee_rng_init(NULL, NULL, 4);
    if (!err) {
        err = ms_tee_storage_init(&its->area, &ps->area);
    }
    return err;
}

void tt_services_close(tt_flash_t *its, tt_flash_t *ps)
{
    ms_tee_storage_deinit();
    tt_flash_close(its);
    tt_flash_close(ps);
}
