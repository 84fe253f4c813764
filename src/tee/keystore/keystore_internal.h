/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore_internal.h - private interface between the key store and the
 * crypto service, the two halves of the crypto partition. Not a public
 * header: only files under src/tee/keystore and src/tee/crypto_service
 * include it, so key material never crosses into another partition.
 */
#ifndef MS_TEE_KEYSTORE_INTERNAL_H
#define MS_TEE_KEYSTORE_INTERNAL_H

#include "meterseal/tee_keystore.h"

typedef struct ms_tee_key_blob {
    ms_tee_key_type_t type;
    ms_tee_key_policy_t policy;
    size_t len;
    uint8_t material[MS_TEE_KEY_MAX_LEN];
} ms_tee_key_blob_t;

/*
 * Load key `id` for `caller` if its policy allows every bit of `usage`
 * (0: any allowed caller) and its type is `type` (0: any). The caller of
 * this function must wipe the blob (ms_secure_zero) when done.
 */
ms_err_t ms_tee_keystore_load(ms_tee_partition_t caller, ms_tee_key_id_t id, uint32_t usage,
                              ms_tee_key_type_t type, ms_tee_key_blob_t *blob);

#endif /* MS_TEE_KEYSTORE_INTERNAL_H */
