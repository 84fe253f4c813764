/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mqtt.c - the broker connection (see mqtt.h) on libmosquitto, without its
 * thread: the service's loop does the polling.
 *
 * Invariants:
 *   - TLS only, the broker verified against the cloud CA and its host name;
 *     the client authenticates with its certificate (no password).
 *   - Clean start: a dead instance keeps no session at the broker, so its
 *     share of the subscription goes to the live ones at once; what it had
 *     taken but not acknowledged to meters is sent again by them (§5.4).
 *   - Incoming QoS 1 messages are handed over inside the read call; the
 *     service queues them and acknowledges to meters only after storing.
 *   - CONNECT asks for no packet over MS_MQTT_SVC_PACKET_MAX: the broker
 *     drops a bigger message for this client instead of sending it, so no
 *     meter can make the service read megabytes to throw away.
 */
#include "mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define READS_PER_WAKE 4096

struct ms_mqtt {
    struct mosquitto *mosq;
    ms_mqtt_config_t cfg;
    char subscription[160];
    ms_mqtt_message_fn on_message;
    void *ctx;
    bool connected, subscribed;
    int64_t next_attempt_ms;
};

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)flags;
    (void)props;
    ms_mqtt_t *m = obj;
    if (rc != 0) {
        ms_log(MS_LOG_ERROR, "mqtt.refused", "rc=%d reason=%s", rc, mosquitto_reason_string(rc));
        return;
    }
    m->connected = true;
    int src = mosquitto_subscribe_v5(mosq, NULL, m->subscription, 1, 0, NULL);
    ms_log(src == MOSQ_ERR_SUCCESS ? MS_LOG_INFO : MS_LOG_ERROR, "mqtt.connected",
           "subscription=%s rc=%d", m->subscription, src);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int n, const int *granted,
                         const mosquitto_property *props)
{
    (void)mosq;
    (void)mid;
    (void)props;
    ms_mqtt_t *m = obj;
    m->subscribed = n == 1 && granted[0] == 1;
    ms_log(m->subscribed ? MS_LOG_INFO : MS_LOG_ERROR, "mqtt.subscribed", "granted=%d",
           n == 1 ? granted[0] : -1);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    ms_mqtt_t *m = obj;
    m->connected = m->subscribed = false;
    ms_log(MS_LOG_WARN, "mqtt.disconnected", "rc=%d", rc);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    ms_mqtt_t *m = obj;
    if (msg->topic != NULL && msg->payloadlen >= 0) {
        m->on_message(m->ctx, msg->topic, strlen(msg->topic), msg->payload,
                      (size_t)msg->payloadlen);
    }
}

/* A meter's message is at most MS_COSE_MSG_MAX bytes; with its topic, the
 * packet's header and properties a broker may add, 1 KiB holds it. */
#define MS_MQTT_SVC_PACKET_MAX 1024

static void try_connect(ms_mqtt_t *m)
{
    mosquitto_property *props = NULL;
    int rc = mosquitto_property_add_int32(&props, MQTT_PROP_MAXIMUM_PACKET_SIZE,
                                          MS_MQTT_SVC_PACKET_MAX);
    if (rc == MOSQ_ERR_SUCCESS) {
        /* libmosquitto keeps the properties for its reconnects */
        rc = mosquitto_connect_bind_v5(m->mosq, m->cfg.host, m->cfg.port, m->cfg.keepalive,
                                       NULL, props);
    }
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS) {
        ms_log(MS_LOG_WARN, "mqtt.connect_failed", "host=%s port=%d err=%s", m->cfg.host,
               m->cfg.port, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    }
}

ms_err_t ms_mqtt_new(const ms_mqtt_config_t *cfg, ms_mqtt_message_fn on_msg, void *ctx,
                     ms_mqtt_t **out)
{
    mosquitto_lib_init();
    ms_mqtt_t *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return MS_ERR_INTERNAL;
    }
    m->cfg = *cfg;
    m->on_message = on_msg;
    m->ctx = ctx;
    snprintf(m->subscription, sizeof m->subscription, "$share/%s/ms/v1/+/up/#",
             cfg->share_group);
    m->mosq = mosquitto_new(cfg->client_id, true, m);
    if (m->mosq == NULL ||
        mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) ||
        mosquitto_int_option(m->mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 1000) ||
        mosquitto_int_option(m->mosq, MOSQ_OPT_SEND_MAXIMUM, 1000) ||
        mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1) ||
        mosquitto_tls_set(m->mosq, cfg->cafile, NULL, cfg->certfile, cfg->keyfile, NULL) ||
        mosquitto_tls_opts_set(m->mosq, 1, "tlsv1.2", NULL)) {
        ms_mqtt_free(m);
        return MS_ERR_ARG;
    }
    mosquitto_connect_v5_callback_set(m->mosq, on_connect);
    mosquitto_subscribe_v5_callback_set(m->mosq, on_subscribe);
    mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
    mosquitto_message_v5_callback_set(m->mosq, on_message);
    try_connect(m);
    *out = m;
    return MS_OK;
}

void ms_mqtt_free(ms_mqtt_t *m)
{
    if (m != NULL) {
        if (m->mosq != NULL) {
            mosquitto_disconnect(m->mosq);
            mosquitto_destroy(m->mosq);
        }
        free(m);
    }
    mosquitto_lib_cleanup();
}

ms_err_t ms_mqtt_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len)
{
    ms_mqtt_t *m = ctx;
    int rc = mosquitto_publish_v5(m->mosq, NULL, topic, (int)len, payload, 1, false, NULL);
    return rc == MOSQ_ERR_SUCCESS ? MS_OK : MS_ERR_IO;
}

int ms_mqtt_fd(const ms_mqtt_t *m)
{
    return mosquitto_socket(m->mosq);
}

bool ms_mqtt_want_write(const ms_mqtt_t *m)
{
    return mosquitto_want_write(m->mosq);
}

bool ms_mqtt_subscribed(const ms_mqtt_t *m)
{
    return m->subscribed;
}

void ms_mqtt_read(ms_mqtt_t *m)
{
    for (int i = 0; i < READS_PER_WAKE; i++) {
        errno = 0;
        int rc = mosquitto_loop_read(m->mosq, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            m->connected = m->subscribed = false;
            return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        }
    }
}

void ms_mqtt_write(ms_mqtt_t *m)
{
    if (mosquitto_loop_write(m->mosq, 1) != MOSQ_ERR_SUCCESS) {
        m->connected = m->subscribed = false;
    }
}

void ms_mqtt_tick(ms_mqtt_t *m, int64_t now_ms)
{
    if (mosquitto_socket(m->mosq) >= 0) {
        mosquitto_loop_misc(m->mosq);
        return;
    }
    if (now_ms >= m->next_attempt_ms) {
        m->next_attempt_ms = now_ms + 1000;
        int rc = mosquitto_reconnect(m->mosq);
        if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_INVAL) {
            try_connect(m);
        } else if (rc != MOSQ_ERR_SUCCESS) {
            ms_log(MS_LOG_WARN, "mqtt.reconnect_failed", "err=%s",
                   rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        }
    }
}
