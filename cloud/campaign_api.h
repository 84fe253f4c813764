/* SPDX-License-Identifier: Apache-2.0 */
/*
 * campaign_api.h - the HTTP API of firmware updates (docs/ota.md section 5):
 * /api/v1/firmware, /api/v1/campaigns[/<id>[/meters|/start|/pause|/resume|
 * /cancel]], /api/v1/meters/<id>/updates, /api/v1/audit, and the update
 * fields of the meter list and detail. http_api.c authenticates (session,
 * CSRF for cookie sessions) and hands the request over; this module
 * checks roles (viewer reads, operator changes; the audit is operator only)
 * and answers JSON. Bodies are outside data: bounded, parsed strictly.
 */
#ifndef MS_CLOUD_CAMPAIGN_API_H
#define MS_CLOUD_CAMPAIGN_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ota.h"

typedef struct ms_api_req {
    ms_cloud_t *c;
    const char *method;              /* "GET", "POST", ... */
    char (*seg)[48];                 /* path segments after /api/v1/ */
    size_t n;
    const char *body;                /* raw body (an image for POST firmware) */
    size_t len;
    const char *who;                 /* the operator's name */
    bool is_operator;
    const char *(*query)(void *ctx, const char *name);   /* query parameters */
    void *query_ctx;
} ms_api_req_t;

/* The largest request body this API takes (an image upload). */
#define MS_API_BODY_MAX (MS_OTA_IMAGE_MAX)

/* True when the path is one of this API's (a firmware upload needs the
 * larger body limit, MS_API_BODY_MAX). */
bool ms_campaign_api_big_body(const char *url);

/* Route a request: true when it was this API's; then *status and *json
 * (owned by the caller) are set. */
bool ms_campaign_api_route(const ms_api_req_t *r, unsigned *status, json_t **json);

/* Add "version", "last_seen", "online", "campaign_state", "group" to a
 * meter object of GET /api/v1/meters[/<id>]. */
void ms_campaign_api_meter_fields(ms_cloud_t *c, const char *meter_id, json_t *o);

/* Parse a campaign body (outside data; fuzzed by fuzz_cloud_json).
 * spec->ids points into *ids_out (free it). MS_ERR_FORMAT with a reason. */
ms_err_t ms_campaign_api_parse(const char *body, size_t len, ms_campaign_spec_t *spec,
                               char (**ids_out)[MS_LINK_METER_ID_MAX + 1],
                               char reason[MS_OTA_REASON_MAX]);

#endif /* MS_CLOUD_CAMPAIGN_API_H */
