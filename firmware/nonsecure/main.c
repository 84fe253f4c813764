/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the Non-secure test image (until the RTOS and the metering
 * application replace it): prints its own version from the image header the
 * boot loader copied in front of it, on the Non-secure UART, then ends the
 * run through semihosting with exit code 100 + its minor version, so a test
 * knows which image ran.
 */
#include <stdint.h>

#include "an505.h"
#include "an505_map.h"
#include "regs/cmsdk_uart.h"

int main(void)
{
    ms_an505_console_init(UART2_NS_BASE);
    const volatile uint8_t *hdr = (const volatile uint8_t *)AN505_NS_EXEC_BASE;
    uint8_t major = hdr[20], minor = hdr[21];
    uint16_t revision = (uint16_t)(hdr[22] | hdr[23] << 8);
    ms_an505_puts("nonsecure: hello from the non-secure world, version ");
    ms_an505_put_dec(major);
    ms_an505_putc('.');
    ms_an505_put_dec(minor);
    ms_an505_putc('.');
    ms_an505_put_dec(revision);
    ms_an505_puts("\r\n");
    return 100 + minor;
}
