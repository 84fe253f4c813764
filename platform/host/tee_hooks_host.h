/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_hooks_host.h - host implementation of the TEE platform hooks of
 * meterseal/tee.h: the hardware unique key and the monotonic NV counters.
 *
 * On a real part the HUK is a fused/OTP secret readable only by the Secure
 * world (or a key-ladder output) and the counters live in OTP bits or an
 * RPMB-like replay-protected block. Here:
 *   - the HUK is set by the program (tests use a fixed value) or loaded from
 *     a 32-byte file, created with fresh random bytes when missing;
 *   - counters live in memory and, if a file is named, are written through
 *     to it so a restarted simulator keeps them. Tests can set a counter
 *     (to model a replaced part), make an increment fail, or share a
 *     flash simulator's power so that a cut falls before or after one.
 */
#ifndef MS_TEE_HOOKS_HOST_H
#define MS_TEE_HOOKS_HOST_H

#include <stdint.h>

#include "meterseal/tee.h"

#define MS_HOST_TEE_NVC_COUNT 8u

/* Use this HUK from now on (copied). NULL forgets it. */
void ms_host_tee_set_huk(const uint8_t huk[MS_TEE_HUK_LEN]);

/* Load the HUK from path (exactly 32 bytes), creating it if missing. */
ms_err_t ms_host_tee_load_huk_file(const char *path);

/* Keep counters in path (created if missing); NULL: memory only. */
ms_err_t ms_host_tee_nvc_file(const char *path);

/* Force a counter's value (tests: a fresh or replaced part). */
void ms_host_tee_nvc_set(uint32_t id, uint64_t value);

/* Make the n-th increment from now of any counter fail with MS_ERR_IO
 * (n = 1: the next one; 0 disarms). */
void ms_host_tee_nvc_fail_next(int n);

/*
 * Power-cut testing: tie the counters to a power flag (a flash simulator's
 * `powered`); while it is 0, reads and increments fail with
 * MS_ERR_POWER_LOST and change nothing. NULL unties them.
 */
void ms_host_tee_nvc_power_link(int *powered);

/* Cut power (*powered = 0) at the n-th increment from now (n >= 1; 0
 * disarms): before it takes effect, or with `after` right after it did. */
void ms_host_tee_nvc_cut_at(uint64_t n, int after);

/* Increments done so far, every counter together (sweeps count cut points). */
uint64_t ms_host_tee_nvc_increments(void);

#endif /* MS_TEE_HOOKS_HOST_H */
