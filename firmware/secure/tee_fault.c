/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_fault.c - the fault policy (M2; docs/an505.md "Fault policy").
 *
 * A Non-secure access the hardware stops (SAU/IDAU: SecureFault; MPC:
 * BusFault, which AIRCR.BFHFNMINS = 0 gives the Secure world; PPC: the
 * access is dropped and the security controller raises its Secure PPC
 * interrupt, TEE_IRQ_PPC) and every
 * pointer the door refuses is:
 *   1. logged on the Secure console: exception, SFSR, CFSR, the data
 *      address (SFAR/BFAR when valid; QEMU 7.2 leaves SFAR invalid for an
 *      NS data access, so the faulting load/store is decoded from the
 *      stacked registers) and the PC;
 *   2. counted in secure storage (ITS uid TEE_UID_FAULT_LOG, encrypted and
 *      rollback-protected like any record);
 *   3. answered by the policy: the faulting Non-secure code does not go on -
 *      its exception frame is pointed at the trap the Non-secure kernel
 *      registered (a Non-secure function that ends the faulting task), or,
 *      without a trap, the meter resets; TEE_FAULT_RESET_COUNT faults or
 *      violations within TEE_FAULT_WINDOW_MS reset the meter.
 * A fault of a Secure partition (spm.h: MemManage from the Secure MPU, or
 * any other fault in its thread) stops and restarts that partition only.
 * A fault of the kernel during start-up is logged and ends the run (on
 * QEMU: MS_AN505_EXIT_FAULT); after the hand-over it is counted and the
 * policy resets the meter (it may be the Non-secure side's doing). No path
 * returns to the faulting instruction, so no fault can repeat forever or
 * hang the meter.
 */
#include <arm_cmse.h>
#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "meterseal/psa/internal_trusted_storage.h"
#include "meterseal/tee.h"
#include "regs/armv8m.h"
#include "regs/spctrl.h"
#include "spm.h"
#include "tee.h"
#include "tee_hal.h"

#define SFSR_INVIS     (1u << 1)   /* invalid integrity signature on exception return */
#define SFSR_INVER     (1u << 2)   /* invalid exception return */
#define SFSR_SFARVALID (1u << 6)
#define CFSR_BFARVALID (1u << 15)
#define CFSR_MMARVALID (1u << 7)

static ms_tee_ns_fault_status_t g_log;
static bool g_dirty;
static volatile bool g_handed_over;   /* the Non-secure world has started */
static uint64_t g_window[TEE_FAULT_RESET_COUNT];
static uint32_t g_window_n;

/* The log a policy reset could not write (a call it preempted may have
 * been half-way through a storage operation): kept in Secure RAM that a
 * reset leaves as it is, at a fixed place no image links anything into
 * (AN505_TEE_KEEP_BASE), and merged into storage at the next start. */
#define UNWRITTEN_MAGIC 0x4C4F4731u   /* layout 1 */
typedef struct unwritten_log {
    uint32_t magic;
    ms_tee_ns_fault_status_t log;
    uint32_t check;
} unwritten_log_t;
_Static_assert(sizeof(unwritten_log_t) <= AN505_TEE_KEEP_SIZE, "the record fits its place");
#define g_unwritten (*(unwritten_log_t *)AN505_TEE_KEEP_BASE)

static uint32_t unwritten_check(const unwritten_log_t *u)
{
    /* Not a defence (only this code writes that RAM): it tells a record
     * from what a cold power-on leaves there. */
    const uint32_t *w = (const uint32_t *)&u->log;
    uint32_t c = u->magic;
    for (size_t i = 0; i < sizeof u->log / 4u; i++) {
        c = (c << 5 | c >> 27) ^ w[i];
    }
    return ~c;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

void tee_fault_init(void)
{
    size_t got = 0;
    ms_tee_ns_fault_status_t s;
    if (psa_its_get(TEE_UID_FAULT_LOG, 0, sizeof s, &s, &got) == PSA_SUCCESS &&
        got == sizeof s) {
        /* What start-up already counted (a partition's fault while storage
         * or the RNG came up) is new: added to the stored counts. */
        ms_tee_ns_fault_status_t early = g_log;
        g_log = s;
        g_log.faults += early.faults;
        g_log.violations += early.violations;
        if (early.faults != 0) {
            g_log.last_exception = early.last_exception;
            g_log.last_sfsr = early.last_sfsr;
            g_log.last_cfsr = early.last_cfsr;
            g_log.last_addr = early.last_addr;
            g_log.last_pc = early.last_pc;
        }
    }
    const unwritten_log_t *u = &g_unwritten;
    if (u->magic != UNWRITTEN_MAGIC || u->check != unwritten_check(u)) {
        return;
    }
    /* Counters only grow: each is the larger of the two, so a record
     * merged twice (a start that could not write it) changes nothing. */
    if (u->log.policy_resets > g_log.policy_resets) {
        g_log.last_exception = u->log.last_exception;
        g_log.last_sfsr = u->log.last_sfsr;
        g_log.last_cfsr = u->log.last_cfsr;
        g_log.last_addr = u->log.last_addr;
        g_log.last_pc = u->log.last_pc;
    }
    g_log.faults = max_u32(g_log.faults, u->log.faults);
    g_log.violations = max_u32(g_log.violations, u->log.violations);
    g_log.policy_resets = max_u32(g_log.policy_resets, u->log.policy_resets);
    g_dirty = true;
    tee_fault_flush();
    if (!g_dirty) {
        g_unwritten.magic = 0;   /* in storage now */
    }
}

void tee_fault_status(ms_tee_ns_fault_status_t *out)
{
    *out = g_log;
}

void tee_fault_flush(void)
{
    if (g_dirty && !g_tee_in_call) {
        g_dirty = psa_its_set(TEE_UID_FAULT_LOG, sizeof g_log, &g_log, 0) != PSA_SUCCESS;
    }
}

/* owns_storage: the door's own call counted a violation (or no call runs at
 * all) and storage is the caller's to use; from a fault handler, a call the
 * fault preempted (a Non-secure interrupt came during it) may be half-way
 * through a storage operation: then the log is not written now but left in
 * Secure RAM for the next start (g_unwritten),
 * and the reset goes ahead. */
__attribute__((noreturn)) static void policy_reset(bool owns_storage)
{
    /* No Non-secure handler may enter the TEE from here on (the door's own
     * call runs with them enabled): it would find the door free. */
    __asm volatile("msr basepri_max, %0" : : "r"(0x80u) : "memory");
    g_log.policy_resets++;
    g_dirty = true;
    if (owns_storage) {
        g_tee_in_call = false;
    }
    tee_fault_flush();
    if (g_dirty) {
        g_unwritten.magic = UNWRITTEN_MAGIC;
        g_unwritten.log = g_log;
        g_unwritten.check = unwritten_check(&g_unwritten);
    }
    ms_an505_puts("tee: fault policy: reset\r\n");
    __asm volatile("dsb");
    MS_REG32(SCB_AIRCR) = AIRCR_VECTKEY | AIRCR_SYSRESETREQ;
    __asm volatile("dsb");
    for (;;) {
    }
}

/* One more fault or violation: reset when the window is full. */
static void count_event(bool owns_storage)
{
    uint64_t now = ms_hal_clock_ms();
    g_dirty = true;
    g_window[g_window_n % TEE_FAULT_RESET_COUNT] = now;
    g_window_n++;
    if (g_window_n >= TEE_FAULT_RESET_COUNT &&
        now - g_window[g_window_n % TEE_FAULT_RESET_COUNT] <= TEE_FAULT_WINDOW_MS) {
        policy_reset(owns_storage);
    }
}

void tee_fault_violation(const char *what, uint32_t addr)
{
    g_log.violations++;
    ms_an505_puts("tee: violation: ");
    ms_an505_puts(what);
    ms_an505_puts(" addr=");
    ms_an505_put_hex(addr);
    ms_an505_puts(" count=");
    ms_an505_put_dec(g_log.violations);
    ms_an505_puts("\r\n");
    count_event(true);
}

void tee_fault_handover(void)
{
    g_handed_over = true;
}

void tee_fault_ns_returned(void)
{
    g_log.violations++;
    ms_an505_puts("tee: violation: the non-secure world returned into the TEE\r\n");
    policy_reset(true);
}

/* r0-r3, r12 from the frame, r4-r11 as the handler found them. */
static uint32_t reg_of(const uint32_t *frame, const uint32_t *r4_11, uint32_t n)
{
    if (n <= 3u) {
        return frame[n];
    }
    if (n <= 11u) {
        return r4_11[n - 4u];
    }
    return n == 12u ? frame[4] : 0;
}

/* The data address of a faulting LDR/STR (immediate or register offset),
 * from the instruction and the registers: QEMU gives no SFAR for it. */
static uint32_t decode_addr(const uint32_t *frame, const uint32_t *r4_11)
{
    uint32_t pc = frame[6] & ~1u;
    if (!tee_ns_code(pc)) {
        return 0;
    }
    uint16_t hw = *(const volatile uint16_t *)(uintptr_t)pc;
    uint32_t op5 = hw >> 11;
    if (op5 == 0x0Cu || op5 == 0x0Du) {            /* STR/LDR Rt, [Rn, #imm5*4] */
        return reg_of(frame, r4_11, (hw >> 3) & 7u) + ((hw >> 6) & 0x1Fu) * 4u;
    }
    if (op5 == 0x0Eu || op5 == 0x0Fu) {            /* STRB/LDRB */
        return reg_of(frame, r4_11, (hw >> 3) & 7u) + ((hw >> 6) & 0x1Fu);
    }
    if ((hw >> 9) == 0x28u || (hw >> 9) == 0x2Cu) { /* STR/LDR Rt, [Rn, Rm] */
        return reg_of(frame, r4_11, (hw >> 3) & 7u) + reg_of(frame, r4_11, (hw >> 6) & 7u);
    }
    if ((hw & 0xFFF0u) == 0xF8C0u || (hw & 0xFFF0u) == 0xF8D0u) {  /* STR.W/LDR.W imm12 */
        uint16_t hw2 = *(const volatile uint16_t *)(uintptr_t)(pc + 2u);
        return reg_of(frame, r4_11, hw & 0xFu) + (hw2 & 0xFFFu);
    }
    return 0;
}

/* Keep a Non-secure fault in the log and clear the sticky status bits for
 * the next one (the caller prints it, then counts it). */
static void record_fault(uint32_t ipsr, uint32_t sfsr, uint32_t cfsr, uint32_t logged_sfsr,
                         uint32_t addr, uint32_t pc)
{
    g_log.faults++;
    g_log.last_exception = ipsr;
    g_log.last_sfsr = logged_sfsr;
    g_log.last_cfsr = cfsr;
    g_log.last_addr = addr;
    g_log.last_pc = pc;
    MS_REG32(SAU_SFSR) = sfsr;
    MS_REG32(SCB_CFSR) = cfsr;
}

/* A fault the Non-secure side may have caused while Secure code ran, with
 * no Non-secure task to end: logged and counted, then the policy resets. */
__attribute__((noreturn)) static void reset_for(const char *what, uint32_t ipsr, uint32_t sfsr,
                                                uint32_t cfsr, uint32_t logged, uint32_t addr)
{
    record_fault(ipsr, sfsr, cfsr, logged, addr, 0);
    ms_an505_puts(what);
    ms_an505_puts(": exception ");
    ms_an505_put_dec(ipsr);
    ms_an505_puts(" sfsr=");
    ms_an505_put_hex(sfsr);
    ms_an505_puts(" cfsr=");
    ms_an505_put_hex(cfsr);
    ms_an505_puts(" logged=");
    ms_an505_put_hex(logged);
    ms_an505_puts(" addr=");
    ms_an505_put_hex(addr);
    ms_an505_puts("\r\n");
    count_event(false);
    policy_reset(false);
}

void tee_fault_partition_counted(uint32_t exception, uint32_t sfsr, uint32_t cfsr,
                                 uint32_t addr)
{
    record_fault(exception, sfsr, cfsr, sfsr, addr, 0);
    count_event(false);
}

void tee_fault_partition_escaped(const char *what)
{
    g_log.violations++;
    ms_an505_puts(what);
    ms_an505_puts("\r\n");
    count_event(false);
    policy_reset(false);
}

/* Called by the handlers below with EXC_RETURN and the saved r4-r11. */
__attribute__((used)) void tee_fault(uint32_t exc_return, const uint32_t *r4_11)
{
    uint32_t ipsr, sfsr = MS_REG32(SAU_SFSR), cfsr = MS_REG32(SCB_CFSR), ppc = 0;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    ipsr &= 0x1FFu;
    if (ipsr == 16u + TEE_IRQ_PPC) {
        /* A PPC stopped an access (QEMU answers it read-as-zero/write-ignored,
         * without a bus error): the interrupt comes right after the
         * offending instruction, in the context that made it. */
        ppc = MS_REG32(SPCTRL_SECPPCINTSTAT);
        /* Clear it. On the part, writing the status bits clears them. QEMU
         * 7.2 drives each PPC's clear input with the status bit *left* after
         * the write, so it first needs a write of 0 while the bit is still
         * set (the PPC's own status clears), then the write of the bits
         * (the input goes low again, the PPC is armed for the next one).
         * The sequence is harmless on the part. */
        MS_REG32(SPCTRL_SECPPCINTCLR) = 0;
        MS_REG32(SPCTRL_SECPPCINTCLR) = ppc;
        MS_REG32(NVIC_ICPR0) = 1u << TEE_IRQ_PPC;
        if (ppc == 0) {
            /* Nothing latched: the line stays up without a status bit.
             * Stop listening rather than spin. */
            MS_REG32(NVIC_ICER0) = 1u << TEE_IRQ_PPC;
            ms_an505_puts("tee: PPC interrupt without status: PPC reporting off\r\n");
            return;
        }
    } else if (ipsr >= 16u) {
        ms_an505_fault(ipsr);   /* no other Secure interrupt is enabled */
    }
    if ((exc_return & EXC_RETURN_S) && (ppc != 0 || (sfsr & (SFSR_INVIS | SFSR_INVER)))) {
        /* Non-secure code's doing, though Secure code was interrupted: a
         * Non-secure handler that preempted a call made the PPC-stopped
         * access just before returning into it, or handed back a forged
         * exception return. No Non-secure task to end: the policy resets. */
        reset_for("tee: non-secure violation while a call ran", ipsr, sfsr, cfsr,
                  ppc != 0 ? ppc : sfsr, 0);
    }
    if (exc_return & EXC_RETURN_S) {
        /* A partition (Secure thread mode, its process stack) faulted: the
         * kernel stops and restarts it and goes on (spm.h). */
        uint32_t addr = (cfsr & CFSR_MMARVALID) ? MS_REG32(SCB_MMFAR)
                      : (cfsr & CFSR_BFARVALID) ? MS_REG32(SCB_BFAR) : 0;
        int stopped = (exc_return & (EXC_RETURN_MODE | EXC_RETURN_SPSEL)) ==
                              (EXC_RETURN_MODE | EXC_RETURN_SPSEL)
                          ? spm_fault(ipsr, cfsr, addr) : SPM_FAULT_NONE;
        if (stopped == SPM_FAULT_COUNTED) {
            /* A service's partition faulting is a fault like any other: in
             * the log, and in the window (a fault the Non-secure side can
             * provoke again and again ends in a reset, not in endless
             * restarts). */
            tee_fault_partition_counted(ipsr, sfsr, cfsr, addr);
        }
        if (stopped != SPM_FAULT_NONE) {
            MS_REG32(SCB_CFSR) = cfsr;
            MS_REG32(SAU_SFSR) = sfsr;
            spm_resume_kernel();
        }
        if (g_handed_over) {
            /* Secure code with no partition running, after the hand-over:
             * nothing to return to, and it may be the Non-secure side's
             * doing (a forged exception return, a preempted call's frame
             * left behind). Counted and logged, then the policy resets:
             * no fault hangs the meter. */
            reset_for("tee: secure fault after the hand-over", ipsr, sfsr, cfsr, sfsr, addr);
        }
        /* During start-up: a fault of the TEE itself. */
        ms_an505_fault(ipsr);
    }
    /* The Non-secure code's stack: in thread mode the one CONTROL_NS.SPSEL
     * selects (EXC_RETURN.SPSEL describes the Secure state's selection for
     * an exception taken to the Secure state: on QEMU it reads 0 here). */
    uint32_t *frame, control_ns;
    bool ns_thread = (exc_return & EXC_RETURN_MODE) != 0;
    __asm volatile("mrs %0, control_ns" : "=r"(control_ns));
    bool on_psp = ns_thread && (control_ns & 2u) != 0;
    if (on_psp) {
        __asm volatile("mrs %0, psp_ns" : "=r"(frame));
    } else {
        __asm volatile("mrs %0, msp_ns" : "=r"(frame));
    }
    /* The frame is where the Non-secure code's stack pointer says: Secure
     * code must not read or write it there unless that is memory the
     * faulting code could have written itself (a stack pointer aimed at
     * Secure RAM would otherwise read Secure data into the log, and the
     * redirection below would write it). */
    bool unpriv = ns_thread && (control_ns & 1u) != 0;
    if (cmse_check_address_range(frame, 8u * sizeof frame[0],
                                 CMSE_NONSECURE | CMSE_MPU_READWRITE |
                                     (unpriv ? CMSE_MPU_UNPRIV : 0)) == NULL) {
        record_fault(ipsr, sfsr, cfsr, sfsr, (uint32_t)(uintptr_t)frame, 0);
        ms_an505_puts("tee: non-secure fault with its stack outside Non-secure memory sp=");
        ms_an505_put_hex((uint32_t)(uintptr_t)frame);
        ms_an505_puts("\r\n");
        count_event(false);
        policy_reset(false);
    }
    uint32_t addr = 0;
    if (sfsr & SFSR_SFARVALID) {
        addr = MS_REG32(SAU_SFAR);
    } else if (cfsr & CFSR_BFARVALID) {
        addr = MS_REG32(SCB_BFAR);
    } else if (cfsr & CFSR_MMARVALID) {
        addr = MS_REG32(SCB_MMFAR);
    } else {
        addr = decode_addr(frame, r4_11);
    }
    record_fault(ipsr, sfsr, cfsr, ppc != 0 ? ppc : sfsr, addr, frame[6]);
    ms_an505_puts("tee: non-secure fault: exception ");
    ms_an505_put_dec(ipsr);
    ms_an505_puts(" sfsr=");
    ms_an505_put_hex(sfsr);
    ms_an505_puts(" cfsr=");
    ms_an505_put_hex(cfsr);
    if (ppc != 0) {
        ms_an505_puts(" ppc=");
        ms_an505_put_hex(ppc);
    }
    ms_an505_puts(" addr=");
    ms_an505_put_hex(addr);
    ms_an505_puts(" pc=");
    ms_an505_put_hex(frame[6]);

    ms_an505_puts(" count=");
    ms_an505_put_dec(g_log.faults);
    ms_an505_puts("\r\n");
    count_event(false);
    tee_fault_flush();
    uint32_t trap = tee_door_fault_trap();
    if (trap == 0 || !on_psp || g_tee_in_callback || spm_busy()) {
        /* No kernel to end a task, the Non-secure kernel itself faulted, a
         * callback did (a veneer's frame is live below it: the task cannot
         * simply end), or Non-secure thread code ran while a partition
         * served a message (it left the Secure state: the call is stranded,
         * the door taken). */
        policy_reset(false);
    }
    uint32_t reason = ipsr == 7u ? MS_TEE_NS_FAULT_SECURE
                    : ipsr == 5u || ppc != 0 ? MS_TEE_NS_FAULT_BUS : MS_TEE_NS_FAULT_OTHER;
    frame[0] = reason;
    frame[6] = trap & ~1u;
    frame[7] = (frame[7] & ~0x0600FC00u) | (1u << 24);   /* Thumb, no IT state */
}

/* The handlers: save r4-r11 (decoding needs them), pass EXC_RETURN. */
#define FAULT_ENTRY(name)                           \
    __attribute__((naked)) void name(void)          \
    {                                               \
        __asm volatile("push {r4-r11}\n\t"          \
                       "mov r1, sp\n\t"             \
                       "mov r0, lr\n\t"             \
                       "push {r0, r1}\n\t"          \
                       "bl tee_fault\n\t"           \
                       "pop {r0, r1}\n\t"           \
                       "mov lr, r0\n\t"             \
                       "pop {r4-r11}\n\t"           \
                       "bx lr\n\t");                \
    }

FAULT_ENTRY(SecureFault_Handler)
FAULT_ENTRY(MemManage_Handler)
FAULT_ENTRY(BusFault_Handler)
FAULT_ENTRY(HardFault_Handler)
FAULT_ENTRY(UsageFault_Handler)
FAULT_ENTRY(Irq_Handler)
