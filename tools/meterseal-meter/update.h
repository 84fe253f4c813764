/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update.h - the host meter's side of a firmware update over the channel
 * (docs/ota.md section 6): the Non-secure update agent
 * (link_update_agent.h) wired to the cloud client and the TEE by the
 * portable session (link_update_session.h), and to the meter's boot side:
 * a simulated meter's
 * device directory (sim_device.h) that the boot core boots at start and
 * again when the agent has installed an update - the reboot.
 *
 * The agent's state is the Non-secure world's own: kept in
 * DIR/update-agent.bin across reboots and power cuts (retained RAM or
 * Non-secure flash on a meter). It is not trusted by anyone: the TEE and
 * the boot loader check every image themselves.
 */
#ifndef MS_METER_UPDATE_H
#define MS_METER_UPDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "meter_host.h"
#include "meterseal/link_client.h"
#include "meterseal/link_update_agent.h"
#include "meterseal/link_update_session.h"
#include "sim_device.h"

typedef struct meter_update {
    ms_meter_host_t *host;
    ms_sim_device_t dev;
    ms_boot_t boot;
    ms_boot_result_t booted;       /* the last boot's result */
    ms_upd_session_t sess;         /* the agent wired to the client and the TEE */
    ms_upd_agent_t restored;       /* what the state file held */
    bool have_restored;
    char state_path[512];
    uint64_t rebooted_ms;          /* when the last reboot was (the watchdog's start) */
    bool broken;                   /* test: a new image that never reaches the cloud */
    bool dead;                     /* the boot loader refused to boot: the meter is down */
} meter_update_t;

/* Open the boot device in boot_dir, boot it (S11-S14 of the boot core),
 * bind the TEE's update service to it, and load the agent's state.
 * MS_ERR_* of the boot when it refuses. */
ms_err_t meter_update_open(meter_update_t *u, ms_meter_host_t *host, const char *boot_dir,
                           const char *state_dir);

/* Start the session on the client (after ms_link_client_init): its down/
 * messages come here. */
void meter_update_attach(meter_update_t *u, ms_link_client_t *c, const char *meter_id);

/* Once per loop turn: the link came up, requests to publish, a stalled
 * download, a reboot that is due. Returns true when the meter rebooted
 * (the caller drops its connection and connects again). */
bool meter_update_step(meter_update_t *u, bool came_online, uint64_t now_ms);

/* True while the running test image cannot reach the cloud (--broken-update):
 * the caller does not connect; the watchdog reboots it after 2 s and the
 * boot loader puts the old image back. */
bool meter_update_offline(const meter_update_t *u);

void meter_update_close(meter_update_t *u);

#endif /* MS_METER_UPDATE_H */
