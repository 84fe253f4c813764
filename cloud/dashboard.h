/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dashboard.h - the fleet dashboard's static files (docs/ota.md, "Dashboard"):
 * the service answers every GET or HEAD outside /api/ from one directory of
 * built files (scripts/dashboard), with fixed content types and the
 * browser-side protections (CSP, no framing, no sniffing).
 *
 * A request path is outside data: ms_dashboard_path() is the whole check,
 * a pure function (fuzz target tests/cloud/fuzz_dashboard_path.c).
 */
#ifndef MS_CLOUD_DASHBOARD_H
#define MS_CLOUD_DASHBOARD_H

#include <stddef.h>

#include "meterseal/error.h"

/* Longest file name (relative to the directory) that is served, with its NUL. */
#define MS_DASH_PATH_MAX 128

/* The headers every dashboard file is sent with. */
#define MS_DASH_CSP                                                                  \
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; " \
    "object-src 'none'"

typedef struct ms_dashboard ms_dashboard_t;

/*
 * Map a request path (as libmicrohttpd hands it over: percent-decoded, no
 * query) of len bytes to a file name relative to the dashboard directory and
 * its content type. "/" is "index.html". Accepted: '/' then segments of
 * [A-Za-z0-9._-], none empty and none starting with '.', the last one ending
 * in a known extension; at most MS_DASH_PATH_MAX - 1 bytes.
 * MS_ERR_FORMAT for anything else (traversal, hidden files, odd bytes),
 * MS_ERR_UNSUPPORTED for an unknown extension.
 */
ms_err_t ms_dashboard_path(const char *url, size_t len, char out[MS_DASH_PATH_MAX],
                           const char **content_type);

/* Open the directory of built files (kept open; files are opened beneath it). */
ms_err_t ms_dashboard_open(const char *dir, ms_dashboard_t **out);
void ms_dashboard_close(ms_dashboard_t *d);

struct MHD_Connection;

/*
 * Answer a request for a static file on conn: 200 with the file, 400 for a
 * refused path, 404 for a missing file, 405 for a method other than GET or
 * HEAD. *status is the status sent. Returns libmicrohttpd's MHD_YES/MHD_NO
 * (as int, so this header does not need microhttpd.h).
 */
int ms_dashboard_serve(ms_dashboard_t *d, struct MHD_Connection *conn, const char *url,
                       const char *method, unsigned *status);

#endif /* MS_CLOUD_DASHBOARD_H */
