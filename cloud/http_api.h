/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_api.h - the JSON HTTP API of docs/cloud.md §6 on libmicrohttpd,
 * driven by the service's event loop (MHD's epoll descriptor is polled by
 * the loop; no MHD threads).
 */
#ifndef MS_CLOUD_HTTP_API_H
#define MS_CLOUD_HTTP_API_H

#include <stdint.h>

#include "service.h"

typedef struct ms_http ms_http_t;

/* Listen on addr:port (port 0: a free one, see ms_http_port). */
ms_err_t ms_http_start(ms_cloud_t *c, const char *addr, uint16_t port, ms_http_t **out);
void ms_http_stop(ms_http_t *h);
/* Serve the dashboard's built files from dir outside /api/ (dashboard.h); NULL: none. */
ms_err_t ms_http_set_dashboard(ms_http_t *h, const char *dir);

uint16_t ms_http_port(const ms_http_t *h);
int ms_http_fd(const ms_http_t *h);
/* Milliseconds until MHD wants to run again (-1: no timer). */
int ms_http_timeout_ms(ms_http_t *h);
void ms_http_run(ms_http_t *h);

#endif /* MS_CLOUD_HTTP_API_H */
