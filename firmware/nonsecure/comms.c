/* SPDX-License-Identifier: Apache-2.0 */
/*
 * comms.c - the comms task's loop (comms.h): connect through the modem,
 * step the client, reconnect after a drop, report on the console.
 *
 * With updates on, the portable update session (link_update_session.h)
 * takes the cloud's campaigns: the agent's state lives in the Non-secure
 * world's own PS object (encrypted and rollback-protected by the TEE, like
 * every PS object), the running version comes from the measured boot
 * record, and the reboot the agent asks for is the TEE's.
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
#include "meterseal/link_update_session.h"
#include "meterseal/psa/protected_storage.h"
#include "rtos.h"
#include "semihost.h"
#include "tee_client.h"

#define RECONNECT_MS 2000u
#define LINGER_MS    1500u
/* A test image that has not reached the cloud by then reboots, and the
 * boot loader puts the old image back (the platform's watchdog for it). */
#define TEST_WATCHDOG_MS 120000u
#define UID_UPDATE_AGENT 0x4d53554100000001ull   /* "MSUA": the update agent's state */

static ms_link_client_t client;
static ms_link_tee_t link;
static uint8_t shared[MS_LINK_TEE_SHARED + 512];
static ms_upd_session_t session;
static ms_upd_agent_t restored;
static uint64_t start_campaign;          /* the agent's campaign at power-on */
static bool start_done;                  /* ... and whether it was over then */
static uint32_t test_deadline;           /* running a test image: reboot at this tick */

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

/* ---- updates ------------------------------------------------------------------------- */

static void save_agent(void *ctx, const ms_upd_agent_t *a)
{
    (void)ctx;
    psa_status_t st = psa_ps_set(UID_UPDATE_AGENT, sizeof *a, a, 0);
    if (st != PSA_SUCCESS) {
        app_put_status("comms: update state not saved", st);
    }
}

static void put_version(uint8_t major, uint8_t minor, uint16_t revision)
{
    ms_an505_put_dec(major);
    ms_an505_putc('.');
    ms_an505_put_dec(minor);
    ms_an505_putc('.');
    ms_an505_put_dec(revision);
}

static void on_update_event(void *ctx, ms_upd_session_event_t ev, const ms_link_offer_t *o,
                            const ms_link_upd_status_t *st, ms_err_t err)
{
    (void)ctx;
    switch (ev) {
    case MS_UPD_EV_OFFER:
        put_stat("comms: update offer campaign=", o->campaign_id);
        ms_an505_puts(" v");
        put_version(o->major, o->minor, o->revision);
        put_stat(" image=", o->image);
        put_stat(" size=", o->size);
        break;
    case MS_UPD_EV_OFFER_REFUSED:
        ms_an505_puts("comms: update offer refused by the TEE");
        break;
    case MS_UPD_EV_STATUS: {
        const char *name = ms_link_upd_state_name(st->state);
        ms_an505_puts("comms: update ");
        ms_an505_puts(name != NULL ? name : "?");
        put_stat(" progress=", st->progress);
        put_stat(" result=", st->result);
        if (err != MS_OK) {
            ms_an505_puts(" (not sent)");
            err = MS_OK;
        }
        break;
    }
    case MS_UPD_EV_STALLED:
        ms_an505_puts("comms: update download stalled: asking again");
        break;
    case MS_UPD_EV_AGENT_ERROR:
        ms_an505_puts("comms: update agent");
        break;
    }
    if (err != MS_OK) {
        ms_an505_puts(" err=");
        ms_an505_puts(ms_errname(err));
    }
    ms_an505_puts("\r\n");
}

/* The session, with the agent as the last power-on left it, told what the
 * boot loader handed over this time. */
static void updates_start(const char *id)
{
    size_t got = 0;
    bool have = psa_ps_get(UID_UPDATE_AGENT, 0, sizeof restored, &restored, &got) ==
                    PSA_SUCCESS && got == sizeof restored;
    ms_upd_session_hooks_t hooks = { .save = save_agent, .event = on_update_event, .ctx = NULL };
    ms_upd_session_init(&session, &client, &link, shared, id, have ? &restored : NULL, &hooks);
    start_campaign = session.agent.offer.campaign_id;
    start_done = session.agent.state == MS_UPD_AGENT_DONE;
    ms_tee_ns_image_t img;
    if (ms_tee_ns_running_image(session.agent.offer.image, &img) == PSA_SUCCESS) {
        ms_image_version_t v = { img.major, img.minor, img.revision, img.build };
        ms_an505_puts("comms: running image ");
        ms_an505_put_dec(session.agent.offer.image);
        ms_an505_puts(" v");
        put_version(img.major, img.minor, img.revision);
        ms_an505_puts(img.confirmed ? " confirmed\r\n" : " test\r\n");
        ms_upd_session_booted(&session, &v);
    }
    test_deadline = rtos_ticks() + TEST_WATCHDOG_MS;
}

/* An update went on during this power-on (a new campaign, or the one in
 * progress at power-on), is over, and its last report went out. */
static bool update_finished(void)
{
    const ms_upd_agent_t *a = &session.agent;
    return a->state == MS_UPD_AGENT_DONE && !a->status_unsent &&
           (!start_done || a->offer.campaign_id != start_campaign);
}

int comms_reading(void)
{
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t len = 0;
    uint64_t seq = 0;
    link = (ms_link_tee_t){ .call = link_call, .shared = shared, .shared_len = sizeof shared };
    ms_err_t err = ms_link_secure_tee.reading(&link, semihost_time(), msg, sizeof msg, &len, &seq);
    return err == MS_OK ? EXIT_DONE : EXIT_FAILED;
}

int comms_run(uint32_t readings, uint32_t interval_ms, uint32_t limit_ms, bool updates)
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
    if (updates) {
        updates_start(id);
    }
    uint32_t start = rtos_ticks(), next_connect = start;
    ms_link_client_state_t shown = MS_LINK_OFFLINE;
    uint32_t finish_at = 0;
    uint64_t acked = 0;
    while (rtos_ticks() - start < limit_ms) {
        uint32_t t = rtos_ticks();
        if (client.state == MS_LINK_OFFLINE && (int32_t)(t - next_connect) >= 0) {
            /* Bytes still on the line belong to the last connection (its
             * close, or what the modem held across a reboot): not to the
             * handshake about to start. */
            uint8_t stale[64];
            size_t got = 0;
            int reads = 0;
            do {
                (void)modem_read(NULL, stale, sizeof stale, &got);
            } while (got != 0 && ++reads < 32);   /* a modem that never stops: 2 KiB at most */
            if (ms_link_client_connect(&client, t) != MS_OK) {
                next_connect = t + RECONNECT_MS;
            }
        }
        bool was_online = client.state == MS_LINK_ONLINE;
        err = ms_link_client_step(&client, rtos_ticks(), semihost_time());
        bool reboot = updates && ms_upd_session_step(&session, !was_online &&
                                                               client.state == MS_LINK_ONLINE,
                                                    rtos_ticks());
        if (updates && session.agent.state == MS_UPD_AGENT_TESTING &&
            (int32_t)(rtos_ticks() - test_deadline) >= 0) {
            ms_an505_puts("comms: the test image did not reach the cloud in time\r\n");
            reboot = true;
        }
        if (reboot) {
            put_stat("comms: rebooting modem-out=", client.stats.uart_out);
            put_stat(" modem-in=", client.stats.uart_in);
            ms_an505_puts("\r\n");
            ms_link_client_disconnect(&client, rtos_ticks());
            app_put_status("comms: reboot refused", ms_tee_ns_reboot());
            return EXIT_FAILED;
        }
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
            put_stat(" modem-out=", client.stats.uart_out);
            put_stat(" modem-in=", client.stats.uart_in);
            ms_an505_puts("\r\n");
        }
        /* The TEE's queue, only when an end is in sight (a call into the TEE
         * and a PS read each time). */
        bool at_end = updates ? update_finished() : client.stats.readings >= readings;
        uint32_t queued = 1;
        if (at_end) {
            (void)ms_link_secure_tee.queued(&link, &queued);
        }
        if (updates && at_end && queued == 0) {
            /* The last report is in the client's output: a moment for it
             * (and its PUBACK) to cross before the line is closed. */
            if (finish_at == 0) {
                finish_at = rtos_ticks() + LINGER_MS;
            } else if ((int32_t)(rtos_ticks() - finish_at) >= 0) {
                put_stat("comms: update finished state=", session.agent.last.state);
                put_stat(" result=", session.agent.last.result);
                put_stat(" modem-out=", client.stats.uart_out);
                put_stat(" modem-in=", client.stats.uart_in);
                ms_an505_puts("\r\n");
                ms_link_client_disconnect(&client, rtos_ticks());
                return EXIT_DONE;
            }
        }
        if (!updates && at_end) {
            client.cfg.reading_interval_ms = 0;
            client.next_reading_ms = UINT64_MAX;
            if (queued == 0) {
                put_stat("comms: done readings=", client.stats.readings);
                put_stat(" commands=", client.stats.commands);
                put_stat(" commands-applied=", client.stats.commands_applied);
                put_stat(" modem-out=", client.stats.uart_out);
                put_stat(" modem-in=", client.stats.uart_in);
                ms_an505_puts("\r\n");
                ms_link_client_disconnect(&client, rtos_ticks());
                return EXIT_DONE;
            }
        }
        rtos_delay(session.kick ? 0 : 2);
        session.kick = false;
    }
    ms_an505_puts("comms: time limit reached\r\n");
    return EXIT_FAILED;
}
