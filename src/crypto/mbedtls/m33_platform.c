/*
 * m33_platform.c - the platform hooks our Mbed TLS configuration asks for on
 * the MCU (ms_mbedtls_config.h), compiled into the Mbed TLS archive itself.
 *
 * Invariant: ms_mbedtls_exit() never returns. The static-pool allocator
 * calls it only when it detects heap corruption, after which no crypto
 * result could be trusted; stopping is the only safe answer (the watchdog
 * or the secure fault handler then resets the meter).
 */
#include "ms_mbedtls_config.h"

/* Called by Mbed TLS on fatal heap corruption: halt. */
void ms_mbedtls_exit(int status)
{
    (void)status;
    for (;;) {
        /* spin until reset */
    }
}
