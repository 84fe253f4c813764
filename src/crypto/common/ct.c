/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ct.c - constant-time comparison and secure wiping, shared by both backends.
 *
 * Invariants: ms_ct_equal's running time depends only on len, never on the
 * data; ms_secure_zero writes through a volatile pointer so the compiler
 * cannot drop the stores as dead.
 */
#include "crypto_internal.h"

/* Constant-time equality, for tags, MACs and hashes. */
bool ms_ct_equal(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *pa = (const volatile uint8_t *)a;
    const volatile uint8_t *pb = (const volatile uint8_t *)b;
    uint8_t diff = 0;
    for (size_t i = 0; i < len; i++) {
        diff |= (uint8_t)(pa[i] ^ pb[i]);
    }
    /* Fold to 0/1 without a data-dependent branch. */
    return ((((unsigned)diff) - 1u) >> 8) & 1u;
}

/* Wipe memory; the stores survive optimisation. */
void ms_secure_zero(void *p, size_t len)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (len-- > 0) {
        *v++ = 0;
    }
}

unsigned ms_crypto_aes_bits(size_t key_len)
{
    switch (key_len) {
    case 16: return 128;
    case 24: return 192;
    case 32: return 256;
    default: return 0;
    }
}
