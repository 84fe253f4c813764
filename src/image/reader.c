/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reader.c - byte sources for images: a memory buffer or a flash area.
 *
 * Invariant: a reader never reads outside [0, size); the memory reader
 * checks again although callers (image_priv.h's ms_image_read) already do,
 * and the flash reader relies on ms_flash_area_read()'s own bounds check.
 */
#include <string.h>

#include "meterseal/image.h"

static ms_err_t mem_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const ms_image_mem_t *mem = ctx;
    if (off > mem->len || len > mem->len - off) {
        return MS_ERR_TRUNCATED;
    }
    if (len != 0) {
        memcpy(buf, mem->data + off, len);
    }
    return MS_OK;
}

static ms_err_t flash_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const ms_flash_area_t *fa = ctx;
    ms_err_t err = ms_flash_area_read(fa, off, buf, len);
    return err == MS_ERR_ARG ? MS_ERR_TRUNCATED : err;
}

/* A reader over len bytes of memory; sizes above 4 GiB are cut to 4 GiB - 1. */
void ms_image_reader_mem(ms_image_reader_t *r, ms_image_mem_t *mem,
                         const uint8_t *data, size_t len)
{
    if (len > UINT32_MAX) {
        len = UINT32_MAX;
    }
    mem->data = data;
    mem->len = len;
    r->read = mem_read;
    r->ctx = mem;
    r->size = (uint32_t)len;
}

/* A reader over a whole flash area (the boot loader's slots). */
void ms_image_reader_flash(ms_image_reader_t *r, const ms_flash_area_t *fa)
{
    r->read = flash_read;
    r->ctx = (void *)(uintptr_t)fa;
    r->size = fa->size;
}
