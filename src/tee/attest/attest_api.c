/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest_api.c - the attestation API's token calls (tee_attest.h) straight
 * into the service, for platforms where attestation runs in the caller's
 * own context (the host). The AN505 TEE, whose attestation runs in an
 * MPU-isolated partition, links its message client instead
 * (firmware/secure/attest_client.c).
 */
#include "meterseal/crypto.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_rng.h"

ms_err_t ms_tee_attest_set_boot_record(ms_tee_partition_t caller,
                                       const ms_image_measurement_t *meas,
                                       const char *const *types, size_t n,
                                       const uint8_t implementation_id[32],
                                       uint32_t lifecycle)
{
    if (caller != MS_TEE_PART_BOOT) {
        return MS_ERR_TEE_DENIED;
    }
    if (meas == NULL || types == NULL || n == 0 || n > MS_TEE_ATTEST_MAX_SW ||
        implementation_id == NULL) {
        return MS_ERR_ARG;   /* before a seed is drawn, as the service answers */
    }
    uint8_t seed[32];
    ms_err_t err = ms_tee_rng_generate(seed, sizeof seed);
    if (!err) {
        err = ms_tee_att_set_boot_record(caller, meas, types, n, implementation_id, lifecycle,
                                         seed);
    }
    ms_secure_zero(seed, sizeof seed);
    return err;
}

ms_err_t ms_tee_attest_get_token(ms_tee_partition_t caller, const uint8_t *nonce,
                                 size_t nonce_len, uint8_t *out, size_t cap, size_t *out_len)
{
    return ms_tee_att_get_token(caller, nonce, nonce_len, out, cap, out_len);
}

ms_err_t ms_tee_attest_get_token_size(ms_tee_partition_t caller, size_t nonce_len,
                                      size_t *size)
{
    return ms_tee_att_get_token_size(caller, nonce_len, size);
}
