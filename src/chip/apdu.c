/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apdu.c - ISO 7816-4 command APDU parser (short and extended length), and
 * the response rules every command of the chip and the licence HSM follows.
 *
 * Cases: 1 (CLA INS P1 P2), 2S (+Le), 3S (+Lc data), 4S (+Lc data Le),
 * 2E (00 Le2), 3E (00 Lc2 data), 4E (00 Lc2 data Le2). Le 00 means 256
 * (short) and 0000 means 65536 (extended).
 *
 * Responses (ISO 7816-4 5.1; T=0 mapping of ISO 7816-3 12.2): Le absent
 * means Ne = 0, so a command that has data answers 61xx (xx its length,
 * 00 for 256) and keeps it for GET RESPONSE (00 C0 00 00 Le), which returns
 * up to Ne bytes and 61xx while some remain; a Le shorter than the data
 * answers 6Cxx with the exact length and no data (the reader re-sends the
 * command with Le = xx), so a command that changes state checks its Le
 * before it acts (ms_chip_rsp_room); a Le longer than the data is fine.
 * Invariants: the parser never reads past len; the data pointer, if any,
 * lies wholly inside buf; any length that does not add up exactly is
 * rejected; no response carries more than Ne bytes of data.
 */
#include <string.h>

#include "internal.h"

ms_err_t ms_chip_apdu_parse(const uint8_t *buf, size_t len, ms_chip_apdu_t *a)
{
    if (a == NULL || (buf == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    a->cla = a->ins = a->p1 = a->p2 = 0;
    a->data = NULL;
    a->lc = 0;
    a->le = 0;
    a->has_le = false;
    a->extended = false;
    if (len < 4) {
        return MS_ERR_TRUNCATED;
    }
    a->cla = buf[0];
    a->ins = buf[1];
    a->p1 = buf[2];
    a->p2 = buf[3];
    if (len == 4) {
        return MS_OK; /* case 1 */
    }
    if (len == 5) {
        a->has_le = true; /* case 2S */
        a->le = buf[4] ? buf[4] : 256u;
        return MS_OK;
    }
    if (buf[4] != 0) {
        size_t lc = buf[4];
        if (len == 5 + lc) {
            a->lc = (uint32_t)lc; /* case 3S */
            a->data = buf + 5;
            return MS_OK;
        }
        if (len == 6 + lc) {
            a->lc = (uint32_t)lc; /* case 4S */
            a->data = buf + 5;
            a->has_le = true;
            a->le = buf[5 + lc] ? buf[5 + lc] : 256u;
            return MS_OK;
        }
        return len < 5 + lc ? MS_ERR_TRUNCATED : MS_ERR_FORMAT;
    }
    /* Extended length: 00 then two bytes. */
    if (len < 7) {
        return MS_ERR_FORMAT;
    }
    a->extended = true;
    size_t n = ((size_t)buf[5] << 8) | buf[6];
    if (len == 7) {
        a->has_le = true; /* case 2E */
        a->le = n ? (uint32_t)n : 65536u;
        return MS_OK;
    }
    if (n == 0) {
        return MS_ERR_FORMAT;
    }
    if (len == 7 + n) {
        a->lc = (uint32_t)n; /* case 3E */
        a->data = buf + 7;
        return MS_OK;
    }
    if (len == 9 + n) {
        a->lc = (uint32_t)n; /* case 4E */
        a->data = buf + 7;
        a->has_le = true;
        size_t le = ((size_t)buf[7 + n] << 8) | buf[8 + n];
        a->le = le ? (uint32_t)le : 65536u;
        return MS_OK;
    }
    return len < 7 + n ? MS_ERR_TRUNCATED : MS_ERR_FORMAT;
}

/* 61xx / 6Cxx: xx is the length, 00 for 256. */
static uint16_t sw_len(uint16_t sw1, size_t n)
{
    return (uint16_t)(sw1 | (n & 0xFFu));
}

static void drop(ms_chip_held_t *h)
{
    h->len = 0;
    h->off = 0;
}

/* GET RESPONSE: the next (up to) Ne bytes of the held data. A refused GET
 * RESPONSE leaves the held data alone. */
static uint16_t get_response(ms_chip_held_t *h, const ms_chip_apdu_t *a, ms_chip_rsp_t *r)
{
    if (a->cla != 0x00) {
        return MS_SW_CLA_UNKNOWN; /* an interindustry command only */
    }
    if (a->p1 != 0 || a->p2 != 0) {
        return MS_SW_WRONG_P1P2;
    }
    if (a->lc != 0 || !a->has_le) {
        return MS_SW_WRONG_LENGTH;
    }
    if (h->off >= h->len) {
        return MS_SW_CONDITIONS; /* nothing waiting */
    }
    size_t left = (size_t)(h->len - h->off);
    size_t n = left < a->le ? left : a->le;
    if (n > r->cap) {
        n = r->cap;
    }
    memcpy(r->buf, h->buf + h->off, n);
    r->len = n;
    h->off = (uint16_t)(h->off + n);
    left -= n;
    if (left == 0) {
        drop(h);
        return MS_SW_OK;
    }
    return sw_len(MS_SW_BYTES_LEFT, left);
}

/* After a command: apply its Le to the data it produced. */
static uint16_t finish(ms_chip_held_t *h, const ms_chip_apdu_t *a, uint16_t sw, ms_chip_rsp_t *r)
{
    if (sw != MS_SW_OK || r->len == 0) {
        return sw;
    }
    size_t n = r->len;
    if (a->has_le && n <= a->le) {
        return MS_SW_OK;
    }
    r->len = 0;
    if (a->has_le) {
        sw = sw_len(MS_SW_WRONG_LE, n); /* Ne < Nx */
    } else if (n <= sizeof h->buf) {
        memcpy(h->buf, r->buf, n); /* Ne = 0: held for GET RESPONSE */
        h->len = (uint16_t)n;
        h->off = 0;
        sw = sw_len(MS_SW_BYTES_LEFT, n);
    } else {
        sw = MS_SW_WRONG_LENGTH; /* no command answers more than MS_CHIP_RSP_MAX */
    }
    memset(r->buf, 0, n);
    return sw;
}

uint16_t ms_chip_rsp_room(const ms_chip_apdu_t *a, const ms_chip_rsp_t *r, size_t n)
{
    if (n > r->cap) {
        return MS_SW_WRONG_LENGTH;
    }
    if (a->has_le && a->le < n) {
        return sw_len(MS_SW_WRONG_LE, n);
    }
    return MS_SW_OK;
}

uint16_t ms_chip_apdu_run(ms_chip_held_t *held, ms_chip_handler_fn fn, void *card,
                          const uint8_t *cmd, size_t cmd_len, uint8_t *rsp, size_t rsp_cap,
                          size_t *rsp_len)
{
    ms_chip_apdu_t a;
    ms_chip_rsp_t r;
    uint16_t sw;
    if (rsp_len != NULL) {
        *rsp_len = 0;
    }
    if (held == NULL || fn == NULL || rsp == NULL || rsp_cap < 2 || rsp_len == NULL) {
        return MS_SW_CONDITIONS;
    }
    r.buf = rsp;
    r.cap = rsp_cap - 2;
    r.len = 0;
    if (ms_chip_apdu_parse(cmd, cmd_len, &a) != MS_OK) {
        drop(held);
        sw = MS_SW_WRONG_LENGTH;
    } else if (a.ins == MS_CHIP_INS_GET_RESPONSE) {
        sw = get_response(held, &a, &r);
    } else {
        drop(held);
        sw = finish(held, &a, fn(card, &a, &r), &r);
    }
    if (sw != MS_SW_OK && (sw & 0xFF00u) != MS_SW_BYTES_LEFT) {
        r.len = 0;
    }
    rsp[r.len] = (uint8_t)(sw >> 8);
    rsp[r.len + 1] = (uint8_t)sw;
    *rsp_len = r.len + 2;
    return sw;
}
