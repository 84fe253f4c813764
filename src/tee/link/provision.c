/* SPDX-License-Identifier: Apache-2.0 */
/*
 * provision.c - the factory's two steps into the link partition
 * (meterseal/tee_link.h; docs/cloud.md section 2): a request (CSR and
 * attestation token, made inside with the keys that never leave) and the
 * installation of what the CA and the operator return.
 *
 * Invariants:
 *   - Only MS_TEE_PART_BOOT (the factory, before the Non-secure world runs)
 *     may call either step; the dispatcher offers neither to the NSPE, so a
 *     compromised Non-secure world can neither re-pin the cloud CA nor
 *     replace the command key.
 *   - The token's challenge is SHA-256(nonce || identity public key): the
 *     verifier learns that this identity key lives in the attested device.
 *   - A certificate is stored only if its key is the identity key; meter id
 *     and command key are write-once (PS WRITE_ONCE).
 */
#include <string.h>

#include "meterseal/psa/storage_common.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_keystore.h"

#include "link_internal.h"

ms_err_t ms_tee_link_provision_request(ms_tee_partition_t caller, const char *meter_id,
                                       const uint8_t nonce[MS_TEE_LINK_NONCE_LEN],
                                       uint8_t *csr, size_t csr_cap, size_t *csr_len,
                                       uint8_t *token, size_t token_cap, size_t *token_len,
                                       ms_p256_pub_t *iak_pub)
{
    if (caller != MS_TEE_PART_BOOT) {
        return MS_ERR_TEE_DENIED;
    }
    if (meter_id == NULL || nonce == NULL || csr == NULL || csr_len == NULL || token == NULL ||
        token_len == NULL || !ms_link_meter_id_valid(meter_id, strlen(meter_id))) {
        return MS_ERR_ARG;
    }
    ms_p256_pub_t identity;
    uint8_t challenge[MS_SHA256_LEN];
    ms_sha256_ctx h;
    ms_err_t err = ms_tee_keystore_provision(&identity, iak_pub);
    if (!err) {
        err = ms_link_csr_write(meter_id, &identity, csr, csr_cap, csr_len);
    }
    if (!err) {
        err = ms_sha256_init(&h);
        if (!err) {
            err = ms_sha256_update(&h, nonce, MS_TEE_LINK_NONCE_LEN);
        }
        if (!err) {
            err = ms_sha256_update(&h, identity.q, sizeof identity.q);
        }
        if (!err) {
            err = ms_sha256_finish(&h, challenge);
        } else {
            ms_sha256_free(&h);
        }
    }
    if (!err) {
        err = ms_tee_attest_get_token(caller, challenge, sizeof challenge, token, token_cap,
                                      token_len);
    }
    return err;
}

/* "host:port": a host of 1..63 characters without ':' and a port 1..65535. */
static bool broker_ok(const char *b)
{
    const char *colon = b != NULL ? strrchr(b, ':') : NULL;
    if (colon == NULL || colon == b || (size_t)(colon - b) > MS_TLS_SERVER_NAME_MAX ||
        strchr(b, ':') != colon) {
        return false;
    }
    unsigned long port = 0;
    const char *p = colon + 1;
    if (*p == '\0' || strlen(p) > 5) {
        return false;
    }
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        port = port * 10u + (unsigned long)(*p - '0');
    }
    for (const char *c = b; c < colon; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c > 0x7e) {
            return false;
        }
    }
    return port >= 1 && port <= 65535;
}

/* Write a write-once object: equal content already there is success. */
static ms_err_t put_once(uint64_t uid, const void *data, size_t len)
{
    uint8_t have[MS_P256_PUB_LEN + MS_LINK_METER_ID_MAX];
    size_t n = 0;
    ms_err_t err = ms_link_ps_get(uid, have, sizeof have, &n);
    if (err == MS_ERR_NOT_FOUND) {
        return ms_link_ps_set(uid, data, len, PSA_STORAGE_FLAG_WRITE_ONCE);
    }
    if (err == MS_ERR_BUFFER_TOO_SMALL) {
        return MS_ERR_TEE_WRITE_ONCE;
    }
    if (err) {
        return err;
    }
    return n == len && memcmp(have, data, len) == 0 ? MS_OK : MS_ERR_TEE_WRITE_ONCE;
}

ms_err_t ms_tee_link_provision_install(ms_tee_partition_t caller, const ms_tee_link_creds_t *c)
{
    if (caller != MS_TEE_PART_BOOT) {
        return MS_ERR_TEE_DENIED;
    }
    if (c == NULL || c->meter_id == NULL || c->cert_der == NULL || c->ca_der == NULL ||
        c->command_key == NULL || !ms_link_meter_id_valid(c->meter_id, strlen(c->meter_id)) ||
        c->cert_len == 0 || c->cert_len > MS_TEE_LINK_CERT_MAX || c->ca_len == 0 ||
        c->ca_len > MS_TEE_LINK_CERT_MAX || !broker_ok(c->broker) ||
        ms_p256_pub_check(c->command_key) != MS_OK) {
        return MS_ERR_ARG;
    }
    ms_p256_pub_t identity;
    ms_link_keys_forget();
    ms_err_t err = ms_link_identity_pub(&identity);
    if (err) {
        return err == MS_ERR_TEE_DENIED ? MS_ERR_STATE : err;   /* no request made yet */
    }
    /* M12: our certificate must carry the key the TEE signs with */
    err = ms_tls_cert_check(c->cert_der, c->cert_len, NULL, 0, &identity, NULL);
    if (!err) {
        ms_p256_pub_t ca_key;
        err = ms_tls_cert_check(c->ca_der, c->ca_len, NULL, 0, NULL, &ca_key);
    }
    if (err) {
        return err;
    }
    err = put_once(MS_TEE_UID_LINK_METER_ID, c->meter_id, strlen(c->meter_id));
    if (!err) {
        err = put_once(MS_TEE_UID_LINK_CMD_KEY, c->command_key->q, sizeof c->command_key->q);
    }
    if (!err) {
        err = ms_link_ps_set(MS_TEE_UID_LINK_CERT, c->cert_der, c->cert_len, 0);
    }
    if (!err) {
        err = ms_link_ps_set(MS_TEE_UID_LINK_CA, c->ca_der, c->ca_len, 0);
    }
    if (!err) {
        err = ms_link_ps_set(MS_TEE_UID_LINK_BROKER, c->broker, strlen(c->broker), 0);
    }
    if (!err) {
        /* a ticket from another CA's broker or for another certificate is useless */
        err = ms_link_ps_remove(MS_TEE_UID_LINK_TICKET);
        ms_link_channel_reset();
    }
    return err;
}
