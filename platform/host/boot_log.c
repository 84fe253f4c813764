/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_log.c - the host's boot log: every boot event the core reports, one
 * line each, appended to a file the meter simulator and the demo show.
 * Invariant: the log never carries key material (events hold only ids,
 * error names and counters).
 */
#include "boot_host.h"

#include <string.h>

ms_err_t ms_host_boot_log_open(ms_host_boot_log_t *log, const char *path)
{
    if (log == NULL) {
        return MS_ERR_ARG;
    }
    memset(log, 0, sizeof(*log));
    if (path == NULL) {
        return MS_OK;
    }
    log->fp = fopen(path, "a");
    return log->fp ? MS_OK : MS_ERR_IO;
}

void ms_host_boot_log_close(ms_host_boot_log_t *log)
{
    if (log != NULL && log->fp != NULL) {
        fclose(log->fp);
        log->fp = NULL;
    }
}

void ms_host_boot_log_event(ms_host_boot_log_t *log, const ms_boot_event_t *ev)
{
    if (log == NULL || ev == NULL) {
        return;
    }
    log->events++;
    if (log->fp == NULL) {
        return;
    }
    fprintf(log->fp, "boot image=%u %s err=%s value=%lu\n", ev->image_id,
            ms_boot_event_name(ev->kind), ms_errname(ev->err), (unsigned long)ev->value);
    fflush(log->fp);
}
