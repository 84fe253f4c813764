/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_lines.h - the Non-secure console a line at a time: the tasks
 * share one UART, and a task the tick preempts in the middle of a line
 * would otherwise have another task's words land inside it.
 */
#ifndef MS_NS_CONSOLE_LINES_H
#define MS_NS_CONSOLE_LINES_H

/* From here on, what a privileged task prints is held until its line ends
 * (or the line buffer fills), then written whole with task switches held
 * off. Exception handlers and unprivileged tasks write straight through;
 * the partial lines still held at ms_an505_exit are written, each ended. */
void console_lines_start(void);

#endif /* MS_NS_CONSOLE_LINES_H */
