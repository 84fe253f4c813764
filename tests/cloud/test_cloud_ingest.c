/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cloud_ingest.c - what the cloud does with meters' messages, on each
 * backend (argument: a database spec), without a broker: publishes are
 * captured. Pins down: a reading is acknowledged (with a signature of the
 * cloud command key) only after its batch committed; a duplicate is stored
 * once and acknowledged again; replayed, reordered-beyond-the-window,
 * modified, misaddressed and foreign readings are refused and nothing is
 * acknowledged for them; a replay sent again is one event, not a row each;
 * a command's first verdict stays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cloud_test_util.h"
#include "cose_msg.h"
#include "ingest.h"
#include "log.h"
#include "store.h"
#include "x509.h"

static const char *g_spec;
static ms_cloud_t g_c;
static ms_ingest_t *g_in;
static ms_store_ops_t g_ops;          /* the backend's table, with readings_store wrapped */
static const ms_store_ops_t *g_real;
static bool g_fail_store;

typedef struct meter {
    char id[MS_MSG_ID_MAX + 1];
    ms_p256_priv_t key;
    ms_p256_pub_t pub;
} meter_t;

static meter_t m1, m2;

/* ---- captured publishes -------------------------------------------------------- */

static struct {
    char topic[64];
    uint8_t msg[MS_COSE_MSG_MAX];
    size_t len;
} g_pub[64];
static size_t g_npub;

static ms_err_t capture(void *ctx, const char *topic, const uint8_t *p, size_t n)
{
    (void)ctx;
    if (g_npub < 64) {
        snprintf(g_pub[g_npub].topic, sizeof g_pub[0].topic, "%s", topic);
        memcpy(g_pub[g_npub].msg, p, n);
        g_pub[g_npub].len = n;
        g_npub++;
    }
    return MS_OK;
}

static int64_t fixed_now(void)
{
    return 1700000000;
}

static ms_err_t failing_store(ms_store_t *s, const ms_reading_rec_t *b, size_t n,
                              ms_store_outcome_t *o)
{
    if (g_fail_store) {
        return MS_ERR_CLOUD_DB;
    }
    return g_real->readings_store(s, b, n, o);
}

/* The seqs acknowledged to `id` in the captured publishes (signature checked). */
static size_t acked(const char *id, uint64_t *out, size_t cap)
{
    size_t k = 0;
    char topic[64];
    snprintf(topic, sizeof topic, "ms/v1/%s/down/ack", id);
    for (size_t i = 0; i < g_npub; i++) {
        if (strcmp(g_pub[i].topic, topic) != 0) {
            continue;
        }
        ms_cose_sign1_t c;
        char who[MS_MSG_ID_MAX + 1];
        uint64_t seqs[MS_MSG_ACK_MAX];
        size_t n = 0;
        assert_int_equal(ms_cose_parse(g_pub[i].msg, g_pub[i].len, &c), MS_OK);
        assert_int_equal(ms_cose_verify(&c, &g_c.cmd_pub), MS_OK);
        assert_int_equal(ms_msg_ack_decode(c.payload, c.payload_len, who, seqs, &n), MS_OK);
        assert_string_equal(who, id);
        for (size_t j = 0; j < n && k < cap; j++) {
            out[k++] = seqs[j];
        }
    }
    return k;
}

static size_t reading_msg(const meter_t *m, const char *id_in_payload, uint64_t seq,
                          uint64_t energy, uint8_t *out)
{
    ms_msg_reading_t r = { .seq = seq, .time = 1700000000, .energy_wh = energy,
                           .balance_milli = 10, .tariff_id = 1 };
    snprintf(r.meter_id, sizeof r.meter_id, "%s", id_in_payload);
    uint8_t p[MS_COSE_MSG_MAX];
    size_t plen = 0, n = 0;
    assert_int_equal(ms_msg_reading_encode(&r, p, sizeof p, &plen), MS_OK);
    assert_int_equal(ms_cose_sign(&m->key, &m->pub, p, plen, out, MS_COSE_MSG_MAX, &n), MS_OK);
    return n;
}

static void send(const meter_t *m, const char *kind, const uint8_t *msg, size_t n)
{
    char topic[64];
    snprintf(topic, sizeof topic, "ms/v1/%s/up/%s", m->id, kind);
    assert_int_equal(ms_ingest_message(g_in, topic, strlen(topic), msg, n), MS_OK);
}

static void send_reading(const meter_t *m, uint64_t seq, uint64_t energy)
{
    uint8_t msg[MS_COSE_MSG_MAX];
    size_t n = reading_msg(m, m->id, seq, energy, msg);
    send(m, "reading", msg, n);
}

static uint64_t stored(const char *id)
{
    uint64_t n = 0;
    assert_int_equal(g_c.db.ops->readings_count(g_c.db.s, id, &n), MS_OK);
    return n;
}

static void add_meter(meter_t *m, const char *id)
{
    snprintf(m->id, sizeof m->id, "%s", id);
    assert_int_equal(ms_p256_keygen(&m->key, &m->pub), MS_OK);
    ms_meter_rec_t *r = calloc(1, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    r->pub = m->pub;
    r->iak_pub = m->pub;
    assert_int_equal(ms_cose_kid_of(&m->pub, r->kid), MS_OK);
    snprintf(r->cert_pem, sizeof r->cert_pem, "test");
    assert_int_equal(g_c.db.ops->meter_add(g_c.db.s, r), MS_OK);
    free(r);
}

static int setup(void **state)
{
    (void)state;
    ms_log_init("test", MS_LOG_ERROR);
    if (ms_db_open(g_spec, &g_c.db) != MS_OK) {
        return -1;
    }
    g_real = g_c.db.ops;
    g_ops = *g_real;
    g_ops.readings_store = failing_store;
    g_c.db.ops = &g_ops;
    g_c.now = fixed_now;
    g_c.publish = capture;
    if (ms_p256_keygen(&g_c.cmd_key, &g_c.cmd_pub) != MS_OK ||
        ms_ingest_new(&g_c, 8, &g_in) != MS_OK) {
        return -1;
    }
    add_meter(&m1, "in-1");
    add_meter(&m2, "in-2");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ms_ingest_free(g_in);
    g_c.db.ops = g_real;
    ms_db_close(&g_c.db);
    return 0;
}

static int before_each(void **state)
{
    (void)state;
    g_npub = 0;
    g_fail_store = false;
    return 0;
}

/* ---- tests -------------------------------------------------------------------------- */

static void acknowledged_only_after_commit(void **state)
{
    (void)state;
    uint64_t seqs[64];
    send_reading(&m1, 1, 100);
    send_reading(&m1, 2, 110);
    assert_int_equal(ms_ingest_pending(g_in), 2);
    assert_int_equal(g_npub, 0);               /* queued, not yet stored: no ack */
    assert_int_equal(stored("in-1"), 0);
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    assert_int_equal(stored("in-1"), 2);
    assert_int_equal(acked("in-1", seqs, 64), 2);
    assert_int_equal(seqs[0], 1);
    assert_int_equal(seqs[1], 2);
}

static void failed_commit_acknowledges_nothing(void **state)
{
    (void)state;
    uint64_t seqs[64];
    send_reading(&m1, 3, 120);
    g_fail_store = true;
    assert_int_equal(ms_ingest_flush(g_in), MS_ERR_CLOUD_DB);
    assert_int_equal(g_npub, 0);
    assert_int_equal(stored("in-1"), 2);
    /* the meter sends it again; now it is stored and acknowledged */
    g_fail_store = false;
    send_reading(&m1, 3, 120);
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    assert_int_equal(acked("in-1", seqs, 64), 1);
    assert_int_equal(seqs[0], 3);
}

static void duplicate_stored_once_and_acknowledged_again(void **state)
{
    (void)state;
    uint64_t seqs[64];
    uint8_t msg[MS_COSE_MSG_MAX];
    size_t n = reading_msg(&m1, "in-1", 4, 130, msg);
    send(&m1, "reading", msg, n);
    send(&m1, "reading", msg, n);   /* same (meter, seq) in one batch: flushed in between */
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    send(&m1, "reading", msg, n);   /* and once more, later */
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    assert_int_equal(stored("in-1"), 4);
    assert_int_equal(acked("in-1", seqs, 64), 3);
    const ms_ingest_stats_t *st = ms_ingest_stats(g_in);
    assert_true(st->duplicates >= 2);
}

static void different_payload_under_stored_seq_is_a_replay(void **state)
{
    (void)state;
    uint64_t seqs[64];
    send_reading(&m1, 4, 999);   /* seq 4 is stored with energy 130 */
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    assert_int_equal(acked("in-1", seqs, 64), 0);
    assert_int_equal(stored("in-1"), 4);
}

typedef struct kind_count {
    const char *kind;
    int n;
} kind_count_t;

static ms_err_t count_kind(void *ctx, const ms_event_rec_t *e)
{
    kind_count_t *k = ctx;
    k->n += strcmp(e->kind, k->kind) == 0;
    return MS_OK;
}

/* How many of the meter's (last 100) events are of that kind. */
static int events_of(const char *meter_id, const char *kind)
{
    kind_count_t k = { kind, 0 };
    assert_int_equal(g_c.db.ops->events_list(g_c.db.s, meter_id, 100, count_kind, &k), MS_OK);
    return k.n;
}

static void older_than_the_window_is_refused(void **state)
{
    (void)state;
    uint64_t seqs[64];
    send_reading(&m2, 20000, 1);
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    send_reading(&m2, 20000 - MS_INGEST_REPLAY_WINDOW, 2);       /* at the edge: accepted */
    send_reading(&m2, 20000 - MS_INGEST_REPLAY_WINDOW - 1, 3);   /* beyond: refused */
    send_reading(&m2, 15000, 4);                                 /* reordered, in window: ok */
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    assert_int_equal(stored("in-2"), 3);
    assert_int_equal(acked("in-2", seqs, 64), 3);
    assert_int_equal(events_of("in-2", "replay"), 1);
    assert_int_equal(events_of("in-1", "replay"), 1);   /* the conflicting seq 4 of the test before */
}

/* The same old message sent again and again is one event, not a row each. */
static void a_replay_sent_again_adds_no_event(void **state)
{
    (void)state;
    uint64_t before = ms_ingest_stats(g_in)->rejected;
    for (int i = 0; i < 20; i++) {
        send_reading(&m2, 20000 - MS_INGEST_REPLAY_WINDOW - 1, 3);   /* refused above */
        send_reading(&m1, 4, 999);                                   /* the conflict above */
        assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    }
    assert_int_equal(ms_ingest_stats(g_in)->rejected - before, 40);
    assert_int_equal(events_of("in-2", "replay"), 1);
    assert_int_equal(events_of("in-1", "replay"), 1);
    /* another old seq is another fact */
    send_reading(&m2, 20000 - MS_INGEST_REPLAY_WINDOW - 2, 3);
    assert_int_equal(events_of("in-2", "replay"), 2);
}

static void send_result(const meter_t *m, uint64_t seq, uint64_t cmd_seq, uint64_t status)
{
    ms_msg_result_t r = { .seq = seq, .cmd_seq = cmd_seq, .status = status,
                          .balance_milli = (int64_t)(1000 * cmd_seq + status) };
    snprintf(r.meter_id, sizeof r.meter_id, "%s", m->id);
    uint8_t p[MS_COSE_MSG_MAX], msg[MS_COSE_MSG_MAX];
    size_t plen = 0, n = 0;
    assert_int_equal(ms_msg_result_encode(&r, p, sizeof p, &plen), MS_OK);
    assert_int_equal(ms_cose_sign(&m->key, &m->pub, p, plen, msg, sizeof msg, &n), MS_OK);
    send(m, "result", msg, n);
}

static uint64_t verdict(const char *id, uint64_t cmd_seq)
{
    ms_command_rec_t c;
    assert_int_equal(g_c.db.ops->command_get(g_c.db.s, id, cmd_seq, &c), MS_OK);
    assert_true(c.has_result);
    assert_int_equal(c.result_balance, (int64_t)(1000 * cmd_seq + c.result_status));
    return c.result_status;
}

/* A command's first verdict stays: the meter's "replay" answer to a
 * redelivered command, or an old result sent again, never overwrites it;
 * only a verdict that settles nothing (replay, storage error) gives way. */
static void a_command_verdict_stays(void **state)
{
    (void)state;
    ms_command_rec_t c = { .meter_id = "in-2", .type = MS_CMD_TOPUP,
                           .args_json = "{\"amount_milli\":5}", .created_by = "op" };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g_c.db.ops->command_add(g_c.db.s, &c), MS_OK);
    }
    uint64_t first = c.cmd_seq - 2;
    send_result(&m2, 1, first, 0);                      /* applied */
    send_result(&m2, 2, first, MS_RESULT_REPLAY);       /* the command delivered again */
    assert_int_equal(verdict("in-2", first), 0);
    send_result(&m2, 3, first, 4);                      /* any other answer later */
    send_result(&m2, 1, first, 0);                      /* the first result again */
    assert_int_equal(verdict("in-2", first), 0);
    send_result(&m2, 4, first + 1, MS_RESULT_REPLAY);   /* settles nothing ... */
    assert_int_equal(verdict("in-2", first + 1), MS_RESULT_REPLAY);
    send_result(&m2, 5, first + 1, 0);                  /* ... so the verdict replaces it */
    send_result(&m2, 6, first + 1, MS_RESULT_REPLAY);
    assert_int_equal(verdict("in-2", first + 1), 0);
    send_result(&m2, 7, first + 2, MS_RESULT_STORAGE);
    send_result(&m2, 8, first + 2, MS_RESULT_REPLAY);
    assert_int_equal(verdict("in-2", first + 2), MS_RESULT_STORAGE);
    send_result(&m2, 9, first + 2, 4);
    assert_int_equal(verdict("in-2", first + 2), 4);
    /* one event per verdict recorded: 1 + 2 + 2 */
    assert_int_equal(events_of("in-2", "command-result"), 5);
    /* a result for a command never sent is refused */
    uint64_t before = ms_ingest_stats(g_in)->rejected;
    send_result(&m2, 10, first + 3, 0);
    assert_int_equal(ms_ingest_stats(g_in)->rejected - before, 1);
}

/* A meter whose certificate the manufacturer CA revokes is refused from the
 * next message on, though the broker kept its session open. */
static void a_revoked_meter_is_refused(void **state)
{
    (void)state;
    ctu_ca_t ca;
    meter_t m3;
    char *pem = NULL;
    size_t len = 0;
    int64_t t = (int64_t)time(NULL);
    assert_int_equal(ctu_ca_make(&ca, "Manufacturer CA"), MS_OK);
    snprintf(m3.id, sizeof m3.id, "in-3");
    assert_int_equal(ctu_meter_cert(&ca, m3.id, t - 60, t + 86400, &m3.key, &m3.pub, &pem, &len),
                     MS_OK);
    ms_meter_rec_t *r = calloc(1, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", m3.id);
    r->pub = m3.pub;
    r->iak_pub = m3.pub;
    assert_int_equal(ms_cose_kid_of(&m3.pub, r->kid), MS_OK);
    assert_true(len < sizeof r->cert_pem);
    memcpy(r->cert_pem, pem, len + 1);
    assert_int_equal(g_c.db.ops->meter_add(g_c.db.s, r), MS_OK);
    send_reading(&m3, 1, 10);
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    assert_int_equal(stored("in-3"), 1);
    /* revoked: a CRL of the manufacturer CA naming its serial */
    ms_x509_info_t info;
    assert_int_equal(ms_x509_info(pem, len, &info), MS_OK);
    ms_x509_revoked_t rev = { .revoked_at = t };
    memcpy(rev.serial_hex, info.serial_hex, sizeof rev.serial_hex);
    char *crl_pem = NULL;
    size_t crl_len = 0;
    ms_x509_crl_t crl = {0};
    assert_int_equal(ms_x509_make_crl(ca.cert_pem, ca.cert_len, &ca.key, &rev, 1, 1, t,
                                      t + 86400, &crl_pem, &crl_len), MS_OK);
    assert_int_equal(ms_x509_crl_read(ca.cert_pem, ca.cert_len, crl_pem, crl_len, t, &crl), MS_OK);
    g_c.mfr_crl = &crl;
    uint64_t before = ms_ingest_stats(g_in)->rejected;
    send_reading(&m3, 2, 11);
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    assert_int_equal(ms_ingest_stats(g_in)->rejected - before, 1);
    assert_int_equal(stored("in-3"), 1);
    /* with a CRL loaded, a meter whose certificate cannot be read (these
     * tests' "test") cannot be cleared either */
    send_reading(&m1, 1, 100);
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    g_c.mfr_crl = NULL;
    assert_int_equal(ms_ingest_stats(g_in)->rejected - before, 2);
    ms_x509_crl_free(&crl);
    free(crl_pem);
    free(pem);
    free(r);
    ctu_ca_free(&ca);
}

static void modified_or_misaddressed_is_refused(void **state)
{
    (void)state;
    uint64_t seqs[64];
    uint8_t msg[MS_COSE_MSG_MAX];
    uint64_t before = ms_ingest_stats(g_in)->rejected;
    /* a payload bit flipped after signing */
    size_t n = reading_msg(&m1, "in-1", 50, 1, msg);
    msg[n - 64 - 3] ^= 1;
    send(&m1, "reading", msg, n);
    /* m1's reading published on m2's topic (the broker's ACL stops this; the cloud too) */
    n = reading_msg(&m1, "in-1", 51, 1, msg);
    send(&m2, "reading", msg, n);
    /* signed by m1 but naming m2 in the payload, on m2's topic: kid/signature differ */
    n = reading_msg(&m1, "in-2", 52, 1, msg);
    send(&m2, "reading", msg, n);
    /* signed by m2, naming in-1, on m2's topic: the payload's meter id is not the topic's */
    n = reading_msg(&m2, "in-1", 53, 1, msg);
    send(&m2, "reading", msg, n);
    /* an unregistered meter, a bad topic, garbage, an oversized message */
    meter_t ghost;
    snprintf(ghost.id, sizeof ghost.id, "ghost-1");
    ms_p256_keygen(&ghost.key, &ghost.pub);
    n = reading_msg(&ghost, "ghost-1", 1, 1, msg);
    send(&ghost, "reading", msg, n);
    const char *bad = "ms/v1/in-1/down/ack";
    assert_int_equal(ms_ingest_message(g_in, bad, strlen(bad), msg, n), MS_OK);
    const char *t = "ms/v1/in-1/up/reading";
    assert_int_equal(ms_ingest_message(g_in, t, strlen(t), (const uint8_t *)"\xd2\x84", 2), MS_OK);
    uint8_t big[MS_COSE_MSG_MAX + 1];
    memset(big, 0xd2, sizeof big);
    assert_int_equal(ms_ingest_message(g_in, t, strlen(t), big, sizeof big), MS_OK);
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    assert_int_equal(ms_ingest_stats(g_in)->rejected - before, 8);
    assert_int_equal(acked("in-1", seqs, 64), 0);
    assert_int_equal(acked("in-2", seqs, 64), 0);
    assert_int_equal(stored("in-1"), 4);
}

static void events_stored_once(void **state)
{
    (void)state;
    ms_msg_event_t e = { .meter_id = "in-1", .seq = 1, .time = 5, .kind = "tamper",
                         .detail = "cover opened" };
    uint8_t p[MS_COSE_MSG_MAX], msg[MS_COSE_MSG_MAX];
    size_t plen = 0, n = 0;
    assert_int_equal(ms_msg_event_encode(&e, p, sizeof p, &plen), MS_OK);
    assert_int_equal(ms_cose_sign(&m1.key, &m1.pub, p, plen, msg, sizeof msg, &n), MS_OK);
    uint64_t before = ms_ingest_stats(g_in)->events;
    send(&m1, "event", msg, n);
    send(&m1, "event", msg, n);
    assert_int_equal(ms_ingest_stats(g_in)->events - before, 1);
}

static void batch_of_many_meters_grouped_acks(void **state)
{
    (void)state;
    uint64_t seqs[64];
    /* more readings than the batch holds: full batches flush by themselves */
    for (uint64_t s = 100; s < 120; s++) {
        send_reading(&m1, s, s);
        send_reading(&m2, 20000 + s, s);
    }
    assert_int_equal(ms_ingest_flush(g_in), MS_OK);
    assert_int_equal(acked("in-1", seqs, 64), 20);
    assert_int_equal(acked("in-2", seqs, 64), 20);
    assert_int_equal(stored("in-1"), 24);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DBSPEC\n", argv[0]);
        return 2;
    }
    g_spec = argv[1];
    ctu_fresh_db(g_spec);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(acknowledged_only_after_commit, before_each),
        cmocka_unit_test_setup(failed_commit_acknowledges_nothing, before_each),
        cmocka_unit_test_setup(duplicate_stored_once_and_acknowledged_again, before_each),
        cmocka_unit_test_setup(different_payload_under_stored_seq_is_a_replay, before_each),
        cmocka_unit_test_setup(older_than_the_window_is_refused, before_each),
        cmocka_unit_test_setup(a_replay_sent_again_adds_no_event, before_each),
        cmocka_unit_test_setup(a_command_verdict_stays, before_each),
        cmocka_unit_test_setup(a_revoked_meter_is_refused, before_each),
        cmocka_unit_test_setup(modified_or_misaddressed_is_refused, before_each),
        cmocka_unit_test_setup(events_stored_once, before_each),
        cmocka_unit_test_setup(batch_of_many_meters_grouped_acks, before_each),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
