/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_rng.h - the TEE's random number service (M10): a health-tested
 * entropy source in front of the crypto module's DRBG.
 *
 * Health tests are the two continuous tests of NIST SP 800-90B section 4.4
 * on 8-bit samples, with false-positive rate alpha = 2^-20:
 *   - Repetition Count Test: cutoff C = 1 + ceil(20 / H);
 *   - Adaptive Proportion Test: window W = 512, cutoff from the binomial
 *     quantile for p = 2^-H (table in rng.c; e.g. H = 4 gives 62);
 * where H is the claimed min-entropy per sample (whole bits, 1..8). A
 * start-up test runs both over 1024 samples before first use. Once a test
 * fails the service stays failed (MS_ERR_TEE_RNG_HEALTH) until re-init.
 *
 * The source is the platform's ms_hal_rng_entropy() (getrandom() on the
 * host, the TRNG on the MCU) unless another is given (tests inject stuck or
 * biased sources). Output = HKDF-SHA256(salt = 32 bytes of the crypto
 * module's DRBG, ikm = 32 freshly tested entropy bytes) per request, so a
 * request always carries fresh, tested entropy.
 */
#ifndef MS_TEE_RNG_H
#define MS_TEE_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"

typedef ms_err_t (*ms_tee_entropy_fn)(void *ctx, uint8_t *buf, size_t len);

typedef struct ms_tee_rng_health {
    uint32_t rct_cutoff;
    uint32_t apt_cutoff;
    uint32_t rct_count;
    uint32_t apt_count;
    uint32_t apt_seen;     /* samples seen in the current window */
    uint8_t rct_last;
    uint8_t apt_ref;
    bool has_last;
    bool failed;
    uint64_t samples;
} ms_tee_rng_health_t;

#define MS_TEE_RNG_APT_WINDOW 512u
#define MS_TEE_RNG_STARTUP_SAMPLES 1024u
#define MS_TEE_RNG_MAX_REQUEST 1024u

/* Set up the tests for a source claiming h_bits (1..8) of min-entropy per byte. */
ms_err_t ms_tee_rng_health_init(ms_tee_rng_health_t *h, unsigned h_bits);

/* Run the tests over n samples. MS_ERR_TEE_RNG_HEALTH once any test failed. */
ms_err_t ms_tee_rng_health_feed(ms_tee_rng_health_t *h, const uint8_t *samples, size_t n);

/*
 * Start the service: source fn(ctx) (NULL: ms_hal_rng_entropy), claimed
 * min-entropy h_bits, then the start-up test.
 */
ms_err_t ms_tee_rng_init(ms_tee_entropy_fn fn, void *ctx, unsigned h_bits);

/* len <= MS_TEE_RNG_MAX_REQUEST random bytes. MS_ERR_STATE before init. */
ms_err_t ms_tee_rng_generate(uint8_t *out, size_t len);

/* Health-tested raw entropy (for seeding a DRBG). */
ms_err_t ms_tee_rng_entropy(uint8_t *out, size_t len);

#endif /* MS_TEE_RNG_H */
