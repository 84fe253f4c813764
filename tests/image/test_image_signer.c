/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image_signer.c - the streaming signer (ms_image_signer_*) builds the
 * same image as the one-shot ms_image_sign(), whatever the chunking, and
 * refuses misuse with named errors.
 *
 * Two signings never give the same bytes (ECDSA draws a fresh nonce, and
 * encryption a fresh payload key), so "the same image" is checked as:
 * identical header area, plaintext payload (encrypted images are decrypted
 * first), protected TLV area, SHA256 and KEYHASH/PUBKEY TLVs, slot trailer;
 * and both signatures verify.
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

#define PAYLOAD_LEN 10007u   /* odd on purpose: encryption pads it */
#define SLOT 0x8000u

static const size_t chunk_sizes[] = { 1, 13, 4096, 0 /* whole payload */ };
#define N_CHUNK_SIZES (sizeof(chunk_sizes) / sizeof(chunk_sizes[0]))

static uint8_t *make_payload(size_t len, uint8_t seed)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    uint32_t x = 0x9e3779b9u ^ seed;
    for (size_t i = 0; i < len; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (uint8_t)(x >> 24);
    }
    return p;
}

static void base_opts(ms_image_sign_opts_t *o)
{
    ms_image_sign_opts_init(o);
    o->hdr_size = 0x200;
    o->pad_header = true;
    o->version.major = 2;
    o->version.minor = 1;
    o->version.revision = 7;
    o->version.build = 99;
}

/* How the payload bytes reach the output. */
typedef enum {
    VIA_UPDATE,   /* update(in, out) */
    VIA_CALLER,   /* plain: update(in, NULL), the caller copies in */
    VIA_SPLIT,    /* encrypted: update(in, NULL), then encrypt(in, out) */
} via_t;

/*
 * Sign in through the streaming API in chunks of `chunk` bytes (0: one
 * update), the payload reaching the output as `via` says. The trailer is
 * filled in 100-byte pieces.
 */
static ms_err_t stream_sign(const uint8_t *in, size_t in_len, const ms_image_sign_opts_t *o,
                            size_t chunk, via_t via, uint8_t *out, size_t cap,
                            size_t *out_len)
{
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_signer_t s;
    size_t off = 0, tail_len = 0;
    test_sign_key(&priv, &pub);
    ms_err_t err = ms_image_sign_payload_off(o, in, in_len, &off);
    if (err) {
        return err;
    }
    size_t plen = in_len - off;
    err = ms_image_signer_init(&s, &priv, o, plen);
    if (err) {
        return err;
    }
    assert_true(ms_image_signer_out_max(&s) <= cap);
    assert_int_equal(ms_image_signer_header(&s, out, cap), MS_OK);
    uint8_t *dst = out + o->hdr_size;
    for (size_t done = 0; done < plen;) {
        size_t n = chunk == 0 || chunk > plen - done ? plen - done : chunk;
        if (via == VIA_CALLER) {
            memcpy(dst + done, in + off + done, n);
            err = ms_image_signer_update(&s, in + off + done, NULL, n);
        } else if (via == VIA_SPLIT) {
            err = ms_image_signer_update(&s, in + off + done, NULL, n);
            if (!err) {
                err = ms_image_signer_encrypt(&s, in + off + done, dst + done, n);
            }
        } else {
            err = ms_image_signer_update(&s, in + off + done, dst + done, n);
        }
        if (err) {
            ms_image_signer_abort(&s);
            return err;
        }
        done += n;
    }
    err = ms_image_signer_finish(&s, dst + plen, MS_IMAGE_SIGNER_TAIL_MAX, &tail_len);
    if (err) {
        ms_image_signer_abort(&s);
        return err;
    }
    size_t total = o->hdr_size + plen + tail_len;
    ms_image_sign_trailer_t t;
    assert_int_equal(ms_image_signer_trailer(&s, &t), MS_OK);
    assert_int_equal(t.pad_off, total);
    if (t.pad) {
        for (uint32_t at = (uint32_t)total; at < t.slot_size;) {
            uint32_t n = t.slot_size - at < 100u ? t.slot_size - at : 100u;
            assert_int_equal(ms_image_trailer_fill(&t, at, out + at, n), MS_OK);
            at += n;
        }
        total = t.slot_size;
    }
    ms_image_signer_abort(&s);
    *out_len = total;
    return MS_OK;
}

/* Decrypt an encrypted image in place with enc.pem; returns the new length. */
static size_t decrypt(uint8_t *img, size_t len)
{
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    size_t n = 0;
    test_enc_key(&epriv, &epub);
    assert_int_equal(ms_image_decrypt(img, len, &epriv, &n), MS_OK);
    return n;
}

/* a and b are the same image up to the signature and payload key. */
static void assert_same_image(uint8_t *a, size_t alen, uint8_t *b, size_t blen, bool enc,
                              bool padded)
{
    ms_image_mem_t ma, mb;
    ms_image_reader_t ra, rb;
    ms_image_info_t ia, ib;
    if (padded) {
        assert_int_equal(alen, blen);
    }
    if (enc) {
        alen = decrypt(a, alen);
        blen = decrypt(b, blen);
    }
    assert_int_equal(test_parse(a, alen, &ma, &ra, &ia), MS_OK);
    assert_int_equal(test_parse(b, blen, &mb, &rb, &ib), MS_OK);
    /* header area + plaintext payload + protected TLVs, byte for byte */
    assert_int_equal(ia.tlv_off, ib.tlv_off);
    assert_memory_equal(a, b, ia.tlv_off);
    assert_true(ia.has_sha256 && ib.has_sha256);
    assert_memory_equal(ia.sha256, ib.sha256, MS_SHA256_LEN);
    assert_int_equal(ia.has_keyhash, ib.has_keyhash);
    assert_memory_equal(ia.keyhash, ib.keyhash, MS_SHA256_LEN);
    assert_int_equal(ia.has_pubkey, ib.has_pubkey);
    assert_memory_equal(&ia.pubkey, &ib.pubkey, sizeof(ia.pubkey));
    assert_int_equal(ia.enc_tlv_len, ib.enc_tlv_len);
    /* slot padding and trailer, from where both images have ended */
    if (padded) {
        size_t from = ia.end > ib.end ? ia.end : ib.end;
        assert_true(from < alen);
        assert_memory_equal(a + from, b + from, alen - from);
    } else {
        assert_int_equal(alen, ia.end);
        assert_int_equal(blen, ib.end);
    }
    assert_int_equal(test_verify_buf(a, alen, NULL, 0), MS_OK);
    assert_int_equal(test_verify_buf(b, blen, NULL, 0), MS_OK);
}

/* One-shot vs streaming with every chunk size, for the options o. */
static void check_matches_one_shot(const ms_image_sign_opts_t *o, via_t via)
{
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    test_sign_key(&priv, &pub);
    size_t in_len = PAYLOAD_LEN + (o->pad_header ? 0u : o->hdr_size);
    uint8_t *in = make_payload(in_len, 7);
    if (!o->pad_header) {
        memset(in, 0, o->hdr_size);
    }
    size_t cap = SLOT + 0x1000;
    uint8_t *one = malloc(cap), *str = malloc(cap);
    assert_non_null(one);
    assert_non_null(str);
    for (size_t i = 0; i < N_CHUNK_SIZES; i++) {
        size_t one_len = 0, str_len = 0;
        assert_int_equal(ms_image_sign(in, in_len, &priv, o, one, cap, &one_len), MS_OK);
        assert_int_equal(stream_sign(in, in_len, o, chunk_sizes[i], via, str, cap,
                                     &str_len), MS_OK);
        assert_same_image(one, one_len, str, str_len, o->enc_pub != NULL,
                          o->pad || o->confirm);
    }
    free(one);
    free(str);
    free(in);
}

static void stream_plain_matches_one_shot_for_chunks_1_13_4096_whole(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    base_opts(&o);
    check_matches_one_shot(&o, VIA_UPDATE);
}

static void stream_with_caller_copying_payload_matches_one_shot(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    base_opts(&o);
    check_matches_one_shot(&o, VIA_CALLER);
}

static void stream_without_pad_header_matches_one_shot(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    base_opts(&o);
    o.pad_header = false;
    o.hdr_size = 0x40;
    check_matches_one_shot(&o, VIA_UPDATE);
}

static void stream_encrypted_matches_one_shot_for_chunks_1_13_4096_whole(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    ms_image_sign_opts_t o;
    test_enc_key(&epriv, &epub);
    base_opts(&o);
    o.enc_pub = &epub;
    o.enc_key_len = 16;
    check_matches_one_shot(&o, VIA_UPDATE);
}

static void stream_aes256_matches_one_shot(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    ms_image_sign_opts_t o;
    test_enc_key(&epriv, &epub);
    base_opts(&o);
    o.enc_pub = &epub;
    o.enc_key_len = 32;
    o.slot_size = SLOT;
    o.pad = true;
    check_matches_one_shot(&o, VIA_UPDATE);
}

static void stream_seccnt_and_deps_match_one_shot(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    base_opts(&o);
    o.has_sec_cnt = true;
    o.sec_cnt = 0x02010007u;
    o.n_deps = 2;
    o.deps[0].image_id = 1;
    o.deps[0].min_version.major = 1;
    o.deps[1].image_id = 2;
    o.deps[1].min_version.build = 5;
    o.load_addr = 0x20000000u;
    o.full_pubkey = true;
    check_matches_one_shot(&o, VIA_UPDATE);
}

static void stream_confirm_matches_one_shot_with_trailer(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    base_opts(&o);
    o.slot_size = SLOT;
    o.align = 8;
    o.pad = true;
    o.confirm = true;
    check_matches_one_shot(&o, VIA_UPDATE);
}

static void stream_everything_matches_one_shot(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    ms_image_sign_opts_t o;
    test_enc_key(&epriv, &epub);
    base_opts(&o);
    o.enc_pub = &epub;
    o.enc_key_len = 16;
    o.has_sec_cnt = true;
    o.sec_cnt = 9;
    o.slot_size = SLOT;
    o.align = 16;
    o.max_align = 16;
    o.max_sectors = 8;
    o.confirm = true;
    check_matches_one_shot(&o, VIA_UPDATE);
}

/* A started signer over a small payload with base options. */
static void start(ms_image_signer_t *s, ms_p256_priv_t *priv, size_t payload_len)
{
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(priv, &pub);
    base_opts(&o);
    assert_int_equal(ms_image_signer_init(s, priv, &o, payload_len), MS_OK);
}

static void update_past_payload_len_is_overrun_and_consumes_nothing(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    uint8_t in[100], out[100], tail[MS_IMAGE_SIGNER_TAIL_MAX];
    size_t n = 0;
    memset(in, 0x5a, sizeof(in));
    start(&s, &priv, 100);
    assert_int_equal(ms_image_signer_update(&s, in, out, 60), MS_OK);
    assert_int_equal(ms_image_signer_update(&s, in, out, 41), MS_ERR_IMG_SIGN_OVERRUN);
    assert_int_equal(ms_image_signer_update(&s, in, out, 40), MS_OK);
    assert_int_equal(ms_image_signer_update(&s, in, out, 1), MS_ERR_IMG_SIGN_OVERRUN);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_OK);
    ms_image_signer_abort(&s);
}

static void finish_before_all_payload_is_short_and_keeps_signer(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    uint8_t in[64], tail[MS_IMAGE_SIGNER_TAIL_MAX];
    size_t n = 0;
    memset(in, 1, sizeof(in));
    start(&s, &priv, 64);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_ERR_IMG_SIGN_SHORT);
    assert_int_equal(ms_image_signer_update(&s, in, NULL, 63), MS_OK);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_ERR_IMG_SIGN_SHORT);
    assert_int_equal(ms_image_signer_update(&s, in, NULL, 1), MS_OK);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_OK);
    ms_image_signer_abort(&s);
}

static void calls_after_finish_are_state_errors(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    uint8_t in[16] = { 0 }, tail[MS_IMAGE_SIGNER_TAIL_MAX];
    size_t n = 0;
    start(&s, &priv, 0);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_OK);
    assert_int_equal(ms_image_signer_update(&s, in, NULL, 0), MS_ERR_STATE);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_ERR_STATE);
    ms_image_signer_abort(&s);
}

static void zeroed_or_aborted_signer_is_a_state_error(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    ms_image_sign_trailer_t t;
    uint8_t in[16] = { 0 }, tail[MS_IMAGE_SIGNER_TAIL_MAX], h[MS_SHA256_LEN];
    size_t n = 0;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ms_image_signer_update(&s, in, NULL, 1), MS_ERR_STATE);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_ERR_STATE);
    assert_int_equal(ms_image_signer_header(&s, tail, sizeof(tail)), MS_ERR_STATE);
    assert_int_equal(ms_image_signer_hash(&s, h), MS_ERR_STATE);
    assert_int_equal(ms_image_signer_trailer(&s, &t), MS_ERR_STATE);
    assert_int_equal(ms_image_signer_out_max(&s), 0);
    start(&s, &priv, 16);
    ms_image_signer_abort(&s);
    assert_int_equal(ms_image_signer_update(&s, in, NULL, 1), MS_ERR_STATE);
    ms_image_signer_abort(&s); /* twice is harmless */
}

static void abort_wipes_the_signer(void **state)
{
    (void)state;
    ms_p256_priv_t priv, epriv;
    ms_p256_pub_t pub, epub;
    ms_image_sign_opts_t o;
    ms_image_signer_t s, zero;
    test_sign_key(&priv, &pub);
    test_enc_key(&epriv, &epub);
    base_opts(&o);
    o.enc_pub = &epub;
    o.enc_key_len = 16;
    assert_int_equal(ms_image_signer_init(&s, &priv, &o, 32), MS_OK);
    ms_image_signer_abort(&s);
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&s, &zero, sizeof(s));
}

static void finish_with_small_buffer_reports_need_and_keeps_signer(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    uint8_t tail[MS_IMAGE_SIGNER_TAIL_MAX];
    size_t n = 0;
    start(&s, &priv, 0);
    assert_int_equal(ms_image_signer_finish(&s, tail, 10, &n), MS_ERR_BUFFER_TOO_SMALL);
    assert_true(n > 10 && n <= MS_IMAGE_SIGNER_TAIL_MAX);
    size_t need = n;
    assert_int_equal(ms_image_signer_finish(&s, tail, need, &n), MS_OK);
    assert_true(n <= need);
    ms_image_signer_abort(&s);
}

static void stream_split_encryption_matches_one_shot(void **state)
{
    (void)state;
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    ms_image_sign_opts_t o;
    test_enc_key(&epriv, &epub);
    base_opts(&o);
    o.enc_pub = &epub;
    o.enc_key_len = 16;
    o.has_sec_cnt = true;
    o.sec_cnt = 3;
    o.slot_size = SLOT;
    o.confirm = true;
    check_matches_one_shot(&o, VIA_SPLIT);
}

/* A started encrypting signer over len bytes. */
static void start_enc(ms_image_signer_t *s, ms_p256_priv_t *priv, size_t len)
{
    ms_p256_priv_t epriv;
    ms_p256_pub_t pub, epub;
    ms_image_sign_opts_t o;
    test_sign_key(priv, &pub);
    test_enc_key(&epriv, &epub);
    base_opts(&o);
    o.enc_pub = &epub;
    o.enc_key_len = 16;
    assert_int_equal(ms_image_signer_init(s, priv, &o, len), MS_OK);
}

static void split_finish_needs_every_byte_encrypted(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    uint8_t in[64], out[64], tail[MS_IMAGE_SIGNER_TAIL_MAX];
    size_t n = 0;
    memset(in, 3, sizeof(in));
    start_enc(&s, &priv, sizeof(in));
    assert_int_equal(ms_image_signer_update(&s, in, NULL, sizeof(in)), MS_OK);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_ERR_IMG_SIGN_SHORT);
    assert_int_equal(ms_image_signer_encrypt(&s, in, out, 63), MS_OK);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_ERR_IMG_SIGN_SHORT);
    assert_int_equal(ms_image_signer_encrypt(&s, in, out, 2), MS_ERR_IMG_SIGN_OVERRUN);
    assert_int_equal(ms_image_signer_encrypt(&s, in + 63, out + 63, 1), MS_OK);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_OK);
    ms_image_signer_abort(&s);
}

static void mixing_joint_and_split_encryption_is_a_state_error(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    uint8_t in[32] = { 0 }, out[32];
    start_enc(&s, &priv, sizeof(in));
    assert_int_equal(ms_image_signer_update(&s, in, out, 8), MS_OK);
    assert_int_equal(ms_image_signer_update(&s, in, NULL, 8), MS_ERR_STATE);
    assert_int_equal(ms_image_signer_encrypt(&s, in, out, 8), MS_ERR_STATE);
    ms_image_signer_abort(&s);
    start_enc(&s, &priv, sizeof(in));
    assert_int_equal(ms_image_signer_update(&s, in, NULL, 8), MS_OK);
    assert_int_equal(ms_image_signer_update(&s, in, out, 8), MS_ERR_STATE);
    ms_image_signer_abort(&s);
}

static void encrypt_on_a_plain_signer_is_a_state_error(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    uint8_t in[16] = { 0 }, out[16];
    start(&s, &priv, sizeof(in));
    assert_int_equal(ms_image_signer_update(&s, in, NULL, sizeof(in)), MS_OK);
    assert_int_equal(ms_image_signer_encrypt(&s, in, out, sizeof(in)), MS_ERR_STATE);
    ms_image_signer_abort(&s);
}

static void init_refuses_image_too_large_for_slot(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    ms_image_signer_t s;
    test_sign_key(&priv, &pub);
    base_opts(&o);
    o.slot_size = 0x1000;
    o.max_sectors = 8;
    assert_int_equal(ms_image_signer_init(&s, &priv, &o, 0x1000), MS_ERR_IMG_TOO_LARGE);
    assert_int_equal(ms_image_signer_init(&s, &priv, &o, 0x100), MS_OK);
    ms_image_signer_abort(&s);
}

static void payload_off_checks_the_zeroed_header(void **state)
{
    (void)state;
    ms_image_sign_opts_t o;
    uint8_t in[0x80];
    size_t off = 99;
    base_opts(&o);
    o.pad_header = false;
    o.hdr_size = 0x40;
    memset(in, 0, sizeof(in));
    assert_int_equal(ms_image_sign_payload_off(&o, in, sizeof(in), &off), MS_OK);
    assert_int_equal(off, 0x40);
    in[0x3f] = 1;
    assert_int_equal(ms_image_sign_payload_off(&o, in, sizeof(in), &off), MS_ERR_ARG);
    in[0x3f] = 0;
    assert_int_equal(ms_image_sign_payload_off(&o, in, 0x3f, &off), MS_ERR_ARG);
    o.pad_header = true;
    in[0] = 0xee;
    assert_int_equal(ms_image_sign_payload_off(&o, in, sizeof(in), &off), MS_OK);
    assert_int_equal(off, 0);
}

static void signer_hash_is_the_sha256_tlv(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    uint8_t img[0x200 + 48 + MS_IMAGE_SIGNER_TAIL_MAX], h[MS_SHA256_LEN];
    size_t n = 0;
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    start(&s, &priv, 48);
    assert_int_equal(ms_image_signer_header(&s, img, 0x200), MS_OK);
    memset(img + 0x200, 0x42, 48);
    assert_int_equal(ms_image_signer_update(&s, img + 0x200, img + 0x200, 48), MS_OK);
    assert_int_equal(ms_image_signer_finish(&s, img + 0x230, MS_IMAGE_SIGNER_TAIL_MAX, &n),
                     MS_OK);
    assert_int_equal(ms_image_signer_hash(&s, h), MS_OK);
    assert_int_equal(test_parse(img, 0x230 + n, &mem, &r, &info), MS_OK);
    assert_memory_equal(h, info.sha256, MS_SHA256_LEN);
    assert_int_equal(test_verify_buf(img, 0x230 + n, NULL, 0), MS_OK);
    ms_image_signer_abort(&s);
}

static void header_needs_hdr_size_bytes(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    uint8_t h[0x200];
    start(&s, &priv, 1);
    assert_int_equal(ms_image_signer_header(&s, h, 0x1ff), MS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(ms_image_signer_header(&s, h, sizeof(h)), MS_OK);
    assert_int_equal(h[0x1ff], 0xff); /* pad_header: erased value */
    ms_image_signer_abort(&s);
}

static void trailer_fill_in_pieces_equals_one_piece(void **state)
{
    (void)state;
    ms_image_sign_trailer_t t;
    memset(&t, 0, sizeof(t));
    t.pad = true;
    t.image_ok = true;
    t.erased_val = 0xff;
    t.pad_off = 0x100;
    t.slot_size = 0x400;
    t.magic_off = 0x3f0;
    t.image_ok_off = 0x3e0;
    assert_int_equal(ms_trailer_magic_for(8, t.magic), MS_OK);
    uint8_t whole[0x300], pieces[0x300];
    assert_int_equal(ms_image_trailer_fill(&t, 0x100, whole, sizeof(whole)), MS_OK);
    for (uint32_t at = 0x100; at < 0x400;) {
        uint32_t n = 0x400 - at < 7u ? 0x400 - at : 7u;
        assert_int_equal(ms_image_trailer_fill(&t, at, pieces + (at - 0x100), n), MS_OK);
        at += n;
    }
    assert_memory_equal(whole, pieces, sizeof(whole));
    assert_memory_equal(whole + 0x2f0, ms_trailer_magic, 16);
    assert_int_equal(whole[0x2e0], 0x01);
    assert_int_equal(whole[0x2df], 0xff);
}

static void trailer_fill_rejects_ranges_outside_the_padding(void **state)
{
    (void)state;
    ms_image_sign_trailer_t t;
    uint8_t buf[32];
    memset(&t, 0, sizeof(t));
    t.pad = true;
    t.pad_off = 0x100;
    t.slot_size = 0x200;
    t.magic_off = 0x1f0;
    assert_int_equal(ms_image_trailer_fill(&t, 0xff, buf, 1), MS_ERR_ARG);
    assert_int_equal(ms_image_trailer_fill(&t, 0x1f0, buf, 17), MS_ERR_ARG);
    assert_int_equal(ms_image_trailer_fill(&t, 0x1f0, buf, 16), MS_OK);
    assert_int_equal(ms_image_trailer_fill(&t, 0x200, buf, 0), MS_OK);
}

static void unpadded_image_has_no_trailer(void **state)
{
    (void)state;
    ms_image_signer_t s;
    ms_p256_priv_t priv;
    ms_image_sign_trailer_t t;
    uint8_t tail[MS_IMAGE_SIGNER_TAIL_MAX];
    size_t n = 0;
    start(&s, &priv, 0);
    assert_int_equal(ms_image_signer_finish(&s, tail, sizeof(tail), &n), MS_OK);
    assert_int_equal(ms_image_signer_trailer(&s, &t), MS_OK);
    assert_false(t.pad);
    assert_int_equal(t.pad_off, 0x200 + n);
    ms_image_signer_abort(&s);
}

static void magic_for_8_is_standard_and_16_32_are_imgtools_alternative(void **state)
{
    (void)state;
    uint8_t m[16];
    static const uint8_t tail[14] = { 0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
                                      0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a };
    assert_int_equal(ms_trailer_magic_for(8, m), MS_OK);
    assert_memory_equal(m, ms_trailer_magic, 16);
    assert_int_equal(ms_trailer_magic_for(16, m), MS_OK);
    assert_int_equal(m[0], 0x10);
    assert_int_equal(m[1], 0x00);
    assert_memory_equal(m + 2, tail, 14);
    assert_int_equal(ms_trailer_magic_for(32, m), MS_OK);
    assert_int_equal(m[0], 0x20);
    assert_memory_equal(m + 2, tail, 14);
    assert_int_equal(ms_trailer_magic_for(0, m), MS_ERR_ARG);
    assert_int_equal(ms_trailer_magic_for(12, m), MS_ERR_ARG);
    assert_int_equal(ms_trailer_magic_for(0x10000, m), MS_ERR_ARG);
}

static void one_shot_in_place_with_pad_header_moves_payload(void **state)
{
    (void)state;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_sign_opts_t o;
    test_sign_key(&priv, &pub);
    base_opts(&o);
    size_t cap = 0x200 + PAYLOAD_LEN + MS_IMAGE_SIGNER_TAIL_MAX, len = 0;
    uint8_t *buf = malloc(cap), *ref = make_payload(PAYLOAD_LEN, 3);
    assert_non_null(buf);
    memcpy(buf, ref, PAYLOAD_LEN);
    assert_int_equal(ms_image_sign(buf, PAYLOAD_LEN, &priv, &o, buf, cap, &len), MS_OK);
    assert_memory_equal(buf + 0x200, ref, PAYLOAD_LEN);
    assert_int_equal(test_verify_buf(buf, len, NULL, 0), MS_OK);
    free(buf);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stream_plain_matches_one_shot_for_chunks_1_13_4096_whole),
        cmocka_unit_test(stream_with_caller_copying_payload_matches_one_shot),
        cmocka_unit_test(stream_without_pad_header_matches_one_shot),
        cmocka_unit_test(stream_encrypted_matches_one_shot_for_chunks_1_13_4096_whole),
        cmocka_unit_test(stream_aes256_matches_one_shot),
        cmocka_unit_test(stream_seccnt_and_deps_match_one_shot),
        cmocka_unit_test(stream_confirm_matches_one_shot_with_trailer),
        cmocka_unit_test(stream_everything_matches_one_shot),
        cmocka_unit_test(update_past_payload_len_is_overrun_and_consumes_nothing),
        cmocka_unit_test(finish_before_all_payload_is_short_and_keeps_signer),
        cmocka_unit_test(calls_after_finish_are_state_errors),
        cmocka_unit_test(zeroed_or_aborted_signer_is_a_state_error),
        cmocka_unit_test(abort_wipes_the_signer),
        cmocka_unit_test(finish_with_small_buffer_reports_need_and_keeps_signer),
        cmocka_unit_test(stream_split_encryption_matches_one_shot),
        cmocka_unit_test(split_finish_needs_every_byte_encrypted),
        cmocka_unit_test(mixing_joint_and_split_encryption_is_a_state_error),
        cmocka_unit_test(encrypt_on_a_plain_signer_is_a_state_error),
        cmocka_unit_test(init_refuses_image_too_large_for_slot),
        cmocka_unit_test(payload_off_checks_the_zeroed_header),
        cmocka_unit_test(signer_hash_is_the_sha256_tlv),
        cmocka_unit_test(header_needs_hdr_size_bytes),
        cmocka_unit_test(trailer_fill_in_pieces_equals_one_piece),
        cmocka_unit_test(trailer_fill_rejects_ranges_outside_the_padding),
        cmocka_unit_test(unpadded_image_has_no_trailer),
        cmocka_unit_test(magic_for_8_is_standard_and_16_32_are_imgtools_alternative),
        cmocka_unit_test(one_shot_in_place_with_pad_header_moves_payload),
    };
    return cmocka_run_group_tests_name("image_signer", tests, NULL, NULL);
}
