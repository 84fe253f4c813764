/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_factory.c - the factory writer's APDU sequence and the vendor's 84 DE
 * loader reload, over any transport (see chip_factory.h). Host only.
 * Invariants: the writer never holds a key: it forwards the licence the
 * vendor issued for the serial the chip reports; it resumes only a download
 * the chip's journal attributes to the same package id, and starts over
 * once with ERASE when the chip refuses the resumed download.
 */
#include <string.h>

#include "chip_factory.h"

#define RSP_CAP 300

typedef struct xfer {
    const ms_chip_writer_t *w;
    ms_chip_report_t *rep;
    uint8_t rsp[RSP_CAP];
    size_t rlen;
    uint16_t sw;
} xfer_t;

/*
 * One command and its whole answer (data || SW in rsp): when the card
 * answers 61xx - it does when the command's Le did not reach it, as over
 * T=0, which drops the Le of a case 4 command (ISO 7816-3 12.2) - the data
 * is fetched with GET RESPONSE (00 C0 00 00 xx) and appended, until the
 * card answers anything but 61xx. *apdus counts the commands sent.
 */
static ms_err_t exchange(ms_chip_transmit_fn transmit, void *ctx, const uint8_t *cmd, size_t n,
                         uint8_t *rsp, size_t cap, size_t *rlen, uint32_t *apdus)
{
    size_t have = 0, got = 0;
    ms_err_t err = transmit(ctx, cmd, n, rsp, cap, &got);
    for (;;) {
        if (apdus != NULL) {
            (*apdus)++;
        }
        if (err != MS_OK) {
            return err;
        }
        if (got < 2) {
            return MS_ERR_FORMAT;
        }
        have += got - 2;
        uint8_t sw1 = rsp[have], sw2 = rsp[have + 1];
        size_t want = sw2 != 0 ? sw2 : 256;
        if (sw1 != 0x61 || cap - have < want + 2) {
            *rlen = have + 2;
            return MS_OK;
        }
        uint8_t get[5] = {0x00, MS_CHIP_INS_GET_RESPONSE, 0x00, 0x00, sw2};
        got = 0;
        err = transmit(ctx, get, sizeof get, rsp + have, cap - have, &got);
    }
}

static ms_err_t send(xfer_t *x, const char *step, const uint8_t *cmd, size_t n)
{
    x->rep->step = step;
    x->rep->bytes_sent += n;
    x->rlen = 0;
    ms_err_t err = exchange(x->w->transmit, x->w->transmit_ctx, cmd, n, x->rsp, sizeof x->rsp,
                            &x->rlen, &x->rep->apdus);
    if (err != MS_OK) {
        x->sw = 0;
        x->rep->sw = 0;
        return err;
    }
    x->sw = (uint16_t)((x->rsp[x->rlen - 2] << 8) | x->rsp[x->rlen - 1]);
    x->rep->sw = x->sw;
    x->rlen -= 2;
    return x->sw == MS_SW_OK ? MS_OK : MS_ERR_STATE;
}

static ms_err_t get_data(xfer_t *x, const char *step, uint16_t tag)
{
    uint8_t cmd[5] = {0x80, MS_CHIP_INS_GET_DATA, (uint8_t)(tag >> 8), (uint8_t)tag, 0x00};
    return send(x, step, cmd, sizeof cmd);
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ERASE (unless resuming the chip's own journal for this package), header,
 * licence, DECRYPT from the chip's resume point, VERIFY. */
static ms_err_t download(xfer_t *x, const uint8_t *pkg, const ms_chip_pkg_header_t *hdr,
                         const uint8_t id[MS_CHIP_PKG_ID_LEN], const uint8_t lic[MS_CHIP_LIC_LEN],
                         int allow_resume, int *resumed)
{
    const ms_chip_writer_t *w = x->w;
    uint8_t cmd[7 + 4 + 512 + 2];
    ms_err_t err;
    size_t chunk = w->chunk ? w->chunk : 224;
    *resumed = 0;
    /* Resume or start over (step 204). */
    if ((err = get_data(x, "progress", MS_CHIP_TAG_PROGRESS)) != MS_OK) {
        return err;
    }
    int resume = allow_resume && !w->no_resume && x->rlen >= 33 && (x->rsp[16] & 4) &&
                 memcmp(x->rsp + 17, id, MS_CHIP_PKG_ID_LEN) == 0;
    *resumed = resume;
    if (!resume) {
        uint8_t erase[4] = {0x80, MS_CHIP_INS_ERASE, 0, 0};
        if ((err = send(x, "erase", erase, sizeof erase)) != MS_OK) {
            return err;
        }
    }
    /* DECRYPT header; Le: the resume point (4). */
    cmd[0] = 0x80;
    cmd[1] = MS_CHIP_INS_DECRYPT;
    cmd[2] = 0x00;
    cmd[3] = 0x00;
    cmd[4] = MS_CHIP_PKG_HDR_LEN;
    memcpy(cmd + 5, pkg, MS_CHIP_PKG_HDR_LEN);
    cmd[5 + MS_CHIP_PKG_HDR_LEN] = 4;
    if ((err = send(x, "header", cmd, 6 + MS_CHIP_PKG_HDR_LEN)) != MS_OK) {
        return err;
    }
    if (x->rlen != 4) {
        return MS_ERR_FORMAT;
    }
    uint32_t cursor = be32(x->rsp);
    if (cursor > hdr->cos_len) {
        return MS_ERR_FORMAT;
    }
    x->rep->resumed_from = cursor;
    /* KEY DIVERSIFY with the licence (step 205); Le: three KCVs (9). */
    cmd[1] = MS_CHIP_INS_DIVERSIFY;
    cmd[4] = MS_CHIP_LIC_LEN;
    memcpy(cmd + 5, lic, MS_CHIP_LIC_LEN);
    cmd[5 + MS_CHIP_LIC_LEN] = 9;
    if ((err = send(x, "key diversify", cmd, 6 + MS_CHIP_LIC_LEN)) != MS_OK) {
        return err;
    }
    if (x->rlen == 9) {
        memcpy(x->rep->kcv, x->rsp, 9);
    }
    /* DECRYPT data (step 206). */
    const uint8_t *body = pkg + MS_CHIP_PKG_HDR_LEN;
    if (w->progress != NULL) {
        w->progress(w->progress_ctx, cursor, hdr->cos_len);
    }
    while (cursor < hdr->cos_len) {
        size_t n = hdr->cos_len - cursor < chunk ? hdr->cos_len - cursor : chunk;
        size_t lc = 4 + n, at, end;
        cmd[1] = MS_CHIP_INS_DECRYPT;
        cmd[2] = 0x01;
        if (lc <= 255) {
            cmd[4] = (uint8_t)lc;
            at = 5;
        } else {
            cmd[4] = 0;
            cmd[5] = (uint8_t)(lc >> 8);
            cmd[6] = (uint8_t)lc;
            at = 7;
        }
        put_be32(cmd + at, cursor);
        memcpy(cmd + at + 4, body + cursor, n);
        /* Le: the next offset (4); two bytes after an extended Lc. */
        end = at + lc;
        if (at == 7) {
            cmd[end++] = 0x00;
        }
        cmd[end++] = 4;
        if ((err = send(x, "decrypt", cmd, end)) != MS_OK) {
            return err;
        }
        if (x->rlen != 4 || be32(x->rsp) != cursor + n) {
            return MS_ERR_FORMAT;
        }
        cursor += (uint32_t)n;
        if (w->progress != NULL) {
            w->progress(w->progress_ctx, cursor, hdr->cos_len);
        }
    }
    /* VERIFY (steps 207-210). */
    uint8_t ver[13] = {0x80, MS_CHIP_INS_VERIFY, 0, 0, 8};
    put_be32(ver + 5, hdr->crc32);
    put_be32(ver + 9, hdr->xor32);
    if ((err = send(x, "verify", ver, sizeof ver)) != MS_OK) {
        return err;
    }
    return MS_OK;
}

ms_err_t ms_chip_factory_write(const ms_chip_writer_t *w, const uint8_t *pkg, size_t pkg_len,
                               ms_chip_report_t *rep)
{
    xfer_t x;
    ms_chip_pkg_header_t hdr;
    uint8_t id[MS_CHIP_PKG_ID_LEN], lic[MS_CHIP_LIC_LEN];
    ms_err_t err;

    if (w == NULL || w->transmit == NULL || w->licence == NULL || pkg == NULL || rep == NULL) {
        return MS_ERR_ARG;
    }
    memset(rep, 0, sizeof *rep);
    memset(&x, 0, sizeof x);
    x.w = w;
    x.rep = rep;
    size_t chunk = w->chunk ? w->chunk : 224;
    if (chunk % 32 != 0 || chunk > 512) {
        return MS_ERR_ARG;
    }
    rep->step = "package";
    err = ms_chip_pkg_parse(pkg, pkg_len, &hdr);
    if (err != MS_OK) {
        return err;
    }
    if (pkg_len != MS_CHIP_PKG_HDR_LEN + (size_t)hdr.cos_len) {
        return MS_ERR_FORMAT;
    }
    rep->cos_len = hdr.cos_len;
    err = ms_chip_pkg_id(pkg, id);
    if (err != MS_OK) {
        return err;
    }
    /* Mode: only a chip in Loader OS mode can take a COS. */
    if ((err = get_data(&x, "mode", MS_CHIP_TAG_MODE)) != MS_OK) {
        return err;
    }
    if (x.rlen >= 11 && x.rsp[0] == MS_CHIP_MODE_COS && be32(x.rsp + 3) == hdr.cos_len &&
        be32(x.rsp + 7) == hdr.crc32) {
        /* This COS is already in (e.g. VERIFY's answer was lost to a cut). */
        if (get_data(&x, "serial", MS_CHIP_TAG_UID) == MS_OK && x.rlen == MS_CHIP_UID_LEN) {
            memcpy(rep->uid, x.rsp, MS_CHIP_UID_LEN);
            rep->have_uid = 1;
        }
        rep->step = "already installed";
        rep->sw = MS_SW_OK;
        return MS_OK;
    }
    if (x.rlen < 3 || x.rsp[0] != MS_CHIP_MODE_LOADER || x.rsp[2] != MS_CHIP_RUN_LOADER) {
        rep->step = x.rlen >= 1 && x.rsp[0] == MS_CHIP_MODE_COS ? "mode (chip already has a COS)"
                                                                 : "mode (not in loader mode)";
        return MS_ERR_STATE;
    }
    if ((err = get_data(&x, "serial", MS_CHIP_TAG_UID)) != MS_OK) {
        return err;
    }
    if (x.rlen != MS_CHIP_UID_LEN) {
        return MS_ERR_FORMAT;
    }
    memcpy(rep->uid, x.rsp, MS_CHIP_UID_LEN);
    rep->have_uid = 1;
    rep->step = "licence lookup";
    err = w->licence(w->licence_ctx, rep->uid, lic);
    if (err != MS_OK) {
        return err;
    }
    /* A resumed download the chip refuses (its journal full of torn slots,
     * or VERIFY failing over sectors the journal vouched for) would fail the
     * same way at every later attempt: start over once with ERASE. */
    int resumed = 0;
    err = download(&x, pkg, &hdr, id, lic, 1, &resumed);
    if (err == MS_ERR_STATE && resumed && x.sw != MS_SW_OK &&
        strcmp(rep->step, "key diversify") != 0) {
        rep->resumed_from = 0;
        err = download(&x, pkg, &hdr, id, lic, 0, &resumed);
    }
    if (err != MS_OK) {
        return err;
    }
    rep->step = "done";
    return MS_OK;
}

ms_err_t ms_chip_factory_reload_loader(ms_chip_transmit_fn transmit, void *ctx, ms_chip_scp_t scp,
                                       const uint8_t k_enc[MS_CHIP_KEY_LEN],
                                       const uint8_t k_mac[MS_CHIP_KEY_LEN],
                                       const uint8_t *loader, size_t loader_len, uint16_t *sw)
{
    ms_chip_session_t s;
    uint8_t cmd[260], rsp[RSP_CAP], host[8], expect[8], plain[48];
    size_t n = 0, rlen = 0;
    ms_err_t err;
    if (transmit == NULL || k_enc == NULL || k_mac == NULL || loader == NULL || sw == NULL ||
        loader_len == 0 || loader_len % 16 != 0) {
        return MS_ERR_ARG;
    }
    *sw = 0;
    err = ms_random(host, sizeof host);
    if (err != MS_OK) {
        return err;
    }
    uint8_t iu[14] = {0x80, MS_CHIP_INS_INIT_UPDATE, (uint8_t)scp, 0x00, 0x08};
    memcpy(iu + 5, host, 8);
    iu[13] = 0x00; /* Le: up to 256 (28 or 29 come back) */
    err = exchange(transmit, ctx, iu, sizeof iu, rsp, sizeof rsp, &rlen, NULL);
    if (err != MS_OK) {
        return err;
    }
    *sw = (uint16_t)((rsp[rlen - 2] << 8) | rsp[rlen - 1]);
    if (*sw != MS_SW_OK) {
        return MS_ERR_STATE;
    }
    size_t cl = scp == MS_CHIP_SCP03 ? 8 : 6;
    size_t want = scp == MS_CHIP_SCP03 ? 29 : 28;
    if (rlen - 2 != want) {
        return MS_ERR_FORMAT;
    }
    uint16_t seq = scp == MS_CHIP_SCP02 ? (uint16_t)((rsp[12] << 8) | rsp[13]) : 0;
    const uint8_t *card = rsp + (scp == MS_CHIP_SCP03 ? 13 : 14);
    err = ms_chip_session_open(&s, scp, k_enc, k_mac, host, card, cl, seq, expect);
    if (err != MS_OK) {
        return err;
    }
    /* The card proves it holds the keys before we send anything. */
    if (!ms_ct_equal(expect, card + cl, 8)) {
        ms_chip_session_close(&s);
        return MS_ERR_AUTH;
    }
    uint8_t flags = MS_CHIP_DL_FIRST;
    for (size_t off = 0; off < loader_len && err == MS_OK; off += n) {
        n = loader_len - off < 224 ? loader_len - off : 224;
        size_t alen = 0;
        err = ms_chip_session_wrap_dl(&s, flags, (uint32_t)off, loader + off, n, cmd, sizeof cmd,
                                      &alen);
        flags = 0;
        if (err == MS_OK) {
            err = exchange(transmit, ctx, cmd, alen, rsp, sizeof rsp, &rlen, NULL);
        }
        if (err == MS_OK) {
            *sw = (uint16_t)((rsp[rlen - 2] << 8) | rsp[rlen - 1]);
            if (*sw != MS_SW_OK) {
                err = MS_ERR_STATE;
            }
        }
    }
    if (err == MS_OK) {
        memset(plain, 0, sizeof plain);
        put_be32(plain, (uint32_t)loader_len);
        err = ms_sha256(loader, loader_len, plain + 4);
        plain[36] = 0x80;
    }
    if (err == MS_OK) {
        size_t alen = 0;
        err = ms_chip_session_wrap_dl(&s, MS_CHIP_DL_LAST, 0, plain, sizeof plain, cmd,
                                      sizeof cmd, &alen);
        if (err == MS_OK) {
            err = exchange(transmit, ctx, cmd, alen, rsp, sizeof rsp, &rlen, NULL);
        }
        if (err == MS_OK) {
            *sw = (uint16_t)((rsp[rlen - 2] << 8) | rsp[rlen - 1]);
            if (*sw != MS_SW_OK) {
                err = MS_ERR_STATE;
            }
        }
    }
    ms_chip_session_close(&s);
    return err;
}

const char *ms_chip_sw_text(uint16_t sw)
{
    switch (sw) {
    case 0x9000: return "9000 success";
    case 0x6300: return "6300 verification failed";
    case 0x6581: return "6581 memory failure";
    case 0x6700: return "6700 wrong length";
    case 0x6982: return "6982 security status not satisfied";
    case 0x6985: return "6985 conditions of use not satisfied";
    case 0x6A80: return "6A80 incorrect data";
    case 0x6A82: return "6A82 file not found";
    case 0x6A84: return "6A84 not enough memory";
    case 0x6A86: return "6A86 incorrect P1 P2";
    case 0x6A88: return "6A88 referenced data not found";
    case 0x6D00: return "6D00 instruction not supported";
    case 0x6E00: return "6E00 class not supported";
    case 0x0000: return "no response (card removed or power lost)";
    default: return "unexpected status word";
    }
}
