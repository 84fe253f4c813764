/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli_common.c - what every `meterseal chip` verb shares (see
 * chip_cli_common.h): the one-line error reporter, file I/O, hex parsing,
 * key files, the package id of a package file and the serial of the chip in
 * a PC/SC reader.
 * Invariant: key bytes read from a file are wiped before the buffer is freed.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chip_cli_common.h"

int ms_chip_cli_fail(const char *verb, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "meterseal: chip %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int ms_chip_cli_read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    size_t cap = 65536, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (b == NULL) {
            fclose(f);
            return -1;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) {
            break;
        }
        cap *= 2;
        uint8_t *nb = realloc(b, cap);
        if (nb == NULL) {
            free(b);
            b = NULL;
            continue;
        }
        b = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

int ms_chip_cli_write_file(const char *path, const void *buf, size_t len, int secret)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    if (secret) {
        chmod(path, 0600);
    }
    int ok = fwrite(buf, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    return ok ? 0 : -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parse hex (whitespace and ':' ignored) into exactly n bytes. */
int ms_chip_cli_parse_hex(const char *s, size_t slen, uint8_t *out, size_t n)
{
    size_t got = 0;
    int hi = -1;
    for (size_t i = 0; i < slen; i++) {
        int c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ':') {
            continue;
        }
        int v = hexval(c);
        if (v < 0 || got >= n) {
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out[got++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return got == n && hi < 0 ? 0 : -1;
}

int ms_chip_cli_load_key(const char *verb, const char *path, uint8_t key[16])
{
    uint8_t *b = NULL;
    size_t n = 0;
    if (path == NULL) {
        return ms_chip_cli_fail(verb, MS_CHIP_CLI_USAGE, "a key file is required");
    }
    if (ms_chip_cli_read_file(path, &b, &n) != 0) {
        return ms_chip_cli_fail(verb, MS_CHIP_CLI_IO, "cannot read key file %s", path);
    }
    int bad = ms_chip_cli_parse_hex((const char *)b, n, key, 16);
    ms_secure_zero(b, n);
    free(b);
    if (bad) {
        return ms_chip_cli_fail(verb, MS_CHIP_CLI_FAIL,
                                "%s: expected 32 hex digits (a 16-byte key)", path);
    }
    return MS_CHIP_CLI_OK;
}

void ms_chip_cli_hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02X", b[i]);
    }
}

int ms_chip_cli_pkg_id(const char *verb, const char *pkgf, uint8_t id[16])
{
    uint8_t *pkg = NULL;
    size_t plen = 0;
    ms_chip_pkg_header_t h;
    if (pkgf == NULL) {
        return ms_chip_cli_fail(verb, MS_CHIP_CLI_USAGE, "--pkg is required");
    }
    if (ms_chip_cli_read_file(pkgf, &pkg, &plen) != 0) {
        return ms_chip_cli_fail(verb, MS_CHIP_CLI_IO, "cannot read %s", pkgf);
    }
    ms_err_t err = ms_chip_pkg_parse(pkg, plen, &h);
    if (err == MS_OK) {
        err = ms_chip_pkg_id(pkg, id);
    }
    free(pkg);
    return err == MS_OK
               ? MS_CHIP_CLI_OK
               : ms_chip_cli_fail(verb, MS_CHIP_CLI_FAIL, "%s: %s", pkgf, ms_strerror(err));
}

/* Connect and read the serial; a card that was just swapped in may fail
 * its first command (the reader still held the old one): try once more. */
ms_err_t ms_chip_cli_connect_serial(ms_chip_pcsc_t *pc, uint8_t uid[MS_CHIP_UID_LEN])
{
    uint8_t get[5] = {0x80, 0xCA, 0x00, 0x01, 0x00}, rsp[64];
    size_t rl = 0;
    ms_err_t err = MS_ERR_IO;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0) {
            ms_chip_pcsc_wait_removed(pc, 1000);
        }
        err = ms_chip_pcsc_connect(pc, 10000);
        if (err == MS_OK) {
            err = ms_chip_pcsc_transmit(pc, get, 5, rsp, sizeof rsp, &rl);
        }
        if (err != MS_ERR_POWER_LOST) {
            break;
        }
    }
    if (err == MS_OK && (rl != MS_CHIP_UID_LEN + 2 || rsp[rl - 2] != 0x90)) {
        err = MS_ERR_FORMAT;
    }
    if (err == MS_OK) {
        memcpy(uid, rsp, MS_CHIP_UID_LEN);
    }
    return err;
}
