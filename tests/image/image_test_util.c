/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_test_util.c - helpers of the image module's tests (host only).
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

test_file_t test_vector(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/imgtool/%s", MS_VECTORS_DIR, name);
    test_file_t f = { NULL, 0 };
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    assert_true(n >= 0);
    fseek(fp, 0, SEEK_SET);
    f.data = malloc((size_t)n + 1);
    assert_non_null(f.data);
    f.len = fread(f.data, 1, (size_t)n, fp);
    assert_int_equal(f.len, (size_t)n);
    fclose(fp);
    return f;
}

void test_file_free(test_file_t *f)
{
    free(f->data);
    f->data = NULL;
    f->len = 0;
}

static void load_key(const char *name, ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    test_file_t f = test_vector(name);
    bool has_priv = false;
    assert_int_equal(ms_p256_key_parse(f.data, f.len, priv, pub, &has_priv), MS_OK);
    assert_true(has_priv);
    test_file_free(&f);
}

void test_sign_key(ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    load_key("k.pem", priv, pub);
}

void test_enc_key(ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    load_key("enc.pem", priv, pub);
}

void test_anchor(ms_image_key_anchor_t *a, const ms_p256_pub_t *pub)
{
    assert_int_equal(ms_image_key_hash(pub, a->key_hash), MS_OK);
    a->pub = pub;
}

ms_err_t test_parse(const uint8_t *img, size_t len, ms_image_mem_t *mem,
                    ms_image_reader_t *r, ms_image_info_t *info)
{
    ms_image_reader_mem(r, mem, img, len);
    return ms_image_parse(r, info);
}

ms_err_t test_verify_buf(const uint8_t *img, size_t len, const uint8_t *aes_key,
                         size_t aes_key_len)
{
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    ms_image_key_anchor_t a;
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t *info = malloc(sizeof(*info));
    uint8_t buf[1024];
    assert_non_null(info);
    test_sign_key(&priv, &pub);
    test_anchor(&a, &pub);
    ms_err_t err = test_parse(img, len, &mem, &r, info);
    if (err == MS_OK) {
        err = ms_image_verify(&r, info, &a, 1, aes_key, aes_key_len, buf, sizeof(buf), NULL);
    }
    free(info);
    return err;
}

size_t test_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (hex[0] != '\0' && hex[1] != '\0' && n < cap) {
        unsigned v;
        assert_int_equal(sscanf(hex, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}
