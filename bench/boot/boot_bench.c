/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_bench.c - the workload of the boot instruction-count benchmark:
 * S11-S14 over a 256 KiB signed image in an in-memory flash, either a plain
 * boot (verify only, what every power-on costs) or a boot that first
 * installs the same image from the secondary slot (swap-using-move or
 * overwrite). Only ms_boot_go() is meant to be counted (callgrind
 * --toggle-collect=ms_boot_go); image building happens before it.
 *
 *   boot_bench verify|swap|overwrite
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_host.h"
#include "flash_sim.h"
#include "meterseal/boot.h"

#define SECTOR  4096u
#define SLOT    (68u * SECTOR)    /* 256 KiB image + header/TLVs + spare + trailer */
#define PAYLOAD (256u * 1024u)

static ms_err_t cfg_ok(void *ctx)
{
    (void)ctx;
    return MS_OK;
}

static uint32_t counter;

static ms_err_t cnt_get(void *ctx, uint8_t id, uint32_t *v)
{
    (void)ctx;
    (void)id;
    *v = counter;
    return MS_OK;
}

static ms_err_t cnt_update(void *ctx, uint8_t id, uint32_t v)
{
    (void)ctx;
    (void)id;
    counter = v > counter ? v : counter;
    return MS_OK;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "verify";
    const ms_boot_strategy_t *st = strcmp(mode, "overwrite") == 0 ? &ms_boot_strategy_overwrite
                                                                    : &ms_boot_strategy_swap_move;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_key_anchor_t anchor = {.pub = &pub};
    ms_image_sign_opts_t o;
    ms_flash_sim_t sim;
    static uint8_t payload[PAYLOAD], img[PAYLOAD + 4096], buf[1024];
    size_t len = 0;

    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 131u + (i >> 9));
    }
    ms_image_sign_opts_init(&o);
    o.hdr_size = 0x200;
    o.pad_header = true;
    o.align = 8;
    o.has_sec_cnt = true;
    o.sec_cnt = 1;
    if (ms_p256_keygen(&priv, &pub) != MS_OK || ms_image_key_hash(&pub, anchor.key_hash) != MS_OK ||
        ms_image_sign(payload, sizeof(payload), &priv, &o, img, sizeof(img), &len) != MS_OK ||
        ms_flash_sim_open(&sim, NULL, 2 * SLOT, SECTOR, 8, 0xff) != MS_OK) {
        fprintf(stderr, "boot_bench: setup failed\n");
        return 1;
    }
    size_t padded = (len + 7u) / 8u * 8u;
    memset(img + len, 0xff, padded - len);
    ms_boot_image_cfg_t image = {
        .image_id = 0,
        .primary = {&sim.flash, 0, SLOT},
        .secondary = {&sim.flash, SLOT, SLOT},
        .exec_base = 0x10000000u,
    };
    static const ms_boot_seccnt_ops_t ops = {.get = cnt_get, .update = cnt_update};
    ms_boot_hooks_t hooks = {.check_security_config = cfg_ok, .seccnt = &ops};
    ms_boot_config_t cfg = {
        .images = &image, .n_images = 1, .strategy = st, .anchors = &anchor, .n_anchors = 1,
        .hooks = &hooks, .max_align = 8, .max_sectors = 128, .buf = buf, .buf_len = sizeof(buf),
    };
    const ms_flash_area_t *dst = strcmp(mode, "verify") == 0 ? &image.primary : &image.secondary;
    if (ms_flash_area_write(dst, 0, img, padded) != MS_OK ||
        (dst == &image.secondary && ms_boot_set_pending(&cfg, 0, true) != MS_OK)) {
        fprintf(stderr, "boot_bench: flash setup failed\n");
        return 1;
    }
    static ms_boot_t b;
    ms_boot_result_t res;
    uint64_t ops0 = sim.ops;
    ms_err_t err = ms_boot_go(&b, &cfg, &res);
    if (err != MS_OK) {
        fprintf(stderr, "boot_bench: boot failed: %s\n", ms_errname(err));
        return 1;
    }
    printf("mode=%s backend=%s image=%zu bytes flash_ops=%lu action=%d\n", mode,
           ms_crypto_backend_name(), len, (unsigned long)(sim.ops - ops0), res.img[0].action);
    ms_flash_sim_close(&sim);
    return 0;
}
