/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa_status.c - ms_err_t to psa_status_t at the PSA API boundary (M11).
 *
 * Invariant: every internal error maps to a documented PSA status; anything
 * unexpected becomes PSA_ERROR_GENERIC_ERROR, never PSA_SUCCESS.
 */
#include "meterseal/tee.h"

psa_status_t ms_tee_psa_status(ms_err_t err)
{
    switch (err) {
    case MS_OK:                   return PSA_SUCCESS;
    case MS_ERR_ARG:
    case MS_ERR_KEY_FORMAT:
    case MS_ERR_FORMAT:
    case MS_ERR_TRUNCATED:        return PSA_ERROR_INVALID_ARGUMENT;
    case MS_ERR_BUFFER_TOO_SMALL: return PSA_ERROR_BUFFER_TOO_SMALL;
    case MS_ERR_UNSUPPORTED:      return PSA_ERROR_NOT_SUPPORTED;
    case MS_ERR_STATE:            return PSA_ERROR_BAD_STATE;
    case MS_ERR_NOT_FOUND:        return PSA_ERROR_DOES_NOT_EXIST;
    case MS_ERR_TEE_WRITE_ONCE:
    case MS_ERR_TEE_DENIED:       return PSA_ERROR_NOT_PERMITTED;
    case MS_ERR_TEE_NO_SPACE:     return PSA_ERROR_INSUFFICIENT_STORAGE;
    case MS_ERR_TEE_EXISTS:       return PSA_ERROR_ALREADY_EXISTS;
    case MS_ERR_TEE_CORRUPT:
    case MS_ERR_TEE_ROLLBACK:     return PSA_ERROR_DATA_CORRUPT;
    case MS_ERR_TEE_BAD_POINTER:  return PSA_ERROR_PROGRAMMER_ERROR;
    case MS_ERR_AUTH:
    case MS_ERR_SIGNATURE:        return PSA_ERROR_INVALID_SIGNATURE;
    case MS_ERR_RNG:
    case MS_ERR_TEE_RNG_HEALTH:   return PSA_ERROR_INSUFFICIENT_ENTROPY;
    case MS_ERR_IO:
    case MS_ERR_FLASH_NOT_ERASED:
    case MS_ERR_FLASH_WRITE:
    case MS_ERR_FLASH_ERASE:
    case MS_ERR_POWER_LOST:       return PSA_ERROR_STORAGE_FAILURE;
    case MS_ERR_CRYPTO:           return PSA_ERROR_HARDWARE_FAILURE;
    case MS_ERR_TEE_SERVICE_FAILED: return PSA_ERROR_SERVICE_FAILURE;
    default:                      return PSA_ERROR_GENERIC_ERROR;
    }
}
