/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_priv.h - what the files of the boot core share and nobody else sees:
 * slot geometry, trailer field access, sector copy, image validation, the
 * boot log helper and the fault-injection-hardened flag type.
 *
 * Invariant: every function here works on one flash area at a time through
 * ms_flash_area_*, returns ms_err_t, and never keeps state outside the
 * ms_boot_t it is given.
 */
#ifndef MS_BOOT_PRIV_H
#define MS_BOOT_PRIV_H

#include "meterseal/boot.h"

/* ---- slot geometry (slots.c) --------------------------------------------- */

/* Swap-move saves, for each encrypted image taking part in a swap, a record
 * in the trailer's enc_key0 (new image) / enc_key1 (old image) field:
 * img_size u32 LE, hdr_size u16 LE, key length, TLV length, then the
 * ENC_EC256 TLV itself (the wrapped key, never the key in clear). */
#define MS_BOOT_ENC_REC_HDR 8u
#define MS_BOOT_ENC_REC_LEN (MS_BOOT_ENC_REC_HDR + MS_IMAGE_ENC_EC256_LEN_256)

typedef struct ms_boot_geom {
    ms_trailer_layout_t lay;
    uint32_t sector;             /* erase unit */
    uint32_t align;              /* write unit */
    uint8_t erased;
    uint32_t trailer_sector_off; /* first byte of the first sector holding the trailer */
    uint32_t image_max_end;      /* an image must end at or below this */
    uint32_t status_entries;     /* swap status entries that fit */
    uint8_t magic[16];           /* the trailer magic for cfg->max_align (MCUboot's
                                  * alternative form when it is not 8) */
} ms_boot_geom_t;

/* Compute the geometry of a slot for this configuration. MS_ERR_BOOT_LAYOUT
 * when the trailer and the spare sectors leave no room for an image. */
ms_err_t ms_boot_geom(const ms_boot_config_t *cfg, const ms_flash_area_t *fa,
                      ms_boot_geom_t *g);

/* Erase the sectors of [off, off+len) rounded out to sectors. */
ms_err_t ms_boot_erase_range(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                             uint32_t off, uint32_t len);

/* Erase the trailer sectors of a slot, skipping it when already erased. */
ms_err_t ms_boot_erase_trailer(const ms_flash_area_t *fa, const ms_boot_geom_t *g);

/* AES-CTR transform applied while copying (decrypt on install, M7). */
typedef struct ms_boot_xform {
    const uint8_t *key;          /* NULL: plain copy */
    size_t key_len;
    uint32_t pay_start;          /* slot offsets of the payload */
    uint32_t pay_end;
} ms_boot_xform_t;

/* Copy [off, off+len) of src to the same offset range of dst (dst_off may
 * differ), in buf-sized chunks, applying xform to payload bytes. dst must
 * be erased. len is rounded up to the write alignment. */
ms_err_t ms_boot_copy(const ms_flash_area_t *src, uint32_t src_off,
                      const ms_flash_area_t *dst, uint32_t dst_off, uint32_t len,
                      const ms_boot_xform_t *xf, const ms_boot_geom_t *g,
                      uint8_t *buf, size_t buf_len);

/* ---- trailer fields (trailer.c) ------------------------------------------ */

ms_err_t ms_boot_trailer_read(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                              ms_boot_trailer_state_t *st);

/* Read what a torn write of the primary's trailer meant: copy_done is only
 * written after a complete swap, and image_ok after one only by a confirm,
 * so a BAD one of these counts as SET. */
void ms_boot_primary_settle(ms_boot_trailer_state_t *st);

/* Write a one-byte flag field (copy_done, image_ok, swap_info) padded to
 * the write unit with the erased value. */
ms_err_t ms_boot_write_flag(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                            uint32_t off, uint8_t value);
ms_err_t ms_boot_write_swap_size(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                                 uint32_t swap_size);
ms_err_t ms_boot_write_magic(const ms_flash_area_t *fa, const ms_boot_geom_t *g);

/* Swap status entry i (sector index), step s (0 move, 1 swap A, 2 swap B). */
ms_err_t ms_boot_status_get(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                            uint32_t i, uint32_t s, bool *done);
ms_err_t ms_boot_status_set(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                            uint32_t i, uint32_t s);

/* Make a slot's trailer say "pending" (magic, and image_ok if permanent),
 * power-cut safe: fields already right are kept; a field whose write unit
 * holds anything else (a torn write, or junk left by whoever staged the
 * update) has the trailer sectors erased and written again. */
ms_err_t ms_boot_mark_pending(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                              bool permanent);

/* ---- dependencies between images (deps.c) -------------------------------- */

/* MS_OK when every DEPENDENCY of `info` (an image of image number `image`)
 * is met by the image now in the other image's primary slot; with
 * allow_test false, a primary that is an unconfirmed test image meets
 * nothing. MS_ERR_BOOT_DEPENDENCY if not (or if it names an image this
 * meter lacks). */
ms_err_t ms_boot_deps_met(const ms_boot_config_t *cfg, size_t image,
                          const ms_image_info_t *info, bool allow_test);

/* MS_OK when every other primary accepts `version` for image number
 * `image` (their DEPENDENCY TLVs on it); scratch is overwritten. */
ms_err_t ms_boot_deps_accepted(const ms_boot_config_t *cfg, size_t image,
                               const ms_image_version_t *version, ms_image_info_t *scratch);

/* The order S13 takes the images in: an image whose pending update depends
 * on another image comes after it. pending[i]: image i has an install to do.
 * Uses b->info as scratch. */
void ms_boot_install_order(ms_boot_t *b, const bool pending[], size_t order[]);

/* ---- validation (validate.c) --------------------------------------------- */

/*
 * Parse and verify the image in `fa` into b->info: fits below
 * g->image_max_end, not NON_BOOTABLE, hash and signature against the
 * anchors (M4 S14, M6), security counter not below the device's (M6). For a
 * secondary slot an encrypted payload is decrypted with the key store's key
 * (M7) and the payload key is left in b->enc_key for the install; the
 * caller wipes it with ms_boot_wipe_key(). *fih is set to MS_BOOT_FIH_OK
 * only on success.
 */
ms_err_t ms_boot_validate(ms_boot_t *b, size_t image, const ms_flash_area_t *fa,
                          const ms_boot_geom_t *g, bool secondary,
                          ms_image_measurement_t *m, volatile uint32_t *fih);

/* Wipe every payload key held in b. */
void ms_boot_wipe_key(ms_boot_t *b);

/* Unwrap an image's payload key with the key store's private key (M7). */
ms_err_t ms_boot_unwrap_key(ms_boot_t *b, uint8_t image_id, const ms_image_info_t *info,
                            uint8_t key[MS_IMAGE_ENC_KEY_MAX], size_t *key_len);

/* Reject the pending image of a secondary slot: erase its trailer sectors so
 * it is no longer pending; the image bytes stay as evidence. */
ms_err_t ms_boot_reject_secondary(ms_boot_t *b, size_t image, ms_err_t why);

/* M6: raise the device counter to the security counter of the primary image
 * of `image` when it is confirmed (its trailer: magic GOOD, image_ok set)
 * and verifies, before an install moves it out. MS_OK when there is nothing
 * to raise. */
ms_err_t ms_boot_commit_primary_counter(ms_boot_t *b, size_t image, const ms_boot_geom_t *g,
                                        bool confirmed);

/* ---- boot log ------------------------------------------------------------- */

void ms_boot_log(const ms_boot_t *b, ms_boot_event_kind_t kind, uint8_t image_id,
                 ms_err_t err, uint32_t value);

/* ---- fault-injection hardening (boot.c) ---------------------------------- */

/* Values chosen far apart in Hamming distance, so a glitch that skips or
 * flips an instruction cannot turn "fail" into "ok". */
#define MS_BOOT_FIH_OK   MS_BOOT_HANDOVER_OK
#define MS_BOOT_FIH_FAIL 0x0u
/* ms_boot_fih_delay() (boot.h): a varying wait between two looks, with
 * its state in *spin (the run's ms_boot_t.fih_spin). */
void ms_boot_fih_wait(volatile uint32_t *spin);

#endif /* MS_BOOT_PRIV_H */
