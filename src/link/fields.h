/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fields.h - what the channel's message codecs share (msg.c: readings,
 * events, acks, commands, results; update_msg.c: the update messages):
 * bounded field readers and writers over the CBOR codec, and the final
 * "deterministic encoding only" check. Internal to src/link.
 *
 * Invariants: readers stay inside the decoder's buffer, bound every string
 * (printable ASCII only) and number; ms_link_f_canonical accepts an input
 * only if it was read whole and is byte for byte what the encoder makes of
 * the decoded value.
 */
#ifndef MS_LINK_FIELDS_H
#define MS_LINK_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/link_msg.h"
#include "meterseal/tee_cbor.h"

#define MS_LINK_F_ENCODED_MAX 1056u   /* the largest message re-encoded (a chunk) */

typedef ms_err_t (*ms_link_f_encode_fn)(const void *v, uint8_t *out, size_t cap, size_t *len);

bool ms_link_f_printable(const char *s, size_t len);
size_t ms_link_f_text_len(const char *s, size_t max_plus_one);
bool ms_link_f_meter_id_ok(const char *id);
void ms_link_f_put_meter_id(ms_cbor_enc_t *e, const char *id);
ms_err_t ms_link_f_expect_key(ms_cbor_dec_t *d, uint64_t want);
/* An array or map (major) of exactly n items. */
ms_err_t ms_link_f_expect_len(ms_cbor_dec_t *d, uint8_t major, uint64_t n);
ms_err_t ms_link_f_expect_map(ms_cbor_dec_t *d, uint64_t n);
ms_err_t ms_link_f_get_text(ms_cbor_dec_t *d, char *out, size_t max);
ms_err_t ms_link_f_get_meter_id(ms_cbor_dec_t *d, char out[MS_LINK_METER_ID_MAX + 1]);
ms_err_t ms_link_f_get_keyed_uint(ms_cbor_dec_t *d, uint64_t key, uint64_t *v);
ms_err_t ms_link_f_get_keyed_u32(ms_cbor_dec_t *d, uint64_t key, uint32_t *v);
ms_err_t ms_link_f_get_keyed_int(ms_cbor_dec_t *d, uint64_t key, int64_t *v);
ms_err_t ms_link_f_canonical(const ms_cbor_dec_t *d, ms_link_f_encode_fn enc, const void *v,
                             const uint8_t *p, size_t len, size_t max);

#endif /* MS_LINK_FIELDS_H */
