/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_provision.c - `meterseal provision`: the factory's side of a meter's
 * provisioning (docs/cloud.md section 2), either on a host meter's device
 * directory (platform/host/meter_host.h), with the meter's TEE running in
 * this process as the factory (BOOT) partition, or with --uart on a meter
 * whose TEE runs on the device (the factory session over its modem UART,
 * factory_uart.h; the device directory then only keeps the request):
 *
 *   request   the TEE makes the identity key, a CSR signed inside, and an
 *             attestation token over SHA-256(nonce || identity key);
 *   install   the TEE checks and stores the issued certificate, the pinned
 *             cloud CA, the broker address and the command key, and the
 *             registration body for POST /api/v1/meters is written;
 *   show      what the meter holds (nothing secret).
 *
 * Nothing secret passes through this tool: the keys stay in the TEE's key
 * store; the CSR, token, IAK public key and certificates are public.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "cli.h"
#include "factory_uart.h"
#include "meter_host.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_link.h"
#include "meterseal/tee_storage.h"

#define REQUEST_FILE "provision-request.txt"

/* ---- PEM (RFC 7468) ------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* DER -> PEM text with 64-character lines. Returns the length, 0 if cap is short. */
static size_t pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label);
    size_t col = 0;
    for (size_t i = 0; i < len && n + 8 < cap; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)der[i + 1] << 8;
        }
        if (i + 2 < len) {
            v |= der[i + 2];
        }
        out[n++] = b64[(v >> 18) & 63];
        out[n++] = b64[(v >> 12) & 63];
        out[n++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        out[n++] = i + 2 < len ? b64[v & 63] : '=';
        col += 4;
        if (col == 64) {
            out[n++] = '\n';
            col = 0;
        }
    }
    if (col != 0 && n < cap) {
        out[n++] = '\n';
    }
    int k = snprintf(out + n, cap > n ? cap - n : 0, "-----END %s-----\n", label);
    if (k < 0 || n + (size_t)k >= cap) {
        return 0;
    }
    return n + (size_t)k;
}

/* The first PEM block with this label in text -> DER. 0 on any error. */
static size_t pem_decode(const char *label, const uint8_t *text, size_t len, uint8_t *der,
                         size_t cap)
{
    char begin[64], end[64];
    snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
    snprintf(end, sizeof end, "-----END %s-----", label);
    const char *t = (const char *)text;
    const char *b = memmem(t, len, begin, strlen(begin));
    if (b == NULL) {
        return 0;
    }
    b += strlen(begin);
    const char *e = memmem(b, len - (size_t)(b - t), end, strlen(end));
    if (e == NULL) {
        return 0;
    }
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t n = 0;
    for (const char *p = b; p < e; p++) {
        if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t') {
            continue;
        }
        if (*p == '=') {
            pad++;
            continue;
        }
        const char *q = strchr(b64, *p);
        if (q == NULL || *p == '\0' || pad != 0) {
            return 0;
        }
        acc = (acc << 6) | (uint32_t)(q - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap) {
                return 0;
            }
            der[n++] = (uint8_t)(acc >> bits);
        }
    }
    return pad <= 2 ? n : 0;
}

static bool parse_hex(const char *s, uint8_t *out, size_t want)
{
    if (s == NULL || strlen(s) != 2 * want) {
        return false;
    }
    for (size_t i = 0; i < want; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
            !strchr("0123456789abcdefABCDEF", s[2 * i + 1])) {
            return false;
        }
        out[i] = (uint8_t)v;
    }
    return true;
}

/* A certificate file, PEM or DER. */
static int load_cert(const char *verb, const char *path, uint8_t *der, size_t cap, size_t *len)
{
    ms_cli_file_t f;
    int rc = ms_cli_file_open(verb, path, &f);
    if (rc) {
        return rc;
    }
    *len = pem_decode("CERTIFICATE", f.data, f.len, der, cap);
    if (*len == 0 && f.len > 0 && f.len <= cap && f.data[0] == 0x30) {
        memcpy(der, f.data, f.len);   /* DER */
        *len = f.len;
    }
    ms_cli_file_close(&f, false);
    if (*len == 0) {
        return ms_cli_fail(verb, MS_CLI_FAIL, "%s: not a certificate (PEM or DER)", path);
    }
    return MS_CLI_OK;
}

/* The host meter's TEE, in this process as the factory partition. */
static int open_meter(const char *verb, const char *dir, ms_meter_host_t **out)
{
    const char *what = "";
    ms_meter_host_t *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return ms_cli_fail(verb, MS_CLI_IO, "out of memory");
    }
    ms_err_t err = ms_meter_host_open(m, dir, &what);
    if (err) {
        free(m);
        return ms_cli_fail_err(verb, err, "%s: %s", dir, what);
    }
    *out = m;
    return MS_CLI_OK;
}

static void close_meter(ms_meter_host_t *m)
{
    ms_meter_host_close(m);
    free(m);
}

/* ---- request ------------------------------------------------------------------------ */

static const char request_help[] =
    "usage: meterseal provision request --dir DEV --id METER_ID --nonce HEX --csr OUT\n"
    "                                   [--uart HOST:PORT]\n"
    "\n"
    "Step 1 of docs/cloud.md section 2 in the meter's TEE: create the identity\n"
    "key and the IAK (if absent), write a PKCS#10 CSR (PEM) signed inside for\n"
    "CN=<id>, serialNumber=<id>, O=MeterSeal meter, and an attestation token\n"
    "whose challenge is SHA-256(nonce || identity public key). Prints\n"
    "IAK=<hex> and TOKEN=<hex>; both are kept in DEV for `install`.\n"
    "\n"
    "  --dir DEV      the meter's device directory (created if missing)\n"
    "  --id ID        the meter id: 1-32 of [A-Za-z0-9-]\n"
    "  --nonce HEX    the cloud's 32-byte nonce (POST /api/v1/provision/nonce)\n"
    "  --csr OUT      where to write the CSR\n"
    "  --uart H:P     the meter's TEE is on the device: its factory session on\n"
    "                 the modem UART, as a TCP stream (DEV keeps the request)\n";

static int provision_request(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },   { "id", required_argument, NULL, 'i' },
        { "nonce", required_argument, NULL, 'n' }, { "csr", required_argument, NULL, 'c' },
        { "uart", required_argument, NULL, 'u' }, { NULL, 0, NULL, 0 },
    };
    const char *verb = "provision request", *dir = NULL, *id = NULL, *nonce_hex = NULL,
               *csr_path = NULL, *uart = NULL;
    int c;
    if (ms_cli_wants_help(argc, argv)) {
        fputs(request_help, stdout);
        return MS_CLI_OK;
    }
    ms_cli_getopt_reset();
    while ((c = ms_cli_getopt(verb, argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'i': id = optarg; break;
        case 'n': nonce_hex = optarg; break;
        case 'c': csr_path = optarg; break;
        case 'u': uart = optarg; break;
        default: return MS_CLI_USAGE;
        }
    }
    uint8_t nonce[MS_TEE_LINK_NONCE_LEN];
    if (dir == NULL || id == NULL || nonce_hex == NULL || csr_path == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "need --dir, --id, --nonce and --csr");
    }
    if (!ms_link_meter_id_valid(id, strlen(id))) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "'%s' is no meter id (1-32 of [A-Za-z0-9-])", id);
    }
    if (!parse_hex(nonce_hex, nonce, sizeof nonce)) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "--nonce must be 64 hex digits");
    }
    uint8_t csr[600], token[MS_TEE_ATTEST_TOKEN_MAX];
    size_t csr_len = 0, token_len = 0;
    ms_p256_pub_t iak;
    int rc;
    if (uart != NULL) {
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            return ms_cli_fail(verb, MS_CLI_IO, "%s: cannot create", dir);
        }
        rc = ms_factory_uart_request(verb, uart, id, nonce, csr, sizeof csr, &csr_len, token,
                                     sizeof token, &token_len, &iak);
        if (rc) {
            return rc;
        }
    } else {
        ms_meter_host_t *m = NULL;
        if ((rc = open_meter(verb, dir, &m)) != MS_CLI_OK) {
            return rc;
        }
        ms_err_t err = ms_tee_link_provision_request(MS_TEE_PART_BOOT, id, nonce, csr,
                                                     sizeof csr, &csr_len, token, sizeof token,
                                                     &token_len, &iak);
        close_meter(m);
        if (err) {
            return ms_cli_fail_err(verb, err, "the TEE refused the request");
        }
    }
    char pem[1024], iak_hex[2 * MS_P256_PUB_LEN + 1], tok_hex[2 * MS_TEE_ATTEST_TOKEN_MAX + 1];
    size_t pem_len = pem_encode("CERTIFICATE REQUEST", csr, csr_len, pem, sizeof pem);
    rc = ms_cli_write_file(verb, csr_path, pem, pem_len, 0);
    if (rc) {
        return rc;
    }
    ms_cli_hex(iak.q, sizeof iak.q, iak_hex);
    ms_cli_hex(token, token_len, tok_hex);
    char req_path[600], req[3000];
    snprintf(req_path, sizeof req_path, "%s/%s", dir, REQUEST_FILE);
    int k = snprintf(req, sizeof req, "id=%s\nnonce=%s\niak=%s\ntoken=%s\n", id, nonce_hex,
                     iak_hex, tok_hex);
    rc = ms_cli_write_file(verb, req_path, req, (size_t)k, 0);
    if (rc) {
        return rc;
    }
    printf("IAK=%s\nTOKEN=%s\n", iak_hex, tok_hex);
    return MS_CLI_OK;
}

/* ---- install ------------------------------------------------------------------------ */

static const char install_help[] =
    "usage: meterseal provision install --dir DEV --id METER_ID --cert CERT --cloud-ca CA\n"
    "                                   --broker HOST:PORT --command-key PUB [--registration OUT]\n"
    "                                   [--uart HOST:PORT]\n"
    "\n"
    "Step 5 of docs/cloud.md section 2: the TEE stores the certificate the\n"
    "manufacturer CA issued (only if it carries the TEE's identity key), the\n"
    "cloud CA it will pin, the broker address and the cloud's command key\n"
    "(meter id and command key write-once). --registration writes the body\n"
    "of POST /api/v1/meters (from this certificate and the kept request).\n"
    "--uart: the meter's TEE on the device, through its factory session; the\n"
    "session ends after the install and the meter's boot goes on.\n";

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '\n') {
            fputs("\\n", f);
        } else if (*s == '"' || *s == '\\') {
            fprintf(f, "\\%c", *s);
        } else {
            fputc(*s, f);
        }
    }
    fputc('"', f);
}

static bool request_field(const char *text, const char *key, char *out, size_t cap)
{
    char k[32];
    snprintf(k, sizeof k, "%s=", key);
    const char *p = strstr(text, k);
    if (p == NULL || (p != text && p[-1] != '\n')) {
        return false;
    }
    p += strlen(k);
    size_t n = strcspn(p, "\n");
    if (n >= cap) {
        return false;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static int write_registration(const char *verb, const char *dir, const char *id,
                              const uint8_t *cert, size_t cert_len, const char *out)
{
    char path[600], text[3200], rid[64], nonce[80], iak[160], token[2100], pem[2048];
    snprintf(path, sizeof path, "%s/%s", dir, REQUEST_FILE);
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    text[n] = '\0';
    if (!request_field(text, "id", rid, sizeof rid) ||
        !request_field(text, "nonce", nonce, sizeof nonce) ||
        !request_field(text, "iak", iak, sizeof iak) ||
        !request_field(text, "token", token, sizeof token)) {
        return ms_cli_fail(verb, MS_CLI_FAIL, "%s: no request kept (run provision request)", path);
    }
    if (strcmp(rid, id) != 0) {
        return ms_cli_fail(verb, MS_CLI_FAIL, "the kept request is for '%s', not '%s'", rid, id);
    }
    if (pem_encode("CERTIFICATE", cert, cert_len, pem, sizeof pem) == 0) {
        return ms_cli_fail(verb, MS_CLI_FAIL, "certificate too large");
    }
    FILE *o = fopen(out, "w");
    if (o == NULL) {
        return ms_cli_fail(verb, MS_CLI_IO, "%s: cannot write", out);
    }
    fputs("{\"meter_id\":", o);
    json_str(o, id);
    fputs(",\"cert_pem\":", o);
    json_str(o, pem);
    fprintf(o, ",\"iak_pub_hex\":\"%s\",\"token_hex\":\"%s\",\"nonce_hex\":\"%s\"}\n", iak,
            token, nonce);
    if (fclose(o) != 0) {
        return ms_cli_fail(verb, MS_CLI_IO, "%s: cannot write", out);
    }
    return MS_CLI_OK;
}

static int provision_install(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },      { "id", required_argument, NULL, 'i' },
        { "cert", required_argument, NULL, 'c' },     { "cloud-ca", required_argument, NULL, 'a' },
        { "broker", required_argument, NULL, 'b' },
        { "command-key", required_argument, NULL, 'k' },
        { "registration", required_argument, NULL, 'r' },
        { "uart", required_argument, NULL, 'u' },
        { NULL, 0, NULL, 0 },
    };
    const char *verb = "provision install", *dir = NULL, *id = NULL, *cert_path = NULL,
               *ca_path = NULL, *broker = NULL, *key_path = NULL, *reg = NULL, *uart = NULL;
    int c;
    if (ms_cli_wants_help(argc, argv)) {
        fputs(install_help, stdout);
        return MS_CLI_OK;
    }
    ms_cli_getopt_reset();
    while ((c = ms_cli_getopt(verb, argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'i': id = optarg; break;
        case 'c': cert_path = optarg; break;
        case 'a': ca_path = optarg; break;
        case 'b': broker = optarg; break;
        case 'k': key_path = optarg; break;
        case 'r': reg = optarg; break;
        case 'u': uart = optarg; break;
        default: return MS_CLI_USAGE;
        }
    }
    if (dir == NULL || id == NULL || cert_path == NULL || ca_path == NULL || broker == NULL ||
        key_path == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE,
                           "need --dir, --id, --cert, --cloud-ca, --broker and --command-key");
    }
    uint8_t cert[MS_TEE_LINK_CERT_MAX], ca[MS_TEE_LINK_CERT_MAX];
    size_t cert_len = 0, ca_len = 0;
    ms_p256_pub_t cmd_key;
    int rc = load_cert(verb, cert_path, cert, sizeof cert, &cert_len);
    if (!rc) {
        rc = load_cert(verb, ca_path, ca, sizeof ca, &ca_len);
    }
    if (!rc) {
        rc = ms_cli_load_key(verb, key_path, false, NULL, &cmd_key);
    }
    if (rc) {
        return rc;
    }
    ms_tee_link_creds_t creds = { id, cert, cert_len, ca, ca_len, broker, &cmd_key };
    if (uart != NULL) {
        rc = ms_factory_uart_install(verb, uart, &creds);
        if (rc) {
            return rc;
        }
    } else {
        ms_meter_host_t *m = NULL;
        if ((rc = open_meter(verb, dir, &m)) != MS_CLI_OK) {
            return rc;
        }
        ms_err_t err = ms_tee_link_provision_install(MS_TEE_PART_BOOT, &creds);
        close_meter(m);
        if (err) {
            return ms_cli_fail_err(verb, err, "the TEE refused the credentials");
        }
    }
    if (reg != NULL) {
        rc = write_registration(verb, dir, id, cert, cert_len, reg);
        if (rc) {
            return rc;
        }
    }
    printf("meter %s provisioned: broker %s\n", id, broker);
    return MS_CLI_OK;
}

/* ---- show --------------------------------------------------------------------------- */

static int provision_show(int argc, char **argv)
{
    const char *verb = "provision show";
    if (ms_cli_wants_help(argc, argv) || argc != 3 || strcmp(argv[1], "--dir") != 0) {
        fputs("usage: meterseal provision show --dir DEV\n", argc == 3 ? stdout : stderr);
        return argc == 3 ? MS_CLI_OK : MS_CLI_USAGE;
    }
    ms_meter_host_t *m = NULL;
    int rc = open_meter(verb, argv[2], &m);
    if (rc) {
        return rc;
    }
    char id[MS_LINK_METER_ID_MAX + 1], broker[MS_TEE_LINK_BROKER_MAX + 1];
    ms_tee_link_status_t st;
    ms_tee_meter_reg_t reg;
    ms_err_t err = ms_tee_link_meter_id(id);
    if (!err) {
        err = ms_tee_link_broker(broker);
    }
    if (!err) {
        err = ms_tee_link_status(&st);
    }
    if (!err) {
        err = ms_tee_meter_read(&reg);
    }
    close_meter(m);
    if (err) {
        return ms_cli_fail_err(verb, err, "%s", argv[2]);
    }
    printf("meter_id=%s\nbroker=%s\nqueued=%u\nnext_reading_seq=%llu\nlast_cmd_seq=%llu\n"
           "energy_wh=%llu\nbalance_milli=%lld\nrelay=%s\ntariff_id=%llu\n",
           id, broker, st.queued, (unsigned long long)st.next_reading_seq,
           (unsigned long long)st.last_cmd_seq, (unsigned long long)reg.energy_wh,
           (long long)reg.balance_milli, st.relay_connected ? "connected" : "disconnected",
           (unsigned long long)st.tariff_id);
    return MS_CLI_OK;
}

/* ---- the group ---------------------------------------------------------------------- */

static int run_provision(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs("usage: meterseal provision request|install|show [options]\n"
              "       (meterseal provision <verb> --help)\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? MS_CLI_USAGE : MS_CLI_OK;
    }
    if (strcmp(argv[1], "request") == 0) {
        return provision_request(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "install") == 0) {
        return provision_install(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "show") == 0) {
        return provision_show(argc - 1, argv + 1);
    }
    return ms_cli_fail("provision", MS_CLI_USAGE, "unknown verb '%s'", argv[1]);
}

static const ms_cli_verb_t verbs[] = {
    { "provision", "a meter's factory provisioning: CSR and token, credentials (provision --help)",
      run_provision },
};

const ms_cli_group_t ms_cli_group_provision = { "provision", verbs, MS_CLI_ARRAY_LEN(verbs) };
