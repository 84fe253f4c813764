/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deps.c - the DEPENDENCY TLVs between the meter's images, as MCUboot's
 * multi-image boot reads them: an image that says "image J at least version
 * V" may only run beside an image J of version V or newer (major, minor,
 * revision; the build number does not count, as in MCUboot's default).
 *
 * The rules, and why each exists (an attacker who can only stage updates
 * must never be able to leave a pair of images S14 refuses: M6 says a
 * refused update leaves the old images running):
 *   - S13 installs an update of image I only if what it depends on is in
 *     place (the primaries, after the updates installed before it in this
 *     boot) ...
 *   - ... and only if every other primary still accepts it: a downgrade of
 *     an image another one needs is refused (the vendor's previous release,
 *     validly signed, staged by an attacker);
 *   - a dependency met only by an unconfirmed test image counts for a test
 *     install, never for a permanent one, which would outlive the test's
 *     revert; and an image is not confirmed while an image it needs is still
 *     a test (ms_boot_confirm), so a confirmed image never relies on one
 *     that can revert;
 *   - images are installed in dependency order (what an update needs goes
 *     first), so an update that comes with the update it needs installs,
 *     and one whose needed update is refused is refused too;
 *   - S14 refuses to boot primaries that do not accept each other (a last
 *     line: the rules above keep it from happening).
 * Invariant: dependencies decide acceptance only when read from an image
 * that verified (an update being validated) or from a primary (written only
 * by the boot loader); the install order is computed from unverified
 * secondaries but only decides an order.
 */
#include "boot_priv.h"

#include <string.h>

static size_t index_of(const ms_boot_config_t *cfg, uint8_t image_id)
{
    for (size_t j = 0; j < cfg->n_images; j++) {
        if (cfg->images[j].image_id == image_id) {
            return j;
        }
    }
    return cfg->n_images;
}

/* The version of the image in a primary slot. */
static ms_err_t primary_version(const ms_boot_config_t *cfg, size_t j, ms_image_version_t *v)
{
    uint8_t raw[MS_IMAGE_HEADER_SIZE];
    ms_image_header_t hdr;
    ms_err_t err = ms_flash_area_read(&cfg->images[j].primary, 0, raw, sizeof(raw));
    if (err == MS_OK) {
        err = ms_image_header_parse(raw, sizeof(raw), &hdr);
    }
    if (err == MS_OK) {
        *v = hdr.version;
    }
    return err;
}

ms_err_t ms_boot_deps_met(const ms_boot_config_t *cfg, size_t image,
                          const ms_image_info_t *info, bool allow_test)
{
    for (size_t k = 0; k < info->n_deps; k++) {
        const ms_image_dependency_t *d = &info->deps[k];
        size_t j = index_of(cfg, d->image_id);
        if (j == cfg->n_images) {
            return MS_ERR_BOOT_DEPENDENCY;   /* an image this meter does not have */
        }
        if (j == image) {
            continue;                        /* on itself: nothing to check */
        }
        ms_image_version_t v;
        bool test = false;
        ms_err_t err = primary_version(cfg, j, &v);
        if (err == MS_OK && !allow_test) {
            err = ms_boot_primary_is_test(cfg, j, &test);
        }
        if (err == MS_ERR_POWER_LOST) {
            return err;
        }
        if (err != MS_OK || ms_image_version_cmp(&v, &d->min_version) < 0 || test) {
            return MS_ERR_BOOT_DEPENDENCY;
        }
    }
    return MS_OK;
}

ms_err_t ms_boot_deps_accepted(const ms_boot_config_t *cfg, size_t image,
                               const ms_image_version_t *version, ms_image_info_t *scratch)
{
    for (size_t i = 0; i < cfg->n_images; i++) {
        ms_image_reader_t r;
        if (i == image) {
            continue;
        }
        ms_image_reader_flash(&r, &cfg->images[i].primary);
        ms_err_t err = ms_image_parse(&r, scratch);
        if (err == MS_ERR_POWER_LOST) {
            return err;
        }
        if (err != MS_OK) {
            continue;   /* no image there to accept or refuse anything */
        }
        for (size_t k = 0; k < scratch->n_deps; k++) {
            const ms_image_dependency_t *d = &scratch->deps[k];
            if (d->image_id == cfg->images[image].image_id &&
                ms_image_version_cmp(version, &d->min_version) < 0) {
                return MS_ERR_BOOT_DEPENDENCY;
            }
        }
    }
    return MS_OK;
}

void ms_boot_install_order(ms_boot_t *b, const bool pending[], size_t order[])
{
    const ms_boot_config_t *cfg = b->cfg;
    size_t n = cfg->n_images;
    bool before[MS_BOOT_MAX_IMAGES][MS_BOOT_MAX_IMAGES];   /* before[j][i]: j first */
    memset(before, 0, sizeof(before));
    for (size_t i = 0; i < n; i++) {
        ms_image_reader_t r;
        if (!pending[i]) {
            continue;
        }
        ms_image_reader_flash(&r, &cfg->images[i].secondary);
        if (ms_image_parse(&r, &b->info) != MS_OK) {
            continue;   /* refused later by its own validation */
        }
        for (size_t k = 0; k < b->info.n_deps; k++) {
            size_t j = index_of(cfg, b->info.deps[k].image_id);
            if (j < n && j != i) {
                before[j][i] = true;
            }
        }
    }
    /* Place, in turn, the lowest image nothing unplaced must precede; a cycle
     * falls back to the configured order for what remains. */
    bool placed[MS_BOOT_MAX_IMAGES] = {false};
    for (size_t k = 0; k < n; k++) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++) {
            if (placed[i]) {
                continue;
            }
            bool free = true;
            for (size_t j = 0; j < n; j++) {
                free &= placed[j] || !before[j][i];
            }
            if (free) {
                pick = i;
            }
        }
        for (size_t i = 0; i < n && pick == n; i++) {
            if (!placed[i]) {
                pick = i;
            }
        }
        placed[pick] = true;
        order[k] = pick;
    }
}
