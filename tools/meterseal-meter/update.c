/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update.c - the host meter's side of a firmware update (update.h).
 *
 * Invariants:
 *   - The agent, the offers, the reports and the confirmation are the
 *     portable session's (link_update_session.h); this file keeps the
 *     agent's state, boots, and prints. Nothing here checks an image: the
 *     TEE verifies the download before the reboot and the boot core again
 *     at the reboot.
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

static void on_event(void *ctx, ms_upd_session_event_t ev, const ms_link_offer_t *o,
                     const ms_link_upd_status_t *st, ms_err_t err)
{
    (void)ctx;
    switch (ev) {
    case MS_UPD_EV_OFFER:
        printf("meter: update offer campaign=%llu v%u.%u.%u image=%s size=%u: %s\n",
               (unsigned long long)o->campaign_id, o->major, o->minor, o->revision,
               o->image == 0 ? "S" : "NS", o->size, err == MS_OK ? "taken" : ms_errname(err));
        break;
    case MS_UPD_EV_OFFER_REFUSED:
        printf("meter: update offer refused by the TEE: %s\n", ms_errname(err));
        break;
    case MS_UPD_EV_STATUS: {
        const char *name = ms_link_upd_state_name(st->state);
        printf("meter: update %s progress=%u result=%u%s%s%s\n", name != NULL ? name : "?",
               st->progress, st->result, st->reason[0] ? " reason=" : "", st->reason,
               err == MS_OK ? "" : " (not sent: again at the next link up)");
        break;
    }
    case MS_UPD_EV_STALLED:
        printf("meter: update download stalled: asking again\n");
        break;
    case MS_UPD_EV_AGENT_ERROR:
        printf("meter: update agent: %s\n", ms_errname(err));
        break;
    }
}

static void save(void *ctx, const ms_upd_agent_t *a)
{
    meter_update_t *u = ctx;
    char tmp[sizeof u->state_path + 4];
    snprintf(tmp, sizeof tmp, "%s.new", u->state_path);
    saved_hdr_t h = { STATE_MAGIC, (uint32_t)sizeof *a, { 0 } };
    (void)ms_sha256(a, sizeof *a, h.sha256);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool ok = fd >= 0 && write(fd, &h, sizeof h) == (ssize_t)sizeof h &&
              write(fd, a, sizeof *a) == (ssize_t)sizeof *a && fsync(fd) == 0;
    if (fd >= 0) {
        ok = close(fd) == 0 && ok;
    }
    if (!ok || rename(tmp, u->state_path) != 0) {
        printf("meter: update state not saved (%s)\n", u->state_path);
    }
}

/* The saved state, if this build wrote it whole; the session checks that
 * it makes sense for this meter. */
static void load(meter_update_t *u)
{
    saved_hdr_t h;
    uint8_t sum[MS_SHA256_LEN];
    int fd = open(u->state_path, O_RDONLY);
    if (fd < 0) {
        return;
    }
    ms_upd_agent_t *a = &u->restored;
    u->have_restored = read(fd, &h, sizeof h) == (ssize_t)sizeof h && h.magic == STATE_MAGIC &&
                       h.size == sizeof *a && read(fd, a, sizeof *a) == (ssize_t)sizeof *a &&
                       ms_sha256(a, sizeof *a, sum) == MS_OK &&
                       memcmp(sum, h.sha256, sizeof sum) == 0;
    close(fd);
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
    size_t i = u->sess.agent.offer.image < u->booted.n_images ? u->sess.agent.offer.image : 0;
    return &u->booted.img[i].m.version;
}

ms_err_t meter_update_open(meter_update_t *u, ms_meter_host_t *host, const char *boot_dir,
                           const char *state_dir)
{
    memset(u, 0, sizeof *u);
    u->host = host;
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
    load(u);
    if ((err = boot(u)) != MS_OK) {
        ms_sim_device_close(&u->dev);
        return err;
    }
    return MS_OK;
}

void meter_update_attach(meter_update_t *u, ms_link_client_t *c, const char *meter_id)
{
    /* the agent's vectors go in the Non-secure memory registered with the
     * TEE for this world; calls never overlap, so it is shared with the
     * client's LINK calls */
    ms_upd_session_hooks_t hooks = { .save = save, .event = on_event, .ctx = u };
    if (u->have_restored && !ms_upd_session_plausible(&u->restored, meter_id)) {
        printf("meter: update state unreadable: starting from idle\n");
        u->have_restored = false;
    }
    ms_upd_session_init(&u->sess, c, &u->host->link, u->host->shared, meter_id,
                        u->have_restored ? &u->restored : NULL, &hooks);
    /* a reboot the last process did not live to see through */
    ms_upd_session_booted(&u->sess, running(u));
}

bool meter_update_offline(const meter_update_t *u)
{
    return u->broken && u->sess.agent.state == MS_UPD_AGENT_TESTING;
}

bool meter_update_step(meter_update_t *u, bool came_online, uint64_t now_ms)
{
    bool reboot = ms_upd_session_step(&u->sess, came_online, now_ms);
    bool watchdog = meter_update_offline(u) && now_ms - u->rebooted_ms >= WATCHDOG_MS;
    if (!reboot && !watchdog) {
        return false;
    }
    printf(watchdog ? "meter: watchdog: the test image never reached the cloud, rebooting\n"
                    : "meter: update installed as a test image, rebooting\n");
    fflush(stdout);
    if (boot(u) != MS_OK) {
        u->dead = true;
        return true;
    }
    u->rebooted_ms = now_ms;
    ms_upd_session_booted(&u->sess, running(u));
    return true;
}

void meter_update_close(meter_update_t *u)
{
    ms_tee_update_service_bind(NULL);
    ms_sim_device_close(&u->dev);
}
