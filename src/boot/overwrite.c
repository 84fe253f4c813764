/* SPDX-License-Identifier: Apache-2.0 */
/*
 * overwrite.c - the overwrite-only upgrade strategy (MCUboot's
 * MCUBOOT_OVERWRITE_ONLY): a pending, verified secondary image is copied
 * over the primary, decrypted on the way if it is encrypted (M7); there is
 * no way back.
 *
 * Power-fail safety (M6): the secondary slot's trailer magic is the only
 * "pending" mark, and it is erased last, after the copy is complete. A cut
 * anywhere before that leaves the secondary pending and intact, so the next
 * boot verifies it again and redoes the whole copy (erase + copy are
 * idempotent). A cut during the final trailer erase leaves either a GOOD
 * magic (redo) or a torn one (BAD: nothing pending; the copy is complete).
 * The secondary is verified before the primary is touched, so a rejected
 * image never harms the old one.
 */
#include "boot_priv.h"

static ms_err_t overwrite_peek(ms_boot_t *b, size_t image, ms_boot_swap_type_t *intent)
{
    const ms_boot_image_cfg_t *img = &b->cfg->images[image];
    ms_boot_geom_t gs;
    ms_boot_trailer_state_t st;
    *intent = MS_BOOT_SWAP_NONE;
    ms_err_t err = ms_boot_geom(b->cfg, &img->secondary, &gs);
    if (err == MS_OK) {
        err = ms_boot_trailer_read(&img->secondary, &gs, &st);
    }
    if (err == MS_OK && st.magic == MS_BOOT_MAGIC_GOOD) {
        *intent = MS_BOOT_SWAP_PERM;
    }
    return err;
}

static ms_err_t overwrite_run(ms_boot_t *b, size_t image, bool hold_revert,
                              ms_boot_swap_type_t *done, ms_err_t *rejected)
{
    (void)hold_revert;   /* nothing to revert to */
    const ms_boot_image_cfg_t *img = &b->cfg->images[image];
    ms_boot_geom_t gp, gs;
    ms_boot_trailer_state_t st;
    ms_image_measurement_t m;
    volatile uint32_t fih = MS_BOOT_FIH_FAIL;

    *done = MS_BOOT_SWAP_NONE;
    *rejected = MS_OK;
    ms_err_t err = ms_boot_geom(b->cfg, &img->primary, &gp);
    if (err == MS_OK) {
        err = ms_boot_geom(b->cfg, &img->secondary, &gs);
    }
    if (err == MS_OK) {
        err = ms_boot_trailer_read(&img->secondary, &gs, &st);
    }
    if (err != MS_OK || st.magic != MS_BOOT_MAGIC_GOOD) {
        return err;
    }
    ms_boot_log(b, MS_BOOT_EV_PENDING, img->image_id, MS_OK, MS_BOOT_SWAP_PERM);

    /* M6: verify before install. The primary's limit applies: the copy
     * must fit there too. */
    ms_boot_geom_t lim = gs;
    lim.image_max_end = gp.image_max_end < gs.image_max_end ? gp.image_max_end : gs.image_max_end;
    err = ms_boot_validate(b, image, &img->secondary, &lim, true, &m, &fih);
    if (err == MS_ERR_POWER_LOST) {
        ms_boot_wipe_key(b);
        return err;
    }
    if (err != MS_OK || fih != MS_BOOT_FIH_OK) {
        *rejected = err != MS_OK ? err : MS_ERR_BOOT_FAULT;
        *done = MS_BOOT_SWAP_FAIL;
        return ms_boot_reject_secondary(b, image, *rejected);
    }

    ms_boot_xform_t xf = {
        .key = b->enc_key_len ? b->enc_key : NULL,
        .key_len = b->enc_key_len,
        .pay_start = b->info.hdr.hdr_size,
        .pay_end = (uint32_t)b->info.hdr.hdr_size + b->info.hdr.img_size,
    };
    uint32_t end = b->info.end;
    err = ms_boot_erase_range(&img->primary, &gp, 0, end);
    if (err == MS_OK) {
        err = ms_boot_copy(&img->secondary, 0, &img->primary, 0, end, &xf, &gp,
                           b->cfg->buf, b->cfg->buf_len);
    }
    ms_boot_wipe_key(b);
    if (err == MS_OK) {
        /* Commit: the secondary is no longer pending. */
        err = ms_boot_erase_trailer(&img->secondary, &gs);
    }
    if (err != MS_OK) {
        return err;
    }
    *done = MS_BOOT_SWAP_PERM;
    ms_boot_log(b, MS_BOOT_EV_INSTALLED, img->image_id, MS_OK, MS_BOOT_SWAP_PERM);
    return MS_OK;
}

const ms_boot_strategy_t ms_boot_strategy_overwrite = {
    .name = "overwrite-only",
    .overwrite_only = true,
    .spare_sectors = 0,
    .peek = overwrite_peek,
    .run = overwrite_run,
};
