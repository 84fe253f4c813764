/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee.h - what the Secure image's files share: the door (tee_door.c), the
 * fault policy (tee_fault.c) and the start-up (tee_main.c).
 *
 * Invariants: g_tee_in_call is set exactly while a Non-secure request is
 * being served (Non-secure interrupts may preempt it); the fault log is
 * written only when no request is, or by the request itself (storage is
 * not re-entrant).
 */
#ifndef MS_SECURE_TEE_H
#define MS_SECURE_TEE_H

#include <stdbool.h>
#include <stdint.h>

#include "tee_ns.h"

/* The security controller's combined Secure PPC interrupt (IoT Kit). */
#define TEE_IRQ_PPC 10u

/* The fault log in ITS (a uid reserved for secure partitions). */
#define TEE_UID_FAULT_LOG 0xff00000000000010ull

/* The policy: this many faults or violations within the window reset the meter. */
#define TEE_FAULT_RESET_COUNT 3u
#define TEE_FAULT_WINDOW_MS   10000u

extern volatile bool g_tee_in_call;
/* Set while the TEE runs a Non-secure callback (a veneer's frame is live). */
extern volatile bool g_tee_in_callback;

/* Install the range check and bring the door up. */
void tee_door_init(void);

/* tee_factory.c: serve the factory line on the modem UART while the life
 * cycle is OPEN: record_open is the boot record's word, the OTP is read
 * again (returns at once unless both say OPEN). */
void tee_factory_session(bool record_open);
/* The registered fault trap (0: none), already checked to be NS code. */
uint32_t tee_door_fault_trap(void);
/* 1 if [addr, addr + len) is Non-secure code (callback checks). */
bool tee_ns_code(uint32_t addr);

/* Fault log: load at boot, add a fault or a violation, read out.
 * tee_fault_violation is for the door's entries, which hold the door. */
/* Start the storage partition (mount ITS and PS inside it): the first
 * storage call would do it too; tee_main wants the verdict. */
ms_err_t tee_storage_start(void);

void tee_fault_init(void);
void tee_fault_violation(const char *what, uint32_t addr);
void tee_fault_status(ms_tee_ns_fault_status_t *out);
/* The Non-secure world starts now: from here a fault of Secure code outside
 * a partition is logged and answered by the policy (a reset). */
void tee_fault_handover(void);
/* The Non-secure world returned from its entry (an FNC_RETURN with no call
 * in progress): never legitimate; counted, and the meter resets. */
__attribute__((noreturn)) void tee_fault_ns_returned(void);
/* Write RAM-held counts to storage (outside a request). */
void tee_fault_flush(void);
/* A service's partition was stopped for a fault (the fault handlers; spm.c:
 * the Secure tick found it over its time, exception 15; an SVC it may not
 * make, 11): counted as a fault (log, policy window). */
void tee_fault_partition_counted(uint32_t exception, uint32_t sfsr, uint32_t cfsr,
                                 uint32_t addr);
/* Non-secure code took over while a partition served a message (spm.c):
 * the call is stranded, the door taken. Logged as a violation, counted,
 * and the policy resets. */
__attribute__((noreturn)) void tee_fault_partition_escaped(const char *what);

/* Exception handlers this image overrides (startup.c has the weak ones). */
void SysTick_Handler(void);
void tee_tick(uint32_t exc_return);
void SecureFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void HardFault_Handler(void);
void UsageFault_Handler(void);
void Irq_Handler(void);
void tee_fault(uint32_t exc_return, const uint32_t *r4_11);

#endif /* MS_SECURE_TEE_H */
