/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_pcsc.h - a PC/SC card connection through libpcsclite, as a
 * transport for the factory writer (chip_factory.h). Host only.
 */
#ifndef MS_CHIP_PCSC_H
#define MS_CHIP_PCSC_H

#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"

typedef struct ms_chip_pcsc {
    long ctx;                /* SCARDCONTEXT */
    long card;               /* SCARDHANDLE */
    unsigned long protocol;
    char reader[256];
    int connected;
    char last_error[128];
} ms_chip_pcsc_t;

/* Open a PC/SC context and pick the first reader whose name contains
 * `match` (NULL or "" = the first reader). */
ms_err_t ms_chip_pcsc_open(ms_chip_pcsc_t *p, const char *match);

/* Wait up to timeout_ms for a card in the reader, then connect to it. */
ms_err_t ms_chip_pcsc_connect(ms_chip_pcsc_t *p, unsigned timeout_ms);

/* Wait up to timeout_ms for the card to be removed. */
ms_err_t ms_chip_pcsc_wait_removed(ms_chip_pcsc_t *p, unsigned timeout_ms);

/* Reset the card (a warm restart: the chip boots again from its flash). */
ms_err_t ms_chip_pcsc_reset(ms_chip_pcsc_t *p);

void ms_chip_pcsc_disconnect(ms_chip_pcsc_t *p);
void ms_chip_pcsc_close(ms_chip_pcsc_t *p);

/* ms_chip_transmit_fn over a connected card. MS_ERR_POWER_LOST when the
 * card was removed or reset. */
ms_err_t ms_chip_pcsc_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                               size_t rsp_cap, size_t *rsp_len);

#endif /* MS_CHIP_PCSC_H */
