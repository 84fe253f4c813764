/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image_fih.c - glitch simulation for ms_image_verify(): with any one
 * of its refusal branches not taken (as a skipped instruction would do), a
 * bad image must still not verify. validate.c is compiled into this test
 * with MS_IMAGE_FIH_TEST, which lets ms_image_fih_skip name the branch a
 * simulated glitch skips; everything else is the real code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MS_IMAGE_FIH_TEST 1
#include "../../src/image/validate.c"

#include "image_test_util.h"

unsigned ms_image_fih_skip;

/* Offset of the SHA256 TLV's value in plain.bin (docs/image-format.md):
 * TLV info at 0x10200, then the SHA256 TLV's 4-byte header. */
#define PLAIN_SHA (0x10200u + 8u)

/* Verify img with the k.pem anchor (or, other_anchor, with an anchor for
 * another key only) while the simulated glitch skips branch `skip`. */
static ms_err_t verify_glitched(const uint8_t *img, size_t len, bool other_anchor,
                                unsigned skip)
{
    ms_err_t err;
    ms_image_fih_skip = skip;
    if (!other_anchor) {
        err = test_verify_buf(img, len, NULL, 0);
    } else {
        ms_p256_priv_t priv;
        ms_p256_pub_t pub;
        ms_image_key_anchor_t a;
        ms_image_mem_t mem;
        ms_image_reader_t r;
        ms_image_info_t *info = malloc(sizeof(*info));
        uint8_t buf[512];
        assert_non_null(info);
        test_enc_key(&priv, &pub);
        test_anchor(&a, &pub);
        err = test_parse(img, len, &mem, &r, info);
        if (err == MS_OK) {
            err = ms_image_verify(&r, info, &a, 1, NULL, 0, buf, sizeof(buf), NULL);
        }
        free(info);
    }
    ms_image_fih_skip = 0;
    return err;
}

/* No single skipped refusal lets the image through. */
static void assert_refused_under_every_glitch(const uint8_t *img, size_t len,
                                              bool other_anchor)
{
    for (unsigned br = 0; br <= FIH_BR_COUNT; br++) {
        ms_err_t err = verify_glitched(img, len, other_anchor, br);
        if (err == MS_OK) {
            fail_msg("skipping refusal branch %u accepted a bad image", br);
        }
    }
}

static void good_image_verifies_with_the_hook_built_in(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    assert_int_equal(verify_glitched(f.data, f.len, false, 0), MS_OK);
    test_file_free(&f);
}

static void bad_signature_is_refused_when_the_signature_branch_is_skipped(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[f.len - 1] ^= 0x01; /* last byte of s */
    assert_int_equal(verify_glitched(f.data, f.len, false, FIH_BR_SIG), MS_ERR_INTERNAL);
    assert_refused_under_every_glitch(f.data, f.len, false);
    test_file_free(&f);
}

static void tampered_payload_is_refused_when_the_hash_branch_is_skipped(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[0x200] ^= 0x01; /* first payload byte */
    assert_int_equal(verify_glitched(f.data, f.len, false, 0), MS_ERR_IMG_HASH);
    assert_int_not_equal(verify_glitched(f.data, f.len, false, FIH_BR_HASH), MS_OK);
    assert_refused_under_every_glitch(f.data, f.len, false);
    test_file_free(&f);
}

static void forged_hash_tlv_is_refused_under_every_glitch(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    f.data[0x200] ^= 0x01;
    /* make the SHA256 TLV match the tampered payload: only the signature
     * stands in the way now */
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t *info = malloc(sizeof(*info));
    uint8_t buf[1024];
    assert_non_null(info);
    assert_int_equal(test_parse(f.data, f.len, &mem, &r, info), MS_OK);
    assert_int_equal(ms_image_hash(&r, info, NULL, 0, buf, sizeof(buf), f.data + PLAIN_SHA),
                     MS_OK);
    free(info);
    assert_int_equal(verify_glitched(f.data, f.len, false, 0), MS_ERR_SIGNATURE);
    assert_refused_under_every_glitch(f.data, f.len, false);
    test_file_free(&f);
}

static void unknown_key_is_refused_when_the_key_branch_is_skipped(void **state)
{
    (void)state;
    test_file_t f = test_vector("plain.bin");
    assert_int_equal(verify_glitched(f.data, f.len, true, 0), MS_ERR_IMG_KEY_UNKNOWN);
    assert_int_not_equal(verify_glitched(f.data, f.len, true, FIH_BR_KEY), MS_OK);
    assert_refused_under_every_glitch(f.data, f.len, true);
    test_file_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_image_verifies_with_the_hook_built_in),
        cmocka_unit_test(bad_signature_is_refused_when_the_signature_branch_is_skipped),
        cmocka_unit_test(tampered_payload_is_refused_when_the_hash_branch_is_skipped),
        cmocka_unit_test(forged_hash_tlv_is_refused_under_every_glitch),
        cmocka_unit_test(unknown_key_is_refused_when_the_key_branch_is_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
