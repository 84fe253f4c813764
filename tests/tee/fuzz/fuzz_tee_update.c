/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tee_update.c - libFuzzer target for the update service's request
 * decoder (ms_tee_update_request, tee_update.h): a sequence of requests as
 * the Non-secure world could send them, against a meter with one image in
 * RAM-backed slots. Invariants checked: no crash, no out-of-bounds access
 * (ASan), the reported offset never exceeds the size, and nothing is ever
 * marked pending (no input carries an image signed by the test anchor).
 *
 * Input: repeated records type(1) n_in(1) in_len(1) data_len(2, LE), then
 * in_len + data_len bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meterseal/boot.h"
#include "meterseal/tee_update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOT (16u * 1024u)

static uint8_t g_mem[2 * SLOT];
static ms_flash_ram_t g_ram;
static uint8_t g_buf[256];
static ms_boot_image_cfg_t g_img;
static ms_boot_hooks_t g_hooks;
static ms_boot_config_t g_cfg;
static ms_image_key_anchor_t g_anchor;

static ms_err_t cnt_init(void *ctx) { (void)ctx; return MS_OK; }
static ms_err_t cnt_get(void *ctx, uint8_t id, uint32_t *v) { (void)ctx; (void)id; *v = 1; return MS_OK; }
static ms_err_t cnt_update(void *ctx, uint8_t id, uint32_t v) { (void)ctx; (void)id; (void)v; return MS_OK; }
static const ms_boot_seccnt_ops_t g_cnt = {cnt_init, cnt_get, cnt_update};
static ms_err_t sec_ok(void *ctx) { (void)ctx; return MS_OK; }

static void setup(void)
{
    ms_flash_ram_init(&g_ram, g_mem, sizeof g_mem);
    g_img.image_id = 0;
    g_img.primary = (ms_flash_area_t){&g_ram.flash, 0, SLOT};
    g_img.secondary = (ms_flash_area_t){&g_ram.flash, SLOT, SLOT};
    g_hooks.check_security_config = sec_ok;
    g_hooks.seccnt = &g_cnt;
    memset(&g_anchor, 0x5a, sizeof g_anchor.key_hash);
    g_anchor.pub = NULL;
    g_cfg = (ms_boot_config_t){.images = &g_img, .n_images = 1,
                               .strategy = &ms_boot_strategy_swap_move, .anchors = &g_anchor,
                               .n_anchors = 1, .hooks = &g_hooks, .max_align = 8,
                               .max_sectors = 128, .buf = g_buf, .buf_len = sizeof g_buf};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ms_tee_update_t u;
    setup();
    memset(g_mem, 0xff, sizeof g_mem);
    ms_tee_update_init(&u, &g_cfg);
    size_t pos = 0;
    while (size - pos >= 5) {
        uint8_t type = data[pos], n_in = data[pos + 1] % 4, in_len = data[pos + 2];
        size_t dlen = (size_t)data[pos + 3] | ((size_t)data[pos + 4] << 8);
        pos += 5;
        if (in_len > size - pos) {
            in_len = (uint8_t)(size - pos);
        }
        const uint8_t *in = data + pos;
        pos += in_len;
        if (dlen > size - pos) {
            dlen = size - pos;
        }
        const uint8_t *d = data + pos;
        pos += dlen;
        uint8_t out[MS_TEE_UPDATE_STATUS_LEN + 4];
        size_t out_len = 0;
        (void)ms_tee_update_request(&u, (int32_t)(type % 10), n_in, in_len ? in : NULL, in_len,
                                    dlen ? d : NULL, dlen, out, sizeof out, &out_len);
        ms_tee_update_status_t st;
        ms_tee_update_status(&u, &st);
        if (st.offset > st.size || st.state == MS_TEE_UPD_PENDING || out_len > sizeof out) {
            abort();
        }
    }
    ms_tee_update_abort(&u);
    return 0;
}
