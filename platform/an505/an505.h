/* SPDX-License-Identifier: Apache-2.0 */
/*
 * an505.h - what the AN505 platform gives the meter's firmware images
 * beyond the portable HAL (include/meterseal/hal.h): the console, the exit
 * path on QEMU, fault reporting, the privilege test and the stack
 * high-water mark.
 */
#ifndef MS_AN505_H
#define MS_AN505_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes a run on QEMU ends with (semihosting SYS_EXIT_EXTENDED), so a
 * test can tell a refusal from a fault without parsing the console. */
#define MS_AN505_EXIT_OK        0    /* the image under test chose to end */
#define MS_AN505_EXIT_REFUSED   2    /* the boot loader refused to boot */
#define MS_AN505_EXIT_FAULT     3    /* an unexpected exception */
#define MS_AN505_EXIT_HANDOVER  4    /* a hand-over returned (never expected) */

/* End the run: on QEMU with semihosting, exit with `code`. Never returns. */
__attribute__((noreturn)) void ms_an505_exit(int code);

/* Report an unexpected exception (number from IPSR) with the fault status
 * registers on the console, then exit with MS_AN505_EXIT_FAULT. */
__attribute__((noreturn)) void ms_an505_fault(uint32_t exception);

/* ---- console (a CMSDK UART, polled) --------------------------------------- */

/* Use the UART at `base` as the console (enables its transmitter). */
void ms_an505_console_init(uint32_t base);
void ms_an505_putc(char c);
/* Send what ms_an505_putc is given to `put` instead of the UART (NULL: the
 * UART again); `flush`, if not NULL, runs before ms_an505_exit ends the
 * run. The sink reaches the UART with ms_an505_console_raw. Both run in
 * fault handlers too. */
void ms_an505_console_set_sink(void (*put)(char c), void (*flush)(void));
void ms_an505_console_raw(char c);
void ms_an505_puts(const char *s);
void ms_an505_put_hex(uint32_t v);       /* 0x%08x */
void ms_an505_put_dec(uint32_t v);

/* ---- privilege ------------------------------------------------------------- */

/* True in unprivileged thread mode: on the Secure side, a partition's code
 * (firmware/secure/spm.c), which reaches no driver state of its own. */
static inline int ms_an505_unprivileged(void)
{
    uint32_t ipsr, control;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    __asm volatile("mrs %0, control" : "=r"(control));
    return (ipsr & 0x1FFu) == 0 && (control & 1u) != 0;
}

/* ---- stack high-water mark -------------------------------------------------- */

/* Fill the unused part of the current stack (from its limit up to a little
 * below the stack pointer) with a pattern. Call first thing in main. */
void ms_an505_stack_paint(void);
/* Bytes of the stack ever used since the paint. */
uint32_t ms_an505_stack_used(void);

#endif /* MS_AN505_H */
