/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.h - what the cloud does with each message meters send (docs/cloud.md
 * §4-§5): check the topic, the meter, the COSE envelope, the signature with
 * the registered key, the payload; store readings in batches and, only after
 * a batch committed, acknowledge them (signed with the cloud command key);
 * store events and command results.
 *
 * The MQTT connection is not here (mqtt.c hands messages in and sends what
 * ms_cloud_t.publish queues), so the whole path is tested without a broker.
 */
#ifndef MS_CLOUD_INGEST_H
#define MS_CLOUD_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "service.h"

#define MS_INGEST_BATCH_MAX   512u
#define MS_INGEST_REPLAY_WINDOW 10000u   /* §5.2 */

typedef struct ms_ingest ms_ingest_t;

typedef struct ms_ingest_stats {
    uint64_t received;     /* messages handed in */
    uint64_t stored;       /* readings newly stored */
    uint64_t duplicates;   /* readings stored before (acknowledged again) */
    uint64_t rejected;     /* messages refused (logged with the reason) */
    uint64_t events;       /* meter events stored */
    uint64_t results;      /* command results recorded */
    uint64_t acks;         /* acknowledgement messages published */
    uint64_t batches;      /* committed batches */
} ms_ingest_stats_t;

/* batch_max: readings per transaction (1..MS_INGEST_BATCH_MAX). */
ms_err_t ms_ingest_new(ms_cloud_t *c, size_t batch_max, ms_ingest_t **out);
void ms_ingest_free(ms_ingest_t *in);

/* One message as it came from the broker. Readings are queued (a full
 * batch is flushed first); the rest is handled at once. Refusals are
 * logged and counted, never returned: nothing a meter sends can stop the
 * service. MS_ERR_CLOUD_DB only when a needed flush failed. */
ms_err_t ms_ingest_message(ms_ingest_t *in, const char *topic, size_t topic_len,
                           const uint8_t *payload, size_t len);

/* Store the queued readings in one durable transaction, then publish their
 * acknowledgements. If the transaction fails nothing is acknowledged (the
 * meters send again) and MS_ERR_CLOUD_DB is returned. */
ms_err_t ms_ingest_flush(ms_ingest_t *in);

size_t ms_ingest_pending(const ms_ingest_t *in);
const ms_ingest_stats_t *ms_ingest_stats(const ms_ingest_t *in);

#endif /* MS_CLOUD_INGEST_H */
