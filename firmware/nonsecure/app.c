/* SPDX-License-Identifier: Apache-2.0 */
/*
 * app.c - the meter's Non-secure application on the RTOS (rtos.h):
 *   pulse ISR   the simulated energy pulse input: CMSDK TIMER0 (given to
 *               the Non-secure world) interrupts at a fixed rate, each
 *               interrupt is one pulse (MS_PULSES_PER_WH per Wh);
 *   metering    counts pulses, adds each whole Wh to the energy register in
 *               the TEE's storage (METER ADD: the TEE charges the prepaid
 *               balance by the tariff in force), sends the registers to
 *   display     which prints them on the Non-secure console (UART2);
 *   control     runs the scenario the test asked for (semihosting command
 *               line: normal, an attack, a fault storm, contention, bench, an update
 *               step of update.c, the isolation scenarios of isolation.c) and
 *               ends the run with an exit code.
 * Exit codes: app.h. Console lines are what tests/an505/test_tee.py and
 * test_ota.py read.
 *
 * Invariant: the application keeps no register of its own - the energy
 * and the balance live only in the TEE's storage; what it prints is what
 * the TEE returned.
 */
#include <stdint.h>
#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "app.h"
#include "comms.h"
#include "console_lines.h"
#include "isolation.h"
#include "meterseal/psa/initial_attestation.h"
#include "meterseal/psa/internal_trusted_storage.h"
#include "meterseal/psa/protected_storage.h"
#include "regs/armv8m.h"
#include "regs/cmsdk_timer.h"
#include "regs/cmsdk_uart.h"
#include "rtos.h"
#include "semihost.h"
#include "tee_client.h"
#include "update.h"

#define REG(a) MS_REG32(a)
#define MS_PULSES_PER_WH 10u
#define PULSE_PERIOD_CYCLES 20000u   /* 1 ms at 20 MHz: 1 kHz pulses */

void Irq_Handler(void);
int main(void);
/* An outside test suite linked into this image (docs/tee.md, "External test
 * suites"; the build asks the linker for it by name, since this weak
 * reference alone pulls no library member in). */
__attribute__((weak)) int ms_ns_external_tests(void);

static rtos_sem_t pulse_sem;
static rtos_queue_t display_q;
static tee_meter_t display_buf[4];
static volatile uint32_t pulses;
static uint32_t st_metering[256], st_display[256], st_control[512], st_attack[256];
static rtos_task_t *t_metering, *t_display, *t_control;
static char scenario[64];
static tee_meter_t start_reg;

/* ---- command line ------------------------------------------------------------------ */

/* The last word of the command line. */
static const char *last_word(const char *s)
{
    const char *w = s;
    for (const char *p = s; *p; p++) {
        if (*p == ' ' && p[1] != '\0' && p[1] != ' ') {
            w = p + 1;
        }
    }
    return w;
}

static bool is(const char *name)
{
    return strcmp(last_word(scenario), name) == 0;
}

/* ---- console -------------------------------------------------------------------- */

static void put_reg(const char *what, const tee_meter_t *m)
{
    ms_an505_puts(what);
    ms_an505_puts(" energy=");
    ms_an505_put_dec((uint32_t)m->energy_wh);
    ms_an505_puts(" balance=");
    if (m->balance_milli < 0) {
        ms_an505_putc('-');
        ms_an505_put_dec((uint32_t)-m->balance_milli);
    } else {
        ms_an505_put_dec((uint32_t)m->balance_milli);
    }
    ms_an505_puts(" updates=");
    ms_an505_put_dec((uint32_t)m->updates);
    ms_an505_puts("\r\n");
}

void app_put_signed(int32_t v)
{
    if (v < 0) {
        ms_an505_putc('-');
        ms_an505_put_dec(0u - (uint32_t)v);
    } else {
        ms_an505_put_dec((uint32_t)v);
    }
}

void app_put_status(const char *what, int32_t st)
{
    ms_an505_puts(what);
    ms_an505_puts(" status=");
    app_put_signed(st);
    ms_an505_puts("\r\n");
}

/* ---- pulses and tasks ---------------------------------------------------------------- */

/* What a scenario has each pulse interrupt do besides counting (NULL:
 * nothing): the tests' way to act from a handler while a task is inside
 * the TEE. */
static void (*volatile pulse_hook)(void);

/* The interrupt-call probe (update.c arms it around a long TEE call): the
 * pulse interrupt calls the TEE and counts what the door answered. */
static volatile uint32_t isr_probe_busy, isr_probe_other;

static void probe_hook(void)
{
    ms_tee_ns_fault_status_t fs;
    if (ms_tee_ns_fault_status(&fs) == PSA_ERROR_CONNECTION_BUSY) {
        isr_probe_busy++;
    } else {
        isr_probe_other++;
    }
}

uint32_t app_pulses(void)
{
    return pulses;
}

void app_isr_probe(bool on, uint32_t *busy, uint32_t *other)
{
    if (on) {
        isr_probe_busy = 0;
        isr_probe_other = 0;
    }
    pulse_hook = on ? probe_hook : NULL;
    *busy = isr_probe_busy;
    *other = isr_probe_other;
}

void Irq_Handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    if ((ipsr & 0x1FFu) == 16u + AN505_IRQ_TIMER0) {
        REG(TIMER0_NS_BASE + TIMER_INTCLEAR) = 1u;
        pulses++;
        rtos_sem_give(&pulse_sem);
        void (*hook)(void) = pulse_hook;
        if (hook != NULL) {
            hook();
        }
    }
}

static void pulse_start(void)
{
    REG(TIMER0_NS_BASE + TIMER_RELOAD) = PULSE_PERIOD_CYCLES;
    REG(TIMER0_NS_BASE + TIMER_CTRL) = TIMER_CTRL_EN | TIMER_CTRL_IRQEN;
    REG(NVIC_ISER0) = 1u << AN505_IRQ_TIMER0;
}

static void metering(void *arg)
{
    (void)arg;
    uint32_t counted = 0;   /* pulses not yet in the register (< one Wh after a write) */
    for (;;) {
        if (!rtos_sem_take(&pulse_sem, 1000)) {
            continue;
        }
        /* Every pulse already waiting goes into the same write: pulses that
         * came in faster than the storage writes (a slow flash, a debugger
         * holding the meter) cost one write, not one each. */
        do {
            counted++;
        } while (rtos_sem_take(&pulse_sem, 0));
        uint32_t wh = counted / MS_PULSES_PER_WH;
        if (wh == 0) {
            continue;
        }
        tee_meter_t m;
        int32_t st = tee_meter_add(wh, &m);
        if (st != PSA_SUCCESS) {
            app_put_status("metering: add failed", st);
            continue;
        }
        counted -= wh * MS_PULSES_PER_WH;
        rtos_queue_send(&display_q, &m, 0);
    }
}

static void display(void *arg)
{
    (void)arg;
    tee_meter_t m;
    for (;;) {
        if (rtos_queue_receive(&display_q, &m, RTOS_WAIT_FOREVER) && m.updates % 5u == 0) {
            put_reg("display:", &m);
        }
    }
}

/* ---- attacks (each in a task of its own, which the fault policy ends) ---------------- */

static volatile uint32_t leaked;
static volatile int32_t nested_st = 1;


static void attack_read_secure_ram(void *arg)
{
    (void)arg;
    register uint32_t a __asm("r0") = AN505_S_RAM_BASE;
    __asm volatile("ldr r0, [r0]" : "+r"(a) : : "memory");
    leaked = a;
    ms_an505_puts("attack: LEAK secure ram read returned\r\n");
}

static void attack_write_secure_peripheral(void *arg)
{
    (void)arg;
    /* MPC0's register block at its Non-secure alias: its PPC (APB
     * expansion 0, port 0) keeps it Secure. */
    register uint32_t a __asm("r0") = 0x40200000u;
    register uint32_t v __asm("r1") = 'X';
    __asm volatile("str r1, [r0]" : : "r"(a), "r"(v) : "memory");
    ms_an505_puts("attack: secure peripheral write not noticed\r\n");
}

static int32_t attack_veneer_secure_pointer(void)
{
    size_t got = 0;
    return psa_its_get(1, 0, 16, (void *)(uintptr_t)AN505_S_RAM_BASE, &got);
}

/* The handler-fault attack: the first pulse interrupt that comes while the
 * control task is inside a TEE call reads Secure RAM. */
static volatile bool in_long_call;

static void read_secure_ram_hook(void)
{
    if (in_long_call) {
        pulse_hook = NULL;
        leaked = *(volatile const uint32_t *)AN505_S_RAM_BASE;
    }
}

static int32_t attack_veneer_peripheral(void)
{
    /* TIMER1's Non-secure alias: the PPC keeps TIMER1 Secure. */
    size_t got = 0;
    return psa_its_get(1, 0, 16, (void *)(uintptr_t)0x40001000u, &got);
}

static int32_t attack_veneer_straddle(void)
{
    /* The last 8 bytes of Non-secure RAM and the first 8 of what follows. */
    return psa_its_set(1, 16, (const void *)(uintptr_t)(AN505_NS_RAM_BASE + AN505_NS_RAM_SIZE - 8u),
                       0);
}

static int32_t attack_callback_secure(void)
{
    return ms_tee_ns_register(MS_TEE_NS_CB_DONE, AN505_S_EXEC_BASE + 0x401u);
}

/* A Non-secure stack pointer aimed at Secure RAM, then a fault: the TEE's
 * fault handler must not take that "stack" for the frame to log and patch. */
static void attack_secure_stack(void *arg)
{
    (void)arg;
    register uint32_t a __asm("r0") = AN505_S_RAM_BASE + 0x10000u;
    __asm volatile("msr psp, r0\n\tisb\n\tudf #0" : : "r"(a) : "memory");
}

/* A done-callback that calls the TEE again, from inside the callback. */
static void reenter_cb(uint32_t sid, int32_t status)
{
    (void)sid;
    (void)status;
    uint8_t b[16];
    nested_st = tee_rng_direct(b, sizeof b);
}

static bool run_attack_task(void (*fn)(void *))
{
    rtos_task_t *t = rtos_task_create("attack", fn, NULL, 4, st_attack,
                                      sizeof st_attack / 4u);
    rtos_delay(5);
    return t != NULL && t->state == RTOS_DEAD && t->fault_reason != 0;
}

/* ---- control ----------------------------------------------------------------------- */

void app_put_faults(void)
{
    ms_tee_ns_fault_status_t fs;
    if (ms_tee_ns_fault_status(&fs) == PSA_SUCCESS) {
        ms_an505_puts("faults: faults=");
        ms_an505_put_dec(fs.faults);
        ms_an505_puts(" violations=");
        ms_an505_put_dec(fs.violations);
        ms_an505_puts(" policy-resets=");
        ms_an505_put_dec(fs.policy_resets);
        ms_an505_puts(" last-addr=");
        ms_an505_put_hex(fs.last_addr);
        ms_an505_puts("\r\n");
    }
}

/* The second boot of a scenario whose attack makes the policy reset the
 * meter (the same command line runs again): the log after the reset. */
static bool after_policy_reset(void)
{
    ms_tee_ns_fault_status_t fs;
    if (ms_tee_ns_fault_status(&fs) != PSA_SUCCESS || fs.policy_resets == 0) {
        return false;
    }
    app_put_faults();
    return true;
}

/* The meter still serves: one more Wh goes through the TEE. */
static bool still_serves(void)
{
    tee_meter_t m;
    int32_t st = tee_meter_add(1, &m);
    app_put_status("check: meter add after the attack", st);
    return st == PSA_SUCCESS;
}

static int scenario_normal(void)
{
    /* A reading the storage area must never hold in plaintext. */
    static const char canary[] = "PLAINTEXT-CANARY reading=12345";
    int32_t st = psa_its_set(7, sizeof canary, canary, 0);
    app_put_status("normal: its set canary", st);
    char back[sizeof canary];
    size_t got = 0;
    st = psa_its_get(7, 0, sizeof back, back, &got);
    app_put_status("normal: its get canary", st);
    if (st != PSA_SUCCESS || got != sizeof canary || memcmp(back, canary, got) != 0) {
        return EXIT_FAILED;
    }
    /* PSA: a length no caller can own is an invalid argument, not a
     * malformed call (and not a violation). */
    st = psa_ps_set_extended(7, 1, 0xFFFFFFFFu, canary);
    app_put_status("normal: ps set_extended with a length past the address space", st);
    if (st != PSA_ERROR_INVALID_ARGUMENT) {
        return EXIT_FAILED;
    }
    uint8_t rnd[16], tok[600], nonce[32] = { 1, 2, 3 };
    size_t tlen = 0;
    app_put_status("normal: rng", tee_rng(rnd, sizeof rnd));
    st = tee_attest_token(nonce, sizeof nonce, tok, sizeof tok, &tlen);
    app_put_status("normal: attestation token", st);
    ms_an505_puts("normal: attestation token bytes=");
    ms_an505_put_dec((uint32_t)tlen);
    ms_an505_puts("\r\n");
    /* The same through the PSA Attestation API: the size it announces, and
     * a challenge size it does not allow. */
    size_t tsize = 0;
    st = psa_initial_attest_get_token_size(PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32, &tsize);
    app_put_status("normal: psa token size", st);
    ms_an505_puts("normal: psa token size bytes=");
    ms_an505_put_dec((uint32_t)tsize);
    ms_an505_puts("\r\n");
    app_put_status("normal: psa token with a 33-byte challenge",
                   psa_initial_attest_get_token(tok, 33, tok, sizeof tok, &tlen));
    app_put_status("normal: psa token with no challenge buffer",
                   psa_initial_attest_get_token(NULL, 32, tok, sizeof tok, &tlen));
    /* Let the metering tasks count 20 Wh. */
    tee_meter_t m = start_reg;
    while (m.energy_wh < start_reg.energy_wh + 20u) {
        rtos_delay(50);
        if (tee_meter_read(&m) != PSA_SUCCESS) {
            return EXIT_FAILED;
        }
    }
    put_reg("normal: end", &m);
    ms_an505_puts("normal: pulses=");
    ms_an505_put_dec(pulses);
    ms_an505_puts(" stack metering=");
    ms_an505_put_dec((uint32_t)rtos_stack_used(t_metering));
    ms_an505_puts(" display=");
    ms_an505_put_dec((uint32_t)rtos_stack_used(t_display));
    ms_an505_puts(" control=");
    ms_an505_put_dec((uint32_t)rtos_stack_used(t_control));
    ms_an505_puts("\r\n");
    return EXIT_DONE;
}

static int scenario_attack(void)
{
    bool stopped = false;
    if (is("read-secure-ram")) {
        stopped = run_attack_task(attack_read_secure_ram);
    } else if (is("write-secure-peripheral")) {
        /* twice: the TEE re-arms the PPC's interrupt after each */
        stopped = run_attack_task(attack_write_secure_peripheral) &&
                  run_attack_task(attack_write_secure_peripheral);
    } else if (is("veneer-secure-pointer")) {
        int32_t st = attack_veneer_secure_pointer();
        app_put_status("attack: veneer with a secure pointer", st);
        stopped = st == PSA_ERROR_PROGRAMMER_ERROR;
    } else if (is("veneer-peripheral")) {
        int32_t st = attack_veneer_peripheral();
        app_put_status("attack: veneer with a peripheral pointer", st);
        stopped = st == PSA_ERROR_PROGRAMMER_ERROR;
    } else if (is("veneer-straddle")) {
        int32_t st = attack_veneer_straddle();
        app_put_status("attack: veneer with a straddling buffer", st);
        stopped = st == PSA_ERROR_PROGRAMMER_ERROR;
    } else if (is("callback-reenters")) {
        int32_t reg = ms_tee_ns_register(MS_TEE_NS_CB_DONE, (uint32_t)(uintptr_t)reenter_cb);
        uint8_t b[16];
        int32_t outer = tee_rng_direct(b, sizeof b);
        ms_tee_ns_register(MS_TEE_NS_CB_DONE, (uint32_t)(uintptr_t)app_on_done);
        app_put_status("attack: call from inside a callback", nested_st);
        stopped = reg == PSA_SUCCESS && outer == PSA_SUCCESS &&
                  nested_st == PSA_ERROR_CONNECTION_BUSY;
    } else if (is("fault-with-secure-stack")) {
        if (after_policy_reset()) {
            return EXIT_POLICY;
        }
        run_attack_task(attack_secure_stack);   /* the policy resets the meter */
        stopped = false;
    } else if (is("return-to-tee")) {
        /* The TEE started this world with a Non-secure call: a BX to
         * FNC_RETURN from here returns into it. It must count and reset,
         * not end the meter's run. */
        if (after_policy_reset()) {
            return EXIT_POLICY;
        }
        __asm volatile("ldr r0, =0xFEFFFFFF\n\tbx r0" ::: "r0", "memory");
        stopped = false;
    } else if (is("handler-fault-in-call")) {
        /* A Non-secure handler faults while a task's call is preempted: the
         * policy resets the meter without writing the log then (the call
         * may be half-way through a storage write); the log must still
         * show the fault and the reset after it. */
        if (after_policy_reset()) {
            return EXIT_POLICY;
        }
        static uint8_t tok[600];
        uint8_t nonce[32] = { 0 };
        size_t len = 0;
        pulse_hook = read_secure_ram_hook;
        for (int i = 0; i < 20; i++) {
            in_long_call = true;
            (void)tee_attest_token(nonce, sizeof nonce, tok, sizeof tok, &len);
            in_long_call = false;
        }
        stopped = false;   /* the reset should have come */
    } else if (is("callback-secure")) {
        int32_t st = attack_callback_secure();
        app_put_status("attack: callback into secure code", st);
        stopped = st == PSA_ERROR_INVALID_ARGUMENT;
    } else {
        ms_an505_puts("control: unknown scenario\r\n");
        return EXIT_FAILED;
    }
    ms_an505_puts(stopped ? "attack: stopped\r\n" : "attack: NOT stopped\r\n");
    app_put_faults();
    return stopped && still_serves() ? EXIT_DONE : EXIT_FAILED;
}

static int scenario_storm(void)
{
    ms_tee_ns_fault_status_t fs;
    if (ms_tee_ns_fault_status(&fs) != PSA_SUCCESS) {
        return EXIT_FAILED;
    }
    if (fs.policy_resets > 0) {
        app_put_faults();
        put_reg("storm: after the reset", &start_reg);
        return EXIT_POLICY;
    }
    /* Fault again and again: the policy resets the meter within the window. */
    for (int i = 0; i < 10; i++) {
        run_attack_task(attack_read_secure_ram);
        ms_an505_puts("storm: fault survived\r\n");
    }
    ms_an505_puts("storm: NO reset\r\n");
    return EXIT_FAILED;
}

/* bench-<op>-<n>: n times one operation, for the instruction-count
 * benchmark (bench/an505/tee: the difference between n and 0 runs). */
static int scenario_bench(void)
{
    const char *w = last_word(scenario) + 6;   /* after "bench-" */
    const char *dash = strchr(w, '-');
    if (dash == NULL) {
        return EXIT_FAILED;
    }
    uint32_t n = 0;
    for (const char *p = dash + 1; *p >= '0' && *p <= '9'; p++) {
        n = n * 10u + (uint32_t)(*p - '0');
    }
    size_t op_len = (size_t)(dash - w);
    static uint8_t tok[600];
    uint8_t data[64], hash[32];
    memset(data, 0x5A, sizeof data);
    memset(hash, 0xA5, sizeof hash);
    for (uint32_t i = 0; i < n; i++) {
        int32_t st;
        if (op_len == 4 && memcmp(w, "ping", 4) == 0) {
            st = ms_tee_ns_ping(i) == i + 1u ? PSA_SUCCESS : PSA_ERROR_GENERIC_ERROR;
        } else if (op_len == 4 && memcmp(w, "part", 4) == 0) {
            st = ms_tee_ns_part_ping();
        } else if (op_len == 3 && memcmp(w, "its", 3) == 0) {
            st = psa_its_set(0x100u + (i % 8u), sizeof data, data, 0);
        } else if (op_len == 7 && memcmp(w, "reading", 7) == 0) {
            /* A signed reading in the TEE (a provisioned meter): the
             * boot-to-first-reading figure is the whole run of n = 1. */
            st = comms_reading() == EXIT_DONE ? PSA_SUCCESS : PSA_ERROR_GENERIC_ERROR;
        } else if (op_len == 6 && memcmp(w, "update", 6) == 0) {
            /* Stage the test bench's download (update.h): BEGIN, WRITEs,
             * VERIFY (decrypt, hash, ECDSA-P256), INSTALL. */
            st = update_stage(false) == EXIT_DONE ? PSA_SUCCESS : PSA_ERROR_GENERIC_ERROR;
        } else if (op_len == 4 && memcmp(w, "sign", 4) == 0) {
            /* An ECDSA-P256 sign inside the TEE: the attestation token (the
             * IAK signs it; the NSPE may not sign with a device key itself). */
            size_t len = 0;
            st = tee_attest_token(hash, sizeof hash, tok, sizeof tok, &len);
        } else {
            return EXIT_FAILED;
        }
        if (st != PSA_SUCCESS) {
            app_put_status("bench: failed", st);
            return EXIT_FAILED;
        }
    }
    ms_an505_puts("bench: stack control=");
    ms_an505_put_dec((uint32_t)rtos_stack_used(t_control));
    ms_an505_puts("\r\n");
    /* the partitions' stack and pool high-water marks (after the boot
     * self-test and the operations; a run of n and one of 0 both ask, so
     * the difference between them is the operations') */
    ms_tee_ns_selftest_t t;
    if (ms_tee_ns_selftest(&t) == PSA_SUCCESS) {
        for (uint32_t i = 0; i < MS_TEE_NS_PARTS; i++) {
            isolation_put_partition("bench:", &t, i);
        }
    }
    return EXIT_DONE;
}

/* ---- contention -------------------------------------------------------------------- */

/* Two tasks of one priority, one of them unprivileged, call the TEE back to
 * back without the client's semaphore, while the pulses come: the kernel
 * must not switch tasks inside the TEE (no call may find the door taken,
 * no frame may be mixed up), must not lose the switches it puts off
 * (metering, above them, keeps up), and round-robin must go on. */
static uint32_t st_hammer[2][256];
static volatile uint32_t hammer_ok[2], hammer_busy[2], hammer_other[2];
static volatile bool hammer_stop;

static void hammer(void *arg)
{
    uint32_t i = (uint32_t)(uintptr_t)arg;
    uint8_t b[256];   /* a call long enough that most ticks land inside the TEE */
    while (!hammer_stop) {
        int32_t st = tee_rng_direct(b, sizeof b);
        if (st == PSA_SUCCESS) {
            hammer_ok[i]++;
        } else if (st == PSA_ERROR_CONNECTION_BUSY) {
            hammer_busy[i]++;
        } else {
            hammer_other[i]++;
        }
    }
    for (;;) {
        rtos_delay(1000);
    }
}

static void put_hammer(uint32_t i)
{
    ms_an505_puts(" ok=");
    ms_an505_put_dec(hammer_ok[i]);
    ms_an505_puts(" busy=");
    ms_an505_put_dec(hammer_busy[i]);
    ms_an505_puts(" failed=");
    ms_an505_put_dec(hammer_other[i]);
}

static int scenario_contention(void)
{
    tee_meter_t before, after;
    if (tee_meter_read(&before) != PSA_SUCCESS) {
        return EXIT_FAILED;
    }
    uint32_t p0 = pulses;
    rtos_task_create("hammer0", hammer, (void *)0, 2, st_hammer[0], 256);
    rtos_task_create_ex("hammer1", hammer, (void *)1, 2, st_hammer[1], 256, true);
    rtos_delay(300);
    hammer_stop = true;
    uint32_t p1 = pulses;
    rtos_delay(50);   /* metering writes what it has */
    if (tee_meter_read(&after) != PSA_SUCCESS) {
        return EXIT_FAILED;
    }
    ms_an505_puts("contention: pulses=");
    ms_an505_put_dec(p1 - p0);
    ms_an505_puts(" energy=");
    ms_an505_put_dec((uint32_t)(after.energy_wh - before.energy_wh));
    ms_an505_puts(" hammer0");
    put_hammer(0);
    ms_an505_puts(" hammer1");
    put_hammer(1);
    ms_an505_puts("\r\n");
    return EXIT_DONE;
}

/* ---- the console a line at a time (console_lines.h) --------------------------------- */

#define WRITER_LINES 20u
static volatile bool writer_done[2];

/* Half a line, then its rest once the tick has ended this task's time
 * slice: the other writer (the same priority) runs in between. */
static void line_writer(void *arg)
{
    uint32_t me = (uint32_t)(uintptr_t)arg;
    for (uint32_t i = 0; i < WRITER_LINES; i++) {
        ms_an505_puts(me == 0 ? "console-lines: writer=a line=" : "console-lines: writer=b line=");
        ms_an505_put_dec(i);
        uint32_t t = rtos_ticks();
        while (rtos_ticks() == t) {
        }
        ms_an505_puts(" second half\r\n");
    }
    writer_done[me] = true;
    rtos_task_exit();
}

static int scenario_console_lines(void)
{
    rtos_task_create("writer-a", line_writer, (void *)0, 2, st_hammer[0], 256);
    rtos_task_create("writer-b", line_writer, (void *)1, 2, st_hammer[1], 256);
    while (!writer_done[0] || !writer_done[1]) {
        rtos_delay(5);
    }
    return EXIT_DONE;
}

/* ---- the comms task ---------------------------------------------------------------- */

static uint32_t st_comms[2048];
static volatile int comms_rc = -1;

static void comms(void *arg)
{
    (void)arg;
    comms_rc = is("comms-update") ? comms_run(0, 1000, 300000, true)
                                  : comms_run(3, 1000, 120000, false);
    for (;;) {
        rtos_delay(1000);
    }
}

static int scenario_comms(void)
{
    rtos_task_t *t = rtos_task_create("comms", comms, NULL, 2, st_comms, sizeof st_comms / 4u);
    while (comms_rc < 0) {
        rtos_delay(20);
    }
    ms_an505_puts("comms: stack=");
    ms_an505_put_dec((uint32_t)rtos_stack_used(t));
    ms_an505_puts("\r\n");
    /* the link partition's stack and pool high-water marks after the
     * session (its TLS handshakes, its messages) */
    ms_tee_ns_selftest_t parts;
    if (ms_tee_ns_selftest(&parts) == PSA_SUCCESS) {
        isolation_put_partition("comms:", &parts, MS_TEE_NS_PARTS - 1u);
    }
    return comms_rc;
}

static volatile uint32_t done_calls;

void app_on_done(uint32_t sid, int32_t status)
{
    (void)sid;
    (void)status;
    done_calls++;
}

static void control(void *arg)
{
    (void)arg;
    int rc = EXIT_FAILED;
    if (tee_meter_read(&start_reg) == PSA_SUCCESS) {
        put_reg("control: start", &start_reg);
    }
    if (is("normal")) {
        rc = scenario_normal();
    } else if (is("unprivileged")) {
        rc = isolation_unprivileged();
    } else if (is("unprivileged-update")) {
        rc = isolation_unprivileged_update();
    } else if (is("interface-version")) {
        rc = isolation_interface_version();
    } else if (is("partitions")) {
        rc = isolation_partitions();
    } else if (is("storage-restart")) {
        rc = isolation_storage_restart();
    } else if (is("keystore-restart")) {
        rc = isolation_keystore_restart();
    } else if (is("attest-restart")) {
        rc = isolation_attest_restart();
    } else if (is("update-restart")) {
        rc = isolation_update_restart();
    } else if (is("link-restart")) {
        rc = isolation_link_restart();
    } else if (is("storm")) {
        rc = scenario_storm();
    } else if (strncmp(last_word(scenario), "bench-", 6) == 0) {
        rc = scenario_bench();
    } else if (is("comms") || is("comms-update")) {
        rc = scenario_comms();
    } else if (is("update-stage")) {
        rc = update_stage(false);
    } else if (is("update-stage-permanent")) {
        rc = update_stage(true);
    } else if (is("update-confirm")) {
        rc = update_confirm();
    } else if (is("contention")) {
        rc = scenario_contention();
    } else if (is("console-lines")) {
        rc = scenario_console_lines();
    } else if (is("external")) {
        rc = ms_ns_external_tests != NULL ? ms_ns_external_tests() : EXIT_FAILED;
    } else {
        rc = scenario_attack();
    }
    ms_an505_puts("control: done-callbacks=");
    ms_an505_put_dec(done_calls);
    ms_an505_puts("\r\n");
    app_put_status("control: exit", rc);
    ms_an505_exit(rc);
}

int main(void)
{
    ms_an505_console_init(UART2_NS_BASE);
    console_lines_start();
    semihost_cmdline(scenario, sizeof scenario);
    ms_an505_puts("nonsecure: MeterSeal RTOS, scenario '");
    ms_an505_puts(last_word(scenario));
    ms_an505_puts("'\r\n");
    /* The door: the interface this image was built with (no TEE call
     * works until the TEE speaks it: the images must match), the fault
     * trap, the "request finished" callback and the return trampoline
     * (rtos.h). */
    int32_t st = ms_tee_ns_hello(MS_TEE_NS_ABI);
    if (st != PSA_SUCCESS) {
        app_put_status("nonsecure: the TEE does not speak this image's interface", st);
        ms_an505_exit(EXIT_FAILED);
    }
    st = ms_tee_ns_register(MS_TEE_NS_CB_FAULT, (uint32_t)(uintptr_t)rtos_fault_trap);
    if (st == PSA_SUCCESS) {
        st = ms_tee_ns_register(MS_TEE_NS_CB_DONE, (uint32_t)(uintptr_t)app_on_done);
    }
    if (st == PSA_SUCCESS) {
        st = ms_tee_ns_register(MS_TEE_NS_CB_RETURN, (uint32_t)(uintptr_t)rtos_tee_return);
    }
    app_put_status("nonsecure: callbacks registered", st);

    rtos_init();
    tee_client_use_kernel();
    rtos_sem_init(&pulse_sem, 0, 1000);
    rtos_queue_init(&display_q, display_buf, sizeof display_buf[0], 4);
    t_control = rtos_task_create("control", control, NULL, 2, st_control, sizeof st_control / 4u);
    t_metering = rtos_task_create("metering", metering, NULL, 3, st_metering,
                                  sizeof st_metering / 4u);
    t_display = rtos_task_create("display", display, NULL, 1, st_display, sizeof st_display / 4u);
    if (strncmp(last_word(scenario), "bench-", 6) != 0) {
        pulse_start();
    }
    rtos_start();
}
