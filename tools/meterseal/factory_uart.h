/* SPDX-License-Identifier: Apache-2.0 */
/*
 * factory_uart.h - the factory station's end of a meter's factory session
 * (meterseal/tee_factory.h) over the meter's modem UART, reached as a TCP
 * byte stream (an emulated meter's UART chardev, or a serial-to-TCP
 * adapter on the line). Used by `meterseal provision ... --uart`.
 *
 * Each call opens the line, says HELLO (and refuses a SECURED meter),
 * makes its request and closes the line; install also says BYE, which
 * lets the meter's boot go on. Failures print the tool's one line and
 * return an MS_CLI_* status.
 */
#ifndef MS_FACTORY_UART_H
#define MS_FACTORY_UART_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/tee_link.h"

int ms_factory_uart_request(const char *verb, const char *addr, const char *meter_id,
                            const uint8_t nonce[MS_TEE_LINK_NONCE_LEN], uint8_t *csr,
                            size_t csr_cap, size_t *csr_len, uint8_t *token, size_t token_cap,
                            size_t *token_len, ms_p256_pub_t *iak);

int ms_factory_uart_install(const char *verb, const char *addr, const ms_tee_link_creds_t *c);

#endif /* MS_FACTORY_UART_H */
