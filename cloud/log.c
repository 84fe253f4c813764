/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - structured log lines (see log.h). One fprintf per line, so lines
 * from several instances sharing a terminal or file do not interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *g_instance = "cloud";
static ms_log_level_t g_min = MS_LOG_INFO;

void ms_log_init(const char *instance, ms_log_level_t min_level)
{
    g_instance = instance != NULL ? instance : "cloud";
    g_min = min_level;
}

const char *ms_log_str(const char *s, size_t n, char out[256])
{
    static const char hx[] = "0123456789abcdef";
    bool bare = n > 0 && n <= 96;
    for (size_t i = 0; bare && i < n; i++) {
        char c = s[i];
        bare = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    }
    if (bare) {
        memcpy(out, s, n);
        out[n] = '\0';
        return out;
    }
    size_t o = 0;
    out[o++] = '"';
    /* at most 4 output bytes per input byte: 60 inputs fit 256 with quotes and "..". */
    for (size_t i = 0; i < n && i < 60; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hx[c >> 4];
            out[o++] = hx[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    if (n > 60) {
        out[o++] = '.';
        out[o++] = '.';
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

void ms_log(ms_log_level_t level, const char *event, const char *fmt, ...)
{
    static const char *const names[] = { "debug", "info", "warn", "error" };
    if (level < g_min) {
        return;
    }
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char body[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    fprintf(stderr, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s inst=%s event=%s%s%s\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, names[level], g_instance, event, body[0] ? " " : "", body);
}
