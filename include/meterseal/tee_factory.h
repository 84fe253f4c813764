/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_factory.h - the factory line's session with a meter's TEE over a
 * serial line (docs/lifecycle.md): the provisioning steps of docs/cloud.md
 * section 2 (tee_link.h) for a meter whose TEE runs on the device itself,
 * reached through its modem UART before the Non-secure world starts.
 *
 * The meter serves the session only while its life cycle is OPEN (the
 * factory locks it afterwards: INFO's secured flag is for a station's
 * defence, a meter that serves never sets it); it acts as the factory partition
 * (MS_TEE_PART_BOOT), which no Non-secure caller can ever be. Nothing
 * secret crosses the line: the CSR, the attestation token, the IAK's public
 * key and the certificates are public; the keys stay in the TEE.
 *
 * Frame (both ways): 'M' 'F' type(1) length(2, little-endian) payload;
 * length <= MS_FACTORY_PAYLOAD_MAX. The station sends a request, the meter
 * answers with the reply type (request | 0x80) or ERROR.
 *
 *   type  station -> meter                       meter -> station (type | 0x80)
 *   0x01  HELLO    -                             INFO  secured(1) provisioned(1)
 *                                                      id_len(1) id
 *   0x02  REQUEST  id_len(1) id nonce(32)        CSR   csr_len(2) csr token_len(2)
 *                                                      token iak_pub(65)
 *   0x03  INSTALL  id_len(1) id cert_len(2) cert OK    -
 *                  ca_len(2) ca broker_len(1)
 *                  broker command_key(65)
 *   0x04  BYE      -                             OK    -   (the boot goes on)
 *   0xFF           -                             ERROR the ms_err_t name (ASCII)
 *
 * REQUEST and INSTALL are served only until the meter id is stored: a
 * provisioned meter answers them with ERROR "MS_ERR_STATE" (renewal of the
 * certificate, CA or broker is the cloud channel's business, never the
 * serial line's).
 *
 * Ids are 1..MS_LINK_METER_ID_MAX of [A-Za-z0-9-]; broker is "host:port"
 * (the TEE checks it on INSTALL); public keys are uncompressed P-256 points.
 * Every decoder below takes outside data: it checks every length against
 * what is left before reading, and refuses trailing bytes (fuzz_factory).
 * Portable: no heap, no stdio; decoded byte strings point into the input.
 */
#ifndef MS_TEE_FACTORY_H
#define MS_TEE_FACTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "meterseal/tee_link.h"

#define MS_FACTORY_HDR_LEN      5u
#define MS_FACTORY_PAYLOAD_MAX  2400u
#define MS_FACTORY_FRAME_MAX    (MS_FACTORY_HDR_LEN + MS_FACTORY_PAYLOAD_MAX)

#define MS_FACTORY_HELLO    0x01u
#define MS_FACTORY_REQUEST  0x02u
#define MS_FACTORY_INSTALL  0x03u
#define MS_FACTORY_BYE      0x04u
#define MS_FACTORY_REPLY    0x80u   /* | the request's type */
#define MS_FACTORY_ERROR    0xFFu

typedef struct ms_factory_info {
    bool secured;
    bool provisioned;
    char meter_id[MS_LINK_METER_ID_MAX + 1];   /* "" when not provisioned */
} ms_factory_info_t;

typedef struct ms_factory_request {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint8_t nonce[MS_TEE_LINK_NONCE_LEN];
} ms_factory_request_t;

typedef struct ms_factory_csr {
    const uint8_t *csr;
    size_t csr_len;
    const uint8_t *token;
    size_t token_len;
    ms_p256_pub_t iak;
} ms_factory_csr_t;

typedef struct ms_factory_install {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    const uint8_t *cert;
    size_t cert_len;
    const uint8_t *ca;
    size_t ca_len;
    char broker[MS_TEE_LINK_BROKER_MAX + 1];
    ms_p256_pub_t command_key;
} ms_factory_install_t;

/* The 5-byte header: MS_ERR_BAD_MAGIC, MS_ERR_FORMAT (length too large). */
ms_err_t ms_factory_header_parse(const uint8_t hdr[MS_FACTORY_HDR_LEN], uint8_t *type,
                                 size_t *len);
void ms_factory_header_write(uint8_t hdr[MS_FACTORY_HDR_LEN], uint8_t type, size_t len);

/* Payload codecs: encode -> MS_ERR_ARG (a field out of range),
 * MS_ERR_BUFFER_TOO_SMALL; decode -> MS_ERR_TRUNCATED, MS_ERR_FORMAT. */
ms_err_t ms_factory_info_encode(const ms_factory_info_t *m, uint8_t *out, size_t cap,
                                size_t *len);
ms_err_t ms_factory_info_decode(const uint8_t *p, size_t len, ms_factory_info_t *m);
ms_err_t ms_factory_request_encode(const ms_factory_request_t *m, uint8_t *out, size_t cap,
                                   size_t *len);
ms_err_t ms_factory_request_decode(const uint8_t *p, size_t len, ms_factory_request_t *m);
ms_err_t ms_factory_csr_encode(const ms_factory_csr_t *m, uint8_t *out, size_t cap, size_t *len);
ms_err_t ms_factory_csr_decode(const uint8_t *p, size_t len, ms_factory_csr_t *m);
ms_err_t ms_factory_install_encode(const ms_factory_install_t *m, uint8_t *out, size_t cap,
                                   size_t *len);
ms_err_t ms_factory_install_decode(const uint8_t *p, size_t len, ms_factory_install_t *m);

/*
 * The meter's side of one request (the TEE, as MS_TEE_PART_BOOT): decode
 * it, run the provisioning step, encode the reply into out (type in
 * *reply_type: the request's | 0x80, or MS_FACTORY_ERROR with the error's
 * name). *bye is set by BYE. `secured` is the meter's life-cycle state for
 * INFO. Returns the step's error (also what an ERROR reply carries).
 */
ms_err_t ms_tee_factory_serve(uint8_t type, const uint8_t *payload, size_t len, bool secured,
                              uint8_t *out, size_t cap, uint8_t *reply_type, size_t *out_len,
                              bool *bye);

#endif /* MS_TEE_FACTORY_H */
