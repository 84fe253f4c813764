/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_attest.h - the messages between the Secure kernel's attestation
 * client (attest_client.c) and the attestation partition (part_attest.c),
 * which alone holds the boot record and builds the tokens.
 *
 * Numbers are the CPU's own (little-endian) words; the measurements are
 * ms_image_measurement_t as this image lays it out (kernel and partition
 * are one build).
 *
 *   type            in                                            out
 *   ATT_MSG_BOOT    caller(4) n(4) lifecycle(4) implementation    err(4)
 *                   id(32) boot seed(32), n measurements,
 *                   n types (ATT_TYPE_LEN each, NUL-padded)
 *   ATT_MSG_TOKEN   caller(4) cap(4) nonce (the rest)             err(4) token
 *   ATT_MSG_SIZE    caller(4) nonce length(4)                     err(4) size(4)
 *
 * The partition answers PSA_SUCCESS with the service's ms_err_t first; the
 * rest only when that is MS_OK. A request of the wrong length for its type
 * is MS_ERR_ARG. To sign a token and name the IAK's public key the
 * partition asks the kernel (spm_request): a key store message
 * (part_keystore.h), KS_MSG_SIGN or KS_MSG_EXPORT of MS_TEE_KEY_IAK only,
 * which the kernel sends to the key store as the attestation partition's
 * (caller MS_TEE_PART_ATTEST, whatever the header says).
 */
#ifndef MS_SECURE_PART_ATTEST_H
#define MS_SECURE_PART_ATTEST_H

#include "meterseal/image.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_cose.h"
#include "spm.h"

#define ATT_MSG_BOOT  1
#define ATT_MSG_TOKEN 2
#define ATT_MSG_SIZE  3

#define ATT_TYPE_LEN  (MS_TEE_ATTEST_TYPE_MAX + 1u)
#define ATT_BOOT_HDR  (4u + 4u + 4u + 32u + 32u)
#define ATT_BOOT_LEN(n) (ATT_BOOT_HDR + (n) * (sizeof(ms_image_measurement_t) + ATT_TYPE_LEN))

_Static_assert(ATT_BOOT_LEN(MS_TEE_ATTEST_MAX_SW) <= SPM_MSG_DATA, "a boot record fits a message");
_Static_assert(4u + MS_TEE_ATTEST_TOKEN_MAX + MS_COSE_OVERHEAD <= SPM_MSG_DATA,
               "the largest token fits a message");

#endif /* MS_SECURE_PART_ATTEST_H */
