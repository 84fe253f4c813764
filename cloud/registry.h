/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.h - meter registration (docs/cloud.md §2): provisioning nonces,
 * and the checks before a meter is accepted.
 */
#ifndef MS_CLOUD_REGISTRY_H
#define MS_CLOUD_REGISTRY_H

#include "json_params.h"
#include "service.h"

#define MS_REGISTRY_NONCE_TTL 600   /* seconds (§2 step 1) */

/* A fresh nonce, stored single-use for MS_REGISTRY_NONCE_TTL; hex out. */
ms_err_t ms_registry_nonce(ms_cloud_t *c, char hex[2 * MS_STORE_NONCE_LEN + 1]);

/*
 * Register a meter. Accepted only if the certificate chains to the
 * manufacturer CA with CN = serialNumber = meter_id, the attestation token
 * verifies with iak_pub, its challenge is SHA-256(nonce || certificate
 * public key), and the nonce was issued, is unexpired and unused (it is
 * used up by a successful registration). Returns MS_OK; MS_ERR_STATE if
 * the meter is registered already; MS_ERR_CLOUD_DB; otherwise the refusal
 * with a reason for the 422 answer.
 */
/* The serial number of a stored meter's certificate ("" if unreadable). */
void ms_registry_serial(const ms_meter_rec_t *m, char serial[MS_X509_SERIAL_HEX]);

/* The revocation rule on a serial (ms_registry_serial's): revoked when on
 * c->mfr_crl, or unreadable ("") while a CRL is loaded. */
bool ms_registry_serial_revoked(const ms_cloud_t *c, const char serial[MS_X509_SERIAL_HEX]);

/* True when the stored meter's certificate is on c->mfr_crl, or its serial
 * cannot be read while a CRL is loaded: its messages are refused even on a
 * broker session opened before the revocation. */
bool ms_registry_revoked(const ms_cloud_t *c, const ms_meter_rec_t *m);

ms_err_t ms_registry_register(ms_cloud_t *c, const ms_jp_register_t *req,
                              char reason[MS_JP_REASON_MAX]);

#endif /* MS_CLOUD_REGISTRY_H */
