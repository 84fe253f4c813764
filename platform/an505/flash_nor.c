/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash_nor.c - NOR flash and OTP drivers over the AN505's file-backed
 * PSRAM (see flash_nor.h for the rules they enforce).
 *
 * Invariants: a request that breaks a rule changes nothing and returns an
 * error (MS_ERR_ARG for range or alignment, MS_ERR_FLASH_NOT_ERASED for a
 * write onto programmed bytes, MS_ERR_UNSUPPORTED for an OTP erase); the
 * device window is checked here as well as by ms_flash_area_*, so a caller
 * that bypasses the area still cannot reach outside its device. Only Secure
 * code can reach the PSRAM at all (the SAU leaves it out of every
 * Non-secure region).
 */
#include "flash_nor.h"

#include "an505.h"
#include "an505_map.h"

#include <string.h>

#define KIND_WRITE 1u
#define KIND_ERASE 2u

typedef struct nor_dev {
    uint32_t base;          /* address of device offset 0 */
    uint32_t size;
    int erasable;
} nor_dev_t;

static const nor_dev_t nor_dev = {
    .base = AN505_FLASH_BASE, .size = AN505_NOR_SIZE, .erasable = 1,
};
static const nor_dev_t otp_dev = {
    .base = AN505_FLASH_BASE + AN505_OTP_OFF, .size = AN505_OTP_SIZE, .erasable = 0,
};

volatile uint32_t ms_an505_flash_ops;

__attribute__((noipa)) void ms_an505_flash_op(uint32_t kind, uint32_t off, uint32_t len)
{
    (void)kind;
    (void)off;
    (void)len;
    /* The boot loader's figure. Secure storage's partition (unprivileged)
     * writes its flash areas too, but has no access to this count. */
    if (!ms_an505_unprivileged()) {
        ms_an505_flash_ops++;
    }
}

static int in_range(const nor_dev_t *d, uint32_t off, size_t len)
{
    return off <= d->size && len <= (size_t)(d->size - off);
}

static ms_err_t nor_read(void *dev, uint32_t off, void *buf, size_t len)
{
    const nor_dev_t *d = dev;
    if (!in_range(d, off, len)) {
        return MS_ERR_ARG;
    }
    /* Plain memory (the file-backed PSRAM): a word copy, as fast as the
     * boot's hashing wants. */
    memcpy(buf, (const void *)(uintptr_t)(d->base + off), len);
    return MS_OK;
}

static ms_err_t nor_write(void *dev, uint32_t off, const void *buf, size_t len)
{
    const nor_dev_t *d = dev;
    if (!in_range(d, off, len) || off % AN505_FLASH_WRITE_ALIGN != 0 ||
        len % AN505_FLASH_WRITE_ALIGN != 0) {
        return MS_ERR_ARG;
    }
    volatile uint8_t *dst = (volatile uint8_t *)(uintptr_t)(d->base + off);
    for (size_t i = 0; i < len; i++) {
        if (dst[i] != 0xFFu) {
            return MS_ERR_FLASH_NOT_ERASED;
        }
    }
    ms_an505_flash_op(KIND_WRITE, off, (uint32_t)len);
    const uint8_t *src = buf;
    for (size_t i = 0; i < len; i++) {
        dst[i] = src[i];
    }
    return MS_OK;
}

static ms_err_t nor_erase(void *dev, uint32_t off, size_t len)
{
    const nor_dev_t *d = dev;
    if (!d->erasable) {
        return MS_ERR_UNSUPPORTED;
    }
    if (!in_range(d, off, len) || off % AN505_FLASH_SECTOR != 0 ||
        len % AN505_FLASH_SECTOR != 0) {
        return MS_ERR_ARG;
    }
    for (size_t s = 0; s < len; s += AN505_FLASH_SECTOR) {
        ms_an505_flash_op(KIND_ERASE, off + (uint32_t)s, AN505_FLASH_SECTOR);
        volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)(d->base + off + s);
        for (size_t i = 0; i < AN505_FLASH_SECTOR / 4u; i++) {
            p[i] = 0xFFFFFFFFu;
        }
    }
    return MS_OK;
}

static const struct ms_flash_ops nor_ops = {
    .read = nor_read,
    .write = nor_write,
    .erase = nor_erase,
};

const ms_flash_t ms_an505_nor = {
    .ops = &nor_ops,
    .dev = (void *)&nor_dev,
    .size = AN505_NOR_SIZE,
    .sector_size = AN505_FLASH_SECTOR,
    .write_align = AN505_FLASH_WRITE_ALIGN,
    .erased_val = 0xFF,
};

const ms_flash_t ms_an505_otp = {
    .ops = &nor_ops,
    .dev = (void *)&otp_dev,
    .size = AN505_OTP_SIZE,
    .sector_size = AN505_FLASH_SECTOR,
    .write_align = AN505_FLASH_WRITE_ALIGN,
    .erased_val = 0xFF,
};

const ms_flash_area_t ms_an505_otp_area = {
    .flash = &ms_an505_otp, .off = 0, .size = AN505_OTP_SIZE,
};
