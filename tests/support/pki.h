/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pki.h - a small certificate authority for tests and benchmarks, on
 * OpenSSL (independent of the meter's Mbed TLS, so the meter's CSR is
 * checked by another implementation): CA roots, certificates issued from a
 * PKCS#10 request (the meter's, from its TEE) or for a software key.
 * Host only; never part of a product build.
 */
#ifndef MS_TEST_PKI_H
#define MS_TEST_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"

typedef struct pki_ca pki_ca_t;

/* A self-signed P-256 root "CN=<cn>". NULL on failure. */
pki_ca_t *pki_ca_new(const char *cn);
void pki_ca_free(pki_ca_t *ca);

/* The root's certificate (DER) and its key (PKCS#8 PEM, for openssl). */
size_t pki_ca_cert_der(const pki_ca_t *ca, uint8_t *out, size_t cap);
bool pki_ca_write_files(const pki_ca_t *ca, const char *cert_pem, const char *key_pem);

#define PKI_CLIENT 1u   /* extKeyUsage clientAuth */
#define PKI_SERVER 2u   /* extKeyUsage serverAuth, subjectAltName DNS:<cn> (or IP) */

/*
 * Issue a certificate from a DER PKCS#10 request (its signature checked;
 * subject and key copied) valid from now + not_before_days for days days.
 * Returns the DER length, 0 on failure (a bad request signature included).
 */
size_t pki_issue_csr(pki_ca_t *ca, const uint8_t *csr, size_t csr_len, unsigned usage,
                     int not_before_days, int days, uint8_t *out, size_t cap);

/* Issue "CN=<cn>" for pub (a software key), same rules. */
size_t pki_issue_key(pki_ca_t *ca, const char *cn, const ms_p256_pub_t *pub, unsigned usage,
                     int not_before_days, int days, uint8_t *out, size_t cap);

/* The first certificate of a PEM file as DER; 0 on failure. */
size_t pki_pem_to_der(const char *path, uint8_t *out, size_t cap);

/* DER certificate -> PEM file. */
bool pki_write_pem(const char *path, const uint8_t *der, size_t len);

/* A private key as a PKCS#8 PEM file (for openssl s_server). */
bool pki_write_key(const char *path, const ms_p256_priv_t *priv);

#endif /* MS_TEST_PKI_H */
