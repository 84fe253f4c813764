/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa/internal_trusted_storage.h - PSA Internal Trusted Storage API 1.0.
 *
 * Semantics follow the PSA Certified Secure Storage API 1.0: uid 0 is
 * invalid; a WRITE_ONCE object can be neither replaced nor removed; get
 * returns at most data_length bytes from data_offset and says how many in
 * *p_data_length. Here every object is also encrypted and authenticated
 * (docs/secure-storage.md), whatever the flags say.
 */
#ifndef MS_PSA_INTERNAL_TRUSTED_STORAGE_H
#define MS_PSA_INTERNAL_TRUSTED_STORAGE_H

#include "meterseal/psa/storage_common.h"

#define PSA_ITS_API_VERSION_MAJOR 1
#define PSA_ITS_API_VERSION_MINOR 0

psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length,
                         const void *p_data, psa_storage_create_flags_t create_flags);
psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                         void *p_data, size_t *p_data_length);
psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info);
psa_status_t psa_its_remove(psa_storage_uid_t uid);

#endif /* MS_PSA_INTERNAL_TRUSTED_STORAGE_H */
