/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - meterseal-cloud: the cloud service of docs/cloud.md §6.
 *
 *   meterseal-cloud serve     --db SPEC --mqtt-host H --mqtt-port P --ca FILE --cert FILE
 *                             --key FILE --command-key FILE --manufacturer-ca FILE
 *                             [--instance NAME] [--http ADDR:PORT | --no-http]
 *                             [--port-file FILE] [--batch N] [--log-level L]
 *                             [--manufacturer-crl FILE]
 *   meterseal-cloud migrate   --db SPEC [--to N]
 *   meterseal-cloud operator  --db SPEC --name NAME --role viewer|operator
 *   meterseal-cloud firmware  --db SPEC --vendor-key FILE [--device-key FILE]
 *                             [--sec-floor N] --name WHO IMAGE
 *   meterseal-cloud group     --db SPEC --meter ID --group NAME
 *   serve also takes --vendor-key FILE [--device-key FILE] [--sec-floor N]
 *   [--chunk N] [--image N] [--reoffer-after SECONDS]: firmware updates
 *   (docs/ota.md; without a vendor key campaigns work and uploads are
 *   refused; an offer a meter online since has not answered is sent again
 *   after SECONDS, 600 by default, 0: never)
 *                             (the password is read from standard input)
 *
 * SPEC: sqlite:PATH (or a bare path) or postgres:CONNINFO.
 * --dashboard DIR (or MS_DASHBOARD_DIR): serve the fleet dashboard's built
 * files (scripts/dashboard) from DIR outside /api/ (dashboard.c).
 *
 * One process, one event loop: poll() over a signalfd, the broker socket
 * and libmicrohttpd's epoll descriptor. After each wake-up the readings
 * taken from the broker are stored in one transaction and only then
 * acknowledged (ingest.c). SIGTERM/SIGINT: store what is queued, stop.
 * SIGHUP: read the manufacturer CA's CRL again (a revoked meter's messages
 * are refused at once, even on a broker session opened before).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "http_api.h"
#include "ingest.h"
#include "json_params.h"
#include "log.h"
#include "mqtt.h"
#include "ota.h"
#include "service.h"
#include "store.h"
#include "x509.h"

#define STATS_EVERY_MS 5000
#define TICK_MS        100
#define REOFFER_AFTER_S 600     /* an offer not answered is sent again after 10 min */
#define REOFFER_EVERY_MS 30000  /* looked for every 30 s */
#define REOFFER_BATCH   1000u   /* at most this many per look: the loop stays responsive */

int64_t ms_cloud_time(void)
{
    return (int64_t)time(NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void)
{
    fputs("usage: meterseal-cloud serve --db SPEC --mqtt-host H --mqtt-port P --ca FILE\n"
          "                             --cert FILE --key FILE --command-key FILE\n"
          "                             --manufacturer-ca FILE [--instance NAME]\n"
          "                             [--http ADDR:PORT | --no-http] [--port-file FILE]\n"
          "                             [--batch N] [--log-level debug|info|warn]\n"
          "                             [--dashboard DIR] [--manufacturer-crl FILE]\n"
          "       meterseal-cloud migrate --db SPEC [--to N]\n"
          "       meterseal-cloud operator --db SPEC --name NAME --role viewer|operator\n"
          "       meterseal-cloud firmware --db SPEC --vendor-key FILE [--device-key FILE]\n"
          "                               [--sec-floor N] --name WHO IMAGE\n"
          "       meterseal-cloud group --db SPEC --meter ID --group NAME\n"
          "  serve also: --vendor-key FILE [--device-key FILE] [--sec-floor N] [--chunk N]\n"
          "              [--image N] [--reoffer-after SECONDS] (firmware updates)\n"
          "                                (password on standard input)\n"
          "SPEC: sqlite:PATH or postgres:CONNINFO\n",
          stderr);
    return 2;
}

/* The whole file, NUL-terminated, or NULL if it cannot be read or holds
 * more than max bytes (a file cut short must not pass for a whole one). */
static char *read_file_max(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *buf = malloc(max + 2);
    size_t n = buf != NULL ? fread(buf, 1, max + 1, f) : 0;
    bool bad = buf == NULL || ferror(f) || n > max;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Keys and certificates. */
static char *read_file(const char *path, size_t *len)
{
    return read_file_max(path, 65536, len);
}

typedef struct opts {
    const char *db, *mqtt_host, *ca, *cert, *key, *command_key, *mfr_ca, *instance, *http,
        *port_file, *name, *role, *log_level, *vendor_key, *device_key, *meter, *group,
        *file, *dashboard, *mfr_crl;
    int mqtt_port, batch, to, sec_floor, chunk, image, reoffer_after;
    bool no_http;
} opts_t;

/* A decimal integer in [lo, hi], all of s. */
static bool int_arg(const char *s, long lo, long hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        return false;
    }
    *out = (int)v;
    return true;
}

static int parse(int argc, char **argv, opts_t *o)
{
    static const struct option lo[] = {
        { "db", required_argument, NULL, 'd' },
        { "mqtt-host", required_argument, NULL, 'H' },
        { "mqtt-port", required_argument, NULL, 'P' },
        { "ca", required_argument, NULL, 'a' },
        { "cert", required_argument, NULL, 'c' },
        { "key", required_argument, NULL, 'k' },
        { "command-key", required_argument, NULL, 'K' },
        { "manufacturer-ca", required_argument, NULL, 'm' },
        { "manufacturer-crl", required_argument, NULL, 'R' },
        { "instance", required_argument, NULL, 'i' },
        { "http", required_argument, NULL, 'h' },
        { "no-http", no_argument, NULL, 'N' },
        { "port-file", required_argument, NULL, 'p' },
        { "batch", required_argument, NULL, 'b' },
        { "to", required_argument, NULL, 't' },
        { "name", required_argument, NULL, 'n' },
        { "role", required_argument, NULL, 'r' },
        { "log-level", required_argument, NULL, 'l' },
        { "vendor-key", required_argument, NULL, 'V' },
        { "device-key", required_argument, NULL, 'D' },
        { "sec-floor", required_argument, NULL, 'S' },
        { "chunk", required_argument, NULL, 'C' },
        { "image", required_argument, NULL, 'I' },
        { "reoffer-after", required_argument, NULL, 'O' },
        { "meter", required_argument, NULL, 'M' },
        { "group", required_argument, NULL, 'G' },
        { "dashboard", required_argument, NULL, 'W' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof o[0]);
    o->http = "127.0.0.1:8080";
    o->instance = "cloud";
    o->batch = 256;
    o->reoffer_after = REOFFER_AFTER_S;
    o->mqtt_port = 8883;
    o->log_level = "info";
    o->dashboard = getenv("MS_DASHBOARD_DIR");
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'H': o->mqtt_host = optarg; break;
        case 'P': o->mqtt_port = atoi(optarg); break;
        case 'a': o->ca = optarg; break;
        case 'c': o->cert = optarg; break;
        case 'k': o->key = optarg; break;
        case 'K': o->command_key = optarg; break;
        case 'm': o->mfr_ca = optarg; break;
        case 'R': o->mfr_crl = optarg; break;
        case 'i': o->instance = optarg; break;
        case 'h': o->http = optarg; break;
        case 'N': o->no_http = true; break;
        case 'p': o->port_file = optarg; break;
        case 'b': o->batch = atoi(optarg); break;
        case 't': o->to = atoi(optarg); break;
        case 'n': o->name = optarg; break;
        case 'r': o->role = optarg; break;
        case 'l': o->log_level = optarg; break;
        case 'V': o->vendor_key = optarg; break;
        case 'D': o->device_key = optarg; break;
        case 'S': o->sec_floor = atoi(optarg); break;
        case 'C': o->chunk = atoi(optarg); break;
        case 'I': o->image = atoi(optarg); break;
        case 'O':
            /* 0 (never) or a minute to a week; a typo is refused, not 0 */
            if (!int_arg(optarg, 0, 7 * 86400, &o->reoffer_after) ||
                (o->reoffer_after > 0 && o->reoffer_after < 60)) {
                return usage();
            }
            break;
        case 'M': o->meter = optarg; break;
        case 'G': o->group = optarg; break;
        case 'W': o->dashboard = optarg; break;
        default: return usage();
        }
    }
    if (optind + 1 == argc) {
        o->file = argv[optind++];   /* firmware: the image */
    }
    if (optind != argc || o->db == NULL) {
        return usage();
    }
    return 0;
}

/* ---- migrate, operator -------------------------------------------------------------- */

static int cmd_migrate(const opts_t *o)
{
    ms_db_t db;
    int version = 0;
    ms_err_t err = ms_db_connect(o->db, &db);
    if (err == MS_OK) {
        err = db.ops->migrate(db.s, o->to, &version);
        ms_db_close(&db);
    }
    if (err != MS_OK) {
        fprintf(stderr, "meterseal-cloud: migrate: %s\n", ms_strerror(err));
        return 1;
    }
    printf("schema version %d (latest %d)\n", version, db.ops->latest_version());
    return 0;
}

static int cmd_operator(const opts_t *o)
{
    if (o->name == NULL || o->role == NULL ||
        (strcmp(o->role, "viewer") != 0 && strcmp(o->role, "operator") != 0)) {
        return usage();
    }
    char pw[MS_JP_PASSWORD_MAX + 2];
    if (fgets(pw, sizeof pw, stdin) == NULL) {
        fprintf(stderr, "meterseal-cloud: operator: no password on standard input\n");
        return 2;
    }
    pw[strcspn(pw, "\r\n")] = '\0';
    ms_db_t db;
    ms_err_t err = ms_auth_init();
    if (err == MS_OK) {
        err = ms_db_open(o->db, &db);
    }
    if (err == MS_OK) {
        err = ms_auth_operator_set(&db, o->name, pw,
                                   strcmp(o->role, "operator") == 0 ? MS_ROLE_OPERATOR
                                                                    : MS_ROLE_VIEWER);
        ms_db_close(&db);
    }
    ms_secure_zero(pw, sizeof pw);
    if (err != MS_OK) {
        fprintf(stderr, "meterseal-cloud: operator: %s\n", ms_strerror(err));
        return 1;
    }
    printf("operator %s (%s) set\n", o->name, o->role);
    return 0;
}

/* ---- firmware updates ---------------------------------------------------------------- */

static int load_key(const char *path, ms_p256_priv_t *priv, ms_p256_pub_t *pub, bool want_priv)
{
    size_t len = 0;
    char *pem = read_file(path, &len);
    bool has_priv = false;
    ms_p256_priv_t scratch;
    ms_err_t err = pem != NULL ? ms_p256_key_parse((const uint8_t *)pem, len,
                                                   priv != NULL ? priv : &scratch, pub, &has_priv)
                               : MS_ERR_IO;
    ms_secure_zero(&scratch, sizeof scratch);
    if (pem != NULL) {
        ms_secure_zero(pem, len);
        free(pem);
    }
    if (err != MS_OK || (want_priv && !has_priv)) {
        fprintf(stderr, "meterseal-cloud: %s: not a P-256 %s key (%s)\n", path,
                want_priv ? "private" : "public",
                ms_strerror(err != MS_OK ? err : MS_ERR_KEY_FORMAT));
        return 1;
    }
    return 0;
}

/* Vendor key, device key and limits into o (ota.h). */
static int ota_setup(const opts_t *opt, ms_ota_t *o, ms_cloud_t *c)
{
    ms_p256_pub_t pub;
    ms_ota_init(o, c);
    if (load_key(opt->vendor_key, NULL, &pub, false) != 0 ||
        ms_ota_add_vendor_key(o, &pub) != MS_OK) {
        return 1;
    }
    if (opt->device_key != NULL) {
        if (load_key(opt->device_key, &o->enc_priv, &pub, true) != 0) {
            return 1;
        }
        o->has_enc_priv = true;
    }
    if (opt->sec_floor < 0 || opt->chunk < 0 || opt->chunk > (int)MS_LINK_CHUNK_MAX ||
        opt->image < 0 || opt->image > 1) {
        return usage();
    }
    o->sec_floor = (uint32_t)opt->sec_floor;
    if (opt->chunk > 0) {
        o->chunk_size = (uint32_t)opt->chunk;
    }
    o->image = (uint8_t)opt->image;
    c->ota = o;
    return 0;
}

static int cmd_firmware(const opts_t *opt)
{
    if (opt->vendor_key == NULL || opt->name == NULL || opt->file == NULL) {
        return usage();
    }
    FILE *f = fopen(opt->file, "rb");
    uint8_t *img = malloc(MS_OTA_IMAGE_MAX + 1);
    size_t len = f != NULL && img != NULL ? fread(img, 1, MS_OTA_IMAGE_MAX + 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    if (f == NULL || img == NULL) {
        fprintf(stderr, "meterseal-cloud: firmware: cannot read %s\n", opt->file);
        free(img);
        return 1;
    }
    static ms_cloud_t c;
    static ms_ota_t o;
    c.now = ms_cloud_time;
    ms_log_init("cli", MS_LOG_ERROR);
    if (ota_setup(opt, &o, &c) != 0) {
        free(img);
        return 1;
    }
    ms_err_t err = ms_db_open(opt->db, &c.db);
    ms_fw_rec_t rec;
    bool stored = false;
    char reason[MS_OTA_REASON_MAX] = "database";
    if (err == MS_OK) {
        err = ms_fw_upload(&o, img, len, opt->name, &rec, &stored, reason);
        ms_db_close(&c.db);
    }
    free(img);
    ms_ota_fini(&o);
    if (err != MS_OK) {
        fprintf(stderr, "meterseal-cloud: firmware: refused: %s\n", reason);
        return 1;
    }
    printf("firmware %s version %s security counter %u size %u%s\n", rec.sha256, rec.version,
           rec.sec_cnt, rec.size, stored ? "" : " (already stored)");
    return 0;
}

static int cmd_group(const opts_t *o)
{
    if (o->meter == NULL || o->group == NULL || strlen(o->group) > MS_OTA_GROUP_MAX ||
        !ms_meter_id_valid(o->meter, strlen(o->meter))) {
        return usage();
    }
    ms_db_t db;
    ms_err_t err = ms_db_open(o->db, &db);
    if (err == MS_OK) {
        err = ms_ota_meter_set_group(&db, o->meter, o->group);
        ms_db_close(&db);
    }
    if (err != MS_OK) {
        fprintf(stderr, "meterseal-cloud: group: %s\n", ms_strerror(err));
        return 1;
    }
    printf("meter %s in group %s\n", o->meter, o->group);
    return 0;
}

/* ---- serve -------------------------------------------------------------------------------- */

/* The manufacturer CA's CRL from path into *crl (the old list stays if the
 * file is missing, malformed or not signed by the CA). */
static ms_err_t load_crl(const char *path, const ms_cloud_t *c, ms_x509_crl_t *crl)
{
    size_t len = 0;
    char *pem = read_file_max(path, MS_X509_CRL_MAX, &len);
    ms_x509_crl_t fresh;
    ms_err_t err = pem != NULL ? ms_x509_crl_read(c->mfr_ca_pem, c->mfr_ca_len, pem, len,
                                                  c->now(), &fresh)
                               : MS_ERR_IO;
    free(pem);
    if (err == MS_OK && fresh.number < crl->number) {
        ms_x509_crl_free(&fresh);   /* an older CRL must not un-revoke anyone */
        err = MS_ERR_STATE;
    }
    if (err == MS_OK) {
        ms_x509_crl_free(crl);
        *crl = fresh;
        ms_log(MS_LOG_INFO, "crl.loaded", "revoked=%zu number=%llu", crl->n,
               (unsigned long long)crl->number);
    } else {
        ms_log(MS_LOG_ERROR, "crl.refused", "err=%s kept=%zu", ms_errname(err), crl->n);
    }
    return err;
}

typedef struct service {
    ms_cloud_t cloud;
    ms_x509_crl_t crl;
    ms_ota_t ota;
    ms_ingest_t *ingest;
    ms_mqtt_t *mqtt;
    ms_http_t *http;
} service_t;

static void on_message(void *ctx, const char *topic, size_t topic_len, const uint8_t *payload,
                       size_t len)
{
    service_t *s = ctx;
    bool handled = false;
    if (s->cloud.ota != NULL) {
        (void)ms_ota_on_message(s->cloud.ota, topic, topic_len, payload, len, &handled);
    }
    if (!handled) {
        (void)ms_ingest_message(s->ingest, topic, topic_len, payload, len);
    }
}

static void log_stats(const service_t *s, const char *event)
{
    const ms_ingest_stats_t *st = ms_ingest_stats(s->ingest);
    ms_log(MS_LOG_INFO, event,
           "received=%llu stored=%llu duplicates=%llu rejected=%llu events=%llu results=%llu "
           "acks=%llu batches=%llu",
           (unsigned long long)st->received, (unsigned long long)st->stored,
           (unsigned long long)st->duplicates, (unsigned long long)st->rejected,
           (unsigned long long)st->events, (unsigned long long)st->results,
           (unsigned long long)st->acks, (unsigned long long)st->batches);
}

static int load_command_key(const char *path, ms_cloud_t *c)
{
    size_t len = 0;
    char *pem = read_file(path, &len);
    bool has_priv = false;
    ms_err_t err = pem != NULL ? ms_p256_key_parse((const uint8_t *)pem, len, &c->cmd_key,
                                                   &c->cmd_pub, &has_priv)
                               : MS_ERR_IO;
    if (pem != NULL) {
        ms_secure_zero(pem, len);
        free(pem);
    }
    if (err != MS_OK || !has_priv) {
        fprintf(stderr, "meterseal-cloud: %s: not a P-256 private key (%s)\n", path,
                ms_strerror(err != MS_OK ? err : MS_ERR_KEY_FORMAT));
        return 1;
    }
    return 0;
}

static int serve(const opts_t *o)
{
    if (o->mqtt_host == NULL || o->ca == NULL || o->cert == NULL || o->key == NULL ||
        o->command_key == NULL || o->mfr_ca == NULL || o->batch < 1 ||
        o->batch > (int)MS_INGEST_BATCH_MAX) {
        return usage();
    }
    ms_log_init(o->instance, strcmp(o->log_level, "debug") == 0  ? MS_LOG_DEBUG
                             : strcmp(o->log_level, "warn") == 0 ? MS_LOG_WARN
                                                                 : MS_LOG_INFO);
    signal(SIGPIPE, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

    static service_t s;
    ms_cloud_t *c = &s.cloud;
    c->now = ms_cloud_time;
    size_t ca_len = 0;
    char *mfr = read_file(o->mfr_ca, &ca_len);
    c->mfr_ca_pem = mfr;
    c->mfr_ca_len = ca_len;
    if (sfd < 0 || mfr == NULL || load_command_key(o->command_key, c) != 0) {
        fprintf(stderr, "meterseal-cloud: cannot start (signals, %s or the command key)\n",
                o->mfr_ca);
        return 1;
    }
    if (o->mfr_crl != NULL) {
        if (load_crl(o->mfr_crl, c, &s.crl) != MS_OK) {
            fprintf(stderr, "meterseal-cloud: cannot start: %s is not a CRL of %s\n", o->mfr_crl,
                    o->mfr_ca);
            return 1;
        }
        c->mfr_crl = &s.crl;
    }
    /* firmware updates: campaigns always; uploads need the vendor key */
    ms_ota_init(&s.ota, c);
    if (o->vendor_key != NULL && ota_setup(o, &s.ota, c) != 0) {
        return 1;
    }
    c->ota = &s.ota;
    ms_err_t err = ms_auth_init();
    if (err == MS_OK) {
        err = ms_db_open(o->db, &c->db);
    }
    if (err == MS_OK) {
        err = ms_ingest_new(c, (size_t)o->batch, &s.ingest);
    }
    if (err != MS_OK) {
        ms_log(MS_LOG_ERROR, "start.failed", "what=database err=%s", ms_errname(err));
        return 1;
    }
    if (!o->no_http) {
        char addr[64];
        const char *colon = strrchr(o->http, ':');
        size_t alen = colon != NULL ? (size_t)(colon - o->http) : 0;
        if (colon == NULL || alen >= sizeof addr) {
            return usage();
        }
        memcpy(addr, o->http, alen);
        addr[alen] = '\0';
        err = ms_http_start(c, addr, (uint16_t)atoi(colon + 1), &s.http);
        if (err != MS_OK) {
            ms_log(MS_LOG_ERROR, "start.failed", "what=http err=%s", ms_errname(err));
            return 1;
        }
        if (o->dashboard != NULL && o->dashboard[0] != '\0' &&
            (err = ms_http_set_dashboard(s.http, o->dashboard)) != MS_OK) {
            ms_log(MS_LOG_ERROR, "start.failed", "what=dashboard err=%s", ms_errname(err));
            return 1;
        }
        if (o->port_file != NULL) {
            FILE *f = fopen(o->port_file, "w");
            if (f != NULL) {
                fprintf(f, "%u\n", ms_http_port(s.http));
                fclose(f);
            }
        }
    }
    char client_id[96];
    snprintf(client_id, sizeof client_id, "meterseal-cloud.%s", o->instance);
    ms_mqtt_config_t mc = {
        .host = o->mqtt_host, .port = o->mqtt_port, .cafile = o->ca, .certfile = o->cert,
        .keyfile = o->key, .client_id = client_id, .share_group = "ingest", .keepalive = 30,
    };
    err = ms_mqtt_new(&mc, on_message, &s, &s.mqtt);
    if (err != MS_OK) {
        ms_log(MS_LOG_ERROR, "start.failed", "what=mqtt err=%s", ms_errname(err));
        return 1;
    }
    c->publish = ms_mqtt_publish;
    c->publish_ctx = s.mqtt;
    ms_log(MS_LOG_INFO, "started", "db=%s http_port=%u batch=%d", c->db.ops->name,
           s.http != NULL ? ms_http_port(s.http) : 0, o->batch);

    int64_t next_tick = 0, next_stats = now_ms() + STATS_EVERY_MS;
    int64_t next_reoffer = now_ms() + REOFFER_EVERY_MS;
    bool stop = false;
    while (!stop) {
        struct pollfd pfd[3] = {
            { .fd = sfd, .events = POLLIN },
            { .fd = ms_mqtt_fd(s.mqtt), .events = POLLIN },
            { .fd = s.http != NULL ? ms_http_fd(s.http) : -1, .events = POLLIN },
        };
        if (pfd[1].fd >= 0 && ms_mqtt_want_write(s.mqtt)) {
            pfd[1].events |= POLLOUT;
        }
        int timeout = TICK_MS;
        if (s.http != NULL) {
            int t = ms_http_timeout_ms(s.http);
            timeout = t >= 0 && t < timeout ? t : timeout;
        }
        if (poll(pfd, 3, timeout) < 0 && errno != EINTR) {
            ms_log(MS_LOG_ERROR, "poll.failed", "errno=%d", errno);
            break;
        }
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si) {
                /* nothing to read after all */
            } else if (si.ssi_signo == SIGHUP) {
                if (o->mfr_crl != NULL) {
                    (void)load_crl(o->mfr_crl, c, &s.crl);
                }
            } else {
                ms_log(MS_LOG_INFO, "stopping", "signal=%u", si.ssi_signo);
                stop = true;
            }
        }
        if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLERR | POLLHUP))) {
            ms_mqtt_read(s.mqtt);
        }
        (void)ms_ingest_flush(s.ingest);   /* durable first, then the acks are queued */
        if (ms_mqtt_fd(s.mqtt) >= 0 && ms_mqtt_want_write(s.mqtt)) {
            ms_mqtt_write(s.mqtt);
        }
        if (s.http != NULL) {
            ms_http_run(s.http);
        }
        int64_t t = now_ms();
        if (t >= next_tick) {
            ms_mqtt_tick(s.mqtt, t);
            next_tick = t + TICK_MS;
        }
        if (t >= next_reoffer) {
            size_t sent = 0;
            if (c->ota != NULL && o->reoffer_after > 0) {
                ms_err_t rerr = ms_ota_reoffer(c->ota, o->reoffer_after, REOFFER_BATCH, &sent);
                if (rerr != MS_OK) {
                    ms_log(MS_LOG_WARN, "campaign.offer_again_failed", "err=%s",
                           ms_errname(rerr));
                }
            }
            next_reoffer = now_ms() + REOFFER_EVERY_MS;   /* after the look, however long */
        }
        if (t >= next_stats) {
            log_stats(&s, "stats");
            next_stats = t + STATS_EVERY_MS;
        }
    }
    (void)ms_ingest_flush(s.ingest);
    if (ms_mqtt_fd(s.mqtt) >= 0 && ms_mqtt_want_write(s.mqtt)) {
        ms_mqtt_write(s.mqtt);
    }
    log_stats(&s, "stopped");
    ms_mqtt_free(s.mqtt);
    ms_http_stop(s.http);
    ms_ingest_free(s.ingest);
    ms_db_close(&c->db);
    ms_secure_zero(&c->cmd_key, sizeof c->cmd_key);
    ms_ota_fini(&s.ota);
    ms_x509_crl_free(&s.crl);
    free(mfr);
    close(sfd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return usage();
    }
    opts_t o;
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(argv[1], "serve") == 0) {
        return serve(&o);
    }
    if (strcmp(argv[1], "migrate") == 0) {
        return cmd_migrate(&o);
    }
    if (strcmp(argv[1], "operator") == 0) {
        return cmd_operator(&o);
    }
    if (strcmp(argv[1], "firmware") == 0) {
        return cmd_firmware(&o);
    }
    if (strcmp(argv[1], "group") == 0) {
        return cmd_group(&o);
    }
    return usage();
}
