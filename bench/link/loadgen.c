/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loadgen.c - meterseal-loadgen: the meter side of the load benchmark. One
 * process runs many meter sessions over the meters' own code: the TLS
 * client of the TEE (src/tee/tls, Mbed TLS 3.6, TLS 1.3 with tickets), the
 * Non-secure cloud client (src/link/client.c: MQTT 3.1.1, resends,
 * acknowledgements) and the signed messages (src/link/msg.c, COSE_Sign1).
 * What a TEE does per meter (signing, sequence numbers, the queue, checking
 * the cloud's acknowledgements) is done here in RAM with each meter's
 * software key: the fleet of `ms-testmeter fleet` (DIR/<id>.key, .pem).
 *
 *   meterseal-loadgen --dir FLEET --count N --broker HOST:PORT --ca CLOUD_CA.pem
 *                     --cmd-pub COMMAND.pub [--first K] [--prefix P]
 *                     [--readings R] [--interval-ms MS] [--deadline-s S]
 *                     [--inflight H] [--no-resume]
 *
 * Phases, each one line of figures on stdout:
 *   connect   N full TLS 1.3 handshakes (+ MQTT CONNECT, SUBSCRIBE), at most H
 *             at a time: seconds, handshakes/s, CPU of this process per
 *             handshake, bytes per handshake each way;
 *   run       every meter takes R readings, one per MS (start times spread),
 *             each signed, published and kept until the cloud's signed
 *             acknowledgement (checked): readings acknowledged per second,
 *             CPU microseconds per reading here;
 *   resume    all disconnect, then connect again with their tickets:
 *             the same figures for resumed handshakes.
 * Exit 0 when every meter connected (twice) and every reading was
 * acknowledged before the deadline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "meter_host.h"
#include "meterseal/link_client.h"
#include "meterseal/tee_tls.h"
#include "pki.h"

#define QMAX 32u

typedef struct entry {
    uint64_t seq, time, energy;
} entry_t;

typedef struct session {
    ms_link_client_t c;
    ms_tls_t tls;
    int fd;
    bool online_seen;          /* this phase */
    bool failed;
    char id[MS_LINK_METER_ID_MAX + 1];
    ms_p256_priv_t key;
    ms_p256_pub_t pub;
    uint8_t kid[MS_COSE_KID_LEN];
    uint32_t attempts;
    uint64_t next_seq, energy, dropped, retry_at;
    uint32_t n;
    entry_t q[QMAX];
} session_t;

static ms_p256_pub_t g_cmd_pub;
static uint8_t g_cmd_kid[MS_COSE_KID_LEN];
static uint64_t g_sig_count, g_ack_count;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- what each meter's TEE does, in RAM ------------------------------------------- */

static ms_err_t soft_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der, size_t cap,
                          size_t *len)
{
    g_sig_count++;
    return ms_p256_sign(ctx, hash, der, cap, len);
}

static ms_err_t seal(session_t *s, const entry_t *e, uint8_t *msg, size_t cap, size_t *len)
{
    ms_link_reading_t r = { .seq = e->seq, .time = e->time, .energy_wh = e->energy };
    memcpy(r.meter_id, s->id, sizeof s->id);
    uint8_t p[MS_LINK_PAYLOAD_MAX];
    size_t n = 0;
    ms_err_t err = ms_link_reading_encode(&r, p, sizeof p, &n);
    return err ? err : ms_link_msg_seal_kid(p, n, s->kid, soft_sign, &s->key, msg, cap, len);
}

static ms_err_t b_open(void *ctx, unsigned versions)
{
    (void)versions;
    return ms_tls_connect(&((session_t *)ctx)->tls);
}

static ms_err_t b_pump(void *ctx, ms_tls_pump_t *p)
{
    return ms_tls_pump(&((session_t *)ctx)->tls, p);
}

static ms_err_t b_close(void *ctx)
{
    return ms_tls_close(&((session_t *)ctx)->tls);
}

static ms_err_t b_reading(void *ctx, uint64_t time, uint8_t *msg, size_t cap, size_t *len,
                          uint64_t *seq)
{
    session_t *s = ctx;
    s->energy += 10;
    entry_t e = { s->next_seq++, time, s->energy };
    if (s->n == QMAX) {
        memmove(&s->q[0], &s->q[1], (QMAX - 1) * sizeof s->q[0]);
        s->n--;
        s->dropped++;
    }
    s->q[s->n++] = e;
    *seq = e.seq;
    return seal(s, &e, msg, cap, len);
}

static ms_err_t b_pending(void *ctx, size_t i, uint8_t *msg, size_t cap, size_t *len,
                          uint64_t *seq)
{
    session_t *s = ctx;
    if (i >= s->n) {
        return MS_ERR_NOT_FOUND;
    }
    *seq = s->q[i].seq;
    return seal(s, &s->q[i], msg, cap, len);
}

static ms_err_t b_ack(void *ctx, const uint8_t *msg, size_t len, size_t *removed)
{
    session_t *s = ctx;
    ms_cose_sign1_t m;
    ms_link_ack_t a;
    *removed = 0;
    ms_err_t err = ms_link_msg_open_kid(msg, len, &g_cmd_pub, g_cmd_kid, &m);
    if (!err) {
        err = ms_link_ack_decode(m.payload, m.payload_len, &a);
    }
    if (!err && strcmp(a.meter_id, s->id) != 0) {
        err = MS_ERR_LINK_WRONG_METER;
    }
    if (err) {
        return err;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        bool acked = false;
        for (size_t k = 0; k < a.n && !acked; k++) {
            acked = a.seq[k] == s->q[i].seq;
        }
        if (!acked) {
            s->q[kept++] = s->q[i];
        }
    }
    *removed = s->n - kept;
    g_ack_count += *removed;
    s->n = kept;
    return MS_OK;
}

static ms_err_t b_command(void *ctx, const uint8_t *msg, size_t len, uint8_t *res, size_t cap,
                          size_t *res_len, uint32_t *status)
{
    (void)ctx, (void)msg, (void)len, (void)res, (void)cap, (void)status;
    *res_len = 0;
    return MS_ERR_UNSUPPORTED;
}

static ms_err_t b_queued(void *ctx, uint32_t *n)
{
    *n = ((session_t *)ctx)->n;
    return MS_OK;
}

static const ms_link_secure_t bench_secure = { b_open, b_pump, b_close, b_reading,
                                               b_pending, b_ack, b_command, b_queued };

/* ---- set-up ------------------------------------------------------------------------ */

typedef struct opts {
    const char *dir, *broker, *ca, *cmd_pub, *prefix;
    long count, first, readings, interval_ms, deadline_s, inflight;
    bool resume;
} opts_t;

static bool load_meter(session_t *s, const opts_t *o, long i, const uint8_t *ca, size_t ca_len)
{
    char path[4200];
    uint8_t cert[2048];
    snprintf(s->id, sizeof s->id, "%s%06ld", o->prefix, o->first + i);
    snprintf(path, sizeof path, "%s/%s.pem", o->dir, s->id);
    size_t cert_len = pki_pem_to_der(path, cert, sizeof cert);
    snprintf(path, sizeof path, "%s/%s.key", o->dir, s->id);
    FILE *f = fopen(path, "rb");
    uint8_t pem[1024];
    size_t pem_len = f != NULL ? fread(pem, 1, sizeof pem, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    bool has_priv = false;
    if (cert_len == 0 || ms_p256_key_parse(pem, pem_len, &s->key, &s->pub, &has_priv) != MS_OK ||
        !has_priv) {
        fprintf(stderr, "meterseal-loadgen: %s: no key or certificate in %s\n", s->id, o->dir);
        return false;
    }
    ms_secure_zero(pem, sizeof pem);
    if (ms_cose_kid(&s->pub, s->kid) != MS_OK) {
        return false;
    }
    char host[128];
    const char *colon = strrchr(o->broker, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - o->broker), o->broker);
    ms_tls_config_t tc = { ca, ca_len, cert, cert_len, soft_sign, &s->key, host,
                           MS_TLS_VERSIONS_ANY };
    ms_link_client_config_t cc;
    ms_link_client_defaults(&cc, s->id);
    cc.reading_interval_ms = 0;   /* the run phase sets it */
    cc.connect_timeout_ms = 15000;   /* a lost SYN or handshake: try again */
    cc.answer_timeout_ms = 0;        /* that alone: a loaded broker is slow, not gone */
    s->fd = -1;
    s->next_seq = 1;
    return ms_tls_init(&s->tls, &tc) == MS_OK &&
           ms_link_client_init(&s->c, &cc, &bench_secure, s, &ms_host_fd_transport, &s->fd) ==
               MS_OK;
}

/* ---- the event loop ------------------------------------------------------------------ */

static int g_ep;

static void step(session_t *s, uint64_t t)
{
    if (s->fd < 0) {
        return;
    }
    if (ms_link_client_step(&s->c, t, (uint64_t)time(NULL)) != MS_OK) {
        epoll_ctl(g_ep, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        s->fd = -1;
        s->failed = true;
    }
}

static bool start(session_t *s, const opts_t *o, uint64_t t)
{
    s->online_seen = false;
    s->failed = false;
    s->fd = ms_host_dial(o->broker);
    if (s->fd < 0) {
        s->failed = true;
        return false;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
    epoll_ctl(g_ep, EPOLL_CTL_ADD, s->fd, &ev);
    if (ms_link_client_connect(&s->c, t) != MS_OK) {
        step(s, t);
        return false;
    }
    step(s, t);   /* the ClientHello goes out */
    return true;
}

typedef struct totals {
    uint64_t online, failed, resumed, bytes_out, bytes_in, retries;
    ms_err_t first_error;
    int first_tls_error;
} totals_t;

/* Wake sessions whose timers are due (at most every 10 ms). */
static void sweep(session_t *ss, long n, uint64_t t)
{
    for (long i = 0; i < n; i++) {
        if (ss[i].fd >= 0 && ms_link_client_next_ms(&ss[i].c) <= t) {
            step(&ss[i], t);
        }
    }
}

static void poll_once(session_t *ss, long n, uint64_t *last_sweep)
{
    struct epoll_event evs[256];
    int k = epoll_wait(g_ep, evs, 256, 10);
    uint64_t t = now_ms();
    for (int i = 0; i < k; i++) {
        step(evs[i].data.ptr, t);
    }
    if (t - *last_sweep >= 10) {
        sweep(ss, n, t);
        *last_sweep = t;
    }
}

/* Connect every session (at most inflight handshakes at a time). */
static totals_t connect_all(session_t *ss, long n, const opts_t *o, uint64_t deadline)
{
    totals_t tot = { 0 };
    for (long i = 0; i < n; i++) {
        ss[i].attempts = 0;
        ss[i].retry_at = 0;
    }
    long next = 0, busy = 0;
    uint64_t last_sweep = now_ms();
    while ((long)(tot.online + tot.failed) < n && now_ms() < deadline) {
        while (next < n && busy < o->inflight) {
            start(&ss[next++], o, now_ms());
            busy++;
        }
        poll_once(ss, n, &last_sweep);
        for (long i = 0; i < next; i++) {
            session_t *s = &ss[i];
            if (s->online_seen) {
                continue;
            }
            if (s->c.state == MS_LINK_ONLINE) {
                ms_tls_info_t info;
                ms_tls_info(&s->tls, &info);
                s->online_seen = true;
                tot.online++;
                tot.resumed += info.resumed ? 1u : 0u;
                tot.bytes_out += info.bytes_out;
                tot.bytes_in += info.bytes_in;
                busy--;
            } else if (s->failed && s->attempts < 3) {
                if (s->retry_at == 0) {
                    s->retry_at = now_ms() + 1000;   /* connect again in a second */
                } else if (now_ms() >= s->retry_at) {
                    s->retry_at = 0;
                    s->attempts++;
                    tot.retries++;
                    start(s, o, now_ms());
                }
            } else if (s->failed) {
                s->online_seen = true;   /* counted */
                if (tot.failed++ == 0) {
                    ms_tls_info_t info;
                    ms_tls_info(&s->tls, &info);
                    tot.first_error = s->c.stats.last_error;
                    tot.first_tls_error = info.mbedtls_error;
                }
                busy--;
            }
        }
    }
    return tot;
}

/* One line of figures for a connect phase. */
static void print_connect(const char *phase, const totals_t *t, long n, double wall, double cpu,
                          uint64_t signatures)
{
    uint64_t on = t->online ? t->online : 1;
    if (t->failed != 0) {
        printf("%s: %llu failed, the first with %s (TLS -0x%04x)\n", phase,
               (unsigned long long)t->failed, ms_errname(t->first_error),
               (unsigned)-t->first_tls_error);
    }
    printf("%s: %llu/%ld online (%llu resumed, %llu retried) in %.2f s = %.0f handshakes/s; "
           "meter-side CPU %.0f us per handshake; %llu client signatures; bytes per handshake "
           "%llu out %llu in\n",
           phase, (unsigned long long)t->online, n, (unsigned long long)t->resumed,
           (unsigned long long)t->retries, wall, (double)t->online / wall, 1e6 * cpu / (double)on,
           (unsigned long long)signatures, (unsigned long long)(t->bytes_out / on),
           (unsigned long long)(t->bytes_in / on));
}

static int usage(void)
{
    fputs("usage: meterseal-loadgen --dir FLEET --count N --broker HOST:PORT --ca CA.pem\n"
          "           --cmd-pub COMMAND.pub [--first K] [--prefix P] [--readings R]\n"
          "           [--interval-ms MS] [--deadline-s S] [--inflight H] [--no-resume]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    opts_t o = { .prefix = "m-", .first = 1, .readings = 10, .interval_ms = 2000,
                 .deadline_s = 600, .inflight = 64, .resume = true };
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--no-resume")) {
            o.resume = false;
            continue;
        }
        if (v == NULL) {
            return usage();
        }
        i++;
        if (!strcmp(k, "--dir")) o.dir = v;
        else if (!strcmp(k, "--broker")) o.broker = v;
        else if (!strcmp(k, "--ca")) o.ca = v;
        else if (!strcmp(k, "--cmd-pub")) o.cmd_pub = v;
        else if (!strcmp(k, "--prefix")) o.prefix = v;
        else if (!strcmp(k, "--count")) o.count = atol(v);
        else if (!strcmp(k, "--first")) o.first = atol(v);
        else if (!strcmp(k, "--readings")) o.readings = atol(v);
        else if (!strcmp(k, "--interval-ms")) o.interval_ms = atol(v);
        else if (!strcmp(k, "--deadline-s")) o.deadline_s = atol(v);
        else if (!strcmp(k, "--inflight")) o.inflight = atol(v);
        else return usage();
    }
    if (o.dir == NULL || o.broker == NULL || o.ca == NULL || o.cmd_pub == NULL || o.count <= 0 ||
        o.interval_ms <= 0 || o.inflight <= 0 || strrchr(o.broker, ':') == NULL) {
        return usage();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    uint8_t ca[2048], pem[1024];
    size_t ca_len = pki_pem_to_der(o.ca, ca, sizeof ca), pem_len = 0;
    FILE *f = fopen(o.cmd_pub, "rb");
    if (f != NULL) {
        pem_len = fread(pem, 1, sizeof pem, f);
        fclose(f);
    }
    bool has_priv;
    if (ca_len == 0 || ms_p256_key_parse(pem, pem_len, NULL, &g_cmd_pub, &has_priv) != MS_OK ||
        ms_cose_kid(&g_cmd_pub, g_cmd_kid) != MS_OK) {
        fprintf(stderr, "meterseal-loadgen: cannot read --ca or --cmd-pub\n");
        return 3;
    }
    session_t *ss = calloc((size_t)o.count, sizeof *ss);
    if (ss == NULL) {
        fprintf(stderr, "meterseal-loadgen: out of memory\n");
        return 3;
    }
    for (long i = 0; i < o.count; i++) {
        if (!load_meter(&ss[i], &o, i, ca, ca_len)) {
            return 3;
        }
    }
    g_ep = epoll_create1(EPOLL_CLOEXEC);
    uint64_t deadline = now_ms() + (uint64_t)o.deadline_s * 1000u;
    printf("loadgen: %ld meters, crypto backend %s, TLS Mbed TLS 3.6 (session %zu bytes, "
           "client %zu bytes)\n", o.count, ms_crypto_backend_name(), sizeof(ms_tls_t),
           sizeof(ms_link_client_t));

    /* connect: full handshakes */
    double c0 = cpu_s();
    uint64_t t0 = now_ms(), s0 = g_sig_count;
    totals_t full = connect_all(ss, o.count, &o, deadline);
    double wall = (double)(now_ms() - t0) / 1000.0, cpu = cpu_s() - c0;
    print_connect("connect", &full, o.count, wall, cpu, g_sig_count - s0);

    /* run: readings, spread over the interval */
    uint64_t t = now_ms();
    for (long i = 0; i < o.count; i++) {
        ss[i].c.cfg.reading_interval_ms = (uint32_t)o.interval_ms;
        ss[i].c.next_reading_ms = t + (uint64_t)(rand() % o.interval_ms);
    }
    c0 = cpu_s();
    t0 = now_ms();
    uint64_t a0 = g_ack_count, last_sweep = t0;
    CALLGRIND_TOGGLE_COLLECT;   /* under callgrind --collect-atstart=no: the run phase alone */
    long done = 0;
    uint64_t reconnects = 0;
    while (now_ms() < deadline) {
        poll_once(ss, o.count, &last_sweep);
        done = 0;
        uint64_t tn = now_ms();
        for (long i = 0; i < o.count; i++) {
            session_t *s = &ss[i];
            if (s->fd < 0) {   /* a meter whose connection broke connects again */
                if (s->retry_at == 0) {
                    s->retry_at = tn + 1000;
                } else if (tn >= s->retry_at) {
                    s->retry_at = 0;
                    reconnects++;
                    start(s, &o, tn);
                }
            }
            if (s->c.stats.readings >= (uint64_t)o.readings) {
                s->c.cfg.reading_interval_ms = 0;
                s->c.next_reading_ms = UINT64_MAX;
                done += s->n == 0;
            }
        }
        if (done == o.count) {
            break;
        }
    }
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT("run");
    wall = (double)(now_ms() - t0) / 1000.0;
    cpu = cpu_s() - c0;
    uint64_t acked = g_ack_count - a0, dropped = 0, resent = 0;
    for (long i = 0; i < o.count; i++) {
        dropped += ss[i].dropped;
        resent += ss[i].c.stats.resent;
    }
    printf("run: %llu readings acknowledged of %ld in %.2f s = %.0f readings/s; meter-side CPU "
           "%.1f us per reading (sign, TLS, MQTT, ack check); resent %llu, dropped %llu, "
           "reconnects %llu\n",
           (unsigned long long)acked, o.count * o.readings, wall, (double)acked / wall,
           1e6 * cpu / (double)(acked ? acked : 1), (unsigned long long)resent,
           (unsigned long long)dropped, (unsigned long long)reconnects);
    int rc = done == o.count && full.online == (uint64_t)o.count ? 0 : 1;

    /* resume: disconnect all, connect again with the tickets */
    if (o.resume) {
        for (long i = 0; i < o.count; i++) {
            if (ss[i].fd >= 0) {
                ms_link_client_disconnect(&ss[i].c, now_ms());
                epoll_ctl(g_ep, EPOLL_CTL_DEL, ss[i].fd, NULL);
                close(ss[i].fd);
                ss[i].fd = -1;
            }
        }
        c0 = cpu_s();
        t0 = now_ms();
        s0 = g_sig_count;
        totals_t res = connect_all(ss, o.count, &o, deadline);
        wall = (double)(now_ms() - t0) / 1000.0;
        cpu = cpu_s() - c0;
        print_connect("resume", &res, o.count, wall, cpu, g_sig_count - s0);
        if (res.online != (uint64_t)o.count) {
            rc = 1;
        }
    }
    for (long i = 0; i < o.count; i++) {
        if (ss[i].fd >= 0) {
            ms_link_client_disconnect(&ss[i].c, now_ms());
            close(ss[i].fd);
        }
        ms_tls_free(&ss[i].tls);
        ms_secure_zero(&ss[i].key, sizeof ss[i].key);
    }
    free(ss);
    close(g_ep);
    return rc;
}
