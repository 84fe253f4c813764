/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_seccnt_file.c - the NV security counters of the host platform (M6).
 *
 * File format: one line per image, "<image_id> <value>\n", nothing else (a
 * file that does not parse is an error, never read as zero). An update writes
 * a new file and rename()s it over the old one, so a crash leaves either the
 * old or the new counters, never a mix. Invariant: update() never lowers a
 * counter (monotonic, like a fuse bank or an OTP counter on a real part).
 */
#define _GNU_SOURCE
#include "boot_host.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Parse the file strictly: only "<id> <value>\n" lines, each image at most
 * once. Anything else is MS_ERR_FORMAT, never "counter 0": a counter store
 * that cannot be read must stop the boot, not reopen rollback (M6). */
static ms_err_t load(ms_host_seccnt_t *sc)
{
    char text[256];
    bool seen[MS_BOOT_MAX_IMAGES] = {false};
    memset(sc->value, 0, sizeof(sc->value));
    FILE *fp = fopen(sc->path, "r");
    if (fp == NULL) {
        return errno == ENOENT ? MS_OK : MS_ERR_IO;   /* no file yet: all 0 */
    }
    size_t n = fread(text, 1, sizeof(text), fp);
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        return MS_ERR_IO;
    }
    if (n == sizeof(text)) {
        return MS_ERR_FORMAT;
    }
    for (size_t i = 0; i < n;) {
        unsigned long id = 0;
        uint64_t v = 0;
        size_t d = 0;
        for (; i < n && text[i] >= '0' && text[i] <= '9' && d < 4; i++, d++) {
            id = id * 10u + (unsigned long)(text[i] - '0');
        }
        if (d == 0 || i >= n || text[i] != ' ' || id >= MS_BOOT_MAX_IMAGES || seen[id]) {
            return MS_ERR_FORMAT;
        }
        i++;
        for (d = 0; i < n && text[i] >= '0' && text[i] <= '9' && d < 11; i++, d++) {
            v = v * 10u + (uint64_t)(text[i] - '0');
        }
        if (d == 0 || d > 10 || v > 0xffffffffu || i >= n || text[i] != '\n') {
            return MS_ERR_FORMAT;
        }
        i++;
        seen[id] = true;
        sc->value[id] = (uint32_t)v;
    }
    return MS_OK;
}

static ms_err_t store(const ms_host_seccnt_t *sc)
{
    char tmp[sizeof(sc->path) + 8];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", sc->path) >= sizeof(tmp)) {
        return MS_ERR_ARG;
    }
    FILE *fp = fopen(tmp, "w");
    if (fp == NULL) {
        return MS_ERR_IO;
    }
    for (unsigned i = 0; i < MS_BOOT_MAX_IMAGES; i++) {
        fprintf(fp, "%u %lu\n", i, (unsigned long)sc->value[i]);
    }
    int bad = fflush(fp) != 0 || fsync(fileno(fp)) != 0;
    bad |= fclose(fp) != 0;
    if (bad || rename(tmp, sc->path) != 0) {
        unlink(tmp);
        return MS_ERR_IO;
    }
    return MS_OK;
}

ms_err_t ms_host_seccnt_open(ms_host_seccnt_t *sc, const char *path)
{
    if (sc == NULL || path == NULL || strlen(path) >= sizeof(sc->path)) {
        return MS_ERR_ARG;
    }
    memset(sc, 0, sizeof(*sc));
    strcpy(sc->path, path);
    return load(sc);
}

static ms_err_t sc_init(void *ctx)
{
    return load(ctx);
}

static ms_err_t sc_get(void *ctx, uint8_t image_id, uint32_t *value)
{
    ms_host_seccnt_t *sc = ctx;
    if (image_id >= MS_BOOT_MAX_IMAGES || value == NULL) {
        return MS_ERR_ARG;
    }
    *value = sc->value[image_id];
    return MS_OK;
}

static ms_err_t sc_update(void *ctx, uint8_t image_id, uint32_t value)
{
    ms_host_seccnt_t *sc = ctx;
    if (image_id >= MS_BOOT_MAX_IMAGES) {
        return MS_ERR_ARG;
    }
    if (value <= sc->value[image_id]) {
        return MS_OK;   /* monotonic: never lowered */
    }
    uint32_t old = sc->value[image_id];
    sc->value[image_id] = value;
    ms_err_t err = store(sc);
    if (err != MS_OK) {
        sc->value[image_id] = old;
    }
    return err;
}

const ms_boot_seccnt_ops_t ms_host_seccnt_ops = {
    .init = sc_init,
    .get = sc_get,
    .update = sc_update,
};
