/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deps.c - the DEPENDENCY TLVs between the meter's images, as MCUboot's
 * multi-image boot reads them: an image that says "image J at least version
 * V" may only run beside an image J of version V or newer (major, minor,
 * revision; the build number does not count, as in MCUboot's default).
 *
 * Two places use it (boot.c, validate.c):
 *   - S13: an update is installed only if, at that moment, the primaries of
 *     the images it depends on meet its dependencies; images are installed
 *     in dependency order (what an update depends on is installed first), so
 *     an update of J that comes with the update of I it needs is in place
 *     before I is checked, and an update of J that is refused leaves I
 *     refused too;
 *   - S14: every primary must meet its dependencies on the other primaries,
 *     or the meter does not boot (a Secure image never runs beside a
 *     Non-secure image it does not accept).
 * Invariant: a dependency is trusted only from an image that verified
 * (the TLVs are inside the signed area); the install order is computed from
 * unverified secondaries but only decides an order, never an acceptance.
 */
#include "boot_priv.h"

#include <string.h>

static int version_cmp(const ms_image_version_t *a, const ms_image_version_t *b)
{
    if (a->major != b->major) {
        return a->major < b->major ? -1 : 1;
    }
    if (a->minor != b->minor) {
        return a->minor < b->minor ? -1 : 1;
    }
    if (a->revision != b->revision) {
        return a->revision < b->revision ? -1 : 1;
    }
    return 0;
}

static size_t index_of(const ms_boot_config_t *cfg, uint8_t image_id)
{
    for (size_t j = 0; j < cfg->n_images; j++) {
        if (cfg->images[j].image_id == image_id) {
            return j;
        }
    }
    return cfg->n_images;
}

ms_err_t ms_boot_deps_met(const ms_boot_t *b, size_t image, const ms_image_info_t *info)
{
    const ms_boot_config_t *cfg = b->cfg;
    for (size_t k = 0; k < info->n_deps; k++) {
        const ms_image_dependency_t *d = &info->deps[k];
        size_t j = index_of(cfg, d->image_id);
        if (j == cfg->n_images) {
            return MS_ERR_BOOT_DEPENDENCY;   /* an image this meter does not have */
        }
        if (j == image) {
            continue;                        /* on itself: nothing to check */
        }
        uint8_t raw[MS_IMAGE_HEADER_SIZE];
        ms_image_header_t hdr;
        ms_err_t err = ms_flash_area_read(&cfg->images[j].primary, 0, raw, sizeof(raw));
        if (err == MS_ERR_POWER_LOST) {
            return err;
        }
        if (err != MS_OK || ms_image_header_parse(raw, sizeof(raw), &hdr) != MS_OK ||
            version_cmp(&hdr.version, &d->min_version) < 0) {
            return MS_ERR_BOOT_DEPENDENCY;
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
