/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spm.h - the Secure kernel's partitions: code that runs UNPRIVILEGED in the
 * Secure world, confined by the Secure MPU to the shared code (read-only,
 * executable) and its own memory block (mailbox, state, stack; read-write,
 * never executable). The kernel - the rest of the Secure image - is the
 * only privileged Secure code once the Non-secure world runs.
 *
 * A partition is reached by message only: spm_call() copies the request
 * into the partition's mailbox, enters the partition's handler in Secure
 * thread mode on its own process stack (SVC, MPU region for its block,
 * PSPLIM at its stack's bottom, CONTROL.nPRIV), and copies the answer out
 * when the handler returns (SVC). The partition never sees a pointer to
 * anything but its own block.
 *
 * A fault of a partition (MemManage from the MPU, a stack overflow, any
 * other) stops it: the kernel logs it, restarts the partition (its block is
 * wiped, its state starts again) and answers the call with
 * PSA_ERROR_SERVICE_FAILURE; the other partitions and the kernel go on.
 *
 * Partitions today: the RNG's entropy health tests (SPM_PART_HEALTH, on the
 * path of every TEE RNG request), the isolation probe (SPM_PART_PROBE,
 * used by the isolation self-test that runs at every boot) and secure
 * storage (SPM_PART_STORAGE: PSA ITS and PS, the metering registers; its
 * client is storage_client.c). A partition may also own a device window
 * (storage: its two flash areas, nothing else of the flash) and a crypto
 * pool (Mbed TLS's allocations and its DRBG, ms_crypto_pool_current).
 *
 * What a partition may ask of the kernel (SVC #3, ms_an505_kernel_service
 * in tee_hal.h): each partition has a fixed set of services; a pointer it
 * passes must lie in its own memory.
 */
#ifndef MS_SECURE_SPM_H
#define MS_SECURE_SPM_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/psa/error.h"

#define SPM_PART_HEALTH  0u
#define SPM_PART_PROBE   1u
#define SPM_PART_STORAGE 2u
#define SPM_N_PARTS      3u

/* The largest message: a PS object (1024 bytes) with its uid and flags. */
#define SPM_MSG_DATA 1056u

/* Message types. */
#define SPM_HEALTH_FEED   1   /* in: raw samples; 0 or PSA_ERROR_INSUFFICIENT_ENTROPY */
#define SPM_HEALTH_STATUS 2   /* out: samples(4) failed(4) */
#define SPM_PROBE_PEEK    1   /* in: address(4); out: the word there */
#define SPM_PROBE_DEPTH   2   /* in: depth(4): use about depth x 64 bytes of stack */

typedef struct spm_msg {
    int32_t type;
    uint32_t len;        /* bytes of data in */
    uint32_t out_len;    /* bytes of data out */
    uint8_t data[SPM_MSG_DATA];
} spm_msg_t;

typedef struct spm_stats {
    uint32_t calls;
    uint32_t faults;
    uint32_t restarts;
    uint32_t stack_used;   /* high-water mark, bytes */
    uint32_t pool_used;    /* its crypto pool's high-water mark since its last restart, bytes */
} spm_stats_t;

typedef int32_t (*spm_handler_t)(spm_msg_t *msg, void *state);

/* The storage partition's handler (part_storage.c). */
int32_t spm_storage_main(spm_msg_t *msg, void *state);

/* Program the Secure MPU, paint the partitions' stacks, start them. */
void spm_init(void);

/* A message to partition pid (thread mode only, not from a partition).
 * PSA_ERROR_SERVICE_FAILURE when the partition faulted (it was restarted). */
psa_status_t spm_call(uint32_t pid, int32_t type, const void *in, size_t in_len, void *out,
                      size_t cap, size_t *out_len);

/* The same with the request in two pieces, one after the other in the
 * mailbox (a header and a caller's data). */
psa_status_t spm_call2(uint32_t pid, int32_t type, const void *in, size_t in_len,
                       const void *in2, size_t in2_len, void *out, size_t cap, size_t *out_len);

/* The isolation self-test: the probe reads its own state (allowed), then
 * the health partition's state and the kernel's (each must fault and the
 * probe be restarted), then the health partition must still serve.
 * MS_OK when all of that held. */
ms_err_t spm_selftest(void);

/* One message to the probe and back (it reads its own state): the cost of
 * entering and leaving a partition (benchmark). */
psa_status_t spm_ping(void);

void spm_stats(uint32_t pid, spm_stats_t *out);
/* How often partition pid was restarted (cheap: no stack scan). */
uint32_t spm_restarts(uint32_t pid);
const char *spm_name(uint32_t pid);

/* The fault path (tee_fault.c): whether a partition was running and has
 * been stopped - the caller then resumes the kernel (spm_resume_kernel) -
 * and whether the fault counts in the fault log and policy (the probe's
 * deliberate faults in the self-test do not). */
#define SPM_FAULT_NONE    0
#define SPM_FAULT_STOPPED 1
#define SPM_FAULT_COUNTED 2
int spm_fault(uint32_t exception, uint32_t cfsr, uint32_t addr);

/* The longest a partition may run for one message: Secure ticks (ms) that
 * preempted it directly, so time spent in Non-secure handlers does not
 * count. Far above what any takes (mounting both stores after a restart, a
 * store's compaction: tens of ms), far below a hung meter. */
#define SPM_CALL_BUDGET_MS 2000u

/* From the Secure tick (exc_return: its EXC_RETURN): a partition over its
 * budget, preempted by this tick, is stopped like a faulting one, its call
 * fails and the kernel goes on (does not return then). */
void spm_watchdog(uint32_t exc_return);
__attribute__((noreturn)) void spm_resume_kernel(void);

/* Exception handler and the kernel's entry points called from it. */
void SVC_Handler(void);
uint32_t *spm_prepare(uint32_t *caller_frame);
void spm_finish(uint32_t *part_frame);
void spm_kernel_service(uint32_t *part_frame);
void spm_bad_svc(void);
void spm_exit_stub(void);

#endif /* MS_SECURE_SPM_H */
