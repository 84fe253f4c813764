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
 * libc heap: MBEDTLS_PLATFORM_MEMORY plus MBEDTLS_MEMORY_BUFFER_ALLOC_C serve
 * Mbed TLS's few allocations (MD and cipher contexts) from a static pool in
 * the backend, and MBEDTLS_PLATFORM_NO_STD_FUNCTIONS keeps calloc/free/printf
 * references out of the archive.
 *
 * Entropy: no ENTROPY_C; the backend seeds CTR_DRBG straight from
 * ms_hal_rng_entropy() (the TRNG driver, M10).
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
/* Static heap pool, no libc allocation or stdio */
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8
/* The pool allocator calls exit() when it finds its heap corrupted; on the
 * MCU that is fatal: ms_mbedtls_exit() stops the core (m33_platform.c). */
#define MBEDTLS_PLATFORM_EXIT_MACRO ms_mbedtls_exit
void ms_mbedtls_exit(int status);
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

/* P-256: p256-m, called directly (its body is guarded by this macro even
 * when no PSA core is built). */
#define MBEDTLS_PSA_P256M_DRIVER_ENABLED

#if defined(MS_MBEDTLS_HOST)
/* Key files (host tools only): PK layer over legacy ECP, PEM, ASN.1. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_PARSE_EC_COMPRESSED   /* as OpenSSL: compressed SPKI points */
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_BASE64_C
#endif

#endif /* MS_MBEDTLS_CONFIG_H */
