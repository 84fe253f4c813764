/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_link_msg.c - the link partition's message decoder (part_link.h):
 * the one place a CALL's lengths are checked, apart from the partition so
 * the host fuzzes it (fuzz_tee_partitions).
 *
 * Invariant: nothing is read past msg->len, and msg->len is trusted only up
 * to SPM_MSG_DATA; a decoded call's inputs lie inside the message, one
 * after the other, and cover it exactly.
 */
#include <string.h>

#include "part_link.h"

ms_err_t link_call_decode(const spm_msg_t *msg, link_call_t *call)
{
    memset(call, 0, sizeof *call);
    if (msg->len < LINK_CALL_HDR || msg->len > SPM_MSG_DATA) {
        return MS_ERR_ARG;
    }
    const uint8_t *d = msg->data;
    uint32_t sid = spm_word(d), caller = spm_word(d + 4);
    uint32_t n_in = spm_word(d + 12), n_out = spm_word(d + 16);
    if ((sid != MS_TEE_SID_LINK && sid != MS_TEE_SID_METER) ||
        caller >= (uint32_t)MS_TEE_PART_COUNT_ || n_in > MS_TEE_MAX_IOVEC ||
        n_out > MS_TEE_MAX_IOVEC) {
        return MS_ERR_ARG;
    }
    size_t in_total = 0, caps = 0;
    for (uint32_t i = 0; i < MS_TEE_MAX_IOVEC; i++) {
        uint32_t in_len = spm_word(d + 20 + 4 * i);
        uint32_t cap = spm_word(d + 20 + 4 * MS_TEE_MAX_IOVEC + 4 * i);
        if (in_len > MS_TEE_IO_BUF_LEN || cap > MS_TEE_IO_BUF_LEN ||
            (i >= n_in && in_len != 0) || (i >= n_out && cap != 0)) {
            return MS_ERR_FORMAT;
        }
        in_total += in_len;
        caps += cap;
    }
    if (in_total != msg->len - LINK_CALL_HDR || caps > MS_TEE_IO_BUF_LEN) {
        return MS_ERR_FORMAT;
    }
    call->sid = sid;
    call->m.caller = (ms_tee_partition_t)caller;
    call->m.type = (int32_t)spm_word(d + 8);
    call->m.n_in = n_in;
    call->m.n_out = n_out;
    size_t at = LINK_CALL_HDR;
    for (uint32_t i = 0; i < n_in; i++) {
        call->m.in_len[i] = spm_word(d + 20 + 4 * i);
        call->m.in[i] = d + at;
        at += call->m.in_len[i];
    }
    for (uint32_t i = 0; i < n_out; i++) {
        call->m.out_cap[i] = spm_word(d + 20 + 4 * MS_TEE_MAX_IOVEC + 4 * i);
    }
    return MS_OK;
}
