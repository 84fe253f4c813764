/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image_sign.c - ms_image_sign() lays images out as imgtool does: with
 * the vectors' inputs and options, everything but the randomised bytes
 * (ECDSA signature; for encrypted images the ENC_EC256 TLV and the
 * ciphertext) is identical to imgtool's files.
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

/* The options of the vectors' README: --header-size 0x200 --pad-header
 * --align 8 --version 1.2.3+4 --slot-size 0x40000. */
static void vector_opts(ms_image_sign_opts_t *o)
{
    ms_image_sign_opts_init(o);
    o->hdr_size = 0x200;
    o->pad_header = true;
    o->align = 8;
    o->version.major = 1;
    o->version.minor = 2;
    o->version.revision = 3;
    o->version.build = 4;
    o->slot_size = SLOT;
}

typedef struct signed_img {
    uint8_t *data;
    size_t len;
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
} signed_img_t;

static void sign_in_bin(const ms_image_sign_opts_t *o, signed_img_t *s)
{
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    test_sign_key(&priv, &pub);
    test_file_t in = test_vector("in.bin");
    size_t cap = SLOT + 0x1000;
    s->data = malloc(cap);
    assert_non_null(s->data);
    assert_int_equal(ms_image_sign(in.data, in.len, &priv, o, s->data, cap, &s->len), MS_OK);
    assert_int_equal(test_parse(s->data, s->len, &s->mem, &s->r, &s->info), MS_OK);
    test_file_free(&in);
}

static void parse_file(test_file_t *f, ms_image_mem_t *mem, ms_image_reader_t *r,
                       ms_image_info_t *info)
{
    assert_int_equal(test_parse(f->data, f->len, mem, r, info), MS_OK);
}

/* Same TLV types, lengths and (except the listed types) values, in order. */
static void assert_same_tlvs(const ms_image_reader_t *ra, const ms_image_info_t *a,
                             const ms_image_reader_t *rb, const ms_image_info_t *b,
                             bool prot)
{
    ms_tlv_iter_t ia, ib;
    uint16_t ta, tb, la, lb;
    uint32_t oa, ob;
    assert_int_equal(ms_tlv_iter_begin(&ia, ra, a, prot), MS_OK);
    assert_int_equal(ms_tlv_iter_begin(&ib, rb, b, prot), MS_OK);
    for (;;) {
        ms_err_t ea = ms_tlv_iter_next(&ia, &ta, &oa, &la);
        ms_err_t eb = ms_tlv_iter_next(&ib, &tb, &ob, &lb);
        assert_int_equal(ea, eb);
        if (ea != MS_OK) {
            break;
        }
        assert_int_equal(ta, tb);
        uint8_t va[256], vb[256];
        assert_int_equal(ra->read(ra->ctx, oa, va, la), MS_OK);
        assert_int_equal(rb->read(rb->ctx, ob, vb, lb), MS_OK);
        if (ta == MS_TLV_ECDSA_SIG) {
            /* Randomised: DER length 70..72 usually; 68/69 when r or s
             * happens to start with a zero byte (about 1 in 128). */
            assert_in_range(la, 64, 72);
            assert_int_equal(va[0], 0x30);
            assert_int_equal(va[1], la - 2);
            continue;
        }
        assert_int_equal(la, lb);
        if (ta == MS_TLV_ENC_EC256) {
            assert_int_equal(va[0], 0x04); /* an uncompressed point; rest random */
            continue;
        }
        assert_memory_equal(va, vb, la);
    }
}

/* Header (and header padding), protected area, TLV order/lengths/values and
 * the sizes derived from them agree with the imgtool file. */
static void assert_imgtool_layout(signed_img_t *s, const char *vector, bool encrypted)
{
    test_file_t f = test_vector(vector);
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    parse_file(&f, &mem, &r, &info);

    assert_memory_equal(s->data, f.data, 0x200); /* header + 0xff padding */
    if (!encrypted) {
        assert_memory_equal(s->data + 0x200, f.data + 0x200, 0x10000);
    }
    assert_int_equal(s->info.prot_tlv_off, info.prot_tlv_off);
    assert_int_equal(s->info.tlv_off, info.tlv_off);
    assert_memory_equal(s->data + info.prot_tlv_off, f.data + info.prot_tlv_off,
                        info.tlv_off - info.prot_tlv_off + 4 - 2); /* prot area + TLV magic */
    /* tlv_tot and the image end move with the signature's DER length only. */
    int dsig = (int)s->info.sig_len - (int)info.sig_len;
    assert_int_equal((int)s->info.tlv_size, (int)info.tlv_size + dsig);
    assert_int_equal((int)s->info.end, (int)info.end + dsig);
    assert_same_tlvs(&s->r, &s->info, &r, &info, true);
    assert_same_tlvs(&s->r, &s->info, &r, &info, false);
    if (f.len == SLOT) {
        /* Padded: same length, same bytes from the later of the two ends. */
        assert_int_equal(s->len, SLOT);
        uint32_t from = s->info.end > info.end ? s->info.end : info.end;
        assert_memory_equal(s->data + from, f.data + from, SLOT - from);
    } else {
        assert_int_equal((int)s->len, (int)f.len + dsig);
    }
    test_file_free(&f);
}

static void signed_plain_has_imgtool_layout_and_verifies(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    signed_img_t s;
    vector_opts(&o);
    sign_in_bin(&o, &s);
    assert_imgtool_layout(&s, "plain.bin", false);
    assert_int_equal(test_verify_buf(s.data, s.len, NULL, 0), MS_OK);
    free(s.data);
}

static void signed_seccnt_has_imgtool_protected_area(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    signed_img_t s;
    vector_opts(&o);
    o.has_sec_cnt = true;
    o.sec_cnt = 7;
    sign_in_bin(&o, &s);
    assert_imgtool_layout(&s, "seccnt.bin", false);
    assert_int_equal(test_verify_buf(s.data, s.len, NULL, 0), MS_OK);
    free(s.data);
}

static void signed_confirm_has_imgtool_trailer(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    signed_img_t s;
    vector_opts(&o);
    o.confirm = true;
    sign_in_bin(&o, &s);
    assert_imgtool_layout(&s, "confirm.bin", false);
    assert_int_equal(s.data[0x3ffe8], 0x01);
    assert_memory_equal(s.data + 0x3fff0, ms_trailer_magic, 16);
    assert_int_equal(test_verify_buf(s.data, s.len, NULL, 0), MS_OK);
    free(s.data);
}

static void signed_pad_without_confirm_leaves_image_ok_erased(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    signed_img_t s;
    vector_opts(&o);
    o.pad = true;
    sign_in_bin(&o, &s);
    assert_int_equal(s.len, SLOT);
    assert_int_equal(s.data[0x3ffe8], 0xff);
    assert_memory_equal(s.data + 0x3fff0, ms_trailer_magic, 16);
    free(s.data);
}

static void check_encrypted(signed_img_t *s, size_t want_key_len)
{
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    test_enc_key(&epriv, &epub);
    uint8_t key[32];
    size_t key_len;
    assert_int_equal(ms_image_unwrap_key(&s->info, &epriv, key, &key_len), MS_OK);
    assert_int_equal(key_len, want_key_len);
    assert_int_equal(test_verify_buf(s->data, s->len, key, key_len), MS_OK);
    assert_int_equal(test_verify_buf(s->data, s->len, NULL, 0), MS_ERR_IMG_HASH);
    test_file_t in = test_vector("in.bin");
    size_t out_len;
    assert_memory_not_equal(s->data + 0x200, in.data, 64); /* really ciphertext */
    assert_int_equal(ms_image_decrypt(s->data, s->len, &epriv, &out_len), MS_OK);
    assert_memory_equal(s->data + 0x200, in.data, in.len);
    assert_int_equal(test_verify_buf(s->data, out_len, NULL, 0), MS_OK);
    test_file_free(&in);
}

static void signed_enc_has_imgtool_layout_and_decrypts(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    ms_image_sign_opts_t o;
    signed_img_t s;
    test_enc_key(&epriv, &epub);
    vector_opts(&o);
    o.enc_pub = &epub;
    o.enc_key_len = 16;
    sign_in_bin(&o, &s);
    assert_imgtool_layout(&s, "enc.bin", true);
    check_encrypted(&s, 16);
    free(s.data);
}

static void signed_all_has_imgtool_layout_and_decrypts(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    ms_image_sign_opts_t o;
    signed_img_t s;
    test_enc_key(&epriv, &epub);
    vector_opts(&o);
    o.enc_pub = &epub;
    o.enc_key_len = 16;
    o.has_sec_cnt = true;
    o.sec_cnt = 7;
    o.confirm = true;
    sign_in_bin(&o, &s);
    assert_imgtool_layout(&s, "all.bin", true);
    check_encrypted(&s, 16);
    free(s.data);
}

static void signed_aes256_sets_flag_and_129_byte_tlv(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    ms_image_sign_opts_t o;
    signed_img_t s;
    test_enc_key(&epriv, &epub);
    vector_opts(&o);
    o.enc_pub = &epub;
    o.enc_key_len = 32;
    sign_in_bin(&o, &s);
    assert_int_equal(s.info.hdr.flags, MS_IMAGE_F_ENCRYPTED_AES256);
    assert_int_equal(s.info.enc_tlv_len, MS_IMAGE_ENC_EC256_LEN_256);
    check_encrypted(&s, 32);
    free(s.data);
}

static void too_large_for_slot_is_refused(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    test_file_t in = test_vector("in.bin");
    vector_opts(&o);
    size_t cap = SLOT, len = 0;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    /* 0x10200 + TLVs (~150) + trailer (3120) needs about 0x10e00. */
    o.slot_size = 0x10000;
    assert_int_equal(ms_image_sign(in.data, in.len, &priv, &o, out, cap, &len),
                     MS_ERR_IMG_TOO_LARGE);
    o.slot_size = 0x10200 + 140 + 3120;
    assert_int_equal(ms_image_sign(in.data, in.len, &priv, &o, out, cap, &len),
                     MS_ERR_IMG_TOO_LARGE);
    o.slot_size = 0x10200 + 152 + 3120;
    assert_int_equal(ms_image_sign(in.data, in.len, &priv, &o, out, cap, &len), MS_OK);
    free(out);
    test_file_free(&in);
}

static void encrypted_trailer_reserves_two_key_fields(void **state)
{
    (void)state;
    ms_trailer_layout_t plain, enc;
    assert_int_equal(ms_trailer_layout(SLOT, 8, 8, 128, false, 0, &plain), MS_OK);
    assert_int_equal(ms_trailer_layout(SLOT, 8, 8, 128, false, 16, &enc), MS_OK);
    assert_int_equal(SLOT - plain.trailer_off, 3120);
    assert_int_equal(SLOT - enc.trailer_off, 3120 + 32);
    assert_int_equal(enc.enc_key0_off, 0x3ffd0 - 16);
    assert_int_equal(enc.enc_key1_off, 0x3ffd0 - 32);
    ms_trailer_layout_t ow;
    assert_int_equal(ms_trailer_layout(SLOT, 8, 8, 128, true, 0, &ow), MS_OK);
    assert_int_equal(SLOT - ow.trailer_off, 8 * 2 + 16);
    assert_int_equal(ms_trailer_layout(3000, 8, 8, 128, false, 0, &ow), MS_ERR_IMG_TOO_LARGE);
    assert_int_equal(ms_trailer_layout(SLOT, 3, 8, 128, false, 0, &ow), MS_ERR_ARG);
}

static void small_buffer_reports_needed_size(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    ms_image_sign_opts_init(&o);
    uint8_t in[100];
    memset(in, 0x5a, sizeof(in));
    o.pad_header = true;
    uint8_t small[64];
    size_t need = 0;
    assert_int_equal(ms_image_sign(in, sizeof(in), &priv, &o, small, sizeof(small), &need),
                     MS_ERR_BUFFER_TOO_SMALL);
    assert_true(need >= 32 + 100 + 4 + 36 + 36 + 4 + 70);
    uint8_t *out = malloc(need);
    size_t len = 0;
    assert_non_null(out);
    assert_int_equal(ms_image_sign(in, sizeof(in), &priv, &o, out, need, &len), MS_OK);
    assert_true(len <= need);
    assert_int_equal(test_verify_buf(out, len, NULL, 0), MS_OK);
    free(out);
}

static void full_pubkey_verifies_against_hash_only_anchor(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    ms_image_sign_opts_init(&o);
    o.pad_header = true;
    o.full_pubkey = true;
    uint8_t in[256], out[1024];
    size_t len;
    memset(in, 0x11, sizeof(in));
    assert_int_equal(ms_image_sign(in, sizeof(in), &priv, &o, out, sizeof(out), &len), MS_OK);
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(out, len, &mem, &r, &info), MS_OK);
    assert_true(info.has_pubkey);
    assert_false(info.has_keyhash);
    assert_memory_equal(info.pubkey.q, pub.q, MS_P256_PUB_LEN);
    ms_image_key_anchor_t a;
    assert_int_equal(ms_image_key_hash(&pub, a.key_hash), MS_OK);
    a.pub = NULL;
    uint8_t buf[64];
    assert_int_equal(ms_image_verify(&r, &info, &a, 1, NULL, 0, buf, sizeof(buf), NULL), MS_OK);
}

static void keyhash_needs_anchor_with_public_key(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    test_sign_key(&priv, &pub);
    ms_image_key_anchor_t a;
    assert_int_equal(ms_image_key_hash(&pub, a.key_hash), MS_OK);
    a.pub = NULL;
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    uint8_t buf[256];
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, &info), MS_OK);
    assert_int_equal(ms_image_verify(&r, &info, &a, 1, NULL, 0, buf, sizeof(buf), NULL),
                     MS_ERR_IMG_KEY_UNKNOWN);
    test_file_free(&f);
}

static void load_addr_sets_ram_load_flag(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    ms_image_sign_opts_init(&o);
    o.pad_header = true;
    o.load_addr = 0x20000000;
    o.flags = MS_IMAGE_F_NON_BOOTABLE;
    uint8_t in[48], out[1024];
    size_t len;
    memset(in, 0x22, sizeof(in));
    assert_int_equal(ms_image_sign(in, sizeof(in), &priv, &o, out, sizeof(out), &len), MS_OK);
    ms_image_header_t h;
    assert_int_equal(ms_image_header_parse(out, len, &h), MS_OK);
    assert_int_equal(h.load_addr, 0x20000000);
    assert_int_equal(h.flags, MS_IMAGE_F_RAM_LOAD | MS_IMAGE_F_NON_BOOTABLE);
}

static void input_without_pad_header_must_start_with_zeros(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    ms_image_sign_opts_init(&o);
    o.hdr_size = 64;
    uint8_t in[200], out[1024];
    size_t len;
    memset(in, 0, 64);
    memset(in + 64, 0x33, sizeof(in) - 64);
    assert_int_equal(ms_image_sign(in, sizeof(in), &priv, &o, out, sizeof(out), &len), MS_OK);
    ms_image_header_t h;
    assert_int_equal(ms_image_header_parse(out, len, &h), MS_OK);
    assert_int_equal(h.img_size, sizeof(in) - 64);
    for (int i = 32; i < 64; i++) {
        assert_int_equal(out[i], 0); /* the input's zeros, not 0xff */
    }
    assert_memory_equal(out + 64, in + 64, sizeof(in) - 64);
    assert_int_equal(test_verify_buf(out, len, NULL, 0), MS_OK);
    in[40] = 1;
    assert_int_equal(ms_image_sign(in, sizeof(in), &priv, &o, out, sizeof(out), &len),
                     MS_ERR_ARG);
}

static void encrypted_payload_is_zero_padded_to_16_bytes(void **state)
{
    (void)state;
    ms_p256_priv_t priv, epriv;
    ms_p256_pub_t pub, epub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    test_enc_key(&epriv, &epub);
    ms_image_sign_opts_init(&o);
    o.pad_header = true;
    o.enc_pub = &epub;
    o.enc_key_len = 16;
    uint8_t in[1000], out[2048];
    size_t len;
    memset(in, 0x44, sizeof(in));
    assert_int_equal(ms_image_sign(in, sizeof(in), &priv, &o, out, sizeof(out), &len), MS_OK);
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(out, len, &mem, &r, &info), MS_OK);
    assert_int_equal(info.hdr.img_size, 1008);
    size_t out_len;
    assert_int_equal(ms_image_decrypt(out, len, &epriv, &out_len), MS_OK);
    assert_memory_equal(out + 32, in, sizeof(in));
    for (int i = 0; i < 8; i++) {
        assert_int_equal(out[32 + 1000 + i], 0);
    }
    assert_int_equal(test_verify_buf(out, out_len, NULL, 0), MS_OK);
}

static void dependencies_are_protected_and_parsed(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    ms_image_sign_opts_init(&o);
    o.pad_header = true;
    o.has_sec_cnt = true;
    o.sec_cnt = 0x01020003;
    o.n_deps = 2;
    o.deps[0].image_id = 1;
    o.deps[0].min_version.major = 2;
    o.deps[0].min_version.revision = 0x1234;
    o.deps[1].image_id = 0;
    o.deps[1].min_version.build = 99;
    uint8_t in[64], out[1024];
    size_t len;
    memset(in, 0x55, sizeof(in));
    assert_int_equal(ms_image_sign(in, sizeof(in), &priv, &o, out, sizeof(out), &len), MS_OK);
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(out, len, &mem, &r, &info), MS_OK);
    assert_int_equal(info.hdr.protect_tlv_size, 4 + 8 + 2 * 16);
    assert_int_equal(info.sec_cnt, 0x01020003);
    assert_int_equal(info.n_deps, 2);
    assert_int_equal(info.deps[0].image_id, 1);
    assert_int_equal(info.deps[0].min_version.major, 2);
    assert_int_equal(info.deps[0].min_version.revision, 0x1234);
    assert_int_equal(info.deps[1].min_version.build, 99);
    assert_int_equal(test_verify_buf(out, len, NULL, 0), MS_OK);
    /* A changed dependency breaks the hash: it is protected. */
    out[info.prot_tlv_off + 4 + 8 + 4] ^= 1;
    assert_int_equal(test_verify_buf(out, len, NULL, 0), MS_ERR_IMG_HASH);
}

static void max_align_16_uses_aligned_magic(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    ms_image_sign_opts_init(&o);
    o.pad_header = true;
    o.align = 16;
    o.max_align = 16;
    o.slot_size = 0x4000;
    o.max_sectors = 16;
    o.confirm = true;
    uint8_t in[64];
    memset(in, 0x66, sizeof(in));
    uint8_t *out = malloc(0x4000);
    size_t len;
    assert_non_null(out);
    assert_int_equal(ms_image_sign(in, sizeof(in), &priv, &o, out, 0x4000, &len), MS_OK);
    assert_int_equal(len, 0x4000);
    static const uint8_t magic16[16] = { 0x10, 0x00, 0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b,
                                         0x8d, 0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a };
    assert_memory_equal(out + 0x4000 - 16, magic16, 16);
    assert_int_equal(out[0x4000 - 16 - 16], 0x01); /* image_ok */
    assert_int_equal(out[0x4000 - 16 - 8], 0xff);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signed_plain_has_imgtool_layout_and_verifies),
        cmocka_unit_test(signed_seccnt_has_imgtool_protected_area),
        cmocka_unit_test(signed_confirm_has_imgtool_trailer),
        cmocka_unit_test(signed_pad_without_confirm_leaves_image_ok_erased),
        cmocka_unit_test(signed_enc_has_imgtool_layout_and_decrypts),
        cmocka_unit_test(signed_all_has_imgtool_layout_and_decrypts),
        cmocka_unit_test(signed_aes256_sets_flag_and_129_byte_tlv),
        cmocka_unit_test(too_large_for_slot_is_refused),
        cmocka_unit_test(encrypted_trailer_reserves_two_key_fields),
        cmocka_unit_test(small_buffer_reports_needed_size),
        cmocka_unit_test(full_pubkey_verifies_against_hash_only_anchor),
        cmocka_unit_test(keyhash_needs_anchor_with_public_key),
        cmocka_unit_test(load_addr_sets_ram_load_flag),
        cmocka_unit_test(input_without_pad_header_must_start_with_zeros),
        cmocka_unit_test(encrypted_payload_is_zero_padded_to_16_bytes),
        cmocka_unit_test(dependencies_are_protected_and_parsed),
        cmocka_unit_test(max_align_16_uses_aligned_magic),
    };
    return cmocka_run_group_tests_name("image_sign", tests, NULL, NULL);
}
