/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_cfg.c - the meter's boot configuration (boot_cfg.h): slots, execution
 * regions, root-of-trust anchors and update strategy, read from the memory
 * map (an505_map.h) and the OTP.
 *
 * Invariant: anchors are the OTP's key hashes and nothing else.
 */
#include "boot_cfg.h"

#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "flash_nor.h"
#include "otp.h"

ms_err_t ms_an505_image_enc_key(void *ctx, uint8_t image_id, ms_p256_priv_t *priv)
{
    (void)ctx;
    (void)image_id;
    return ms_otp_key_read(&ms_an505_otp_area, MS_OTP_KEY_IMAGE_ENC, priv->d);
}

static void image_cfg(ms_an505_boot_store_t *st, size_t i, uint8_t id, uint32_t primary,
                      uint32_t secondary, uint32_t exec_base, uint32_t exec_size)
{
    ms_flash_ram_init(&st->exec_ram[i], (void *)(uintptr_t)exec_base, exec_size);
    st->images[i] = (ms_boot_image_cfg_t){
        .image_id = id,
        .primary = {.flash = &ms_an505_nor, .off = primary, .size = AN505_SLOT_SIZE},
        .secondary = {.flash = &ms_an505_nor, .off = secondary, .size = AN505_SLOT_SIZE},
        .exec_base = exec_base,
        .load = {.flash = &st->exec_ram[i].flash, .off = 0, .size = exec_size},
    };
}

ms_err_t ms_an505_boot_trust_read(ms_an505_boot_trust_t *trust, const char **why)
{
    uint32_t n = 0;
    ms_otp_update_t update;
    *why = NULL;
    memset(trust, 0, sizeof *trust);
    ms_err_t err = ms_otp_rot_read(&ms_an505_otp_area, trust->hashes, MS_OTP_ROT_SLOTS, &n);
    if (err != MS_OK) {
        *why = "OTP root of trust unusable (a secured meter with an unlocked slot?)";
        return err;
    }
    if (n == 0) {
        *why = "no root-of-trust key in OTP";
        return MS_ERR_IMG_KEY_UNKNOWN;
    }
    if ((err = ms_otp_update_get(&ms_an505_otp_area, &update)) != MS_OK) {
        *why = "OTP update strategy word unusable";
        return err;
    }
    trust->n_hashes = n;
    trust->overwrite = update == MS_OTP_UPDATE_OVERWRITE;
    return MS_OK;
}

ms_err_t ms_an505_boot_config_build(ms_boot_config_t *cfg, ms_an505_boot_store_t *store,
                                    const ms_an505_boot_trust_t *trust,
                                    const ms_boot_hooks_t *hooks)
{
    if (trust->n_hashes == 0 || trust->n_hashes > MS_OTP_ROT_SLOTS) {
        return MS_ERR_ARG;
    }
    for (uint32_t i = 0; i < trust->n_hashes; i++) {
        memcpy(store->anchors[i].key_hash, trust->hashes[i], MS_SHA256_LEN);
        store->anchors[i].pub = NULL;   /* hash-only: images carry their PUBKEY TLV */
    }
    image_cfg(store, 0, MS_BOOT_IMAGE_SECURE, AN505_SLOT_S_PRIMARY, AN505_SLOT_S_SECONDARY,
              AN505_S_EXEC_BASE, AN505_S_EXEC_SIZE);
    image_cfg(store, 1, MS_BOOT_IMAGE_NONSECURE, AN505_SLOT_NS_PRIMARY, AN505_SLOT_NS_SECONDARY,
              AN505_NS_EXEC_BASE, AN505_NS_EXEC_SIZE);
    *cfg = (ms_boot_config_t){
        .images = store->images,
        .n_images = MS_BOOT_MAX_IMAGES,
        .strategy = trust->overwrite ? &ms_boot_strategy_overwrite : &ms_boot_strategy_swap_move,
        .anchors = store->anchors,
        .n_anchors = trust->n_hashes,
        .hooks = hooks,
        .max_align = 8,
        .max_sectors = 128,
        .buf = store->chunk,
        .buf_len = sizeof(store->chunk),
        .fih_double_sig = true,
    };
    return MS_OK;
}

ms_err_t ms_an505_boot_config(ms_boot_config_t *cfg, const ms_boot_hooks_t *hooks,
                              const char **why)
{
    static ms_an505_boot_store_t store;
    ms_an505_boot_trust_t trust;
    ms_err_t err = ms_an505_boot_trust_read(&trust, why);
    if (err == MS_OK) {
        err = ms_an505_boot_config_build(cfg, &store, &trust, hooks);
    }
    return err;
}

void ms_an505_put_boot_event(const char *prefix, const ms_boot_event_t *ev)
{
    ms_an505_puts(prefix);
    ms_an505_puts(ms_boot_event_name(ev->kind));
    ms_an505_puts(" image=");
    ms_an505_put_dec(ev->image_id);
    if (ev->err != MS_OK) {
        ms_an505_puts(" err=");
        ms_an505_puts(ms_errname(ev->err));
    }
    ms_an505_puts(" value=");
    ms_an505_put_hex(ev->value);
    ms_an505_puts("\r\n");
}
