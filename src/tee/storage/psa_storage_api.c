/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa_storage_api.c - the PSA storage API and the metering registers
 * called straight into the storage service (psa_storage.c), for platforms
 * where the TEE's partitions share one address space (the host). Where the
 * storage partition is confined by an MPU, the platform links its own
 * client instead (firmware/secure/storage_client.c), which reaches the
 * same service functions by message.
 */
#include "meterseal/tee_storage.h"

psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                         psa_storage_create_flags_t create_flags)
{
    return ms_tee_its_set(uid, data_length, p_data, create_flags);
}

psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                         void *p_data, size_t *p_data_length)
{
    return ms_tee_its_get(uid, data_offset, data_length, p_data, p_data_length);
}

psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return ms_tee_its_get_info(uid, p_info);
}

psa_status_t psa_its_remove(psa_storage_uid_t uid)
{
    return ms_tee_its_remove(uid);
}

psa_status_t psa_ps_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                        psa_storage_create_flags_t create_flags)
{
    return ms_tee_ps_set(uid, data_length, p_data, create_flags);
}

psa_status_t psa_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                        void *p_data, size_t *p_data_length)
{
    return ms_tee_ps_get(uid, data_offset, data_length, p_data, p_data_length);
}

psa_status_t psa_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return ms_tee_ps_get_info(uid, p_info);
}

psa_status_t psa_ps_remove(psa_storage_uid_t uid)
{
    return ms_tee_ps_remove(uid);
}

psa_status_t psa_ps_create(psa_storage_uid_t uid, size_t capacity,
                           psa_storage_create_flags_t create_flags)
{
    return ms_tee_ps_create(uid, capacity, create_flags);
}

psa_status_t psa_ps_set_extended(psa_storage_uid_t uid, size_t data_offset,
                                 size_t data_length, const void *p_data)
{
    return ms_tee_ps_set_extended(uid, data_offset, data_length, p_data);
}

uint32_t psa_ps_get_support(void)
{
    return ms_tee_ps_get_support();
}

ms_err_t ms_tee_meter_read(ms_tee_meter_reg_t *out)
{
    return ms_tee_storage_meter_read(out);
}

ms_err_t ms_tee_meter_add(uint64_t energy_wh, int64_t balance_delta_milli,
                          ms_tee_meter_reg_t *out)
{
    return ms_tee_storage_meter_add(energy_wh, balance_delta_milli, out);
}
