/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_cbor.h - a small bounded CBOR (RFC 8949) encoder and decoder for the
 * COSE_Sign1 envelope (RFC 9052, tee_cose.h) and what it carries: the
 * attestation token and the meter's cloud messages (link_msg.h).
 *
 * Encoder: writes into a caller buffer; an overflow is remembered and
 * reported once by ms_cbor_enc_finish(), so call sites stay flat.
 * Decoder: reads one data item head at a time from (buf, len), never past
 * len. Definite lengths only; major types 0..6 and the simple values
 * false/true/null. No floats, no indefinite lengths (rejected as
 * MS_ERR_FORMAT). Nesting for skip is bounded by MS_CBOR_MAX_DEPTH.
 */
#ifndef MS_TEE_CBOR_H
#define MS_TEE_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"

#define MS_CBOR_UINT   0u
#define MS_CBOR_NINT   1u
#define MS_CBOR_BSTR   2u
#define MS_CBOR_TSTR   3u
#define MS_CBOR_ARRAY  4u
#define MS_CBOR_MAP    5u
#define MS_CBOR_TAG    6u
#define MS_CBOR_SIMPLE 7u

#define MS_CBOR_MAX_DEPTH 8

typedef struct ms_cbor_enc {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
} ms_cbor_enc_t;

void ms_cbor_enc_init(ms_cbor_enc_t *e, uint8_t *buf, size_t cap);
void ms_cbor_put_uint(ms_cbor_enc_t *e, uint64_t v);
void ms_cbor_put_int(ms_cbor_enc_t *e, int64_t v);
void ms_cbor_put_bstr(ms_cbor_enc_t *e, const uint8_t *p, size_t n);
void ms_cbor_put_tstr(ms_cbor_enc_t *e, const char *s, size_t n);
/* Only the head of a byte string of n bytes (contents written or hashed apart). */
void ms_cbor_put_bstr_head(ms_cbor_enc_t *e, uint64_t n);
void ms_cbor_put_array(ms_cbor_enc_t *e, uint64_t n);
void ms_cbor_put_map(ms_cbor_enc_t *e, uint64_t n);
void ms_cbor_put_tag(ms_cbor_enc_t *e, uint64_t tag);
/* The simple values false (0xf4) and true (0xf5). */
void ms_cbor_put_bool(ms_cbor_enc_t *e, bool v);
/* Bytes written, or MS_ERR_BUFFER_TOO_SMALL if anything did not fit. */
ms_err_t ms_cbor_enc_finish(const ms_cbor_enc_t *e, size_t *len);

typedef struct ms_cbor_dec {
    const uint8_t *buf;
    size_t len;
    size_t pos;
} ms_cbor_dec_t;

typedef struct ms_cbor_item {
    uint8_t major;
    uint64_t val;          /* uint value, nint argument, length, count, tag, simple */
    const uint8_t *data;   /* bstr/tstr contents (val bytes) */
} ms_cbor_item_t;

void ms_cbor_dec_init(ms_cbor_dec_t *d, const uint8_t *buf, size_t len);
/* Next item head (and a string's contents). MS_ERR_TRUNCATED, MS_ERR_FORMAT. */
ms_err_t ms_cbor_next(ms_cbor_dec_t *d, ms_cbor_item_t *it);
/* Skip one whole item including nested ones. */
ms_err_t ms_cbor_skip(ms_cbor_dec_t *d);
/* An unsigned integer (major 0). */
ms_err_t ms_cbor_get_uint(ms_cbor_dec_t *d, uint64_t *v);
/* false or true (MS_ERR_FORMAT for anything else, null included). */
ms_err_t ms_cbor_get_bool(ms_cbor_dec_t *d, bool *v);
/* An integer (major 0 or 1) that fits int64_t. */
ms_err_t ms_cbor_get_int(ms_cbor_dec_t *d, int64_t *v);
/* A byte string / text string (contents point into the buffer). */
ms_err_t ms_cbor_get_bstr(ms_cbor_dec_t *d, const uint8_t **p, size_t *n);
ms_err_t ms_cbor_get_tstr(ms_cbor_dec_t *d, const char **p, size_t *n);
/* A text string of at most max bytes copied into out[max + 1], NUL added;
 * *len (may be NULL) gets its length (it may hold a NUL of its own).
 * Longer: MS_ERR_FORMAT. */
ms_err_t ms_cbor_get_text(ms_cbor_dec_t *d, char *out, size_t max, size_t *len);
/* Item with this major type; *count gets the length/count/value. */
ms_err_t ms_cbor_expect(ms_cbor_dec_t *d, uint8_t major, uint64_t *count);

#endif /* MS_TEE_CBOR_H */
