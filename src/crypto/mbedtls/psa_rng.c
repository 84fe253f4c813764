/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa_rng.c - where Mbed TLS's PSA crypto core gets its random bytes
 * (MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG): ms_random(), the one DRBG of the crypto
 * module, seeded and reseeded from the platform's TRNG (M10); and where
 * p256-m gets its key pairs and ECDSA nonces (ms_p256m_random: the build
 * renames p256-m's call to psa_generate_random() to it), so signing needs no
 * PSA core state and runs in a partition on that partition's DRBG.
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

/* p256-m's random bytes (p256-m.c's psa_generate_random(), renamed). */
psa_status_t ms_p256m_random(uint8_t *output, size_t output_size);
psa_status_t ms_p256m_random(uint8_t *output, size_t output_size)
{
    return ms_random(output, output_size) == MS_OK ? PSA_SUCCESS : PSA_ERROR_INSUFFICIENT_ENTROPY;
}
