/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x509_openssl.c - X.509 certificates, requests and CRLs on OpenSSL 3's
 * X509 API (see x509.h): the one file that builds or checks X.509.
 *
 * Invariants:
 *   - Keys enter as the project's types and become EVP_PKEYs through their
 *     DER encodings (ms_p256_key_write / ms_p256_pub_to_spki); the DER of a
 *     private key is wiped after use. Key generation, randomness and key
 *     checks stay in the crypto module.
 *   - Every PEM input is read through a memory BIO of its given length.
 *   - Certificates carry exactly the extensions their profile names; nothing
 *     is copied from a request but its public key (the subject is rebuilt
 *     from the checked meter id).
 *   - Every OpenSSL object is freed on every path; the error queue is
 *     cleared before returning so no stale error leaks into a later call.
 */
#include "x509.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

bool ms_meter_id_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > MS_METER_ID_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-')) {
            return false;
        }
    }
    return true;
}

/* ---- conversions ----------------------------------------------------------- */

static EVP_PKEY *pkey_from_priv(const ms_p256_priv_t *key)
{
    uint8_t der[256];
    size_t len = 0;
    if (ms_p256_key_write(key, NULL, MS_KEY_PKCS8, false, der, sizeof der, &len) != MS_OK) {
        return NULL;
    }
    const unsigned char *p = der;
    EVP_PKEY *pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
    ms_secure_zero(der, sizeof der);
    return pkey;
}

static EVP_PKEY *pkey_from_pub(const ms_p256_pub_t *pub)
{
    uint8_t spki[MS_P256_SPKI_LEN];
    if (ms_p256_pub_to_spki(pub, spki) != MS_OK) {
        return NULL;
    }
    const unsigned char *p = spki;
    return d2i_PUBKEY(NULL, &p, (long)sizeof spki);
}

/* The P-256 key of an EVP_PKEY, through its SPKI (the crypto module checks it). */
static ms_err_t pub_of_pkey(EVP_PKEY *pkey, ms_p256_pub_t *pub)
{
    if (pkey == NULL) {
        return MS_ERR_KEY_FORMAT;
    }
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(pkey, &der);
    if (n <= 0) {
        return MS_ERR_KEY_FORMAT;
    }
    ms_err_t err = ms_p256_pub_from_spki(der, (size_t)n, pub);
    OPENSSL_free(der);
    return err == MS_OK ? MS_OK : MS_ERR_KEY_FORMAT;
}

static X509 *cert_from_pem(const char *pem, size_t len)
{
    if (pem == NULL || len == 0 || len > 65536) {
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        return NULL;
    }
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return x;
}

/* PEM text of an object into a malloc'd, NUL-terminated buffer. */
static ms_err_t bio_to_pem(BIO *bio, char **pem, size_t *pem_len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || data == NULL) {
        return MS_ERR_CRYPTO;
    }
    char *out = malloc((size_t)n + 1);
    if (out == NULL) {
        return MS_ERR_INTERNAL;
    }
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    *pem = out;
    *pem_len = (size_t)n;
    return MS_OK;
}

static ms_err_t cert_to_pem(X509 *x, char **pem, size_t *pem_len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    ms_err_t err = MS_ERR_CRYPTO;
    if (bio != NULL && PEM_write_bio_X509(bio, x) == 1) {
        err = bio_to_pem(bio, pem, pem_len);
    }
    BIO_free(bio);
    return err;
}

static void serial_to_hex(const ASN1_INTEGER *sn, char out[MS_X509_SERIAL_HEX])
{
    out[0] = '\0';
    BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
    if (bn == NULL) {
        return;
    }
    uint8_t b[MS_X509_SERIAL_LEN];
    if (BN_num_bytes(bn) <= (int)sizeof b && BN_bn2binpad(bn, b, (int)sizeof b) > 0) {
        static const char hx[] = "0123456789abcdef";
        for (size_t i = 0; i < sizeof b; i++) {
            out[2 * i] = hx[b[i] >> 4];
            out[2 * i + 1] = hx[b[i] & 15];
        }
        out[2 * sizeof b] = '\0';
    }
    BN_free(bn);
}

static ASN1_INTEGER *serial_from_hex(const char *hex)
{
    BIGNUM *bn = NULL;
    if (hex == NULL || strlen(hex) != 2 * MS_X509_SERIAL_LEN || BN_hex2bn(&bn, hex) == 0) {
        BN_free(bn);
        return NULL;
    }
    ASN1_INTEGER *sn = BN_to_ASN1_INTEGER(bn, NULL);
    BN_free(bn);
    return sn;
}

static ms_err_t random_serial(X509 *x)
{
    uint8_t b[MS_X509_SERIAL_LEN];
    ms_err_t err = ms_random(b, sizeof b);
    if (err != MS_OK) {
        return err;
    }
    b[0] &= 0x7f;
    b[0] |= 0x40;   /* always 16 bytes, always positive */
    BIGNUM *bn = BN_bin2bn(b, (int)sizeof b, NULL);
    if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL) {
        BN_free(bn);
        return MS_ERR_CRYPTO;
    }
    BN_free(bn);
    return MS_OK;
}

static bool add_entry(X509_NAME *name, int nid, const char *value)
{
    return X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)value,
                                      -1, -1, 0) == 1;
}

/* The one entry of `nid` in name, copied into out; false if absent, repeated
 * or too long. */
static bool name_entry(const X509_NAME *name, int nid, char *out, size_t cap)
{
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0 || X509_NAME_get_index_by_NID(name, nid, i) >= 0) {
        return false;
    }
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    int n = ASN1_STRING_length(s);
    if (n < 0 || (size_t)n >= cap) {
        return false;
    }
    const unsigned char *d = ASN1_STRING_get0_data(s);
    if (memchr(d, '\0', (size_t)n) != NULL) {
        return false;
    }
    memcpy(out, d, (size_t)n);
    out[n] = '\0';
    return true;
}

/* A meter subject: CN = serialNumber = id, O = MeterSeal meter, nothing else. */
static ms_err_t check_meter_subject(const X509_NAME *name, char id[MS_METER_ID_MAX + 1])
{
    char cn[MS_X509_NAME_MAX + 1], sn[MS_X509_NAME_MAX + 1], o[MS_X509_NAME_MAX + 1];
    if (X509_NAME_entry_count(name) != 3 || !name_entry(name, NID_commonName, cn, sizeof cn) ||
        !name_entry(name, NID_serialNumber, sn, sizeof sn) ||
        !name_entry(name, NID_organizationName, o, sizeof o) ||
        !ms_meter_id_valid(cn, strlen(cn)) || strcmp(cn, sn) != 0 ||
        strcmp(o, MS_X509_METER_O) != 0) {
        return MS_ERR_X509_NAME;
    }
    memcpy(id, cn, strlen(cn) + 1);
    return MS_OK;
}

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (ext == NULL) {
        return false;
    }
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

/* ---- issuing ---------------------------------------------------------------- */

static ms_err_t build_subject(X509 *x, const ms_x509_request_t *req)
{
    X509_NAME *name = X509_NAME_new();
    bool ok = name != NULL;
    if (ok && req->profile == MS_X509_METER) {
        ok = add_entry(name, NID_commonName, req->cn) &&
             add_entry(name, NID_serialNumber, req->cn) &&
             add_entry(name, NID_organizationName, MS_X509_METER_O);
    } else if (ok) {
        ok = add_entry(name, NID_commonName, req->cn);
    }
    ok = ok && X509_set_subject_name(x, name) == 1;
    X509_NAME_free(name);
    return ok ? MS_OK : MS_ERR_CRYPTO;
}

static ms_err_t check_request(const ms_x509_request_t *req)
{
    if (req == NULL || req->cn == NULL || req->cn[0] == '\0' ||
        strlen(req->cn) > MS_X509_NAME_MAX || req->not_after <= req->not_before) {
        return MS_ERR_ARG;
    }
    if (req->profile == MS_X509_METER && !ms_meter_id_valid(req->cn, strlen(req->cn))) {
        return MS_ERR_X509_NAME;
    }
    if (req->san != NULL && req->profile != MS_X509_SERVER) {
        return MS_ERR_ARG;
    }
    return MS_OK;
}

/* Fill and sign x: subject, validity, key, extensions of the profile. */
static ms_err_t build_and_sign(X509 *x, X509 *issuer, EVP_PKEY *subject_key,
                               EVP_PKEY *issuer_key, const ms_x509_request_t *req)
{
    ms_err_t err = build_subject(x, req);
    if (err != MS_OK) {
        return err;
    }
    err = random_serial(x);
    if (err != MS_OK) {
        return err;
    }
    X509 *iss = issuer != NULL ? issuer : x;
    if (X509_set_version(x, X509_VERSION_3) != 1 ||
        X509_set_issuer_name(x, X509_get_subject_name(iss)) != 1 ||
        ASN1_TIME_set(X509_getm_notBefore(x), (time_t)req->not_before) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)req->not_after) == NULL ||
        X509_set_pubkey(x, subject_key) != 1) {
        return MS_ERR_CRYPTO;
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, iss, x, NULL, NULL, 0);
    bool ok = add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
              add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    switch (req->profile) {
    case MS_X509_CA:
        ok = ok && add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
             add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
        break;
    case MS_X509_METER:
    case MS_X509_CLIENT:
        ok = ok && add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, &ctx, NID_ext_key_usage, "clientAuth");
        break;
    case MS_X509_SERVER:
        ok = ok && add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") &&
             (req->san == NULL || add_ext(x, &ctx, NID_subject_alt_name, req->san));
        break;
    default:
        return MS_ERR_ARG;
    }
    if (!ok) {
        return req->san != NULL ? MS_ERR_ARG : MS_ERR_CRYPTO;
    }
    return X509_sign(x, issuer_key, EVP_sha256()) > 0 ? MS_OK : MS_ERR_CRYPTO;
}

ms_err_t ms_x509_make_ca(const ms_p256_priv_t *key, const ms_x509_request_t *req, char **pem,
                         size_t *pem_len)
{
    if (key == NULL || pem == NULL || pem_len == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = check_request(req);
    if (err != MS_OK) {
        return err;
    }
    if (req->profile != MS_X509_CA) {
        return MS_ERR_ARG;
    }
    EVP_PKEY *pkey = pkey_from_priv(key);
    X509 *x = X509_new();
    err = pkey != NULL && x != NULL ? build_and_sign(x, NULL, pkey, pkey, req) : MS_ERR_KEY_FORMAT;
    if (err == MS_OK) {
        err = cert_to_pem(x, pem, pem_len);
    }
    X509_free(x);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return err;
}

ms_err_t ms_x509_issue(const char *ca_pem, size_t ca_len, const ms_p256_priv_t *ca_key,
                       const ms_p256_pub_t *subject_pub, const ms_x509_request_t *req,
                       char **pem, size_t *pem_len, char serial_hex[MS_X509_SERIAL_HEX])
{
    if (ca_key == NULL || subject_pub == NULL || pem == NULL || pem_len == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = check_request(req);
    if (err != MS_OK) {
        return err;
    }
    if (req->profile == MS_X509_CA) {
        return MS_ERR_ARG;
    }
    X509 *ca = cert_from_pem(ca_pem, ca_len);
    EVP_PKEY *ca_pkey = pkey_from_priv(ca_key);
    EVP_PKEY *sub = pkey_from_pub(subject_pub);
    X509 *x = X509_new();
    if (ca == NULL) {
        err = MS_ERR_FORMAT;
    } else if (ca_pkey == NULL || sub == NULL) {
        err = MS_ERR_KEY_FORMAT;
    } else if (X509_check_private_key(ca, ca_pkey) != 1) {
        err = MS_ERR_KEY_MISMATCH;
    } else if (x == NULL) {
        err = MS_ERR_CRYPTO;
    } else {
        err = build_and_sign(x, ca, sub, ca_pkey, req);
    }
    if (err == MS_OK) {
        err = cert_to_pem(x, pem, pem_len);
    }
    if (err == MS_OK && serial_hex != NULL) {
        serial_to_hex(X509_get0_serialNumber(x), serial_hex);
    }
    X509_free(x);
    EVP_PKEY_free(sub);
    EVP_PKEY_free(ca_pkey);
    X509_free(ca);
    ERR_clear_error();
    return err;
}

ms_err_t ms_x509_csr_check(const char *csr_pem, size_t csr_len,
                           char meter_id[MS_METER_ID_MAX + 1], ms_p256_pub_t *pub)
{
    if (csr_pem == NULL || csr_len == 0 || csr_len > 65536 || meter_id == NULL || pub == NULL) {
        return MS_ERR_ARG;
    }
    BIO *bio = BIO_new_mem_buf(csr_pem, (int)csr_len);
    X509_REQ *req = bio != NULL ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ms_err_t err = MS_OK;
    EVP_PKEY *key = req != NULL ? X509_REQ_get0_pubkey(req) : NULL;
    if (req == NULL) {
        err = MS_ERR_FORMAT;
    } else if ((err = pub_of_pkey(key, pub)) != MS_OK) {
        /* not P-256 */
    } else if (X509_REQ_verify(req, key) != 1) {
        err = MS_ERR_SIGNATURE;
    } else {
        err = check_meter_subject(X509_REQ_get_subject_name(req), meter_id);
    }
    X509_REQ_free(req);
    ERR_clear_error();
    return err;
}

ms_err_t ms_x509_make_crl(const char *ca_pem, size_t ca_len, const ms_p256_priv_t *ca_key,
                          const ms_x509_revoked_t *revoked, size_t n_revoked,
                          uint64_t crl_number, int64_t this_update, int64_t next_update,
                          char **pem, size_t *pem_len)
{
    if (ca_key == NULL || pem == NULL || pem_len == NULL || (revoked == NULL && n_revoked) ||
        next_update <= this_update) {
        return MS_ERR_ARG;
    }
    X509 *ca = cert_from_pem(ca_pem, ca_len);
    EVP_PKEY *ca_pkey = pkey_from_priv(ca_key);
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)this_update);
    ASN1_TIME *t2 = ASN1_TIME_set(NULL, (time_t)next_update);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    ms_err_t err = MS_OK;
    if (ca == NULL) {
        err = MS_ERR_FORMAT;
    } else if (ca_pkey == NULL || X509_check_private_key(ca, ca_pkey) != 1) {
        err = MS_ERR_KEY_MISMATCH;
    } else if (crl == NULL || t1 == NULL || t2 == NULL || num == NULL ||
               X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
               X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1 ||
               X509_CRL_set1_lastUpdate(crl, t1) != 1 || X509_CRL_set1_nextUpdate(crl, t2) != 1 ||
               ASN1_INTEGER_set_uint64(num, crl_number) != 1 ||
               X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1) {
        err = MS_ERR_CRYPTO;
    }
    for (size_t i = 0; err == MS_OK && i < n_revoked; i++) {
        ASN1_INTEGER *sn = serial_from_hex(revoked[i].serial_hex);
        ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)revoked[i].revoked_at);
        X509_REVOKED *r = X509_REVOKED_new();
        if (sn == NULL) {
            err = MS_ERR_ARG;
        } else if (when == NULL || r == NULL || X509_REVOKED_set_serialNumber(r, sn) != 1 ||
                   X509_REVOKED_set_revocationDate(r, when) != 1 ||
                   X509_CRL_add0_revoked(crl, r) != 1) {
            err = MS_ERR_CRYPTO;
        } else {
            r = NULL;   /* owned by the CRL now */
        }
        X509_REVOKED_free(r);
        ASN1_TIME_free(when);
        ASN1_INTEGER_free(sn);
    }
    if (err == MS_OK) {
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
        X509_EXTENSION *aki =
            X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
        if (aki == NULL || X509_CRL_add_ext(crl, aki, -1) != 1 || X509_CRL_sort(crl) != 1 ||
            X509_CRL_sign(crl, ca_pkey, EVP_sha256()) <= 0) {
            err = MS_ERR_CRYPTO;
        }
        X509_EXTENSION_free(aki);
    }
    if (err == MS_OK) {
        BIO *bio = BIO_new(BIO_s_mem());
        err = bio != NULL && PEM_write_bio_X509_CRL(bio, crl) == 1 ? bio_to_pem(bio, pem, pem_len)
                                                                   : MS_ERR_CRYPTO;
        BIO_free(bio);
    }
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(t2);
    ASN1_TIME_free(t1);
    X509_CRL_free(crl);
    EVP_PKEY_free(ca_pkey);
    X509_free(ca);
    ERR_clear_error();
    return err;
}

/* ---- reading and checking ------------------------------------------------------ */

static int cmp_serial(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The CRL's crlNumber, if it fits 64 bits. */
static bool crl_number(X509_CRL *c, uint64_t *number)
{
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL);
    bool ok = n != NULL && ASN1_INTEGER_get_uint64(number, n) == 1;
    ASN1_INTEGER_free(n);
    return ok;
}

/* Valid at now: thisUpdate <= now, and nextUpdate (if given) >= now. */
static bool crl_current(X509_CRL *c, int64_t now)
{
    const ASN1_TIME *last = X509_CRL_get0_lastUpdate(c), *next = X509_CRL_get0_nextUpdate(c);
    time_t t = (time_t)now;
    return last != NULL && X509_cmp_time(last, &t) <= 0 &&
           (next == NULL || X509_cmp_time(next, &t) >= 0);
}

ms_err_t ms_x509_crl_read(const char *ca_pem, size_t ca_len, const char *crl_pem,
                          size_t crl_len, int64_t now, ms_x509_crl_t *crl)
{
    if (crl == NULL || crl_pem == NULL || crl_len == 0 || crl_len > MS_X509_CRL_MAX) {
        return MS_ERR_ARG;
    }
    uint64_t number = 0;
    X509 *ca = cert_from_pem(ca_pem, ca_len);
    BIO *bio = BIO_new_mem_buf(crl_pem, (int)crl_len);
    X509_CRL *c = bio != NULL ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
    ms_err_t err = MS_OK;
    if (ca == NULL) {
        err = MS_ERR_ARG;
    } else if (c == NULL) {
        err = MS_ERR_FORMAT;
    } else if (X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(ca)) != 0 ||
               X509_CRL_verify(c, X509_get0_pubkey(ca)) != 1 || !crl_current(c, now)) {
        err = MS_ERR_X509_CHAIN;
    } else if (X509_CRL_get_ext_by_NID(c, NID_delta_crl, -1) >= 0 ||
               X509_CRL_get_ext_by_NID(c, NID_issuing_distribution_point, -1) >= 0 ||
               !crl_number(c, &number)) {
        err = MS_ERR_X509_PROFILE;   /* only a complete, numbered CRL lists every revocation */
    }
    STACK_OF(X509_REVOKED) *rev = err == MS_OK ? X509_CRL_get_REVOKED(c) : NULL;
    int total = rev != NULL ? sk_X509_REVOKED_num(rev) : 0;
    char (*list)[MS_X509_SERIAL_HEX] = NULL;
    size_t n = 0;
    if (err == MS_OK && total > 0 &&
        (list = calloc((size_t)total, sizeof *list)) == NULL) {
        err = MS_ERR_INTERNAL;
    }
    for (int i = 0; err == MS_OK && i < total; i++) {
        serial_to_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(rev, i)), list[n]);
        n += list[n][0] != '\0';   /* a serial of another length is none of ours */
    }
    if (err == MS_OK) {
        if (n > 1) {
            qsort(list, n, sizeof *list, cmp_serial);   /* list is NULL when nothing is revoked */
        }
        crl->serial = list;
        crl->n = n;
        crl->number = number;
    } else {
        free(list);
    }
    X509_CRL_free(c);
    BIO_free(bio);
    X509_free(ca);
    ERR_clear_error();
    return err;
}

bool ms_x509_crl_has(const ms_x509_crl_t *crl, const char *serial_hex)
{
    return crl != NULL && crl->n != 0 && serial_hex != NULL &&
           bsearch(serial_hex, crl->serial, crl->n, sizeof *crl->serial, cmp_serial) != NULL;
}

void ms_x509_crl_free(ms_x509_crl_t *crl)
{
    if (crl != NULL) {
        free(crl->serial);
        crl->serial = NULL;
        crl->n = 0;
        crl->number = 0;
    }
}

static int64_t asn1_time_to_unix(const ASN1_TIME *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        return 0;
    }
    /* days from civil (proleptic Gregorian), no timezone involved */
    int64_t y = (int64_t)tm.tm_year + 1900 - (tm.tm_mon < 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (tm.tm_mon + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + tm.tm_mday - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

ms_err_t ms_x509_info(const char *pem, size_t len, ms_x509_info_t *info)
{
    if (info == NULL) {
        return MS_ERR_ARG;
    }
    memset(info, 0, sizeof *info);
    X509 *x = cert_from_pem(pem, len);
    if (x == NULL) {
        ERR_clear_error();
        return MS_ERR_FORMAT;
    }
    ms_err_t err = pub_of_pkey(X509_get0_pubkey(x), &info->pub);
    if (!name_entry(X509_get_subject_name(x), NID_commonName, info->cn, sizeof info->cn)) {
        info->cn[0] = '\0';
    }
    serial_to_hex(X509_get0_serialNumber(x), info->serial_hex);
    info->not_before = asn1_time_to_unix(X509_get0_notBefore(x));
    info->not_after = asn1_time_to_unix(X509_get0_notAfter(x));
    info->is_ca = X509_check_ca(x) != 0;
    X509_free(x);
    ERR_clear_error();
    return err;
}

ms_err_t ms_x509_key_matches(const char *cert_pem, size_t len, const ms_p256_pub_t *pub)
{
    ms_x509_info_t info;
    ms_err_t err = ms_x509_info(cert_pem, len, &info);
    if (err != MS_OK) {
        return err;
    }
    return ms_ct_equal(info.pub.q, pub->q, MS_P256_PUB_LEN) ? MS_OK : MS_ERR_KEY_MISMATCH;
}

ms_err_t ms_x509_verify_meter(const char *ca_pem, size_t ca_len, const char *cert_pem,
                              size_t cert_len, const char *meter_id, int64_t now,
                              ms_p256_pub_t *pub)
{
    if (meter_id == NULL || pub == NULL) {
        return MS_ERR_ARG;
    }
    X509 *ca = cert_from_pem(ca_pem, ca_len);
    X509 *x = cert_from_pem(cert_pem, cert_len);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    ms_err_t err = MS_OK;
    char id[MS_METER_ID_MAX + 1];
    if (ca == NULL) {
        err = MS_ERR_ARG;
    } else if (x == NULL) {
        err = MS_ERR_FORMAT;
    } else if (store == NULL || ctx == NULL || X509_STORE_add_cert(store, ca) != 1 ||
               X509_STORE_CTX_init(ctx, store, x, NULL) != 1 ||
               X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
        err = MS_ERR_CRYPTO;
    } else {
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)now);
        if (X509_verify_cert(ctx) != 1) {
            int e = X509_STORE_CTX_get_error(ctx);
            err = e == X509_V_ERR_INVALID_PURPOSE ? MS_ERR_X509_PROFILE : MS_ERR_X509_CHAIN;
        } else if (X509_check_ca(x) != 0 ||
                   (X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE) == 0 ||
                   (X509_get_extended_key_usage(x) & XKU_SSL_CLIENT) == 0 ||
                   (X509_get_extension_flags(x) & EXFLAG_XKUSAGE) == 0) {
            err = MS_ERR_X509_PROFILE;
        } else if ((err = check_meter_subject(X509_get_subject_name(x), id)) == MS_OK &&
                   strcmp(id, meter_id) != 0) {
            err = MS_ERR_X509_NAME;
        }
    }
    if (err == MS_OK) {
        err = pub_of_pkey(X509_get0_pubkey(x), pub);
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(x);
    X509_free(ca);
    ERR_clear_error();
    return err;
}
