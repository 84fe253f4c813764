/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_msg.h - the signed messages between a meter and the cloud
 * (docs/cloud.md section 5): readings, events and command results from the
 * meter, acknowledgements and commands from the cloud. Each is a
 * COSE_Sign1 (tee_cose.h) over a deterministic CBOR map with small
 * unsigned keys:
 *
 *   reading {1: meter_id, 2: seq, 3: time, 4: energy_wh, 5: balance_milli,
 *            6: tariff_id}
 *   event   {1: meter_id, 2: seq, 3: time, 4: kind (tstr <= 32),
 *            5: detail (tstr <= 64)}
 *   ack     {1: meter_id, 2: [seq, ...] (1..32)}
 *   command {1: meter_id, 2: cmd_seq, 3: type, 4: args}
 *            type 1 top-up {1: amount_milli}, 2 relay {1: connect (bool)},
 *            3 tariff {1: tariff_id, 2: price_milli_per_kwh}
 *   result  {1: meter_id, 2: result_seq, 3: cmd_seq, 4: status,
 *            5: balance_milli}
 *
 * Encoders write the one deterministic encoding (RFC 8949 section 4.2:
 * shortest forms, keys ascending). Decoders are bounded parsers of outside
 * data (fuzzed: fuzz_link_msg) and accept a payload only if it is exactly
 * that encoding of what it decodes to: so a value has one accepted byte
 * form, and "the same payload" means the same bytes. Portable core: no
 * heap, no I/O; the TEE signs and checks, the cloud checks and signs.
 */
#ifndef MS_LINK_MSG_H
#define MS_LINK_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "meterseal/tee_cose.h"

#define MS_LINK_METER_ID_MAX 32u    /* 1..32 of [A-Za-z0-9-] */
#define MS_LINK_MSG_MAX      512u   /* a whole COSE message */
#define MS_LINK_PAYLOAD_MAX  (MS_LINK_MSG_MAX - MS_COSE_OVERHEAD)
#define MS_LINK_KIND_MAX     32u
#define MS_LINK_DETAIL_MAX   64u
#define MS_LINK_ACK_MAX      32u

/* Command types (docs/cloud.md 5.5). */
#define MS_LINK_CMD_TOPUP  1u
#define MS_LINK_CMD_RELAY  2u
#define MS_LINK_CMD_TARIFF 3u

/* Result status (docs/cloud.md 5.5). */
#define MS_LINK_ST_APPLIED     0u
#define MS_LINK_ST_BAD_SIG     1u
#define MS_LINK_ST_REPLAY      2u
#define MS_LINK_ST_WRONG_METER 3u
#define MS_LINK_ST_MALFORMED   4u
#define MS_LINK_ST_STORAGE     5u

typedef struct ms_link_reading {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint64_t seq;
    uint64_t time;              /* seconds since 1970-01-01 UTC, meter clock */
    uint64_t energy_wh;         /* cumulative import register */
    int64_t balance_milli;      /* prepaid balance, thousandths */
    uint64_t tariff_id;
} ms_link_reading_t;

typedef struct ms_link_event {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint64_t seq;
    uint64_t time;
    char kind[MS_LINK_KIND_MAX + 1];
    char detail[MS_LINK_DETAIL_MAX + 1];
} ms_link_event_t;

typedef struct ms_link_ack {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    size_t n;
    uint64_t seq[MS_LINK_ACK_MAX];
} ms_link_ack_t;

typedef struct ms_link_command {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint64_t cmd_seq;
    uint32_t type;              /* MS_LINK_CMD_* */
    uint64_t amount_milli;      /* top-up */
    bool connect;               /* relay */
    uint64_t tariff_id;         /* tariff */
    uint64_t price_milli_per_kwh;
} ms_link_command_t;

typedef struct ms_link_result {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint64_t result_seq;
    uint64_t cmd_seq;
    uint32_t status;            /* MS_LINK_ST_* */
    int64_t balance_milli;
} ms_link_result_t;

/* True when s (len bytes, no NUL needed) is a valid meter id. */
bool ms_link_meter_id_valid(const char *s, size_t len);

/* Payload encoders: MS_ERR_ARG (invalid field), MS_ERR_BUFFER_TOO_SMALL. */
ms_err_t ms_link_reading_encode(const ms_link_reading_t *r, uint8_t *out, size_t cap,
                                size_t *len);
ms_err_t ms_link_event_encode(const ms_link_event_t *ev, uint8_t *out, size_t cap, size_t *len);
ms_err_t ms_link_ack_encode(const ms_link_ack_t *a, uint8_t *out, size_t cap, size_t *len);
ms_err_t ms_link_command_encode(const ms_link_command_t *c, uint8_t *out, size_t cap,
                                size_t *len);
ms_err_t ms_link_result_encode(const ms_link_result_t *res, uint8_t *out, size_t cap,
                               size_t *len);

/* Payload decoders (outside data): MS_ERR_FORMAT, MS_ERR_TRUNCATED. */
ms_err_t ms_link_reading_decode(const uint8_t *p, size_t len, ms_link_reading_t *r);
ms_err_t ms_link_event_decode(const uint8_t *p, size_t len, ms_link_event_t *ev);
ms_err_t ms_link_ack_decode(const uint8_t *p, size_t len, ms_link_ack_t *a);
ms_err_t ms_link_command_decode(const uint8_t *p, size_t len, ms_link_command_t *c);
ms_err_t ms_link_result_decode(const uint8_t *p, size_t len, ms_link_result_t *res);

/*
 * Open a signed message: parse the COSE_Sign1 (at most MS_LINK_MSG_MAX
 * bytes), require the kid of pub (docs/cloud.md: the receiver checks the
 * kid names the expected signer), then the signature. m points into msg.
 * MS_ERR_FORMAT (too long, malformed, no or another kid), MS_ERR_SIGNATURE.
 */
ms_err_t ms_link_msg_open(const uint8_t *msg, size_t len, const ms_p256_pub_t *pub,
                          ms_cose_sign1_t *m);

/* Sign a payload into a COSE_Sign1 carrying pub's kid (pub: the signer's
 * public key, for the kid). MS_ERR_BUFFER_TOO_SMALL past MS_LINK_MSG_MAX. */
ms_err_t ms_link_msg_seal(const uint8_t *payload, size_t payload_len, const ms_p256_pub_t *pub,
                          ms_cose_sign_fn sign, void *sign_ctx, uint8_t *out, size_t cap,
                          size_t *out_len);

/* The same two with the signer's kid already computed (ms_cose_kid of
 * pub): a sender or receiver that handles many messages computes it once. */
ms_err_t ms_link_msg_open_kid(const uint8_t *msg, size_t len, const ms_p256_pub_t *pub,
                              const uint8_t kid[MS_COSE_KID_LEN], ms_cose_sign1_t *m);
ms_err_t ms_link_msg_seal_kid(const uint8_t *payload, size_t payload_len,
                              const uint8_t kid[MS_COSE_KID_LEN], ms_cose_sign_fn sign,
                              void *sign_ctx, uint8_t *out, size_t cap, size_t *out_len);

#endif /* MS_LINK_MSG_H */
