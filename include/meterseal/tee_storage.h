/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_storage.h - the secure storage partition (M8, M9): PSA Internal
 * Trusted Storage and Protected Storage (psa/internal_trusted_storage.h,
 * psa/protected_storage.h) over two ms_tee_store instances, plus the typed
 * API the metering application uses for its money and energy registers.
 *
 * Keys: both stores' AES-256-GCM and state-MAC keys are derived at init
 * with HKDF-SHA256 from the hardware unique key (ms_tee_hal_storage_key:
 * the platform derives them, the partition never holds the HUK); the
 * derived keys never leave this partition.
 *
 * UID space: uids with the top byte 0xFF are reserved for secure
 * partitions (key store, metering registers, device identity); the
 * dispatcher refuses them to Non-secure callers.
 */
#ifndef MS_TEE_STORAGE_H
#define MS_TEE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/hal.h"
#include "meterseal/psa/internal_trusted_storage.h"
#include "meterseal/psa/protected_storage.h"
#include "meterseal/tee.h"
#include "meterseal/tee_store.h"

/* Sizes of the two stores (static buffers in the partition). */
#define MS_TEE_ITS_MAX_OBJECTS 32u
#define MS_TEE_ITS_MAX_DATA    512u
#define MS_TEE_PS_MAX_OBJECTS  32u
#define MS_TEE_PS_MAX_DATA     1024u

/*
 * Longest caller buffer the PSA storage functions accept. No caller owns
 * more memory than this (it is more than the RAM of any part the core
 * targets), so a longer [p_data, p_data + length) cannot be memory the
 * caller may access: PSA_ERROR_INVALID_ARGUMENT, as for a range that wraps
 * around the address space.
 */
#define MS_TEE_STORAGE_MAX_BUFFER 0x100000u

/* The creation flags the stores support. */
#define MS_TEE_STORAGE_SUPPORTED_FLAGS                                            \
    (PSA_STORAGE_FLAG_WRITE_ONCE | PSA_STORAGE_FLAG_NO_CONFIDENTIALITY |        \
     PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION)

/* The storage keys' derivation: HKDF-SHA256 with this salt, the HUK as
 * input key and the key's label as info (docs/secure-storage.md). For the
 * platforms' ms_tee_hal_storage_key(): MS_ERR_ARG for a label longer than
 * MS_TEE_STORAGE_LABEL_MAX. */
#define MS_TEE_STORAGE_KEY_SALT "MeterSeal secure storage v1"
ms_err_t ms_tee_storage_key_from_huk(const uint8_t huk[MS_TEE_HUK_LEN], const char *label,
                                     uint8_t out[MS_TEE_STORE_KEY_LEN]);

/* A caller's buffer the PSA storage functions accept: len 0, or non-NULL,
 * not wrapping, at most MS_TEE_STORAGE_MAX_BUFFER long. */
bool ms_tee_storage_buffer_ok(const void *p, size_t len);

/* Reserved uids (top byte 0xFF: secure partitions only). */
#define MS_TEE_UID_RESERVED_MIN   0xff00000000000000ull
#define MS_TEE_UID_DEVICE_ID      0xff00000000000001ull  /* PS: device identity string */
#define MS_TEE_UID_CLOUD_CRED     0xff00000000000002ull  /* PS: cloud credentials */
#define MS_TEE_UID_METER          0xff00000000000003ull  /* PS: energy + balance */
#define MS_TEE_UID_KEY_BASE       0xff00000100000000ull  /* ITS: key store, + key id */

/*
 * Mount ITS and PS on their flash areas (each >= 2 sectors) with keys
 * derived from the HUK. Unmounts a previous instance first. Returns the
 * first failure (MS_ERR_TEE_ROLLBACK when a store was rolled back).
 */
ms_err_t ms_tee_storage_init(const ms_flash_area_t *its_area, const ms_flash_area_t *ps_area);

/* Wipe keys and indexes (power-off, tests). */
void ms_tee_storage_deinit(void);

/* The store behind ITS / PS (statistics, benchmarks); NULL if not mounted. */
ms_tee_store_t *ms_tee_storage_its(void);
ms_tee_store_t *ms_tee_storage_ps(void);

/* ---- metering registers (M9: metering data, money balance) ------------------ */

typedef struct ms_tee_meter_reg {
    uint64_t energy_wh;      /* cumulative energy register, Wh */
    int64_t balance_milli;   /* prepaid balance, thousandths of the currency */
    uint64_t updates;        /* number of successful updates */
} ms_tee_meter_reg_t;

/* Read the registers; all zero if never written. MS_ERR_TEE_CORRUPT. */
ms_err_t ms_tee_meter_read(ms_tee_meter_reg_t *out);

/*
 * Add energy and change the balance in one atomic record write (a power
 * cut leaves both old or both new). MS_ERR_ARG on overflow of either
 * register; the registers are then unchanged. *out (may be NULL) gets the
 * new values.
 */
ms_err_t ms_tee_meter_add(uint64_t energy_wh, int64_t balance_delta_milli,
                          ms_tee_meter_reg_t *out);

/* ---- the service's own entry points ------------------------------------------ */

/*
 * What the storage partition runs. Callers use the PSA names
 * (psa_its_*, psa_ps_*) and ms_tee_meter_*: on a platform without
 * partitions they reach these directly (psa_storage_api.c); where the
 * storage partition is isolated by an MPU they are a client that sends a
 * message to the partition, whose handler calls these.
 */
psa_status_t ms_tee_its_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                            psa_storage_create_flags_t create_flags);
psa_status_t ms_tee_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                            void *p_data, size_t *p_data_length);
psa_status_t ms_tee_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info);
psa_status_t ms_tee_its_remove(psa_storage_uid_t uid);
psa_status_t ms_tee_ps_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                           psa_storage_create_flags_t create_flags);
psa_status_t ms_tee_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                           void *p_data, size_t *p_data_length);
psa_status_t ms_tee_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info);
psa_status_t ms_tee_ps_remove(psa_storage_uid_t uid);
psa_status_t ms_tee_ps_create(psa_storage_uid_t uid, size_t capacity,
                              psa_storage_create_flags_t create_flags);
psa_status_t ms_tee_ps_set_extended(psa_storage_uid_t uid, size_t data_offset,
                                    size_t data_length, const void *p_data);
uint32_t ms_tee_ps_get_support(void);
ms_err_t ms_tee_storage_meter_read(ms_tee_meter_reg_t *out);
ms_err_t ms_tee_storage_meter_add(uint64_t energy_wh, int64_t balance_delta_milli,
                                  ms_tee_meter_reg_t *out);

#endif /* MS_TEE_STORAGE_H */
