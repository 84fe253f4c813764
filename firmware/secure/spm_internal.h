/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spm_internal.h - between the Secure kernel (spm.c) and its built-in
 * partitions and isolation self-test (spm_builtin.c). Not for other code.
 */
#ifndef MS_SECURE_SPM_INTERNAL_H
#define MS_SECURE_SPM_INTERNAL_H

#include <stdint.h>

#include "spm.h"

/* The built-in partitions' blocks: mailbox, state, stack. */
#define SPM_BUILTIN_STACK_WORDS 256u
#define SPM_BUILTIN_STATE_LEN   64u

int32_t spm_health_main(spm_msg_t *msg, void *state);
int32_t spm_probe_main(spm_msg_t *msg, void *state);

/* Partition pid's block [*lo, *hi), its state, its mailbox and its device
 * window's base (0: none): addresses for the self-test's probe to try. */
void spm_block(uint32_t pid, uintptr_t *lo, uintptr_t *hi);
void *spm_state(uint32_t pid);
const spm_msg_t *spm_mailbox(uint32_t pid);
uint32_t spm_device(uint32_t pid);

/* The kernel's saved stack pointer: kernel data the probe must not read. */
extern uint32_t spm_saved_msp;

#endif /* MS_SECURE_SPM_INTERNAL_H */
