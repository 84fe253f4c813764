/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.c - the image digest (SHA256 TLV) and key hashes (KEYHASH TLV).
 *
 * The digest covers header area (hdr_size bytes) + plaintext payload +
 * protected TLV area, exactly as imgtool computes it before it encrypts.
 * Invariants: the image is read in chunks of at most buf_len bytes through
 * the caller's buffer (never a whole-image copy); an encrypted payload is
 * decrypted chunk by chunk with one streaming AES-CTR context started at
 * counter block 0 on the payload's first byte (M7: decrypt, then hash);
 * every crypto context is released on every path and the decrypted chunk
 * left in buf is wiped before returning.
 */
#include "image_priv.h"

/* Feed [off, off+len) of the reader into sha, decrypting through ctr if given. */
static ms_err_t hash_range(const ms_image_reader_t *r, uint32_t off, uint32_t len,
                           ms_sha256_ctx *sha, ms_aes_ctr_ctx *ctr,
                           uint8_t *buf, size_t buf_len)
{
    while (len != 0) {
        size_t n = len < buf_len ? len : buf_len;
        ms_err_t err = ms_image_read(r, off, buf, n);
        if (err) {
            return err;
        }
        if (ctr != NULL) {
            err = ms_aes_ctr_update(ctr, buf, buf, n);
            if (err) {
                return err;
            }
        }
        err = ms_sha256_update(sha, buf, n);
        if (err) {
            return err;
        }
        off += (uint32_t)n;
        len -= (uint32_t)n;
    }
    return MS_OK;
}

/* SHA-256 over header + (decrypted) payload + protected TLVs, in chunks. */
ms_err_t ms_image_hash(const ms_image_reader_t *r, const ms_image_info_t *info,
                       const uint8_t *aes_key, size_t aes_key_len,
                       uint8_t *buf, size_t buf_len, uint8_t out[MS_SHA256_LEN])
{
    if (r == NULL || r->read == NULL || info == NULL || buf == NULL || buf_len == 0 ||
        out == NULL) {
        return MS_ERR_ARG;
    }
    if (aes_key != NULL && aes_key_len != 16 && aes_key_len != 32) {
        return MS_ERR_ARG;
    }
    const ms_image_header_t *h = &info->hdr;
    /* Re-check what parse established: info may come from anywhere. */
    uint64_t end = (uint64_t)h->hdr_size + h->img_size + h->protect_tlv_size;
    if (end > r->size) {
        return MS_ERR_TRUNCATED;
    }

    ms_sha256_ctx sha;
    ms_aes_ctr_ctx ctr;
    ms_aes_ctr_ctx *ctrp = NULL;
    ms_err_t err = ms_sha256_init(&sha);
    if (err) {
        return err;
    }
    if (aes_key != NULL) {
        static const uint8_t counter0[MS_AES_BLOCK_LEN] = { 0 };
        err = ms_aes_ctr_init(&ctr, aes_key, aes_key_len, counter0);
        if (err) {
            ms_sha256_free(&sha);
            return err;
        }
        ctrp = &ctr;
    }
    err = hash_range(r, 0, h->hdr_size, &sha, NULL, buf, buf_len);
    if (!err) {
        err = hash_range(r, h->hdr_size, h->img_size, &sha, ctrp, buf, buf_len);
    }
    if (!err) {
        err = hash_range(r, h->hdr_size + h->img_size, h->protect_tlv_size, &sha, NULL,
                         buf, buf_len);
    }
    if (ctrp != NULL) {
        ms_aes_ctr_free(ctrp);
        /* The buffer may hold plaintext of an encrypted image. */
        ms_secure_zero(buf, buf_len);
    }
    if (err) {
        ms_sha256_free(&sha);
        return err;
    }
    return ms_sha256_finish(&sha, out);
}

/* SHA-256 of the key's SubjectPublicKeyInfo DER (imgtool's KEYHASH). */
ms_err_t ms_image_key_hash(const ms_p256_pub_t *pub, uint8_t out[MS_SHA256_LEN])
{
    if (pub == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    uint8_t spki[MS_P256_SPKI_LEN];
    ms_err_t err = ms_p256_pub_to_spki(pub, spki);
    if (err) {
        return err;
    }
    return ms_sha256(spki, sizeof(spki), out);
}
