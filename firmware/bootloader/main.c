/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the meter's boot loader on the AN505 (M4, M5, M6): the first
 * code after every reset, at the Secure alias of SSRAM1 (QEMU reloads it on
 * every reset, like a ROM).
 *
 *   S11  enter; set up the console;
 *   S12  write the TrustZone configuration, then the boot core reads every
 *        register back (twice) and refuses to boot on any difference;
 *   S13  install a pending update of either image (swap with revert, or
 *        overwrite, as the OTP's update word says), power-cut safe;
 *   S14  copy each primary image into its execution RAM, verify the copy
 *        (hash, ECDSA-P256 against the key hashes anchored in OTP, security
 *        counter), check the Secure image's DEPENDENCY on the Non-secure
 *        one, raise the counters of confirmed images, leave the measured
 *        boot record in Secure RAM and jump to the Secure image.
 * Every event and refusal goes to the console with its named error. A
 * refusal ends the run with MS_AN505_EXIT_REFUSED: nothing of a bad image
 * ever runs.
 *
 * Invariants: the only keys are the hashes in OTP (nothing to trust is
 * compiled in); every buffer is static; the image decryption key is read
 * from OTP only while an update is unwrapped and wiped right after.
 */
#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "boot_cfg.h"
#include "boot_record.h"
#include "flash_nor.h"
#include "meterseal/boot.h"
#include "otp.h"
#include "regs/armv8m.h"
#include "regs/cmsdk_uart.h"
#include "seccfg.h"

/* Mbed TLS's pool: HMAC and HKDF contexts while an encrypted update is
 * unwrapped (a few hundred bytes); nothing else allocates. */
MS_CRYPTO_HEAP(2048);

static ms_boot_t boot;
static ms_boot_result_t result;

/* ---- console log --------------------------------------------------------- */

static void log_line(const char *what, const char *detail)
{
    ms_an505_puts("boot: ");
    ms_an505_puts(what);
    if (detail != NULL) {
        ms_an505_puts(" ");
        ms_an505_puts(detail);
    }
    ms_an505_puts("\r\n");
}

static void log_event(void *ctx, const ms_boot_event_t *ev)
{
    (void)ctx;
    ms_an505_put_boot_event("boot: ", ev);
}

/* ---- hooks ------------------------------------------------------------------ */

static ms_err_t check_security_config(void *ctx)
{
    (void)ctx;
    const char *which = NULL;
    uint32_t got = 0;
    ms_err_t err = ms_an505_seccfg_check(&ms_an505_mmio, &which, &got);
    if (err != MS_OK) {
        ms_an505_puts("boot: S12 register ");
        ms_an505_puts(which);
        ms_an505_puts(" reads ");
        ms_an505_put_hex(got);
        ms_an505_puts("\r\n");
    }
    return err;
}

static const ms_boot_hooks_t hooks = {
    .check_security_config = check_security_config,
    .init_peripherals = NULL,
    .get_enc_key = ms_an505_image_enc_key,
    .log = log_event,
    .ctx = NULL,
    .seccnt = &ms_otp_seccnt_ops,
    .seccnt_ctx = (void *)&ms_an505_otp_area,
};

/* ---- hand-over ---------------------------------------------------------------------- */

static void write_boot_record(const ms_boot_result_t *res)
{
    ms_an505_boot_record_t *rec = (ms_an505_boot_record_t *)AN505_BOOT_RECORD_BASE;
    ms_otp_lcs_t lcs = MS_OTP_LCS_SECURED;
    (void)ms_otp_lcs_get(&ms_an505_otp_area, &lcs);
    memset(rec, 0, sizeof(*rec));
    rec->magic = MS_AN505_BOOT_RECORD_MAGIC;
    rec->version = MS_AN505_BOOT_RECORD_VERSION;
    rec->n_images = (uint32_t)res->n_images;
    rec->lcs = (uint32_t)lcs;
    for (size_t i = 0; i < res->n_images; i++) {
        const ms_boot_image_record_t *r = &res->img[i];
        ms_an505_boot_image_t *o = &rec->img[i];
        o->image_id = r->image_id;
        o->confirmed = r->confirmed;
        o->action = (uint8_t)r->action;
        o->update_err = (uint8_t)r->update_err;
        memcpy(o->hash, r->m.hash, MS_SHA256_LEN);
        o->version_major = r->m.version.major;
        o->version_minor = r->m.version.minor;
        o->version_revision = r->m.version.revision;
        o->version_build = r->m.version.build;
        o->sec_cnt = r->m.has_sec_cnt ? r->m.sec_cnt : 0;
        o->signer_index = (uint32_t)r->m.anchor_index;
    }
}

__attribute__((noreturn)) static void refuse(ms_err_t err)
{
    ms_an505_puts("boot: refused err=");
    ms_an505_puts(ms_errname(err != MS_OK ? err : MS_ERR_BOOT_FAULT));
    ms_an505_puts("\r\n");
    ms_an505_exit(MS_AN505_EXIT_REFUSED);
}

/* Jump to the Secure image's reset handler with its own stack; never
 * returns. Interrupts stay masked until the image enables what it owns.
 * The vector table must be where a Secure image is run from: a glitched
 * decision that got here without one finds nothing to jump to. */
__attribute__((noreturn)) static void jump_to(uint32_t vector_table)
{
    if (vector_table < AN505_S_EXEC_BASE + MS_IMAGE_HEADER_SIZE ||
        vector_table >= AN505_S_EXEC_BASE + AN505_S_EXEC_SIZE) {
        refuse(MS_ERR_BOOT_FAULT);
    }
    const uint32_t *vt = (const uint32_t *)(uintptr_t)vector_table;
    uint32_t sp = vt[0];
    uint32_t pc = vt[1];
    __asm volatile(
        "cpsid i\n\t"
        "msr msplim, %2\n\t"
        "msr msp, %0\n\t"
        "dsb\n\t"
        "isb\n\t"
        "bx %1\n\t"
        :
        : "r"(sp), "r"(pc), "r"(0u)
        : "memory");
    __builtin_unreachable();
}

int main(void)
{
    ms_boot_config_t cfg;

    ms_an505_stack_paint();
    ms_an505_console_init(UART0_S_BASE);
    log_line("MeterSeal boot loader (AN505)", NULL);

    /* S12, first half: write the configuration the boot core will check. */
    ms_an505_seccfg_apply(&ms_an505_mmio);

    const char *why = NULL;
    ms_err_t err = ms_an505_boot_config(&cfg, &hooks, &why);
    if (why != NULL) {
        log_line(why, NULL);
    }
    if (err == MS_OK) {
        err = ms_boot_go(&boot, &cfg, &result);
    }
    ms_an505_puts("boot: flash-ops=");
    ms_an505_put_dec(ms_an505_flash_ops);
    ms_an505_puts(" stack=");
    ms_an505_put_dec(ms_an505_stack_used());
    ms_an505_puts("\r\n");
    /* The decision, hardened: the error code and the core's hand-over token
     * (a pattern no skipped instruction produces), each looked at twice
     * with a varying delay between; every way out but the last is a
     * refusal, and jump_to() checks the address once more. */
    if (err != MS_OK) {
        refuse(err);
    }
    if (result.handover != MS_BOOT_HANDOVER_OK) {
        refuse(MS_ERR_BOOT_FAULT);
    }
    ms_boot_fih_delay();
    if (result.handover != MS_BOOT_HANDOVER_OK || err != MS_OK) {
        refuse(MS_ERR_BOOT_FAULT);
    }
    write_boot_record(&result);
    if (result.handover != MS_BOOT_HANDOVER_OK) {
        refuse(MS_ERR_BOOT_FAULT);
    }
    jump_to(result.img[0].jump_addr);
}
