/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_fixture.h - a simulated meter for the boot tests: an in-memory NOR
 * flash (flash_sim) with a primary and a secondary slot per image, the host
 * platform's security counters, configuration registers and key store,
 * and helpers to build signed images with the image module.
 */
#ifndef MS_BOOT_FIXTURE_H
#define MS_BOOT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_host.h"
#include "flash_sim.h"
#include "meterseal/boot.h"

#define FX_SECTOR     4096u
#define FX_ALIGN      8u
#define FX_SLOT_SIZE  (16u * FX_SECTOR)
#define FX_IMG_MAX    (64u * 1024u + 4096u)

typedef struct fx_image {
    uint8_t *data;
    size_t len;
    uint8_t hash[MS_SHA256_LEN];   /* the SHA256 TLV: what the boot record reports */
} fx_image_t;

typedef struct fx {
    ms_flash_sim_t sim;
    uint32_t slot_size;
    ms_flash_area_t slot[MS_BOOT_MAX_IMAGES][2];
    ms_boot_image_cfg_t images[MS_BOOT_MAX_IMAGES];
    ms_host_boot_platform_t plat;
    ms_image_key_anchor_t anchor;
    ms_boot_config_t cfg;
    ms_boot_t boot;
    ms_boot_result_t res;
    uint8_t buf[1024];
    char dir[256];
    uint8_t *snap;                 /* flash snapshot for power-cut sweeps */
    uint32_t snap_cnt[MS_BOOT_MAX_IMAGES];
} fx_t;

/* The test signing key and a second, untrusted one; the encryption key. */
extern ms_p256_priv_t fx_sign_priv, fx_other_priv, fx_enc_priv;
extern ms_p256_pub_t fx_sign_pub, fx_other_pub, fx_enc_pub;
void fx_keys_init(void);

/* A meter with n_images images and the given strategy. */
fx_t *fx_new(size_t n_images, const ms_boot_strategy_t *strategy);
/* The same with another slot size (a multiple of FX_SECTOR). */
fx_t *fx_new_sized(size_t n_images, const ms_boot_strategy_t *strategy, uint32_t slot_size);
void fx_free(fx_t *fx);

typedef struct fx_img_opts {
    uint32_t payload_len;
    uint8_t seed;
    uint8_t major, minor;
    bool has_sec_cnt;
    uint32_t sec_cnt;
    bool encrypt;
    uint32_t flags;                /* extra header flags (MS_IMAGE_F_NON_BOOTABLE) */
    uint8_t n_deps;                /* DEPENDENCY TLVs */
    ms_image_dependency_t deps[MS_IMAGE_MAX_DEPS];
    const ms_p256_priv_t *key;     /* NULL: fx_sign_priv */
} fx_img_opts_t;

/* Build a signed image (free with fx_image_free). */
fx_image_t fx_make_image(const fx_img_opts_t *o);
void fx_image_free(fx_image_t *img);

/* Erase a slot and write bytes into it (padded to the write unit). */
void fx_write_slot(fx_t *fx, size_t image, int slot, const uint8_t *data, size_t len);
/* Stage an update: write it to the secondary and mark it pending. */
void fx_stage(fx_t *fx, size_t image, const fx_image_t *img, bool permanent);

/* The trailer layout of the fixture's slots (swap-move, no enc fields). */
ms_trailer_layout_t fx_layout(const fx_t *fx);

/* Program one byte of flash as someone who can write that slot would (bits
 * go from 1 to 0 only): what an attacker does to a secondary slot on top of
 * staging, e.g. swap_info = REVERT at fx_layout(fx).swap_info_off. */
void fx_program_byte(fx_t *fx, size_t image, int slot, uint32_t off, uint8_t value);

/* One boot (power on first). */
ms_err_t fx_boot(fx_t *fx);
/* Boot until the result is not MS_ERR_POWER_LOST (bounded). */
ms_err_t fx_boot_settle(fx_t *fx);

/* Snapshot / restore flash and counters. */
void fx_snapshot(fx_t *fx);
void fx_restore(fx_t *fx);

uint32_t fx_counter(fx_t *fx, uint8_t image_id);
void fx_set_counter(fx_t *fx, uint8_t image_id, uint32_t v);

/* Trailer of a slot. */
ms_boot_trailer_state_t fx_trailer(fx_t *fx, size_t image, int slot);

/* Flip one byte of flash. */
void fx_flip(fx_t *fx, size_t image, int slot, uint32_t off);

/* Read a whole file (malloc); NULL if missing. */
uint8_t *fx_read_file(const char *path, size_t *len);

#endif
