/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evil_ns.c - a compromised Non-secure world on a real meter (its TEE in a
 * device directory, platform/host/meter_host.h), for link.e2e. It owns the
 * MQTT plaintext above the TEE's TLS channel, so it can publish any bytes on
 * the meter's own topics; what it cannot do is sign as the meter. Once
 * online it takes one genuine reading from the TEE and publishes it, waits
 * for the cloud's acknowledgement, then publishes:
 *   replay    the same signed reading again (must be stored once);
 *   modified  the signed reading with one payload byte changed;
 *   forged    a reading of its own making (seq + 1000, energy 999999)
 *             signed with a key it has, under the meter's kid.
 * It prints the genuine reading's seq ("evil: genuine seq=N") and what it
 * published; the script checks what the cloud stored.
 *
 *   evil_ns --dir DEV --uart HOST:PORT
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "meter_host.h"
#include "meterseal/link_client.h"
#include "meterseal/link_mqtt.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static ms_err_t soft_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der, size_t cap,
                          size_t *len)
{
    return ms_p256_sign(ctx, hash, der, cap, len);
}

/* Step the client for up to ms milliseconds or until done() holds. */
static bool run(ms_link_client_t *c, int fd, uint64_t ms, bool (*done)(const ms_link_client_t *))
{
    uint64_t end = now_ms() + ms;
    while (now_ms() < end) {
        if (ms_link_client_step(c, now_ms(), (uint64_t)time(NULL)) != MS_OK) {
            return false;
        }
        if (done != NULL && done(c)) {
            return true;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        (void)poll(&p, 1, 20);
    }
    return done == NULL;
}

static bool online(const ms_link_client_t *c)
{
    return c->state == MS_LINK_ONLINE;
}

static bool one_ack(const ms_link_client_t *c)
{
    return c->stats.acks >= 1;
}

/* The compromised world writes MQTT itself: a PUBLISH into the client's
 * outgoing plaintext, which the TEE encrypts like any other. */
static void inject(ms_link_client_t *c, const uint8_t *msg, size_t len, uint16_t id)
{
    size_t n = 0;
    if (ms_mqtt_publish(c->tx + c->tx_len, sizeof c->tx - c->tx_len, c->topic_reading, 1, false,
                        id, msg, len, &n) == MS_OK) {
        c->tx_len += n;
    }
}

int main(int argc, char **argv)
{
    if (argc != 5 || strcmp(argv[1], "--dir") != 0 || strcmp(argv[3], "--uart") != 0) {
        fputs("usage: evil_ns --dir DEV --uart HOST:PORT\n", stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    static ms_meter_host_t m;
    const char *what = "";
    if (ms_meter_host_open(&m, argv[2], &what) != MS_OK) {
        fprintf(stderr, "evil_ns: %s\n", what);
        return 3;
    }
    ms_link_client_config_t cfg;
    char id[MS_LINK_METER_ID_MAX + 1];
    static ms_link_client_t c;
    int fd = ms_host_dial(argv[4]);
    if (fd < 0 || ms_link_tee_meter_id(&m.link, id) != MS_OK) {
        fprintf(stderr, "evil_ns: no meter or no modem\n");
        return 3;
    }
    ms_link_client_defaults(&cfg, id);
    cfg.reading_interval_ms = 0;
    if (ms_link_client_init(&c, &cfg, &ms_link_secure_tee, &m.link, &ms_host_fd_transport,
                            &fd) != MS_OK ||
        ms_link_client_connect(&c, now_ms()) != MS_OK || !run(&c, fd, 20000, online)) {
        fprintf(stderr, "evil_ns: not online\n");
        return 1;
    }
    /* a genuine reading, signed by the TEE */
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t len = 0;
    uint64_t seq = 0;
    if (ms_link_secure_tee.reading(&m.link, (uint64_t)time(NULL), msg, sizeof msg, &len, &seq) !=
        MS_OK) {
        fprintf(stderr, "evil_ns: the TEE gave no reading\n");
        return 1;
    }
    inject(&c, msg, len, 40001);
    if (!run(&c, fd, 20000, one_ack)) {
        fprintf(stderr, "evil_ns: no acknowledgement\n");
        return 1;
    }
    printf("evil: genuine seq=%llu\n", (unsigned long long)seq);

    /* replay: the same bytes */
    inject(&c, msg, len, 40002);
    printf("evil: published replay\n");

    /* modified: one payload byte of the signed message */
    ms_cose_sign1_t env;
    uint8_t mod[MS_LINK_MSG_MAX];
    memcpy(mod, msg, len);
    if (ms_cose_sign1_parse(msg, len, &env) != MS_OK) {
        return 1;
    }
    mod[(size_t)(env.payload - msg) + env.payload_len - 1] ^= 0x01;   /* the tariff id */
    inject(&c, mod, len, 40003);
    printf("evil: published modified\n");

    /* forged: a reading of its own, signed with its own key, the meter's kid */
    ms_link_reading_t r;
    memset(&r, 0, sizeof r);
    memcpy(r.meter_id, id, sizeof id);
    r.seq = seq + 1000;
    r.time = (uint64_t)time(NULL);
    r.energy_wh = 999999;
    r.balance_milli = 999999999;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    uint8_t p[MS_LINK_PAYLOAD_MAX], forged[MS_LINK_MSG_MAX];
    size_t pn = 0, fn = 0;
    if (ms_p256_keygen(&priv, &pub) != MS_OK ||
        ms_link_reading_encode(&r, p, sizeof p, &pn) != MS_OK ||
        ms_cose_sign1(p, pn, env.kid, env.kid_len, soft_sign, &priv, forged, sizeof forged,
                      &fn) != MS_OK) {
        return 1;
    }
    inject(&c, forged, fn, 40004);
    printf("evil: published forged\n");

    (void)run(&c, fd, 4000, NULL);   /* let the cloud answer what it answers */
    ms_link_client_disconnect(&c, now_ms());
    ms_meter_host_close(&m);
    printf("evil: done acks=%llu\n", (unsigned long long)c.stats.acks);
    return 0;
}
