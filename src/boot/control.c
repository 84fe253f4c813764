/* SPDX-License-Identifier: Apache-2.0 */
/*
 * control.c - the run-time side of the update protocol (what MCUboot calls
 * bootutil_public): read a slot's trailer, mark a downloaded image as
 * pending (test or permanent), confirm the running image. Used by the
 * application through the TEE, by the meter simulator, and by tests.
 *
 * Invariant: these functions only ever write trailer fields that are
 * erased, in an order that is safe against a power cut (the magic last);
 * they never touch image bytes.
 */
#include "boot_priv.h"

static const ms_boot_image_cfg_t *image_of(const ms_boot_config_t *cfg, size_t image)
{
    if (cfg == NULL || cfg->images == NULL || image >= cfg->n_images || cfg->strategy == NULL) {
        return NULL;
    }
    return &cfg->images[image];
}

/* Read and decode a slot's trailer. */
ms_err_t ms_boot_read_trailer(const ms_boot_config_t *cfg, const ms_flash_area_t *fa,
                              ms_boot_trailer_state_t *st)
{
    ms_boot_geom_t g;
    if (st == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_boot_geom(cfg, fa, &g);
    if (err != MS_OK) {
        return err;
    }
    return ms_boot_trailer_read(fa, &g, st);
}

/* Mark the secondary slot's image pending (M6: verified at the next boot). */
ms_err_t ms_boot_set_pending(const ms_boot_config_t *cfg, size_t image, bool permanent)
{
    const ms_boot_image_cfg_t *img = image_of(cfg, image);
    ms_boot_geom_t g;
    if (img == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_boot_geom(cfg, &img->secondary, &g);
    if (err != MS_OK) {
        return err;
    }
    return ms_boot_mark_pending(&img->secondary, &g, permanent);
}

/* Confirm the running image: image_ok in the primary trailer. */
ms_err_t ms_boot_confirm(const ms_boot_config_t *cfg, size_t image)
{
    const ms_boot_image_cfg_t *img = image_of(cfg, image);
    ms_boot_geom_t g;
    ms_boot_trailer_state_t st;
    if (img == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_boot_geom(cfg, &img->primary, &g);
    if (err == MS_OK) {
        err = ms_boot_trailer_read(&img->primary, &g, &st);
    }
    if (err != MS_OK) {
        return err;
    }
    ms_boot_primary_settle(&st);   /* a confirm torn by a power cut counts */
    if (cfg->strategy->overwrite_only || st.magic == MS_BOOT_MAGIC_UNSET ||
        st.image_ok == MS_BOOT_FLAG_SET) {
        return MS_OK;          /* nothing to confirm */
    }
    if (st.magic != MS_BOOT_MAGIC_GOOD || st.image_ok != MS_BOOT_FLAG_UNSET) {
        return MS_ERR_STATE;   /* a torn trailer: the boot loader sorts it out */
    }
    /* Not while an image it needs is still a test that may revert: confirm
     * that one first (deps.c). */
    ms_image_info_t info;
    ms_image_reader_t r;
    ms_image_reader_flash(&r, &img->primary);
    if ((err = ms_image_parse(&r, &info)) != MS_OK ||
        (err = ms_boot_deps_met(cfg, image, &info, false)) != MS_OK) {
        return err;
    }
    return ms_boot_write_flag(&img->primary, &g, g.lay.image_ok_off, 0x01);
}
