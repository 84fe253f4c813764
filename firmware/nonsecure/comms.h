/* SPDX-License-Identifier: Apache-2.0 */
/*
 * comms.h - the meter's comms task on the Non-secure RTOS (M13): the cloud
 * channel's client (meterseal/link_client.h: MQTT over the TEE's TLS
 * session, signed readings and commands, all made and checked in the TEE)
 * over the modem line, which the TEE owns (ms_tee_ns_modem_*): only TLS
 * records ever reach the modem.
 */
#ifndef MS_NS_COMMS_H
#define MS_NS_COMMS_H

#include <stdbool.h>
#include <stdint.h>

/* Run the channel, a reading every interval_ms, for at most limit_ms:
 *   updates false: until `readings` readings are acknowledged by the cloud;
 *   updates true:  taking the cloud's update campaigns (the agent's state
 *                  survives the reboots it asks for), until an update is
 *                  over and reported, and every reading acknowledged.
 * EXIT_DONE or EXIT_FAILED. */
int comms_run(uint32_t readings, uint32_t interval_ms, uint32_t limit_ms, bool updates);

/* One signed reading taken in the TEE, nothing sent (the boot-to-reading
 * benchmark): EXIT_DONE or EXIT_FAILED. */
int comms_reading(void);

#endif /* MS_NS_COMMS_H */
