/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccfg.c - write and check the TrustZone configuration (seccfg.h).
 *
 * One table says what every directly addressed register must hold; the
 * banked ones (SAU regions behind SAU_RNR, MPC LUT words behind BLK_IDX)
 * are computed from the memory map. apply() and check() read the same
 * table, so what is written is exactly what is checked.
 *
 * Invariant: check() reports the first difference and never writes
 * anything but the index registers it must select (SAU_RNR, MPC BLK_IDX).
 */
#include "seccfg.h"

#include <stddef.h>

#include "an505_map.h"
#include "regs/armv8m.h"
#include "regs/mpc.h"
#include "regs/spctrl.h"

/* ---- the plain registers ---------------------------------------------------- */

typedef struct reg_rule {
    const char *name;
    uint32_t addr;
    uint32_t mask;      /* bits that must match */
    uint32_t value;     /* what they must be */
    uint32_t write;     /* what apply() writes (0 with no_write: left alone) */
    uint8_t no_write;
} reg_rule_t;

#define AIRCR_SEC_BITS (AIRCR_BFHFNMINS | AIRCR_PRIS | AIRCR_SYSRESETREQS)
#define SHCSR_FAULTS (SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA | \
                      SHCSR_SECUREFAULTENA)

/* In checking order: the security controller's own registers first (the
 * PPC bits decide whether the MPCs' registers can even be read securely),
 * then the MPCs, the core, and the SAU last. */
static const reg_rule_t rules[] = {
    /* Veneers live in a region the SAU marks NSC; the IDAU must let code be
     * NSC, or veneer calls fault (INVEP). */
    {"NSCCFG", SPCTRL_NSCCFG, 0x3u, NSCCFG_CODENSC, NSCCFG_CODENSC, 0},
    /* A blocked access is a bus error, not a silent read-as-zero. */
    {"SECRESPCFG", SPCTRL_SECRESPCFG, 0x1u, SECRESPCFG_BUSERR, SECRESPCFG_BUSERR, 0},
    /* Only the Non-secure world's UART is given away; the MPCs' own
     * registers, the timers, the SCC and the console stay Secure. */
    {"APBNSPPCEXP0", SPCTRL_APBNSPPCEXP0, 0xFFFFFFFFu, 0, 0, 0},
    {"APBNSPPCEXP1", SPCTRL_APBNSPPCEXP1, 0xFFFFFFFFu, PPCEXP1_UART2, PPCEXP1_UART2, 0},
    {"APBNSPPCEXP2", SPCTRL_APBNSPPCEXP2, 0xFFFFFFFFu, 0, 0, 0},
    {"AHBNSPPC0", SPCTRL_AHBNSPPC0, 0xFFFFFFFFu, 0, 0, 0},
    {"AHBNSPPCEXP0", SPCTRL_AHBNSPPCEXP0, 0xFFFFFFFFu, 0, 0, 0},
    /* The DMA controllers stay Secure and so do their bus masters: a
     * Non-secure DMA engine would reach the PSRAM, which has no MPC - the
     * slots and the OTP. */
    {"AHBNSPPCEXP1", SPCTRL_AHBNSPPCEXP1, 0xFFFFFFFFu, 0, 0, 0},
    {"AHBNSPPCEXP2", SPCTRL_AHBNSPPCEXP2, 0xFFFFFFFFu, 0, 0, 0},
    {"AHBNSPPCEXP3", SPCTRL_AHBNSPPCEXP3, 0xFFFFFFFFu, 0, 0, 0},
    {"APBNSPPCEXP3", SPCTRL_APBNSPPCEXP3, 0xFFFFFFFFu, 0, 0, 0},
    {"NSMSCEXP", SPCTRL_NSMSCEXP, 0xFFFFFFFFu, 0, 0, 0},
    /* TIMER0 is the Non-secure world's pulse input (its RTOS has the
     * banked Non-secure SysTick); TIMER1 and the dual timer stay Secure. */
    {"APBNSPPC0", SPCTRL_APBNSPPC0, 0xFFFFFFFFu, PPC0_TIMER0, PPC0_TIMER0, 0},
    {"APBNSPPC1", SPCTRL_APBNSPPC1, 0xFFFFFFFFu, 0, 0, 0},
    {"MPC0_CTRL", MPC_SSRAM1_BASE + MPC_CTRL, MPC_CTRL_SEC_RESP, MPC_CTRL_SEC_RESP,
     MPC_CTRL_SEC_RESP | MPC_CTRL_AUTOINC, 0},
    {"MPC1_CTRL", MPC_SSRAM2_BASE + MPC_CTRL, MPC_CTRL_SEC_RESP, MPC_CTRL_SEC_RESP,
     MPC_CTRL_SEC_RESP | MPC_CTRL_AUTOINC, 0},
    {"MPC2_CTRL", MPC_SSRAM3_BASE + MPC_CTRL, MPC_CTRL_SEC_RESP, MPC_CTRL_SEC_RESP,
     MPC_CTRL_SEC_RESP | MPC_CTRL_AUTOINC, 0},
    /* Interrupt targets: only TIMER0's interrupt goes to the Non-secure
     * world; every other interrupt stays Secure. */
    {"NVIC_ITNS0", NVIC_ITNS0, 0xFFFFFFFFu, 1u << AN505_IRQ_TIMER0, 1u << AN505_IRQ_TIMER0, 0},
    {"NVIC_ITNS1", NVIC_ITNS0 + 4u, 0xFFFFFFFFu, 0, 0, 0},
    /* Faults are taken by the Secure world, only it may reset the MCU, and
     * Non-secure exceptions can never pre-empt Secure ones. */
    {"AIRCR", SCB_AIRCR, AIRCR_SEC_BITS, AIRCR_PRIS | AIRCR_SYSRESETREQS,
     AIRCR_VECTKEY | AIRCR_PRIS | AIRCR_SYSRESETREQS, 0},
    {"SHCSR", SCB_SHCSR, SHCSR_FAULTS, SHCSR_FAULTS, SHCSR_FAULTS, 0},
    /* The boot loader's own vector table: a moved VTOR_S means code that is
     * not the boot loader would take the next exception. */
    {"VTOR_S", SCB_VTOR, 0xFFFFFF80u, AN505_BL_CODE_BASE, 0, 1},
    /* Secure debug off: no invasive or non-invasive secure debug by the
     * internal enables (the external pins are fused off on a real part). */
    {"DAUTHCTRL", DCB_DAUTHCTRL, DAUTHCTRL_INTSPIDEN | DAUTHCTRL_INTSPNIDEN, 0,
     DAUTHCTRL_SPIDENSEL | DAUTHCTRL_SPNIDENSEL, 0},
    /* Last: the SAU itself on, and not "everything Non-secure". */
    {"SAU_CTRL", SAU_CTRL, SAU_CTRL_ENABLE | SAU_CTRL_ALLNS, SAU_CTRL_ENABLE,
     SAU_CTRL_ENABLE, 0},
};

/* ---- SAU regions -------------------------------------------------------------- */

#define SAU_REGIONS_CHECKED 8u

typedef struct sau_region {
    uint32_t base;
    uint32_t limit;     /* last byte */
    uint32_t nsc;
} sau_region_t;

static const sau_region_t sau_regions[] = {
    {AN505_NS_EXEC_BASE, AN505_NS_EXEC_BASE + AN505_NS_EXEC_SIZE - 1u, 0},
    {AN505_S_NSC_BASE, AN505_S_NSC_BASE + AN505_S_NSC_SIZE - 1u, SAU_RLAR_NSC},
    {AN505_NS_RAM_BASE, AN505_NS_RAM_BASE + AN505_NS_RAM_SIZE - 1u, 0},
    {0x40000000u, 0x4FFFFFFFu, 0},   /* Non-secure peripheral aliases; PPCs decide */
};
#define N_SAU_REGIONS (sizeof(sau_regions) / sizeof(sau_regions[0]))

static uint32_t sau_rbar(uint32_t i)
{
    return i < N_SAU_REGIONS ? sau_regions[i].base & ~(SAU_REGION_ALIGN - 1u) : 0;
}

static uint32_t sau_rlar(uint32_t i)
{
    if (i >= N_SAU_REGIONS) {
        return 0;
    }
    return (sau_regions[i].limit & ~(SAU_REGION_ALIGN - 1u)) | sau_regions[i].nsc |
           SAU_RLAR_ENABLE;
}

/* ---- MPC lookup tables ----------------------------------------------------------- */

typedef struct mpc_info {
    const char *name;
    uint32_t base;          /* register block */
    uint32_t mem_ns;        /* NS alias of the memory it guards */
    uint32_t ns_from;       /* NS blocks: [ns_from, ns_to) as NS-alias addresses */
    uint32_t ns_to;
} mpc_info_t;

static const mpc_info_t mpcs[] = {
    {"MPC0_LUT", MPC_SSRAM1_BASE, AN505_SSRAM1_NS_BASE, AN505_NS_EXEC_BASE,
     AN505_NS_EXEC_BASE + AN505_NS_EXEC_SIZE},
    {"MPC1_LUT", MPC_SSRAM2_BASE, AN505_SSRAM2_S_BASE - 0x10000000u, 0, 0},
    {"MPC2_LUT", MPC_SSRAM3_BASE, AN505_NS_RAM_BASE, AN505_NS_RAM_BASE,
     AN505_NS_RAM_BASE + AN505_NS_RAM_SIZE},
};

/* The LUT word `w` must hold: a 1 for each block inside [ns_from, ns_to). */
static uint32_t mpc_lut_word(const mpc_info_t *m, uint32_t block_size, uint32_t w)
{
    uint32_t word = 0;
    for (uint32_t bit = 0; bit < 32u; bit++) {
        uint32_t addr = m->mem_ns + (w * 32u + bit) * block_size;
        if (addr >= m->ns_from && addr < m->ns_to) {
            word |= 1u << bit;
        }
    }
    return word;
}

static uint32_t mpc_block_size(const ms_an505_regio_t *io, const mpc_info_t *m)
{
    return 1u << ((io->read32(io->ctx, m->base + MPC_BLK_CFG) & 0xFu) + 5u);
}

/* ---- apply / check ------------------------------------------------------------------ */

void ms_an505_seccfg_apply(const ms_an505_regio_t *io)
{
    for (size_t i = 0; i < sizeof(mpcs) / sizeof(mpcs[0]); i++) {
        const mpc_info_t *m = &mpcs[i];
        uint32_t bs = mpc_block_size(io, m);
        uint32_t max = io->read32(io->ctx, m->base + MPC_BLK_MAX);
        for (uint32_t w = 0; w <= max; w++) {
            io->write32(io->ctx, m->base + MPC_BLK_IDX, w);
            io->write32(io->ctx, m->base + MPC_BLK_LUT, mpc_lut_word(m, bs, w));
        }
    }
    for (uint32_t i = 0; i < SAU_REGIONS_CHECKED; i++) {
        io->write32(io->ctx, SAU_RNR, i);
        io->write32(io->ctx, SAU_RBAR, sau_rbar(i));
        io->write32(io->ctx, SAU_RLAR, sau_rlar(i));
    }
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const reg_rule_t *r = &rules[i];
        if (r->no_write) {
            continue;
        }
        uint32_t keep = r->addr == SCB_AIRCR ? 0 : io->read32(io->ctx, r->addr) & ~r->mask;
        io->write32(io->ctx, r->addr, keep | r->write);
    }
}

static ms_err_t differs(const char *name, uint32_t value, const char **which,
                        uint32_t *got)
{
    *which = name;
    *got = value;
    return MS_ERR_BOOT_SECURITY_CONFIG;
}

/* Never inlined: the S12 tests stop the boot loader here. */
__attribute__((noipa)) ms_err_t ms_an505_seccfg_check(const ms_an505_regio_t *io,
                                                        const char **which, uint32_t *got)
{
    static const char *const rbar_names[SAU_REGIONS_CHECKED] = {
        "SAU_RBAR[0]", "SAU_RBAR[1]", "SAU_RBAR[2]", "SAU_RBAR[3]",
        "SAU_RBAR[4]", "SAU_RBAR[5]", "SAU_RBAR[6]", "SAU_RBAR[7]",
    };
    static const char *const rlar_names[SAU_REGIONS_CHECKED] = {
        "SAU_RLAR[0]", "SAU_RLAR[1]", "SAU_RLAR[2]", "SAU_RLAR[3]",
        "SAU_RLAR[4]", "SAU_RLAR[5]", "SAU_RLAR[6]", "SAU_RLAR[7]",
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const reg_rule_t *r = &rules[i];
        uint32_t v = io->read32(io->ctx, r->addr);
        if ((v & r->mask) != r->value) {
            return differs(r->name, v, which, got);
        }
    }
    if ((io->read32(io->ctx, SAU_TYPE) & 0xFFu) < N_SAU_REGIONS) {
        return differs("SAU_TYPE", io->read32(io->ctx, SAU_TYPE), which, got);
    }
    for (uint32_t i = 0; i < SAU_REGIONS_CHECKED; i++) {
        io->write32(io->ctx, SAU_RNR, i);
        uint32_t rlar = io->read32(io->ctx, SAU_RLAR);
        if (i >= N_SAU_REGIONS) {
            if (rlar & SAU_RLAR_ENABLE) {   /* no extra region may be on */
                return differs(rlar_names[i], rlar, which, got);
            }
            continue;
        }
        uint32_t rbar = io->read32(io->ctx, SAU_RBAR);
        if (rbar != sau_rbar(i)) {
            return differs(rbar_names[i], rbar, which, got);
        }
        if (rlar != sau_rlar(i)) {
            return differs(rlar_names[i], rlar, which, got);
        }
    }
    for (size_t i = 0; i < sizeof(mpcs) / sizeof(mpcs[0]); i++) {
        const mpc_info_t *m = &mpcs[i];
        uint32_t bs = mpc_block_size(io, m);
        uint32_t max = io->read32(io->ctx, m->base + MPC_BLK_MAX);
        for (uint32_t w = 0; w <= max; w++) {
            io->write32(io->ctx, m->base + MPC_BLK_IDX, w);
            uint32_t v = io->read32(io->ctx, m->base + MPC_BLK_LUT);
            if (v != mpc_lut_word(m, bs, w)) {
                return differs(m->name, v, which, got);
            }
        }
    }
    *which = NULL;
    *got = 0;
    return MS_OK;
}
