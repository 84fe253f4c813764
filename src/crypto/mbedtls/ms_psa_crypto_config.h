/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ms_psa_crypto_config.h - the PSA mechanisms Mbed TLS's PSA crypto core
 * provides in our build (MBEDTLS_PSA_CRYPTO_CONFIG_FILE of
 * ms_mbedtls_config.h): exactly what the meter's TLS client needs for
 * TLS 1.3 TLS_AES_128_GCM_SHA256 and TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256
 * with P-256 certificates, and nothing else.
 *
 * P-256 (ECDSA, ECDH, key pairs) is served by the p256-m driver; the rest
 * by the core's built-in code over the legacy modules it enables.
 */
#ifndef MS_PSA_CRYPTO_CONFIG_H
#define MS_PSA_CRYPTO_CONFIG_H

#define PSA_WANT_ALG_SHA_256                    1
#define PSA_WANT_ALG_HMAC                       1
#define PSA_WANT_ALG_HKDF                       1
#define PSA_WANT_ALG_HKDF_EXTRACT               1
#define PSA_WANT_ALG_HKDF_EXPAND                1
#define PSA_WANT_ALG_TLS12_PRF                  1
#define PSA_WANT_ALG_GCM                        1
#define PSA_WANT_ALG_ECDSA                      1
#define PSA_WANT_ALG_ECDH                       1

#define PSA_WANT_ECC_SECP_R1_256                1

#define PSA_WANT_KEY_TYPE_AES                   1
#define PSA_WANT_KEY_TYPE_HMAC                  1
#define PSA_WANT_KEY_TYPE_DERIVE                1
#define PSA_WANT_KEY_TYPE_RAW_DATA              1
#define PSA_WANT_KEY_TYPE_ECC_PUBLIC_KEY        1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_BASIC    1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_IMPORT   1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_EXPORT   1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_GENERATE 1

#endif /* MS_PSA_CRYPTO_CONFIG_H */
