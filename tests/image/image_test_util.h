/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_test_util.h - shared helpers of the image module's tests: load the
 * imgtool vectors and keys, and wrap a buffer in a reader.
 */
#ifndef MS_IMAGE_TEST_UTIL_H
#define MS_IMAGE_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/image.h"

typedef struct test_file {
    uint8_t *data;
    size_t len;
} test_file_t;

/* Read ../shared/vectors/imgtool/<name> (fails the test if missing). */
test_file_t test_vector(const char *name);
void test_file_free(test_file_t *f);

/* k.pem (signing) and enc.pem (encryption) from the vectors. */
void test_sign_key(ms_p256_priv_t *priv, ms_p256_pub_t *pub);
void test_enc_key(ms_p256_priv_t *priv, ms_p256_pub_t *pub);

/* An anchor for pub (key hash computed). */
void test_anchor(ms_image_key_anchor_t *a, const ms_p256_pub_t *pub);

/* Parse a memory image; returns the parse result. */
ms_err_t test_parse(const uint8_t *img, size_t len, ms_image_mem_t *mem,
                    ms_image_reader_t *r, ms_image_info_t *info);

/* Parse + verify with the k.pem anchor and a 1 KiB buffer. */
ms_err_t test_verify_buf(const uint8_t *img, size_t len, const uint8_t *aes_key,
                         size_t aes_key_len);

/* Hex string to bytes; returns the byte count. */
size_t test_unhex(const char *hex, uint8_t *out, size_t cap);

#endif
