/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hex.h - tiny hex helpers for the crypto tests (test code only).
 */
#ifndef MS_TEST_HEX_H
#define MS_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode hex (spaces ignored) into out; returns the byte count, aborts on
 * bad input or overflow (test vectors are typed by hand). */
static inline size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        if (*p == ' ' || *p == '\n') continue;
        int v = hex_nibble(*p);
        if (v < 0) abort();
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap) abort();
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) abort();
    return n;
}

#define UNHEX(var, hexstr) \
    uint8_t var[sizeof(hexstr) / 2 + 1]; \
    size_t var##_len = unhex(hexstr, var, sizeof(var)); \
    (void)var##_len

#endif /* MS_TEST_HEX_H */
