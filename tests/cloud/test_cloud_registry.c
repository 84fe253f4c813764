/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cloud_registry.c - registration (docs/cloud.md §2 step 4) on each
 * backend (argument: a database spec): a meter with a certificate of the
 * manufacturer CA and an attestation token bound to (nonce, certificate
 * key) is accepted once; a bad token, a token for another nonce or another
 * key, an unissued or used nonce, a wrong CN, a foreign CA and an expired
 * certificate are refused with a reason, and nothing is stored for them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cloud_test_util.h"
#include "registry.h"
#include "x509.h"

static const char *g_spec;
static ms_cloud_t g_c;
static ctu_ca_t g_mfr, g_foreign;

static int64_t now_fn(void)
{
    return (int64_t)time(NULL);
}

static int setup(void **state)
{
    (void)state;
    if (ms_db_open(g_spec, &g_c.db) != MS_OK || ctu_ca_make(&g_mfr, "Manufacturer CA") ||
        ctu_ca_make(&g_foreign, "Manufacturer CA")) {   /* same name, other key */
        return -1;
    }
    g_c.now = now_fn;
    g_c.mfr_ca_pem = g_mfr.cert_pem;
    g_c.mfr_ca_len = g_mfr.cert_len;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ctu_ca_free(&g_mfr);
    ctu_ca_free(&g_foreign);
    ms_db_close(&g_c.db);
    return 0;
}

/* A request as a factory makes it: nonce from the cloud, certificate from
 * ca for cert_cn, token bound to the nonce and the certificate's key. */
static ms_jp_register_t *request(const ctu_ca_t *ca, const char *meter_id, const char *cert_cn,
                                 int64_t nb, int64_t na)
{
    ms_jp_register_t *r = calloc(1, sizeof *r);
    char hex[2 * MS_STORE_NONCE_LEN + 1];
    assert_int_equal(ms_registry_nonce(&g_c, hex), MS_OK);
    assert_true(ms_jp_unhex(hex, strlen(hex), r->nonce, sizeof r->nonce));
    snprintf(r->meter_id, sizeof r->meter_id, "%s", meter_id);
    ms_p256_priv_t key;
    ms_p256_pub_t pub;
    char *pem = NULL;
    size_t len = 0;
    assert_int_equal(ctu_meter_cert(ca, cert_cn, nb, na, &key, &pub, &pem, &len), MS_OK);
    assert_true(len < sizeof r->cert_pem);
    memcpy(r->cert_pem, pem, len + 1);
    r->cert_len = len;
    free(pem);
    assert_int_equal(ctu_token(r->nonce, &pub, r->token, sizeof r->token, &r->token_len,
                               &r->iak_pub), MS_OK);
    return r;
}

static ms_jp_register_t *good(const char *id)
{
    int64_t t = (int64_t)time(NULL);
    return request(&g_mfr, id, id, t - 60, t + 86400);
}

static void refused(ms_jp_register_t *r, const char *why)
{
    char reason[MS_JP_REASON_MAX];
    ms_err_t err = ms_registry_register(&g_c, r, reason);
    assert_int_not_equal(err, MS_OK);
    assert_int_not_equal(err, MS_ERR_CLOUD_DB);
    if (strstr(reason, why) == NULL) {
        fail_msg("reason '%s' does not say '%s'", reason, why);
    }
    ms_meter_rec_t *m = malloc(sizeof *m);
    assert_int_equal(g_c.db.ops->meter_get(g_c.db.s, r->meter_id, m), MS_ERR_NOT_FOUND);
    free(m);
    free(r);
}

static void accepted_once(void **state)
{
    (void)state;
    char reason[MS_JP_REASON_MAX];
    ms_jp_register_t *r = good("rg-000001");
    assert_int_equal(ms_registry_register(&g_c, r, reason), MS_OK);
    ms_meter_rec_t *m = malloc(sizeof *m);
    assert_int_equal(g_c.db.ops->meter_get(g_c.db.s, "rg-000001", m), MS_OK);
    assert_memory_equal(m->iak_pub.q, r->iak_pub.q, sizeof r->iak_pub.q);
    /* again with the same nonce: the meter exists */
    assert_int_equal(ms_registry_register(&g_c, r, reason), MS_ERR_STATE);
    free(m);
    free(r);
}

/* Point r at another nonce, with its token made again for that nonce. */
static void rebind(ms_jp_register_t *r, const uint8_t nonce[MS_STORE_NONCE_LEN])
{
    ms_x509_info_t info;
    assert_int_equal(ms_x509_info(r->cert_pem, r->cert_len, &info), MS_OK);
    memcpy(r->nonce, nonce, sizeof r->nonce);
    assert_int_equal(ctu_token(r->nonce, &info.pub, r->token, sizeof r->token, &r->token_len,
                               &r->iak_pub), MS_OK);
}

static void nonce_used_or_unknown(void **state)
{
    (void)state;
    char reason[MS_JP_REASON_MAX];
    uint8_t used[MS_STORE_NONCE_LEN], unknown[MS_STORE_NONCE_LEN];
    ms_jp_register_t *r = good("rg-000002");
    memcpy(used, r->nonce, sizeof used);
    assert_int_equal(ms_registry_register(&g_c, r, reason), MS_OK);
    free(r);
    r = good("rg-000003");
    rebind(r, used);
    refused(r, "nonce");
    r = good("rg-000004");
    ms_random(unknown, sizeof unknown);
    rebind(r, unknown);
    refused(r, "nonce");
}

static void bad_token(void **state)
{
    (void)state;
    ms_jp_register_t *r = good("rg-000005");
    r->token[r->token_len - 1] ^= 1;   /* signature */
    refused(r, "attestation token");
    r = good("rg-000006");
    ms_p256_priv_t k;
    ms_p256_keygen(&k, &r->iak_pub);   /* another device's IAK */
    refused(r, "attestation token");
    r = good("rg-000007");
    r->token_len = 10;                 /* truncated */
    refused(r, "attestation token");
}

static void token_for_another_nonce(void **state)
{
    (void)state;
    ms_jp_register_t *a = good("rg-000008"), *b = good("rg-000009");
    memcpy(a->nonce, b->nonce, sizeof a->nonce);   /* a valid, issued nonce, not the token's */
    free(b);
    refused(a, "challenge");
}

static void wrong_cn_foreign_ca_expired(void **state)
{
    (void)state;
    int64_t t = (int64_t)time(NULL);
    refused(request(&g_mfr, "rg-000010", "rg-000011", t - 60, t + 86400), "certificate");
    refused(request(&g_foreign, "rg-000012", "rg-000012", t - 60, t + 86400), "certificate");
    refused(request(&g_mfr, "rg-000013", "rg-000013", t - 86400 * 10, t - 86400), "certificate");
    refused(request(&g_mfr, "rg-000014", "rg-000014", t + 86400, t + 86400 * 2), "certificate");
    ms_jp_register_t *r = good("rg-000015");
    snprintf(r->cert_pem, sizeof r->cert_pem, "%s",
             "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    r->cert_len = strlen(r->cert_pem);
    refused(r, "certificate");
}

/* A CRL of ca revoking the certificate in cert_pem, read back into *crl. */
static ms_err_t crl_of(const ctu_ca_t *signer, const ctu_ca_t *ca, const char *cert_pem,
                       ms_x509_crl_t *crl)
{
    ms_x509_info_t info;
    assert_int_equal(ms_x509_info(cert_pem, strlen(cert_pem), &info), MS_OK);
    ms_x509_revoked_t rev = { .revoked_at = (int64_t)time(NULL) };
    memcpy(rev.serial_hex, info.serial_hex, sizeof rev.serial_hex);
    char *pem = NULL;
    size_t len = 0;
    int64_t t = (int64_t)time(NULL);
    assert_int_equal(ms_x509_make_crl(signer->cert_pem, signer->cert_len, &signer->key, &rev, 1,
                                      1, t, t + 86400, &pem, &len), MS_OK);
    ms_err_t err = ms_x509_crl_read(ca->cert_pem, ca->cert_len, pem, len, t, crl);
    free(pem);
    return err;
}

/* A revoked certificate is not registered, and a registered meter whose
 * certificate is revoked later is known as revoked (its messages are then
 * refused: cloud_ingest). Only the manufacturer CA's own CRL counts. */
static void revoked_certificate(void **state)
{
    (void)state;
    ms_jp_register_t *r = good("rg-000020");
    ms_x509_crl_t crl = {0};
    assert_int_equal(crl_of(&g_foreign, &g_mfr, r->cert_pem, &crl), MS_ERR_X509_CHAIN);
    static const char junk[] = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n";
    assert_int_equal(ms_x509_crl_read(g_mfr.cert_pem, g_mfr.cert_len, junk, sizeof junk - 1,
                                      (int64_t)time(NULL), &crl), MS_ERR_FORMAT);
    /* a CRL past its nextUpdate, or not yet valid, is no CRL */
    char *old_pem = NULL;
    size_t old_len = 0;
    int64_t t = (int64_t)time(NULL);
    ms_x509_revoked_t none = { .serial_hex = "" };
    assert_int_equal(ms_x509_make_crl(g_mfr.cert_pem, g_mfr.cert_len, &g_mfr.key, &none, 0, 1,
                                      t - 2 * 86400, t - 86400, &old_pem, &old_len), MS_OK);
    assert_int_equal(ms_x509_crl_read(g_mfr.cert_pem, g_mfr.cert_len, old_pem, old_len, t, &crl),
                     MS_ERR_X509_CHAIN);
    assert_int_equal(ms_x509_crl_read(g_mfr.cert_pem, g_mfr.cert_len, old_pem, old_len,
                                      t - 2 * 86400 - 60, &crl), MS_ERR_X509_CHAIN);
    assert_int_equal(ms_x509_crl_read(g_mfr.cert_pem, g_mfr.cert_len, old_pem, old_len,
                                      t - 86400 - 60, &crl), MS_OK);
    assert_int_equal(crl.number, 1);
    ms_x509_crl_free(&crl);
    free(old_pem);
    assert_int_equal(crl_of(&g_mfr, &g_mfr, r->cert_pem, &crl), MS_OK);
    assert_int_equal(crl.n, 1);
    g_c.mfr_crl = &crl;
    refused(r, "revoked");
    /* registered first, revoked after */
    ms_jp_register_t *r2 = good("rg-000021");
    char reason[MS_JP_REASON_MAX];
    assert_int_equal(ms_registry_register(&g_c, r2, reason), MS_OK);
    ms_meter_rec_t *m = malloc(sizeof *m);
    assert_int_equal(g_c.db.ops->meter_get(g_c.db.s, "rg-000021", m), MS_OK);
    assert_false(ms_registry_revoked(&g_c, m));
    ms_x509_crl_t later = {0};
    assert_int_equal(crl_of(&g_mfr, &g_mfr, r2->cert_pem, &later), MS_OK);
    g_c.mfr_crl = &later;
    assert_true(ms_registry_revoked(&g_c, m));
    g_c.mfr_crl = NULL;
    assert_false(ms_registry_revoked(&g_c, m));
    ms_x509_crl_free(&crl);
    ms_x509_crl_free(&later);
    free(m);
    free(r2);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DBSPEC\n", argv[0]);
        return 2;
    }
    g_spec = argv[1];
    ctu_fresh_db(g_spec);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted_once),
        cmocka_unit_test(nonce_used_or_unknown),
        cmocka_unit_test(bad_token),
        cmocka_unit_test(token_for_another_nonce),
        cmocka_unit_test(wrong_cn_foreign_ca_expired),
        cmocka_unit_test(revoked_certificate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
