/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_factory.c - the factory line's session on the meter's modem UART
 * (meterseal/tee_factory.h, docs/lifecycle.md), served by the TEE as the
 * factory partition before the Non-secure world starts.
 *
 * Invariants:
 *   - Served only while the life cycle is OPEN, as both the boot loader's
 *     measured record and the OTP read now say (any other value, or a read
 *     that fails, is no session): a SECURED meter never reads a byte of it.
 *   - The first frame must be a HELLO within FIRST_WAIT_MS, else the line
 *     is not a station and the boot goes on at once (a modem's chatter
 *     costs nothing).
 *   - Bounded: at most MAX_REQUESTS requests and SESSION_MS in all, IDLE_MS
 *     between requests, BYTE_WAIT_MS inside a frame, DRAIN_MS of discarding
 *     after a bad frame; a malformed frame gets an ERROR. No peer can hold
 *     the boot for longer or crash it.
 *   - Runs after the fault handlers are installed, before the Non-secure
 *     world: a fault while parsing the station's certificates is logged
 *     and counted like any other.
 *   - Frames are read into one static buffer, bounded by the header's
 *     checked length.
 */
#include <string.h>

#include "an505.h"
#include "meterseal/hal.h"
#include "meterseal/tee_factory.h"
#include "flash_nor.h"
#include "otp.h"
#include "tee.h"

#define FIRST_WAIT_MS 30u
#define IDLE_MS       120000u
#define BYTE_WAIT_MS  1000u
#define DRAIN_MS      200u
#define SESSION_MS    600000u
#define MAX_REQUESTS  16u

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

/* Whatever is still arriving after a bad frame, for DRAIN_MS at most. */
static void drain(void)
{
    uint8_t b[16];
    size_t got = 0;
    uint64_t end = ms_hal_clock_ms() + DRAIN_MS;
    do {
        (void)ms_hal_uart_read(b, sizeof b, &got, 10);
    } while (got != 0 && ms_hal_clock_ms() < end);
}

static void send(uint8_t type, size_t len)
{
    ms_factory_header_write(reply, type, len);
    (void)ms_hal_uart_write(reply, MS_FACTORY_HDR_LEN + len);
}

void tee_factory_session(bool record_open)
{
    ms_otp_lcs_t lcs = MS_OTP_LCS_SECURED;
    if (!record_open || ms_otp_lcs_get(&ms_an505_otp_area, &lcs) != MS_OK ||
        lcs != MS_OTP_LCS_OPEN) {
        return;
    }
    uint8_t type = 0;
    size_t len = 0;
    if (!read_exact(frame, MS_FACTORY_HDR_LEN, FIRST_WAIT_MS) ||
        ms_factory_header_parse(frame, &type, &len) != MS_OK || type != MS_FACTORY_HELLO ||
        len != 0) {
        return;   /* not a station */
    }
    ms_an505_puts("tee: factory: session opened\r\n");
    uint64_t end = ms_hal_clock_ms() + SESSION_MS;
    for (uint32_t n = 0; n < MAX_REQUESTS && ms_hal_clock_ms() < end; n++) {
        ms_err_t err = MS_OK;
        if (n != 0) {
            if (!read_exact(frame, MS_FACTORY_HDR_LEN, IDLE_MS)) {
                ms_an505_puts("tee: factory: station silent, session ended\r\n");
                return;
            }
            err = ms_factory_header_parse(frame, &type, &len);
            if (err == MS_OK && !read_exact(frame + MS_FACTORY_HDR_LEN, len, BYTE_WAIT_MS)) {
                err = MS_ERR_TRUNCATED;
            }
        }
        if (err != MS_OK) {
            drain();
            const char *name = ms_errname(err);
            size_t k = strlen(name);
            memcpy(reply + MS_FACTORY_HDR_LEN, name, k);
            send(MS_FACTORY_ERROR, k);
            continue;
        }
        uint8_t rtype = 0;
        size_t rlen = 0;
        bool bye = false;
        err = ms_tee_factory_serve(type, frame + MS_FACTORY_HDR_LEN, len, false,
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
    ms_an505_puts("tee: factory: session limit reached, session ended\r\n");
}
