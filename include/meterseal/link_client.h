/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_client.h - the Non-secure application's side of the cloud channel
 * (M12-M14; docs/cloud.md sections 3-5): an event-driven MQTT 3.1.1 client
 * that speaks through the TEE's TLS channel over the UART to the modem,
 * publishes the TEE's signed readings on a schedule, keeps them until the
 * cloud's signed acknowledgement (the TEE checks it) and sends them again
 * after a reconnect or 30 s without one, and hands the cloud's signed
 * commands to the TEE and publishes the TEE's signed results.
 *
 * The client holds no key and signs nothing: everything secret or signed
 * is behind ms_link_secure_t (the TEE's LINK service through the secure API
 * on a meter; per-session TLS objects in the load benchmark). It never
 * blocks: the platform calls ms_link_client_step() when the UART has bytes
 * or a timer is due (ms_link_client_next_ms()), with the time. No heap, no
 * I/O of its own: the UART is ms_link_transport_t.
 */
#ifndef MS_LINK_CLIENT_H
#define MS_LINK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/link_msg.h"
#include "meterseal/link_update.h"
#include "meterseal/tee_dispatch.h"
#include "meterseal/tee_link.h"

/* The TEE's LINK service as the client uses it (tee_link.h semantics). */
typedef struct ms_link_secure {
    ms_err_t (*open)(void *ctx, unsigned versions);
    ms_err_t (*pump)(void *ctx, ms_tee_link_pump_t *p);
    ms_err_t (*close)(void *ctx);
    ms_err_t (*reading)(void *ctx, uint64_t time, uint8_t *msg, size_t cap, size_t *len,
                        uint64_t *seq);
    ms_err_t (*pending)(void *ctx, size_t index, uint8_t *msg, size_t cap, size_t *len,
                        uint64_t *seq);
    ms_err_t (*ack)(void *ctx, const uint8_t *msg, size_t len, size_t *removed);
    ms_err_t (*command)(void *ctx, const uint8_t *msg, size_t len, uint8_t *result, size_t cap,
                        size_t *result_len, uint32_t *status);
    ms_err_t (*queued)(void *ctx, uint32_t *n);
} ms_link_secure_t;

/*
 * The LINK service through the secure API (tee_dispatch.h): ctx is an
 * ms_link_tee_t. Arguments are copied into `shared`, Non-secure memory the
 * vectors point at (on the host: the region registered for the NSPE caller;
 * on the MCU: any Non-secure buffer), at least MS_LINK_TEE_SHARED bytes.
 * `call` is the world switch: ms_tee_call() with the NSPE's caller record on
 * the host, the firmware's veneer on the MCU.
 */
typedef psa_status_t (*ms_link_call_fn)(void *ctx, uint32_t sid, int32_t type,
                                        const ms_tee_invec_t *in, size_t n_in,
                                        ms_tee_outvec_t *out, size_t n_out);
#define MS_LINK_TEE_SHARED 4608u
typedef struct ms_link_tee {
    ms_link_call_fn call;
    void *call_ctx;
    uint8_t *shared;
    size_t shared_len;
    ms_err_t last;             /* ms_err_t behind the last failed call, when known */
} ms_link_tee_t;
extern const ms_link_secure_t ms_link_secure_tee;

/* The meter id from the TEE (the client needs it for topics). */
ms_err_t ms_link_tee_meter_id(ms_link_tee_t *t, char out[MS_LINK_METER_ID_MAX + 1]);

/* A firmware update offer (down/upd-offer) checked by the TEE - the cloud's
 * command key, this meter (tee_link.h) - and decoded. */
ms_err_t ms_link_tee_offer(ms_link_tee_t *t, const uint8_t *msg, size_t len, ms_link_offer_t *o);

/* An update status payload (link_update.h) signed by the TEE's identity
 * key into a message for up/upd-status. */
ms_err_t ms_link_tee_update_status(ms_link_tee_t *t, const uint8_t *payload, size_t len,
                                   uint8_t *msg, size_t cap, size_t *msg_len);

/* The UART to the modem: non-blocking byte stream. read: *got 0 when
 * nothing is there; MS_ERR_IO when the link is gone. write: *written may be
 * less than len (the rest is offered again). */
typedef struct ms_link_transport {
    ms_err_t (*write)(void *ctx, const uint8_t *buf, size_t len, size_t *written);
    ms_err_t (*read)(void *ctx, uint8_t *buf, size_t cap, size_t *got);
} ms_link_transport_t;

typedef struct ms_link_client_config {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint32_t reading_interval_ms;   /* 0: readings only when asked (ms_link_client_read_now) */
    uint32_t resend_ms;             /* docs/cloud.md 5.4: 30000 */
    uint16_t keepalive_s;           /* docs/cloud.md 3: 60 */
    uint32_t connect_timeout_ms;    /* each of TLS, CONNACK, SUBACK: 30000 */
    uint32_t answer_timeout_ms;     /* TLS without the server's answer: 10000 (0: none) */
    unsigned tls_versions;          /* MS_TLS_VERSIONS_* (0: 1.3, else 1.2) */
} ms_link_client_config_t;

typedef enum ms_link_client_state {
    MS_LINK_OFFLINE = 0,
    MS_LINK_TLS,          /* handshake */
    MS_LINK_CONNECTING,   /* CONNECT sent */
    MS_LINK_SUBSCRIBING,  /* SUBSCRIBE sent */
    MS_LINK_ONLINE,
} ms_link_client_state_t;

typedef struct ms_link_client_stats {
    uint64_t connects, drops, resumed, readings, resent, acks, acked_readings, commands,
        commands_applied, pings, uart_in, uart_out;
    ms_err_t last_error;
    uint8_t tls_version;          /* of the current (last) connection */
    bool tls_resumed;             /* the current (last) connection resumed a session */
} ms_link_client_stats_t;

#define MS_LINK_CLIENT_BUF 2048u

/* A message on one of this meter's down/ topics that the client does not
 * handle itself (the firmware update's upd-offer and upd-chunk): `tail` is
 * the topic after "ms/v1/<id>/down/". Called before the PUBACK, with 700
 * bytes of room in the output for its ms_link_client_publish() calls (a
 * chunk request and three signed status reports fit); a publish that does
 * not fit answers MS_ERR_BUFFER_TOO_SMALL. */
typedef void (*ms_link_client_handler_fn)(void *ctx, const char *tail, size_t tail_len,
                                          const uint8_t *payload, size_t len, uint64_t now_ms);

typedef struct ms_link_client {
    ms_link_client_config_t cfg;
    const ms_link_secure_t *sec;
    void *sec_ctx;
    const ms_link_transport_t *uart;
    void *uart_ctx;
    ms_link_client_state_t state;
    ms_link_client_stats_t stats;
    char topic_reading[64], topic_result[64], topic_down[64];
    char topic_ack[64], topic_cmd[64];
    ms_link_client_handler_fn handler;
    void *handler_ctx;
    uint16_t next_packet_id;
    uint16_t sub_packet_id;
    bool reading_wanted;            /* take a reading at the next chance */
    bool resend_wanted;             /* publish every queued reading again */
    bool ping_out;
    uint64_t state_since_ms, next_reading_ms, last_cloud_ms, last_tx_ms, ping_sent_ms;
    uint32_t answer_wait_ms;        /* this handshake's answer time-out (client.c) */
    bool answered;                  /* TLS checked the server's certificate, or is open */
    uint64_t now_unix;
    size_t rx_len, tx_len, net_len, uin_len;
    uint8_t uin[MS_LINK_CLIENT_BUF / 2];   /* UART bytes the TEE has not taken yet */
    uint8_t rx[MS_LINK_CLIENT_BUF];   /* MQTT bytes from the TEE, not yet parsed */
    uint8_t tx[MS_LINK_CLIENT_BUF];   /* MQTT bytes for the TEE, not yet taken */
    uint8_t net[MS_LINK_CLIENT_BUF];  /* TLS records for the UART, not yet written */
} ms_link_client_t;

/* Defaults of docs/cloud.md for a meter id. */
void ms_link_client_defaults(ms_link_client_config_t *cfg, const char *meter_id);

ms_err_t ms_link_client_init(ms_link_client_t *c, const ms_link_client_config_t *cfg,
                             const ms_link_secure_t *sec, void *sec_ctx,
                             const ms_link_transport_t *uart, void *uart_ctx);

/* Open the TLS channel over a fresh UART connection (state TLS). */
ms_err_t ms_link_client_connect(ms_link_client_t *c, uint64_t now_ms);

/*
 * Do all that can be done now: move UART bytes through the TEE, handle
 * MQTT packets, take and publish a reading when due, resend, keep alive.
 * now_unix: the meter clock (seconds) for readings. An error means the
 * connection is over (state OFFLINE; stats.last_error says why): connect
 * again after a while.
 */
ms_err_t ms_link_client_step(ms_link_client_t *c, uint64_t now_ms, uint64_t now_unix);

/* Ask for a reading at the next step (and every interval after). */
void ms_link_client_read_now(ms_link_client_t *c);

/* Hand the down/ messages the client does not handle to `fn` (NULL: they
 * are acknowledged and dropped). */
void ms_link_client_set_handler(ms_link_client_t *c, ms_link_client_handler_fn fn, void *ctx);

/* Publish payload on "ms/v1/<id>/up/<tail>" (QoS 1; tail at most 10
 * characters). Only ONLINE (MS_ERR_STATE otherwise); MS_ERR_BUFFER_TOO_SMALL
 * when the output has no room now. Nothing is kept for a resend: the
 * caller sends again what matters (the update agent does, at link up). */
ms_err_t ms_link_client_publish(ms_link_client_t *c, const char *tail, const uint8_t *payload,
                                size_t len, uint64_t now_ms);

/* When step() should run next at the latest, in ms since the same origin. */
uint64_t ms_link_client_next_ms(const ms_link_client_t *c);

/* MQTT DISCONNECT and TLS close_notify out, then OFFLINE. */
void ms_link_client_disconnect(ms_link_client_t *c, uint64_t now_ms);

#endif /* MS_LINK_CLIENT_H */
