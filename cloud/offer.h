/* SPDX-License-Identifier: Apache-2.0 */
/*
 * offer.h - what the update service sends meters: a campaign wave's offers
 * and, on a meter's request, image chunks (offer.c). Internal to the
 * service; the chunk request's entry point is in ota.h.
 */
#ifndef MS_CLOUD_OFFER_H
#define MS_CLOUD_OFFER_H

#include <stdbool.h>
#include <stddef.h>

#include "ota.h"

/* Offer c's image to every meter of its current wave that is queued and
 * not offered (its first offer, or a retry's), each marked offered by
 * compare and set before its offer is sent (another instance that marked it
 * first sends it). A meter never offered yet is instead failed, with its
 * reason, when its certificate is revoked or the image is below the
 * fleet's security counter (a newer image was released since the wave's
 * release, which an instance that stopped before its offers left
 * unsent). A failed publish is logged, and the row stays offered: the MQTT
 * client sends a QoS 1 message it kept once it is connected again. */
ms_err_t ms_ota_offer_wave(ms_ota_t *o, const ms_campaign_rec_t *c);

/* Whether the meter's certificate is revoked; an error when it cannot be
 * told (the meter's row not read). */
ms_err_t ms_ota_meter_revocation(const ms_ota_t *o, const char *meter_id, bool *revoked);
/* True when it is revoked or cannot be told (for refusing its messages). */
bool ms_ota_meter_revoked(const ms_ota_t *o, const char *meter_id);

/* The array a (*cap elements of size bytes) with room for element n,
 * doubled when full; NULL when memory ran out (a is then left as it was). */
void *ms_ota_room_for_one(void *a, size_t *cap, size_t n, size_t size);

#endif /* MS_CLOUD_OFFER_H */
