/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csr.c - the PKCS#10 certificate request (RFC 2986) the meter sends the
 * manufacturer CA at provisioning (docs/cloud.md section 2), made where the
 * key is: the request is signed by the identity key through the key store.
 *
 *   CertificationRequest ::= SEQUENCE {
 *     certificationRequestInfo SEQUENCE {
 *       version     INTEGER 0,
 *       subject     Name: CN=<id> (UTF8String), serialNumber=<id>
 *                   (PrintableString, as X.520 requires), O=MeterSeal meter,
 *       subjectPKInfo  the identity key's SubjectPublicKeyInfo (91 bytes),
 *       attributes  [0] {} },
 *     signatureAlgorithm  ecdsa-with-SHA256 (no parameters),
 *     signature   BIT STRING (DER ECDSA signature) }
 *
 * Invariants: every element is written with its exact definite length
 * (lengths up to 65535); nothing is written past cap; the subject's
 * characters are those of a valid meter id (all PrintableString).
 */
#include <string.h>

#include "link_internal.h"

#define CSR_ORG "MeterSeal meter"

static const uint8_t oid_cn[] = { 0x06, 0x03, 0x55, 0x04, 0x03 };
static const uint8_t oid_serial[] = { 0x06, 0x03, 0x55, 0x04, 0x05 };
static const uint8_t oid_org[] = { 0x06, 0x03, 0x55, 0x04, 0x0a };
static const uint8_t alg_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x04, 0x03, 0x02 };

typedef struct der {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
} der_t;

static void put_raw(der_t *d, const void *p, size_t n)
{
    if (d->overflow || n > d->cap - d->len) {
        d->overflow = true;
        return;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
}

/* Tag and definite length of an element whose content is n bytes. */
static void put_head(der_t *d, uint8_t tag, size_t n)
{
    uint8_t h[4] = { tag };
    size_t k;
    if (n < 0x80) {
        h[1] = (uint8_t)n;
        k = 2;
    } else if (n <= 0xff) {
        h[1] = 0x81;
        h[2] = (uint8_t)n;
        k = 3;
    } else if (n <= 0xffff) {
        h[1] = 0x82;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        k = 4;
    } else {
        d->overflow = true;
        return;
    }
    put_raw(d, h, k);
}

static void put_tlv(der_t *d, uint8_t tag, const void *p, size_t n)
{
    put_head(d, tag, n);
    put_raw(d, p, n);
}

/* One RDN: SET { SEQUENCE { OID, string } } */
static void put_rdn(der_t *d, const uint8_t *oid, size_t oid_len, uint8_t str_tag,
                    const char *s, size_t n)
{
    size_t atv = oid_len + 2 + n;
    put_head(d, 0x31, 2 + atv);
    put_head(d, 0x30, atv);
    put_raw(d, oid, oid_len);
    put_tlv(d, str_tag, s, n);
}

static size_t rdn_len(size_t oid_len, size_t n)
{
    return 2 + 2 + oid_len + 2 + n;   /* every part here is shorter than 128 */
}

ms_err_t ms_link_csr_write(const char *meter_id, const ms_p256_pub_t *pub, uint8_t *out,
                           size_t cap, size_t *len)
{
    uint8_t spki[MS_P256_SPKI_LEN], info[256], hash[MS_SHA256_LEN], sig[MS_P256_SIG_DER_MAX];
    size_t id_len = meter_id != NULL ? strlen(meter_id) : 0, sig_len = 0;
    if (out == NULL || len == NULL || pub == NULL || !ms_link_meter_id_valid(meter_id, id_len)) {
        return MS_ERR_ARG;
    }
    *len = 0;
    ms_err_t err = ms_p256_pub_to_spki(pub, spki);
    if (err) {
        return err;
    }
    size_t org_len = sizeof CSR_ORG - 1;
    size_t name_len = rdn_len(sizeof oid_cn, id_len) + rdn_len(sizeof oid_serial, id_len) +
                      rdn_len(sizeof oid_org, org_len);

    der_t d = { info, sizeof info, 0, false };
    size_t info_content = 3 + 2 + name_len + sizeof spki + 2;
    put_head(&d, 0x30, info_content);
    put_raw(&d, "\x02\x01\x00", 3);                       /* version 0 */
    put_head(&d, 0x30, name_len);
    put_rdn(&d, oid_cn, sizeof oid_cn, 0x0c, meter_id, id_len);          /* UTF8String */
    put_rdn(&d, oid_serial, sizeof oid_serial, 0x13, meter_id, id_len);  /* PrintableString */
    put_rdn(&d, oid_org, sizeof oid_org, 0x0c, CSR_ORG, org_len);
    put_raw(&d, spki, sizeof spki);
    put_raw(&d, "\xa0\x00", 2);                           /* attributes [0] {} */
    if (d.overflow) {
        return MS_ERR_INTERNAL;
    }
    size_t info_len = d.len;

    err = ms_sha256(info, info_len, hash);
    if (!err) {
        err = ms_link_identity_sign(NULL, hash, sig, sizeof sig, &sig_len);
    }
    if (err) {
        return err;
    }
    der_t o = { out, cap, 0, false };
    put_head(&o, 0x30, info_len + sizeof alg_ecdsa_sha256 + 2 + 1 + sig_len);
    put_raw(&o, info, info_len);
    put_raw(&o, alg_ecdsa_sha256, sizeof alg_ecdsa_sha256);
    put_head(&o, 0x03, 1 + sig_len);
    put_raw(&o, "\x00", 1);                               /* no unused bits */
    put_raw(&o, sig, sig_len);
    if (o.overflow) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    *len = o.len;
    return MS_OK;
}
