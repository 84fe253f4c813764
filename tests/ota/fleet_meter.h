/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet_meter.h - one simulated meter taking an update (fleet_sim.h): the
 * meter-side code only (link_update.h, link_msg.h, tee_update.h, boot.h on
 * the boot fixture's flash), so it never sees a cloud header. The network
 * is two callbacks: send a message on one of the meter's topics, and take
 * the reply the cloud published for it.
 */
#ifndef MS_FLEET_METER_H
#define MS_FLEET_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_fixture.h"
#include "meterseal/link_update.h"

typedef struct fm_fault {
    uint32_t drop_at;         /* lose the link when the download reaches this offset (0: never) */
    uint32_t tamper_at;       /* flip a byte of the chunk at this offset (0: never) */
    bool no_reconnect;        /* after the reboot into the new image the cloud is unreachable */
} fm_fault_t;

typedef struct fm_meter {
    char id[MS_LINK_METER_ID_MAX + 1];
    ms_p256_priv_t key;       /* identity key (kept in the TEE on a meter; simulated here) */
    ms_p256_pub_t pub;
    uint8_t kid[8];
    fm_fault_t fault;
    /* what happened, for the tests */
    uint32_t offers;
    uint32_t reconnects;
    uint32_t resumed_at;      /* the TEE's last good offset found after a reconnect */
    uint32_t chunks;
    int verify_err;           /* ms_err_t of the TEE's VERIFY */
    bool rebooted;            /* booted the new image at least once */
    bool runs_new;            /* at the end the meter runs the offered image */
    uint32_t last_state;      /* last state reported */
    uint64_t status_seq;      /* the last status report's number (the TEE's, simulated) */
} fm_meter_t;

typedef struct fm_net {
    /* publish on ms/v1/<id>/<kind> */
    ms_err_t (*send)(void *ctx, const fm_meter_t *m, const char *kind, const uint8_t *p,
                     size_t n);
    /* take the message the cloud published on ms/v1/<id>/<kind> (MS_ERR_NOT_FOUND: none) */
    ms_err_t (*take)(void *ctx, const fm_meter_t *m, const char *kind, uint8_t *buf, size_t cap,
                     size_t *n);
    void *ctx;
    const ms_p256_pub_t *cloud_pub;   /* checks offers (the cloud command key) */
    const fx_image_t *base;           /* what the meter runs before the update */
    uint32_t slot_size;
} fm_net_t;

/* A meter with a fresh identity key. */
void fm_init(fm_meter_t *m, const char *id);

/* Take one offer (a COSE_Sign1 message) through to its end. MS_OK when the
 * meter followed the protocol to an end (success, failed, reverted). */
ms_err_t fm_run(fm_meter_t *m, const fm_net_t *net, const uint8_t *offer, size_t len);

/* A status report signed as the meter's TEE signs it (up/upd-status), under
 * s->seq as it is (0: unnumbered): for tests that send reports themselves. */
ms_err_t fm_status_msg(const fm_meter_t *m, const ms_link_upd_status_t *s, uint8_t *msg,
                       size_t cap, size_t *len);

#endif /* MS_FLEET_METER_H */
