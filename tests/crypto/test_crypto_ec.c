/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_ec.c - P-256: ECDSA (RFC 6979 A.2.5 signatures), ECDH
 * (RFC 5903 section 8.1), public key derivation and checks, SPKI, plus
 * ms_ct_equal and ms_random. Built once per backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "hex.h"
#include "meterseal/crypto.h"

/* RFC 6979 A.2.5: the P-256 key */
static const char *const rfc6979_x =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
static const char *const rfc6979_pub =
    "04 60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";

/* DER-encode r, s (32 bytes each) here, independently of the library. */
static size_t der_sig(const uint8_t r[32], const uint8_t s[32], uint8_t *out)
{
    const uint8_t *v[2] = { r, s };
    size_t n = 2;
    for (int k = 0; k < 2; k++) {
        size_t skip = 0;
        while (skip < 31 && v[k][skip] == 0) skip++;
        size_t pad = (v[k][skip] & 0x80) ? 1 : 0;
        out[n++] = 0x02;
        out[n++] = (uint8_t)(32 - skip + pad);
        if (pad) out[n++] = 0;
        memcpy(out + n, v[k] + skip, 32 - skip);
        n += 32 - skip;
    }
    out[0] = 0x30;
    out[1] = (uint8_t)(n - 2);
    return n;
}

static void load_rfc6979_key(ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    if (priv) unhex(rfc6979_x, priv->d, sizeof(priv->d));
    if (pub) unhex(rfc6979_pub, pub->q, sizeof(pub->q));
}

static void check_rfc6979(const char *msg, const char *r_hex, const char *s_hex)
{
    ms_p256_pub_t pub;
    load_rfc6979_key(NULL, &pub);
    uint8_t r[32], s[32], hash[32], sig[80];
    unhex(r_hex, r, 32);
    unhex(s_hex, s, 32);
    assert_int_equal(ms_sha256(msg, strlen(msg), hash), MS_OK);
    size_t n = der_sig(r, s, sig);
    assert_int_equal(ms_p256_verify(&pub, hash, sig, n), MS_OK);
    /* any flipped bit in the signature body breaks it */
    for (size_t i = 4; i < n; i += 5) {
        sig[i] ^= 0x10;
        assert_int_equal(ms_p256_verify(&pub, hash, sig, n), MS_ERR_SIGNATURE);
        sig[i] ^= 0x10;
    }
    hash[31] ^= 1;
    assert_int_equal(ms_p256_verify(&pub, hash, sig, n), MS_ERR_SIGNATURE);
}

static void ecdsa_verifies_rfc6979_sample_signature(void **state)
{
    (void)state;
    check_rfc6979("sample",
                  "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
                  "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
}

static void ecdsa_verifies_rfc6979_test_signature(void **state)
{
    (void)state;
    /* s has a leading 0x01 byte: exercises a 32-byte positive INTEGER */
    check_rfc6979("test",
                  "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
                  "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083");
}

static void ecdsa_sign_then_verify_round_trips(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    load_rfc6979_key(&priv, &pub);
    uint8_t hash[32], sig[MS_P256_SIG_DER_MAX];
    size_t n = 0;
    assert_int_equal(ms_sha256("firmware", 8, hash), MS_OK);
    for (int i = 0; i < 8; i++) {
        hash[0] = (uint8_t)i;
        assert_int_equal(ms_p256_sign(&priv, hash, sig, sizeof(sig), &n), MS_OK);
        assert_true(n >= 8 && n <= MS_P256_SIG_DER_MAX);
        assert_int_equal(sig[0], 0x30);
        assert_int_equal(ms_p256_verify(&pub, hash, sig, n), MS_OK);
        sig[n - 1] ^= 0x01;
        assert_int_equal(ms_p256_verify(&pub, hash, sig, n), MS_ERR_SIGNATURE);
    }
}

static void ecdsa_sign_reports_small_buffer(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    load_rfc6979_key(&priv, NULL);
    uint8_t hash[32] = { 1 }, sig[16];
    size_t n = 99;
    assert_int_equal(ms_p256_sign(&priv, hash, sig, sizeof(sig), &n), MS_ERR_BUFFER_TOO_SMALL);
}

static void ecdsa_malformed_der_is_signature_error(void **state)
{
    (void)state;
    ms_p256_pub_t pub;
    load_rfc6979_key(NULL, &pub);
    uint8_t r[32], s[32], hash[32], sig[90], bad[90];
    unhex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716", r, 32);
    unhex("f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8", s, 32);
    assert_int_equal(ms_sha256("sample", 6, hash), MS_OK);
    size_t n = der_sig(r, s, sig);
    assert_int_equal(ms_p256_verify(&pub, hash, sig, n), MS_OK);

    /* truncated, empty, trailing garbage */
    assert_int_equal(ms_p256_verify(&pub, hash, sig, n - 1), MS_ERR_SIGNATURE);
    assert_int_equal(ms_p256_verify(&pub, hash, sig, 0), MS_ERR_SIGNATURE);
    assert_int_equal(ms_p256_verify(&pub, hash, NULL, 0), MS_ERR_SIGNATURE);
    memcpy(bad, sig, n);
    bad[n] = 0;
    assert_int_equal(ms_p256_verify(&pub, hash, bad, n + 1), MS_ERR_SIGNATURE);
    /* wrong outer tag, wrong outer length */
    memcpy(bad, sig, n);
    bad[0] = 0x31;
    assert_int_equal(ms_p256_verify(&pub, hash, bad, n), MS_ERR_SIGNATURE);
    memcpy(bad, sig, n);
    bad[1]++;
    assert_int_equal(ms_p256_verify(&pub, hash, bad, n), MS_ERR_SIGNATURE);
    /* non-minimal INTEGER (extra leading zero on r): same value, not DER */
    bad[0] = 0x30;
    bad[1] = (uint8_t)(sig[1] + 1);
    bad[2] = 0x02;
    bad[3] = (uint8_t)(sig[3] + 1);
    bad[4] = 0x00;
    memcpy(bad + 5, sig + 4, n - 4);
    assert_int_equal(ms_p256_verify(&pub, hash, bad, n + 1), MS_ERR_SIGNATURE);
    /* r = 0 */
    uint8_t zero[32] = { 0 };
    n = der_sig(zero, s, bad);
    assert_int_equal(ms_p256_verify(&pub, hash, bad, n), MS_ERR_SIGNATURE);
}

static void ecdsa_verify_with_wrong_key_fails(void **state)
{
    (void)state;
    ms_p256_priv_t other;
    ms_p256_pub_t other_pub;
    assert_int_equal(ms_p256_keygen(&other, &other_pub), MS_OK);
    uint8_t r[32], s[32], hash[32], sig[80];
    unhex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716", r, 32);
    unhex("f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8", s, 32);
    assert_int_equal(ms_sha256("sample", 6, hash), MS_OK);
    size_t n = der_sig(r, s, sig);
    assert_int_equal(ms_p256_verify(&other_pub, hash, sig, n), MS_ERR_SIGNATURE);
}

static void pub_from_priv_matches_rfc6979_key(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t want, got;
    load_rfc6979_key(&priv, &want);
    assert_int_equal(ms_p256_pub_from_priv(&priv, &got), MS_OK);
    assert_memory_equal(got.q, want.q, MS_P256_PUB_LEN);
}

static void pub_from_priv_rejects_zero_and_order(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    memset(priv.d, 0, 32);
    assert_int_equal(ms_p256_pub_from_priv(&priv, &pub), MS_ERR_KEY_FORMAT);
    unhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", priv.d, 32);
    assert_int_equal(ms_p256_pub_from_priv(&priv, &pub), MS_ERR_KEY_FORMAT);
    priv.d[31]--;   /* n - 1 is valid */
    assert_int_equal(ms_p256_pub_from_priv(&priv, &pub), MS_OK);
}

static void pub_check_accepts_curve_point_rejects_others(void **state)
{
    (void)state;
    ms_p256_pub_t pub;
    load_rfc6979_key(NULL, &pub);
    assert_int_equal(ms_p256_pub_check(&pub), MS_OK);
    pub.q[64] ^= 0x01;   /* y changed: off the curve */
    assert_int_equal(ms_p256_pub_check(&pub), MS_ERR_KEY_FORMAT);
    pub.q[64] ^= 0x01;
    pub.q[0] = 0x06;     /* hybrid form is not accepted */
    assert_int_equal(ms_p256_pub_check(&pub), MS_ERR_KEY_FORMAT);
    memset(pub.q, 0, sizeof(pub.q));
    pub.q[0] = 0x04;     /* (0, 0) */
    assert_int_equal(ms_p256_pub_check(&pub), MS_ERR_KEY_FORMAT);
    /* x = p (not reduced) with a y that would pass mod p */
    memset(pub.q, 0xff, sizeof(pub.q));
    pub.q[0] = 0x04;
    assert_int_equal(ms_p256_pub_check(&pub), MS_ERR_KEY_FORMAT);
}

static void ecdh_matches_rfc5903_section_8_1(void **state)
{
    (void)state;
    ms_p256_priv_t i_priv, r_priv;
    ms_p256_pub_t gi, gr, tmp;
    uint8_t want[32], z1[32], z2[32];
    unhex("c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433", i_priv.d, 32);
    unhex("04 dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
          "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3", gi.q, 65);
    unhex("c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53", r_priv.d, 32);
    unhex("04 d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
          "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab", gr.q, 65);
    unhex("d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de", want, 32);
    assert_int_equal(ms_p256_pub_from_priv(&i_priv, &tmp), MS_OK);
    assert_memory_equal(tmp.q, gi.q, 65);
    assert_int_equal(ms_p256_ecdh(&i_priv, &gr, z1), MS_OK);
    assert_int_equal(ms_p256_ecdh(&r_priv, &gi, z2), MS_OK);
    assert_memory_equal(z1, want, 32);
    assert_memory_equal(z2, want, 32);
}

static void invalid_private_scalars_are_refused_everywhere(void **state)
{
    (void)state;
    ms_p256_priv_t zero, order;
    ms_p256_pub_t pub;
    load_rfc6979_key(NULL, &pub);
    memset(zero.d, 0, 32);
    unhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", order.d, 32);
    uint8_t hash[32] = { 7 }, sig[MS_P256_SIG_DER_MAX], z[32];
    size_t n;
    assert_int_equal(ms_p256_sign(&zero, hash, sig, sizeof(sig), &n), MS_ERR_KEY_FORMAT);
    assert_int_equal(ms_p256_sign(&order, hash, sig, sizeof(sig), &n), MS_ERR_KEY_FORMAT);
    assert_int_equal(ms_p256_ecdh(&zero, &pub, z), MS_ERR_KEY_FORMAT);
    assert_int_equal(ms_p256_ecdh(&order, &pub, z), MS_ERR_KEY_FORMAT);
}

static void verify_with_off_curve_key_is_key_format_error(void **state)
{
    (void)state;
    ms_p256_pub_t pub;
    load_rfc6979_key(NULL, &pub);
    uint8_t r[32], s[32], hash[32], sig[80];
    unhex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716", r, 32);
    unhex("f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8", s, 32);
    assert_int_equal(ms_sha256("sample", 6, hash), MS_OK);
    size_t n = der_sig(r, s, sig);
    pub.q[33] ^= 0x01;
    assert_int_equal(ms_p256_verify(&pub, hash, sig, n), MS_ERR_KEY_FORMAT);
}

static void ecdh_rejects_off_curve_peer(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    load_rfc6979_key(&priv, &pub);
    uint8_t z[32];
    pub.q[40] ^= 0x01;
    assert_int_equal(ms_p256_ecdh(&priv, &pub, z), MS_ERR_KEY_FORMAT);
}

static void keygen_makes_distinct_working_keys(void **state)
{
    (void)state;
    ms_p256_priv_t a, b;
    ms_p256_pub_t pa, pb, chk;
    assert_int_equal(ms_p256_keygen(&a, &pa), MS_OK);
    assert_int_equal(ms_p256_keygen(&b, &pb), MS_OK);
    assert_memory_not_equal(a.d, b.d, 32);
    assert_int_equal(ms_p256_pub_check(&pa), MS_OK);
    assert_int_equal(ms_p256_pub_from_priv(&a, &chk), MS_OK);
    assert_memory_equal(chk.q, pa.q, 65);
    uint8_t z1[32], z2[32];
    assert_int_equal(ms_p256_ecdh(&a, &pb, z1), MS_OK);
    assert_int_equal(ms_p256_ecdh(&b, &pa, z2), MS_OK);
    assert_memory_equal(z1, z2, 32);
}

static void spki_round_trips_and_has_fixed_prefix(void **state)
{
    (void)state;
    ms_p256_pub_t pub, back;
    load_rfc6979_key(NULL, &pub);
    uint8_t der[MS_P256_SPKI_LEN];
    assert_int_equal(ms_p256_pub_to_spki(&pub, der), MS_OK);
    UNHEX(prefix, "3059301306072a8648ce3d020106082a8648ce3d030107034200");
    assert_memory_equal(der, prefix, 26);
    assert_memory_equal(der + 26, pub.q, 65);
    assert_int_equal(ms_p256_pub_from_spki(der, sizeof(der), &back), MS_OK);
    assert_memory_equal(back.q, pub.q, 65);
}

static void spki_from_rejects_other_lengths_oids_and_points(void **state)
{
    (void)state;
    ms_p256_pub_t pub, back;
    load_rfc6979_key(NULL, &pub);
    uint8_t der[MS_P256_SPKI_LEN + 1];
    assert_int_equal(ms_p256_pub_to_spki(&pub, der), MS_OK);
    assert_int_equal(ms_p256_pub_from_spki(der, 90, &back), MS_ERR_KEY_FORMAT);
    assert_int_equal(ms_p256_pub_from_spki(der, 92, &back), MS_ERR_KEY_FORMAT);
    der[20] ^= 0x01;   /* curve OID */
    assert_int_equal(ms_p256_pub_from_spki(der, 91, &back), MS_ERR_KEY_FORMAT);
    der[20] ^= 0x01;
    der[90] ^= 0x01;   /* point off the curve */
    assert_int_equal(ms_p256_pub_from_spki(der, 91, &back), MS_ERR_KEY_FORMAT);
}

static void ct_equal_compares_every_byte(void **state)
{
    (void)state;
    uint8_t a[33], b[33];
    for (int i = 0; i < 33; i++) a[i] = b[i] = (uint8_t)(i * 13);
    assert_true(ms_ct_equal(a, b, 33));
    assert_true(ms_ct_equal(a, b, 0));
    for (int i = 0; i < 33; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_false(ms_ct_equal(a, b, 33));
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
}

static void secure_zero_clears_buffer(void **state)
{
    (void)state;
    uint8_t buf[37], zero[37] = { 0 };
    memset(buf, 0x5a, sizeof(buf));
    ms_secure_zero(buf, sizeof(buf));
    assert_memory_equal(buf, zero, sizeof(buf));
}

static void random_fills_whole_buffer_and_does_not_repeat(void **state)
{
    (void)state;
    static uint8_t a[3000], b[3000];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_int_equal(ms_random(a, sizeof(a)), MS_OK);
    assert_int_equal(ms_random(b, sizeof(b)), MS_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    /* every 32-byte window of the tail holds a non-zero byte (whole fill) */
    for (size_t off = 0; off + 32 <= sizeof(a); off += 32) {
        uint8_t acc = 0;
        for (size_t i = 0; i < 32; i++) acc |= a[off + i];
        assert_true(acc != 0);
    }
    /* and no two 16-byte blocks are equal in one output */
    for (size_t i = 0; i + 16 <= 512; i += 16) {
        for (size_t j = i + 16; j + 16 <= 512; j += 16) {
            assert_memory_not_equal(a + i, a + j, 16);
        }
    }
    assert_int_equal(ms_random(a, 0), MS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ecdsa_verifies_rfc6979_sample_signature),
        cmocka_unit_test(ecdsa_verifies_rfc6979_test_signature),
        cmocka_unit_test(ecdsa_sign_then_verify_round_trips),
        cmocka_unit_test(ecdsa_sign_reports_small_buffer),
        cmocka_unit_test(ecdsa_malformed_der_is_signature_error),
        cmocka_unit_test(ecdsa_verify_with_wrong_key_fails),
        cmocka_unit_test(pub_from_priv_matches_rfc6979_key),
        cmocka_unit_test(pub_from_priv_rejects_zero_and_order),
        cmocka_unit_test(pub_check_accepts_curve_point_rejects_others),
        cmocka_unit_test(ecdh_matches_rfc5903_section_8_1),
        cmocka_unit_test(ecdh_rejects_off_curve_peer),
        cmocka_unit_test(invalid_private_scalars_are_refused_everywhere),
        cmocka_unit_test(verify_with_off_curve_key_is_key_format_error),
        cmocka_unit_test(keygen_makes_distinct_working_keys),
        cmocka_unit_test(spki_round_trips_and_has_fixed_prefix),
        cmocka_unit_test(spki_from_rejects_other_lengths_oids_and_points),
        cmocka_unit_test(ct_equal_compares_every_byte),
        cmocka_unit_test(secure_zero_clears_buffer),
        cmocka_unit_test(random_fills_whole_buffer_and_does_not_repeat),
    };
    return cmocka_run_group_tests_name(ms_crypto_backend_name(), tests, NULL, NULL);
}
