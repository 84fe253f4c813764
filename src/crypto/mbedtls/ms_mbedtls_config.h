/*
 * ms_mbedtls_config.h - Mbed TLS 2.28 configuration for the Cortex-M33
 * firmware build (MS_CORE_ONLY / preset m33). The host build uses Debian's
 * libmbedcrypto with its stock configuration instead.
 *
 * Only the modules crypto.h needs are enabled: SHA-256, HMAC/HKDF (MD),
 * AES (ECB/CBC/CTR/GCM/CMAC), 3DES (chip: SCP02, C5), P-256 ECDSA/ECDH,
 * CTR_DRBG. No PK/PEM/X.509/TLS: key files are a host-only concern.
 *
 * Memory (M10/M8 on the MCU): no libc heap. MBEDTLS_PLATFORM_MEMORY plus
 * MBEDTLS_MEMORY_BUFFER_ALLOC_C serve Mbed TLS's internal allocations from a
 * static pool owned by the crypto backend (MS_MBEDTLS_HEAP_SIZE bytes,
 * initialised on first use). MBEDTLS_PLATFORM_NO_STD_FUNCTIONS keeps
 * calloc/free/printf references out of the archive.
 *
 * Entropy: MBEDTLS_NO_PLATFORM_ENTROPY and no ENTROPY_C; the backend seeds
 * CTR_DRBG straight from ms_hal_rng_entropy() (the TRNG driver).
 *
 * Size tuning follows what was measured on this toolchain: small windows,
 * no fixed-point table, smaller SHA-256, 256-bit limits.
 */
#ifndef MS_MBEDTLS_CONFIG_H
#define MS_MBEDTLS_CONFIG_H

/* System support */
#define MBEDTLS_HAVE_ASM            /* Thumb-2 UMAAL bignum path on M33 */
#define MBEDTLS_NO_UDBL_DIVISION    /* no libgcc 64-bit divide */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_DEPRECATED_REMOVED

/* Platform: static heap pool, no libc allocation or stdio */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8
/* The pool allocator calls exit() when it finds its heap corrupted; on the
 * MCU that is fatal: ms_mbedtls_exit() stops the core (m33_platform.c). */
#define MBEDTLS_PLATFORM_EXIT_MACRO ms_mbedtls_exit
void ms_mbedtls_exit(int status);

/* Symmetric */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES      /* tables in flash, not 8 KiB of RAM */
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CIPHER_MODE_CTR
#define MBEDTLS_GCM_C
#define MBEDTLS_CMAC_C
#define MBEDTLS_DES_C               /* chip: GlobalPlatform SCP02, C5 */

/* Hashes, MACs, KDF */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_MD_C
#define MBEDTLS_HKDF_C

/* Public key: P-256 only */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C        /* required by ECDSA_C */

/* Random: CTR_DRBG (AES-256) seeded from the HAL TRNG */
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_CTR_DRBG_ENTROPY_LEN 32

/* Size tuning (see the module documentation) */
#define MBEDTLS_MPI_WINDOW_SIZE     2
#define MBEDTLS_MPI_MAX_SIZE        32
#define MBEDTLS_ECP_MAX_BITS        256
#define MBEDTLS_ECP_WINDOW_SIZE     2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0

#include "mbedtls/check_config.h"

#endif /* MS_MBEDTLS_CONFIG_H */
