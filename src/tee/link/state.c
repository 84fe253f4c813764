/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state.c - the link partition's access to its PS objects and to the
 * identity key (meterseal/tee_link.h).
 *
 * Invariants:
 *   - Only uids MS_TEE_UID_LINK_* are touched, through the storage
 *     partition's PS API: encrypted, authenticated, rollback-protected (M9).
 *   - Every signature is asked of the key store as MS_TEE_PART_LINK; the
 *     private key never comes here.
 *   - The public keys kept in RAM (identity, command key) are write-once in
 *     their stores, so the copies cannot go stale; they are dropped at stop.
 */
#include <string.h>

#include "meterseal/psa/protected_storage.h"
#include "meterseal/tee_keystore.h"

#include "link_internal.h"

static ms_err_t from_psa(psa_status_t s)
{
    switch (s) {
    case PSA_SUCCESS:                    return MS_OK;
    case PSA_ERROR_DOES_NOT_EXIST:       return MS_ERR_NOT_FOUND;
    case PSA_ERROR_NOT_PERMITTED:        return MS_ERR_TEE_WRITE_ONCE;
    case PSA_ERROR_INSUFFICIENT_STORAGE: return MS_ERR_TEE_NO_SPACE;
    case PSA_ERROR_DATA_CORRUPT:         return MS_ERR_TEE_CORRUPT;
    case PSA_ERROR_BAD_STATE:            return MS_ERR_STATE;
    case PSA_ERROR_INVALID_ARGUMENT:     return MS_ERR_ARG;
    default:                             return MS_ERR_IO;
    }
}

ms_err_t ms_link_ps_get(uint64_t uid, void *buf, size_t cap, size_t *len)
{
    struct psa_storage_info_t info;
    *len = 0;
    ms_err_t err = from_psa(psa_ps_get_info(uid, &info));
    if (err) {
        return err;
    }
    if (info.size > cap) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    size_t got = 0;
    err = from_psa(psa_ps_get(uid, 0, info.size, buf, &got));
    if (!err && got != info.size) {
        err = MS_ERR_TEE_CORRUPT;
    }
    if (!err) {
        *len = got;
    }
    return err;
}

ms_err_t ms_link_ps_set(uint64_t uid, const void *buf, size_t len, uint32_t flags)
{
    return from_psa(psa_ps_set(uid, len, buf, flags));
}

ms_err_t ms_link_ps_remove(uint64_t uid)
{
    ms_err_t err = from_psa(psa_ps_remove(uid));
    return err == MS_ERR_NOT_FOUND ? MS_OK : err;
}

ms_err_t ms_link_identity_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der,
                               size_t cap, size_t *der_len)
{
    (void)ctx;
    return ms_tee_key_sign_hash(MS_TEE_PART_LINK, MS_TEE_KEY_IDENTITY, hash, der, cap, der_len);
}

/* The two write-once public keys and their kids, read once per start: an
 * ITS/PS read and decryption per message costs more than the message. */
static struct {
    bool identity_ok, command_ok;
    ms_p256_pub_t identity, command;
    uint8_t identity_kid[MS_COSE_KID_LEN], command_kid[MS_COSE_KID_LEN];
} g_keys MS_TEE_PART_DATA(link);

void ms_link_keys_forget(void)
{
    memset(&g_keys, 0, sizeof g_keys);
}

ms_err_t ms_link_identity_pub(ms_p256_pub_t *pub)
{
    if (!g_keys.identity_ok) {
        ms_err_t err = ms_tee_key_export_public(MS_TEE_PART_LINK, MS_TEE_KEY_IDENTITY,
                                                &g_keys.identity);
        if (!err) {
            err = ms_cose_kid(&g_keys.identity, g_keys.identity_kid);
        }
        if (err) {
            return err;
        }
        g_keys.identity_ok = true;
    }
    *pub = g_keys.identity;
    return MS_OK;
}

ms_err_t ms_link_command_key(ms_p256_pub_t *pub, uint8_t kid[MS_COSE_KID_LEN])
{
    if (!g_keys.command_ok) {
        size_t n = 0;
        ms_p256_pub_t *k = &g_keys.command;
        ms_err_t err = ms_link_ps_get(MS_TEE_UID_LINK_CMD_KEY, k->q, sizeof k->q, &n);
        if (err == MS_ERR_NOT_FOUND) {
            return MS_ERR_LINK_NOT_PROVISIONED;
        }
        if (!err && (n != sizeof k->q || ms_p256_pub_check(k) != MS_OK)) {
            err = MS_ERR_TEE_CORRUPT;
        }
        if (!err) {
            err = ms_cose_kid(k, g_keys.command_kid);
        }
        if (err) {
            return err;
        }
        g_keys.command_ok = true;
    }
    *pub = g_keys.command;
    memcpy(kid, g_keys.command_kid, MS_COSE_KID_LEN);
    return MS_OK;
}

ms_err_t ms_link_open_from_cloud(const uint8_t *msg, size_t len, ms_cose_sign1_t *m,
                                 char id[MS_LINK_METER_ID_MAX + 1])
{
    ms_p256_pub_t key;
    uint8_t kid[MS_COSE_KID_LEN];
    ms_err_t err = ms_tee_link_meter_id(id);
    if (!err) {
        err = ms_link_command_key(&key, kid);
    }
    return err ? err : ms_link_msg_open_kid(msg, len, &key, kid, m);
}

ms_err_t ms_tee_link_meter_id(char out[MS_LINK_METER_ID_MAX + 1])
{
    size_t n = 0;
    ms_err_t err = ms_link_ps_get(MS_TEE_UID_LINK_METER_ID, out, MS_LINK_METER_ID_MAX, &n);
    if (err == MS_ERR_NOT_FOUND) {
        err = MS_ERR_LINK_NOT_PROVISIONED;
    }
    if (!err && !ms_link_meter_id_valid(out, n)) {
        err = MS_ERR_TEE_CORRUPT;
    }
    out[err ? 0 : n] = '\0';
    return err;
}

ms_err_t ms_link_seal(const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
                      size_t *out_len)
{
    ms_p256_pub_t pub;
    ms_err_t err = ms_link_identity_pub(&pub);
    if (err) {
        return err;
    }
    return ms_link_msg_seal_kid(payload, len, g_keys.identity_kid, ms_link_identity_sign, NULL,
                                out, cap, out_len);
}

void ms_link_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

uint64_t ms_link_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

void ms_link_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

uint32_t ms_link_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
