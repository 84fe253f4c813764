/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sec_config_sim.c - the security configuration S12 checks (M4), as a
 * simulated register set on the host. The expected values are those the
 * AN505 Secure image programs (SAU on with its regions, MPC blocking with
 * bus errors, secure VTOR at the Secure alias of SSRAM1, secure debug
 * locked, NSC code allowed); a test or the simulator's `seccfg` file can
 * change any register to show that a wrong configuration stops the boot.
 */
#include "boot_host.h"

#include <stdio.h>
#include <string.h>

void ms_host_seccfg_default(ms_host_seccfg_t *regs)
{
    regs->sau_ctrl = 0x1;          /* SAU enabled */
    regs->sau_regions = 4;         /* NS code, NS data, NSC veneers, NS peripherals */
    regs->mpc_ctrl = 0x10;         /* blocked accesses raise bus errors */
    regs->vtor_s = 0x10000000;     /* Secure alias of SSRAM1 */
    regs->dauthctrl = 0x0;         /* secure invasive/non-invasive debug off */
    regs->nsccfg = 0x1;            /* CODENSC */
}

static const struct {
    const char *name;
    size_t off;
} reg_names[] = {
    {"sau_ctrl", offsetof(ms_host_seccfg_t, sau_ctrl)},
    {"sau_regions", offsetof(ms_host_seccfg_t, sau_regions)},
    {"mpc_ctrl", offsetof(ms_host_seccfg_t, mpc_ctrl)},
    {"vtor_s", offsetof(ms_host_seccfg_t, vtor_s)},
    {"dauthctrl", offsetof(ms_host_seccfg_t, dauthctrl)},
    {"nsccfg", offsetof(ms_host_seccfg_t, nsccfg)},
};

ms_err_t ms_host_seccfg_load(ms_host_seccfg_t *regs, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return MS_OK;
    }
    char name[32];
    unsigned long v;
    ms_err_t err = MS_OK;
    while (fscanf(fp, " %31[a-z_]=%li", name, (long *)&v) == 2) {
        size_t i;
        for (i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++) {
            if (strcmp(name, reg_names[i].name) == 0) {
                uint32_t val = (uint32_t)v;
                memcpy((uint8_t *)regs + reg_names[i].off, &val, sizeof(val));
                break;
            }
        }
        if (i == sizeof(reg_names) / sizeof(reg_names[0])) {
            err = MS_ERR_FORMAT;
        }
    }
    fclose(fp);
    return err;
}

ms_err_t ms_host_seccfg_check(const ms_host_seccfg_t *regs, const char **which)
{
    const char *bad = NULL;
    if ((regs->sau_ctrl & 0x1u) == 0) {
        bad = "sau_ctrl";
    } else if (regs->sau_regions < 4) {
        bad = "sau_regions";
    } else if ((regs->mpc_ctrl & 0x10u) == 0) {
        bad = "mpc_ctrl";
    } else if (regs->vtor_s != 0x10000000u) {
        bad = "vtor_s";
    } else if (regs->dauthctrl != 0) {
        bad = "dauthctrl";
    } else if ((regs->nsccfg & 0x1u) == 0) {
        bad = "nsccfg";
    }
    if (which != NULL) {
        *which = bad;
    }
    return bad ? MS_ERR_BOOT_SECURITY_CONFIG : MS_OK;
}
