/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee.h - common ground of the TEE secure services (M8..M11).
 *
 * The services (secure storage, key store + crypto service, RNG, initial
 * attestation) are secure partitions reached only through the dispatcher
 * (tee_dispatch.h). This header holds what they share:
 *   - partition identities (who is calling; used by key usage policies and
 *     storage namespaces);
 *   - the platform hooks the TEE needs beyond hal.h: the hardware unique key
 *     (HUK) and the monotonic non-volatile counters used for storage
 *     anti-rollback. A real part backs them with OTP / fuses / an RPMB-like
 *     replay-protected block; the host platform implements them in
 *     platform/host/tee_hooks_host.c (docs/secure-storage.md);
 *   - the mapping from ms_err_t to psa_status_t at the PSA API boundary.
 */
#ifndef MS_TEE_H
#define MS_TEE_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/psa/error.h"

/* Callers. Non-secure clients are negative in PSA; we keep one NS identity. */
typedef enum ms_tee_partition {
    MS_TEE_PART_NSPE = 0,      /* the Non-secure world (metering app, RTOS) */
    MS_TEE_PART_STORAGE = 1,   /* secure storage partition */
    MS_TEE_PART_CRYPTO = 2,    /* key store + crypto service */
    MS_TEE_PART_ATTEST = 3,    /* initial attestation */
    MS_TEE_PART_BOOT = 4,      /* the boot loader handing over (provisioning) */
    MS_TEE_PART_LINK = 5,      /* the cloud link: TLS channel, signed readings, commands */
    MS_TEE_PART_COUNT_
} ms_tee_partition_t;

/* Bit for a partition in a policy mask. */
#define MS_TEE_PART_BIT(p) (1u << (unsigned)(p))

/*
 * A partition's static state: MS_TEE_PART_DATA(storage) after a static
 * object's declarator. Where the platform confines partitions with an MPU
 * (MS_TEE_PARTITION_SECTIONS; the AN505 TEE), it puts the object in that
 * partition's memory, a section the linker script gathers into one MPU
 * region, zeroed by the Secure kernel at start and at every restart: the
 * object must be zero-initialised and read all-zero as "not started".
 * Elsewhere it is ordinary static data.
 */
#if defined(MS_TEE_PARTITION_SECTIONS)
#define MS_TEE_PART_DATA(part) __attribute__((section(".bss.ms_part." #part)))
#else
#define MS_TEE_PART_DATA(part)
#endif

/* ---- platform hooks (link-time, like ms_hal_rng_entropy) ---------------- */

#define MS_TEE_HUK_LEN 32u

/*
 * The 32-byte hardware unique key. Only the platform's own code calls this
 * (the storage keys below, its drivers); nothing returns it to a caller.
 * MS_ERR_STATE if the part has no key provisioned.
 */
ms_err_t ms_tee_hal_huk(uint8_t out[MS_TEE_HUK_LEN]);

/*
 * A 32-byte key of secure storage derived from the HUK for `label` (a
 * string of at most MS_TEE_STORAGE_LABEL_MAX characters):
 * ms_tee_storage_key_from_huk() (tee_storage.h). Where storage runs in an
 * isolated partition, the platform's Secure kernel derives it, so the HUK
 * never enters the partition. MS_ERR_STATE without a HUK.
 */
#define MS_TEE_STORAGE_LABEL_MAX 31u
ms_err_t ms_tee_hal_storage_key(const char *label, uint8_t out[32]);

/* Monotonic NV counters (anti-rollback). ids are small integers. */
#define MS_TEE_NVC_ITS 0u
#define MS_TEE_NVC_PS  1u

/* Current value of counter `id` (0 on a fresh part). */
ms_err_t ms_tee_hal_nvc_read(uint32_t id, uint64_t *value);
/* Add one to counter `id`; never goes back. */
ms_err_t ms_tee_hal_nvc_increment(uint32_t id);

/*
 * Random bytes from the TEE's health-tested RNG (ms_tee_rng_generate,
 * tee_rng.h), for code that may run apart from the RNG's state: the key
 * store's key material. Where the key store runs in an isolated partition,
 * the platform's Secure kernel draws them for it.
 */
ms_err_t ms_tee_hal_rng_generate(uint8_t *out, size_t len);

/* ---- status mapping ----------------------------------------------------- */

/* psa_status_t for an internal error at the PSA API boundary. */
psa_status_t ms_tee_psa_status(ms_err_t err);

#endif /* MS_TEE_H */
