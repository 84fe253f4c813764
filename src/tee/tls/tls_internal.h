/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls_internal.h - what the files of the TLS module share (src/tee/tls).
 */
#ifndef MS_TLS_INTERNAL_H
#define MS_TLS_INTERNAL_H

#include "mbedtls/pk.h"

#include "meterseal/tee_tls.h"

/* The signer behind an external key (lives as long as the pk context). */
typedef struct ms_tls_ext_key {
    ms_tls_sign_fn sign;
    void *ctx;
    uint32_t calls;       /* signatures made (a resumed handshake makes none) */
} ms_tls_ext_key_t;

/*
 * Make pk a P-256 ECDSA key whose private half is elsewhere: every
 * signature Mbed TLS asks of it goes to ext->sign. ext must outlive pk.
 * mbedtls_pk_free() releases it as usual.
 */
int ms_tls_ext_key_setup(mbedtls_pk_context *pk, ms_tls_ext_key_t *ext);

#endif /* MS_TLS_INTERNAL_H */
