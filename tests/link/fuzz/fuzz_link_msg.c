/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_link_msg.c - the decoders of the signed cloud messages (link_msg.h)
 * and the COSE_Sign1 parser (tee_cose.h) on arbitrary bytes. The first byte
 * picks the decoder; the rest is its input. Besides memory safety, it
 * checks the decoders' promise: whatever they accept re-encodes to exactly
 * the input (one byte form per value).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meterseal/link_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

/* What a decoder accepted re-encodes to exactly its input. */
static void same_bytes(ms_err_t enc, const uint8_t *buf, const size_t *n, const uint8_t *p,
                       size_t len)
{
    CHECK(enc == MS_OK && *n == len && memcmp(buf, p, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const uint8_t *p = data + 1;
    size_t len = size - 1;
    uint8_t buf[MS_LINK_MSG_MAX];
    size_t n = 0;
    switch (data[0] % 6) {
    case 0: {
        ms_link_reading_t r;
        if (ms_link_reading_decode(p, len, &r) == MS_OK) {
            ms_err_t e = ms_link_reading_encode(&r, buf, sizeof buf, &n);
            same_bytes(e, buf, &n, p, len);
        }
        break;
    }
    case 1: {
        ms_link_event_t ev;
        if (ms_link_event_decode(p, len, &ev) == MS_OK) {
            ms_err_t e = ms_link_event_encode(&ev, buf, sizeof buf, &n);
            same_bytes(e, buf, &n, p, len);
        }
        break;
    }
    case 2: {
        ms_link_ack_t a;
        if (ms_link_ack_decode(p, len, &a) == MS_OK) {
            ms_err_t e = ms_link_ack_encode(&a, buf, sizeof buf, &n);
            same_bytes(e, buf, &n, p, len);
        }
        break;
    }
    case 3: {
        ms_link_command_t c;
        if (ms_link_command_decode(p, len, &c) == MS_OK) {
            ms_err_t e = ms_link_command_encode(&c, buf, sizeof buf, &n);
            same_bytes(e, buf, &n, p, len);
        }
        break;
    }
    case 4: {
        ms_link_result_t res;
        if (ms_link_result_decode(p, len, &res) == MS_OK) {
            ms_err_t e = ms_link_result_encode(&res, buf, sizeof buf, &n);
            same_bytes(e, buf, &n, p, len);
        }
        break;
    }
    default: {
        ms_cose_sign1_t m;
        if (ms_cose_sign1_parse(p, len, &m) == MS_OK) {
            CHECK(m.payload + m.payload_len <= p + len && m.sig + 64 <= p + len);
            CHECK(m.kid == NULL || m.kid_len <= MS_COSE_KID_MAX);
            /* any payload it carries goes through every decoder too */
            ms_link_command_t c;
            ms_link_ack_t a;
            (void)ms_link_command_decode(m.payload, m.payload_len, &c);
            (void)ms_link_ack_decode(m.payload, m.payload_len, &a);
        }
        break;
    }
    }
    return 0;
}
