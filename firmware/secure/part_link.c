/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_link.c - the cloud link partition: the link service (src/tee/link,
 * its secure-API share ms_tee_link_handle) behind the CALL message of
 * part_link.h. Runs unprivileged; its memory is its section (spm.c): the
 * mailbox, the request block, its stack, its crypto pool (the TLS
 * session's allocations, its DRBG), the service's state (the channel, the
 * keys it keeps) and Mbed TLS's PSA core state (the linker puts it here:
 * image.ld.S).
 *
 * It holds no long-term key: the handshake's and the messages' signatures
 * are the key store's (the identity key, by request through the kernel);
 * its records are PS objects under its own uids, by request too.
 *
 * Invariants:
 *   - A CALL is decoded (part_link_msg.c) with every length checked before
 *     the service runs; the service's answers go to this partition's own
 *     buffer, each bounded by its cap, and reach the mailbox only after the
 *     service is done with the inputs there; a call that failed answers
 *     its status alone.
 *   - Nothing of an answer stays behind: the buffer is wiped once copied.
 */
#include <string.h>

#include "meterseal/crypto.h"
#include "part_link.h"

/* The answers, placed as the caps say (the mailbox holds the inputs
 * meanwhile). */
static uint8_t g_out[MS_TEE_IO_BUF_LEN] MS_TEE_PART_DATA(link);

int32_t spm_link_main(spm_msg_t *msg, void *state)
{
    link_call_t c;
    (void)state;
    if (msg->type != LINK_MSG_CALL) {
        return PSA_ERROR_NOT_SUPPORTED;
    }
    if (link_call_decode(msg, &c) != MS_OK) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    size_t caps = 0;
    for (size_t i = 0; i < c.m.n_out; i++) {
        c.m.out[i] = g_out + caps;
        caps += c.m.out_cap[i];
    }
    memset(g_out, 0, caps);
    psa_status_t st = ms_tee_link_handle(c.sid, &c.m);

    uint32_t hdr[1 + MS_TEE_MAX_IOVEC];
    memset(hdr, 0, sizeof hdr);
    for (size_t i = 0; st == PSA_SUCCESS && i < c.m.n_out; i++) {
        if (c.m.out_len[i] > c.m.out_cap[i]) {
            st = PSA_ERROR_PROGRAMMER_ERROR;   /* the service's bug: nothing goes out */
            memset(hdr, 0, sizeof hdr);
            break;
        }
        hdr[1 + i] = (uint32_t)c.m.out_len[i];
    }
    hdr[0] = (uint32_t)st;
    size_t n = st == PSA_SUCCESS ? caps : 0;   /* a failed call answers nothing */
    memcpy(msg->data, hdr, sizeof hdr);
    memcpy(msg->data + LINK_ANSWER_HDR, g_out, n);
    msg->out_len = (uint32_t)(LINK_ANSWER_HDR + n);
    ms_secure_zero(g_out, caps);
    return PSA_SUCCESS;
}
