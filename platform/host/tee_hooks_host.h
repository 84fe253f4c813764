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
 *     (to model a replaced part) and make the next increment fail.
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

/* Make the next increment of any counter fail with MS_ERR_IO. */
void ms_host_tee_nvc_fail_next(int fail);

#endif /* MS_TEE_HOOKS_HOST_H */
