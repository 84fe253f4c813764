/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa_rng.c - where Mbed TLS's PSA crypto core gets its random bytes
 * (MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG): ms_random(), the one DRBG of the crypto
 * module, seeded and reseeded from the platform's TRNG (M10). p256-m's key
 * generation and ECDSA nonces reach it through psa_generate_random().
 *
 * Compiled into the Mbed TLS archive (ms_mbedtls) next to the core that
 * calls it; ms_random() comes from whichever backend the program links
 * (both define it), so TLS can run in a program whose crypto.h backend is
 * OpenSSL.
 *
 * Invariant: never reports success without filling the whole buffer.
 */
#include "psa/crypto.h"

#include "meterseal/crypto.h"

psa_status_t mbedtls_psa_external_get_random(mbedtls_psa_external_random_context_t *context,
                                             uint8_t *output, size_t output_size,
                                             size_t *output_length)
{
    (void)context;
    *output_length = 0;
    if (ms_random(output, output_size) != MS_OK) {
        return PSA_ERROR_INSUFFICIENT_ENTROPY;
    }
    *output_length = output_size;
    return PSA_SUCCESS;
}
