/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_link_update.c - the firmware update message decoders
 * (link_update.h: offer, chunk request, chunk, status) on arbitrary bytes.
 * The first byte picks the decoder; the rest is its input. Besides memory
 * safety it checks the decoders' promise: whatever they accept re-encodes
 * to exactly the input, and every bound holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meterseal/link_update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

static void same_bytes(ms_err_t enc, const uint8_t *buf, size_t n, const uint8_t *p, size_t len)
{
    CHECK(enc == MS_OK && n == len && memcmp(buf, p, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const uint8_t *p = data + 1;
    size_t len = size - 1;
    uint8_t buf[MS_LINK_CHUNK_MSG_MAX];
    size_t n = 0;
    switch (data[0] % 4) {
    case 0: {
        ms_link_offer_t o;
        if (ms_link_offer_decode(p, len, &o) == MS_OK) {
            CHECK(o.chunk_size >= 1 && o.chunk_size <= MS_LINK_CHUNK_MAX && o.image <= 1);
            ms_err_t e = ms_link_offer_encode(&o, buf, sizeof buf, &n);
            same_bytes(e, buf, n, p, len);
        }
        break;
    }
    case 1: {
        ms_link_chunk_req_t r;
        if (ms_link_chunk_req_decode(p, len, &r) == MS_OK) {
            CHECK(r.length >= 1 && r.length <= MS_LINK_CHUNK_MAX);
            ms_err_t e = ms_link_chunk_req_encode(&r, buf, sizeof buf, &n);
            same_bytes(e, buf, n, p, len);
        }
        break;
    }
    case 2: {
        ms_link_chunk_t c;
        if (ms_link_chunk_decode(p, len, &c) == MS_OK) {
            CHECK(c.len >= 1 && c.len <= MS_LINK_CHUNK_MAX && c.data >= p &&
                  c.data + c.len <= p + len);
            ms_err_t e = ms_link_chunk_encode(&c, buf, sizeof buf, &n);
            same_bytes(e, buf, n, p, len);
        }
        break;
    }
    default: {
        ms_link_upd_status_t s;
        if (ms_link_upd_status_decode(p, len, &s) == MS_OK) {
            CHECK(ms_link_upd_state_name(s.state) != NULL && s.result <= MS_LINK_UPD_R_MAX &&
                  strlen(s.reason) <= MS_LINK_UPD_REASON_MAX);
            ms_err_t e = ms_link_upd_status_encode(&s, buf, sizeof buf, &n);
            same_bytes(e, buf, n, p, len);
        }
        break;
    }
    }
    return 0;
}
