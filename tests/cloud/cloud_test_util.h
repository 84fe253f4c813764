/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloud_test_util.h - fixtures shared by the cloud tests and ms-testmeter:
 * an attestation token from a simulated TEE, and test PKI in memory.
 */
#ifndef MS_CLOUD_TEST_UTIL_H
#define MS_CLOUD_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"

/*
 * A token from a simulated device (TEE storage on RAM flash, a fresh IAK,
 * one boot measurement) whose challenge is SHA-256(nonce || id_pub), as a
 * meter makes at provisioning (docs/cloud.md §2 step 2). iak gets the key a
 * verifier needs.
 */
ms_err_t ctu_token(const uint8_t nonce[32], const ms_p256_pub_t *id_pub, uint8_t *tok,
                   size_t cap, size_t *len, ms_p256_pub_t *iak);

/* A CA in memory: key and PEM certificate (free cert_pem with free()). */
typedef struct ctu_ca {
    ms_p256_priv_t key;
    ms_p256_pub_t pub;
    char *cert_pem;
    size_t cert_len;
} ctu_ca_t;

ms_err_t ctu_ca_make(ctu_ca_t *ca, const char *cn);
void ctu_ca_free(ctu_ca_t *ca);

/* A meter key and its certificate from ca with CN id, valid [nb, na]. */
ms_err_t ctu_meter_cert(const ctu_ca_t *ca, const char *id, int64_t nb, int64_t na,
                        ms_p256_priv_t *key, ms_p256_pub_t *pub, char **cert_pem,
                        size_t *cert_len);

/* For "sqlite:PATH": remove PATH and its -wal/-shm files, so the test starts
 * on an empty database (a PostgreSQL spec is fresh already, see with-pg.sh). */
void ctu_fresh_db(const char *spec);

#endif /* MS_CLOUD_TEST_UTIL_H */
