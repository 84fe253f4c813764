#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Power cuts during an update on the emulated Cortex-M33 (M6): the power is
cut by killing QEMU while the boot loader installs or reverts, at every flash
operation of that boot, and the next power-on must boot a verified image -
the old one or the new one, never nothing.

    test_powercut.py HOST_BUILD FIRMWARE_BUILD SCENARIO

Scenarios:
  swap-install    a test update of both images, swap-using-move
  swap-revert     the revert of that update on the boot after it (unconfirmed)
  overwrite       a permanent update of both images, overwrite-only

For each scenario a clean run first counts the boot's flash operations (the
boot loader prints them; every write call and every sector erase is one, in
platform/an505/flash_nor.c). Then for every operation k, twice: QEMU stops
under gdb when operation k begins (ms_an505_flash_op) and is killed there -
once before any byte of it is written, once a few hundred instructions into
it, so a write or an erase is left half done in the flash file. The next
power-on runs without gdb and must boot (exit 100 or 101: which Non-secure
image ran), with both images verified on the console.
"""
import shutil
import sys

from meter import Meter

OLD, NEW = 100, 101


def prepare(m, scenario):
    """Bring the meter to the state just before the boot under test; returns
    the exit codes a good next boot may end with."""
    strategy = "overwrite" if scenario == "overwrite" else "swap"
    m.factory(strategy=strategy)
    perm = strategy == "overwrite"
    m.stage("s", m.sign("s", "1.1.0", 2), permanent=perm)
    m.stage("ns", m.sign("ns", "1.1.0", 2), permanent=perm)
    if scenario == "swap-revert":
        r = m.run()
        if r.rc != NEW:
            raise AssertionError("the update did not install before the revert test\n%s" % r)
    return {OLD, NEW}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("swap-install", "swap-revert", "overwrite"):
        print(__doc__, file=sys.stderr)
        return 2
    scenario = sys.argv[3]
    m = Meter(sys.argv[1], sys.argv[2])
    good = prepare(m, scenario)
    golden = m.path("golden.bin")
    shutil.copyfile(m.flash, golden)

    clean = m.run()
    ops = clean.flash_ops()
    if clean.rc not in good or not ops:
        print("FAIL: the uninterrupted boot did not work\n%s" % clean)
        return 1
    failures = []
    cuts = 0
    for k in range(1, ops + 1):
        for torn in (False, True):
            shutil.copyfile(golden, m.flash)
            cmds = ["break ms_an505_flash_op"]
            if k > 1:
                cmds.append("ignore 1 %d" % (k - 1))
            cmds.append("continue")
            if torn:
                cmds += ["delete", "stepi %d" % (40 + (k * 37) % 400)]
            cmds.append("kill")
            cut, gdb_out = m.run_gdb(cmds)
            if "Breakpoint 1, " not in gdb_out or cut.rc in good:
                failures.append("cut at operation %d never happened:\n%s" % (k, gdb_out[-800:]))
                continue
            cuts += 1
            after = m.run()
            verified = sorted(int(e[0]) for e in after.events("verified"))
            if after.rc not in good or verified != [0, 1]:
                failures.append("cut at operation %d%s: next boot rc=%d\n%s" % (
                    k, " (torn)" if torn else "", after.rc, after))
            elif "secure: running" not in after.console:
                failures.append("cut at operation %d: the Secure image did not run" % k)
    print("%s: %d flash operations, %d power cuts, %d next boots failed" % (
        scenario, ops, cuts, len(failures)))
    if failures:
        print("FAIL:\n" + "\n".join(failures[:3]))
        print("(meter directory kept: %s)" % m.dir)
        return 1
    m.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
