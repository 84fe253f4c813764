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
#include <string.h>

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

ms_err_t ms_boot_primary_is_test(const ms_boot_config_t *cfg, size_t image, bool *test)
{
    ms_boot_geom_t g;
    ms_boot_trailer_state_t st;
    *test = false;
    if (cfg == NULL || image >= cfg->n_images) {
        return MS_ERR_ARG;
    }
    if (cfg->strategy->overwrite_only) {
        return MS_OK;    /* every install is permanent */
    }
    const ms_flash_area_t *fa = &cfg->images[image].primary;
    ms_err_t err = ms_boot_geom(cfg, fa, &g);
    if (err == MS_OK) {
        err = ms_boot_trailer_read(fa, &g, &st);
    }
    if (err == MS_OK) {
        ms_boot_primary_settle(&st);   /* a confirm torn by a power cut counts */
        *test = st.magic == MS_BOOT_MAGIC_GOOD && st.image_ok != MS_BOOT_FLAG_SET;
    }
    return err;
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

/* Verify the secondary slot's image as S13 will (see boot.h). */
ms_err_t ms_boot_check_update(ms_boot_t *b, const ms_boot_config_t *cfg, size_t image,
                              bool permanent, ms_image_measurement_t *m)
{
    const ms_boot_image_cfg_t *img = image_of(cfg, image);
    ms_boot_geom_t g;
    ms_image_measurement_t local;
    volatile uint32_t fih = MS_BOOT_FIH_FAIL;
    if (img == NULL || b == NULL || cfg->hooks == NULL || cfg->hooks->seccnt == NULL ||
        cfg->buf == NULL) {
        return MS_ERR_ARG;
    }
    uint32_t spin = b->fih_spin;   /* the varying delay goes on varying across checks */
    memset(b, 0, sizeof(*b));
    b->fih_spin = spin;
    b->cfg = cfg;
    b->install_type[image] = (uint8_t)(permanent ? MS_BOOT_SWAP_PERM : MS_BOOT_SWAP_TEST);
    ms_err_t err = ms_boot_geom(cfg, &img->secondary, &g);
    if (err == MS_OK) {
        err = ms_boot_validate(b, image, &img->secondary, &g, true, m != NULL ? m : &local, &fih);
    }
    ms_boot_wipe_key(b);
    if (err == MS_OK && fih != MS_BOOT_FIH_OK) {
        err = MS_ERR_BOOT_FAULT;
    }
    return err;
}

/* Erase the secondary's trailer and report the room for an image (boot.h). */
ms_err_t ms_boot_secondary_prepare(const ms_boot_config_t *cfg, size_t image,
                                   uint32_t *capacity)
{
    const ms_boot_image_cfg_t *img = image_of(cfg, image);
    ms_boot_geom_t g;
    if (img == NULL || capacity == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_boot_geom(cfg, &img->secondary, &g);
    if (err == MS_OK) {
        err = ms_boot_erase_trailer(&img->secondary, &g);
    }
    *capacity = err == MS_OK ? g.image_max_end : 0;
    return err;
}
