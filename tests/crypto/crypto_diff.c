/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_diff.c - differential test between the two crypto backends.
 *
 * Built once per backend. `gen DIR` writes what this backend produces for
 * fixed inputs (ECDSA signatures, an ECDH public key and secret, GCM
 * ciphertext+tag, CTR/CBC/3DES ciphertexts, CMAC, HKDF, key files);
 * `check DIR` run by the *other* backend verifies, decrypts or recomputes
 * each of them. CTest runs openssl-gen -> mbedtls-check and the reverse.
 * Exit status 0 when every item agrees; each disagreement is printed.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meterseal/crypto.h"

static const char *dir;
static int failures;

static void put(const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "diff: cannot write %s\n", path);
        exit(2);
    }
}

static size_t get(const char *name, void *data, size_t cap)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "diff: cannot read %s\n", path);
        exit(2);
    }
    size_t n = fread(data, 1, cap, f);
    fclose(f);
    return n;
}

static void expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "diff: MISMATCH %s\n", what);
        failures++;
    } else {
        printf("diff: ok %s\n", what);
    }
}

static void must(ms_err_t err, const char *what)
{
    if (err != MS_OK) {
        fprintf(stderr, "diff: %s failed: %s\n", what, ms_strerror(err));
        exit(2);
    }
}

/* Fixed inputs shared by both sides. */
static uint8_t key128[16], key256[32], iv16[16], iv12[12], aad[29], msg[1000];
static ms_p256_priv_t sign_priv, peer_priv;
static ms_p256_pub_t sign_pub, peer_pub;

static void fixed_inputs(void)
{
    for (size_t i = 0; i < sizeof(key128); i++) key128[i] = (uint8_t)(0x10 + i);
    for (size_t i = 0; i < sizeof(key256); i++) key256[i] = (uint8_t)(0xa0 ^ (i * 7));
    for (size_t i = 0; i < sizeof(iv16); i++) iv16[i] = (uint8_t)(0xf0 + i);
    iv16[15] = 0xfe;   /* counter wraps a byte early on */
    for (size_t i = 0; i < sizeof(iv12); i++) iv12[i] = (uint8_t)(0x31 * i);
    for (size_t i = 0; i < sizeof(aad); i++) aad[i] = (uint8_t)(i + 1);
    for (size_t i = 0; i < sizeof(msg); i++) msg[i] = (uint8_t)(i * 31 + 7);
    memset(sign_priv.d, 0, 32);
    memset(peer_priv.d, 0, 32);
    for (size_t i = 0; i < 32; i++) {
        sign_priv.d[i] = (uint8_t)(0x5a ^ (i * 3));
        peer_priv.d[i] = (uint8_t)(0x11 + i * 5);
    }
    must(ms_p256_pub_from_priv(&sign_priv, &sign_pub), "pub_from_priv");
    must(ms_p256_pub_from_priv(&peer_priv, &peer_pub), "pub_from_priv");
}

static void hash_of(int i, uint8_t h[32])
{
    char m[32];
    snprintf(m, sizeof(m), "message %d", i);
    must(ms_sha256(m, strlen(m), h), "sha256");
}

static void gen(void)
{
    uint8_t buf[2048], tag[16], h[32];
    size_t n;
    char name[64];

    for (int i = 0; i < 4; i++) {
        hash_of(i, h);
        must(ms_p256_sign(&sign_priv, h, buf, sizeof(buf), &n), "sign");
        snprintf(name, sizeof(name), "ecdsa-%d.der", i);
        put(name, buf, n);
    }
    /* a fresh key pair: its public key, a signature and an ECDH secret */
    ms_p256_priv_t eph;
    ms_p256_pub_t eph_pub;
    must(ms_p256_keygen(&eph, &eph_pub), "keygen");
    put("eph-pub.bin", eph_pub.q, 65);
    hash_of(99, h);
    must(ms_p256_sign(&eph, h, buf, sizeof(buf), &n), "sign eph");
    put("eph-sig.der", buf, n);
    must(ms_p256_ecdh(&eph, &peer_pub, buf), "ecdh");
    put("ecdh-shared.bin", buf, 32);
    ms_secure_zero(&eph, sizeof(eph));

    must(ms_aes_gcm_encrypt(key256, 32, iv12, 12, aad, sizeof(aad), msg, buf, 333, tag, 16),
         "gcm");
    put("gcm-ct.bin", buf, 333);
    put("gcm-tag.bin", tag, 16);
    must(ms_aes_ctr(key128, 16, iv16, msg, buf, sizeof(msg)), "ctr");
    put("ctr-ct.bin", buf, sizeof(msg));
    must(ms_aes_cbc(key256, 32, true, iv16, msg, buf, 992), "cbc");
    put("cbc-ct.bin", buf, 992);
    must(ms_des3_cbc(key128, 16, true, iv16, msg, buf, 96), "3des2 cbc");
    put("des3-2key-cbc.bin", buf, 96);
    must(ms_des3_ecb(key256, 24, true, msg, buf, 96), "3des3 ecb");
    put("des3-3key-ecb.bin", buf, 96);
    must(ms_aes_cmac(key128, 16, msg, 77, buf), "cmac");
    put("cmac.bin", buf, 16);
    must(ms_hkdf_sha256(aad, sizeof(aad), key256, 32, iv12, 12, buf, 100), "hkdf");
    put("hkdf.bin", buf, 100);
    must(ms_hmac_sha256(key256, 32, msg, sizeof(msg), buf), "hmac");
    put("hmac.bin", buf, 32);

    must(ms_p256_key_write(&sign_priv, NULL, MS_KEY_PKCS8, true, buf, sizeof(buf), &n), "pkcs8");
    put("key-pkcs8.pem", buf, n);
    must(ms_p256_key_write(&sign_priv, NULL, MS_KEY_PKCS8, false, buf, sizeof(buf), &n), "pkcs8");
    put("key-pkcs8.der", buf, n);
    must(ms_p256_key_write(&sign_priv, NULL, MS_KEY_SEC1, true, buf, sizeof(buf), &n), "sec1");
    put("key-sec1.pem", buf, n);
    must(ms_p256_key_write(&sign_priv, NULL, MS_KEY_SEC1, false, buf, sizeof(buf), &n), "sec1");
    put("key-sec1.der", buf, n);
    must(ms_p256_key_write(NULL, &sign_pub, MS_KEY_SPKI, true, buf, sizeof(buf), &n), "spki");
    put("key-spki.pem", buf, n);
}

static void check_cipher(const char *name, const uint8_t *mine, size_t len)
{
    uint8_t theirs[2048];
    size_t n = get(name, theirs, sizeof(theirs));
    expect(n == len && memcmp(theirs, mine, len) == 0, name);
}

static void check_key(const char *name, bool want_priv)
{
    uint8_t buf[2048];
    size_t n = get(name, buf, sizeof(buf));
    ms_p256_priv_t p;
    ms_p256_pub_t q;
    bool has_priv = false;
    ms_err_t err = ms_p256_key_parse(buf, n, &p, &q, &has_priv);
    expect(err == MS_OK && has_priv == want_priv && memcmp(q.q, sign_pub.q, 65) == 0 &&
           (!want_priv || memcmp(p.d, sign_priv.d, 32) == 0), name);
}

static void check(void)
{
    uint8_t buf[2048], mine[2048], tag[16], h[32];
    size_t n;
    char name[64];

    for (int i = 0; i < 4; i++) {
        hash_of(i, h);
        snprintf(name, sizeof(name), "ecdsa-%d.der", i);
        n = get(name, buf, sizeof(buf));
        expect(ms_p256_verify(&sign_pub, h, buf, n) == MS_OK, name);
        h[0] ^= 1;
        expect(ms_p256_verify(&sign_pub, h, buf, n) == MS_ERR_SIGNATURE, "ecdsa wrong hash");
    }
    ms_p256_pub_t eph_pub;
    expect(get("eph-pub.bin", eph_pub.q, 65) == 65 && ms_p256_pub_check(&eph_pub) == MS_OK,
           "eph-pub.bin on curve");
    hash_of(99, h);
    n = get("eph-sig.der", buf, sizeof(buf));
    expect(ms_p256_verify(&eph_pub, h, buf, n) == MS_OK, "eph-sig.der");
    must(ms_p256_ecdh(&peer_priv, &eph_pub, mine), "ecdh");
    check_cipher("ecdh-shared.bin", mine, 32);

    n = get("gcm-ct.bin", buf, sizeof(buf));
    get("gcm-tag.bin", tag, 16);
    expect(n == 333 && ms_aes_gcm_decrypt(key256, 32, iv12, 12, aad, sizeof(aad), buf, mine,
                                          333, tag, 16) == MS_OK &&
           memcmp(mine, msg, 333) == 0, "gcm decrypt");
    must(ms_aes_gcm_encrypt(key256, 32, iv12, 12, aad, sizeof(aad), msg, mine, 333, tag, 16),
         "gcm");
    check_cipher("gcm-ct.bin", mine, 333);
    check_cipher("gcm-tag.bin", tag, 16);

    must(ms_aes_ctr(key128, 16, iv16, msg, mine, sizeof(msg)), "ctr");
    check_cipher("ctr-ct.bin", mine, sizeof(msg));
    n = get("ctr-ct.bin", buf, sizeof(buf));
    must(ms_aes_ctr(key128, 16, iv16, buf, buf, n), "ctr decrypt");
    expect(memcmp(buf, msg, sizeof(msg)) == 0, "ctr decrypt");

    must(ms_aes_cbc(key256, 32, true, iv16, msg, mine, 992), "cbc");
    check_cipher("cbc-ct.bin", mine, 992);
    n = get("cbc-ct.bin", buf, sizeof(buf));
    expect(n == 992 && ms_aes_cbc(key256, 32, false, iv16, buf, buf, 992) == MS_OK &&
           memcmp(buf, msg, 992) == 0, "cbc decrypt");

    must(ms_des3_cbc(key128, 16, true, iv16, msg, mine, 96), "3des2");
    check_cipher("des3-2key-cbc.bin", mine, 96);
    n = get("des3-2key-cbc.bin", buf, sizeof(buf));
    expect(n == 96 && ms_des3_cbc(key128, 16, false, iv16, buf, buf, 96) == MS_OK &&
           memcmp(buf, msg, 96) == 0, "3des 2-key cbc decrypt");
    must(ms_des3_ecb(key256, 24, true, msg, mine, 96), "3des3");
    check_cipher("des3-3key-ecb.bin", mine, 96);

    must(ms_aes_cmac(key128, 16, msg, 77, mine), "cmac");
    check_cipher("cmac.bin", mine, 16);
    must(ms_hkdf_sha256(aad, sizeof(aad), key256, 32, iv12, 12, mine, 100), "hkdf");
    check_cipher("hkdf.bin", mine, 100);
    must(ms_hmac_sha256(key256, 32, msg, sizeof(msg), mine), "hmac");
    check_cipher("hmac.bin", mine, 32);

    check_key("key-pkcs8.pem", true);
    check_key("key-pkcs8.der", true);
    check_key("key-sec1.pem", true);
    check_key("key-sec1.der", true);
    check_key("key-spki.pem", false);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "gen") != 0 && strcmp(argv[1], "check") != 0)) {
        fprintf(stderr, "usage: %s gen|check DIR\n", argv[0]);
        return 2;
    }
    dir = argv[2];
    fixed_inputs();
    printf("diff: %s %s with %s\n", argv[1], dir, ms_crypto_backend_name());
    if (strcmp(argv[1], "gen") == 0) {
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "diff: cannot create %s\n", dir);
            return 2;
        }
        gen();
        return 0;
    }
    check();
    printf("diff: %d mismatches\n", failures);
    return failures ? 1 : 0;
}
