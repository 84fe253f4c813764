/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_priv.h - helpers shared by the files of the image module only.
 *
 * Little-endian load/store (the image format is little-endian whatever the
 * CPU), a bounds-checked read through an ms_image_reader_t, and the sizes
 * of the parts of an ENC_EC256 TLV. Nothing here is part of the public API.
 */
#ifndef MS_IMAGE_PRIV_H
#define MS_IMAGE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/image.h"

/* ENC_EC256 TLV: ephemeral point || HMAC-SHA256 tag || wrapped key. */
#define MS_IMAGE_ENC_POINT_OFF 0u
#define MS_IMAGE_ENC_TAG_OFF   MS_P256_PUB_LEN                          /* 65 */
#define MS_IMAGE_ENC_KEY_OFF   (MS_P256_PUB_LEN + MS_HMAC_SHA256_LEN)   /* 97 */

/* HKDF output for the key wrap, as MCUboot and imgtool 2.x derive it: an
 * AES-CTR key as long as the image key (16 or 32 bytes), then a 32-byte HMAC
 * key. The largest case (AES-256) is 64 bytes. */
#define MS_IMAGE_ENC_KDF_MAX      (MS_IMAGE_ENC_KEY_MAX + MS_HMAC_SHA256_LEN)

#define MS_IMAGE_DEP_LEN    12u   /* DEPENDENCY: id u8, 3 pad, version 8 */
#define MS_IMAGE_SEC_CNT_LEN 4u
#define MS_IMAGE_SIG_MIN_LEN 8u   /* smallest DER SEQUENCE of two INTEGERs */

static inline uint16_t ms_image_le16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8));
}

static inline uint32_t ms_image_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline void ms_image_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void ms_image_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Read [off, off+len) through r; MS_ERR_TRUNCATED when that range is not
 * wholly inside [0, r->size). The reader's own errors pass through. */
static inline ms_err_t ms_image_read(const ms_image_reader_t *r, uint32_t off,
                                     void *buf, size_t len)
{
    if (off > r->size || len > (size_t)(r->size - off)) {
        return MS_ERR_TRUNCATED;
    }
    if (len == 0) {
        return MS_OK;
    }
    return r->read(r->ctx, off, buf, len);
}

#endif /* MS_IMAGE_PRIV_H */
