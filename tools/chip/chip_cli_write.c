/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli_write.c - the factory's verb: write, the factory writer over
 * PC/SC (chip_factory.c does the APDU sequence) with licences looked up by
 * the serial each chip reports, a progress bar, resume after a power cut
 * and a reset into the COS after a successful write.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chip_cli_common.h"

/* ---- write ---------------------------------------------------------------------- */

typedef struct lic_src {
    const char *file;
    const char *dir;
} lic_src_t;

static ms_err_t find_licence(void *ctx, const uint8_t uid[MS_CHIP_UID_LEN],
                             uint8_t lic[MS_CHIP_LIC_LEN])
{
    lic_src_t *s = ctx;
    char path[4096], uh[21];
    ms_chip_cli_hex(uid, MS_CHIP_UID_LEN, uh);
    if (s->file != NULL) {
        snprintf(path, sizeof path, "%s", s->file);
    } else {
        snprintf(path, sizeof path, "%s/%s.lic", s->dir, uh);
    }
    uint8_t *b = NULL;
    size_t n = 0;
    if (ms_chip_cli_read_file(path, &b, &n) != 0) {
        return MS_ERR_NOT_FOUND;
    }
    ms_err_t err = n == MS_CHIP_LIC_LEN ? MS_OK : MS_ERR_FORMAT;
    if (err == MS_OK) {
        memcpy(lic, b, n);
    }
    free(b);
    return err;
}

typedef struct bar {
    int enabled;
    int last;
} bar_t;

static void show_progress(void *ctx, uint32_t done, uint32_t total)
{
    bar_t *b = ctx;
    if (!b->enabled || total == 0) {
        return;
    }
    int pct = (int)((uint64_t)done * 100 / total);
    if (pct == b->last && done != total) {
        return;
    }
    b->last = pct;
    char bar[41];
    int fill = pct * 40 / 100;
    for (int i = 0; i < 40; i++) {
        bar[i] = i < fill ? '#' : '.';
    }
    bar[40] = '\0';
    fprintf(stderr, "\r  [%s] %3d%% %u/%u bytes", bar, pct, done, total);
    if (done == total) {
        fputc('\n', stderr);
    }
    fflush(stderr);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ms_chip_cli_write(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip write --pkg PKG (--licence LIC | --licence-dir DIR)\n"
        "         [--reader NAME] [--chunk N] [--count N] [--retries N]\n"
        "         [--no-resume] [--no-progress] [--timeout-ms N]\n"
        "Factory writer: ERASE, KEY DIVERSIFY (licence), DECRYPT, VERIFY over PC/SC.\n"
        "A download cut by a power loss resumes (up to --retries times, default 3).\n"
        "--licence-dir holds <SERIAL>.lic files; --count writes N chips in turn.";
    static const struct option opts[] = {
        {"pkg", 1, NULL, 'p'},     {"licence", 1, NULL, 'l'},  {"licence-dir", 1, NULL, 'L'},
        {"reader", 1, NULL, 'r'},  {"chunk", 1, NULL, 'c'},    {"count", 1, NULL, 'n'},
        {"retries", 1, NULL, 'R'}, {"no-resume", 0, NULL, 'N'}, {"no-progress", 0, NULL, 'P'},
        {"timeout-ms", 1, NULL, 't'}, {"help", 0, NULL, 'h'},  {0, 0, 0, 0}};
    const char *pkgf = NULL, *reader = NULL;
    lic_src_t src = {NULL, NULL};
    unsigned long chunk = 224, count = 1, retries = 3, timeout = 10000;
    int no_resume = 0;
    bar_t bar = {1, -1};
    MS_CHIP_CLI_OPT_BEGIN("write")
    case 'p': pkgf = optarg; break;
    case 'l': src.file = optarg; break;
    case 'L': src.dir = optarg; break;
    case 'r': reader = optarg; break;
    case 'c': chunk = strtoul(optarg, NULL, 0); break;
    case 'n': count = strtoul(optarg, NULL, 0); break;
    case 'R': retries = strtoul(optarg, NULL, 0); break;
    case 'N': no_resume = 1; break;
    case 'P': bar.enabled = 0; break;
    case 't': timeout = strtoul(optarg, NULL, 0); break;
    MS_CHIP_CLI_OPT_END
    if (pkgf == NULL || (src.file == NULL) == (src.dir == NULL)) {
        return ms_chip_cli_fail("write", MS_CHIP_CLI_USAGE,
                                "--pkg and one of --licence / --licence-dir are required");
    }
    if (chunk == 0 || chunk % 32 != 0 || chunk > 512) {
        return ms_chip_cli_fail("write", MS_CHIP_CLI_USAGE,
                                "--chunk must be a multiple of 32, at most 512");
    }
    uint8_t *pkg = NULL;
    size_t plen = 0;
    if (ms_chip_cli_read_file(pkgf, &pkg, &plen) != 0) {
        return ms_chip_cli_fail("write", MS_CHIP_CLI_IO, "cannot read %s", pkgf);
    }
    ms_chip_pcsc_t pc;
    ms_err_t err = ms_chip_pcsc_open(&pc, reader);
    if (err != MS_OK) {
        free(pkg);
        return ms_chip_cli_fail("write", MS_CHIP_CLI_IO, "PC/SC: %s", pc.last_error);
    }
    ms_chip_writer_t w = {ms_chip_pcsc_transmit, &pc, find_licence, &src, show_progress, &bar,
                          chunk, no_resume};
    int rc = MS_CHIP_CLI_OK;
    printf("reader: %s\n", pc.reader);
    for (unsigned long chip = 0; chip < count; chip++) {
        if (chip > 0) {
            fprintf(stderr, "  waiting for the next chip...\n");
            ms_chip_pcsc_wait_removed(&pc, (unsigned)timeout);
        }
        ms_chip_report_t rep;
        double t0 = now_s();
        unsigned attempt = 0;
        for (;;) {
            err = ms_chip_pcsc_connect(&pc, (unsigned)timeout);
            if (err == MS_OK) {
                bar.last = -1;
                err = ms_chip_factory_write(&w, pkg, plen, &rep);
            } else {
                memset(&rep, 0, sizeof rep);
                rep.step = "connect";
            }
            if (err != MS_ERR_POWER_LOST || attempt >= retries) {
                break;
            }
            attempt++;
            if (bar.enabled) {
                fputc('\n', stderr);
            }
            fprintf(stderr, "  card lost at %s (%s); waiting to resume (attempt %u of %lu)\n",
                    rep.step, pc.last_error, attempt, retries);
            /* Let the reader notice the card went away before reconnecting. */
            ms_chip_pcsc_wait_removed(&pc, 3000);
            struct timespec pause = {0, 200 * 1000000L};
            nanosleep(&pause, NULL);
        }
        double dt = now_s() - t0;
        char uh[21] = "unknown";
        if (rep.have_uid) {
            ms_chip_cli_hex(rep.uid, MS_CHIP_UID_LEN, uh);
        }
        if (err == MS_OK) {
            /* Restart the chip so its COS starts (and erases the loader). */
            ms_chip_pcsc_reset(&pc);
            char kcv[19];
            ms_chip_cli_hex(rep.kcv, 9, kcv);
            char resumed[64] = "";
            if (attempt > 0) {
                snprintf(resumed, sizeof resumed, ", resumed %u time(s), last from byte %u",
                         attempt, rep.resumed_from);
            }
            if (strcmp(rep.step, "already installed") == 0) {
                printf("chip %s: OK - this COS is already installed and verified\n", uh);
                fflush(stdout);
                continue;
            }
            printf("chip %s: OK - COS %u bytes written and verified in %.2f s, %u APDUs, "
                   "%llu bytes sent%s, KCV %s; chip restarted into its COS\n",
                   uh, rep.cos_len, dt, rep.apdus, (unsigned long long)rep.bytes_sent, resumed,
                   kcv);
        } else {
            printf("chip %s: FAILED at %s: %s%s%s\n", uh, rep.step ? rep.step : "?",
                   rep.sw && rep.sw != MS_SW_OK ? ms_chip_sw_text(rep.sw) : ms_strerror(err),
                   pc.last_error[0] ? " - " : "", pc.last_error);
            rc = MS_CHIP_CLI_FAIL;
        }
        fflush(stdout);
    }
    ms_chip_pcsc_close(&pc);
    free(pkg);
    return rc;
}

