/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_boot_trailer.c - libFuzzer target for the boot decision over
 * untrusted flash contents: the two slots' trailers (magic, flags,
 * swap_info, swap_size, swap status) and the secondary slot's image come
 * from the input; the primary holds a valid signed image. Both strategies
 * run S11-S14 over it twice (the second boot sees what the first one
 * wrote). Properties: no crash, no read or write outside the slots (the
 * flash simulator and the flash-area checks would report it), and when a
 * boot succeeds it hands over the one image signed with the trusted key
 * (the input cannot forge a signature, so nothing else may ever boot).
 *
 * Input: [0,256) primary trailer tail | [256,512) secondary trailer tail |
 *        [512, ...) secondary slot from offset 0 (up to 6 KiB).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot_host.h"
#include "flash_sim.h"
#include "meterseal/boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTOR 1024u
#define SLOT (8u * SECTOR)
#define TAIL 256u

static uint8_t primary_img[4096];
static size_t primary_len;
static uint8_t primary_hash[MS_SHA256_LEN];
static uint32_t primary_hdr_size;
static ms_p256_priv_t priv;
static ms_p256_pub_t pub;
static ms_image_key_anchor_t anchor;

static ms_err_t cfg_ok(void *ctx)
{
    (void)ctx;
    return MS_OK;
}

static uint32_t counters[MS_BOOT_MAX_IMAGES];

static ms_err_t cnt_get(void *ctx, uint8_t id, uint32_t *v)
{
    (void)ctx;
    if (id >= MS_BOOT_MAX_IMAGES) {
        return MS_ERR_ARG;
    }
    *v = counters[id];
    return MS_OK;
}

static ms_err_t cnt_update(void *ctx, uint8_t id, uint32_t v)
{
    (void)ctx;
    if (id >= MS_BOOT_MAX_IMAGES) {
        return MS_ERR_ARG;
    }
    if (v > counters[id]) {
        counters[id] = v;
    }
    return MS_OK;
}

static const ms_boot_seccnt_ops_t cnt_ops = {.get = cnt_get, .update = cnt_update};

static int init_once(void)
{
    if (primary_len != 0) {
        return 0;
    }
    uint8_t payload[2000];
    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 7);
    }
    ms_image_sign_opts_t o;
    ms_image_sign_opts_init(&o);
    o.align = 8;
    o.pad_header = true;
    o.has_sec_cnt = true;
    o.sec_cnt = 1;
    if (ms_p256_keygen(&priv, &pub) != MS_OK ||
        ms_image_key_hash(&pub, anchor.key_hash) != MS_OK ||
        ms_image_sign(payload, sizeof(payload), &priv, &o, primary_img, sizeof(primary_img),
                      &primary_len) != MS_OK) {
        abort();
    }
    anchor.pub = &pub;
    ms_image_reader_t r;
    ms_image_mem_t mem;
    ms_image_info_t info;
    ms_image_reader_mem(&r, &mem, primary_img, primary_len);
    if (ms_image_parse(&r, &info) != MS_OK || !info.has_sha256) {
        abort();
    }
    memcpy(primary_hash, info.sha256, sizeof(primary_hash));
    primary_hdr_size = info.hdr.hdr_size;
    return 0;
}

static void run(const uint8_t *data, size_t size, const ms_boot_strategy_t *st)
{
    ms_flash_sim_t sim;
    if (ms_flash_sim_open(&sim, NULL, 2 * SLOT, SECTOR, 8, 0xff) != MS_OK) {
        abort();
    }
    memcpy(sim.mem, primary_img, primary_len);
    size_t n = size < TAIL ? size : TAIL;
    memcpy(sim.mem + SLOT - n, data, n);
    if (size > TAIL) {
        n = size - TAIL < TAIL ? size - TAIL : TAIL;
        memcpy(sim.mem + 2 * SLOT - n, data + TAIL, n);
    }
    if (size > 2 * TAIL) {
        n = size - 2 * TAIL < 6 * SECTOR ? size - 2 * TAIL : 6 * SECTOR;
        memcpy(sim.mem + SLOT, data + 2 * TAIL, n);
    }
    ms_boot_image_cfg_t img = {
        .image_id = 0,
        .primary = {.flash = &sim.flash, .off = 0, .size = SLOT},
        .secondary = {.flash = &sim.flash, .off = SLOT, .size = SLOT},
        .exec_base = 0,
    };
    ms_boot_hooks_t hooks = {.check_security_config = cfg_ok, .seccnt = &cnt_ops};
    static uint8_t buf[512];
    ms_boot_config_t cfg = {
        .images = &img, .n_images = 1, .strategy = st, .anchors = &anchor, .n_anchors = 1,
        .hooks = &hooks, .max_align = 8, .max_sectors = 8, .buf = buf, .buf_len = sizeof(buf),
    };
    static ms_boot_t b;
    ms_boot_result_t res;
    memset(counters, 0, sizeof(counters));
    for (int boot = 0; boot < 2; boot++) {
        ms_err_t err = ms_boot_go(&b, &cfg, &res);
        if (err == MS_OK &&
            (res.img[0].verify_err != MS_OK ||
             memcmp(res.img[0].m.hash, primary_hash, sizeof(primary_hash)) != 0 ||
             res.img[0].jump_addr != img.exec_base + primary_hdr_size)) {
            abort();   /* handed over something but the signed image */
        }
    }
    ms_flash_sim_close(&sim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    run(data, size, &ms_boot_strategy_swap_move);
    run(data, size, &ms_boot_strategy_overwrite);
    return 0;
}
