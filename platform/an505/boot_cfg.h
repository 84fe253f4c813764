/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_cfg.h - the meter's boot configuration on the AN505, in one place
 * for the two Secure programs that need it: the boot loader (which installs
 * and verifies with it on every reset) and the TEE's update service (which
 * stages an update into a secondary slot and decrypts and verifies it with
 * exactly the same rules before anything is marked pending).
 *
 * What it holds: the two images (Secure = 0, Non-secure = 1) with their
 * primary and secondary slots in the NOR flash and their execution regions
 * (RAM load: the boot core requires RAM_LOAD images for these addresses;
 * only the boot loader ever copies into them), the root-of-trust anchors
 * read from OTP (key hashes only: images carry their PUBKEY TLV), the update
 * strategy from OTP, and the chunk buffer; and the console form of the
 * boot core's events.
 *
 * Invariants: nothing to trust is compiled in (every anchor comes from
 * OTP, read by privileged code); the storage behind a configuration is its
 * builder's (ms_an505_boot_store_t), static in the boot loader and in the
 * update partition's memory.
 */
#ifndef MS_AN505_BOOT_CFG_H
#define MS_AN505_BOOT_CFG_H

#include "meterseal/boot.h"

#include "otp.h"

/* What the OTP says of the boot: the root-of-trust key hashes and the
 * update strategy. */
typedef struct ms_an505_boot_trust {
    uint32_t n_hashes;
    uint8_t hashes[MS_OTP_ROT_SLOTS][MS_SHA256_LEN];
    bool overwrite;            /* overwrite-only, else swap-move */
} ms_an505_boot_trust_t;

/* What a configuration points into: the caller's, for as long as the
 * configuration is used. */
typedef struct ms_an505_boot_store {
    uint8_t chunk[1024];
    ms_image_key_anchor_t anchors[MS_OTP_ROT_SLOTS];
    ms_flash_ram_t exec_ram[MS_BOOT_MAX_IMAGES];
    ms_boot_image_cfg_t images[MS_BOOT_MAX_IMAGES];
} ms_an505_boot_store_t;

/* Read the trust from OTP. Errors: the OTP's own (root of trust unusable,
 * update word), MS_ERR_IMG_KEY_UNKNOWN (no root-of-trust key programmed);
 * *why then names the problem in a few words for the console. */
ms_err_t ms_an505_boot_trust_read(ms_an505_boot_trust_t *trust, const char **why);

/* Fill *cfg from `trust` (n_hashes 1..MS_OTP_ROT_SLOTS: MS_ERR_ARG
 * otherwise), with its arrays in *store and `hooks` (the caller's: the boot
 * loader checks the security configuration and logs, the TEE's update
 * partition does neither). Reads no OTP: the update partition, which may
 * not, builds its configuration so from the trust the kernel sends it. */
ms_err_t ms_an505_boot_config_build(ms_boot_config_t *cfg, ms_an505_boot_store_t *store,
                                    const ms_an505_boot_trust_t *trust,
                                    const ms_boot_hooks_t *hooks);

/* Both, into storage of this module's: the boot loader's one configuration. */
ms_err_t ms_an505_boot_config(ms_boot_config_t *cfg, const ms_boot_hooks_t *hooks,
                              const char **why);

/* The get_enc_key hook of both: the image decryption key from OTP (M7);
 * the boot core wipes it after each unwrap. */
ms_err_t ms_an505_image_enc_key(void *ctx, uint8_t image_id, ms_p256_priv_t *priv);

/* One boot core event on the console: "<prefix><event> image=N [err=NAME]
 * value=0x...", as both the boot loader and the TEE's update check log it. */
void ms_an505_put_boot_event(const char *prefix, const ms_boot_event_t *ev);

#endif /* MS_AN505_BOOT_CFG_H */
