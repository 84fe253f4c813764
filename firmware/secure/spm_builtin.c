/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spm_builtin.c - the Secure kernel's two built-in partitions and the
 * isolation self-test that uses them (spm.h): the RNG's entropy health
 * tests (rng-health) and the isolation probe, which reads one word where it
 * is told or uses its stack to a depth, so the self-test can check, at
 * every boot, that the MPU stops it everywhere but in its own block.
 *
 * Invariant: the partitions' code here touches only its own block (its
 * mailbox and state); the self-test runs in the kernel and reaches the
 * partitions by message only.
 */
#include <string.h>

#include "meterseal/tee_rng.h"
#include "spm.h"
#include "spm_internal.h"

/* ---- the partitions' code (runs unprivileged, touches its block only) ---- */

typedef struct health_state {
    ms_tee_rng_health_t h;
    uint32_t ready;
} health_state_t;

_Static_assert(sizeof(health_state_t) <= SPM_BUILTIN_STATE_LEN, "health state fits its block");

int32_t spm_health_main(spm_msg_t *msg, void *state)
{
    health_state_t *s = state;
    if (!s->ready) {
        if (ms_tee_rng_health_init(&s->h, 4) != MS_OK) {
            return PSA_ERROR_GENERIC_ERROR;
        }
        s->ready = 1;
    }
    if (msg->type == SPM_HEALTH_FEED) {
        return ms_tee_rng_health_feed(&s->h, msg->data, msg->len) == MS_OK
                   ? PSA_SUCCESS : PSA_ERROR_INSUFFICIENT_ENTROPY;
    }
    if (msg->type == SPM_HEALTH_STATUS) {
        uint32_t v[2] = { (uint32_t)s->h.samples, s->h.failed ? 1u : 0u };
        memcpy(msg->data, v, sizeof v);
        msg->out_len = sizeof v;
        return PSA_SUCCESS;
    }
    return PSA_ERROR_NOT_SUPPORTED;
}

/* Uses about 64 bytes of stack per level (not a tail call: the array is
 * read after the recursion). */
__attribute__((noinline)) static uint32_t probe_depth(uint32_t n)
{
    volatile uint32_t pad[14];
    pad[0] = n;
    uint32_t below = n > 1u ? probe_depth(n - 1u) : 0u;
    return pad[0] + below;
}

int32_t spm_probe_main(spm_msg_t *msg, void *state)
{
    (void)state;
    if (msg->len != 4u || (msg->type != SPM_PROBE_PEEK && msg->type != SPM_PROBE_DEPTH)) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    uint32_t addr;
    memcpy(&addr, msg->data, 4);
    if (msg->type == SPM_PROBE_DEPTH) {
        uint32_t v = probe_depth(addr);
        memcpy(msg->data, &v, 4);
        msg->out_len = 4;
        return PSA_SUCCESS;
    }
    uint32_t v = *(const volatile uint32_t *)(uintptr_t)addr;
    memcpy(msg->data, &v, 4);
    msg->out_len = 4;
    return PSA_SUCCESS;
}

/* ---- isolation self-test ----------------------------------------------------------------- */

static uint32_t block_end(uint32_t pid)
{
    uintptr_t lo, hi;
    spm_block(pid, &lo, &hi);
    return (uint32_t)hi;
}

static psa_status_t peek(uint32_t addr)
{
    uint32_t v = 0;
    size_t n = 0;
    return spm_call(SPM_PART_PROBE, SPM_PROBE_PEEK, &addr, 4, &v, sizeof v, &n);
}

ms_err_t spm_selftest(void)
{
    uint32_t before = spm_restarts(SPM_PART_PROBE);
    uint32_t storage_restarts = spm_restarts(SPM_PART_STORAGE);
    uint32_t keystore_restarts = spm_restarts(SPM_PART_KEYSTORE);
    uint32_t attest_restarts = spm_restarts(SPM_PART_ATTEST);
    uint32_t update_restarts = spm_restarts(SPM_PART_UPDATE);
    uint32_t link_restarts = spm_restarts(SPM_PART_LINK);
    /* its own state: allowed */
    if (peek((uint32_t)(uintptr_t)spm_state(SPM_PART_PROBE)) != PSA_SUCCESS) {
        return MS_ERR_STATE;
    }
    /* another partition's state, storage's (where its keys are), the key
     * store's (its mailbox, where key material passes), attestation's (the
     * boot record), the update partition's (the download in progress), the
     * link's (the TLS session, the PSA core's key slots at its end), the
     * kernel's data, the storage flash, the image slots: each must fault */
    const uint32_t forbidden[] = {
        (uint32_t)(uintptr_t)spm_state(SPM_PART_HEALTH),
        block_end(SPM_PART_STORAGE) - 4u,
        (uint32_t)(uintptr_t)spm_mailbox(SPM_PART_KEYSTORE)->data,
        block_end(SPM_PART_ATTEST) - 4u,
        block_end(SPM_PART_UPDATE) - 4u,
        block_end(SPM_PART_LINK) - 4u,
        (uint32_t)(uintptr_t)&spm_saved_msp,
        spm_device(SPM_PART_STORAGE),
        spm_device(SPM_PART_UPDATE),
    };
    const uint32_t n_forbidden = sizeof forbidden / sizeof forbidden[0];
    for (uint32_t i = 0; i < n_forbidden; i++) {
        if (peek(forbidden[i]) != PSA_ERROR_SERVICE_FAILURE) {
            return MS_ERR_STATE;
        }
    }
    if (spm_restarts(SPM_PART_PROBE) != before + n_forbidden) {
        return MS_ERR_STATE;
    }
    /* a stack overrun: PSPLIM stops it (UsageFault, STKOF), the probe restarts */
    uint32_t depth = SPM_BUILTIN_STACK_WORDS;   /* ~64 bytes a level: far past 1 KiB */
    uint32_t sum = 0;
    size_t n = 0;
    if (spm_call(SPM_PART_PROBE, SPM_PROBE_DEPTH, &depth, 4, &sum, sizeof sum, &n) !=
            PSA_ERROR_SERVICE_FAILURE ||
        spm_restarts(SPM_PART_PROBE) != before + n_forbidden + 1u) {
        return MS_ERR_STATE;
    }
    /* and a shallow one works */
    depth = 4;
    if (spm_call(SPM_PART_PROBE, SPM_PROBE_DEPTH, &depth, 4, &sum, sizeof sum, &n) != PSA_SUCCESS) {
        return MS_ERR_STATE;
    }
    /* the other partition still serves */
    uint8_t samples[64];
    for (size_t i = 0; i < sizeof samples; i++) {
        samples[i] = (uint8_t)(i * 37u + 11u);
    }
    psa_status_t st = spm_call(SPM_PART_HEALTH, SPM_HEALTH_FEED, samples, sizeof samples, NULL, 0, NULL);
    if (st != PSA_SUCCESS) {
        return MS_ERR_STATE;
    }
    /* and storage, the key store, attestation, updates and the link, whose
     * memory the probe tried, were not restarted */
    if (spm_restarts(SPM_PART_STORAGE) != storage_restarts ||
        spm_restarts(SPM_PART_KEYSTORE) != keystore_restarts ||
        spm_restarts(SPM_PART_ATTEST) != attest_restarts ||
        spm_restarts(SPM_PART_UPDATE) != update_restarts ||
        spm_restarts(SPM_PART_LINK) != link_restarts) {
        return MS_ERR_STATE;
    }
    /* and the probe, restarted, serves again */
    return peek((uint32_t)(uintptr_t)spm_state(SPM_PART_PROBE)) == PSA_SUCCESS
               ? MS_OK : MS_ERR_STATE;
}

psa_status_t spm_ping(void)
{
    return peek((uint32_t)(uintptr_t)spm_state(SPM_PART_PROBE));
}

