/* SPDX-License-Identifier: Apache-2.0 */
/*
 * m33_platform.c - the platform hooks our Mbed TLS configuration asks for on
 * the MCU (ms_mbedtls_config.h), compiled into the Mbed TLS archive itself:
 * the wipe every Mbed TLS *_free() ends with, the clocks TLS uses (ticket
 * ages, TLS 1.2's random prefix: the HAL's monotonic clock, there is no
 * calendar), and the snprintf Mbed TLS names for text output. (The
 * allocator hooks, ms_mbedtls_calloc/free, are the backend's:
 * crypto_mbedtls.c.)
 *
 * Invariant: nothing here reads or writes a global, so Mbed TLS code that a
 * partition runs inside its own memory (ms_crypto_pool_current(), crypto.h)
 * can call every hook.
 */
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/build_info.h"
#include "mbedtls/platform_time.h"
#include "mbedtls/platform_util.h"

#include "meterseal/hal.h"

/* MBEDTLS_PLATFORM_ZEROIZE_ALT: Mbed TLS's own version calls memset through
 * a `const volatile` function pointer that GCC places in .data, a global
 * of whoever links it. Volatile stores instead (never dropped as dead),
 * word by word in the aligned middle: the TLS record buffers are 4 KiB. */
void mbedtls_platform_zeroize(void *buf, size_t len)
{
    volatile uint8_t *v = (volatile uint8_t *)buf;
    while (len > 0 && ((uintptr_t)v & 3u) != 0) {
        *v++ = 0;
        len--;
    }
    volatile uint32_t *w = (volatile uint32_t *)(volatile void *)v;
    for (; len >= 4; len -= 4) {
        *w++ = 0;
    }
    v = (volatile uint8_t *)w;
    while (len-- > 0) {
        *v++ = 0;
    }
}

/* Milliseconds from the HAL's monotonic clock (ticket ages only). */
mbedtls_ms_time_t mbedtls_ms_time(void)
{
    return (mbedtls_ms_time_t)ms_hal_clock_ms();
}

/* Seconds from the same clock: not a date (certificate dates are not
 * checked on the MCU, MBEDTLS_HAVE_TIME_DATE is off). */
long long ms_mbedtls_time(long long *t)
{
    long long now = (long long)(ms_hal_clock_ms() / 1000u);
    if (t != NULL) {
        *t = now;
    }
    return now;
}

/* The TEE prints nothing: X.509's text functions (names, OIDs as text,
 * used only by diagnostics) fail as with a too-small buffer. */
int ms_mbedtls_snprintf(char *s, unsigned int n, const char *fmt, ...)
{
    (void)fmt;
    if (s != NULL && n != 0) {
        s[0] = '\0';
    }
    return -1;
}
