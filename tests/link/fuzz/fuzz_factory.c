/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_factory.c - the factory session's decoders (tee_factory.h: header,
 * INFO, REQUEST, CSR, INSTALL) on arbitrary bytes. The first byte picks
 * the decoder; the rest is its input. Besides memory safety it checks the
 * decoders' promise: whatever they accept re-encodes to exactly the input,
 * and decoded byte strings lie inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meterseal/tee_factory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

static void same_bytes(ms_err_t enc, const uint8_t *buf, size_t n, const uint8_t *p, size_t len)
{
    CHECK(enc == MS_OK && n == len && memcmp(buf, p, len) == 0);
}

static int inside(const uint8_t *s, size_t n, const uint8_t *p, size_t len)
{
    return s >= p && n <= len && s + n <= p + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const uint8_t *p = data + 1;
    size_t len = size - 1;
    static uint8_t buf[MS_FACTORY_FRAME_MAX];
    size_t n = 0;
    switch (data[0] % 5) {
    case 0: {
        uint8_t type = 0;
        size_t plen = 0;
        if (len >= MS_FACTORY_HDR_LEN && ms_factory_header_parse(p, &type, &plen) == MS_OK) {
            CHECK(plen <= MS_FACTORY_PAYLOAD_MAX);
            ms_factory_header_write(buf, type, plen);
            CHECK(memcmp(buf, p, MS_FACTORY_HDR_LEN) == 0);
        }
        break;
    }
    case 1: {
        ms_factory_info_t m;
        if (ms_factory_info_decode(p, len, &m) == MS_OK) {
            ms_err_t e = ms_factory_info_encode(&m, buf, sizeof buf, &n);
            same_bytes(e, buf, n, p, len);
        }
        break;
    }
    case 2: {
        ms_factory_request_t m;
        if (ms_factory_request_decode(p, len, &m) == MS_OK) {
            CHECK(ms_link_meter_id_valid(m.meter_id, strlen(m.meter_id)));
            ms_err_t e = ms_factory_request_encode(&m, buf, sizeof buf, &n);
            same_bytes(e, buf, n, p, len);
        }
        break;
    }
    case 3: {
        ms_factory_csr_t m;
        if (ms_factory_csr_decode(p, len, &m) == MS_OK) {
            CHECK(inside(m.csr, m.csr_len, p, len) && inside(m.token, m.token_len, p, len));
            ms_err_t e = ms_factory_csr_encode(&m, buf, sizeof buf, &n);
            same_bytes(e, buf, n, p, len);
        }
        break;
    }
    default: {
        ms_factory_install_t m;
        if (ms_factory_install_decode(p, len, &m) == MS_OK) {
            CHECK(inside(m.cert, m.cert_len, p, len) && inside(m.ca, m.ca_len, p, len));
            CHECK(m.cert_len <= MS_TEE_LINK_CERT_MAX && m.ca_len <= MS_TEE_LINK_CERT_MAX);
            ms_err_t e = ms_factory_install_encode(&m, buf, sizeof buf, &n);
            same_bytes(e, buf, n, p, len);
        }
        break;
    }
    }
    return 0;
}
