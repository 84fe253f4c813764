/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloud_test_util.c - fixtures for the cloud tests (see cloud_test_util.h).
 */
#include "cloud_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flash_sim.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "tee_hooks_host.h"
#include "x509.h"

ms_err_t ctu_token(const uint8_t nonce[32], const ms_p256_pub_t *id_pub, uint8_t *tok,
                   size_t cap, size_t *len, ms_p256_pub_t *iak)
{
    uint8_t challenge[MS_SHA256_LEN];
    ms_sha256_ctx h;
    ms_err_t err = ms_sha256_init(&h);
    if (err == MS_OK) {
        ms_sha256_update(&h, nonce, 32);
        ms_sha256_update(&h, id_pub->q, sizeof id_pub->q);
        err = ms_sha256_finish(&h, challenge);
    }
    if (err != MS_OK) {
        return err;
    }
    ms_flash_sim_t its, ps;
    uint8_t huk[MS_TEE_HUK_LEN];
    ms_random(huk, sizeof huk);
    ms_host_tee_set_huk(huk);
    ms_host_tee_nvc_set(MS_TEE_NVC_ITS, 0);   /* a new device each time */
    ms_host_tee_nvc_set(MS_TEE_NVC_PS, 0);
    if (ms_flash_sim_open(&its, NULL, 4 * 4096, 4096, 8, 0xff)) {
        return MS_ERR_IO;
    }
    if (ms_flash_sim_open(&ps, NULL, 2 * 4096, 4096, 8, 0xff)) {
        ms_flash_sim_close(&its);
        return MS_ERR_IO;
    }
    ms_flash_area_t a = { &its.flash, 0, 4 * 4096 }, b = { &ps.flash, 0, 2 * 4096 };
    ms_image_measurement_t meas[1];
    memset(meas, 0, sizeof meas);
    memset(meas[0].hash, 0x5e, sizeof meas[0].hash);
    meas[0].version = (ms_image_version_t){ 1, 0, 0, 0 };
    const char *types[1] = { "SPE" };
    uint8_t impl[32];
    memset(impl, 0x1d, sizeof impl);
    err = ms_tee_rng_init(NULL, NULL, 4);
    if (!err) err = ms_tee_storage_init(&a, &b);
    if (!err) err = ms_tee_keystore_provision(NULL, iak);
    if (!err) err = ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, meas, types, 1, impl,
                                                  MS_TEE_ATTEST_LIFECYCLE_SECURED);
    if (!err) err = ms_tee_attest_get_token(MS_TEE_PART_NSPE, challenge, sizeof challenge, tok,
                                            cap, len);
    ms_tee_storage_deinit();
    ms_flash_sim_close(&its);
    ms_flash_sim_close(&ps);
    return err;
}

ms_err_t ctu_ca_make(ctu_ca_t *ca, const char *cn)
{
    memset(ca, 0, sizeof *ca);
    int64_t now = (int64_t)time(NULL);
    ms_x509_request_t req = { .profile = MS_X509_CA, .cn = cn, .not_before = now - 3600,
                              .not_after = now + 86400 * 30 };
    ms_err_t err = ms_p256_keygen(&ca->key, &ca->pub);
    return err == MS_OK ? ms_x509_make_ca(&ca->key, &req, &ca->cert_pem, &ca->cert_len) : err;
}

void ctu_ca_free(ctu_ca_t *ca)
{
    free(ca->cert_pem);
    ms_secure_zero(ca, sizeof *ca);
}

ms_err_t ctu_meter_cert(const ctu_ca_t *ca, const char *id, int64_t nb, int64_t na,
                        ms_p256_priv_t *key, ms_p256_pub_t *pub, char **cert_pem,
                        size_t *cert_len)
{
    ms_x509_request_t req = { .profile = MS_X509_METER, .cn = id, .not_before = nb,
                              .not_after = na };
    ms_err_t err = ms_p256_keygen(key, pub);
    return err == MS_OK ? ms_x509_issue(ca->cert_pem, ca->cert_len, &ca->key, pub, &req,
                                        cert_pem, cert_len, NULL)
                        : err;
}

void ctu_fresh_db(const char *spec)
{
    if (strncmp(spec, "sqlite:", 7) != 0) {
        return;
    }
    char p[4200];
    unlink(spec + 7);
    snprintf(p, sizeof p, "%s-wal", spec + 7);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", spec + 7);
    unlink(p);
}
