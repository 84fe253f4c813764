/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore.c - where keys live: generation, import, destroy, policy checks
 * (M8). Keys are records in ITS under MS_TEE_UID_KEY_BASE + id (encrypted
 * and authenticated at rest by the storage partition).
 *
 * Record: version(1) type(1) len(1) 0(1) usage(4 LE) partitions(4 LE)
 *         material(len).
 *
 * Invariants:
 *   - Private and secret material leaves this file only through
 *     ms_tee_keystore_load(), to the crypto service of the same partition.
 *   - Every RAM copy of key material is wiped before returning.
 *   - A caller outside a key's policy learns nothing about it (DENIED, as
 *     for a missing key).
 *   - Key material is drawn from the health-tested TEE RNG (through the
 *     platform, ms_tee_hal_rng_generate: the key store may run apart from
 *     the RNG's state).
 *   - The identity key and the IAK are write-once (ITS WRITE_ONCE flag).
 *   - The IAK id only ever holds a key generated inside with the IAK policy
 *     (SIGN for the ATTEST partition alone): it cannot be imported, nor
 *     created with another policy, so no partition but ATTEST, and never
 *     the NSPE, can have a hash signed with it (M8, M11). Attestation
 *     tokens are signed with it; the identity key, which signs for the
 *     link partition (TLS, readings), never signs a token.
 */
#include <string.h>

#include "keystore_internal.h"
#include "meterseal/psa/internal_trusted_storage.h"
#include "meterseal/tee_storage.h"

#define KEY_REC_VERSION 1u
#define KEY_REC_HDR 12u

static psa_storage_uid_t key_uid(ms_tee_key_id_t id)
{
    return MS_TEE_UID_KEY_BASE + id;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static bool caller_ok(ms_tee_partition_t caller)
{
    return (unsigned)caller < (unsigned)MS_TEE_PART_COUNT_;
}

static ms_err_t check_material(ms_tee_key_type_t type, const uint8_t *m, size_t len)
{
    switch (type) {
    case MS_TEE_KEY_P256: {
        if (len != MS_P256_PRIV_LEN) {
            return MS_ERR_KEY_FORMAT;
        }
        ms_p256_priv_t priv;
        ms_p256_pub_t pub;
        memcpy(priv.d, m, sizeof priv.d);
        ms_err_t err = ms_p256_pub_from_priv(&priv, &pub);
        ms_secure_zero(&priv, sizeof priv);
        return err ? MS_ERR_KEY_FORMAT : MS_OK;
    }
    case MS_TEE_KEY_AES:
        return len == 16 || len == 32 ? MS_OK : MS_ERR_KEY_FORMAT;
    case MS_TEE_KEY_HMAC:
        return len >= 16 && len <= MS_TEE_KEY_MAX_LEN ? MS_OK : MS_ERR_KEY_FORMAT;
    default:
        return MS_ERR_KEY_FORMAT;
    }
}

static ms_err_t store_key(ms_tee_key_id_t id, ms_tee_key_type_t type, const uint8_t *m,
                          size_t len, const ms_tee_key_policy_t *p, uint32_t flags)
{
    uint8_t rec[KEY_REC_HDR + MS_TEE_KEY_MAX_LEN];
    struct psa_storage_info_t info;
    if (psa_its_get_info(key_uid(id), &info) == PSA_SUCCESS) {
        return MS_ERR_STATE;
    }
    rec[0] = KEY_REC_VERSION;
    rec[1] = (uint8_t)type;
    rec[2] = (uint8_t)len;
    rec[3] = 0;
    put32(rec + 4, p->usage);
    put32(rec + 8, p->partitions);
    memcpy(rec + KEY_REC_HDR, m, len);
    psa_status_t s = psa_its_set(key_uid(id), KEY_REC_HDR + len, rec, flags);
    ms_secure_zero(rec, sizeof rec);
    if (s == PSA_SUCCESS) {
        return MS_OK;
    }
    return s == PSA_ERROR_INSUFFICIENT_STORAGE ? MS_ERR_TEE_NO_SPACE : MS_ERR_IO;
}

/* M8: the one policy the IAK may carry: SIGN, for the attestation partition. */
static const ms_tee_key_policy_t iak_policy = {
    .usage = MS_TEE_USE_SIGN,
    .partitions = MS_TEE_PART_BIT(MS_TEE_PART_ATTEST),
};

static bool is_iak_policy(const ms_tee_key_policy_t *p)
{
    return p->usage == iak_policy.usage && p->partitions == iak_policy.partitions;
}

static ms_err_t check_new(ms_tee_partition_t caller, ms_tee_key_id_t id,
                          const ms_tee_key_policy_t *p)
{
    if (!caller_ok(caller) || p == NULL || id == 0 || id > MS_TEE_KEY_ID_MAX ||
        (p->usage & ~MS_TEE_USE_ALL_) != 0 || p->usage == 0 ||
        (p->partitions & MS_TEE_PART_BIT(caller)) == 0) {
        return MS_ERR_ARG;
    }
    if (id == MS_TEE_KEY_IAK && !is_iak_policy(p)) {
        return MS_ERR_ARG;
    }
    return MS_OK;
}

static uint32_t write_once_flag(ms_tee_key_id_t id)
{
    return id == MS_TEE_KEY_IDENTITY || id == MS_TEE_KEY_IAK ? PSA_STORAGE_FLAG_WRITE_ONCE
                                                             : 0u;
}

ms_err_t ms_tee_ks_import(ms_tee_partition_t caller, ms_tee_key_id_t id,
                           ms_tee_key_type_t type, const uint8_t *material, size_t len,
                           const ms_tee_key_policy_t *policy)
{
    ms_err_t err = check_new(caller, id, policy);
    if (err) {
        return err;
    }
    if (material == NULL || id == MS_TEE_KEY_IAK) {
        return MS_ERR_ARG;   /* M8: the IAK is generated inside, never imported */
    }
    err = check_material(type, material, len);
    if (err) {
        return err;
    }
    return store_key(id, type, material, len, policy, 0);
}

ms_err_t ms_tee_ks_generate(ms_tee_partition_t caller, ms_tee_key_id_t id,
                             ms_tee_key_type_t type, unsigned bits,
                             const ms_tee_key_policy_t *policy)
{
    uint8_t m[MS_TEE_KEY_MAX_LEN];
    size_t len;
    ms_err_t err = check_new(caller, id, policy);
    if (err) {
        return err;
    }
    if (type == MS_TEE_KEY_P256 && bits == 256) {
        len = MS_P256_PRIV_LEN;
    } else if (type == MS_TEE_KEY_AES && (bits == 128 || bits == 256)) {
        len = bits / 8u;
    } else if (type == MS_TEE_KEY_HMAC && bits == 256) {
        len = 32;
    } else {
        return MS_ERR_UNSUPPORTED;
    }
    if (id == MS_TEE_KEY_IAK && type != MS_TEE_KEY_P256) {
        return MS_ERR_ARG;
    }
    /* P-256: a random scalar, redrawn in the (2^-32) case it is out of range */
    for (int tries = 0; tries < 8; tries++) {
        err = ms_tee_hal_rng_generate(m, len);
        if (err) {
            break;
        }
        err = check_material(type, m, len);
        if (err != MS_ERR_KEY_FORMAT) {
            break;
        }
    }
    if (!err) {
        err = store_key(id, type, m, len, policy, write_once_flag(id));
    }
    ms_secure_zero(m, sizeof m);
    return err;
}

ms_err_t ms_tee_keystore_load(ms_tee_partition_t caller, ms_tee_key_id_t id, uint32_t usage,
                              ms_tee_key_type_t type, ms_tee_key_blob_t *blob)
{
    uint8_t rec[KEY_REC_HDR + MS_TEE_KEY_MAX_LEN];
    size_t n = 0;
    if (blob == NULL || !caller_ok(caller) || id == 0 || id > MS_TEE_KEY_ID_MAX) {
        return MS_ERR_ARG;
    }
    memset(blob, 0, sizeof *blob);
    psa_status_t s = psa_its_get(key_uid(id), 0, sizeof rec, rec, &n);
    if (s == PSA_ERROR_DOES_NOT_EXIST) {
        return MS_ERR_TEE_DENIED;
    }
    if (s != PSA_SUCCESS) {
        return s == PSA_ERROR_DATA_CORRUPT ? MS_ERR_TEE_CORRUPT : MS_ERR_IO;
    }
    ms_err_t err = MS_OK;
    if (n < KEY_REC_HDR || rec[0] != KEY_REC_VERSION || rec[2] != n - KEY_REC_HDR) {
        err = MS_ERR_TEE_CORRUPT;
    } else {
        blob->type = (ms_tee_key_type_t)rec[1];
        blob->policy.usage = get32(rec + 4);
        blob->policy.partitions = get32(rec + 8);
        blob->len = rec[2];
        if ((blob->policy.partitions & MS_TEE_PART_BIT(caller)) == 0 ||
            (blob->policy.usage & usage) != usage || (type != 0 && blob->type != type)) {
            err = MS_ERR_TEE_DENIED;
        } else {
            memcpy(blob->material, rec + KEY_REC_HDR, blob->len);
        }
    }
    ms_secure_zero(rec, sizeof rec);
    if (err) {
        ms_secure_zero(blob, sizeof *blob);
    }
    return err;
}

ms_err_t ms_tee_ks_destroy(ms_tee_partition_t caller, ms_tee_key_id_t id)
{
    ms_tee_key_blob_t blob;
    ms_err_t err = ms_tee_keystore_load(caller, id, 0, (ms_tee_key_type_t)0, &blob);
    ms_secure_zero(&blob, sizeof blob);
    if (err) {
        return err;
    }
    psa_status_t s = psa_its_remove(key_uid(id));
    if (s == PSA_ERROR_NOT_PERMITTED) {
        return MS_ERR_TEE_DENIED;   /* the identity key and the IAK are write-once */
    }
    return s == PSA_SUCCESS ? MS_OK : MS_ERR_IO;
}

/* Generate P-256 key `id` for `owner` with `policy` unless it exists. */
static ms_err_t provision_key(ms_tee_partition_t owner, ms_tee_key_id_t id,
                              const ms_tee_key_policy_t *policy)
{
    struct psa_storage_info_t info;
    if (psa_its_get_info(key_uid(id), &info) == PSA_SUCCESS) {
        return MS_OK;
    }
    return ms_tee_ks_generate(owner, id, MS_TEE_KEY_P256, 256, policy);
}

/* M8: an IAK record must carry the IAK policy, whatever wrote it. */
static ms_err_t check_iak_record(void)
{
    ms_tee_key_blob_t blob;
    ms_err_t err = ms_tee_keystore_load(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, MS_TEE_USE_SIGN,
                                        MS_TEE_KEY_P256, &blob);
    if (!err && !is_iak_policy(&blob.policy)) {
        err = MS_ERR_TEE_CORRUPT;
    } else if (err == MS_ERR_TEE_DENIED) {
        err = MS_ERR_TEE_CORRUPT;   /* present, but not usable by ATTEST for SIGN */
    }
    ms_secure_zero(&blob, sizeof blob);
    return err;
}

ms_err_t ms_tee_ks_provision(ms_p256_pub_t *identity_pub, ms_p256_pub_t *iak_pub)
{
    /* The meter's own signatures, made inside the TEE only: TLS handshakes
     * and signed readings, events and command results (the LINK partition,
     * M12). Not the NSPE: with a key that signs any hash it is given, a
     * compromised Non-secure world could sign readings of its own making
     * and impersonate the meter from elsewhere. */
    const ms_tee_key_policy_t identity_policy = {
        .usage = MS_TEE_USE_SIGN,
        .partitions = MS_TEE_PART_BIT(MS_TEE_PART_LINK) | MS_TEE_PART_BIT(MS_TEE_PART_CRYPTO),
    };
    ms_err_t err = provision_key(MS_TEE_PART_CRYPTO, MS_TEE_KEY_IDENTITY, &identity_policy);
    if (!err) {
        err = provision_key(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, &iak_policy);
    }
    if (!err) {
        err = check_iak_record();
    }
    if (!err && identity_pub != NULL) {
        err = ms_tee_ks_export_public(MS_TEE_PART_CRYPTO, MS_TEE_KEY_IDENTITY, identity_pub);
    }
    if (!err && iak_pub != NULL) {
        err = ms_tee_ks_export_public(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, iak_pub);
    }
    return err;
}

ms_err_t ms_tee_keystore_provision_identity(ms_p256_pub_t *pub)
{
    return ms_tee_keystore_provision(pub, NULL);
}
