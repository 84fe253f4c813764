#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""OTA staging from the Non-secure side on the emulated Cortex-M33 (QEMU
mps2-an505): the application hands a download to the TEE's update service
through the secure API (firmware/nonsecure/update.c); the TEE decrypts and
verifies it with the boot loader's own configuration before it marks it
pending; the boot loader installs it at the next reset; the application
confirms it through the TEE, or the boot loader reverts it.

    test_ota.py HOST_BUILD FIRMWARE_BUILD CASE

Every case starts from a blank meter (random HUK, the image decryption key
in OTP, TEE and application v1.0.0 with security counter 1). Each QEMU run
is one power-on of the meter; its flash file carries everything over.
"""
import os
import re
import shutil
import subprocess
import sys

from meter import Cases, expect

DONE, FAILED, REFUSED = 10, 11, 13
BAD_STATE = -137

case = Cases()


def setup(m):
    m.factory(huk=True)
    m.enc = m.keygen(m.path("meter-enc.pem"))
    m.tool(m.flashtool, "otp", m.flash, "--enc-key", m.enc)


def run(m, scenario, rc):
    r = m.run(args=["meter", scenario], timeout=60)
    expect(r.rc == rc, "scenario %s: exit %d, expected %d" % (scenario, r.rc, rc), r)
    return r


def ns_version(r):
    """The Non-secure image the boot loader handed over, as the TEE saw it
    in the boot record: (version, "confirmed" | "test")."""
    v = re.search(r"^tee: non-secure image version=(\S+) (\S+)", r.console, re.M)
    return (v.group(1), v.group(2)) if v else None


def update(m, version="1.1.0", seccnt=2, **kw):
    """The application v<version> as the cloud serves it: signed by the
    vendor, then encrypted for this meter."""
    return m.sign("ns", version, seccnt, extra=("--encrypt", m.enc), **kw)


def stage(m, image, scenario="update-stage"):
    m.download("ns", image)
    r = run(m, scenario, DONE)
    expect(re.search(r"^update: verified version=1\.1\.0 sec-cnt=2", r.ns_console, re.M),
           "the TEE did not report what it verified", r)
    expect(re.search(r"^update: install \S+ status=0 state=5", r.ns_console, re.M),
           "the update is not pending after the install", r)
    return r


def expect_not_staged(m, r, err):
    expect(re.search(r"^update: verify status=-\d+ state=4 offset=\d+ last-err=%s" % err,
                     r.ns_console, re.M), "the TEE did not refuse it with %s" % err, r)
    expect(not re.search(r"^update: install", r.ns_console, re.M), "it was installed", r)
    # The next power-on finds nothing to install: v1.0.0 runs on.
    r = run(m, "partitions", DONE)
    expect(not r.events("installed") and ns_version(r) == ("1.0.0", "confirmed"),
           "a refused download was installed anyway", r)


@case
def update_staged_from_nonsecure_is_installed_and_confirmed(m):
    stage(m, update(m))
    r = run(m, "update-confirm", DONE)
    expect(r.events("installed") and ns_version(r) == ("1.1.0", "test"),
           "the boot loader did not install the staged update as a test image", r)
    expect("update: begin before the confirm status=%d" % BAD_STATE in r.ns_console,
           "a new download was taken while the test image is unconfirmed", r)
    r = run(m, "normal", DONE)
    expect(not r.events("installed") and ns_version(r) == ("1.1.0", "confirmed"),
           "the confirmed update did not stay", r)



@case
def nonsecure_interrupts_are_served_during_the_verify(m):
    # The VERIFY is the longest call the TEE serves: the Non-secure tick and
    # the pulse interrupt go on during it, and a call into the TEE from
    # that interrupt is refused while the task's call holds the door.
    m.download("ns", update(m))
    r = m.run(args=["meter", "update-stage"], timeout=60, icount=True)
    expect(r.rc == DONE, "the staging failed", r)
    got = re.search(r"^update: during the verify ticks=(\d+) pulses=(\d+) "
                    r"interrupt-calls busy=(\d+) other=(\d+)", r.ns_console, re.M)
    expect(got, "no figures for the verify", r)
    ticks, pulses, busy, other = (int(g) for g in got.groups())
    expect(ticks >= 10 and pulses >= 10,
           "the tick (%d) or the pulses (%d) stopped during the verify" % (ticks, pulses), r)
    expect(busy >= pulses - 2 and other <= 2,
           "calls from the interrupt: %d refused busy, %d otherwise" % (busy, other), r)
    expect("tee: violation" not in r.console, "a refused busy call counted as a violation", r)


def secure_version(r):
    v = re.search(r"^tee: MeterSeal TEE, secure image version=(\S+) (\S+)", r.console, re.M)
    return (v.group(1), v.group(2)) if v else None


@case
def tee_update_staged_from_nonsecure_is_installed_and_confirmed(m):
    # The TEE stages, verifies and has installed a new version of itself.
    m.download("s", m.sign("s", "1.1.0", 2, extra=("--encrypt", m.enc)))
    r = run(m, "update-stage", DONE)
    expect(re.search(r"^update: install test status=0 state=5", r.ns_console, re.M),
           "the TEE update is not pending", r)
    r = run(m, "update-confirm", DONE)
    expect(secure_version(r) == ("1.1.0", "test"), "the new TEE did not run as a test image", r)
    r = run(m, "normal", DONE)
    expect(not r.events("installed") and secure_version(r) == ("1.1.0", "confirmed"),
           "the confirmed TEE update did not stay", r)

@case
def unconfirmed_update_reverts(m):
    stage(m, update(m))
    r = run(m, "normal", DONE)
    expect(ns_version(r) == ("1.1.0", "test"), "the test image did not run", r)
    r = run(m, "normal", DONE)
    expect(r.events("installed") and ns_version(r) == ("1.0.0", "confirmed"),
           "the unconfirmed update did not revert", r)


@case
def permanent_update_needs_no_confirm(m):
    stage(m, update(m), scenario="update-stage-permanent")
    r = run(m, "normal", DONE)
    expect(ns_version(r) == ("1.1.0", "confirmed"), "the permanent update did not install", r)


@case
def tampered_download_refused_before_reboot(m):
    # One byte changed on the way: not the download the cloud offered.
    good = update(m)
    bad = m.path("tampered.img")
    data = bytearray(open(good, "rb").read())
    data[0x400 + 100] ^= 0x01
    open(bad, "wb").write(data)
    m.download("ns", bad, offered=good)
    expect_not_staged(m, run(m, "update-stage", REFUSED), "MS_ERR_IMG_HASH")


@case
def image_signed_by_an_unknown_key_refused_before_reboot(m):
    # A consistent offer for an image the vendor never signed.
    rogue = m.keygen(m.path("rogue.pem"))
    m.download("ns", update(m, key=rogue))
    expect_not_staged(m, run(m, "update-stage", REFUSED), "MS_ERR_IMG_KEY_UNKNOWN")


@case
def image_for_another_meter_refused_before_reboot(m):
    # Encrypted for another meter's key: this TEE cannot open it.
    other = m.keygen(m.path("other-enc.pem"))
    m.download("ns", m.sign("ns", "1.1.0", 2, extra=("--encrypt", other)))
    expect_not_staged(m, run(m, "update-stage", REFUSED), "MS_ERR_IMG_ENC_KEY")


@case
def rollback_refused_before_reboot(m):
    # Properly signed and encrypted, but below the device's security counter.
    stage(m, update(m, version="1.1.0", seccnt=2), scenario="update-stage-permanent")
    run(m, "normal", DONE)      # installs; the counter rises to 2
    r = run(m, "normal", DONE)
    expect(ns_version(r) == ("1.1.0", "confirmed"), "the first update did not stay", r)
    m.download("ns", update(m, version="1.0.5", seccnt=1))
    r = run(m, "update-stage", REFUSED)
    expect(re.search(r"^update: verify status=-\d+ state=4 offset=\d+ last-err=MS_ERR_BOOT_ROLLBACK",
                     r.ns_console, re.M), "the older image was not refused", r)
    r = run(m, "partitions", DONE)
    expect(not r.events("installed") and ns_version(r) == ("1.1.0", "confirmed"),
           "the older image was installed anyway", r)



@case
def older_version_refused_before_reboot(m):
    # Vendor-signed and with the device's own counter, but older than what
    # runs: the counter allows it, the update service does not.
    m.download("ns", update(m, version="0.9.0", seccnt=1))
    expect_not_staged(m, run(m, "update-stage", REFUSED), "MS_ERR_BOOT_DOWNGRADE")

@case
def power_cut_while_staging_leaves_a_verified_meter(m):
    """The power is cut (QEMU killed) at every flash operation the TEE makes
    on the Non-secure secondary slot while it stages an update - erase,
    chunk writes, the pending trailer - once before the operation and once
    a few hundred instructions into it. The next power-on must boot
    verified images: the old one, or the new one as a test image if the
    pending mark was complete; never a half-written one. And the meter
    takes the same download again from the start."""
    m.download("ns", update(m))
    golden = m.path("golden.bin")
    shutil.copyfile(m.flash, golden)
    # The TEE's flash operations on the NS secondary slot (device offsets;
    # an505_map.h): at ms_an505_flash_op's entry r0 is the kind (1 write,
    # 2 erase), r1 the offset, r2 the length.
    op_fn = m.tee_symbol("ms_an505_flash_op")
    in_slot = "$r1 >= 0xC0000 && $r1 < 0x100000"
    count = ["break *0x%x if %s" % (op_fn, in_slot), "commands 1", "silent",
             'printf "slot-op %d 0x%x %d\\n", $r0, $r1, $r2', "continue", "end", "continue"]
    clean, out = m.run_gdb(count, args=["meter", "update-stage"], icount=True)
    # Each operation by its (kind, offset). A hit gdb reports twice (an
    # interrupt taken while it steps over the breakpoint returns onto it)
    # is the same operation: only a repeat that is not adjacent is a new one.
    ops = []
    for op in re.findall(r"^slot-op (\d+) (0x[0-9a-f]+) \d+$", out, re.M):
        if not ops or ops[-1] != op:
            ops.append(op)
    expect(clean.rc == DONE and len(ops) > 3,
           "the uninterrupted staging did not work: %s" % out[-600:], clean)
    failures = []
    for k, (kind, off) in enumerate(ops, 1):
        nth = ops[:k].count((kind, off))
        for torn in (False, True):
            shutil.copyfile(golden, m.flash)
            cmds = ["break *0x%x if $r0 == %s && $r1 == %s" % (op_fn, kind, off)]
            cmds += (["ignore 1 %d" % (nth - 1)] if nth > 1 else []) + ["continue"]
            if torn:
                cmds += ["delete", "stepi %d" % (40 + (k * 37) % 400)]
            cmds.append("kill")
            cut, out = m.run_gdb(cmds, args=["meter", "update-stage"], icount=True)
            where = "cut at slot operation %d (%s %s)%s" % (
                k, "erase" if kind == "2" else "write", off, " (torn)" if torn else "")
            if "Breakpoint 1, " not in out or cut.rc == DONE:
                failures.append("%s never happened: %s" % (where, out[-400:]))
                continue
            after = m.run(args=["meter", "partitions"], timeout=60)
            verified = sorted(int(e[0]) for e in after.events("verified"))
            if after.rc != DONE or verified != [0, 1] or \
                    ns_version(after) not in (("1.0.0", "confirmed"), ("1.1.0", "test")):
                failures.append("%s: next boot rc=%d\n%s" % (where, after.rc, after))
            elif ns_version(after) == ("1.0.0", "confirmed") and k % 8 == 1:
                again = m.run(args=["meter", "update-stage"], timeout=60)
                if again.rc != DONE:
                    failures.append("%s: the download was not taken again\n%s" % (where, again))
    print("%d slot operations, %d power cuts, %d failed" % (len(ops), 2 * len(ops), len(failures)))
    expect(not failures, "\n".join(failures[:3]))


if __name__ == "__main__":
    sys.exit(case.main(setup=setup, images="tee"))
