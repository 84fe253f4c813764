/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image_stream.c - verification streams through the caller's buffer:
 * any chunk size gives the same answer, and an image is verified straight
 * from (simulated) NOR flash as the boot loader does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flash_sim.h"
#include "image_test_util.h"

static const size_t chunks[] = { 1, 7, 64, 1024, 65536 };
#define N_CHUNKS (sizeof(chunks) / sizeof(chunks[0]))

/* Verify img with every chunk size; all results must equal want, and the
 * measured hashes must agree. */
static void verify_all_chunks(const uint8_t *img, size_t len, const uint8_t *key,
                              size_t key_len, ms_err_t want)
{
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_key_anchor_t a;
    test_sign_key(&priv, &pub);
    test_anchor(&a, &pub);
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    assert_int_equal(test_parse(img, len, &mem, &r, &info), MS_OK);
    uint8_t *buf = malloc(65536);
    assert_non_null(buf);
    uint8_t first[MS_SHA256_LEN];
    for (size_t i = 0; i < N_CHUNKS; i++) {
        ms_image_measurement_t m;
        ms_err_t err = ms_image_verify(&r, &info, &a, 1, key, key_len, buf, chunks[i], &m);
        assert_int_equal(err, want);
        uint8_t h[MS_SHA256_LEN];
        assert_int_equal(ms_image_hash(&r, &info, key, key_len, buf, chunks[i], h), MS_OK);
        if (i == 0) {
            memcpy(first, h, sizeof(h));
        } else {
            assert_memory_equal(first, h, sizeof(h));
        }
        if (want == MS_OK) {
            assert_memory_equal(m.hash, h, sizeof(h));
        }
    }
    free(buf);
}

static void plain_verifies_with_every_chunk_size(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    verify_all_chunks(f.data, f.len, NULL, 0, MS_OK);
    test_file_free(&f);
}

static void seccnt_verifies_with_every_chunk_size(void **state)
{
    (void)state;
    test_file_t f = test_vector("seccnt.bin");
    verify_all_chunks(f.data, f.len, NULL, 0, MS_OK);
    test_file_free(&f);
}

static void encrypted_verifies_with_every_chunk_size(void **state)
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
    verify_all_chunks(f.data, f.len, key, key_len, MS_OK);
    test_file_free(&f);
}

static void tampered_fails_the_same_with_every_chunk_size(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[0x200 + 12345] ^= 0x40;
    verify_all_chunks(f.data, f.len, NULL, 0, MS_ERR_IMG_HASH);
    test_file_free(&f);
}

static void encrypted_hash_with_key_is_the_plain_image_hash(void **state)
{
    (void)state;
    /* enc.bin and plain.bin differ in the flags byte only (before
     * encryption), so hashing enc.bin decrypted with the flags byte put back
     * must give plain.bin's stored hash: decryption restarts at counter 0 on
     * the payload's first byte whatever the chunking. */
    ms_p256_priv_t epriv;
    ms_p256_pub_t epub;
    test_enc_key(&epriv, &epub);
    test_file_t e = test_vector("enc.bin");
    test_file_t p = test_vector("plain.bin");
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info, pinfo;
    uint8_t key[32];
    size_t key_len;
    assert_int_equal(test_parse(e.data, e.len, &mem, &r, &info), MS_OK);
    assert_int_equal(ms_image_unwrap_key(&info, &epriv, key, &key_len), MS_OK);
    e.data[16] = 0;
    uint8_t buf[13], h[32];
    assert_int_equal(ms_image_hash(&r, &info, key, key_len, buf, sizeof(buf), h), MS_OK);
    ms_image_mem_t pmem;
    ms_image_reader_t pr;
    assert_int_equal(test_parse(p.data, p.len, &pmem, &pr, &pinfo), MS_OK);
    assert_memory_equal(h, pinfo.sha256, 32);
    test_file_free(&e);
    test_file_free(&p);
}

static void verifies_from_flash_simulator_slot(void **state)
{
    (void)state;
    ms_flash_sim_t sim;
    assert_int_equal(ms_flash_sim_open(&sim, NULL, 0x80000, 4096, 8, 0xff), MS_OK);
    ms_flash_area_t slot1 = { &sim.flash, 0x40000, 0x40000 };
    test_file_t f = test_vector("confirm.bin");
    assert_int_equal(f.len, 0x40000);
    /* Program the image (not the erased bytes) in 8-byte-aligned pieces. */
    assert_int_equal(ms_flash_area_write(&slot1, 0, f.data, 0x10200 + 152), MS_OK);
    assert_int_equal(ms_flash_area_write(&slot1, 0x3ffe8, f.data + 0x3ffe8, 0x18), MS_OK);

    ms_image_reader_t r;
    ms_image_info_t info;
    ms_image_reader_flash(&r, &slot1);
    assert_int_equal(r.size, 0x40000);
    assert_int_equal(ms_image_parse(&r, &info), MS_OK);
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_key_anchor_t a;
    test_sign_key(&priv, &pub);
    test_anchor(&a, &pub);
    uint8_t buf[1024];
    ms_image_measurement_t m;
    assert_int_equal(ms_image_verify(&r, &info, &a, 1, NULL, 0, buf, sizeof(buf), &m), MS_OK);

    ms_trailer_layout_t t;
    uint8_t magic[16], ok;
    assert_int_equal(ms_trailer_layout(slot1.size, 8, 8, 128, false, 0, &t), MS_OK);
    assert_int_equal(ms_flash_area_read(&slot1, t.magic_off, magic, 16), MS_OK);
    assert_memory_equal(magic, ms_trailer_magic, 16);
    assert_int_equal(ms_flash_area_read(&slot1, t.image_ok_off, &ok, 1), MS_OK);
    assert_int_equal(ok, 0x01);

    /* An empty (erased) slot is not an image. */
    ms_flash_area_t slot0 = { &sim.flash, 0, 0x40000 };
    ms_image_reader_flash(&r, &slot0);
    assert_int_equal(ms_image_parse(&r, &info), MS_ERR_BAD_MAGIC);
    test_file_free(&f);
    ms_flash_sim_close(&sim);
}

static void image_running_past_flash_slot_is_truncated(void **state)
{
    (void)state;
    ms_flash_sim_t sim;
    assert_int_equal(ms_flash_sim_open(&sim, NULL, 0x20000, 4096, 8, 0xff), MS_OK);
    ms_flash_area_t slot = { &sim.flash, 0, 0x10000 }; /* smaller than the image */
    test_file_t f = test_vector("plain.bin");
    assert_int_equal(ms_flash_area_write(&slot, 0, f.data, 0x10000), MS_OK);
    ms_image_reader_t r;
    ms_image_info_t info;
    ms_image_reader_flash(&r, &slot);
    assert_int_equal(ms_image_parse(&r, &info), MS_ERR_TRUNCATED);
    test_file_free(&f);
    ms_flash_sim_close(&sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_verifies_with_every_chunk_size),
        cmocka_unit_test(seccnt_verifies_with_every_chunk_size),
        cmocka_unit_test(encrypted_verifies_with_every_chunk_size),
        cmocka_unit_test(tampered_fails_the_same_with_every_chunk_size),
        cmocka_unit_test(encrypted_hash_with_key_is_the_plain_image_hash),
        cmocka_unit_test(verifies_from_flash_simulator_slot),
        cmocka_unit_test(image_running_past_flash_slot_is_truncated),
    };
    return cmocka_run_group_tests_name("image_stream", tests, NULL, NULL);
}
