/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim_device.c - a simulated meter's boot side in a device directory
 * (sim_device.h).
 *
 * Invariant: the boot configuration trusts exactly one anchor - the key
 * programmed into the simulated OTP when there is one, else the
 * compiled-in development key - as the boot loader of a real part does.
 */
#define _GNU_SOURCE
#include "sim_device.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sim_rot.h"

const char *ms_sim_device_path(const ms_sim_device_t *d, const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", d->dir, name);
    return p;
}

/* A small file into buf; its length, or -1 when it is missing or too big. */
static long read_small(const char *path, void *buf, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, cap, fp);
    int more = fgetc(fp);
    fclose(fp);
    return more == EOF ? (long)n : -1;
}

static const ms_boot_strategy_t *strategy_named(const char *name)
{
    if (strcmp(name, "swap") == 0) {
        return &ms_boot_strategy_swap_move;
    }
    if (strcmp(name, "overwrite") == 0) {
        return &ms_boot_strategy_overwrite;
    }
    return NULL;
}

/* The strategy saved with the device, or `want` saved for a new one. */
static ms_err_t strategy_of(ms_sim_device_t *d, const char *want, const char **what,
                            const ms_boot_strategy_t **st)
{
    char saved[32];
    struct stat sb;
    const char *path = ms_sim_device_path(d, "strategy");
    long n = read_small(path, saved, sizeof saved - 1);
    if (n < 0 && stat(path, &sb) == 0) {
        *what = "strategy file unreadable or too long";   /* never guess over flash */
        return MS_ERR_FORMAT;
    }
    if (n >= 0) {
        saved[n] = '\0';
        if (n > 0 && saved[n - 1] == '\n') {
            saved[n - 1] = '\0';   /* one line: "swap\n"; anything more is unknown */
        }
        if (want != NULL && strcmp(want, saved) != 0) {
            *what = "device was created with another --strategy";
            return MS_ERR_ARG;
        }
    } else {
        snprintf(saved, sizeof saved, "%s", want != NULL ? want : "swap");
        FILE *fp = fopen(path, "w");
        if (fp == NULL || fprintf(fp, "%s\n", saved) < 0 || fclose(fp) != 0) {
            *what = "strategy";
            return MS_ERR_IO;
        }
    }
    if ((*st = strategy_named(saved)) == NULL) {
        *what = "unknown strategy (swap, overwrite)";
        return MS_ERR_ARG;
    }
    return MS_OK;
}

/* M5: a key provisioned into the (write-once) OTP replaces the compiled-in
 * development key. */
static ms_err_t anchor_of(ms_sim_device_t *d, const ms_image_key_anchor_t **anchor)
{
    *anchor = &ms_sim_rot_anchor;
    const char *path = ms_sim_device_path(d, "otp-rot");
    long n = read_small(path, d->otp_pub.q, sizeof d->otp_pub.q);
    struct stat sb;
    if (n < 0 && stat(path, &sb) != 0) {
        return MS_OK;   /* nothing programmed */
    }
    if (n != (long)MS_P256_PUB_LEN) {
        return MS_ERR_FORMAT;
    }
    ms_err_t err = ms_image_key_hash(&d->otp_pub, d->otp_anchor.key_hash);
    if (err == MS_OK) {
        d->otp_anchor.pub = &d->otp_pub;
        *anchor = &d->otp_anchor;
    }
    return err;
}

ms_err_t ms_sim_device_open(ms_sim_device_t *d, const char *dir, const char *strategy,
                            const char **what)
{
    static const char *unused;
    if (what == NULL) {
        what = &unused;
    }
    memset(d, 0, sizeof *d);
    *what = "device directory";
    if (strlen(dir) >= sizeof d->dir) {
        return MS_ERR_ARG;
    }
    memcpy(d->dir, dir, strlen(dir) + 1);
    (void)mkdir(d->dir, 0700);
    const ms_boot_strategy_t *st = NULL;
    ms_err_t err = strategy_of(d, strategy, what, &st);
    if (err != MS_OK) {
        return err;
    }
    *what = "flash";
    err = ms_flash_sim_open(&d->flash, ms_sim_device_path(d, "flash.bin"), MS_SIM_FLASH,
                            MS_SIM_SECTOR, 8, 0xff);
    if (err != MS_OK) {
        return err;
    }
    for (int i = 0; i < 2; i++) {
        d->images[i].image_id = (uint8_t)i;
        d->images[i].primary =
            (ms_flash_area_t){ &d->flash.flash, (uint32_t)(2 * i) * MS_SIM_SLOT, MS_SIM_SLOT };
        d->images[i].secondary =
            (ms_flash_area_t){ &d->flash.flash, (uint32_t)(2 * i + 1) * MS_SIM_SLOT, MS_SIM_SLOT };
    }
    d->images[0].exec_base = 0x10000000u;   /* Secure alias */
    d->images[1].exec_base = 0x00080000u;   /* Non-secure alias */
    *what = "device files";
    if ((err = ms_host_seccnt_open(&d->plat.seccnt, ms_sim_device_path(d, "seccnt"))) != MS_OK ||
        (err = ms_host_boot_log_open(&d->plat.log, ms_sim_device_path(d, "boot.log"))) != MS_OK ||
        (err = ms_host_keystore_open(&d->plat.keystore, ms_sim_device_path(d, "enckey"))) !=
            MS_OK) {
        ms_sim_device_close(d);
        return err;
    }
    *what = "seccfg";
    ms_host_seccfg_default(&d->plat.seccfg);
    if ((err = ms_host_seccfg_load(&d->plat.seccfg, ms_sim_device_path(d, "seccfg"))) != MS_OK) {
        ms_sim_device_close(d);
        return err;
    }
    ms_host_boot_platform_hooks(&d->plat);
    *what = "otp-rot";
    const ms_image_key_anchor_t *anchor = NULL;
    if ((err = anchor_of(d, &anchor)) != MS_OK) {
        ms_sim_device_close(d);
        return err;
    }
    d->cfg = (ms_boot_config_t){
        .images = d->images, .n_images = 2, .strategy = st,
        .anchors = anchor, .n_anchors = 1, .hooks = &d->plat.hooks,
        .max_align = 8, .max_sectors = 128, .buf = d->buf, .buf_len = sizeof d->buf,
    };
    *what = "";
    return MS_OK;
}

void ms_sim_device_close(ms_sim_device_t *d)
{
    ms_flash_sim_close(&d->flash);
    ms_host_boot_log_close(&d->plat.log);
}
