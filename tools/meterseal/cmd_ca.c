/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_ca.c - `meterseal ca`: the manufacturer CA and the cloud CA of
 * docs/cloud.md §1, kept in a CA directory.
 *
 *   meterseal ca init     create a CA (key + self-signed certificate)
 *   meterseal ca sign-csr sign a meter's PKCS#10 request (§2 step 3)
 *   meterseal ca issue    make a key and a server (broker) or client
 *                         (cloud service) certificate
 *   meterseal ca revoke   mark a certificate revoked
 *   meterseal ca crl      write the CA's current CRL
 *
 * A CA directory holds ca.key (PKCS#8 PEM, mode 0600), ca.pem, index.tsv
 * (one line per issued certificate: serial, V or R, not-after, revocation
 * time, CN) and crlnumber. X.509 is built by cloud/x509_openssl.c; keys
 * are made by the crypto module. Invariants: private keys are written only
 * to new files of mode 0600 and never printed; key buffers are wiped; the
 * index is appended to only after the certificate file was written.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "x509.h"

#define CA_DAYS_DEFAULT   3650u
#define LEAF_DAYS_DEFAULT 825u
#define INDEX_MAX_LINES   1000000u

static const char ca_help[] =
    "usage: meterseal ca <command> --dir DIR [options]\n"
    "\n"
    "The manufacturer CA and the cloud CA (docs/cloud.md).\n"
    "\n"
    "  init      --cn NAME [--days N]               create a CA in DIR (new directory\n"
    "                                               or empty one)\n"
    "  sign-csr  --csr FILE --out FILE [--days N]   sign a meter request: subject\n"
    "                                               CN=id, serialNumber=id, O=MeterSeal\n"
    "                                               meter; clientAuth\n"
    "  issue     --profile server|client --cn NAME --key-out FILE --out FILE\n"
    "            [--san DNS:host,IP:addr] [--days N]\n"
    "                                               new key (0600) and certificate for\n"
    "                                               the broker (server) or the cloud\n"
    "                                               service (client)\n"
    "  revoke    --serial HEX | --cert FILE         revoke a certificate of this CA\n"
    "  crl       --out FILE [--days N]              write the CRL (default 30 days)\n"
    "\n"
    "  --not-before T --not-after T   validity as seconds since 1970 (UTC) instead of\n"
    "                                 now .. now + days (sign-csr, issue)\n";

typedef struct ca_opts {
    const char *dir, *cn, *csr, *out, *key_out, *san, *serial, *cert, *profile;
    uint32_t days;
    bool have_days;
    int64_t not_before, not_after;
    bool have_nb, have_na;
} ca_opts_t;

typedef struct ca_ctx {
    ms_cli_file_t cert;
    ms_p256_priv_t key;
    ms_p256_pub_t pub;
    char path[4096];
} ca_ctx_t;

static const char *verb = "ca";

static int dir_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "path too long: %s", dir);
    }
    return MS_CLI_OK;
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0) {
        return false;
    }
    *out = v;
    return true;
}

static int parse_opts(int argc, char **argv, ca_opts_t *o)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },   { "cn", required_argument, NULL, 'n' },
        { "csr", required_argument, NULL, 'r' },   { "out", required_argument, NULL, 'o' },
        { "key-out", required_argument, NULL, 'k' }, { "san", required_argument, NULL, 's' },
        { "serial", required_argument, NULL, 'S' }, { "cert", required_argument, NULL, 'c' },
        { "profile", required_argument, NULL, 'p' }, { "days", required_argument, NULL, 'D' },
        { "not-before", required_argument, NULL, 'B' },
        { "not-after", required_argument, NULL, 'A' }, { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof *o);
    int c;
    ms_cli_getopt_reset();
    while ((c = ms_cli_getopt(verb, argc, argv, "d:o:", opts)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 'n': o->cn = optarg; break;
        case 'r': o->csr = optarg; break;
        case 'o': o->out = optarg; break;
        case 'k': o->key_out = optarg; break;
        case 's': o->san = optarg; break;
        case 'S': o->serial = optarg; break;
        case 'c': o->cert = optarg; break;
        case 'p': o->profile = optarg; break;
        case 'D':
            if (!ms_cli_parse_u32(optarg, &o->days) || o->days == 0 || o->days > 36500) {
                return ms_cli_fail(verb, MS_CLI_USAGE, "bad --days '%s' (1..36500)", optarg);
            }
            o->have_days = true;
            break;
        case 'B':
            if (!parse_i64(optarg, &o->not_before)) {
                return ms_cli_fail(verb, MS_CLI_USAGE, "bad --not-before '%s'", optarg);
            }
            o->have_nb = true;
            break;
        case 'A':
            if (!parse_i64(optarg, &o->not_after)) {
                return ms_cli_fail(verb, MS_CLI_USAGE, "bad --not-after '%s'", optarg);
            }
            o->have_na = true;
            break;
        default:
            return MS_CLI_USAGE;
        }
    }
    if (optind < argc) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "unexpected argument '%s'", argv[optind]);
    }
    if (o->dir == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "missing --dir DIR");
    }
    if (o->have_nb != o->have_na) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "--not-before and --not-after go together");
    }
    return MS_CLI_OK;
}

static void validity(const ca_opts_t *o, uint32_t default_days, int64_t *nb, int64_t *na)
{
    if (o->have_nb) {
        *nb = o->not_before;
        *na = o->not_after;
        return;
    }
    int64_t now = (int64_t)time(NULL);
    *nb = now - 300;   /* a little slack for clocks behind ours */
    *na = now + (int64_t)(o->have_days ? o->days : default_days) * 86400;
}

/* Load ca.pem and ca.key, and check that they belong together. */
static int ca_open(const char *dir, ca_ctx_t *ca)
{
    memset(ca, 0, sizeof *ca);
    int rc = dir_path(ca->path, sizeof ca->path, dir, "ca.key");
    if (rc == MS_CLI_OK) {
        rc = ms_cli_load_key(verb, ca->path, true, &ca->key, &ca->pub);
    }
    if (rc == MS_CLI_OK) {
        rc = dir_path(ca->path, sizeof ca->path, dir, "ca.pem");
    }
    if (rc == MS_CLI_OK) {
        rc = ms_cli_file_open(verb, ca->path, &ca->cert);
    }
    if (rc == MS_CLI_OK) {
        ms_err_t err = ms_x509_key_matches((const char *)ca->cert.data, ca->cert.len, &ca->pub);
        if (err != MS_OK) {
            rc = ms_cli_fail_err(verb, err, "%s and ca.key", ca->path);
        }
    }
    return rc;
}

static void ca_close(ca_ctx_t *ca)
{
    ms_secure_zero(&ca->key, sizeof ca->key);
    ms_cli_file_close(&ca->cert, false);
}

static int index_append(const char *dir, const char *serial, int64_t not_after, const char *cn)
{
    char path[4096];
    int rc = dir_path(path, sizeof path, dir, "index.tsv");
    if (rc != MS_CLI_OK) {
        return rc;
    }
    FILE *f = fopen(path, "a");
    if (f == NULL) {
        return ms_cli_fail(verb, MS_CLI_IO, "cannot open %s: %s", path, strerror(errno));
    }
    fprintf(f, "%s\tV\t%" PRId64 "\t0\t%s\n", serial, not_after, cn);
    if (fclose(f) != 0) {
        return ms_cli_fail(verb, MS_CLI_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return MS_CLI_OK;
}

/* ---- index.tsv -------------------------------------------------------------------- */

typedef struct index_line {
    char serial[MS_X509_SERIAL_HEX];
    char status;
    int64_t not_after, revoked_at;
    char cn[MS_X509_NAME_MAX + 1];
} index_line_t;

static bool index_parse(char *line, index_line_t *e)
{
    char *save = NULL;
    char *f[5];
    for (int i = 0; i < 5; i++) {
        f[i] = strtok_r(i == 0 ? line : NULL, "\t\n", &save);
        if (f[i] == NULL) {
            return false;
        }
    }
    if (strlen(f[0]) != MS_X509_SERIAL_HEX - 1 || strlen(f[1]) != 1 ||
        strlen(f[4]) > MS_X509_NAME_MAX || !parse_i64(f[2], &e->not_after) ||
        !parse_i64(f[3], &e->revoked_at)) {
        return false;
    }
    memcpy(e->serial, f[0], MS_X509_SERIAL_HEX);
    e->status = f[1][0];
    memcpy(e->cn, f[4], strlen(f[4]) + 1);
    return e->status == 'V' || e->status == 'R';
}

/* Read index.tsv; *lines is malloc'd (caller frees). */
static int index_read(const char *dir, index_line_t **lines, size_t *n)
{
    char path[4096], buf[512];
    *lines = NULL;
    *n = 0;
    int rc = dir_path(path, sizeof path, dir, "index.tsv");
    if (rc != MS_CLI_OK) {
        return rc;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return errno == ENOENT ? MS_CLI_OK
                               : ms_cli_fail(verb, MS_CLI_IO, "cannot open %s: %s", path,
                                             strerror(errno));
    }
    size_t cap = 0;
    while (fgets(buf, sizeof buf, f) != NULL) {
        if (*n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            index_line_t *p = ncap <= INDEX_MAX_LINES ? realloc(*lines, ncap * sizeof **lines)
                                                       : NULL;
            if (p == NULL) {
                fclose(f);
                return ms_cli_fail(verb, MS_CLI_IO, "%s: too many lines", path);
            }
            *lines = p;
            cap = ncap;
        }
        if (!index_parse(buf, &(*lines)[*n])) {
            fclose(f);
            return ms_cli_fail(verb, MS_CLI_FAIL, "%s: malformed line %zu", path, *n + 1);
        }
        (*n)++;
    }
    fclose(f);
    return MS_CLI_OK;
}

static int index_write(const char *dir, const index_line_t *lines, size_t n)
{
    char path[4096], tmp[4200];
    int rc = dir_path(path, sizeof path, dir, "index.tsv");
    if (rc != MS_CLI_OK) {
        return rc;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        return ms_cli_fail(verb, MS_CLI_IO, "cannot create %s: %s", tmp, strerror(errno));
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\t%c\t%" PRId64 "\t%" PRId64 "\t%s\n", lines[i].serial, lines[i].status,
                lines[i].not_after, lines[i].revoked_at, lines[i].cn);
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        return ms_cli_fail(verb, MS_CLI_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return MS_CLI_OK;
}

/* ---- commands ---------------------------------------------------------------------- */

static int ca_init(const ca_opts_t *o)
{
    if (o->cn == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "init: missing --cn NAME");
    }
    if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
        return ms_cli_fail(verb, MS_CLI_IO, "cannot create %s: %s", o->dir, strerror(errno));
    }
    char key_path[4096], cert_path[4096];
    int rc = dir_path(key_path, sizeof key_path, o->dir, "ca.key");
    if (rc == MS_CLI_OK) {
        rc = dir_path(cert_path, sizeof cert_path, o->dir, "ca.pem");
    }
    if (rc != MS_CLI_OK) {
        return rc;
    }
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    uint8_t pem[512];
    size_t pem_len = 0;
    char *cert = NULL;
    size_t cert_len = 0;
    ms_x509_request_t req = { .profile = MS_X509_CA, .cn = o->cn };
    validity(o, CA_DAYS_DEFAULT, &req.not_before, &req.not_after);
    ms_err_t err = ms_p256_keygen(&priv, &pub);
    if (err == MS_OK) {
        err = ms_p256_key_write(&priv, &pub, MS_KEY_PKCS8, true, pem, sizeof pem, &pem_len);
    }
    if (err == MS_OK) {
        err = ms_x509_make_ca(&priv, &req, &cert, &cert_len);
    }
    ms_secure_zero(&priv, sizeof priv);
    if (err != MS_OK) {
        ms_secure_zero(pem, sizeof pem);
        return ms_cli_fail_err(verb, err, "init: cannot make the CA");
    }
    rc = ms_cli_write_file(verb, key_path, pem, pem_len, MS_CLI_WRITE_SECRET);
    ms_secure_zero(pem, sizeof pem);
    if (rc == MS_CLI_OK) {
        rc = ms_cli_write_file(verb, cert_path, cert, cert_len, 0);
    }
    free(cert);
    if (rc == MS_CLI_OK) {
        printf("created CA '%s' in %s (ca.key mode 0600, ca.pem)\n", o->cn, o->dir);
    }
    return rc;
}

/* Issue for pub with req, write the certificate to out and index it. */
static int issue_to(const ca_opts_t *o, ca_ctx_t *ca, const ms_p256_pub_t *pub,
                    const ms_x509_request_t *req)
{
    char *cert = NULL;
    size_t cert_len = 0;
    char serial[MS_X509_SERIAL_HEX];
    ms_err_t err = ms_x509_issue((const char *)ca->cert.data, ca->cert.len, &ca->key, pub, req,
                                 &cert, &cert_len, serial);
    if (err != MS_OK) {
        return ms_cli_fail_err(verb, err, "cannot issue a certificate for '%s'", req->cn);
    }
    int rc = ms_cli_write_file(verb, o->out, cert, cert_len, 0);
    free(cert);
    if (rc == MS_CLI_OK) {
        rc = index_append(o->dir, serial, req->not_after, req->cn);
    }
    if (rc == MS_CLI_OK && strcmp(o->out, "-") != 0) {
        printf("issued %s serial %s to %s\n", req->cn, serial, o->out);
    }
    return rc;
}

static int ca_sign_csr(const ca_opts_t *o)
{
    if (o->csr == NULL || o->out == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "sign-csr: needs --csr FILE and --out FILE");
    }
    ms_cli_file_t csr;
    int rc = ms_cli_file_open(verb, o->csr, &csr);
    if (rc != MS_CLI_OK) {
        return rc;
    }
    char id[MS_METER_ID_MAX + 1];
    ms_p256_pub_t pub;
    ms_err_t err = ms_x509_csr_check((const char *)csr.data, csr.len, id, &pub);
    ms_cli_file_close(&csr, false);
    if (err != MS_OK) {
        return ms_cli_fail_err(verb, err, "%s", o->csr);
    }
    ca_ctx_t ca;
    rc = ca_open(o->dir, &ca);
    if (rc == MS_CLI_OK) {
        ms_x509_request_t req = { .profile = MS_X509_METER, .cn = id };
        validity(o, LEAF_DAYS_DEFAULT, &req.not_before, &req.not_after);
        rc = issue_to(o, &ca, &pub, &req);
    }
    ca_close(&ca);
    return rc;
}

static int ca_issue(const ca_opts_t *o)
{
    if (o->profile == NULL || o->cn == NULL || o->out == NULL || o->key_out == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE,
                           "issue: needs --profile, --cn, --key-out FILE and --out FILE");
    }
    ms_x509_request_t req = { .cn = o->cn, .san = o->san };
    if (strcmp(o->profile, "server") == 0) {
        req.profile = MS_X509_SERVER;
    } else if (strcmp(o->profile, "client") == 0) {
        req.profile = MS_X509_CLIENT;
    } else {
        return ms_cli_fail(verb, MS_CLI_USAGE, "issue: --profile is server or client");
    }
    validity(o, LEAF_DAYS_DEFAULT, &req.not_before, &req.not_after);
    ca_ctx_t ca;
    int rc = ca_open(o->dir, &ca);
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    uint8_t pem[512];
    size_t pem_len = 0;
    if (rc == MS_CLI_OK) {
        ms_err_t err = ms_p256_keygen(&priv, &pub);
        if (err == MS_OK) {
            err = ms_p256_key_write(&priv, &pub, MS_KEY_PKCS8, true, pem, sizeof pem, &pem_len);
        }
        ms_secure_zero(&priv, sizeof priv);
        if (err != MS_OK) {
            rc = ms_cli_fail_err(verb, err, "issue: cannot make a key");
        }
    }
    if (rc == MS_CLI_OK) {
        rc = ms_cli_write_file(verb, o->key_out, pem, pem_len, MS_CLI_WRITE_SECRET);
    }
    ms_secure_zero(pem, sizeof pem);
    if (rc == MS_CLI_OK) {
        rc = issue_to(o, &ca, &pub, &req);
    }
    ca_close(&ca);
    return rc;
}

static int ca_revoke(const ca_opts_t *o)
{
    char serial[MS_X509_SERIAL_HEX];
    if ((o->serial == NULL) == (o->cert == NULL)) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "revoke: give one of --serial HEX, --cert FILE");
    }
    if (o->cert != NULL) {
        ms_cli_file_t f;
        int rc = ms_cli_file_open(verb, o->cert, &f);
        if (rc != MS_CLI_OK) {
            return rc;
        }
        ms_x509_info_t info;
        ms_err_t err = ms_x509_info((const char *)f.data, f.len, &info);
        ms_cli_file_close(&f, false);
        if (err != MS_OK) {
            return ms_cli_fail_err(verb, err, "%s", o->cert);
        }
        memcpy(serial, info.serial_hex, sizeof serial);
    } else {
        if (strlen(o->serial) != MS_X509_SERIAL_HEX - 1) {
            return ms_cli_fail(verb, MS_CLI_USAGE, "revoke: --serial is %u hex digits",
                               MS_X509_SERIAL_HEX - 1);
        }
        for (size_t i = 0; i < MS_X509_SERIAL_HEX - 1; i++) {
            char c = o->serial[i];
            serial[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
        }
        serial[MS_X509_SERIAL_HEX - 1] = '\0';
    }
    index_line_t *lines = NULL;
    size_t n = 0;
    int rc = index_read(o->dir, &lines, &n);
    size_t i = 0;
    while (rc == MS_CLI_OK && i < n && strcmp(lines[i].serial, serial) != 0) {
        i++;
    }
    if (rc == MS_CLI_OK && i == n) {
        rc = ms_cli_fail(verb, MS_CLI_FAIL, "revoke: serial %s was not issued by this CA",
                         serial);
    }
    if (rc == MS_CLI_OK && lines[i].status != 'R') {
        lines[i].status = 'R';
        lines[i].revoked_at = (int64_t)time(NULL);
        rc = index_write(o->dir, lines, n);
    }
    if (rc == MS_CLI_OK) {
        printf("revoked %s (%s); write a new CRL with `meterseal ca crl`\n", serial,
               lines[i].cn);
    }
    free(lines);
    return rc;
}

static int ca_crl(const ca_opts_t *o)
{
    if (o->out == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "crl: missing --out FILE");
    }
    char num_path[4096];
    int rc = dir_path(num_path, sizeof num_path, o->dir, "crlnumber");
    if (rc != MS_CLI_OK) {
        return rc;
    }
    uint64_t number = 1;
    FILE *f = fopen(num_path, "r");
    if (f != NULL) {
        if (fscanf(f, "%" SCNu64, &number) != 1) {
            number = 1;
        }
        fclose(f);
    }
    index_line_t *lines = NULL;
    size_t n = 0;
    rc = index_read(o->dir, &lines, &n);
    ms_x509_revoked_t *rev = rc == MS_CLI_OK ? calloc(n + 1, sizeof *rev) : NULL;
    size_t nr = 0;
    if (rc == MS_CLI_OK && rev == NULL) {
        rc = ms_cli_fail(verb, MS_CLI_IO, "out of memory");
    }
    for (size_t i = 0; rc == MS_CLI_OK && i < n; i++) {
        if (lines[i].status == 'R') {
            memcpy(rev[nr].serial_hex, lines[i].serial, MS_X509_SERIAL_HEX);
            rev[nr].revoked_at = lines[i].revoked_at;
            nr++;
        }
    }
    ca_ctx_t ca;
    if (rc == MS_CLI_OK) {
        rc = ca_open(o->dir, &ca);
        if (rc == MS_CLI_OK) {
            int64_t now = (int64_t)time(NULL);
            char *pem = NULL;
            size_t pem_len = 0;
            ms_err_t err = ms_x509_make_crl((const char *)ca.cert.data, ca.cert.len, &ca.key, rev,
                                            nr, number, now - 60,
                                            now + (int64_t)(o->have_days ? o->days : 30) * 86400,
                                            &pem, &pem_len);
            if (err != MS_OK) {
                rc = ms_cli_fail_err(verb, err, "crl: cannot make the CRL");
            } else {
                rc = ms_cli_write_file(verb, o->out, pem, pem_len, 0);
                free(pem);
            }
        }
        ca_close(&ca);
    }
    if (rc == MS_CLI_OK) {
        f = fopen(num_path, "w");
        if (f == NULL || fprintf(f, "%" PRIu64 "\n", number + 1) < 0 || fclose(f) != 0) {
            rc = ms_cli_fail(verb, MS_CLI_IO, "cannot write %s", num_path);
        } else if (strcmp(o->out, "-") != 0) {
            printf("CRL number %" PRIu64 " with %zu revoked certificate(s) written to %s\n",
                   number, nr, o->out);
        }
    }
    free(rev);
    free(lines);
    return rc;
}

static int cmd_ca(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(ca_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? MS_CLI_USAGE : MS_CLI_OK;
    }
    static const struct {
        const char *name;
        int (*run)(const ca_opts_t *o);
    } cmds[] = {
        { "init", ca_init },       { "sign-csr", ca_sign_csr }, { "issue", ca_issue },
        { "revoke", ca_revoke },   { "crl", ca_crl },
    };
    for (size_t i = 0; i < MS_CLI_ARRAY_LEN(cmds); i++) {
        if (strcmp(argv[1], cmds[i].name) == 0) {
            ca_opts_t o;
            int rc = parse_opts(argc - 1, argv + 1, &o);
            return rc != MS_CLI_OK ? rc : cmds[i].run(&o);
        }
    }
    return ms_cli_fail(verb, MS_CLI_USAGE, "unknown command '%s' (see meterseal ca --help)",
                       argv[1]);
}

static const ms_cli_verb_t verbs[] = {
    { "ca", "manufacturer and cloud CA: init, sign-csr, issue, revoke, crl", cmd_ca },
};

const ms_cli_group_t ms_cli_group_ca = { "ca", verbs, MS_CLI_ARRAY_LEN(verbs) };
