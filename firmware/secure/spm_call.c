/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spm_call.c - the shorter ways to send a message (spm.h), over the two the
 * kernel implements (spm.c): spm_callv from the kernel to a partition,
 * spm_requestv from a partition to the kernel. One buffer or two instead of
 * vectors, and spm_call_err, whose answer starts with the service's
 * ms_err_t and which picks the way by who is calling.
 */
#include "spm.h"

#include "an505.h"

psa_status_t spm_call(uint32_t pid, int32_t type, const void *in, size_t in_len, void *out,
                      size_t cap, size_t *out_len)
{
    return spm_call2(pid, type, in, in_len, NULL, 0, out, cap, out_len);
}

psa_status_t spm_call2(uint32_t pid, int32_t type, const void *in, size_t in_len,
                       const void *in2, size_t in2_len, void *out, size_t cap, size_t *out_len)
{
    const spm_iov_t iv[2] = { { in, in_len }, { in2, in2_len } };
    const spm_ovec_t ov = { out, cap };
    return spm_callv(pid, type, iv, 2, &ov, 1, out_len);
}

psa_status_t spm_request(int32_t type, const void *in, size_t in_len, const void *in2,
                         size_t in2_len, void *out, size_t cap, size_t *out_len)
{
    const spm_iov_t iv[2] = { { in, in_len }, { in2, in2_len } };
    const spm_ovec_t ov = { out, cap };
    return spm_requestv(type, iv, 2, &ov, 1, out_len);
}

ms_err_t spm_call_err(uint32_t pid, int32_t type, const spm_iov_t *in, size_t n_in,
                      const spm_ovec_t *out, size_t n_out, size_t *got)
{
    int32_t err = (int32_t)MS_ERR_INTERNAL;
    spm_ovec_t ov[1 + SPM_MAX_VEC];
    size_t n = 0;
    if (got != NULL) {
        *got = 0;
    }
    if (n_out > SPM_MAX_VEC) {
        return MS_ERR_ARG;
    }
    ov[0] = (spm_ovec_t){ &err, sizeof err };
    for (size_t i = 0; i < n_out; i++) {
        ov[1 + i] = out[i];
    }
    psa_status_t st = ms_an505_unprivileged() ? spm_requestv(type, in, n_in, ov, 1 + n_out, &n)
                                              : spm_callv(pid, type, in, n_in, ov, 1 + n_out, &n);
    if (st == PSA_ERROR_SERVICE_FAILURE) {
        return MS_ERR_TEE_SERVICE_FAILED;
    }
    if (st == PSA_ERROR_BAD_STATE) {
        return MS_ERR_STATE;
    }
    if (st != PSA_SUCCESS || n < sizeof err) {
        return MS_ERR_INTERNAL;
    }
    if (got != NULL) {
        *got = n - sizeof err;
    }
    return (ms_err_t)err;
}
