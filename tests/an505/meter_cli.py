#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The emulated meter (meter.py) for shell tests:

    meter_cli.py HOST_BUILD FIRMWARE_BUILD DIR factory
        a blank meter in DIR: flash file, vendor key's hash, a random HUK and
        an image decryption key (DIR/meter-enc.pem) in OTP, the TEE and the
        application v1.0.0 signed by DIR/vendor.pem in their slots (both
        keys are made unless DIR already holds them: a fleet shares them)
    meter_cli.py HOST_BUILD FIRMWARE_BUILD DIR sign s|ns VERSION COUNTER OUT
        an update as the vendor ships it: signed, then encrypted for the meter
    meter_cli.py HOST_BUILD FIRMWARE_BUILD DIR run SCENARIO [UART1] [TIMEOUT_S]
        one power-on with the application's SCENARIO; UART1 is the modem
        UART's QEMU chardev (default null); prints both consoles to
        DIR/run.log and exits with the meter's exit code (124 on a hang)
"""
import sys

from meter import Meter


def main():
    if len(sys.argv) < 5 or sys.argv[4] not in ("factory", "run", "sign"):
        print(__doc__, file=sys.stderr)
        return 2
    m = Meter(sys.argv[1], sys.argv[2], workdir=sys.argv[3], images="tee")
    enc = m.path("meter-enc.pem")
    if sys.argv[4] == "factory":
        m.factory(huk=True)
        m.tool(m.flashtool, "otp", m.flash, "--enc-key", m.keygen(enc))
        return 0
    if sys.argv[4] == "sign":
        which, version, counter, out = sys.argv[5:9]
        m.sign(which, version, int(counter), out=out, extra=("--encrypt", enc))
        return 0
    scenario = sys.argv[5]
    uart1 = sys.argv[6] if len(sys.argv) > 6 else "null"
    timeout = float(sys.argv[7]) if len(sys.argv) > 7 else 120
    r = m.finish(m.start(args=["meter", scenario], uart1=uart1), timeout=timeout)
    with open(m.path("run.log"), "a") as f:
        f.write("==== %s rc=%d\n%s" % (scenario, r.rc, r))
    return 124 if r.rc < 0 else r.rc


if __name__ == "__main__":
    sys.exit(main())
