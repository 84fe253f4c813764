/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_hooks_host.c - HUK, NV counters and the key store's RNG for the host platform (see
 * tee_hooks_host.h). Host only: uses stdio and getrandom via the HAL.
 *
 * Invariant: a counter never decreases through ms_tee_hal_nvc_increment;
 * only the test hook ms_host_tee_nvc_set may change it arbitrarily.
 */
#include "tee_hooks_host.h"

#include <stdio.h>
#include <string.h>

#include "meterseal/crypto.h"
#include "meterseal/hal.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"

static uint8_t g_huk[MS_TEE_HUK_LEN];
static int g_huk_set;
static uint64_t g_nvc[MS_HOST_TEE_NVC_COUNT];
static char g_nvc_path[512];
static int g_fail_next;          /* countdown: the increment that fails */
static int *g_powered;           /* shared power flag, or NULL */
static uint64_t g_cut_at;        /* countdown to the increment power dies at */
static int g_cut_after;
static uint64_t g_increments;

void ms_host_tee_set_huk(const uint8_t huk[MS_TEE_HUK_LEN])
{
    if (huk == NULL) {
        memset(g_huk, 0, sizeof g_huk);
        g_huk_set = 0;
        return;
    }
    memcpy(g_huk, huk, sizeof g_huk);
    g_huk_set = 1;
}

ms_err_t ms_host_tee_load_huk_file(const char *path)
{
    uint8_t huk[MS_TEE_HUK_LEN];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        ms_err_t err = ms_hal_rng_entropy(huk, sizeof huk);
        if (err) {
            return err;
        }
        f = fopen(path, "wb");
        if (f == NULL) {
            return MS_ERR_IO;
        }
        size_t n = fwrite(huk, 1, sizeof huk, f);
        if (fclose(f) != 0 || n != sizeof huk) {
            return MS_ERR_IO;
        }
    } else {
        size_t n = fread(huk, 1, sizeof huk, f);
        int extra = fgetc(f);
        fclose(f);
        if (n != sizeof huk || extra != EOF) {
            return MS_ERR_KEY_FORMAT;
        }
    }
    ms_host_tee_set_huk(huk);
    memset(huk, 0, sizeof huk);
    return MS_OK;
}

static ms_err_t nvc_save(void)
{
    if (g_nvc_path[0] == '\0') {
        return MS_OK;
    }
    FILE *f = fopen(g_nvc_path, "wb");
    if (f == NULL) {
        return MS_ERR_IO;
    }
    size_t n = fwrite(g_nvc, sizeof g_nvc[0], MS_HOST_TEE_NVC_COUNT, f);
    if (fclose(f) != 0 || n != MS_HOST_TEE_NVC_COUNT) {
        return MS_ERR_IO;
    }
    return MS_OK;
}

ms_err_t ms_host_tee_nvc_file(const char *path)
{
    if (path == NULL) {
        g_nvc_path[0] = '\0';
        return MS_OK;
    }
    if (strlen(path) >= sizeof g_nvc_path) {
        return MS_ERR_ARG;
    }
    strcpy(g_nvc_path, path);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        memset(g_nvc, 0, sizeof g_nvc);
        return nvc_save();
    }
    size_t n = fread(g_nvc, sizeof g_nvc[0], MS_HOST_TEE_NVC_COUNT, f);
    fclose(f);
    return n == MS_HOST_TEE_NVC_COUNT ? MS_OK : MS_ERR_FORMAT;
}

void ms_host_tee_nvc_set(uint32_t id, uint64_t value)
{
    if (id < MS_HOST_TEE_NVC_COUNT) {
        g_nvc[id] = value;
        (void)nvc_save();
    }
}

void ms_host_tee_nvc_fail_next(int n)
{
    g_fail_next = n;
}

void ms_host_tee_nvc_power_link(int *powered)
{
    g_powered = powered;
    g_cut_at = 0;
}

void ms_host_tee_nvc_cut_at(uint64_t n, int after)
{
    g_cut_at = n;
    g_cut_after = after;
}

uint64_t ms_host_tee_nvc_increments(void)
{
    return g_increments;
}

static int powered(void)
{
    return g_powered == NULL || *g_powered;
}

ms_err_t ms_tee_hal_huk(uint8_t out[MS_TEE_HUK_LEN])
{
    if (out == NULL) {
        return MS_ERR_ARG;
    }
    if (!g_huk_set) {
        return MS_ERR_STATE;
    }
    memcpy(out, g_huk, sizeof g_huk);
    return MS_OK;
}

ms_err_t ms_tee_hal_storage_key(const char *label, uint8_t out[32])
{
    uint8_t huk[MS_TEE_HUK_LEN];
    ms_err_t err = ms_tee_hal_huk(huk);
    if (!err) {
        err = ms_tee_storage_key_from_huk(huk, label, out);
    }
    ms_secure_zero(huk, sizeof huk);
    return err;
}

ms_err_t ms_tee_hal_nvc_read(uint32_t id, uint64_t *value)
{
    if (id >= MS_HOST_TEE_NVC_COUNT || value == NULL) {
        return MS_ERR_ARG;
    }
    if (!powered()) {
        return MS_ERR_POWER_LOST;
    }
    *value = g_nvc[id];
    return MS_OK;
}

ms_err_t ms_tee_hal_nvc_increment(uint32_t id)
{
    if (id >= MS_HOST_TEE_NVC_COUNT) {
        return MS_ERR_ARG;
    }
    if (!powered()) {
        return MS_ERR_POWER_LOST;
    }
    if (g_fail_next > 0 && --g_fail_next == 0) {
        return MS_ERR_IO;
    }
    if (g_nvc[id] == UINT64_MAX) {
        return MS_ERR_STATE;
    }
    int cut = g_powered != NULL && g_cut_at != 0 && --g_cut_at == 0;
    if (cut && !g_cut_after) {
        *g_powered = 0;
        return MS_ERR_POWER_LOST;
    }
    g_nvc[id]++;
    g_increments++;
    ms_err_t err = nvc_save();
    if (cut) {
        *g_powered = 0;
    }
    return err;
}

ms_err_t ms_tee_hal_rng_generate(uint8_t *out, size_t len)
{
    return ms_tee_rng_generate(out, len);
}
