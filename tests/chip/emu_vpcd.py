#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""emu_vpcd.py - meterseal-chip-emu against a stand-in for pcscd's vpcd
driver: the test listens like vpcd (on a port the kernel picks, so runs
never collide), the emulator connects, and the test speaks vpcd's framing
(2-byte big-endian length + payload) to it directly.

    emu_vpcd.py <meterseal-chip-emu>

Pins down what a PC/SC client cannot see clearly through pcscd:
  - a 1-byte payload that is not a vpcd control code (00 off, 01 on,
    02 reset, 04 ATR) is a (too short) APDU and is answered 6700 - it used
    to get no answer at all, and vpcd (and every PC/SC client behind it)
    waited forever;
  - 2- and 3-byte payloads are answered 6700 too;
  - the ATR, and the chip's ISO 7816-4 T=0 behaviour on the wire: a command
    without Le that has data answers 61xx and GET RESPONSE fetches it.
Exit 0 when every check passed, 1 otherwise (the first failure is printed).
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile

TIMEOUT = 3.0


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError("the emulator closed the connection")
        buf += chunk
    return buf


def send_frame(conn, payload):
    conn.sendall(struct.pack(">H", len(payload)) + payload)


def recv_frame(conn, what):
    try:
        (n,) = struct.unpack(">H", recv_exact(conn, 2))
        return recv_exact(conn, n)
    except socket.timeout:
        fail("%s: no answer within %.0f s (vpcd would wait forever)" % (what, TIMEOUT))
    except EOFError as e:
        fail("%s: %s" % (what, e))


def apdu(conn, hexcmd, want_hex, what):
    send_frame(conn, bytes.fromhex(hexcmd))
    got = recv_frame(conn, what)
    if got.hex().upper() != want_hex.replace(" ", "").upper():
        fail("%s: sent %s, got %s, want %s" % (what, hexcmd, got.hex().upper(), want_hex))
    print("ok: %s -> %s" % (what, got.hex().upper()))


def expected_atr():
    atr = bytearray(bytes.fromhex("3B888001") + b"MSCHIP01")
    tck = 0
    for b in atr[1:]:
        tck ^= b
    return bytes(atr + bytes([tck]))


def session(emu, workdir, extra, checks):
    """Start the emulator on a fresh flash file, accept it, run checks."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(10)
    port = srv.getsockname()[1]
    flash = os.path.join(workdir, "card-%d.flash" % port)
    log = open(os.path.join(workdir, "emu-%d.log" % port), "w")
    proc = subprocess.Popen([emu, "--flash", flash, "--port", str(port), "--once"] + extra,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        conn, _ = srv.accept()
        conn.settimeout(TIMEOUT)
        checks(conn)
        conn.close()
        if proc.wait(timeout=10) != 0:
            fail("the emulator exited with %d" % proc.returncode)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        srv.close()
        log.close()


def chip_checks(conn):
    send_frame(conn, b"\x01")  # power on: no answer
    send_frame(conn, b"\x04")
    atr = recv_frame(conn, "get ATR")
    if atr != expected_atr():
        fail("ATR %s, want %s" % (atr.hex(), expected_atr().hex()))
    print("ok: ATR " + atr.hex().upper())
    # 1-byte payloads that are not control codes are APDUs of a wrong length.
    for b in ("03", "05", "80", "FF"):
        apdu(conn, b, "6700", "1-byte payload %s" % b)
    apdu(conn, "80CA", "6700", "2-byte payload")
    apdu(conn, "80CA00", "6700", "3-byte payload")
    # The link still works: GET DATA serial (the unprovisioned chip is mute
    # and answers zeros) with Le, and without Le the T=0 way.
    apdu(conn, "80CA000100", "00" * 10 + "9000", "GET DATA serial, Le 00")
    apdu(conn, "80CA0001", "610A", "GET DATA serial, no Le")
    apdu(conn, "00C000000A", "00" * 10 + "9000", "GET RESPONSE 0A")
    # Power off, then an APDU: the card powers up again by itself.
    send_frame(conn, b"\x00")
    apdu(conn, "03", "6700", "1-byte payload after power off")
    apdu(conn, "80CA000100", "00" * 10 + "9000", "GET DATA after power off")


def hsm_checks(conn):
    send_frame(conn, b"\x01")
    apdu(conn, "07", "6700", "HSM: 1-byte payload 07")
    apdu(conn, "80CA000500", "6985", "HSM: GET DATA on an unprovisioned HSM")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    emu = os.path.realpath(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        session(emu, d, [], chip_checks)
        session(emu, d, ["--hsm"], hsm_checks)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
