/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_lines.c - the Non-secure console a line at a time
 * (console_lines.h): a line buffer per task slot, written to the UART whole
 * under the scheduler lock.
 *
 * Invariants: a task's buffer is touched only by that task (its slot and
 * serial) or by the flush before exit; exception handlers and unprivileged
 * tasks never buffer; no line is held past a newline, a full buffer, or the
 * end of the run.
 */
#include "console_lines.h"

#include <stddef.h>
#include <stdint.h>

#include "an505.h"
#include "rtos.h"

#define LINE_CAP 128u

typedef struct line {
    uint32_t serial;   /* the task the text is from (rtos_task_t.serial) */
    uint32_t len;
    char buf[LINE_CAP];
} line_t;

static line_t lines[RTOS_MAX_TASKS + 1u];   /* + the boot code before rtos_start */

/* Only a privileged task's own text is held: a handler may have interrupted
 * a task's line and must not wait for it, and an unprivileged task reaches
 * neither the UART nor the scheduler lock (its output faults, as before). */
static bool held(void)
{
    uint32_t ipsr, control;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    __asm volatile("mrs %0, control" : "=r"(control));
    return (ipsr & 0x1FFu) == 0 && (control & 1u) == 0;
}

/* Taken out of the buffer before it is written: a fault in the middle ends
 * the line there instead of writing it again at exit. */
static void write_line(line_t *l, bool end)
{
    uint32_t n = l->len;
    l->len = 0;
    rtos_sched_lock();
    for (uint32_t i = 0; i < n; i++) {
        ms_an505_console_raw(l->buf[i]);
    }
    if (end) {
        ms_an505_console_raw('\r');
        ms_an505_console_raw('\n');
    }
    rtos_sched_unlock();
}

static void line_put(char c)
{
    if (!held()) {
        ms_an505_console_raw(c);
        return;
    }
    line_t *l = &lines[rtos_self_slot()];
    uint32_t serial = rtos_self()->serial;
    if (l->serial != serial) {
        l->serial = serial;   /* what a task ended in this slot left is not this one's */
        l->len = 0;
    }
    l->buf[l->len++] = c;
    if (c == '\n' || l->len == LINE_CAP) {
        write_line(l, false);
    }
}

/* The end of the run: every task's partial line, each ended, the caller's
 * last. */
static void flush_all(void)
{
    size_t self = rtos_self_slot();
    for (size_t i = 0; i <= RTOS_MAX_TASKS; i++) {
        if (i != self && lines[i].len != 0) {
            write_line(&lines[i], true);
        }
    }
    if (lines[self].len != 0) {
        write_line(&lines[self], true);
    }
}

void console_lines_start(void)
{
    ms_an505_console_set_sink(line_put, flush_all);
}
