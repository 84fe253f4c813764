/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_hash.c - known answers for SHA-256 (FIPS 180-2), HMAC-SHA256
 * (RFC 4231) and HKDF-SHA256 (RFC 5869), plus the streaming-context rules
 * of crypto.h. Built once per backend.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hex.h"
#include "meterseal/crypto.h"

static void check_sha(const void *msg, size_t len, const char *want_hex)
{
    uint8_t want[32], got[32];
    unhex(want_hex, want, sizeof(want));
    assert_int_equal(ms_sha256(msg, len, got), MS_OK);
    assert_memory_equal(got, want, 32);
}

static void sha256_abc_matches_fips180(void **state)
{
    (void)state;
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void sha256_448bit_message_matches_fips180(void **state)
{
    (void)state;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void sha256_empty_message(void **state)
{
    (void)state;
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void sha256_million_a_streamed_in_odd_chunks(void **state)
{
    (void)state;
    static uint8_t a[1000];
    memset(a, 'a', sizeof(a));
    static const size_t chunks[] = { 1, 63, 64, 65, 127, 3, 999, 55, 56, 17 };
    ms_sha256_ctx ctx;
    assert_int_equal(ms_sha256_init(&ctx), MS_OK);
    size_t done = 0, i = 0;
    while (done < 1000000) {
        size_t n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];
        if (n > 1000000 - done) n = 1000000 - done;
        assert_int_equal(ms_sha256_update(&ctx, a, n), MS_OK);
        done += n;
    }
    uint8_t got[32], want[32];
    assert_int_equal(ms_sha256_finish(&ctx, got), MS_OK);
    unhex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", want, 32);
    assert_memory_equal(got, want, 32);
}

static void sha256_update_after_finish_is_state_error(void **state)
{
    (void)state;
    ms_sha256_ctx ctx;
    uint8_t out[32];
    assert_int_equal(ms_sha256_init(&ctx), MS_OK);
    assert_int_equal(ms_sha256_finish(&ctx, out), MS_OK);
    assert_int_equal(ms_sha256_update(&ctx, "x", 1), MS_ERR_STATE);
    ms_sha256_free(&ctx);   /* harmless after finish */
}

static void sha256_free_on_zeroed_and_freed_context_is_harmless(void **state)
{
    (void)state;
    ms_sha256_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ms_sha256_free(&ctx);
    assert_int_equal(ms_sha256_init(&ctx), MS_OK);
    assert_int_equal(ms_sha256_update(&ctx, "abc", 3), MS_OK);
    ms_sha256_free(&ctx);
    ms_sha256_free(&ctx);
    uint8_t zero[sizeof(ctx)];
    memset(zero, 0, sizeof(zero));
    assert_memory_equal(&ctx, zero, sizeof(ctx));   /* wiped */
}

/* ---- HMAC (RFC 4231) ---- */

static void check_hmac(const uint8_t *key, size_t key_len, const void *msg, size_t len,
                       const char *want_hex)
{
    uint8_t want[32], got[32];
    unhex(want_hex, want, sizeof(want));
    assert_int_equal(ms_hmac_sha256(key, key_len, msg, len, got), MS_OK);
    assert_memory_equal(got, want, 32);
    /* streamed one byte at a time gives the same tag */
    ms_hmac_ctx ctx;
    assert_int_equal(ms_hmac_sha256_init(&ctx, key, key_len), MS_OK);
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(ms_hmac_sha256_update(&ctx, (const uint8_t *)msg + i, 1), MS_OK);
    }
    memset(got, 0, sizeof(got));
    assert_int_equal(ms_hmac_sha256_finish(&ctx, got), MS_OK);
    assert_memory_equal(got, want, 32);
}

static void hmac_rfc4231_case1(void **state)
{
    (void)state;
    uint8_t key[20];
    memset(key, 0x0b, sizeof(key));
    check_hmac(key, 20, "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void hmac_rfc4231_case2_short_key(void **state)
{
    (void)state;
    const char *m = "what do ya want for nothing?";
    check_hmac((const uint8_t *)"Jefe", 4, m, strlen(m),
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void hmac_rfc4231_case3(void **state)
{
    (void)state;
    uint8_t key[20], msg[50];
    memset(key, 0xaa, sizeof(key));
    memset(msg, 0xdd, sizeof(msg));
    check_hmac(key, 20, msg, 50,
               "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

static void hmac_rfc4231_case6_long_key(void **state)
{
    (void)state;
    uint8_t key[131];
    memset(key, 0xaa, sizeof(key));
    const char *m = "Test Using Larger Than Block-Size Key - Hash Key First";
    check_hmac(key, sizeof(key), m, strlen(m),
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void hmac_rfc4231_case7_long_key_long_data(void **state)
{
    (void)state;
    uint8_t key[131];
    memset(key, 0xaa, sizeof(key));
    const char *m = "This is a test using a larger than block-size key and a larger than "
                    "block-size data. The key needs to be hashed before being used by the "
                    "HMAC algorithm.";
    check_hmac(key, sizeof(key), m, strlen(m),
               "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void hmac_empty_key_and_message(void **state)
{
    (void)state;
    check_hmac(NULL, 0, "", 0,
               "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void hmac_update_on_zeroed_context_is_state_error(void **state)
{
    (void)state;
    ms_hmac_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal(ms_hmac_sha256_update(&ctx, "x", 1), MS_ERR_STATE);
    ms_hmac_sha256_free(&ctx);
}

/* ---- HKDF (RFC 5869) ---- */

static void hkdf_rfc5869_case1(void **state)
{
    (void)state;
    uint8_t ikm[22], out[42];
    memset(ikm, 0x0b, sizeof(ikm));
    UNHEX(salt, "000102030405060708090a0b0c");
    UNHEX(info, "f0f1f2f3f4f5f6f7f8f9");
    UNHEX(okm, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
               "34007208d5b887185865");
    assert_int_equal(ms_hkdf_sha256(salt, salt_len, ikm, 22, info, info_len, out, 42), MS_OK);
    assert_memory_equal(out, okm, 42);
}

static void hkdf_rfc5869_case2_long_inputs(void **state)
{
    (void)state;
    uint8_t ikm[80], salt[80], info[80], out[82];
    for (int i = 0; i < 80; i++) {
        ikm[i] = (uint8_t)i;
        salt[i] = (uint8_t)(0x60 + i);
        info[i] = (uint8_t)(0xb0 + i);
    }
    UNHEX(okm, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
               "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
               "cc30c58179ec3e87c14c01d5c1f3434f1d87");
    assert_int_equal(ms_hkdf_sha256(salt, 80, ikm, 80, info, 80, out, 82), MS_OK);
    assert_memory_equal(out, okm, 82);
}

static void hkdf_rfc5869_case3_no_salt_no_info(void **state)
{
    (void)state;
    uint8_t ikm[22], out[42];
    memset(ikm, 0x0b, sizeof(ikm));
    UNHEX(okm, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
               "9d201395faa4b61a96c8");
    assert_int_equal(ms_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, out, 42), MS_OK);
    assert_memory_equal(out, okm, 42);
    /* an empty salt is the same as no salt */
    uint8_t out2[42];
    assert_int_equal(ms_hkdf_sha256((const uint8_t *)"", 0, ikm, 22, NULL, 0, out2, 42), MS_OK);
    assert_memory_equal(out2, okm, 42);
}

static void hkdf_refuses_empty_ikm_empty_output_and_more_than_255_blocks(void **state)
{
    (void)state;
    uint8_t small[8] = { 0 };
    assert_int_equal(ms_hkdf_sha256(NULL, 0, small, 0, NULL, 0, small, 8), MS_ERR_ARG);
    assert_int_equal(ms_hkdf_sha256(NULL, 0, small, 8, NULL, 0, small, 0), MS_ERR_ARG);
    static uint8_t out[255 * 32 + 1];
    uint8_t ikm[4] = { 1, 2, 3, 4 };
    assert_int_equal(ms_hkdf_sha256(NULL, 0, ikm, 4, NULL, 0, out, sizeof(out)), MS_ERR_ARG);
    assert_int_equal(ms_hkdf_sha256(NULL, 0, ikm, 4, NULL, 0, out, sizeof(out) - 1), MS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_abc_matches_fips180),
        cmocka_unit_test(sha256_448bit_message_matches_fips180),
        cmocka_unit_test(sha256_empty_message),
        cmocka_unit_test(sha256_million_a_streamed_in_odd_chunks),
        cmocka_unit_test(sha256_update_after_finish_is_state_error),
        cmocka_unit_test(sha256_free_on_zeroed_and_freed_context_is_harmless),
        cmocka_unit_test(hmac_rfc4231_case1),
        cmocka_unit_test(hmac_rfc4231_case2_short_key),
        cmocka_unit_test(hmac_rfc4231_case3),
        cmocka_unit_test(hmac_rfc4231_case6_long_key),
        cmocka_unit_test(hmac_rfc4231_case7_long_key_long_data),
        cmocka_unit_test(hmac_empty_key_and_message),
        cmocka_unit_test(hmac_update_on_zeroed_context_is_state_error),
        cmocka_unit_test(hkdf_rfc5869_case1),
        cmocka_unit_test(hkdf_rfc5869_case2_long_inputs),
        cmocka_unit_test(hkdf_rfc5869_case3_no_salt_no_info),
        cmocka_unit_test(hkdf_refuses_empty_ikm_empty_output_and_more_than_255_blocks),
    };
    printf("backend: %s\n", ms_crypto_backend_name());
    return cmocka_run_group_tests_name(ms_crypto_backend_name(), tests, NULL, NULL);
}
