/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterseal-bridge - the modem: an untrusted comms module that relays bytes
 * between a meter's UART and the broker's TCP port, and can write a tap of
 * everything it relays (M13: the tap must hold only TLS records).
 *
 *   meterseal-bridge --listen HOST:PORT --broker HOST:PORT [--tap FILE]
 *                    [--port-file FILE] [--flip-up N]
 *
 * The UART side is a TCP listener: the host meter (meterseal-meter) dials
 * it, and QEMU's "-serial tcp:HOST:PORT" can too. Each UART connection gets
 * its own connection to the broker (one modem per meter); either side
 * closing closes both. With --listen HOST:0 the port is chosen by the
 * system and written to --port-file.
 *
 * Tap file: "MSTAP1\n", then per relayed chunk: direction ('>' meter to
 * broker, '<' broker to meter), connection number (4 bytes little-endian),
 * length (4 bytes little-endian), the bytes as they were relayed.
 *
 * --flip-up N plays that attacker: it flips one bit of byte N of what the
 * first connection sends towards the broker (a modified record, which TLS
 * must refuse).
 *
 * The bridge knows nothing of TLS or MQTT and holds no secret: it is the
 * part of the system an attacker is assumed to own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 512

typedef struct pair {
    int uart, broker;
    uint32_t id;
    uint64_t up;          /* bytes relayed towards the broker */
} pair_t;

static pair_t g_pairs[MAX_PAIRS];
static size_t g_n;
static FILE *g_tap;
static volatile sig_atomic_t g_stop;
static uint64_t g_up, g_down;
static long long g_flip_up = -1;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static bool split(const char *hostport, char *host, size_t cap, const char **port)
{
    const char *colon = strrchr(hostport, ':');
    if (colon == NULL || (size_t)(colon - hostport) >= cap) {
        return false;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    *port = colon + 1;
    return true;
}

static int open_socket(const char *hostport, bool listening)
{
    char host[256];
    const char *port;
    if (!split(hostport, host, sizeof host, &port)) {
        return -1;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = listening ? AI_PASSIVE : 0 };
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        int ok = listening ? bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0
                           : connect(fd, a->ai_addr, a->ai_addrlen) == 0;
        if (!ok) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static void tap(char dir, uint32_t id, const uint8_t *buf, size_t n)
{
    if (g_tap == NULL) {
        return;
    }
    uint8_t h[9] = { (uint8_t)dir };
    for (int i = 0; i < 4; i++) {
        h[1 + i] = (uint8_t)(id >> (8 * i));
        h[5 + i] = (uint8_t)((uint32_t)n >> (8 * i));
    }
    fwrite(h, 1, sizeof h, g_tap);
    fwrite(buf, 1, n, g_tap);
    fflush(g_tap);
}

static bool write_all(int fd, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        buf += w;
        n -= (size_t)w;
    }
    return true;
}

static void drop(size_t i)
{
    close(g_pairs[i].uart);
    close(g_pairs[i].broker);
    printf("bridge: connection %u closed\n", g_pairs[i].id);
    g_pairs[i] = g_pairs[--g_n];
}

/* Relay what one side has; false when the pair is over. */
static bool relay(pair_t *p, bool from_uart)
{
    uint8_t buf[16384];
    int from = from_uart ? p->uart : p->broker, to = from_uart ? p->broker : p->uart;
    ssize_t n = recv(from, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return true;
    }
    if (n <= 0) {
        return false;
    }
    if (from_uart && p->id == 1 && g_flip_up >= 0 && (uint64_t)g_flip_up >= p->up &&
        (uint64_t)g_flip_up < p->up + (uint64_t)n) {
        buf[(uint64_t)g_flip_up - p->up] ^= 0x01;   /* the attacker's modification */
        printf("bridge: flipped a bit of upstream byte %lld\n", g_flip_up);
    }
    if (from_uart) {
        p->up += (uint64_t)n;
    }
    tap(from_uart ? '>' : '<', p->id, buf, (size_t)n);
    if (from_uart) {
        g_up += (uint64_t)n;
    } else {
        g_down += (uint64_t)n;
    }
    return write_all(to, buf, (size_t)n);
}

int main(int argc, char **argv)
{
    const char *listen_at = NULL, *broker = NULL, *tap_path = NULL, *port_file = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--listen")) listen_at = argv[i + 1];
        else if (!strcmp(argv[i], "--broker")) broker = argv[i + 1];
        else if (!strcmp(argv[i], "--tap")) tap_path = argv[i + 1];
        else if (!strcmp(argv[i], "--port-file")) port_file = argv[i + 1];
        else if (!strcmp(argv[i], "--flip-up")) g_flip_up = atoll(argv[i + 1]);
        else listen_at = NULL, i = argc;
    }
    if (listen_at == NULL || broker == NULL || argc % 2 == 0) {
        fputs("usage: meterseal-bridge --listen HOST:PORT --broker HOST:PORT [--tap FILE]\n"
              "                        [--port-file FILE] [--flip-up N]\n", stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int lfd = open_socket(listen_at, true);
    if (lfd < 0) {
        fprintf(stderr, "meterseal-bridge: cannot listen on %s\n", listen_at);
        return 3;
    }
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    char port[16] = "?";
    if (getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0 &&
        getnameinfo((struct sockaddr *)&sa, sl, NULL, 0, port, sizeof port, NI_NUMERICSERV) == 0 &&
        port_file != NULL) {
        FILE *f = fopen(port_file, "w");
        if (f != NULL) {
            fprintf(f, "%s\n", port);
            fclose(f);
        }
    }
    if (tap_path != NULL) {
        g_tap = fopen(tap_path, "wb");
        if (g_tap == NULL) {
            fprintf(stderr, "meterseal-bridge: cannot write %s\n", tap_path);
            return 3;
        }
        fputs("MSTAP1\n", g_tap);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("bridge: uart port %s, broker %s\n", port, broker);
    uint32_t next_id = 1;
    static struct pollfd fds[1 + 2 * MAX_PAIRS];
    while (!g_stop) {
        fds[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        for (size_t i = 0; i < g_n; i++) {
            fds[1 + 2 * i] = (struct pollfd){ .fd = g_pairs[i].uart, .events = POLLIN };
            fds[2 + 2 * i] = (struct pollfd){ .fd = g_pairs[i].broker, .events = POLLIN };
        }
        size_t n = g_n;
        if (poll(fds, 1 + 2 * n, 500) < 0) {
            continue;
        }
        for (size_t i = n; i-- > 0;) {
            short u = fds[1 + 2 * i].revents, b = fds[2 + 2 * i].revents;
            bool alive = true;
            if (u & (POLLIN | POLLHUP | POLLERR)) {
                alive = relay(&g_pairs[i], true);
            }
            if (alive && (b & (POLLIN | POLLHUP | POLLERR))) {
                alive = relay(&g_pairs[i], false);
            }
            if (!alive) {
                drop(i);
            }
        }
        if (fds[0].revents & POLLIN) {
            int ufd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (ufd < 0) {
                continue;
            }
            int bfd = g_n < MAX_PAIRS ? open_socket(broker, false) : -1;
            if (bfd < 0) {
                printf("bridge: broker %s unreachable\n", broker);
                close(ufd);
                continue;
            }
            g_pairs[g_n++] = (pair_t){ ufd, bfd, next_id, 0 };
            printf("bridge: connection %u open\n", next_id++);
        }
    }
    while (g_n > 0) {
        drop(g_n - 1);
    }
    if (g_tap != NULL) {
        fclose(g_tap);
    }
    printf("bridge: relayed %llu bytes up, %llu down\n", (unsigned long long)g_up,
           (unsigned long long)g_down);
    close(lfd);
    return 0;
}
