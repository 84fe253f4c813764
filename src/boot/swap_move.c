/* SPDX-License-Identifier: Apache-2.0 */
/*
 * swap_move.c - the swap-using-move upgrade strategy, with MCUboot's
 * test / permanent / revert semantics.
 *
 * Why move (and not scratch or offset): it needs no scratch partition that
 * wears out first (scratch erases one sector per swapped sector), only one
 * spare sector in the primary slot, and every step copies a whole sector
 * from a place that is not erased until a later, recorded step (so every
 * step can simply be redone after a power cut). Swap-using-offset saves the
 * primary's extra sector but needs images linked for two addresses.
 *
 * With n = sectors covering the larger of the two images:
 *   move:  for i = n-1 .. 0: erase P[i+1]; copy P[i] -> P[i+1]; status(i,0)
 *   swap:  for i = 0 .. n-1: erase P[i]; copy S[i] -> P[i];    status(i,1)
 *                            erase S[i]; copy P[i+1] -> S[i];  status(i,2)
 * after which the primary holds the new image and the secondary the old one.
 *
 * Start of a swap (M6, power-fail safe), the new image verified first:
 *   erase primary trailer; write the encryption records, swap_size,
 *   swap_info, image_ok (permanent or revert), then the primary magic; erase
 *   the secondary trailer; run the steps; write copy_done.
 * Encrypted images (M7): the incoming image is decrypted on its way into the
 * primary, the outgoing one encrypted again with its own key on its way
 * into the secondary, so an image is ciphertext whenever it sits in a
 * secondary slot. The keys are re-derived on every (resumed) swap from the
 * wrapped-key records saved in the trailer; they are never stored in clear.
 * "Primary magic GOOD, copy_done unset, swap_info valid" means a swap is in
 * progress and the status entries say how far. A cut before the primary
 * magic leaves the secondary still pending, so the swap starts over; after
 * it, the next boot resumes.
 *
 * Trust (M6): the secondary slot and its trailer are written by whoever
 * stages an update, so nothing read there decides more than "an update is
 * staged, test or permanent" (MCUboot's table). A revert is decided only
 * from the primary trailer, which only the boot loader writes (and the
 * running image's confirm): the table's revert row, or the swap_info of a
 * swap it started. The secondary's swap_info is never read.
 * Revert: the previous image (now in the secondary) is first marked
 * pending-permanent, as MCUboot's fixup_revert does, so that a cut while
 * the primary trailer is being rewritten leaves it asked for; the next boot
 * then installs it as a permanent update, which is what the revert does.
 * That is safe because the counter commit below keys off the primary
 * alone: a primary is committed before it is moved out exactly when its
 * trailer says it was confirmed (magic GOOD, image_ok set), and a trailer
 * in any other state was either never confirmed (a test image) or had its
 * counter raised by S14 on the boot that ran it.
 */
#include "boot_priv.h"

#include <string.h>

/* Save the ENC_EC256 TLV and payload bounds of an encrypted image (nothing
 * for a plain one) in a trailer key field. */
static ms_err_t enc_rec_write(const ms_flash_area_t *fa, const ms_boot_geom_t *g, uint32_t off,
                              const ms_image_info_t *info)
{
    uint8_t rec[MS_BOOT_ENC_REC_LEN + 32];
    size_t klen = 0;
    if (ms_image_enc_key_len(&info->hdr, &klen) != MS_OK || klen == 0 ||
        info->enc_tlv_len == 0 || info->enc_tlv_len > MS_IMAGE_ENC_EC256_LEN_256) {
        return MS_OK;
    }
    size_t n = (MS_BOOT_ENC_REC_LEN + g->align - 1u) / g->align * g->align;
    memset(rec, g->erased, sizeof(rec));
    uint32_t sz = info->hdr.img_size;
    rec[0] = (uint8_t)sz, rec[1] = (uint8_t)(sz >> 8), rec[2] = (uint8_t)(sz >> 16);
    rec[3] = (uint8_t)(sz >> 24);
    rec[4] = (uint8_t)info->hdr.hdr_size, rec[5] = (uint8_t)(info->hdr.hdr_size >> 8);
    rec[6] = (uint8_t)klen;
    rec[7] = (uint8_t)info->enc_tlv_len;
    memcpy(rec + MS_BOOT_ENC_REC_HDR, info->enc_tlv, info->enc_tlv_len);
    return ms_flash_area_write(fa, off, rec, n);
}

/* Read a saved record back and unwrap its key into `key` (M7); an erased
 * record means "not encrypted" (xf->key stays NULL). */
static ms_err_t enc_rec_load(ms_boot_t *b, const ms_boot_image_cfg_t *img,
                             const ms_boot_geom_t *g, uint32_t off, uint8_t *key,
                             size_t *key_len, ms_boot_xform_t *xf)
{
    uint8_t rec[MS_BOOT_ENC_REC_LEN];
    memset(xf, 0, sizeof(*xf));
    ms_err_t err = ms_flash_area_read(&img->primary, off, rec, sizeof(rec));
    if (err != MS_OK) {
        return err;
    }
    if (rec[6] == g->erased && rec[7] == g->erased) {
        return MS_OK;
    }
    size_t klen = rec[6];
    if (!((klen == 16 && rec[7] == MS_IMAGE_ENC_EC256_LEN_128) ||
          (klen == 32 && rec[7] == MS_IMAGE_ENC_EC256_LEN_256))) {
        return MS_ERR_FORMAT;
    }
    ms_image_info_t *info = &b->info2;
    memset(info, 0, sizeof(*info));
    info->hdr.flags = klen == 16 ? MS_IMAGE_F_ENCRYPTED_AES128 : MS_IMAGE_F_ENCRYPTED_AES256;
    info->enc_tlv_len = rec[7];
    memcpy(info->enc_tlv, rec + MS_BOOT_ENC_REC_HDR, rec[7]);
    if ((err = ms_boot_unwrap_key(b, img->image_id, info, key, key_len)) != MS_OK) {
        return err;
    }
    uint32_t img_size = (uint32_t)rec[0] | (uint32_t)rec[1] << 8 | (uint32_t)rec[2] << 16 |
                        (uint32_t)rec[3] << 24;
    uint32_t hdr_size = (uint32_t)rec[4] | (uint32_t)rec[5] << 8;
    xf->key = key;
    xf->key_len = *key_len;
    xf->pay_start = hdr_size;
    xf->pay_end = hdr_size + img_size < hdr_size ? hdr_size : hdr_size + img_size;
    return MS_OK;
}

/* The copy steps, skipping those the status area records as done. xin
 * decrypts the incoming image on its way into the primary; xout encrypts
 * the outgoing one again on its way into the secondary, so that each image
 * is ciphertext whenever it sits in the secondary slot (M7). */
static ms_err_t swap_sectors(ms_boot_t *b, const ms_boot_image_cfg_t *img,
                             const ms_boot_geom_t *g, uint32_t n,
                             const ms_boot_xform_t *xin, const ms_boot_xform_t *xout)
{
    const ms_flash_area_t *p = &img->primary;
    const ms_flash_area_t *s = &img->secondary;
    uint32_t sec = g->sector;
    uint8_t *buf = b->cfg->buf;
    size_t blen = b->cfg->buf_len;
    ms_err_t err = MS_OK;
    bool done;

    for (uint32_t k = n; k-- > 0;) {
        if ((err = ms_boot_status_get(p, g, k, 0, &done)) != MS_OK) {
            return err;
        }
        if (!done) {
            if ((err = ms_flash_area_erase(p, (k + 1u) * sec, sec)) != MS_OK ||
                (err = ms_boot_copy(p, k * sec, p, (k + 1u) * sec, sec, NULL, g, buf, blen)) != MS_OK ||
                (err = ms_boot_status_set(p, g, k, 0)) != MS_OK) {
                return err;
            }
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        if ((err = ms_boot_status_get(p, g, k, 1, &done)) != MS_OK) {
            return err;
        }
        if (!done) {
            if ((err = ms_flash_area_erase(p, k * sec, sec)) != MS_OK ||
                (err = ms_boot_copy(s, k * sec, p, k * sec, sec, xin, g, buf, blen)) != MS_OK ||
                (err = ms_boot_status_set(p, g, k, 1)) != MS_OK) {
                return err;
            }
        }
        if ((err = ms_boot_status_get(p, g, k, 2, &done)) != MS_OK) {
            return err;
        }
        if (!done) {
            if ((err = ms_flash_area_erase(s, k * sec, sec)) != MS_OK ||
                (err = ms_boot_copy(p, (k + 1u) * sec, s, k * sec, sec, xout, g, buf, blen)) != MS_OK ||
                (err = ms_boot_status_set(p, g, k, 2)) != MS_OK) {
                return err;
            }
        }
    }
    return MS_OK;
}

/* Finish a swap whose primary trailer is written: make sure the secondary
 * trailer is gone, run the remaining steps, then set copy_done. */
static ms_err_t swap_finish(ms_boot_t *b, const ms_boot_image_cfg_t *img,
                            const ms_boot_geom_t *gp, const ms_boot_geom_t *gs, uint32_t n)
{
    ms_boot_xform_t xin, xout;
    ms_err_t err = ms_boot_erase_trailer(&img->secondary, gs);
    if (err == MS_OK) {
        err = enc_rec_load(b, img, gp, gp->lay.enc_key0_off, b->enc_key, &b->enc_key_len, &xin);
    }
    if (err == MS_OK) {
        err = enc_rec_load(b, img, gp, gp->lay.enc_key1_off, b->old_key, &b->old_key_len, &xout);
    }
    if (err == MS_OK) {
        err = swap_sectors(b, img, gp, n, &xin, &xout);
    }
    ms_boot_wipe_key(b);
    if (err == MS_OK) {
        err = ms_boot_write_flag(&img->primary, gp, gp->lay.copy_done_off, 0x01);
    }
    return err;
}

/* Sectors to swap: enough for the new image and for the old one (whose
 * extent is taken from its header when it parses, else the whole area). */
static uint32_t swap_sector_count(ms_boot_t *b, const ms_boot_image_cfg_t *img,
                                  const ms_boot_geom_t *g, uint32_t new_end)
{
    ms_image_reader_t r;
    uint32_t old_end = g->image_max_end;
    ms_image_reader_flash(&r, &img->primary);
    if (ms_image_parse(&r, &b->info2) == MS_OK && b->info2.end <= g->image_max_end) {
        old_end = b->info2.end;
    } else {
        memset(&b->info2, 0, sizeof(b->info2));   /* no old image to keep encrypted */
    }
    uint32_t end = new_end > old_end ? new_end : old_end;
    return (end + g->sector - 1u) / g->sector;
}

/* Both trailers and geometries of an image. */
typedef struct swap_state {
    ms_boot_geom_t gp, gs;
    ms_boot_trailer_state_t pst, sst;
    bool resume;                 /* a swap is in progress */
    ms_boot_swap_type_t type;    /* resume: swap_info; else what the table asks */
} swap_state_t;

static ms_err_t read_state(ms_boot_t *b, const ms_boot_image_cfg_t *img, swap_state_t *s)
{
    ms_err_t err = ms_boot_geom(b->cfg, &img->primary, &s->gp);
    if (err == MS_OK) {
        err = ms_boot_geom(b->cfg, &img->secondary, &s->gs);
    }
    if (err == MS_OK && (s->gp.sector != s->gs.sector || img->primary.size != img->secondary.size)) {
        err = MS_ERR_BOOT_LAYOUT;
    }
    if (err != MS_OK ||
        (err = ms_boot_trailer_read(&img->primary, &s->gp, &s->pst)) != MS_OK ||
        (err = ms_boot_trailer_read(&img->secondary, &s->gs, &s->sst)) != MS_OK) {
        return err;
    }
    ms_boot_primary_settle(&s->pst);   /* torn copy_done / confirm */
    const ms_boot_trailer_state_t *p = &s->pst;
    uint32_t max_n = s->gp.image_max_end / s->gp.sector;
    s->resume = p->magic == MS_BOOT_MAGIC_GOOD && p->copy_done == MS_BOOT_FLAG_UNSET &&
                p->swap_type != MS_BOOT_SWAP_NONE && p->swap_size != 0 &&
                p->swap_size % s->gp.sector == 0 && p->swap_size / s->gp.sector <= max_n &&
                p->swap_size / s->gp.sector <= s->gp.status_entries;
    if (s->resume) {
        s->type = (ms_boot_swap_type_t)p->swap_type;
        return MS_OK;
    }
    s->type = ms_boot_swap_type(&s->pst, &s->sst);
    return MS_OK;
}

static ms_err_t swap_move_peek(ms_boot_t *b, size_t image, ms_boot_swap_type_t *intent)
{
    swap_state_t s;
    ms_err_t err = read_state(b, &b->cfg->images[image], &s);
    *intent = err == MS_OK ? s.type : MS_BOOT_SWAP_NONE;
    return err;
}

static ms_err_t swap_move_run(ms_boot_t *b, size_t image, bool hold_revert,
                              ms_boot_swap_type_t *done, ms_err_t *rejected)
{
    const ms_boot_image_cfg_t *img = &b->cfg->images[image];
    swap_state_t s;
    ms_image_measurement_t m;
    volatile uint32_t fih = MS_BOOT_FIH_FAIL;

    *done = MS_BOOT_SWAP_NONE;
    *rejected = MS_OK;
    ms_err_t err = read_state(b, img, &s);
    if (err != MS_OK) {
        return err;
    }
    const ms_boot_geom_t *gp = &s.gp, *gs = &s.gs;

    /* An interrupted swap: resume from the status entries. */
    if (s.resume) {
        ms_boot_log(b, MS_BOOT_EV_RESUME, img->image_id, MS_OK, s.type);
        err = swap_finish(b, img, gp, gs, s.pst.swap_size / gp->sector);
        if (err == MS_OK) {
            *done = s.type;
            ms_boot_log(b, MS_BOOT_EV_INSTALLED, img->image_id, MS_OK, s.type);
        }
        return err;
    }

    ms_boot_swap_type_t type = s.type;
    if (type == MS_BOOT_SWAP_NONE || (type == MS_BOOT_SWAP_REVERT && hold_revert)) {
        return MS_OK;
    }
    ms_boot_log(b, MS_BOOT_EV_PENDING, img->image_id, MS_OK, type);
    /* M6: a confirmed image about to be moved out commits its counter
     * first, so the update cannot be the image it replaced, whatever kind
     * of swap this is. Confirmed means what the primary trailer says. */
    bool confirmed = s.pst.magic == MS_BOOT_MAGIC_GOOD && s.pst.image_ok == MS_BOOT_FLAG_SET;
    if ((err = ms_boot_commit_primary_counter(b, image, gp, confirmed)) != MS_OK) {
        return err;
    }
    uint8_t info = (uint8_t)(((img->image_id & 0x0fu) << 4) | (uint8_t)type);
    if (type == MS_BOOT_SWAP_REVERT &&
        (err = ms_boot_mark_pending(&img->secondary, gs, true)) != MS_OK) {
        return err;
    }

    /* M6: the image to be installed is verified before anything moves. */
    err = ms_boot_validate(b, image, &img->secondary, gs, true, &m, &fih);
    ms_boot_wipe_key(b);
    if (err == MS_ERR_POWER_LOST) {
        return err;
    }
    if (err != MS_OK || fih != MS_BOOT_FIH_OK) {
        *rejected = err != MS_OK ? err : MS_ERR_BOOT_FAULT;
        *done = MS_BOOT_SWAP_FAIL;
        return ms_boot_reject_secondary(b, image, *rejected);
    }
    uint32_t n = swap_sector_count(b, img, gp, b->info.end);
    if (n == 0 || n > gp->image_max_end / gp->sector || n > gp->status_entries) {
        *rejected = MS_ERR_BOOT_LAYOUT;
        *done = MS_BOOT_SWAP_FAIL;
        return ms_boot_reject_secondary(b, image, *rejected);
    }

    /* b->info: the new image (validated); b->info2: the old one if it
     * parsed (swap_sector_count). Their wrapped keys go into the trailer
     * so that a resumed swap can decrypt and encrypt again. */
    if (b->info2.enc_tlv_len != 0) {
        /* The old image can only go back to the secondary encrypted if the
         * key store still opens its key; otherwise it goes in clear (and a
         * later revert to it is refused by its hash check). */
        err = ms_boot_unwrap_key(b, img->image_id, &b->info2, b->old_key, &b->old_key_len);
        ms_boot_wipe_key(b);
        if (err == MS_ERR_POWER_LOST) {
            return err;
        }
        if (err != MS_OK) {
            b->info2.enc_tlv_len = 0;
        }
    }
    const ms_flash_area_t *p = &img->primary;
    if ((err = ms_boot_erase_trailer(p, gp)) != MS_OK ||
        (err = enc_rec_write(p, gp, gp->lay.enc_key0_off, &b->info)) != MS_OK ||
        (err = enc_rec_write(p, gp, gp->lay.enc_key1_off, &b->info2)) != MS_OK ||
        (err = ms_boot_write_swap_size(p, gp, n * gp->sector)) != MS_OK ||
        (err = ms_boot_write_flag(p, gp, gp->lay.swap_info_off, info)) != MS_OK) {
        return err;
    }
    if (type != MS_BOOT_SWAP_TEST &&
        (err = ms_boot_write_flag(p, gp, gp->lay.image_ok_off, 0x01)) != MS_OK) {
        return err;
    }
    if ((err = ms_boot_write_magic(p, gp)) != MS_OK ||
        (err = swap_finish(b, img, gp, gs, n)) != MS_OK) {
        return err;
    }
    *done = type;
    ms_boot_log(b, MS_BOOT_EV_INSTALLED, img->image_id, MS_OK, type);
    return MS_OK;
}

const ms_boot_strategy_t ms_boot_strategy_swap_move = {
    .name = "swap-using-move",
    .overwrite_only = false,
    .spare_sectors = 1,
    .peek = swap_move_peek,
    .run = swap_move_run,
};
