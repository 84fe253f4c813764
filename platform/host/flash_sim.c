/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash_sim.c - NOR flash simulator with power-cut and bad-block injection.
 * See flash_sim.h for the rules it enforces.
 */
#define _GNU_SOURCE
#include "flash_sim.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t sim_rand(ms_flash_sim_t *sim)
{
    uint32_t x = sim->rng ? sim->rng : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    sim->rng = x;
    return x;
}

/* Count one state-changing op; true if power dies during it. */
static int op_begins_cut(ms_flash_sim_t *sim)
{
    sim->ops++;
    if (sim->cut_at != 0 && sim->ops == sim->cut_at) {
        sim->powered = 0;
        sim->cut_at = 0;
        return 1;
    }
    return 0;
}

/* After an op completed: power dies now if that was op off_at. */
static void op_done(ms_flash_sim_t *sim)
{
    if (sim->off_at != 0 && sim->ops == sim->off_at) {
        sim->powered = 0;
        sim->off_at = 0;
    }
}

static ms_err_t sim_read(void *dev, uint32_t off, void *buf, size_t len)
{
    ms_flash_sim_t *sim = dev;

    if (!sim->powered) {
        return MS_ERR_POWER_LOST;
    }
    if (off > sim->flash.size || len > sim->flash.size - off) {
        return MS_ERR_ARG;
    }
    memcpy(buf, sim->mem + off, len);
    return MS_OK;
}

static ms_err_t sim_write(void *dev, uint32_t off, const void *buf, size_t len)
{
    ms_flash_sim_t *sim = dev;
    const uint8_t *src = buf;
    uint32_t align = sim->flash.write_align;

    if (!sim->powered) {
        return MS_ERR_POWER_LOST;
    }
    if (off > sim->flash.size || len > sim->flash.size - off ||
        off % align != 0 || len % align != 0) {
        return MS_ERR_ARG;
    }
    for (size_t i = 0; i < len; i++) {
        if (sim->mem[off + i] != sim->flash.erased_val) {
            return MS_ERR_FLASH_NOT_ERASED;
        }
    }
    if (sim->bad_len != 0 && off < sim->bad_off + sim->bad_len && sim->bad_off < off + len) {
        return MS_ERR_FLASH_WRITE;
    }
    sim->writes++;
    sim->write_bytes += len;
    if (op_begins_cut(sim)) {
        /* Program a prefix of whole units, then leave one unit half-programmed:
         * NOR programming only clears bits, so the torn unit holds
         * old & (new | noise). */
        size_t units = len / align;
        size_t done = units ? sim_rand(sim) % (units + 1) : 0;
        memcpy(sim->mem + off, src, done * align);
        if (done < units) {
            for (size_t i = done * align; i < (done + 1) * align; i++) {
                sim->mem[off + i] &= (uint8_t)(src[i] | sim_rand(sim));
            }
        }
        return MS_ERR_POWER_LOST;
    }
    memcpy(sim->mem + off, src, len);
    op_done(sim);
    return MS_OK;
}

static ms_err_t sim_erase(void *dev, uint32_t off, size_t len)
{
    ms_flash_sim_t *sim = dev;
    uint32_t sector = sim->flash.sector_size;
    uint8_t ev = sim->flash.erased_val;

    if (!sim->powered) {
        return MS_ERR_POWER_LOST;
    }
    if (off > sim->flash.size || len > sim->flash.size - off ||
        off % sector != 0 || len % sector != 0) {
        return MS_ERR_ARG;
    }
    for (size_t s = 0; s < len; s += sector) {
        uint8_t *p = sim->mem + off + s;
        if (!sim->powered) {
            return MS_ERR_POWER_LOST;   /* died after the previous sector */
        }
        sim->erases++;
        sim->sector_erases[(off + s) / sector]++;
        if (op_begins_cut(sim)) {
            /* A prefix erased, a stretch of bytes partly erased, the rest
             * untouched. */
            size_t done = sim_rand(sim) % (sector + 1);
            size_t torn = done + (sector - done) / 4;
            memset(p, ev, done);
            for (size_t i = done; i < torn; i++) {
                p[i] = (uint8_t)(ev == 0xff ? p[i] | sim_rand(sim) : p[i] & sim_rand(sim));
            }
            return MS_ERR_POWER_LOST;
        }
        memset(p, ev, sector);
        op_done(sim);
    }
    return MS_OK;
}

static const struct ms_flash_ops sim_ops = {
    .read = sim_read,
    .write = sim_write,
    .erase = sim_erase,
};

ms_err_t ms_flash_sim_open(ms_flash_sim_t *sim, const char *path, uint32_t size,
                           uint32_t sector_size, uint32_t write_align, uint8_t erased_val)
{
    if (sim == NULL || size == 0 || sector_size == 0 || size % sector_size != 0 ||
        write_align == 0 || write_align > 32 || (write_align & (write_align - 1)) != 0 ||
        sector_size % write_align != 0) {
        return MS_ERR_ARG;
    }
    memset(sim, 0, sizeof(*sim));
    sim->fd = -1;
    if (path == NULL) {
        sim->mem = malloc(size);
        if (sim->mem == NULL) {
            return MS_ERR_IO;
        }
        memset(sim->mem, erased_val, size);
    } else {
        struct stat st;
        sim->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (sim->fd < 0 || fstat(sim->fd, &st) != 0) {
            goto fail_file;
        }
        off_t old_size = st.st_size;
        if (old_size > (off_t)size) {
            goto fail_file; /* a different device's file: refuse to truncate it */
        }
        if (old_size < (off_t)size && ftruncate(sim->fd, (off_t)size) != 0) {
            goto fail_file;
        }
        void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, sim->fd, 0);
        if (m == MAP_FAILED) {
            goto fail_file;
        }
        sim->mem = m;
        if (old_size < (off_t)size) {
            memset(sim->mem + old_size, erased_val, size - (size_t)old_size);
        }
    }
    sim->flash.ops = &sim_ops;
    sim->flash.dev = sim;
    sim->flash.size = size;
    sim->flash.sector_size = sector_size;
    sim->flash.write_align = write_align;
    sim->flash.erased_val = erased_val;
    sim->powered = 1;
    sim->sector_erases = calloc(size / sector_size, sizeof(*sim->sector_erases));
    if (sim->sector_erases == NULL) {
        ms_flash_sim_close(sim);
        return MS_ERR_IO;
    }
    return MS_OK;

fail_file:
    if (sim->fd >= 0) {
        close(sim->fd);
    }
    sim->fd = -1;
    return MS_ERR_IO;
}

void ms_flash_sim_close(ms_flash_sim_t *sim)
{
    if (sim == NULL || sim->mem == NULL) {
        return;
    }
    free(sim->sector_erases);
    if (sim->fd >= 0) {
        msync(sim->mem, sim->flash.size, MS_SYNC);
        munmap(sim->mem, sim->flash.size);
        close(sim->fd);
    } else {
        free(sim->mem);
    }
    memset(sim, 0, sizeof(*sim));
    sim->fd = -1;
}

void ms_flash_sim_cut_after(ms_flash_sim_t *sim, uint64_t n, uint32_t seed)
{
    sim->cut_at = n == 0 ? 0 : sim->ops + n;
    sim->rng = seed ? seed : 1;
}

void ms_flash_sim_off_after(ms_flash_sim_t *sim, uint64_t n)
{
    sim->off_at = n == 0 ? 0 : sim->ops + n;
}

void ms_flash_sim_power_on(ms_flash_sim_t *sim)
{
    sim->powered = 1;
    sim->cut_at = 0;
    sim->off_at = 0;
}

void ms_flash_sim_fail_writes(ms_flash_sim_t *sim, uint32_t off, uint32_t len)
{
    sim->bad_off = off;
    sim->bad_len = len;
}
