/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtos.h - the Non-secure world's small preemptive kernel (M1).
 *
 *   - fixed-priority preemptive scheduling (higher number runs first;
 *     round-robin among equals: the tick ends the running task's slice,
 *     a task a higher one preempted keeps its turn), a 1 kHz SysTick (the
 *     Non-secure one: the Security Extension banks it), PendSV switches;
 *   - tasks on static stacks (painted: rtos_stack_used() gives the high-water
 *     mark), delays, counting semaphores (give from interrupts too),
 *     fixed-size message queues, a mutex for the TEE (priority inheritance
 *     is not needed: only one task of each priority calls the TEE);
 *   - a task the TEE's fault policy ends (the fault trap, tee_ns.h) is
 *     marked dead with its reason; the others go on;
 *   - the idle task sleeps (WFI) until the next interrupt.
 * Invariants: scheduler state changes with interrupts masked (PRIMASK);
 * every task's first word in its control block is its saved stack pointer
 * (PendSV relies on it); no task switch while the running task is inside
 * the TEE (interrupts are served then): it happens as the task comes out,
 * through the TEE's return trampoline (rtos_tee_return).
 */
#ifndef MS_NS_RTOS_H
#define MS_NS_RTOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTOS_MAX_TASKS 10u
#define RTOS_WAIT_FOREVER 0xFFFFFFFFu

typedef enum rtos_state {
    RTOS_READY = 0,
    RTOS_BLOCKED,
    RTOS_DEAD,
} rtos_state_t;

typedef struct rtos_task {
    uint32_t *sp;               /* first: PendSV saves and loads it */
    uint32_t *stack;
    size_t stack_words;
    const char *name;
    uint8_t prio;
    rtos_state_t state;
    uint32_t wake_at;           /* tick to wake a blocked task (timeout) */
    bool timed_out;
    void *waiting_on;           /* semaphore or queue, or NULL */
    uint32_t fault_reason;      /* why the TEE's policy ended it (0: it did not) */
    uint32_t slice_end;         /* when the tick last ended its time slice (round-robin) */
    uint32_t serial;            /* which task this is: a restarted one in the same slot differs */
    uint8_t sched_locks;        /* its rtos_sched_lock depth */
} rtos_task_t;

typedef struct rtos_sem {
    volatile uint32_t count;
    uint32_t max;
} rtos_sem_t;

typedef struct rtos_queue {
    uint8_t *buf;
    size_t item;
    size_t cap;
    size_t head, n;
    rtos_sem_t items, slots;
} rtos_queue_t;

void rtos_init(void);
rtos_task_t *rtos_task_create(const char *name, void (*fn)(void *), void *arg, uint8_t prio,
                              uint32_t *stack, size_t stack_words);
/* The same, running unprivileged when `unprivileged` (CONTROL.nPRIV): such
 * a task may call the TEE but no kernel service (they touch the SCS). */
rtos_task_t *rtos_task_create_ex(const char *name, void (*fn)(void *), void *arg, uint8_t prio,
                                 uint32_t *stack, size_t stack_words, bool unprivileged);
/* Start scheduling; never returns. */
__attribute__((noreturn)) void rtos_start(void);

uint32_t rtos_ticks(void);
void rtos_delay(uint32_t ms);
void rtos_yield(void);
/* End the calling task. */
__attribute__((noreturn)) void rtos_task_exit(void);
rtos_task_t *rtos_self(void);
/* The calling task's slot: 0 .. RTOS_MAX_TASKS - 1, RTOS_MAX_TASKS before
 * rtos_start. */
size_t rtos_self_slot(void);
/* No switch away from the calling task until its matching unlock (they
 * nest; the count is the task's own, so a task that blocks or ends while
 * holding it is switched out anyway and holds up no other): for a few
 * instructions that must not be split between tasks. Interrupts are still
 * served; a switch due meanwhile happens at the last unlock. Privileged
 * tasks only. */
void rtos_sched_lock(void);
void rtos_sched_unlock(void);
size_t rtos_stack_used(const rtos_task_t *t);

void rtos_sem_init(rtos_sem_t *s, uint32_t initial, uint32_t max);
/* true: taken; false: timed out. */
bool rtos_sem_take(rtos_sem_t *s, uint32_t timeout_ms);
void rtos_sem_give(rtos_sem_t *s);   /* also from an interrupt */

void rtos_queue_init(rtos_queue_t *q, void *buf, size_t item, size_t cap);
bool rtos_queue_send(rtos_queue_t *q, const void *item, uint32_t timeout_ms);
bool rtos_queue_receive(rtos_queue_t *q, void *item, uint32_t timeout_ms);

/* The TEE's fault trap (registered with ms_tee_ns_register). */
void rtos_fault_trap(uint32_t reason);

/* Exception handlers this kernel provides. */
void SysTick_Handler(void);
void PendSV_Handler(void);
void SVC_Handler(void);
uint32_t *rtos_switch(uint32_t *sp);
void rtos_note_switch(void);

/* The TEE's return trampoline (register it as MS_TEE_NS_CB_RETURN): a task
 * switch put off while the task was inside the TEE happens here. */
void rtos_tee_return(void);

#endif /* MS_NS_RTOS_H */
