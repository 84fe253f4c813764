/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_client.c - the Secure kernel's side of the link partition
 * (part_link.h): the dispatcher's link handler, which carries a checked
 * call to the partition and its answer back, and the kernel's side of the
 * partition's requests (tee_link_serve).
 *
 * Provisioning (ms_tee_link_provision_*, called by the factory session
 * before the Non-secure world runs) and the meter id the boot prints stay
 * kernel calls into src/tee/link: they keep no state of the link's but
 * their PS records, and run before the partition serves anything.
 *
 * Invariants:
 *   - An answer is taken only in its exact shape: status, then each
 *     answer's length within its cap, then exactly the caps' bytes (the
 *     status alone for a failed call); anything else is
 *     PSA_ERROR_SERVICE_FAILURE and nothing reaches the caller's buffers
 *     but zeros (the dispatcher copies out only on success).
 *   - The partition's requests are served as MS_TEE_PART_LINK only, and
 *     only what part_link.h lists: its own PS uids, the metering registers,
 *     the identity key's SIGN and EXPORT. The caller word of a request's
 *     header is not trusted.
 */
#include <string.h>

#include "part_keystore.h"
#include "part_link.h"

psa_status_t tee_link_forward(uint32_t sid, ms_tee_msg_t *m)
{
    uint8_t hdr[LINK_CALL_HDR];
    uint32_t words[5] = { sid, (uint32_t)m->caller, (uint32_t)m->type, (uint32_t)m->n_in,
                          (uint32_t)m->n_out };
    uint32_t ans[1 + MS_TEE_MAX_IOVEC];
    spm_iov_t in[1 + MS_TEE_MAX_IOVEC];
    spm_ovec_t out[1 + MS_TEE_MAX_IOVEC];
    size_t caps = 0;

    if (m->n_in > MS_TEE_MAX_IOVEC || m->n_out > MS_TEE_MAX_IOVEC) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, words, sizeof words);
    in[0] = (spm_iov_t){ hdr, sizeof hdr };
    for (size_t i = 0; i < m->n_in; i++) {
        uint32_t n = (uint32_t)m->in_len[i];
        memcpy(hdr + 20 + 4 * i, &n, 4);
        in[1 + i] = (spm_iov_t){ m->in[i], m->in_len[i] };
    }
    memset(ans, 0, sizeof ans);
    out[0] = (spm_ovec_t){ ans, sizeof ans };
    for (size_t i = 0; i < m->n_out; i++) {
        uint32_t n = (uint32_t)m->out_cap[i];
        memcpy(hdr + 20 + 4 * MS_TEE_MAX_IOVEC + 4 * i, &n, 4);
        out[1 + i] = (spm_ovec_t){ m->out[i], m->out_cap[i] };
        caps += m->out_cap[i];
        m->out_len[i] = 0;
    }
    size_t got = 0;
    psa_status_t st = spm_callv(SPM_PART_LINK, LINK_MSG_CALL, in, 1 + m->n_in, out, 1 + m->n_out,
                                &got);
    if (st == PSA_ERROR_BAD_STATE) {
        return PSA_ERROR_BAD_STATE;   /* not sent: a handler, or a partition runs */
    }
    if (st != PSA_SUCCESS || got < sizeof ans) {
        return PSA_ERROR_SERVICE_FAILURE;   /* it faulted (restarted), or a wrong answer */
    }
    psa_status_t status = (psa_status_t)ans[0];
    bool ok = got == sizeof ans + (status == PSA_SUCCESS ? caps : 0u);
    for (size_t i = 0; ok && i < MS_TEE_MAX_IOVEC; i++) {
        ok = i < m->n_out && status == PSA_SUCCESS ? ans[1 + i] <= m->out_cap[i] : ans[1 + i] == 0;
    }
    if (!ok) {
        for (size_t i = 0; i < m->n_out; i++) {
            memset(m->out[i], 0, m->out_cap[i]);
        }
        return PSA_ERROR_SERVICE_FAILURE;
    }
    for (size_t i = 0; i < m->n_out; i++) {
        m->out_len[i] = ans[1 + i];
    }
    return status;
}

psa_status_t tee_link_serve(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (type == KS_MSG_SIGN || type == KS_MSG_EXPORT) {
        return tee_keystore_serve_key(MS_TEE_PART_LINK, MS_TEE_KEY_IDENTITY, type, in, len, out,
                                      cap, out_len);
    }
    return tee_storage_serve_link(type, in, len, out, cap, out_len);
}
