/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_keystore.h - the key store and crypto service partition (M8, M10).
 *
 * Keys are generated or imported inside the TEE and kept in ITS (encrypted
 * at rest by the storage partition, under reserved uids). Callers name
 * keys by id and never see private or secret material: operations run
 * inside (sign, ECDH, AEAD, MAC), and only public keys can be exported.
 * Each key has a usage policy: which operations, and which partitions may
 * ask for them (ms_tee_partition_t bits). A request that breaks the policy
 * gets MS_ERR_TEE_DENIED, the same as for a key that does not exist to that
 * caller, so the policy does not reveal which ids are in use.
 *
 * Well-known keys:
 *   MS_TEE_KEY_IDENTITY   P-256 device identity, generated at provisioning,
 *                         the meter's own signatures (TLS handshakes, signed
 *                         readings, events, command results), all made in
 *                         the TEE; SIGN for LINK and CRYPTO, never the NSPE
 *                         (it would sign readings of its own making); never
 *                         signs attestation tokens;
 *   MS_TEE_KEY_IAK        P-256 Initial Attestation Key (PSA/TF-M IAK),
 *                         generated at provisioning, write-once, SIGN for
 *                         the attestation partition only: no other
 *                         partition, never the NSPE, may have a hash signed
 *                         with it, so only tokens the attestation partition
 *                         built carry its signature (M8, M11);
 *   MS_TEE_KEY_IMAGE_DEC  P-256 image-decryption key (ECIES, ENC_EC256),
 *                         imported at provisioning, used only by ECDH.
 * The storage keys are not here: they are derived from the HUK inside the
 * storage partition (tee_storage.h).
 */
#ifndef MS_TEE_KEYSTORE_H
#define MS_TEE_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "meterseal/tee.h"

typedef uint32_t ms_tee_key_id_t;

#define MS_TEE_KEY_IDENTITY   1u
#define MS_TEE_KEY_IMAGE_DEC  2u
#define MS_TEE_KEY_IAK        0x100u
#define MS_TEE_KEY_ID_MAX     0xffffu

typedef enum ms_tee_key_type {
    MS_TEE_KEY_P256 = 1,     /* 32-byte private scalar */
    MS_TEE_KEY_AES = 2,      /* 16 or 32 bytes, AES-GCM */
    MS_TEE_KEY_HMAC = 3,     /* 16..64 bytes, HMAC-SHA256 */
} ms_tee_key_type_t;

/* Usage bits. */
#define MS_TEE_USE_SIGN    (1u << 0)
#define MS_TEE_USE_ECDH    (1u << 1)
#define MS_TEE_USE_ENCRYPT (1u << 2)
#define MS_TEE_USE_DECRYPT (1u << 3)
#define MS_TEE_USE_MAC     (1u << 4)
#define MS_TEE_USE_ALL_    0x1fu

typedef struct ms_tee_key_policy {
    uint32_t usage;        /* MS_TEE_USE_* */
    uint32_t partitions;   /* MS_TEE_PART_BIT(...) of the allowed callers */
} ms_tee_key_policy_t;

#define MS_TEE_KEY_MAX_LEN 64u

/* Generate a key inside. bits: 256 for P-256; 128/256 for AES; 256 for HMAC.
 * MS_ERR_STATE if the id is taken. The IAK id takes only a P-256 key with
 * the IAK policy (SIGN, ATTEST only); anything else is MS_ERR_ARG. */
ms_err_t ms_tee_key_generate(ms_tee_partition_t caller, ms_tee_key_id_t id,
                             ms_tee_key_type_t type, unsigned bits,
                             const ms_tee_key_policy_t *policy);

/* Import key material (provisioning). P-256 material is the private scalar.
 * The IAK cannot be imported: it exists only as generated inside (M8). */
ms_err_t ms_tee_key_import(ms_tee_partition_t caller, ms_tee_key_id_t id,
                           ms_tee_key_type_t type, const uint8_t *material, size_t len,
                           const ms_tee_key_policy_t *policy);

/* Destroy a key; only a partition allowed to use it may. */
ms_err_t ms_tee_key_destroy(ms_tee_partition_t caller, ms_tee_key_id_t id);

/* Public half of a P-256 key (any allowed caller; no usage bit needed). */
ms_err_t ms_tee_key_export_public(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                  ms_p256_pub_t *pub);

/* ECDSA-P256 over a SHA-256 digest; DER signature. */
ms_err_t ms_tee_key_sign_hash(ms_tee_partition_t caller, ms_tee_key_id_t id,
                              const uint8_t hash[MS_SHA256_LEN],
                              uint8_t *sig, size_t cap, size_t *sig_len);

/* ECDH with a peer's public key: x-coordinate of the shared point. */
ms_err_t ms_tee_key_ecdh(ms_tee_partition_t caller, ms_tee_key_id_t id,
                         const ms_p256_pub_t *peer, uint8_t shared[MS_P256_SHARED_LEN]);

/* AES-GCM with a stored AES key (12-byte nonce, 16-byte tag). Decrypt
 * returns MS_ERR_AUTH on a bad tag. */
ms_err_t ms_tee_key_aead_encrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                 const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                 const uint8_t *in, uint8_t *out, size_t len,
                                 uint8_t tag[MS_AES_GCM_TAG_LEN]);
ms_err_t ms_tee_key_aead_decrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                 const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                 const uint8_t *in, uint8_t *out, size_t len,
                                 const uint8_t tag[MS_AES_GCM_TAG_LEN]);

/* HMAC-SHA256 with a stored HMAC key; verify compares in constant time
 * (MS_ERR_AUTH on mismatch). */
ms_err_t ms_tee_key_mac(ms_tee_partition_t caller, ms_tee_key_id_t id,
                        const uint8_t *data, size_t len, uint8_t mac[MS_HMAC_SHA256_LEN]);
ms_err_t ms_tee_key_mac_verify(ms_tee_partition_t caller, ms_tee_key_id_t id,
                               const uint8_t *data, size_t len,
                               const uint8_t mac[MS_HMAC_SHA256_LEN]);

/*
 * Provisioning (M8): generate, inside, each device key that does not exist
 * yet, both write-once:
 *   - the identity key (usage SIGN; callers LINK and CRYPTO);
 *   - the IAK (usage SIGN; caller ATTEST only).
 * Idempotent; an existing IAK whose record does not carry exactly that
 * policy is refused (MS_ERR_TEE_CORRUPT). identity_pub and iak_pub (each may
 * be NULL) get the public keys: the identity key's for the manufacturer's
 * certificate, the IAK's for the attestation verifier.
 */
ms_err_t ms_tee_keystore_provision(ms_p256_pub_t *identity_pub, ms_p256_pub_t *iak_pub);

/* Same as ms_tee_keystore_provision(pub, NULL): creates both keys too. */
ms_err_t ms_tee_keystore_provision_identity(ms_p256_pub_t *pub);

/*
 * The service itself: the key store partition's code. Each ms_tee_key_*
 * function above (and ms_tee_keystore_provision) is the same call as its
 * ms_tee_ks_* twin here. On the host the public names call these directly
 * (src/tee/keystore/keystore_api.c); on the AN505, where the key store runs
 * in an MPU-isolated partition, the public names are the Secure kernel's
 * client, one message per call (firmware/secure/keystore_client.c). Only
 * the partition's own code calls these.
 */
ms_err_t ms_tee_ks_generate(ms_tee_partition_t caller, ms_tee_key_id_t id,
                            ms_tee_key_type_t type, unsigned bits,
                            const ms_tee_key_policy_t *policy);
ms_err_t ms_tee_ks_import(ms_tee_partition_t caller, ms_tee_key_id_t id,
                          ms_tee_key_type_t type, const uint8_t *material, size_t len,
                          const ms_tee_key_policy_t *policy);
ms_err_t ms_tee_ks_destroy(ms_tee_partition_t caller, ms_tee_key_id_t id);
ms_err_t ms_tee_ks_export_public(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                 ms_p256_pub_t *pub);
ms_err_t ms_tee_ks_sign_hash(ms_tee_partition_t caller, ms_tee_key_id_t id,
                             const uint8_t hash[MS_SHA256_LEN],
                             uint8_t *sig, size_t cap, size_t *sig_len);
ms_err_t ms_tee_ks_ecdh(ms_tee_partition_t caller, ms_tee_key_id_t id,
                        const ms_p256_pub_t *peer, uint8_t shared[MS_P256_SHARED_LEN]);
/* in and out may be the same buffer (in place), not otherwise overlapping. */
ms_err_t ms_tee_ks_aead_encrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                const uint8_t *in, uint8_t *out, size_t len,
                                uint8_t tag[MS_AES_GCM_TAG_LEN]);
ms_err_t ms_tee_ks_aead_decrypt(ms_tee_partition_t caller, ms_tee_key_id_t id,
                                const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                                const uint8_t *in, uint8_t *out, size_t len,
                                const uint8_t tag[MS_AES_GCM_TAG_LEN]);
ms_err_t ms_tee_ks_mac(ms_tee_partition_t caller, ms_tee_key_id_t id,
                       const uint8_t *data, size_t len, uint8_t mac[MS_HMAC_SHA256_LEN]);
ms_err_t ms_tee_ks_mac_verify(ms_tee_partition_t caller, ms_tee_key_id_t id,
                              const uint8_t *data, size_t len,
                              const uint8_t mac[MS_HMAC_SHA256_LEN]);
ms_err_t ms_tee_ks_provision(ms_p256_pub_t *identity_pub, ms_p256_pub_t *iak_pub);

#endif /* MS_TEE_KEYSTORE_H */
