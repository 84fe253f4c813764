#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""S12 on the emulated Cortex-M33: one register of the TrustZone
configuration made wrong, after the boot loader wrote it and before S12 reads
it back (as a glitch, a bad part or tampered early code would). The boot must
stop with MS_ERR_BOOT_SECURITY_CONFIG naming that register, nothing may run,
and the next clean power-on boots normally.

    test_s12.py HOST_BUILD FIRMWARE_BUILD REGISTER

QEMU's gdb stub cannot write device registers (its debug writes skip MMIO),
so the harness makes the CPU do it: at the breakpoint it puts one
`str r1, [r0]` in scratch Secure RAM, runs it, and goes back.
DAUTHCTRL is read-as-zero/write-ignored on QEMU 7.2: its rule is covered by
the host test of the same check (test_seccfg.c).
"""
import sys

from meter import EXIT_REFUSED, Meter

SCRATCH = 0x381FF000   # the boot record area: unused until the hand-over
SAU_RNR, SAU_RBAR, SAU_RLAR = 0xE000EDD8, 0xE000EDDC, 0xE000EDE0
SPCTRL = 0x50080000
MPC = {0: 0x58007000, 1: 0x58008000, 2: 0x58009000}


def mpc_lut(n, word, value):
    return [(MPC[n] + 0x18, word), (MPC[n] + 0x1C, value)]


# register name (as the boot loader reports it) -> the writes that break it
REGISTERS = {
    "NSCCFG": [(SPCTRL + 0x14, 0)],
    "SECRESPCFG": [(SPCTRL + 0x10, 0)],
    "MPC0_CTRL": [(MPC[0], 0x100)],
    "MPC1_CTRL": [(MPC[1], 0x100)],
    "MPC2_CTRL": [(MPC[2], 0x100)],
    "APBNSPPCEXP0": [(SPCTRL + 0x80, 0x1)],          # MPC0's registers to NS
    "APBNSPPCEXP1": [(SPCTRL + 0x84, 0xC0)],         # the modem UART to NS
    "APBNSPPCEXP2": [(SPCTRL + 0x88, 0x1)],
    "AHBNSPPCEXP0": [(SPCTRL + 0x60, 0x1)],
    "AHBNSPPCEXP1": [(SPCTRL + 0x64, 0x1)],          # a DMA controller to NS
    "NSMSCEXP": [(SPCTRL + 0xD0, 0x1)],              # a DMA master to NS
    "APBNSPPC0": [(SPCTRL + 0x70, 0x3)],              # TIMER1 (Secure) to NS too
    "NVIC_ITNS0": [(0xE000E380, 0xFFFFFFFF)],         # every interrupt to NS
    "APBNSPPC1": [(SPCTRL + 0x74, 0x1)],
    "AIRCR": [(0xE000ED0C, 0x05FA0000 | (1 << 14))],  # NS may reset the MCU
    "SHCSR": [(0xE000ED24, 0x70000)],                 # SecureFault off
    "VTOR_S": [(0xE000ED08, 0x10020000)],
    "SAU_CTRL": [(0xE000EDD0, 0x0)],
    "SAU_RBAR[0]": [(SAU_RNR, 0), (SAU_RBAR, 0x00040000)],
    "SAU_RLAR[0]": [(SAU_RNR, 0), (SAU_RLAR, 0x000BFFE1)],
    "SAU_RLAR[1]": [(SAU_RNR, 1), (SAU_RLAR, 0x10020BE1)],   # veneers NS, not NSC
    "SAU_RBAR[2]": [(SAU_RNR, 2), (SAU_RBAR, 0x28000000)],
    "SAU_RLAR[3]": [(SAU_RNR, 3), (SAU_RLAR, 0)],
    "SAU_RLAR[4]": [(SAU_RNR, 4), (SAU_RBAR, 0x38000000), (SAU_RLAR, 0x3800FFE1)],
    "MPC0_LUT": mpc_lut(0, 100, 0xFFFFFFFF),
    "MPC1_LUT": mpc_lut(1, 10, 0x1),
    "MPC2_LUT": mpc_lut(2, 0, 0x0),
}


def poke(addr, value):
    """gdb lines: make the CPU store `value` at `addr`, then resume where it was."""
    return ["set $ms_pc = $pc", "set $ms_r0 = $r0", "set $ms_r1 = $r1",
            "set {unsigned short}%d = 0x6001" % SCRATCH,           # str r1, [r0]
            "set $r0 = %d" % addr, "set $r1 = %d" % value, "set $pc = %d" % SCRATCH,
            "tbreak *%d" % (SCRATCH + 2), "continue",
            "set $pc = $ms_pc", "set $r0 = $ms_r0", "set $r1 = $ms_r1"]


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in REGISTERS:
        print("usage: test_s12.py HOST_BUILD FIRMWARE_BUILD REGISTER\nregisters: " +
              " ".join(REGISTERS), file=sys.stderr)
        return 2
    reg = sys.argv[3]
    m = Meter(sys.argv[1], sys.argv[2])
    m.factory()
    cmds = ["break ms_an505_seccfg_check", "continue"]
    for addr, value in REGISTERS[reg]:
        cmds += poke(addr, value)
    cmds += ["delete", "continue"]
    r, gdb_out = m.run_gdb(cmds)
    problems = []
    if r.rc != EXIT_REFUSED or r.refused_with() != "MS_ERR_BOOT_SECURITY_CONFIG":
        problems.append("the boot was not refused with MS_ERR_BOOT_SECURITY_CONFIG")
    if ("boot: S12 register %s reads" % reg) not in r.console:
        problems.append("S12 did not name %s" % reg)
    if "secure:" in r.console or r.ns_console or r.events("verified"):
        problems.append("something ran or was verified after a failed S12")
    clean = m.run()
    if clean.rc != 100:
        problems.append("a clean power-on did not boot")
    if problems:
        print("FAIL: " + "; ".join(problems))
        print(r)
        print("--- gdb\n" + gdb_out[-2000:])
        print("(meter directory kept: %s)" % m.dir)
        return 1
    m.cleanup()
    print("ok: %s" % reg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
