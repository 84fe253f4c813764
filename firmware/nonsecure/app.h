/* SPDX-License-Identifier: Apache-2.0 */
/*
 * app.h - what the application's scenario modules share: the run's exit
 * codes (what tests/an505/test_tee.py and test_ota.py expect) and the
 * console's "what status=N" line and signed numbers, the pulse count and
 * the interrupt-call probe.
 */
#ifndef MS_NS_APP_H
#define MS_NS_APP_H

#include <stdbool.h>
#include <stdint.h>

#define EXIT_DONE    10   /* scenario done */
#define EXIT_FAILED  11   /* scenario failed */
#define EXIT_POLICY  12   /* it saw a reset the fault policy ordered */
#define EXIT_REFUSED 13   /* the TEE refused the staged update (update scenarios) */

void app_put_status(const char *what, int32_t st);
void app_put_signed(int32_t v);
/* Energy pulses counted by the pulse interrupt since power-on. */
uint32_t app_pulses(void);
/* on: from now each pulse interrupt calls the TEE once; off: no more.
 * Either way, what the door answered those calls so far: busy (the door
 * was taken: a task's call was in progress) and other. */
void app_isr_probe(bool on, uint32_t *busy, uint32_t *other);
/* The fault log's counts on the console ("faults: faults= violations= ..."). */
void app_put_faults(void);
/* The "request finished" callback the control task registers. */
void app_on_done(uint32_t sid, int32_t status);

#endif /* MS_NS_APP_H */
