/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update.c - the application's update steps (update.h) over the TEE's
 * update service (tee_client.h).
 *
 * Invariant: the application never writes flash and never decides that an
 * image is good: it hands the bytes over in order and asks the TEE, whose
 * VERIFY is the boot loader's own check; INSTALL follows only its success.
 */
#include "update.h"

#include <string.h>

#include "an505.h"
#include "app.h"
#include "rtos.h"
#include "semihost.h"
#include "tee_client.h"

#define CHUNK 1024u   /* a multiple of the flash write unit (8) */

static uint8_t chunk[CHUNK];

static void put_update_status(const char *what, psa_status_t st, const ms_tee_update_status_t *u)
{
    ms_an505_puts("update: ");
    ms_an505_puts(what);
    ms_an505_puts(" status=");
    app_put_signed(st);
    ms_an505_puts(" state=");
    ms_an505_put_dec((uint32_t)u->state);
    ms_an505_puts(" offset=");
    ms_an505_put_dec(u->offset);
    if (u->last_err != MS_OK) {
        ms_an505_puts(" last-err=");
        ms_an505_puts(ms_errname(u->last_err));
    }
    ms_an505_puts("\r\n");
}

/* offer.bin: image index(1), SHA-256 of the download(32). */
static bool read_offer(uint8_t offer[1 + MS_TEE_UPDATE_ID_LEN])
{
    int32_t fo = semihost_open("offer.bin");
    bool ok = fo >= 0 && semihost_flen(fo) == (int32_t)(1 + MS_TEE_UPDATE_ID_LEN) &&
              semihost_read(fo, offer, 1 + MS_TEE_UPDATE_ID_LEN) == 0;
    if (fo >= 0) {
        semihost_close(fo);
    }
    return ok;
}

int update_stage(bool permanent)
{
    uint8_t offer[1 + MS_TEE_UPDATE_ID_LEN];
    ms_tee_update_status_t u;
    bool ok = read_offer(offer);
    int32_t fd = semihost_open("download.bin");
    int32_t size = fd >= 0 ? semihost_flen(fd) : -1;
    if (!ok || size <= 0) {
        ms_an505_puts("update: no download (offer.bin, download.bin)\r\n");
        if (fd >= 0) {
            semihost_close(fd);
        }
        return EXIT_FAILED;
    }
    psa_status_t st = tee_update_begin(offer[0], (uint32_t)size, offer + 1, &u);
    put_update_status("begin", st, &u);
    /* Write at the TEE's last good offset (a resumed download goes on). */
    uint32_t off = u.offset;
    if (st == PSA_SUCCESS && off != 0) {
        ok = false;   /* semihosting files are read from the start: no seek here */
    }
    while (st == PSA_SUCCESS && ok && off < (uint32_t)size) {
        uint32_t n = (uint32_t)size - off < CHUNK ? (uint32_t)size - off : CHUNK;
        if (semihost_read(fd, chunk, n) != 0) {
            ok = false;
            break;
        }
        st = tee_update_write(off, chunk, n, &u);
        off += n;
    }
    semihost_close(fd);
    put_update_status("written", st, &u);
    if (st != PSA_SUCCESS || !ok) {
        return EXIT_FAILED;
    }
    /* The longest call the TEE serves (decrypt, hash, two signatures): the
     * tick and the pulse interrupt go on meanwhile, and a call from that
     * interrupt finds the door taken. */
    uint32_t t0 = rtos_ticks(), p0 = app_pulses(), busy, other;
    app_isr_probe(true, &busy, &other);
    st = tee_update_verify(&u);
    app_isr_probe(false, &busy, &other);
    put_update_status("verify", st, &u);
    ms_an505_puts("update: during the verify ticks=");
    ms_an505_put_dec(rtos_ticks() - t0);
    ms_an505_puts(" pulses=");
    ms_an505_put_dec(app_pulses() - p0);
    ms_an505_puts(" interrupt-calls busy=");
    ms_an505_put_dec(busy);
    ms_an505_puts(" other=");
    ms_an505_put_dec(other);
    ms_an505_puts("\r\n");
    if (st != PSA_SUCCESS) {
        int rc = u.state == MS_TEE_UPD_FAILED ? EXIT_REFUSED : EXIT_FAILED;
        (void)tee_update_abort(&u);
        return rc;
    }
    ms_an505_puts("update: verified version=");
    ms_an505_put_dec(u.version.major);
    ms_an505_putc('.');
    ms_an505_put_dec(u.version.minor);
    ms_an505_putc('.');
    ms_an505_put_dec(u.version.revision);
    ms_an505_puts(" sec-cnt=");
    ms_an505_put_dec(u.sec_cnt);
    ms_an505_puts("\r\n");
    st = tee_update_install(permanent, &u);
    put_update_status(permanent ? "install permanent" : "install test", st, &u);
    return st == PSA_SUCCESS && u.state == MS_TEE_UPD_PENDING ? EXIT_DONE : EXIT_FAILED;
}

int update_confirm(void)
{
    /* The secondary slot of the image updated holds the image a revert
     * puts back: no new download may erase it before the running one is
     * confirmed. */
    uint8_t offer[1 + MS_TEE_UPDATE_ID_LEN];
    if (!read_offer(offer)) {
        ms_an505_puts("update: no offer.bin: which image was updated?\r\n");
        return EXIT_FAILED;
    }
    ms_tee_update_status_t u;
    psa_status_t early = tee_update_begin(offer[0], 4096, offer + 1, &u);
    put_update_status("begin before the confirm", early, &u);
    if (early == PSA_SUCCESS) {
        (void)tee_update_abort(&u);
    }
    psa_status_t ns = tee_update_confirm(1);
    app_put_status("update: confirm non-secure", ns);
    psa_status_t s = tee_update_confirm(0);
    app_put_status("update: confirm secure", s);
    return early == PSA_ERROR_BAD_STATE && ns == PSA_SUCCESS && s == PSA_SUCCESS ? EXIT_DONE
                                                                                 : EXIT_FAILED;
}
