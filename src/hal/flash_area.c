/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash_area.c - bounds- and alignment-checked windows on a flash device.
 *
 * Invariant: no request reaches a driver unless it lies wholly inside the
 * area and the device, and (for write/erase) meets the device's alignment.
 * Arithmetic is done so that off + len can never wrap.
 */
#include <string.h>

#include "meterseal/hal.h"

static int range_ok(const ms_flash_area_t *fa, uint32_t off, size_t len)
{
    if (fa == NULL || fa->flash == NULL || fa->flash->ops == NULL) {
        return 0;
    }
    if (fa->off > fa->flash->size || fa->size > fa->flash->size - fa->off) {
        return 0;
    }
    return off <= fa->size && len <= (size_t)(fa->size - off);
}

ms_err_t ms_flash_area_read(const ms_flash_area_t *fa, uint32_t off, void *buf, size_t len)
{
    if (!range_ok(fa, off, len) || (buf == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    if (len == 0) {
        return MS_OK;
    }
    return fa->flash->ops->read(fa->flash->dev, fa->off + off, buf, len);
}

ms_err_t ms_flash_area_write(const ms_flash_area_t *fa, uint32_t off, const void *buf, size_t len)
{
    if (!range_ok(fa, off, len) || (buf == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    uint32_t align = fa->flash->write_align;
    if (align == 0 || (fa->off + off) % align != 0 || len % align != 0) {
        return MS_ERR_ARG;
    }
    if (len == 0) {
        return MS_OK;
    }
    return fa->flash->ops->write(fa->flash->dev, fa->off + off, buf, len);
}

ms_err_t ms_flash_area_erase(const ms_flash_area_t *fa, uint32_t off, size_t len)
{
    if (!range_ok(fa, off, len)) {
        return MS_ERR_ARG;
    }
    uint32_t sector = fa->flash->sector_size;
    if (sector == 0 || (fa->off + off) % sector != 0 || len % sector != 0) {
        return MS_ERR_ARG;
    }
    if (len == 0) {
        return MS_OK;
    }
    return fa->flash->ops->erase(fa->flash->dev, fa->off + off, len);
}

ms_err_t ms_flash_area_erase_all(const ms_flash_area_t *fa)
{
    if (fa == NULL) {
        return MS_ERR_ARG;
    }
    return ms_flash_area_erase(fa, 0, fa->size);
}

ms_err_t ms_flash_area_is_erased(const ms_flash_area_t *fa, uint32_t off, size_t len, int *erased)
{
    uint8_t chunk[64], blank[64];

    if (erased == NULL || !range_ok(fa, off, len)) {
        return MS_ERR_ARG;
    }
    *erased = 1;
    /* one memcmp per chunk: the library's loop, not one traced compare per
     * byte in an instrumented build (this runs over whole sectors) */
    memset(blank, fa->flash->erased_val, sizeof(blank));
    while (len > 0) {
        size_t n = len < sizeof(chunk) ? len : sizeof(chunk);
        ms_err_t err = ms_flash_area_read(fa, off, chunk, n);
        if (err != MS_OK) {
            return err;
        }
        if (memcmp(chunk, blank, n) != 0) {
            *erased = 0;
            return MS_OK;
        }
        off += (uint32_t)n;
        len -= n;
    }
    return MS_OK;
}
