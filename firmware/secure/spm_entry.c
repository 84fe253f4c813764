/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spm_entry.c - the Secure kernel's ways into and out of a partition, in
 * assembly (spm.h): the SVC handler (SVC #1 from the kernel enters a
 * partition, fresh or at its saved context; SVC #2, #3 and #4 from a
 * partition: its handler returned, a kernel service, a request), the stub
 * a partition's handler returns to, and the way back to the kernel code
 * that made the call. The decisions are spm.c's C functions it calls.
 *
 * Invariant: a partition's r4-r11 are untouched until spm_yield has
 * checked where they go; a new message starts with them zeroed.
 */
#include "spm.h"

/* Where a partition's handler returns to: back to the kernel. */
__attribute__((naked, used)) void spm_exit_stub(void)
{
    __asm volatile("svc #2\n\t"
                   "b .\n\t");
}

/* Back to the kernel code that made the call, on its Main stack, with its
 * callee-saved registers (what SVC #1 saved). */
__attribute__((naked, noreturn)) void spm_resume_kernel(void)
{
    __asm volatile("ldr r1, =spm_saved_msp\n\t"
                   "ldr r2, [r1]\n\t"
                   "mov sp, r2\n\t"
                   "pop {r4-r11, lr}\n\t"
                   "bx lr\n\t");
}

__attribute__((naked)) void SVC_Handler(void)
{
    __asm volatile(
        "tst lr, #4\n\t"
        "bne 1f\n\t"
        /* from the kernel (Main stack): only SVC #1 */
        "mrs r0, msp\n\t"
        "ldr r1, [r0, #24]\n\t"
        "ldrb r1, [r1, #-2]\n\t"
        "cmp r1, #1\n\t"
        "bne 3f\n\t"
        "push {r4-r11, lr}\n\t"
        "ldr r1, =spm_saved_msp\n\t"
        "str sp, [r1]\n\t"
        "bl spm_prepare\n\t"
        "cbz r0, 5f\n\t"
        "ldr r1, =spm_entry_resume\n\t"
        "ldr r1, [r1]\n\t"
        "cbz r1, 7f\n\t"
        "ldmia r0!, {r4-r11}\n\t"    /* the partition's own, saved by SVC #4 */
        "b 8f\n\t"
        "7:\n\t"
        "movs r4, #0\n\t"            /* a new message: no kernel value leaks in */
        "movs r5, #0\n\t"
        "movs r6, #0\n\t"
        "movs r7, #0\n\t"
        "mov r8, r4\n\t"
        "mov r9, r4\n\t"
        "mov r10, r4\n\t"
        "mov r11, r4\n\t"
        "8:\n\t"
        "msr psp, r0\n\t"
        "mvn lr, #2\n\t"             /* 0xFFFFFFFD: Secure thread, process stack */
        "bx lr\n\t"
        /* from a partition (process stack): SVC #2, #3 or #4 */
        "1:\n\t"
        "mrs r0, psp\n\t"
        "ldr r1, [r0, #24]\n\t"
        "ldrb r1, [r1, #-2]\n\t"
        "cmp r1, #3\n\t"
        "bne 4f\n\t"
        "push {r4, lr}\n\t"
        "bl spm_kernel_service\n\t"
        "pop {r4, pc}\n\t"
        "4:\n\t"
        "cmp r1, #2\n\t"
        "bne 6f\n\t"
        "bl spm_finish\n\t"
        "cbz r0, 3f\n\t"
        "b spm_resume_kernel\n\t"
        "6:\n\t"
        "cmp r1, #4\n\t"
        "bne 2f\n\t"
        "bl spm_yield\n\t"           /* r4-r11 are still the partition's */
        "cbz r0, 2f\n\t"
        "stmia r0, {r4-r11}\n\t"
        "b spm_resume_kernel\n\t"
        "2:\n\t"
        "bl spm_bad_svc\n\t"
        "cbz r0, 3f\n\t"             /* no partition was running: nothing stopped */
        "b spm_resume_kernel\n\t"
        "3:\n\t"
        "bx lr\n\t"
        "5:\n\t"
        "pop {r4-r11, lr}\n\t"
        "bx lr\n\t");
}

