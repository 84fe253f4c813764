/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mbedtls_internal.h - helpers the Mbed TLS backend's files share.
 */
#ifndef MS_MBEDTLS_INTERNAL_H
#define MS_MBEDTLS_INTERNAL_H

#include <stddef.h>

/* f_rng for Mbed TLS calls: bytes from ms_random(); 0 on success. */
int ms_mbedtls_rng(void *unused, unsigned char *out, size_t len);

#endif /* MS_MBEDTLS_INTERNAL_H */
