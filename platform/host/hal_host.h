/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hal_host.h - host-only additions to the HAL (see meterseal/hal.h).
 */
#ifndef MS_HAL_HOST_H
#define MS_HAL_HOST_H

#include "meterseal/hal.h"

/* Route ms_hal_uart_read/write to fd (-1 closes the UART). */
void ms_host_uart_set_fd(int fd);

#endif /* MS_HAL_HOST_H */
