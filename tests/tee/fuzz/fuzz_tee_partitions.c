/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tee_partitions.c - libFuzzer target for the Secure partitions'
 * message decoders (firmware/secure/part_storage.c, part_keystore.c,
 * part_attest.c), compiled for the host with the services behind them.
 *
 * On the meter the kernel builds these messages, but what the key store
 * asks of storage passes through from a partition, and a partition is
 * exactly what the isolation assumes may be taken over: every decoder must
 * stay inside its mailbox whatever it is sent.
 *
 * Input: partition(1) | type(2, LE) | the message data (at most the
 * mailbox). Partition 0 is storage (ITS and PS on a simulated NOR at the
 * meter's offsets), 1 the key store, 2 attestation; the services are set up
 * once and keep their state across inputs, as on the meter (storage's
 * START, a mount, is not sent again). The target aborts if an answer claims
 * more than the mailbox holds. Partition 3 is
 * the update partition's decoders (part_update_msg.c; the service behind
 * them has its own target, fuzz_tee_update): type 1 START, else REQUEST;
 * the target aborts if a decoded request's pieces leave the message.
 * Partition 4 is the link partition (part_link.c, its decoder
 * part_link_msg.c, the link service behind it unprovisioned): the target
 * aborts if a decoded call's inputs leave the message or an answer's
 * lengths pass their caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "an505_map.h"
#include "flash_nor.h"
#include "flash_sim.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "part_attest.h"
#include "part_keystore.h"
#include "part_link.h"
#include "part_storage.h"
#include "part_update.h"
#include "tee_hooks_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The meter's NOR as part_storage.c names it, up to the end of the TEE's
 * storage: a simulated device behind the same descriptor. */
#define NOR_LEN (AN505_TEE_NVC_OFF)

static ms_flash_sim_t g_nor;

static ms_err_t nor_read(void *dev, uint32_t off, void *buf, size_t len)
{
    (void)dev;
    return g_nor.flash.ops->read(g_nor.flash.dev, off, buf, len);
}

static ms_err_t nor_write(void *dev, uint32_t off, const void *buf, size_t len)
{
    (void)dev;
    return g_nor.flash.ops->write(g_nor.flash.dev, off, buf, len);
}

static ms_err_t nor_erase(void *dev, uint32_t off, size_t len)
{
    (void)dev;
    return g_nor.flash.ops->erase(g_nor.flash.dev, off, len);
}

static const struct ms_flash_ops nor_ops = { nor_read, nor_write, nor_erase };

const ms_flash_t ms_an505_nor = {
    .ops = &nor_ops, .size = NOR_LEN, .sector_size = AN505_FLASH_SECTOR,
    .write_align = AN505_FLASH_WRITE_ALIGN, .erased_val = 0xFF,
};

static spm_msg_t g_msg;

static void send(int32_t (*handler)(spm_msg_t *, void *), int32_t type, const void *in,
                 size_t len)
{
    memset(&g_msg, 0, sizeof g_msg);
    g_msg.type = type;
    g_msg.len = (uint32_t)len;
    if (len != 0) {
        memcpy(g_msg.data, in, len);   /* START carries nothing (in is NULL) */
    }
    (void)handler(&g_msg, NULL);
    if (g_msg.out_len > sizeof g_msg.data) {
        abort();   /* an answer larger than the mailbox */
    }
}

static void init_once(void)
{
    static int done;
    if (done) {
        return;
    }
    done = 1;
    uint8_t huk[MS_TEE_HUK_LEN];
    memset(huk, 0x42, sizeof huk);
    ms_host_tee_set_huk(huk);
    if (ms_flash_sim_open(&g_nor, NULL, NOR_LEN, AN505_FLASH_SECTOR, AN505_FLASH_WRITE_ALIGN,
                          0xFF) ||
        ms_tee_rng_init(NULL, NULL, 4)) {
        abort();
    }
    /* storage started by its own message, as the kernel does after a restart */
    send(spm_storage_main, STORAGE_MSG_START, NULL, 0);
    int32_t err;
    memcpy(&err, g_msg.data, sizeof err);
    ms_image_measurement_t meas;
    memset(&meas, 0, sizeof meas);
    const char *types[1] = { "SPE" };
    uint8_t impl[32] = { 0 };
    if (err != MS_OK || ms_tee_keystore_provision(NULL, NULL) ||
        ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, &meas, types, 1, impl, 0x3000)) {
        abort();
    }
    ms_tee_key_policy_t p = { MS_TEE_USE_ENCRYPT | MS_TEE_USE_DECRYPT,
                              MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    (void)ms_tee_key_generate(MS_TEE_PART_NSPE, 3, MS_TEE_KEY_AES, 128, &p);
    ms_tee_key_policy_t m = { MS_TEE_USE_MAC, MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    (void)ms_tee_key_generate(MS_TEE_PART_NSPE, 4, MS_TEE_KEY_HMAC, 256, &m);
}

/* The update partition's decoders: what they accept lies inside the message. */
static void update_decoders(int32_t type, const uint8_t *in, size_t len)
{
    memset(&g_msg, 0, sizeof g_msg);
    g_msg.type = type;
    g_msg.len = (uint32_t)len;
    memcpy(g_msg.data, in, len);
    if (type == UPD_MSG_START) {
        ms_an505_boot_trust_t t;
        if (upd_start_decode(&g_msg, &t) == MS_OK &&
            (t.n_hashes == 0 || t.n_hashes > MS_OTP_ROT_SLOTS)) {
            abort();
        }
        return;
    }
    upd_request_t r;
    if (upd_request_decode(&g_msg, &r) != MS_OK) {
        if (r.in != NULL || r.data != NULL || r.in_len != 0 || r.data_len != 0) {
            abort();   /* a refused request is all zero */
        }
        return;
    }
    const uint8_t *lo = g_msg.data + UPD_REQ_HDR, *hi = g_msg.data + g_msg.len;
    if (r.n_in > 2 || (r.in != NULL && (r.in < lo || r.in + r.in_len > hi)) ||
        (r.data != NULL && (r.data < lo || r.data + r.data_len > hi)) ||
        UPD_REQ_HDR + (size_t)r.in_len + r.data_len != g_msg.len) {
        abort();
    }
}

/* The link partition: its decoder keeps a call inside the message, and the
 * answer of one it accepts is its status, lengths within the caps, then the
 * caps' bytes. */
static void link_partition(int32_t type, const uint8_t *in, size_t len)
{
    memset(&g_msg, 0, sizeof g_msg);
    g_msg.type = type;
    g_msg.len = (uint32_t)len;
    memcpy(g_msg.data, in, len);
    link_call_t c;
    if (link_call_decode(&g_msg, &c) != MS_OK) {
        if (c.m.n_in != 0 || c.m.n_out != 0 || c.sid != 0) {
            abort();   /* a refused call is all zero */
        }
    } else {
        size_t total = 0, caps = 0;
        for (size_t i = 0; i < c.m.n_in; i++) {
            if (c.m.in[i] != g_msg.data + LINK_CALL_HDR + total) {
                abort();
            }
            total += c.m.in_len[i];
        }
        for (size_t i = 0; i < c.m.n_out; i++) {
            caps += c.m.out_cap[i];
        }
        if (LINK_CALL_HDR + total != g_msg.len || caps > MS_TEE_IO_BUF_LEN) {
            abort();
        }
    }
    send(spm_link_main, type, in, len);
    if (g_msg.out_len != 0) {
        uint32_t hdr[1 + MS_TEE_MAX_IOVEC];
        memcpy(hdr, g_msg.data, sizeof hdr);
        size_t caps = 0;
        for (size_t i = 0; i < c.m.n_out; i++) {
            if (hdr[1 + i] > c.m.out_cap[i]) {
                abort();
            }
            caps += c.m.out_cap[i];
        }
        if (g_msg.out_len != LINK_ANSWER_HDR + (hdr[0] == PSA_SUCCESS ? caps : 0u)) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    if (size < 3) {
        return 0;
    }
    if (data[0] % 5u == 3u || data[0] % 5u == 4u) {
        int32_t type = (int32_t)((uint32_t)data[1] | ((uint32_t)data[2] << 8));
        size_t len = size - 3 > SPM_MSG_DATA ? SPM_MSG_DATA : size - 3;
        (data[0] % 5u == 3u ? update_decoders : link_partition)(type, data + 3, len);
        return 0;
    }
    static int32_t (*const handlers[3])(spm_msg_t *, void *) = {
        spm_storage_main, spm_keystore_main, spm_attest_main,
    };
    int32_t (*handler)(spm_msg_t *, void *) = handlers[data[0] % 5u];
    int32_t type = (int32_t)((uint32_t)data[1] | ((uint32_t)data[2] << 8));
    if (handler == spm_storage_main && (type & ~STORAGE_PS) == STORAGE_MSG_START) {
        /* START reads nothing of its message; the mount it runs is
         * fuzz_tee_store's target. Here it made every such input pay for a
         * mount of all that earlier inputs stored: 73 % of the time. */
        return 0;
    }
    size_t len = size - 3;
    if (len > SPM_MSG_DATA) {
        len = SPM_MSG_DATA;
    }
    send(handler, type, data + 3, len);
    return 0;
}
