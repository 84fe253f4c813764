/* SPDX-License-Identifier: Apache-2.0 */
/*
 * validate.c - is the image in a slot fit to install or to run?
 *
 * One path for both slots (M4 S14, M6): parse the MCUboot header and TLVs,
 * check that the image ends below the slot's trailer sectors and is not
 * marked NON_BOOTABLE, take the payload key from the TEE key store when a
 * secondary-slot image is encrypted (M7), recompute the hash and check the
 * ECDSA-P256 signature against the anchored keys (M5), check the hash a
 * second time against the SHA256 TLV (fault-injection hardening), and
 * refuse a security counter below the device's (M6 anti-rollback).
 *
 * Invariants: the image is read from flash in chunks of the configured
 * buffer, never whole; the device's encryption private key lives on the
 * stack only while the payload key is unwrapped and is wiped right after;
 * the payload key stays in b->enc_key until ms_boot_wipe_key().
 */
#include "boot_priv.h"

#include <string.h>

/* Wipe the payload key of the last validated encrypted image. */
void ms_boot_wipe_key(ms_boot_t *b)
{
    ms_secure_zero(b->enc_key, sizeof(b->enc_key));
    b->enc_key_len = 0;
    ms_secure_zero(b->old_key, sizeof(b->old_key));
    b->old_key_len = 0;
}

/* Unwrap the payload key of an encrypted image (ECIES-P256, ENC_EC256 TLV)
 * with the key store's private key, or by the platform's unwrap hook. */
ms_err_t ms_boot_unwrap_key(ms_boot_t *b, uint8_t image_id, const ms_image_info_t *info,
                            uint8_t key[MS_IMAGE_ENC_KEY_MAX], size_t *key_len)
{
    const ms_boot_hooks_t *h = b->cfg->hooks;
    ms_p256_priv_t priv;
    if (h->unwrap_key != NULL) {
        return h->unwrap_key(h->ctx, image_id, info, key, key_len);
    }
    if (h->get_enc_key == NULL) {
        return MS_ERR_BOOT_NO_ENC_KEY;
    }
    ms_err_t err = h->get_enc_key(h->ctx, image_id, &priv);
    if (err == MS_OK) {
        err = ms_image_unwrap_key(info, &priv, key, key_len);
    } else {
        err = MS_ERR_BOOT_NO_ENC_KEY;
    }
    ms_secure_zero(&priv, sizeof(priv));
    return err;
}

/* The signing key and the signature of a verified image, checked again
 * from scratch: the key is the image's PUBKEY (or the anchor's own) and its
 * hash must be the anchor's; the signature must verify over the digest
 * the first look measured. */
static ms_err_t second_signature_look(const ms_boot_config_t *cfg, const ms_image_info_t *info,
                                      const ms_image_measurement_t *m)
{
    uint8_t kh[MS_SHA256_LEN];
    if (m->anchor_index >= cfg->n_anchors) {
        return MS_ERR_BOOT_FAULT;
    }
    const ms_image_key_anchor_t *a = &cfg->anchors[m->anchor_index];
    const ms_p256_pub_t *pub = info->has_pubkey ? &info->pubkey : a->pub;
    if (pub == NULL || ms_image_key_hash(pub, kh) != MS_OK ||
        !ms_ct_equal(kh, a->key_hash, MS_SHA256_LEN)) {
        return MS_ERR_BOOT_FAULT;
    }
    return ms_p256_verify(pub, m->hash, info->sig, info->sig_len);
}

ms_err_t ms_boot_validate(ms_boot_t *b, size_t image, const ms_flash_area_t *fa,
                          const ms_boot_geom_t *g, bool secondary,
                          ms_image_measurement_t *m, volatile uint32_t *fih)
{
    const ms_boot_config_t *cfg = b->cfg;
    const ms_boot_image_cfg_t *img = &cfg->images[image];
    ms_image_reader_t r;
    size_t klen = 0;

    *fih = MS_BOOT_FIH_FAIL;
    /* The second look below compares m->hash: it must not find a digest
     * left there by an earlier call if ms_image_verify's verdict is skipped. */
    memset(m, 0, sizeof(*m));
    ms_boot_wipe_key(b);
    ms_image_reader_flash(&r, fa);
    ms_err_t err = ms_image_parse(&r, &b->info);
    if (err != MS_OK) {
        return err;
    }
    if (b->info.end > g->image_max_end) {
        return MS_ERR_IMG_TOO_LARGE;
    }
    /* As MCUboot: a slot whose image carries NON_BOOTABLE holds no bootable
     * image. It is neither installed from the secondary nor run from the
     * primary, however well it is signed. */
    if (b->info.hdr.flags & MS_IMAGE_F_NON_BOOTABLE) {
        return MS_ERR_BOOT_NON_BOOTABLE;
    }
    /* A RAM-loaded image must have been built for this image's execution
     * region (MCUboot's RAM_LOAD flag and load address): a validly signed
     * image of the other world staged into this slot is refused here, before
     * it is installed, and can never run as this image. */
    if (img->load.flash != NULL &&
        (!(b->info.hdr.flags & MS_IMAGE_F_RAM_LOAD) || b->info.hdr.load_addr != img->exec_base)) {
        return MS_ERR_IMG_HEADER;
    }
    if ((err = ms_image_enc_key_len(&b->info.hdr, &klen)) != MS_OK) {
        return err;
    }
    if (klen != 0 && secondary) {
        if ((err = ms_boot_unwrap_key(b, img->image_id, &b->info, b->enc_key,
                                      &b->enc_key_len)) != MS_OK) {
            ms_boot_wipe_key(b);
            return err;
        }
        if (b->enc_key_len != klen) {
            ms_boot_wipe_key(b);
            return MS_ERR_IMG_ENC_KEY;
        }
    }
    /* In the primary slot an image is plaintext: installing decrypted it. */
    err = ms_image_verify(&r, &b->info, cfg->anchors, cfg->n_anchors,
                          b->enc_key_len ? b->enc_key : NULL, b->enc_key_len,
                          cfg->buf, cfg->buf_len, m);
    if (err != MS_OK) {
        ms_boot_wipe_key(b);
        return err;
    }
    /* Second, independent look at the result: the measured digest must be
     * the one the (signed) SHA256 TLV carries. */
    if (!b->info.has_sha256 || !ms_ct_equal(m->hash, b->info.sha256, MS_SHA256_LEN)) {
        ms_boot_wipe_key(b);
        return MS_ERR_BOOT_FAULT;
    }
    /* M6: anti-rollback. An image without SEC_CNT counts as 0. */
    uint32_t dev = 0;
    const ms_boot_hooks_t *h = cfg->hooks;
    if (h->seccnt->get(h->seccnt_ctx, img->image_id, &dev) != MS_OK) {
        ms_boot_wipe_key(b);
        return MS_ERR_BOOT_SECCNT;
    }
    uint32_t cnt = b->info.has_sec_cnt ? b->info.sec_cnt : 0;
    if (cnt < dev) {
        ms_boot_wipe_key(b);
        return MS_ERR_BOOT_ROLLBACK;
    }
    /* An update goes in only beside images it accepts and that accept it
     * (deps.c; its dependencies are read from the image just verified). A
     * revert puts back a pair that ran together, and is not held to them. */
    uint8_t install = b->install_type[image];
    if (secondary && install != MS_BOOT_SWAP_REVERT) {
        err = ms_boot_deps_met(cfg, image, &b->info, install == MS_BOOT_SWAP_TEST);
        if (err == MS_OK) {
            err = ms_boot_deps_accepted(cfg, image, &b->info.hdr.version, &b->info2);
        }
        if (err != MS_OK) {
            ms_boot_wipe_key(b);
            return err;
        }
    }
    /* FIH: the key and the signature once more, independently, after a
     * varying delay - one skipped comparison inside the first verify can
     * then no longer accept a forged signature (cfg->fih_double_sig). */
    volatile uint32_t fih_sig2 = MS_BOOT_FIH_OK;
    if (cfg->fih_double_sig) {
        fih_sig2 = MS_BOOT_FIH_FAIL;
        ms_boot_fih_wait(&b->fih_spin);
        err = second_signature_look(cfg, &b->info, m);
        fih_sig2 = MS_BOOT_FIH_OK ^ (uint32_t)err;
        if (err != MS_OK) {
            ms_boot_wipe_key(b);
            return MS_ERR_BOOT_FAULT;
        }
    }
    *fih = fih_sig2 == MS_BOOT_FIH_OK ? MS_BOOT_FIH_OK : MS_BOOT_FIH_FAIL;
    return fih_sig2 == MS_BOOT_FIH_OK ? MS_OK : MS_ERR_BOOT_FAULT;
}

/* M6: a rejected update is marked (trailer erased) and the old image stays. */
ms_err_t ms_boot_reject_secondary(ms_boot_t *b, size_t image, ms_err_t why)
{
    const ms_boot_image_cfg_t *img = &b->cfg->images[image];
    ms_boot_geom_t g;
    ms_err_t err = ms_boot_geom(b->cfg, &img->secondary, &g);
    ms_boot_wipe_key(b);
    ms_boot_log(b, MS_BOOT_EV_UPDATE_REJECTED, img->image_id, why, 0);
    if (err != MS_OK) {
        return err;
    }
    return ms_boot_erase_trailer(&img->secondary, &g);
}

/* M6: before an install moves a confirmed primary image out of the way, its
 * security counter becomes the device's. S14 raises the counter only on a
 * boot that finds the image confirmed, so without this an update staged
 * right after a confirm (before any further boot) could bring back the
 * image the confirmed one replaced. Only a primary that verifies on this
 * boot raises anything; `confirmed` comes from its settled trailer. */
ms_err_t ms_boot_commit_primary_counter(ms_boot_t *b, size_t image, const ms_boot_geom_t *g,
                                        bool confirmed)
{
    const ms_boot_image_cfg_t *img = &b->cfg->images[image];
    const ms_boot_hooks_t *h = b->cfg->hooks;
    volatile uint32_t fih = MS_BOOT_FIH_FAIL;
    ms_image_measurement_t m;
    uint32_t dev = 0;
    if (!confirmed) {
        return MS_OK;
    }
    ms_err_t err = ms_boot_validate(b, image, &img->primary, g, false, &m, &fih);
    ms_boot_wipe_key(b);
    if (err == MS_ERR_POWER_LOST || err == MS_ERR_BOOT_SECCNT) {
        return err;
    }
    if (err != MS_OK || fih != MS_BOOT_FIH_OK || !m.has_sec_cnt) {
        return MS_OK;   /* nothing verified to commit; the install decides */
    }
    if (h->seccnt->get(h->seccnt_ctx, img->image_id, &dev) != MS_OK) {
        return MS_ERR_BOOT_SECCNT;
    }
    if (m.sec_cnt > dev) {
        if (h->seccnt->update(h->seccnt_ctx, img->image_id, m.sec_cnt) != MS_OK) {
            return MS_ERR_BOOT_SECCNT;
        }
        ms_boot_log(b, MS_BOOT_EV_SECCNT_RAISED, img->image_id, MS_OK, m.sec_cnt);
    }
    return MS_OK;
}
