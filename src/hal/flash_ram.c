/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash_ram.c - a flash device over plain RAM (hal.h): where a RAM-loaded
 * image is copied to, so the boot core verifies exactly the bytes that will
 * run. Bounds are checked here as in every driver; RAM has no
 * program-once rule, so writes are plain copies.
 */
#include <string.h>

#include "meterseal/hal.h"

#define RAM_SECTOR 1024u

/* A device whose memory was never set (one skipped store at its set-up:
 * the AN505 fault-injection campaign found it) refuses every access: it
 * must never read or write from address 0. */
static int in_range(const ms_flash_ram_t *ram, uint32_t off, size_t len)
{
    return ram != NULL && ram->mem != NULL && off <= ram->flash.size &&
           len <= (size_t)(ram->flash.size - off);
}

static ms_err_t ram_read(void *dev, uint32_t off, void *buf, size_t len)
{
    const ms_flash_ram_t *ram = dev;
    if (!in_range(ram, off, len)) {
        return MS_ERR_ARG;
    }
    memcpy(buf, ram->mem + off, len);
    return MS_OK;
}

static ms_err_t ram_write(void *dev, uint32_t off, const void *buf, size_t len)
{
    ms_flash_ram_t *ram = dev;
    if (!in_range(ram, off, len)) {
        return MS_ERR_ARG;
    }
    memcpy(ram->mem + off, buf, len);
    return MS_OK;
}

static ms_err_t ram_erase(void *dev, uint32_t off, size_t len)
{
    ms_flash_ram_t *ram = dev;
    if (!in_range(ram, off, len) || off % RAM_SECTOR != 0 || len % RAM_SECTOR != 0) {
        return MS_ERR_ARG;
    }
    memset(ram->mem + off, ram->flash.erased_val, len);
    return MS_OK;
}

static const struct ms_flash_ops ram_ops = {
    .read = ram_read,
    .write = ram_write,
    .erase = ram_erase,
};

void ms_flash_ram_init(ms_flash_ram_t *ram, void *mem, uint32_t size)
{
    ram->mem = mem;
    ram->flash.ops = &ram_ops;
    ram->flash.dev = ram;
    ram->flash.size = size;
    ram->flash.sector_size = RAM_SECTOR;
    ram->flash.write_align = 1;
    ram->flash.erased_val = 0xFF;
}
