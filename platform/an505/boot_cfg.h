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
 * OTP); the storage behind the configuration is static, one instance per
 * image (the configuration is built once at start-up).
 */
#ifndef MS_AN505_BOOT_CFG_H
#define MS_AN505_BOOT_CFG_H

#include "meterseal/boot.h"

/*
 * Fill *cfg with the meter's configuration and `hooks` (the caller's: the
 * boot loader checks the security configuration and logs, the TEE does
 * neither). Errors: the OTP's own (root of trust unusable, update word),
 * MS_ERR_IMG_KEY_UNKNOWN (no root-of-trust key programmed); *why then
 * names the problem in a few words for the console.
 */
ms_err_t ms_an505_boot_config(ms_boot_config_t *cfg, const ms_boot_hooks_t *hooks,
                              const char **why);

/* The get_enc_key hook of both: the image decryption key from OTP (M7);
 * the boot core wipes it after each unwrap. */
ms_err_t ms_an505_image_enc_key(void *ctx, uint8_t image_id, ms_p256_priv_t *priv);

/* One boot core event on the console: "<prefix><event> image=N [err=NAME]
 * value=0x...", as both the boot loader and the TEE's update check log it. */
void ms_an505_put_boot_event(const char *prefix, const ms_boot_event_t *ev);

#endif /* MS_AN505_BOOT_CFG_H */
