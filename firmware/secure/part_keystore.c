/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_keystore.c - the key store partition: the key store and the crypto
 * service (src/tee/keystore, src/tee/crypto_service) behind the messages
 * of part_keystore.h. Runs unprivileged; its memory is its block (spm.c):
 * the mailbox, the request block, its stack and its crypto pool. Its keys
 * are ITS records it reaches by request to the kernel (storage_client.c),
 * so key material exists in the clear only here and in the storage
 * partition, never in the kernel's memory.
 *
 * Invariants:
 *   - A request is decoded from the mailbox with every length checked
 *     against the operation's exact layout before any field is used.
 *   - Answers are written only after the inputs they overwrite were used:
 *     AEAD runs in place over its input, and the result is moved to the
 *     answer's place; the hash, peer key and MAC are copied out first.
 *   - No secret is left in the mailbox but the operation's own output.
 */
#include <string.h>

#include "meterseal/tee_keystore.h"
#include "part_keystore.h"

/* The request's header, and the request's length against its layout. */
static bool layout(const spm_msg_t *msg, ks_hdr_t *h, size_t extra)
{
    if (msg->len < sizeof *h || msg->len - sizeof *h != extra) {
        return false;
    }
    memcpy(h, msg->data, sizeof *h);
    return true;
}

static int32_t answer(spm_msg_t *msg, ms_err_t err, size_t out_len)
{
    int32_t e = (int32_t)err;
    memcpy(msg->data, &e, 4);
    msg->out_len = (uint32_t)(4u + (err == MS_OK ? out_len : 0u));
    return PSA_SUCCESS;
}

static ms_tee_key_policy_t policy_of(uint32_t usage, uint32_t partitions)
{
    ms_tee_key_policy_t p = { .usage = usage, .partitions = partitions };
    return p;
}

static int32_t aead(spm_msg_t *msg, bool encrypt)
{
    ks_hdr_t h;
    uint8_t nonce[KS_NONCE_LEN];
    uint8_t tag[KS_TAG_LEN];
    memcpy(&h, msg->data, msg->len >= sizeof h ? sizeof h : 0u);
    uint32_t aad_len = msg->len >= sizeof h ? h.w[0] : 0u;
    uint32_t len = msg->len >= sizeof h ? h.w[1] : 0u;
    size_t fixed = KS_NONCE_LEN + (encrypt ? 0u : KS_TAG_LEN);
    if (aad_len > KS_DATA_MAX || len > KS_DATA_MAX - aad_len ||
        !layout(msg, &h, fixed + aad_len + len)) {
        return answer(msg, MS_ERR_ARG, 0);
    }
    const uint8_t *p = msg->data + sizeof h;
    memcpy(nonce, p, sizeof nonce);
    if (!encrypt) {
        memcpy(tag, p + KS_NONCE_LEN, sizeof tag);
    }
    const uint8_t *aad = p + fixed;
    uint8_t *text = (uint8_t *)aad + aad_len;
    ms_err_t err = encrypt ? ms_tee_ks_aead_encrypt(h.caller, h.id, nonce, aad, aad_len, text,
                                                    text, len, tag)
                           : ms_tee_ks_aead_decrypt(h.caller, h.id, nonce, aad, aad_len, text,
                                                    text, len, tag);
    if (err) {
        memset(text, 0, len);   /* a failed decryption leaves no plaintext */
        return answer(msg, err, 0);
    }
    memmove(msg->data + 4, text, len);
    if (encrypt) {
        memcpy(msg->data + 4 + len, tag, sizeof tag);
    }
    return answer(msg, MS_OK, len + (encrypt ? KS_TAG_LEN : 0u));
}

static int32_t mac(spm_msg_t *msg, bool verify)
{
    ks_hdr_t h;
    memcpy(&h, msg->data, msg->len >= sizeof h ? sizeof h : 0u);
    uint32_t len = msg->len >= sizeof h ? h.w[1] : 0u;
    size_t fixed = verify ? MS_HMAC_SHA256_LEN : 0u;
    if (len > KS_DATA_MAX || !layout(msg, &h, fixed + len)) {
        return answer(msg, MS_ERR_ARG, 0);
    }
    const uint8_t *p = msg->data + sizeof h;
    uint8_t m[MS_HMAC_SHA256_LEN];
    if (verify) {
        memcpy(m, p, sizeof m);
        return answer(msg, ms_tee_ks_mac_verify(h.caller, h.id, p + fixed, len, m), 0);
    }
    ms_err_t err = ms_tee_ks_mac(h.caller, h.id, p, len, m);
    memcpy(msg->data + 4, m, err ? 0u : sizeof m);
    ms_secure_zero(m, sizeof m);
    return answer(msg, err, sizeof m);
}

static int32_t sign(spm_msg_t *msg)
{
    ks_hdr_t h;
    uint8_t hash[MS_SHA256_LEN];
    uint8_t sig[MS_P256_SIG_DER_MAX];
    size_t n = 0;
    if (!layout(msg, &h, sizeof hash)) {
        return answer(msg, MS_ERR_ARG, 0);
    }
    memcpy(hash, msg->data + sizeof h, sizeof hash);
    size_t cap = h.w[0] < sizeof sig ? h.w[0] : sizeof sig;
    ms_err_t err = ms_tee_ks_sign_hash(h.caller, h.id, hash, sig, cap, &n);
    memcpy(msg->data + 4, sig, err ? 0u : n);
    return answer(msg, err, n);
}

static int32_t provision(spm_msg_t *msg)
{
    ks_hdr_t h;
    ms_p256_pub_t ids[2];
    if (!layout(msg, &h, 0)) {
        return answer(msg, MS_ERR_ARG, 0);
    }
    /* each public key only when asked for (w0 bits 0, 1): one is a scalar
     * multiplication, as much as a signature */
    memset(ids, 0, sizeof ids);
    ms_err_t err = ms_tee_ks_provision((h.w[0] & 1u) ? &ids[0] : NULL,
                                       (h.w[0] & 2u) ? &ids[1] : NULL);
    memcpy(msg->data + 4, ids, err ? 0u : sizeof ids);
    return answer(msg, err, sizeof ids);
}

int32_t spm_keystore_main(spm_msg_t *msg, void *state)
{
    (void)state;
    ks_hdr_t h;
    ms_tee_key_policy_t p;
    switch (msg->type) {
    case KS_MSG_GENERATE:
        if (!layout(msg, &h, 0)) {
            break;
        }
        p = policy_of(h.w[2], h.w[3]);
        return answer(msg, ms_tee_ks_generate(h.caller, h.id, (ms_tee_key_type_t)h.w[0], h.w[1], &p), 0);
    case KS_MSG_IMPORT: {
        memcpy(&h, msg->data, msg->len >= sizeof h ? sizeof h : 0u);
        uint32_t len = msg->len >= sizeof h ? h.w[3] : 0u;
        /* longer than any key: the length alone, refused by the service
         * for its length before it reads any material */
        uint32_t carried = len > MS_TEE_KEY_MAX_LEN ? 0u : len;
        if (!layout(msg, &h, carried)) {
            break;
        }
        uint8_t material[MS_TEE_KEY_MAX_LEN];
        memcpy(material, msg->data + sizeof h, carried);
        memset(msg->data + sizeof h, 0, carried);
        p = policy_of(h.w[1], h.w[2]);
        ms_err_t err = ms_tee_ks_import(h.caller, h.id, (ms_tee_key_type_t)h.w[0], material, len, &p);
        ms_secure_zero(material, sizeof material);
        return answer(msg, err, 0);
    }
    case KS_MSG_DESTROY:
        if (!layout(msg, &h, 0)) {
            break;
        }
        return answer(msg, ms_tee_ks_destroy(h.caller, h.id), 0);
    case KS_MSG_EXPORT: {
        ms_p256_pub_t pub;
        if (!layout(msg, &h, 0)) {
            break;
        }
        ms_err_t err = ms_tee_ks_export_public(h.caller, h.id, &pub);
        memcpy(msg->data + 4, pub.q, err ? 0u : sizeof pub.q);
        return answer(msg, err, sizeof pub.q);
    }
    case KS_MSG_SIGN:
        return sign(msg);
    case KS_MSG_ECDH: {
        ms_p256_pub_t peer;
        uint8_t shared[MS_P256_SHARED_LEN];
        if (!layout(msg, &h, sizeof peer.q)) {
            break;
        }
        memcpy(peer.q, msg->data + sizeof h, sizeof peer.q);
        ms_err_t err = ms_tee_ks_ecdh(h.caller, h.id, &peer, shared);
        memcpy(msg->data + 4, shared, err ? 0u : sizeof shared);
        ms_secure_zero(shared, sizeof shared);
        return answer(msg, err, sizeof shared);
    }
    case KS_MSG_AEAD_ENC:
    case KS_MSG_AEAD_DEC:
        return aead(msg, msg->type == KS_MSG_AEAD_ENC);
    case KS_MSG_MAC:
    case KS_MSG_MAC_VERIFY:
        return mac(msg, msg->type == KS_MSG_MAC_VERIFY);
    case KS_MSG_PROVISION:
        return provision(msg);
    default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
    return answer(msg, MS_ERR_ARG, 0);
}
