/* SPDX-License-Identifier: Apache-2.0 */
/*
 * p256m_rng.c - the one PSA function p256-m calls: psa_generate_random(),
 * for key generation and ECDSA nonces. Without Mbed TLS's PSA core in the
 * build, it is served by ms_random() (CTR_DRBG seeded from the TRNG).
 *
 * Invariant: never returns success without filling the whole buffer.
 */
#include "psa/crypto.h"

#include "meterseal/crypto.h"

#if !defined(MBEDTLS_PSA_CRYPTO_C)
psa_status_t psa_generate_random(uint8_t *output, size_t output_size)
{
    return ms_random(output, output_size) == MS_OK ? PSA_SUCCESS
                                                   : PSA_ERROR_INSUFFICIENT_ENTROPY;
}
#endif
