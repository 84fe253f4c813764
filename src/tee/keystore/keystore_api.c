/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore_api.c - the key store's API (tee_keystore.h) straight into the
 * service, for platforms where the key store runs in the caller's own
 * context (the host). The AN505 TEE, whose key store runs in an
 * MPU-isolated partition, links its message client instead
 * (firmware/secure/keystore_client.c).
 */
#include "meterseal/tee_keystore.h"

ms_err_t ms_tee_key_generate(ms_tee_partition_t caller, ms_tee_key_id_t id,
                             ms_tee_key_type_t type, unsigned bits,
                             const ms_tee_key_policy_t *policy)
{
    return ms_tee_ks_generate(caller, id, type, bits, policy);
}

ms_err_t ms_tee_key_import(ms_tee_partition_t caller, ms_tee_key_id_t id,
                           ms_tee_key_type_t type, const uint8_t *material, size_t len,
                           const ms_tee_key_policy_t *policy)
{
    return ms_tee_ks_import(caller, id, type, material, len, policy);
}

ms_err_t ms_tee_key_destroy(ms_tee_partition_t caller, ms_tee_key_id_t id)
{
    return ms_tee_ks_destroy(caller, id);
}

ms_err_t ms_tee_key_export_public(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                  ms_p256_pub_t *pub)
{
    return ms_tee_ks_export_public(caller, id, pub);
}

ms_err_t ms_tee_key_sign_hash(ms_tee_partition_t caller, ms_tee_key_id_t id,
                              const uint8_t hash[MS_SHA256_LEN],
                              uint8_t *sig, size_t cap, size_t *sig_len)
{
    return ms_tee_ks_sign_hash(caller, id, hash, sig, cap, sig_len);
}

ms_err_t ms_tee_key_ecdh(ms_tee_partition_t caller, ms_tee_key_id_t id,
                         const ms_p256_pub_t *peer, uint8_t shared[MS_P256_SHARED_LEN])
{
    return ms_tee_ks_ecdh(caller, id, peer, shared);
}

ms_err_t ms_tee_key_aead_encrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                 const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                 const uint8_t *in, uint8_t *out, size_t len,
                                 uint8_t tag[MS_AES_GCM_TAG_LEN])
{
    return ms_tee_ks_aead_encrypt(caller, id, nonce, aad, aad_len, in, out, len, tag);
}

ms_err_t ms_tee_key_aead_decrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                 const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                 const uint8_t *in, uint8_t *out, size_t len,
                                 const uint8_t tag[MS_AES_GCM_TAG_LEN])
{
    return ms_tee_ks_aead_decrypt(caller, id, nonce, aad, aad_len, in, out, len, tag);
}

ms_err_t ms_tee_key_mac(ms_tee_partition_t caller, ms_tee_key_id_t id,
                        const uint8_t *data, size_t len, uint8_t mac[MS_HMAC_SHA256_LEN])
{
    return ms_tee_ks_mac(caller, id, data, len, mac);
}

ms_err_t ms_tee_key_mac_verify(ms_tee_partition_t caller, ms_tee_key_id_t id,
                               const uint8_t *data, size_t len,
                               const uint8_t mac[MS_HMAC_SHA256_LEN])
{
    return ms_tee_ks_mac_verify(caller, id, data, len, mac);
}

ms_err_t ms_tee_keystore_provision(ms_p256_pub_t *identity_pub, ms_p256_pub_t *iak_pub)
{
    return ms_tee_ks_provision(identity_pub, iak_pub);
}
