/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update.c - the host meter's side of a firmware update (update.h).
 *
 * Invariants:
 *   - An offer reaches the agent only after the TEE has checked it (the
 *     cloud's command key, this meter); reports leave only signed by the
 *     TEE. Nothing here checks an image: the TEE verifies the download
 *     before the reboot and the boot core again at the reboot.
 *   - A test image is confirmed only after the cloud answered it: an
 *     acknowledgement the TEE checked with the cloud's key (a broker's
 *     SUBACK is not enough: the broker is not the cloud).
 *   - The meter "reboots" only when the agent says so (an image installed
 *     as a test image) or when the watchdog of a broken test image fires;
 *     a reboot is the boot core over the same device files, and the TEE's
 *     update service starts again from nothing, as it would in RAM.
 *   - The agent's state is saved (write, fsync, rename) after every event,
 *     so a power cut leaves the last saved state or the one before.
 */
#define _GNU_SOURCE
#include "update.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meterseal/tee_update.h"

#define STATE_MAGIC 0x4d535541u   /* "MSUA" */
#define WATCHDOG_MS 2000u

typedef struct saved_hdr {
    uint32_t magic;
    uint32_t size;                 /* sizeof (ms_upd_agent_t) of the build that wrote it */
    uint8_t sha256[MS_SHA256_LEN]; /* of the agent's bytes: a damaged file is not used */
} saved_hdr_t;

static psa_status_t agent_call(void *ctx, uint32_t sid, int32_t type, const ms_tee_invec_t *in,
                               size_t n_in, ms_tee_outvec_t *out, size_t n_out)
{
    return ms_meter_host_call(ctx, sid, type, in, n_in, out, n_out);
}

static void say_status(const uint8_t *p, size_t n, const char *how)
{
    ms_link_upd_status_t s;
    if (ms_link_upd_status_decode(p, n, &s) == MS_OK) {
        const char *name = ms_link_upd_state_name(s.state);
        printf("meter: update %s progress=%u result=%u%s%s%s\n", name != NULL ? name : "?",
               s.progress, s.result, s.reason[0] ? " reason=" : "", s.reason, how);
    }
}

/* A chunk request goes out now (the client flushes it in the same step),
 * or waits for the loop when there is no room or no connection; status
 * reports are signed by the TEE and published now, or the agent sends the
 * last one again at the next link up. */
static ms_err_t agent_send(void *ctx, ms_upd_send_kind_t kind, const uint8_t *p, size_t n)
{
    meter_update_t *u = ctx;
    if (kind == MS_UPD_SEND_REQUEST) {
        if (n > sizeof u->req) {
            return MS_ERR_BUFFER_TOO_SMALL;
        }
        if (ms_link_client_publish(u->client, "upd-req", p, n, u->now_ms) == MS_OK) {
            u->req_len = 0;
            u->kick = true;
            return MS_OK;
        }
        memcpy(u->req, p, n);
        u->req_len = n;
        return MS_OK;
    }
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t len = 0;
    ms_err_t err = ms_link_tee_update_status(&u->host->link, p, n, msg, sizeof msg, &len);
    if (err == MS_OK) {
        err = ms_link_client_publish(u->client, "upd-status", msg, len, u->now_ms);
    }
    say_status(p, n, err == MS_OK ? "" : " (not sent: again at the next link up)");
    return err;
}

static void save(meter_update_t *u)
{
    char tmp[sizeof u->state_path + 4];
    snprintf(tmp, sizeof tmp, "%s.new", u->state_path);
    saved_hdr_t h = { STATE_MAGIC, (uint32_t)sizeof u->agent, { 0 } };
    ms_upd_agent_t a = u->agent;
    memset(&a.io, 0, sizeof a.io);   /* pointers mean nothing in the next process */
    if (memcmp(&a, &u->saved, sizeof a) == 0) {
        return;                      /* nothing changed (junk on the topic writes nothing) */
    }
    u->saved = a;
    (void)ms_sha256(&a, sizeof a, h.sha256);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool ok = fd >= 0 && write(fd, &h, sizeof h) == (ssize_t)sizeof h &&
              write(fd, &a, sizeof a) == (ssize_t)sizeof a && fsync(fd) == 0;
    if (fd >= 0) {
        ok = close(fd) == 0 && ok;
    }
    if (!ok || rename(tmp, u->state_path) != 0) {
        printf("meter: update state not saved (%s)\n", u->state_path);
    }
}

/* Fields a download in progress needs to make sense (bytes already known
 * to be what this build wrote). */
static bool plausible(const ms_upd_agent_t *a, const char *meter_id)
{
    if (a->state > MS_UPD_AGENT_DONE || memchr(a->meter_id, 0, sizeof a->meter_id) == NULL ||
        strcmp(a->meter_id, meter_id) != 0) {
        return false;
    }
    return a->state == MS_UPD_AGENT_IDLE ||
           (a->offer.size != 0 && a->offset <= a->offer.size && a->offer.chunk_size != 0 &&
            a->offer.chunk_size <= MS_LINK_CHUNK_MAX && a->offer.image <= 1);
}

/* The saved state, if this build wrote it whole and it makes sense; else a
 * fresh agent. */
static void load(meter_update_t *u, const ms_upd_agent_io_t *io, const char *meter_id)
{
    ms_upd_agent_init(&u->agent, io, meter_id);
    saved_hdr_t h;
    ms_upd_agent_t a;
    uint8_t sum[MS_SHA256_LEN];
    int fd = open(u->state_path, O_RDONLY);
    if (fd < 0) {
        return;
    }
    bool ok = read(fd, &h, sizeof h) == (ssize_t)sizeof h && h.magic == STATE_MAGIC &&
              h.size == sizeof a && read(fd, &a, sizeof a) == (ssize_t)sizeof a &&
              ms_sha256(&a, sizeof a, sum) == MS_OK &&
              memcmp(sum, h.sha256, sizeof sum) == 0 && plausible(&a, meter_id);
    close(fd);
    if (ok) {
        u->saved = a;
        a.io = *io;
        u->agent = a;
    } else {
        printf("meter: update state unreadable: starting from idle\n");
    }
}

static void say_booted(const meter_update_t *u)
{
    for (size_t i = 0; i < u->booted.n_images; i++) {
        const ms_boot_image_record_t *r = &u->booted.img[i];
        printf("meter: booted %s v%u.%u.%u+%lu %s\n", i == 0 ? "S" : "NS", r->m.version.major,
               r->m.version.minor, r->m.version.revision, (unsigned long)r->m.version.build,
               r->confirmed ? "confirmed" : "test");
    }
}

static ms_err_t boot(meter_update_t *u)
{
    ms_tee_update_service_bind(NULL);   /* the TEE's RAM does not survive a reset */
    ms_err_t err = ms_boot_go(&u->boot, &u->dev.cfg, &u->booted);
    if (err != MS_OK) {
        printf("meter: boot refused: %s\n", ms_errname(err));
        return err;
    }
    say_booted(u);
    ms_tee_update_service_bind(&u->dev.cfg);
    return MS_OK;
}

static const ms_image_version_t *running(const meter_update_t *u)
{
    size_t i = u->agent.offer.image < u->booted.n_images ? u->agent.offer.image : 0;
    return &u->booted.img[i].m.version;
}

ms_err_t meter_update_open(meter_update_t *u, ms_meter_host_t *host, const char *boot_dir,
                           const char *state_dir, const char *meter_id)
{
    memset(u, 0, sizeof *u);
    u->host = host;
    u->stall_ms = 10000;
    const char *what = "";
    char flash[600];
    struct stat sb;
    snprintf(flash, sizeof flash, "%s/flash.bin", boot_dir);
    if (stat(flash, &sb) != 0) {
        /* a mistyped directory must not become a blank new device */
        printf("meter: %s is not a meter's boot device (no flash.bin)\n", boot_dir);
        return MS_ERR_NOT_FOUND;
    }
    ms_err_t err = ms_sim_device_open(&u->dev, boot_dir, NULL, &what);
    if (err != MS_OK) {
        printf("meter: boot device %s: %s: %s\n", boot_dir, what, ms_errname(err));
        return err;
    }
    snprintf(u->state_path, sizeof u->state_path, "%s/update-agent.bin", state_dir);
    /* the agent's vectors go in the Non-secure memory registered with the
     * TEE for this world; calls never overlap, so it is shared with the
     * client's LINK calls */
    ms_upd_agent_io_t io = { .call = agent_call, .call_ctx = host, .shared = host->shared,
                             .send = agent_send, .send_ctx = u };
    load(u, &io, meter_id);
    if ((err = boot(u)) != MS_OK) {
        ms_sim_device_close(&u->dev);
        return err;
    }
    /* a reboot the last process did not live to see through */
    (void)ms_upd_agent_booted(&u->agent, running(u));
    save(u);
    return MS_OK;
}

static bool tail_is(const char *tail, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(tail, want, len) == 0;
}

static void on_down(void *ctx, const char *tail, size_t tail_len, const uint8_t *payload,
                    size_t len, uint64_t now_ms)
{
    meter_update_t *u = ctx;
    u->now_ms = now_ms;
    if (tail_is(tail, tail_len, "upd-offer")) {
        ms_link_offer_t o;
        ms_err_t err = ms_link_tee_offer(&u->host->link, payload, len, &o);
        if (err != MS_OK) {
            printf("meter: update offer refused by the TEE: %s\n", ms_errname(err));
            return;
        }
        err = ms_upd_agent_offer(&u->agent, &o);
        printf("meter: update offer campaign=%llu v%u.%u.%u image=%s size=%u: %s\n",
               (unsigned long long)o.campaign_id, o.major, o.minor, o.revision,
               o.image == 0 ? "S" : "NS", o.size, err == MS_OK ? "taken" : ms_errname(err));
        u->last_chunk_ms = now_ms;
    } else if (tail_is(tail, tail_len, "upd-chunk")) {
        uint32_t before = u->agent.offset;
        (void)ms_upd_agent_chunk(&u->agent, payload, len);
        if (u->agent.offset != before || u->agent.state != MS_UPD_AGENT_DOWNLOADING) {
            u->last_chunk_ms = now_ms;
        }
    } else {
        return;
    }
    save(u);
}

void meter_update_attach(meter_update_t *u, ms_link_client_t *c)
{
    u->client = c;
    ms_link_client_set_handler(c, on_down, u);
}

bool meter_update_offline(const meter_update_t *u)
{
    return u->broken && u->agent.state == MS_UPD_AGENT_TESTING;
}

bool meter_update_step(meter_update_t *u, bool came_online, uint64_t now_ms)
{
    u->now_ms = now_ms;
    bool online = u->client->state == MS_LINK_ONLINE;
    bool stalled = !came_online && online && u->agent.state == MS_UPD_AGENT_DOWNLOADING &&
                   now_ms - u->last_chunk_ms >= u->stall_ms;
    /* an acknowledgement that took a reading off the TEE's queue */
    bool cloud_answered = u->client->stats.acked_readings != u->acks_seen;
    u->acks_seen = u->client->stats.acked_readings;
    bool testing = u->agent.state == MS_UPD_AGENT_TESTING;
    if (testing && came_online) {
        /* a reading from the new image now: the cloud's signed
         * acknowledgement of it is what confirms the image */
        ms_link_client_read_now(u->client);
    }
    if ((came_online && !testing) || stalled || (testing && cloud_answered)) {
        if (stalled) {
            printf("meter: update download stalled at %u: asking again\n", u->agent.offset);
        }
        /* resume at the TEE's last good offset, confirm, or report again */
        ms_err_t err = ms_upd_agent_link_up(&u->agent);
        if (err != MS_OK) {
            printf("meter: update agent: %s\n", ms_errname(err));
        }
        u->last_chunk_ms = now_ms;
        save(u);
    }
    if (u->req_len != 0 && online &&
        ms_link_client_publish(u->client, "upd-req", u->req, u->req_len, now_ms) == MS_OK) {
        u->req_len = 0;
        u->kick = true;
    }
    bool watchdog = meter_update_offline(u) && now_ms - u->rebooted_ms >= WATCHDOG_MS;
    if (u->agent.state != MS_UPD_AGENT_REBOOT && !watchdog) {
        return false;
    }
    u->kick = false;
    printf(watchdog ? "meter: watchdog: the test image never reached the cloud, rebooting\n"
                    : "meter: update installed as a test image, rebooting\n");
    fflush(stdout);
    u->req_len = 0;
    if (boot(u) != MS_OK) {
        u->dead = true;
        return true;
    }
    u->rebooted_ms = now_ms;
    (void)ms_upd_agent_booted(&u->agent, running(u));
    save(u);
    return true;
}

void meter_update_close(meter_update_t *u)
{
    ms_tee_update_service_bind(NULL);
    ms_sim_device_close(&u->dev);
}
