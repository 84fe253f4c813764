/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa_storage.c - the secure storage partition: PSA ITS and PS over two
 * encrypted, rollback-protected stores, and the metering registers (M8, M9).
 *
 * Invariants:
 *   - The stores' keys come from the platform (ms_tee_hal_storage_key:
 *     derived from the HUK, which this code never reads) and live only in
 *     this file's static state (the partition's private memory: MS_TEE_PART_DATA
 *     puts it in the storage partition's MPU region where the platform has
 *     one); no function returns them.
 *   - All of that state is zero until init: a wiped partition (restarted
 *     after a fault) reads as "not mounted" until the next init.
 *   - Every PSA entry point validates its own arguments before the store
 *     sees them (callers inside the TEE reach it directly, without the
 *     dispatcher's checks), and returns a PSA status, never an ms_err_t.
 *   - The meter registers are one object, so energy and balance change in a
 *     single power-fail atomic record write.
 */
#include "meterseal/tee_storage.h"

#include <string.h>

#include "meterseal/crypto.h"
#include "meterseal/tee.h"

#define ITS_INDEX_CAP (2u * MS_TEE_ITS_MAX_OBJECTS)
#define PS_INDEX_CAP  (2u * MS_TEE_PS_MAX_OBJECTS)

#define SUPPORTED_FLAGS MS_TEE_STORAGE_SUPPORTED_FLAGS

static struct {
    ms_tee_store_t its;
    ms_tee_store_t ps;
    ms_tee_store_entry_t its_index[ITS_INDEX_CAP];
    ms_tee_store_entry_t ps_index[PS_INDEX_CAP];
    uint8_t its_work[MS_TEE_STORE_WORK_LEN(MS_TEE_ITS_MAX_DATA)];
    uint8_t ps_work[MS_TEE_STORE_WORK_LEN(MS_TEE_PS_MAX_DATA)];
    ms_flash_area_t its_area;
    ms_flash_area_t ps_area;
    /* Why ITS / PS is not mounted (sticky until the next init; MS_OK, as
     * before the first init, reads as MS_ERR_STATE). */
    ms_err_t its_err;
    ms_err_t ps_err;
} g_storage MS_TEE_PART_DATA(storage);

/* Key derivation (docs/secure-storage.md): HKDF-SHA256(salt, HUK, label). */
ms_err_t ms_tee_storage_key_from_huk(const uint8_t huk[MS_TEE_HUK_LEN], const char *label,
                                     uint8_t out[MS_TEE_STORE_KEY_LEN])
{
    static const uint8_t salt[] = MS_TEE_STORAGE_KEY_SALT;
    size_t n = 0;
    while (label != NULL && n <= MS_TEE_STORAGE_LABEL_MAX && label[n] != '\0') {
        n++;
    }
    if (huk == NULL || out == NULL || n == 0 || n > MS_TEE_STORAGE_LABEL_MAX) {
        return MS_ERR_ARG;
    }
    return ms_hkdf_sha256(salt, sizeof salt - 1u, huk, MS_TEE_HUK_LEN,
                          (const uint8_t *)label, n, out, MS_TEE_STORE_KEY_LEN);
}

static ms_err_t mount_one(ms_tee_store_t *st, const ms_flash_area_t *area, uint32_t nvc,
                          ms_tee_store_entry_t *index, size_t cap, size_t max_objects,
                          size_t max_data, uint8_t *work, size_t work_len,
                          const char *enc_label, const char *mac_label)
{
    uint8_t enc[MS_TEE_STORE_KEY_LEN], mac[MS_TEE_STORE_KEY_LEN];
    ms_tee_store_config_t cfg = {
        .area = area, .nvc_id = nvc, .index = index, .index_cap = cap,
        .max_objects = max_objects, .max_data = max_data, .work = work, .work_len = work_len,
    };
    ms_err_t err = ms_tee_hal_storage_key(enc_label, enc);
    if (!err) {
        err = ms_tee_hal_storage_key(mac_label, mac);
    }
    if (!err) {
        err = ms_tee_store_mount(st, &cfg, enc, mac);
    }
    ms_secure_zero(enc, sizeof enc);
    ms_secure_zero(mac, sizeof mac);
    return err;
}

ms_err_t ms_tee_storage_init(const ms_flash_area_t *its_area, const ms_flash_area_t *ps_area)
{
    if (its_area == NULL || ps_area == NULL) {
        return MS_ERR_ARG;
    }
    ms_tee_storage_deinit();
    g_storage.its_area = *its_area;
    g_storage.ps_area = *ps_area;
    g_storage.its_err = MS_ERR_STATE;
    g_storage.ps_err = MS_ERR_STATE;
    ms_err_t err = g_storage.its_err =
        mount_one(&g_storage.its, &g_storage.its_area, MS_TEE_NVC_ITS, g_storage.its_index,
                  ITS_INDEX_CAP, MS_TEE_ITS_MAX_OBJECTS, MS_TEE_ITS_MAX_DATA,
                  g_storage.its_work, sizeof g_storage.its_work, "ITS record key",
                  "ITS state key");
    if (!err) {
        err = g_storage.ps_err =
            mount_one(&g_storage.ps, &g_storage.ps_area, MS_TEE_NVC_PS, g_storage.ps_index,
                      PS_INDEX_CAP, MS_TEE_PS_MAX_OBJECTS, MS_TEE_PS_MAX_DATA,
                      g_storage.ps_work, sizeof g_storage.ps_work, "PS record key",
                      "PS state key");
    }
    return err;
}

void ms_tee_storage_deinit(void)
{
    ms_tee_store_unmount(&g_storage.its);
    ms_tee_store_unmount(&g_storage.ps);
    ms_secure_zero(g_storage.its_work, sizeof g_storage.its_work);
    ms_secure_zero(g_storage.ps_work, sizeof g_storage.ps_work);
    g_storage.its_err = MS_OK;
    g_storage.ps_err = MS_OK;
}

/* Status of a store that is not mounted: rollback/corruption stays visible. */
static psa_status_t not_mounted(const ms_tee_store_t *st)
{
    ms_err_t err = st == &g_storage.its ? g_storage.its_err : g_storage.ps_err;
    return ms_tee_psa_status(err == MS_OK ? MS_ERR_STATE : err);
}

ms_tee_store_t *ms_tee_storage_its(void)
{
    return g_storage.its.mounted ? &g_storage.its : NULL;
}

ms_tee_store_t *ms_tee_storage_ps(void)
{
    return g_storage.ps.mounted ? &g_storage.ps : NULL;
}

/* ---- shared PSA semantics ------------------------------------------------- */

/*
 * PSA Storage API 1.0: a range [p, p + len) the caller cannot access is
 * PSA_ERROR_INVALID_ARGUMENT. Without the MPU's view, refuse what no caller
 * can own: NULL with a length, a range that wraps around the address
 * space, or one longer than MS_TEE_STORAGE_MAX_BUFFER. (The dispatcher
 * checks Non-secure callers' ranges against their memory before this.)
 */
bool ms_tee_storage_buffer_ok(const void *p, size_t len)
{
    if (len == 0) {
        return true;
    }
    return p != NULL && len <= MS_TEE_STORAGE_MAX_BUFFER &&
           (uintptr_t)p <= UINTPTR_MAX - (len - 1u);
}

static psa_status_t do_set(ms_tee_store_t *st, psa_storage_uid_t uid, size_t len,
                           const void *data, psa_storage_create_flags_t flags)
{
    if (uid == 0 || !ms_tee_storage_buffer_ok(data, len)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if ((flags & ~SUPPORTED_FLAGS) != 0) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (!st->mounted) {
        return not_mounted(st);
    }
    return ms_tee_psa_status(ms_tee_store_set(st, uid, data, len, flags));
}

static psa_status_t do_get(ms_tee_store_t *st, psa_storage_uid_t uid, size_t off,
                           size_t len, void *data, size_t *out_len)
{
    if (uid == 0 || out_len == NULL || !ms_tee_storage_buffer_ok(out_len, sizeof *out_len)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    *out_len = 0;
    if (!ms_tee_storage_buffer_ok(data, len)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (!st->mounted) {
        return not_mounted(st);
    }
    return ms_tee_psa_status(ms_tee_store_get(st, uid, off, data, len, out_len));
}

static psa_status_t do_info(ms_tee_store_t *st, psa_storage_uid_t uid,
                            struct psa_storage_info_t *info)
{
    size_t size = 0, capacity = 0;
    uint32_t flags = 0;
    if (uid == 0 || info == NULL || !ms_tee_storage_buffer_ok(info, sizeof *info)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (!st->mounted) {
        return not_mounted(st);
    }
    ms_err_t err = ms_tee_store_info(st, uid, &size, &capacity, &flags);
    if (err) {
        return ms_tee_psa_status(err);
    }
    info->capacity = capacity;
    info->size = size;
    info->flags = flags;
    return PSA_SUCCESS;
}

static psa_status_t do_remove(ms_tee_store_t *st, psa_storage_uid_t uid)
{
    if (uid == 0) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (!st->mounted) {
        return not_mounted(st);
    }
    return ms_tee_psa_status(ms_tee_store_remove(st, uid));
}

/* ---- PSA Internal Trusted Storage ------------------------------------------ */

psa_status_t ms_tee_its_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                         psa_storage_create_flags_t create_flags)
{
    return do_set(&g_storage.its, uid, data_length, p_data, create_flags);
}

psa_status_t ms_tee_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                         void *p_data, size_t *p_data_length)
{
    return do_get(&g_storage.its, uid, data_offset, data_length, p_data, p_data_length);
}

psa_status_t ms_tee_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return do_info(&g_storage.its, uid, p_info);
}

psa_status_t ms_tee_its_remove(psa_storage_uid_t uid)
{
    return do_remove(&g_storage.its, uid);
}

/* ---- PSA Protected Storage ---------------------------------------------------- */

psa_status_t ms_tee_ps_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                        psa_storage_create_flags_t create_flags)
{
    return do_set(&g_storage.ps, uid, data_length, p_data, create_flags);
}

psa_status_t ms_tee_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                        void *p_data, size_t *p_data_length)
{
    return do_get(&g_storage.ps, uid, data_offset, data_length, p_data, p_data_length);
}

psa_status_t ms_tee_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info)
{
    return do_info(&g_storage.ps, uid, p_info);
}

psa_status_t ms_tee_ps_remove(psa_storage_uid_t uid)
{
    return do_remove(&g_storage.ps, uid);
}

/* PSA Storage API 1.0, 5.4.7: reserve capacity for an object written later
 * with set_extended. WRITE_ONCE is not supported here (nothing could ever
 * be written); an existing uid is never replaced or resized. */
psa_status_t ms_tee_ps_create(psa_storage_uid_t uid, size_t capacity,
                           psa_storage_create_flags_t create_flags)
{
    if (uid == 0) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if ((create_flags & ~SUPPORTED_FLAGS) != 0 ||
        (create_flags & PSA_STORAGE_FLAG_WRITE_ONCE) != 0) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    ms_tee_store_t *st = &g_storage.ps;
    if (!st->mounted) {
        return not_mounted(st);
    }
    return ms_tee_psa_status(ms_tee_store_create(st, uid, capacity, create_flags));
}

/* PSA Storage API 1.0, 5.4.8: overwrite or extend part of an object, no
 * gap (data_offset <= size), nothing past its capacity. */
psa_status_t ms_tee_ps_set_extended(psa_storage_uid_t uid, size_t data_offset,
                                 size_t data_length, const void *p_data)
{
    if (uid == 0 || !ms_tee_storage_buffer_ok(p_data, data_length)) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    ms_tee_store_t *st = &g_storage.ps;
    if (!st->mounted) {
        return not_mounted(st);
    }
    return ms_tee_psa_status(ms_tee_store_set_extended(st, uid, data_offset, p_data,
                                                       data_length));
}

uint32_t ms_tee_ps_get_support(void)
{
    return PSA_STORAGE_SUPPORT_SET_EXTENDED;
}

/* ---- metering registers --------------------------------------------------------- */

#define METER_REC_LEN 24u

static void meter_encode(const ms_tee_meter_reg_t *r, uint8_t out[METER_REC_LEN])
{
    uint64_t v[3] = { r->energy_wh, (uint64_t)r->balance_milli, r->updates };
    for (int i = 0; i < 3; i++) {
        for (int b = 0; b < 8; b++) {
            out[8 * i + b] = (uint8_t)(v[i] >> (8 * b));
        }
    }
}

static void meter_decode(const uint8_t in[METER_REC_LEN], ms_tee_meter_reg_t *r)
{
    uint64_t v[3] = { 0, 0, 0 };
    for (int i = 0; i < 3; i++) {
        for (int b = 0; b < 8; b++) {
            v[i] |= (uint64_t)in[8 * i + b] << (8 * b);
        }
    }
    r->energy_wh = v[0];
    /* two's complement back to signed without implementation-defined casts */
    r->balance_milli = v[1] <= (uint64_t)INT64_MAX ? (int64_t)v[1]
                       : -(int64_t)(~v[1]) - 1;
    r->updates = v[2];
}

ms_err_t ms_tee_storage_meter_read(ms_tee_meter_reg_t *out)
{
    uint8_t buf[METER_REC_LEN];
    size_t got = 0;
    if (out == NULL) {
        return MS_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (!g_storage.ps.mounted) {
        return g_storage.ps_err == MS_OK ? MS_ERR_STATE : g_storage.ps_err;
    }
    ms_err_t err = ms_tee_store_get(&g_storage.ps, MS_TEE_UID_METER, 0, buf, sizeof buf, &got);
    if (err == MS_ERR_NOT_FOUND) {
        return MS_OK;
    }
    if (err) {
        return err;
    }
    if (got != METER_REC_LEN) {
        return MS_ERR_TEE_CORRUPT;
    }
    meter_decode(buf, out);
    return MS_OK;
}

ms_err_t ms_tee_storage_meter_add(uint64_t energy_wh, int64_t balance_delta_milli,
                                  ms_tee_meter_reg_t *out)
{
    ms_tee_meter_reg_t r;
    uint8_t buf[METER_REC_LEN];
    ms_err_t err = ms_tee_storage_meter_read(&r);
    if (err) {
        return err;
    }
    if (energy_wh > UINT64_MAX - r.energy_wh ||
        (balance_delta_milli > 0 && r.balance_milli > INT64_MAX - balance_delta_milli) ||
        (balance_delta_milli < 0 && r.balance_milli < INT64_MIN - balance_delta_milli) ||
        r.updates == UINT64_MAX) {
        return MS_ERR_ARG;
    }
    r.energy_wh += energy_wh;
    r.balance_milli += balance_delta_milli;
    r.updates++;
    meter_encode(&r, buf);
    err = ms_tee_store_set(&g_storage.ps, MS_TEE_UID_METER, buf, sizeof buf, 0);
    if (!err && out != NULL) {
        *out = r;
    }
    return err;
}
