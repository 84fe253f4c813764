/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the Secure test image (until the TEE replaces it): shows that the
 * boot loader handed over to a verified Secure image with its boot record,
 * then starts the Non-secure world the way the TEE will: VTOR_NS and MSP_NS
 * from the Non-secure image's vector table, and a BLXNS to its reset
 * handler through a cmse_nonsecure_call pointer.
 */
#include <arm_cmse.h>
#include <stdint.h>

#include "an505.h"
#include "an505_map.h"
#include "boot_record.h"
#include "regs/armv8m.h"
#include "regs/cmsdk_uart.h"

typedef void __attribute__((cmse_nonsecure_call)) (*ns_entry_t)(void);

static void put_version(const char *who, const ms_an505_boot_image_t *img)
{
    ms_an505_puts(who);
    ms_an505_puts(" version=");
    ms_an505_put_dec(img->version_major);
    ms_an505_putc('.');
    ms_an505_put_dec(img->version_minor);
    ms_an505_putc('.');
    ms_an505_put_dec(img->version_revision);
    ms_an505_puts(" seccnt=");
    ms_an505_put_dec(img->sec_cnt);
    ms_an505_puts(img->confirmed ? " confirmed" : " test");
    ms_an505_puts("\r\n");
}

int main(void)
{
    ms_an505_console_init(UART0_S_BASE);
    const ms_an505_boot_record_t *rec = (const ms_an505_boot_record_t *)AN505_BOOT_RECORD_BASE;
    if (rec->magic != MS_AN505_BOOT_RECORD_MAGIC || rec->n_images != 2) {
        ms_an505_puts("secure: no boot record\r\n");
        return MS_AN505_EXIT_FAULT;
    }
    put_version("secure: running, secure image", &rec->img[0]);
    put_version("secure: non-secure image", &rec->img[1]);

    const uint32_t *ns_vt = (const uint32_t *)(AN505_NS_EXEC_BASE + AN505_IMAGE_HDR_SIZE);
    MS_REG32(SCB_VTOR_NS) = (uint32_t)(uintptr_t)ns_vt;
    __asm volatile("msr msp_ns, %0" : : "r"(ns_vt[0]));
    ns_entry_t entry = (ns_entry_t)cmse_nsfptr_create(ns_vt[1]);
    ms_an505_puts("secure: starting the non-secure world\r\n");
    entry();
    ms_an505_puts("secure: the non-secure world returned\r\n");
    return MS_AN505_EXIT_HANDOVER;
}
