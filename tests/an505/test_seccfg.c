/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_seccfg.c - the S12 check of the AN505 TrustZone configuration
 * (platform/an505/seccfg.c) on a simulated register file: what apply()
 * writes passes check(), and every single wrong register - including those
 * QEMU does not let a test corrupt (DAUTHCTRL is read-as-zero there,
 * SAU_TYPE is read-only) - is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "regs/armv8m.h"
#include "regs/mpc.h"
#include "regs/spctrl.h"
#include "seccfg.h"

/* A register file: plain words, plus the banked SAU regions behind SAU_RNR
 * and the MPC lookup tables behind BLK_IDX, as on the part. */
#define N_PLAIN 64
#define MPC_WORDS 128

typedef struct regs {
    uint32_t addr[N_PLAIN];
    uint32_t val[N_PLAIN];
    int n;
    uint32_t sau_rbar[8], sau_rlar[8], rnr;
    uint32_t lut[3][MPC_WORDS], idx[3];
} regs_t;

static int mpc_of(uint32_t addr, uint32_t *reg)
{
    static const uint32_t bases[3] = {MPC_SSRAM1_BASE, MPC_SSRAM2_BASE, MPC_SSRAM3_BASE};
    for (int i = 0; i < 3; i++) {
        if (addr >= bases[i] && addr < bases[i] + 0x1000u) {
            *reg = addr - bases[i];
            return i;
        }
    }
    return -1;
}

static uint32_t *plain(regs_t *r, uint32_t addr)
{
    for (int i = 0; i < r->n; i++) {
        if (r->addr[i] == addr) {
            return &r->val[i];
        }
    }
    assert_true(r->n < N_PLAIN);
    r->addr[r->n] = addr;
    r->val[r->n] = 0;
    return &r->val[r->n++];
}

static uint32_t rd(void *ctx, uint32_t addr)
{
    regs_t *r = ctx;
    uint32_t reg;
    int m = mpc_of(addr, &reg);
    if (m >= 0) {
        switch (reg) {
        case MPC_BLK_MAX: return m == 0 ? 127u : 63u;
        case MPC_BLK_CFG: return 5u;
        case MPC_BLK_IDX: return r->idx[m];
        case MPC_BLK_LUT: return r->lut[m][r->idx[m] % MPC_WORDS];
        default: break;
        }
    }
    switch (addr) {
    case SAU_TYPE: return *plain(r, SAU_TYPE);
    case SAU_RNR: return r->rnr;
    case SAU_RBAR: return r->sau_rbar[r->rnr & 7u];
    case SAU_RLAR: return r->sau_rlar[r->rnr & 7u];
    case SCB_AIRCR: return 0xFA050000u | (*plain(r, addr) & 0xFFFFu);
    default: return *plain(r, addr);
    }
}

static void wr(void *ctx, uint32_t addr, uint32_t v)
{
    regs_t *r = ctx;
    uint32_t reg;
    int m = mpc_of(addr, &reg);
    if (m >= 0 && reg == MPC_BLK_IDX) {
        r->idx[m] = v;
        return;
    }
    if (m >= 0 && reg == MPC_BLK_LUT) {
        r->lut[m][r->idx[m] % MPC_WORDS] = v;
        return;
    }
    switch (addr) {
    case SAU_RNR: r->rnr = v; return;
    case SAU_RBAR: r->sau_rbar[r->rnr & 7u] = v; return;
    case SAU_RLAR: r->sau_rlar[r->rnr & 7u] = v; return;
    case SCB_AIRCR: *plain(r, addr) = v & 0xFFFFu; return;
    default: *plain(r, addr) = v; return;
    }
}

static regs_t R;
static ms_an505_regio_t io = {rd, wr, &R};

static int setup(void **state)
{
    (void)state;
    memset(&R, 0, sizeof(R));
    *plain(&R, SAU_TYPE) = 8;
    *plain(&R, SCB_VTOR) = 0x10000000u;   /* the boot loader's table, as at reset */
    ms_an505_seccfg_apply(&io);
    return 0;
}

static void check_names(const char *want)
{
    const char *which = NULL;
    uint32_t got = 0;
    assert_int_equal(ms_an505_seccfg_check(&io, &which, &got), MS_ERR_BOOT_SECURITY_CONFIG);
    assert_non_null(which);
    assert_string_equal(which, want);
}

static void applied_configuration_passes(void **state)
{
    (void)state;
    const char *which = "x";
    uint32_t got = 1;
    assert_int_equal(ms_an505_seccfg_check(&io, &which, &got), MS_OK);
    assert_null(which);
}

static void secure_debug_enabled_is_named(void **state)
{
    (void)state;
    *plain(&R, DCB_DAUTHCTRL) |= DAUTHCTRL_INTSPIDEN;
    check_names("DAUTHCTRL");
}

static void secure_noninvasive_debug_enabled_is_named(void **state)
{
    (void)state;
    *plain(&R, DCB_DAUTHCTRL) |= DAUTHCTRL_INTSPNIDEN;
    check_names("DAUTHCTRL");
}

static void too_few_sau_regions_is_named(void **state)
{
    (void)state;
    *plain(&R, SAU_TYPE) = 2;
    check_names("SAU_TYPE");
}

static void each_plain_register_is_named(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t addr;
        uint32_t bits;   /* flipped */
    } cases[] = {
        {"NSCCFG", SPCTRL_NSCCFG, NSCCFG_CODENSC},
        {"SECRESPCFG", SPCTRL_SECRESPCFG, SECRESPCFG_BUSERR},
        {"APBNSPPCEXP0", SPCTRL_APBNSPPCEXP0, 1u},
        {"APBNSPPCEXP1", SPCTRL_APBNSPPCEXP1, PPCEXP1_UART0},
        {"APBNSPPCEXP2", SPCTRL_APBNSPPCEXP2, 4u},
        {"AHBNSPPC0", SPCTRL_AHBNSPPC0, 1u},
        {"AHBNSPPCEXP0", SPCTRL_AHBNSPPCEXP0, 2u},
        {"AHBNSPPCEXP2", SPCTRL_AHBNSPPCEXP2, 1u},
        {"AHBNSPPCEXP3", SPCTRL_AHBNSPPCEXP3, 1u},
        {"APBNSPPCEXP3", SPCTRL_APBNSPPCEXP3, 1u},
        {"APBNSPPC0", SPCTRL_APBNSPPC0, 1u},
        {"APBNSPPC1", SPCTRL_APBNSPPC1, 1u},
        {"MPC0_CTRL", MPC_SSRAM1_BASE + MPC_CTRL, MPC_CTRL_SEC_RESP},
        {"MPC1_CTRL", MPC_SSRAM2_BASE + MPC_CTRL, MPC_CTRL_SEC_RESP},
        {"MPC2_CTRL", MPC_SSRAM3_BASE + MPC_CTRL, MPC_CTRL_SEC_RESP},
        {"AIRCR", SCB_AIRCR, AIRCR_BFHFNMINS},
        {"SHCSR", SCB_SHCSR, SHCSR_SECUREFAULTENA},
        {"VTOR_S", SCB_VTOR, 0x20000u},
        {"SAU_CTRL", SAU_CTRL, SAU_CTRL_ALLNS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup(NULL);
        uint32_t *v = plain(&R, cases[i].addr);
        *v ^= cases[i].bits;
        check_names(cases[i].name);
    }
}

static void each_sau_region_is_named(void **state)
{
    (void)state;
    static const char *const rbar[4] = {"SAU_RBAR[0]", "SAU_RBAR[1]", "SAU_RBAR[2]", "SAU_RBAR[3]"};
    static const char *const rlar[8] = {"SAU_RLAR[0]", "SAU_RLAR[1]", "SAU_RLAR[2]", "SAU_RLAR[3]",
                                        "SAU_RLAR[4]", "SAU_RLAR[5]", "SAU_RLAR[6]", "SAU_RLAR[7]"};
    for (int i = 0; i < 4; i++) {
        setup(NULL);
        R.sau_rbar[i] += 0x1000u;
        check_names(rbar[i]);
        setup(NULL);
        R.sau_rlar[i] ^= SAU_RLAR_NSC;
        check_names(rlar[i]);
    }
    for (int i = 4; i < 8; i++) {
        setup(NULL);
        R.sau_rlar[i] = 0x3800FFE0u | SAU_RLAR_ENABLE;   /* one region too many */
        check_names(rlar[i]);
    }
}

static void each_mpc_lut_is_named(void **state)
{
    (void)state;
    static const char *const names[3] = {"MPC0_LUT", "MPC1_LUT", "MPC2_LUT"};
    for (int m = 0; m < 3; m++) {
        for (uint32_t w = 0; w < (m == 0 ? 128u : 64u); w += 7u) {
            setup(NULL);
            R.lut[m][w] ^= 1u << (w % 32u);
            check_names(names[m]);
        }
    }
}

static void nonsecure_code_blocks_are_exactly_the_ns_region(void **state)
{
    (void)state;
    /* SSRAM1 blocks of 1 KiB: the NS image region 0x60000..0x9FFFF is
     * blocks 384..639, LUT words 12..19 all ones, every other word zero. */
    for (uint32_t w = 0; w < 128u; w++) {
        assert_int_equal(R.lut[0][w], (w >= 12u && w < 20u) ? 0xFFFFFFFFu : 0u);
    }
    for (uint32_t w = 0; w < 64u; w++) {
        assert_int_equal(R.lut[1][w], 0u);            /* Secure data stays Secure */
        assert_int_equal(R.lut[2][w], 0xFFFFFFFFu);   /* NS data all NS */
    }
}

/*
 * The DMA controllers' PPC (AHB PPC expansion 1) and their masters'
 * security (NSMSCEXP): a Non-secure DMA engine would reach the PSRAM, which
 * has no MPC - all the slots and the OTP. An independent review found the
 * table left them out.
 */
static void nonsecure_dma_controllers_are_named(void **state)
{
    (void)state;
    *plain(&R, SPCTRL_AHBNSPPCEXP1) = 0x1u;   /* dma0 Non-secure */
    check_names("AHBNSPPCEXP1");
    setup(NULL);
    *plain(&R, SPCTRL_NSMSCEXP) = 0x1u;       /* dma0's master Non-secure */
    check_names("NSMSCEXP");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(applied_configuration_passes, setup),
        cmocka_unit_test_setup(secure_debug_enabled_is_named, setup),
        cmocka_unit_test_setup(secure_noninvasive_debug_enabled_is_named, setup),
        cmocka_unit_test_setup(too_few_sau_regions_is_named, setup),
        cmocka_unit_test_setup(each_plain_register_is_named, setup),
        cmocka_unit_test_setup(each_sau_region_is_named, setup),
        cmocka_unit_test_setup(each_mpc_lut_is_named, setup),
        cmocka_unit_test_setup(nonsecure_code_blocks_are_exactly_the_ns_region, setup),
        cmocka_unit_test_setup(nonsecure_dma_controllers_are_named, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
