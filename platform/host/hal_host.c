/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hal_host.c - the link-time HAL functions (entropy, clock, UART) on Linux.
 *
 * Entropy comes from getrandom(2). The UART is a file descriptor the host
 * program chooses with ms_host_uart_set_fd() (a socket to the modem bridge,
 * a pipe in tests); until then it is closed and calls fail with MS_ERR_IO.
 */
#define _GNU_SOURCE
#include "hal_host.h"

#include <errno.h>
#include <poll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static int uart_fd = -1;

ms_err_t ms_hal_rng_entropy(uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return MS_ERR_RNG;
        }
        buf += n;
        len -= (size_t)n;
    }
    return MS_OK;
}

uint64_t ms_hal_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ms_host_uart_set_fd(int fd)
{
    uart_fd = fd;
}

ms_err_t ms_hal_uart_write(const void *buf, size_t len)
{
    const uint8_t *p = buf;

    if (uart_fd < 0) {
        return MS_ERR_IO;
    }
    while (len > 0) {
        ssize_t n = write(uart_fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return MS_ERR_IO;
        }
        p += n;
        len -= (size_t)n;
    }
    return MS_OK;
}

ms_err_t ms_hal_uart_read(void *buf, size_t len, size_t *got, uint32_t timeout_ms)
{
    struct pollfd pfd = { .fd = uart_fd, .events = POLLIN };

    *got = 0;
    if (uart_fd < 0) {
        return MS_ERR_IO;
    }
    int r = poll(&pfd, 1, (int)timeout_ms);
    if (r < 0) {
        return errno == EINTR ? MS_OK : MS_ERR_IO;
    }
    if (r == 0) {
        return MS_OK;
    }
    ssize_t n = read(uart_fd, buf, len);
    if (n < 0) {
        return errno == EINTR || errno == EAGAIN ? MS_OK : MS_ERR_IO;
    }
    if (n == 0) {
        return MS_ERR_IO; /* peer closed */
    }
    *got = (size_t)n;
    return MS_OK;
}
