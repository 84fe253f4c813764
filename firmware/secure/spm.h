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
 * used by the isolation self-test that runs at every boot), secure
 * storage (SPM_PART_STORAGE: PSA ITS and PS, the metering registers; its
 * client is storage_client.c) and the key store with the crypto service
 * (SPM_PART_KEYSTORE: the device's keys and every operation with them; its
 * client is keystore_client.c), initial attestation (SPM_PART_ATTEST,
 * attest_client.c), firmware updates (SPM_PART_UPDATE: staging,
 * decrypting and verifying an update, update_client.c) and the cloud link
 * (SPM_PART_LINK: the TLS session, the signed messages, link_client.c). A partition may
 * also own a device window (storage: its two flash areas; updates: the four
 * image slots; nothing else of the flash) and a crypto
 * pool (Mbed TLS's allocations and its DRBG, ms_crypto_pool_current).
 *
 * A partition may make requests of the kernel while it serves a message
 * (spm_request, SVC #4): the key store reads and writes its ITS records so.
 * The partition's context is saved on its own stack, the kernel serves the
 * request (here: by a message to storage, so still one partition runs at a
 * time) and resumes the partition where it stopped.
 *
 * What a partition may ask of the kernel (SVC #3, ms_an505_kernel_service
 * in tee_hal.h): each partition has a fixed set of services; a pointer it
 * passes must lie in its own memory.
 */
#ifndef MS_SECURE_SPM_H
#define MS_SECURE_SPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "meterseal/error.h"
#include "meterseal/psa/error.h"
#include "meterseal/tee_keystore.h"

#define SPM_PART_HEALTH  0u
#define SPM_PART_PROBE   1u
#define SPM_PART_STORAGE 2u
#define SPM_PART_KEYSTORE 3u
#define SPM_PART_ATTEST  4u
#define SPM_PART_UPDATE  5u
#define SPM_PART_LINK    6u
#define SPM_N_PARTS      7u

/* The largest message: a key store AEAD request (part_keystore.h) with the
 * most the secure API carries (MS_TEE_IO_BUF_LEN); a PS object (1024
 * bytes) with its uid and flags is smaller. */
#define SPM_MSG_DATA 2368u

/* A partition's request to the kernel (spm_request): at most its request
 * block's bytes each way - SPM_REQ_DATA, the link's SPM_REQ_DATA_MAX (a PS
 * record, 1024 bytes, with the storage header) - and at most
 * SPM_MAX_REQUESTS of them per message. */
#define SPM_REQ_DATA     256u
#define SPM_REQ_DATA_MAX 1040u
#define SPM_MAX_REQUESTS 32u

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

/* A request block's header; its data follows in the partition's block
 * (the descriptor names where, and how much). */
typedef struct spm_req {
    int32_t type;
    uint32_t len;        /* bytes of data in */
    uint32_t out_len;    /* bytes of data out */
} spm_req_t;

/* A message word (the CPU's own little-endian order) at any alignment: for
 * the partitions' decoders. */
static inline uint32_t spm_word(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

typedef int32_t (*spm_handler_t)(spm_msg_t *msg, void *state);

/* The kernel's side of a partition's requests: the request (type, in) as
 * copied out of the partition's block; the answer goes to out (at most
 * cap bytes) and is copied back. Runs privileged, in thread mode, while the
 * asking partition waits (it may call spm_call for another partition). */
typedef psa_status_t (*spm_serve_t)(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                                    size_t cap, size_t *out_len);

/* The partitions' handlers: storage (part_storage.c), the key store
 * (part_keystore.c), attestation (part_attest.c), firmware updates
 * (part_update.c). */
int32_t spm_storage_main(spm_msg_t *msg, void *state);
int32_t spm_keystore_main(spm_msg_t *msg, void *state);
int32_t spm_attest_main(spm_msg_t *msg, void *state);
int32_t spm_update_main(spm_msg_t *msg, void *state);
int32_t spm_link_main(spm_msg_t *msg, void *state);
/* What attestation may ask of the kernel (attest_client.c): the IAK's
 * signature and public key, from the key store, as attestation's. */
psa_status_t tee_attest_serve(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len);
/* What the key store may ask of the kernel (keystore_client.c): random
 * bytes from the TEE RNG, and its own ITS records (storage_client.c). */
psa_status_t tee_keystore_serve(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                                size_t cap, size_t *out_len);
psa_status_t tee_storage_serve_keystore(int32_t type, const uint8_t *in, size_t len,
                                        uint8_t *out, size_t cap, size_t *out_len);
/* The kernel's side of a partition's SIGN or EXPORT (part_keystore.h) with
 * its own key: served as `as` for `key` only (another id in the request's
 * header: PSA_ERROR_NOT_PERMITTED), the answer err(4) then the signature or
 * the public key. keystore_client.c. */
psa_status_t tee_keystore_serve_key(ms_tee_partition_t as, ms_tee_key_id_t key, int32_t type,
                                    const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                    size_t *out_len);
/* What the link partition may ask of the kernel (link_client.c): its PS
 * records, the metering registers, its identity key's signature and
 * public key (part_link.h). */
psa_status_t tee_link_serve(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap, size_t *out_len);
psa_status_t tee_storage_serve_link(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                                    size_t cap, size_t *out_len);
/* What the update partition may ask of the kernel (update_client.c): the
 * unwrap of an encrypted image's payload key, during a VERIFY or INSTALL. */
psa_status_t tee_update_serve(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len);

/* Pieces of a message: the request is gathered from in[], the answer
 * scattered over out[] in order. */
typedef struct spm_iov {
    const void *base;
    size_t len;
} spm_iov_t;
typedef struct spm_ovec {
    void *base;
    size_t len;
} spm_ovec_t;

/* Program the Secure MPU, paint the partitions' stacks, start them.
 * MS_ERR_UNSUPPORTED (nothing done) on a core whose Secure MPU has too few
 * regions for the partitions' (2 + their device windows). */
ms_err_t spm_init(void);

/* A message to partition pid (thread mode only, not from a partition).
 * PSA_ERROR_SERVICE_FAILURE when the partition faulted (it was restarted). */
psa_status_t spm_call(uint32_t pid, int32_t type, const void *in, size_t in_len, void *out,
                      size_t cap, size_t *out_len);

/* The same with the request in two pieces, one after the other in the
 * mailbox (a header and a caller's data). */
psa_status_t spm_call2(uint32_t pid, int32_t type, const void *in, size_t in_len,
                       const void *in2, size_t in2_len, void *out, size_t cap, size_t *out_len);

/* The same with the request in n_in pieces and the answer scattered over
 * n_out (*out_len: the bytes copied out in all). */
psa_status_t spm_callv(uint32_t pid, int32_t type, const spm_iov_t *in, size_t n_in,
                       const spm_ovec_t *out, size_t n_out, size_t *out_len);

/* A message whose answer is the service's ms_err_t, then out[] (at most
 * SPM_MAX_VEC pieces; *got: the bytes after the err). From the kernel, to
 * partition pid; from a partition's code, as a request to the kernel
 * (spm_requestv), which routes it by its type. MS_ERR_TEE_SERVICE_FAILED
 * when the partition faulted (restarted), MS_ERR_STATE when it could not
 * be sent now, MS_ERR_INTERNAL for an answer without its err. */
#define SPM_MAX_VEC 4u
ms_err_t spm_call_err(uint32_t pid, int32_t type, const spm_iov_t *in, size_t n_in,
                      const spm_ovec_t *out, size_t n_out, size_t *got);

/* From a partition's own code (unprivileged): one request to the kernel,
 * served by the partition's spm_serve_t (the key store: its ITS records).
 * The partition waits, its context kept, while the kernel serves it -
 * perhaps by calling another partition - and goes on with the answer.
 * PSA_ERROR_BAD_STATE when the partition may make no request, or the
 * request does not fit its request block. */
psa_status_t spm_request(int32_t type, const void *in, size_t in_len, const void *in2,
                         size_t in2_len, void *out, size_t cap, size_t *out_len);
/* The same with the request gathered from in[] and the answer scattered
 * over out[]. */
psa_status_t spm_requestv(int32_t type, const spm_iov_t *in, size_t n_in, const spm_ovec_t *out,
                          size_t n_out, size_t *out_len);

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

/* Whether a partition serves a message now (running, or waiting on its
 * request): then no Non-secure thread code may run. */
bool spm_busy(void);

/* The longest a partition may run for one message: Secure ticks (ms) that
 * preempted it directly, so time spent in Non-secure handlers does not
 * count. Far above what any takes (mounting both stores after a restart, a
 * store's compaction: tens of ms), far below a hung meter. */
#define SPM_CALL_BUDGET_MS 2000u
/* The update partition's: a VERIFY of the largest image (256 KiB, AES-256:
 * AES-CTR and SHA-256 over it, ECDH, two ECDSA-P256 verifies) is some 70 M
 * cycles, 3.5 s on a 20 MHz part; still below SPM_HOLD_MAX_MS. */
#define SPM_UPDATE_BUDGET_MS 6000u
/* The link partition's: its longest message is a TLS handshake step
 * (ECDHE, ECDH, X.509 and two ECDSA-P256 verifies; the key store's
 * signature runs in the key store's time), about a second on a 20 MHz
 * part. */
#define SPM_LINK_BUDGET_MS 6000u

/* The longest one message (the outermost, with the messages its requests
 * caused) may hold the TEE, counting every Secure tick whatever it
 * preempted; past it the meter resets (spm_watchdog). */
#define SPM_HOLD_MAX_MS (4u * SPM_CALL_BUDGET_MS)
_Static_assert(SPM_UPDATE_BUDGET_MS < SPM_HOLD_MAX_MS && SPM_LINK_BUDGET_MS < SPM_HOLD_MAX_MS,
               "a partition's budget ends first");

/* From the Secure tick (exc_return: its EXC_RETURN): a partition over its
 * budget, preempted by this tick, is stopped like a faulting one, its call
 * fails and the kernel goes on (does not return then). Non-secure thread
 * code running while a partition serves a message (it left the Secure
 * state), or a message over SPM_HOLD_MAX_MS: the policy resets. */
void spm_watchdog(uint32_t exc_return);
__attribute__((noreturn)) void spm_resume_kernel(void);

/* Exception handler and the kernel's entry points called from it. */
void SVC_Handler(void);
uint32_t *spm_prepare(uint32_t *caller_frame);
uint32_t spm_finish(uint32_t *part_frame);
uint32_t spm_yield(uint32_t psp);
void spm_kernel_service(uint32_t *part_frame);
uint32_t spm_bad_svc(void);
void spm_exit_stub(void);

#endif /* MS_SECURE_SPM_H */
