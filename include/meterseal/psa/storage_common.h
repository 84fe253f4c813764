/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa/storage_common.h - types shared by the PSA Internal Trusted Storage
 * and Protected Storage APIs (PSA Certified Secure Storage API 1.0).
 */
#ifndef MS_PSA_STORAGE_COMMON_H
#define MS_PSA_STORAGE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/psa/error.h"

typedef uint64_t psa_storage_uid_t;
typedef uint32_t psa_storage_create_flags_t;

/* Metadata of a stored object, filled by psa_its_get_info / psa_ps_get_info. */
struct psa_storage_info_t {
    size_t capacity;                  /* bytes reserved for the object */
    size_t size;                      /* bytes currently stored */
    psa_storage_create_flags_t flags; /* flags given when it was set */
};

#define PSA_STORAGE_FLAG_NONE                0u
#define PSA_STORAGE_FLAG_WRITE_ONCE          (1u << 0)
#define PSA_STORAGE_FLAG_NO_CONFIDENTIALITY  (1u << 1)
#define PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION (1u << 2)

/* psa_ps_get_support() bit: psa_ps_create / psa_ps_set_extended work. */
#define PSA_STORAGE_SUPPORT_SET_EXTENDED     (1u << 0)

#endif /* MS_PSA_STORAGE_COMMON_H */
