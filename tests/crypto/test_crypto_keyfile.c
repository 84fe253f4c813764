/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_keyfile.c - P-256 key files: imgtool's PKCS#8 and SPKI keys,
 * OpenSSL-made SEC1/compressed keys, every encoding x PEM/DER round trip,
 * and refusal of RSA, P-384, Ed25519, encrypted and mismatched keys.
 * Built once per backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "hex.h"
#include "meterseal/crypto.h"

static size_t read_file(const char *dir, const char *name, uint8_t *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    assert_true(n > 0 && n < cap);
    return n;
}

/* imgtool's k.pem, values from `openssl pkey -text` */
static const char *const k_priv =
    "8412b16b303ba186867354 04e4866a7b1bb1ccadeac2e291dba0cf00654ed0f9";
static const char *const k_pub =
    "04 ad5b37379f3d878b43a6bcb088ce2e4630244d6c23f1a9e1c16ed28fbeab9eec"
    "b0e4e4bb3528ef289635190ce576f68d2865c8b0bff8abe0e8b72cd0c8859c25";

static void parses_imgtool_pkcs8_private_key(void **state)
{
    (void)state;
    uint8_t buf[4096], want_d[32], want_q[65];
    size_t n = read_file(MS_VECTORS_DIR "/imgtool", "k.pem", buf, sizeof(buf));
    unhex(k_priv, want_d, 32);
    unhex(k_pub, want_q, 65);
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    bool has_priv = false;
    assert_int_equal(ms_p256_key_parse(buf, n, &priv, &pub, &has_priv), MS_OK);
    assert_true(has_priv);
    assert_memory_equal(priv.d, want_d, 32);
    assert_memory_equal(pub.q, want_q, 65);
}

static void parses_imgtool_spki_public_key(void **state)
{
    (void)state;
    uint8_t buf[4096], want_q[65];
    size_t n = read_file(MS_VECTORS_DIR "/imgtool", "enc-pub.pem", buf, sizeof(buf));
    unhex("04 bed8c1c6beead17c1907d87d12a3ebcebca54446e773152b0aa88da46e26529a"
          "fdc5d0305d85bf22026fcedcb5afccc1ba8f0b0fbde3de33ef718f991fd29297", want_q, 65);
    ms_p256_pub_t pub;
    ms_p256_priv_t priv;
    bool has_priv = true;
    assert_int_equal(ms_p256_key_parse(buf, n, &priv, &pub, &has_priv), MS_OK);
    assert_false(has_priv);
    assert_memory_equal(pub.q, want_q, 65);
}

static void parses_openssl_sec1_pem_and_der_alike(void **state)
{
    (void)state;
    uint8_t buf[4096];
    ms_p256_priv_t p1, p2, p3;
    ms_p256_pub_t q1, q2, q3;
    bool h1, h2, h3;
    size_t n = read_file(MS_TEST_DATA_DIR, "p256-sec1.pem", buf, sizeof(buf));
    assert_int_equal(ms_p256_key_parse(buf, n, &p1, &q1, &h1), MS_OK);
    n = read_file(MS_TEST_DATA_DIR, "p256-sec1.der", buf, sizeof(buf));
    assert_int_equal(ms_p256_key_parse(buf, n, &p2, &q2, &h2), MS_OK);
    n = read_file(MS_TEST_DATA_DIR, "p256-pkcs8.pem", buf, sizeof(buf));
    assert_int_equal(ms_p256_key_parse(buf, n, &p3, &q3, &h3), MS_OK);
    assert_true(h1 && h2 && h3);
    UNHEX(want_d, "dc7f589c4ceb29dee31a9875be509c96fbc4221a05e17104a90192bc13d43fba");
    assert_memory_equal(p1.d, want_d, 32);
    assert_memory_equal(p2.d, want_d, 32);
    assert_memory_equal(p3.d, want_d, 32);
    assert_memory_equal(q1.q, q2.q, 65);
    assert_memory_equal(q1.q, q3.q, 65);
}

static void compressed_spki_parses_to_the_uncompressed_point(void **state)
{
    (void)state;
    uint8_t buf[4096];
    size_t n = read_file(MS_TEST_DATA_DIR, "p256-pub-compressed.der", buf, sizeof(buf));
    ms_p256_pub_t pub;
    bool has_priv = true;
    assert_int_equal(ms_p256_key_parse(buf, n, NULL, &pub, &has_priv), MS_OK);
    assert_false(has_priv);
    UNHEX(want_q, "04 bb4aba2bebcde472e4ef5bce6787e9abf0eba0be6960aca90da63c538e375787"
                  "108bc83cbff5d211d97d1951e0da30eb7979d44d60e3cdd19c9e71afb20dbd1a");
    assert_memory_equal(pub.q, want_q, 65);
}

static void refuse(const char *name)
{
    uint8_t buf[4096];
    size_t n = read_file(MS_TEST_DATA_DIR, name, buf, sizeof(buf));
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    bool has_priv;
    ms_err_t err = ms_p256_key_parse(buf, n, &priv, &pub, &has_priv);
    if (err != MS_ERR_KEY_FORMAT) {
        fail_msg("%s: got %s, want MS_ERR_KEY_FORMAT", name, ms_errname(err));
    }
}

static void refuses_rsa_keys(void **state)
{
    (void)state;
    refuse("rsa1024.pem");
    refuse("rsa1024-pub.pem");
}

static void refuses_p384_keys(void **state)
{
    (void)state;
    refuse("p384.pem");
    refuse("p384-pub.der");
}

static void refuses_ed25519_key(void **state)
{
    (void)state;
    refuse("ed25519.pem");
}

static void refuses_encrypted_pkcs8(void **state)
{
    (void)state;
    refuse("p256-encrypted.pem");
}

static void refuses_garbage_and_truncation(void **state)
{
    (void)state;
    uint8_t buf[4096];
    ms_p256_pub_t pub;
    bool has_priv;
    size_t n = read_file(MS_TEST_DATA_DIR, "p256-sec1.der", buf, sizeof(buf));
    for (size_t cut = 1; cut < n; cut += 7) {
        assert_int_equal(ms_p256_key_parse(buf, cut, NULL, &pub, &has_priv), MS_ERR_KEY_FORMAT);
    }
    static const char junk[] = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n";
    assert_int_equal(ms_p256_key_parse((const uint8_t *)junk, sizeof(junk) - 1, NULL, &pub,
                                       &has_priv), MS_ERR_KEY_FORMAT);
}

static void refuses_sec1_whose_public_point_belongs_to_another_key(void **state)
{
    (void)state;
    /* RFC 5915 ECPrivateKey with k.pem's scalar and enc-pub.pem's point */
    uint8_t der[121];
    size_t n = unhex("307702010104 20", der, sizeof(der));
    n += unhex(k_priv, der + n, sizeof(der) - n);
    n += unhex("a00a06082a8648ce3d030107 a144034200", der + n, sizeof(der) - n);
    n += unhex("04 bed8c1c6beead17c1907d87d12a3ebcebca54446e773152b0aa88da46e26529a"
               "fdc5d0305d85bf22026fcedcb5afccc1ba8f0b0fbde3de33ef718f991fd29297",
               der + n, sizeof(der) - n);
    assert_int_equal(n, sizeof(der));
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    bool has_priv;
    assert_int_equal(ms_p256_key_parse(der, n, &priv, &pub, &has_priv), MS_ERR_KEY_MISMATCH);
    /* the same structure with the matching point parses */
    unhex(k_pub, der + n - 65, 65);
    assert_int_equal(ms_p256_key_parse(der, n, &priv, &pub, &has_priv), MS_OK);
    assert_true(has_priv);
}

static void round_trips_every_encoding_in_pem_and_der(void **state)
{
    (void)state;
    static const ms_key_encoding_t encs[3] = { MS_KEY_SPKI, MS_KEY_PKCS8, MS_KEY_SEC1 };
    static const char *const labels[3] = { "-----BEGIN PUBLIC KEY-----\n",
                                           "-----BEGIN PRIVATE KEY-----\n",
                                           "-----BEGIN EC PRIVATE KEY-----\n" };
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    unhex(k_priv, priv.d, 32);
    unhex(k_pub, pub.q, 65);
    for (int e = 0; e < 3; e++) {
        for (int pem = 0; pem < 2; pem++) {
            uint8_t out[1024];
            size_t n = 0;
            memset(out, 0xee, sizeof(out));
            assert_int_equal(ms_p256_key_write(&priv, &pub, encs[e], pem, out, sizeof(out), &n),
                             MS_OK);
            if (pem) {
                assert_int_equal(out[n], '\0');
                assert_int_equal(strlen((const char *)out), n);
                assert_memory_equal(out, labels[e], strlen(labels[e]));
            } else {
                assert_int_equal(out[0], 0x30);
            }
            if (encs[e] == MS_KEY_SPKI && !pem) {
                uint8_t spki[MS_P256_SPKI_LEN];
                assert_int_equal(ms_p256_pub_to_spki(&pub, spki), MS_OK);
                assert_int_equal(n, MS_P256_SPKI_LEN);
                assert_memory_equal(out, spki, n);
            }
            ms_p256_priv_t p2;
            ms_p256_pub_t q2;
            bool has_priv = false;
            memset(&p2, 0, sizeof(p2));
            assert_int_equal(ms_p256_key_parse(out, n, &p2, &q2, &has_priv), MS_OK);
            assert_memory_equal(q2.q, pub.q, 65);
            assert_int_equal(has_priv, encs[e] != MS_KEY_SPKI);
            if (has_priv) {
                assert_memory_equal(p2.d, priv.d, 32);
            }
            /* one byte short of the need is refused */
            size_t need = n + (pem ? 1 : 0);
            assert_int_equal(ms_p256_key_write(&priv, &pub, encs[e], pem, out, need - 1, &n),
                             MS_ERR_BUFFER_TOO_SMALL);
        }
    }
}

static void private_writers_derive_public_point(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    unhex(k_priv, priv.d, 32);
    uint8_t out[512];
    size_t n = 0;
    assert_int_equal(ms_p256_key_write(&priv, NULL, MS_KEY_SEC1, false, out, sizeof(out), &n),
                     MS_OK);
    ms_p256_pub_t pub;
    bool has_priv;
    assert_int_equal(ms_p256_key_parse(out, n, NULL, &pub, &has_priv), MS_OK);
    UNHEX(want_q, "04 ad5b37379f3d878b43a6bcb088ce2e4630244d6c23f1a9e1c16ed28fbeab9eec"
                  "b0e4e4bb3528ef289635190ce576f68d2865c8b0bff8abe0e8b72cd0c8859c25");
    assert_memory_equal(pub.q, want_q, 65);
    assert_int_equal(ms_p256_key_write(NULL, &pub, MS_KEY_PKCS8, true, out, sizeof(out), &n),
                     MS_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_imgtool_pkcs8_private_key),
        cmocka_unit_test(parses_imgtool_spki_public_key),
        cmocka_unit_test(parses_openssl_sec1_pem_and_der_alike),
        cmocka_unit_test(compressed_spki_parses_to_the_uncompressed_point),
        cmocka_unit_test(refuses_rsa_keys),
        cmocka_unit_test(refuses_p384_keys),
        cmocka_unit_test(refuses_ed25519_key),
        cmocka_unit_test(refuses_encrypted_pkcs8),
        cmocka_unit_test(refuses_garbage_and_truncation),
        cmocka_unit_test(refuses_sec1_whose_public_point_belongs_to_another_key),
        cmocka_unit_test(round_trips_every_encoding_in_pem_and_der),
        cmocka_unit_test(private_writers_derive_public_point),
    };
    return cmocka_run_group_tests_name(ms_crypto_backend_name(), tests, NULL, NULL);
}
