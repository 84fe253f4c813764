/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testmeter.c - ms-testmeter: the cloud tests' and benchmark's stand-in for
 * meters until the meter simulator (src/link, the other half of the
 * channel) drives them. It speaks the contract of docs/cloud.md exactly:
 * MQTT 3.1.1 over TLS with a meter certificate (client id = meter id,
 * clean session false, keep-alive 60 s), readings as COSE_Sign1 ES256
 * signed with the meter's own key, acknowledgements verified with the cloud
 * command key before a reading counts as acknowledged, and unacknowledged
 * readings sent again (same bytes) after a time-out or a reconnect.
 *
 *   ms-testmeter fleet    --mca DIR --db SPEC --out DIR --count N [--prefix P] [--first K]
 *       N meter keys and certificates from the manufacturer CA in DIR, written
 *       to --out, registered in the database directly (a test fixture: real
 *       registration with attestation is tested through the HTTP API)
 *   ms-testmeter publish  --dir DIR --host H --port P --cafile F --cmd-pub F --count N
 *                         [--prefix P] [--first K] [--readings R] [--window W]
 *                         [--resend-after MS] [--deadline S] [--acked FILE] [--seq-base S]
 *       every meter sends R readings, at most W unacknowledged at a time;
 *       exit 0 when all were acknowledged before the deadline
 *   ms-testmeter token    --nonce HEX --cert FILE
 *       a simulated TEE's attestation token whose challenge is
 *       SHA-256(nonce || the certificate's key): prints IAK=<hex> TOKEN=<hex>
 *   ms-testmeter sign     --key F --id ID --seq N [--kind reading|event] [--energy E]
 *                         [--modify] --out F
 *       one signed message (--modify flips a payload bit after signing)
 *   ms-testmeter check    --db SPEC --acked FILE [--expect N]
 *       every acknowledged (meter, seq) is stored; total stored == N
 *   ms-testmeter verify-ack --cmd-pub F --id ID --seq N --in F
 *       F is an acknowledgement for ID covering seq N signed by the command key
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cloud_test_util.h"
#include "cose_msg.h"
#include "json_params.h"
#include "meterseal/tee_attest.h"
#include "store.h"
#include "x509.h"

#define MAX_WINDOW 64

typedef struct opts {
    const char *mca, *db, *out, *dir, *host, *cafile, *cmd_pub, *prefix, *acked, *nonce, *cert,
        *key, *id, *kind, *in;
    int port;
    long count, first, readings, window, resend_ms, deadline_s, expect;
    uint64_t seq, energy, seq_base;
    bool modify;
} opts_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(const char *what, ms_err_t err)
{
    fprintf(stderr, "ms-testmeter: %s: %s\n", what, ms_strerror(err));
    return 1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *b = malloc(65537);
    size_t n = b != NULL ? fread(b, 1, 65536, f) : 0;
    fclose(f);
    if (b != NULL) {
        b[n] = '\0';
    }
    *len = n;
    return b;
}

static int spit(const char *path, const void *p, size_t n, mode_t mode)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    fchmod(fileno(f), mode);
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static int load_key(const char *path, ms_p256_priv_t *priv, ms_p256_pub_t *pub)
{
    size_t n = 0;
    char *b = slurp(path, &n);
    bool has_priv = false;
    ms_p256_pub_t q;
    ms_err_t err = b != NULL ? ms_p256_key_parse((uint8_t *)b, n, priv, pub != NULL ? pub : &q,
                                                 &has_priv)
                             : MS_ERR_IO;
    if (b != NULL) {
        ms_secure_zero(b, n);
        free(b);
    }
    return err == MS_OK && (priv == NULL || has_priv) ? 0 : -1;
}

static void meter_name(const opts_t *o, long i, char id[MS_MSG_ID_MAX + 1])
{
    snprintf(id, MS_MSG_ID_MAX + 1, "%s%06ld", o->prefix, o->first + i);
}

/* ---- fleet -------------------------------------------------------------------------- */

static int cmd_fleet(const opts_t *o)
{
    char path[4096];
    size_t ca_len = 0;
    snprintf(path, sizeof path, "%s/ca.pem", o->mca);
    char *ca = slurp(path, &ca_len);
    ms_p256_priv_t ca_key;
    snprintf(path, sizeof path, "%s/ca.key", o->mca);
    if (ca == NULL || load_key(path, &ca_key, NULL) != 0) {
        return fail("manufacturer CA", MS_ERR_IO);
    }
    ms_db_t db;
    ms_err_t err = ms_db_open(o->db, &db);
    if (err != MS_OK) {
        return fail("database", err);
    }
    mkdir(o->out, 0700);
    ms_meter_rec_t *m = calloc(1, sizeof *m);
    int64_t now = (int64_t)time(NULL);
    for (long i = 0; err == MS_OK && i < o->count; i++) {
        ms_p256_priv_t priv, iak;
        char *cert = NULL;
        size_t cert_len = 0;
        uint8_t pem[512];
        size_t pem_len = 0;
        memset(m, 0, sizeof *m);
        meter_name(o, i, m->id);
        ms_x509_request_t req = { .profile = MS_X509_METER, .cn = m->id,
                                  .not_before = now - 300, .not_after = now + 86400 * 365 };
        err = ms_p256_keygen(&priv, &m->pub);
        if (err == MS_OK) err = ms_p256_keygen(&iak, &m->iak_pub);
        if (err == MS_OK) err = ms_p256_key_write(&priv, &m->pub, MS_KEY_PKCS8, true, pem, sizeof pem, &pem_len);
        if (err == MS_OK) err = ms_x509_issue(ca, ca_len, &ca_key, &m->pub, &req, &cert, &cert_len, NULL);
        if (err == MS_OK) {
            snprintf(path, sizeof path, "%s/%s.key", o->out, m->id);
            err = spit(path, pem, pem_len, 0600) == 0 ? MS_OK : MS_ERR_IO;
            snprintf(path, sizeof path, "%s/%s.pem", o->out, m->id);
            err = err == MS_OK && spit(path, cert, cert_len, 0644) == 0 ? MS_OK : MS_ERR_IO;
        }
        if (err == MS_OK && cert_len < sizeof m->cert_pem) {
            memcpy(m->cert_pem, cert, cert_len + 1);
            m->registered_at = now;
            err = ms_cose_kid_of(&m->pub, m->kid);
            if (err == MS_OK) err = db.ops->meter_add(db.s, m);
        }
        ms_secure_zero(&priv, sizeof priv);
        ms_secure_zero(pem, sizeof pem);
        free(cert);
    }
    free(m);
    free(ca);
    ms_secure_zero(&ca_key, sizeof ca_key);
    ms_db_close(&db);
    return err == MS_OK ? 0 : fail("fleet", err);
}

/* ---- publish ------------------------------------------------------------------------- */

typedef struct slot {
    bool busy;
    uint64_t seq;
    uint8_t msg[MS_COSE_MSG_MAX];
    size_t len;
    int64_t sent_ms;
} slot_t;

typedef struct sim_meter {
    char id[MS_MSG_ID_MAX + 1];
    struct mosquitto *m;
    ms_p256_priv_t key;
    ms_p256_pub_t pub;
    uint64_t next, last;      /* next seq to make, last seq of the run */
    uint64_t acked;
    bool connected;
    slot_t slot[MAX_WINDOW];
} sim_meter_t;

typedef struct run {
    const opts_t *o;
    sim_meter_t *meters;
    long n;
    ms_p256_pub_t cmd_pub;
    uint8_t cmd_kid[MS_COSE_KID_LEN];
    FILE *acked;
    uint64_t sent, resent, acks, bad_acks, total_acked, total;
} run_t;

static run_t g_run;

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    sim_meter_t *s = obj;
    if (rc == 0) {
        char topic[64];
        snprintf(topic, sizeof topic, "ms/v1/%s/down/#", s->id);
        mosquitto_subscribe(mosq, NULL, topic, 1);
        s->connected = true;
        /* after a reconnect every unacknowledged reading goes again (§5.4) */
        for (int i = 0; i < MAX_WINDOW; i++) {
            s->slot[i].sent_ms = 0;
        }
    }
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    (void)mosq;
    (void)rc;
    sim_meter_t *s = obj;
    s->connected = false;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    (void)mosq;
    sim_meter_t *s = obj;
    run_t *r = &g_run;
    ms_cose_sign1_t c;
    char id[MS_MSG_ID_MAX + 1];
    uint64_t seqs[MS_MSG_ACK_MAX];
    size_t n = 0;
    if (strstr(msg->topic, "/down/ack") == NULL) {
        return;
    }
    if (msg->payloadlen <= 0 || ms_cose_parse(msg->payload, (size_t)msg->payloadlen, &c) != MS_OK ||
        memcmp(c.kid, r->cmd_kid, sizeof c.kid) != 0 || ms_cose_verify(&c, &r->cmd_pub) != MS_OK ||
        ms_msg_ack_decode(c.payload, c.payload_len, id, seqs, &n) != MS_OK ||
        strcmp(id, s->id) != 0) {
        r->bad_acks++;
        return;
    }
    r->acks++;
    for (size_t k = 0; k < n; k++) {
        slot_t *sl = &s->slot[seqs[k] % (uint64_t)r->o->window];
        if (sl->busy && sl->seq == seqs[k]) {
            sl->busy = false;
            s->acked++;
            r->total_acked++;
            if (r->acked != NULL) {
                fprintf(r->acked, "%s %" PRIu64 "\n", s->id, seqs[k]);
            }
        }
    }
}

static int make_reading(sim_meter_t *s, uint64_t seq, uint8_t *out, size_t *len)
{
    ms_msg_reading_t rd;
    memset(&rd, 0, sizeof rd);
    memcpy(rd.meter_id, s->id, sizeof rd.meter_id);
    rd.seq = seq;
    rd.time = (uint64_t)time(NULL);
    rd.energy_wh = seq * 10u;
    rd.balance_milli = 1000000 - (int64_t)seq;
    rd.tariff_id = 1;
    uint8_t payload[MS_COSE_MSG_MAX];
    size_t plen = 0;
    ms_err_t err = ms_msg_reading_encode(&rd, payload, sizeof payload, &plen);
    if (err == MS_OK) {
        err = ms_cose_sign(&s->key, &s->pub, payload, plen, out, MS_COSE_MSG_MAX, len);
    }
    return err == MS_OK ? 0 : -1;
}

static void send_slot(sim_meter_t *s, slot_t *sl, int64_t t)
{
    char topic[64];
    snprintf(topic, sizeof topic, "ms/v1/%s/up/reading", s->id);
    if (mosquitto_publish(s->m, NULL, topic, (int)sl->len, sl->msg, 1, false) == MOSQ_ERR_SUCCESS) {
        sl->sent_ms = t;
    }
}

/* Fill the window with new readings and send again what timed out. */
static void pump(run_t *r, sim_meter_t *s, int64_t t)
{
    if (!s->connected) {
        return;
    }
    for (long w = 0; w < r->o->window; w++) {
        slot_t *sl = &s->slot[w];
        if (sl->busy && t - sl->sent_ms >= r->o->resend_ms) {
            if (sl->sent_ms != 0) {
                r->resent++;
            }
            send_slot(s, sl, t);
        }
    }
    while (s->next <= s->last) {
        slot_t *sl = &s->slot[s->next % (uint64_t)r->o->window];
        if (sl->busy) {
            break;
        }
        if (make_reading(s, s->next, sl->msg, &sl->len) != 0) {
            break;
        }
        sl->busy = true;
        sl->seq = s->next++;
        r->sent++;
        send_slot(s, sl, t);
    }
}

/* Run the network side of the first n meters for a moment (no new readings):
 * connecting thousands of meters one by one takes longer than the keep-alive. */
static void service_connected(run_t *r, long n, int wait_ms)
{
    struct pollfd *pfd = calloc((size_t)n + 1, sizeof *pfd);
    if (pfd == NULL) {
        return;
    }
    for (long i = 0; i < n; i++) {
        pfd[i].fd = mosquitto_socket(r->meters[i].m);
        pfd[i].events = POLLIN | (mosquitto_want_write(r->meters[i].m) ? POLLOUT : 0);
    }
    poll(pfd, (nfds_t)n, wait_ms);
    for (long i = 0; i < n; i++) {
        struct mosquitto *m = r->meters[i].m;
        if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
            mosquitto_loop_read(m, 1);
        }
        if (mosquitto_want_write(m)) {
            mosquitto_loop_write(m, 1);
        }
        mosquitto_loop_misc(m);
    }
    free(pfd);
}

static int cmd_publish(const opts_t *o)
{
    run_t *r = &g_run;
    memset(r, 0, sizeof *r);
    r->o = o;
    r->n = o->count;
    if (o->window < 1 || o->window > MAX_WINDOW || load_key(o->cmd_pub, NULL, &r->cmd_pub) != 0 ||
        ms_cose_kid_of(&r->cmd_pub, r->cmd_kid) != MS_OK) {
        return fail("command key or window", MS_ERR_ARG);
    }
    r->meters = calloc((size_t)r->n, sizeof *r->meters);
    r->acked = o->acked != NULL ? fopen(o->acked, "a") : NULL;
    mosquitto_lib_init();
    int64_t t0 = now_ms();
    for (long i = 0; i < r->n; i++) {
        sim_meter_t *s = &r->meters[i];
        char path[4096], cert[4096];
        meter_name(o, i, s->id);
        snprintf(path, sizeof path, "%s/%s.key", o->dir, s->id);
        snprintf(cert, sizeof cert, "%s/%s.pem", o->dir, s->id);
        if (load_key(path, &s->key, &s->pub) != 0) {
            return fail(path, MS_ERR_KEY_FORMAT);
        }
        s->next = o->seq_base;
        s->last = o->seq_base + (uint64_t)o->readings - 1;
        r->total += (uint64_t)o->readings;
        s->m = mosquitto_new(s->id, false, s);
        if (s->m == NULL ||
            mosquitto_tls_set(s->m, o->cafile, NULL, cert, path, NULL) != MOSQ_ERR_SUCCESS ||
            mosquitto_tls_opts_set(s->m, 1, "tlsv1.2", NULL) != MOSQ_ERR_SUCCESS ||
            mosquitto_int_option(s->m, MOSQ_OPT_TCP_NODELAY, 1) != MOSQ_ERR_SUCCESS) {
            return fail("mosquitto set-up", MS_ERR_ARG);
        }
        mosquitto_connect_callback_set(s->m, on_connect);
        mosquitto_disconnect_callback_set(s->m, on_disconnect);
        mosquitto_message_callback_set(s->m, on_message);
        int rc = mosquitto_connect(s->m, o->host, o->port, 60);
        for (int attempt = 1; rc != MOSQ_ERR_SUCCESS && attempt < 5; attempt++) {
            service_connected(r, i, 100 * attempt);   /* a busy broker: let it catch up */
            rc = mosquitto_connect(s->m, o->host, o->port, 60);
        }
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "ms-testmeter: %s: connect: %s\n", s->id,
                    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
            return 1;
        }
        if (i % 200 == 199) {
            service_connected(r, i + 1, 0);   /* CONNACKs, SUBACKs and keep-alive of those up */
        }
    }
    int64_t t_connected = now_ms();
    struct pollfd *pfd = calloc((size_t)r->n, sizeof *pfd);
    int64_t deadline = t_connected + o->deadline_s * 1000, next_misc = 0;
    while (r->total_acked < r->total && now_ms() < deadline) {
        int64_t t = now_ms();
        for (long i = 0; i < r->n; i++) {
            pump(r, &r->meters[i], t);
            pfd[i].fd = mosquitto_socket(r->meters[i].m);
            pfd[i].events = POLLIN | (mosquitto_want_write(r->meters[i].m) ? POLLOUT : 0);
            pfd[i].revents = 0;
        }
        poll(pfd, (nfds_t)r->n, 20);
        for (long i = 0; i < r->n; i++) {
            struct mosquitto *m = r->meters[i].m;
            if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
                mosquitto_loop_read(m, 1);
            }
            if (mosquitto_want_write(m)) {
                mosquitto_loop_write(m, 1);
            }
        }
        if (t >= next_misc) {
            next_misc = t + 200;
            for (long i = 0; i < r->n; i++) {
                struct mosquitto *m = r->meters[i].m;
                if (mosquitto_socket(m) < 0) {
                    mosquitto_reconnect(m);
                } else {
                    mosquitto_loop_misc(m);
                }
            }
        }
    }
    int64_t t_end = now_ms();
    if (r->acked != NULL) {
        fclose(r->acked);
    }
    double secs = (double)(t_end - t_connected) / 1000.0;
    printf("meters=%ld readings=%" PRIu64 " acked=%" PRIu64 " sent=%" PRIu64 " resent=%" PRIu64
           " acks=%" PRIu64 " bad_acks=%" PRIu64 " connect_s=%.2f run_s=%.2f acked_per_s=%.0f\n",
           r->n, r->total, r->total_acked, r->sent, r->resent, r->acks, r->bad_acks,
           (double)(t_connected - t0) / 1000.0, secs,
           secs > 0 ? (double)r->total_acked / secs : 0.0);
    for (long i = 0; i < r->n; i++) {
        mosquitto_disconnect(r->meters[i].m);
        mosquitto_loop_write(r->meters[i].m, 1);
        mosquitto_destroy(r->meters[i].m);
        ms_secure_zero(&r->meters[i].key, sizeof r->meters[i].key);
    }
    free(pfd);
    free(r->meters);
    mosquitto_lib_cleanup();
    return r->total_acked == r->total && r->bad_acks == 0 ? 0 : 1;
}

/* ---- token ---------------------------------------------------------------------------- */

static int cmd_token(const opts_t *o)
{
    uint8_t nonce[MS_STORE_NONCE_LEN];
    size_t cert_len = 0;
    char *cert = slurp(o->cert, &cert_len);
    ms_x509_info_t info;
    if (o->nonce == NULL || !ms_jp_unhex(o->nonce, strlen(o->nonce), nonce, sizeof nonce) ||
        cert == NULL || ms_x509_info(cert, cert_len, &info) != MS_OK) {
        return fail("nonce or certificate", MS_ERR_ARG);
    }
    free(cert);
    ms_p256_pub_t iak;
    uint8_t tok[MS_TEE_ATTEST_TOKEN_MAX];
    size_t n = 0;
    ms_err_t err = ctu_token(nonce, &info.pub, tok, sizeof tok, &n, &iak);
    if (err) {
        return fail("token", err);
    }
    char hex[2 * MS_TEE_ATTEST_TOKEN_MAX + 1];
    ms_jp_hex(iak.q, sizeof iak.q, hex);
    printf("IAK=%s\n", hex);
    ms_jp_hex(tok, n, hex);
    printf("TOKEN=%s\n", hex);
    return 0;
}

/* ---- sign, verify-ack ----------------------------------------------------------------- */

static int cmd_sign(const opts_t *o)
{
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    if (o->key == NULL || o->id == NULL || o->out == NULL || load_key(o->key, &priv, &pub) != 0) {
        return fail("sign: --key, --id, --out", MS_ERR_ARG);
    }
    uint8_t payload[MS_COSE_MSG_MAX], msg[MS_COSE_MSG_MAX];
    size_t plen = 0, mlen = 0;
    ms_err_t err;
    if (o->kind == NULL || strcmp(o->kind, "reading") == 0) {
        ms_msg_reading_t r = { .seq = o->seq, .time = (uint64_t)time(NULL),
                               .energy_wh = o->energy, .balance_milli = -5, .tariff_id = 2 };
        snprintf(r.meter_id, sizeof r.meter_id, "%s", o->id);
        err = ms_msg_reading_encode(&r, payload, sizeof payload, &plen);
    } else {
        ms_msg_event_t e = { .seq = o->seq, .time = (uint64_t)time(NULL) };
        snprintf(e.meter_id, sizeof e.meter_id, "%s", o->id);
        snprintf(e.kind, sizeof e.kind, "tamper");
        snprintf(e.detail, sizeof e.detail, "cover opened");
        err = ms_msg_event_encode(&e, payload, sizeof payload, &plen);
    }
    if (err == MS_OK) {
        err = ms_cose_sign(&priv, &pub, payload, plen, msg, sizeof msg, &mlen);
    }
    ms_secure_zero(&priv, sizeof priv);
    if (err != MS_OK) {
        return fail("sign", err);
    }
    if (o->modify) {
        msg[mlen - 64 - 3] ^= 0x01;   /* a payload byte (the last one) */
    }
    return spit(o->out, msg, mlen, 0644) == 0 ? 0 : fail(o->out, MS_ERR_IO);
}

static int cmd_verify_ack(const opts_t *o)
{
    ms_p256_pub_t pub;
    size_t n = 0;
    char *b = o->in != NULL ? slurp(o->in, &n) : NULL;
    if (b == NULL || load_key(o->cmd_pub, NULL, &pub) != 0) {
        return fail("verify-ack: --in, --cmd-pub", MS_ERR_ARG);
    }
    ms_cose_sign1_t c;
    char id[MS_MSG_ID_MAX + 1];
    uint64_t seqs[MS_MSG_ACK_MAX];
    size_t k = 0;
    ms_err_t err = ms_cose_parse((uint8_t *)b, n, &c);
    if (err == MS_OK) err = ms_cose_verify(&c, &pub);
    if (err == MS_OK) err = ms_msg_ack_decode(c.payload, c.payload_len, id, seqs, &k);
    free(b);
    if (err != MS_OK) {
        return fail("verify-ack", err);
    }
    bool found = false;
    for (size_t i = 0; i < k; i++) {
        found = found || seqs[i] == o->seq;
    }
    if (strcmp(id, o->id) != 0 || !found) {
        fprintf(stderr, "ms-testmeter: verify-ack: ack for %s does not cover seq %" PRIu64 "\n",
                id, o->seq);
        return 1;
    }
    return 0;
}

/* ---- check ------------------------------------------------------------------------------ */

typedef struct seqset {
    uint64_t *v;
    size_t n, cap;
} seqset_t;

static ms_err_t collect(void *ctx, const ms_msg_reading_t *r, int64_t at)
{
    (void)at;
    seqset_t *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (s->v == NULL) {
            return MS_ERR_INTERNAL;
        }
    }
    s->v[s->n++] = r->seq;
    return MS_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmd_check(const opts_t *o)
{
    ms_db_t db;
    ms_err_t err = ms_db_open(o->db, &db);
    if (err != MS_OK) {
        return fail("database", err);
    }
    FILE *f = o->acked != NULL ? fopen(o->acked, "r") : NULL;
    if (f == NULL) {
        return fail("acked file", MS_ERR_IO);
    }
    char id[64], cur[64] = "";
    uint64_t seq = 0, acked = 0, missing = 0;
    seqset_t s = { 0 };
    while (fscanf(f, "%40s %" SCNu64, id, &seq) == 2) {
        if (strcmp(id, cur) != 0) {
            s.n = 0;
            snprintf(cur, sizeof cur, "%s", id);
            err = db.ops->readings_list(db.s, id, 0, (uint64_t)INT64_MAX, UINT32_MAX, collect, &s);
            if (err != MS_OK) {
                return fail("readings", err);
            }
            qsort(s.v, s.n, sizeof *s.v, cmp_u64);
        }
        acked++;
        if (bsearch(&seq, s.v, s.n, sizeof *s.v, cmp_u64) == NULL) {
            if (missing++ < 10) {
                fprintf(stderr, "ms-testmeter: check: acknowledged %s seq %" PRIu64
                                " is not in the database\n", id, seq);
            }
        }
    }
    fclose(f);
    free(s.v);
    uint64_t total = 0;
    err = db.ops->readings_count(db.s, NULL, &total);
    ms_db_close(&db);
    if (err != MS_OK) {
        return fail("count", err);
    }
    printf("acknowledged=%" PRIu64 " missing=%" PRIu64 " stored=%" PRIu64 "\n", acked, missing,
           total);
    if (missing != 0 || acked == 0 || (o->expect >= 0 && total != (uint64_t)o->expect)) {
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "mca", 1, NULL, 'M' },      { "db", 1, NULL, 'd' },       { "out", 1, NULL, 'o' },
        { "dir", 1, NULL, 'D' },      { "host", 1, NULL, 'H' },     { "port", 1, NULL, 'p' },
        { "cafile", 1, NULL, 'a' },   { "cmd-pub", 1, NULL, 'c' },  { "count", 1, NULL, 'n' },
        { "prefix", 1, NULL, 'P' },   { "first", 1, NULL, 'f' },    { "readings", 1, NULL, 'r' },
        { "window", 1, NULL, 'w' },   { "resend-after", 1, NULL, 'R' },
        { "deadline", 1, NULL, 't' }, { "acked", 1, NULL, 'A' },    { "nonce", 1, NULL, 'N' },
        { "cert", 1, NULL, 'C' },     { "key", 1, NULL, 'k' },      { "id", 1, NULL, 'i' },
        { "seq", 1, NULL, 's' },      { "kind", 1, NULL, 'K' },     { "energy", 1, NULL, 'e' },
        { "modify", 0, NULL, 'm' },   { "expect", 1, NULL, 'x' },   { "in", 1, NULL, 'I' },
        { "seq-base", 1, NULL, 'S' }, { NULL, 0, NULL, 0 },
    };
    opts_t o = { .prefix = "m-", .count = 1, .first = 1, .readings = 10, .window = 8,
                 .resend_ms = 5000, .deadline_s = 60, .expect = -1, .seq_base = 1,
                 .port = 8883, .host = "localhost" };
    if (argc < 2) {
        fputs("usage: ms-testmeter fleet|publish|token|sign|check|verify-ack [options]\n", stderr);
        return 2;
    }
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'M': o.mca = optarg; break;
        case 'd': o.db = optarg; break;
        case 'o': o.out = optarg; break;
        case 'D': o.dir = optarg; break;
        case 'H': o.host = optarg; break;
        case 'p': o.port = atoi(optarg); break;
        case 'a': o.cafile = optarg; break;
        case 'c': o.cmd_pub = optarg; break;
        case 'n': o.count = atol(optarg); break;
        case 'P': o.prefix = optarg; break;
        case 'f': o.first = atol(optarg); break;
        case 'r': o.readings = atol(optarg); break;
        case 'w': o.window = atol(optarg); break;
        case 'R': o.resend_ms = atol(optarg); break;
        case 't': o.deadline_s = atol(optarg); break;
        case 'A': o.acked = optarg; break;
        case 'N': o.nonce = optarg; break;
        case 'C': o.cert = optarg; break;
        case 'k': o.key = optarg; break;
        case 'i': o.id = optarg; break;
        case 's': o.seq = strtoull(optarg, NULL, 10); break;
        case 'K': o.kind = optarg; break;
        case 'e': o.energy = strtoull(optarg, NULL, 10); break;
        case 'm': o.modify = true; break;
        case 'x': o.expect = atol(optarg); break;
        case 'I': o.in = optarg; break;
        case 'S': o.seq_base = strtoull(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "fleet") == 0 && o.mca && o.db && o.out) return cmd_fleet(&o);
    if (strcmp(cmd, "publish") == 0 && o.dir && o.cafile && o.cmd_pub) return cmd_publish(&o);
    if (strcmp(cmd, "token") == 0 && o.nonce && o.cert) return cmd_token(&o);
    if (strcmp(cmd, "sign") == 0) return cmd_sign(&o);
    if (strcmp(cmd, "check") == 0 && o.db && o.acked) return cmd_check(&o);
    if (strcmp(cmd, "verify-ack") == 0 && o.cmd_pub) return cmd_verify_ack(&o);
    fputs("ms-testmeter: unknown command or missing options (see the comment in testmeter.c)\n",
          stderr);
    return 2;
}
