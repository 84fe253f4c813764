/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x509.h - X.509 certificates, requests and CRLs for the two CAs of
 * docs/cloud.md §1 (manufacturer CA, cloud CA) and for the cloud's checks of
 * a meter certificate at registration (§2 step 4). Host only; the one place
 * that builds X.509 with OpenSSL's X509 API (x509_openssl.c).
 *
 * Conventions:
 *   - Keys come in as the project's ms_p256_priv_t / ms_p256_pub_t; they are
 *     made and checked by the crypto module (meterseal/crypto.h).
 *   - Inputs (PEM) are outside data: parsed with their length, never assumed
 *     NUL-terminated. Outputs are PEM in a heap buffer the caller frees with
 *     free(); *out_len excludes the NUL that terminates it.
 *   - Times are seconds since 1970-01-01 UTC.
 *   - Serial numbers are 16 random bytes (top bit cleared so the INTEGER is
 *     positive), shown as 32 lower-case hex digits.
 *   - Nothing is printed; errors are ms_err_t values.
 */
#ifndef MS_CLOUD_X509_H
#define MS_CLOUD_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"

#define MS_METER_ID_MAX   32u   /* docs/cloud.md §1: 1..32 of [A-Za-z0-9-] */
#define MS_X509_SERIAL_LEN 16u
#define MS_X509_SERIAL_HEX (2u * MS_X509_SERIAL_LEN + 1u)
#define MS_X509_NAME_MAX  64u
#define MS_X509_METER_O   "MeterSeal meter"

/* True when s (len bytes) is a meter id: 1..32 characters of [A-Za-z0-9-]. */
bool ms_meter_id_valid(const char *s, size_t len);

/* What a certificate is for. */
typedef enum ms_x509_profile {
    MS_X509_CA,      /* self-signed root: CA:TRUE, keyCertSign + cRLSign */
    MS_X509_METER,   /* CN + serialNumber = meter id, O = MeterSeal meter; clientAuth */
    MS_X509_SERVER,  /* the broker: CN = host, subjectAltName, serverAuth */
    MS_X509_CLIENT,  /* the cloud service: CN, clientAuth */
} ms_x509_profile_t;

typedef struct ms_x509_request {
    ms_x509_profile_t profile;
    const char *cn;              /* subject CN (meter id for MS_X509_METER) */
    const char *san;             /* SERVER only: "DNS:host,IP:127.0.0.1" or NULL */
    int64_t not_before;
    int64_t not_after;
} ms_x509_request_t;

/* A self-signed CA certificate for key (profile MS_X509_CA). */
ms_err_t ms_x509_make_ca(const ms_p256_priv_t *key, const ms_x509_request_t *req,
                         char **pem, size_t *pem_len);

/*
 * A certificate for subject_pub issued by the CA (ca_pem, ca_key), for
 * profile METER, SERVER or CLIENT. serial_hex (MS_X509_SERIAL_HEX bytes,
 * may be NULL) receives the new serial number.
 */
ms_err_t ms_x509_issue(const char *ca_pem, size_t ca_len, const ms_p256_priv_t *ca_key,
                       const ms_p256_pub_t *subject_pub, const ms_x509_request_t *req,
                       char **pem, size_t *pem_len, char serial_hex[MS_X509_SERIAL_HEX]);

/*
 * Check a meter's PKCS#10 request (§2 step 2): its signature with its own
 * P-256 key, and its subject is CN=<id>, serialNumber=<id>, O=MeterSeal
 * meter. meter_id (MS_METER_ID_MAX + 1 bytes) and pub receive what it asks
 * for. MS_ERR_FORMAT, MS_ERR_SIGNATURE, MS_ERR_KEY_FORMAT, MS_ERR_X509_NAME.
 */
ms_err_t ms_x509_csr_check(const char *csr_pem, size_t csr_len,
                           char meter_id[MS_METER_ID_MAX + 1], ms_p256_pub_t *pub);

/* One revoked certificate. */
typedef struct ms_x509_revoked {
    char serial_hex[MS_X509_SERIAL_HEX];
    int64_t revoked_at;
} ms_x509_revoked_t;

/* A v2 CRL signed by the CA, with crlNumber and authorityKeyIdentifier. */
ms_err_t ms_x509_make_crl(const char *ca_pem, size_t ca_len, const ms_p256_priv_t *ca_key,
                          const ms_x509_revoked_t *revoked, size_t n_revoked,
                          uint64_t crl_number, int64_t this_update, int64_t next_update,
                          char **pem, size_t *pem_len);

/* The serial numbers a CA revoked, from its CRL (sorted, for lookups). */
typedef struct ms_x509_crl {
    char (*serial)[MS_X509_SERIAL_HEX];
    size_t n;
    uint64_t number;             /* crlNumber: a later CRL has a higher one */
} ms_x509_crl_t;

#define MS_X509_CRL_MAX (16u << 20)   /* bytes of PEM */

/*
 * Read crl_pem (outside data) and check that the CA in ca_pem signed it,
 * that it is valid at now (thisUpdate <= now <= nextUpdate) and that it is
 * a complete CRL with a crlNumber (no delta CRL, no distribution point
 * scope). *crl is filled on MS_OK only; free it with ms_x509_crl_free.
 * MS_ERR_FORMAT, MS_ERR_X509_CHAIN (another issuer, a bad signature, not
 * valid at now), MS_ERR_X509_PROFILE (delta or scoped), MS_ERR_ARG.
 */
ms_err_t ms_x509_crl_read(const char *ca_pem, size_t ca_len, const char *crl_pem,
                          size_t crl_len, int64_t now, ms_x509_crl_t *crl);
/* True when serial_hex is on the list (crl may be NULL: nothing revoked). */
bool ms_x509_crl_has(const ms_x509_crl_t *crl, const char *serial_hex);
void ms_x509_crl_free(ms_x509_crl_t *crl);

/* What a certificate says (no trust decision). */
typedef struct ms_x509_info {
    char cn[MS_X509_NAME_MAX + 1];
    char serial_hex[MS_X509_SERIAL_HEX];
    int64_t not_before;
    int64_t not_after;
    ms_p256_pub_t pub;
    bool is_ca;
} ms_x509_info_t;

/* Read one PEM certificate. MS_ERR_FORMAT, MS_ERR_KEY_FORMAT (not P-256). */
ms_err_t ms_x509_info(const char *pem, size_t len, ms_x509_info_t *info);

/* MS_OK when the certificate's public key is pub, else MS_ERR_KEY_MISMATCH. */
ms_err_t ms_x509_key_matches(const char *cert_pem, size_t len, const ms_p256_pub_t *pub);

/*
 * Registration check (§2 step 4): cert_pem is a meter certificate issued by
 * the CA in ca_pem and valid at `now`; its CN and serialNumber are
 * meter_id, O is MeterSeal meter, it allows clientAuth, its key is P-256.
 * pub receives the meter's identity key. MS_ERR_X509_CHAIN (not issued by
 * that CA, bad signature, expired or not yet valid), MS_ERR_X509_NAME,
 * MS_ERR_X509_PROFILE, MS_ERR_FORMAT, MS_ERR_KEY_FORMAT.
 */
ms_err_t ms_x509_verify_meter(const char *ca_pem, size_t ca_len, const char *cert_pem,
                              size_t cert_len, const char *meter_id, int64_t now,
                              ms_p256_pub_t *pub);

#endif /* MS_CLOUD_X509_H */
