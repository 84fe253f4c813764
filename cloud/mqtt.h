/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mqtt.h - the service's one connection to the broker (libmosquitto, MQTT
 * 5, TLS with the cloud service's client certificate), driven by the
 * service's event loop: the loop polls ms_mqtt_fd() and calls read, write
 * and tick. Subscribes with QoS 1 to the shared subscription
 * $share/<group>/ms/v1/+/up/# (docs/cloud.md §4) after every (re)connect.
 */
#ifndef MS_CLOUD_MQTT_H
#define MS_CLOUD_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"

typedef struct ms_mqtt ms_mqtt_t;

typedef struct ms_mqtt_config {
    const char *host;
    int port;
    const char *cafile;      /* the cloud CA: the broker's certificate must chain to it */
    const char *certfile;    /* the cloud service's client certificate and key */
    const char *keyfile;
    const char *client_id;   /* unique per instance */
    const char *share_group; /* "ingest" */
    int keepalive;
} ms_mqtt_config_t;

/* A message from the broker (topic is NUL-terminated, topic_len its length). */
typedef void (*ms_mqtt_message_fn)(void *ctx, const char *topic, size_t topic_len,
                                   const uint8_t *payload, size_t len);

ms_err_t ms_mqtt_new(const ms_mqtt_config_t *cfg, ms_mqtt_message_fn on_message, void *ctx,
                     ms_mqtt_t **out);
void ms_mqtt_free(ms_mqtt_t *m);

/* Publish QoS 1 (an ms_publish_fn: ctx is the ms_mqtt_t). */
ms_err_t ms_mqtt_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len);

int ms_mqtt_fd(const ms_mqtt_t *m);          /* -1 while not connected */
bool ms_mqtt_want_write(const ms_mqtt_t *m);
bool ms_mqtt_subscribed(const ms_mqtt_t *m);
void ms_mqtt_read(ms_mqtt_t *m);
void ms_mqtt_write(ms_mqtt_t *m);
/* Keep-alive, and reconnect (at most once a second) when the connection is down. */
void ms_mqtt_tick(ms_mqtt_t *m, int64_t now_ms);

#endif /* MS_CLOUD_MQTT_H */
