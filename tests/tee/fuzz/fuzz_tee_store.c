/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tee_store.c - libFuzzer target for the storage record parser and
 * mount over hostile flash contents (M9).
 *
 * Input: byte 0 selects the mode.
 *   0: the record header parser alone on the rest of the input;
 *   2: the attacker's header edit: byte 1 picks the newest record of one
 *      object (or a tombstone), the rest is XORed into bytes 4..59 of both
 *      of its header copies, and the CRCs are made to match again (CRCs are
 *      framing, not security); then as below;
 *   else: a valid store image (built once: objects, versions, GC, a seal)
 *         is XORed
 *         with the rest of the input;
 *   then the image is mounted; if the mount succeeds, every object is read
 *   and more are written, so recovery, GC and reads all run over the
 *   damaged image. Whatever the damage, uid 4 (WRITE_ONCE) must keep its
 *   flag and refuse to be replaced or removed: the target aborts if not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "meterseal/tee.h"
#include "meterseal/tee_store.h"
#include "tee_hooks_host.h"
#include "../tee_test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTORS 3u
#define SECTOR 1024u
#define NVC 6u

static ms_flash_sim_t g_sim;
static ms_flash_area_t g_area;
static uint8_t g_base[SECTORS * SECTOR];
static uint64_t g_base_nv;
static ms_tee_store_t g_st;
static ms_tee_store_entry_t g_index[16];
static uint8_t g_work[MS_TEE_STORE_WORK_LEN(128)];
static const uint8_t g_enc[32] = { 1 }, g_mac[32] = { 2 };
static uint32_t g_rec_at[16];   /* where the base image's newest records start */
static size_t g_n_rec;

#define UID_ONCE 4u

static ms_tee_store_config_t config(void)
{
    ms_tee_store_config_t c = {
        .area = &g_area, .nvc_id = NVC, .index = g_index, .index_cap = 16,
        .max_objects = 8, .max_data = 128, .work = g_work, .work_len = sizeof g_work,
    };
    return c;
}

static void init_once(void)
{
    static int done;
    if (done) {
        return;
    }
    done = 1;
    if (ms_flash_sim_open(&g_sim, NULL, SECTORS * SECTOR, SECTOR, 4, 0xff)) {
        abort();
    }
    g_area = (ms_flash_area_t){ &g_sim.flash, 0, SECTORS * SECTOR };
    ms_host_tee_nvc_set(NVC, 0);
    ms_tee_store_config_t c = config();
    if (ms_tee_store_mount(&g_st, &c, g_enc, g_mac)) {
        abort();
    }
    uint8_t buf[100];
    for (unsigned v = 1; v <= 20; v++) {
        memset(buf, (int)v, sizeof buf);
        /* uid 4 is write-once from v = 3 on: its later sets are refused */
        (void)ms_tee_store_set(&g_st, 1 + v % 4, buf, 10 + (v * 7) % 90, v == 3 ? 1u : 0u);
    }
    /* a write that fails after its intent step: the next one seals its
     * seq first, so the image holds a seal record too */
    ms_flash_sim_fail_writes(&g_sim, 0, SECTORS * SECTOR);
    (void)ms_tee_store_set(&g_st, 3, buf, 50, 0);
    ms_flash_sim_fail_writes(&g_sim, 0, 0);
    (void)ms_tee_store_remove(&g_st, 2);
    for (size_t i = 0; i < g_st.n_entries && g_n_rec < 16; i++) {
        g_rec_at[g_n_rec++] = g_index[i].sector * SECTOR + g_index[i].offset;
    }
    ms_tee_store_unmount(&g_st);
    memcpy(g_base, g_sim.mem, sizeof g_base);
    (void)ms_tee_hal_nvc_read(NVC, &g_base_nv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    if (size < 1) {
        return 0;
    }
    if (data[0] == 0) {
        ms_tee_record_hdr_t h;
        bool damaged;
        (void)ms_tee_store_parse_header(data + 1, size - 1, &h, &damaged);
        return 0;
    }
    memcpy(g_sim.mem, g_base, sizeof g_base);
    if (data[0] == 2 && size >= 2 && g_n_rec > 0) {
        uint8_t *h = g_sim.mem + g_rec_at[data[1] % g_n_rec];
        for (size_t i = 2; i < size && i - 2 < 56; i++) {
            h[4 + i - 2] ^= data[i];
            h[MS_TEE_STORE_HDR_LEN + 4 + i - 2] ^= data[i];
        }
        tt_header_fix_crc(h);
        tt_header_fix_crc(h + MS_TEE_STORE_HDR_LEN);
    } else {
        for (size_t i = 1; i < size && i - 1 < sizeof g_base; i++) {
            g_sim.mem[i - 1] ^= data[i];
        }
    }
    ms_host_tee_nvc_set(NVC, g_base_nv);
    ms_tee_store_config_t c = config();
    if (ms_tee_store_mount(&g_st, &c, g_enc, g_mac) != MS_OK) {
        return 0;
    }
    uint8_t out[128];
    size_t n, once_size;
    uint32_t once_flags;
    for (uint64_t uid = 1; uid <= 6; uid++) {
        (void)ms_tee_store_get(&g_st, uid, 0, out, sizeof out, &n);
    }
    /* M9: no edit of the flash makes a WRITE_ONCE object writable */
    if (ms_tee_store_info(&g_st, UID_ONCE, &once_size, NULL, &once_flags) != MS_OK ||
        once_flags != 1u || ms_tee_store_set(&g_st, UID_ONCE, out, 1, 0) == MS_OK ||
        ms_tee_store_remove(&g_st, UID_ONCE) == MS_OK) {
        abort();
    }
    memset(out, 0xa5, sizeof out);
    for (int i = 0; i < 4; i++) {
        (void)ms_tee_store_set(&g_st, 5 + (uint64_t)(i % 2), out, 100, 0);
    }
    ms_tee_store_unmount(&g_st);
    return 0;
}
