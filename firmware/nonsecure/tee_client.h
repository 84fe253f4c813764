/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_client.h - the Non-secure side of the secure API: one call into the
 * TEE (serialised by a kernel mutex once the kernel runs) and typed helpers
 * for the metering registers, the RNG and attestation. The PSA storage
 * functions (psa/internal_trusted_storage.h, psa/protected_storage.h) are
 * implemented over it in tee_client.c, which is what an outside test suite
 * linked into this image calls (docs/an505.md, "External test suites").
 */
#ifndef MS_NS_TEE_CLIENT_H
#define MS_NS_TEE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/psa/error.h"
#include "tee_ns.h"

/* The kernel is running: calls take the TEE mutex from now on. */
void tee_client_use_kernel(void);

psa_status_t tee_client_call(uint32_t sid, int32_t type, const ms_tee_invec_t *in, size_t n_in,
                             ms_tee_outvec_t *out, size_t n_out);

typedef struct tee_meter {
    uint64_t energy_wh;
    int64_t balance_milli;
    uint64_t updates;
} tee_meter_t;

psa_status_t tee_meter_read(tee_meter_t *out);
psa_status_t tee_meter_add(uint64_t energy_wh, tee_meter_t *out);
psa_status_t tee_rng(void *out, size_t len);
psa_status_t tee_attest_token(const uint8_t *nonce, size_t nonce_len, uint8_t *out, size_t cap,
                              size_t *len);

#endif /* MS_NS_TEE_CLIENT_H */
