/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image_vectors.c - images made by MCUboot's imgtool parse, verify and
 * decrypt here, and what we read agrees with `imgtool dumpinfo`.
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

#define SLOT 0x40000u

static const char *const all_vectors[] = { "plain.bin", "enc.bin", "enc256.bin", "seccnt.bin",
                                           "confirm.bin", "all.bin" };

static void every_vector_parses_with_imgtool_header_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(all_vectors) / sizeof(all_vectors[0]); i++) {
        test_file_t f = test_vector(all_vectors[i]);
        ms_image_mem_t mem;
        ms_image_reader_t r;
        ms_image_info_t info;
        assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
        assert_int_equal(info.hdr.magic, MS_IMAGE_MAGIC);
        assert_int_equal(info.hdr.hdr_size, 0x200);
        assert_int_equal(info.hdr.img_size, 0x10000);
        assert_int_equal(info.hdr.version.major, 1);
        assert_int_equal(info.hdr.version.minor, 2);
        assert_int_equal(info.hdr.version.revision, 3);
        assert_int_equal(info.hdr.version.build, 4);
        assert_int_equal(info.payload_off, 0x200);
        assert_int_equal(info.prot_tlv_off, 0x10200);
        assert_true(info.has_sha256);
        assert_true(info.has_keyhash);
        assert_false(info.has_pubkey);
        assert_in_range(info.sig_len, 70, 72);
        assert_int_equal(info.tlv_off + info.tlv_size, info.end);
        test_file_free(&f);
    }
}

static void plain_image_ends_where_the_file_ends(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(info.end, f.len);
    assert_int_equal(info.tlv_off, 0x10200);
    assert_int_equal(info.tlv_size, 4 + 36 + 36 + 4 + info.sig_len);
    assert_int_equal(info.hdr.flags, 0);
    assert_false(info.has_sec_cnt);
    assert_int_equal(info.enc_tlv_len, 0);
    test_file_free(&f);
}

static void keyhash_tlv_is_sha256_of_k_pem_spki(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    uint8_t kh[32];
    test_sign_key(&priv, &pub);
    assert_int_equal(ms_image_key_hash(&pub, kh), MS_OK);
    test_file_t f = test_vector("plain.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_memory_equal(kh, info.keyhash, 32);
    test_file_free(&f);
}

static void plain_verifies_with_k_pem_anchor_and_measures(void **state)
{
    (void)state;
    ms_p256_priv_t priv, epriv;
    ms_p256_pub_t pub, epub;
    ms_image_key_anchor_t anchors[2];
    test_sign_key(&priv, &pub);
    test_enc_key(&epriv, &epub);
    test_anchor(&anchors[0], &epub); /* some other trusted key first */
    test_anchor(&anchors[1], &pub);
    test_file_t f = test_vector("plain.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    ms_image_measurement_t m;
    uint8_t buf[1024];
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    memset(&m, 0xa5, sizeof(m));
    assert_int_equal(ms_image_verify(&r, &info, anchors, 2, NULL, 0, buf, sizeof(buf), &m),
                     MS_OK);
    assert_memory_equal(m.hash, info.sha256, 32);
    assert_int_equal(m.anchor_index, 1);
    assert_int_equal(m.version.major, 1);
    assert_int_equal(m.version.build, 4);
    assert_false(m.has_sec_cnt);
    test_file_free(&f);
}

static void seccnt_verifies_and_reports_security_counter_7(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_key_anchor_t a;
    test_sign_key(&priv, &pub);
    test_anchor(&a, &pub);
    test_file_t f = test_vector("seccnt.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    ms_image_measurement_t m;
    uint8_t buf[1024];
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(info.hdr.protect_tlv_size, 12);
    assert_true(info.has_sec_cnt);
    assert_int_equal(info.sec_cnt, 7);
    assert_int_equal(info.tlv_off, 0x10200 + 12);
    assert_int_equal(ms_image_verify(&r, &info, &a, 1, NULL, 0, buf, sizeof(buf), &m), MS_OK);
    assert_true(m.has_sec_cnt);
    assert_int_equal(m.sec_cnt, 7);
    test_file_free(&f);
}

static void confirm_verifies_and_has_trailer_at_imgtool_offsets(void **state)
{
    (void)state;
    test_file_t f = test_vector("confirm.bin");
    assert_int_equal(f.len, SLOT);
    assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_OK);
    ms_trailer_layout_t t;
    assert_int_equal(ms_trailer_layout(SLOT, 8, 8, 128, false, 0, &t), MS_OK);
    assert_int_equal(t.magic_off, 0x3fff0);
    assert_int_equal(t.image_ok_off, 0x3ffe8);
    assert_int_equal(t.copy_done_off, 0x3ffe0);
    assert_int_equal(t.swap_info_off, 0x3ffd8);
    assert_int_equal(t.swap_size_off, 0x3ffd0);
    assert_int_equal(t.trailer_off, SLOT - (128 * 3 * 8 + 8 * 4 + 16));
    assert_memory_equal(f.data + t.magic_off, ms_trailer_magic, 16);
    assert_int_equal(f.data[t.image_ok_off], 0x01);
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    for (uint32_t i = info.end; i < t.magic_off; i++) {
        if (i != t.image_ok_off) {
            assert_int_equal(f.data[i], 0xff);
        }
    }
    test_file_free(&f);
}

static void enc_key_unwraps_with_enc_pem_and_image_verifies(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    test_enc_key(&epriv, &epub);
    test_file_t f = test_vector("enc.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(info.hdr.flags, MS_IMAGE_F_ENCRYPTED_AES128);
    assert_int_equal(info.enc_tlv_len, MS_IMAGE_ENC_EC256_LEN_128);
    uint8_t key[MS_IMAGE_ENC_KEY_MAX];
    size_t key_len = 0;
    assert_int_equal(ms_image_unwrap_key(&info, &epriv, key, &key_len), MS_OK);
    assert_int_equal(key_len, 16);
    assert_int_equal(test_verify_buf(f.data, f.len, key, key_len), MS_OK);
    test_file_free(&f);
}

static void enc_without_its_key_fails_with_hash_mismatch(void **state)
{
    (void)state;
    test_file_t f = test_vector("enc.bin");
    assert_int_equal(test_verify_buf(f.data, f.len, NULL, 0), MS_ERR_IMG_HASH);
    test_file_free(&f);
}

static void check_decrypts_to_in_bin(const char *name, size_t want_len)
{
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    test_enc_key(&epriv, &epub);
    test_file_t f = test_vector(name);
    test_file_t in = test_vector("in.bin");
    test_file_t orig = test_vector(name);
    size_t out_len = 0;
    assert_int_equal(ms_image_decrypt(f.data, f.len, &epriv, &out_len), MS_OK);
    assert_int_equal(out_len, want_len);
    /* Header exactly as signed, payload is in.bin, ENC_EC256 gone. */
    assert_memory_equal(f.data, orig.data, 0x200);
    assert_memory_equal(f.data + 0x200, in.data, in.len);
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(f.data, out_len, &mem, &r, &info), MS_OK);
    assert_int_equal(info.enc_tlv_len, 0);
    assert_int_equal(test_verify_buf(f.data, out_len, NULL, 0), MS_OK);
    test_file_free(&f);
    test_file_free(&in);
    test_file_free(&orig);
}

static void enc_decrypts_to_exactly_in_bin_and_still_verifies(void **state)
{
    (void)state;
    /* 66315 - (4 + 113): the length of the same image unencrypted. */
    check_decrypts_to_in_bin("enc.bin", 66315 - 117);
}

/* imgtool 2.x --encrypt-keylen 256: HKDF gives 64 bytes, the key is wrapped
 * with AES-256-CTR under derived[0..32) and MACed with derived[32..64). */
static void enc256_key_unwraps_as_mcuboot_aes256_and_image_verifies(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    test_enc_key(&epriv, &epub);
    test_file_t f = test_vector("enc256.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(info.hdr.flags, MS_IMAGE_F_ENCRYPTED_AES256);
    assert_int_equal(info.enc_tlv_len, MS_IMAGE_ENC_EC256_LEN_256);
    uint8_t key[MS_IMAGE_ENC_KEY_MAX];
    size_t key_len = 0;
    assert_int_equal(ms_image_unwrap_key(&info, &epriv, key, &key_len), MS_OK);
    assert_int_equal(key_len, 32);
    assert_int_equal(test_verify_buf(f.data, f.len, key, key_len), MS_OK);
    test_file_free(&f);
}

static void enc256_decrypts_to_exactly_in_bin_and_still_verifies(void **state)
{
    (void)state;
    test_file_t f = test_vector("enc256.bin");
    size_t len = f.len;
    test_file_free(&f);
    check_decrypts_to_in_bin("enc256.bin", len - (4 + MS_IMAGE_ENC_EC256_LEN_256));
}

static void all_decrypts_to_exactly_in_bin_and_keeps_its_trailer(void **state)
{
    (void)state;
    check_decrypts_to_in_bin("all.bin", SLOT);
    test_file_t f = test_vector("all.bin");
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    size_t out_len;
    test_enc_key(&epriv, &epub);
    assert_int_equal(ms_image_decrypt(f.data, f.len, &epriv, &out_len), MS_OK);
    assert_memory_equal(f.data + SLOT - 16, ms_trailer_magic, 16);
    assert_int_equal(f.data[0x3ffe8], 0x01);
    test_file_free(&f);
}

static void all_verifies_with_unwrapped_key(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    test_enc_key(&epriv, &epub);
    test_file_t f = test_vector("all.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    uint8_t key[32];
    size_t key_len;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(ms_image_unwrap_key(&info, &epriv, key, &key_len), MS_OK);
    assert_int_equal(test_verify_buf(f.data, f.len, key, key_len), MS_OK);
    test_file_free(&f);
}

/* ---- dumpinfo-all.json: a tiny extraction, keys read in document order ---- */

static const char *json_value(const char **cur, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(*cur, pat);
    assert_non_null(p);
    p += strlen(pat);
    while (*p == ' ') {
        p++;
    }
    *cur = p;
    return p;
}

static unsigned long json_num(const char **cur, const char *key)
{
    return strtoul(json_value(cur, key), NULL, 10);
}

static size_t json_hex(const char **cur, const char *key, uint8_t *out, size_t cap)
{
    const char *v = json_value(cur, key);
    assert_int_equal(*v, '"');
    char tmp[600];
    const char *e = strchr(v + 1, '"');
    assert_non_null(e);
    size_t n = (size_t)(e - v - 1);
    assert_true(n < sizeof(tmp));
    memcpy(tmp, v + 1, n);
    tmp[n] = '\0';
    return test_unhex(tmp, out, cap);
}

static void json_tlvs_match(const char **cur, const ms_image_reader_t *r,
                            const ms_image_info_t *info, bool prot, size_t count)
{
    ms_tlv_iter_t it;
    uint16_t type, len;
    uint32_t off;
    assert_int_equal(ms_tlv_iter_begin(&it, r, info, prot), MS_OK);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(ms_tlv_iter_next(&it, &type, &off, &len), MS_OK);
        assert_int_equal(type, json_num(cur, "type"));
        assert_int_equal(len, json_num(cur, "len"));
        uint8_t want[256], got[256];
        size_t n = json_hex(cur, "data", want, sizeof(want));
        assert_int_equal(n, len);
        assert_int_equal(r->read(r->ctx, off, got, len), MS_OK);
        assert_memory_equal(got, want, len);
    }
    assert_int_equal(ms_tlv_iter_next(&it, &type, &off, &len), MS_ERR_NOT_FOUND);
}

static void all_agrees_with_imgtool_dumpinfo_json(void **state)
{
    (void)state;
    test_file_t js = test_vector("dumpinfo-all.json");
    js.data[js.len] = '\0';
    const char *cur = (const char *)js.data;
    test_file_t f = test_vector("all.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);

    const ms_image_header_t *h = &info.hdr;
    assert_int_equal(h->magic, json_num(&cur, "magic"));
    assert_int_equal(h->load_addr, json_num(&cur, "load_addr"));
    assert_int_equal(h->hdr_size, json_num(&cur, "hdr_size"));
    assert_int_equal(h->protect_tlv_size, json_num(&cur, "protected_tlv_size"));
    assert_int_equal(h->img_size, json_num(&cur, "img_size"));
    assert_int_equal(h->flags, json_num(&cur, "flags"));
    char ver[32];
    snprintf(ver, sizeof(ver), "\"%u.%u.%u+%u\"", h->version.major, h->version.minor,
             h->version.revision, (unsigned)h->version.build);
    assert_memory_equal(json_value(&cur, "version"), ver, strlen(ver));

    /* Protected area: info then one TLV. */
    assert_int_equal(f.data[info.prot_tlv_off] | f.data[info.prot_tlv_off + 1] << 8,
                     json_num(&cur, "magic"));
    assert_int_equal(f.data[info.prot_tlv_off + 2] | f.data[info.prot_tlv_off + 3] << 8,
                     json_num(&cur, "tlv_tot"));
    json_tlvs_match(&cur, &r, &info, true, 1);

    assert_int_equal(f.data[info.tlv_off] | f.data[info.tlv_off + 1] << 8,
                     json_num(&cur, "magic"));
    assert_int_equal(info.tlv_size, json_num(&cur, "tlv_tot"));
    json_tlvs_match(&cur, &r, &info, false, 4);

    ms_trailer_layout_t t;
    assert_int_equal(ms_trailer_layout((uint32_t)f.len, 8, 8, 128, false, 16, &t), MS_OK);
    uint8_t magic[16];
    assert_int_equal(json_hex(&cur, "magic", magic, sizeof(magic)), 16);
    assert_memory_equal(f.data + t.magic_off, magic, 16);
    assert_memory_equal(f.data + t.magic_off, ms_trailer_magic, 16);
    assert_int_equal(f.data[t.image_ok_off], json_num(&cur, "image_ok"));
    assert_int_equal(f.data[t.copy_done_off], json_num(&cur, "copy_done"));
    assert_int_equal(f.data[t.swap_info_off], json_num(&cur, "swap_info"));
    uint32_t swap_size = (uint32_t)f.data[t.swap_size_off] |
                         (uint32_t)f.data[t.swap_size_off + 1] << 8 |
                         (uint32_t)f.data[t.swap_size_off + 2] << 16 |
                         (uint32_t)f.data[t.swap_size_off + 3] << 24;
    assert_int_equal(swap_size, json_num(&cur, "swap_size"));
    assert_int_equal((t.swap_size_off - t.enc_key1_off), json_num(&cur, "key_field_len"));
    test_file_free(&f);
    test_file_free(&js);
}

static void tlv_iteration_sees_imgtool_order(void **state)
{
    (void)state;
    test_file_t f = test_vector("enc.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    static const uint16_t want[] = { MS_TLV_SHA256, MS_TLV_KEYHASH, MS_TLV_ECDSA_SIG,
                                     MS_TLV_ENC_EC256 };
    ms_tlv_iter_t it;
    uint16_t type, len;
    uint32_t off;
    assert_int_equal(ms_tlv_iter_begin(&it, &r, &info, true), MS_OK);
    assert_int_equal(ms_tlv_iter_next(&it, &type, &off, &len), MS_ERR_NOT_FOUND);
    assert_int_equal(ms_tlv_iter_begin(&it, &r, &info, false), MS_OK);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ms_tlv_iter_next(&it, &type, &off, &len), MS_OK);
        assert_int_equal(type, want[i]);
    }
    assert_int_equal(ms_tlv_iter_next(&it, &type, &off, &len), MS_ERR_NOT_FOUND);
    test_file_free(&f);
}

static void header_encode_reproduces_imgtool_header_bytes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(all_vectors) / sizeof(all_vectors[0]); i++) {
        test_file_t f = test_vector(all_vectors[i]);
        ms_image_header_t h;
        uint8_t out[32];
        assert_int_equal(ms_image_header_parse(f.data, f.len, &h), MS_OK);
        ms_image_header_encode(&h, out);
        assert_memory_equal(out, f.data, 32);
        test_file_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_vector_parses_with_imgtool_header_fields),
        cmocka_unit_test(plain_image_ends_where_the_file_ends),
        cmocka_unit_test(keyhash_tlv_is_sha256_of_k_pem_spki),
        cmocka_unit_test(plain_verifies_with_k_pem_anchor_and_measures),
        cmocka_unit_test(seccnt_verifies_and_reports_security_counter_7),
        cmocka_unit_test(confirm_verifies_and_has_trailer_at_imgtool_offsets),
        cmocka_unit_test(enc_key_unwraps_with_enc_pem_and_image_verifies),
        cmocka_unit_test(enc_without_its_key_fails_with_hash_mismatch),
        cmocka_unit_test(enc_decrypts_to_exactly_in_bin_and_still_verifies),
        cmocka_unit_test(enc256_key_unwraps_as_mcuboot_aes256_and_image_verifies),
        cmocka_unit_test(enc256_decrypts_to_exactly_in_bin_and_still_verifies),
        cmocka_unit_test(all_decrypts_to_exactly_in_bin_and_keeps_its_trailer),
        cmocka_unit_test(all_verifies_with_unwrapped_key),
        cmocka_unit_test(all_agrees_with_imgtool_dumpinfo_json),
        cmocka_unit_test(tlv_iteration_sees_imgtool_order),
        cmocka_unit_test(header_encode_reproduces_imgtool_header_bytes),
    };
    return cmocka_run_group_tests_name("image_vectors", tests, NULL, NULL);
}
