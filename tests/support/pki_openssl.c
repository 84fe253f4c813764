/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pki_openssl.c - the test certificate authority of pki.h on OpenSSL 3.
 * Test and benchmark code: a failure returns 0/NULL/false, nothing prints.
 */
#define _GNU_SOURCE
#include "pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct pki_ca {
    EVP_PKEY *key;
    X509 *cert;
};

static EVP_PKEY *new_p256(void)
{
    return EVP_EC_gen("P-256");
}

static EVP_PKEY *pub_to_pkey(const ms_p256_pub_t *pub)
{
    EVP_PKEY *pk = NULL;
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (b != NULL && ctx != NULL &&
        OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub->q, sizeof pub->q) &&
        (params = OSSL_PARAM_BLD_to_param(b)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1) {
        if (EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
            pk = NULL;
        }
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    bool ok = ext != NULL && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static bool random_serial(X509 *cert)
{
    unsigned char s[16];
    if (RAND_bytes(s, sizeof s) != 1) {
        return false;
    }
    s[0] &= 0x7f;
    s[0] |= 0x01;
    BIGNUM *bn = BN_bin2bn(s, sizeof s, NULL);
    ASN1_INTEGER *ai = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    bool ok = ai != NULL && X509_set_serialNumber(cert, ai) == 1;
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return ok;
}

static size_t to_der(X509 *cert, uint8_t *out, size_t cap)
{
    int n = i2d_X509(cert, NULL);
    if (n <= 0 || (size_t)n > cap) {
        return 0;
    }
    unsigned char *p = out;
    return i2d_X509(cert, &p) == n ? (size_t)n : 0;
}

/* Fill and sign cert (subject and key already set). */
static bool finish(pki_ca_t *ca, X509 *cert, const char *cn, unsigned usage, int nb_days,
                   int days)
{
    bool ok = X509_set_version(cert, 2) == 1 && random_serial(cert) &&
              X509_set_issuer_name(cert, X509_get_subject_name(ca->cert)) == 1 &&
              X509_gmtime_adj(X509_getm_notBefore(cert), (long)nb_days * 86400) != NULL &&
              X509_gmtime_adj(X509_getm_notAfter(cert), (long)(nb_days + days) * 86400) !=
                  NULL &&
              add_ext(cert, ca->cert, NID_basic_constraints, "critical,CA:FALSE") &&
              add_ext(cert, ca->cert, NID_key_usage, "critical,digitalSignature") &&
              add_ext(cert, ca->cert, NID_subject_key_identifier, "hash") &&
              add_ext(cert, ca->cert, NID_authority_key_identifier, "keyid");
    if (ok && (usage & PKI_CLIENT)) {
        ok = add_ext(cert, ca->cert, NID_ext_key_usage, "clientAuth");
    }
    if (ok && (usage & PKI_SERVER)) {
        char san[128];
        bool ip = strspn(cn, "0123456789.") == strlen(cn);
        snprintf(san, sizeof san, "%s:%s", ip ? "IP" : "DNS", cn);
        ok = add_ext(cert, ca->cert, NID_ext_key_usage, "serverAuth") &&
             add_ext(cert, ca->cert, NID_subject_alt_name, san);
    }
    return ok && X509_sign(cert, ca->key, EVP_sha256()) > 0;
}

pki_ca_t *pki_ca_new(const char *cn)
{
    pki_ca_t *ca = calloc(1, sizeof *ca);
    if (ca == NULL) {
        return NULL;
    }
    ca->key = new_p256();
    ca->cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    bool ok = ca->key != NULL && ca->cert != NULL && name != NULL &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn,
                                         -1, -1, 0) == 1 &&
              X509_set_version(ca->cert, 2) == 1 && random_serial(ca->cert) &&
              X509_set_subject_name(ca->cert, name) == 1 &&
              X509_set_issuer_name(ca->cert, name) == 1 &&
              X509_gmtime_adj(X509_getm_notBefore(ca->cert), -86400) != NULL &&
              X509_gmtime_adj(X509_getm_notAfter(ca->cert), 3650L * 86400) != NULL &&
              X509_set_pubkey(ca->cert, ca->key) == 1 &&
              add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE") &&
              add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign") &&
              add_ext(ca->cert, ca->cert, NID_subject_key_identifier, "hash") &&
              X509_sign(ca->cert, ca->key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        pki_ca_free(ca);
        return NULL;
    }
    return ca;
}

void pki_ca_free(pki_ca_t *ca)
{
    if (ca != NULL) {
        EVP_PKEY_free(ca->key);
        X509_free(ca->cert);
        free(ca);
    }
}

size_t pki_ca_cert_der(const pki_ca_t *ca, uint8_t *out, size_t cap)
{
    return to_der(ca->cert, out, cap);
}

bool pki_ca_write_files(const pki_ca_t *ca, const char *cert_pem, const char *key_pem)
{
    FILE *c = fopen(cert_pem, "w");
    FILE *k = key_pem != NULL ? fopen(key_pem, "w") : NULL;
    bool ok = c != NULL && PEM_write_X509(c, ca->cert) == 1 &&
              (key_pem == NULL ||
               (k != NULL && PEM_write_PrivateKey(k, ca->key, NULL, NULL, 0, NULL, NULL) == 1));
    if (c != NULL) {
        ok = fclose(c) == 0 && ok;
    }
    if (k != NULL) {
        ok = fclose(k) == 0 && ok;
    }
    return ok;
}

size_t pki_issue_csr(pki_ca_t *ca, const uint8_t *csr, size_t csr_len, unsigned usage,
                     int not_before_days, int days, uint8_t *out, size_t cap)
{
    const unsigned char *p = csr;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)csr_len);
    if (req == NULL || p != csr + csr_len) {
        X509_REQ_free(req);
        return 0;
    }
    EVP_PKEY *pk = X509_REQ_get_pubkey(req);
    X509 *cert = X509_new();
    char cn[128] = "";
    size_t n = 0;
    if (pk != NULL && cert != NULL && X509_REQ_verify(req, pk) == 1 &&
        X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn,
                                  sizeof cn) > 0 &&
        X509_set_subject_name(cert, X509_REQ_get_subject_name(req)) == 1 &&
        X509_set_pubkey(cert, pk) == 1 &&
        finish(ca, cert, cn, usage, not_before_days, days)) {
        n = to_der(cert, out, cap);
    }
    X509_free(cert);
    EVP_PKEY_free(pk);
    X509_REQ_free(req);
    return n;
}

size_t pki_issue_key(pki_ca_t *ca, const char *cn, const ms_p256_pub_t *pub, unsigned usage,
                     int not_before_days, int days, uint8_t *out, size_t cap)
{
    EVP_PKEY *pk = pub_to_pkey(pub);
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    size_t n = 0;
    if (pk != NULL && cert != NULL && name != NULL &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                   0) == 1 &&
        X509_set_subject_name(cert, name) == 1 && X509_set_pubkey(cert, pk) == 1 &&
        finish(ca, cert, cn, usage, not_before_days, days)) {
        n = to_der(cert, out, cap);
    }
    X509_NAME_free(name);
    X509_free(cert);
    EVP_PKEY_free(pk);
    return n;
}

size_t pki_pem_to_der(const char *path, uint8_t *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    X509 *cert = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f != NULL) {
        fclose(f);
    }
    size_t n = cert != NULL ? to_der(cert, out, cap) : 0;
    X509_free(cert);
    return n;
}

bool pki_write_pem(const char *path, const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    FILE *f = cert != NULL ? fopen(path, "w") : NULL;
    bool ok = f != NULL && PEM_write_X509(f, cert) == 1;
    if (f != NULL) {
        ok = fclose(f) == 0 && ok;
    }
    X509_free(cert);
    return ok;
}

bool pki_write_key(const char *path, const ms_p256_priv_t *priv)
{
    ms_p256_pub_t pub;
    uint8_t pem[512];
    size_t n = 0;
    if (ms_p256_pub_from_priv(priv, &pub) != MS_OK ||
        ms_p256_key_write(priv, &pub, MS_KEY_PKCS8, true, pem, sizeof pem, &n) != MS_OK) {
        return false;
    }
    FILE *f = fopen(path, "w");
    bool ok = f != NULL && fwrite(pem, 1, n, f) == n;
    if (f != NULL) {
        ok = fclose(f) == 0 && ok;
    }
    ms_secure_zero(pem, sizeof pem);
    return ok;
}
