#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The instruction-skip campaign (fi_gdb.py, used by test_fi.py) must skip
the instruction it says it skips: pc must land on the instruction that
follows, whatever the skipped one is.

    test_fi_harness.py FIRMWARE_BUILD

An independent review found an earlier next_insn(addr) taking the first hex
number above addr in gdb's `x/2i` output - gdb prints operand addresses
too, so for
  - a forward branch (`beq.w 0x10004e2c`, `bne.n ...`, `b.n`, `cbz`),
    "skipping" it jumps to its target: the branch is forced TAKEN, never
    skipped (falling through, which is what a skipped conditional branch
    does, is never tried - and that is exactly the glitch that matters for
    `bne <refuse>`-shaped code);
  - a forward `bl`, the callee is entered without a return address;
  - a pc-relative load (`ldr r3, [pc, #388] @ (0x10004968)`), execution
    continues in the literal pool (data run as code: a fault).
So the campaign's "booted 0" is no evidence for these instructions.

This test loads next_insn from fi_gdb.py into gdb-multiarch (no target:
the ELF's own disassembly) and checks it against the instruction that
really follows, for every instruction of Reset_Handler (main and ms_boot_go
are inlined into it).
"""
import os
import subprocess
import sys
import tempfile

PROBE = r'''
import ast, re, gdb
src = open(FI).read()
tree = ast.parse(src)
keep = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("trace", "run", "next_insn")]
ns = {"gdb": gdb, "re": re, "ENV": {}, "time": None}
exec(compile(ast.Module(body=keep, type_ignores=[]), FI, "exec"), ns)
out = gdb.execute("disassemble Reset_Handler", to_string=True)
addrs = [int(m.group(1), 16) for m in re.finditer(r"^\s*(?:=>)?\s*0x([0-9a-f]+)", out, re.M)]
bad = []
for a, b in zip(addrs, addrs[1:]):
    got = ns["next_insn"](a)
    if got != b:
        line = gdb.execute("x/i 0x%x" % a, to_string=True).strip()
        bad.append("%s  -> skip lands at 0x%x, next is 0x%x" % (line, got, b))
print("CHECKED %d" % (len(addrs) - 1))
print("WRONG %d" % len(bad))
for l in bad[:15]:
    print("  " + l)
'''


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    elf = os.path.join(sys.argv[1], "firmware/bootloader/bootloader.elf")
    fi = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fi_gdb.py")
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write("FI = %r\n" % fi + PROBE)
    try:
        p = subprocess.run(["gdb-multiarch", "-batch", "-nx", "-ex", "source " + f.name, elf],
                           capture_output=True, text=True, timeout=300)
    finally:
        os.unlink(f.name)
    out = p.stdout + p.stderr
    print(out.strip())
    wrong = [l for l in out.splitlines() if l.startswith("WRONG ")]
    if not wrong:
        print("FAIL: the probe did not run")
        return 1
    if wrong[0] != "WRONG 0":
        print("FAIL: fi_gdb.next_insn() does not return the next instruction")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
