/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyfile_mbedtls.c - P-256 key files (PEM or DER; SPKI, PKCS#8, SEC1) on
 * Mbed TLS 3.6's pk layer. Host builds only: the firmware never reads key
 * files, so the firmware build leaves this file (and pk/pem/base64) out.
 *
 * Mbed TLS parses PKCS#8 but cannot write it; we wrap its SEC1
 * ECPrivateKey in a PrivateKeyInfo with its ASN.1 writer (RFC 5208:
 * SEQUENCE { version 0, AlgorithmIdentifier { id-ecPublicKey, prime256v1 },
 * OCTET STRING { ECPrivateKey } }).
 *
 * Invariants:
 *   - Input is outside data of a given length. Mbed TLS wants PEM text
 *     NUL-terminated, so PEM input is copied into a terminated heap buffer
 *     (host only) which is wiped before it is freed.
 *   - Anything that is not an EC key on secp256r1 is MS_ERR_KEY_FORMAT; a
 *     private key whose stored public point does not match the scalar is
 *     MS_ERR_KEY_MISMATCH.
 *   - Every temporary that held private key bytes is wiped.
 */
#include <stdlib.h>
#include <string.h>

#include "mbedtls/asn1write.h"
#include "mbedtls/base64.h"
#include "mbedtls/ecp.h"
#include "mbedtls/oid.h"
#include "mbedtls/pem.h"
#include "mbedtls/pk.h"

#include "crypto_internal.h"
#include "mbedtls_internal.h"

static bool looks_pem(const uint8_t *buf, size_t len)
{
    static const char begin[] = "-----BEGIN ";
    size_t n = sizeof(begin) - 1;
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(buf + i, begin, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Fill pub (and priv when has_priv) from a parsed pk context. */
static ms_err_t extract_p256(mbedtls_pk_context *pk, bool priv_here,
                             ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY) {
        return MS_ERR_KEY_FORMAT;
    }
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    if (ec == NULL || mbedtls_ecp_keypair_get_group_id(ec) != MBEDTLS_ECP_DP_SECP256R1) {
        return MS_ERR_KEY_FORMAT;
    }
    ms_p256_pub_t file_pub;
    size_t olen = 0;
    if (mbedtls_ecp_write_public_key(ec, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
                                     file_pub.q, MS_P256_PUB_LEN) != 0 ||
        olen != MS_P256_PUB_LEN || ms_p256_pub_check(&file_pub) != MS_OK) {
        return MS_ERR_KEY_FORMAT;
    }
    if (priv_here) {
        ms_p256_priv_t d;
        ms_p256_pub_t derived;
        ms_err_t err = MS_OK;
        if (mbedtls_ecp_write_key_ext(ec, &olen, d.d, MS_P256_PRIV_LEN) != 0 ||
            olen != MS_P256_PRIV_LEN || !ms_crypto_p256_priv_valid(d.d)) {
            err = MS_ERR_KEY_FORMAT;
        } else {
            err = ms_p256_pub_from_priv(&d, &derived);
            if (err == MS_OK && memcmp(derived.q, file_pub.q, MS_P256_PUB_LEN) != 0) {
                err = MS_ERR_KEY_MISMATCH;
            }
        }
        if (err == MS_OK && priv != NULL) {
            *priv = d;
        }
        ms_secure_zero(&d, sizeof(d));
        if (err != MS_OK) {
            return err;
        }
    }
    *pub = file_pub;
    return MS_OK;
}

/* Parse a P-256 key file (PEM or DER; SPKI, PKCS#8, SEC1). */
ms_err_t ms_p256_key_parse(const uint8_t *buf, size_t len,
                           ms_p256_priv_t *priv, ms_p256_pub_t *pub,
                           bool *has_priv)
{
    if (buf == NULL || len == 0 || pub == NULL || has_priv == NULL) {
        return MS_ERR_ARG;
    }
    *has_priv = false;
    unsigned char *copy = NULL;
    const unsigned char *in = buf;
    size_t in_len = len;
    if (looks_pem(buf, len)) {
        copy = malloc(len + 1);
        if (copy == NULL) {
            return MS_ERR_CRYPTO;
        }
        memcpy(copy, buf, len);
        copy[len] = '\0';
        in = copy;
        in_len = len + 1;   /* Mbed TLS recognises PEM by the counted NUL */
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    ms_err_t err = MS_ERR_KEY_FORMAT;
    bool priv_here = false;
    if (mbedtls_pk_parse_key(&pk, in, in_len, NULL, 0, ms_mbedtls_rng, NULL) == 0) {
        priv_here = true;
    } else {
        mbedtls_pk_free(&pk);
        mbedtls_pk_init(&pk);
        if (mbedtls_pk_parse_public_key(&pk, in, in_len) != 0) {
            goto out;
        }
    }
    err = extract_p256(&pk, priv_here, priv, pub);
    if (err == MS_OK) {
        *has_priv = priv_here;
    }
out:
    mbedtls_pk_free(&pk);
    if (copy != NULL) {
        ms_secure_zero(copy, len + 1);
        free(copy);
    }
    return err;
}

/* Set up an ECKEY pk context holding q and, when d is given, the scalar. */
static ms_err_t make_pk(mbedtls_pk_context *pk, const uint8_t *d, const uint8_t *q)
{
    if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0) {
        return MS_ERR_CRYPTO;
    }
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    if (d != NULL) {
        if (mbedtls_ecp_read_key(MBEDTLS_ECP_DP_SECP256R1, ec, d, MS_P256_PRIV_LEN) != 0) {
            return MS_ERR_KEY_FORMAT;
        }
    }
    mbedtls_ecp_point q_point;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point_init(&q_point);
    mbedtls_ecp_group_init(&grp);
    ms_err_t err = MS_OK;
    if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
        mbedtls_ecp_point_read_binary(&grp, &q_point, q, MS_P256_PUB_LEN) != 0 ||
        mbedtls_ecp_set_public_key(MBEDTLS_ECP_DP_SECP256R1, ec, &q_point) != 0) {
        err = MS_ERR_KEY_FORMAT;
    }
    mbedtls_ecp_group_free(&grp);
    mbedtls_ecp_point_free(&q_point);
    return err;
}

/* Wrap the SEC1 DER that ends at der_end (length n, inside buf) in a
 * PKCS#8 PrivateKeyInfo; *start gets the new start. Returns length or <0. */
static int wrap_pkcs8(unsigned char *buf, unsigned char **start, size_t n)
{
    unsigned char *p = *start;
    int total = (int)n;
    int rc;
    int par;
#define ADD(expr) do { if ((rc = (expr)) < 0) return rc; total += rc; } while (0)
    ADD(mbedtls_asn1_write_len(&p, buf, n));
    ADD(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_OCTET_STRING));
    if ((par = mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_EC_GRP_SECP256R1,
                                      MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_GRP_SECP256R1))) < 0) {
        return par;
    }
    total += par;
    ADD(mbedtls_asn1_write_algorithm_identifier(&p, buf, MBEDTLS_OID_EC_ALG_UNRESTRICTED,
                                                MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_ALG_UNRESTRICTED),
                                                (size_t)par) - par);
    ADD(mbedtls_asn1_write_int(&p, buf, 0));
    ADD(mbedtls_asn1_write_len(&p, buf, (size_t)total));
    ADD(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef ADD
    *start = p;
    return total;
}

/* Write a P-256 key as SPKI, PKCS#8 or SEC1, PEM or DER. */
ms_err_t ms_p256_key_write(const ms_p256_priv_t *priv, const ms_p256_pub_t *pub,
                           ms_key_encoding_t encoding, bool pem,
                           uint8_t *out, size_t cap, size_t *out_len)
{
    if (out == NULL || out_len == NULL) {
        return MS_ERR_ARG;
    }
    *out_len = 0;
    ms_p256_pub_t q;
    ms_err_t err;
    if (encoding == MS_KEY_SPKI) {
        if (pub == NULL) {
            return MS_ERR_ARG;
        }
        err = ms_p256_pub_check(pub);
        q = *pub;
    } else if (encoding == MS_KEY_PKCS8 || encoding == MS_KEY_SEC1) {
        if (priv == NULL) {
            return MS_ERR_ARG;
        }
        err = ms_p256_pub_from_priv(priv, &q);
    } else {
        return MS_ERR_ARG;
    }
    if (err != MS_OK) {
        return err;
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    unsigned char der[320];
    unsigned char *start = NULL;
    size_t der_len = 0;
    err = make_pk(&pk, encoding == MS_KEY_SPKI ? NULL : priv->d, q.q);
    if (err == MS_OK) {
        int n = encoding == MS_KEY_SPKI ? mbedtls_pk_write_pubkey_der(&pk, der, sizeof(der))
                                        : mbedtls_pk_write_key_der(&pk, der, sizeof(der));
        start = der + sizeof(der) - (n > 0 ? n : 0);
        if (n > 0 && encoding == MS_KEY_PKCS8) {
            n = wrap_pkcs8(der, &start, (size_t)n);
        }
        if (n <= 0) {
            err = MS_ERR_CRYPTO;
        } else {
            der_len = (size_t)n;
        }
    }
    mbedtls_pk_free(&pk);
    if (err == MS_OK && !pem) {
        if (der_len > cap) {
            err = MS_ERR_BUFFER_TOO_SMALL;
        } else {
            memcpy(out, start, der_len);
            *out_len = der_len;
        }
    } else if (err == MS_OK) {
        static const char *const labels[3] = { "PUBLIC KEY", "PRIVATE KEY", "EC PRIVATE KEY" };
        char header[40], footer[40];
        const char *label = labels[encoding];
        size_t ll = strlen(label);
        memcpy(header, "-----BEGIN ", 11);
        memcpy(header + 11, label, ll);
        memcpy(header + 11 + ll, "-----\n", 7);
        memcpy(footer, "-----END ", 9);
        memcpy(footer + 9, label, ll);
        memcpy(footer + 9 + ll, "-----\n", 7);
        size_t olen = 0;
        int rc = mbedtls_pem_write_buffer(header, footer, start, der_len, out, cap, &olen);
        if (rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL) {
            ms_secure_zero(out, cap);
            err = MS_ERR_BUFFER_TOO_SMALL;
        } else if (rc != 0 || olen == 0) {
            ms_secure_zero(out, cap);
            err = MS_ERR_CRYPTO;
        } else {
            *out_len = olen - 1;   /* olen counts the NUL */
        }
    }
    ms_secure_zero(der, sizeof(der));
    ms_secure_zero(&q, sizeof(q));
    return err;
}
