/* SPDX-License-Identifier: Apache-2.0 */
/*
 * encrypted.c - ENC_EC256 (ECIES-P256) key wrap/unwrap and whole-image
 * decryption (M7: the vendor signs, then encrypts; the meter decrypts, then
 * verifies).
 *
 * Key wrap, byte-compatible with MCUboot's encrypted.c and imgtool 2.x's
 * ecies_hkdf(), for a k-byte image key (k = 16 for ENCRYPTED_AES128, 32 for
 * ENCRYPTED_AES256):
 *   shared  = ECDH(ephemeral private, device encryption public).x
 *   derived = HKDF-SHA256(salt none, ikm shared, info "MCUBoot_ECIES_v1", k + 32)
 *   wrapped = AES-k-CTR(derived[0..k), counter block 0, image key)
 *   tag     = HMAC-SHA256(derived[k..k+32), wrapped)
 *   TLV     = ephemeral public point (65) || tag (32) || wrapped (k)
 * (docs/image-format.md section 4 has the byte layout.)
 * Invariants: the tag is checked in constant time before the wrapped key is
 * decrypted; every intermediate secret (shared secret, derived keys) is wiped
 * on every path; the caller's key buffer is only written on success.
 */
#include <string.h>

#include "image_priv.h"

static const uint8_t kdf_info[] = "MCUBoot_ECIES_v1";
#define KDF_INFO_LEN (sizeof(kdf_info) - 1u)

static const uint8_t counter0[MS_AES_BLOCK_LEN] = { 0 };

static size_t key_len_for_tlv(size_t tlv_len)
{
    if (tlv_len == MS_IMAGE_ENC_EC256_LEN_128) {
        return 16;
    }
    if (tlv_len == MS_IMAGE_ENC_EC256_LEN_256) {
        return 32;
    }
    return 0;
}

/* ECDH + HKDF: the key-wrap material for a shared point and a klen-byte
 * image key: an AES key of klen bytes, then the HMAC key. */
static ms_err_t derive(const ms_p256_priv_t *priv, const ms_p256_pub_t *peer, size_t klen,
                       uint8_t derived[MS_IMAGE_ENC_KDF_MAX])
{
    uint8_t shared[MS_P256_SHARED_LEN];
    ms_err_t err = ms_p256_ecdh(priv, peer, shared);
    if (!err) {
        err = ms_hkdf_sha256(NULL, 0, shared, sizeof(shared), kdf_info, KDF_INFO_LEN,
                             derived, klen + MS_HMAC_SHA256_LEN);
    }
    ms_secure_zero(shared, sizeof(shared));
    return err;
}

/* Recover the payload key from the ENC_EC256 TLV with the device's key. */
ms_err_t ms_image_unwrap_key(const ms_image_info_t *info, const ms_p256_priv_t *enc_priv,
                             uint8_t key[MS_IMAGE_ENC_KEY_MAX], size_t *key_len)
{
    if (info == NULL || enc_priv == NULL || key == NULL || key_len == NULL) {
        return MS_ERR_ARG;
    }
    size_t flag_len;
    ms_err_t err = ms_image_enc_key_len(&info->hdr, &flag_len);
    if (err) {
        return err;
    }
    if (flag_len == 0 || info->enc_tlv_len == 0) {
        return MS_ERR_IMG_NOT_ENCRYPTED;
    }
    size_t klen = key_len_for_tlv(info->enc_tlv_len);
    if (klen != flag_len) {
        return MS_ERR_FORMAT; /* TLV size and header flag disagree */
    }

    const uint8_t *tlv = info->enc_tlv;
    ms_p256_pub_t eph;
    memcpy(eph.q, tlv + MS_IMAGE_ENC_POINT_OFF, MS_P256_PUB_LEN);
    if (ms_p256_pub_check(&eph) != MS_OK) {
        return MS_ERR_IMG_ENC_KEY; /* not a curve point: tampered TLV */
    }

    uint8_t derived[MS_IMAGE_ENC_KDF_MAX];
    uint8_t tag[MS_HMAC_SHA256_LEN];
    uint8_t plain[MS_IMAGE_ENC_KEY_MAX];
    err = derive(enc_priv, &eph, klen, derived);
    if (!err) {
        err = ms_hmac_sha256(derived + klen, MS_HMAC_SHA256_LEN, tlv + MS_IMAGE_ENC_KEY_OFF,
                             klen, tag);
    }
    if (!err && !ms_ct_equal(tag, tlv + MS_IMAGE_ENC_TAG_OFF, MS_HMAC_SHA256_LEN)) {
        err = MS_ERR_IMG_ENC_KEY;
    }
    if (!err) {
        err = ms_aes_ctr(derived, klen, counter0, tlv + MS_IMAGE_ENC_KEY_OFF, plain, klen);
    }
    if (!err) {
        memcpy(key, plain, klen);
        *key_len = klen;
    }
    ms_secure_zero(derived, sizeof(derived));
    ms_secure_zero(tag, sizeof(tag));
    ms_secure_zero(plain, sizeof(plain));
    return err;
}

/* Wrap a payload key for enc_pub with a fresh ephemeral key (signing side). */
ms_err_t ms_image_wrap_key(const ms_p256_pub_t *enc_pub, const uint8_t *key, size_t key_len,
                           uint8_t *tlv, size_t tlv_cap, size_t *tlv_len)
{
    if (enc_pub == NULL || key == NULL || tlv == NULL || tlv_len == NULL ||
        (key_len != 16 && key_len != 32)) {
        return MS_ERR_ARG;
    }
    size_t need = MS_IMAGE_ENC_KEY_OFF + key_len;
    if (tlv_cap < need) {
        *tlv_len = need;
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    ms_p256_priv_t eph_priv;
    ms_p256_pub_t eph_pub;
    uint8_t derived[MS_IMAGE_ENC_KDF_MAX];
    ms_err_t err = ms_p256_keygen(&eph_priv, &eph_pub);
    if (!err) {
        err = derive(&eph_priv, enc_pub, key_len, derived);
    }
    if (!err) {
        err = ms_aes_ctr(derived, key_len, counter0, key, tlv + MS_IMAGE_ENC_KEY_OFF, key_len);
    }
    if (!err) {
        err = ms_hmac_sha256(derived + key_len, MS_HMAC_SHA256_LEN, tlv + MS_IMAGE_ENC_KEY_OFF,
                             key_len, tlv + MS_IMAGE_ENC_TAG_OFF);
    }
    if (!err) {
        memcpy(tlv + MS_IMAGE_ENC_POINT_OFF, eph_pub.q, MS_P256_PUB_LEN);
        *tlv_len = need;
    }
    ms_secure_zero(&eph_priv, sizeof(eph_priv));
    ms_secure_zero(derived, sizeof(derived));
    return err;
}

/* Remove the TLV at [off, off+4+len) from the unprotected area of img (which
 * ends at area_end) and fix that area's tlv_tot; the freed bytes at the end
 * become erased (0xff). */
static void drop_tlv(uint8_t *img, const ms_image_info_t *info, uint32_t off, uint16_t len)
{
    uint32_t gap = MS_IMAGE_TLV_HDR_SIZE + (uint32_t)len;
    uint32_t area_end = info->tlv_off + info->tlv_size;
    memmove(img + off, img + off + gap, area_end - (off + gap));
    memset(img + area_end - gap, 0xff, gap);
    ms_image_put_le16(img + info->tlv_off + 2, (uint16_t)(info->tlv_size - gap));
}

/*
 * Decrypt an encrypted image in place: payload to plaintext, ENC_EC256 TLV
 * removed. The header flags stay as they were signed (they are covered by
 * the hash), so the result verifies with ms_image_verify() and no key.
 */
ms_err_t ms_image_decrypt(uint8_t *img, size_t img_len, const ms_p256_priv_t *enc_priv,
                          size_t *out_len)
{
    if (img == NULL || enc_priv == NULL || out_len == NULL) {
        return MS_ERR_ARG;
    }
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    ms_image_reader_mem(&r, &mem, img, img_len);
    ms_err_t err = ms_image_parse(&r, &info);
    if (err) {
        return err;
    }
    uint8_t key[MS_IMAGE_ENC_KEY_MAX];
    size_t key_len = 0;
    err = ms_image_unwrap_key(&info, enc_priv, key, &key_len);
    if (err) {
        return err;
    }
    uint8_t *payload = img + info.payload_off;
    err = ms_aes_ctr(key, key_len, counter0, payload, payload, info.hdr.img_size);
    ms_secure_zero(key, sizeof(key));
    if (err) {
        return err;
    }

    /* Find the ENC_EC256 TLV again to cut it out of the area. */
    ms_tlv_iter_t it;
    uint16_t type, len;
    uint32_t off;
    err = ms_tlv_iter_begin(&it, &r, &info, false);
    while (!err && (err = ms_tlv_iter_next(&it, &type, &off, &len)) == MS_OK) {
        if (type == MS_TLV_ENC_EC256) {
            drop_tlv(img, &info, off - MS_IMAGE_TLV_HDR_SIZE, len);
            break;
        }
    }
    if (err) {
        return err == MS_ERR_NOT_FOUND ? MS_ERR_INTERNAL : err;
    }
    uint32_t removed = MS_IMAGE_TLV_HDR_SIZE + (uint32_t)info.enc_tlv_len;
    /* An image padded to its slot keeps its length (and trailer). */
    *out_len = (info.end == img_len) ? img_len - removed : img_len;
    return MS_OK;
}
