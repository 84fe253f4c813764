/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_cipher.c - known answers for AES (FIPS-197), AES-CBC/CTR
 * (SP 800-38A), AES-GCM (McGrew/Viega GCM spec), AES-CMAC (RFC 4493 and
 * SP 800-38B) and Triple DES (SP 800-67, 2-key), plus CTR streaming, GCM
 * tamper handling and in-place operation. Built once per backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "hex.h"
#include "meterseal/crypto.h"

static const char *const k128 = "2b7e151628aed2a6abf7158809cf4f3c";
static const char *const k256 =
    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
static const char *const sp38a_pt =
    "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";

static void aes128_block_matches_fips197_c1(void **state)
{
    (void)state;
    UNHEX(key, "000102030405060708090a0b0c0d0e0f");
    UNHEX(pt, "00112233445566778899aabbccddeeff");
    UNHEX(ct, "69c4e0d86a7b0430d8cdb78070b4c55a");
    uint8_t out[16];
    assert_int_equal(ms_aes_ecb_encrypt_block(key, 16, pt, out), MS_OK);
    assert_memory_equal(out, ct, 16);
}

static void aes256_block_matches_fips197_c3(void **state)
{
    (void)state;
    UNHEX(key, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    UNHEX(pt, "00112233445566778899aabbccddeeff");
    UNHEX(ct, "8ea2b7ca516745bfeafc49904b496089");
    uint8_t out[16];
    assert_int_equal(ms_aes_ecb_encrypt_block(key, 32, pt, out), MS_OK);
    assert_memory_equal(out, ct, 16);
}

static void aes_rejects_bad_key_length(void **state)
{
    (void)state;
    uint8_t key[20] = { 0 }, blk[16] = { 0 }, out[16];
    assert_int_equal(ms_aes_ecb_encrypt_block(key, 20, blk, out), MS_ERR_ARG);
    assert_int_equal(ms_aes_cbc(key, 15, true, blk, blk, out, 16), MS_ERR_ARG);
}

static void check_cbc(const char *key_hex, const char *ct_hex)
{
    uint8_t key[32], pt[64], ct[64], iv[16], buf[64];
    size_t kl = unhex(key_hex, key, sizeof(key));
    unhex(sp38a_pt, pt, sizeof(pt));
    unhex(ct_hex, ct, sizeof(ct));
    unhex("000102030405060708090a0b0c0d0e0f", iv, sizeof(iv));
    assert_int_equal(ms_aes_cbc(key, kl, true, iv, pt, buf, 64), MS_OK);
    assert_memory_equal(buf, ct, 64);
    /* decrypt in place */
    assert_int_equal(ms_aes_cbc(key, kl, false, iv, buf, buf, 64), MS_OK);
    assert_memory_equal(buf, pt, 64);
}

static void aes128_cbc_matches_sp800_38a_f21(void **state)
{
    (void)state;
    check_cbc(k128, "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2"
                    "73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7");
}

static void aes256_cbc_matches_sp800_38a_f25(void **state)
{
    (void)state;
    check_cbc(k256, "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d"
                    "39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b");
}

static void aes_cbc_rejects_partial_block(void **state)
{
    (void)state;
    uint8_t key[16] = { 0 }, iv[16] = { 0 }, buf[32] = { 0 };
    assert_int_equal(ms_aes_cbc(key, 16, true, iv, buf, buf, 17), MS_ERR_ARG);
}

static void check_ctr(const char *key_hex, const char *ct_hex)
{
    uint8_t key[32], pt[64], ct[64], ctr[16], buf[64];
    size_t kl = unhex(key_hex, key, sizeof(key));
    unhex(sp38a_pt, pt, sizeof(pt));
    unhex(ct_hex, ct, sizeof(ct));
    unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", ctr, sizeof(ctr));
    assert_int_equal(ms_aes_ctr(key, kl, ctr, pt, buf, 64), MS_OK);
    assert_memory_equal(buf, ct, 64);
    /* in place, streamed in irregular chunks, gives the same bytes */
    static const size_t chunks[] = { 1, 15, 2, 16, 17, 0, 5, 8 };
    memcpy(buf, pt, 64);
    ms_aes_ctr_ctx c;
    assert_int_equal(ms_aes_ctr_init(&c, key, kl, ctr), MS_OK);
    size_t off = 0;
    for (size_t i = 0; off < 64; i++) {
        size_t n = chunks[i % (sizeof(chunks) / sizeof(chunks[0]))];
        if (n > 64 - off) n = 64 - off;
        assert_int_equal(ms_aes_ctr_update(&c, buf + off, buf + off, n), MS_OK);
        off += n;
    }
    ms_aes_ctr_free(&c);
    assert_memory_equal(buf, ct, 64);
}

static void aes128_ctr_matches_sp800_38a_f51(void **state)
{
    (void)state;
    check_ctr(k128, "874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff"
                    "5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee");
}

static void aes256_ctr_matches_sp800_38a_f55(void **state)
{
    (void)state;
    check_ctr(k256, "601ec313775789a5b7a7f504bbf3d228 f443e3ca4d62b59aca84e990cacaf5c5"
                    "2b0930daa23de94ce87017ba2d84988d dfc9c58db67aada613c2dd08457941a6");
}

static void aes_ctr_streaming_equals_one_shot_on_large_buffer(void **state)
{
    (void)state;
    enum { N = 4099 };
    static uint8_t pt[N], one[N], many[N];
    for (size_t i = 0; i < N; i++) pt[i] = (uint8_t)(i * 7 + 3);
    uint8_t key[16], ctr[16];
    memset(key, 0x42, sizeof(key));
    memset(ctr, 0xff, sizeof(ctr));   /* exercises the 128-bit counter carry */
    assert_int_equal(ms_aes_ctr(key, 16, ctr, pt, one, N), MS_OK);
    ms_aes_ctr_ctx c;
    assert_int_equal(ms_aes_ctr_init(&c, key, 16, ctr), MS_OK);
    size_t off = 0, step = 1;
    while (off < N) {
        size_t n = step > N - off ? N - off : step;
        assert_int_equal(ms_aes_ctr_update(&c, pt + off, many + off, n), MS_OK);
        off += n;
        step = step * 3 % 97 + 1;
    }
    ms_aes_ctr_free(&c);
    assert_memory_equal(one, many, N);
    assert_memory_not_equal(one, pt, 64);
}

static void aes_ctr_update_on_freed_context_is_state_error(void **state)
{
    (void)state;
    uint8_t key[16] = { 0 }, ctr[16] = { 0 }, b[4] = { 0 };
    ms_aes_ctr_ctx c;
    assert_int_equal(ms_aes_ctr_init(&c, key, 16, ctr), MS_OK);
    ms_aes_ctr_free(&c);
    assert_int_equal(ms_aes_ctr_update(&c, b, b, 4), MS_ERR_STATE);
    ms_aes_ctr_free(&c);
}

/* ---- GCM (McGrew & Viega, "The Galois/Counter Mode of Operation") ---- */

static const char *const gcm_key3 = "feffe9928665731c6d6a8f9467308308";
static const char *const gcm_pt3 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
static const char *const gcm_iv3 = "cafebabefacedbaddecaf888";
static const char *const gcm_aad4 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

static void check_gcm(const char *key_hex, const char *iv_hex, const char *aad_hex,
                      const char *pt_hex, size_t pt_len, const char *ct_hex,
                      const char *tag_hex)
{
    uint8_t key[32], iv[64], aad[64], pt[64], ct[64], tag[16], out[64], t[16];
    size_t kl = unhex(key_hex, key, sizeof(key));
    size_t ivl = unhex(iv_hex, iv, sizeof(iv));
    size_t al = aad_hex ? unhex(aad_hex, aad, sizeof(aad)) : 0;
    unhex(pt_hex, pt, sizeof(pt));
    size_t cl = unhex(ct_hex, ct, sizeof(ct));
    unhex(tag_hex, tag, sizeof(tag));
    assert_int_equal(cl, pt_len);
    assert_int_equal(ms_aes_gcm_encrypt(key, kl, iv, ivl, al ? aad : NULL, al, pt, out, pt_len,
                                        t, 16), MS_OK);
    assert_memory_equal(out, ct, pt_len);
    assert_memory_equal(t, tag, 16);
    assert_int_equal(ms_aes_gcm_decrypt(key, kl, iv, ivl, al ? aad : NULL, al, ct, out, pt_len,
                                        tag, 16), MS_OK);
    assert_memory_equal(out, pt, pt_len);
}

static void gcm_test_case1_empty_plaintext_tag_only(void **state)
{
    (void)state;
    check_gcm("00000000000000000000000000000000", "000000000000000000000000", NULL,
              "", 0, "", "58e2fccefa7e3061367f1d57a4e7455a");
}

static void gcm_test_case2_zero_key_one_block(void **state)
{
    (void)state;
    check_gcm("00000000000000000000000000000000", "000000000000000000000000", NULL,
              "00000000000000000000000000000000", 16, "0388dace60b6a392f328c2b971b2fe78",
              "ab6e47d42cec13bdf53a67b21257bddf");
}

static void gcm_test_case3_four_blocks(void **state)
{
    (void)state;
    check_gcm(gcm_key3, gcm_iv3, NULL, gcm_pt3, 64,
              "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
              "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
              "4d5c2af327cd64a62cf35abd2ba6fab4");
}

static void gcm_test_case4_with_aad_partial_block(void **state)
{
    (void)state;
    check_gcm(gcm_key3, gcm_iv3, gcm_aad4, gcm_pt3, 60,
              "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
              "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
              "5bc94fbc3221a5db94fae95ae7121a47");
}

static void gcm_test_case16_aes256_with_aad(void **state)
{
    (void)state;
    check_gcm("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
              gcm_iv3, gcm_aad4, gcm_pt3, 60,
              "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
              "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
              "76fc6ece0f4e1768cddf8853bb2d551b");
}

static void gcm_test_case5_short_8_byte_iv(void **state)
{
    (void)state;
    check_gcm(gcm_key3, "cafebabefacedbad", gcm_aad4, gcm_pt3, 60,
              "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423"
              "73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
              "3612d2e79e3b0785561be14aaca2fccb");
}

static void gcm_test_case6_long_60_byte_iv(void **state)
{
    (void)state;
    check_gcm(gcm_key3,
              "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
              "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
              gcm_aad4, gcm_pt3, 60,
              "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
              "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
              "619cc5aefffe0bfa462af43c1699d050");
}

static void gcm_tampered_data_aad_or_tag_is_auth_error_and_zeroes_output(void **state)
{
    (void)state;
    uint8_t key[16], iv[12], aad[20], pt[64], ct[60], tag[16], out[60], zero[60];
    unhex(gcm_key3, key, sizeof(key));
    unhex(gcm_iv3, iv, sizeof(iv));
    unhex(gcm_aad4, aad, sizeof(aad));
    unhex(gcm_pt3, pt, sizeof(pt));
    memset(zero, 0, sizeof(zero));
    assert_int_equal(ms_aes_gcm_encrypt(key, 16, iv, 12, aad, 20, pt, ct, 60, tag, 16), MS_OK);

    ct[7] ^= 0x01;
    memset(out, 0xa5, sizeof(out));
    assert_int_equal(ms_aes_gcm_decrypt(key, 16, iv, 12, aad, 20, ct, out, 60, tag, 16),
                     MS_ERR_AUTH);
    assert_memory_equal(out, zero, 60);
    ct[7] ^= 0x01;

    aad[0] ^= 0x80;
    memset(out, 0xa5, sizeof(out));
    assert_int_equal(ms_aes_gcm_decrypt(key, 16, iv, 12, aad, 20, ct, out, 60, tag, 16),
                     MS_ERR_AUTH);
    assert_memory_equal(out, zero, 60);
    aad[0] ^= 0x80;

    tag[15] ^= 0x01;
    memset(out, 0xa5, sizeof(out));
    assert_int_equal(ms_aes_gcm_decrypt(key, 16, iv, 12, aad, 20, ct, out, 60, tag, 16),
                     MS_ERR_AUTH);
    assert_memory_equal(out, zero, 60);
    tag[15] ^= 0x01;

    /* and untouched it still decrypts, in place */
    assert_int_equal(ms_aes_gcm_decrypt(key, 16, iv, 12, aad, 20, ct, ct, 60, tag, 16), MS_OK);
    assert_memory_equal(ct, pt, 60);
}

static void gcm_truncated_tag_is_prefix_of_full_tag(void **state)
{
    (void)state;
    uint8_t key[16], iv[12], pt[64], ct[64], full[16], t8[8];
    unhex(gcm_key3, key, sizeof(key));
    unhex(gcm_iv3, iv, sizeof(iv));
    unhex(gcm_pt3, pt, sizeof(pt));
    assert_int_equal(ms_aes_gcm_encrypt(key, 16, iv, 12, NULL, 0, pt, ct, 64, full, 16), MS_OK);
    assert_int_equal(ms_aes_gcm_encrypt(key, 16, iv, 12, NULL, 0, pt, ct, 64, t8, 8), MS_OK);
    assert_memory_equal(full, t8, 8);
    assert_int_equal(ms_aes_gcm_decrypt(key, 16, iv, 12, NULL, 0, ct, pt, 64, t8, 8), MS_OK);
    assert_int_equal(ms_aes_gcm_encrypt(key, 16, iv, 12, NULL, 0, pt, ct, 64, t8, 3),
                     MS_ERR_ARG);
}

/* ---- CMAC (RFC 4493 = SP 800-38B AES-128 examples; SP 800-38B AES-256) ---- */

static void check_cmac(const char *key_hex, size_t len, const char *tag_hex)
{
    uint8_t key[32], msg[64], tag[16], out[16];
    size_t kl = unhex(key_hex, key, sizeof(key));
    unhex(sp38a_pt, msg, sizeof(msg));
    unhex(tag_hex, tag, sizeof(tag));
    assert_int_equal(ms_aes_cmac(key, kl, len ? msg : NULL, len, out), MS_OK);
    assert_memory_equal(out, tag, 16);
}

static void cmac_aes128_rfc4493_examples(void **state)
{
    (void)state;
    check_cmac(k128, 0, "bb1d6929e95937287fa37d129b756746");
    check_cmac(k128, 16, "070a16b46b4d4144f79bdd9dd04a287c");
    check_cmac(k128, 40, "dfa66747de9ae63030ca32611497c827");
    check_cmac(k128, 64, "51f0bebf7e3b9d92fc49741779363cfe");
}

static void cmac_aes256_sp800_38b_examples(void **state)
{
    (void)state;
    check_cmac(k256, 0, "028962f61b7bf89efc6b551f4667d983");
    check_cmac(k256, 16, "28a7023f452e8f82bd4bf28d8c37c35c");
    check_cmac(k256, 40, "aaf3d8f1de5640c232f5b169b9c911e6");
    check_cmac(k256, 64, "e1992190549f6ed5696a2c056c315410");
}

/* ---- Triple DES ---- */

static void des3_three_key_ecb_matches_sp800_67(void **state)
{
    (void)state;
    UNHEX(key, "0123456789abcdef 23456789abcdef01 456789abcdef0123");
    UNHEX(pt, "5468652071756663 6b2062726f776e20 666f78206a756d70"); /* "The qufck brown fox jump" */
    UNHEX(ct, "a826fd8ce53b855f cce21c8112256fe6 68d5c05dd9b6b900");
    uint8_t out[24];
    assert_int_equal(ms_des3_ecb(key, 24, true, pt, out, 24), MS_OK);
    assert_memory_equal(out, ct, 24);
    assert_int_equal(ms_des3_ecb(key, 24, false, out, out, 24), MS_OK);
    assert_memory_equal(out, pt, 24);
}

static void des3_two_key_ecb_matches_published_vector(void **state)
{
    (void)state;
    /* Bouncy Castle DESedeTest: 2-key K1 K2 K1, "Now is the time for all " */
    UNHEX(key2, "0123456789abcdef fedcba9876543210");
    UNHEX(key3, "0123456789abcdef fedcba9876543210 0123456789abcdef");
    UNHEX(pt, "4e6f772069732074 68652074696d6520 666f7220616c6c20");
    UNHEX(ct, "d80a0d8b2bae5e4e 6a0094171abcfc27 75d2235a706e232c");
    uint8_t out[24];
    assert_int_equal(ms_des3_ecb(key2, 16, true, pt, out, 24), MS_OK);
    assert_memory_equal(out, ct, 24);
    /* the 2-key form is the 3-key form with K3 = K1 */
    assert_int_equal(ms_des3_ecb(key3, 24, true, pt, out, 24), MS_OK);
    assert_memory_equal(out, ct, 24);
    assert_int_equal(ms_des3_ecb(key2, 16, false, ct, out, 24), MS_OK);
    assert_memory_equal(out, pt, 24);
}

static void des3_cbc_chains_ecb_blocks(void **state)
{
    (void)state;
    /* CBC built by hand from the ECB known answer: C1 = E(P1 ^ IV), ... */
    UNHEX(key, "0123456789abcdef 23456789abcdef01 456789abcdef0123");
    UNHEX(iv, "f69f2445df4f9b17");
    UNHEX(pt, "5468652071756663 6b2062726f776e20 666f78206a756d70");
    uint8_t want[24], blk[8], out[24];
    const uint8_t *prev = iv;
    for (int b = 0; b < 3; b++) {
        for (int i = 0; i < 8; i++) blk[i] = (uint8_t)(pt[8 * b + i] ^ prev[i]);
        assert_int_equal(ms_des3_ecb(key, 24, true, blk, want + 8 * b, 8), MS_OK);
        prev = want + 8 * b;
    }
    assert_int_equal(ms_des3_cbc(key, 24, true, iv, pt, out, 24), MS_OK);
    assert_memory_equal(out, want, 24);
    assert_int_equal(ms_des3_cbc(key, 24, false, iv, out, out, 24), MS_OK);
    assert_memory_equal(out, pt, 24);
}

static void des3_rejects_bad_key_and_length(void **state)
{
    (void)state;
    uint8_t key[24] = { 1 }, buf[16] = { 0 }, iv[8] = { 0 };
    assert_int_equal(ms_des3_ecb(key, 8, true, buf, buf, 8), MS_ERR_ARG);
    assert_int_equal(ms_des3_ecb(key, 24, true, buf, buf, 12), MS_ERR_ARG);
    assert_int_equal(ms_des3_cbc(key, 16, true, iv, buf, buf, 7), MS_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aes128_block_matches_fips197_c1),
        cmocka_unit_test(aes256_block_matches_fips197_c3),
        cmocka_unit_test(aes_rejects_bad_key_length),
        cmocka_unit_test(aes128_cbc_matches_sp800_38a_f21),
        cmocka_unit_test(aes256_cbc_matches_sp800_38a_f25),
        cmocka_unit_test(aes_cbc_rejects_partial_block),
        cmocka_unit_test(aes128_ctr_matches_sp800_38a_f51),
        cmocka_unit_test(aes256_ctr_matches_sp800_38a_f55),
        cmocka_unit_test(aes_ctr_streaming_equals_one_shot_on_large_buffer),
        cmocka_unit_test(aes_ctr_update_on_freed_context_is_state_error),
        cmocka_unit_test(gcm_test_case1_empty_plaintext_tag_only),
        cmocka_unit_test(gcm_test_case2_zero_key_one_block),
        cmocka_unit_test(gcm_test_case3_four_blocks),
        cmocka_unit_test(gcm_test_case4_with_aad_partial_block),
        cmocka_unit_test(gcm_test_case16_aes256_with_aad),
        cmocka_unit_test(gcm_test_case5_short_8_byte_iv),
        cmocka_unit_test(gcm_test_case6_long_60_byte_iv),
        cmocka_unit_test(gcm_tampered_data_aad_or_tag_is_auth_error_and_zeroes_output),
        cmocka_unit_test(gcm_truncated_tag_is_prefix_of_full_tag),
        cmocka_unit_test(cmac_aes128_rfc4493_examples),
        cmocka_unit_test(cmac_aes256_sp800_38b_examples),
        cmocka_unit_test(des3_three_key_ecb_matches_sp800_67),
        cmocka_unit_test(des3_two_key_ecb_matches_published_vector),
        cmocka_unit_test(des3_cbc_chains_ecb_blocks),
        cmocka_unit_test(des3_rejects_bad_key_and_length),
    };
    return cmocka_run_group_tests_name(ms_crypto_backend_name(), tests, NULL, NULL);
}
