/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_client.h - the Non-secure side of the secure API: one call into the
 * TEE (serialised by a kernel mutex once the kernel runs) and typed helpers
 * for the metering registers, the RNG, attestation and firmware updates.
 * The PSA storage
 * functions (psa/internal_trusted_storage.h, psa/protected_storage.h) are
 * implemented over it in tee_client.c, which is what an outside test suite
 * linked into this image calls (docs/an505.md, "External test suites").
 */
#ifndef MS_NS_TEE_CLIENT_H
#define MS_NS_TEE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/psa/error.h"
#include "meterseal/tee_update.h"
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
/* The same straight through the door, without the client's mutex: for an
 * unprivileged task (it cannot use the kernel) and the tests that call the
 * TEE from several tasks at once. */
psa_status_t tee_rng_direct(void *out, size_t len);
psa_status_t tee_attest_token(const uint8_t *nonce, size_t nonce_len, uint8_t *out, size_t cap,
                              size_t *len);

/*
 * Firmware updates: the TEE's update service (meterseal/tee_update.h), which
 * alone writes a secondary slot and decrypts and verifies what was written
 * before it marks anything pending. Each call but confirm fills *st with
 * the service's status, after a refusal too (st->last_err says why).
 */
psa_status_t tee_update_begin(uint8_t image, uint32_t size, const uint8_t id[MS_TEE_UPDATE_ID_LEN],
                              ms_tee_update_status_t *st);
psa_status_t tee_update_write(uint32_t offset, const void *data, size_t len,
                              ms_tee_update_status_t *st);
psa_status_t tee_update_verify(ms_tee_update_status_t *st);
psa_status_t tee_update_install(bool permanent, ms_tee_update_status_t *st);
psa_status_t tee_update_abort(ms_tee_update_status_t *st);
psa_status_t tee_update_confirm(uint8_t image);

#endif /* MS_NS_TEE_CLIENT_H */
