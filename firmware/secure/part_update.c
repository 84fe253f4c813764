/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_update.c - the firmware update partition: the update service
 * (src/tee/update) behind the messages of part_update.h. Runs
 * unprivileged; its memory is its section (spm.c): mailbox, stack, crypto
 * pool, and the state below, with the download in progress.
 *
 * What it reaches: its section, the four image slots (its device windows:
 * the secondary slots read-write, where it stages and marks the pending
 * install; the primaries read-only, the running images it checks a
 * download against), the Secure image's code and constants. CONFIRM's one
 * flag in a primary's trailer is written by the kernel (update_client.c),
 * so the partition taken over cannot touch the running images. The
 * security counters only by asking the kernel (a kernel service), the
 * payload key of an encrypted image only unwrapped by the kernel (a
 * request): the device's image decryption key, like the rest of OTP (the
 * HUK, the root-of-trust hashes, which come with START), never comes here.
 *
 * Invariants: every message is decoded by part_update_msg.c, its length
 * checked against its layout before a field is read; the answer is written
 * only after the service is done with the request's bytes; until START the
 * service answers MS_ERR_STATE (its state is all zero after a restart, and
 * the client sends START again); an image's payload key exists here only
 * while the boot core uses it (it wipes it).
 */
#include <string.h>

#include "boot_cfg.h"
#include "part_update.h"
#include "tee_hal.h"

typedef struct update_state {
    ms_an505_boot_store_t store;
    ms_boot_config_t cfg;
    ms_tee_update_t u;
    bool started;
} update_state_t;

static update_state_t g_upd MS_TEE_PART_DATA(update);

/* The payload key of an encrypted image, unwrapped by the kernel (the
 * device's image decryption key never comes here). */
static ms_err_t unwrap_key(void *ctx, uint8_t image_id, const ms_image_info_t *info,
                           uint8_t key[MS_IMAGE_ENC_KEY_MAX], size_t *key_len)
{
    (void)ctx;
    (void)image_id;
    *key_len = 0;
    if (info->enc_tlv_len > sizeof info->enc_tlv) {
        return MS_ERR_IMG_ENC_KEY;
    }
    const uint32_t hdr[2] = { info->hdr.flags, info->enc_tlv_len };
    const spm_iov_t in[2] = { { hdr, sizeof hdr }, { info->enc_tlv, info->enc_tlv_len } };
    const spm_ovec_t out[1] = { { key, MS_IMAGE_ENC_KEY_MAX } };
    size_t got = 0;
    ms_err_t err = spm_call_err(SPM_PART_UPDATE, UPD_REQ_UNWRAP, in, 2, out, 1, &got);
    if (err == MS_OK && got != 16u && got != 32u) {
        err = MS_ERR_INTERNAL;
    }
    if (err != MS_OK) {
        ms_secure_zero(key, MS_IMAGE_ENC_KEY_MAX);
        return err;
    }
    *key_len = got;
    return MS_OK;
}

static ms_err_t seccnt_get(void *ctx, uint8_t image_id, uint32_t *value)
{
    (void)ctx;
    uint64_t v = 0;
    ms_err_t err = ms_an505_kernel_service(MS_AN505_KS_SECCNT_READ, image_id, 0, &v);
    *value = (uint32_t)v;
    return err;
}

/* Only the boot loader raises a counter, when it installs. */
static ms_err_t seccnt_update(void *ctx, uint8_t image_id, uint32_t value)
{
    (void)ctx;
    (void)image_id;
    (void)value;
    return MS_ERR_TEE_DENIED;
}

static const ms_boot_seccnt_ops_t seccnt_ops = {
    .init = NULL, .get = seccnt_get, .update = seccnt_update,
};

static const ms_boot_hooks_t hooks = {
    .unwrap_key = unwrap_key,
    .seccnt = &seccnt_ops,
};

static int32_t answer_err(spm_msg_t *msg, ms_err_t err)
{
    int32_t e = (int32_t)err;
    memcpy(msg->data, &e, 4);
    msg->out_len = 4;
    return PSA_SUCCESS;
}

static int32_t answer_request(spm_msg_t *msg, ms_err_t err, const uint8_t *out, size_t n)
{
    int32_t e = (int32_t)err;
    uint32_t len = (uint32_t)n;
    memcpy(msg->data, &e, 4);
    memcpy(msg->data + 4, &len, 4);
    memcpy(msg->data + 8, out, n);
    msg->out_len = 8u + len;
    return PSA_SUCCESS;
}

static int32_t start(spm_msg_t *msg)
{
    ms_an505_boot_trust_t trust;
    ms_err_t err = upd_start_decode(msg, &trust);
    if (err != MS_OK) {
        return answer_err(msg, err);
    }
    if (g_upd.started) {
        ms_tee_update_abort(&g_upd.u);   /* frees a running hash */
    }
    err = ms_an505_boot_config_build(&g_upd.cfg, &g_upd.store, &trust, &hooks);
    if (err == MS_OK) {
        ms_tee_update_init(&g_upd.u, &g_upd.cfg);
        g_upd.started = true;
    }
    return answer_err(msg, err);
}

static int32_t request(spm_msg_t *msg)
{
    uint8_t out[UPD_OUT_MAX];
    size_t n = 0;
    upd_request_t r;
    ms_err_t err = upd_request_decode(msg, &r);
    if (err != MS_OK) {
        return answer_err(msg, err);
    }
    if (!g_upd.started) {
        return answer_err(msg, MS_ERR_STATE);
    }
    if (r.type == MS_TEE_UPDATE_CONFIRM) {
        /* the kernel's (update_client.c): the primaries are read-only here */
        return answer_request(msg, MS_ERR_TEE_DENIED, out, 0);
    }
    err = ms_tee_update_request(&g_upd.u, r.type, r.n_in, r.in, r.in_len, r.data, r.data_len,
                                out, r.out_cap < sizeof out ? r.out_cap : sizeof out, &n);
    return answer_request(msg, err, out, n <= sizeof out ? n : 0u);
}

int32_t spm_update_main(spm_msg_t *msg, void *state)
{
    (void)state;
    if (msg->len > SPM_MSG_DATA) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    switch (msg->type) {
    case UPD_MSG_START:
        return start(msg);
    case UPD_MSG_REQUEST:
        return request(msg);
    default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
}
