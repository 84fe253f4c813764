/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa/initial_attestation.h - PSA Attestation API 1.0, as the Non-secure
 * side of the meter calls it (firmware/nonsecure/tee_client.c).
 *
 * The token is MeterSeal's (tee_attest.h): COSE_Sign1 ES256 over the PSA
 * claims, signed in the TEE with the Initial Attestation Key. The
 * challenge is 32, 48 or 64 bytes; any other size, a missing token buffer
 * or a zero-sized one is PSA_ERROR_INVALID_ARGUMENT; a buffer smaller than
 * the token is PSA_ERROR_BUFFER_TOO_SMALL.
 */
#ifndef MS_PSA_INITIAL_ATTESTATION_H
#define MS_PSA_INITIAL_ATTESTATION_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/psa/error.h"

#define PSA_INITIAL_ATTEST_API_VERSION_MAJOR 1
#define PSA_INITIAL_ATTEST_API_VERSION_MINOR 0

#define PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32 (32u)
#define PSA_INITIAL_ATTEST_CHALLENGE_SIZE_48 (48u)
#define PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64 (64u)

/* No token is larger (MS_TEE_ATTEST_TOKEN_MAX plus the COSE envelope). */
#define PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE (1134u)

psa_status_t psa_initial_attest_get_token(const uint8_t *auth_challenge, size_t challenge_size,
                                          uint8_t *token_buf, size_t token_buf_size,
                                          size_t *token_size);

psa_status_t psa_initial_attest_get_token_size(size_t challenge_size, size_t *token_size);

#endif /* MS_PSA_INITIAL_ATTESTATION_H */
