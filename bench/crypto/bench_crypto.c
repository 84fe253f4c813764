/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_crypto.c - throughput of the crypto API on one core, per backend
 * (built as bench_crypto_openssl and bench_crypto_mbedtls).
 *
 * Prints one line per measurement: name, amount, seconds, rate; each is the
 * best of three runs (the machine is shared, the best run is the least
 * disturbed one). Figures are recorded in docs/crypto.md. Not a test:
 * nothing here can fail but setup.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meterseal/crypto.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void must(ms_err_t err, const char *what)
{
    if (err != MS_OK) {
        fprintf(stderr, "bench: %s: %s\n", what, ms_strerror(err));
        exit(1);
    }
}

#define MIB (1024u * 1024u)
#define CHUNK (64u * 1024u)

int main(int argc, char **argv)
{
    size_t total = (argc > 1 ? (size_t)atoi(argv[1]) : 64u) * MIB;
    static uint8_t buf[CHUNK], out[CHUNK];
    for (size_t i = 0; i < CHUNK; i++) buf[i] = (uint8_t)i;
    uint8_t key[16] = { 1, 2, 3 }, ctr[16] = { 0 }, iv[12] = { 9 }, tag[16], h[32];
    const char *be = ms_crypto_backend_name();

    double best[6] = { 1e9, 1e9, 1e9, 1e9, 1e9, 1e9 };
    int n = 2000;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    must(ms_p256_keygen(&priv, &pub), "keygen");
    uint8_t sig[MS_P256_SIG_DER_MAX], z[32];
    size_t sl;
    for (int round = 0; round < 3; round++) {
    ms_sha256_ctx sc;
    double t0 = now();
    must(ms_sha256_init(&sc), "sha init");
    for (size_t done = 0; done < total; done += CHUNK) must(ms_sha256_update(&sc, buf, CHUNK), "sha");
    must(ms_sha256_finish(&sc, h), "sha finish");
    double t = now() - t0;
    if (t < best[0]) best[0] = t;

    ms_aes_ctr_ctx cc;
    t0 = now();
    must(ms_aes_ctr_init(&cc, key, 16, ctr), "ctr init");
    for (size_t done = 0; done < total; done += CHUNK) must(ms_aes_ctr_update(&cc, buf, out, CHUNK), "ctr");
    ms_aes_ctr_free(&cc);
    t = now() - t0;
    if (t < best[1]) best[1] = t;

    t0 = now();
    for (size_t done = 0; done < total; done += CHUNK) {
        must(ms_aes_gcm_encrypt(key, 16, iv, 12, NULL, 0, buf, out, CHUNK, tag, 16), "gcm");
    }
    t = now() - t0;
    if (t < best[2]) best[2] = t;

    must(ms_sha256("bench", 5, h), "sha");
    must(ms_p256_sign(&priv, h, sig, sizeof(sig), &sl), "sign");
    t0 = now();
    for (int i = 0; i < n; i++) must(ms_p256_verify(&pub, h, sig, sl), "verify");
    t = now() - t0;
    if (t < best[3]) best[3] = t;
    t0 = now();
    for (int i = 0; i < n; i++) must(ms_p256_sign(&priv, h, sig, sizeof(sig), &sl), "sign");
    t = now() - t0;
    if (t < best[4]) best[4] = t;
    t0 = now();
    for (int i = 0; i < n; i++) must(ms_p256_ecdh(&priv, &pub, z), "ecdh");
    t = now() - t0;
    if (t < best[5]) best[5] = t;
    }
    static const char *const names[3] = { "sha256", "aes128-ctr", "aes128-gcm" };
    for (int i = 0; i < 3; i++) {
        printf("%-8s %-12s %4zu MiB %7.3f s %8.3f GB/s\n", be, names[i], total / MIB, best[i],
               (double)total / best[i] / 1e9);
    }
    static const char *const ops[3] = { "p256-verify", "p256-sign", "p256-ecdh" };
    for (int i = 0; i < 3; i++) {
        printf("%-8s %-12s %5d ops %7.3f s %8.0f /s\n", be, ops[i], n, best[3 + i], n / best[3 + i]);
    }
    ms_secure_zero(&priv, sizeof(priv));
    return 0;
}
