#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The boot loader on a real (emulated) Cortex-M33: QEMU mps2-an505.

    test_boot.py HOST_BUILD FIRMWARE_BUILD CASE

One CTest test per CASE. Every case starts from a blank meter (erased flash,
the vendor key hash in OTP, signed v1.0.0 images), does what an attacker, an
update or the vendor would do to the flash file, then powers the meter on -
each run is a new QEMU process, so state is kept only in the flash file - and
checks the exit code and the consoles.
"""
import sys

from meter import EXIT_REFUSED, SLOT_OFF, Cases, expect

case = Cases()


def expect_old_boots(m, run, why):
    """The update was refused with `why` and the v1.0.0 images run."""
    expect(why in [e[1] for e in run.events("update-rejected")],
           "update not rejected with %s" % why, run)
    expect(run.rc == 100 and run.secure_version() == "1.0.0",
           "the old images did not boot", run)
    again = m.run()
    expect(again.rc == 100 and again.secure_version() == "1.0.0"
           and not again.events("installed"), "the old images did not keep booting", again)


def flip(m, slot, offset):
    b = m.read(SLOT_OFF[slot] + offset, 1)
    m.patch(SLOT_OFF[slot] + offset, bytes([b[0] ^ 0x01]))


# ---- normal boot ---------------------------------------------------------------

def normal_boot(m, strategy):
    m.factory(strategy=strategy)
    r = m.run()
    expect(r.rc == 100, "the Non-secure image did not run to its exit", r)
    for step in ("enter", "security-config-ok", "handover"):
        expect(r.events(step), "no '%s' on the console" % step, r)
    verified = sorted(int(e[0]) for e in r.events("verified"))
    expect(verified == [0, 1], "both images must be verified", r)
    expect(r.secure_version() == "1.0.0", "the Secure image did not run", r)
    expect("hello from the non-secure world, version 1.0.0" in r.ns_console,
           "the Non-secure image did not print", r)
    # The S11..S14 order: enter, then the check, then verification, then hand-over.
    pos = [r.console.find(s) for s in ("boot: enter", "boot: security-config-ok",
                                       "boot: verified", "boot: handover", "secure: running")]
    expect(pos == sorted(pos) and min(pos) >= 0, "boot steps out of order", r)
    # State lives in flash: a second power-on boots the same way.
    r2 = m.run()
    expect(r2.rc == 100 and r2.secure_version() == "1.0.0", "second boot differs", r2)


@case
def normal_boot_swap(m):
    normal_boot(m, "swap")


@case
def normal_boot_overwrite(m):
    normal_boot(m, "overwrite")


@case
def unprogrammed_otp_refuses_to_boot(m):
    m.factory()
    m.tool(m.flashtool, "init", m.flash, "--force")
    m.write("s-primary", m.sign("s", "1.0.0", 1))
    m.write("ns-primary", m.sign("ns", "1.0.0", 1))
    r = m.run()
    expect(r.rc == EXIT_REFUSED and r.refused_with() == "MS_ERR_IMG_KEY_UNKNOWN",
           "a meter without a root of trust must not boot", r)


# ---- refused images ----------------------------------------------------------------

@case
def tampered_secure_image_refused(m):
    m.factory()
    flip(m, "s-primary", 0x400 + 0x100)
    r = m.run()
    expect(r.rc == EXIT_REFUSED and r.refused_with() == "MS_ERR_BOOT_NO_IMAGE",
           "a tampered Secure image must stop the boot", r)
    expect(("0", "MS_ERR_IMG_HASH", "0x00000000") in r.events("verify-fail"),
           "the named error of the Secure image", r)
    expect("secure:" not in r.console and r.ns_console == "", "something ran", r)


@case
def tampered_nonsecure_image_refused(m):
    m.factory()
    flip(m, "ns-primary", 0x400 + 0x80)
    r = m.run()
    expect(r.rc == EXIT_REFUSED and ("1", "MS_ERR_IMG_HASH", "0x00000000") in
           r.events("verify-fail"), "a tampered Non-secure image must stop the boot", r)
    expect("secure:" not in r.console and r.ns_console == "", "something ran", r)


@case
def tampered_secure_update_refused(m):
    m.factory()
    img = m.sign("s", "1.1.0", 2)
    m.stage("s", img)
    flip(m, "s-secondary", 0x400 + 0x40)
    expect_old_boots(m, m.run(), "MS_ERR_IMG_HASH")


@case
def tampered_nonsecure_update_refused(m):
    m.factory()
    m.stage("ns", m.sign("ns", "1.1.0", 2))
    flip(m, "ns-secondary", 0x400 + 0x40)
    expect_old_boots(m, m.run(), "MS_ERR_IMG_HASH")


@case
def update_signed_by_another_key_refused(m):
    m.factory()
    other = m.keygen(m.path("other.pem"))
    m.stage("s", m.sign("s", "1.1.0", 2, key=other))
    expect_old_boots(m, m.run(), "MS_ERR_IMG_KEY_UNKNOWN")


@case
def downgrade_refused(m):
    m.factory(seccnt=3)
    m.run()   # the first boot raises the device's counters to 3
    m.stage("s", m.sign("s", "1.1.0", 2))
    expect_old_boots(m, m.run(), "MS_ERR_BOOT_ROLLBACK")


@case
def nonsecure_image_in_the_secure_slot_refused(m):
    """A validly signed image of the other world, staged as a Secure update,
    is built for the Non-secure load address: refused before installing."""
    m.factory()
    m.stage("s", m.sign("ns", "1.1.0", 2))
    expect_old_boots(m, m.run(), "MS_ERR_IMG_HEADER")


@case
def non_bootable_update_refused(m):
    m.factory()
    m.stage("ns", m.sign("ns", "1.1.0", 2, extra=("--non-bootable",)))
    expect_old_boots(m, m.run(), "MS_ERR_BOOT_NON_BOOTABLE")


@case
def secure_update_with_unmet_dependency_refused(m):
    """A valid Secure update that needs Non-secure 1.1 while 1.0 runs."""
    m.factory()
    m.stage("s", m.sign("s", "1.1.0", 2, extra=("--dependencies", "(1, 1.1.0)")))
    expect_old_boots(m, m.run(), "MS_ERR_BOOT_DEPENDENCY")


@case
def secure_update_installs_with_the_update_it_needs(m):
    m.factory()
    m.stage("s", m.sign("s", "1.1.0", 2, extra=("--dependencies", "(1, 1.1.0)")))
    m.stage("ns", m.sign("ns", "1.1.0", 2))
    r = m.run()
    expect(r.rc == 101 and r.secure_version() == "1.1.0" and len(r.events("installed")) == 2,
           "both updates must be installed, the needed one first", r)


# ---- updates ---------------------------------------------------------------------------

@case
def swap_update_confirmed_stays(m):
    m.factory()
    m.stage("s", m.sign("s", "1.1.0", 2))
    m.stage("ns", m.sign("ns", "1.1.0", 2))
    r = m.run()
    expect(r.rc == 101 and r.secure_version() == "1.1.0", "the update did not run", r)
    expect(len(r.events("installed")) == 2, "both images installed", r)
    expect("test" in r.console.split("secure: running")[1].split("\n")[0],
           "a test image must say it is not confirmed", r)
    m.confirm("s")
    m.confirm("ns")
    for _ in range(2):
        r = m.run()
        expect(r.rc == 101 and r.secure_version() == "1.1.0", "confirmed update lost", r)
    show = m.show()
    expect("image 0: 2" in show and "image 1: 2" in show,
           "the security counters must follow the confirmed images\n" + show)


@case
def swap_update_unconfirmed_reverts(m):
    m.factory()
    m.stage("s", m.sign("s", "1.1.0", 2))
    m.stage("ns", m.sign("ns", "1.1.0", 2))
    r = m.run()
    expect(r.rc == 101, "the update did not run", r)
    r = m.run()   # nobody confirmed it
    expect(r.rc == 100 and r.secure_version() == "1.0.0", "the update did not revert", r)
    expect(len(r.events("installed")) == 2 and
           all(e[2] == "0x00000004" for e in r.events("installed")),
           "the revert must be logged as installed REVERT", r)
    r = m.run()
    expect(r.rc == 100 and not r.events("installed"), "the reverted state must stay", r)


def encrypted_update(m, keylen, strategy):
    m.factory(strategy=strategy)
    enc = m.keygen(m.path("meter-enc.pem"))
    m.tool(m.flashtool, "otp", m.flash, "--enc-key", enc)
    img = m.sign("ns", "1.3.0", 2, extra=("--encrypt", enc, "--encrypt-keylen", str(keylen)))
    m.stage("ns", img, permanent=True)
    r = m.run()
    expect(r.rc == 103 and r.events("installed"), "the encrypted update did not run", r)
    r = m.run()
    expect(r.rc == 103, "the decrypted image did not stay", r)


@case
def encrypted_update_aes128_installed_swap(m):
    encrypted_update(m, 128, "swap")


@case
def encrypted_update_aes256_installed_overwrite(m):
    encrypted_update(m, 256, "overwrite")


@case
def encrypted_update_without_the_key_refused(m):
    m.factory()
    enc = m.keygen(m.path("meter-enc.pem"))   # the meter never got it
    m.stage("ns", m.sign("ns", "1.3.0", 2, extra=("--encrypt", enc)), permanent=True)
    expect_old_boots(m, m.run(), "MS_ERR_BOOT_NO_ENC_KEY")


@case
def overwrite_update_installed(m):
    m.factory(strategy="overwrite")
    m.stage("ns", m.sign("ns", "1.2.0", 2), permanent=True)
    r = m.run()
    expect(r.rc == 102 and r.events("installed"), "the overwrite update did not run", r)
    r = m.run()
    expect(r.rc == 102 and not r.events("installed"), "the update did not stay", r)


@case
def overwrite_tampered_update_refused(m):
    m.factory(strategy="overwrite")
    m.stage("ns", m.sign("ns", "1.2.0", 2), permanent=True)
    flip(m, "ns-secondary", 0x400 + 0x10)
    expect_old_boots(m, m.run(), "MS_ERR_IMG_HASH")


if __name__ == "__main__":
    sys.exit(case.main())
