/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dispatch.c - the secure API boundary (M11): every pointer and length
 * checked against the caller's memory, unknown calls refused, reserved
 * objects and other partitions' keys out of reach, and the services
 * reachable through it with the documented vector layouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/crypto.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_cbor.h"
#include "meterseal/tee_dispatch.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "tee_hooks_host.h"
#include "tee_test_util.h"

static tt_flash_t g_its, g_ps;
static uint8_t g_ns[8192];          /* the Non-secure world's memory */
static uint8_t g_secure[64];        /* memory the NSPE must not name */
static ms_tee_caller_t g_nspe;

static int setup(void **state)
{
    (void)state;
    ms_tee_dispatch_set_check(NULL);
    memset(g_ns, 0, sizeof g_ns);
    memset(g_secure, 0x5e, sizeof g_secure);
    g_nspe.id = MS_TEE_PART_NSPE;
    g_nspe.mem_base = (uintptr_t)g_ns;
    g_nspe.mem_len = sizeof g_ns;
    ms_image_measurement_t meas;
    memset(&meas, 0, sizeof meas);
    const char *types[1] = { "SPE" };
    uint8_t impl[32] = { 0 };
    if (tt_services_open(&g_its, &g_ps, 4, 0x77) || ms_tee_keystore_provision(NULL, NULL) ||
        ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, &meas, types, 1, impl, 0x3000)) {
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tt_services_close(&g_its, &g_ps);
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

/* ITS set of uid with data placed in NS memory. */
static psa_status_t ns_its_set(uint64_t uid, const void *data, size_t len)
{
    uint8_t *hdr = g_ns, *buf = g_ns + 64;
    put_u64(hdr, uid);
    put_u32(hdr + 8, 0);
    memcpy(buf, data, len);
    ms_tee_invec_t in[2] = { { hdr, 12 }, { buf, len } };
    return ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, in, 2, NULL, 0);
}

static psa_status_t ns_get(uint32_t sid, uint64_t uid, uint8_t *out, size_t cap, size_t *n)
{
    uint8_t *hdr = g_ns + 16;
    put_u64(hdr, uid);
    put_u32(hdr + 8, 0);
    ms_tee_invec_t in[1] = { { hdr, 12 } };
    ms_tee_outvec_t o[1] = { { out, cap } };
    psa_status_t s = ms_tee_call(&g_nspe, sid, MS_TEE_STORAGE_GET, in, 1, o, 1);
    *n = o[0].len;
    return s;
}

static void test_storage_roundtrip_through_the_boundary(void **state)
{
    (void)state;
    size_t n = 0;
    assert_int_equal(ns_its_set(5, "hello", 5), PSA_SUCCESS);
    assert_int_equal(ns_get(MS_TEE_SID_ITS, 5, g_ns + 1024, 64, &n), PSA_SUCCESS);
    assert_int_equal(n, 5);
    assert_memory_equal(g_ns + 1024, "hello", 5);
    assert_int_equal(ns_get(MS_TEE_SID_PS, 5, g_ns + 1024, 64, &n), PSA_ERROR_DOES_NOT_EXIST);
}

/* PS create / set_extended / get_support through the boundary; ITS has none. */
static void test_ps_create_and_set_extended_through_the_boundary(void **state)
{
    (void)state;
    uint8_t *hdr = g_ns + 128, *data = g_ns + 256, *out = g_ns + 1024;
    size_t n = 0;
    struct psa_storage_info_t info;
    ms_tee_outvec_t sup[1] = { { out, 4 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_GET_SUPPORT, NULL, 0,
                                 sup, 1), PSA_SUCCESS);
    assert_int_equal(sup[0].len, 4);
    assert_int_equal(out[0], PSA_STORAGE_SUPPORT_SET_EXTENDED);
    put_u64(hdr, 30);
    put_u32(hdr + 8, 16);    /* capacity */
    put_u32(hdr + 12, 0);    /* flags */
    ms_tee_invec_t create[1] = { { hdr, 16 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_CREATE, create, 1,
                                 NULL, 0), PSA_SUCCESS);
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_CREATE, create, 1,
                                 NULL, 0), PSA_ERROR_ALREADY_EXISTS);
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_CREATE, create, 1,
                                 NULL, 0), PSA_ERROR_NOT_SUPPORTED);
    uint8_t *ext = g_ns + 160;
    put_u64(ext, 30);
    put_u32(ext + 8, 0);     /* offset */
    memcpy(data, "abcdefghijkl", 12);
    ms_tee_invec_t set_ext[2] = { { ext, 12 }, { data, 8 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_SET_EXTENDED, set_ext, 2,
                                 NULL, 0), PSA_SUCCESS);
    put_u32(ext + 8, 8);
    set_ext[1].base = data + 8;
    set_ext[1].len = 4;
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_SET_EXTENDED, set_ext, 2,
                                 NULL, 0), PSA_SUCCESS);
    set_ext[1].len = 9;      /* 8 + 9 > capacity 16 */
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_SET_EXTENDED, set_ext, 2,
                                 NULL, 0), PSA_ERROR_INVALID_ARGUMENT);
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET_EXTENDED, set_ext,
                                 2, NULL, 0), PSA_ERROR_NOT_SUPPORTED);
    assert_int_equal(ns_get(MS_TEE_SID_PS, 30, out, 64, &n), PSA_SUCCESS);
    assert_int_equal(n, 12);
    assert_memory_equal(out, "abcdefghijkl", 12);
    assert_int_equal(psa_ps_get_info(30, &info), PSA_SUCCESS);
    assert_int_equal(info.capacity, 16);
    assert_int_equal(info.size, 12);
    /* reserved uids and malformed vectors as for the other functions */
    put_u64(hdr, MS_TEE_UID_CLOUD_CRED);
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_CREATE, create, 1,
                                 NULL, 0), PSA_ERROR_NOT_PERMITTED);
    put_u64(hdr, 31);
    create[0].len = 12;
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_CREATE, create, 1,
                                 NULL, 0), PSA_ERROR_PROGRAMMER_ERROR);
    sup[0].len = 3;
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_GET_SUPPORT, NULL, 0,
                                 sup, 1), PSA_ERROR_PROGRAMMER_ERROR);
}

static void test_in_vector_outside_caller_memory_is_refused(void **state)
{
    (void)state;
    uint8_t hdr[12] = { 9 };   /* on the secure stack, not in g_ns */
    size_t n;
    ms_tee_invec_t in[2] = { { hdr, 12 }, { g_ns, 4 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, in, 2, NULL, 0),
                     PSA_ERROR_PROGRAMMER_ERROR);
    assert_int_equal(ns_get(MS_TEE_SID_ITS, 9, g_ns + 1024, 64, &n), PSA_ERROR_DOES_NOT_EXIST);
}

static void test_vector_straddling_the_region_end_is_refused(void **state)
{
    (void)state;
    ms_tee_invec_t in[2] = { { g_ns, 12 }, { g_ns + sizeof g_ns - 4, 5 } };
    put_u64(g_ns, 3);
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, in, 2, NULL, 0),
                     PSA_ERROR_PROGRAMMER_ERROR);
    in[1].len = 4;
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, in, 2, NULL, 0),
                     PSA_SUCCESS);
}

static void test_wrapping_pointer_is_refused(void **state)
{
    (void)state;
    ms_tee_invec_t in[2] = { { g_ns, 12 }, { (const void *)(UINTPTR_MAX - 3), 16 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, in, 2, NULL, 0),
                     PSA_ERROR_PROGRAMMER_ERROR);
}

static void test_out_vector_into_secure_memory_is_refused_and_untouched(void **state)
{
    (void)state;
    size_t n;
    assert_int_equal(ns_its_set(6, "abc", 3), PSA_SUCCESS);
    assert_int_equal(ns_get(MS_TEE_SID_ITS, 6, g_secure, sizeof g_secure, &n),
                     PSA_ERROR_PROGRAMMER_ERROR);
    for (size_t i = 0; i < sizeof g_secure; i++) {
        assert_int_equal(g_secure[i], 0x5e);
    }
}

static void test_counts_and_lengths_are_bounded(void **state)
{
    (void)state;
    ms_tee_invec_t in[5] = { { g_ns, 12 }, { g_ns, 1 }, { g_ns, 1 }, { g_ns, 1 }, { g_ns, 1 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, in, 5, NULL, 0),
                     PSA_ERROR_PROGRAMMER_ERROR);
    ms_tee_invec_t big[2] = { { g_ns, 12 }, { g_ns, MS_TEE_MAX_IOVEC_LEN + 1 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, big, 2, NULL, 0),
                     PSA_ERROR_PROGRAMMER_ERROR);
    ms_tee_invec_t null_with_len[2] = { { g_ns, 12 }, { NULL, 4 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, null_with_len, 2,
                                 NULL, 0), PSA_ERROR_PROGRAMMER_ERROR);
}

static void test_wrong_vector_shape_is_a_programmer_error(void **state)
{
    (void)state;
    ms_tee_invec_t in[1] = { { g_ns, 7 } };   /* uid needs 8 bytes + offset */
    ms_tee_outvec_t out[1] = { { g_ns + 100, 10 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_GET, in, 1, out, 1),
                     PSA_ERROR_PROGRAMMER_ERROR);
}

static void test_unknown_service_and_function_are_refused(void **state)
{
    (void)state;
    ms_tee_outvec_t out[1] = { { g_ns, 8 } };
    assert_int_equal(ms_tee_call(&g_nspe, 0x99, 1, NULL, 0, out, 1),
                     PSA_ERROR_CONNECTION_REFUSED);
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_RNG, 42, NULL, 0, out, 1),
                     PSA_ERROR_NOT_SUPPORTED);
    put_u64(g_ns + 32, 1);
    ms_tee_invec_t in[1] = { { g_ns + 32, 8 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, -3, in, 1, NULL, 0),
                     PSA_ERROR_NOT_SUPPORTED);
}

static void test_reserved_uids_are_out_of_reach_of_the_nspe(void **state)
{
    (void)state;
    size_t n;
    assert_int_equal(ms_tee_meter_add(10, 10, NULL), MS_OK);
    assert_int_equal(ns_get(MS_TEE_SID_PS, MS_TEE_UID_METER, g_ns + 1024, 64, &n),
                     PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ns_get(MS_TEE_SID_ITS, MS_TEE_UID_KEY_BASE + MS_TEE_KEY_IDENTITY,
                            g_ns + 1024, 64, &n), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ns_its_set(MS_TEE_UID_DEVICE_ID, "x", 1), PSA_ERROR_NOT_PERMITTED);
}

/* Key records are the key store's own: no partition reads or replaces them
 * as raw ITS objects through the boundary (M8), whatever its identity. */
static void test_key_records_are_out_of_reach_of_every_partition(void **state)
{
    (void)state;
    uint8_t *hdr = g_ns, *out = g_ns + 1024, *data = g_ns + 64;
    memset(out, 0xcc, 64);
    memset(data, 0x01, 44);
    put_u64(hdr, MS_TEE_UID_KEY_BASE + MS_TEE_KEY_IDENTITY);
    put_u32(hdr + 8, 0);
    for (int p = MS_TEE_PART_STORAGE; p < MS_TEE_PART_COUNT_; p++) {
        ms_tee_caller_t c = g_nspe;
        c.id = (ms_tee_partition_t)p;
        ms_tee_invec_t in[2] = { { hdr, 12 }, { data, 44 } };
        ms_tee_outvec_t o[1] = { { out, 64 } };
        assert_int_equal(ms_tee_call(&c, MS_TEE_SID_ITS, MS_TEE_STORAGE_GET, in, 1, o, 1),
                         PSA_ERROR_NOT_PERMITTED);
        assert_int_equal(o[0].len, 0);
        assert_int_equal(ms_tee_call(&c, MS_TEE_SID_ITS, MS_TEE_STORAGE_REMOVE, in, 1, NULL, 0),
                         PSA_ERROR_NOT_PERMITTED);
        put_u64(hdr, MS_TEE_UID_KEY_BASE + 77);
        assert_int_equal(ms_tee_call(&c, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, in, 2, NULL, 0),
                         PSA_ERROR_NOT_PERMITTED);
        put_u64(hdr, MS_TEE_UID_KEY_BASE + MS_TEE_KEY_IDENTITY);
    }
    for (size_t i = 0; i < 64; i++) {
        assert_int_equal(out[i], 0xcc);
    }
    /* the key store itself still works, and the secure uids below the key
     * range stay reachable for secure partitions */
    ms_p256_pub_t pub;
    assert_int_equal(ms_tee_key_export_public(MS_TEE_PART_CRYPTO, MS_TEE_KEY_IDENTITY, &pub),
                     MS_OK);
    ms_tee_caller_t boot = g_nspe;
    boot.id = MS_TEE_PART_BOOT;
    put_u64(hdr, MS_TEE_UID_DEVICE_ID);
    ms_tee_invec_t in[2] = { { hdr, 12 }, { data, 4 } };
    assert_int_equal(ms_tee_call(&boot, MS_TEE_SID_PS, MS_TEE_STORAGE_SET, in, 2, NULL, 0),
                     PSA_SUCCESS);
}

/* A P-256 application key the NSPE may sign with (id NS_APP_KEY). */
#define NS_APP_KEY 7u
static void make_ns_app_key(void)
{
    ms_tee_key_policy_t p = { MS_TEE_USE_SIGN, MS_TEE_PART_BIT(MS_TEE_PART_NSPE) |
                                                   MS_TEE_PART_BIT(MS_TEE_PART_CRYPTO) };
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_CRYPTO, NS_APP_KEY, MS_TEE_KEY_P256, 256, &p),
                     MS_OK);
}

static void test_sign_via_boundary_verifies_with_exported_key(void **state)
{
    (void)state;
    uint8_t *key = g_ns, *hash = g_ns + 8, *sig = g_ns + 64, *pub = g_ns + 200;
    make_ns_app_key();
    put_u32(key, NS_APP_KEY);
    memset(hash, 0x61, 32);
    ms_tee_invec_t in[2] = { { key, 4 }, { hash, 32 } };
    ms_tee_outvec_t out[1] = { { sig, 80 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_CRYPTO, MS_TEE_CRYPTO_SIGN, in, 2, out, 1),
                     PSA_SUCCESS);
    ms_tee_outvec_t pout[1] = { { pub, 65 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_CRYPTO, MS_TEE_CRYPTO_EXPORT, in, 1, pout,
                                 1), PSA_SUCCESS);
    assert_int_equal(pout[0].len, 65);
    ms_p256_pub_t p;
    memcpy(p.q, pub, 65);
    assert_int_equal(ms_p256_verify(&p, hash, sig, out[0].len), MS_OK);
}

static void test_nspe_cannot_use_the_image_key(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_tee_key_policy_t p = { MS_TEE_USE_ECDH, MS_TEE_PART_BIT(MS_TEE_PART_BOOT) };
    assert_int_equal(ms_p256_keygen(&priv, &pub), MS_OK);
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_BOOT, MS_TEE_KEY_IMAGE_DEC, MS_TEE_KEY_P256,
                                       priv.d, 32, &p), MS_OK);
    put_u32(g_ns, MS_TEE_KEY_IMAGE_DEC);
    memcpy(g_ns + 8, pub.q, 65);
    ms_tee_invec_t in[2] = { { g_ns, 4 }, { g_ns + 8, 65 } };
    ms_tee_outvec_t out[1] = { { g_ns + 100, 32 } };
    memset(g_ns + 100, 0xcc, 32);
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_CRYPTO, MS_TEE_CRYPTO_ECDH, in, 2, out, 1),
                     PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(out[0].len, 0);
    assert_int_equal(g_ns[100], 0xcc);
    /* the boot partition may */
    ms_tee_caller_t boot = g_nspe;
    boot.id = MS_TEE_PART_BOOT;
    out[0].len = 32;
    assert_int_equal(ms_tee_call(&boot, MS_TEE_SID_CRYPTO, MS_TEE_CRYPTO_ECDH, in, 2, out, 1),
                     PSA_SUCCESS);
}

static void test_attestation_token_through_the_boundary(void **state)
{
    (void)state;
    ms_p256_pub_t pub;
    ms_tee_attest_claims_t c;
    memset(g_ns, 0x4e, 32);
    ms_tee_invec_t in[1] = { { g_ns, 32 } };
    ms_tee_outvec_t out[1] = { { g_ns + 64, 1024 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ATTEST, MS_TEE_ATTEST_TOKEN, in, 1, out,
                                 1), PSA_SUCCESS);
    assert_int_equal(ms_tee_keystore_provision(NULL, &pub), MS_OK);
    assert_int_equal(ms_tee_attest_verify(g_ns + 64, out[0].len, &pub, g_ns, 32, &c), MS_OK);
    assert_int_equal(c.client_id, MS_TEE_PART_NSPE);
    /* the size query (psa_initial_attest_get_token_size) says as much */
    uint32_t nonce_size = 32, size = 0;
    memcpy(g_ns + 1200, &nonce_size, 4);
    ms_tee_invec_t sin[1] = { { g_ns + 1200, 4 } };
    ms_tee_outvec_t sout[1] = { { g_ns + 1208, 4 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ATTEST, MS_TEE_ATTEST_SIZE, sin, 1, sout,
                                 1), PSA_SUCCESS);
    memcpy(&size, g_ns + 1208, 4);
    assert_int_equal(size, out[0].len);
    /* a challenge size the PSA API does not allow */
    ms_tee_invec_t bad[1] = { { g_ns, 16 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ATTEST, MS_TEE_ATTEST_TOKEN, bad, 1, out,
                                 1), PSA_ERROR_INVALID_ARGUMENT);
}

/* ---- forging a token with the key store (M8/M11, review issue 4) ---------- */

/* The key a cloud verifier trusts for this device's attestation tokens: the
 * one published at provisioning for it (the IAK's public half). Checked
 * below against a genuine token. */
static void attestation_verifier_key(ms_p256_pub_t *pub)
{
    assert_int_equal(ms_tee_keystore_provision(NULL, pub), MS_OK);
}

/* DER ECDSA signature -> raw r || s, as COSE carries it. */
static void der_sig_to_raw(const uint8_t *der, size_t len, uint8_t raw[64])
{
    size_t pos = 2;
    assert_true(len >= 8 && der[0] == 0x30 && der[1] == len - 2);
    memset(raw, 0, 64);
    for (int k = 0; k < 2; k++) {
        assert_true(pos + 2 <= len && der[pos] == 0x02);
        size_t n = der[pos + 1];
        const uint8_t *p = der + pos + 2;
        pos += 2 + n;
        assert_true(pos <= len);
        while (n > 32 && *p == 0) {
            p++;
            n--;
        }
        assert_true(n <= 32);
        memcpy(raw + 32 * k + (32 - n), p, n);
    }
}

/* Claims the Non-secure world would like a verifier to believe: its own
 * instance id computed from the public key, a boot of firmware that never
 * ran (made-up measurement, version, security counter), the verifier's nonce. */
static size_t forged_claims(const ms_p256_pub_t *trusted, const uint8_t *nonce, size_t nonce_len,
                            uint8_t *out, size_t cap)
{
    uint8_t iid[33], meas[32], impl[32], seed[32];
    size_t n = 0;
    iid[0] = 0x01;
    assert_int_equal(ms_sha256(trusted->q, sizeof trusted->q, iid + 1), MS_OK);
    memset(meas, 0xee, sizeof meas);
    memset(impl, 0, sizeof impl);
    memset(seed, 0x5e, sizeof seed);
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, out, cap);
    ms_cbor_put_map(&e, 8);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_PROFILE);
    ms_cbor_put_tstr(&e, "http://arm.com/psa/2.0.0", 24);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_NONCE);
    ms_cbor_put_bstr(&e, nonce, nonce_len);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_INSTANCE_ID);
    ms_cbor_put_bstr(&e, iid, sizeof iid);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_CLIENT_ID);
    ms_cbor_put_int(&e, MS_TEE_PART_NSPE);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_LIFECYCLE);
    ms_cbor_put_uint(&e, MS_TEE_ATTEST_LIFECYCLE_SECURED);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_IMPL_ID);
    ms_cbor_put_bstr(&e, impl, sizeof impl);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_BOOT_SEED);
    ms_cbor_put_bstr(&e, seed, sizeof seed);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_COMPONENTS);
    ms_cbor_put_array(&e, 1);
    ms_cbor_put_map(&e, 4);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_TYPE);
    ms_cbor_put_tstr(&e, "SPE", 3);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_VALUE);
    ms_cbor_put_bstr(&e, meas, sizeof meas);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_VERSION);
    ms_cbor_put_tstr(&e, "9.9.9+9", 7);
    ms_cbor_put_int(&e, MS_TEE_CLAIM_SW_SEC_CNT);
    ms_cbor_put_uint(&e, 999);
    assert_int_equal(ms_cbor_enc_finish(&e, &n), MS_OK);
    return n;
}

/*
 * The Non-secure world builds a token itself: claims, the COSE Sig_structure
 * hash, and a signature from the key store through the dispatcher (CRYPTO
 * SIGN with key `key`). Returns the dispatcher's status; on success *tok
 * holds the assembled COSE_Sign1.
 */
static psa_status_t ns_forge_token(ms_tee_key_id_t key, const ms_p256_pub_t *trusted,
                                   const uint8_t *nonce, size_t nonce_len, uint8_t *tok,
                                   size_t cap, size_t *tok_len)
{
    static const uint8_t prot[3] = { 0xa1, 0x01, 0x26 };   /* { 1 (alg): -7 (ES256) } */
    uint8_t payload[512], tbs[600], raw[64];
    size_t plen = forged_claims(trusted, nonce, nonce_len, payload, sizeof payload), tlen = 0;
    ms_cbor_enc_t e;
    ms_cbor_enc_init(&e, tbs, sizeof tbs);
    ms_cbor_put_array(&e, 4);
    ms_cbor_put_tstr(&e, "Signature1", 10);
    ms_cbor_put_bstr(&e, prot, sizeof prot);
    ms_cbor_put_bstr(&e, NULL, 0);
    ms_cbor_put_bstr(&e, payload, plen);
    assert_int_equal(ms_cbor_enc_finish(&e, &tlen), MS_OK);

    uint8_t *k = g_ns + 2048, *hash = g_ns + 2056, *sig = g_ns + 2112;
    put_u32(k, key);
    assert_int_equal(ms_sha256(tbs, tlen, hash), MS_OK);
    memset(sig, 0xcc, 80);
    ms_tee_invec_t in[2] = { { k, 4 }, { hash, 32 } };
    ms_tee_outvec_t out[1] = { { sig, 80 } };
    psa_status_t s = ms_tee_call(&g_nspe, MS_TEE_SID_CRYPTO, MS_TEE_CRYPTO_SIGN, in, 2, out, 1);
    if (s != PSA_SUCCESS) {
        assert_int_equal(out[0].len, 0);
        assert_int_equal(sig[0], 0xcc);
        return s;
    }
    der_sig_to_raw(sig, out[0].len, raw);
    ms_cbor_enc_init(&e, tok, cap);
    ms_cbor_put_tag(&e, 18);
    ms_cbor_put_array(&e, 4);
    ms_cbor_put_bstr(&e, prot, sizeof prot);
    ms_cbor_put_map(&e, 0);
    ms_cbor_put_bstr(&e, payload, plen);
    ms_cbor_put_bstr(&e, raw, sizeof raw);
    assert_int_equal(ms_cbor_enc_finish(&e, tok_len), MS_OK);
    return s;
}

static void test_nspe_cannot_forge_an_attestation_token_with_the_key_store(void **state)
{
    (void)state;
    static const uint8_t nonce[32] = "cloud challenge";
    ms_p256_pub_t trusted;
    ms_tee_attest_claims_t c;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX];
    size_t n = 0;
    attestation_verifier_key(&trusted);
    /* the verifier's key is the right one: a genuine token verifies with it */
    memcpy(g_ns, nonce, sizeof nonce);
    ms_tee_invec_t ain[1] = { { g_ns, sizeof nonce } };
    ms_tee_outvec_t aout[1] = { { g_ns + 64, 1024 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_ATTEST, MS_TEE_ATTEST_TOKEN, ain, 1, aout,
                                 1), PSA_SUCCESS);
    assert_int_equal(ms_tee_attest_verify(g_ns + 64, aout[0].len, &trusted, nonce,
                                          sizeof nonce, &c), MS_OK);
    /* a key the NSPE may sign with signs no attestation token */
    make_ns_app_key();
    assert_int_equal(ns_forge_token(NS_APP_KEY, &trusted, nonce, sizeof nonce, tok,
                                    sizeof tok, &n), PSA_SUCCESS);
    assert_int_equal(ms_tee_attest_verify(tok, n, &trusted, nonce, sizeof nonce, &c),
                     MS_ERR_SIGNATURE);
    /* the identity key signs for the TEE's own messages only, not the NSPE */
    n = 0;
    assert_int_equal(ns_forge_token(MS_TEE_KEY_IDENTITY, &trusted, nonce, sizeof nonce, tok,
                                    sizeof tok, &n), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(n, 0);
    /* the key that does sign tokens is refused to the NSPE, as if absent */
    n = 0;
    assert_int_equal(ns_forge_token(MS_TEE_KEY_IAK, &trusted, nonce, sizeof nonce, tok,
                                    sizeof tok, &n), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(n, 0);
    assert_int_equal(ns_forge_token(999, &trusted, nonce, sizeof nonce, tok, sizeof tok, &n),
                     PSA_ERROR_NOT_PERMITTED);
}

/* Every partition but ATTEST is refused IAK signatures through the
 * boundary, whatever identity the caller has (M8, M11). */
static void test_iak_signs_for_no_caller_of_the_boundary(void **state)
{
    (void)state;
    uint8_t *k = g_ns, *hash = g_ns + 8, *sig = g_ns + 64;
    put_u32(k, MS_TEE_KEY_IAK);
    memset(hash, 0x33, 32);
    for (int p = MS_TEE_PART_NSPE; p < MS_TEE_PART_COUNT_; p++) {
        if (p == MS_TEE_PART_ATTEST) {
            continue;
        }
        ms_tee_caller_t c = g_nspe;
        c.id = (ms_tee_partition_t)p;
        ms_tee_invec_t in[2] = { { k, 4 }, { hash, 32 } };
        ms_tee_outvec_t out[1] = { { sig, 80 } };
        assert_int_equal(ms_tee_call(&c, MS_TEE_SID_CRYPTO, MS_TEE_CRYPTO_SIGN, in, 2, out, 1),
                         PSA_ERROR_NOT_PERMITTED);
        assert_int_equal(out[0].len, 0);
    }
}

static void test_meter_and_rng_through_the_boundary(void **state)
{
    (void)state;
    put_u64(g_ns, 250);
    put_u64(g_ns + 8, (uint64_t)500000);
    ms_tee_meter_reg_t r;
    /* the NSPE can no longer pass a balance change: the old form with a
     * balance delta is refused and changes nothing */
    ms_tee_invec_t old_in[1] = { { g_ns, 16 } };
    ms_tee_outvec_t out[1] = { { g_ns + 32, 24 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_METER, MS_TEE_METER_ADD, old_in, 1, out, 1),
                     PSA_ERROR_PROGRAMMER_ERROR);
    assert_int_equal(ms_tee_meter_read(&r), MS_OK);
    assert_int_equal(r.energy_wh, 0);
    assert_int_equal(r.balance_milli, 0);
    /* energy only; with no tariff set the balance does not move */
    ms_tee_invec_t in[1] = { { g_ns, 8 } };
    out[0].len = 24;
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_METER, MS_TEE_METER_ADD, in, 1, out, 1),
                     PSA_SUCCESS);
    assert_int_equal(ms_tee_meter_read(&r), MS_OK);
    assert_int_equal(r.energy_wh, 250);
    assert_int_equal(r.balance_milli, 0);
    assert_int_equal(g_ns[32], 250);
    ms_tee_outvec_t rnd[1] = { { g_ns + 100, 64 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_RNG, MS_TEE_RNG_GENERATE, NULL, 0, rnd, 1),
                     PSA_SUCCESS);
    assert_int_equal(rnd[0].len, 64);
    rnd[0].len = MS_TEE_RNG_MAX_REQUEST + 1;
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_RNG, MS_TEE_RNG_GENERATE, NULL, 0, rnd, 1),
                     PSA_ERROR_PROGRAMMER_ERROR);
}

static void test_message_form_decodes_into_checked_vectors(void **state)
{
    (void)state;
    uint8_t msg[12 + 8 * 2];
    size_t outs[MS_TEE_MAX_IOVEC];
    memcpy(g_ns + 100, "payload", 7);
    put_u64(g_ns + 200, 77);
    put_u32(g_ns + 208, 0);
    put_u32(msg, MS_TEE_SID_ITS);
    put_u32(msg + 4, MS_TEE_STORAGE_SET);
    msg[8] = 2;
    msg[9] = 0;
    msg[10] = msg[11] = 0;
    put_u32(msg + 12, 200);
    put_u32(msg + 16, 12);
    put_u32(msg + 20, 100);
    put_u32(msg + 24, 7);
    assert_int_equal(ms_tee_dispatch_message(&g_nspe, msg, sizeof msg, outs), PSA_SUCCESS);
    size_t n;
    assert_int_equal(ns_get(MS_TEE_SID_ITS, 77, g_ns + 1024, 64, &n), PSA_SUCCESS);
    assert_int_equal(n, 7);
    /* malformed forms */
    assert_int_equal(ms_tee_dispatch_message(&g_nspe, msg, sizeof msg - 1, outs),
                     PSA_ERROR_PROGRAMMER_ERROR);
    msg[10] = 1;
    assert_int_equal(ms_tee_dispatch_message(&g_nspe, msg, sizeof msg, outs),
                     PSA_ERROR_PROGRAMMER_ERROR);
    msg[10] = 0;
    put_u32(msg + 20, sizeof g_ns - 3);   /* past the region */
    assert_int_equal(ms_tee_dispatch_message(&g_nspe, msg, sizeof msg, outs),
                     PSA_ERROR_PROGRAMMER_ERROR);
    msg[8] = 5;
    assert_int_equal(ms_tee_dispatch_message(&g_nspe, msg, sizeof msg, outs),
                     PSA_ERROR_PROGRAMMER_ERROR);
}

static bool deny_writes(const ms_tee_caller_t *c, uintptr_t addr, size_t len, bool write)
{
    (void)c;
    (void)addr;
    (void)len;
    return !write;
}

static void test_platform_range_check_is_consulted(void **state)
{
    (void)state;
    size_t n;
    assert_int_equal(ns_its_set(8, "z", 1), PSA_SUCCESS);
    ms_tee_dispatch_set_check(deny_writes);
    assert_int_equal(ns_get(MS_TEE_SID_ITS, 8, g_ns + 1024, 8, &n), PSA_ERROR_PROGRAMMER_ERROR);
    ms_tee_dispatch_set_check(NULL);
    assert_int_equal(ns_get(MS_TEE_SID_ITS, 8, g_ns + 1024, 8, &n), PSA_SUCCESS);
}

/* A platform check that approves a vector and then, like a Non-secure
 * thread or DMA racing the secure call, rewrites the caller's vector
 * array: the out vector's base is aimed at secure memory, the in vector's
 * length is grown past the caller's region. */
static ms_tee_invec_t *g_race_in;
static ms_tee_outvec_t *g_race_out;

static bool racing_check(const ms_tee_caller_t *c, uintptr_t addr, size_t len, bool write)
{
    bool ok = len == 0 || (addr >= c->mem_base && c->mem_len >= len &&
                           addr - c->mem_base <= c->mem_len - len);
    if (ok && write && g_race_out != NULL && addr == (uintptr_t)g_race_out->base) {
        g_race_out->base = g_secure;
    }
    if (ok && !write && g_race_in != NULL && addr == (uintptr_t)g_race_in->base) {
        g_race_in->len += 12;
    }
    return ok;
}

static void test_out_vector_rewritten_after_its_check_cannot_aim_at_secure_memory(void **state)
{
    (void)state;
    uint8_t before[sizeof g_secure];
    memcpy(before, g_secure, sizeof before);
    ms_tee_outvec_t o[1] = { { g_ns + 1024, 32 } };
    g_race_out = &o[0];
    ms_tee_dispatch_set_check(racing_check);
    psa_status_t s = ms_tee_call(&g_nspe, MS_TEE_SID_RNG, MS_TEE_RNG_GENERATE, NULL, 0, o, 1);
    ms_tee_dispatch_set_check(NULL);
    g_race_out = NULL;
    assert_int_equal(s, PSA_SUCCESS);
    assert_memory_equal(g_secure, before, sizeof before);
    assert_int_equal(o[0].len, 32);
}

static void test_in_vector_grown_after_its_check_is_read_only_as_checked(void **state)
{
    (void)state;
    struct psa_storage_info_t info;
    /* the caller owns the first 4 KiB of g_ns only; its data ends there */
    g_nspe.mem_len = 4096;
    uint8_t *hdr = g_ns, *data = g_ns + 4096 - 4;
    put_u64(hdr, 21);
    put_u32(hdr + 8, 0);
    memcpy(data, "abcd", 4);
    ms_tee_invec_t in[2] = { { hdr, 12 }, { data, 4 } };
    g_race_in = &in[1];
    ms_tee_dispatch_set_check(racing_check);
    psa_status_t s = ms_tee_call(&g_nspe, MS_TEE_SID_ITS, MS_TEE_STORAGE_SET, in, 2, NULL, 0);
    ms_tee_dispatch_set_check(NULL);
    g_race_in = NULL;
    g_nspe.mem_len = sizeof g_ns;
    assert_int_equal(s, PSA_SUCCESS);
    assert_int_equal(psa_its_get_info(21, &info), PSA_SUCCESS);
    assert_int_equal(info.size, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(test_storage_roundtrip_through_the_boundary),
        T_(test_ps_create_and_set_extended_through_the_boundary),
        T_(test_in_vector_outside_caller_memory_is_refused),
        T_(test_vector_straddling_the_region_end_is_refused),
        T_(test_wrapping_pointer_is_refused),
        T_(test_out_vector_into_secure_memory_is_refused_and_untouched),
        T_(test_counts_and_lengths_are_bounded),
        T_(test_wrong_vector_shape_is_a_programmer_error),
        T_(test_unknown_service_and_function_are_refused),
        T_(test_reserved_uids_are_out_of_reach_of_the_nspe),
        T_(test_key_records_are_out_of_reach_of_every_partition),
        T_(test_sign_via_boundary_verifies_with_exported_key),
        T_(test_nspe_cannot_use_the_image_key),
        T_(test_attestation_token_through_the_boundary),
        T_(test_nspe_cannot_forge_an_attestation_token_with_the_key_store),
        T_(test_iak_signs_for_no_caller_of_the_boundary),
        T_(test_meter_and_rng_through_the_boundary),
        T_(test_message_form_decodes_into_checked_vectors),
        T_(test_platform_range_check_is_consulted),
        T_(test_out_vector_rewritten_after_its_check_cannot_aim_at_secure_memory),
        T_(test_in_vector_grown_after_its_check_is_read_only_as_checked),
#undef T_
    };
    return cmocka_run_group_tests_name("tee_dispatch", tests, NULL, NULL);
}
