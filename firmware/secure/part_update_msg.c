/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_update_msg.c - the update partition's message decoders
 * (part_update.h): the one place its messages' lengths are checked, apart
 * from the partition so the host fuzzes them (fuzz_tee_partitions).
 *
 * Invariant: nothing is read past msg->len, and msg->len is trusted only
 * up to SPM_MSG_DATA; a decoded request's in and data lie inside it.
 */
#include <string.h>

#include "part_update.h"

ms_err_t upd_start_decode(const spm_msg_t *msg, ms_an505_boot_trust_t *trust)
{
    memset(trust, 0, sizeof *trust);
    if (msg->len < 8u || msg->len > SPM_MSG_DATA) {
        return MS_ERR_ARG;
    }
    uint32_t n = spm_word(msg->data + 4);
    if (n == 0 || n > MS_OTP_ROT_SLOTS || msg->len != 8u + n * MS_SHA256_LEN) {
        return MS_ERR_ARG;
    }
    trust->overwrite = spm_word(msg->data) != 0;
    trust->n_hashes = n;
    memcpy(trust->hashes, msg->data + 8, n * MS_SHA256_LEN);
    return MS_OK;
}

ms_err_t upd_request_decode(const spm_msg_t *msg, upd_request_t *req)
{
    memset(req, 0, sizeof *req);
    if (msg->len < UPD_REQ_HDR || msg->len > SPM_MSG_DATA) {
        return MS_ERR_FORMAT;
    }
    upd_request_t r = {
        .type = (int32_t)spm_word(msg->data),
        .n_in = spm_word(msg->data + 4),
        .in_len = spm_word(msg->data + 8),
        .data_len = spm_word(msg->data + 12),
        .out_cap = spm_word(msg->data + 16),
    };
    if (r.n_in > 2 || r.in_len > MS_TEE_IO_BUF_LEN || r.data_len > MS_TEE_IO_BUF_LEN ||
        msg->len != UPD_REQ_HDR + r.in_len + r.data_len) {
        return MS_ERR_FORMAT;
    }
    r.in = r.n_in >= 1 ? msg->data + UPD_REQ_HDR : NULL;
    r.data = r.n_in >= 2 ? msg->data + UPD_REQ_HDR + r.in_len : NULL;
    *req = r;
    return MS_OK;
}
