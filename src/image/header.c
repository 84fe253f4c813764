/* SPDX-License-Identifier: Apache-2.0 */
/*
 * header.c - the 32-byte MCUboot image header: decode, encode, flags, and
 * the order of versions.
 *
 * Layout (little-endian): magic u32 @0, load_addr u32 @4, hdr_size u16 @8,
 * protect_tlv_size u16 @10, img_size u32 @12, flags u32 @16, version
 * major u8 @20, minor u8 @21, revision u16 @22, build u32 @24, pad u32 @28.
 * Invariant: a decoded header has the right magic and hdr_size >= 32; the
 * pad word is written as zero and ignored when read, as MCUboot does.
 */
#include <string.h>

#include "image_priv.h"

/* Decode and check a header (magic, hdr_size >= 32). */
ms_err_t ms_image_header_parse(const uint8_t *buf, size_t len, ms_image_header_t *hdr)
{
    if (buf == NULL || hdr == NULL) {
        return MS_ERR_ARG;
    }
    if (len < MS_IMAGE_HEADER_SIZE) {
        return MS_ERR_TRUNCATED;
    }
    memset(hdr, 0, sizeof(*hdr));
    hdr->magic = ms_image_le32(buf + 0);
    hdr->load_addr = ms_image_le32(buf + 4);
    hdr->hdr_size = ms_image_le16(buf + 8);
    hdr->protect_tlv_size = ms_image_le16(buf + 10);
    hdr->img_size = ms_image_le32(buf + 12);
    hdr->flags = ms_image_le32(buf + 16);
    hdr->version.major = buf[20];
    hdr->version.minor = buf[21];
    hdr->version.revision = ms_image_le16(buf + 22);
    hdr->version.build = ms_image_le32(buf + 24);
    if (hdr->magic != MS_IMAGE_MAGIC) {
        return MS_ERR_BAD_MAGIC;
    }
    if (hdr->hdr_size < MS_IMAGE_HEADER_SIZE) {
        return MS_ERR_IMG_HEADER;
    }
    return MS_OK;
}

/* Encode a header into its 32 bytes (pad word zero). */
void ms_image_header_encode(const ms_image_header_t *hdr, uint8_t out[MS_IMAGE_HEADER_SIZE])
{
    ms_image_put_le32(out + 0, hdr->magic);
    ms_image_put_le32(out + 4, hdr->load_addr);
    ms_image_put_le16(out + 8, hdr->hdr_size);
    ms_image_put_le16(out + 10, hdr->protect_tlv_size);
    ms_image_put_le32(out + 12, hdr->img_size);
    ms_image_put_le32(out + 16, hdr->flags);
    out[20] = hdr->version.major;
    out[21] = hdr->version.minor;
    ms_image_put_le16(out + 22, hdr->version.revision);
    ms_image_put_le32(out + 24, hdr->version.build);
    ms_image_put_le32(out + 28, 0);
}

/* Payload key length from the flags: 16 (AES128), 32 (AES256), 0 (plain);
 * both flags at once is MS_ERR_IMG_HEADER. */
ms_err_t ms_image_enc_key_len(const ms_image_header_t *hdr, size_t *key_len)
{
    if (hdr == NULL || key_len == NULL) {
        return MS_ERR_ARG;
    }
    uint32_t enc = hdr->flags & (MS_IMAGE_F_ENCRYPTED_AES128 | MS_IMAGE_F_ENCRYPTED_AES256);
    switch (enc) {
    case 0:
        *key_len = 0;
        return MS_OK;
    case MS_IMAGE_F_ENCRYPTED_AES128:
        *key_len = 16;
        return MS_OK;
    case MS_IMAGE_F_ENCRYPTED_AES256:
        *key_len = 32;
        return MS_OK;
    default:
        *key_len = 0;
        return MS_ERR_IMG_HEADER;
    }
}

int ms_image_version_cmp(const ms_image_version_t *a, const ms_image_version_t *b)
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
