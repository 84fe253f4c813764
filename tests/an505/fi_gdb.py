# SPDX-License-Identifier: Apache-2.0
"""Runs inside gdb-multiarch (gdb -x fi_gdb.py), attached to QEMU halted at
reset, for the instruction-skip campaign driven by test_fi.py.

Configuration comes in the environment:
  MS_FI_PORT      QEMU's gdb port
  MS_FI_FLASH     the meter's flash file; MS_FI_GOLDEN its state before the run
  MS_FI_FUNCS     name:start:size,... of the functions whose instructions are skipped
  MS_FI_BAD_ENTRY address of the tampered image's entry point (booting it = failure)
  MS_FI_RESULT    where to write the JSON result
  MS_FI_SHARD     "i/n": take every n-th executed address starting at i
  MS_FI_TIMEOUT   seconds a run may take before it counts as a hang

First a coverage pass: a breakpoint on every instruction of MS_FI_FUNCS, one
clean run, each address recorded (and its breakpoint removed) the first time
it executes. Then, for every executed address: restore the flash, reset the
machine, stop at that address, skip the instruction (pc to the next one),
and let it run to one of the ends: the tampered image's entry (BOOTED),
ms_an505_exit (REFUSED with its code), Default_Handler (FAULT), or the
time limit (HANG).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import gdb

ENV = os.environ


def trace(msg):
    """One line per step on stderr when MS_FI_TRACE is set (debugging the
    harness itself)."""
    if ENV.get("MS_FI_TRACE"):
        gdb.write("fi-trace %.3f %s\n" % (time.time(), msg), gdb.STDERR)


def run(cmd):
    trace(cmd)
    return gdb.execute(cmd, to_string=True)


def restore_flash():
    # QEMU maps the file shared: writing it in place changes the guest's flash.
    with open(ENV["MS_FI_GOLDEN"], "rb") as src, open(ENV["MS_FI_FLASH"], "r+b") as dst:
        shutil.copyfileobj(src, dst)


def instructions(where):
    """Addresses of the instructions in `where`, without those inside an IT
    block: QEMU translates an IT block as one unit (a breakpoint in it stops
    at the IT instruction), so skipping the IT instruction covers them."""
    out = run("disassemble %s" % where)
    addrs = []
    in_it = 0
    for m in re.finditer(r"^\s*(?:=>)?\s*0x([0-9a-f]+)(?:\s+<[^>]*>)?:\s+(\S+)", out, re.M):
        if in_it:
            in_it -= 1
            continue
        addrs.append(int(m.group(1), 16))
        mnem = m.group(2)
        if re.fullmatch(r"it[te]{0,3}", mnem):
            in_it = len(mnem) - 1
    return addrs


def next_insn(addr):
    """The address of the instruction after the one at addr: the address
    that starts the second line of `x/2i` (an operand may be an address
    too, so only line starts count)."""
    out = run("x/2i 0x%x" % addr)
    starts = [int(m.group(1), 16)
              for m in re.finditer(r"^\s*(?:=>)?\s*0x([0-9a-f]+)", out, re.M)]
    if len(starts) < 2 or starts[1] <= addr:
        raise gdb.GdbError("cannot find the instruction after 0x%x" % addr)
    return starts[1]


class Ends:
    """Breakpoints that end a run, and what each one means."""

    def __init__(self):
        self.where = {}
        for name, sym in (("exit", "ms_an505_exit"), ("fault", "Default_Handler")):
            self.where[self.addr_of(sym)] = name
        self.where[int(ENV["MS_FI_BAD_ENTRY"], 0) & ~1] = "booted"

    @staticmethod
    def addr_of(sym):
        return int(gdb.parse_and_eval("(unsigned)&%s" % sym)) & ~1

    def arm(self):
        for a in self.where:
            run("break *0x%x" % a)

    def classify(self, pc):
        kind = self.where.get(pc)
        if kind == "exit":
            code = int(gdb.parse_and_eval("$r0"))
            return "refused" if code == 2 else "exit-%d" % code
        return kind or "stopped"


def continue_with_timeout(seconds):
    """continue; interrupt it after `seconds`. Returns False when it ran
    that long (a hang: the caller looks at where it stopped).

    The interrupt comes from another process, as a user's Ctrl-C would: a
    Python thread in this gdb cannot do it, because gdb keeps the GIL while
    the target runs and such a thread never gets to fire (a CI run waited
    for ever on one). The watchdog repeats SIGINT every second until it is
    killed; one that lands after `continue` has returned surfaces as a
    KeyboardInterrupt, which the caller answers by redoing its step."""
    dog = subprocess.Popen(
        ["sh", "-c", "sleep %s; while kill -INT %d; do sleep 1; done" % (seconds, os.getpid())],
        start_new_session=True)
    t0 = time.time()
    try:
        run("continue")
    except gdb.error:
        pass
    finally:
        os.killpg(dog.pid, signal.SIGKILL)
        dog.wait()
    return time.time() - t0 < seconds


def current_pc():
    """pc, or None when the machine is gone (it ended the run some way the
    end breakpoints did not see)."""
    try:
        return int(gdb.parse_and_eval("$pc")) & ~1
    except gdb.error:
        return None


def reset():
    restore_flash()
    run("monitor system_reset")
    run("maintenance flush register-cache")


def main():
    run("set pagination off")
    run("set confirm off")
    # Keep breakpoints in the target between stops: the coverage pass has
    # over a thousand, and re-inserting them all at every stop is slow.
    run("set breakpoint always-inserted on")
    run("target remote 127.0.0.1:%s" % ENV["MS_FI_PORT"])
    timeout = float(ENV.get("MS_FI_TIMEOUT", "10"))
    ends = Ends()
    # The functions as the driver found them in the image (clones included):
    # "name:start:size,..."
    funcs = []
    ranges = []
    for item in ENV["MS_FI_FUNCS"].split(","):
        name, start, size = item.split(":")
        funcs.append(name)
        ranges.append((int(start, 0), int(size, 0)))

    # Coverage pass: which instructions of the decision path execute.
    targets = []
    for start, size in ranges:
        targets += instructions("0x%x,+%d" % (start, size))
    targets = sorted(set(targets) - set(ends.where))
    reset()
    bp_of = {}
    for a in targets:
        bp_of[a] = gdb.Breakpoint("*0x%x" % a, internal=True)
    ends.arm()
    executed = []
    start = time.time()
    # The clean run is not expected to hang: its stretches between two
    # breakpoints (a whole signature check) get a generous limit, so a
    # loaded machine does not cut it short (one stopped in m256_mul at 4 s).
    clean_timeout = max(timeout * 10, 30.0)
    while time.time() - start < 300:
        hung = not continue_with_timeout(clean_timeout)
        pc = current_pc()
        if pc is None:
            raise gdb.GdbError("the clean run ended outside the end breakpoints")
        if pc in bp_of:
            executed.append(pc)
            bp_of.pop(pc).delete()
            continue
        if pc in ends.where or hung:
            break   # an end (or a hang: the baseline says which)
        raise gdb.GdbError("coverage run stopped at 0x%x: %s"
                           % (pc, run("info symbol 0x%x" % pc).strip()))
    last_pc = current_pc() or 0
    baseline = ends.classify(last_pc)
    if baseline == "stopped":
        baseline += " at 0x%x: %s" % (last_pc, run("info symbol 0x%x" % last_pc).strip())
    for bp in bp_of.values():
        bp.delete()
    run("delete")

    shard, of = (int(x) for x in ENV.get("MS_FI_SHARD", "0/1").split("/"))
    mine = executed[shard::of]
    first = int(ENV.get("MS_FI_FROM", "0"))
    outcomes = {}
    booted = []
    other = []   # [skipped address, end] of the ends that are not the usual four
    t0 = time.time()

    def finish(next_index):
        # next_index: where a new QEMU must go on (this one is gone), or None.
        with open(ENV["MS_FI_RESULT"], "w") as f:
            json.dump({"functions": funcs, "instructions": len(targets),
                       "executed": len(executed), "baseline": baseline,
                       "tried": len(mine), "outcomes": outcomes, "booted_at": booted,
                       "other_at": other,
                       "next": next_index}, f)

    def one_skip(a):
        """Skip the instruction at `a` on a fresh boot; how the run ended."""
        reset()
        run("delete")
        run("tbreak *0x%x" % a)
        if not continue_with_timeout(timeout) and current_pc() != a:
            run("delete")
            return "unreached"
        run("set $pc = 0x%x" % next_insn(a))
        ends.arm()
        continue_with_timeout(timeout)
        pc = current_pc()
        if pc is None:
            # The machine ended the run itself (QEMU exited: a semihosting
            # call reached some other way than through ms_an505_exit). The
            # tampered image's entry breakpoint was armed and not hit.
            return "qemu-exit"
        run("delete")
        # Where it stopped decides, not the clock: a stop on an end
        # breakpoint counts even if the watchdog fired at that moment, so a
        # boot is never booked as a hang.
        kind = ends.classify(pc)
        return "hang" if kind == "stopped" else kind

    for i in range(first, len(mine)):
        a = mine[i]
        if i % 100 == 0:
            gdb.write("fi: %d of %d skips done, %.0f s\n" % (i, len(mine), time.time() - t0),
                      gdb.STDERR)
        for attempt in range(3):
            try:
                kind = one_skip(a)
                break
            except KeyboardInterrupt:
                trace("late interrupt: skip 0x%x again" % a)
        else:
            raise gdb.GdbError("skip at 0x%x kept being interrupted" % a)
        outcomes[kind] = outcomes.get(kind, 0) + 1
        if kind not in ("refused", "fault", "hang", "unreached", "booted"):
            other.append(["0x%x" % a, kind])
        if kind == "qemu-exit":
            finish(i + 1)
            return
        if kind == "booted":
            booted.append("0x%x" % a)
    finish(None)
    run("kill")


try:
    main()
except Exception:   # report it: gdb -batch would otherwise lose it
    import traceback
    traceback.print_exc()
finally:
    gdb.execute("quit")
