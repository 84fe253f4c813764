/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_pcsc.c - PC/SC transport over libpcsclite (see chip_pcsc.h).
 * Invariant: a removed or reset card is reported as MS_ERR_POWER_LOST so
 * the writer can wait for it and resume; every other failure is MS_ERR_IO
 * with the PC/SC reason kept in last_error.
 */
#include <stdio.h>
#include <string.h>

#include <winscard.h>
#include <wintypes.h>

#include "chip_pcsc.h"

static ms_err_t fail(ms_chip_pcsc_t *p, const char *what, LONG rv)
{
    snprintf(p->last_error, sizeof p->last_error, "%s: %s", what, pcsc_stringify_error(rv));
    if (rv == (LONG)SCARD_W_REMOVED_CARD || rv == (LONG)SCARD_W_RESET_CARD ||
        rv == (LONG)SCARD_E_NO_SMARTCARD || rv == (LONG)SCARD_W_UNPOWERED_CARD ||
        rv == (LONG)SCARD_W_UNRESPONSIVE_CARD || rv == (LONG)SCARD_E_NOT_TRANSACTED) {
        return MS_ERR_POWER_LOST;
    }
    return MS_ERR_IO;
}

ms_err_t ms_chip_pcsc_open(ms_chip_pcsc_t *p, const char *match)
{
    SCARDCONTEXT ctx;
    char readers[4096];
    DWORD len = sizeof readers;
    memset(p, 0, sizeof *p);
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
    if (rv != SCARD_S_SUCCESS) {
        return fail(p, "SCardEstablishContext", rv);
    }
    p->ctx = (long)ctx;
    rv = SCardListReaders(ctx, NULL, readers, &len);
    if (rv != SCARD_S_SUCCESS) {
        return fail(p, "SCardListReaders", rv);
    }
    for (const char *r = readers; *r != '\0' && r < readers + len; r += strlen(r) + 1) {
        if ((match == NULL || *match == '\0' || strstr(r, match) != NULL) &&
            strlen(r) < sizeof p->reader) {
            memcpy(p->reader, r, strlen(r) + 1);
            return MS_OK;
        }
    }
    snprintf(p->last_error, sizeof p->last_error, "no reader matching \"%s\"",
             match ? match : "");
    return MS_ERR_NOT_FOUND;
}

static ms_err_t wait_state(ms_chip_pcsc_t *p, DWORD want, unsigned timeout_ms)
{
    SCARD_READERSTATE st;
    memset(&st, 0, sizeof st);
    st.szReader = p->reader;
    st.dwCurrentState = SCARD_STATE_UNAWARE;
    for (;;) {
        LONG rv = SCardGetStatusChange((SCARDCONTEXT)p->ctx, timeout_ms, &st, 1);
        if (rv == (LONG)SCARD_E_TIMEOUT) {
            snprintf(p->last_error, sizeof p->last_error, "timed out waiting for the card");
            return MS_ERR_IO;
        }
        if (rv != SCARD_S_SUCCESS) {
            return fail(p, "SCardGetStatusChange", rv);
        }
        if (st.dwEventState & want) {
            return MS_OK;
        }
        st.dwCurrentState = st.dwEventState;
    }
}

ms_err_t ms_chip_pcsc_connect(ms_chip_pcsc_t *p, unsigned timeout_ms)
{
    SCARDHANDLE card;
    DWORD proto = 0;
    ms_chip_pcsc_disconnect(p);
    ms_err_t err = wait_state(p, SCARD_STATE_PRESENT, timeout_ms);
    if (err != MS_OK) {
        return err;
    }
    LONG rv = SCardConnect((SCARDCONTEXT)p->ctx, p->reader, SCARD_SHARE_SHARED,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
    if (rv != SCARD_S_SUCCESS) {
        return fail(p, "SCardConnect", rv);
    }
    p->card = (long)card;
    p->protocol = proto;
    p->connected = 1;
    return MS_OK;
}

ms_err_t ms_chip_pcsc_wait_removed(ms_chip_pcsc_t *p, unsigned timeout_ms)
{
    ms_chip_pcsc_disconnect(p);
    return wait_state(p, SCARD_STATE_EMPTY, timeout_ms);
}

ms_err_t ms_chip_pcsc_reset(ms_chip_pcsc_t *p)
{
    DWORD proto = 0;
    if (!p->connected) {
        return MS_ERR_STATE;
    }
    LONG rv = SCardReconnect((SCARDHANDLE)p->card, SCARD_SHARE_SHARED,
                             SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_RESET_CARD, &proto);
    if (rv != SCARD_S_SUCCESS) {
        return fail(p, "SCardReconnect", rv);
    }
    p->protocol = proto;
    return MS_OK;
}

void ms_chip_pcsc_disconnect(ms_chip_pcsc_t *p)
{
    if (p->connected) {
        SCardDisconnect((SCARDHANDLE)p->card, SCARD_LEAVE_CARD);
        p->connected = 0;
    }
}

void ms_chip_pcsc_close(ms_chip_pcsc_t *p)
{
    ms_chip_pcsc_disconnect(p);
    if (p->ctx != 0) {
        SCardReleaseContext((SCARDCONTEXT)p->ctx);
        p->ctx = 0;
    }
}

ms_err_t ms_chip_pcsc_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                               size_t rsp_cap, size_t *rsp_len)
{
    ms_chip_pcsc_t *p = ctx;
    if (!p->connected) {
        return MS_ERR_POWER_LOST;
    }
    DWORD rl = (DWORD)rsp_cap;
    const SCARD_IO_REQUEST *pci = p->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    LONG rv = SCardTransmit((SCARDHANDLE)p->card, pci, cmd, (DWORD)cmd_len, NULL, rsp, &rl);
    if (rv != SCARD_S_SUCCESS) {
        ms_err_t err = fail(p, "SCardTransmit", rv);
        if (err == MS_ERR_POWER_LOST) {
            ms_chip_pcsc_disconnect(p);
        }
        return err;
    }
    if (rl < 2) {
        /* No status word: the card went away mid-command (vpcd answers an
         * empty response when the virtual card drops off). */
        snprintf(p->last_error, sizeof p->last_error, "no response from the card");
        ms_chip_pcsc_disconnect(p);
        return MS_ERR_POWER_LOST;
    }
    *rsp_len = rl;
    return MS_OK;
}
