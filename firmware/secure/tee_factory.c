/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_factory.c - the factory line's session on the meter's modem UART
 * (meterseal/tee_factory.h, docs/lifecycle.md), served by the TEE as the
 * factory partition before the Non-secure world starts.
 *
 * Invariants:
 *   - A SECURED meter never reads a byte of it: the session exists only
 *     while the life cycle (the boot loader's measured record) is OPEN.
 *   - A station that is not there costs FIRST_WAIT_MS of boot; one that
 *     stops talking ends the session after IDLE_MS; a malformed frame gets
 *     an ERROR and the line is drained, never a hang or a crash.
 *   - Frames are read into one static buffer, bounded by the header's
 *     checked length.
 */
#include <string.h>

#include "an505.h"
#include "meterseal/hal.h"
#include "meterseal/tee_factory.h"
#include "tee.h"

#define FIRST_WAIT_MS 30u
#define IDLE_MS       120000u
#define BYTE_WAIT_MS  1000u

static uint8_t frame[MS_FACTORY_FRAME_MAX];
static uint8_t reply[MS_FACTORY_FRAME_MAX];

/* Exactly len bytes, each within wait_ms of the previous one. */
static bool read_exact(uint8_t *buf, size_t len, uint32_t first_wait_ms)
{
    size_t have = 0;
    uint32_t wait = first_wait_ms;
    while (have < len) {
        size_t got = 0;
        if (ms_hal_uart_read(buf + have, len - have, &got, wait) != MS_OK || got == 0) {
            return false;
        }
        have += got;
        wait = BYTE_WAIT_MS;
    }
    return true;
}

/* Whatever is still arriving after a bad frame. */
static void drain(void)
{
    uint8_t b[16];
    size_t got = 0;
    do {
        (void)ms_hal_uart_read(b, sizeof b, &got, 50);
    } while (got != 0);
}

static void send(uint8_t type, size_t len)
{
    ms_factory_header_write(reply, type, len);
    (void)ms_hal_uart_write(reply, MS_FACTORY_HDR_LEN + len);
}

void tee_factory_session(bool secured)
{
    if (secured) {
        return;
    }
    uint32_t wait = FIRST_WAIT_MS;
    for (;;) {
        uint8_t type = 0;
        size_t len = 0;
        if (!read_exact(frame, MS_FACTORY_HDR_LEN, wait)) {
            if (wait == IDLE_MS) {
                ms_an505_puts("tee: factory: station silent, session ended\r\n");
            }
            return;
        }
        if (wait == FIRST_WAIT_MS) {
            ms_an505_puts("tee: factory: session opened\r\n");
        }
        wait = IDLE_MS;
        ms_err_t err = ms_factory_header_parse(frame, &type, &len);
        if (err == MS_OK && !read_exact(frame + MS_FACTORY_HDR_LEN, len, BYTE_WAIT_MS)) {
            err = MS_ERR_TRUNCATED;
        }
        if (err != MS_OK) {
            drain();
            const char *name = ms_errname(err);
            size_t n = strlen(name);
            memcpy(reply + MS_FACTORY_HDR_LEN, name, n);
            send(MS_FACTORY_ERROR, n);
            continue;
        }
        uint8_t rtype = 0;
        size_t rlen = 0;
        bool bye = false;
        err = ms_tee_factory_serve(type, frame + MS_FACTORY_HDR_LEN, len, secured,
                                   reply + MS_FACTORY_HDR_LEN, MS_FACTORY_PAYLOAD_MAX, &rtype,
                                   &rlen, &bye);
        send(rtype, rlen);
        ms_an505_puts("tee: factory: request ");
        ms_an505_put_dec(type);
        ms_an505_puts(err == MS_OK ? " done" : " refused err=");
        ms_an505_puts(err == MS_OK ? "" : ms_errname(err));
        ms_an505_puts("\r\n");
        if (bye) {
            return;
        }
    }
}
