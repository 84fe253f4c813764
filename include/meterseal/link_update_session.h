/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_update_session.h - the update agent (link_update_agent.h) wired to
 * the cloud client (link_client.h) and the TEE's LINK service: the part of
 * a meter's firmware update that is the same on every platform
 * (docs/ota.md section 6). The host meter (tools/meterseal-meter) and the
 * emulated Cortex-M33's Non-secure application (firmware/nonsecure) both
 * run it; each platform only keeps the agent's state across reboots,
 * reboots, and says what happened.
 *
 *   down/upd-offer   checked by the TEE (the cloud's command key, this
 *                    meter), then handed to the agent;
 *   down/upd-chunk   handed to the agent (it decodes and checks it);
 *   up/upd-req       the agent's chunk requests: published at once, or kept
 *                    and published at the next step when there is no room;
 *   up/upd-status    the agent's reports, signed by the TEE first.
 *
 * Confirmation: a test image is confirmed (ms_upd_agent_link_up in
 * TESTING) only after the cloud has answered a reading the new image took:
 * online, a reading taken since the boot, an acknowledgement the TEE
 * checked with the cloud's key, and the TEE's queue empty (so that reading
 * is off it too) - not a broker's SUBACK, and not an acknowledgement of an
 * older reading the broker held across the reboot. A download that stops
 * moving for stall_ms is asked for again at the TEE's last good offset.
 *
 * Portable: no heap, no stdio; the caller owns the session and the shared
 * Non-secure memory the agent's vectors use.
 */
#ifndef MS_LINK_UPDATE_SESSION_H
#define MS_LINK_UPDATE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/link_client.h"
#include "meterseal/link_update_agent.h"

typedef enum ms_upd_session_event {
    MS_UPD_EV_OFFER = 1,        /* an offer the TEE checked: offer, err (the agent's answer) */
    MS_UPD_EV_OFFER_REFUSED,    /* the TEE refused an offer: err */
    MS_UPD_EV_STATUS,           /* a report: status, err (MS_OK: published) */
    MS_UPD_EV_STALLED,          /* no chunk for stall_ms: asked again */
    MS_UPD_EV_AGENT_ERROR,      /* the agent refused a link-up: err */
} ms_upd_session_event_t;

typedef struct ms_upd_session_hooks {
    /* Keep the agent (its io cleared) across reboots and power cuts:
     * called after every event that changed it. */
    void (*save)(void *ctx, const ms_upd_agent_t *agent);
    /* What happened (for the platform's log); may be NULL. */
    void (*event)(void *ctx, ms_upd_session_event_t ev, const ms_link_offer_t *offer,
                  const ms_link_upd_status_t *status, ms_err_t err);
    void *ctx;
} ms_upd_session_hooks_t;

typedef struct ms_upd_session {
    ms_upd_agent_t agent;
    ms_link_client_t *client;
    ms_link_tee_t *link;
    ms_upd_session_hooks_t hooks;
    ms_upd_agent_t saved;          /* what was last saved (io cleared) */
    uint8_t req[128];              /* a chunk request not published yet */
    size_t req_len;
    uint64_t now_ms;               /* the time of the event being handled */
    uint64_t last_chunk_ms;        /* when the download last moved */
    uint64_t acks_seen;            /* acknowledgements already counted */
    uint64_t readings_at_boot;     /* client.stats.readings when the image booted */
    uint32_t stall_ms;             /* default 10000 */
    bool kick;                     /* something was queued outside a client step: step now */
} ms_upd_session_t;

/*
 * Bind a session to a client (its down/ handler becomes the session's) and
 * the TEE's LINK service; shared: MS_UPD_AGENT_SHARED bytes of Non-secure
 * memory for the agent's vectors (it may be the LINK service's own: calls
 * never overlap). restored: the agent as last saved (NULL: a new one); it
 * is used only if it is plausible for meter_id (its fields consistent).
 */
void ms_upd_session_init(ms_upd_session_t *s, ms_link_client_t *client, ms_link_tee_t *link,
                         uint8_t *shared, const char *meter_id, const ms_upd_agent_t *restored,
                         const ms_upd_session_hooks_t *hooks);

/* True when restored agent bytes make sense for meter_id. */
bool ms_upd_session_plausible(const ms_upd_agent_t *a, const char *meter_id);

/* After a boot: the version of the offered image now running. */
void ms_upd_session_booted(ms_upd_session_t *s, const ms_image_version_t *running);

/* Once per loop turn, after the client's step: came_online is true on the
 * turn the client became ONLINE. Returns true when the agent has installed
 * an image and the meter must reboot now (the state is saved). */
bool ms_upd_session_step(ms_upd_session_t *s, bool came_online, uint64_t now_ms);

#endif /* MS_LINK_UPDATE_SESSION_H */
