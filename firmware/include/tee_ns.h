/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_ns.h - the secure API's door on the AN505: the non-secure callable
 * entry functions (veneers) of the Secure image, as the Non-secure image
 * sees them. The Secure image links with --cmse-implib and produces an
 * import library (secure_tee_cmse.o) holding exactly these symbols; the
 * Non-secure image links that object and nothing else of the Secure side.
 *
 * Every entry:
 *   - checks each pointer it is given with cmse_check_address_range()
 *     (Non-secure, read or read-write, unprivileged when the caller was
 *     unprivileged; and inside Non-secure RAM or the Non-secure image, never
 *     a peripheral) before reading through it, then works on copies;
 *   - refuses a re-entrant call (a Non-secure interrupt that calls the TEE
 *     while a call is in progress) with PSA_ERROR_CONNECTION_BUSY: the TEE
 *     is one thread of work, which Non-secure interrupts may preempt; the
 *     Non-secure kernel must not switch tasks while a task is inside it
 *     (one Secure stack), so every entry but ms_tee_ns_ping returns through
 *     the kernel's return trampoline (MS_TEE_NS_CB_RETURN), where a switch
 *     put off meanwhile can happen;
 *   - logs and counts every refused pointer as a violation (fault policy,
 *     docs/an505.md).
 * Integers are the callee's (32-bit) sizes: size_t is 32 bits on both sides.
 *
 * The two images are built and released together, but each is updated on
 * its own: the Non-secure kernel first says which version of this header it
 * was built with (ms_tee_ns_hello). Until it has named the TEE's own
 * version, every entry but ms_tee_ns_hello and ms_tee_ns_ping answers
 * PSA_ERROR_NOT_SUPPORTED, so an image built against another layout of
 * these structs never has the TEE read or write one (an image that predates
 * the handshake never names it).
 */
#ifndef MS_FIRMWARE_TEE_NS_H
#define MS_FIRMWARE_TEE_NS_H

#include <stdint.h>

#include "meterseal/tee_dispatch.h"

/* The version of this interface: raise it whenever an entry's arguments,
 * their meaning, or a struct below changes (the sizes are checked at build
 * time in tee_door.c, so a struct cannot change unnoticed). */
#define MS_TEE_NS_ABI 4u

/* One psa_call()-like request (ms_tee_call() in tee_dispatch.h). */
typedef struct ms_tee_ns_req {
    uint32_t sid;
    int32_t type;
    const ms_tee_invec_t *in_vec;
    uint32_t in_len;
    ms_tee_outvec_t *out_vec;
    uint32_t out_len;
} ms_tee_ns_req_t;

/* Callbacks the Non-secure kernel registers (ms_tee_ns_register). */
#define MS_TEE_NS_CB_DONE  1u   /* void fn(uint32_t sid, int32_t status): a request finished;
                                   runs with NS interrupts masked on top of the entry's
                                   frame: keep it short, no task switch in it */
#define MS_TEE_NS_CB_FAULT 2u   /* void fn(uint32_t reason): the faulting task's trap */
#define MS_TEE_NS_CB_RETURN 3u  /* every door call but ms_tee_ns_ping returns here, the Secure
                                   stack unwound: r0 the result, r1 the caller's return
                                   address (bit 0 clear); it must go on to r1 | 1 with r0 */

typedef void (*ms_tee_ns_done_fn)(uint32_t sid, int32_t status);
typedef void (*ms_tee_ns_fault_fn)(uint32_t reason);

/* What the TEE's fault log holds (ms_tee_ns_fault_status). */
typedef struct ms_tee_ns_fault_status {
    uint32_t faults;          /* hardware faults of the Non-secure world, ever */
    uint32_t violations;      /* refused pointers / callbacks at the door, ever */
    uint32_t policy_resets;   /* resets the policy ordered, ever */
    uint32_t last_exception;  /* IPSR number of the last fault */
    uint32_t last_sfsr;
    uint32_t last_cfsr;
    uint32_t last_addr;       /* faulting data address (decoded when QEMU gives none) */
    uint32_t last_pc;
} ms_tee_ns_fault_status_t;

/* Reasons the fault trap gets. */
#define MS_TEE_NS_FAULT_SECURE 1u   /* SecureFault: SAU/IDAU */
#define MS_TEE_NS_FAULT_BUS    2u   /* BusFault: MPC/PPC */
#define MS_TEE_NS_FAULT_OTHER  3u

/* The Secure partitions as the isolation self-test leaves them. */
#define MS_TEE_NS_PARTS 7u
typedef struct ms_tee_ns_selftest {
    int32_t result;                 /* 0: isolation held */
    uint32_t calls[MS_TEE_NS_PARTS];
    uint32_t faults[MS_TEE_NS_PARTS];
    uint32_t restarts[MS_TEE_NS_PARTS];
    uint32_t stack_used[MS_TEE_NS_PARTS];
    uint32_t pool_used[MS_TEE_NS_PARTS];   /* crypto pool high-water since the last restart */
} ms_tee_ns_selftest_t;

/* The Non-secure kernel's first call: `abi` is the MS_TEE_NS_ABI it was
 * built with. PSA_SUCCESS opens the door; PSA_ERROR_NOT_SUPPORTED (logged
 * on the Secure console) keeps or puts it shut. Privileged callers only
 * (PSA_ERROR_NOT_PERMITTED, a violation, and the door as it was). */
int32_t ms_tee_ns_hello(uint32_t abi);
int32_t ms_tee_ns_call(const ms_tee_ns_req_t *req);
/* Run the TEE's isolation self-test again (one Secure partition reads
 * another's state and the kernel's: each must fault and the partition be
 * restarted while the other keeps serving). */
int32_t ms_tee_ns_selftest(ms_tee_ns_selftest_t *out);
int32_t ms_tee_ns_register(uint32_t which, uint32_t fn);
int32_t ms_tee_ns_fault_status(ms_tee_ns_fault_status_t *out);
/* NS -> veneer -> kernel -> a Secure partition (unprivileged) -> back: the
 * probe partition reads its own state (world-switch benchmark). */
int32_t ms_tee_ns_part_ping(void);
/* The modem line (UART1, Secure): the Non-secure comms task moves the TLS
 * records the TEE made (and only those: the plaintext never leaves the
 * TEE) to and from the modem. write: len <= MS_TEE_NS_MODEM_MAX bytes,
 * returns the bytes written or a negative PSA status; read: never waits
 * for a first byte, takes what arrives until the line is quiet for a
 * moment or cap bytes, returns the count or a negative PSA status.
 * Privileged callers only (PSA_ERROR_NOT_PERMITTED, a violation); a line
 * that takes no byte for 50 ms fails the write
 * (PSA_ERROR_COMMUNICATION_FAILURE). */
#define MS_TEE_NS_MODEM_MAX 512u
int32_t ms_tee_ns_modem_write(const void *buf, uint32_t len);
int32_t ms_tee_ns_modem_read(void *buf, uint32_t cap);
/* What the boot loader handed over for image 0 (Secure) or 1 (Non-secure):
 * the version running now and whether it is confirmed (the measured boot
 * record). PSA_ERROR_INVALID_ARGUMENT for another image. */
typedef struct ms_tee_ns_image {
    uint8_t major, minor;
    uint16_t revision;
    uint32_t build;
    uint32_t confirmed;       /* 0: a test image the next boot reverts unless confirmed */
} ms_tee_ns_image_t;
int32_t ms_tee_ns_running_image(uint32_t image, ms_tee_ns_image_t *out);

/* Reset the meter now (an installed update waits for it). Privileged
 * Non-secure code only (PSA_ERROR_NOT_PERMITTED, a violation, otherwise);
 * does not return when it succeeds. */
int32_t ms_tee_ns_reboot(void);

/* The shortest way in and out (world-switch benchmark): returns x + 1. */
uint32_t ms_tee_ns_ping(uint32_t x);

#endif /* MS_FIRMWARE_TEE_NS_H */
