/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - shared pieces of the `meterseal` command-line tool (host only).
 *
 * The tool is a table of verb groups (main.c); each group lives in its own
 * cmd_<group>.c and exports one ms_cli_group_t named ms_cli_group_<group>.
 * This header holds what every verb needs: exit codes, the one-line error
 * reporter, option parsing, file I/O and the value parsers.
 *
 * Invariants kept by every verb:
 *   - on failure exactly one line "meterseal: <verb>: <reason>" goes to
 *     stderr and the exit status is non-zero (see ms_cli_exit_t);
 *   - private key bytes are never printed, and key buffers are wiped with
 *     ms_secure_zero() before they are released;
 *   - the image logic is the library's (meterseal/image.h): verbs only read
 *     files, call the library and print what it found.
 */
#ifndef MS_CLI_H
#define MS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "meterseal/image.h"

/* Exit statuses, documented in docs/cli.md. */
typedef enum ms_cli_exit {
    MS_CLI_OK = 0,      /* the verb did what was asked */
    MS_CLI_FAIL = 1,    /* the data was rejected: bad image, signature, key... */
    MS_CLI_USAGE = 2,   /* bad command line: unknown option, bad value */
    MS_CLI_IO = 3,      /* a file could not be read or written */
} ms_cli_exit_t;

/* One verb: argv[0] is the verb name, options follow. Returns an exit status. */
typedef struct ms_cli_verb {
    const char *name;
    const char *summary;                 /* one line for `meterseal --help` */
    int (*run)(int argc, char **argv);
} ms_cli_verb_t;

/* A group of verbs kept in one source file. */
typedef struct ms_cli_group {
    const char *name;
    const ms_cli_verb_t *verbs;
    size_t n_verbs;
} ms_cli_group_t;

#define MS_CLI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reporting ------------------------------------------------------------ */

#if defined(__GNUC__)
#define MS_CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MS_CLI_PRINTF(f, a)
#endif

/* Print "meterseal: <verb>: <message>" on stderr; returns `code`. */
int ms_cli_fail(const char *verb, int code, const char *fmt, ...) MS_CLI_PRINTF(3, 4);

/* Print "meterseal: <verb>: <message>: <ms_strerror(err)>" and return the
 * exit status that fits err (MS_CLI_IO, MS_CLI_USAGE or MS_CLI_FAIL). */
int ms_cli_fail_err(const char *verb, ms_err_t err, const char *fmt, ...) MS_CLI_PRINTF(3, 4);

/* Exit status for a library error. */
int ms_cli_exit_for(ms_err_t err);

/* ---- options ---------------------------------------------------------------- */

/* True when argv holds -h or --help (checked before parsing anything). */
bool ms_cli_wants_help(int argc, char **argv);

/*
 * getopt_long() with the tool's error messages. Returns the option, -1 at
 * the end, or '?' after printing "unknown option" / "option needs a value"
 * (then return MS_CLI_USAGE). Call ms_cli_getopt_reset() first.
 */
void ms_cli_getopt_reset(void);
int ms_cli_getopt(const char *verb, int argc, char **argv, const char *shortopts,
                  const struct option *longopts);

/* ---- values ------------------------------------------------------------------ */

/* Unsigned integer in decimal, 0x hex, 0o octal or 0b binary, as imgtool. */
bool ms_cli_parse_u32(const char *s, uint32_t *out);

/* imgtool's version syntax: MAJOR[.MINOR[.REVISION[+BUILD]]], no leading
 * zeros, each field within its header width. */
bool ms_cli_parse_version(const char *s, ms_image_version_t *v);

/* imgtool's --dependencies: "(ID,VERSION), (ID,VERSION)" (at most
 * MS_IMAGE_MAX_DEPS). */
bool ms_cli_parse_deps(const char *s, ms_image_dependency_t *deps, uint8_t *n_deps);

/* "1.2.3+4" into out (at least 32 bytes). */
void ms_cli_format_version(const ms_image_version_t *v, char *out, size_t cap);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void ms_cli_hex(const uint8_t *data, size_t len, char *out);

/* ---- files -------------------------------------------------------------------- */

/* A whole input file: mapped read-only when possible, else read into heap. */
typedef struct ms_cli_file {
    uint8_t *data;
    size_t len;
    bool mapped;
} ms_cli_file_t;

/* Map (or read) path. Prints the error and returns an exit status on failure. */
int ms_cli_file_open(const char *verb, const char *path, ms_cli_file_t *f);
/* Read path into a private, writable heap copy. */
int ms_cli_file_read_copy(const char *verb, const char *path, ms_cli_file_t *f);
/* Release; wipe=true zeroes heap copies first (key files). */
void ms_cli_file_close(ms_cli_file_t *f, bool wipe);

/* Flags for ms_cli_write_file. */
#define MS_CLI_WRITE_SECRET 1u   /* mode 0600, refuse an existing file */
#define MS_CLI_WRITE_FORCE  2u   /* with SECRET: replace an existing file */

/* Write a file ("-" = stdout). Prints the error and returns an exit status. */
int ms_cli_write_file(const char *verb, const char *path, const void *data, size_t len,
                      unsigned flags);

/*
 * An output file written whole: begin() gives a buffer of `cap` bytes
 * (anonymous memory on huge pages where the kernel allows, so a large image
 * costs few page faults); commit() writes `len` bytes of it to a temporary
 * file next to `path` and renames that over `path`, so a failed or
 * interrupted run never leaves a half-written output and OUTFILE may be
 * INFILE. "-" and non-regular targets (/dev/null, pipes) are written
 * directly. (A shared file mapping was measured too: no faster, and a full
 * disk would turn into SIGBUS instead of an error.)
 */
typedef struct ms_cli_out {
    uint8_t *data;
    size_t cap;
    int fd;             /* temporary file, or -1 */
    const char *path;
    char tmp_path[4096];
} ms_cli_out_t;

int ms_cli_out_begin(const char *verb, const char *path, size_t cap, ms_cli_out_t *o);
int ms_cli_out_commit(const char *verb, ms_cli_out_t *o, size_t len);
/* Drop the output (removes the temporary file). Harmless after commit. */
void ms_cli_out_abort(ms_cli_out_t *o);

/*
 * An output file written in pieces (a streaming `sign`): open() creates a
 * temporary file next to `path`, commit() renames it over `path`, so a
 * failed or interrupted run never leaves a half-written OUTFILE and OUTFILE
 * may be INFILE. "-" (stdout) and non-regular targets (/dev/null, pipes)
 * are written directly.
 */
typedef struct ms_cli_stream {
    int fd;
    bool own_fd;        /* false for stdout */
    const char *path;
    char tmp_path[4096];
} ms_cli_stream_t;

int ms_cli_stream_open(const char *verb, const char *path, ms_cli_stream_t *s);
/* Write all len bytes; 0 or an errno value. Prints nothing, so it may run on
 * a writer thread. */
int ms_cli_stream_write(ms_cli_stream_t *s, const void *data, size_t len);
int ms_cli_stream_commit(const char *verb, ms_cli_stream_t *s);
/* Drop the output (removes the temporary file). Harmless after commit. */
void ms_cli_stream_abort(ms_cli_stream_t *s);

/* ---- keys ---------------------------------------------------------------------- */

/*
 * Load a P-256 key file (PEM or DER; SPKI, PKCS#8 or SEC1). priv may be
 * NULL when only the public half is wanted; need_priv makes a public-only
 * file an error. The file buffer is wiped. Prints on failure.
 */
int ms_cli_load_key(const char *verb, const char *path, bool need_priv,
                    ms_p256_priv_t *priv, ms_p256_pub_t *pub);

#endif /* MS_CLI_H */
