/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.c - meter registration (see registry.h).
 *
 * Invariants: every check runs before anything is written; the nonce is
 * taken (atomically, single use) last, so a refused request leaves it for
 * a corrected retry within its lifetime, and two requests with one nonce
 * cannot both succeed. The meter's identity key is the one in its
 * certificate, never one the request names.
 */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cose_msg.h"
#include "meterseal/tee_attest.h"
#include "x509.h"

ms_err_t ms_registry_nonce(ms_cloud_t *c, char hex[2 * MS_STORE_NONCE_LEN + 1])
{
    uint8_t nonce[MS_STORE_NONCE_LEN];
    ms_err_t err = ms_random(nonce, sizeof nonce);
    if (err == MS_OK) {
        err = c->db.ops->nonce_add(c->db.s, nonce, c->now() + MS_REGISTRY_NONCE_TTL);
    }
    if (err == MS_OK) {
        ms_jp_hex(nonce, sizeof nonce, hex);
    }
    return err;
}

static ms_err_t refuse(char reason[MS_JP_REASON_MAX], const char *what, ms_err_t err)
{
    snprintf(reason, MS_JP_REASON_MAX, "%s: %s", what, ms_strerror(err));
    return err;
}

void ms_registry_serial(const ms_meter_rec_t *m, char serial[MS_X509_SERIAL_HEX])
{
    ms_x509_info_t info;
    serial[0] = '\0';
    if (ms_x509_info(m->cert_pem, strnlen(m->cert_pem, sizeof m->cert_pem), &info) == MS_OK) {
        memcpy(serial, info.serial_hex, MS_X509_SERIAL_HEX);
    }
}

bool ms_registry_serial_revoked(const ms_cloud_t *c, const char serial[MS_X509_SERIAL_HEX])
{
    /* a certificate whose serial cannot be read cannot be cleared: refused */
    return c->mfr_crl != NULL && (serial[0] == '\0' || ms_x509_crl_has(c->mfr_crl, serial));
}

bool ms_registry_revoked(const ms_cloud_t *c, const ms_meter_rec_t *m)
{
    char serial[MS_X509_SERIAL_HEX];
    if (c->mfr_crl == NULL) {
        return false;   /* no certificate to parse */
    }
    ms_registry_serial(m, serial);
    return ms_registry_serial_revoked(c, serial);
}

ms_err_t ms_registry_register(ms_cloud_t *c, const ms_jp_register_t *req,
                              char reason[MS_JP_REASON_MAX])
{
    reason[0] = '\0';
    ms_meter_rec_t *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return MS_ERR_INTERNAL;
    }
    ms_err_t err = c->db.ops->meter_get(c->db.s, req->meter_id, m);
    if (err == MS_OK) {
        free(m);
        snprintf(reason, MS_JP_REASON_MAX, "meter %s is registered already", req->meter_id);
        return MS_ERR_STATE;
    }
    if (err != MS_ERR_NOT_FOUND) {
        free(m);
        return err;
    }
    memset(m, 0, sizeof *m);
    err = ms_x509_verify_meter(c->mfr_ca_pem, c->mfr_ca_len, req->cert_pem, req->cert_len,
                               req->meter_id, c->now(), &m->pub);
    if (err == MS_OK) {
        /* a serial the CRL check can name: 1..16 bytes (docs/cli.md, ca) */
        ms_x509_info_t info;
        err = ms_x509_info(req->cert_pem, req->cert_len, &info);
        if (err == MS_OK && info.serial_hex[0] == '\0') {
            err = MS_ERR_X509_PROFILE;
        } else if (err == MS_OK && ms_x509_crl_has(c->mfr_crl, info.serial_hex)) {
            err = MS_ERR_X509_REVOKED;
        }
    }
    if (err != MS_OK) {
        free(m);
        return refuse(reason, "certificate", err);
    }
    /* challenge = SHA-256(nonce || identity public key), §2 step 2 */
    uint8_t challenge[MS_SHA256_LEN];
    ms_sha256_ctx h;
    err = ms_sha256_init(&h);
    if (err == MS_OK) {
        err = ms_sha256_update(&h, req->nonce, sizeof req->nonce);
        if (err == MS_OK) {
            err = ms_sha256_update(&h, m->pub.q, sizeof m->pub.q);
        }
        err = err == MS_OK ? ms_sha256_finish(&h, challenge) : (ms_sha256_free(&h), err);
    }
    if (err != MS_OK) {
        free(m);
        return err;
    }
    ms_tee_attest_claims_t claims;
    err = ms_tee_attest_verify(req->token, req->token_len, &req->iak_pub, challenge,
                               sizeof challenge, &claims);
    if (err != MS_OK) {
        free(m);
        return refuse(reason,
                      err == MS_ERR_AUTH ? "attestation token: challenge is not "
                                           "SHA-256(nonce || certificate key)"
                                         : "attestation token",
                      err);
    }
    err = c->db.ops->nonce_take(c->db.s, req->nonce, c->now());
    if (err != MS_OK) {
        free(m);
        return err == MS_ERR_CLOUD_NONCE ? refuse(reason, "nonce", err) : err;
    }
    memcpy(m->id, req->meter_id, strlen(req->meter_id) + 1);
    memcpy(m->cert_pem, req->cert_pem, req->cert_len);
    m->cert_pem[req->cert_len] = '\0';
    m->iak_pub = req->iak_pub;
    m->registered_at = c->now();
    err = ms_cose_kid_of(&m->pub, m->kid);
    if (err == MS_OK) {
        err = c->db.ops->meter_add(c->db.s, m);
        if (err == MS_ERR_STATE) {
            snprintf(reason, MS_JP_REASON_MAX, "meter %s is registered already", m->id);
        }
    }
    free(m);
    return err;
}
