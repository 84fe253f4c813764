/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_util.c - helpers shared by every verb of the `meterseal` tool:
 * one-line error reporting, option parsing with the tool's messages, file
 * input (mmap, so large images are not copied) and output, key loading,
 * and the value parsers (integers, versions, dependencies) with imgtool's
 * syntax.
 *
 * Invariants: every failure path prints exactly one line and returns an
 * exit status; key file buffers are wiped before they are freed; nothing
 * here prints key material.
 */
#define _GNU_SOURCE /* getopt_long */

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reporting ------------------------------------------------------------ */

int ms_cli_fail(const char *verb, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "meterseal: %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int ms_cli_exit_for(ms_err_t err)
{
    switch (err) {
    case MS_OK:
        return MS_CLI_OK;
    case MS_ERR_IO:
        return MS_CLI_IO;
    case MS_ERR_ARG:
    case MS_ERR_UNSUPPORTED:
        return MS_CLI_USAGE;
    default:
        return MS_CLI_FAIL;
    }
}

int ms_cli_fail_err(const char *verb, ms_err_t err, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "meterseal: %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", ms_strerror(err));
    return ms_cli_exit_for(err);
}

/* ---- options ---------------------------------------------------------------- */

bool ms_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            break;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return true;
        }
    }
    return false;
}

void ms_cli_getopt_reset(void)
{
    optind = 0; /* glibc: full re-initialisation */
    opterr = 0;
}

int ms_cli_getopt(const char *verb, int argc, char **argv, const char *shortopts,
                  const struct option *longopts)
{
    /* A leading ':' makes getopt report a missing value as ':'. */
    char spec[128];
    int n = snprintf(spec, sizeof(spec), ":%s", shortopts);
    if (n < 0 || (size_t)n >= sizeof(spec)) {
        ms_cli_fail(verb, MS_CLI_USAGE, "internal error: option string too long");
        return '?';
    }
    int prev = optind ? optind : 1;
    int c = getopt_long(argc, argv, spec, longopts, NULL);
    if (c == '?' || c == ':') {
        const char *arg = (optind - 1 >= 1 && optind - 1 < argc) ? argv[optind - 1] : "";
        if (optind == prev) {
            /* Short option inside a cluster: getopt has not advanced. */
            arg = argv[prev];
        }
        if (c == '?') {
            if (optopt != 0 && strncmp(arg, "--", 2) != 0) {
                ms_cli_fail(verb, MS_CLI_USAGE, "unknown option '-%c' (see --help)", optopt);
            } else {
                ms_cli_fail(verb, MS_CLI_USAGE, "unknown option '%s' (see --help)", arg);
            }
        } else {
            ms_cli_fail(verb, MS_CLI_USAGE, "option '%s' needs a value", arg);
        }
        return '?';
    }
    return c;
}

/* ---- values ------------------------------------------------------------------ */

bool ms_cli_parse_u32(const char *s, uint32_t *out)
{
    int base = 10;
    const char *p = s;
    if (s == NULL || *s == '\0') {
        return false;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
        base = 8;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
        base = 2;
        p += 2;
    }
    if (*p == '\0') {
        return false;
    }
    uint64_t v = 0;
    for (; *p != '\0'; p++) {
        int d;
        if (*p >= '0' && *p <= '9') {
            d = *p - '0';
        } else if (*p >= 'a' && *p <= 'f') {
            d = *p - 'a' + 10;
        } else if (*p >= 'A' && *p <= 'F') {
            d = *p - 'A' + 10;
        } else if (*p == '_') {
            continue; /* Python-style digit separator */
        } else {
            return false;
        }
        if (d >= base) {
            return false;
        }
        v = v * (uint64_t)base + (uint64_t)d;
        if (v > UINT32_MAX) {
            return false;
        }
    }
    *out = (uint32_t)v;
    return true;
}

/* One decimal field without leading zeros; advances *pp. */
static bool parse_dec_field(const char **pp, uint64_t max, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    if (*p < '0' || *p > '9') {
        return false;
    }
    if (p[0] == '0' && p[1] >= '0' && p[1] <= '9') {
        return false;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10u + (uint64_t)(*p - '0');
        if (v > max) {
            return false;
        }
    }
    *pp = p;
    *out = v;
    return true;
}

bool ms_cli_parse_version(const char *s, ms_image_version_t *v)
{
    uint64_t major = 0, minor = 0, rev = 0, build = 0;
    const char *p = s;
    if (s == NULL || !parse_dec_field(&p, UINT8_MAX, &major)) {
        return false;
    }
    if (*p == '.') {
        p++;
        if (!parse_dec_field(&p, UINT8_MAX, &minor)) {
            return false;
        }
        if (*p == '.') {
            p++;
            if (!parse_dec_field(&p, UINT16_MAX, &rev)) {
                return false;
            }
            if (*p == '+') {
                p++;
                if (!parse_dec_field(&p, UINT32_MAX, &build)) {
                    return false;
                }
            }
        }
    }
    if (*p != '\0') {
        return false;
    }
    v->major = (uint8_t)major;
    v->minor = (uint8_t)minor;
    v->revision = (uint16_t)rev;
    v->build = (uint32_t)build;
    return true;
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

bool ms_cli_parse_deps(const char *s, ms_image_dependency_t *deps, uint8_t *n_deps)
{
    const char *p = skip_space(s);
    uint8_t n = 0;
    char ver[64];
    while (*p != '\0') {
        uint64_t id;
        if (n >= MS_IMAGE_MAX_DEPS || *p != '(') {
            return false;
        }
        p = skip_space(p + 1);
        if (!parse_dec_field(&p, UINT8_MAX, &id)) {
            return false;
        }
        p = skip_space(p);
        if (*p != ',') {
            return false;
        }
        p = skip_space(p + 1);
        size_t k = 0;
        while (*p != '\0' && *p != ')' && *p != ' ' && *p != '\t') {
            if (k + 1 >= sizeof(ver)) {
                return false;
            }
            ver[k++] = *p++;
        }
        ver[k] = '\0';
        p = skip_space(p);
        if (*p != ')' || !ms_cli_parse_version(ver, &deps[n].min_version)) {
            return false;
        }
        deps[n].image_id = (uint8_t)id;
        n++;
        p = skip_space(p + 1);
        if (*p == ',') {
            p = skip_space(p + 1);
            if (*p == '\0') {
                return false;
            }
        }
    }
    *n_deps = n;
    return n > 0;
}

void ms_cli_format_version(const ms_image_version_t *v, char *out, size_t cap)
{
    snprintf(out, cap, "%u.%u.%u+%lu", (unsigned)v->major, (unsigned)v->minor,
             (unsigned)v->revision, (unsigned long)v->build);
}

void ms_cli_hex(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15u];
    }
    out[2 * len] = '\0';
}

/* ---- files -------------------------------------------------------------------- */

/* Read all of fd into a heap buffer (pipes, or files that cannot be mapped). */
static int read_all(const char *verb, const char *path, int fd, ms_cli_file_t *f)
{
    struct stat st;
    size_t cap = 1u << 16, len = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size < SIZE_MAX / 2) {
        cap = (size_t)st.st_size + 1u; /* +1: the read that sees end of file */
    }
    uint8_t *buf = malloc(cap);
    if (buf == NULL) {
        return ms_cli_fail(verb, MS_CLI_IO, "%s: out of memory", path);
    }
    for (;;) {
        if (len == cap) {
            uint8_t *nb = malloc(cap * 2);
            if (nb == NULL) {
                ms_secure_zero(buf, len);
                free(buf);
                return ms_cli_fail(verb, MS_CLI_IO, "%s: out of memory", path);
            }
            memcpy(nb, buf, len);
            ms_secure_zero(buf, len);
            free(buf);
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int e = errno;
            ms_secure_zero(buf, len);
            free(buf);
            return ms_cli_fail(verb, MS_CLI_IO, "cannot read %s: %s", path, strerror(e));
        }
        if (r == 0) {
            break;
        }
        len += (size_t)r;
    }
    f->data = buf;
    f->len = len;
    f->mapped = false;
    return MS_CLI_OK;
}

static int open_input(const char *verb, const char *path, int *fd_out)
{
    int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return ms_cli_fail(verb, MS_CLI_IO, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return ms_cli_fail(verb, MS_CLI_IO, "cannot read %s: %s", path, strerror(EISDIR));
    }
    *fd_out = fd;
    return MS_CLI_OK;
}

int ms_cli_file_open(const char *verb, const char *path, ms_cli_file_t *f)
{
    int fd = -1, rc;
    struct stat st;
    memset(f, 0, sizeof(*f));
    if ((rc = open_input(verb, path, &fd)) != MS_CLI_OK) {
        return rc;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((uint64_t)st.st_size > SIZE_MAX) {
            close(fd);
            return ms_cli_fail(verb, MS_CLI_IO, "%s: file too large", path);
        }
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m != MAP_FAILED) {
            (void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            close(fd);
            f->data = m;
            f->len = (size_t)st.st_size;
            f->mapped = true;
            return MS_CLI_OK;
        }
    }
    rc = read_all(verb, path, fd, f);
    close(fd);
    return rc;
}

int ms_cli_file_read_copy(const char *verb, const char *path, ms_cli_file_t *f)
{
    int fd = -1, rc;
    memset(f, 0, sizeof(*f));
    if ((rc = open_input(verb, path, &fd)) != MS_CLI_OK) {
        return rc;
    }
    rc = read_all(verb, path, fd, f);
    close(fd);
    return rc;
}

void ms_cli_file_close(ms_cli_file_t *f, bool wipe)
{
    if (f->data == NULL) {
        return;
    }
    if (f->mapped) {
        munmap(f->data, f->len);
    } else {
        if (wipe) {
            ms_secure_zero(f->data, f->len);
        }
        free(f->data);
    }
    memset(f, 0, sizeof(*f));
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        size_t chunk = len > (1u << 30) ? (1u << 30) : len;
        ssize_t w = write(fd, p, chunk);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return w < 0 ? errno : EIO;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int ms_cli_write_file(const char *verb, const char *path, const void *data, size_t len,
                      unsigned flags)
{
    int fd, e;
    if (strcmp(path, "-") == 0) {
        e = write_all(STDOUT_FILENO, data, len);
        if (e != 0) {
            return ms_cli_fail(verb, MS_CLI_IO, "cannot write to stdout: %s", strerror(e));
        }
        return MS_CLI_OK;
    }
    if (flags & MS_CLI_WRITE_SECRET) {
        /* A fresh file with mode 0600 from the first byte; with --force an
         * existing file is removed first so its old mode is not kept. */
        if ((flags & MS_CLI_WRITE_FORCE) && unlink(path) != 0 && errno != ENOENT) {
            return ms_cli_fail(verb, MS_CLI_IO, "cannot replace %s: %s", path, strerror(errno));
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST) {
            return ms_cli_fail(verb, MS_CLI_FAIL,
                               "%s already exists (use --force to overwrite it)", path);
        }
    } else {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        return ms_cli_fail(verb, MS_CLI_IO, "cannot create %s: %s", path, strerror(errno));
    }
    if (flags & MS_CLI_WRITE_SECRET) {
        (void)fchmod(fd, 0600); /* in case the umask was unusual */
    }
    e = write_all(fd, data, len);
    if (close(fd) != 0 && e == 0) {
        e = errno;
    }
    if (e != 0) {
        return ms_cli_fail(verb, MS_CLI_IO, "cannot write %s: %s", path, strerror(e));
    }
    return MS_CLI_OK;
}

/* Anonymous memory for a large buffer; huge pages cut the page faults. */
static uint8_t *anon_alloc(size_t cap)
{
    void *m = mmap(NULL, cap ? cap : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (m == MAP_FAILED) {
        return NULL;
    }
    (void)madvise(m, cap ? cap : 1, MADV_HUGEPAGE);
    return m;
}

int ms_cli_out_begin(const char *verb, const char *path, size_t cap, ms_cli_out_t *o)
{
    struct stat st;
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    o->path = path;
    o->cap = cap;
    bool regular = strcmp(path, "-") != 0 &&
                   (stat(path, &st) != 0 ? errno == ENOENT : S_ISREG(st.st_mode));
    if (regular) {
        int n = snprintf(o->tmp_path, sizeof(o->tmp_path), "%s.tmp-XXXXXX", path);
        if (n < 0 || (size_t)n >= sizeof(o->tmp_path)) {
            return ms_cli_fail(verb, MS_CLI_IO, "%s: path too long", path);
        }
        o->fd = mkstemp(o->tmp_path);
        if (o->fd < 0) {
            o->tmp_path[0] = '\0';
            return ms_cli_fail(verb, MS_CLI_IO, "cannot create %s: %s", path, strerror(errno));
        }
        mode_t mask = umask(0);
        umask(mask);
        (void)fchmod(o->fd, 0666 & ~mask);
    }
    o->data = anon_alloc(cap);
    if (o->data == NULL) {
        ms_cli_out_abort(o);
        return ms_cli_fail(verb, MS_CLI_IO, "out of memory for %zu bytes", cap);
    }
    return MS_CLI_OK;
}

int ms_cli_out_commit(const char *verb, ms_cli_out_t *o, size_t len)
{
    int e = 0;
    if (len > o->cap) {
        ms_cli_out_abort(o);
        return ms_cli_fail(verb, MS_CLI_FAIL, "internal error: output longer than its buffer");
    }
    if (o->fd >= 0) {
        e = write_all(o->fd, o->data, len);
    } else {
        int rc = ms_cli_write_file(verb, o->path, o->data, len, 0);
        ms_cli_out_abort(o);
        return rc;
    }
    if (close(o->fd) != 0 && e == 0) {
        e = errno;
    }
    o->fd = -1;
    if (e == 0 && rename(o->tmp_path, o->path) != 0) {
        e = errno;
    }
    if (e != 0) {
        ms_cli_out_abort(o);
        return ms_cli_fail(verb, MS_CLI_IO, "cannot write %s: %s", o->path, strerror(e));
    }
    o->tmp_path[0] = '\0';
    ms_cli_out_abort(o);
    return MS_CLI_OK;
}

void ms_cli_out_abort(ms_cli_out_t *o)
{
    if (o->data != NULL) {
        munmap(o->data, o->cap ? o->cap : 1);
        o->data = NULL;
    }
    if (o->fd >= 0) {
        close(o->fd);
        o->fd = -1;
    }
    if (o->tmp_path[0] != '\0') {
        unlink(o->tmp_path);
        o->tmp_path[0] = '\0';
    }
}

/* Streamed output: a temporary file renamed over the target on commit. */
int ms_cli_stream_open(const char *verb, const char *path, ms_cli_stream_t *s)
{
    struct stat st;
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->path = path;
    if (strcmp(path, "-") == 0) {
        s->fd = STDOUT_FILENO;
        return MS_CLI_OK;
    }
    bool regular = stat(path, &st) != 0 ? errno == ENOENT : S_ISREG(st.st_mode);
    if (!regular) {
        s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (s->fd < 0) {
            return ms_cli_fail(verb, MS_CLI_IO, "cannot create %s: %s", path, strerror(errno));
        }
        s->own_fd = true;
        return MS_CLI_OK;
    }
    int n = snprintf(s->tmp_path, sizeof(s->tmp_path), "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(s->tmp_path)) {
        s->tmp_path[0] = '\0';
        return ms_cli_fail(verb, MS_CLI_IO, "%s: path too long", path);
    }
    s->fd = mkstemp(s->tmp_path);
    if (s->fd < 0) {
        s->tmp_path[0] = '\0';
        return ms_cli_fail(verb, MS_CLI_IO, "cannot create %s: %s", path, strerror(errno));
    }
    s->own_fd = true;
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(s->fd, 0666 & ~mask);
    return MS_CLI_OK;
}

int ms_cli_stream_write(ms_cli_stream_t *s, const void *data, size_t len)
{
    return s->fd < 0 ? EBADF : write_all(s->fd, data, len);
}

int ms_cli_stream_commit(const char *verb, ms_cli_stream_t *s)
{
    int e = 0;
    if (s->own_fd && s->fd >= 0) {
        if (close(s->fd) != 0) {
            e = errno;
        }
        s->fd = -1;
    }
    if (e == 0 && s->tmp_path[0] != '\0' && rename(s->tmp_path, s->path) != 0) {
        e = errno;
    }
    if (e != 0) {
        ms_cli_stream_abort(s);
        return ms_cli_fail(verb, MS_CLI_IO, "cannot write %s: %s", s->path, strerror(e));
    }
    s->tmp_path[0] = '\0';
    s->fd = -1;
    return MS_CLI_OK;
}

void ms_cli_stream_abort(ms_cli_stream_t *s)
{
    if (s->own_fd && s->fd >= 0) {
        close(s->fd);
    }
    s->fd = -1;
    if (s->tmp_path[0] != '\0') {
        unlink(s->tmp_path);
        s->tmp_path[0] = '\0';
    }
}

/* ---- keys ---------------------------------------------------------------------- */

int ms_cli_load_key(const char *verb, const char *path, bool need_priv,
                    ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    ms_cli_file_t f;
    ms_p256_priv_t tmp;
    bool has_priv = false;
    int rc = ms_cli_file_read_copy(verb, path, &f);
    if (rc != MS_CLI_OK) {
        return rc;
    }
    ms_err_t err = ms_p256_key_parse(f.data, f.len, &tmp, pub, &has_priv);
    ms_cli_file_close(&f, true);
    if (err != MS_OK) {
        ms_secure_zero(&tmp, sizeof(tmp));
        return ms_cli_fail_err(verb, err == MS_ERR_IO ? MS_ERR_KEY_FORMAT : err,
                               "key %s", path);
    }
    if (need_priv && !has_priv) {
        ms_secure_zero(&tmp, sizeof(tmp));
        return ms_cli_fail(verb, MS_CLI_FAIL, "key %s: a private key is needed, this file "
                           "holds only a public key", path);
    }
    if (priv != NULL && has_priv) {
        *priv = tmp;
    }
    ms_secure_zero(&tmp, sizeof(tmp));
    return MS_CLI_OK;
}
