/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_main.c - the meter's Secure image (the TEE) on the AN505: brings up
 * its drivers and the portable TEE services (storage, key store + crypto,
 * RNG, attestation, the metering registers, the cloud link, firmware
 * updates bound to the boot loader's own configuration), gives the
 * attestation service the boot loader's measurements, serves the factory
 * line while the life cycle is OPEN (tee_factory.c), installs the door
 * (tee_door.c) and the fault policy (tee_fault.c), then starts the
 * Non-secure world.
 *
 * Invariants: every service is up (or the meter stops with a named error)
 * before the first Non-secure instruction runs; the boot record is read
 * once and only handed to the attestation service as the BOOT partition.
 */
#include <arm_cmse.h>
#include <stdint.h>
#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "boot_cfg.h"
#include "boot_record.h"
#include "flash_nor.h"
#include "meterseal/crypto.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_link.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "meterseal/tee_tls.h"
#include "otp.h"
#include "part_link.h"
#include "part_update.h"
#include "regs/armv8m.h"
#include "regs/cmsdk_uart.h"
#include "regs/spctrl.h"
#include "spm.h"
#include "tee.h"
#include "tee_hal.h"

/* The kernel's Mbed TLS pool: its DRBG (the TEE RNG), the factory
 * session's and the update unwrap's contexts. The partitions have their own
 * (spm.c): the link's TLS session is in the link partition's. */
MS_CRYPTO_HEAP(8 * 1024);

typedef void __attribute__((cmse_nonsecure_call)) (*ns_entry_t)(void);

/* The Secure kernel tick: the clock, and the partitions' time budget
 * (spm_watchdog needs the tick's EXC_RETURN: what it preempted). */
__attribute__((used)) void tee_tick(uint32_t exc_return)
{
    ms_an505_tee_tick();
    spm_watchdog(exc_return);
}

__attribute__((naked)) void SysTick_Handler(void)
{
    __asm volatile("mov r0, lr\n\t"
                   "push {r0, lr}\n\t"
                   "bl tee_tick\n\t"
                   "pop {r0, pc}\n\t");
}

__attribute__((noreturn)) static void stop(const char *what, ms_err_t err)
{
    ms_an505_puts("tee: ");
    ms_an505_puts(what);
    ms_an505_puts(" failed err=");
    ms_an505_puts(ms_errname(err));
    ms_an505_puts("\r\n");
    ms_an505_exit(MS_AN505_EXIT_FAULT);
}

/* The TRNG driver's samples, each checked by the health-test partition
 * (SP 800-90B continuous tests) before the RNG service uses them. */
static ms_err_t health_checked_entropy(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    ms_err_t err = ms_hal_rng_entropy(buf, len);
    for (size_t off = 0; err == MS_OK && off < len; off += SPM_MSG_DATA) {
        size_t n = len - off < SPM_MSG_DATA ? len - off : SPM_MSG_DATA;
        if (spm_call(SPM_PART_HEALTH, SPM_HEALTH_FEED, buf + off, n, NULL, 0, NULL) !=
            PSA_SUCCESS) {
            err = MS_ERR_TEE_RNG_HEALTH;
        }
    }
    return err;
}

static ms_err_t attest_boot_record(const ms_an505_boot_record_t *rec,
                                   const ms_an505_boot_trust_t *trust)
{
    static const char *const types[2] = { "SPE", "NSPE" };
    static const char impl_name[] = "MeterSeal AN505 TEE";
    ms_image_measurement_t meas[2];
    uint8_t impl[32];
    memset(meas, 0, sizeof meas);
    for (size_t i = 0; i < 2; i++) {
        const ms_an505_boot_image_t *img = &rec->img[i];
        memcpy(meas[i].hash, img->hash, sizeof meas[i].hash);
        meas[i].version = (ms_image_version_t){ img->version_major, img->version_minor,
                                                img->version_revision, img->version_build };
        meas[i].has_sec_cnt = true;
        meas[i].sec_cnt = img->sec_cnt;
        meas[i].anchor_index = img->signer_index;
        /* the signer ID: the key hash of the anchor that verified it */
        if (img->signer_index < trust->n_hashes) {
            meas[i].has_signer_id = true;
            memcpy(meas[i].signer_id, trust->hashes[img->signer_index],
                   sizeof meas[i].signer_id);
        }
    }
    ms_err_t err = ms_sha256(impl_name, sizeof impl_name - 1u, impl);
    if (err) {
        return err;
    }
    uint32_t lcs = rec->lcs == MS_OTP_LCS_SECURED ? MS_TEE_ATTEST_LIFECYCLE_SECURED : 0x2000u;
    return ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, meas, types, 2, impl, lcs);
}

/* One image of the boot record: its version and whether it is confirmed
 * (a test image the boot loader reverts unless it is confirmed). */
static void put_image(const char *what, const ms_an505_boot_image_t *img)
{
    ms_an505_puts(what);
    ms_an505_put_dec(img->version_major);
    ms_an505_putc('.');
    ms_an505_put_dec(img->version_minor);
    ms_an505_putc('.');
    ms_an505_put_dec(img->version_revision);
    ms_an505_puts(img->confirmed ? " confirmed\r\n" : " test\r\n");
}

typedef void (*ms_vector_t)(void);
extern const ms_vector_t ms_an505_vectors[];

int main(void)
{
    /* Exceptions from now on are this image's (the boot loader left VTOR_S
     * at its own table). */
    MS_REG32(SCB_VTOR) = (uint32_t)(uintptr_t)ms_an505_vectors;
    __asm volatile("dsb\n\tisb" ::: "memory");
    ms_an505_stack_paint();
    ms_an505_console_init(UART0_S_BASE);
    const ms_an505_boot_record_t *rec = (const ms_an505_boot_record_t *)AN505_BOOT_RECORD_BASE;
    if (rec->magic != MS_AN505_BOOT_RECORD_MAGIC || rec->n_images != 2) {
        ms_an505_puts("tee: no boot record\r\n");
        return MS_AN505_EXIT_FAULT;
    }
    put_image("tee: MeterSeal TEE, secure image version=", &rec->img[0]);
    put_image("tee: non-secure image version=", &rec->img[1]);

    /* The Secure kernel tick: 1 ms at 20 MHz. */
    MS_REG32(SYST_RVR) = 20000u - 1u;
    MS_REG32(SYST_CVR) = 0;
    MS_REG32(SYST_CSR) = 7u;
    __asm volatile("cpsie i");

    ms_err_t err = ms_an505_tee_hal_init(&ms_an505_trng_stand_in);
    if (err) {
        stop("drivers (HUK in OTP? counters?)", err);
    }
    ms_an505_puts("tee: trng=");
    ms_an505_puts(ms_an505_tee_trng()->name);
    ms_an505_puts(" accel=");
    ms_an505_puts(ms_an505_accel_none.name);
    ms_an505_puts("\r\n");
    /* The partitions first: the RNG's health tests run in one. */
    if ((err = spm_init()) != MS_OK) {
        stop("Secure MPU (too few regions for the partitions)", err);
    }
    if ((err = ms_tee_rng_init(health_checked_entropy, NULL, 4)) != MS_OK) {
        stop("rng health tests", err);
    }
    if ((err = tee_storage_start()) != MS_OK) {
        stop("storage", err);
    }
    /* The update partition stages and verifies updates with the boot
     * loader's own rules, from the trust the kernel reads from OTP. */
    const char *why = NULL;
    ms_an505_boot_trust_t trust;
    if ((err = ms_an505_boot_trust_read(&trust, &why)) != MS_OK) {
        stop(why, err);
    }
    if ((err = tee_update_start(&trust)) != MS_OK) {
        stop("update partition", err);
    }
    /* The device keys (identity, IAK) are made inside on the first power-on
     * (in the factory); later boots find them (idempotent). */
    if ((err = ms_tee_keystore_provision(NULL, NULL)) != MS_OK) {
        stop("key store provisioning", err);
    }
    if ((err = attest_boot_record(rec, &trust)) != MS_OK) {
        stop("attestation boot record", err);
    }
    if ((err = spm_selftest()) != MS_OK) {
        stop("isolation self-test", err);
    }
    ms_an505_puts("tee: isolation self-test passed (partitions ");
    for (uint32_t i = 0; i < SPM_N_PARTS; i++) {
        ms_an505_puts(i != 0 ? ", " : "");
        ms_an505_puts(spm_name(i));
    }
    ms_an505_puts(" unprivileged under the Secure MPU)\r\n");
    tee_fault_init();
    /* In the factory (life cycle OPEN): the station may provision the link
     * partition now, as BOOT, before any Non-secure code runs; the fault
     * handlers already log and count. */
    tee_factory_session(rec->lcs == MS_OTP_LCS_OPEN);
    /* Provisioning checked the certificates with the PSA core, whose state
     * the linker put in the link partition's block: release it to the
     * kernel's pool it came from, so the partition starts the core afresh
     * in its own memory. */
    ms_tls_release();
    /* The link keeps its TLS ticket in its partition's RAM (link_client.c):
     * one an earlier firmware kept in PS is dropped, never loaded. */
    (void)psa_ps_remove(MS_TEE_UID_LINK_TICKET);
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    if (ms_tee_link_meter_id(meter_id) == MS_OK) {
        ms_an505_puts("tee: link provisioned, meter id=");
        ms_an505_puts(meter_id);
        ms_an505_puts("\r\n");
    }
    tee_door_init();
    /* The Non-secure world's link calls go to the link partition. */
    ms_tee_dispatch_set_link(tee_link_forward);
    /* Accesses the PPCs stop raise the Secure PPC interrupt (tee_fault.c). */
    MS_REG32(SPCTRL_SECPPCINTCLR) = 0xFFFFFFFFu;
    MS_REG32(SPCTRL_SECPPCINTCLR) = 0;
    MS_REG32(SPCTRL_SECPPCINTEN) = 0xFFFFFFFFu;
    MS_REG32(NVIC_ISER0) = 1u << TEE_IRQ_PPC;
    ms_tee_meter_reg_t reg;
    if (ms_tee_meter_read(&reg) == MS_OK) {
        ms_an505_puts("tee: storage up, meter updates=");
        ms_an505_put_dec((uint32_t)reg.updates);
        ms_an505_puts(" nvc-erases=");
        ms_an505_put_dec(ms_an505_tee_nvc()->erases);
        ms_an505_puts("\r\n");
    }
    ms_tee_ns_fault_status_t fs;
    tee_fault_status(&fs);
    ms_an505_puts("tee: fault log faults=");
    ms_an505_put_dec(fs.faults);
    ms_an505_puts(" violations=");
    ms_an505_put_dec(fs.violations);
    ms_an505_puts(" policy-resets=");
    ms_an505_put_dec(fs.policy_resets);
    ms_an505_puts(" stack=");
    ms_an505_put_dec(ms_an505_stack_used());
    size_t pool_high = 0;
    ms_crypto_pool_stats(&ms_crypto_heap_pool, NULL, &pool_high);
    ms_an505_puts(" pool=");
    ms_an505_put_dec((uint32_t)pool_high);
    ms_an505_puts("\r\n");

    const uint32_t *ns_vt = (const uint32_t *)(AN505_NS_EXEC_BASE + AN505_IMAGE_HDR_SIZE);
    MS_REG32(SCB_VTOR_NS) = (uint32_t)(uintptr_t)ns_vt;
    __asm volatile("msr msp_ns, %0" : : "r"(ns_vt[0]));
    ns_entry_t entry = (ns_entry_t)cmse_nsfptr_create(ns_vt[1]);
    ms_an505_puts("tee: starting the non-secure world\r\n");
    tee_fault_handover();
    entry();
    /* The Non-secure world never returns: only a forged return (BX to
     * FNC_RETURN from its top level) gets here. */
    tee_fault_ns_returned();
}
