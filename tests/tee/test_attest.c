/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_attest.c - initial attestation: a COSE_Sign1 token over the boot
 * measurements, instance id, security counters and the verifier's nonce,
 * signed by the TEE's Initial Attestation Key (IAK); the verifier accepts
 * exactly that and refuses any change, and a token is never signed with the
 * identity key.
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
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "tee_hooks_host.h"
#include "tee_test_util.h"

static tt_flash_t g_its, g_ps;
static ms_p256_pub_t g_pub;        /* the IAK's public half: what verifiers trust */
static ms_p256_pub_t g_identity;   /* the identity key's: not an attestation key */
static ms_image_measurement_t g_meas[2];
static const char *const g_types[2] = { "SPE", "NSPE" };
static const uint8_t g_nonce[32] = "verifier challenge 0123456789ab";
static uint8_t g_impl[32];

static int setup(void **state)
{
    (void)state;
    if (tt_services_open(&g_its, &g_ps, 2, 0x3a) ||
        ms_tee_keystore_provision(&g_identity, &g_pub)) {
        return -1;
    }
    memset(g_meas, 0, sizeof g_meas);
    memset(g_meas[0].hash, 0x11, 32);
    g_meas[0].version = (ms_image_version_t){ 1, 2, 3, 4 };
    g_meas[0].has_sec_cnt = true;
    g_meas[0].sec_cnt = 7;
    g_meas[0].has_signer_id = true;
    memset(g_meas[0].signer_id, 0x5e, 32);
    memset(g_meas[1].hash, 0x22, 32);
    g_meas[1].version = (ms_image_version_t){ 0, 9, 65535, 4000000000u };
    memset(g_impl, 0xab, sizeof g_impl);
    return ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, g_meas, g_types, 2, g_impl,
                                         MS_TEE_ATTEST_LIFECYCLE_SECURED) == MS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tt_services_close(&g_its, &g_ps);
    return 0;
}

static size_t make_token(uint8_t *tok, size_t cap)
{
    size_t n = 0;
    assert_int_equal(ms_tee_attest_get_token(MS_TEE_PART_NSPE, g_nonce, sizeof g_nonce, tok,
                                             cap, &n), MS_OK);
    return n;
}

static void test_token_verifies_and_carries_the_claims(void **state)
{
    (void)state;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX];
    ms_tee_attest_claims_t c;
    size_t n = make_token(tok, sizeof tok);
    assert_int_equal(tok[0], 0xd2);   /* tag 18: COSE_Sign1 */
    assert_int_equal(tok[1], 0x84);
    assert_int_equal(ms_tee_attest_verify(tok, n, &g_pub, g_nonce, sizeof g_nonce, &c), MS_OK);
    assert_int_equal(c.nonce_len, 32);
    assert_memory_equal(c.nonce, g_nonce, 32);
    assert_int_equal(c.client_id, MS_TEE_PART_NSPE);
    assert_int_equal(c.lifecycle, MS_TEE_ATTEST_LIFECYCLE_SECURED);
    assert_memory_equal(c.implementation_id, g_impl, 32);
    assert_int_equal(c.instance_id[0], 0x01);
    assert_int_equal(c.n_sw, 2);
    assert_string_equal(c.sw[0].type, "SPE");
    assert_memory_equal(c.sw[0].measurement, g_meas[0].hash, 32);
    assert_string_equal(c.sw[0].version, "1.2.3+4");
    assert_true(c.sw[0].has_sec_cnt);
    assert_int_equal(c.sw[0].sec_cnt, 7);
    assert_true(c.sw[0].has_signer_id);   /* PSA profile 2: the signer ID, key 5 */
    assert_memory_equal(c.sw[0].signer_id, g_meas[0].signer_id, 32);
    assert_string_equal(c.sw[1].type, "NSPE");
    assert_string_equal(c.sw[1].version, "0.9.65535+4000000000");
    assert_false(c.sw[1].has_sec_cnt);
    assert_false(c.sw[1].has_signer_id);
}

static void test_wrong_nonce_is_refused(void **state)
{
    (void)state;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX], other[32];
    ms_tee_attest_claims_t c;
    size_t n = make_token(tok, sizeof tok);
    memcpy(other, g_nonce, 32);
    other[5] ^= 1;
    assert_int_equal(ms_tee_attest_verify(tok, n, &g_pub, other, 32, &c), MS_ERR_AUTH);
}

static void test_other_device_key_is_refused(void **state)
{
    (void)state;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX];
    ms_tee_attest_claims_t c;
    ms_p256_priv_t priv;
    ms_p256_pub_t other;
    size_t n = make_token(tok, sizeof tok);
    assert_int_equal(ms_p256_keygen(&priv, &other), MS_OK);
    assert_int_equal(ms_tee_attest_verify(tok, n, &other, g_nonce, 32, &c), MS_ERR_SIGNATURE);
}

/* Tokens are the IAK's: the identity key (which the NSPE may use to sign
 * any hash) neither signs nor names them. */
static void test_token_is_signed_with_the_iak_not_the_identity_key(void **state)
{
    (void)state;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX], iid[33];
    ms_tee_attest_claims_t c;
    ms_p256_pub_t exported;
    size_t n = make_token(tok, sizeof tok);
    assert_memory_not_equal(g_identity.q, g_pub.q, sizeof g_pub.q);
    assert_int_equal(ms_tee_attest_verify(tok, n, &g_identity, g_nonce, 32, &c),
                     MS_ERR_SIGNATURE);
    assert_int_equal(ms_tee_attest_verify(tok, n, &g_pub, g_nonce, 32, &c), MS_OK);
    iid[0] = 0x01;
    assert_int_equal(ms_sha256(g_pub.q, sizeof g_pub.q, iid + 1), MS_OK);
    assert_memory_equal(c.instance_id, iid, sizeof iid);
    /* the attestation partition's own export gives the same IAK */
    assert_int_equal(ms_tee_key_export_public(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, &exported),
                     MS_OK);
    assert_memory_equal(exported.q, g_pub.q, sizeof g_pub.q);
}

static void test_every_bit_flip_is_refused(void **state)
{
    (void)state;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX];
    ms_tee_attest_claims_t c;
    size_t n = make_token(tok, sizeof tok);
    for (size_t i = 0; i < n * 8; i += 3) {
        tok[i / 8] ^= (uint8_t)(1u << (i % 8));
        ms_err_t err = ms_tee_attest_verify(tok, n, &g_pub, g_nonce, 32, &c);
        if (err == MS_OK) {
            fail_msg("flip of bit %zu accepted", i);
        }
        tok[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    assert_int_equal(ms_tee_attest_verify(tok, n, &g_pub, g_nonce, 32, &c), MS_OK);
}

static void test_truncated_or_extended_token_is_refused(void **state)
{
    (void)state;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX + 1];
    ms_tee_attest_claims_t c;
    size_t n = make_token(tok, sizeof tok - 1);
    for (size_t k = 0; k < n; k++) {
        assert_int_not_equal(ms_tee_attest_verify(tok, k, &g_pub, NULL, 0, &c), MS_OK);
    }
    tok[n] = 0;
    assert_int_equal(ms_tee_attest_verify(tok, n + 1, &g_pub, NULL, 0, &c), MS_ERR_FORMAT);
}

static void test_repeated_tokens_carry_the_same_claims(void **state)
{
    (void)state;
    uint8_t a[MS_TEE_ATTEST_TOKEN_MAX], b[MS_TEE_ATTEST_TOKEN_MAX];
    ms_tee_attest_claims_t c;
    size_t na = make_token(a, sizeof a), nb = make_token(b, sizeof b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na - 64);   /* everything but the signature */
    assert_int_equal(ms_tee_attest_verify(b, nb, &g_pub, g_nonce, 32, &c), MS_OK);
}

/* PSA Attestation API: challenges of 32, 48 or 64 bytes only; an empty
 * token buffer is an invalid argument. */
static void test_nonce_length_bounds(void **state)
{
    (void)state;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX], nonce[65] = { 0 };
    size_t n;
    static const size_t refused[] = { 0, 7, 8, 31, 33, 47, 49, 63, 65 };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(ms_tee_attest_get_token(MS_TEE_PART_NSPE, nonce, refused[i], tok,
                                                 sizeof tok, &n), MS_ERR_ARG);
        assert_int_equal(ms_tee_attest_get_token_size(MS_TEE_PART_NSPE, refused[i], &n),
                         MS_ERR_ARG);
    }
    for (size_t len = 32; len <= 64; len += 16) {
        assert_int_equal(ms_tee_attest_get_token(MS_TEE_PART_NSPE, nonce, len, tok, sizeof tok,
                                                 &n), MS_OK);
    }
    assert_int_equal(ms_tee_attest_get_token(MS_TEE_PART_NSPE, nonce, 32, tok, 0, &n),
                     MS_ERR_ARG);
}

/* psa_initial_attest_get_token_size: exactly what get_token then writes. */
static void test_token_size_is_exact(void **state)
{
    (void)state;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX], nonce[64];
    memset(nonce, 0xc3, sizeof nonce);
    for (size_t len = 32; len <= 64; len += 16) {
        size_t size = 0, n = 0;
        assert_int_equal(ms_tee_attest_get_token_size(MS_TEE_PART_NSPE, len, &size), MS_OK);
        assert_int_equal(ms_tee_attest_get_token(MS_TEE_PART_NSPE, nonce, len, tok, sizeof tok,
                                                 &n), MS_OK);
        assert_int_equal(size, n);
        /* one byte less does not fit */
        assert_int_equal(ms_tee_attest_get_token(MS_TEE_PART_NSPE, nonce, len, tok, size - 1,
                                                 &n), MS_ERR_BUFFER_TOO_SMALL);
    }
}

static void test_small_output_buffer_is_reported(void **state)
{
    (void)state;
    uint8_t tok[100];
    size_t n;
    assert_int_equal(ms_tee_attest_get_token(MS_TEE_PART_NSPE, g_nonce, 32, tok, sizeof tok,
                                             &n), MS_ERR_BUFFER_TOO_SMALL);
}

static void test_claims_can_be_read_without_the_signature(void **state)
{
    (void)state;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX];
    size_t n = make_token(tok, sizeof tok);
    ms_cbor_dec_t d;
    ms_cbor_item_t it;
    const uint8_t *p;
    size_t plen;
    ms_tee_attest_claims_t c;
    ms_cbor_dec_init(&d, tok, n);
    assert_int_equal(ms_cbor_next(&d, &it), MS_OK);    /* tag */
    assert_int_equal(ms_cbor_next(&d, &it), MS_OK);    /* array */
    assert_int_equal(ms_cbor_skip(&d), MS_OK);         /* protected */
    assert_int_equal(ms_cbor_skip(&d), MS_OK);         /* unprotected */
    assert_int_equal(ms_cbor_get_bstr(&d, &p, &plen), MS_OK);
    assert_int_equal(ms_tee_attest_parse_claims(p, plen, &c), MS_OK);
    assert_int_equal(c.n_sw, 2);
    /* a claims map missing a mandatory claim is refused */
    assert_int_equal(ms_tee_attest_parse_claims((const uint8_t *)"\xa1\x0a\x48\x01\x02\x03\x04"
                                                "\x05\x06\x07\x08", 11, &c), MS_ERR_FORMAT);
}

static void test_only_boot_may_set_measurements(void **state)
{
    (void)state;
    assert_int_equal(ms_tee_attest_set_boot_record(MS_TEE_PART_NSPE, g_meas, g_types, 2, g_impl,
                                                   0), MS_ERR_TEE_DENIED);
    assert_int_equal(ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, g_meas, g_types, 5, g_impl,
                                                   0), MS_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(test_token_verifies_and_carries_the_claims),
        T_(test_wrong_nonce_is_refused),
        T_(test_other_device_key_is_refused),
        T_(test_token_is_signed_with_the_iak_not_the_identity_key),
        T_(test_every_bit_flip_is_refused),
        T_(test_truncated_or_extended_token_is_refused),
        T_(test_repeated_tokens_carry_the_same_claims),
        T_(test_nonce_length_bounds),
        T_(test_token_size_is_exact),
        T_(test_small_output_buffer_is_reported),
        T_(test_claims_can_be_read_without_the_signature),
        T_(test_only_boot_may_set_measurements),
#undef T_
    };
    return cmocka_run_group_tests_name("tee_attest", tests, NULL, NULL);
}
