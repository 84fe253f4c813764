/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls_peer.c - drives the meter's TLS client (tee_tls.h) over a TCP socket
 * against a real peer (openssl s_server in tls-peer.sh): connects N times
 * with one session object (so the second connect offers the ticket of the
 * first), sends a line and expects the server's reply, and prints one line
 * per connection that the script checks:
 *
 *   connect 1: ok version=13 resumed=0 signatures=1 verifies=1 out=... in=...
 *   connect 2: fail MS_ERR_TLS_PEER_CERT
 *
 * The client key is a software key here (--key); in the meter it is the key
 * store's identity key (the TEE's channel service).
 *
 *   tls_peer --port P --ca CA.der --cert CERT.der --key KEY.pem --name NAME
 *            [--versions any|1.2|1.3] [--connects N] [--ticket FILE]
 *            [--send TEXT --expect TEXT]
 * --ticket: load the kept ticket from FILE before the first connect if it
 * exists, save it after the last (a meter's power cycle).
 *
 * Under valgrind --tool=callgrind --collect-atstart=no it counts the
 * instructions of each handshake alone (bench/link/run-handshake): the
 * client requests are no-ops otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <valgrind/callgrind.h>

#include "meterseal/crypto.h"
#include "meterseal/tee_tls.h"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    uint8_t *buf = malloc(65536);
    *len = buf ? fread(buf, 1, 65536, f) : 0;
    fclose(f);
    return buf;
}

static ms_err_t soft_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der, size_t cap,
                          size_t *der_len)
{
    return ms_p256_sign(ctx, hash, der, cap, der_len);
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 100; i++) {
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
            return fd;
        }
        close(fd);
        usleep(50000);
        fd = socket(AF_INET, SOCK_STREAM, 0);
    }
    close(fd);
    return -1;
}

/* Move bytes between the socket and the session until want() or failure. */
static int pump(ms_tls_t *t, int fd, int timeout_ms)
{
    uint8_t buf[2048];
    size_t n = 0;
    ms_tls_drain(t, buf, sizeof buf, &n);
    while (n != 0) {
        if (write(fd, buf, n) != (ssize_t)n) {
            return -1;
        }
        ms_tls_drain(t, buf, sizeof buf, &n);
    }
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) <= 0) {
        return 0;
    }
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0) {
        return -1;
    }
    size_t off = 0;
    while (off < (size_t)r) {
        size_t taken = 0;
        ms_tls_feed(t, buf + off, (size_t)r - off, &taken);
        off += taken;
        if (taken == 0) {
            ms_tls_run(t);
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *ca = NULL, *cert = NULL, *key = NULL, *name = "localhost", *ticket = NULL;
    const char *send_text = "meter-ping\n", *expect = "gnip-retem";
    int port = 0, connects = 1;
    unsigned versions = MS_TLS_VERSIONS_ANY;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ca")) ca = argv[i + 1];
        else if (!strcmp(argv[i], "--cert")) cert = argv[i + 1];
        else if (!strcmp(argv[i], "--key")) key = argv[i + 1];
        else if (!strcmp(argv[i], "--name")) name = argv[i + 1];
        else if (!strcmp(argv[i], "--connects")) connects = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ticket")) ticket = argv[i + 1];
        else if (!strcmp(argv[i], "--send")) send_text = argv[i + 1];
        else if (!strcmp(argv[i], "--expect")) expect = argv[i + 1];
        else if (!strcmp(argv[i], "--versions")) {
            versions = !strcmp(argv[i + 1], "1.2")   ? MS_TLS_VERSIONS_1_2
                       : !strcmp(argv[i + 1], "1.3") ? MS_TLS_VERSIONS_1_3
                                                     : MS_TLS_VERSIONS_ANY;
        } else {
            fprintf(stderr, "tls_peer: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    size_t ca_len = 0, cert_len = 0, key_len = 0;
    uint8_t *ca_der = ca ? slurp(ca, &ca_len) : NULL;
    uint8_t *cert_der = cert ? slurp(cert, &cert_len) : NULL;
    uint8_t *key_pem = key ? slurp(key, &key_len) : NULL;
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    bool has_priv = false;
    if (ca_der == NULL || cert_der == NULL || key_pem == NULL || port == 0 ||
        ms_p256_key_parse(key_pem, key_len, &priv, &pub, &has_priv) != MS_OK || !has_priv) {
        fprintf(stderr, "tls_peer: need --port, --ca, --cert and a private --key\n");
        return 2;
    }
    static ms_tls_t t;
    ms_tls_config_t cfg = { ca_der, ca_len, cert_der, cert_len, soft_sign, &priv, name, versions };
    ms_err_t err = ms_tls_init(&t, &cfg);
    if (err) {
        printf("init: fail %s\n", ms_errname(err));
        return 1;
    }
    if (ticket != NULL) {
        size_t tlen = 0;
        uint8_t *tb = slurp(ticket, &tlen);
        if (tb != NULL) {
            printf("ticket: load %s (%zu bytes)\n", ms_errname(ms_tls_ticket_load(&t, tb, tlen)),
                   tlen);
            free(tb);
        }
    }
    int failures = 0;
    for (int c = 1; c <= connects; c++) {
        int fd = dial(port);
        if (fd < 0) {
            printf("connect %d: fail no-server\n", c);
            return 1;
        }
        CALLGRIND_TOGGLE_COLLECT;
        ms_tls_connect(&t);
        ms_tls_info_t info;
        int rc = 1;
        for (int i = 0; i < 400 && rc >= 0; i++) {
            err = ms_tls_run(&t);
            ms_tls_info(&t, &info);
            if (err || info.state == MS_TLS_OPEN) {
                break;
            }
            rc = pump(&t, fd, 50);
        }
        CALLGRIND_TOGGLE_COLLECT;
        CALLGRIND_DUMP_STATS_AT(info.resumed ? "resumed" : "full");
        char got[256] = "";
        size_t got_len = 0;
        if (!err && info.state == MS_TLS_OPEN) {
            size_t taken = 0;
            err = ms_tls_send(&t, (const uint8_t *)send_text, strlen(send_text), &taken);
            for (int i = 0; i < 100 && !err && strstr(got, expect) == NULL; i++) {
                if (pump(&t, fd, 50) < 0) {
                    break;
                }
                size_t n = 0;
                err = ms_tls_recv(&t, (uint8_t *)got + got_len, sizeof got - 1 - got_len, &n);
                got_len += n;
                got[got_len] = '\0';
            }
            /* wait a little for a TLS 1.3 ticket that follows the handshake */
            for (int i = 0; i < 10 && !err; i++) {
                ms_tls_info(&t, &info);
                if (info.have_ticket) {
                    break;
                }
                pump(&t, fd, 50);
                size_t n = 0;
                err = ms_tls_recv(&t, (uint8_t *)got + got_len, sizeof got - 1 - got_len, &n);
            }
            ms_tls_close(&t);
            pump(&t, fd, 0);
        }
        ms_tls_info(&t, &info);
        if (info.state == MS_TLS_OPEN || info.state == MS_TLS_CLOSED) {
            bool echoed = strstr(got, expect) != NULL;
            printf("connect %d: %s version=%u resumed=%d signatures=%u verifies=%u out=%llu "
                   "in=%llu ticket=%d\n",
                   c, echoed ? "ok" : "noecho", info.version, info.resumed, info.signatures,
                   info.peer_verifies, (unsigned long long)info.bytes_out,
                   (unsigned long long)info.bytes_in, info.have_ticket);
            failures += !echoed;
        } else {
            printf("connect %d: fail %s (mbedtls -0x%04x)\n", c,
                   ms_errname(err ? err : info.error), (unsigned)-info.mbedtls_error);
            failures++;
        }
        fflush(stdout);
        close(fd);
    }
    if (ticket != NULL) {
        uint8_t tb[4096];
        size_t tlen = 0;
        if (ms_tls_ticket_save(&t, tb, sizeof tb, &tlen) == MS_OK) {
            FILE *f = fopen(ticket, "wb");
            if (f != NULL) {
                fwrite(tb, 1, tlen, f);
                fclose(f);
            }
            printf("ticket: saved %zu bytes\n", tlen);
        }
    }
    ms_tls_free(&t);
    ms_secure_zero(&priv, sizeof priv);
    free(ca_der);
    free(cert_der);
    free(key_pem);
    return failures == 0 ? 0 : 1;
}
