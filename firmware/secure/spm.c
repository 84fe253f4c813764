/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spm.c - the Secure kernel's partitions (spm.h).
 *
 * Memory: each partition owns one block (spm_mem_t, 32-byte aligned and
 * sized, the Secure MPU's granule). MPU region 0 is the Secure image's
 * execution region, read-only and executable for both privilege levels;
 * region 1 is the running partition's block, read-write, never executable,
 * enabled only while that partition runs. PRIVDEFENA gives the kernel the
 * default map, so every other address - the kernel's data, the other
 * partitions' blocks, the peripherals, the flash - faults for a partition.
 *
 * Invariants: at most one partition runs at a time (spm_call refuses to
 * nest); the caller's r4-r11 and LR are kept on the Main stack across the
 * partition's run and restored on every way back (return or fault); the
 * partition's block is the only memory the partition's code gets an
 * address of.
 */
#include "spm.h"

#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "meterseal/tee_rng.h"
#include "regs/armv8m.h"

#define STACK_WORDS  256u
#define STATE_LEN    64u
#define STACK_PAINT  0x5EC0DE5Au

typedef struct __attribute__((aligned(32))) spm_mem {
    spm_msg_t msg;
    uint8_t state[STATE_LEN];
    uint32_t stack[STACK_WORDS];
} spm_mem_t;

typedef int32_t (*spm_handler_t)(spm_msg_t *msg, void *state);

typedef struct spm_part {
    const char *name;
    spm_handler_t handler;
    spm_stats_t stats;
} spm_part_t;

static int32_t health_main(spm_msg_t *msg, void *state);
static int32_t probe_main(spm_msg_t *msg, void *state);

static spm_mem_t part_mem[SPM_N_PARTS];
/* volatile: the fault and SVC handlers change it behind the caller's back
 * (the compiler sees no call from spm_call() to them). */
static volatile spm_part_t parts[SPM_N_PARTS] = {
    [SPM_PART_HEALTH] = { "rng-health", health_main, { 0, 0, 0, 0 } },
    [SPM_PART_PROBE] = { "isolation-probe", probe_main, { 0, 0, 0, 0 } },
};
static volatile int32_t current = -1;
static uint32_t *caller_frame;
__attribute__((used)) uint32_t spm_saved_msp;

/* ---- the partitions' code (runs unprivileged, touches its block only) ---- */

typedef struct health_state {
    ms_tee_rng_health_t h;
    uint32_t ready;
} health_state_t;

_Static_assert(sizeof(health_state_t) <= STATE_LEN, "health state fits its block");

static int32_t health_main(spm_msg_t *msg, void *state)
{
    health_state_t *s = state;
    if (!s->ready) {
        if (ms_tee_rng_health_init(&s->h, 4) != MS_OK) {
            return PSA_ERROR_GENERIC_ERROR;
        }
        s->ready = 1;
    }
    if (msg->type == SPM_HEALTH_FEED) {
        return ms_tee_rng_health_feed(&s->h, msg->data, msg->len) == MS_OK
                   ? PSA_SUCCESS : PSA_ERROR_INSUFFICIENT_ENTROPY;
    }
    if (msg->type == SPM_HEALTH_STATUS) {
        uint32_t v[2] = { (uint32_t)s->h.samples, s->h.failed ? 1u : 0u };
        memcpy(msg->data, v, sizeof v);
        msg->out_len = sizeof v;
        return PSA_SUCCESS;
    }
    return PSA_ERROR_NOT_SUPPORTED;
}

/* Uses about 64 bytes of stack per level (not a tail call: the array is
 * read after the recursion). */
__attribute__((noinline)) static uint32_t probe_depth(uint32_t n)
{
    volatile uint32_t pad[14];
    pad[0] = n;
    uint32_t below = n > 1u ? probe_depth(n - 1u) : 0u;
    return pad[0] + below;
}

static int32_t probe_main(spm_msg_t *msg, void *state)
{
    (void)state;
    if (msg->len != 4u || (msg->type != SPM_PROBE_PEEK && msg->type != SPM_PROBE_DEPTH)) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    uint32_t addr;
    memcpy(&addr, msg->data, 4);
    if (msg->type == SPM_PROBE_DEPTH) {
        uint32_t v = probe_depth(addr);
        memcpy(msg->data, &v, 4);
        msg->out_len = 4;
        return PSA_SUCCESS;
    }
    uint32_t v = *(const volatile uint32_t *)(uintptr_t)addr;
    memcpy(msg->data, &v, 4);
    msg->out_len = 4;
    return PSA_SUCCESS;
}

/* Where a partition's handler returns to: back to the kernel. */
__attribute__((naked, used)) void spm_exit_stub(void)
{
    __asm volatile("svc #2\n\t"
                   "b .\n\t");
}

/* ---- the kernel ------------------------------------------------------------------------ */

static void mpu_region(uint32_t n, uint32_t base, uint32_t limit, uint32_t rbar_flags)
{
    MS_REG32(MPU_RNR) = n;
    MS_REG32(MPU_RBAR) = (base & ~(MPU_GRANULE - 1u)) | rbar_flags;
    MS_REG32(MPU_RLAR) = (limit & ~(MPU_GRANULE - 1u)) | MPU_RLAR_EN;   /* AttrIndx 0 */
}

static void mpu_off(uint32_t n)
{
    MS_REG32(MPU_RNR) = n;
    MS_REG32(MPU_RLAR) = 0;
}

static uint32_t stack_used(const spm_mem_t *m)
{
    uint32_t i = 0;
    while (i < STACK_WORDS && m->stack[i] == STACK_PAINT) {
        i++;
    }
    return (STACK_WORDS - i) * 4u;
}

/* Wipe a partition's block and paint its stack: it starts again. */
static void restart(uint32_t pid)
{
    spm_mem_t *m = &part_mem[pid];
    memset(m, 0, sizeof *m);
    for (uint32_t i = 0; i < STACK_WORDS; i++) {
        m->stack[i] = STACK_PAINT;
    }
}

/* Keep the high-water mark of a stack about to be wiped. */
static void keep_high_water(uint32_t pid)
{
    uint32_t used = stack_used(&part_mem[pid]);
    if (used > parts[pid].stats.stack_used) {
        parts[pid].stats.stack_used = used;
    }
}

void spm_init(void)
{
    MS_REG32(MPU_CTRL) = 0;
    MS_REG32(MPU_MAIR0) = 0xFFu;   /* attribute 0: normal memory, write-back */
    mpu_region(0, AN505_S_EXEC_BASE, AN505_S_EXEC_BASE + AN505_S_EXEC_SIZE - 1u, MPU_RBAR_AP_RO_ANY);
    mpu_off(1);
    MS_REG32(MPU_CTRL) = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
    __asm volatile("dsb\n\tisb" ::: "memory");
    for (uint32_t i = 0; i < SPM_N_PARTS; i++) {
        restart(i);
    }
}

/* SVC #1 from the kernel (Main stack): enter the partition of the request. */
__attribute__((used)) uint32_t *spm_prepare(uint32_t *frame)
{
    uint32_t pid = frame[0];
    spm_mem_t *m = &part_mem[pid];
    caller_frame = frame;
    current = (int32_t)pid;
    parts[pid].stats.calls++;
    mpu_region(1, (uint32_t)(uintptr_t)m, (uint32_t)(uintptr_t)m + sizeof *m - 1u,
               MPU_RBAR_AP_RW_ANY | MPU_RBAR_XN);
    uint32_t *sp = m->stack + STACK_WORDS - 8u;
    sp[0] = (uint32_t)(uintptr_t)&m->msg;
    sp[1] = (uint32_t)(uintptr_t)m->state;
    sp[2] = sp[3] = sp[4] = 0;
    sp[5] = (uint32_t)(uintptr_t)spm_exit_stub | 1u;
    sp[6] = (uint32_t)(uintptr_t)parts[pid].handler & ~1u;
    sp[7] = 1u << 24;
    __asm volatile("msr psplim, %0" : : "r"((uint32_t)(uintptr_t)m->stack));
    uint32_t control;
    __asm volatile("mrs %0, control" : "=r"(control));
    __asm volatile("msr control, %0" : : "r"(control | 1u) : "memory");   /* nPRIV */
    return sp;
}

static void leave(void)
{
    uint32_t control;
    __asm volatile("mrs %0, control" : "=r"(control));
    __asm volatile("msr control, %0" : : "r"(control & ~1u) : "memory");
    mpu_off(1);
    __asm volatile("msr psplim, %0" : : "r"(0u));
    current = -1;
}

/* SVC #2 from the partition (its process stack): its handler returned. */
__attribute__((used)) void spm_finish(uint32_t *part_frame)
{
    caller_frame[0] = part_frame[0];
    leave();
}

__attribute__((used)) int spm_fault(uint32_t exception, uint32_t cfsr, uint32_t addr)
{
    int32_t pid = current;
    if (pid < 0) {
        return 0;
    }
    parts[pid].stats.faults++;
    parts[pid].stats.restarts++;
    ms_an505_puts("tee: partition ");
    ms_an505_puts(parts[pid].name);
    ms_an505_puts(" fault: exception ");
    ms_an505_put_dec(exception);
    ms_an505_puts(" cfsr=");
    ms_an505_put_hex(cfsr);
    ms_an505_puts(" addr=");
    ms_an505_put_hex(addr);
    ms_an505_puts(": restarted\r\n");
    caller_frame[0] = (uint32_t)PSA_ERROR_SERVICE_FAILURE;
    leave();
    keep_high_water((uint32_t)pid);
    restart((uint32_t)pid);
    return 1;
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
        "msr psp, r0\n\t"
        "mvn lr, #2\n\t"             /* 0xFFFFFFFD: Secure thread, process stack */
        "bx lr\n\t"
        /* from a partition (process stack): only SVC #2 */
        "1:\n\t"
        "mrs r0, psp\n\t"
        "ldr r1, [r0, #24]\n\t"
        "ldrb r1, [r1, #-2]\n\t"
        "cmp r1, #2\n\t"
        "bne 2f\n\t"
        "bl spm_finish\n\t"
        "b spm_resume_kernel\n\t"
        "2:\n\t"
        "mov r0, #11\n\t"
        "mov r1, #0\n\t"
        "mov r2, #0\n\t"
        "bl spm_fault\n\t"
        "b spm_resume_kernel\n\t"
        "3:\n\t"
        "bx lr\n\t");
}

psa_status_t spm_call(uint32_t pid, int32_t type, const void *in, size_t in_len, void *out,
                      size_t cap, size_t *out_len)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    if (pid >= SPM_N_PARTS || in_len > SPM_MSG_DATA || (ipsr & 0x1FFu) != 0 || current >= 0) {
        return PSA_ERROR_BAD_STATE;
    }
    spm_mem_t *m = &part_mem[pid];
    m->msg.type = type;
    m->msg.len = (uint32_t)in_len;
    m->msg.out_len = 0;
    if (in_len != 0) {
        memcpy(m->msg.data, in, in_len);
    }
    register uint32_t r0 __asm("r0") = pid;
    __asm volatile("svc #1" : "+r"(r0) : : "memory");
    psa_status_t st = (psa_status_t)r0;
    size_t n = st == PSA_SUCCESS && m->msg.out_len <= SPM_MSG_DATA ? m->msg.out_len : 0;
    if (n > cap) {
        n = cap;
    }
    if (n != 0) {
        memcpy(out, m->msg.data, n);
    }
    if (out_len != NULL) {
        *out_len = n;
    }
    return st;
}

/* ---- isolation self-test ----------------------------------------------------------------- */

static psa_status_t peek(uint32_t addr)
{
    uint32_t v = 0;
    size_t n = 0;
    return spm_call(SPM_PART_PROBE, SPM_PROBE_PEEK, &addr, 4, &v, sizeof v, &n);
}

ms_err_t spm_selftest(void)
{
    uint32_t before = parts[SPM_PART_PROBE].stats.restarts;
    /* its own state: allowed */
    if (peek((uint32_t)(uintptr_t)part_mem[SPM_PART_PROBE].state) != PSA_SUCCESS) {
        return MS_ERR_STATE;
    }
    /* another partition's state, the kernel's data: each must fault */
    psa_status_t a = peek((uint32_t)(uintptr_t)part_mem[SPM_PART_HEALTH].state);
    psa_status_t b = peek((uint32_t)(uintptr_t)&spm_saved_msp);
    if (a != PSA_ERROR_SERVICE_FAILURE || b != PSA_ERROR_SERVICE_FAILURE ||
        parts[SPM_PART_PROBE].stats.restarts != before + 2u) {
        return MS_ERR_STATE;
    }
    /* a stack overrun: PSPLIM stops it (UsageFault, STKOF), the probe restarts */
    uint32_t depth = STACK_WORDS;   /* ~64 bytes a level: far past 1 KiB */
    uint32_t sum = 0;
    size_t n = 0;
    if (spm_call(SPM_PART_PROBE, SPM_PROBE_DEPTH, &depth, 4, &sum, sizeof sum, &n) !=
            PSA_ERROR_SERVICE_FAILURE ||
        parts[SPM_PART_PROBE].stats.restarts != before + 3u) {
        return MS_ERR_STATE;
    }
    /* and a shallow one works */
    depth = 4;
    if (spm_call(SPM_PART_PROBE, SPM_PROBE_DEPTH, &depth, 4, &sum, sizeof sum, &n) != PSA_SUCCESS) {
        return MS_ERR_STATE;
    }
    /* the other partition still serves */
    uint8_t samples[64];
    for (size_t i = 0; i < sizeof samples; i++) {
        samples[i] = (uint8_t)(i * 37u + 11u);
    }
    psa_status_t st = spm_call(SPM_PART_HEALTH, SPM_HEALTH_FEED, samples, sizeof samples, NULL, 0, NULL);
    if (st != PSA_SUCCESS) {
        return MS_ERR_STATE;
    }
    /* and the probe, restarted, serves again */
    return peek((uint32_t)(uintptr_t)part_mem[SPM_PART_PROBE].state) == PSA_SUCCESS
               ? MS_OK : MS_ERR_STATE;
}

psa_status_t spm_ping(void)
{
    return peek((uint32_t)(uintptr_t)part_mem[SPM_PART_PROBE].state);
}

void spm_stats(uint32_t pid, spm_stats_t *out)
{
    *out = parts[pid].stats;
    uint32_t used = stack_used(&part_mem[pid]);
    if (used > out->stack_used) {
        out->stack_used = used;
    }
}

const char *spm_name(uint32_t pid)
{
    return pid < SPM_N_PARTS ? parts[pid].name : "?";
}
