/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_link_client.c - the Non-secure cloud client (link_client.h) against
 * a scripted broker, with a stand-in for the TEE whose "TLS" passes bytes
 * through (the real TLS is tested against OpenSSL and Mosquitto elsewhere):
 * the MQTT sequence, publishing and resending readings until the cloud's
 * acknowledgement, commands answered with results before the PUBACK,
 * keep-alive, and every way a broker can end the session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/link_client.h"
#include "meterseal/link_mqtt.h"

/* ---- the stand-in TEE: "TLS" is the identity, readings are "R<seq>" --------------- */

typedef struct fake_tee {
    bool open;
    uint64_t next_seq;
    uint64_t queue[64];
    size_t n;
    size_t acks, commands;
    bool fail_open;
    bool with_handshake;   /* connections open only once an 'S' came ('C': cert checked) */
    bool in_handshake, hello_sent, cert_checked;
} fake_tee_t;

static ms_err_t f_open(void *ctx, unsigned versions)
{
    fake_tee_t *t = ctx;
    (void)versions;
    t->open = !t->fail_open;
    t->in_handshake = t->with_handshake;
    t->hello_sent = t->cert_checked = false;
    return t->fail_open ? MS_ERR_LINK_NOT_PROVISIONED : MS_OK;
}

/* The handshake: an 'H' out; every byte in is taken, and stray ones are
 * held as TLS holds a cut-off record. A 'C' is the server's certificate
 * checked (the handshake goes on); an 'S' opens the session (resumed when
 * no 'C' came). */
static void f_handshake(fake_tee_t *t, ms_tee_link_pump_t *p)
{
    p->info.state = MS_TLS_HANDSHAKE;
    if (!t->hello_sent && p->net_out_cap != 0) {
        p->net_out[0] = 'H';
        p->net_out_len = 1;
        t->hello_sent = true;
    }
    for (size_t i = 0; i < p->net_in_len; i++) {
        p->net_in_taken = i + 1;
        t->cert_checked |= p->net_in[i] == 'C';
        if (p->net_in[i] == 'S') {
            t->in_handshake = false;
            p->info.state = MS_TLS_OPEN;
            break;
        }
    }
    p->info.peer_verifies = t->cert_checked ? 1 : 0;
}

static ms_err_t f_pump(void *ctx, ms_tee_link_pump_t *p)
{
    fake_tee_t *t = ctx;
    memset(&p->info, 0, sizeof p->info);
    p->net_in_taken = p->plain_out_taken = p->net_out_len = p->plain_in_len = 0;
    if (t->open && t->in_handshake) {
        f_handshake(t, p);
        return MS_OK;
    }
    p->info.state = t->open ? MS_TLS_OPEN : MS_TLS_CLOSED;
    p->info.version = 13;
    size_t a = p->net_in_len < p->plain_in_cap ? p->net_in_len : p->plain_in_cap;
    memcpy(p->plain_in, p->net_in, a);
    p->net_in_taken = p->plain_in_len = a;
    size_t b = p->plain_out_len < p->net_out_cap ? p->plain_out_len : p->net_out_cap;
    memcpy(p->net_out, p->plain_out, b);
    p->plain_out_taken = p->net_out_len = b;
    return t->open ? MS_OK : MS_ERR_TLS_CLOSED;
}

static ms_err_t f_close(void *ctx)
{
    ((fake_tee_t *)ctx)->open = false;
    return MS_OK;
}

static size_t fake_msg(uint64_t seq, uint8_t *msg)
{
    return (size_t)sprintf((char *)msg, "R%llu", (unsigned long long)seq);
}

static ms_err_t f_reading(void *ctx, uint64_t time, uint8_t *msg, size_t cap, size_t *len,
                          uint64_t *seq)
{
    fake_tee_t *t = ctx;
    (void)time;
    (void)cap;
    *seq = ++t->next_seq;
    t->queue[t->n++] = *seq;
    *len = fake_msg(*seq, msg);
    return MS_OK;
}

static ms_err_t f_pending(void *ctx, size_t i, uint8_t *msg, size_t cap, size_t *len,
                          uint64_t *seq)
{
    fake_tee_t *t = ctx;
    (void)cap;
    if (i >= t->n) {
        return MS_ERR_NOT_FOUND;
    }
    *seq = t->queue[i];
    *len = fake_msg(*seq, msg);
    return MS_OK;
}

/* An "ack" is "A<seq>"; anything else is a forgery. */
static ms_err_t f_ack(void *ctx, const uint8_t *msg, size_t len, size_t *removed)
{
    fake_tee_t *t = ctx;
    char s[32] = "";
    *removed = 0;
    if (len < 2 || len >= sizeof s || msg[0] != 'A') {
        return MS_ERR_SIGNATURE;
    }
    memcpy(s, msg + 1, len - 1);
    unsigned long long seq = strtoull(s, NULL, 10);
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->queue[i] != seq) {
            t->queue[k++] = t->queue[i];
        }
    }
    *removed = t->n - k;
    t->n = k;
    t->acks++;
    return MS_OK;
}

static ms_err_t f_command(void *ctx, const uint8_t *msg, size_t len, uint8_t *res, size_t cap,
                          size_t *res_len, uint32_t *status)
{
    fake_tee_t *t = ctx;
    (void)cap;
    t->commands++;
    *status = len > 0 && msg[0] == 'C' ? MS_LINK_ST_APPLIED : MS_LINK_ST_BAD_SIG;
    *res_len = (size_t)sprintf((char *)res, "RESULT%u", *status);
    return MS_OK;
}

static ms_err_t f_queued(void *ctx, uint32_t *n)
{
    *n = (uint32_t)((fake_tee_t *)ctx)->n;
    return MS_OK;
}

static const ms_link_secure_t fake_secure = { f_open, f_pump, f_close, f_reading,
                                              f_pending, f_ack, f_command, f_queued };

/* ---- the UART: two byte queues ---------------------------------------------------- */

typedef struct wire {
    uint8_t to_broker[65536], to_meter[65536];
    size_t nb, nm;
    bool down;
    bool stalled;        /* the modem takes nothing for now */
} wire_t;

static ms_err_t w_write(void *ctx, const uint8_t *buf, size_t len, size_t *written)
{
    wire_t *w = ctx;
    if (w->down) {
        return MS_ERR_IO;
    }
    if (w->stalled) {
        *written = 0;
        return MS_OK;
    }
    memcpy(w->to_broker + w->nb, buf, len);
    w->nb += len;
    *written = len;
    return MS_OK;
}

static ms_err_t w_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
    wire_t *w = ctx;
    if (w->down) {
        return MS_ERR_IO;
    }
    size_t n = w->nm < cap ? w->nm : cap;
    memcpy(buf, w->to_meter, n);
    memmove(w->to_meter, w->to_meter + n, w->nm - n);
    w->nm -= n;
    *got = n;
    return MS_OK;
}

static const ms_link_transport_t wire_ops = { w_write, w_read };

/* ---- the scripted broker ---------------------------------------------------------- */

typedef struct pkt {
    uint8_t type, flags;
    char topic[128];
    uint16_t id;
    uint8_t body[600];
    size_t body_len;
} pkt_t;

/* Next client packet from the wire (a tiny parser of client packets). */
static bool next_pkt(wire_t *w, pkt_t *p)
{
    if (w->nb < 2) {
        return false;
    }
    size_t rem = 0, at = 1;
    for (unsigned sh = 0;; sh += 7) {
        uint8_t b = w->to_broker[at++];
        rem |= (size_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) {
            break;
        }
    }
    assert_true(at + rem <= w->nb);   /* the client writes whole packets */
    memset(p, 0, sizeof *p);
    p->type = w->to_broker[0] >> 4;
    p->flags = w->to_broker[0] & 15;
    const uint8_t *b = w->to_broker + at;
    if (p->type == MS_MQTT_PUBLISH) {
        size_t tl = (size_t)(b[0] << 8 | b[1]);
        memcpy(p->topic, b + 2, tl);
        size_t k = 2 + tl;
        if (p->flags & 6) {
            p->id = (uint16_t)(b[k] << 8 | b[k + 1]);
            k += 2;
        }
        p->body_len = rem - k;
        memcpy(p->body, b + k, p->body_len);
    } else if (p->type == MS_MQTT_SUBSCRIBE || p->type == MS_MQTT_PUBACK) {
        p->id = (uint16_t)(b[0] << 8 | b[1]);
        if (p->type == MS_MQTT_SUBSCRIBE) {
            size_t tl = (size_t)(b[2] << 8 | b[3]);
            memcpy(p->topic, b + 4, tl);
        }
    } else {
        p->body_len = rem;
        memcpy(p->body, b, rem);
    }
    memmove(w->to_broker, w->to_broker + at + rem, w->nb - at - rem);
    w->nb -= at + rem;
    return true;
}

static void to_meter(wire_t *w, const void *b, size_t n)
{
    memcpy(w->to_meter + w->nm, b, n);
    w->nm += n;
}

static void broker_publish(wire_t *w, const char *topic, uint16_t id, const char *payload)
{
    uint8_t b[512];
    size_t n = 0;
    assert_int_equal(ms_mqtt_publish(b, sizeof b, topic, 1, false, id, (const uint8_t *)payload,
                                     strlen(payload), &n), MS_OK);
    to_meter(w, b, n);
}

static fake_tee_t g_tee;
static wire_t g_w;
static ms_link_client_t g_c;
static uint64_t g_now;

static int setup(void **state)
{
    (void)state;
    memset(&g_tee, 0, sizeof g_tee);
    memset(&g_w, 0, sizeof g_w);
    ms_link_client_config_t cfg;
    ms_link_client_defaults(&cfg, "m-1");
    cfg.reading_interval_ms = 0;
    g_now = 1000;
    return ms_link_client_init(&g_c, &cfg, &fake_secure, &g_tee, &wire_ops, &g_w) == MS_OK ? 0
                                                                                          : -1;
}

static ms_err_t step(uint64_t advance_ms)
{
    g_now += advance_ms;
    return ms_link_client_step(&g_c, g_now, 1700000000 + g_now / 1000);
}

/* CONNECT -> CONNACK, SUBSCRIBE -> SUBACK: the client is ONLINE. */
static void bring_online(void)
{
    pkt_t p;
    assert_int_equal(ms_link_client_connect(&g_c, g_now), MS_OK);
    assert_int_equal(step(1), MS_OK);
    assert_true(next_pkt(&g_w, &p));
    assert_int_equal(p.type, MS_MQTT_CONNECT);
    /* protocol MQTT 3.1.1, clean session off, keep-alive 60, client id m-1 */
    assert_memory_equal(p.body, "\x00\x04MQTT\x04\x00\x00\x3c\x00\x03m-1", 15);
    to_meter(&g_w, "\x20\x02\x00\x00", 4);
    assert_int_equal(step(1), MS_OK);
    assert_true(next_pkt(&g_w, &p));
    assert_int_equal(p.type, MS_MQTT_SUBSCRIBE);
    assert_string_equal(p.topic, "ms/v1/m-1/down/#");
    uint8_t suback[5] = { 0x90, 3, (uint8_t)(p.id >> 8), (uint8_t)p.id, 1 };
    to_meter(&g_w, suback, 5);
    assert_int_equal(step(1), MS_OK);
    assert_int_equal(g_c.state, MS_LINK_ONLINE);
}

/* Collect the readings published since the last call ("R1,R2"). */
static void published(char *out, size_t cap)
{
    pkt_t p;
    out[0] = '\0';
    while (next_pkt(&g_w, &p)) {
        if (p.type == MS_MQTT_PUBLISH && strcmp(p.topic, "ms/v1/m-1/up/reading") == 0) {
            assert_int_equal(p.flags & 6, 2);   /* QoS 1 */
            snprintf(out + strlen(out), cap - strlen(out), "%s%.*s", out[0] ? "," : "",
                     (int)p.body_len, (const char *)p.body);
        }
    }
}

static void test_connects_subscribes_and_publishes_readings(void **state)
{
    (void)state;
    char pub[256];
    bring_online();
    ms_link_client_read_now(&g_c);
    assert_int_equal(step(10), MS_OK);
    published(pub, sizeof pub);
    assert_string_equal(pub, "R1");
    /* the cloud's acknowledgement empties the queue, and is PUBACKed */
    broker_publish(&g_w, "ms/v1/m-1/down/ack", 9, "A1");
    assert_int_equal(step(10), MS_OK);
    assert_int_equal(g_tee.n, 0);
    pkt_t p;
    assert_true(next_pkt(&g_w, &p));
    assert_int_equal(p.type, MS_MQTT_PUBACK);
    assert_int_equal(p.id, 9);
}

static void test_unacknowledged_readings_are_resent_after_30_s(void **state)
{
    (void)state;
    char pub[256];
    bring_online();
    ms_link_client_read_now(&g_c);
    assert_int_equal(step(10), MS_OK);
    ms_link_client_read_now(&g_c);
    assert_int_equal(step(10), MS_OK);
    published(pub, sizeof pub);
    assert_string_equal(pub, "R1,R2");
    /* a forged acknowledgement removes nothing */
    broker_publish(&g_w, "ms/v1/m-1/down/ack", 3, "X1");
    assert_int_equal(step(1000), MS_OK);
    assert_int_equal(g_tee.n, 2);
    assert_int_equal(step(20000), MS_OK);
    published(pub, sizeof pub);
    assert_string_equal(pub, "");                  /* not yet */
    assert_int_equal(step(10000), MS_OK);
    published(pub, sizeof pub);
    assert_string_equal(pub, "R1,R2");             /* 30 s without an ack: oldest first */
    assert_int_equal(g_c.stats.resent, 2);
}

static void test_after_a_reconnect_everything_queued_goes_again(void **state)
{
    (void)state;
    char pub[256];
    bring_online();
    ms_link_client_read_now(&g_c);
    assert_int_equal(step(10), MS_OK);
    published(pub, sizeof pub);
    /* the modem drops the line */
    g_w.down = true;
    assert_int_equal(step(10), MS_ERR_IO);
    assert_int_equal(g_c.state, MS_LINK_OFFLINE);
    /* readings go on while offline: into the queue */
    ms_link_client_read_now(&g_c);
    assert_int_equal(step(10), MS_OK);
    assert_int_equal(g_tee.n, 2);
    memset(&g_w, 0, sizeof g_w);
    bring_online();
    assert_int_equal(step(1), MS_OK);
    published(pub, sizeof pub);
    assert_string_equal(pub, "R1,R2");
}

static void test_commands_are_answered_before_they_are_acknowledged(void **state)
{
    (void)state;
    bring_online();
    broker_publish(&g_w, "ms/v1/m-1/down/cmd", 21, "Ctopup");
    broker_publish(&g_w, "ms/v1/m-1/down/cmd", 22, "forged");
    assert_int_equal(step(10), MS_OK);
    assert_int_equal(g_tee.commands, 2);
    pkt_t p;
    const char *want[4] = { "RESULT0", "", "RESULT1", "" };
    uint8_t types[4] = { MS_MQTT_PUBLISH, MS_MQTT_PUBACK, MS_MQTT_PUBLISH, MS_MQTT_PUBACK };
    uint16_t ids[4] = { 0, 21, 0, 22 };
    for (int i = 0; i < 4; i++) {
        assert_true(next_pkt(&g_w, &p));
        assert_int_equal(p.type, types[i]);
        if (types[i] == MS_MQTT_PUBLISH) {
            assert_string_equal(p.topic, "ms/v1/m-1/up/result");
            assert_int_equal(p.body_len, strlen(want[i]));
            assert_memory_equal(p.body, want[i], p.body_len);
        } else {
            assert_int_equal(p.id, ids[i]);
        }
    }
    assert_int_equal(g_c.stats.commands_applied, 1);
    /* messages on other topics are acknowledged and ignored */
    broker_publish(&g_w, "ms/v1/m-1/down/other", 23, "x");
    assert_int_equal(step(10), MS_OK);
    assert_true(next_pkt(&g_w, &p));
    assert_int_equal(p.type, MS_MQTT_PUBACK);
    assert_int_equal(g_tee.commands, 2);
}

/* What the platform's handler saw, and what it answers (the update agent's
 * chunk request). */
static struct {
    int calls;
    char tail[32];
    char payload[64];
} g_seen;

static void on_other(void *ctx, const char *tail, size_t tail_len, const uint8_t *payload,
                     size_t len, uint64_t now_ms)
{
    ms_link_client_t *c = ctx;
    g_seen.calls++;
    snprintf(g_seen.tail, sizeof g_seen.tail, "%.*s", (int)tail_len, tail);
    snprintf(g_seen.payload, sizeof g_seen.payload, "%.*s", (int)len, (const char *)payload);
    assert_int_equal(ms_link_client_publish(c, "upd-req", (const uint8_t *)"next", 4, now_ms),
                     MS_OK);
}

static void test_update_messages_reach_the_platform_and_it_can_answer(void **state)
{
    (void)state;
    memset(&g_seen, 0, sizeof g_seen);
    /* offline: nothing can be published */
    assert_int_equal(ms_link_client_publish(&g_c, "upd-req", (const uint8_t *)"x", 1, g_now),
                     MS_ERR_STATE);
    bring_online();
    /* without a handler: acknowledged and dropped, as before */
    broker_publish(&g_w, "ms/v1/m-1/down/upd-chunk", 30, "chunk0");
    assert_int_equal(step(10), MS_OK);
    pkt_t p;
    assert_true(next_pkt(&g_w, &p));
    assert_int_equal(p.type, MS_MQTT_PUBACK);
    assert_false(next_pkt(&g_w, &p));
    ms_link_client_set_handler(&g_c, on_other, &g_c);
    broker_publish(&g_w, "ms/v1/m-1/down/upd-chunk", 31, "chunk1");
    assert_int_equal(step(10), MS_OK);
    assert_int_equal(g_seen.calls, 1);
    assert_string_equal(g_seen.tail, "upd-chunk");
    assert_string_equal(g_seen.payload, "chunk1");
    /* the answer goes out before the PUBACK (a crash in between: the broker
     * delivers the chunk again) */
    assert_true(next_pkt(&g_w, &p));
    assert_int_equal(p.type, MS_MQTT_PUBLISH);
    assert_string_equal(p.topic, "ms/v1/m-1/up/upd-req");
    assert_int_equal(p.flags & 6, 2);
    assert_memory_equal(p.body, "next", 4);
    assert_true(next_pkt(&g_w, &p));
    assert_int_equal(p.type, MS_MQTT_PUBACK);
    assert_int_equal(p.id, 31);
    /* acknowledgements and commands are still the client's own */
    broker_publish(&g_w, "ms/v1/m-1/down/cmd", 32, "Ctopup");
    assert_int_equal(step(10), MS_OK);
    assert_int_equal(g_seen.calls, 1);
    assert_int_equal(g_tee.commands, 1);
    /* tails: empty, too long, missing */
    assert_int_equal(ms_link_client_publish(&g_c, "", (const uint8_t *)"x", 1, g_now), MS_ERR_ARG);
    assert_int_equal(ms_link_client_publish(&g_c, "upd-status1", (const uint8_t *)"x", 1, g_now),
                     MS_ERR_ARG);
    assert_int_equal(ms_link_client_publish(&g_c, NULL, (const uint8_t *)"x", 1, g_now),
                     MS_ERR_ARG);
    uint8_t big[MS_LINK_MSG_MAX + 1] = { 0 };
    assert_int_equal(ms_link_client_publish(&g_c, "upd-status", big, sizeof big, g_now),
                     MS_ERR_ARG);
    assert_int_equal(ms_link_client_publish(&g_c, "upd-status", big, MS_LINK_MSG_MAX, g_now),
                     MS_OK);
}

static void test_keepalive_pings_and_a_silent_broker_ends_the_session(void **state)
{
    (void)state;
    pkt_t p;
    bring_online();
    assert_int_equal(step(30000), MS_OK);
    assert_true(next_pkt(&g_w, &p));
    assert_int_equal(p.type, MS_MQTT_PINGREQ);
    to_meter(&g_w, "\xd0\x00", 2);
    assert_int_equal(step(10), MS_OK);
    assert_false(g_c.ping_out);
    assert_int_equal(step(30000), MS_OK);
    assert_true(next_pkt(&g_w, &p));
    assert_int_equal(p.type, MS_MQTT_PINGREQ);
    /* no PINGRESP within the keep-alive: the session is over */
    assert_int_equal(step(30000), MS_OK);
    assert_int_equal(step(31000), MS_ERR_TLS_CLOSED);
    assert_int_equal(g_c.state, MS_LINK_OFFLINE);
}

static void test_broker_refusals_end_the_session(void **state)
{
    (void)state;
    pkt_t p;
    /* CONNACK "not authorised" */
    assert_int_equal(ms_link_client_connect(&g_c, g_now), MS_OK);
    assert_int_equal(step(1), MS_OK);
    assert_true(next_pkt(&g_w, &p));
    to_meter(&g_w, "\x20\x02\x00\x05", 4);
    assert_int_equal(step(1), MS_ERR_MQTT_REFUSED);
    assert_int_equal(g_c.state, MS_LINK_OFFLINE);
    /* SUBACK failure (the broker's ACL) */
    memset(&g_w, 0, sizeof g_w);
    assert_int_equal(ms_link_client_connect(&g_c, g_now), MS_OK);
    assert_int_equal(step(1), MS_OK);
    assert_true(next_pkt(&g_w, &p));
    to_meter(&g_w, "\x20\x02\x00\x00", 4);
    assert_int_equal(step(1), MS_OK);
    assert_true(next_pkt(&g_w, &p));
    uint8_t fail[5] = { 0x90, 3, (uint8_t)(p.id >> 8), (uint8_t)p.id, 0x80 };
    to_meter(&g_w, fail, 5);
    assert_int_equal(step(1), MS_ERR_MQTT_REFUSED);
    /* garbage from the broker */
    memset(&g_w, 0, sizeof g_w);
    bring_online();
    to_meter(&g_w, "\x10\x00", 2);   /* a CONNECT, from a broker */
    assert_int_equal(step(1), MS_ERR_FORMAT);
    /* no answer at all (TLS opens at once here): the connect time-out */
    memset(&g_w, 0, sizeof g_w);
    assert_int_equal(ms_link_client_connect(&g_c, g_now), MS_OK);
    assert_int_equal(step(1), MS_OK);
    assert_int_equal(step(29000), MS_OK);
    assert_int_equal(step(2000), MS_ERR_TLS_HANDSHAKE);
    /* the TEE not provisioned */
    g_tee.fail_open = true;
    assert_int_equal(ms_link_client_connect(&g_c, g_now), MS_ERR_LINK_NOT_PROVISIONED);
}

/* A fresh connection, its "ClientHello" out. */
static void start_connection(void)
{
    memset(&g_w, 0, sizeof g_w);
    assert_int_equal(ms_link_client_connect(&g_c, g_now), MS_OK);
    assert_int_equal(step(1), MS_OK);
}

/* The handshake still waiting after ms - 1 s, over half a second later. */
static void ends_after(uint64_t ms)
{
    assert_int_equal(step(ms - 1000), MS_OK);
    assert_int_equal(g_c.state, MS_LINK_TLS);
    assert_int_equal(step(1500), MS_ERR_TLS_HANDSHAKE);
    assert_int_equal(g_c.state, MS_LINK_OFFLINE);
}

/* The server's answer ("C": its certificate checked; "S": the session open)
 * `after` ms into the handshake step. */
static void answer(uint64_t after, const char *what)
{
    assert_int_equal(step(after), MS_OK);
    to_meter(&g_w, what, strlen(what));
    assert_int_equal(step(1), MS_OK);
}

/* A handshake whose TLS layer has not had the server's answer within the
 * answer time-out starts again (a ClientHello the modem swallowed, stray
 * bytes of the connection before a reboot); the wait doubles after each
 * attempt it ended, up to the connect time-out, and is back to 10 s once a
 * server answered. */
static void test_a_handshake_without_an_answer_starts_again(void **state)
{
    (void)state;
    g_tee.with_handshake = true;
    start_connection();
    assert_int_equal(g_w.nb, 1);   /* the "ClientHello" */
    assert_int_equal(ms_link_client_next_ms(&g_c), g_now - 1 + 10000 + 1);
    ends_after(10000);
    /* the cut-off last record of an earlier connection is not an answer */
    start_connection();
    to_meter(&g_w, "\x17\x03\x03\x00\x15\x01\x02", 7);
    ends_after(20000);
    start_connection();
    ends_after(30000);   /* 40 s, capped at the connect time-out */
    /* a slow line: the certificate checked at 25 s, the session open at 29 s */
    start_connection();
    answer(25000, "C");
    answer(4000, "S");
    assert_int_equal(g_c.state, MS_LINK_CONNECTING);
    /* so the wait is 10 s again; a certificate checked at 5 s holds it */
    start_connection();
    answer(5000, "C");
    answer(10000, "S");
    assert_int_equal(g_c.state, MS_LINK_CONNECTING);
    start_connection();
    ends_after(10000);
    /* a resumed session (no certificate) open at 15 s is an answer too;
     * then silence: the connect time-out applies, to each step */
    start_connection();
    answer(15000, "S");
    assert_int_equal(g_c.state, MS_LINK_CONNECTING);   /* no CONNACK follows */
    assert_int_equal(step(29000), MS_OK);
    assert_int_equal(step(2000), MS_ERR_TLS_HANDSHAKE);
    start_connection();
    ends_after(10000);
    /* answer_timeout_ms 0: only the connect time-out */
    g_c.cfg.answer_timeout_ms = 0;
    start_connection();
    ends_after(30000);
}

/* The modem stops taking bytes while the broker sends a burst: the client's
 * buffers fill, it stops reading, and nothing is lost once the line moves. */
static void test_backpressure_loses_nothing(void **state)
{
    (void)state;
    bring_online();
    g_w.stalled = true;
    for (uint16_t id = 1; id <= 2000; id++) {
        broker_publish(&g_w, "ms/v1/m-1/down/other", id, "x");
    }
    for (int i = 0; i < 20; i++) {
        assert_int_equal(step(1), MS_OK);
    }
    assert_true(g_w.nm > 0);        /* the client left bytes on the line: it was full */
    g_w.stalled = false;
    pkt_t p;
    uint16_t next = 1;
    for (int i = 0; i < 2000 && next <= 2000; i++) {
        assert_int_equal(step(1), MS_OK);
        while (next <= 2000 && next_pkt(&g_w, &p)) {
            assert_int_equal(p.type, MS_MQTT_PUBACK);
            assert_int_equal(p.id, next);
            next++;
        }
    }
    assert_int_equal(next, 2001);
    assert_int_equal(g_c.state, MS_LINK_ONLINE);
}

static void test_readings_on_schedule(void **state)
{
    (void)state;
    char pub[256];
    g_c.cfg.reading_interval_ms = 60000;
    bring_online();
    assert_int_equal(step(59000), MS_OK);
    assert_int_equal(g_c.stats.readings, 0);
    assert_true(ms_link_client_next_ms(&g_c) <= g_now + 1000);
    assert_int_equal(step(1100), MS_OK);
    published(pub, sizeof pub);
    assert_string_equal(pub, "R1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup(f, setup)
        T_(test_connects_subscribes_and_publishes_readings),
        T_(test_unacknowledged_readings_are_resent_after_30_s),
        T_(test_after_a_reconnect_everything_queued_goes_again),
        T_(test_commands_are_answered_before_they_are_acknowledged),
        T_(test_update_messages_reach_the_platform_and_it_can_answer),
        T_(test_keepalive_pings_and_a_silent_broker_ends_the_session),
        T_(test_broker_refusals_end_the_session),
        T_(test_a_handshake_without_an_answer_starts_again),
        T_(test_backpressure_loses_nothing),
        T_(test_readings_on_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
