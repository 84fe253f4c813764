/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meter_host.c - a host meter's TEE in a device directory (meter_host.h).
 *
 * Invariants: the HUK and counters live in their own files, the TEE's flash
 * in another, so a restarted process finds the same device; the boot record
 * is set through the BOOT partition only, before anything else runs.
 */
#define _GNU_SOURCE
#include "meter_host.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meterseal/tee_attest.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "tee_hooks_host.h"

static void path_in(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* SHA-256 of a file, streamed. */
static ms_err_t hash_file(const char *path, uint8_t out[MS_SHA256_LEN])
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return MS_ERR_IO;
    }
    ms_sha256_ctx h;
    uint8_t buf[65536];
    ms_err_t err = ms_sha256_init(&h);
    size_t n;
    while (!err && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        err = ms_sha256_update(&h, buf, n);
    }
    fclose(f);
    if (err) {
        ms_sha256_free(&h);
        return err;
    }
    return ms_sha256_finish(&h, out);
}

/* The boot hand-over: the measured firmware as the SPE component. */
static ms_err_t boot_record(const char *dir)
{
    static const char *const types[1] = { "SPE" };
    char path[600];
    ms_image_measurement_t meas[1];
    uint8_t impl[32];
    memset(meas, 0, sizeof meas);
    path_in(path, sizeof path, dir, "firmware.bin");
    struct stat st;
    ms_err_t err = hash_file(stat(path, &st) == 0 ? path : "/proc/self/exe", meas[0].hash);
    if (err) {
        return err;
    }
    meas[0].version = (ms_image_version_t){ 0, 1, 0, 0 };
    static const char impl_name[] = "MeterSeal host meter";
    err = ms_sha256(impl_name, sizeof impl_name - 1, impl);
    if (err) {
        return err;
    }
    return ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, meas, types, 1, impl,
                                         MS_TEE_ATTEST_LIFECYCLE_SECURED);
}

static psa_status_t host_call(void *ctx, uint32_t sid, int32_t type, const ms_tee_invec_t *in,
                              size_t n_in, ms_tee_outvec_t *out, size_t n_out)
{
    ms_meter_host_t *m = ctx;
    return ms_tee_call(&m->nspe, sid, type, in, n_in, out, n_out);
}

psa_status_t ms_meter_host_call(ms_meter_host_t *m, uint32_t sid, int32_t type,
                                const ms_tee_invec_t *in, size_t n_in, ms_tee_outvec_t *out,
                                size_t n_out)
{
    return host_call(m, sid, type, in, n_in, out, n_out);
}

ms_err_t ms_meter_host_open(ms_meter_host_t *m, const char *dir, const char **err_what)
{
    char path[600];
    memset(m, 0, sizeof *m);
    mkdir(dir, 0700);
    const uint32_t its_len = MS_METER_ITS_SECTORS * MS_METER_SECTOR;
    const uint32_t ps_len = MS_METER_PS_SECTORS * MS_METER_SECTOR;
    *err_what = "flash";
    path_in(path, sizeof path, dir, "tee-flash.bin");
    ms_err_t err = ms_flash_sim_open(&m->flash, path, its_len + ps_len, MS_METER_SECTOR, 8, 0xff);
    if (err) {
        return err;
    }
    m->its = (ms_flash_area_t){ &m->flash.flash, 0, its_len };
    m->ps = (ms_flash_area_t){ &m->flash.flash, its_len, ps_len };
    *err_what = "huk";
    path_in(path, sizeof path, dir, "huk");
    err = ms_host_tee_load_huk_file(path);
    if (!err) {
        *err_what = "counters";
        path_in(path, sizeof path, dir, "nvc");
        err = ms_host_tee_nvc_file(path);
    }
    if (!err) {
        *err_what = "rng";
        err = ms_tee_rng_init(NULL, NULL, 4);
    }
    if (!err) {
        *err_what = "storage";
        err = ms_tee_storage_init(&m->its, &m->ps);
    }
    if (!err) {
        *err_what = "boot record";
        err = boot_record(dir);
    }
    if (!err) {
        *err_what = "link partition";
        err = ms_tee_link_start();
    }
    if (err) {
        ms_meter_host_close(m);
        return err;
    }
    m->nspe = (ms_tee_caller_t){ MS_TEE_PART_NSPE, (uintptr_t)m->shared, sizeof m->shared };
    m->link = (ms_link_tee_t){ host_call, m, m->shared, sizeof m->shared, MS_OK };
    *err_what = "";
    return MS_OK;
}

void ms_meter_host_close(ms_meter_host_t *m)
{
    ms_tee_link_stop();
    ms_tee_storage_deinit();
    ms_flash_sim_close(&m->flash);
}

/* ---- the UART as a TCP stream ---------------------------------------------------- */

int ms_host_dial(const char *hostport)
{
    char host[256];
    const char *colon = hostport != NULL ? strrchr(hostport, ':') : NULL;
    if (colon == NULL || (size_t)(colon - hostport) >= sizeof host) {
        return -1;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return fd;
}

static ms_err_t fd_write(void *ctx, const uint8_t *buf, size_t len, size_t *written)
{
    int fd = *(int *)ctx;
    *written = 0;
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? MS_OK : MS_ERR_IO;
    }
    *written = (size_t)n;
    return MS_OK;
}

static ms_err_t fd_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
    int fd = *(int *)ctx;
    *got = 0;
    ssize_t n = recv(fd, buf, cap, 0);
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? MS_OK : MS_ERR_IO;
    }
    if (n == 0) {
        return MS_ERR_IO;   /* the other end hung up */
    }
    *got = (size_t)n;
    return MS_OK;
}

const ms_link_transport_t ms_host_fd_transport = { fd_write, fd_read };
