/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtos.c - the Non-secure kernel (rtos.h).
 *
 * Context: each task runs in Non-secure thread mode on its own process
 * stack (PSP), privileged or not (its CONTROL.nPRIV is part of its saved
 * context). PendSV saves CONTROL, r4-r11 and EXC_RETURN on the task's stack,
 * rtos_switch() picks the next task, PendSV restores its registers. The
 * scheduler runs with PRIMASK set, so it never sees half an update.
 *
 * The TEE: a task inside it (a call in progress, preempted by a Non-secure
 * interrupt) has its Secure context on the one Secure stack, so no task
 * switch may happen then - another task's call would be stacked on top of
 * it and the first to resume would take the other's frame. PendSV only
 * notes the switch (EXC_RETURN.S: the interrupted context is Secure); the
 * TEE's door returns every call through rtos_tee_return, which asks for
 * the noted switch (SVC) as the task comes out.
 */
#include "rtos.h"

#include <string.h>

#include "regs/armv8m.h"

#define REG(a) MS_REG32(a)
#define STACK_PAINT 0xC0DEFACEu
#define EXC_RETURN_NS_THREAD_PSP 0xFFFFFFBCu
#define CONTROL_NPRIV 1u
#define CONTROL_SPSEL 2u

static rtos_task_t tasks[RTOS_MAX_TASKS];
static size_t n_tasks;
static rtos_task_t boot_task;
static rtos_task_t *volatile current = &boot_task;
static volatile uint32_t ticks;
static volatile bool switch_noted;   /* a switch put off while the task was in the TEE
                                        or held the scheduler lock (rtos_sched_lock) */
static uint32_t serials;              /* tasks created so far */
static volatile bool slice_over;     /* the tick ended the running task's time slice */
static uint32_t slices;              /* time slices ended so far */
static uint32_t idle_stack[128];
static uint32_t boot_stack[64];

static uint32_t irq_save(void)
{
    uint32_t p;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(p) : : "memory");
    return p;
}

static void irq_restore(uint32_t p)
{
    __asm volatile("msr primask, %0" : : "r"(p) : "memory");
}

static void pend_switch(void)
{
    REG(SCB_ICSR) = ICSR_PENDSVSET;
    __asm volatile("dsb\n\tisb" ::: "memory");
}

static void task_end_trampoline(void)
{
    rtos_task_exit();
}

rtos_task_t *rtos_task_create(const char *name, void (*fn)(void *), void *arg, uint8_t prio,
                              uint32_t *stack, size_t stack_words)
{
    return rtos_task_create_ex(name, fn, arg, prio, stack, stack_words, false);
}

rtos_task_t *rtos_task_create_ex(const char *name, void (*fn)(void *), void *arg, uint8_t prio,
                                 uint32_t *stack, size_t stack_words, bool unprivileged)
{
    if (n_tasks >= RTOS_MAX_TASKS || stack_words < 64u) {
        return NULL;
    }
    uint32_t p = irq_save();
    rtos_task_t *t = NULL;
    for (size_t i = 0; i < n_tasks; i++) {
        if (tasks[i].state == RTOS_DEAD && tasks[i].stack == stack) {
            t = &tasks[i];   /* a restarted task reuses its slot */
        }
    }
    if (t == NULL) {
        t = &tasks[n_tasks++];
    }
    for (size_t i = 0; i < stack_words; i++) {
        stack[i] = STACK_PAINT;
    }
    uint32_t *sp = stack + stack_words;
    sp = (uint32_t *)((uintptr_t)sp & ~7u);
    *--sp = 1u << 24;                                      /* xPSR: Thumb */
    *--sp = (uint32_t)(uintptr_t)fn | 1u;                  /* pc */
    *--sp = (uint32_t)(uintptr_t)task_end_trampoline | 1u; /* lr */
    *--sp = 0;                                             /* r12 */
    *--sp = 0;                                             /* r3 */
    *--sp = 0;                                             /* r2 */
    *--sp = 0;                                             /* r1 */
    *--sp = (uint32_t)(uintptr_t)arg;                      /* r0 */
    *--sp = EXC_RETURN_NS_THREAD_PSP;
    for (int i = 0; i < 8; i++) {
        *--sp = 0;                                         /* r11..r4 */
    }
    *--sp = CONTROL_SPSEL | (unprivileged ? CONTROL_NPRIV : 0u);   /* CONTROL */
    *t = (rtos_task_t){ .sp = sp, .stack = stack, .stack_words = stack_words, .name = name,
                        .prio = prio, .state = RTOS_READY, .serial = ++serials };
    irq_restore(p);
    if (current != &boot_task && prio > current->prio) {
        pend_switch();
    }
    return t;
}

static void idle(void *arg)
{
    (void)arg;
    for (;;) {
        __asm volatile("wfi");
    }
}

void rtos_init(void)
{
    n_tasks = 0;
    boot_task = (rtos_task_t){ .name = "boot", .state = RTOS_DEAD };
    current = &boot_task;
    rtos_task_create("idle", idle, NULL, 0, idle_stack, sizeof idle_stack / 4u);
}

/* Highest priority ready task; among equals, the one whose time slice ended
 * longest ago (round-robin: a task a higher one preempted keeps its turn,
 * one whose slice the tick ended goes behind its equals). */
static rtos_task_t *pick(void)
{
    rtos_task_t *best = NULL;
    for (size_t i = 0; i < n_tasks; i++) {
        rtos_task_t *t = &tasks[i];
        if (t->state != RTOS_READY) {
            continue;
        }
        if (best == NULL || t->prio > best->prio ||
            (t->prio == best->prio && (int32_t)(t->slice_end - best->slice_end) < 0)) {
            best = t;
        }
    }
    return best;
}

__attribute__((used)) uint32_t *rtos_switch(uint32_t *sp)
{
    uint32_t p = irq_save();
    current->sp = sp;
    if (current->sched_locks != 0 && current->state == RTOS_READY) {
        switch_noted = true;   /* rtos_sched_unlock pends it again */
        irq_restore(p);
        return sp;
    }
    if (slice_over) {
        slice_over = false;
        current->slice_end = ++slices;
    }
    current = pick();
    irq_restore(p);
    return current->sp;
}

/* PendSV interrupted Secure code: the switch waits for rtos_tee_return. */
__attribute__((used)) void rtos_note_switch(void)
{
    switch_noted = true;
}

__attribute__((naked)) void PendSV_Handler(void)
{
    __asm volatile("tst lr, #0x40\n\t"        /* EXC_RETURN.S */
                   "bne.w rtos_note_switch\n\t"
                   "mrs r0, psp\n\t"
                   "mrs r1, control\n\t"
                   "stmdb r0!, {r1, r4-r11, lr}\n\t"
                   "bl rtos_switch\n\t"
                   "ldmia r0!, {r1, r4-r11, lr}\n\t"
                   "msr control, r1\n\t"
                   "msr psp, r0\n\t"
                   "bx lr\n\t");
}

/* SVC #0 from rtos_tee_return: the switch PendSV noted, now. */
void SVC_Handler(void)
{
    if (switch_noted) {
        switch_noted = false;
        pend_switch();
    }
}

/* The TEE's door returns here after every call (MS_TEE_NS_CB_RETURN), the
 * Secure stack unwound: r0 the call's result, r1 the caller's return
 * address. From thread mode, privileged or not, SVC lets a noted switch
 * happen before the task goes on; from a handler, or with PRIMASK or
 * FAULTMASK set (SVC would escalate), the switch comes with the next tick. */
__attribute__((naked)) void rtos_tee_return(void)
{
    __asm volatile("mrs r2, ipsr\n\t"
                   "cbnz r2, 1f\n\t"
                   "mrs r2, primask\n\t"   /* SVC would escalate to a HardFault */
                   "cbnz r2, 1f\n\t"
                   "mrs r2, faultmask\n\t"
                   "cbnz r2, 1f\n\t"
                   "svc #0\n"
                   "1:\n\t"
                   "orr r1, r1, #1\n\t"
                   "bx r1\n\t");
}

void SysTick_Handler(void)
{
    ticks++;
    for (size_t i = 0; i < n_tasks; i++) {
        rtos_task_t *t = &tasks[i];
        if (t->state == RTOS_BLOCKED && t->wake_at != RTOS_WAIT_FOREVER &&
            (int32_t)(ticks - t->wake_at) >= 0) {
            t->state = RTOS_READY;
            t->timed_out = true;
        }
    }
    slice_over = true;
    pend_switch();
}

__attribute__((noreturn)) void rtos_start(void)
{
    REG(SCB_SHPR3) = (0xFFu << 16) | (0x80u << 24);   /* PendSV lowest, SysTick above */
    REG(SCB_SHPR2) = 0;   /* SVC highest: no BASEPRI masks rtos_tee_return's SVC */
    REG(SYST_RVR) = 20000u - 1u;                       /* 1 ms at 20 MHz */
    REG(SYST_CVR) = 0;
    REG(SYST_CSR) = 7u;
    /* Run on a process stack from here, so the first switch has a frame to save. */
    uint32_t top = (uint32_t)(uintptr_t)(boot_stack + sizeof boot_stack / 4u);
    __asm volatile("msr psp, %0\n\t"
                   "mrs r1, control\n\t"
                   "orr r1, r1, #2\n\t"
                   "msr control, r1\n\t"
                   "isb\n\t" : : "r"(top) : "r1", "memory");
    pend_switch();
    __asm volatile("cpsie i" ::: "memory");
    for (;;) {
    }
}

void rtos_sched_lock(void)
{
    uint32_t p = irq_save();
    current->sched_locks++;
    irq_restore(p);
}

void rtos_sched_unlock(void)
{
    uint32_t p = irq_save();
    bool go = current->sched_locks != 0 && --current->sched_locks == 0 && switch_noted;
    if (go) {
        switch_noted = false;
    }
    irq_restore(p);
    if (go) {
        pend_switch();
    }
}

size_t rtos_self_slot(void)
{
    rtos_task_t *t = current;
    return t == &boot_task ? RTOS_MAX_TASKS : (size_t)(t - tasks);
}

uint32_t rtos_ticks(void)
{
    return ticks;
}

rtos_task_t *rtos_self(void)
{
    return current;
}

static void block(uint32_t timeout_ms, void *on)
{
    current->state = RTOS_BLOCKED;
    current->timed_out = false;
    current->waiting_on = on;
    current->wake_at = timeout_ms == RTOS_WAIT_FOREVER ? RTOS_WAIT_FOREVER : ticks + timeout_ms;
    pend_switch();
}

void rtos_delay(uint32_t ms)
{
    uint32_t p = irq_save();
    block(ms, NULL);
    irq_restore(p);
}

void rtos_yield(void)
{
    pend_switch();
}

__attribute__((noreturn)) void rtos_task_exit(void)
{
    irq_save();
    current->state = RTOS_DEAD;
    pend_switch();
    __asm volatile("cpsie i" ::: "memory");
    for (;;) {
    }
}

void rtos_fault_trap(uint32_t reason)
{
    current->fault_reason = reason;
    rtos_task_exit();
}

size_t rtos_stack_used(const rtos_task_t *t)
{
    size_t i = 0;
    while (i < t->stack_words && t->stack[i] == STACK_PAINT) {
        i++;
    }
    return (t->stack_words - i) * 4u;
}

/* ---- semaphores ------------------------------------------------------------------ */

void rtos_sem_init(rtos_sem_t *s, uint32_t initial, uint32_t max)
{
    s->count = initial;
    s->max = max;
}

bool rtos_sem_take(rtos_sem_t *s, uint32_t timeout_ms)
{
    current->timed_out = false;
    for (;;) {
        uint32_t p = irq_save();
        if (s->count > 0) {
            s->count--;
            current->waiting_on = NULL;
            irq_restore(p);
            return true;
        }
        if (timeout_ms == 0 || current->timed_out) {
            current->timed_out = false;
            current->waiting_on = NULL;
            irq_restore(p);
            return false;
        }
        block(timeout_ms, s);
        irq_restore(p);   /* the switch happens here */
    }
}

void rtos_sem_give(rtos_sem_t *s)
{
    uint32_t p = irq_save();
    if (s->count < s->max) {
        s->count++;
    }
    bool higher = false;
    for (size_t i = 0; i < n_tasks; i++) {
        rtos_task_t *t = &tasks[i];
        if (t->state == RTOS_BLOCKED && t->waiting_on == s) {
            t->state = RTOS_READY;
            t->timed_out = false;
            higher = higher || t->prio > current->prio;
            break;
        }
    }
    irq_restore(p);
    if (higher) {
        pend_switch();
    }
}

/* ---- queues ------------------------------------------------------------------------ */

void rtos_queue_init(rtos_queue_t *q, void *buf, size_t item, size_t cap)
{
    q->buf = buf;
    q->item = item;
    q->cap = cap;
    q->head = q->n = 0;
    rtos_sem_init(&q->items, 0, (uint32_t)cap);
    rtos_sem_init(&q->slots, (uint32_t)cap, (uint32_t)cap);
}

bool rtos_queue_send(rtos_queue_t *q, const void *item, uint32_t timeout_ms)
{
    if (!rtos_sem_take(&q->slots, timeout_ms)) {
        return false;
    }
    uint32_t p = irq_save();
    memcpy(q->buf + ((q->head + q->n) % q->cap) * q->item, item, q->item);
    q->n++;
    irq_restore(p);
    rtos_sem_give(&q->items);
    return true;
}

bool rtos_queue_receive(rtos_queue_t *q, void *item, uint32_t timeout_ms)
{
    if (!rtos_sem_take(&q->items, timeout_ms)) {
        return false;
    }
    uint32_t p = irq_save();
    memcpy(item, q->buf + q->head * q->item, q->item);
    q->head = (q->head + 1u) % q->cap;
    q->n--;
    irq_restore(p);
    rtos_sem_give(&q->slots);
    return true;
}
