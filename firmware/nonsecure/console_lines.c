/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_lines.c - the Non-secure console a line at a time
 * (console_lines.h): a line buffer per task slot, written to the UART whole
 * under the scheduler lock.
 *
 * Invariants: a task's buffer is touched only by that task (its slot) or by
 * the flush before exit; exception handlers never buffer (they may run in
 * the middle of a task's line and must not wait for it); no line is held
 * past a newline, a full buffer, or the end of the run.
 */
#include "console_lines.h"

#include <stddef.h>
#include <stdint.h>

#include "an505.h"
#include "rtos.h"

#define LINE_CAP 128u

typedef struct line {
    uint32_t len;
    char buf[LINE_CAP];
} line_t;

static line_t lines[RTOS_MAX_TASKS + 1u];   /* + the boot code before rtos_start */

static bool in_handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    return (ipsr & 0x1FFu) != 0;
}

static void write_line(line_t *l)
{
    rtos_sched_lock();
    for (uint32_t i = 0; i < l->len; i++) {
        ms_an505_console_raw(l->buf[i]);
    }
    l->len = 0;
    rtos_sched_unlock();
}

static void line_put(char c)
{
    if (in_handler()) {
        ms_an505_console_raw(c);
        return;
    }
    line_t *l = &lines[rtos_self_slot()];
    l->buf[l->len++] = c;
    if (c == '\n' || l->len == LINE_CAP) {
        write_line(l);
    }
}

/* The end of the run: every task's partial line, the caller's last. */
static void flush_all(void)
{
    size_t self = rtos_self_slot();
    for (size_t i = 0; i <= RTOS_MAX_TASKS; i++) {
        if (i != self && lines[i].len != 0) {
            write_line(&lines[i]);
        }
    }
    if (lines[self].len != 0) {
        write_line(&lines[self]);
    }
}

void console_lines_start(void)
{
    ms_an505_console_set_sink(line_put, flush_all);
}
