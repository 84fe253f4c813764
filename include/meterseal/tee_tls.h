/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_tls.h - the meter's TLS client (M12, M13) as a byte pump: the TEE's
 * one module that includes Mbed TLS's TLS and X.509 code (src/tee/tls).
 *
 * A session never touches a socket. The caller feeds it the bytes that came
 * from the network (TLS records), drains the bytes to send (TLS records),
 * hands it plaintext to send and reads the plaintext that arrived. The TEE's
 * channel service (tee_channel.h) runs exactly one such session for the
 * Non-secure world, so keys, session keys and the record layer stay in the
 * TEE and only records cross to the UART; the load benchmark runs thousands
 * of them in one process over the same code.
 *
 * Protocol (docs/cloud.md section 3): TLS 1.3 with TLS_AES_128_GCM_SHA256
 * where the server has it, TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256
 * otherwise; ECDHE on secp256r1, ECDSA P-256 certificates. The server must
 * present a certificate that chains to the pinned CA and names
 * server_name; the client authenticates with its certificate, whose private
 * key it never holds: each handshake signature is asked of cfg->sign (the
 * key store, in the TEE). Session tickets (TLS 1.3 and 1.2) are kept, so a
 * reconnect resumes without certificates or signatures.
 *
 * No heap from the caller's point of view: the session lives in the
 * caller's ms_tls_t (Mbed TLS allocates its record buffers internally: from
 * its static pool on the MCU).
 */
#ifndef MS_TEE_TLS_H
#define MS_TEE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"

/* Sign a SHA-256 digest with the client's P-256 key; DER signature. */
typedef ms_err_t (*ms_tls_sign_fn)(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der,
                                   size_t cap, size_t *der_len);

#define MS_TLS_VERSIONS_ANY   0u  /* 1.3, falling back to 1.2 */
#define MS_TLS_VERSIONS_1_2   1u  /* offer 1.2 only (host tests: ms_mbedtls_config.h) */
#define MS_TLS_VERSIONS_1_3   2u  /* offer 1.3 only (tests) */

#define MS_TLS_SERVER_NAME_MAX 63u

typedef struct ms_tls_config {
    const uint8_t *ca_der;        /* the pinned CA certificate (DER) */
    size_t ca_len;
    const uint8_t *cert_der;      /* our certificate (DER) */
    size_t cert_len;
    ms_tls_sign_fn sign;          /* signs with the key of cert_der */
    void *sign_ctx;
    const char *server_name;      /* host name or IP literal the server's certificate must name */
    unsigned versions;            /* MS_TLS_VERSIONS_* */
} ms_tls_config_t;

typedef enum ms_tls_state {
    MS_TLS_IDLE = 0,        /* set up, no connection */
    MS_TLS_HANDSHAKE = 1,   /* connecting */
    MS_TLS_OPEN = 2,        /* application data flows */
    MS_TLS_CLOSED = 3,      /* closed by either side (close_notify sent or received) */
    MS_TLS_FAILED = 4,      /* handshake or record error: connect again */
} ms_tls_state_t;

/* What a connection did (for the channel service's status and benchmarks). */
typedef struct ms_tls_info {
    ms_tls_state_t state;
    ms_err_t error;            /* why FAILED */
    int mbedtls_error;         /* Mbed TLS's code behind it (diagnostics) */
    uint8_t version;           /* 12 or 13 once open */
    bool resumed;              /* open without a certificate or a signature */
    bool have_ticket;          /* a session ticket is kept for the next connect */
    uint32_t tickets;          /* tickets the server gave in this connection */
    uint32_t signatures;       /* client key signatures in this connection */
    uint32_t peer_verifies;    /* server certificate chains checked in this connection */
    uint64_t bytes_in;         /* network bytes fed in this connection */
    uint64_t bytes_out;        /* network bytes drained in this connection */
} ms_tls_info_t;

/* Caller storage of a session (size checked against Mbed TLS at build time). */
#define MS_TLS_NET_BUF 2048u
typedef struct ms_tls {
    uint64_t opaque[1536];
} ms_tls_t;

/*
 * Set up a session: parse both certificates and configure the client. The
 * strings and buffers of cfg are copied or parsed; cfg may go away.
 * MS_ERR_ARG, MS_ERR_KEY_FORMAT (a certificate does not parse).
 */
ms_err_t ms_tls_init(ms_tls_t *t, const ms_tls_config_t *cfg);

/* Release everything (kept ticket included). Harmless on a zeroed session. */
void ms_tls_free(ms_tls_t *t);

/* Start a new connection (drops the previous one's state; offers the kept
 * ticket, if any). The first flight is ready to drain after ms_tls_run(). */
ms_err_t ms_tls_connect(ms_tls_t *t);

/* Network bytes in: *taken of len were buffered (the rest: feed again). */
ms_err_t ms_tls_feed(ms_tls_t *t, const uint8_t *net, size_t len, size_t *taken);

/* Advance: handshake steps, post-handshake messages (tickets), alerts.
 * MS_OK while the connection is usable (see ms_tls_info().state);
 * MS_ERR_TLS_PEER_CERT, MS_ERR_TLS_HANDSHAKE, MS_ERR_TLS_CLOSED. */
ms_err_t ms_tls_run(ms_tls_t *t);

/* Plaintext out: encrypts up to len bytes (*taken) into records. Only OPEN. */
ms_err_t ms_tls_send(ms_tls_t *t, const uint8_t *plain, size_t len, size_t *taken);

/* Plaintext in: up to cap decrypted bytes (*got may be 0). */
ms_err_t ms_tls_recv(ms_tls_t *t, uint8_t *plain, size_t cap, size_t *got);

/* Network bytes out: up to cap bytes of records to send (*n). */
ms_err_t ms_tls_drain(ms_tls_t *t, uint8_t *net, size_t cap, size_t *n);

/*
 * All of the above in one step, as a byte pump's owner wants it: network
 * bytes in, run, plaintext out (if open), plaintext in, records out. The
 * *_taken and *_len fields and info are outputs. A TLS failure comes back
 * as its error with info.state FAILED or CLOSED; the records of an alert
 * are in net_out all the same.
 */
typedef struct ms_tls_pump {
    const uint8_t *net_in;
    size_t net_in_len;
    size_t net_in_taken;         /* out */
    const uint8_t *plain_out;
    size_t plain_out_len;
    size_t plain_out_taken;      /* out */
    uint8_t *net_out;
    size_t net_out_cap;
    size_t net_out_len;          /* out */
    uint8_t *plain_in;
    size_t plain_in_cap;
    size_t plain_in_len;         /* out */
    ms_tls_info_t info;          /* out: state, version, resumed ... */
} ms_tls_pump_t;

ms_err_t ms_tls_pump(ms_tls_t *t, ms_tls_pump_t *p);

/* Close: queue close_notify (drain it), keep the ticket. */
ms_err_t ms_tls_close(ms_tls_t *t);

/* State and counters of the current connection. */
void ms_tls_info(const ms_tls_t *t, ms_tls_info_t *out);

/* The kept ticket as bytes (to keep it across a power cycle) and back.
 * save: MS_ERR_NOT_FOUND without a ticket; load: MS_ERR_FORMAT. */
ms_err_t ms_tls_ticket_save(ms_tls_t *t, uint8_t *buf, size_t cap, size_t *len);
ms_err_t ms_tls_ticket_load(ms_tls_t *t, const uint8_t *buf, size_t len);
/* Forget the kept ticket (the next connect is a full handshake). */
void ms_tls_ticket_forget(ms_tls_t *t);

/*
 * Check a certificate (DER) the way a handshake would: it parses, chains
 * to ca_der, and its public key is pub (or, pub NULL, any P-256 key: then
 * *pub_out, may be NULL, gets it). Used at provisioning to accept the
 * manufacturer-signed certificate only for the key the TEE holds.
 * MS_ERR_KEY_FORMAT, MS_ERR_TLS_PEER_CERT, MS_ERR_KEY_MISMATCH.
 */
ms_err_t ms_tls_cert_check(const uint8_t *cert_der, size_t cert_len, const uint8_t *ca_der,
                           size_t ca_len, const ms_p256_pub_t *pub, ms_p256_pub_t *pub_out);

/* Release the PSA core's state (its key slots) that ms_tls_cert_check()
 * or a session left, back to the pool it came from: for a platform whose
 * sessions run in other memory than the code that checked certificates
 * (the AN505: provisioning in the kernel, sessions in the link
 * partition). No session may be open. */
void ms_tls_release(void);

#endif /* MS_TEE_TLS_H */
