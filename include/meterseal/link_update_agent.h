/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_update_agent.h - the Non-secure application's side of a firmware
 * update (docs/ota.md section 6): it takes an offer, asks the cloud for the
 * image chunk by chunk at the TEE's last good offset, hands every chunk to
 * the TEE's update service through the secure API (MS_TEE_SID_UPDATE,
 * tee_update.h), has the TEE decrypt and verify the download, installs it
 * as a test image, and after the reboot confirms it only once the cloud is
 * reached again. It reports every state (link_update.h).
 *
 * Event-driven and portable (no heap, no I/O, no clock): the platform feeds
 * it events - an offer (already authenticated: COSE by the cloud's command
 * key, the meter's own id), a chunk message, "the link is up", "booted with
 * this version" - and gives it a send function for chunk requests and
 * status payloads (the platform publishes requests as they are and has the
 * TEE sign status reports). The agent holds no key and writes no flash.
 *
 *   IDLE --offer--> DOWNLOADING --last chunk, VERIFY ok, INSTALL--> REBOOT
 *        (VERIFY refused: failed + reason, DONE, no reboot)
 *   REBOOT --booted(new version)--> TESTING --link up: CONFIRM--> DONE (success)
 *   TESTING --booted(old version): the boot loader reverted--> DONE (reverted)
 *   DOWNLOADING --link up--> the request at the TEE's last good offset again
 *
 * The struct is the state to keep across the reboot (retained RAM or the
 * Non-secure world's own storage); a report that could not be sent is
 * sent again at the next link up.
 */
#ifndef MS_LINK_UPDATE_AGENT_H
#define MS_LINK_UPDATE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/image.h"
#include "meterseal/link_update.h"
#include "meterseal/tee_dispatch.h"

#define MS_UPD_AGENT_SHARED 2176u   /* Non-secure memory for the secure API's vectors */

typedef enum ms_upd_agent_state {
    MS_UPD_AGENT_IDLE = 0,
    MS_UPD_AGENT_DOWNLOADING = 1,
    MS_UPD_AGENT_REBOOT = 2,      /* installed as a test image: reboot when it suits */
    MS_UPD_AGENT_TESTING = 3,     /* running it, not confirmed: confirm once the cloud answers */
    MS_UPD_AGENT_DONE = 4,        /* success, failed or reverted (reported) */
} ms_upd_agent_state_t;

typedef enum ms_upd_send_kind {
    MS_UPD_SEND_REQUEST = 1,      /* a chunk request payload (up/upd-req) */
    MS_UPD_SEND_STATUS = 2,       /* a status payload: the TEE signs it (up/upd-status) */
} ms_upd_send_kind_t;

typedef psa_status_t (*ms_upd_call_fn)(void *ctx, uint32_t sid, int32_t type,
                                       const ms_tee_invec_t *in, size_t n_in,
                                       ms_tee_outvec_t *out, size_t n_out);

typedef struct ms_upd_agent_io {
    ms_upd_call_fn call;          /* the secure API (ms_tee_call, or the veneer) */
    void *call_ctx;
    uint8_t *shared;              /* MS_UPD_AGENT_SHARED bytes of Non-secure memory */
    ms_err_t (*send)(void *ctx, ms_upd_send_kind_t kind, const uint8_t *p, size_t n);
    void *send_ctx;
} ms_upd_agent_io_t;

typedef struct ms_upd_agent {
    ms_upd_agent_io_t io;
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    ms_upd_agent_state_t state;
    ms_link_offer_t offer;        /* the update in progress */
    uint32_t offset;              /* the TEE's last good offset, as last reported */
    uint32_t next_report;         /* progress reports every quarter */
    bool status_unsent;           /* the last report did not go out: again at link up */
    ms_link_upd_status_t last;    /* the last report */
    ms_err_t refused;             /* why the TEE refused the image (MS_OK: it did not) */
} ms_upd_agent_t;

void ms_upd_agent_init(ms_upd_agent_t *a, const ms_upd_agent_io_t *io, const char *meter_id);

/* A new offer. MS_ERR_STATE while another update is between download and
 * confirm (an offer of the same campaign restarts nothing: it resumes). */
ms_err_t ms_upd_agent_offer(ms_upd_agent_t *a, const ms_link_offer_t *o);

/* A chunk message (outside data: decoded and checked against the request). */
ms_err_t ms_upd_agent_chunk(ms_upd_agent_t *a, const uint8_t *msg, size_t len);

/* The link to the cloud is up (again): resume, confirm, or send a report
 * that did not go out. */
ms_err_t ms_upd_agent_link_up(ms_upd_agent_t *a);

/* After a reboot: the image version now running (from the boot record). */
ms_err_t ms_upd_agent_booted(ms_upd_agent_t *a, const ms_image_version_t *running);

#endif /* MS_LINK_UPDATE_AGENT_H */
