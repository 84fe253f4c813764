/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterseal-meter - a meter on the host: the TEE (storage, key store,
 * attestation, the link partition with its TLS channel) and the Non-secure
 * application's cloud client (src/link/client.c), in one Linux process whose
 * device lives in a directory (platform/host/meter_host.h), so the meter can
 * be stopped and started again like a power cycle.
 *
 * The "UART" to the modem is a TCP byte stream: to the modem bridge
 * (meterseal-bridge), which relays it to the broker; the same stream QEMU's
 * -serial tcp: / -chardev socket would carry. Only TLS records cross it.
 *
 *   meterseal-meter --dir DEV run --uart HOST:PORT [options]
 *       --interval-ms MS   a reading every MS (default 900000)
 *       --readings N       stop after N readings once none is unacknowledged
 *       --duration-s S     stop after S seconds (exit 1 if --readings not met)
 *       --consume-wh WH    energy added (METER ADD) before each reading
 *       --tls any|1.2|1.3  versions offered (default any: 1.3, else 1.2)
 *       --resend-ms MS     resend unacknowledged readings after MS (30000)
 *       --keepalive-s S    MQTT keep-alive (60)
 *       --reconnect-ms MS  wait before connecting again (1000)
 *       --connects N       connect at most N times (then stop)
 *       --drop-after N     close the UART after N readings once (a modem outage)
 *       --boot-dir SIM     take firmware updates (docs/ota.md section 6): SIM
 *                          is the meter's boot side, a meterseal-sim device
 *                          directory, booted at start and after an install
 *       --broken-update    test: an installed update never reaches the cloud
 *                          (its watchdog reboots it; the boot loader reverts)
 *   meterseal-meter --dir DEV status
 *
 * Every event is one line on stdout ("meter: online tls=1.3 resumed=0",
 * "meter: reading seq=3", "meter: acked 2 queued=1", "meter: command
 * status=0"); never a key or a message body. Exit: 0 done, 1 not done in
 * time, 2 usage, 3 device or connection failure.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "meter_host.h"
#include "update.h"
#include "meterseal/link_client.h"
#include "meterseal/tee_storage.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_unix(void)
{
    return (uint64_t)time(NULL);
}

/* ---- run ------------------------------------------------------------------------------ */

typedef struct run_opts {
    const char *dir, *uart, *boot_dir;
    bool broken_update;
    uint32_t interval_ms, resend_ms, reconnect_ms;
    uint16_t keepalive_s;
    long readings, duration_s, connects, drop_after;
    uint64_t consume_wh;
    unsigned tls;
} run_opts_t;

static int usage(void)
{
    fputs("usage: meterseal-meter --dir DEV run --uart HOST:PORT [--interval-ms MS]\n"
          "           [--readings N] [--duration-s S] [--consume-wh WH] [--tls any|1.2|1.3]\n"
          "           [--resend-ms MS] [--keepalive-s S] [--reconnect-ms MS] [--connects N]\n"
          "           [--drop-after N] [--boot-dir SIM [--broken-update]]\n"
          "       meterseal-meter --dir DEV status\n",
          stderr);
    return 2;
}

static bool parse_run(int argc, char **argv, run_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->interval_ms = 900000;
    o->resend_ms = 30000;
    o->reconnect_ms = 1000;
    o->keepalive_s = 60;
    o->drop_after = -1;
    for (int i = 0; i < argc; i += 2) {
        if (!strcmp(argv[i], "--broken-update")) {
            o->broken_update = true;
            i--;
            continue;
        }
        if (i + 1 >= argc) {
            return false;
        }
        const char *k = argv[i], *v = argv[i + 1];
        char *end = NULL;
        long n = strtol(v, &end, 10);
        bool num = end != v && *end == '\0' && n >= 0;
        if (!strcmp(k, "--uart")) {
            o->uart = v;
        } else if (!strcmp(k, "--boot-dir")) {
            o->boot_dir = v;
        } else if (!strcmp(k, "--tls")) {
            o->tls = !strcmp(v, "1.2") ? MS_TLS_VERSIONS_1_2
                     : !strcmp(v, "1.3") ? MS_TLS_VERSIONS_1_3
                     : !strcmp(v, "any") ? MS_TLS_VERSIONS_ANY
                                         : 99u;
            if (o->tls == 99u) {
                return false;
            }
        } else if (!num) {
            return false;
        } else if (!strcmp(k, "--interval-ms")) {
            o->interval_ms = (uint32_t)n;
        } else if (!strcmp(k, "--readings")) {
            o->readings = n;
        } else if (!strcmp(k, "--duration-s")) {
            o->duration_s = n;
        } else if (!strcmp(k, "--consume-wh")) {
            o->consume_wh = (uint64_t)n;
        } else if (!strcmp(k, "--resend-ms")) {
            o->resend_ms = (uint32_t)n;
        } else if (!strcmp(k, "--keepalive-s")) {
            o->keepalive_s = (uint16_t)n;
        } else if (!strcmp(k, "--reconnect-ms")) {
            o->reconnect_ms = (uint32_t)n;
        } else if (!strcmp(k, "--connects")) {
            o->connects = n;
        } else if (!strcmp(k, "--drop-after")) {
            o->drop_after = n;
        } else {
            return false;
        }
    }
    return o->uart != NULL && o->interval_ms != 0 && o->keepalive_s != 0 &&
           (o->boot_dir != NULL || !o->broken_update);
}

static void consume(ms_meter_host_t *m, uint64_t wh)
{
    uint8_t *in = m->shared, *out = m->shared + 16;
    for (int i = 0; i < 8; i++) {
        in[i] = (uint8_t)(wh >> (8 * i));
    }
    ms_tee_invec_t v[1] = { { in, 8 } };
    ms_tee_outvec_t o[1] = { { out, 24 } };
    psa_status_t s = ms_meter_host_call(m, MS_TEE_SID_METER, MS_TEE_METER_ADD, v, 1, o, 1);
    if (s != PSA_SUCCESS) {
        printf("meter: consume failed (psa %d)\n", (int)s);
    }
}

static void report_changes(const ms_link_client_t *c, ms_link_client_stats_t *seen,
                           ms_link_client_state_t *state, uint32_t queued)
{
    const ms_link_client_stats_t *s = &c->stats;
    if (c->state != *state && c->state == MS_LINK_ONLINE) {
        printf("meter: online tls=1.%u resumed=%d connects=%llu\n", s->tls_version - 10,
               s->tls_resumed, (unsigned long long)s->connects);
    }
    *state = c->state;
    if (s->drops != seen->drops) {
        printf("meter: offline %s\n", ms_errname(s->last_error));
    }
    if (s->readings != seen->readings) {
        printf("meter: reading taken (%llu so far) queued=%u\n",
               (unsigned long long)s->readings, queued);
    }
    if (s->resent != seen->resent) {
        printf("meter: resent %llu\n", (unsigned long long)(s->resent - seen->resent));
    }
    if (s->acked_readings != seen->acked_readings || s->acks != seen->acks) {
        printf("meter: acked %llu queued=%u\n",
               (unsigned long long)(s->acked_readings - seen->acked_readings), queued);
    }
    uint64_t applied = s->commands_applied - seen->commands_applied;
    uint64_t refused = (s->commands - seen->commands) - applied;
    for (uint64_t i = 0; i < applied; i++) {
        printf("meter: command applied\n");
    }
    for (uint64_t i = 0; i < refused; i++) {
        printf("meter: command refused\n");
    }
    fflush(stdout);
    *seen = *s;
}

static int run(ms_meter_host_t *m, const run_opts_t *o)
{
    ms_link_client_config_t cfg;
    char id[MS_LINK_METER_ID_MAX + 1];
    ms_err_t err = ms_link_tee_meter_id(&m->link, id);
    if (err) {
        fprintf(stderr, "meterseal-meter: not provisioned: %s\n", ms_strerror(err));
        return 3;
    }
    ms_link_client_defaults(&cfg, id);
    cfg.reading_interval_ms = o->interval_ms;
    cfg.resend_ms = o->resend_ms;
    cfg.keepalive_s = o->keepalive_s;
    cfg.tls_versions = o->tls;
    static ms_link_client_t c;
    int fd = -1;
    err = ms_link_client_init(&c, &cfg, &ms_link_secure_tee, &m->link, &ms_host_fd_transport,
                              &fd);
    if (err) {
        fprintf(stderr, "meterseal-meter: client: %s\n", ms_strerror(err));
        return 3;
    }
    static meter_update_t upd;
    bool updates = o->boot_dir != NULL;
    if (updates) {
        if (meter_update_open(&upd, m, o->boot_dir, o->dir) != MS_OK) {
            return 3;
        }
        upd.broken = o->broken_update;
        meter_update_attach(&upd, &c, id);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    uint64_t start = now_ms(), next_connect = start;
    long connects = 0;
    bool dropped = false;
    ms_link_client_stats_t seen = c.stats;
    ms_link_client_state_t state = c.state;
    int rc = 1;
    printf("meter: %s starting\n", id);
    while (!g_stop) {
        uint64_t t = now_ms();
        if (o->duration_s != 0 && t - start >= (uint64_t)o->duration_s * 1000u) {
            break;
        }
        if (c.state == MS_LINK_OFFLINE && t >= next_connect &&
            (o->connects == 0 || connects < o->connects) &&
            !(updates && meter_update_offline(&upd))) {
            if (fd >= 0) {
                close(fd);
            }
            fd = ms_host_dial(o->uart);
            connects++;
            if (fd < 0 || ms_link_client_connect(&c, t) != MS_OK) {
                printf("meter: cannot reach the modem at %s\n", o->uart);
                next_connect = t + o->reconnect_ms;
            }
        }
        /* readings: energy first (the metering front end), then the TEE's reading */
        if (t >= c.next_reading_ms && c.next_reading_ms != 0 && o->consume_wh != 0) {
            consume(m, o->consume_wh);
        }
        bool was_online = c.state == MS_LINK_ONLINE;
        err = ms_link_client_step(&c, t, now_unix());
        if (updates &&
            meter_update_step(&upd, !was_online && c.state == MS_LINK_ONLINE, now_ms())) {
            /* rebooted: the old connection is gone with the old firmware */
            ms_link_client_disconnect(&c, now_ms());
            if (fd >= 0) {
                close(fd);
                fd = -1;
            }
            next_connect = now_ms();
            if (upd.dead) {
                rc = 3;
                break;
            }
        }
        uint32_t queued = 0;
        (void)ms_link_secure_tee.queued(&m->link, &queued);
        report_changes(&c, &seen, &state, queued);
        if (err && c.state == MS_LINK_OFFLINE) {
            next_connect = now_ms() + o->reconnect_ms;
            if (fd >= 0) {
                close(fd);
                fd = -1;
            }
        }
        if (o->drop_after >= 0 && !dropped && c.stats.readings >= (uint64_t)o->drop_after &&
            fd >= 0) {
            printf("meter: modem link dropped\n");
            close(fd);
            fd = -1;
            dropped = true;
        }
        if (o->readings != 0 && c.stats.readings >= (uint64_t)o->readings) {
            c.cfg.reading_interval_ms = 0;   /* no more readings */
            c.next_reading_ms = UINT64_MAX;
            if (queued == 0) {
                printf("meter: all %ld readings acknowledged\n", o->readings);
                rc = 0;
                break;
            }
        }
        uint64_t next = ms_link_client_next_ms(&c);
        if (c.state == MS_LINK_OFFLINE && next_connect < next) {
            next = next_connect;
        }
        t = now_ms();
        int wait = next <= t ? 0 : next - t > 1000 ? 1000 : (int)(next - t);
        if (updates && upd.sess.kick) {
            upd.sess.kick = false;   /* an update message is waiting in the client: out now */
            wait = 0;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        (void)poll(&p, fd >= 0 ? 1 : 0, wait);
    }
    ms_link_client_disconnect(&c, now_ms());
    if (fd >= 0) {
        close(fd);
    }
    if (updates) {
        meter_update_close(&upd);
    }
    if (o->readings == 0 && rc == 1) {
        rc = 0;   /* ran for the time asked */
    }
    printf("meter: stopped readings=%llu resent=%llu acked=%llu connects=%llu resumed=%llu "
           "uart_out=%llu uart_in=%llu\n",
           (unsigned long long)c.stats.readings, (unsigned long long)c.stats.resent,
           (unsigned long long)c.stats.acked_readings, (unsigned long long)c.stats.connects,
           (unsigned long long)c.stats.resumed, (unsigned long long)c.stats.uart_out,
           (unsigned long long)c.stats.uart_in);
    return rc;
}

static int status(void)
{
    ms_tee_link_status_t st;
    ms_tee_meter_reg_t reg;
    char id[MS_LINK_METER_ID_MAX + 1] = "";
    (void)ms_tee_link_meter_id(id);
    ms_err_t err = ms_tee_link_status(&st);
    if (!err) {
        err = ms_tee_meter_read(&reg);
    }
    if (err) {
        fprintf(stderr, "meterseal-meter: status: %s\n", ms_strerror(err));
        return 3;
    }
    printf("meter_id=%s\nqueued=%u\ndropped=%u\nnext_reading_seq=%llu\nlast_cmd_seq=%llu\n"
           "energy_wh=%llu\nbalance_milli=%lld\nrelay=%s\ntariff_id=%llu\nprice_milli_per_kwh=%llu\n",
           id, st.queued, st.dropped, (unsigned long long)st.next_reading_seq,
           (unsigned long long)st.last_cmd_seq, (unsigned long long)reg.energy_wh,
           (long long)reg.balance_milli, st.relay_connected ? "connected" : "disconnected",
           (unsigned long long)st.tariff_id, (unsigned long long)st.price_milli_per_kwh);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], "--dir") != 0) {
        return usage();
    }
    const char *dir = argv[2], *cmd = argv[3];
    run_opts_t o;
    if (strcmp(cmd, "run") == 0 ? !parse_run(argc - 4, argv + 4, &o)
                                : strcmp(cmd, "status") != 0 || argc != 4) {
        return usage();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    static ms_meter_host_t m;
    const char *what = "";
    ms_err_t err = ms_meter_host_open(&m, dir, &what);
    if (err) {
        fprintf(stderr, "meterseal-meter: %s: %s: %s\n", dir, what, ms_strerror(err));
        return 3;
    }
    o.dir = dir;
    int rc = strcmp(cmd, "run") == 0 ? run(&m, &o) : status();
    ms_meter_host_close(&m);
    return rc;
}
