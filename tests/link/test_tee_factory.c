/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tee_factory.c - the factory line's session protocol
 * (tee_factory.h): the codecs round-trip and refuse short, long and
 * malformed payloads; the meter's side, over the real storage, key store
 * and attestation partitions, answers HELLO, makes a CSR and token the
 * manufacturer CA can issue a certificate for, installs what the station
 * sends, takes nothing more from the line once provisioned, and answers
 * every bad request with an ERROR naming the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/tee_attest.h"
#include "meterseal/tee_factory.h"
#include "meterseal/tee_link.h"
#include "meterseal/tee_storage.h"
#include "meterseal/tee_tls.h"
#include "pki.h"
#include "tee_test_util.h"

static tt_flash_t g_its, g_ps;
static uint8_t g_out[MS_FACTORY_PAYLOAD_MAX];

static void set_boot_record(void)
{
    static const char *const types[1] = { "SPE" };
    ms_image_measurement_t meas[1];
    uint8_t impl[32];
    memset(meas, 0, sizeof meas);
    memset(impl, 0x1d, sizeof impl);
    assert_int_equal(ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, meas, types, 1, impl, 0x2000u),
                     MS_OK);
}

static int setup(void **state)
{
    (void)state;
    if (tt_services_open(&g_its, &g_ps, 12, 0x42) != MS_OK) {
        return -1;
    }
    set_boot_record();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ms_tee_link_stop();
    tt_services_close(&g_its, &g_ps);
    return 0;
}

/* One request served; returns the reply type, the payload in g_out. */
static uint8_t serve(uint8_t type, const uint8_t *p, size_t len, size_t *out_len, bool *bye)
{
    uint8_t rt = 0;
    bool b = false;
    size_t n = 0;
    (void)ms_tee_factory_serve(type, p, len, false, g_out, sizeof g_out, &rt, &n, &b);
    if (out_len != NULL) {
        *out_len = n;
    }
    if (bye != NULL) {
        *bye = b;
    }
    return rt;
}

static void expect_error(uint8_t type, const uint8_t *p, size_t len, const char *name)
{
    size_t n = 0;
    assert_int_equal(serve(type, p, len, &n, NULL), MS_FACTORY_ERROR);
    assert_int_equal(n, strlen(name));
    assert_memory_equal(g_out, name, n);
}

static void header_and_codecs(void **state)
{
    (void)state;
    uint8_t h[MS_FACTORY_HDR_LEN], type = 0, buf[MS_FACTORY_PAYLOAD_MAX];
    size_t len = 0, n = 0;
    ms_factory_header_write(h, MS_FACTORY_INSTALL, 2222);
    assert_int_equal(ms_factory_header_parse(h, &type, &len), MS_OK);
    assert_int_equal(type, MS_FACTORY_INSTALL);
    assert_int_equal(len, 2222);
    ms_factory_header_write(h, MS_FACTORY_INSTALL, MS_FACTORY_PAYLOAD_MAX + 1);
    assert_int_equal(ms_factory_header_parse(h, &type, &len), MS_ERR_FORMAT);
    h[0] = 'X';
    assert_int_equal(ms_factory_header_parse(h, &type, &len), MS_ERR_BAD_MAGIC);

    /* the vector of docs/lifecycle.md: REQUEST for m-qemu-1, nonce 00..1f */
    static const uint8_t vector[] = {
        'M', 'F', 0x02, 0x29, 0x00, 0x08, 'm', '-', 'q', 'e', 'm', 'u', '-', '1',
        0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    };
    ms_factory_request_t vr = { .meter_id = "m-qemu-1" };
    for (int i = 0; i < 32; i++) {
        vr.nonce[i] = (uint8_t)i;
    }
    assert_int_equal(ms_factory_request_encode(&vr, buf + MS_FACTORY_HDR_LEN,
                                               sizeof buf - MS_FACTORY_HDR_LEN, &n), MS_OK);
    ms_factory_header_write(buf, MS_FACTORY_REQUEST, n);
    assert_int_equal(MS_FACTORY_HDR_LEN + n, sizeof vector);
    assert_memory_equal(buf, vector, sizeof vector);

    ms_factory_request_t rq = { .meter_id = "m-qemu-1" }, rq2;
    memset(rq.nonce, 0xA5, sizeof rq.nonce);
    assert_int_equal(ms_factory_request_encode(&rq, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(n, 1 + 8 + 32);
    assert_int_equal(ms_factory_request_decode(buf, n, &rq2), MS_OK);
    assert_string_equal(rq2.meter_id, "m-qemu-1");
    assert_memory_equal(rq2.nonce, rq.nonce, 32);
    for (size_t k = 0; k < n; k++) {   /* every truncation refused */
        assert_int_not_equal(ms_factory_request_decode(buf, k, &rq2), MS_OK);
    }
    buf[n] = 0;
    assert_int_equal(ms_factory_request_decode(buf, n + 1, &rq2), MS_ERR_FORMAT);   /* trailing */
    buf[3] = '_';   /* not a meter id character */
    assert_int_equal(ms_factory_request_decode(buf, n, &rq2), MS_ERR_FORMAT);
    buf[0] = 33;    /* longer than an id may be */
    assert_int_not_equal(ms_factory_request_decode(buf, n, &rq2), MS_OK);

    static const uint8_t cert[3] = { 0x30, 1, 0 }, ca[4] = { 0x30, 2, 0, 0 };
    ms_factory_install_t in = { .meter_id = "m-1", .cert = cert, .cert_len = sizeof cert,
                                .ca = ca, .ca_len = sizeof ca, .broker = "cloud:8883" }, in2;
    in.command_key.q[0] = 0x04;
    assert_int_equal(ms_factory_install_encode(&in, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_factory_install_decode(buf, n, &in2), MS_OK);
    assert_string_equal(in2.broker, "cloud:8883");
    assert_int_equal(in2.cert_len, 3);
    assert_memory_equal(in2.ca, ca, sizeof ca);
    for (size_t k = 0; k < n; k++) {
        assert_int_not_equal(ms_factory_install_decode(buf, k, &in2), MS_OK);
    }
    buf[n - MS_P256_PUB_LEN] = 0x02;   /* a compressed point */
    assert_int_equal(ms_factory_install_decode(buf, n, &in2), MS_ERR_FORMAT);

    ms_factory_info_t info = { .secured = true, .provisioned = true, .meter_id = "m-1" }, i2;
    assert_int_equal(ms_factory_info_encode(&info, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_factory_info_decode(buf, n, &i2), MS_OK);
    assert_true(i2.secured && i2.provisioned);
    buf[1] = 0;   /* "not provisioned" with an id */
    assert_int_equal(ms_factory_info_decode(buf, n, &i2), MS_ERR_FORMAT);
    assert_int_equal(ms_factory_info_encode(&info, buf, 5, &n), MS_ERR_BUFFER_TOO_SMALL);
}

static void session_provisions_the_meter(void **state)
{
    (void)state;
    uint8_t p[MS_FACTORY_PAYLOAD_MAX];
    size_t n = 0, len = 0;
    bool bye = false;

    /* HELLO on a blank meter */
    assert_int_equal(serve(MS_FACTORY_HELLO, NULL, 0, &n, NULL),
                     MS_FACTORY_HELLO | MS_FACTORY_REPLY);
    ms_factory_info_t info;
    assert_int_equal(ms_factory_info_decode(g_out, n, &info), MS_OK);
    assert_false(info.provisioned);
    assert_false(info.secured);

    /* REQUEST: a CSR for the TEE's identity key, a token, the IAK */
    ms_factory_request_t rq = { .meter_id = "m-qemu-1" };
    memset(rq.nonce, 0x3c, sizeof rq.nonce);
    assert_int_equal(ms_factory_request_encode(&rq, p, sizeof p, &len), MS_OK);
    assert_int_equal(serve(MS_FACTORY_REQUEST, p, len, &n, NULL),
                     MS_FACTORY_REQUEST | MS_FACTORY_REPLY);
    expect_error(MS_FACTORY_REQUEST, p, 7, "MS_ERR_TRUNCATED");
    assert_int_equal(serve(MS_FACTORY_REQUEST, p, len, &n, NULL),
                     MS_FACTORY_REQUEST | MS_FACTORY_REPLY);   /* again: the same key */
    ms_factory_csr_t csr;
    assert_int_equal(ms_factory_csr_decode(g_out, n, &csr), MS_OK);
    assert_true(csr.token_len > 100);
    uint8_t csr_der[600], cert[1024], ca[1024];
    memcpy(csr_der, csr.csr, csr.csr_len);
    pki_ca_t *mfr = pki_ca_new("Test Manufacturer CA"), *cloud = pki_ca_new("Test Cloud CA");
    size_t cert_len = pki_issue_csr(mfr, csr_der, csr.csr_len, PKI_CLIENT, -1, 365, cert,
                                    sizeof cert);
    size_t ca_len = pki_ca_cert_der(cloud, ca, sizeof ca);
    assert_true(cert_len > 0 && ca_len > 0);

    /* a certificate for another key is refused */
    ms_p256_priv_t cmd_priv;
    ms_factory_install_t in = { .meter_id = "m-qemu-1", .cert = ca, .cert_len = ca_len,
                                .ca = ca, .ca_len = ca_len, .broker = "localhost:8883" };
    assert_int_equal(ms_p256_keygen(&cmd_priv, &in.command_key), MS_OK);
    assert_int_equal(ms_factory_install_encode(&in, p, sizeof p, &len), MS_OK);
    expect_error(MS_FACTORY_INSTALL, p, len, "MS_ERR_KEY_MISMATCH");
    /* INSTALL, then HELLO tells the id */
    in.cert = cert;
    in.cert_len = cert_len;
    assert_int_equal(ms_factory_install_encode(&in, p, sizeof p, &len), MS_OK);
    assert_int_equal(serve(MS_FACTORY_INSTALL, p, len, &n, NULL),
                     MS_FACTORY_INSTALL | MS_FACTORY_REPLY);
    assert_int_equal(n, 0);
    assert_int_equal(serve(MS_FACTORY_HELLO, NULL, 0, &n, NULL),
                     MS_FACTORY_HELLO | MS_FACTORY_REPLY);
    assert_int_equal(ms_factory_info_decode(g_out, n, &info), MS_OK);
    assert_true(info.provisioned);
    assert_string_equal(info.meter_id, "m-qemu-1");

    /* provisioned: nothing more from the line, not even the same values
     * again (a re-pinned CA or broker would take the meter away) */
    expect_error(MS_FACTORY_INSTALL, p, len, "MS_ERR_STATE");
    assert_int_equal(ms_factory_request_encode(&rq, p, sizeof p, &len), MS_OK);
    expect_error(MS_FACTORY_REQUEST, p, len, "MS_ERR_STATE");
    /* malformed and unknown requests */
    expect_error(MS_FACTORY_HELLO, p, 1, "MS_ERR_FORMAT");
    expect_error(0x42, NULL, 0, "MS_ERR_UNSUPPORTED");
    assert_int_equal(serve(MS_FACTORY_BYE, NULL, 0, &n, &bye), MS_FACTORY_BYE | MS_FACTORY_REPLY);
    assert_true(bye);
    pki_ca_free(mfr);
    pki_ca_free(cloud);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_and_codecs),
        cmocka_unit_test(session_provisions_the_meter),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
