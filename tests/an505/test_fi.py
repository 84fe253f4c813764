#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Instruction-skip fault-injection campaign on the emulated Cortex-M33, as
MCUboot's fault-injection test does it: with a tampered image in a primary
slot, skip each instruction of the boot loader's verify and decision path in
turn (one skip per run, at its first execution), and count how each run
ends. The tampered image must run zero times.

    test_fi.py HOST_BUILD FIRMWARE_BUILD SCENARIO [SHARD/SHARDS]

payload:    one byte of the Secure image's code flipped (the hash decision)
signature:  one byte of the Secure image's ECDSA signature flipped (the
            signature decision)
ns-payload: one byte of the Non-secure image's code flipped, the Secure one
            good (the decision over both images: a hand-over must not
            happen because one image verified)
SHARD/SHARDS runs the executed instructions SHARD, SHARD+SHARDS, ... only
(CTest runs one sixteenth per tampering; bench/an505/fi runs them all).
"""
import json
import os
import struct
import subprocess
import sys

from meter import SLOT_OFF, Meter, free_port

# The decision path: S14's control flow, validation, the hash and signature
# checks and their fault-injection hardening, and the hand-over.
# (Names of the source; with link-time optimisation some are inlined into
# their caller - ms_boot_go into main into Reset_Handler - and the campaign
# takes what the image has, clones included.)
FUNCS = ["Reset_Handler", "main", "ms_boot_go", "boot_go", "ms_boot_validate",
         "second_signature_look", "ms_image_verify", "ms_ct_equal", "ms_p256_verify",
         "p256_ecdsa_verify", "ms_crypto_sig_der_parse", "ms_boot_fih_delay", "ms_boot_fih_wait",
         "ms_image_hash", "hash_range", "ms_boot_copy", "load_image", "refuse", "jump_to",
         "check_security_config", "ms_an505_seccfg_check", "ms_boot_deps_met"]


def function_ranges(elf, names):
    """name:start:size of every symbol that is one of `names` or a clone of
    one (name.constprop.0, ...), as the image has them after link-time
    optimisation."""
    out = subprocess.run(["arm-none-eabi-nm", "-S", elf], capture_output=True, text=True,
                         check=True).stdout
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            sym = parts[3]
            if any(sym == n or sym.startswith(n + ".") for n in names):
                found.append("%s:0x%s:0x%s" % (sym, parts[0], parts[1]))
    return found


def tamper(m, what):
    """Break one image; returns the entry point that must never be reached."""
    slot, name = ("ns-primary", "ns-1.0.0-1.img") if what == "ns-payload" else \
        ("s-primary", "s-1.0.0-1.img")
    with open(m.path(name), "rb") as f:
        img = f.read()
    if what == "signature":
        # The ECDSA_SIG TLV (type 0x22) is the last one: flip a byte of s.
        assert img.rfind(b"\x22\x00") > 0
        off = len(img) - 8
    else:
        off = 0x400 + 0x200
    m.patch(SLOT_OFF[slot] + off, bytes([img[off] ^ 0x04]))
    return struct.unpack_from("<I", img, 0x400 + 4)[0]


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[3] not in ("payload", "signature", "ns-payload"):
        print(__doc__, file=sys.stderr)
        return 2
    shard = sys.argv[4] if len(sys.argv) == 5 else "0/1"
    m = Meter(sys.argv[1], sys.argv[2])
    m.factory()
    entry = tamper(m, sys.argv[3])
    check = m.run()
    if check.rc != 2:
        print("FAIL: the tampered image is not refused without faults\n%s" % check)
        return 1
    golden = m.path("golden.bin")
    with open(m.flash, "rb") as f, open(golden, "wb") as g:
        g.write(f.read())
    result = m.path("fi.json")
    here = os.path.dirname(os.path.abspath(__file__))
    funcs = ",".join(function_ranges(m.bootloader, FUNCS))
    r, start = None, 0
    while start is not None:
        # One QEMU and one gdb session for the whole shard; a run that ends
        # QEMU itself is counted, and a new pair goes on after it.
        port = free_port()
        q = subprocess.Popen(m.qemu_cmd(gdb_port=port), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        env = dict(os.environ, MS_FI_PORT=str(port), MS_FI_FLASH=m.flash, MS_FI_GOLDEN=golden,
                   MS_FI_FUNCS=funcs, MS_FI_BAD_ENTRY=hex(entry), MS_FI_RESULT=result,
                   MS_FI_SHARD=shard, MS_FI_TIMEOUT=os.environ.get("MS_FI_TIMEOUT", "4"),
                   MS_FI_FROM=str(start))
        if os.path.exists(result):
            os.unlink(result)
        try:
            # Well inside CTest's limit, so a stuck session is reported with
            # its output rather than killed silently.
            g = subprocess.run(["gdb-multiarch", "-batch", "-nx", "-x",
                                os.path.join(here, "fi_gdb.py"), m.bootloader],
                               env=env, stdout=subprocess.PIPE,
                               stderr=None if "MS_FI_TRACE" in os.environ else subprocess.PIPE,
                               text=True, timeout=900)
        except subprocess.TimeoutExpired as e:
            print("FAIL: the gdb session did not finish in 900 s\n%s\n--- stderr\n%s"
                  % ((e.stdout or b"")[-3000:], (e.stderr or b"")[-3000:]))
            return 1
        finally:
            q.kill()
            q.wait()
        try:
            with open(result) as f:
                part = json.load(f)
        except (OSError, ValueError):
            print("FAIL: the campaign did not finish\n" + g.stdout[-3000:] + "\n--- stderr\n" +
                  g.stderr[-3000:])
            return 1
        if r is None:
            r = part
        else:
            for k, v in part["outcomes"].items():
                r["outcomes"][k] = r["outcomes"].get(k, 0) + v
            r["booted_at"] += part["booted_at"]
            r["other_at"] += part["other_at"]
        start = part["next"]
    r.pop("next", None)
    out = r["outcomes"]
    print("functions: " + " ".join(r["functions"]))
    print("fault injection (%s, shard %s): %d instructions in the decision path, %d executed, "
          "%d skips tried: %s" % (sys.argv[3], shard, r["instructions"], r["executed"],
                                  r["tried"], ", ".join("%s %d" % kv for kv in sorted(out.items()))))
    print("fi-result " + json.dumps(r))
    if r["baseline"] != "refused" or r["tried"] == 0:
        print("FAIL: the clean run did not end in a refusal (%s) or nothing was tried"
              % r["baseline"])
        return 1
    if out.get("booted", 0) != 0:
        print("FAIL: the tampered image booted after skipping the instruction at %s"
              % ", ".join(r["booted_at"]))
        return 1
    m.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
