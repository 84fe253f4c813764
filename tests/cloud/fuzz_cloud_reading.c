/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cloud_reading.c - fuzz target for what the cloud parses out of an
 * MQTT payload (docs/cloud.md §5): the COSE_Sign1 envelope, then each
 * payload decoder on the envelope's payload and on the raw input. With a
 * fixed key the signature check runs too (it must reject, never crash).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cose_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_all(const uint8_t *p, size_t n)
{
    ms_msg_reading_t r;
    ms_msg_event_t e;
    ms_msg_result_t res;
    ms_msg_command_t c;
    char id[MS_MSG_ID_MAX + 1];
    uint64_t seqs[MS_MSG_ACK_MAX];
    size_t k = 0;
    (void)ms_msg_reading_decode(p, n, &r);
    (void)ms_msg_event_decode(p, n, &e);
    (void)ms_msg_result_decode(p, n, &res);
    (void)ms_msg_command_decode(p, n, &c);
    (void)ms_msg_ack_decode(p, n, id, seqs, &k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a fixed point on the curve (the generator) as the "meter key" */
    static const ms_p256_pub_t g = { {
        0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63,
        0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39,
        0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e,
        0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e,
        0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
    } };
    ms_cose_sign1_t m;
    if (ms_cose_parse(data, size, &m) == MS_OK) {
        (void)ms_cose_verify(&m, &g);
        decode_all(m.payload, m.payload_len);
    }
    decode_all(data, size);
    return 0;
}
