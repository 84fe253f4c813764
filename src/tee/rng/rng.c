/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rng.c - health-tested entropy and the TEE random service (M10); see
 * meterseal/tee_rng.h for the tests' parameters.
 *
 * Invariants:
 *   - No byte of entropy reaches a caller or the output mix unless it has
 *     passed through both continuous tests.
 *   - A failure is sticky: after it, every request fails until re-init.
 *   - The tests' state is private to this file (the RNG partition).
 */
#include "meterseal/tee_rng.h"

#include <string.h>

#include "meterseal/crypto.h"
#include "meterseal/hal.h"

/* APT cutoffs for W = 512, alpha = 2^-20, p = 2^-H, H = 1..8 (SP 800-90B). */
static const uint16_t apt_cutoffs[8] = { 311, 177, 103, 62, 39, 25, 18, 13 };

ms_err_t ms_tee_rng_health_init(ms_tee_rng_health_t *h, unsigned h_bits)
{
    if (h == NULL || h_bits < 1 || h_bits > 8) {
        return MS_ERR_ARG;
    }
    memset(h, 0, sizeof *h);
    h->rct_cutoff = 1u + (20u + h_bits - 1u) / h_bits;
    h->apt_cutoff = apt_cutoffs[h_bits - 1u];
    return MS_OK;
}

ms_err_t ms_tee_rng_health_feed(ms_tee_rng_health_t *h, const uint8_t *samples, size_t n)
{
    if (h == NULL || (samples == NULL && n != 0) || h->rct_cutoff == 0) {
        return MS_ERR_ARG;
    }
    for (size_t i = 0; i < n && !h->failed; i++) {
        uint8_t x = samples[i];
        /* Repetition Count Test (SP 800-90B 4.4.1) */
        if (h->has_last && x == h->rct_last) {
            if (++h->rct_count >= h->rct_cutoff) {
                h->failed = true;
            }
        } else {
            h->rct_last = x;
            h->rct_count = 1;
            h->has_last = true;
        }
        /* Adaptive Proportion Test (SP 800-90B 4.4.2) */
        if (h->apt_seen == 0) {
            h->apt_ref = x;
            h->apt_count = 1;
        } else if (x == h->apt_ref) {
            if (++h->apt_count >= h->apt_cutoff) {
                h->failed = true;
            }
        }
        if (++h->apt_seen == MS_TEE_RNG_APT_WINDOW) {
            h->apt_seen = 0;
        }
        h->samples++;
    }
    return h->failed ? MS_ERR_TEE_RNG_HEALTH : MS_OK;
}

static struct {
    ms_tee_entropy_fn fn;
    void *ctx;
    ms_tee_rng_health_t health;
    bool ready;
} g_rng;

static ms_err_t read_source(uint8_t *buf, size_t len)
{
    if (g_rng.fn != NULL) {
        return g_rng.fn(g_rng.ctx, buf, len);
    }
    return ms_hal_rng_entropy(buf, len);
}

/* Pull len bytes from the source through the tests. */
static ms_err_t tested(uint8_t *out, size_t len)
{
    if (!g_rng.ready) {
        return g_rng.health.failed ? MS_ERR_TEE_RNG_HEALTH : MS_ERR_STATE;
    }
    ms_err_t err = read_source(out, len);
    if (err) {
        return MS_ERR_RNG;
    }
    err = ms_tee_rng_health_feed(&g_rng.health, out, len);
    if (err) {
        g_rng.ready = false;
        ms_secure_zero(out, len);
    }
    return err;
}

ms_err_t ms_tee_rng_init(ms_tee_entropy_fn fn, void *ctx, unsigned h_bits)
{
    uint8_t buf[128];
    memset(&g_rng, 0, sizeof g_rng);
    ms_err_t err = ms_tee_rng_health_init(&g_rng.health, h_bits);
    if (err) {
        return err;
    }
    g_rng.fn = fn;
    g_rng.ctx = ctx;
    g_rng.ready = true;
    /* start-up test (SP 800-90B 4.3): 1024 samples, discarded */
    for (size_t done = 0; done < MS_TEE_RNG_STARTUP_SAMPLES && !err; done += sizeof buf) {
        err = tested(buf, sizeof buf);
    }
    ms_secure_zero(buf, sizeof buf);
    if (err) {
        g_rng.ready = false;
    }
    return err;
}

ms_err_t ms_tee_rng_entropy(uint8_t *out, size_t len)
{
    if (out == NULL || len > MS_TEE_RNG_MAX_REQUEST) {
        return MS_ERR_ARG;
    }
    return tested(out, len);
}

ms_err_t ms_tee_rng_generate(uint8_t *out, size_t len)
{
    uint8_t ikm[32], salt[32];
    if ((out == NULL && len != 0) || len > MS_TEE_RNG_MAX_REQUEST) {
        return MS_ERR_ARG;
    }
    ms_err_t err = tested(ikm, sizeof ikm);
    if (!err) {
        err = ms_random(salt, sizeof salt);
    }
    if (!err && len != 0) {
        static const uint8_t info[] = "MeterSeal TEE RNG v1";
        err = ms_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info, sizeof info - 1u,
                             out, len);
    }
    ms_secure_zero(ikm, sizeof ikm);
    ms_secure_zero(salt, sizeof salt);
    return err;
}
