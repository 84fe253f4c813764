/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_attest.h - initial attestation (M8, SPEC "identity"): a COSE_Sign1
 * (RFC 9052, ES256) token over CBOR claims, signed inside the TEE with the
 * Initial Attestation Key (MS_TEE_KEY_IAK, tee_keystore.h), that the cloud
 * verifies with the IAK public key published at provisioning. The IAK signs
 * for this partition only; the identity key (which signs the link
 * partition's TLS handshakes and messages) never signs a token, so a token
 * signed with it does not verify.
 *
 * Claims (keys follow the PSA attestation token, draft-tschofenig-rats-psa-token,
 * and EAT, RFC 9711; docs/secure-storage.md lists them):
 *    265  profile             tstr "http://arm.com/psa/2.0.0"
 *     10  nonce               bstr 32, 48 or 64: the verifier's challenge
 *                             (PSA_INITIAL_ATTEST_CHALLENGE_SIZE_*)
 *    256  instance id         bstr 33: 0x01 || SHA-256(IAK public key)
 *   2394  client id           int, the partition that asked for the token
 *   2395  security lifecycle  uint (0x3000: secured)
 *   2396  implementation id   bstr 32
 *   2397  boot seed           bstr 32, random per boot
 *   2399  software components array of maps:
 *           1 type tstr, 2 measurement bstr(32), 4 version tstr "M.m.r+b",
 *           5 signer id bstr(32): SHA-256 of the SPKI DER of the key that
 *             verified it (when the boot loader said which), -75000
 *           security counter uint (MeterSeal private claim)
 * The protected header is { 1 (alg): -7 (ES256) }; the signature is raw
 * r || s (64 bytes) as COSE requires.
 */
#ifndef MS_TEE_ATTEST_H
#define MS_TEE_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "meterseal/image.h"
#include "meterseal/tee.h"

#define MS_TEE_ATTEST_MAX_SW      4u
#define MS_TEE_ATTEST_TYPE_MAX    15u
#define MS_TEE_ATTEST_VERSION_MAX 31u
#define MS_TEE_ATTEST_NONCE_MIN   8u
#define MS_TEE_ATTEST_NONCE_MAX   64u
#define MS_TEE_ATTEST_TOKEN_MAX   1024u
#define MS_TEE_ATTEST_LIFECYCLE_SECURED 0x3000u

#define MS_TEE_CLAIM_PROFILE      265
#define MS_TEE_CLAIM_NONCE        10
#define MS_TEE_CLAIM_INSTANCE_ID  256
#define MS_TEE_CLAIM_CLIENT_ID    2394
#define MS_TEE_CLAIM_LIFECYCLE    2395
#define MS_TEE_CLAIM_IMPL_ID      2396
#define MS_TEE_CLAIM_BOOT_SEED    2397
#define MS_TEE_CLAIM_SW_COMPONENTS 2399
#define MS_TEE_CLAIM_SW_TYPE      1
#define MS_TEE_CLAIM_SW_VALUE     2
#define MS_TEE_CLAIM_SW_VERSION   4
#define MS_TEE_CLAIM_SW_SIGNER_ID 5
#define MS_TEE_CLAIM_SW_SEC_CNT   (-75000)

/*
 * Boot handover: the boot loader's measurements of what it verified
 * (one per image: e.g. "BL", "SPE", "NSPE"), the implementation id and the
 * lifecycle state. Only MS_TEE_PART_BOOT may call it; later calls replace.
 */
ms_err_t ms_tee_attest_set_boot_record(ms_tee_partition_t caller,
                                       const ms_image_measurement_t *meas,
                                       const char *const *types, size_t n,
                                       const uint8_t implementation_id[32],
                                       uint32_t lifecycle);

/* Token for `caller` with the verifier's nonce (32, 48 or 64 bytes, as the
 * PSA attestation API allows; else MS_ERR_ARG, as for an empty buffer).
 * MS_ERR_STATE before the boot record was set; MS_ERR_BUFFER_TOO_SMALL. */
ms_err_t ms_tee_attest_get_token(ms_tee_partition_t caller, const uint8_t *nonce,
                                 size_t nonce_len, uint8_t *out, size_t cap, size_t *out_len);

/* The exact size of the token ms_tee_attest_get_token() would make for a
 * nonce of nonce_len bytes (psa_initial_attest_get_token_size): the claims
 * encoded and the envelope counted, nothing signed. MS_ERR_ARG for a nonce
 * size the API does not allow; MS_ERR_STATE before the boot record. */
ms_err_t ms_tee_attest_get_token_size(ms_tee_partition_t caller, size_t nonce_len,
                                      size_t *size);

/*
 * The service itself: the attestation partition's code. The three calls
 * above are these (ms_tee_attest_set_boot_record draws the boot seed with
 * ms_tee_rng_generate and hands it in). On the host the public names call
 * these directly (src/tee/attest/attest_api.c); on the AN505, where
 * attestation runs in an MPU-isolated partition, the public names are the
 * Secure kernel's client, one message per call (firmware/secure/
 * attest_client.c). Only the partition's own code calls these.
 */
ms_err_t ms_tee_att_set_boot_record(ms_tee_partition_t caller, const ms_image_measurement_t *meas,
                                    const char *const *types, size_t n,
                                    const uint8_t implementation_id[32], uint32_t lifecycle,
                                    const uint8_t boot_seed[32]);
ms_err_t ms_tee_att_get_token(ms_tee_partition_t caller, const uint8_t *nonce, size_t nonce_len,
                              uint8_t *out, size_t cap, size_t *out_len);
ms_err_t ms_tee_att_get_token_size(ms_tee_partition_t caller, size_t nonce_len, size_t *size);

/* What a verifier reads out of a token. */
typedef struct ms_tee_attest_sw {
    char type[MS_TEE_ATTEST_TYPE_MAX + 1];
    uint8_t measurement[MS_SHA256_LEN];
    char version[MS_TEE_ATTEST_VERSION_MAX + 1];
    bool has_sec_cnt;
    uint32_t sec_cnt;
    bool has_signer_id;
    uint8_t signer_id[MS_SHA256_LEN];
} ms_tee_attest_sw_t;

typedef struct ms_tee_attest_claims {
    uint8_t nonce[MS_TEE_ATTEST_NONCE_MAX];
    size_t nonce_len;
    uint8_t instance_id[33];
    int64_t client_id;
    uint32_t lifecycle;
    uint8_t implementation_id[32];
    uint8_t boot_seed[32];
    size_t n_sw;
    ms_tee_attest_sw_t sw[MS_TEE_ATTEST_MAX_SW];
} ms_tee_attest_claims_t;

/*
 * Verify a token (the cloud side; bounded parser of outside data): COSE_Sign1
 * structure, ES256 signature with pub (the device's IAK public key),
 * instance id == 0x01 || SHA-256(pub),
 * every mandatory claim present, and, if nonce is not NULL, equal to it.
 * MS_ERR_SIGNATURE, MS_ERR_FORMAT, MS_ERR_TRUNCATED, MS_ERR_KEY_MISMATCH,
 * MS_ERR_AUTH (nonce differs).
 */
ms_err_t ms_tee_attest_verify(const uint8_t *token, size_t len, const ms_p256_pub_t *pub,
                              const uint8_t *nonce, size_t nonce_len,
                              ms_tee_attest_claims_t *out);

/*
 * Decode a token's claims map (the COSE payload) without checking any
 * signature: for tools that display a token, and for fuzzing. Same
 * mandatory-claim rules as ms_tee_attest_verify().
 */
ms_err_t ms_tee_attest_parse_claims(const uint8_t *payload, size_t len,
                                    ms_tee_attest_claims_t *out);

#endif /* MS_TEE_ATTEST_H */
