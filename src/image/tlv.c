/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlv.c - parse an image's header and TLV areas; generic TLV iteration.
 *
 * ms_image_parse() reads only through the reader, a few bytes at a time
 * (header, TLV headers, the known TLVs' values), never the payload.
 * Invariants it establishes for everything downstream (hash, verify,
 * decrypt, the boot loader):
 *   - hdr_size >= 32, magic right, encryption flags not contradictory;
 *   - hdr_size + img_size + protect_tlv_size + tlv_tot <= r->size, computed
 *     in 64 bits so no sum can wrap;
 *   - the protected area, when present, starts with info magic 0x6908 and
 *     its tlv_tot equals protect_tlv_size; the unprotected area starts with
 *     0x6907; each tlv_tot >= 4;
 *   - every TLV lies wholly inside its area; known TLVs have their exact
 *     lengths; SHA256, KEYHASH, PUBKEY, ECDSA_SIG, SEC_CNT and ENC_EC256 occur
 *     at most once; SEC_CNT and DEPENDENCY only in the protected area (they
 *     must be covered by the hash: M6 downgrade protection relies on it), the
 *     others only in the unprotected one.
 */
#include <string.h>

#include "image_priv.h"

/* Parse one area's info word at off: magic must match, tlv_tot >= 4 and the
 * area must fit in the reader. */
static ms_err_t read_area_info(const ms_image_reader_t *r, uint32_t off, uint16_t magic,
                               uint16_t *tot)
{
    uint8_t b[MS_IMAGE_TLV_INFO_SIZE];
    ms_err_t err = ms_image_read(r, off, b, sizeof(b));
    if (err) {
        return err;
    }
    if (ms_image_le16(b) != magic) {
        return MS_ERR_IMG_TLV_INFO;
    }
    *tot = ms_image_le16(b + 2);
    if (*tot < MS_IMAGE_TLV_INFO_SIZE) {
        return MS_ERR_IMG_TLV_INFO;
    }
    if ((uint64_t)off + *tot > r->size) {
        return MS_ERR_TRUNCATED;
    }
    return MS_OK;
}

/* Read one TLV header at it->off; checks it and its value lie inside the area. */
static ms_err_t tlv_next(ms_tlv_iter_t *it, uint16_t *type, uint32_t *data_off, uint16_t *len)
{
    if (it->off >= it->end) {
        return MS_ERR_NOT_FOUND;
    }
    if (it->end - it->off < MS_IMAGE_TLV_HDR_SIZE) {
        return MS_ERR_IMG_TLV_BOUNDS;
    }
    uint8_t b[MS_IMAGE_TLV_HDR_SIZE];
    ms_err_t err = ms_image_read(it->r, it->off, b, sizeof(b));
    if (err) {
        return err;
    }
    uint16_t l = ms_image_le16(b + 2);
    if (l > it->end - it->off - MS_IMAGE_TLV_HDR_SIZE) {
        return MS_ERR_IMG_TLV_BOUNDS;
    }
    /* imgtool writes the type as a u8 followed by a zero pad byte; MCUboot
     * reads it as a u16. Keep the u16 so a non-zero pad byte makes it an
     * unknown type rather than a known one. */
    *type = ms_image_le16(b);
    *data_off = it->off + MS_IMAGE_TLV_HDR_SIZE;
    *len = l;
    it->off += MS_IMAGE_TLV_HDR_SIZE + (uint32_t)l;
    return MS_OK;
}

static ms_err_t record_protected(const ms_image_reader_t *r, ms_image_info_t *info,
                                 uint16_t type, uint32_t off, uint16_t len)
{
    uint8_t b[MS_IMAGE_DEP_LEN];
    ms_err_t err;
    switch (type) {
    case MS_TLV_SEC_CNT:
        if (info->has_sec_cnt) {
            return MS_ERR_IMG_TLV_DUP;
        }
        if (len != MS_IMAGE_SEC_CNT_LEN) {
            return MS_ERR_FORMAT;
        }
        err = ms_image_read(r, off, b, MS_IMAGE_SEC_CNT_LEN);
        if (err) {
            return err;
        }
        info->sec_cnt = ms_image_le32(b);
        info->has_sec_cnt = true;
        return MS_OK;
    case MS_TLV_DEPENDENCY:
        if (len != MS_IMAGE_DEP_LEN) {
            return MS_ERR_FORMAT;
        }
        if (info->n_deps >= MS_IMAGE_MAX_DEPS) {
            return MS_ERR_UNSUPPORTED;
        }
        err = ms_image_read(r, off, b, MS_IMAGE_DEP_LEN);
        if (err) {
            return err;
        }
        ms_image_dependency_t *d = &info->deps[info->n_deps++];
        d->image_id = b[0];
        d->min_version.major = b[4];
        d->min_version.minor = b[5];
        d->min_version.revision = ms_image_le16(b + 6);
        d->min_version.build = ms_image_le32(b + 8);
        return MS_OK;
    case MS_TLV_SHA256:
    case MS_TLV_KEYHASH:
    case MS_TLV_PUBKEY:
    case MS_TLV_ECDSA_SIG:
    case MS_TLV_ENC_EC256:
        return MS_ERR_FORMAT; /* belong to the unprotected area */
    default:
        return MS_OK; /* unknown: skipped */
    }
}

static ms_err_t record_fixed(const ms_image_reader_t *r, bool *seen, uint8_t *dst,
                             uint32_t off, uint16_t len, uint16_t want)
{
    if (*seen) {
        return MS_ERR_IMG_TLV_DUP;
    }
    if (len != want) {
        return MS_ERR_FORMAT;
    }
    ms_err_t err = ms_image_read(r, off, dst, len);
    if (err) {
        return err;
    }
    *seen = true;
    return MS_OK;
}

static ms_err_t record_unprotected(const ms_image_reader_t *r, ms_image_info_t *info,
                                   uint16_t type, uint32_t off, uint16_t len)
{
    ms_err_t err;
    switch (type) {
    case MS_TLV_SHA256:
        return record_fixed(r, &info->has_sha256, info->sha256, off, len, MS_SHA256_LEN);
    case MS_TLV_KEYHASH:
        return record_fixed(r, &info->has_keyhash, info->keyhash, off, len, MS_SHA256_LEN);
    case MS_TLV_PUBKEY: {
        uint8_t spki[MS_P256_SPKI_LEN];
        bool seen = info->has_pubkey;
        err = record_fixed(r, &seen, spki, off, len, MS_P256_SPKI_LEN);
        if (err) {
            return err;
        }
        if (ms_p256_pub_from_spki(spki, sizeof(spki), &info->pubkey) != MS_OK) {
            return MS_ERR_FORMAT;
        }
        info->has_pubkey = true;
        return MS_OK;
    }
    case MS_TLV_ECDSA_SIG:
        if (info->sig_len != 0) {
            return MS_ERR_IMG_TLV_DUP;
        }
        if (len < MS_IMAGE_SIG_MIN_LEN || len > MS_P256_SIG_DER_MAX) {
            return MS_ERR_FORMAT;
        }
        err = ms_image_read(r, off, info->sig, len);
        if (err) {
            return err;
        }
        info->sig_len = len;
        return MS_OK;
    case MS_TLV_ENC_EC256:
        if (info->enc_tlv_len != 0) {
            return MS_ERR_IMG_TLV_DUP;
        }
        if (len != MS_IMAGE_ENC_EC256_LEN_128 && len != MS_IMAGE_ENC_EC256_LEN_256) {
            return MS_ERR_FORMAT;
        }
        err = ms_image_read(r, off, info->enc_tlv, len);
        if (err) {
            return err;
        }
        info->enc_tlv_len = len;
        return MS_OK;
    case MS_TLV_SEC_CNT:
    case MS_TLV_DEPENDENCY:
        return MS_ERR_FORMAT; /* must be covered by the hash */
    default:
        return MS_OK;
    }
}

/* Parse header and both TLV areas, recording the known TLVs. */
ms_err_t ms_image_parse(const ms_image_reader_t *r, ms_image_info_t *info)
{
    if (r == NULL || r->read == NULL || info == NULL) {
        return MS_ERR_ARG;
    }
    memset(info, 0, sizeof(*info));

    uint8_t hb[MS_IMAGE_HEADER_SIZE];
    ms_err_t err = ms_image_read(r, 0, hb, sizeof(hb));
    if (err) {
        return err;
    }
    err = ms_image_header_parse(hb, sizeof(hb), &info->hdr);
    if (err) {
        return err;
    }
    size_t key_len;
    err = ms_image_enc_key_len(&info->hdr, &key_len);
    if (err) {
        return err;
    }

    const ms_image_header_t *h = &info->hdr;
    uint64_t prot_off = (uint64_t)h->hdr_size + h->img_size;
    if (prot_off > r->size) {
        return MS_ERR_TRUNCATED;
    }
    info->payload_off = h->hdr_size;
    info->prot_tlv_off = (uint32_t)prot_off;

    uint16_t prot_tot = 0;
    if (h->protect_tlv_size != 0) {
        err = read_area_info(r, info->prot_tlv_off, MS_IMAGE_TLV_PROT_INFO_MAGIC, &prot_tot);
        if (err) {
            return err;
        }
        if (prot_tot != h->protect_tlv_size) {
            return MS_ERR_IMG_TLV_INFO;
        }
    }
    info->tlv_off = info->prot_tlv_off + prot_tot;
    uint16_t tot;
    err = read_area_info(r, info->tlv_off, MS_IMAGE_TLV_INFO_MAGIC, &tot);
    if (err) {
        return err;
    }
    info->tlv_size = tot;
    info->end = info->tlv_off + tot;

    ms_tlv_iter_t it;
    uint16_t type, len;
    uint32_t off;
    for (int area = 0; area < 2; area++) {
        bool prot = area == 0;
        err = ms_tlv_iter_begin(&it, r, info, prot);
        if (err) {
            return err;
        }
        while ((err = tlv_next(&it, &type, &off, &len)) == MS_OK) {
            err = prot ? record_protected(r, info, type, off, len)
                       : record_unprotected(r, info, type, off, len);
            if (err) {
                return err;
            }
        }
        if (err != MS_ERR_NOT_FOUND) {
            return err;
        }
    }
    return MS_OK;
}

/* Start a walk over the protected or the unprotected TLV area of a parsed image. */
ms_err_t ms_tlv_iter_begin(ms_tlv_iter_t *it, const ms_image_reader_t *r,
                           const ms_image_info_t *info, bool protected_area)
{
    if (it == NULL || r == NULL || info == NULL) {
        return MS_ERR_ARG;
    }
    it->r = r;
    if (protected_area) {
        it->off = info->prot_tlv_off;
        it->end = info->prot_tlv_off + info->hdr.protect_tlv_size;
    } else {
        it->off = info->tlv_off;
        it->end = info->tlv_off + info->tlv_size;
    }
    if (it->end < it->off || it->end > r->size) {
        return MS_ERR_TRUNCATED;
    }
    if (it->end != it->off) {
        it->off += MS_IMAGE_TLV_INFO_SIZE; /* skip the info word */
        if (it->off > it->end) {
            return MS_ERR_IMG_TLV_INFO;
        }
    }
    return MS_OK;
}

/* Next TLV of the area: its type, where its value starts and its length.
 * MS_ERR_NOT_FOUND at the end of the area. */
ms_err_t ms_tlv_iter_next(ms_tlv_iter_t *it, uint16_t *type, uint32_t *data_off,
                          uint16_t *len)
{
    if (it == NULL || it->r == NULL || type == NULL || data_off == NULL || len == NULL) {
        return MS_ERR_ARG;
    }
    return tlv_next(it, type, data_off, len);
}
