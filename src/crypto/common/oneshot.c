/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oneshot.c - one-shot forms of the streaming primitives, shared by both
 * backends so they behave identically (argument checks and wiping included).
 * The backends keep their own one-shot SHA-256, which each library does
 * faster in a single call.
 */
#include "../crypto_internal.h"

ms_err_t ms_hmac_sha256(const uint8_t *key, size_t key_len,
                        const void *data, size_t len,
                        uint8_t out[MS_HMAC_SHA256_LEN])
{
    ms_hmac_ctx ctx;
    ms_err_t err = ms_hmac_sha256_init(&ctx, key, key_len);
    if (err == MS_OK) {
        err = ms_hmac_sha256_update(&ctx, data, len);
    }
    if (err == MS_OK) {
        return ms_hmac_sha256_finish(&ctx, out);
    }
    ms_hmac_sha256_free(&ctx);
    return err;
}

ms_err_t ms_aes_ctr(const uint8_t *key, size_t key_len,
                    const uint8_t counter[MS_AES_BLOCK_LEN],
                    const uint8_t *in, uint8_t *out, size_t len)
{
    ms_aes_ctr_ctx ctx;
    ms_err_t err = ms_aes_ctr_init(&ctx, key, key_len, counter);
    if (err == MS_OK) {
        err = ms_aes_ctr_update(&ctx, in, out, len);
    }
    ms_aes_ctr_free(&ctx);
    return err;
}

bool ms_crypto_hkdf_args_ok(const uint8_t *salt, size_t salt_len,
                            const uint8_t *ikm, size_t ikm_len,
                            const uint8_t *info, size_t info_len,
                            const uint8_t *out, size_t out_len)
{
    return !((salt == NULL && salt_len != 0) || ikm == NULL || ikm_len == 0 ||
             (info == NULL && info_len != 0) || out == NULL || out_len == 0 ||
             out_len > 255u * MS_SHA256_LEN);
}

bool ms_crypto_gcm_args_ok(const uint8_t *key, size_t key_len,
                           const uint8_t *iv, size_t iv_len,
                           const uint8_t *aad, size_t aad_len,
                           const uint8_t *in, const uint8_t *out, size_t len,
                           const uint8_t *tag, size_t tag_len)
{
    return !(ms_crypto_aes_bits(key_len) == 0 || key == NULL || iv == NULL || iv_len == 0 ||
             iv_len > 64 || (aad == NULL && aad_len != 0) ||
             (len != 0 && (in == NULL || out == NULL)) || tag == NULL ||
             tag_len < 4 || tag_len > MS_AES_GCM_TAG_LEN);
}
