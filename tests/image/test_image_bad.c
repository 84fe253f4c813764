/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image_bad.c - the bad-input catalogue: every way an image can be
 * malformed or tampered with, each with the error it must produce.
 * Tampered images start from imgtool's vectors; malformed TLV areas are
 * crafted byte by byte with craft() below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image_test_util.h"

/* Offsets in plain.bin (see docs/image-format.md's worked example). */
#define PLAIN_TLV     0x10200u
#define PLAIN_SHA     (PLAIN_TLV + 4)
#define PLAIN_KEYHASH (PLAIN_SHA + 36)
#define PLAIN_SIG     (PLAIN_KEYHASH + 36)

static ms_err_t parse_only(const uint8_t *img, size_t len)
{
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    return test_parse(img, len, &mem, &r, &info);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* A 64-byte image (32-byte header, 16-byte payload) with the given TLV
 * areas appended verbatim (prot may be NULL). Returns the length. */
static size_t craft(uint8_t *out, const uint8_t *prot, size_t prot_len,
                    const uint8_t *tlvs, size_t tlv_len)
{
    memset(out, 0, 48);
    out[0] = 0x3d;
    out[1] = 0xb8;
    out[2] = 0xf3;
    out[3] = 0x96;
    put16(out + 8, 32);                 /* hdr_size */
    put16(out + 10, (uint16_t)prot_len); /* protect_tlv_size */
    out[12] = 16;                       /* img_size */
    memset(out + 32, 0xab, 16);
    size_t n = 48;
    if (prot_len) {
        memcpy(out + n, prot, prot_len);
        n += prot_len;
    }
    memcpy(out + n, tlvs, tlv_len);
    return n + tlv_len;
}

static const uint8_t sha_tlv[] = {
    0x07, 0x69, 40, 0, 0x10, 0, 32, 0,
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};

static void crafted_baseline_parses(void **state)
{
    (void)state;
    uint8_t img[256];
    size_t n = craft(img, NULL, 0, sha_tlv, sizeof(sha_tlv));
    assert_int_equal(parse_only(img, n), MS_OK);
}

static void wrong_magic_is_bad_magic(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[0] ^= 0x01;
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_BAD_MAGIC);
    test_file_free(&f);
}

static void truncated_header_is_truncated(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    assert_int_equal(parse_only(f.data, 31), MS_ERR_TRUNCATED);
    assert_int_equal(parse_only(f.data, 0), MS_ERR_TRUNCATED);
    ms_image_header_t h;
    assert_int_equal(ms_image_header_parse(f.data, 20, &h), MS_ERR_TRUNCATED);
    test_file_free(&f);
}

static void truncated_payload_is_truncated(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    assert_int_equal(parse_only(f.data, 0x200 + 100), MS_ERR_TRUNCATED);
    assert_int_equal(parse_only(f.data, PLAIN_TLV + 2), MS_ERR_TRUNCATED);
    test_file_free(&f);
}

static void truncated_tlv_area_is_truncated(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    assert_int_equal(parse_only(f.data, f.len - 1), MS_ERR_TRUNCATED);
    assert_int_equal(parse_only(f.data, PLAIN_SIG), MS_ERR_TRUNCATED);
    test_file_free(&f);
}

static void tlv_length_past_area_end_is_tlv_bounds(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    put16(f.data + PLAIN_SIG + 2, 0x1000);
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_IMG_TLV_BOUNDS);
    test_file_free(&f);
}

static void tlv_header_cut_by_area_end_is_tlv_bounds(void **state)
{
    (void)state;
    uint8_t tl[sizeof(sha_tlv) + 2], img[256];
    memcpy(tl, sha_tlv, sizeof(sha_tlv));
    tl[sizeof(sha_tlv)] = 0x01;
    tl[sizeof(sha_tlv) + 1] = 0x00;
    put16(tl + 2, sizeof(tl)); /* area ends 2 bytes into a TLV header */
    size_t n = craft(img, NULL, 0, tl, sizeof(tl));
    assert_int_equal(parse_only(img, n), MS_ERR_IMG_TLV_BOUNDS);
}

static void duplicate_sha256_is_tlv_dup(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[PLAIN_KEYHASH] = MS_TLV_SHA256; /* KEYHASH (32 bytes) becomes a 2nd SHA256 */
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_IMG_TLV_DUP);
    test_file_free(&f);
}

static void duplicate_signature_is_tlv_dup(void **state)
{
    (void)state;
    uint8_t tl[sizeof(sha_tlv) + 2 * 12], img[256];
    memcpy(tl, sha_tlv, sizeof(sha_tlv));
    for (int i = 0; i < 2; i++) {
        uint8_t *p = tl + sizeof(sha_tlv) + 12 * i;
        static const uint8_t sig[12] = { 0x22, 0, 8, 0, 0x30, 6, 2, 1, 1, 2, 1, 1 };
        memcpy(p, sig, sizeof(sig));
    }
    put16(tl + 2, sizeof(tl));
    size_t n = craft(img, NULL, 0, tl, sizeof(tl));
    assert_int_equal(parse_only(img, n), MS_ERR_IMG_TLV_DUP);
}

static void duplicate_sec_cnt_is_tlv_dup(void **state)
{
    (void)state;
    static const uint8_t prot[] = { 0x08, 0x69, 20, 0, 0x50, 0, 4, 0, 1, 0, 0, 0,
                                    0x50, 0, 4, 0, 2, 0, 0, 0 };
    uint8_t img[256];
    size_t n = craft(img, prot, sizeof(prot), sha_tlv, sizeof(sha_tlv));
    assert_int_equal(parse_only(img, n), MS_ERR_IMG_TLV_DUP);
}

static void missing_sha256_is_no_hash(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[PLAIN_SHA] = 0xaa; /* an unknown type: skipped by the parser */
    assert_int_equal(parse_only(f.data, f.len), MS_OK);
    assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_ERR_IMG_NO_HASH);
    test_file_free(&f);
}

static void missing_signature_is_no_sig(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[PLAIN_SIG] = 0xab;
    assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_ERR_IMG_NO_SIG);
    test_file_free(&f);
}

static void bad_signature_is_signature_error(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[f.len - 1] ^= 0x01; /* last byte of s */
    assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_ERR_SIGNATURE);
    test_file_free(&f);
}

static void malformed_signature_der_is_signature_error(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[PLAIN_SIG + 4] = 0x31; /* not a SEQUENCE */
    assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_ERR_SIGNATURE);
    test_file_free(&f);
}

static void anchor_of_another_key_is_key_unknown(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    ms_image_key_anchor_t a;
    test_enc_key(&epriv, &epub);
    test_anchor(&a, &epub);
    test_file_t f = test_vector("plain.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    uint8_t buf[512];
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(ms_image_verify(&r, &info, &a, 1, NULL, 0, buf, sizeof(buf), NULL),
                     MS_ERR_IMG_KEY_UNKNOWN);
    assert_int_equal(ms_image_verify(&r, &info, NULL, 0, NULL, 0, buf, sizeof(buf), NULL),
                     MS_ERR_IMG_KEY_UNKNOWN);
    test_file_free(&f);
}

static void anchor_with_mismatched_public_key_is_signature_error(void **state)
{
    (void)state;
    /* The anchor's hash names k.pem but its key is another: the signature
     * cannot verify (a misprovisioned anchor never passes). */
    ms_p256_priv_t priv, epriv;
    ms_p256_pub_t pub, epub;
    ms_image_key_anchor_t a;
    test_sign_key(&priv, &pub);
    test_enc_key(&epriv, &epub);
    assert_int_equal(ms_image_key_hash(&pub, a.key_hash), MS_OK);
    a.pub = &epub;
    test_file_t f = test_vector("plain.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    uint8_t buf[512];
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(ms_image_verify(&r, &info, &a, 1, NULL, 0, buf, sizeof(buf), NULL),
                     MS_ERR_SIGNATURE);
    test_file_free(&f);
}

static void flipped_payload_bit_is_hash_mismatch(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[0x200 + 0x8000] ^= 0x10;
    assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_ERR_IMG_HASH);
    test_file_free(&f);
}

static void flipped_protected_tlv_bit_is_hash_mismatch(void **state)
{
    (void)state;
    test_file_t f = test_vector("seccnt.bin");
    assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_OK);
    f.data[0x10200 + 8] ^= 0x02; /* security counter 7 -> 5 */
    assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_ERR_IMG_HASH);
    test_file_free(&f);
}

static void flipped_header_bit_is_hash_mismatch(void **state)
{
    (void)state;
    static const size_t offs[] = { 4, 20, 24, 28, 0x100 };
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        test_file_t f = test_vector("plain.bin");
        f.data[offs[i]] ^= 0x01; /* load_addr, version, build, pad, header padding */
        assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_ERR_IMG_HASH);
        test_file_free(&f);
    }
}

static void wrong_encryption_key_is_enc_key_error(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    test_sign_key(&priv, &pub); /* k.pem is not the encryption key */
    test_file_t f = test_vector("enc.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    uint8_t key[32];
    size_t key_len;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(ms_image_unwrap_key(&info, &priv, key, &key_len), MS_ERR_IMG_ENC_KEY);
    size_t out_len;
    assert_int_equal(ms_image_decrypt(f.data, f.len, &priv, &out_len), MS_ERR_IMG_ENC_KEY);
    test_file_free(&f);
}

static void bad_hmac_in_enc_ec256_is_enc_key_error(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    test_enc_key(&epriv, &epub);
    /* Tag byte, wrapped-key byte: both caught by the HMAC. */
    static const size_t offs[] = { 65, 65 + 31, 97, 112 };
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        test_file_t f = test_vector("enc.bin");
        ms_image_mem_t mem;
        ms_image_reader_t r;
        ms_image_info_t info;
        uint8_t key[32];
        size_t key_len;
        assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
        info.enc_tlv[offs[i]] ^= 0x80;
        assert_int_equal(ms_image_unwrap_key(&info, &epriv, key, &key_len),
                         MS_ERR_IMG_ENC_KEY);
        test_file_free(&f);
    }
}

static void bad_ephemeral_point_is_enc_key_error(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    test_enc_key(&epriv, &epub);
    test_file_t f = test_vector("enc.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    uint8_t key[32];
    size_t key_len;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    info.enc_tlv[40] ^= 0x01; /* no longer on the curve */
    assert_int_equal(ms_image_unwrap_key(&info, &epriv, key, &key_len), MS_ERR_IMG_ENC_KEY);
    test_file_free(&f);
}

static void unencrypted_image_has_no_key_to_unwrap(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    test_enc_key(&epriv, &epub);
    test_file_t f = test_vector("plain.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    uint8_t key[32];
    size_t key_len;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(ms_image_unwrap_key(&info, &epriv, key, &key_len),
                     MS_ERR_IMG_NOT_ENCRYPTED);
    assert_int_equal(ms_image_decrypt(f.data, f.len, &epriv, &key_len),
                     MS_ERR_IMG_NOT_ENCRYPTED);
    test_file_free(&f);
}

static void image_too_large_for_slot_is_too_large(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    ms_image_sign_opts_init(&o);
    o.pad_header = true;
    o.align = 8;
    o.slot_size = 4096; /* trailer alone is 3120 bytes */
    uint8_t *in = calloc(1, 1024), *out = malloc(8192);
    size_t len;
    assert_non_null(in);
    assert_non_null(out);
    assert_int_equal(ms_image_sign(in, 1024, &priv, &o, out, 8192, &len), MS_ERR_IMG_TOO_LARGE);
    o.slot_size = 3000;
    assert_int_equal(ms_image_sign(in, 16, &priv, &o, out, 8192, &len), MS_ERR_IMG_TOO_LARGE);
    free(in);
    free(out);
}

static void hdr_size_below_32_is_bad_header(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    put16(f.data + 8, 31);
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_IMG_HEADER);
    put16(f.data + 8, 0);
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_IMG_HEADER);
    test_file_free(&f);
}

static void both_encryption_flags_is_bad_header(void **state)
{
    (void)state;
    test_file_t f = test_vector("enc.bin");
    f.data[16] |= MS_IMAGE_F_ENCRYPTED_AES256;
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_IMG_HEADER);
    test_file_free(&f);
}

static void sec_cnt_in_unprotected_area_is_format_error(void **state)
{
    (void)state;
    uint8_t tl[sizeof(sha_tlv) + 8], img[256];
    memcpy(tl, sha_tlv, sizeof(sha_tlv));
    static const uint8_t sc[8] = { 0x50, 0, 4, 0, 9, 0, 0, 0 };
    memcpy(tl + sizeof(sha_tlv), sc, sizeof(sc));
    put16(tl + 2, sizeof(tl));
    size_t n = craft(img, NULL, 0, tl, sizeof(tl));
    assert_int_equal(parse_only(img, n), MS_ERR_FORMAT);
}

static void dependency_in_unprotected_area_is_format_error(void **state)
{
    (void)state;
    uint8_t tl[sizeof(sha_tlv) + 16], img[256];
    memcpy(tl, sha_tlv, sizeof(sha_tlv));
    memset(tl + sizeof(sha_tlv), 0, 16);
    tl[sizeof(sha_tlv)] = 0x40;
    tl[sizeof(sha_tlv) + 2] = 12;
    put16(tl + 2, sizeof(tl));
    size_t n = craft(img, NULL, 0, tl, sizeof(tl));
    assert_int_equal(parse_only(img, n), MS_ERR_FORMAT);
}

static void sha256_in_protected_area_is_format_error(void **state)
{
    (void)state;
    uint8_t prot[40], img[256];
    memcpy(prot, sha_tlv, sizeof(prot));
    prot[0] = 0x08; /* protected info magic 0x6908, same TLV inside */
    size_t n = craft(img, prot, sizeof(prot), sha_tlv, sizeof(sha_tlv));
    assert_int_equal(parse_only(img, n), MS_ERR_FORMAT);
}

static void known_tlv_with_wrong_length_is_format_error(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[PLAIN_KEYHASH] = MS_TLV_PUBKEY; /* PUBKEY must be 91 bytes, this is 32 */
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_FORMAT);
    test_file_free(&f);

    static const uint8_t prot[] = { 0x08, 0x69, 11, 0, 0x50, 0, 3, 0, 1, 0, 0 };
    uint8_t img[256];
    size_t n = craft(img, prot, sizeof(prot), sha_tlv, sizeof(sha_tlv));
    assert_int_equal(parse_only(img, n), MS_ERR_FORMAT);
}

static void enc_tlv_with_wrong_length_is_format_error(void **state)
{
    (void)state;
    uint8_t tl[sizeof(sha_tlv) + 4 + 100], img[512];
    memcpy(tl, sha_tlv, sizeof(sha_tlv));
    memset(tl + sizeof(sha_tlv), 0, 104);
    tl[sizeof(sha_tlv)] = MS_TLV_ENC_EC256;
    tl[sizeof(sha_tlv) + 2] = 100;
    put16(tl + 2, sizeof(tl));
    size_t n = craft(img, NULL, 0, tl, sizeof(tl));
    assert_int_equal(parse_only(img, n), MS_ERR_FORMAT);
}

static void tlv_info_with_wrong_magic_is_tlv_info_error(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[PLAIN_TLV] = 0x08; /* 0x6908 where 0x6907 belongs */
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_IMG_TLV_INFO);
    test_file_free(&f);
}

static void tlv_tot_below_4_is_tlv_info_error(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    put16(f.data + PLAIN_TLV + 2, 3);
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_IMG_TLV_INFO);
    test_file_free(&f);
}

static void tlv_tot_past_the_end_is_truncated(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    put16(f.data + PLAIN_TLV + 2, 0xffff);
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_TRUNCATED);
    test_file_free(&f);
}

static void protect_tlv_size_mismatch_is_tlv_info_error(void **state)
{
    (void)state;
    test_file_t f = test_vector("seccnt.bin");
    put16(f.data + 10, 16); /* header says 16, area says 12 */
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_IMG_TLV_INFO);
    put16(f.data + 10, 0); /* header says none, a 0x6908 area follows */
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_IMG_TLV_INFO);
    test_file_free(&f);
}

static void huge_img_size_does_not_wrap(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[12] = 0xf0;
    f.data[13] = 0xff;
    f.data[14] = 0xff;
    f.data[15] = 0xff; /* hdr_size + img_size wraps in 32 bits */
    assert_int_equal(parse_only(f.data, f.len), MS_ERR_TRUNCATED);
    test_file_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crafted_baseline_parses),
        cmocka_unit_test(wrong_magic_is_bad_magic),
        cmocka_unit_test(truncated_header_is_truncated),
        cmocka_unit_test(truncated_payload_is_truncated),
        cmocka_unit_test(truncated_tlv_area_is_truncated),
        cmocka_unit_test(tlv_length_past_area_end_is_tlv_bounds),
        cmocka_unit_test(tlv_header_cut_by_area_end_is_tlv_bounds),
        cmocka_unit_test(duplicate_sha256_is_tlv_dup),
        cmocka_unit_test(duplicate_signature_is_tlv_dup),
        cmocka_unit_test(duplicate_sec_cnt_is_tlv_dup),
        cmocka_unit_test(missing_sha256_is_no_hash),
        cmocka_unit_test(missing_signature_is_no_sig),
        cmocka_unit_test(bad_signature_is_signature_error),
        cmocka_unit_test(malformed_signature_der_is_signature_error),
        cmocka_unit_test(anchor_of_another_key_is_key_unknown),
        cmocka_unit_test(anchor_with_mismatched_public_key_is_signature_error),
        cmocka_unit_test(flipped_payload_bit_is_hash_mismatch),
        cmocka_unit_test(flipped_protected_tlv_bit_is_hash_mismatch),
        cmocka_unit_test(flipped_header_bit_is_hash_mismatch),
        cmocka_unit_test(wrong_encryption_key_is_enc_key_error),
        cmocka_unit_test(bad_hmac_in_enc_ec256_is_enc_key_error),
        cmocka_unit_test(bad_ephemeral_point_is_enc_key_error),
        cmocka_unit_test(unencrypted_image_has_no_key_to_unwrap),
        cmocka_unit_test(image_too_large_for_slot_is_too_large),
        cmocka_unit_test(hdr_size_below_32_is_bad_header),
        cmocka_unit_test(both_encryption_flags_is_bad_header),
        cmocka_unit_test(sec_cnt_in_unprotected_area_is_format_error),
        cmocka_unit_test(dependency_in_unprotected_area_is_format_error),
        cmocka_unit_test(sha256_in_protected_area_is_format_error),
        cmocka_unit_test(known_tlv_with_wrong_length_is_format_error),
        cmocka_unit_test(enc_tlv_with_wrong_length_is_format_error),
        cmocka_unit_test(tlv_info_with_wrong_magic_is_tlv_info_error),
        cmocka_unit_test(tlv_tot_below_4_is_tlv_info_error),
        cmocka_unit_test(tlv_tot_past_the_end_is_truncated),
        cmocka_unit_test(protect_tlv_size_mismatch_is_tlv_info_error),
        cmocka_unit_test(huge_img_size_does_not_wrap),
    };
    return cmocka_run_group_tests_name("image_bad", tests, NULL, NULL);
}
