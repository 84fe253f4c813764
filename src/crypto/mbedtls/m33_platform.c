/* SPDX-License-Identifier: Apache-2.0 */
/*
 * m33_platform.c - the platform hooks our Mbed TLS configuration asks for on
 * the MCU (ms_mbedtls_config.h), compiled into the Mbed TLS archive itself:
 * the fatal-exit hook of the static pool allocator, the clocks TLS uses
 * (ticket ages, TLS 1.2's random prefix: the HAL's monotonic clock, there is
 * no calendar), and the snprintf Mbed TLS names for text output.
 *
 * Invariant: ms_mbedtls_exit() never returns. The static-pool allocator
 * calls it only when it detects heap corruption, after which no crypto
 * result could be trusted; stopping is the only safe answer (the watchdog
 * or the secure fault handler then resets the meter).
 */
#include <stddef.h>

#include "mbedtls/build_info.h"
#include "mbedtls/platform_time.h"

#include "meterseal/hal.h"

/* Called by Mbed TLS on fatal heap corruption: halt. */
void ms_mbedtls_exit(int status)
{
    (void)status;
    for (;;) {
        /* spin until reset */
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
