/*
 * apdu.c - ISO 7816-4 command APDU parser (short and extended length).
 *
 * Cases: 1 (CLA INS P1 P2), 2S (+Le), 3S (+Lc data), 4S (+Lc data Le),
 * 2E (00 Le2), 3E (00 Lc2 data), 4E (00 Lc2 data Le2). Le 00 means 256
 * (short) and 0000 means 65536 (extended).
 * Invariant: never reads past len; the data pointer, if any, lies wholly
 * inside buf; any length that does not add up exactly is rejected.
 */
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
