/* SPDX-License-Identifier: Apache-2.0 */
/*
 * comms.c - the comms task's loop (comms.h): connect through the modem,
 * step the client, reconnect after a drop, report on the console.
 *
 * Invariants: the client's TEE calls go through the one door (the kernel's
 * TEE mutex serialises them with the other tasks'); the modem sees only
 * what the TEE's TLS session produced; the meter clock for readings is
 * the host's (semihosting SYS_TIME: the emulated meter has no RTC).
 */
#include "comms.h"

#include <string.h>

#include "an505.h"
#include "app.h"
#include "meterseal/link_client.h"
#include "rtos.h"
#include "semihost.h"
#include "tee_client.h"

#define RECONNECT_MS 2000u

static ms_link_client_t client;
static ms_link_tee_t link;
static uint8_t shared[MS_LINK_TEE_SHARED + 512];

static psa_status_t link_call(void *ctx, uint32_t sid, int32_t type, const ms_tee_invec_t *in,
                              size_t n_in, ms_tee_outvec_t *out, size_t n_out)
{
    (void)ctx;
    return tee_client_call(sid, type, in, n_in, out, n_out);
}

static ms_err_t modem_write(void *ctx, const uint8_t *buf, size_t len, size_t *written)
{
    (void)ctx;
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < MS_TEE_NS_MODEM_MAX ? len - done : MS_TEE_NS_MODEM_MAX;
        int32_t st = ms_tee_ns_modem_write(buf + done, (uint32_t)n);
        if (st < 0) {
            return MS_ERR_IO;
        }
        done += (size_t)st;
    }
    *written = done;
    return MS_OK;
}

static ms_err_t modem_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
    (void)ctx;
    int32_t st = ms_tee_ns_modem_read(buf, (uint32_t)(cap < MS_TEE_NS_MODEM_MAX ? cap
                                                                              : MS_TEE_NS_MODEM_MAX));
    *got = st > 0 ? (size_t)st : 0;
    return st < 0 ? MS_ERR_IO : MS_OK;
}

static const ms_link_transport_t modem = { modem_write, modem_read };

static void put_stat(const char *what, uint64_t v)
{
    ms_an505_puts(what);
    ms_an505_put_dec((uint32_t)v);
}

int comms_run(uint32_t readings, uint32_t interval_ms, uint32_t limit_ms)
{
    char id[MS_LINK_METER_ID_MAX + 1];
    link = (ms_link_tee_t){ .call = link_call, .shared = shared, .shared_len = sizeof shared };
    ms_err_t err = ms_link_tee_meter_id(&link, id);
    if (err != MS_OK) {
        ms_an505_puts("comms: not provisioned err=");
        ms_an505_puts(ms_errname(err));
        ms_an505_puts("\r\n");
        return EXIT_FAILED;
    }
    ms_link_client_config_t cfg;
    ms_link_client_defaults(&cfg, id);
    cfg.reading_interval_ms = interval_ms;
    if ((err = ms_link_client_init(&client, &cfg, &ms_link_secure_tee, &link, &modem, NULL)) !=
        MS_OK) {
        return EXIT_FAILED;
    }
    ms_an505_puts("comms: meter ");
    ms_an505_puts(id);
    ms_an505_puts(" starting\r\n");
    uint32_t start = rtos_ticks(), next_connect = start;
    ms_link_client_state_t shown = MS_LINK_OFFLINE;
    uint64_t acked = 0;
    while (rtos_ticks() - start < limit_ms) {
        uint32_t t = rtos_ticks();
        if (client.state == MS_LINK_OFFLINE && (int32_t)(t - next_connect) >= 0) {
            if (ms_link_client_connect(&client, t) != MS_OK) {
                next_connect = t + RECONNECT_MS;
            }
        }
        err = ms_link_client_step(&client, rtos_ticks(), semihost_time());
        if (err != MS_OK && client.state == MS_LINK_OFFLINE) {
            ms_an505_puts("comms: link down err=");
            ms_an505_puts(ms_errname(client.stats.last_error));
            ms_an505_puts("\r\n");
            next_connect = rtos_ticks() + RECONNECT_MS;
        }
        if (client.state != shown) {
            shown = client.state;
            if (shown == MS_LINK_ONLINE) {
                /* tls_version: 12 or 13 */
                put_stat("comms: online tls=1.", client.stats.tls_version - 10u);
                put_stat(" resumed=", client.stats.tls_resumed ? 1u : 0u);
                put_stat(" connects=", client.stats.connects);
                ms_an505_puts("\r\n");
            }
        }
        if (client.stats.acked_readings != acked) {
            acked = client.stats.acked_readings;
            put_stat("comms: readings acknowledged=", acked);
            ms_an505_puts("\r\n");
        }
        uint32_t queued = 1;
        (void)ms_link_secure_tee.queued(&link, &queued);
        if (client.stats.readings >= readings) {
            client.cfg.reading_interval_ms = 0;
            client.next_reading_ms = UINT64_MAX;
            if (queued == 0) {
                put_stat("comms: done readings=", client.stats.readings);
                put_stat(" modem-out=", client.stats.uart_out);
                put_stat(" modem-in=", client.stats.uart_in);
                ms_an505_puts("\r\n");
                ms_link_client_disconnect(&client, rtos_ticks());
                return EXIT_DONE;
            }
        }
        rtos_delay(2);
    }
    ms_an505_puts("comms: time limit reached\r\n");
    return EXIT_FAILED;
}
