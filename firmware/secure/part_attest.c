/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_attest.c - the attestation partition: the token service
 * (src/tee/attest) behind the messages of part_attest.h. Runs
 * unprivileged; its memory is its section (spm.c): the mailbox, the request
 * block, its stack and the service's state (the boot record, the token
 * being built). It holds no key: the key store signs
 * with the IAK for it, by request through the kernel, which names the
 * caller (keystore_client.c).
 *
 * Invariants:
 *   - A request is decoded with its length checked against its type's
 *     layout before any field is used; each type string must end within
 *     its field.
 *   - The inputs (nonce, record) are copied out of the mailbox before the
 *     answer is written over them.
 */
#include <string.h>

#include "part_attest.h"

static int32_t answer(spm_msg_t *msg, ms_err_t err, size_t out_len)
{
    int32_t e = (int32_t)err;
    memcpy(msg->data, &e, 4);
    msg->out_len = (uint32_t)(4u + (err == MS_OK ? out_len : 0u));
    return PSA_SUCCESS;
}

static uint32_t word(const spm_msg_t *msg, size_t at)
{
    uint32_t v;
    memcpy(&v, msg->data + at, 4);
    return v;
}

static int32_t boot(spm_msg_t *msg)
{
    ms_image_measurement_t meas[MS_TEE_ATTEST_MAX_SW];
    char types[MS_TEE_ATTEST_MAX_SW][ATT_TYPE_LEN];
    const char *names[MS_TEE_ATTEST_MAX_SW];
    uint8_t impl[32], seed[32];
    if (msg->len < ATT_BOOT_HDR) {
        return answer(msg, MS_ERR_ARG, 0);
    }
    int32_t caller = (int32_t)word(msg, 0);
    uint32_t n = word(msg, 4);
    uint32_t lifecycle = word(msg, 8);
    if (n == 0 || n > MS_TEE_ATTEST_MAX_SW || msg->len != ATT_BOOT_LEN(n)) {
        return answer(msg, MS_ERR_ARG, 0);
    }
    memcpy(impl, msg->data + 12, sizeof impl);
    memcpy(seed, msg->data + 44, sizeof seed);
    memcpy(meas, msg->data + ATT_BOOT_HDR, n * sizeof meas[0]);
    memcpy(types, msg->data + ATT_BOOT_HDR + n * sizeof meas[0], n * ATT_TYPE_LEN);
    for (uint32_t i = 0; i < n; i++) {
        if (memchr(types[i], 0, ATT_TYPE_LEN) == NULL) {
            return answer(msg, MS_ERR_ARG, 0);
        }
        names[i] = types[i];
    }
    ms_err_t err = ms_tee_att_set_boot_record((ms_tee_partition_t)caller, meas, names, n, impl,
                                              lifecycle, seed);
    ms_secure_zero(seed, sizeof seed);
    return answer(msg, err, 0);
}

static int32_t token(spm_msg_t *msg)
{
    uint8_t nonce[MS_TEE_ATTEST_NONCE_MAX];
    size_t n = 0;
    if (msg->len < 8u || msg->len - 8u > sizeof nonce) {
        return answer(msg, MS_ERR_ARG, 0);
    }
    int32_t caller = (int32_t)word(msg, 0);
    uint32_t cap = word(msg, 4);
    size_t nonce_len = msg->len - 8u;
    memcpy(nonce, msg->data + 8, nonce_len);
    if (cap > SPM_MSG_DATA - 4u) {
        cap = SPM_MSG_DATA - 4u;
    }
    ms_err_t err = ms_tee_att_get_token((ms_tee_partition_t)caller, nonce, nonce_len,
                                        msg->data + 4, cap, &n);
    if (err) {
        memset(msg->data + 4, 0, cap);   /* no part of a token that failed */
    }
    return answer(msg, err, n);
}

static int32_t size(spm_msg_t *msg)
{
    size_t n = 0;
    if (msg->len != 8u) {
        return answer(msg, MS_ERR_ARG, 0);
    }
    ms_err_t err = ms_tee_att_get_token_size((ms_tee_partition_t)(int32_t)word(msg, 0),
                                             word(msg, 4), &n);
    uint32_t v = (uint32_t)n;
    memcpy(msg->data + 4, &v, 4);
    return answer(msg, err, 4);
}

int32_t spm_attest_main(spm_msg_t *msg, void *state)
{
    (void)state;
    switch (msg->type) {
    case ATT_MSG_BOOT:
        return boot(msg);
    case ATT_MSG_TOKEN:
        return token(msg);
    case ATT_MSG_SIZE:
        return size(msg);
    default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
}
