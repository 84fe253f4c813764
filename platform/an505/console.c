/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console.c - the firmware's console on a CMSDK UART (polled, transmit
 * only), a tiny formatter instead of printf, the QEMU exit path
 * (semihosting), fault reporting and the painted-stack high-water mark.
 *
 * Invariant: nothing here allocates or depends on libc; every function is
 * safe to call from a fault handler (a sink, when one is set, must be too).
 */
#include "an505.h"
#include "regs/armv8m.h"
#include "regs/cmsdk_uart.h"

static uint32_t console_base;

void ms_an505_console_init(uint32_t base)
{
    console_base = base;
    MS_REG32(base + UART_BAUDDIV) = 16;
    MS_REG32(base + UART_CTRL) |= UART_CTRL_TXEN;
}

static void (*sink_put)(char c);
static void (*sink_flush)(void);

void ms_an505_console_set_sink(void (*put)(char c), void (*flush)(void))
{
    sink_put = put;
    sink_flush = flush;
}

void ms_an505_console_raw(char c)
{
    if (console_base == 0) {
        return;
    }
    while (MS_REG32(console_base + UART_STATE) & UART_STATE_TXFULL) {
    }
    MS_REG32(console_base + UART_DATA) = (uint8_t)c;
}

void ms_an505_putc(char c)
{
    if (sink_put != NULL) {
        sink_put(c);
    } else {
        ms_an505_console_raw(c);
    }
}

void ms_an505_puts(const char *s)
{
    while (*s != '\0') {
        ms_an505_putc(*s++);
    }
}

void ms_an505_put_hex(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    ms_an505_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        ms_an505_putc(digits[(v >> shift) & 0xFu]);
    }
}

void ms_an505_put_dec(uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && n < (int)sizeof(tmp));
    while (n > 0) {
        ms_an505_putc(tmp[--n]);
    }
}

/* ---- semihosting exit -------------------------------------------------------- */

#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

/* Never inlined: the fault-injection campaign stops every run here. */
__attribute__((noipa)) void ms_an505_exit(int code)
{
    /* {reason, subcode}: on 32-bit Arm only SYS_EXIT_EXTENDED carries a
     * chosen exit code to the host. */
    if (sink_flush != NULL) {
        sink_flush();   /* what a sink holds reaches the console first */
    }
    volatile uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    register uint32_t r0 __asm("r0") = SEMIHOST_SYS_EXIT_EXTENDED;
    register volatile uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
        /* without a semihosting host there is nothing more to do */
    }
}

void ms_an505_fault(uint32_t exception)
{
    ms_an505_puts("\r\nfault: exception ");
    ms_an505_put_dec(exception);
    ms_an505_puts(" cfsr=");
    ms_an505_put_hex(MS_REG32(SCB_CFSR));
    ms_an505_puts(" hfsr=");
    ms_an505_put_hex(MS_REG32(SCB_HFSR));
    ms_an505_puts(" bfar=");
    ms_an505_put_hex(MS_REG32(SCB_BFAR));
    ms_an505_puts(" sfsr=");
    ms_an505_put_hex(MS_REG32(SAU_SFSR));
    ms_an505_puts(" sfar=");
    ms_an505_put_hex(MS_REG32(SAU_SFAR));
    ms_an505_puts("\r\n");
    ms_an505_exit(MS_AN505_EXIT_FAULT);
}

/* ---- painted stack ------------------------------------------------------------ */

#define STACK_PATTERN 0x5AFE57ACu

extern uint32_t __stack_limit[], __stack_top[];

void ms_an505_stack_paint(void)
{
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (volatile uint32_t *p = __stack_limit; (uint32_t)(uintptr_t)p < sp - 64u; p++) {
        *p = STACK_PATTERN;
    }
}

uint32_t ms_an505_stack_used(void)
{
    const volatile uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PATTERN) {
        p++;
    }
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}
