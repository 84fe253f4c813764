/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_internal.h - what the files of the link partition share
 * (src/tee/link): PS access under its reserved uids, little-endian field
 * helpers for its state records, and the identity-key signer.
 */
#ifndef MS_LINK_INTERNAL_H
#define MS_LINK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/tee_link.h"

/* PS under the partition's uids, as ms_err_t. get: MS_ERR_NOT_FOUND when
 * absent; *len gets the object's size (MS_ERR_BUFFER_TOO_SMALL if larger
 * than cap). set: flags PSA_STORAGE_FLAG_*. */
ms_err_t ms_link_ps_get(uint64_t uid, void *buf, size_t cap, size_t *len);
ms_err_t ms_link_ps_set(uint64_t uid, const void *buf, size_t len, uint32_t flags);
ms_err_t ms_link_ps_remove(uint64_t uid);

/* Sign a digest with the identity key as the LINK partition
 * (ms_cose_sign_fn / ms_tls_sign_fn shape; ctx unused). */
ms_err_t ms_link_identity_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der,
                               size_t cap, size_t *der_len);

/* The identity key's public half (for the kid of signed messages). */
ms_err_t ms_link_identity_pub(ms_p256_pub_t *pub);

/* The provisioned command key and its kid (MS_ERR_LINK_NOT_PROVISIONED). */
ms_err_t ms_link_command_key(ms_p256_pub_t *pub, uint8_t kid[MS_COSE_KID_LEN]);

/* A message from the cloud: opened with the provisioned command key (under
 * its kid), and this meter's id for the caller's check of the payload.
 * MS_ERR_LINK_NOT_PROVISIONED, MS_ERR_SIGNATURE, MS_ERR_FORMAT. */
ms_err_t ms_link_open_from_cloud(const uint8_t *msg, size_t len, ms_cose_sign1_t *m,
                                 char id[MS_LINK_METER_ID_MAX + 1]);

/* Drop the public keys kept in RAM (stop, provisioning). */
void ms_link_keys_forget(void);

/* Seal a payload with the identity key (kid of the identity key). */
ms_err_t ms_link_seal(const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
                      size_t *out_len);

/* Little-endian fields of the state records. */
void ms_link_put64(uint8_t *p, uint64_t v);
uint64_t ms_link_get64(const uint8_t *p);
void ms_link_put32(uint8_t *p, uint32_t v);
uint32_t ms_link_get32(const uint8_t *p);

/* Control state the report needs: the tariff in force. */
ms_err_t ms_link_control_tariff(uint64_t *tariff_id);

/* The report half of ms_tee_link_status (control.c fills the rest). */
ms_err_t ms_link_report_status(ms_tee_link_status_t *out);

/* Forget the channel's RAM state (ms_tee_link_stop). */
void ms_link_channel_reset(void);

/* PKCS#10 CSR for meter_id with the identity key (csr.c). */
ms_err_t ms_link_csr_write(const char *meter_id, const ms_p256_pub_t *pub, uint8_t *out,
                           size_t cap, size_t *len);

#endif /* MS_LINK_INTERNAL_H */
