/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot.c - the boot loader's decision, in the fixed order of M4:
 *   S11 enter the boot loader;
 *   S12 check the security configuration through the platform hook (SAU,
 *       MPC/PPC, secure VTOR, debug lock) - wrong: named error, no boot -
 *       then initialise peripherals;
 *   S13 for each image (Secure, Non-secure), in dependency order: resume an
 *       interrupted install, or install a pending update once it verifies
 *       and the images it depends on are in place (M6) - the strategy
 *       (overwrite.c, swap_move.c) does the work;
 *   S14 verify every primary image (hash + ECDSA-P256 against the anchored
 *       key, security counter), on every boot - for a RAM-loaded image, the
 *       copy in its execution RAM; only when all verified: raise
 *       the security counters of confirmed images and hand over (jump
 *       address + measured boot record).
 *
 * Invariants: nothing is handed over unless every image verified on this
 * boot; the final decision is taken twice over fault-injection-hardened
 * values (MS_BOOT_FIH_OK is not "non-zero", and a skipped instruction
 * cannot produce it), and reads the security configuration and the
 * security counters a second time; counters only go up and only for
 * confirmed images.
 */
#include "boot_priv.h"

#include <string.h>

static const char *const event_names[] = {
    [MS_BOOT_EV_ENTER] = "enter",
    [MS_BOOT_EV_SECCFG_OK] = "security-config-ok",
    [MS_BOOT_EV_SECCFG_FAIL] = "security-config-fail",
    [MS_BOOT_EV_PERIPH_FAIL] = "peripherals-fail",
    [MS_BOOT_EV_PENDING] = "pending",
    [MS_BOOT_EV_RESUME] = "resume",
    [MS_BOOT_EV_UPDATE_REJECTED] = "update-rejected",
    [MS_BOOT_EV_INSTALLED] = "installed",
    [MS_BOOT_EV_INSTALL_FAIL] = "install-fail",
    [MS_BOOT_EV_VERIFIED] = "verified",
    [MS_BOOT_EV_VERIFY_FAIL] = "verify-fail",
    [MS_BOOT_EV_SECCNT_RAISED] = "security-counter-raised",
    [MS_BOOT_EV_HANDOVER] = "handover",
};

/* Name of a boot event, for logs. */
const char *ms_boot_event_name(ms_boot_event_kind_t kind)
{
    if ((size_t)kind < sizeof(event_names) / sizeof(event_names[0]) && event_names[kind]) {
        return event_names[kind];
    }
    return "unknown";
}

void ms_boot_log(const ms_boot_t *b, ms_boot_event_kind_t kind, uint8_t image_id,
                 ms_err_t err, uint32_t value)
{
    const ms_boot_hooks_t *h = b->cfg->hooks;
    if (h->log != NULL) {
        ms_boot_event_t ev = {.kind = kind, .image_id = image_id, .err = err, .value = value};
        h->log(h->ctx, &ev);
    }
}

/* A short, data-dependent busy wait between the two looks at a decision;
 * its state is the caller's (the boot core's own runs keep it in their
 * ms_boot_t, so the core writes no static data: the TEE runs it in a
 * partition that reaches only its own memory). */
void ms_boot_fih_wait(volatile uint32_t *spin)
{
    uint32_t n = (*spin * 2654435761u >> 28) + 3u;
    for (volatile uint32_t i = 0; i < n; i++) {
        (*spin)++;
    }
}

void ms_boot_fih_delay(void)
{
    static volatile uint32_t spin;
    ms_boot_fih_wait(&spin);
}

static int config_ok(const ms_boot_config_t *cfg)
{
    if (cfg == NULL || cfg->hooks == NULL || cfg->hooks->check_security_config == NULL ||
        cfg->hooks->seccnt == NULL || cfg->hooks->seccnt->get == NULL ||
        cfg->hooks->seccnt->update == NULL || cfg->strategy == NULL ||
        cfg->strategy->run == NULL || cfg->strategy->peek == NULL || cfg->images == NULL || cfg->n_images == 0 ||
        cfg->n_images > MS_BOOT_MAX_IMAGES || cfg->anchors == NULL || cfg->n_anchors == 0 ||
        cfg->buf == NULL) {
        return 0;
    }
    return 1;
}

/* RAM load: clear the execution RAM, then copy the image in the primary
 * slot (header, payload, TLVs: what its own header and TLV info say,
 * bounded by the slot's image area and the target) into it. The copy is
 * verified next. */
static ms_err_t load_image(ms_boot_t *b, const ms_flash_area_t *primary,
                           const ms_boot_geom_t *g, const ms_flash_area_t *ram)
{
    ms_image_reader_t r;
    ms_image_reader_flash(&r, primary);
    ms_err_t err = ms_image_parse(&r, &b->info);
    if (err != MS_OK) {
        return err;
    }
    if (b->info.end > g->image_max_end || b->info.end > ram->size) {
        return MS_ERR_IMG_TOO_LARGE;
    }
    /* The whole region first: nothing from an earlier run (a warm reset
     * keeps RAM) may be found beyond what this image carries. */
    if ((err = ms_flash_area_erase_all(ram)) != MS_OK) {
        return err;
    }
    return ms_boot_copy(primary, 0, ram, 0, b->info.end, NULL, g, b->cfg->buf,
                        b->cfg->buf_len);
}

/* S11-S14; ms_boot_go() below wipes what an error leaves. */
static ms_err_t boot_go(ms_boot_t *b, const ms_boot_config_t *cfg, ms_boot_result_t *res)
{
    volatile uint32_t cfg_fih = MS_BOOT_FIH_FAIL;
    volatile uint32_t img_fih[MS_BOOT_MAX_IMAGES] = {MS_BOOT_FIH_FAIL};
    uint32_t jump[MS_BOOT_MAX_IMAGES] = {0};
    ms_err_t err;

    if (b == NULL || res == NULL || !config_ok(cfg)) {
        return MS_ERR_ARG;
    }
    memset(res, 0, sizeof(*res));
    b->cfg = cfg;
    b->enc_key_len = 0;
    const ms_boot_hooks_t *h = cfg->hooks;

    /* S11 */
    ms_boot_log(b, MS_BOOT_EV_ENTER, 0, MS_OK, (uint32_t)cfg->n_images);

    /* S12: security configuration first; nothing else runs if it is wrong. */
    err = h->check_security_config(h->ctx);
    if (err != MS_OK) {
        ms_boot_log(b, MS_BOOT_EV_SECCFG_FAIL, 0, err, 0);
        return MS_ERR_BOOT_SECURITY_CONFIG;
    }
    cfg_fih = MS_BOOT_FIH_OK;
    ms_boot_log(b, MS_BOOT_EV_SECCFG_OK, 0, MS_OK, 0);
    if (h->init_peripherals != NULL && (err = h->init_peripherals(h->ctx)) != MS_OK) {
        ms_boot_log(b, MS_BOOT_EV_PERIPH_FAIL, 0, err, 0);
        return MS_ERR_BOOT_PERIPHERALS;
    }
    if (h->seccnt->init != NULL && h->seccnt->init(h->seccnt_ctx) != MS_OK) {
        return MS_ERR_BOOT_SECCNT;
    }

    /* S13: find the image to boot; install a verified pending update. The
     * images change together: while one is installing a test update
     * (pending or interrupted), another's revert waits for the next boot, so
     * a cut between two test installs does not revert the first before the
     * test images ran together. A permanent install holds nothing: it does
     * not run as a test, and a revert cut while it rewrote its primary
     * trailer finishes as one (see swap_move.c), together with the other
     * images' reverts. */
    res->n_images = cfg->n_images;
    bool installing = false;
    bool install_failed[MS_BOOT_MAX_IMAGES] = {false};
    bool pending[MS_BOOT_MAX_IMAGES] = {false};
    size_t order[MS_BOOT_MAX_IMAGES];
    for (size_t i = 0; i < cfg->n_images; i++) {
        ms_boot_swap_type_t intent = MS_BOOT_SWAP_NONE;
        err = cfg->strategy->peek(b, i, &intent);
        if (err == MS_ERR_POWER_LOST) {
            return err;
        }
        installing |= intent == MS_BOOT_SWAP_TEST;
        pending[i] = intent == MS_BOOT_SWAP_TEST || intent == MS_BOOT_SWAP_PERM;
        b->install_type[i] = (uint8_t)intent;
    }
    /* What an update depends on is installed first (deps.c). */
    ms_boot_install_order(b, pending, order);
    for (size_t k = 0; k < cfg->n_images; k++) {
        size_t i = order[k];
        ms_boot_image_record_t *rec = &res->img[i];
        ms_boot_swap_type_t action = MS_BOOT_SWAP_NONE;
        ms_err_t rejected = MS_OK;
        rec->image_id = cfg->images[i].image_id;
        err = cfg->strategy->run(b, i, installing, &action, &rejected);
        ms_boot_wipe_key(b);
        rec->action = action;
        rec->update_err = rejected;
        if (err == MS_ERR_POWER_LOST) {
            return err;              /* the next boot resumes */
        }
        if (err != MS_OK) {
            /* A failed install (a worn trailer that cannot be written, ...)
             * must not brick. Whether to drop the update waits for S14: if
             * the primary still verifies, the update is dropped; if not (an
             * overwrite that had started), the secondary holds the only
             * intact image and stays pending, so the next boot retries. */
            ms_boot_log(b, MS_BOOT_EV_INSTALL_FAIL, rec->image_id, err, 0);
            install_failed[i] = true;
            rec->action = MS_BOOT_SWAP_FAIL;
            rec->update_err = err;
        }
    }

    /* S14: verify every primary image, on every boot. */
    for (size_t i = 0; i < cfg->n_images; i++) {
        const ms_boot_image_cfg_t *img = &cfg->images[i];
        ms_boot_image_record_t *rec = &res->img[i];
        ms_boot_geom_t g;
        const ms_flash_area_t *run = img->load.flash != NULL ? &img->load : &img->primary;
        err = ms_boot_geom(cfg, &img->primary, &g);
        if (err == MS_OK && run != &img->primary) {
            err = load_image(b, &img->primary, &g, run);
        }
        if (err == MS_OK) {
            err = ms_boot_validate(b, i, run, &g, false, &rec->m, &img_fih[i]);
        }
        /* A verified image runs only beside images it accepts. */
        if (err == MS_OK && (err = ms_boot_deps_met(cfg, i, &b->info, true)) != MS_OK) {
            img_fih[i] = MS_BOOT_FIH_FAIL;
        }
        ms_boot_wipe_key(b);
        if (err == MS_OK) {
            bool test = false;
            err = ms_boot_primary_is_test(cfg, i, &test);
            rec->confirmed = !test;
        }
        if (err != MS_OK) {
            rec->verify_err = err;
            ms_boot_log(b, MS_BOOT_EV_VERIFY_FAIL, img->image_id, err, 0);
            if (err == MS_ERR_POWER_LOST || err == MS_ERR_BOOT_ROLLBACK ||
                err == MS_ERR_BOOT_SECCNT || err == MS_ERR_BOOT_LAYOUT ||
                err == MS_ERR_BOOT_DEPENDENCY) {
                return err;
            }
            return MS_ERR_BOOT_NO_IMAGE;
        }
        jump[i] = img->exec_base + b->info.hdr.hdr_size;
        rec->image_end = b->info.end;
        ms_boot_log(b, MS_BOOT_EV_VERIFIED, img->image_id, MS_OK,
                    rec->m.has_sec_cnt ? rec->m.sec_cnt : 0);
    }

    /* Every primary verified: drop the updates whose install failed. */
    for (size_t i = 0; i < cfg->n_images; i++) {
        if (install_failed[i] &&
            ms_boot_reject_secondary(b, i, res->img[i].update_err) == MS_ERR_POWER_LOST) {
            return MS_ERR_POWER_LOST;
        }
    }

    /* The decision, taken twice over hardened values. */
    size_t n_ok = 0;
    for (size_t i = 0; i < cfg->n_images; i++) {
        n_ok += img_fih[i] == MS_BOOT_FIH_OK;
    }
    ms_boot_fih_wait(&b->fih_spin);
    if (n_ok != cfg->n_images || cfg_fih != MS_BOOT_FIH_OK) {
        return MS_ERR_BOOT_FAULT;
    }
    for (size_t i = 0; i < cfg->n_images; i++) {
        if (img_fih[i] != MS_BOOT_FIH_OK) {
            return MS_ERR_BOOT_FAULT;
        }
    }

    /* S12 again: a second, independent read of the security configuration,
     * so that a glitched first read (or a skipped branch after it) cannot
     * boot a meter whose SAU/MPC/debug lock is wrong. Before any counter
     * is raised. */
    err = h->check_security_config(h->ctx);
    if (err != MS_OK) {
        ms_boot_log(b, MS_BOOT_EV_SECCFG_FAIL, 0, err, 0);
        return MS_ERR_BOOT_SECURITY_CONFIG;
    }

    /* M6: a second, independent look at anti-rollback (the first one, in
     * ms_boot_validate, is a single comparison a glitch could skip or a
     * glitched counter read could fool), then raise the counters of
     * confirmed images only. */
    for (size_t i = 0; i < cfg->n_images; i++) {
        ms_boot_image_record_t *rec = &res->img[i];
        uint32_t dev = 0;
        uint32_t cnt = rec->m.has_sec_cnt ? rec->m.sec_cnt : 0;
        if (h->seccnt->get(h->seccnt_ctx, rec->image_id, &dev) != MS_OK) {
            return MS_ERR_BOOT_SECCNT;
        }
        if (cnt < dev) {
            return MS_ERR_BOOT_FAULT;
        }
        if (!rec->confirmed) {
            continue;
        }
        if (cnt > dev) {
            if (h->seccnt->update(h->seccnt_ctx, rec->image_id, cnt) != MS_OK) {
                return MS_ERR_BOOT_SECCNT;
            }
            ms_boot_log(b, MS_BOOT_EV_SECCNT_RAISED, rec->image_id, MS_OK, cnt);
        }
    }
    if (cfg_fih != MS_BOOT_FIH_OK || img_fih[0] != MS_BOOT_FIH_OK) {
        return MS_ERR_BOOT_FAULT;
    }
    /* Only now is there anywhere to jump to. */
    uint32_t all = MS_BOOT_FIH_OK;
    for (size_t i = 0; i < cfg->n_images; i++) {
        res->img[i].jump_addr = jump[i];
        all &= img_fih[i];
    }
    res->handover = all & cfg_fih;
    ms_boot_log(b, MS_BOOT_EV_HANDOVER, res->img[0].image_id, MS_OK, res->img[0].jump_addr);
    return res->handover == MS_BOOT_FIH_OK ? MS_OK : MS_ERR_BOOT_FAULT;
}

ms_err_t ms_boot_go(ms_boot_t *b, const ms_boot_config_t *cfg, ms_boot_result_t *res)
{
    ms_err_t err = boot_go(b, cfg, res);
    if (err != MS_OK && res != NULL) {
        /* No jump address and no hand-over token survive a refusal: a
         * skipped test of the error code finds nothing to run. */
        res->handover = 0;
        for (size_t i = 0; i < MS_BOOT_MAX_IMAGES; i++) {
            res->img[i].jump_addr = 0;
        }
    }
    return err;
}
