/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ms_mbedtls_config.h - our Mbed TLS 3.6 LTS configuration, one file for
 * every build that compiles the pinned source (scripts/fetch-mbedtls):
 *
 *   firmware (Cortex-M33: boot loader, TEE; preset an505 / m33)
 *   host     (MS_MBEDTLS_HOST: the host's Mbed TLS backend, so the host
 *             tests check the very library code the meter runs)
 *
 * The primitives are the same in both: SHA-256, HMAC/HKDF (MD), AES
 * (ECB/CBC/CTR/GCM/CMAC), 3DES (chip: SCP02, C5), CTR_DRBG, and P-256
 * through p256-m (3rdparty/p256-m, called directly by the backend: 5.3 KB of
 * Cortex-M33 text for SHA-256 + verify against ~15 KB for the legacy
 * ECDSA path, and ~17.5 M instructions per verify against ~29 M).
 *
 * The host build adds what key files need (PK parse/write, PEM, legacy ECP
 * for the PK layer's EC keys) and allocates from libc; the firmware has no
 * libc heap: MBEDTLS_PLATFORM_MEMORY with the CALLOC/FREE macros sends every
 * Mbed TLS allocation to ms_mbedtls_calloc()/ms_mbedtls_free() (the
 * backend), which serve it from the pool ms_crypto_pool_current() names for
 * the code running now (crypto.h, mbedtls/pool.h): one pool per isolated
 * partition, no allocator state outside it. MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
 * keeps calloc/free/printf references out of the archive, and
 * MBEDTLS_PLATFORM_ZEROIZE_ALT replaces mbedtls_platform_zeroize(), whose
 * own version calls memset through a pointer kept in RAM (a global a
 * partition could not read), by a plain volatile loop (m33_platform.c).
 *
 * Entropy: no ENTROPY_C; the backend seeds CTR_DRBG straight from
 * ms_hal_rng_entropy() (the TRNG driver, M10).
 *
 * The meter's side of the cloud channel (M12, M13; src/tee/tls) adds a TLS
 * client, TLS 1.3 (TLS_AES_128_GCM_SHA256) and TLS 1.2
 * (ECDHE-ECDSA-AES128-GCM-SHA256) only, with session tickets, and X.509
 * certificate parsing. Mbed TLS 3.6's TLS 1.3 runs on its PSA crypto core,
 * so the core is built too (MBEDTLS_USE_PSA_CRYPTO: PK, X.509 and TLS 1.2
 * go through it as well), with:
 *   - the PSA mechanisms listed in ms_psa_crypto_config.h and nothing else;
 *   - P-256 through the p256-m driver (the same code the backend calls
 *     directly), no legacy ECC on the firmware;
 *   - MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG: the core's random bytes come from
 *     ms_random() (psa_rng.c), the same DRBG as everything else.
 *
 * Record buffers: 4 KiB in and out (MBEDTLS_SSL_IN/OUT_CONTENT_LEN). The
 * broker's certificate chain and every MQTT packet of docs/cloud.md (at most
 * 512-byte payloads) fit. A peer record above 4 KiB ends the connection
 * (record_overflow). No max_fragment_length: Mbed TLS 3.6's TLS 1.3 client
 * refuses the server's echo of it (OpenSSL sends one), and OpenSSL 3.0 has
 * no record_size_limit.
 *
 * Mbed TLS 3 includes check_config.h itself after this file.
 */
#ifndef MS_MBEDTLS_CONFIG_H
#define MS_MBEDTLS_CONFIG_H

/* System support */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_DEPRECATED_REMOVED
#define MBEDTLS_PLATFORM_C
#if !defined(MS_MBEDTLS_HOST)
#define MBEDTLS_HAVE_ASM              /* Thumb-2 UMAAL paths on M33 */
#define MBEDTLS_NO_UDBL_DIVISION      /* no libgcc 64-bit divide */
/* Allocation from the current partition's pool, no libc allocation or
 * stdio. Mbed TLS 3.6 (platform.h, check_config.h): the two macros go
 * together, need MBEDTLS_PLATFORM_C and MBEDTLS_PLATFORM_MEMORY, exclude
 * MBEDTLS_PLATFORM_STD_CALLOC/FREE, and make mbedtls_calloc/mbedtls_free
 * these very names (no function pointers in RAM, no
 * mbedtls_platform_set_calloc_free). calloc semantics: zeroed, NULL for a
 * zero size or on overflow. */
#include <stddef.h>
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_PLATFORM_CALLOC_MACRO ms_mbedtls_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO   ms_mbedtls_free
void *ms_mbedtls_calloc(size_t n, size_t size);
void ms_mbedtls_free(void *p);
#define MBEDTLS_PLATFORM_ZEROIZE_ALT   /* m33_platform.c: no global */
#endif

/* Symmetric */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES        /* tables in flash, not 8 KiB of RAM */
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CIPHER_MODE_CTR
#define MBEDTLS_GCM_C
#define MBEDTLS_CMAC_C
#define MBEDTLS_DES_C                 /* chip: GlobalPlatform SCP02, C5 */

/* Hashes, MACs, KDF */
#define MBEDTLS_SHA256_C
#define MBEDTLS_MD_C
#define MBEDTLS_HKDF_C

/* Random: CTR_DRBG (AES-256) seeded from the HAL's TRNG */
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_CTR_DRBG_ENTROPY_LEN 32

/* P-256: p256-m, called directly by the backend and, as the PSA core's
 * driver, by PK, X.509 and TLS. */
#define MBEDTLS_PSA_P256M_DRIVER_ENABLED

/* PSA crypto core: TLS 1.3 needs it; PK, X.509 and TLS 1.2 use it too. */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_PSA_CRYPTO_CONFIG
#define MBEDTLS_PSA_CRYPTO_CONFIG_FILE "ms_psa_crypto_config.h"
#define MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG   /* mbedtls_psa_external_get_random: ms_random() */
#define MBEDTLS_USE_PSA_CRYPTO
#if defined(MS_MBEDTLS_HOST)
/* A TLS session holds PSA keys (its ECDHE key, its traffic keys): the TEE
 * runs one session (the fixed store of MBEDTLS_PSA_KEY_SLOT_COUNT = 32
 * slots), a host process may run thousands (the load benchmark). */
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC
#endif

/* X.509 certificates (the pinned cloud CA, the broker's and our own) */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#if !defined(MS_MBEDTLS_HOST)
#define MBEDTLS_X509_REMOVE_INFO         /* no text dumps of certificates */
#endif

/* TLS client: 1.3 where the peer has it, 1.2 otherwise; one suite each */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_SESSION_TICKETS      /* resumption: a waking meter skips the full handshake */
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE /* TLS 1.3 in 3.6 requires it */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_CIPHERSUITES \
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
#define MBEDTLS_SSL_IN_CONTENT_LEN  4096
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096
#define MBEDTLS_HAVE_TIME                /* ticket ages (mbedtls_ms_time) */
#if defined(MS_MBEDTLS_HOST)
#define MBEDTLS_HAVE_TIME_DATE           /* certificate validity dates */
#else
/* No calendar on the MCU: certificate dates are not checked there
 * (docs/cloud.md section 7.1); mbedtls_ms_time() and mbedtls_time() are the
 * HAL's monotonic clock (ticket ages, TLS 1.2's random prefix), and text
 * formatting (X.509 names as text: diagnostics only) is not offered in
 * the TEE (m33_platform.c). */
#define MBEDTLS_PLATFORM_MS_TIME_ALT
#define MBEDTLS_PLATFORM_TIME_TYPE_MACRO long long
#define MBEDTLS_PLATFORM_TIME_MACRO ms_mbedtls_time
long long ms_mbedtls_time(long long *t);
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO ms_mbedtls_snprintf
int ms_mbedtls_snprintf(char *s, unsigned int n, const char *fmt, ...);
#endif

#if defined(MS_MBEDTLS_HOST) && defined(__x86_64__)
/* The host's AES instructions (runtime-detected) for TLS records: the load
 * benchmark runs thousands of sessions in one process. */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_AESNI_C
#endif

#if defined(MS_MBEDTLS_HOST)
/* Key files (host tools only): PK layer over legacy ECP, PEM. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
/* Mbed TLS 3.6 writes the supported_groups extension of a TLS 1.2-only
 * ClientHello only when a legacy ECDH/ECDSA module is built
 * (MBEDTLS_SSL_TLS1_2_SOME_ECC); without it OpenSSL servers answer "no
 * shared cipher". The meter always offers 1.3 and 1.2 together (then the
 * extension is there for 1.3), so only the host's "offer 1.2 alone" test
 * mode needs this; the firmware leaves it out. */
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_PK_PARSE_EC_COMPRESSED   /* as OpenSSL: compressed SPKI points */
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_BASE64_C
#endif

#endif /* MS_MBEDTLS_CONFIG_H */
