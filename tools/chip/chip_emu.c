/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_emu.c - the chip as a PC/SC card: a daemon speaking vsmartcard's
 * vpcd protocol (C8 receive module over TCP), with the chip's flash in a
 * file so it persists across runs.
 *
 * vpcd protocol (the vpcd reader driver listens, the card connects): every
 * message is a 2-byte big-endian length and a payload. A 1-byte payload is a
 * control code: 00 power off, 01 power on, 02 reset, 04 get ATR (answered
 * with the ATR). Anything else - any other 1-byte payload included - is a
 * command APDU, answered with the response APDU (6700 when it is too short
 * to be one): vpcd waits for an answer to every APDU, so none may go
 * unanswered. Port 35963 + reader slot by default.
 *
 * Power: "power on"/"reset" boots the chip from flash (RAM state is lost,
 * as on a real card); "power off" stops it. A flash power cut can be
 * injected with --cut-after N: the card then drops off the reader (closes
 * the connection) and comes back after a pause, powered on again over the
 * half-written flash. Killing the process mid-write is a real cut too: the
 * flash file is a shared mapping.
 *
 * With --hsm the card is the licence HSM instead (chip_hsm.h), over a flash
 * file made by `meterseal chip hsm-init`.
 *
 * Usage:
 *   meterseal-chip-emu --flash FILE [--host H] [--port P] [--gaps] [--hsm]
 *       [--provision --uid HEX --loader FILE] [--provision-only]
 *       [--cut-after N] [--once] [--verbose]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chip_geometry.h"
#include "flash_sim.h"
#include "meterseal/chip.h"
#include "meterseal/chip_hsm.h"


static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r == 0) {
            return -1;
        }
        if (r < 0) {
            if (errno == EINTR && !stop) {
                continue;
            }
            return -1;
        }
        got += (size_t)r;
        /* vpcd sends the 2-byte length and the APDU separately; acknowledge at
         * once so its Nagle timer does not hold the APDU for our delayed ACK. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    }
    return 0;
}

static int send_frame(int fd, const uint8_t *buf, size_t n)
{
    /* One write per frame (with TCP_NODELAY): a split header and body would
     * meet Nagle's algorithm and delayed ACKs, some 40 ms per APDU. */
    uint8_t frame[2 + 512];
    if (n > sizeof frame - 2) {
        return -1;
    }
    frame[0] = (uint8_t)(n >> 8);
    frame[1] = (uint8_t)n;
    memcpy(frame + 2, buf, n);
    size_t done = 0;
    while (done < n + 2) {
        ssize_t w = write(fd, frame + done, n + 2 - done);
        if (w <= 0) {
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

static int connect_vpcd(const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int parse_hex(const char *s, uint8_t *out, size_t n)
{
    if (strlen(s) != 2 * n) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
        if (h < 0 || l < 0) {
            return -1;
        }
        out[i] = (uint8_t)(h << 4 | l);
    }
    return 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* vpcd control codes: a 1-byte payload with one of these values. */
enum { VPCD_OFF = 0x00, VPCD_ON = 0x01, VPCD_RESET = 0x02, VPCD_ATR = 0x04 };

static int is_control(const uint8_t *p, size_t n)
{
    return n == 1 && (p[0] == VPCD_OFF || p[0] == VPCD_ON || p[0] == VPCD_RESET ||
                      p[0] == VPCD_ATR);
}

/* ATR: 3B 88 80 01 | "MSCHIP01" | TCK (T=0 and T=1 offered, 8 historical bytes). */
static size_t make_atr(uint8_t atr[16])
{
    static const uint8_t head[4] = {0x3B, 0x88, 0x80, 0x01};
    static const char hist[] = "MSCHIP01";
    memcpy(atr, head, 4);
    memcpy(atr + 4, hist, 8);
    uint8_t tck = 0;
    for (int i = 1; i < 12; i++) {
        tck ^= atr[i];
    }
    atr[12] = tck;
    return 13;
}

/* Power-on disarms the simulator's cut, so re-arm it at every power-on
 * until it has fired: the cut falls on op number cut_after counted from the
 * first power-on. */
static void arm_cut(ms_flash_sim_t *sim, uint64_t *target, unsigned long long cut_after)
{
    if (cut_after == 0) {
        return;
    }
    if (*target == 0) {
        *target = sim->ops + cut_after;
    }
    if (*target > sim->ops) {
        ms_flash_sim_cut_after(sim, *target - sim->ops, (uint32_t)cut_after);
    }
}

typedef struct card {
    ms_flash_sim_t *sim;
    ms_chip_layout_t *map;
    ms_chip_t *chip;
    ms_chip_hsm_t *hsm;
    int hsm_mode;
} card_t;

static int card_boot(card_t *c)
{
    if (c->hsm_mode) {
        return ms_chip_hsm_boot(c->hsm, &c->sim->flash) == MS_OK;
    }
    return ms_chip_boot(c->chip, &c->sim->flash, c->map) == MS_OK;
}

static uint16_t card_apdu(card_t *c, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                          size_t *rl)
{
    if (c->hsm_mode) {
        return ms_chip_hsm_apdu(c->hsm, cmd, n, rsp, cap, rl);
    }
    return ms_chip_apdu(c->chip, cmd, n, rsp, cap, rl);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: meterseal-chip-emu --flash FILE [--host H] [--port P] [--gaps] [--hsm]\n"
            "         [--provision --uid HEX20 --loader FILE] [--provision-only]\n"
            "         [--cut-after N] [--once] [--verbose]\n"
            "A chip (Loader OS + COS), or with --hsm the licence HSM, as a virtual\n"
            "smart card for pcscd's vpcd reader (port 35963 + reader slot).\n");
}

int main(int argc, char **argv)
{
    const char *flash_path = NULL, *host = "127.0.0.1", *port = "35963", *uid_hex = NULL;
    const char *loader_path = NULL;
    int gaps = 0, provision = 0, provision_only = 0, once = 0, verbose = 0, hsm_mode = 0;
    unsigned long long cut_after = 0;
    static const struct option opts[] = {
        {"flash", required_argument, NULL, 'f'}, {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},  {"gaps", no_argument, NULL, 'g'},
        {"provision", no_argument, NULL, 'P'},   {"provision-only", no_argument, NULL, 'O'},
        {"uid", required_argument, NULL, 'u'},   {"loader", required_argument, NULL, 'l'},
        {"cut-after", required_argument, NULL, 'c'}, {"once", no_argument, NULL, '1'},
        {"verbose", no_argument, NULL, 'v'},     {"help", no_argument, NULL, 'h'},
        {"hsm", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "f:H:p:gPOu:l:c:1vhs", opts, NULL)) != -1) {
        switch (c) {
        case 'f': flash_path = optarg; break;
        case 'H': host = optarg; break;
        case 'p': port = optarg; break;
        case 'g': gaps = 1; break;
        case 'P': provision = 1; break;
        case 'O': provision = provision_only = 1; break;
        case 'u': uid_hex = optarg; break;
        case 'l': loader_path = optarg; break;
        case 'c': cut_after = strtoull(optarg, NULL, 0); break;
        case '1': once = 1; break;
        case 'v': verbose = 1; break;
        case 's': hsm_mode = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (flash_path == NULL) {
        usage(stderr);
        return 2;
    }
    ms_flash_sim_t sim;
    ms_chip_layout_t map;
    static ms_chip_t chip;
    static ms_chip_hsm_t hsm;
    uint32_t size = hsm_mode ? MS_EMU_HSM_FLASH_SIZE : MS_EMU_CHIP_FLASH_SIZE;
    if (hsm_mode && provision) {
        fprintf(stderr, "meterseal-chip-emu: an HSM is provisioned by `meterseal chip hsm-init`\n");
        return 2;
    }
    if (ms_flash_sim_open(&sim, flash_path, size, MS_EMU_SECTOR, MS_EMU_ALIGN, 0xFF) != MS_OK) {
        fprintf(stderr, "meterseal-chip-emu: cannot open flash file %s\n", flash_path);
        return 3;
    }
    if (!hsm_mode && ms_chip_layout_default(&sim.flash, gaps, &map) != MS_OK) {
        fprintf(stderr, "meterseal-chip-emu: bad flash layout\n");
        return 1;
    }
    if (provision) {
        uint8_t uid[MS_CHIP_UID_LEN], img[16384];
        if (uid_hex == NULL || parse_hex(uid_hex, uid, sizeof uid) != 0 || loader_path == NULL) {
            fprintf(stderr, "meterseal-chip-emu: --provision needs --uid (20 hex digits) and "
                            "--loader FILE\n");
            return 2;
        }
        FILE *f = fopen(loader_path, "rb");
        size_t n = f ? fread(img, 1, sizeof img, f) : 0;
        if (f) {
            fclose(f);
        }
        if (n == 0) {
            fprintf(stderr, "meterseal-chip-emu: cannot read loader image %s\n", loader_path);
            return 3;
        }
        ms_err_t err = ms_chip_provision(&sim.flash, &map, uid, img, n);
        if (err != MS_OK) {
            fprintf(stderr, "meterseal-chip-emu: provisioning failed: %s\n", ms_strerror(err));
            return 1;
        }
        fprintf(stderr, "meterseal-chip-emu: chip %s provisioned (loader %zu bytes, %s layout)\n",
                uid_hex, n, gaps ? "gapped" : "contiguous");
        if (provision_only) {
            ms_flash_sim_close(&sim);
            return 0;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    uint64_t cut_target = 0; /* absolute flash op the cut falls on (0: not yet set) */
    card_t card = {&sim, &map, &chip, &hsm, hsm_mode};
    int powered = 0;
    uint8_t buf[65536 + 16], rsp[300], atr[16];
    size_t atr_len = make_atr(atr);
    while (!stop) {
        int fd = connect_vpcd(host, port);
        if (fd < 0 && stop) {
            break;
        }
        if (fd < 0) {
            sleep_ms(200);
            continue;
        }
        if (verbose) {
            fprintf(stderr, "emu: connected to vpcd %s:%s\n", host, port);
        }
        powered = 0;
        for (;;) {
            uint8_t hdr[2];
            if (read_full(fd, hdr, 2) != 0) {
                break;
            }
            size_t n = (size_t)hdr[0] << 8 | hdr[1];
            if (n == 0 || read_full(fd, buf, n) != 0) {
                break;
            }
            if (is_control(buf, n)) {
                switch (buf[0]) {
                case VPCD_OFF:
                    powered = 0;
                    break;
                case VPCD_ON:
                case VPCD_RESET:
                    ms_flash_sim_power_on(&sim);
                    arm_cut(&sim, &cut_target, cut_after);
                    powered = card_boot(&card);
                    if (verbose) {
                        fprintf(stderr, "emu: boot, mode %u\n", hsm_mode ? 9u : chip.mode);
                    }
                    break;
                default: /* VPCD_ATR */
                    if (send_frame(fd, atr, atr_len) != 0) {
                        goto drop;
                    }
                    break;
                }
                continue;
            }
            /* Anything else is an APDU, even one byte long (answered 6700 by
             * the parser): vpcd waits for an answer to every APDU. */
            if (!powered) {
                ms_flash_sim_power_on(&sim);
                arm_cut(&sim, &cut_target, cut_after);
                powered = card_boot(&card);
            }
            size_t rl = 0;
            uint16_t sw = card_apdu(&card, buf, n, rsp, sizeof rsp, &rl);
            if (verbose) {
                fprintf(stderr, "emu: %02X %02X %02X %02X (%zu bytes) -> %04X\n", buf[0],
                        n > 1 ? buf[1] : 0, n > 2 ? buf[2] : 0, n > 3 ? buf[3] : 0, n, sw);
            }
            if (!sim.powered) {
                /* Power lost mid-command: the card is gone from the reader. */
                fprintf(stderr, "emu: power cut during a flash operation; card removed\n");
                goto drop;
            }
            if (send_frame(fd, rsp, rl) != 0) {
                goto drop;
            }
        }
    drop:
        close(fd);
        if (once) {
            break;
        }
        sleep_ms(300);
    }
    ms_flash_sim_close(&sim);
    return 0;
}
