/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccfg_mmio.c - the register I/O table of seccfg.h for the hardware:
 * plain 32-bit accesses, with a barrier after every write so a
 * configuration change is in effect before the next instruction.
 */
#include "regs/armv8m.h"
#include "seccfg.h"

static uint32_t mmio_read32(void *ctx, uint32_t addr)
{
    (void)ctx;
    return MS_REG32(addr);
}

static void mmio_write32(void *ctx, uint32_t addr, uint32_t value)
{
    (void)ctx;
    MS_REG32(addr) = value;
    __asm volatile("dsb\n\tisb" ::: "memory");
}

const ms_an505_regio_t ms_an505_mmio = {
    .read32 = mmio_read32,
    .write32 = mmio_write32,
    .ctx = 0,
};
