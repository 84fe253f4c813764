/* SPDX-License-Identifier: Apache-2.0 */
/*
 * factory_uart.c - the station's end of the factory session
 * (factory_uart.h): frames out, one reply in per frame, within a timeout.
 * Replies are outside data: the header's length is bounded before the
 * payload is read, and payloads go through the protocol's decoders.
 */
#define _POSIX_C_SOURCE 200809L
#include "factory_uart.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "meterseal/tee_factory.h"

#define REPLY_TIMEOUT_MS 60000
#define CONNECT_ATTEMPTS 100    /* 10 s */

typedef struct line {
    int fd;
    const char *verb;
    const char *addr;
    uint8_t buf[MS_FACTORY_FRAME_MAX];
} line_t;

static int line_open(line_t *l, const char *verb, const char *addr)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    l->fd = -1;
    l->verb = verb;
    l->addr = addr;
    if (colon == NULL || colon == addr || (size_t)(colon - addr) >= sizeof host ||
        colon[1] == '\0') {
        return ms_cli_fail(verb, MS_CLI_USAGE, "--uart wants HOST:PORT, not '%s'", addr);
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        return ms_cli_fail(verb, MS_CLI_IO, "%s: cannot resolve", addr);
    }
    /* The line may come up a moment after the station starts (a meter
     * being powered): try again for a while. */
    for (int attempt = 0; attempt < CONNECT_ATTEMPTS && l->fd < 0; attempt++) {
        for (struct addrinfo *a = res; a != NULL && l->fd < 0; a = a->ai_next) {
            int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
            if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
                l->fd = fd;
            } else if (fd >= 0) {
                close(fd);
            }
        }
        if (l->fd < 0) {
            struct timespec ts = { 0, 100 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    freeaddrinfo(res);
    if (l->fd < 0) {
        return ms_cli_fail(verb, MS_CLI_IO, "%s: cannot connect to the meter's line", addr);
    }
    return MS_CLI_OK;
}

static void line_close(line_t *l)
{
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* n bytes, all within REPLY_TIMEOUT_MS (a meter that trickles its reply
 * does not hold the station longer). */
static int read_exact(line_t *l, uint8_t *p, size_t n)
{
    size_t have = 0;
    int64_t end = now_ms() + REPLY_TIMEOUT_MS;
    while (have < n) {
        struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
        int64_t left = end - now_ms();
        int r = left > 0 ? poll(&pfd, 1, (int)left) : 0;
        if (r == 0) {
            return ms_cli_fail(l->verb, MS_CLI_IO, "%s: the meter did not answer", l->addr);
        }
        ssize_t k = r > 0 ? read(l->fd, p + have, n - have) : -1;
        if (k <= 0) {
            return ms_cli_fail(l->verb, MS_CLI_IO, "%s: line closed (%s)", l->addr,
                               k == 0 ? "end of stream" : strerror(errno));
        }
        have += (size_t)k;
    }
    return MS_CLI_OK;
}

/* Send one request; the reply's payload is in l->buf + MS_FACTORY_HDR_LEN.
 * An ERROR reply becomes the tool's failure line with the TEE's reason. */
static int call(line_t *l, uint8_t type, const uint8_t *payload, size_t len, size_t *reply_len)
{
    uint8_t hdr[MS_FACTORY_HDR_LEN];
    ms_factory_header_write(hdr, type, len);
    if (write(l->fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr ||
        (len != 0 && write(l->fd, payload, len) != (ssize_t)len)) {
        return ms_cli_fail(l->verb, MS_CLI_IO, "%s: cannot write to the line", l->addr);
    }
    uint8_t rtype = 0;
    int rc = read_exact(l, l->buf, MS_FACTORY_HDR_LEN);
    if (rc) {
        return rc;
    }
    if (ms_factory_header_parse(l->buf, &rtype, reply_len) != MS_OK) {
        return ms_cli_fail(l->verb, MS_CLI_FAIL, "%s: not a factory session reply", l->addr);
    }
    if ((rc = read_exact(l, l->buf + MS_FACTORY_HDR_LEN, *reply_len)) != MS_CLI_OK) {
        return rc;
    }
    if (rtype == MS_FACTORY_ERROR) {
        char why[64];
        size_t n = *reply_len < sizeof why - 1 ? *reply_len : sizeof why - 1;
        memcpy(why, l->buf + MS_FACTORY_HDR_LEN, n);
        why[n] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (why[i] < 0x20 || why[i] > 0x7e) {
                why[i] = '?';
            }
        }
        return ms_cli_fail(l->verb, MS_CLI_FAIL, "the meter's TEE refused: %s", why);
    }
    if (rtype != (uint8_t)(type | MS_FACTORY_REPLY)) {
        return ms_cli_fail(l->verb, MS_CLI_FAIL, "%s: reply 0x%02x to request 0x%02x", l->addr,
                           rtype, type);
    }
    return MS_CLI_OK;
}

/* Open the line and say HELLO: a SECURED meter is not provisioned again. */
static int hello(line_t *l, const char *verb, const char *addr)
{
    size_t n = 0;
    int rc = line_open(l, verb, addr);
    if (!rc) {
        rc = call(l, MS_FACTORY_HELLO, NULL, 0, &n);
    }
    ms_factory_info_t info;
    if (!rc && ms_factory_info_decode(l->buf + MS_FACTORY_HDR_LEN, n, &info) != MS_OK) {
        rc = ms_cli_fail(verb, MS_CLI_FAIL, "%s: malformed HELLO reply", addr);
    }
    if (!rc && info.secured) {
        rc = ms_cli_fail(verb, MS_CLI_FAIL, "the meter is SECURED: no factory session");
    }
    if (rc) {
        line_close(l);
    }
    return rc;
}

int ms_factory_uart_request(const char *verb, const char *addr, const char *meter_id,
                            const uint8_t nonce[MS_TEE_LINK_NONCE_LEN], uint8_t *csr,
                            size_t csr_cap, size_t *csr_len, uint8_t *token, size_t token_cap,
                            size_t *token_len, ms_p256_pub_t *iak)
{
    static line_t l;
    ms_factory_request_t rq;
    uint8_t p[128];
    size_t n = 0;
    memset(&rq, 0, sizeof rq);
    snprintf(rq.meter_id, sizeof rq.meter_id, "%s", meter_id);
    memcpy(rq.nonce, nonce, sizeof rq.nonce);
    if (ms_factory_request_encode(&rq, p, sizeof p, &n) != MS_OK) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "'%s' is no meter id", meter_id);
    }
    int rc = hello(&l, verb, addr);
    if (rc) {
        return rc;
    }
    rc = call(&l, MS_FACTORY_REQUEST, p, n, &n);
    ms_factory_csr_t r;
    if (!rc && ms_factory_csr_decode(l.buf + MS_FACTORY_HDR_LEN, n, &r) != MS_OK) {
        rc = ms_cli_fail(verb, MS_CLI_FAIL, "%s: malformed CSR reply", addr);
    }
    if (!rc && (r.csr_len > csr_cap || r.token_len > token_cap)) {
        rc = ms_cli_fail(verb, MS_CLI_FAIL, "%s: CSR or token larger than expected", addr);
    }
    if (!rc) {
        memcpy(csr, r.csr, r.csr_len);
        *csr_len = r.csr_len;
        memcpy(token, r.token, r.token_len);
        *token_len = r.token_len;
        *iak = r.iak;
    }
    line_close(&l);
    return rc;
}

int ms_factory_uart_install(const char *verb, const char *addr, const ms_tee_link_creds_t *c)
{
    static line_t l;
    static uint8_t p[MS_FACTORY_PAYLOAD_MAX];
    ms_factory_install_t in;
    size_t n = 0;
    memset(&in, 0, sizeof in);
    snprintf(in.meter_id, sizeof in.meter_id, "%s", c->meter_id);
    snprintf(in.broker, sizeof in.broker, "%s", c->broker);
    in.cert = c->cert_der;
    in.cert_len = c->cert_len;
    in.ca = c->ca_der;
    in.ca_len = c->ca_len;
    in.command_key = *c->command_key;
    if (strlen(c->broker) > MS_TEE_LINK_BROKER_MAX ||
        ms_factory_install_encode(&in, p, sizeof p, &n) != MS_OK) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "meter id, broker or certificates too long");
    }
    int rc = hello(&l, verb, addr);
    if (rc) {
        return rc;
    }
    rc = call(&l, MS_FACTORY_INSTALL, p, n, &n);
    if (!rc) {
        rc = call(&l, MS_FACTORY_BYE, NULL, 0, &n);
    }
    line_close(&l);
    return rc;
}
