/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli_common.h - shared pieces of the `meterseal chip` verbs (host
 * only, not installed). Each verb group lives in its own file:
 *   chip_cli_pack.c     keygen, loader, pack     (the vendor's packaging)
 *   chip_cli_licence.c  licence, hsm-init        (per-chip licences)
 *   chip_cli_write.c    write                    (the factory writer)
 *   chip_cli_reload.c   reload                   (84 DE loader reload)
 *   chip_cli_info.c     info                     (inspect a chip)
 * and chip_cli.c dispatches on argv[0].
 *
 * Invariants kept by every verb: on failure one line "meterseal: chip
 * <verb>: <reason>" goes to stderr and the exit status is non-zero; key
 * bytes are never printed (only key check values) and key buffers are wiped.
 */
#ifndef MS_CHIP_CLI_COMMON_H
#define MS_CHIP_CLI_COMMON_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "chip_factory.h"
#include "chip_pcsc.h"
#include "meterseal/chip.h"

/* Exit statuses (docs/cli.md). */
enum { MS_CHIP_CLI_OK = 0, MS_CHIP_CLI_FAIL = 1, MS_CHIP_CLI_USAGE = 2, MS_CHIP_CLI_IO = 3 };

/* Print "meterseal: chip <verb>: <message>" on stderr; returns code. */
int ms_chip_cli_fail(const char *verb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Read a whole file into a malloc'ed buffer (caller frees). 0 or -1. */
int ms_chip_cli_read_file(const char *path, uint8_t **buf, size_t *len);

/* Write a file; secret = 1 makes it owner-only (0600). 0 or -1. */
int ms_chip_cli_write_file(const char *path, const void *buf, size_t len, int secret);

/* Parse hex (whitespace and ':' ignored) into exactly n bytes. 0 or -1. */
int ms_chip_cli_parse_hex(const char *s, size_t slen, uint8_t *out, size_t n);

/* Read a 16-byte key given as 32 hex digits from path (the file buffer is
 * wiped). Returns an exit status (MS_CHIP_CLI_OK on success). */
int ms_chip_cli_load_key(const char *verb, const char *path, uint8_t key[16]);

/* Upper-case hex of n bytes into out (2n + 1 bytes). */
void ms_chip_cli_hex(const uint8_t *b, size_t n, char *out);

/* The package id of the package file pkgf. Returns an exit status. */
int ms_chip_cli_pkg_id(const char *verb, const char *pkgf, uint8_t id[16]);

/* Connect to the card in pc's reader and read its serial; a card that was
 * just swapped in may fail its first command (the reader still held the old
 * one): it tries once more. */
ms_err_t ms_chip_cli_connect_serial(ms_chip_pcsc_t *pc, uint8_t uid[MS_CHIP_UID_LEN]);

/* The verbs: argv[0] is the verb name. Each returns an exit status. */
int ms_chip_cli_keygen(int argc, char **argv);
int ms_chip_cli_loader(int argc, char **argv);
int ms_chip_cli_pack(int argc, char **argv);
int ms_chip_cli_licence(int argc, char **argv);
int ms_chip_cli_hsm_init(int argc, char **argv);
int ms_chip_cli_write(int argc, char **argv);
int ms_chip_cli_reload(int argc, char **argv);
int ms_chip_cli_info(int argc, char **argv);

/* Option parsing for a verb: needs `help` (printed for -h/--help) and
 * `opts` in scope; the cases of the verb's options go between the two. */
#define MS_CHIP_CLI_OPT_BEGIN(verb)                                                     \
    optind = 0;                                                                         \
    opterr = 0;                                                                         \
    int c_;                                                                             \
    while ((c_ = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {                   \
        if (c_ == '?' || c_ == ':') {                                                   \
            return ms_chip_cli_fail(verb, MS_CHIP_CLI_USAGE, "bad option '%s' (see --help)", \
                                    argv[optind - 1]);                                  \
        }                                                                               \
        if (c_ == 'h') {                                                                \
            puts(help);                                                                 \
            return MS_CHIP_CLI_OK;                                                      \
        }                                                                               \
        switch (c_) {
#define MS_CHIP_CLI_OPT_END \
    default: break;         \
    }                       \
    }

#endif /* MS_CHIP_CLI_COMMON_H */
