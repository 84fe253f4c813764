/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_fixture.c - see boot_fixture.h.
 */
#define _GNU_SOURCE
#include "boot_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ms_p256_priv_t fx_sign_priv, fx_other_priv, fx_enc_priv;
ms_p256_pub_t fx_sign_pub, fx_other_pub, fx_enc_pub;
static bool keys_ready;

static void die(const char *what, ms_err_t err)
{
    fprintf(stderr, "fixture: %s: %s\n", what, ms_errname(err));
    abort();
}

void fx_keys_init(void)
{
    if (keys_ready) {
        return;
    }
    ms_err_t err;
    if ((err = ms_p256_keygen(&fx_sign_priv, &fx_sign_pub)) != MS_OK ||
        (err = ms_p256_keygen(&fx_other_priv, &fx_other_pub)) != MS_OK ||
        (err = ms_p256_keygen(&fx_enc_priv, &fx_enc_pub)) != MS_OK) {
        die("keygen", err);
    }
    keys_ready = true;
}

fx_t *fx_new(size_t n_images, const ms_boot_strategy_t *strategy)
{
    return fx_new_sized(n_images, strategy, FX_SLOT_SIZE);
}

fx_t *fx_new_sized(size_t n_images, const ms_boot_strategy_t *strategy, uint32_t slot_size)
{
    fx_keys_init();
    fx_t *fx = calloc(1, sizeof(*fx));
    if (fx == NULL) {
        abort();
    }
    fx->slot_size = slot_size;
    ms_err_t err = ms_flash_sim_open(&fx->sim, NULL, (uint32_t)(n_images * 2 * slot_size),
                                     FX_SECTOR, FX_ALIGN, 0xff);
    if (err != MS_OK) {
        die("flash", err);
    }
    for (size_t i = 0; i < n_images; i++) {
        for (int s = 0; s < 2; s++) {
            fx->slot[i][s].flash = &fx->sim.flash;
            fx->slot[i][s].off = (uint32_t)((i * 2 + (size_t)s) * slot_size);
            fx->slot[i][s].size = slot_size;
        }
        fx->images[i].image_id = (uint8_t)i;
        fx->images[i].primary = fx->slot[i][0];
        fx->images[i].secondary = fx->slot[i][1];
        fx->images[i].exec_base = (uint32_t)(0x10000000u + i * 0x100000u);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof(fx->dir), "%s/ms-boot-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        abort();
    }
    char path[320];
    snprintf(path, sizeof(path), "%s/seccnt", fx->dir);
    if ((err = ms_host_seccnt_open(&fx->plat.seccnt, path)) != MS_OK) {
        die("seccnt", err);
    }
    ms_host_boot_log_open(&fx->plat.log, NULL);
    ms_host_seccfg_default(&fx->plat.seccfg);
    snprintf(path, sizeof(path), "%s/enckey", fx->dir);
    ms_host_keystore_provision(path, &fx_enc_priv);
    ms_host_keystore_open(&fx->plat.keystore, path);
    ms_host_boot_platform_hooks(&fx->plat);

    if ((err = ms_image_key_hash(&fx_sign_pub, fx->anchor.key_hash)) != MS_OK) {
        die("key hash", err);
    }
    fx->anchor.pub = &fx_sign_pub;
    fx->cfg.images = fx->images;
    fx->cfg.n_images = n_images;
    fx->cfg.strategy = strategy;
    fx->cfg.anchors = &fx->anchor;
    fx->cfg.n_anchors = 1;
    fx->cfg.hooks = &fx->plat.hooks;
    fx->cfg.max_align = 8;
    fx->cfg.max_sectors = 128;
    fx->cfg.buf = fx->buf;
    fx->cfg.buf_len = sizeof(fx->buf);
    return fx;
}

void fx_free(fx_t *fx)
{
    char cmd[320];
    ms_flash_sim_close(&fx->sim);
    ms_host_boot_log_close(&fx->plat.log);
    free(fx->snap);
    snprintf(cmd, sizeof(cmd), "%s/seccnt", fx->dir);
    unlink(cmd);
    snprintf(cmd, sizeof(cmd), "%s/enckey", fx->dir);
    unlink(cmd);
    rmdir(fx->dir);
    free(fx);
}

fx_image_t fx_make_image(const fx_img_opts_t *o)
{
    fx_image_t img = {0};
    uint8_t *in = malloc(o->payload_len ? o->payload_len : 1);
    uint32_t x = 0x12345u + o->seed * 7919u;
    for (uint32_t i = 0; i < o->payload_len; i++) {
        x = x * 1103515245u + 12345u;
        in[i] = (uint8_t)(x >> 16);
    }
    ms_image_sign_opts_t so;
    ms_image_sign_opts_init(&so);
    so.hdr_size = 0x200;
    so.pad_header = true;
    so.version.major = o->major;
    so.version.minor = o->minor;
    so.has_sec_cnt = o->has_sec_cnt;
    so.sec_cnt = o->sec_cnt;
    so.align = FX_ALIGN;
    so.flags = o->flags;
    so.n_deps = o->n_deps;
    memcpy(so.deps, o->deps, sizeof(so.deps));
    if (o->encrypt) {
        so.enc_pub = &fx_enc_pub;
        so.enc_key_len = 16;
    }
    size_t cap = o->payload_len + 0x200 + 1024;
    img.data = malloc(cap);
    ms_err_t err = ms_image_sign(in, o->payload_len, o->key ? o->key : &fx_sign_priv, &so,
                                 img.data, cap, &img.len);
    free(in);
    if (err != MS_OK) {
        die("sign", err);
    }
    ms_image_reader_t r;
    ms_image_mem_t mem;
    ms_image_info_t info;
    ms_image_reader_mem(&r, &mem, img.data, img.len);
    if ((err = ms_image_parse(&r, &info)) != MS_OK) {
        die("parse own image", err);
    }
    memcpy(img.hash, info.sha256, sizeof(img.hash));
    return img;
}

void fx_image_free(fx_image_t *img)
{
    free(img->data);
    img->data = NULL;
}

void fx_write_slot(fx_t *fx, size_t image, int slot, const uint8_t *data, size_t len)
{
    const ms_flash_area_t *fa = &fx->slot[image][slot];
    ms_err_t err = ms_flash_area_erase_all(fa);
    if (err != MS_OK) {
        die("erase slot", err);
    }
    size_t padded = (len + FX_ALIGN - 1) / FX_ALIGN * FX_ALIGN;
    uint8_t *tmp = malloc(padded ? padded : 1);
    memset(tmp, 0xff, padded);
    memcpy(tmp, data, len);
    err = ms_flash_area_write(fa, 0, tmp, padded);
    free(tmp);
    if (err != MS_OK) {
        die("write slot", err);
    }
}

void fx_stage(fx_t *fx, size_t image, const fx_image_t *img, bool permanent)
{
    fx_write_slot(fx, image, 1, img->data, img->len);
    ms_err_t err = ms_boot_set_pending(&fx->cfg, image, permanent);
    if (err != MS_OK) {
        die("set pending", err);
    }
}

ms_trailer_layout_t fx_layout(const fx_t *fx)
{
    ms_trailer_layout_t t;
    ms_err_t err = ms_trailer_layout(fx->slot_size, FX_ALIGN, fx->cfg.max_align,
                                     fx->cfg.max_sectors, false, 0, &t);
    if (err != MS_OK) {
        die("trailer layout", err);
    }
    return t;
}

void fx_program_byte(fx_t *fx, size_t image, int slot, uint32_t off, uint8_t value)
{
    fx->sim.mem[fx->slot[image][slot].off + off] &= value;
}

ms_err_t fx_boot(fx_t *fx)
{
    ms_flash_sim_power_on(&fx->sim);
    return ms_boot_go(&fx->boot, &fx->cfg, &fx->res);
}

ms_err_t fx_boot_settle(fx_t *fx)
{
    ms_err_t err = MS_ERR_POWER_LOST;
    for (int i = 0; i < 8 && err == MS_ERR_POWER_LOST; i++) {
        err = fx_boot(fx);
    }
    return err;
}

void fx_snapshot(fx_t *fx)
{
    free(fx->snap);
    fx->snap = malloc(fx->sim.flash.size);
    memcpy(fx->snap, fx->sim.mem, fx->sim.flash.size);
    for (uint8_t i = 0; i < MS_BOOT_MAX_IMAGES; i++) {
        fx->snap_cnt[i] = fx_counter(fx, i);
    }
}

void fx_restore(fx_t *fx)
{
    char path[320];
    memcpy(fx->sim.mem, fx->snap, fx->sim.flash.size);
    ms_flash_sim_power_on(&fx->sim);
    snprintf(path, sizeof(path), "%s/seccnt", fx->dir);
    unlink(path);
    ms_host_seccnt_open(&fx->plat.seccnt, path);
    for (uint8_t i = 0; i < MS_BOOT_MAX_IMAGES; i++) {
        fx_set_counter(fx, i, fx->snap_cnt[i]);
    }
}

uint32_t fx_counter(fx_t *fx, uint8_t image_id)
{
    uint32_t v = 0;
    ms_host_seccnt_ops.init(&fx->plat.seccnt);
    ms_host_seccnt_ops.get(&fx->plat.seccnt, image_id, &v);
    return v;
}

void fx_set_counter(fx_t *fx, uint8_t image_id, uint32_t v)
{
    if (v != 0) {
        ms_host_seccnt_ops.update(&fx->plat.seccnt, image_id, v);
    }
}

ms_boot_trailer_state_t fx_trailer(fx_t *fx, size_t image, int slot)
{
    ms_boot_trailer_state_t st;
    memset(&st, 0, sizeof(st));
    ms_err_t err = ms_boot_read_trailer(&fx->cfg, &fx->slot[image][slot], &st);
    if (err != MS_OK) {
        die("read trailer", err);
    }
    return st;
}

void fx_flip(fx_t *fx, size_t image, int slot, uint32_t off)
{
    fx->sim.mem[fx->slot[image][slot].off + off] ^= 0x55;
}

uint8_t *fx_read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return NULL;
    }
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, fp);
    fclose(fp);
    return buf;
}
