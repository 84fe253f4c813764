/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa/protected_storage.h - PSA Protected Storage API 1.0.
 *
 * Same object semantics as ITS, on its own flash area with its own keys and
 * anti-rollback counter. The optional psa_ps_create / psa_ps_set_extended
 * pair is supported (psa_ps_get_support() returns
 * PSA_STORAGE_SUPPORT_SET_EXTENDED): create reserves an object's capacity,
 * set_extended writes part of it, within that capacity, as one power-fail
 * atomic new version.
 */
#ifndef MS_PSA_PROTECTED_STORAGE_H
#define MS_PSA_PROTECTED_STORAGE_H

#include "meterseal/psa/storage_common.h"

#define PSA_PS_API_VERSION_MAJOR 1
#define PSA_PS_API_VERSION_MINOR 0

psa_status_t psa_ps_set(psa_storage_uid_t uid, size_t data_length,
                        const void *p_data, psa_storage_create_flags_t create_flags);
psa_status_t psa_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                        void *p_data, size_t *p_data_length);
psa_status_t psa_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info);
psa_status_t psa_ps_remove(psa_storage_uid_t uid);
psa_status_t psa_ps_create(psa_storage_uid_t uid, size_t capacity,
                           psa_storage_create_flags_t create_flags);
psa_status_t psa_ps_set_extended(psa_storage_uid_t uid, size_t data_offset,
                                 size_t data_length, const void *p_data);
uint32_t psa_ps_get_support(void);

#endif /* MS_PSA_PROTECTED_STORAGE_H */
