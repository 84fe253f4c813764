/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dashboard.c - serves the fleet dashboard's built files (see dashboard.h).
 *
 * Invariants:
 *   - Only names that ms_dashboard_path() accepts are opened, and only
 *     beneath the directory given at start (openat2 with RESOLVE_BENEATH and
 *     RESOLVE_NO_SYMLINKS; where the kernel lacks openat2, openat with
 *     O_NOFOLLOW on a name that has no "." or ".." segment).
 *   - Only regular files up to MS_DASH_FILE_MAX bytes are sent; the content
 *     type comes from the extension list below, never from the file.
 *   - Every answer carries the CSP, X-Frame-Options DENY, nosniff and
 *     no-referrer headers, errors included.
 */
#include "dashboard.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#define MS_DASH_FILE_MAX (8u * 1024u * 1024u)

struct ms_dashboard {
    int dirfd;
};

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".mjs", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".json", "application/json" },
    { ".txt", "text/plain; charset=utf-8" },
};

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

ms_err_t ms_dashboard_path(const char *url, size_t len, char out[MS_DASH_PATH_MAX],
                           const char **content_type)
{
    if (url == NULL || len == 0 || url[0] != '/') {
        return MS_ERR_FORMAT;
    }
    if (len == 1) {
        memcpy(out, "index.html", sizeof "index.html");
        *content_type = types[0].type;
        return MS_OK;
    }
    const char *p = url + 1;
    size_t n = len - 1;
    if (n >= MS_DASH_PATH_MAX) {
        return MS_ERR_FORMAT;
    }
    size_t seg_start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '/') {
            /* a segment p[seg_start, i): not empty, not starting with '.' */
            if (i == seg_start || p[seg_start] == '.') {
                return MS_ERR_FORMAT;
            }
            seg_start = i + 1;
        } else if (!name_char(p[i])) {
            return MS_ERR_FORMAT;   /* also NUL, '\\', '%', controls, non-ASCII */
        }
    }
    /* the extension: the last segment's text from its last '.' */
    size_t last = n;
    while (last > 0 && p[last - 1] != '/') {
        last--;
    }
    const char *dot = NULL;
    for (size_t i = last; i < n; i++) {
        if (p[i] == '.') {
            dot = p + i;
        }
    }
    if (dot == NULL) {
        return MS_ERR_UNSUPPORTED;
    }
    size_t elen = (size_t)(p + n - dot);
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (strlen(types[t].ext) == elen && memcmp(types[t].ext, dot, elen) == 0) {
            memcpy(out, p, n);
            out[n] = '\0';
            *content_type = types[t].type;
            return MS_OK;
        }
    }
    return MS_ERR_UNSUPPORTED;
}

ms_err_t ms_dashboard_open(const char *dir, ms_dashboard_t **out)
{
    if (dir == NULL || dir[0] == '\0') {
        return MS_ERR_ARG;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return MS_ERR_IO;
    }
    ms_dashboard_t *d = calloc(1, sizeof *d);
    if (d == NULL) {
        close(fd);
        return MS_ERR_INTERNAL;
    }
    d->dirfd = fd;
    *out = d;
    return MS_OK;
}

void ms_dashboard_close(ms_dashboard_t *d)
{
    if (d != NULL) {
        close(d->dirfd);
        free(d);
    }
}

/* Open name beneath the directory, following no symbolic link. */
static int open_beneath(const ms_dashboard_t *d, const char *name)
{
#ifdef SYS_openat2
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, d->dirfd, name, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) {
        return (int)fd;
    }
#endif
    return openat(d->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

static void security_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Security-Policy", MS_DASH_CSP);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
}

static int send_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (status == 405) {
        MHD_add_response_header(resp, "Allow", "GET, HEAD");
    }
    security_headers(resp);
    int ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

int ms_dashboard_serve(ms_dashboard_t *d, struct MHD_Connection *conn, const char *url,
                       const char *method, unsigned *status)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        *status = 405;
        return send_text(conn, 405, "method not allowed\n");
    }
    char name[MS_DASH_PATH_MAX];
    const char *type = NULL;
    ms_err_t err = ms_dashboard_path(url, strlen(url), name, &type);
    if (err != MS_OK) {
        *status = err == MS_ERR_UNSUPPORTED ? 404 : 400;
        return send_text(conn, *status, *status == 404 ? "not found\n" : "bad path\n");
    }
    int fd = open_beneath(d, name);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (uint64_t)st.st_size > MS_DASH_FILE_MAX) {
        if (fd >= 0) {
            close(fd);
        }
        *status = 404;
        return send_text(conn, 404, "not found\n");
    }
    /* from here MHD closes fd when the response is destroyed */
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (resp == NULL) {
        close(fd);
        *status = 500;
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    /* index.html must be fetched again after an upgrade; the rest is small */
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    security_headers(resp);
    *status = 200;
    int ret = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}
