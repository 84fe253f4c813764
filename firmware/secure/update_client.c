/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update_client.c - the firmware update service as the Secure kernel's side
 * of the update partition (part_update.h): the dispatcher's update requests
 * (installed with ms_tee_dispatch_set_update) become one message each.
 *
 * Invariants:
 *   - The trust (the OTP's root-of-trust hashes and strategy) is read by
 *     the kernel once at start-up and kept here: a restarted partition (its
 *     memory wiped: the download in progress is lost, the Non-secure side
 *     starts it again) is sent it before its next request.
 *   - Until START succeeded every request answers MS_ERR_STATE, as the
 *     service does before it is bound.
 *   - The image decryption key is read here, for one unwrap at a time, and
 *     wiped; the partition gets only an image's payload key, and only while
 *     a VERIFY or permanent INSTALL it was sent is in flight, once each
 *     (tee_update_serve).
 *   - CONFIRM is served here, on the kernel's own copy of the boot
 *     configuration: it is the one write to a running image's slot, and
 *     the partition's windows over the primary slots are read-only.
 *   - An answer is taken only in its exact shape: err(4), out_len(4) and
 *     out_len bytes within the caller's capacity, out_len 0 or the status's
 *     length; anything else is MS_ERR_INTERNAL. A fault of the partition,
 *     or a START it refuses after its restart, is MS_ERR_TEE_SERVICE_FAILED.
 */
#include <string.h>

#include "boot_cfg.h"
#include "meterseal/tee_dispatch.h"
#include "part_update.h"

/* The kernel's own copy of the boot configuration, for CONFIRM's flag. */
static ms_an505_boot_store_t kernel_store;
static ms_boot_config_t kernel_cfg;
static const ms_boot_hooks_t kernel_hooks = { .seccnt = &ms_otp_seccnt_ops };

/* Unwraps the message in flight may ask for (tee_update_serve). */
static uint32_t unwraps_left;

static uint8_t start_msg[8u + MS_OTP_ROT_SLOTS * MS_SHA256_LEN];
static size_t start_len;                        /* 0: no trust yet */
static uint32_t start_sent_at = UINT32_MAX;     /* the partition's restarts when it got it */

static ms_err_t send_start(void)
{
    uint32_t restarts = spm_restarts(SPM_PART_UPDATE);
    const spm_iov_t in = { start_msg, start_len };
    ms_err_t err = spm_call_err(SPM_PART_UPDATE, UPD_MSG_START, &in, 1, NULL, 0, NULL);
    if (err == MS_OK) {
        start_sent_at = restarts;
    }
    return err;
}

static ms_err_t request(int32_t type, size_t n_in, const uint8_t *in, size_t in_len,
                        const uint8_t *data, size_t data_len, uint8_t *out, size_t out_cap,
                        size_t *out_len)
{
    *out_len = 0;
    if (start_len == 0) {
        return MS_ERR_STATE;
    }
    if (type == MS_TEE_UPDATE_CONFIRM) {
        /* The one write to a running image's slot: the image_ok flag in its
         * primary's trailer, here (the partition reads the primaries only),
         * with the service's own checks (ms_tee_update_request); it needs
         * nothing of the partition. */
        if (n_in != 1 || in_len != 1 || in == NULL) {
            return MS_ERR_FORMAT;
        }
        return in[0] < kernel_cfg.n_images ? ms_boot_confirm(&kernel_cfg, in[0]) : MS_ERR_ARG;
    }
    if (spm_restarts(SPM_PART_UPDATE) != start_sent_at && send_start() != MS_OK) {
        return MS_ERR_TEE_SERVICE_FAILED;   /* not the request's own fault */
    }
    if (in_len + data_len > MS_TEE_IO_BUF_LEN) {
        return MS_ERR_FORMAT;   /* more than the dispatcher ever passes */
    }
    const uint32_t hdr[5] = { (uint32_t)type, (uint32_t)n_in, (uint32_t)in_len,
                              (uint32_t)data_len, (uint32_t)out_cap };
    const spm_iov_t iov[3] = { { hdr, sizeof hdr }, { in, in_len }, { data, data_len } };
    uint32_t n = 0;
    uint8_t answer[UPD_OUT_MAX];
    const spm_ovec_t ov[2] = { { &n, sizeof n }, { answer, sizeof answer } };
    size_t got = 0;
    /* a VERIFY checks the image once, so does a permanent INSTALL (a test
     * INSTALL does not look at the image again) */
    bool permanent = type == MS_TEE_UPDATE_INSTALL && n_in == 1 && in_len == 1 && in[0] == 1;
    unwraps_left = type == MS_TEE_UPDATE_VERIFY || permanent ? UPD_UNWRAPS_MAX : 0u;
    ms_err_t err = spm_call_err(SPM_PART_UPDATE, UPD_MSG_REQUEST, iov, 3, ov, 2, &got);
    unwraps_left = 0;
    if (err == MS_ERR_TEE_SERVICE_FAILED || err == MS_ERR_STATE) {
        return err;
    }
    /* the service answers with its status or nothing: a partition taken
     * over gets no more than that out through here */
    if (got < sizeof n || got != sizeof n + n || n > out_cap ||
        (n != 0 && n != MS_TEE_UPDATE_STATUS_LEN)) {
        return MS_ERR_INTERNAL;
    }
    if (n != 0) {
        memcpy(out, answer, n);
    }
    *out_len = n;
    return err;
}

/* The update partition's request (part_update.h): the payload key of an
 * encrypted image, unwrapped here with the device's image decryption key
 * (OTP), which the partition never gets; only while a VERIFY or a
 * permanent INSTALL is in flight, once each. */
psa_status_t tee_update_serve(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len)
{
    static ms_image_info_t info;   /* the TLV and the header's flags: all unwrap reads */
    uint32_t hdr[2];
    *out_len = 0;
    if (type != UPD_REQ_UNWRAP || unwraps_left == 0) {
        return PSA_ERROR_NOT_PERMITTED;
    }
    if (len < sizeof hdr || cap < 4u + MS_IMAGE_ENC_KEY_MAX) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    memcpy(hdr, in, sizeof hdr);
    if (hdr[1] > sizeof info.enc_tlv || len != sizeof hdr + hdr[1]) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    unwraps_left--;
    memset(&info, 0, sizeof info);
    info.hdr.flags = hdr[0];
    info.enc_tlv_len = (uint16_t)hdr[1];
    memcpy(info.enc_tlv, in + sizeof hdr, hdr[1]);
    ms_p256_priv_t priv;
    uint8_t key[MS_IMAGE_ENC_KEY_MAX];
    size_t klen = 0;
    ms_err_t err = ms_an505_image_enc_key(NULL, 0, &priv) == MS_OK
                       ? ms_image_unwrap_key(&info, &priv, key, &klen)
                       : MS_ERR_BOOT_NO_ENC_KEY;
    ms_secure_zero(&priv, sizeof priv);
    int32_t e = (int32_t)err;
    memcpy(out, &e, sizeof e);
    if (err == MS_OK) {
        memcpy(out + sizeof e, key, klen);
        *out_len = sizeof e + klen;
    } else {
        *out_len = sizeof e;
    }
    ms_secure_zero(key, sizeof key);
    return PSA_SUCCESS;
}

ms_err_t tee_update_start(const ms_an505_boot_trust_t *trust)
{
    if (trust->n_hashes == 0 || trust->n_hashes > MS_OTP_ROT_SLOTS) {
        return MS_ERR_ARG;
    }
    ms_err_t built = ms_an505_boot_config_build(&kernel_cfg, &kernel_store, trust, &kernel_hooks);
    if (built != MS_OK) {
        return built;
    }
    const uint32_t words[2] = { trust->overwrite ? 1u : 0u, trust->n_hashes };
    memcpy(start_msg, words, sizeof words);
    memcpy(start_msg + sizeof words, trust->hashes, trust->n_hashes * MS_SHA256_LEN);
    start_len = sizeof words + trust->n_hashes * MS_SHA256_LEN;
    ms_err_t err = send_start();
    if (err != MS_OK) {
        start_len = 0;
        return err;
    }
    ms_tee_dispatch_set_update(request);
    return MS_OK;
}
