/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_hal.c - the TEE's drivers on the AN505 (tee_hal.h).
 *
 * Invariants: the HUK is read from OTP into locals and wiped after use; the
 * counter device's key is derived from it once, at init; the stand-in TRNG
 * never repeats an output block within a boot (its index only grows) nor
 * across boots (the boot counter is raised before first use).
 */
#include "tee_hal.h"

#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "flash_nor.h"
#include "meterseal/crypto.h"
#include "meterseal/tee.h"
#include "meterseal/tee_storage.h"
#include "otp.h"
#include "regs/armv8m.h"
#include "regs/cmsdk_uart.h"

static const ms_flash_area_t nvc_area = {
    .flash = &ms_an505_nor, .off = AN505_TEE_NVC_OFF, .size = AN505_TEE_NVC_SIZE,
};
static ms_nvc_flash_t nvc;
static const ms_an505_trng_ops_t *trng;
static volatile uint64_t ticks_ms;

/* ---- HUK --------------------------------------------------------------------- */

ms_err_t ms_tee_hal_huk(uint8_t out[MS_TEE_HUK_LEN])
{
    ms_err_t err = ms_otp_key_read(&ms_an505_otp_area, MS_OTP_KEY_HUK, out);
    return err == MS_OK ? MS_OK : MS_ERR_STATE;
}

/* From the storage partition: the kernel derives the key (the label goes in,
 * the key comes back, in one buffer of the partition's own memory), so the
 * HUK never enters the partition. */
ms_err_t ms_tee_hal_storage_key(const char *label, uint8_t out[32])
{
    uint8_t huk[MS_TEE_HUK_LEN];
    ms_err_t err;
    if (ms_an505_unprivileged()) {
        uint8_t buf[MS_AN505_KS_KEY_LEN];
        size_t n = 0;
        memset(buf, 0, sizeof buf);
        while (label != NULL && n < sizeof buf && label[n] != '\0') {
            buf[n] = (uint8_t)label[n];
            n++;
        }
        if (n == 0 || n == sizeof buf) {
            return MS_ERR_ARG;   /* empty, or no room for its end */
        }
        err = ms_an505_kernel_service(MS_AN505_KS_STORAGE_KEY, (uint32_t)(uintptr_t)buf,
                                      sizeof buf, NULL);
        if (!err) {
            memcpy(out, buf, sizeof buf);
        }
        ms_secure_zero(buf, sizeof buf);
        return err;
    }
    err = ms_tee_hal_huk(huk);
    if (!err) {
        err = ms_tee_storage_key_from_huk(huk, label, out);
    }
    ms_secure_zero(huk, sizeof huk);
    return err;
}

/* ---- counters ------------------------------------------------------------------ */

ms_err_t ms_tee_hal_nvc_read(uint32_t id, uint64_t *value)
{
    if (ms_an505_unprivileged()) {
        return ms_an505_kernel_service(MS_AN505_KS_NVC_READ, id, 0, value);
    }
    return ms_nvc_flash_read(&nvc, id, value);
}

ms_err_t ms_tee_hal_nvc_increment(uint32_t id)
{
    if (ms_an505_unprivileged()) {
        return ms_an505_kernel_service(MS_AN505_KS_NVC_INCREMENT, id, 0, NULL);
    }
    return ms_nvc_flash_increment(&nvc, id);
}

const ms_nvc_flash_t *ms_an505_tee_nvc(void)
{
    return &nvc;
}

/* ---- TRNG stand-in ----------------------------------------------------------------- */

static uint8_t trng_seed[32];
static uint32_t trng_index;

static ms_err_t stand_in_init(void)
{
    uint8_t huk[MS_TEE_HUK_LEN];
    uint64_t boot = 0;
    static const char info[] = "meterseal an505 trng stand-in";
    ms_err_t err = ms_tee_hal_huk(huk);
    if (!err) {
        err = ms_nvc_flash_increment(&nvc, MS_AN505_NVC_BOOT);
    }
    if (!err) {
        err = ms_nvc_flash_read(&nvc, MS_AN505_NVC_BOOT, &boot);
    }
    uint8_t salt[8];
    for (int i = 0; i < 8; i++) {
        salt[i] = (uint8_t)(boot >> (8 * i));
    }
    if (!err) {
        err = ms_hkdf_sha256(salt, sizeof salt, huk, sizeof huk, (const uint8_t *)info,
                             sizeof info - 1u, trng_seed, sizeof trng_seed);
    }
    ms_secure_zero(huk, sizeof huk);
    trng_index = 0;
    return err;
}

static ms_err_t stand_in_read(uint8_t *buf, size_t len)
{
    uint8_t block[40], out[MS_SHA256_LEN];
    while (len > 0) {
        memcpy(block, trng_seed, 32);
        uint32_t idx = trng_index++;
        uint32_t cvr = MS_REG32(SYST_CVR);
        memcpy(block + 32, &idx, 4);
        memcpy(block + 36, &cvr, 4);
        ms_err_t err = ms_sha256(block, sizeof block, out);
        if (err) {
            return err;
        }
        size_t n = len < sizeof out ? len : sizeof out;
        memcpy(buf, out, n);
        buf += n;
        len -= n;
    }
    ms_secure_zero(block, sizeof block);
    ms_secure_zero(out, sizeof out);
    return MS_OK;
}

const ms_an505_trng_ops_t ms_an505_trng_stand_in = {
    .name = "stand-in (QEMU has no TRNG: NOT an entropy source)",
    .is_stand_in = true,
    .init = stand_in_init,
    .read = stand_in_read,
};

const ms_an505_trng_ops_t *ms_an505_tee_trng(void)
{
    return trng;
}

ms_err_t ms_hal_rng_entropy(uint8_t *buf, size_t len)
{
    if (ms_an505_unprivileged()) {
        ms_err_t err = MS_OK;
        for (size_t off = 0; err == MS_OK && off < len; off += MS_AN505_KS_ENTROPY_MAX) {
            size_t n = len - off < MS_AN505_KS_ENTROPY_MAX ? len - off : MS_AN505_KS_ENTROPY_MAX;
            err = ms_an505_kernel_service(MS_AN505_KS_ENTROPY, (uint32_t)(uintptr_t)(buf + off),
                                          (uint32_t)n, NULL);
        }
        return err;
    }
    return trng != NULL ? trng->read(buf, len) : MS_ERR_RNG;
}

/* ---- accelerator --------------------------------------------------------------------- */

const ms_an505_accel_ops_t ms_an505_accel_none = {
    .name = "none (software: Mbed TLS)", .sha256 = NULL, .aes_gcm_encrypt = NULL,
};

/* ---- clock ------------------------------------------------------------------------------ */

void ms_an505_tee_tick(void)
{
    ticks_ms++;
}

uint64_t ms_hal_clock_ms(void)
{
    if (ms_an505_unprivileged()) {
        /* a partition (the link's TLS: ticket ages) asks the kernel */
        uint64_t v = 0;
        return ms_an505_kernel_service(MS_AN505_KS_CLOCK, 0, 0, &v) == MS_OK ? v : 0u;
    }
    return ticks_ms;
}

/* ---- modem UART (Secure UART1, polled) ---------------------------------------------------- */

/* A line that takes no byte for this long is stuck (a modem that stopped
 * reading): the write fails rather than hold its caller. */
#define UART_TX_STALL_MS 50u

ms_err_t ms_hal_uart_write(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    MS_REG32(UART1_S_BASE + UART_CTRL) |= UART_CTRL_TXEN | UART_CTRL_RXEN;
    for (size_t i = 0; i < len; i++) {
        uint64_t end = ticks_ms + UART_TX_STALL_MS;
        while (MS_REG32(UART1_S_BASE + UART_STATE) & UART_STATE_TXFULL) {
            if (ticks_ms >= end) {
                return MS_ERR_IO;
            }
        }
        MS_REG32(UART1_S_BASE + UART_DATA) = p[i];
    }
    return MS_OK;
}

ms_err_t ms_hal_uart_read(void *buf, size_t len, size_t *got, uint32_t timeout_ms)
{
    uint8_t *p = buf;
    uint64_t end = ticks_ms + timeout_ms;
    *got = 0;
    MS_REG32(UART1_S_BASE + UART_CTRL) |= UART_CTRL_TXEN | UART_CTRL_RXEN;
    while (*got < len) {
        if (MS_REG32(UART1_S_BASE + UART_STATE) & UART_STATE_RXFULL) {
            p[(*got)++] = (uint8_t)MS_REG32(UART1_S_BASE + UART_DATA);
        } else if (*got > 0 || ticks_ms >= end) {
            break;
        }
    }
    return MS_OK;
}

/* ---- init ---------------------------------------------------------------------------------- */

ms_err_t ms_an505_tee_hal_init(const ms_an505_trng_ops_t *t)
{
    uint8_t huk[MS_TEE_HUK_LEN], key[MS_NVC_KEY_LEN];
    static const char info[] = "meterseal nvc device key v1";
    ms_err_t err = ms_tee_hal_huk(huk);
    if (!err) {
        err = ms_hkdf_sha256(NULL, 0, huk, sizeof huk, (const uint8_t *)info, sizeof info - 1u,
                             key, sizeof key);
    }
    ms_secure_zero(huk, sizeof huk);
    if (!err) {
        err = ms_nvc_flash_mount(&nvc, &nvc_area, key);
    }
    ms_secure_zero(key, sizeof key);
    if (!err) {
        trng = t;
        err = t->init();
    }
    return err;
}
