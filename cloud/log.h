/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - the service's structured log lines (logfmt), one per event, on
 * stderr:
 *   ts=2026-12-06T00:40:49.123Z level=info inst=a event=batch.stored n=12 ...
 *
 * Only the service's top layers (ingest, http_api, main) log; libraries
 * return errors. Values are written through ms_log_str(), which quotes and
 * escapes anything outside [A-Za-z0-9._:/-], so outside data (topics, paths)
 * cannot forge a field or a line. Keys, passwords and tokens are never logged.
 */
#ifndef MS_CLOUD_LOG_H
#define MS_CLOUD_LOG_H

#include <stddef.h>

typedef enum ms_log_level { MS_LOG_DEBUG, MS_LOG_INFO, MS_LOG_WARN, MS_LOG_ERROR } ms_log_level_t;

/* The instance name every line carries, and the lowest level written. */
void ms_log_init(const char *instance, ms_log_level_t min_level);

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
/* One line: event name, then "key=value ..." made by fmt (values that may
 * hold outside data go through ms_log_str). */
void ms_log(ms_log_level_t level, const char *event, const char *fmt, ...);

/* A logfmt value for s (at most n bytes of it): bare if safe, else quoted
 * with \" \\ and \xNN escapes, cut at 60 bytes. Returns out. */
const char *ms_log_str(const char *s, size_t n, char out[256]);

#endif /* MS_CLOUD_LOG_H */
