/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tee_dispatch.c - libFuzzer target for the secure API boundary (M11):
 * message decoding, vector checks and every service handler behind them.
 *
 * Input: msg_len(2, LE) | message (msg_len bytes) | Non-secure memory.
 * The message is decoded against a 4 KiB caller region filled from the rest
 * of the input; the services run on real (simulated-flash) storage, keys
 * and attestation, set up once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_dispatch.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "tee_hooks_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ms_flash_sim_t g_its, g_ps;
static ms_flash_area_t g_its_area, g_ps_area;
static uint8_t g_ns[4096];

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
    if (ms_flash_sim_open(&g_its, NULL, 4 * 4096, 4096, 8, 0xff) ||
        ms_flash_sim_open(&g_ps, NULL, 4 * 8192, 8192, 8, 0xff)) {
        abort();
    }
    g_its_area = (ms_flash_area_t){ &g_its.flash, 0, 4 * 4096 };
    g_ps_area = (ms_flash_area_t){ &g_ps.flash, 0, 4 * 8192 };
    ms_image_measurement_t meas;
    memset(&meas, 0, sizeof meas);
    const char *types[1] = { "SPE" };
    uint8_t impl[32] = { 0 };
    if (ms_tee_rng_init(NULL, NULL, 4) || ms_tee_storage_init(&g_its_area, &g_ps_area) ||
        ms_tee_keystore_provision(NULL, NULL) ||
        ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, &meas, types, 1, impl, 0x3000)) {
        abort();
    }
    ms_tee_key_policy_t p = { MS_TEE_USE_ENCRYPT | MS_TEE_USE_DECRYPT,
                              MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    (void)ms_tee_key_generate(MS_TEE_PART_NSPE, 3, MS_TEE_KEY_AES, 128, &p);
    ms_tee_key_policy_t m = { MS_TEE_USE_MAC, MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    (void)ms_tee_key_generate(MS_TEE_PART_NSPE, 4, MS_TEE_KEY_HMAC, 256, &m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    if (size < 2) {
        return 0;
    }
    size_t mlen = (size_t)data[0] | ((size_t)data[1] << 8);
    if (mlen > size - 2) {
        mlen = size - 2;
    }
    const uint8_t *msg = data + 2;
    size_t rest = size - 2 - mlen;
    memset(g_ns, 0, sizeof g_ns);
    memcpy(g_ns, msg + mlen, rest < sizeof g_ns ? rest : sizeof g_ns);

    /* the message itself is copied so it can sit outside the region */
    uint8_t *copy = malloc(mlen ? mlen : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, msg, mlen);
    ms_tee_caller_t caller = { MS_TEE_PART_NSPE, (uintptr_t)g_ns, sizeof g_ns };
    size_t outs[MS_TEE_MAX_IOVEC];
    (void)ms_tee_dispatch_message(&caller, copy, mlen, outs);
    free(copy);
    return 0;
}
