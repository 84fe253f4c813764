/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_service.c - operations by key handle (M8, M10): sign, ECDH, AEAD,
 * MAC, public-key export. Every operation loads the key through the key
 * store's policy check, runs one crypto.h call, and wipes the key copy.
 *
 * Invariants:
 *   - No function writes private or secret key material to an output.
 *   - The key copy on the stack is wiped on every path.
 *   - On the MCU this is where a hardware accelerator plugs in: crypto.h's
 *     backend, not this file, picks hardware or software (M10).
 */
#include <string.h>

#include "../keystore/keystore_internal.h"

ms_err_t ms_tee_ks_export_public(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                  ms_p256_pub_t *pub)
{
    ms_tee_key_blob_t k;
    ms_p256_priv_t priv;
    if (pub == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_tee_keystore_load(caller, id, 0, MS_TEE_KEY_P256, &k);
    if (!err) {
        memcpy(priv.d, k.material, sizeof priv.d);
        err = ms_p256_pub_from_priv(&priv, pub);
    }
    ms_secure_zero(&priv, sizeof priv);
    ms_secure_zero(&k, sizeof k);
    return err;
}

ms_err_t ms_tee_ks_sign_hash(ms_tee_partition_t caller, ms_tee_key_id_t id,
                              const uint8_t hash[MS_SHA256_LEN],
                              uint8_t *sig, size_t cap, size_t *sig_len)
{
    ms_tee_key_blob_t k;
    ms_p256_priv_t priv;
    if (hash == NULL || sig == NULL || sig_len == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_tee_keystore_load(caller, id, MS_TEE_USE_SIGN, MS_TEE_KEY_P256, &k);
    if (!err) {
        memcpy(priv.d, k.material, sizeof priv.d);
        err = ms_p256_sign(&priv, hash, sig, cap, sig_len);
    }
    ms_secure_zero(&priv, sizeof priv);
    ms_secure_zero(&k, sizeof k);
    return err;
}

ms_err_t ms_tee_ks_ecdh(ms_tee_partition_t caller, ms_tee_key_id_t id,
                         const ms_p256_pub_t *peer, uint8_t shared[MS_P256_SHARED_LEN])
{
    ms_tee_key_blob_t k;
    ms_p256_priv_t priv;
    if (peer == NULL || shared == NULL) {
        return MS_ERR_ARG;
    }
    if (ms_p256_pub_check(peer) != MS_OK) {
        return MS_ERR_KEY_FORMAT;
    }
    ms_err_t err = ms_tee_keystore_load(caller, id, MS_TEE_USE_ECDH, MS_TEE_KEY_P256, &k);
    if (!err) {
        memcpy(priv.d, k.material, sizeof priv.d);
        err = ms_p256_ecdh(&priv, peer, shared);
    }
    ms_secure_zero(&priv, sizeof priv);
    ms_secure_zero(&k, sizeof k);
    return err;
}

static ms_err_t aead(ms_tee_partition_t caller, ms_tee_key_id_t id, bool encrypt,
                     const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                     const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag)
{
    ms_tee_key_blob_t k;
    if (nonce == NULL || tag == NULL || (aad == NULL && aad_len != 0) ||
        ((in == NULL || out == NULL) && len != 0)) {
        return MS_ERR_ARG;
    }
    static const uint8_t empty[1] = { 0 };
    ms_err_t err = ms_tee_keystore_load(caller, id, encrypt ? MS_TEE_USE_ENCRYPT
                                                            : MS_TEE_USE_DECRYPT,
                                        MS_TEE_KEY_AES, &k);
    if (!err) {
        const uint8_t *a = aad_len ? aad : empty;
        const uint8_t *i = len ? in : empty;
        uint8_t scratch[1];
        uint8_t *o = len ? out : scratch;
        err = encrypt ? ms_aes_gcm_encrypt(k.material, k.len, nonce, 12, a, aad_len, i, o, len,
                                           tag, MS_AES_GCM_TAG_LEN)
                      : ms_aes_gcm_decrypt(k.material, k.len, nonce, 12, a, aad_len, i, o, len,
                                           tag, MS_AES_GCM_TAG_LEN);
    }
    ms_secure_zero(&k, sizeof k);
    return err;
}

ms_err_t ms_tee_ks_aead_encrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                 const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                 const uint8_t *in, uint8_t *out, size_t len,
                                 uint8_t tag[MS_AES_GCM_TAG_LEN])
{
    return aead(caller, id, true, nonce, aad, aad_len, in, out, len, tag);
}

ms_err_t ms_tee_ks_aead_decrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                 const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                 const uint8_t *in, uint8_t *out, size_t len,
                                 const uint8_t tag[MS_AES_GCM_TAG_LEN])
{
    uint8_t t[MS_AES_GCM_TAG_LEN];
    if (tag == NULL) {
        return MS_ERR_ARG;
    }
    memcpy(t, tag, sizeof t);
    return aead(caller, id, false, nonce, aad, aad_len, in, out, len, t);
}

ms_err_t ms_tee_ks_mac(ms_tee_partition_t caller, ms_tee_key_id_t id,
                        const uint8_t *data, size_t len, uint8_t mac[MS_HMAC_SHA256_LEN])
{
    ms_tee_key_blob_t k;
    if ((data == NULL && len != 0) || mac == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_tee_keystore_load(caller, id, MS_TEE_USE_MAC, MS_TEE_KEY_HMAC, &k);
    if (!err) {
        static const uint8_t empty[1] = { 0 };
        err = ms_hmac_sha256(k.material, k.len, len ? data : empty, len, mac);
    }
    ms_secure_zero(&k, sizeof k);
    return err;
}

ms_err_t ms_tee_ks_mac_verify(ms_tee_partition_t caller, ms_tee_key_id_t id,
                               const uint8_t *data, size_t len,
                               const uint8_t mac[MS_HMAC_SHA256_LEN])
{
    uint8_t mine[MS_HMAC_SHA256_LEN];
    if (mac == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_tee_ks_mac(caller, id, data, len, mine);
    if (!err && !ms_ct_equal(mine, mac, sizeof mine)) {
        err = MS_ERR_AUTH;
    }
    ms_secure_zero(mine, sizeof mine);
    return err;
}
