/* SPDX-License-Identifier: Apache-2.0 */
/*
 * startup.c - vector table and reset handler shared by the meter's three
 * images (boot loader, Secure image, Non-secure image): each links it with
 * its own linker script, which provides the symbols below.
 *
 * Invariants: the reset handler touches nothing before .data is copied and
 * .bss zeroed except the stack the core (or the boot loader's hand-over)
 * already set; an unexpected exception never returns into the code that
 * raised it: ms_an505_fault() reports it and stops (no fault ever hangs the
 * meter: on QEMU the run ends with a nonzero exit code).
 */
#include <stdint.h>

#include "an505.h"

extern uint32_t __stack_top[], __stack_limit[];
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);

void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SecureFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void Irq_Handler(void) __attribute__((weak, alias("Default_Handler")));

typedef void (*ms_vector_t)(void);

/* 16 system exceptions, then the AN505's external interrupts (UARTs are
 * 0-15 and 42-45 in QEMU's numbering; 48 covers what the meter uses). */
__attribute__((section(".vectors"), used))
const ms_vector_t ms_an505_vectors[16 + 48] = {
    (ms_vector_t)(uintptr_t)__stack_top,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    SecureFault_Handler,
    0, 0, 0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    [16 ... 63] = Irq_Handler,
};

void Reset_Handler(void)
{
    /* The main stack's limit (the boot loader hands over with none): an
     * overflow is a UsageFault, never a silent write into .bss below it. */
    __asm volatile("msr msplim, %0" : : "r"(__stack_limit) : "memory");
    /* Plain word loops: under -nostdlib there is no memcpy to call. */
    const uint32_t *src = __data_load;
    for (uint32_t *dst = __data_start; dst < __data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *p = __bss_start; p < __bss_end;) {
        *p++ = 0;
    }
    int rc = main();
    ms_an505_exit(rc);
}

void Default_Handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    ms_an505_fault(ipsr & 0x1FFu);
}
