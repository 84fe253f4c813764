#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Attacks on the emulated meter that an independent review proved against an
earlier version (each case failed then); they stay as regression tests.

    test_attacks.py HOST_BUILD FIRMWARE_BUILD CASE

  dependency_downgrade_of_a_needed_image_is_refused
      update channel only (secondary slot + trailer), vendor-signed images:
      the previous Non-secure release staged beside a Secure image that
      needs the current one must be refused, not brick the meter.
  otp_counter_not_lowered_by_programming_bits
      OTP programming (bits 1 -> 0) of the newest counter cell, plus the old
      image written to the primary slot with a programmer: the image the
      counter locked out must not boot.
  otp_rot_key_not_added_after_lock
      OTP programming only, on a LOCKED meter: the attacker's key hash
      programmed over an unused key slot; his Secure image must not boot.
  secure_execution_region_holds_only_the_verified_image
      after a warm reset, bytes left in the Secure execution region (here
      SG veneers in its NSC window) must not survive into the next
      hand-over: only what the verified image carries is there.
"""
import re
import struct
import subprocess
import sys

from meter import EXIT_REFUSED, SLOT_OFF, Cases, expect

OTP_OFF = 0xFF0000
CNT_OFF = OTP_OFF + 0x1000      # counter regions of 1 KiB per id, cells of 8 bytes
ROT_OFF = OTP_OFF + 0x0000      # key-hash slots of 72 bytes
ROT_LEN = 72
TAG_ROT = 0x4B544F52

case = Cases()


def program_bits(m, off, data):
    """What OTP allows: bits only go from 1 to 0."""
    old = m.read(off, len(data))
    m.patch(off, bytes(a & b for a, b in zip(old, data)))


@case
def dependency_downgrade_of_a_needed_image_is_refused(m):
    m.factory(strategy="overwrite")
    m.write("s-primary", m.sign("s", "1.1.0", 1, extra=("--dependencies", "(1, 1.1.0)")))
    m.write("ns-primary", m.sign("ns", "1.1.0", 1))
    r = m.run()
    expect(r.rc == 101, "the 1.1 pair must boot", r)
    # The attacker stages the vendor's previous Non-secure release (same
    # security counter, validly signed).
    m.stage("ns", m.sign("ns", "1.0.0", 1), permanent=True)
    r = m.run()
    expect(("1", "MS_ERR_BOOT_DEPENDENCY", "0x00000000") in r.events("update-rejected"),
           "the downgrade of an image the Secure image needs must be refused", r)
    for _ in range(2):
        expect(r.rc == 101, "a meter must keep booting whatever is staged (M6); "
               "it refuses with %s" % r.refused_with(), r)
        r = m.run()


def counter_cells(m, image_id):
    """(offset, value) of the used cells of a counter."""
    out = []
    base = CNT_OFF + image_id * 0x400
    for k in range(0x400 // 8):
        cell = m.read(base + 8 * k, 8)
        if cell != b"\xff" * 8:
            out.append((base + 8 * k, ~struct.unpack_from("<I", cell)[0] & 0xFFFFFFFF))
    return out


@case
def otp_counter_not_lowered_by_programming_bits(m):
    m.factory()
    m.run()                                           # counters: 1
    m.stage("s", m.sign("s", "1.1.0", 2), permanent=True)
    r = m.run()
    expect(r.secure_version() == "1.1.0", "the update to counter 2 must run", r)
    cells = counter_cells(m, 0)
    expect(max(v for _, v in cells) == 2, "the Secure counter must be 2: %s" % cells)
    # Attacker: program bits of every used cell (the old attack cleared a
    # tag bit of the newest record to make it fall back)...
    for off, _ in cells:
        program_bits(m, off, bytes([0xFD, 0xFF, 0xFF, 0xFF]))
    # ...and, with a programmer on the NOR part, writes the release the
    # counter was raised to lock out into the primary slot.
    m.write("s-primary", m.sign("s", "1.0.0", 1, out=m.path("s-old.img")))
    r = m.run()
    expect(r.secure_version() != "1.0.0" and r.rc != 100,
           "the image below the device's counter ran", r)


@case
def otp_rot_key_not_added_after_lock(m):
    m.factory()
    m.tool(m.flashtool, "otp", m.flash, "--lock")
    r = m.run()
    expect(r.rc == 100, "the locked meter must boot", r)
    attacker = m.keygen(m.path("attacker.pem"))
    # The key hash as the factory tool computes it (on a scratch flash file).
    scratch = m.path("scratch.bin")
    m.tool(m.flashtool, "init", scratch, "--force")
    out = m.tool(m.flashtool, "otp", scratch, "--rot-key", attacker).stdout
    khash = bytes.fromhex(re.search(r"hash ([0-9a-f]{64})", out).group(1))
    rec = (khash + bytes(~b & 0xFF for b in khash) +
           struct.pack("<II", TAG_ROT, ~TAG_ROT & 0xFFFFFFFF))
    for slot in range(1, 4):                          # every slot the vendor left unused
        program_bits(m, ROT_OFF + ROT_LEN * slot, rec)
    m.stage("s", m.sign("s", "6.6.6", 9, key=attacker), permanent=True)
    r = m.run()
    expect(r.secure_version() != "6.6.6",
           "an image signed by a key the factory never programmed ran as the Secure image", r)
    expect(r.rc == 100, "the vendor's images must keep booting", r)


@case
def secure_execution_region_holds_only_the_verified_image(m):
    m.factory()
    with open(m.path("s-1.0.0-1.img"), "rb") as f:
        entry = struct.unpack_from("<I", f.read(), 0x404)[0] & ~1
    nsc = 0x1005F000   # near the end of the Secure execution region, beyond any image
    # First boot: at the hand-over, something Secure leaves SG veneers in
    # the NSC window (what the TEE's veneers are); then a warm reset
    # (AIRCR.SYSRESETREQ, or the watchdog) and the next hand-over.
    r, g = m.run_gdb(["break *0x%x" % entry, "continue",
                      "set {unsigned int}0x%x = 0xe97fe97f" % nsc,
                      "set {unsigned int}0x%x = 0xe97fe97f" % (nsc + 8),
                      "monitor system_reset", "continue",
                      "printf \"NSC0=%%08x\\n\", {unsigned int}0x%x" % nsc,
                      "kill"], timeout=120)
    got = re.search(r"NSC0=([0-9a-f]{8})", g)
    expect(got is not None, "gdb did not reach the second hand-over\n" + g)
    expect(got.group(1) != "e97fe97f",
           "the Secure image was started with an SG instruction no image carried at "
           "0x%x (NSC, callable from the Non-secure world)" % nsc)


if __name__ == "__main__":
    sys.exit(case.main())
