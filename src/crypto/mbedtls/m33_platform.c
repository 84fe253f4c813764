/*
 * m33_platform.c - the platform hooks our Mbed TLS configuration asks for on
 * the MCU (ms_mbedtls_config.h), compiled into the Mbed TLS archive itself:
 * the fatal-exit hook of the static pool allocator, and the millisecond
 * clock TLS 1.3 ticket ages are measured with (MBEDTLS_PLATFORM_MS_TIME_ALT).
 *
 * Invariant: ms_mbedtls_exit() never returns. The static-pool allocator
 * calls it only when it detects heap corruption, after which no crypto
 * result could be trusted; stopping is the only safe answer (the watchdog
 * or the secure fault handler then resets the meter).
 */
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
