/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slots.c - slot geometry and the flash moves every upgrade strategy uses:
 * erase a range of sectors, erase a trailer, copy sectors between slots
 * (decrypting on the way when installing an encrypted image, M7).
 *
 * A slot is [ image area | spare sectors | trailer sectors ]: the image must
 * end below the first sector that holds any trailer byte, so moving or
 * erasing image sectors never touches the trailer, and erasing the trailer
 * never touches the image. Swap-using-move keeps one spare sector in the
 * primary slot (the secondary keeps the same one unused so both slots have
 * the same size and trailer offsets).
 *
 * Invariants: every access goes through ms_flash_area_*, so bounds and
 * alignment are checked again below; copies run in chunks of the caller's
 * buffer; key material lives only in the caller's buffers.
 */
#include "boot_priv.h"

static int is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1u)) == 0;
}

/* Geometry of a slot: trailer layout and magic (MCUboot's, from the image
 * module, for cfg->max_align) and the highest offset an image may reach. */
ms_err_t ms_boot_geom(const ms_boot_config_t *cfg, const ms_flash_area_t *fa,
                      ms_boot_geom_t *g)
{
    if (cfg == NULL || fa == NULL || fa->flash == NULL || g == NULL ||
        cfg->strategy == NULL) {
        return MS_ERR_ARG;
    }
    const ms_flash_t *f = fa->flash;
    g->sector = f->sector_size;
    g->align = f->write_align;
    g->erased = f->erased_val;
    if (!is_pow2(g->align) || g->sector == 0 || g->sector % g->align != 0 ||
        fa->off % g->sector != 0 || fa->size % g->sector != 0 ||
        cfg->max_align < g->align || cfg->buf_len < 64 || cfg->buf_len % g->align != 0) {
        return MS_ERR_BOOT_LAYOUT;
    }
    ms_err_t err = ms_trailer_layout(fa->size, g->align, cfg->max_align, cfg->max_sectors,
                                     cfg->strategy->overwrite_only,
                                     cfg->strategy->overwrite_only ? 0 : MS_BOOT_ENC_REC_LEN,
                                     &g->lay);
    if (err != MS_OK) {
        return MS_ERR_BOOT_LAYOUT;
    }
    if (ms_trailer_magic_for(cfg->max_align, g->magic) != MS_OK) {
        return MS_ERR_BOOT_LAYOUT;
    }
    g->trailer_sector_off = g->lay.trailer_off / g->sector * g->sector;
    uint64_t spare = (uint64_t)cfg->strategy->spare_sectors * g->sector;
    if (g->trailer_sector_off <= spare) {
        return MS_ERR_BOOT_LAYOUT;
    }
    g->image_max_end = (uint32_t)(g->trailer_sector_off - spare);
    g->status_entries = cfg->strategy->overwrite_only ? 0 : cfg->max_sectors;
    return MS_OK;
}

/* Erase whole sectors covering [off, off+len). */
ms_err_t ms_boot_erase_range(const ms_flash_area_t *fa, const ms_boot_geom_t *g,
                             uint32_t off, uint32_t len)
{
    if (len == 0) {
        return MS_OK;
    }
    /* 32-bit arithmetic: a 64-bit divide would pull a libgcc routine into
     * the boot loader. fa->size is a whole number of sectors (ms_boot_geom). */
    if (len > fa->size || off > fa->size - len) {
        return MS_ERR_ARG;
    }
    uint32_t start = off / g->sector * g->sector;
    uint32_t last = (off + len - 1u) / g->sector;
    uint32_t end = (last + 1u) * g->sector;
    if (end > fa->size) {
        return MS_ERR_ARG;
    }
    return ms_flash_area_erase(fa, start, end - start);
}

/* Erase the trailer's sectors, one by one, skipping those already erased
 * (fewer erase cycles, and a resumed erase does only what is left). */
ms_err_t ms_boot_erase_trailer(const ms_flash_area_t *fa, const ms_boot_geom_t *g)
{
    for (uint32_t off = g->trailer_sector_off; off < fa->size; off += g->sector) {
        int erased = 0;
        ms_err_t err = ms_flash_area_is_erased(fa, off, g->sector, &erased);
        if (err != MS_OK) {
            return err;
        }
        if (!erased) {
            err = ms_flash_area_erase(fa, off, g->sector);
            if (err != MS_OK) {
                return err;
            }
        }
    }
    return MS_OK;
}

/* AES-CTR over the payload bytes of [pos, pos+n): the key stream position is
 * the byte's offset in the payload (MCUboot: counter = offset / 16, big
 * endian, starting from 0). */
static ms_err_t ctr_apply(const ms_boot_xform_t *xf, uint32_t pos, uint8_t *p, size_t n)
{
    uint64_t s = pos > xf->pay_start ? pos : xf->pay_start;
    uint64_t e = (uint64_t)pos + n < xf->pay_end ? (uint64_t)pos + n : xf->pay_end;
    if (s >= e) {
        return MS_OK;
    }
    uint32_t rel = (uint32_t)(s - xf->pay_start);
    uint8_t ctr[MS_AES_BLOCK_LEN] = {0};
    uint32_t blk = rel / MS_AES_BLOCK_LEN;
    ctr[12] = (uint8_t)(blk >> 24);
    ctr[13] = (uint8_t)(blk >> 16);
    ctr[14] = (uint8_t)(blk >> 8);
    ctr[15] = (uint8_t)blk;
    ms_aes_ctr_ctx c;
    ms_err_t err = ms_aes_ctr_init(&c, xf->key, xf->key_len, ctr);
    if (err == MS_OK && rel % MS_AES_BLOCK_LEN != 0) {
        uint8_t skip[MS_AES_BLOCK_LEN] = {0};
        err = ms_aes_ctr_update(&c, skip, skip, rel % MS_AES_BLOCK_LEN);
        ms_secure_zero(skip, sizeof(skip));
    }
    if (err == MS_OK) {
        uint8_t *q = p + (s - pos);
        err = ms_aes_ctr_update(&c, q, q, (size_t)(e - s));
    }
    ms_aes_ctr_free(&c);
    return err;
}

/* Copy a range between slots in chunks, with the optional CTR transform. */
ms_err_t ms_boot_copy(const ms_flash_area_t *src, uint32_t src_off,
                      const ms_flash_area_t *dst, uint32_t dst_off, uint32_t len,
                      const ms_boot_xform_t *xf, const ms_boot_geom_t *g,
                      uint8_t *buf, size_t buf_len)
{
    /* 32-bit arithmetic (a 64-bit divide costs a Cortex-M libgcc routine). */
    if (g->align == 0 || len > UINT32_MAX - (g->align - 1u)) {
        return MS_ERR_ARG;
    }
    uint32_t total = (len + g->align - 1u) / g->align * g->align;
    if (total > src->size || src_off > src->size - total ||
        total > dst->size || dst_off > dst->size - total) {
        return MS_ERR_ARG;
    }
    for (uint32_t done = 0; done < total;) {
        size_t n = total - done < buf_len ? total - done : buf_len;
        ms_err_t err = ms_flash_area_read(src, src_off + (uint32_t)done, buf, n);
        if (err == MS_OK && xf != NULL && xf->key != NULL) {
            err = ctr_apply(xf, dst_off + (uint32_t)done, buf, n);
        }
        if (err == MS_OK) {
            err = ms_flash_area_write(dst, dst_off + (uint32_t)done, buf, n);
        }
        if (err != MS_OK) {
            ms_secure_zero(buf, buf_len);
            return err;
        }
        done += (uint32_t)n;
    }
    if (xf != NULL && xf->key != NULL) {
        ms_secure_zero(buf, buf_len);   /* plaintext of an encrypted image */
    }
    return MS_OK;
}
