/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_token_tool.c - test helper for the attestation interop test: makes a
 * token on a simulated device, or verifies one made elsewhere.
 *
 *   tee_token_tool make   <nonce-hex> <token-out> <pubkey-out>
 *   tee_token_tool verify <nonce-hex> <token-in> <pubkey-in>
 *
 * The public key file is the 65-byte uncompressed point of the device's
 * Initial Attestation Key (the key tokens are signed with). Exit 0 on
 * success; verify prints the claims it read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "tee_hooks_host.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s) / 2;
    if (n > cap || strlen(s) % 2 != 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            return 0;
        }
        out[i] = (uint8_t)v;
    }
    return n;
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static long read_file(const char *path, uint8_t *p, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(p, 1, cap, f);
    fclose(f);
    return (long)n;
}

static int make(const uint8_t *nonce, size_t nonce_len, const char *tok_path,
                const char *pub_path)
{
    ms_flash_sim_t its, ps;
    uint8_t huk[MS_TEE_HUK_LEN];
    memset(huk, 0x21, sizeof huk);
    ms_host_tee_set_huk(huk);
    if (ms_flash_sim_open(&its, NULL, 4 * 4096, 4096, 8, 0xff)) {
        return 1;
    }
    if (ms_flash_sim_open(&ps, NULL, 2 * 4096, 4096, 8, 0xff)) {
        ms_flash_sim_close(&its);
        return 1;
    }
    ms_flash_area_t a = { &its.flash, 0, 4 * 4096 }, b = { &ps.flash, 0, 2 * 4096 };
    ms_image_measurement_t meas[2];
    memset(meas, 0, sizeof meas);
    memset(meas[0].hash, 0xb1, 32);
    meas[0].version = (ms_image_version_t){ 2, 1, 0, 77 };
    meas[0].has_sec_cnt = true;
    meas[0].sec_cnt = 12;
    memset(meas[1].hash, 0xb2, 32);
    meas[1].version = (ms_image_version_t){ 1, 0, 3, 0 };
    const char *types[2] = { "SPE", "NSPE" };
    uint8_t impl[32];
    memset(impl, 0x1d, sizeof impl);
    ms_p256_pub_t pub;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX];
    size_t n = 0;
    ms_err_t err = ms_tee_rng_init(NULL, NULL, 4);
    if (!err) {
        err = ms_tee_storage_init(&a, &b);
    }
    if (!err) {
        err = ms_tee_keystore_provision(NULL, &pub);   /* the IAK: what verifiers trust */
    }
    if (!err) {
        err = ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, meas, types, 2, impl,
                                            MS_TEE_ATTEST_LIFECYCLE_SECURED);
    }
    if (!err) {
        err = ms_tee_attest_get_token(MS_TEE_PART_NSPE, nonce, nonce_len, tok, sizeof tok, &n);
    }
    ms_tee_storage_deinit();
    ms_flash_sim_close(&its);
    ms_flash_sim_close(&ps);
    if (err) {
        fprintf(stderr, "make: %s\n", ms_strerror(err));
        return 1;
    }
    if (write_file(tok_path, tok, n) || write_file(pub_path, pub.q, sizeof pub.q)) {
        return 1;
    }
    return 0;
}

static int verify(const uint8_t *nonce, size_t nonce_len, const char *tok_path,
                  const char *pub_path)
{
    uint8_t tok[4096];
    ms_p256_pub_t pub;
    ms_tee_attest_claims_t c;
    long n = read_file(tok_path, tok, sizeof tok);
    if (n < 0 || read_file(pub_path, pub.q, sizeof pub.q) != (long)sizeof pub.q) {
        return 1;
    }
    ms_err_t err = ms_tee_attest_verify(tok, (size_t)n, &pub, nonce, nonce_len, &c);
    if (err) {
        fprintf(stderr, "verify: %s\n", ms_errname(err));
        return 1;
    }
    printf("client_id=%lld lifecycle=0x%x components=%zu\n", (long long)c.client_id,
           (unsigned)c.lifecycle, c.n_sw);
    for (size_t i = 0; i < c.n_sw; i++) {
        printf("  %s %s sec_cnt=%s%u\n", c.sw[i].type, c.sw[i].version,
               c.sw[i].has_sec_cnt ? "" : "-", c.sw[i].sec_cnt);
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint8_t nonce[64];
    size_t nonce_len;
    if (argc != 5 || (nonce_len = unhex(argv[2], nonce, sizeof nonce)) == 0) {
        fprintf(stderr, "usage: %s make|verify <nonce-hex> <token> <pubkey>\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "make") == 0) {
        return make(nonce, nonce_len, argv[3], argv[4]);
    }
    if (strcmp(argv[1], "verify") == 0) {
        return verify(nonce, nonce_len, argv[3], argv[4]);
    }
    return 2;
}
