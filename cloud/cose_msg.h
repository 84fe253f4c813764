/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cose_msg.h - the signed messages of docs/cloud.md §5: COSE_Sign1 (RFC
 * 9052, ES256) envelopes around deterministic CBOR maps with small integer
 * keys. Decoders for what meters send (reading, event, command result) and
 * encoders for what the cloud sends (acknowledgement, command).
 *
 * Decoding is bounded and strict, in the order §5 gives: tag 18, the
 * protected header is exactly a10126, the unprotected header is exactly
 * {4: kid(8)}, the signature is 64 bytes; then (after the caller checked
 * kid and signature) the payload map has exactly its keys, in ascending
 * order, and re-encodes to the same bytes (so a payload has one accepted
 * encoding). Messages are at most MS_COSE_MSG_MAX bytes.
 */
#ifndef MS_CLOUD_COSE_MSG_H
#define MS_CLOUD_COSE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"

#define MS_COSE_MSG_MAX    512u
#define MS_COSE_KID_LEN    8u
#define MS_COSE_SIG_LEN    64u
#define MS_MSG_TSTR_MAX    32u
#define MS_MSG_DETAIL_MAX  64u
#define MS_MSG_ACK_MAX     32u
#define MS_MSG_ID_MAX      32u

/* A parsed envelope; pointers point into the caller's buffer. */
typedef struct ms_cose_sign1 {
    const uint8_t *protected_hdr;
    size_t protected_len;
    uint8_t kid[MS_COSE_KID_LEN];
    const uint8_t *payload;
    size_t payload_len;
    uint8_t sig[MS_COSE_SIG_LEN];
} ms_cose_sign1_t;

/* The envelope's structure. MS_ERR_FORMAT, MS_ERR_TRUNCATED. */
ms_err_t ms_cose_parse(const uint8_t *buf, size_t len, ms_cose_sign1_t *out);

/* MS_OK when the ES256 signature over Sig_structure verifies with pub,
 * else MS_ERR_SIGNATURE. */
ms_err_t ms_cose_verify(const ms_cose_sign1_t *m, const ms_p256_pub_t *pub);

/* kid of a signer: the first 8 bytes of SHA-256(SPKI DER). */
ms_err_t ms_cose_kid_of(const ms_p256_pub_t *pub, uint8_t kid[MS_COSE_KID_LEN]);

/* Wrap payload in a COSE_Sign1 signed with key (kid from pub). */
ms_err_t ms_cose_sign(const ms_p256_priv_t *key, const ms_p256_pub_t *pub,
                      const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap,
                      size_t *out_len);

/* §5.2 */
typedef struct ms_msg_reading {
    char meter_id[MS_MSG_ID_MAX + 1];
    uint64_t seq;
    uint64_t time;
    uint64_t energy_wh;
    int64_t balance_milli;
    uint64_t tariff_id;
} ms_msg_reading_t;

/* §5.3 */
typedef struct ms_msg_event {
    char meter_id[MS_MSG_ID_MAX + 1];
    uint64_t seq;
    uint64_t time;
    char kind[MS_MSG_TSTR_MAX + 1];
    char detail[MS_MSG_DETAIL_MAX + 1];
} ms_msg_event_t;

/* §5.5 result */
typedef struct ms_msg_result {
    char meter_id[MS_MSG_ID_MAX + 1];
    uint64_t seq;
    uint64_t cmd_seq;
    uint64_t status;
    int64_t balance_milli;
} ms_msg_result_t;

/* §5.5 result statuses that do not settle whether the command took effect:
 * the meter had seen the command before, or could not record it. */
#define MS_RESULT_REPLAY  2u
#define MS_RESULT_STORAGE 5u

/* §5.5 command types */
#define MS_CMD_TOPUP  1u
#define MS_CMD_RELAY  2u
#define MS_CMD_TARIFF 3u

typedef struct ms_msg_command {
    char meter_id[MS_MSG_ID_MAX + 1];
    uint64_t cmd_seq;
    uint32_t type;
    uint64_t amount_milli;        /* top-up */
    bool connect;                 /* relay */
    uint64_t tariff_id;           /* tariff */
    uint64_t price_milli_per_kwh; /* tariff */
} ms_msg_command_t;

/* Payload decoders (strict, canonical). MS_ERR_FORMAT, MS_ERR_TRUNCATED. */
ms_err_t ms_msg_reading_decode(const uint8_t *p, size_t len, ms_msg_reading_t *r);
ms_err_t ms_msg_event_decode(const uint8_t *p, size_t len, ms_msg_event_t *e);
ms_err_t ms_msg_result_decode(const uint8_t *p, size_t len, ms_msg_result_t *r);
ms_err_t ms_msg_command_decode(const uint8_t *p, size_t len, ms_msg_command_t *c);

/* Payload encoders. */
ms_err_t ms_msg_reading_encode(const ms_msg_reading_t *r, uint8_t *out, size_t cap,
                               size_t *len);
ms_err_t ms_msg_event_encode(const ms_msg_event_t *e, uint8_t *out, size_t cap, size_t *len);
ms_err_t ms_msg_result_encode(const ms_msg_result_t *r, uint8_t *out, size_t cap, size_t *len);
ms_err_t ms_msg_ack_encode(const char *meter_id, const uint64_t *seqs, size_t n, uint8_t *out,
                           size_t cap, size_t *len);
ms_err_t ms_msg_ack_decode(const uint8_t *p, size_t len, char meter_id[MS_MSG_ID_MAX + 1],
                           uint64_t seqs[MS_MSG_ACK_MAX], size_t *n);
ms_err_t ms_msg_command_encode(const ms_msg_command_t *c, uint8_t *out, size_t cap,
                               size_t *len);

#endif /* MS_CLOUD_COSE_MSG_H */
