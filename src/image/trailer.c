/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trailer.c - where MCUboot's image trailer fields sit at the end of a slot.
 *
 * From the slot's end downwards (MCUboot bootutil, imgtool _trailer_size):
 *   magic        the slot's last 16 bytes, in a field of align_up(16, max_align)
 *   image_ok     max_align bytes (first byte used)
 *   copy_done    max_align bytes
 *   swap_info    max_align bytes
 *   swap_size    max_align bytes (u32)
 *   enc key 1, enc key 0   align_up(key field, max_align) each, if encrypted
 *   swap status  max_sectors * 3 * write_align bytes
 * Overwrite-only upgrades keep just magic, image_ok and copy_done.
 * Invariant: every offset is computed in 64 bits and checked to lie inside
 * the slot, so a caller can use them without further checks.
 */
#include "image_priv.h"

/* The trailer magic for the default max_align of 8. */
const uint8_t ms_trailer_magic[16] = {
    0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
    0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80,
};

/* a is a power of two (every caller checks): a mask, no 64-bit divide. */
static uint64_t align_up64(uint64_t v, uint32_t a)
{
    return (v + a - 1u) & ~(uint64_t)(a - 1u);
}

static int pow2_in(uint32_t v, uint32_t lo, uint32_t hi)
{
    return v >= lo && v <= hi && (v & (v - 1u)) == 0;
}

/* Trailer field offsets for a slot, computed as imgtool and MCUboot do. */
ms_err_t ms_trailer_layout(uint32_t slot_size, uint32_t write_align, uint32_t max_align,
                           uint32_t max_sectors, bool overwrite_only,
                           uint32_t enc_key_field_len, ms_trailer_layout_t *out)
{
    if (out == NULL || !pow2_in(max_align, 1u, 0x8000u)) {
        return MS_ERR_ARG;
    }
    if (!overwrite_only && !pow2_in(write_align, 1u, 32u)) {
        return MS_ERR_ARG;
    }
    uint64_t magic_field = align_up64(16u, max_align);
    uint64_t size;
    if (overwrite_only) {
        size = (uint64_t)max_align * 2u + magic_field;
    } else {
        size = (uint64_t)max_sectors * 3u * write_align;
        if (enc_key_field_len != 0) {
            size += align_up64(enc_key_field_len, max_align) * 2u;
        }
        size += (uint64_t)max_align * 4u + magic_field;
    }
    if (size > slot_size) {
        return MS_ERR_IMG_TOO_LARGE;
    }
    out->slot_size = slot_size;
    out->max_align = max_align;
    out->trailer_off = (uint32_t)(slot_size - size);
    /* The 16 magic bytes end the slot; a max_align above 16 widens their
     * field downwards (MCUboot's boot_magic_off / boot_image_ok_off). */
    out->magic_off = slot_size - 16u;
    out->image_ok_off = (uint32_t)(slot_size - magic_field - max_align);
    out->copy_done_off = out->image_ok_off - max_align;
    if (overwrite_only) {
        /* No swap fields: point them at copy_done's slot, unused. */
        out->swap_info_off = out->copy_done_off;
        out->swap_size_off = out->copy_done_off;
        out->enc_key0_off = out->copy_done_off;
        out->enc_key1_off = out->copy_done_off;
        return MS_OK;
    }
    out->swap_info_off = out->copy_done_off - max_align;
    out->swap_size_off = out->swap_info_off - max_align;
    uint32_t key_field = (uint32_t)align_up64(enc_key_field_len, max_align);
    out->enc_key0_off = out->swap_size_off - key_field;
    out->enc_key1_off = out->enc_key0_off - key_field;
    return MS_OK;
}
