/* SPDX-License-Identifier: Apache-2.0 */
/*
 * service.h - what the parts of meterseal-cloud share: the database, the
 * cloud command key (signs acknowledgements and commands, docs/cloud.md
 * §5.4-5.5), the manufacturer CA (checks meter certificates at
 * registration, §2), and the way out to the broker (a publish function, so
 * the logic is tested without one).
 *
 * One instance is driven by one event loop (main.c); nothing here is
 * shared between threads.
 */
#ifndef MS_CLOUD_SERVICE_H
#define MS_CLOUD_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "store.h"
#include "x509.h"

/* Queue an MQTT publish (QoS 1). */
typedef ms_err_t (*ms_publish_fn)(void *ctx, const char *topic, const uint8_t *payload,
                                  size_t len);

typedef struct ms_cloud {
    ms_db_t db;
    ms_p256_priv_t cmd_key;      /* the cloud command key: never logged, wiped at exit */
    ms_p256_pub_t cmd_pub;
    const char *mfr_ca_pem;      /* manufacturer CA certificate (PEM) */
    size_t mfr_ca_len;
    const ms_x509_crl_t *mfr_crl; /* meter certificates it revoked; NULL: none known */
    ms_publish_fn publish;
    void *publish_ctx;
    int64_t (*now)(void);        /* seconds since 1970 (tests may set a clock) */
    struct ms_ota *ota;          /* firmware updates (ota.h); NULL: not offered */
} ms_cloud_t;

/* Wall-clock seconds. */
int64_t ms_cloud_time(void);

#endif /* MS_CLOUD_SERVICE_H */
